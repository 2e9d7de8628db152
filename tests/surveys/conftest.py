"""Survey tests sign links with a known secret, set in the environment so that the app's settings
and the settings event handlers and jobs read (``get_settings()``) agree."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from supportops.config import get_settings
from supportops.db.session import Database
from supportops.notifications.models import Notification
from supportops.surveys.models import CsatSurvey, NpsSurvey
from tests.factories import Person, Team, make_team

SECRET = "test-secret-for-survey-links-0123456789"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SUPPORTOPS_SECRET_KEY", SECRET)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def team(db: Database, clock: Any) -> Team:
    return make_team(db, clock.now())


def new_ticket(client: TestClient, requester: Person, subject: str = "Card not arriving") -> int:
    response = client.post(
        "/api/v1/tickets",
        json={"subject": subject, "description": "Ordered a week ago."},
        headers=requester.headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def resolve(client: TestClient, ticket_id: int, agent: Person, body: str = "Sent a new card.") -> None:
    response = client.post(
        f"/api/v1/tickets/{ticket_id}/messages",
        json={"body": body, "status": "resolved"},
        headers=agent.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["ticket"]["status"] == "resolved"


def csat_rows(db: Database, ticket_id: int | None = None) -> list[CsatSurvey]:
    with db.unit_of_work(write=False) as session:
        stmt = select(CsatSurvey).order_by(CsatSurvey.id)
        if ticket_id is not None:
            stmt = stmt.where(CsatSurvey.ticket_id == ticket_id)
        return list(session.scalars(stmt))


def nps_rows(db: Database) -> list[NpsSurvey]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(NpsSurvey).order_by(NpsSurvey.customer_id, NpsSurvey.id)))


def notifications_of(db: Database, user_id: int, kind: str) -> list[Notification]:
    with db.unit_of_work(write=False) as session:
        return list(
            session.scalars(
                select(Notification)
                .where(Notification.user_id == user_id, Notification.kind == kind)
                .order_by(Notification.id)
            )
        )


def link_of(db: Database, user_id: int, kind: str = "csat_survey") -> str:
    """The survey link of the customer's latest survey notification."""
    found = notifications_of(db, user_id, kind)
    assert found, f"no {kind} notification for user {user_id}"
    data = found[-1].data
    assert data is not None
    return str(data["url"])


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]
