"""A real help desk's history: the BPI Challenge 2013 Volvo IT incident log (65,533 status changes
of 7,554 incidents), when the shared data folder is present. What the import stores is checked
against figures computed here straight from the CSV."""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select

from supportops.config import Settings
from supportops.db.session import Database
from supportops.imports.csvlog import BPIC2013_LEVEL_MAP, preset, read_csv
from supportops.imports.models import ImportRecord
from supportops.imports.service import import_lines
from supportops.sla.models import SlaEvent
from supportops.tickets.counters import TIER_RANK
from supportops.tickets.models import Ticket, TicketEvent
from tests.imports.support import NOW, counts

DATA = Path(
    os.environ.get(
        "SUPPORTOPS_BPIC2013_CSV",
        Path(__file__).resolve().parents[3]
        / "shared"
        / "data"
        / "bpic2013_volvo_it_incidents"
        / "bpic2013_volvo_incidents_events.csv",
    )
)


def _expected() -> dict[str, int]:
    cases: dict[str, list[dict[str, str]]] = defaultdict(list)
    with DATA.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            cases[row["SR Number"]].append(row)
    escalated = rises = reached_l3 = reached_l2_or_more = waited = 0
    for rows in cases.values():
        rows.sort(key=lambda r: r["Change Date+Time"])
        ranks = [TIER_RANK[BPIC2013_LEVEL_MAP[r["ST Level"]]] for r in rows]
        up = sum(1 for a, b in pairwise(ranks) if b > a)
        rises += up
        escalated += up > 0
        reached_l3 += max(ranks) == 3
        reached_l2_or_more += max(ranks) >= 2
        waited += any(r["Sub Status"] == "Wait - User" for r in rows)
    return {
        "cases": len(cases),
        "rows": sum(len(rows) for rows in cases.values()),
        "escalated": escalated,
        "rises": rises,
        "l3": reached_l3,
        "l2+": reached_l2_or_more,
        "waited": waited,
    }


@pytest.mark.skipif(not DATA.is_file(), reason=f"the BPIC 2013 incident log is not at {DATA}")
def test_the_bpic2013_incident_log_imports_once_with_its_escalations_and_waits(
    db: Database, settings: Settings
) -> None:
    expected = _expected()
    mapping = preset("bpic2013", scheme=settings.priority_scheme, source="bpic2013")

    def lines() -> list:  # type: ignore[type-arg]
        return list(read_csv(DATA, mapping, scheme=settings.priority_scheme, source="bpic2013"))

    report = import_lines(db, lines(), source="bpic2013", now=NOW, settings=settings)
    assert report.rejected == []
    assert (report.read, report.applied, report.tickets_created) == (expected["rows"],) * 2 + (
        expected["cases"],
    )

    with db.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == expected["cases"]
        escalated, rises = session.execute(
            select(func.count().filter(Ticket.escalations > 0), func.sum(Ticket.escalations))
        ).one()
        assert (escalated, rises) == (expected["escalated"], expected["rises"])
        by_tier = {
            tier: n
            for tier, n in session.execute(select(Ticket.max_tier, func.count()).group_by(Ticket.max_tier))
        }
        assert by_tier["L3"] == expected["l3"]
        assert by_tier["L2"] + by_tier["L3"] == expected["l2+"]
        waited = session.scalar(
            select(func.count(func.distinct(TicketEvent.ticket_id))).where(
                TicketEvent.field == "status", TicketEvent.new_value == "pending"
            )
        )
        assert waited == expected["waited"]
        # Waiting on the user stops the resolution clock (DOMAIN.md): the pauses are on record.
        pauses = session.scalar(
            select(func.count(func.distinct(SlaEvent.ticket_id))).where(
                SlaEvent.metric == "resolution", SlaEvent.kind == "pause"
            )
        )
        assert pauses == expected["waited"]
        records = session.scalar(
            select(func.count()).where(ImportRecord.source == "bpic2013", ImportRecord.kind == "line")
        )
        assert records == expected["rows"]

    before = counts(db)
    again = import_lines(db, lines(), source="bpic2013", now=NOW, settings=settings)
    assert (again.applied, again.already_imported, again.rejected) == (0, expected["rows"], [])
    assert counts(db) == before

    # And the audit: the questions its published analyses asked are answered by the report.
    from datetime import UTC, datetime

    from supportops.metrics.periods import Period
    from supportops.metrics.report import build_report

    with db.unit_of_work(write=False) as session:
        audit = build_report(
            session, Period.of(datetime(2010, 1, 1, tzinfo=UTC), datetime(2013, 1, 1, tzinfo=UTC))
        )
    m = audit["metrics"]
    assert m["ticket_volume"]["created"] == expected["cases"]
    assert m["escalation_rate"]["numerator"] <= expected["escalated"]
    tiers = {row["tier"]: row for row in audit["tiers"]}
    assert tiers["L2"]["count"] + tiers["L3"]["count"] <= expected["l2+"]
    found = {f["pattern"]: f for f in audit["findings"]}
    assert {"ticket_tennis", "metric_gaming"} <= set(found)  # ping-pong, and "Wait - User" to stop clocks
    assert found["metric_gaming"]["count"] <= expected["waited"] + m["reopen_rate"]["numerator"]
    assert "knowledge_hoarding" not in found  # case ids are no recurring issue
