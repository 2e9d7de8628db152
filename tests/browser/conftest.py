"""A live server for browser tests: the app on a free port in a thread, over a demo database, and
Debian's Chromium through Playwright (a missing Chromium fails the run under CI=true)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn

from supportops.app import create_app
from supportops.config import Settings
from supportops.db.session import Database
from supportops.demo import generator
from supportops.kit.clock import FrozenClock

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = "no /usr/bin/chromium (Debian package chromium): the browser tests cannot run"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="module")
def live_db(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The demo database the live server serves; tests may add rows through it."""
    path = tmp_path_factory.mktemp("browser") / "demo.db"
    shutil.copy(sqlite_template, path)
    db = Database.from_url(f"sqlite:///{path}", pool_size=5)
    yield db
    db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(live_db: Database) -> Iterator[str]:
    db = live_db
    path = db.engine.url.database
    generator.load(db, tickets=300, seed=5, now=NOW)
    settings = Settings(database_url=f"sqlite:///{path}", run_worker_in_serve=False, metrics_cache_dir=None)
    app = create_app(settings, clock=FrozenClock(NOW), db=db, run_worker=False)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
