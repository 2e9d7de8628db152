"""Knowledge-base tests: a team, and helpers that go through the API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from supportops.db.session import Database
from tests.factories import Person, Team, make_team


@pytest.fixture
def team(db: Database, clock: Any) -> Team:
    return make_team(db, clock.now())


def create(client: TestClient, author: Person, **fields: Any) -> dict[str, Any]:
    body = {"visibility": "public", "status": "published", **fields}
    response = client.post("/api/v1/kb/articles", json=body, headers=author.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def suggest(
    client: TestClient, subject: str, description: str = "", who: Person | None = None
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/kb/suggest",
        json={"subject": subject, "description": description},
        headers=who.headers if who else {},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
