"""The ticket lifecycle as an explicit state machine: pure data and functions, no database.

new → triaged → assigned → in_progress → pending → resolved → closed, with escalated → engineering
and on_hold. A ticket never returns to ``new``; ``closed`` is final. Statuses that mean someone owns
the work (assigned, in_progress, resolved) need an assignee.
"""

from __future__ import annotations

from supportops.tickets.enums import STATUS_CATEGORY, Status, StatusCategory

S = Status

TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.new: frozenset({S.triaged, S.assigned, S.in_progress, S.pending, S.on_hold, S.escalated, S.resolved}),
    S.triaged: frozenset({S.assigned, S.in_progress, S.pending, S.on_hold, S.escalated, S.resolved}),
    S.assigned: frozenset({S.triaged, S.in_progress, S.pending, S.on_hold, S.escalated, S.resolved}),
    S.in_progress: frozenset({S.triaged, S.assigned, S.pending, S.on_hold, S.escalated, S.resolved}),
    S.pending: frozenset({S.triaged, S.assigned, S.in_progress, S.on_hold, S.escalated, S.resolved}),
    S.on_hold: frozenset({S.triaged, S.assigned, S.in_progress, S.pending, S.escalated, S.resolved}),
    S.escalated: frozenset({S.engineering, S.assigned, S.in_progress, S.pending, S.on_hold, S.resolved}),
    S.engineering: frozenset({S.escalated, S.assigned, S.in_progress, S.pending, S.on_hold, S.resolved}),
    S.resolved: frozenset({S.triaged, S.assigned, S.in_progress, S.closed}),
    S.closed: frozenset(),
}

NEEDS_ASSIGNEE = frozenset({S.assigned, S.in_progress, S.resolved})

# A customer's public reply moves these back into the agents' court.
REOPENED_BY_CUSTOMER_REPLY = frozenset({S.pending, S.on_hold, S.resolved})


def category(status: Status) -> StatusCategory:
    return STATUS_CATEGORY[status]


def allowed(current: Status, *, has_assignee: bool) -> list[Status]:
    """The statuses reachable from ``current`` now, in lifecycle order."""
    order = list(Status)
    targets = [t for t in TRANSITIONS[current] if has_assignee or t not in NEEDS_ASSIGNEE]
    return sorted(targets, key=order.index)


def why_not(current: Status, target: Status, *, has_assignee: bool) -> str | None:
    """None when the move is legal, else a sentence saying why and what is allowed."""
    if target == current:
        return f"The ticket is already {current.value}."
    if target not in TRANSITIONS[current]:
        options = allowed(current, has_assignee=has_assignee)
        if current == S.closed:
            return "A closed ticket is final; reply to it to open a linked follow-up ticket."
        if target == S.new:
            reason = "A ticket never returns to new."
        else:
            reason = f"A ticket cannot move from {current.value} to {target.value}."
        return f"{reason} Allowed from {current.value}: {', '.join(o.value for o in options)}."
    if target in NEEDS_ASSIGNEE and not has_assignee:
        return f"Moving to {target.value} needs an assignee; assign the ticket first."
    return None


def is_reopen(old: Status, new: Status) -> bool:
    """Leaving ``resolved`` for an open status is a reopen, counted in the reopen rate."""
    return old == S.resolved and new != S.closed and category(new) != StatusCategory.solved


def after_customer_reply(current: Status, *, has_assignee: bool) -> Status | None:
    """Where a customer's public reply moves the ticket, or None when it stays."""
    if current in REOPENED_BY_CUSTOMER_REPLY:
        return S.in_progress if has_assignee else S.triaged
    return None


def after_agent_reply(current: Status) -> Status | None:
    """An agent answering a fresh ticket has started work on it."""
    if current in (S.new, S.triaged, S.assigned):
        return S.in_progress
    return None


def after_assignment(current: Status, *, has_assignee: bool) -> Status | None:
    """Assigning a new or triaged ticket moves it to assigned; unassigning owned work un-owns it."""
    if has_assignee and current in (S.new, S.triaged):
        return S.assigned
    if not has_assignee and current in (S.assigned, S.in_progress):
        return S.triaged
    return None
