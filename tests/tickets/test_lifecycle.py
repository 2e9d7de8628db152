"""The lifecycle state machine, checked exhaustively and by random walks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from supportops.tickets import lifecycle
from supportops.tickets.enums import Status


def test_no_status_leads_back_to_new() -> None:
    for status in Status:
        assert Status.new not in lifecycle.TRANSITIONS[status]
        if status != Status.new:
            assert lifecycle.why_not(status, Status.new, has_assignee=True) is not None


def test_closed_is_final() -> None:
    assert lifecycle.allowed(Status.closed, has_assignee=True) == []
    message = lifecycle.why_not(Status.closed, Status.in_progress, has_assignee=True)
    assert message is not None and "follow-up" in message


def test_closed_is_reached_only_from_resolved() -> None:
    sources = {s for s, targets in lifecycle.TRANSITIONS.items() if Status.closed in targets}
    assert sources == {Status.resolved}


def test_resolving_needs_an_assignee() -> None:
    assert lifecycle.why_not(Status.in_progress, Status.resolved, has_assignee=False) is not None
    assert lifecycle.why_not(Status.pending, Status.resolved, has_assignee=True) is None
    assert Status.resolved not in lifecycle.allowed(Status.triaged, has_assignee=False)


def test_illegal_move_names_the_allowed_ones() -> None:
    message = lifecycle.why_not(Status.resolved, Status.pending, has_assignee=True)
    assert message is not None
    assert "in_progress" in message and "closed" in message


def test_customer_reply_reopens_pending_on_hold_and_resolved() -> None:
    for status in (Status.pending, Status.on_hold, Status.resolved):
        assert lifecycle.after_customer_reply(status, has_assignee=True) == Status.in_progress
    assert lifecycle.after_customer_reply(Status.pending, has_assignee=False) == Status.triaged
    assert lifecycle.after_customer_reply(Status.in_progress, has_assignee=True) is None


def test_only_leaving_resolved_for_open_work_is_a_reopen() -> None:
    assert lifecycle.is_reopen(Status.resolved, Status.in_progress)
    assert not lifecycle.is_reopen(Status.resolved, Status.closed)
    assert not lifecycle.is_reopen(Status.pending, Status.in_progress)


def test_every_automatic_move_is_a_legal_transition() -> None:
    for status in Status:
        for has_assignee in (True, False):
            for move in (
                lifecycle.after_customer_reply(status, has_assignee=has_assignee),
                lifecycle.after_assignment(status, has_assignee=has_assignee),
            ):
                if move is not None:
                    assert lifecycle.why_not(status, move, has_assignee=has_assignee) is None
        move = lifecycle.after_agent_reply(status)
        if move is not None:
            assert lifecycle.why_not(status, move, has_assignee=True) is None


@given(st.lists(st.tuples(st.sampled_from(list(Status)), st.booleans()), max_size=40))
def test_random_walk_never_escapes_the_rules(steps: list[tuple[Status, bool]]) -> None:
    current = Status.new
    seen_closed = False
    for target, has_assignee in steps:
        if lifecycle.why_not(current, target, has_assignee=has_assignee) is None:
            assert target in lifecycle.allowed(current, has_assignee=has_assignee)
            assert not seen_closed
            if target in lifecycle.NEEDS_ASSIGNEE:
                assert has_assignee
            current = target
            seen_closed = current == Status.closed
        else:
            assert target not in lifecycle.allowed(current, has_assignee=has_assignee)
    assert current != Status.new or not any(
        lifecycle.why_not(Status.new, t, has_assignee=a) is None for t, a in steps
    )
