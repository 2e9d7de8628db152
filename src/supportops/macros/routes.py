"""HTTP for macros: staff list, write and apply them; shared ones are written by leads and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response, status

from supportops.auth.deps import CurrentCtx
from supportops.kit.pagination import MAX_LIMIT
from supportops.macros import service
from supportops.macros.schemas import (
    MacroApplied,
    MacroApply,
    MacroCreate,
    MacroPage,
    MacroPreview,
    MacroRead,
    MacroUpdate,
)

router = APIRouter(prefix="/macros", tags=["macros"])
ticket_router = APIRouter(prefix="/tickets", tags=["macros"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


@router.get("")
def list_macros(
    ctx: CurrentCtx, cursor: Annotated[str | None, Query(max_length=200)] = None, limit: Limit = 100
) -> MacroPage:
    """The shared macros and your personal ones, by position."""
    with ctx.read() as session:
        page = service.list_macros(session, actor=ctx.principal, cursor=cursor, limit=limit)
    return MacroPage(items=list(page.items), next_cursor=page.next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_macro(data: MacroCreate, ctx: CurrentCtx, response: Response) -> MacroRead:
    """A personal macro (any staff member) or a shared one (leads and admins). An unknown
    placeholder in the body gets 422 naming it."""
    with ctx.write() as session:
        read = service.create_macro(
            session, actor=ctx.principal, data=data, now=ctx.now, settings=ctx.settings
        )
    response.headers["Location"] = f"/api/v1/macros/{read.id}"
    return read


@router.get("/{macro_id}")
def get_macro(macro_id: Id, ctx: CurrentCtx) -> MacroRead:
    with ctx.read() as session:
        return service.get_macro(session, actor=ctx.principal, macro_id=macro_id)


@router.put("/{macro_id}")
def update_macro(macro_id: Id, data: MacroUpdate, ctx: CurrentCtx) -> MacroRead:
    with ctx.write() as session:
        return service.update_macro(
            session, actor=ctx.principal, macro_id=macro_id, data=data, now=ctx.now, settings=ctx.settings
        )


@router.delete("/{macro_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_macro(macro_id: Id, ctx: CurrentCtx) -> None:
    with ctx.write() as session:
        service.delete_macro(session, actor=ctx.principal, macro_id=macro_id)


@ticket_router.post("/{ticket_id}/macros/{macro_id}/preview")
def preview(ticket_id: Id, macro_id: Id, ctx: CurrentCtx) -> MacroPreview:
    """The body rendered for this ticket and the changes the macro would make; nothing is saved."""
    with ctx.read() as session:
        return service.preview(session, actor=ctx.principal, ticket_id=ticket_id, macro_id=macro_id)


@ticket_router.post("/{ticket_id}/macros/{macro_id}/apply", status_code=status.HTTP_201_CREATED)
def apply(
    ticket_id: Id, macro_id: Id, ctx: CurrentCtx, data: Annotated[MacroApply | None, Body()] = None
) -> MacroApplied:
    """Post the rendered reply (``{"public": false}``: an internal note) and apply the macro's
    status, priority and tags, all or nothing: an illegal status move gets 409 and changes nothing."""
    with ctx.write() as session:
        landed = service.apply(
            session,
            actor=ctx.principal,
            ticket_id=ticket_id,
            macro_id=macro_id,
            data=data or MacroApply(),
            now=ctx.now,
            settings=ctx.settings,
        )
    return service.applied_view(landed, staff=ctx.principal.is_staff)
