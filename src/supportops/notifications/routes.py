"""HTTP for the caller's notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from supportops.auth.deps import CurrentCtx
from supportops.notifications import service
from supportops.notifications.service import NotificationRead

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("")
def list_notifications(
    ctx: CurrentCtx,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[NotificationRead]:
    """The caller's notifications, newest first."""
    with ctx.read() as session:
        return service.inbox(session, actor=ctx.principal, unread_only=unread, limit=limit)


@router.post("/{notification_id}/read")
def mark_read(notification_id: Annotated[int, Path(ge=1, le=2**63 - 1)], ctx: CurrentCtx) -> NotificationRead:
    with ctx.write() as session:
        return service.mark_read(session, actor=ctx.principal, notification_id=notification_id, now=ctx.now)
