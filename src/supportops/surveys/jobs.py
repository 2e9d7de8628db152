"""The NPS relationship survey runs as a durable job once a day and schedules its next run itself.

Each day has one job (its dedupe key names the date), so however many processes ensure the
schedule, or however late a run is, a day runs once; a run that finds more customers than fit in
one batch continues in a follow-up job at once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from supportops.config import get_settings
from supportops.jobs import service as jobs
from supportops.surveys import service

NPS_JOB = "surveys.nps"


def _day_key(day: date) -> str:
    return f"{NPS_JOB}:{day.isoformat()}"


def ensure_scheduled(session: Session, *, now: datetime) -> None:
    """Make sure today's run exists (a no-op when it is queued or done already); the worker and
    the app call this when they start, and each run schedules the next."""
    today = now.astimezone(UTC).date()
    jobs.enqueue(session, kind=NPS_JOB, payload={"after_id": 0}, now=now, dedupe_key=_day_key(today))


@jobs.handler(NPS_JOB)
def run_nps(session: Session, payload: dict[str, Any], now: datetime) -> None:
    after_id = int(payload.get("after_id", 0))
    run = service.send_nps(session, now=now, settings=get_settings(), after_id=after_id)
    if run.last_customer_id is not None:
        jobs.enqueue(
            session,
            kind=NPS_JOB,
            payload={"after_id": run.last_customer_id},
            now=now,
            dedupe_key=f"{_day_key(now.astimezone(UTC).date())}:after:{run.last_customer_id}",
        )
    if after_id == 0:
        tomorrow = now.astimezone(UTC).date() + timedelta(days=1)
        jobs.enqueue(
            session,
            kind=NPS_JOB,
            payload={"after_id": 0},
            now=now,
            run_at=datetime.combine(tomorrow, time(3, 0), tzinfo=UTC),
            dedupe_key=_day_key(tomorrow),
        )
