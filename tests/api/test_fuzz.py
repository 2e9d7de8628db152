"""No input causes a 500: arbitrary JSON bodies, query strings and headers against every write and
list endpoint, on a database seeded with a small team and a ticket."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportops.app import create_app
from supportops.config import Settings
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from tests.conftest import START
from tests.factories import Team, make_team

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=300)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=5),
    max_leaves=12,
)
FIELDS = [
    "subject",
    "description",
    "priority",
    "severity",
    "channel",
    "category",
    "tags",
    "custom_fields",
    "requester_id",
    "requester_email",
    "assignee_id",
    "group_id",
    "body",
    "public",
    "status",
    "to",
    "email",
    "name",
    "role",
    "organization_id",
    "password",
    "timezone",
    "group_ids",
    "tier",
    "member_ids",
    "scopes",
    "expires_at",
    "seconds",
    "started_at",
    "shared_tickets",
    "language",
    "definition",
    "conditions",
    "targets",
    "pauses",
    "warn_share",
    "breach_actions",
    "position",
    "calendar_id",
    "active",
    "actions",
    "note",
    "to_group_id",
    "presence",
    "capacity",
    "languages",
    "shift_calendar_id",
    "auto_assign",
    "field",
    "text",
]
bodies = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6) | json_values

WRITES = [
    ("post", "/api/v1/tickets"),
    ("patch", "/api/v1/tickets/{id}"),
    ("post", "/api/v1/tickets/{id}/transitions"),
    ("post", "/api/v1/tickets/{id}/messages"),
    ("post", "/api/v1/tickets/{id}/time"),
    ("post", "/api/v1/users"),
    ("patch", "/api/v1/users/{agent}"),
    ("post", "/api/v1/groups"),
    ("post", "/api/v1/organizations"),
    ("post", "/api/v1/tokens"),
    ("patch", "/api/v1/groups/{group}"),
    ("post", "/api/v1/sla/calendars"),
    ("post", "/api/v1/sla/policies"),
    ("put", "/api/v1/sla/policies/1"),
    ("post", "/api/v1/triage/rules"),
    ("post", "/api/v1/triage/models"),
    ("post", "/api/v1/triage/predict"),
    ("patch", "/api/v1/agents/{agent}"),
    ("put", "/api/v1/agents/me/presence"),
    ("post", "/api/v1/tickets/{id}/escalations"),
    ("post", "/api/v1/tickets/{id}/deescalations"),
    ("post", "/api/v1/notifications/1/read"),
    ("post", "/api/v1/kb/articles"),
    ("patch", "/api/v1/kb/articles/1"),
    ("post", "/api/v1/kb/articles/1/vote"),
    ("post", "/api/v1/kb/articles/1/links"),
    ("post", "/api/v1/kb/articles/1/reply"),
    ("post", "/api/v1/kb/articles/from-ticket"),
    ("post", "/api/v1/kb/suggest"),
    ("post", "/api/v1/kb/searches/1/click"),
    ("post", "/api/v1/kb/searches/1/outcome"),
    ("post", "/api/v1/kb/categories"),
    ("patch", "/api/v1/kb/categories/1"),
    ("put", "/api/v1/kb/settings"),
]
LIST_PARAMS = [
    "status",
    "priority",
    "assignee_id",
    "unassigned",
    "group_id",
    "requester_id",
    "organization_id",
    "updated_since",
    "q",
    "cursor",
    "limit",
    "sla",
    "order",
    "tag",
    "since",
    "until",
    "unread",
    "volume",
    "handle_minutes",
    "hours",
    "utilization",
    "service_level",
    "within_minutes",
    "shrinkage",
    "from",
    "to",
    "days",
    "stale",
    "owner_id",
    "category_id",
]


@pytest.fixture(scope="module")
def fuzz_env(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Team, int]]:
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    shutil.copy(sqlite_template, path)
    db = Database.from_url(f"sqlite:///{path}")
    clock = FrozenClock(START)
    team = make_team(db, clock.now())
    app = create_app(Settings(run_worker_in_serve=False), clock=clock, db=db, run_worker=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        ticket = client.post(
            "/api/v1/tickets", json={"subject": "seed"}, headers=team.customer.headers
        ).json()
        # article 1, category 1 and search 1 for the knowledge-base endpoints
        client.post("/api/v1/kb/categories", json={"name": "Seed"}, headers=team.admin.headers)
        client.post(
            "/api/v1/kb/articles",
            json={"title": "Seed article", "body": "Seed body.", "status": "published"},
            headers=team.agent.headers,
        )
        client.post("/api/v1/kb/suggest", json={"subject": "seed article"}, headers=team.customer.headers)
        yield client, team, ticket["id"]
    db.engine.dispose()


def _check(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(WRITES), body=bodies, who=st.sampled_from(["admin", "agent", "customer"]))
def test_arbitrary_bodies_never_cause_a_server_error(
    fuzz_env: tuple[TestClient, Team, int], endpoint: tuple[str, str], body: Any, who: str
) -> None:
    client, team, ticket_id = fuzz_env
    method, path = endpoint
    url = path.format(id=ticket_id, agent=team.agent.id, group=team.l1)
    person = getattr(team, who)
    try:
        payload = json.dumps(body, allow_nan=True)
    except (ValueError, OverflowError):
        payload = "{}"
    response = client.request(
        method, url, content=payload, headers={**person.headers, "content-type": "application/json"}
    )
    _check(response)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.dictionaries(st.sampled_from(LIST_PARAMS), st.text(max_size=60), max_size=5),
    if_match=st.one_of(st.none(), st.text(max_size=30)),
    path=st.sampled_from(
        [
            "/api/v1/tickets",
            "/api/v1/users",
            "/api/v1/groups",
            "/api/v1/organizations",
            "/api/v1/tickets/{id}/timeline",
            "/api/v1/tickets/{id}/messages",
            "/api/v1/tickets/{id}/sla",
            "/api/v1/tickets/{id}/sla/events",
            "/api/v1/sla/compliance",
            "/api/v1/sla/policies",
            "/api/v1/reports/tiers",
            "/api/v1/capacity",
            "/api/v1/agents",
            "/api/v1/notifications",
            "/api/v1/triage/models",
            "/api/v1/kb/articles",
            "/api/v1/kb/search",
            "/api/v1/kb/analytics",
            "/api/v1/kb/gaps",
            "/api/v1/kb/categories",
        ]
    ),
)
def test_arbitrary_queries_never_cause_a_server_error(
    fuzz_env: tuple[TestClient, Team, int], params: dict[str, str], if_match: str | None, path: str
) -> None:
    client, team, ticket_id = fuzz_env
    _check(client.get(path.format(id=ticket_id), params=params, headers=team.agent.headers))
    headers = {**team.agent.headers}
    if if_match is not None and if_match.isprintable() and if_match.isascii():
        headers["If-Match"] = if_match
    _check(client.patch(f"/api/v1/tickets/{ticket_id}", json={"category": "x"}, headers=headers))
