"""The demo's shared macros: the canned replies a help desk writes first, made through the macro
service like any other."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from supportops.auth.principal import SYSTEM
from supportops.macros import service as macros
from supportops.macros.enums import MacroVisibility
from supportops.macros.schemas import MacroActions, MacroCreate
from supportops.tickets.enums import Status

MACROS: tuple[tuple[str, str, MacroActions], ...] = (
    (
        "Password reset instructions",
        "Hi {{requester.first_name}},\n\n"
        "You can reset your password yourself: open the sign-in page, choose **Forgot password** and "
        "follow the link we email to {{requester.email}}. The link works for one hour.\n\n"
        "If the email does not arrive within a few minutes, check your spam folder and reply here.\n\n"
        "Best,\n{{agent.first_name}}",
        MacroActions(status=Status.pending, add_tags=["password-reset"]),
    ),
    (
        "Need more information",
        "Hi {{requester.first_name}},\n\n"
        'Thanks for writing in about "{{ticket.subject}}". To look into it we need a little more: '
        "the steps that lead to the problem, what you expected to happen, and a screenshot if you "
        "have one.\n\n"
        "We'll pick ticket #{{ticket.id}} up again as soon as you reply.\n\n"
        "{{agent.name}}",
        MacroActions(status=Status.pending, add_tags=["needs-info"]),
    ),
    (
        "Refund issued",
        "Hi {{requester.first_name}},\n\n"
        "We've issued your refund. It reaches your statement within 5-10 business days, depending on "
        "your bank.\n\n"
        "Sorry for the trouble, and thanks for your patience.\n\n"
        "{{agent.name}}",
        MacroActions(status=Status.resolved, add_tags=["refund"]),
    ),
    (
        "Escalated to our specialists",
        "Hi {{requester.first_name}},\n\n"
        "We've passed ticket #{{ticket.id}} to our specialist team, who will get back to you here. "
        "You don't need to do anything in the meantime.\n\n"
        "{{agent.name}}",
        MacroActions(add_tags=["escalated"]),
    ),
)


def seed_macros(session: Session, *, now: datetime) -> list[int]:
    """The shared macros of the demo help desk; their ids."""
    return [
        macros.create_macro(
            session,
            actor=SYSTEM,
            data=MacroCreate(
                title=title, body=body, actions=actions, visibility=MacroVisibility.shared, position=i * 10
            ),
            now=now,
        ).id
        for i, (title, body, actions) in enumerate(MACROS)
    ]
