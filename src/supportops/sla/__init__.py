"""Service levels: business calendars, and the clocks that measure each ticket's targets."""
