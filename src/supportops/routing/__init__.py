"""Routing: agents' presence, languages, capacity and shifts; escalation between tiers with handoff
notes and severity paths; assignment strategies over an agent index; a staffing simulation."""
