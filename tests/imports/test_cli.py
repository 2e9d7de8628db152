"""``supportops import events|csv``: rejected lines on stderr, the summary on stdout, and the exit
code (0 all loaded, 1 some line rejected, 2 the command could not run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportops.cli.main import app
from supportops.db.session import Database
from tests.imports.support import counts, created, message, rating, write

runner = CliRunner()


def _summary(output: str) -> str:
    return output.strip().splitlines()[-1].split(" (source")[0]


def test_a_clean_file_loads_with_exit_code_0_and_again_changes_nothing(
    cli_db: Database, tmp_path: Path
) -> None:
    path = write(tmp_path / "log.jsonl", [created("T1", 0), message("T1", 5, "bob@co", "agent")])
    result = runner.invoke(app, ["import", "events", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert _summary(result.stdout) == (
        "read 2 lines: 2 applied, 0 already imported, 0 rejected; tickets: 1 created, 0 updated; "
        "new: 2 people, 1 organization, 0 groups"
    )
    before = counts(cli_db)
    again = runner.invoke(app, ["import", "events", str(path)])
    assert again.exit_code == 0, again.output
    assert _summary(again.stdout) == (
        "read 2 lines: 0 applied, 2 already imported, 0 rejected; tickets: 0 created, 0 updated; "
        "new: 0 people, 0 organizations, 0 groups"
    )
    assert counts(cli_db) == before


def test_rejected_lines_go_to_stderr_and_exit_1(cli_db: Database, tmp_path: Path) -> None:
    lines = [created("T1", 0), rating("T1", 5, 6), "{oops", message("T1", 9, "bob@co", "agent")]
    result = runner.invoke(
        app, ["import", "events", str(write(tmp_path / "log.jsonl", lines)), "--source", "old"]
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "line 2: score: a rating is 1-5, not 6",
        "line 3: invalid JSON: Expecting property name enclosed in double quotes at column 2",
    ]
    assert "(source 'old', " in result.stdout
    assert _summary(result.stdout).startswith("read 4 lines: 2 applied, 0 already imported, 2 rejected;")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["events", "{missing}"], "error: cannot read {missing}: No such file or directory"),
        (["events", "{good}", "--source", "x" * 41], "error: The source name is 1 to 40 characters."),
        (
            ["csv", "{csv}", "--case", "case"],
            "error: name the columns with --timestamp, --status, or use --preset",
        ),
        (
            [
                "csv",
                "{csv}",
                "--case",
                "nope",
                "--timestamp",
                "time",
                "--status",
                "state",
                "--timezone",
                "UTC",
            ],
            "error: log.csv has no column 'nope' (--case); its columns: case, time, state.",
        ),
        (
            ["csv", "{csv}", "--case", "case", "--timestamp", "time", "--status", "state"],
            "error: line 2: the timestamps carry no UTC offset; name their zone with --timezone.",
        ),
        (
            [
                "csv",
                "{csv}",
                "--case",
                "case",
                "--timestamp",
                "time",
                "--status",
                "state",
                "--level",
                "state",
            ],
            "error: --level needs --team: a support level belongs to the team handling the case",
        ),
        (
            [
                "csv",
                "{csv}",
                "--case",
                "case",
                "--timestamp",
                "time",
                "--status",
                "state",
                "--status-map",
                "{{",
            ],
            "error: --status-map is not valid JSON (Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)).",
        ),
        (["csv", "{csv}", "--preset", "vinst"], "error: Unknown preset 'vinst'; known: bpic2013."),
    ],
)
def test_a_command_that_cannot_run_exits_2_with_one_line(
    cli_db: Database, tmp_path: Path, args: list[str], message: str
) -> None:
    good = write(tmp_path / "good.jsonl", [created("T1", 0)])
    table = tmp_path / "log.csv"
    table.write_text("case,time,state\nC1,2024-01-01 10:00,new\n", encoding="utf-8")
    names = {"missing": str(tmp_path / "nope.jsonl"), "good": str(good), "csv": str(table)}
    before = counts(cli_db)
    result = runner.invoke(app, ["import", *[a.format(**names) for a in args]])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == message.format(**names)
    assert counts(cli_db) == before


def test_a_csv_with_maps_given_on_the_command_line(cli_db: Database, tmp_path: Path) -> None:
    table = tmp_path / "log.csv"
    table.write_text(
        "id;when;state;queue;tier\n"
        "A;01/03/2024 09:00;open;Desk;one\n"
        "A;01/03/2024 10:00;solved;Desk;one\n"
        "B;01/03/2024 10:00;waiting;Desk;one\n",
        encoding="utf-8",
    )
    table.write_text(table.read_text().replace(";", ","), encoding="utf-8")
    maps = tmp_path / "status.json"
    maps.write_text(json.dumps({"open": "in_progress", "solved": "resolved", "waiting": "pending"}))
    result = runner.invoke(
        app,
        [
            "import",
            "csv",
            str(table),
            "--case",
            "id",
            "--timestamp",
            "when",
            "--timestamp-format",
            "%d/%m/%Y %H:%M",
            "--timezone",
            "Europe/Paris",
            "--status",
            "state",
            "--status-map",
            f"@{maps}",
            "--team",
            "queue",
            "--level",
            "tier",
            "--level-map",
            '{"one": "L1"}',
            "--source",
            "legacy",
        ],
    )
    assert result.exit_code == 0, result.output
    assert _summary(result.stdout) == (
        "read 3 lines: 3 applied, 0 already imported, 0 rejected; tickets: 2 created, 0 updated; "
        "new: 1 person, 0 organizations, 1 group"
    )
