"""Loading another help desk's history: the ticket-event log (JSON lines) and mapped CSV event logs."""
