"""`supportops serve` as a real process, on SQLite and PostgreSQL: creates go through its writer
process, and a SIGTERM stops both processes and removes the socket folder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from supportops.cli.main import app
from supportops.config import get_settings
from supportops.db.session import Database
from supportops.tickets.models import Ticket

runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _writer_folders() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("supportops-writer-*"))


def test_a_served_database_takes_creates_through_its_writer_process(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = db.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("SUPPORTOPS_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        runner.invoke(app, ["users", "create", "--email", "s@example.com", "--name", "S", "--role", "admin"])
        token = (
            runner.invoke(app, ["tokens", "create", "--email", "s@example.com"])
            .stdout.strip()
            .splitlines()[-1]
        )
    finally:
        get_settings.cache_clear()
    before = _writer_folders()
    port = _free_port()
    env = {**os.environ, "SUPPORTOPS_DATABASE_URL": url}
    server = subprocess.Popen(  # noqa: S603 - this interpreter, our arguments
        [sys.executable, "-m", "supportops.cli.main", "serve", "--port", str(port), "--no-worker"], env=env
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not start"
            assert server.poll() is None, "serve ended"
            time.sleep(0.2)
        assert len(_writer_folders() - before) == 1  # its writer process listens

        headers = {"Authorization": f"Bearer {token}"}

        def create(i: int) -> httpx.Response:
            return httpx.post(f"{base}/api/v1/tickets", json={"subject": f"served {i}"}, headers=headers)

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(create, range(40)))
        refused = httpx.post(
            f"{base}/api/v1/tickets", json={"subject": "x", "group_id": 999999}, headers=headers
        )
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)

    assert [a.status_code for a in answers] == [201] * 40
    assert len({a.json()["id"] for a in answers}) == 40
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "group_id"
    assert code in (0, -signal.SIGTERM, 128 + signal.SIGTERM)
    assert _writer_folders() == before  # the writer process is stopped and its folder removed
    with db.unit_of_work(write=False) as session:
        assert (
            session.scalar(select(func.count()).select_from(Ticket).where(Ticket.subject.like("served %")))
            == 40
        )
