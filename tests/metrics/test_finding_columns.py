"""The per-ticket facts behind the findings: a copy kept up to date by deltas holds exactly what a
fresh read of the database holds, survives a restart through its file, and a run whose texts differ
from the kept ones matches its own."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.metrics import snapshot
from supportops.metrics.findings import DEFAULT_THRESHOLDS, columns
from supportops.metrics.periods import Period
from supportops.tickets.enums import Channel, Status
from tests.conftest import START
from tests.metrics.findings_desk import Desk, make_desk

MONTH = Period.of(START, START + timedelta(days=30))
TEXTS = columns.texts_of(DEFAULT_THRESHOLDS)


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


@pytest.fixture
def desk(db: Database, clock: FrozenClock) -> Desk:
    return make_desk(db, clock.now())


def rows(facts: columns.Columns) -> dict[str, list[tuple[Any, ...]]]:
    """Every table as sorted rows, with codes turned back into what they stand for (two copies may
    number labels and reply keys differently)."""
    decode = {
        "subject": facts.labels.get("subject", []),
        "forced_phrase": facts.labels.get("phrase", []),
        "tag_code": facts.labels.get("tag", []),
        "field_code": facts.labels.get("field", []),
        "reply_key": facts.key_hash.tolist(),
    }
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table, spec in columns.TABLES.items():
        names = [name for name, _ in spec]
        values = [
            [decode[name][v] for v in facts[name].tolist()]
            if name in decode
            else [None if v != v else v for v in facts[name].tolist()]  # NaN: absent
            for name in names
        ]
        out[table] = sorted(zip(*values, strict=True), key=repr)
    return out


def first_half(desk: Desk) -> dict[str, int]:
    team = desk.team
    bounced = desk.open(at(0), group=team.l1, assignee=team.agent)
    desk.hand(bounced, at(1), group=team.l2, assignee=team.specialist)
    desk.hand(bounced, at(2), group=team.l1, assignee=team.agent)
    parked = desk.open(at(0), channel=Channel.email, assignee=team.agent)
    desk.reply(parked, at(1), "Please call us at 555 0100.", status=Status.pending)
    quick = desk.open(at(0), "Invoice charged twice", assignee=team.agent)
    desk.resolve(quick, at(1))
    return {"bounced": bounced, "parked": parked, "quick": quick}


def second_half(desk: Desk, t: dict[str, int]) -> int:
    """Later activity on the same tickets, and a new ticket."""
    team = desk.team
    desk.resolve(t["bounced"], at(30))
    desk.customer_says(t["quick"], at(31))
    desk.resolve(t["quick"], at(32))
    desk.tag(t["parked"], at(33), tags=["product-feedback"], custom_fields={"jira": "PRJ-1"})
    desk.escalate(t["parked"], at(34))
    new = desk.open(at(35), "Invoice charged twice", channel=Channel.chat, assignee=team.agent)
    desk.reply(new, at(36), "You can email us at help@example.com. Could you send the file?")
    desk.bot_says(new, at(37), "This ticket was solved by our assistant.")
    desk.move(new, at(38), Status.pending)
    return new


def test_a_refreshed_copy_holds_what_a_fresh_read_holds(desk: Desk, tmp_path: Path) -> None:
    t = first_half(desk)
    store = columns.Store(tmp_path)
    with desk.db.unit_of_work(write=False) as session:
        before = store.current(session, TEXTS)
    new = second_half(desk, t)
    with desk.db.unit_of_work(write=False) as session:
        after = store.current(session, TEXTS)
        fresh = columns.build(session, TEXTS)
    assert rows(after) == rows(fresh)
    assert rows(after) != rows(before)
    assert new in after["id"].tolist() and new not in before["id"].tolist()
    # The later activity shows: the bounce path, a reopen gap, the tags, the moves, the bot.
    row = after["id"].tolist().index(t["quick"])
    assert after["reopen_gap"][row] == pytest.approx(30 * 3600)
    assert {r[0] for r in rows(after)["bounce"]} == {t["bounced"]}
    assert (t["parked"], "product-feedback") in rows(after)["tag"]
    assert (t["parked"], "jira") in rows(after)["field"]
    moves = {r[0]: r[3] for r in rows(after)["move"]}
    assert moves == {t["parked"]: 0, new: 1}  # the second move followed a question
    assert after["system_public"][after["id"].tolist().index(new)] == 1


def test_the_copy_is_read_back_from_its_file(desk: Desk, tmp_path: Path) -> None:
    first_half(desk)
    with desk.db.unit_of_work(write=False) as session:
        kept = columns.Store(tmp_path).current(session, TEXTS)
    assert list(tmp_path.glob("finding-facts-*.cols"))
    restarted = columns.Store(tmp_path)
    with desk.db.unit_of_work(write=False) as session:
        again = restarted.current(session, TEXTS)
    assert again.read_at > kept.read_at  # refreshed from the file, not built again
    assert rows(again) == rows(kept)


def test_history_rewritten_with_old_timestamps_is_read_again(desk: Desk, tmp_path: Path) -> None:
    t = first_half(desk)
    store = columns.Store(tmp_path)
    with desk.db.unit_of_work(write=False) as session:
        store.current(session, TEXTS)
    desk.tag(t["parked"], at(0.5), tags=["late"])  # earlier than the newest activity the copy saw
    with desk.db.unit_of_work(write=False) as session:
        stale = store.current(session, TEXTS)
    with desk.db.unit_of_work() as session:
        snapshot.invalidate(session, now=at(40))
    with desk.db.unit_of_work(write=False) as session:
        rebuilt = store.current(session, TEXTS)
        fresh = columns.build(session, TEXTS)
    assert (t["parked"], "late") not in rows(stale)["tag"]  # the watermark alone misses it
    assert (t["parked"], "late") in rows(rebuilt)["tag"]
    assert rows(rebuilt) == rows(fresh)


def test_a_run_with_its_own_phrases_and_markers_matches_them(desk: Desk) -> None:
    kiosk = desk.open(at(0), channel=Channel.email, assignee=desk.team.agent)
    desk.reply(kiosk, at(1), "Best to pop into our kiosk downstairs with the device.", status=Status.pending)
    desk.resolve(kiosk, at(2))
    low = {p: {"min_tickets": 1} for p, t in DEFAULT_THRESHOLDS.items() if "min_tickets" in t}
    del low["copy_paste_responses"]

    stored = desk.findings(MONTH, low)
    assert "channel_forcing" not in stored
    assert stored["metric_gaming"].tickets == [kiosk]  # set to pending without a question

    own = {
        **low,
        "channel_forcing": {"min_tickets": 1, "web_phrases": ["pop into our kiosk"]},
        "metric_gaming": {"min_tickets": 1, "question_markers": ["with the device"]},
    }
    ran = desk.findings(MONTH, own)
    assert ran["channel_forcing"].tickets == [kiosk]
    assert ran["channel_forcing"].details == [{"to_channel": "web", "replies": 1}]
    assert "metric_gaming" not in ran  # the reply now counts as asking
