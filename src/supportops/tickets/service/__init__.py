"""Ticket use cases. Every change goes through ``history._log``, which appends the event and applies
it to the counters, so the stored counters are always the fold of the event log."""

from supportops.tickets.service.history import AUTO_CLOSE_JOB
from supportops.tickets.service.reading import (
    COUNTER_FIELDS,
    counters_of,
    event_log,
    get_ticket,
    list_messages,
    list_tickets,
    list_time_entries,
    read_ticket,
    recompute_counters,
    timeline,
    to_read,
)
from supportops.tickets.service.writing import (
    add_message,
    auto_close,
    create_ticket,
    log_time,
    open_ticket,
    record,
    transition,
    update_ticket,
)

__all__ = [
    "AUTO_CLOSE_JOB",
    "COUNTER_FIELDS",
    "add_message",
    "auto_close",
    "counters_of",
    "create_ticket",
    "event_log",
    "get_ticket",
    "list_messages",
    "list_tickets",
    "list_time_entries",
    "log_time",
    "open_ticket",
    "read_ticket",
    "recompute_counters",
    "record",
    "timeline",
    "to_read",
    "transition",
    "update_ticket",
]
