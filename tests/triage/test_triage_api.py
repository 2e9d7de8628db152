"""Triage on ticket creation: rules first, then the classifier, with every decision on record."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from supportops.auth.principal import SYSTEM
from supportops.db.session import Database
from supportops.jobs import service as jobs
from supportops.kit.clock import FrozenClock
from supportops.triage import TrainedModel, embedding, service, train
from supportops.triage.models import TriageModel, TriageRule
from tests.factories import Team, make_team
from tests.triage.synthetic import WordVectors, tickets


@pytest.fixture
def team(db: Database, clock: FrozenClock) -> Team:
    return make_team(db, clock.now())


def _create(client: TestClient, team: Team, **body: Any) -> dict[str, Any]:
    resp = client.post(
        "/api/v1/tickets", json={"requester_id": team.customer.id, **body}, headers=team.agent.headers
    )
    assert resp.status_code == 201, resp.text
    return dict(client.get(f"/api/v1/tickets/{resp.json()['id']}", headers=team.agent.headers).json())


def _solve(client: TestClient, team: Team, texts: list[str], labels: list[str]) -> None:
    """Open and resolve one ticket per text, with its category set by a person."""
    for text, label in zip(texts, labels, strict=True):
        created = client.post(
            "/api/v1/tickets",
            json={"subject": text, "category": label, "assignee_id": team.agent.id},
            headers=team.agent.headers,
        ).json()
        client.post(
            f"/api/v1/tickets/{created['id']}/transitions",
            json={"to": "resolved"},
            headers=team.agent.headers,
        )


def _triage_events(client: TestClient, team: Team, ticket_id: int) -> list[dict[str, Any]]:
    items = client.get(f"/api/v1/tickets/{ticket_id}/timeline", headers=team.agent.headers).json()["items"]
    return [e for e in items if e.get("kind") == "triage"]


def test_rules_set_fields_in_order_and_are_recorded(client: TestClient, team: Team) -> None:
    skills = {"skills": {"billing": 4}}
    client.patch(f"/api/v1/users/{team.agent.id}", json=skills, headers=team.admin.headers)
    rules = [
        {
            "name": "Payments",
            "position": 1,
            "conditions": {"all": [{"field": "channel", "operator": "is", "value": "email"}]},
            "actions": {
                "category": "billing",
                "priority": "P3",
                "group_id": team.l1,
                "required_skills": {"billing": 3},
            },
        },
        {
            "name": "Email is urgent",
            "position": 2,
            "conditions": {"all": [{"field": "channel", "operator": "is", "value": "email"}]},
            "actions": {"priority": "P2", "language": "de"},
        },
    ]
    for rule in rules:
        assert client.post("/api/v1/triage/rules", json=rule, headers=team.admin.headers).status_code == 201
    ticket = _create(client, team, subject="Invoice wrong", channel="email")
    assert (ticket["category"], ticket["priority"], ticket["group_id"]) == ("billing", "P2", team.l1)
    assert ticket["custom_fields"] == {"required_skills": "billing:3", "language": "de"}
    assert _triage_events(client, team, ticket["id"])[0]["data"]["rules"] == ["Payments", "Email is urgent"]
    web = _create(client, team, subject="Invoice wrong", channel="web")
    assert web["category"] is None and _triage_events(client, team, web["id"]) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"actions": {"priority": "P9"}}, "priority"),
        ({"actions": {"group_id": 999}}, "group_id"),
        ({"actions": {"required_skills": {"billing": 7}}}, "required_skills"),
        ({"actions": {"required_skills": {"astrology": 2}}}, "No agent has the skill"),
        ({"actions": {"language": "German"}}, "language"),
        ({"conditions": {"all": [{"field": "mood", "operator": "is", "value": "x"}]}}, "field"),
    ],
)
def test_bad_rules_are_refused_and_nothing_is_saved(
    client: TestClient, team: Team, db: Database, change: dict[str, Any], field: str
) -> None:
    rule = {"name": "R", "position": 1, "actions": {"category": "billing"}, **change}
    resp = client.post("/api/v1/triage/rules", json=rule, headers=team.admin.headers)
    assert resp.status_code == 422 and field in resp.text, resp.text
    with db.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(TriageRule)) == 0
    assert (
        client.post(
            "/api/v1/triage/rules",
            json={"name": "R", "position": 1, "actions": {}},
            headers=team.agent.headers,
        ).status_code
        == 403
    )


def test_the_classifier_sets_confident_categories_and_queues_the_rest(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    texts, labels = tickets(30, seed=1)
    with db.unit_of_work() as session:
        service.store_model(
            session, model=train(texts, labels, seed=0), field="category", now=clock.now(), actor=SYSTEM
        )
    clear = _create(client, team, subject="refund invoice charge", description="payment billed twice")
    assert clear["category"] == "billing"
    event = _triage_events(client, team, clear["id"])[0]["data"]
    assert event["applied"] is True and event["model_version"] == 1 and event["confidence"] >= 0.7
    vague = _create(client, team, subject="hello", description="please help today")
    assert vague["category"] is None and "needs-triage" in vague["tags"]
    queue = client.get("/api/v1/tickets?tag=needs-triage", headers=team.agent.headers).json()["items"]
    assert [t["id"] for t in queue] == [vague["id"]]
    assert _triage_events(client, team, vague["id"])[0]["data"]["applied"] is False
    given = _create(client, team, subject="refund invoice", category="shipping")
    assert given["category"] == "shipping"  # a person's choice is never overridden


def test_retraining_from_solved_tickets_makes_a_new_active_version(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    too_few = client.post("/api/v1/triage/models", json={"field": "category"}, headers=team.admin.headers)
    assert too_few.status_code == 422 and "at least" in too_few.text
    texts, labels = tickets(8, seed=2)
    _solve(client, team, texts, labels)
    queued = client.post("/api/v1/triage/models", json={"field": "category"}, headers=team.admin.headers)
    assert queued.status_code == 202 and queued.json()["tickets"] == len(texts)
    assert client.post("/api/v1/triage/models", json={}, headers=team.agent.headers).status_code == 403
    jobs.run_due(db, clock=clock, worker="w")
    models = client.get("/api/v1/triage/models", headers=team.agent.headers).json()
    assert [(m["version"], m["active"], m["training_size"]) for m in models] == [(1, True, len(texts))]
    guess = client.post(
        "/api/v1/triage/predict", json={"text": "courier tracking parcel"}, headers=team.agent.headers
    )
    assert guess.status_code == 200 and guess.json()["label"] == "shipping"
    with db.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(TriageModel)) == 1


def test_with_an_embedder_provided_training_uses_it_and_the_model_needs_it(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    vectors = WordVectors()
    previous = embedding.provide(lambda: vectors)
    try:
        _solve(client, team, *tickets(10, seed=2))
        queued = client.post("/api/v1/triage/models", json={"field": "category"}, headers=team.admin.headers)
        assert queued.status_code == 202
        jobs.run_due(db, clock=clock, worker="w")
        guess = client.post(
            "/api/v1/triage/predict", json={"text": "courier tracking parcel"}, headers=team.agent.headers
        )
        assert guess.status_code == 200 and guess.json()["label"] == "shipping"
    finally:
        embedding.provide(previous)
    with db.unit_of_work(write=False) as session:
        data = session.scalar(select(TriageModel.data))
    stored = TrainedModel.from_bytes(bytes(data or b""), embedder=vectors)
    assert stored.embedding is not None and stored.embedding.model == vectors.name


@pytest.fixture
def no_embeddings() -> Iterator[None]:
    previous = embedding.provide(None)
    yield
    embedding.provide(previous)


@pytest.mark.usefixtures("no_embeddings")
def test_a_model_that_needs_missing_embeddings_is_not_used_and_says_what_to_install(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    model = train(*tickets(30, seed=1), seed=0, embedder=WordVectors())
    with db.unit_of_work() as session:
        service.store_model(session, model=model, field="category", now=clock.now(), actor=SYSTEM)
    ticket = _create(client, team, subject="refund invoice charge", description="payment billed twice")
    assert ticket["category"] is None and "needs-triage" not in ticket["tags"]
    assert _triage_events(client, team, ticket["id"]) == []
    guess = client.post("/api/v1/triage/predict", json={"text": "refund"}, headers=team.agent.headers)
    assert guess.status_code == 422 and "`semantic` extra" in guess.text, guess.text


def test_training_reads_only_the_newest_solved_tickets(
    client: TestClient, team: Team, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts, labels = tickets(12, seed=3)
    _solve(client, team, texts, labels)
    monkeypatch.setattr(service, "TRAINING_LIMIT", 5)
    with db.unit_of_work(write=False) as session:
        used, used_labels = service.training_set(session, "category")
    assert [t.split("\n")[0] for t in used] == texts[::-1][:5]  # the newest five, newest first
    assert used_labels == labels[::-1][:5]
