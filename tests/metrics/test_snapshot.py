"""The columnar copy of the report facts: deltas give what a full read gives, the file round-trips,
and a copy that cannot be brought up to date by deltas is rebuilt."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.metrics import snapshot as snap
from tests.factories import Team, make_team


@pytest.fixture
def team(db: Database, clock: FrozenClock) -> Team:
    return make_team(db, clock.now())


def _ticket(client: TestClient, team: Team) -> str:
    body = {"subject": "Export fails", "requester_id": team.customer.id, "group_id": team.l1}
    resp = client.post("/api/v1/tickets", json=body, headers=team.lead.headers)
    assert resp.status_code == 201, resp.text
    return f"/api/v1/tickets/{resp.json()['id']}"


def _same(a: snap.Snapshot, b: snap.Snapshot) -> None:
    """Equal as sets of facts: tickets by id, clocks, ratings and time entries in any order."""
    for name in ("id", "created", "first_response", "last_resolved", "updated", "reopens", "replies"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in ("status", "priority", "channel", "category", "max_tier"):
        left = [a.labels[name][c] for c in getattr(a, name)]
        right = [b.labels[name][c] for c in getattr(b, name)]
        assert left == right, name

    def clocks(s: snap.Snapshot) -> list[tuple[Any, ...]]:
        return sorted(
            zip(
                s.clock_ticket.tolist(),
                s.clock_metric.tolist(),
                np.nan_to_num(s.clock_fulfilled, nan=-1).tolist(),
                np.nan_to_num(s.clock_breached, nan=-1).tolist(),
                strict=True,
            )
        )

    assert clocks(a) == clocks(b)
    assert sorted(zip(a.rating_id.tolist(), a.rating_score.tolist(), strict=True)) == sorted(
        zip(b.rating_id.tolist(), b.rating_score.tolist(), strict=True)
    )
    assert sorted(a.time_id.tolist()) == sorted(b.time_id.tolist())


def test_deltas_give_what_a_full_read_gives(
    client: TestClient, db: Database, clock: FrozenClock, team: Team
) -> None:
    first = _ticket(client, team)
    with db.unit_of_work(write=False) as session:
        copy = snap.build(session)
    assert copy.tickets == 1 and len(copy.clock_ticket) >= 2
    clock.advance(timedelta(hours=3))
    second = _ticket(client, team)
    for url in (first, second):
        client.post(f"{url}/messages", json={"body": "On it."}, headers=team.agent.headers)
        client.post(f"{url}/time", json={"seconds": 600}, headers=team.agent.headers)
    clock.advance(timedelta(minutes=30))
    client.post(
        f"{first}/messages", json={"body": "Fixed.", "status": "resolved"}, headers=team.agent.headers
    )
    with db.unit_of_work(write=False) as session:
        updated, changed = snap.refresh(session, copy)
        fresh = snap.build(session)
    assert changed == 2
    _same(updated, fresh)
    assert updated.tickets == 2 and np.isfinite(updated.last_resolved).sum() == 1
    assert len(updated.time_id) == 2


def test_the_file_round_trips_and_a_broken_file_is_ignored(
    client: TestClient, db: Database, team: Team, tmp_path: Path
) -> None:
    _ticket(client, team)
    with db.unit_of_work(write=False) as session:
        copy = snap.build(session)
    path = tmp_path / "facts.cols"
    snap.save(copy, path)
    loaded = snap.load(path)
    assert loaded is not None
    _same(loaded, copy)
    assert loaded.ticket_mark == copy.ticket_mark and loaded.labels == copy.labels
    path.write_bytes(b"not a snapshot")
    assert snap.load(path) is None
    assert snap.load(tmp_path / "missing.cols") is None


def test_a_new_generation_or_vanished_rows_force_a_rebuild(
    client: TestClient, db: Database, clock: FrozenClock, team: Team
) -> None:
    _ticket(client, team)
    with db.unit_of_work(write=False) as session:
        copy = snap.build(session)
    with db.unit_of_work() as session:
        snap.invalidate(session, now=clock.now())
    with db.unit_of_work(write=False) as session:
        rebuilt, changed = snap.refresh(session, copy)
    assert changed == -1 and rebuilt.generation == copy.generation + 1
    # A copy holding a ticket the database no longer has (a restore from backup, say).
    for name in snap._TICKET_ARRAYS:
        column = getattr(rebuilt, name)
        setattr(rebuilt, name, np.concatenate((column, column[:1] + (10_000 if name == "id" else 0))))
    with db.unit_of_work(write=False) as session:
        reread, changed = snap.refresh(session, rebuilt)
    assert changed == -1 and reread.tickets == 1


def test_the_store_saves_and_reuses_its_file(
    client: TestClient, db: Database, team: Team, tmp_path: Path
) -> None:
    _ticket(client, team)
    store = snap.Store(tmp_path)
    with db.unit_of_work(write=False) as session:
        first = store.current(session)
    files = list(tmp_path.glob("facts-*.cols"))
    assert len(files) == 1
    store.forget()
    _ticket(client, team)
    with db.unit_of_work(write=False) as session:
        second = snap.Store(tmp_path).current(session)
    assert first.tickets == 1 and second.tickets == 2
