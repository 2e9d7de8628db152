"""Every query on the macros table. ``readable`` decides who sees which macro."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from supportops.auth.principal import Principal
from supportops.macros.enums import MacroVisibility
from supportops.macros.models import Macro


def scope_of(visibility: MacroVisibility, owner_id: int | None) -> str:
    return "shared" if visibility == MacroVisibility.shared else f"user:{owner_id}"


def readable(principal: Principal) -> ColumnElement[bool]:
    """Shared macros, and the principal's own personal ones."""
    if principal.user_id is None:
        return Macro.scope == "shared"
    return Macro.scope.in_(["shared", scope_of(MacroVisibility.personal, principal.user_id)])


def get(session: Session, macro_id: int, *, principal: Principal) -> Macro | None:
    return session.scalar(select(Macro).where(Macro.id == macro_id, readable(principal)))


def by_title(session: Session, *, scope: str, title: str) -> Macro | None:
    return session.scalar(select(Macro).where(Macro.scope == scope, Macro.title_key == title.lower()))


def list_page(
    session: Session, *, principal: Principal, after: tuple[int, int] | None, limit: int
) -> Sequence[Macro]:
    """In (position, id) order, after the (position, id) a previous page ended on."""
    stmt = select(Macro).where(readable(principal))
    if after is not None:
        position, macro_id = after
        stmt = stmt.where(
            or_(Macro.position > position, and_(Macro.position == position, Macro.id > macro_id))
        )
    return session.scalars(stmt.order_by(Macro.position, Macro.id).limit(limit)).all()


def add(session: Session, row: Macro) -> None:
    session.add(row)
    session.flush()


def delete(session: Session, row: Macro) -> None:
    session.delete(row)
    session.flush()
