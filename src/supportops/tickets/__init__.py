"""Tickets: lifecycle, messages, the append-only event log and the counters derived from it."""
