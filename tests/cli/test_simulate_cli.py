"""``supportops simulate``: a table or JSON for good input, one line and exit code 2 for bad."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from supportops.auth.enums import Role
from supportops.cli.simulate import simulate

runner = CliRunner()
app = typer.Typer()
app.command()(simulate)
SMALL = ["--agents", "3", "--rate", "12", "--handle-minutes", "10", "--hours", "24", "--seed", "4"]


def test_the_table_names_every_figure_and_agent() -> None:
    result = runner.invoke(app, SMALL)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("tickets ")
    assert "reached an agent within 15 min" in lines[1]
    assert "p99" in lines[2]
    assert lines[3].startswith("utilization ")
    assert [line.split()[:2] for line in lines[-3:]] == [["agent", "1"], ["agent", "2"], ["agent", "3"]]


def test_json_carries_the_report_and_the_seed_repeats_it() -> None:
    first = runner.invoke(app, [*SMALL, "--json", "--strategy", "round-robin"])
    again = runner.invoke(app, [*SMALL, "--json", "--strategy", "round-robin"])
    assert first.exit_code == 0, first.output
    report = orjson.loads(first.stdout)
    assert report == orjson.loads(again.stdout)
    assert report["arrived"] == report["handled"] + report["abandoned"] + report["unanswered"]
    assert report["target_minutes"] == 15
    assert len(report["agents"]) == 3
    assert 0 < report["utilization"] < 1


def test_a_profile_file_sets_the_arrivals(tmp_path: Path) -> None:
    profile = tmp_path / "week.json"
    profile.write_bytes(orjson.dumps({"mon": [0] * 9 + [30] * 8 + [0] * 7}))
    result = runner.invoke(app, ["--profile", str(profile), "--hours", "9", "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["arrived"] == 0
    result = runner.invoke(app, ["--profile", str(profile), "--hours", "24", "--json"])
    assert 180 <= orjson.loads(result.stdout)["arrived"] <= 300


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agents", "-2", "--rate", "5"], "error: agents must be at least 1, not -2"),
        (["--rate", "5", "--handle-minutes", "0"], "error: handle_minutes must be a number above 0, not 0.0"),
        (["--rate", "-5"], "error: rate must be a number above 0, not -5.0"),
        (["--rate", "5", "--hours", "0"], "error: hours must be a number above 0, not 0.0"),
        (["--rate", "5", "--target-minutes", "-1"], "error: target_minutes must be a number >= 0"),
        ([], "error: give one of --rate, --profile or --from-history"),
        (["--rate", "5", "--profile", "week.json"], "error: give one of --rate, --profile or --from-history"),
        (["--profile", "missing.json"], "error: profile missing.json: No such file or directory"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_code_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.strip() == message
    assert result.stdout == ""
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", 'expected {"mon": [24 hourly rates], ...}'),
        (b'{"mon": [1, 2]}', "mon needs 24 hourly rates, not 2"),
        (b'{"mon": ["a"]}', "mon needs 24 hourly rates, not 1"),
        (orjson.dumps({"mon": ["x"] * 24}), "every hourly rate must be a number"),
        (b'{"someday": []}', "unknown weekday 'someday'"),
    ],
)
def test_a_bad_profile_names_the_problem(tmp_path: Path, content: bytes, message: str) -> None:
    profile = tmp_path / "week.json"
    profile.write_bytes(content)
    result = runner.invoke(app, ["--profile", str(profile)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: profile {profile}: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_simulate_replays_the_ticket_history_of_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path
) -> None:
    import shutil
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    from supportops.config import get_settings
    from supportops.db.session import Database
    from supportops.tickets.models import Ticket
    from tests.factories import make_person

    path = tmp_path / "history.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("SUPPORTOPS_DATABASE_URL", url)
    get_settings.cache_clear()
    db = Database.from_url(url)
    now = datetime.now(UTC)
    requester = make_person(db, now, email="pat@example.com", role=Role.customer)
    with db.unit_of_work() as session:
        for n in range(12):
            at = now - timedelta(hours=1, minutes=5 * n)
            session.execute(
                insert(Ticket).values(
                    subject=f"t{n}",
                    description="",
                    status="new",
                    priority="P3",
                    channel="web",
                    tags=[],
                    custom_fields={},
                    requester_id=requester.id,
                    created_at=at,
                    updated_at=at,
                )
            )
    db.engine.dispose()
    result = runner.invoke(app, ["--from-history", "--hours", "3", "--agents", "1", "--json"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["arrived"] == 12
    both = runner.invoke(app, ["--from-history", "--rate", "3"])
    assert both.exit_code == 2 and "one of --rate, --profile or --from-history" in both.output
