"""`supportops serve`: what the served app is told before uvicorn builds it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from supportops.cli.main import app
from supportops.config import get_settings
from supportops.db import writer
from supportops.db.session import Database

runner = CliRunner()


@pytest.mark.parametrize(("flag", "expected"), [("--no-worker", False), ("--worker", True)])
def test_the_worker_flag_reaches_the_app_of_this_process(
    cli_db: Database, monkeypatch: pytest.MonkeyPatch, flag: str, expected: bool
) -> None:
    monkeypatch.delenv("SUPPORTOPS_RUN_WORKER_IN_SERVE", raising=False)
    get_settings.cache_clear()
    assert get_settings().run_worker_in_serve is True  # cached, as the command reads it first
    seen: dict[str, Any] = {}

    def fake_run(target: str, **options: Any) -> None:
        # What the app factory reads when uvicorn calls it in this very process (one HTTP worker).
        seen["target"], seen["factory"] = target, options.get("factory")
        seen["worker"] = get_settings().run_worker_in_serve

    monkeypatch.setattr(uvicorn, "run", fake_run)
    try:
        result = runner.invoke(app, ["serve", flag])
    finally:
        os.environ.pop("SUPPORTOPS_RUN_WORKER_IN_SERVE", None)
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert seen == {"target": "supportops.app:serve_app", "factory": True, "worker": expected}


def _serve(monkeypatch: pytest.MonkeyPatch, *flags: str) -> Any:
    monkeypatch.setenv("SUPPORTOPS_RUN_WORKER_IN_SERVE", "true")  # restored afterwards
    try:
        return runner.invoke(app, ["serve", *flags])
    finally:
        get_settings.cache_clear()


def test_the_app_is_served_beside_a_writer_process(cli_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run(target: str, **options: Any) -> None:
        seen["address"] = os.environ.get(writer.ADDRESS_ENV)
        seen["reachable"] = seen["address"] is not None and Path(seen["address"]).exists()

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = _serve(monkeypatch, "--no-worker")
    assert result.exit_code == 0, result.output
    assert seen["reachable"] is True
    assert not Path(seen["address"]).parent.exists()  # stopped and cleaned up with serve
    assert writer.ADDRESS_ENV not in os.environ


def test_the_writer_process_can_be_turned_off(cli_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        uvicorn, "run", lambda *_, **__: seen.update(address=os.environ.get(writer.ADDRESS_ENV))
    )
    result = _serve(monkeypatch, "--no-worker", "--no-writer-process")
    assert result.exit_code == 0, result.output
    assert seen == {"address": None}
