"""Support metrics, formulas and findings; ``capacity`` is the staffing arithmetic (pure)."""
