"""Deterministic demo data: a help desk with organizations, customers, tiered agents and tickets.

``load`` simulates each ticket's history with the same rules the ticket services apply (the
lifecycle, auto-take on an agent's first reply, reopen on a customer reply, auto-close after N days)
and writes the rows those services would write: tickets, messages, time entries, ticket events in
the services' exact shape, queued auto-close jobs, and a satisfaction survey for every resolution.
Counter columns are the fold of each ticket's event log (:func:`supportops.tickets.counters.recompute`).
Around the tickets: agents' shifts as the presence log (work goes to whoever is on shift, so
utilization is realistic), relationship (NPS) surveys to active customers, and self-service
resolutions in the portal.

Same seed, same ``now`` and same ticket count give identical rows. Tickets are generated in creation
order and written in batches with Core bulk inserts and explicit ids, one transaction per batch, so
memory stays bounded however many tickets are asked for.
"""

from supportops.demo.generator.loader import DemoSummary, is_empty, load
from supportops.demo.generator.shape import DEMO_LOGINS, DemoLogin, span_days

__all__ = ["DEMO_LOGINS", "DemoLogin", "DemoSummary", "is_empty", "load", "span_days"]
