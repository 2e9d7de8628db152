"""Macro use cases: keep shared and personal macros, render one for a ticket, and apply it: the
reply (or note) and the ticket changes it carries, in the caller's one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from supportops.auth import service as accounts
from supportops.auth.principal import Principal
from supportops.config import Settings, get_settings
from supportops.kit.errors import Forbidden, InvalidInput, NotFound
from supportops.kit.pagination import Page, decode_cursor, encode_cursor
from supportops.macros import placeholders, repository
from supportops.macros.enums import MacroVisibility
from supportops.macros.errors import EmptyRendering, MacroNotFound, MacroTitleTaken, UnknownPlaceholder
from supportops.macros.models import Macro
from supportops.macros.schemas import (
    MacroActions,
    MacroApplied,
    MacroApply,
    MacroCreate,
    MacroPreview,
    MacroRead,
    MacroUpdate,
)
from supportops.tickets import service as tickets
from supportops.tickets.enums import PRIORITIES, Status
from supportops.tickets.models import Ticket
from supportops.tickets.schemas import MessageCreate, TicketUpdate


def _read(macro: Macro) -> MacroRead:
    return MacroRead(
        id=macro.id,
        title=macro.title,
        body=macro.body,
        actions=MacroActions.model_validate(macro.actions),
        visibility=MacroVisibility(macro.visibility),
        owner_id=macro.owner_id,
        position=macro.position,
        placeholders=[p for p in placeholders.used(macro.body) if p in placeholders.KNOWN],
        created_at=macro.created_at,
        updated_at=macro.updated_at,
    )


def _visible(session: Session, *, actor: Principal, macro_id: int) -> Macro:
    actor.require_staff("use macros")
    macro = repository.get(session, macro_id, principal=actor)
    if macro is None:
        raise MacroNotFound(macro_id)
    return macro


def _may_keep(actor: Principal, visibility: MacroVisibility) -> None:
    """Leads and admins keep the shared macros; every agent keeps their own."""
    if visibility == MacroVisibility.shared:
        if not actor.is_manager:
            raise Forbidden("Only leads and admins can create or change shared macros.", field="visibility")
    elif actor.user_id is None:
        raise Forbidden("Personal macros belong to a person; make this one shared.", field="visibility")


def _check(
    session: Session, *, data: MacroCreate, scope: str, settings: Settings, keep_id: int | None = None
) -> None:
    unknown = placeholders.unknown(data.body)
    if unknown:
        raise UnknownPlaceholder(unknown, placeholders.PLACEHOLDERS)
    priority = data.actions.priority
    allowed = PRIORITIES[settings.priority_scheme]
    if priority is not None and priority not in allowed:
        raise InvalidInput(
            f"Priority {priority} is not in this help desk's scheme; use one of {', '.join(allowed)}.",
            field="actions.priority",
        )
    same = repository.by_title(session, scope=scope, title=data.title)
    if same is not None and same.id != keep_id:
        raise MacroTitleTaken(data.title, shared=data.visibility == MacroVisibility.shared)


def list_macros(session: Session, *, actor: Principal, cursor: str | None, limit: int) -> Page[MacroRead]:
    """The shared macros and the caller's personal ones, by position."""
    actor.require_staff("use macros")
    after = None
    if cursor:
        position = decode_cursor(cursor, keys=["position", "after"])
        after = (int(position["position"]), int(position["after"]))
    rows = repository.list_page(session, principal=actor, after=after, limit=limit + 1)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor({"position": last.position, "after": last.id})
    return Page(items=[_read(m) for m in rows[:limit]], next_cursor=next_cursor)


def get_macro(session: Session, *, actor: Principal, macro_id: int) -> MacroRead:
    return _read(_visible(session, actor=actor, macro_id=macro_id))


def create_macro(
    session: Session, *, actor: Principal, data: MacroCreate, now: datetime, settings: Settings | None = None
) -> MacroRead:
    actor.require_staff("create macros")
    _may_keep(actor, data.visibility)
    scope = repository.scope_of(data.visibility, actor.user_id)
    _check(session, data=data, scope=scope, settings=settings or get_settings())
    macro = Macro(
        title=data.title,
        title_key=data.title.lower(),
        body=data.body,
        actions=data.actions.model_dump(mode="json"),
        visibility=data.visibility.value,
        scope=scope,
        owner_id=actor.user_id,
        position=data.position,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, macro)
    return _read(macro)


def _writable(session: Session, *, actor: Principal, macro_id: int) -> Macro:
    macro = _visible(session, actor=actor, macro_id=macro_id)
    _may_keep(actor, MacroVisibility(macro.visibility))
    return macro


def update_macro(
    session: Session,
    *,
    actor: Principal,
    macro_id: int,
    data: MacroUpdate,
    now: datetime,
    settings: Settings | None = None,
) -> MacroRead:
    """Replace a macro. Making a personal macro shared needs a lead or an admin; a shared macro made
    personal becomes the caller's."""
    macro = _writable(session, actor=actor, macro_id=macro_id)
    _may_keep(actor, data.visibility)
    owner_id = macro.owner_id
    if data.visibility != macro.visibility and data.visibility == MacroVisibility.personal:
        owner_id = actor.user_id
    scope = repository.scope_of(data.visibility, owner_id)
    _check(session, data=data, scope=scope, settings=settings or get_settings(), keep_id=macro.id)
    macro.title, macro.title_key, macro.body = data.title, data.title.lower(), data.body
    macro.actions = data.actions.model_dump(mode="json")
    macro.visibility, macro.scope, macro.owner_id = data.visibility.value, scope, owner_id
    macro.position, macro.updated_at = data.position, now
    session.flush()
    return _read(macro)


def delete_macro(session: Session, *, actor: Principal, macro_id: int) -> None:
    repository.delete(session, _writable(session, actor=actor, macro_id=macro_id))


# --- on a ticket -------------------------------------------------------------------------------


def _values(session: Session, *, actor: Principal, ticket: Ticket) -> dict[str, str]:
    requester = accounts.users_by_id(session, [ticket.requester_id]).get(ticket.requester_id)
    organization_id = ticket.organization_id or (requester.organization_id if requester else None)
    organization = ""
    if organization_id is not None:
        try:
            organization = accounts.get_organization(session, actor=actor, org_id=organization_id).name
        except NotFound:
            organization = ""
    requester_name = requester.name if requester else ""
    return {
        "ticket.id": str(ticket.id),
        "ticket.subject": ticket.subject,
        "ticket.status": Status(ticket.status).value.replace("_", " "),
        "ticket.priority": ticket.priority,
        "requester.name": requester_name,
        "requester.first_name": placeholders.first_name(requester_name),
        "requester.email": requester.email if requester else "",
        "organization.name": organization,
        "agent.name": actor.name,
        "agent.first_name": placeholders.first_name(actor.name),
    }


def _rendered(session: Session, *, actor: Principal, macro: Macro, ticket: Ticket) -> str:
    return placeholders.render(macro.body, _values(session, actor=actor, ticket=ticket))


def preview(session: Session, *, actor: Principal, ticket_id: int, macro_id: int) -> MacroPreview:
    """What applying the macro would post on this ticket, and the changes it would make."""
    macro = _visible(session, actor=actor, macro_id=macro_id)
    ticket = tickets.get_ticket(session, actor=actor, ticket_id=ticket_id)
    return MacroPreview(
        body=_rendered(session, actor=actor, macro=macro, ticket=ticket),
        actions=MacroActions.model_validate(macro.actions),
    )


@dataclass(frozen=True)
class Landed:
    """Where an applied macro's reply landed: the ticket, or the follow-up it opened."""

    message_id: int
    ticket: Ticket
    follow_up_created: bool


def apply(
    session: Session,
    *,
    actor: Principal,
    ticket_id: int,
    macro_id: int,
    data: MacroApply,
    now: datetime,
    settings: Settings | None = None,
) -> Landed:
    """Post the rendered reply (or note), then apply the macro's priority, tags and status. Any
    refusal (an illegal status move, say) raises, and the caller's transaction undoes it all."""
    settings = settings or get_settings()
    macro = _visible(session, actor=actor, macro_id=macro_id)
    ticket = tickets.get_ticket(session, actor=actor, ticket_id=ticket_id, for_update=True)
    body = _rendered(session, actor=actor, macro=macro, ticket=ticket).strip()
    if not body:
        raise EmptyRendering(macro.title, ticket.id)
    message, landed, follow_up = tickets.add_message(
        session,
        actor=actor,
        ticket=ticket,
        data=MessageCreate(body=body, public=data.public),
        now=now,
        settings=settings,
    )
    actions = MacroActions.model_validate(macro.actions)
    changes: dict[str, object] = {}
    if actions.priority is not None and actions.priority != landed.priority:
        changes["priority"] = actions.priority
    tags = sorted(set(landed.tags) | set(actions.add_tags))
    if tags != sorted(landed.tags):
        changes["tags"] = tags
    if changes:
        tickets.update_ticket(
            session,
            actor=actor,
            ticket=landed,
            data=TicketUpdate.model_validate(changes),
            now=now,
            settings=settings,
        )
    if actions.status is not None and actions.status != landed.status:
        tickets.transition(session, actor=actor, ticket=landed, to=actions.status, now=now, settings=settings)
    return Landed(message_id=message.id, ticket=landed, follow_up_created=follow_up)


def applied_view(landed: Landed, *, staff: bool) -> MacroApplied:
    """The answer to an application; built after the commit, as the ticket's SLA summary is
    computed just before it."""
    return MacroApplied(
        message_id=landed.message_id,
        ticket=tickets.to_read(landed.ticket, staff=staff),
        follow_up_created=landed.follow_up_created,
    )
