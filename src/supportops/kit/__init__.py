"""Domain-free helpers: clock, errors, pagination, text checks."""
