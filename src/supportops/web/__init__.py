"""Server-rendered web UI: login, the agent workspace and the customer portal."""
