"""A server process moves its long-lived objects (modules, the suggestion index) out of the cycle
collector's reach once it has settled, so that a full collection does not pause a request."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from supportops.app import create_app
from supportops.config import Settings
from supportops.db.session import Database
from supportops.kit import longlived
from supportops.kit.clock import FrozenClock
from supportops.knowledge import live
from tests.factories import Team
from tests.knowledge.conftest import create


@pytest.fixture
def enabled(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(longlived, "_enabled", True)
    yield
    gc.unfreeze()


def test_settle_freezes_only_in_a_server_process(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.unfreeze()
    longlived.settle()
    assert gc.get_freeze_count() == 0
    monkeypatch.setattr(longlived, "_enabled", True)
    try:
        longlived.settle()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_full_build_settles_and_a_refresh_does_not(
    enabled: None, monkeypatch: pytest.MonkeyPatch, client: TestClient, team: Team, db: Database
) -> None:
    settled: list[int] = []
    monkeypatch.setattr(longlived, "settle", lambda: settled.append(1))
    create(client, team.admin, title="Reset your password", body="Use the forgot password link.")
    live.forget()
    with db.unit_of_work(write=False) as session:
        live.current(session)
    assert settled == [1]
    create(client, team.admin, title="Export invoices", body="Download invoices as PDF from billing.")
    with db.unit_of_work(write=False) as session:
        live.changed(session)
        index, _ = live.current(session)
    assert settled == [1]  # the new article went into the overlay: no rebuild, nothing to settle
    assert len(index) == 2


def test_the_served_app_warms_the_index_and_settles_on_start(
    monkeypatch: pytest.MonkeyPatch, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    calls: list[str] = []
    done = threading.Event()

    def enable() -> None:
        calls.append("enable")
        done.set()

    monkeypatch.setattr(longlived, "enable", enable)
    monkeypatch.setattr("supportops.knowledge.service.warm_index", lambda session: calls.append("warm"))
    limits: list[dict[str, object]] = []
    monkeypatch.setattr("supportops.app.threadpool_limits", lambda **kw: limits.append(kw))
    app = create_app(settings, clock=clock, db=db, run_worker=False, warm_up=True)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert done.wait(10)
    assert calls == ["warm", "enable"]
    assert limits == [{"limits": 1, "user_api": "blas"}]  # a request's small products: one BLAS thread


def test_readyz_answers_503_until_the_process_has_warmed_up(
    monkeypatch: pytest.MonkeyPatch, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    release = threading.Event()
    monkeypatch.setattr(longlived, "enable", lambda: None)
    monkeypatch.setattr("supportops.knowledge.service.warm_index", lambda session: release.wait(10))
    monkeypatch.setattr("supportops.app.threadpool_limits", lambda **kw: None)
    app = create_app(settings, clock=clock, db=db, run_worker=False, warm_up=True)
    with TestClient(app) as client:
        waiting = client.get("/readyz")
        assert waiting.status_code == 503
        assert waiting.headers["content-type"].startswith("application/problem+json")
        assert "warming up" in waiting.json()["detail"]
        assert client.get("/healthz").status_code == 200  # alive all along
        release.set()
        deadline = time.monotonic() + 10
        while (ready := client.get("/readyz")).status_code != 200:
            assert time.monotonic() < deadline, ready.text
            time.sleep(0.01)
        assert ready.json() == {"status": "ready"}


def test_an_app_without_a_warm_up_is_ready_at_once(client: TestClient) -> None:
    assert client.get("/readyz").status_code == 200
