"""The ops report over a large demo database against a reference written directly in DuckDB.

    .venv/bin/pip install -r bench/requirements-report.txt
    .venv/bin/python bench/report.py --tickets 1000000 [--postgres postgresql://postgres@127.0.0.1:5432/so_bench_1m]

What it does, in one run:

1. makes (once) a demo database of --tickets tickets with `supportops demo load`, on SQLite and,
   with --postgres, on PostgreSQL (an existing database of the right size is reused);
2. exports the columns the figures need to Parquet (not timed);
3. times the reference: the same figures computed by DuckDB queries over the Parquet files
   (volume, FRT and TTR median and p90, FCR, reopen and escalation rates, CSAT, AHT, backlog and
   its age buckets, SLA compliance per metric, every breakdown by the seven dimensions and the
   day/week/month series), best of --repeat runs in a fresh connection each;
4. times supportops: `build_report` in a fresh process state (the columnar copy loaded from its
   file, then brought up to date from the database), best of --repeat, without and with the ten
   finding detectors (whose per-ticket facts are likewise loaded from their file); the first
   builds of the two copies from the database are timed separately;
5. checks that both computed the same figures, and prints the ratio.

The reference sees the whole history as of now, so the report is asked for the whole history as of
now too (the period starts before the first ticket and ends at the load's "now").
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "var" / "bench" / "data"
BIN = ROOT / ".venv" / "bin"


def _ensure_database(url: str, tickets: int) -> None:
    env = {**os.environ, "SUPPORTOPS_DATABASE_URL": url}
    subprocess.run([BIN / "supportops", "db", "upgrade"], check=True, env=env, capture_output=True)
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM tickets")).scalar_one()
    engine.dispose()
    if have == tickets:
        return
    if have:
        raise SystemExit(f"{url} holds {have} tickets, not {tickets}; use another database")
    print(f"loading {tickets:,} demo tickets into {url} (once)...", flush=True)
    subprocess.run([BIN / "supportops", "demo", "load", "--tickets", str(tickets)], check=True, env=env)


# -- export ---------------------------------------------------------------------------------------

EXPORTS = {
    "tickets": "SELECT id, created_at, first_response_at, last_resolved_at, status, reopen_count,"
    " public_agent_replies, escalations, handle_seconds, priority, channel, category, max_tier, group_id,"
    " assignee_id, organization_id FROM tickets",
    "csat": "SELECT ticket_id, answered_at, score FROM csat_surveys WHERE score IS NOT NULL",
    "clocks": "SELECT ticket_id, metric, state, fulfilled_at, breached_at FROM sla_clocks",
    "groups": "SELECT id, name FROM groups",
    "organizations": "SELECT id, name FROM organizations",
    "users": "SELECT id, email FROM users",
}
TIME_COLUMNS = {
    "created_at",
    "first_response_at",
    "last_resolved_at",
    "answered_at",
    "fulfilled_at",
    "breached_at",
}


def export_parquet(url: str, folder: Path) -> None:
    """The columns the figures need, from either database, as Parquet files (not timed)."""
    if url.startswith("sqlite"):
        conn: Any = sqlite3.connect(url.split("///", 1)[1])
    else:
        import psycopg

        conn = psycopg.connect(url)
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in EXPORTS.items():
        cursor = conn.cursor()
        cursor.execute(sql)
        columns = [d[0] for d in cursor.description]
        writer: pq.ParquetWriter | None = None
        while rows := cursor.fetchmany(200_000):
            arrays = []
            for i, column in enumerate(columns):
                values = [r[i] for r in rows]
                if column in TIME_COLUMNS and any(isinstance(v, str) for v in values):
                    arrays.append(pa.array(values, pa.string()).cast(pa.timestamp("us"), safe=False))
                elif column in TIME_COLUMNS:
                    arrays.append(pa.array(values, pa.timestamp("us")))
                else:
                    arrays.append(pa.array(values))
            table = pa.Table.from_arrays(arrays, names=columns)
            if writer is None:
                writer = pq.ParquetWriter(folder / f"{name}.parquet", table.schema)
            writer.write_table(table.cast(writer.schema))
        if writer is not None:
            writer.close()
    conn.close()


# -- the reference --------------------------------------------------------------------------------

DIMENSIONS = {
    "priority": "coalesce(t.priority, '(none)')",
    "channel": "coalesce(t.channel, '(none)')",
    "category": "coalesce(t.category, '(none)')",
    "tier": "coalesce(t.max_tier, 'L1')",
    "group": "coalesce(g.name, '(none)')",
    "agent": "coalesce(u.email, '(none)')",
    "organization": "coalesce(o.name, '(none)')",
}


def reference(folder: Path, start: datetime, end: datetime) -> dict[str, Any]:
    """Every compared figure, straight from SQL over the Parquet export."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    p = {n: str(folder / f"{n}.parquet") for n in EXPORTS}
    s, e = start.replace(tzinfo=None), end.replace(tzinfo=None)
    con.execute(
        f"""CREATE TEMP VIEW t AS SELECT *,
          epoch(first_response_at) - epoch(created_at) AS frt_s,
          epoch(last_resolved_at) - epoch(created_at) AS ttr_s,
          created_at >= TIMESTAMP '{s}' AND created_at < TIMESTAMP '{e}' AS is_created,
          first_response_at >= TIMESTAMP '{s}' AND first_response_at < TIMESTAMP '{e}' AS is_responded,
          status IN ('resolved', 'closed') AND last_resolved_at >= TIMESTAMP '{s}'
            AND last_resolved_at < TIMESTAMP '{e}' AS is_resolved
        FROM read_parquet('{p["tickets"]}')"""
    )
    out: dict[str, Any] = {}
    row = con.execute(
        f"""SELECT
          count(*) FILTER (is_created),
          quantile_cont(frt_s / 60, 0.5) FILTER (is_responded), quantile_cont(frt_s / 60, 0.9) FILTER (is_responded),
          count(*) FILTER (is_responded),
          quantile_cont(ttr_s / 60, 0.5) FILTER (is_resolved), quantile_cont(ttr_s / 60, 0.9) FILTER (is_resolved),
          count(*) FILTER (is_resolved),
          count(*) FILTER (is_resolved AND public_agent_replies <= 1 AND reopen_count = 0),
          count(*) FILTER (is_resolved AND reopen_count > 0),
          count(*) FILTER (is_resolved AND escalations > 0),
          sum(handle_seconds) FILTER (is_resolved),
          count(*) FILTER (created_at < TIMESTAMP '{e}' AND status NOT IN ('resolved', 'closed')),
          count(*) FILTER (created_at < TIMESTAMP '{e}' AND status NOT IN ('resolved', 'closed')
                           AND epoch(TIMESTAMP '{e}') - epoch(created_at) >= 7 * 86400)
        FROM t"""
    ).fetchone()
    assert row is not None
    out["created"], out["frt_median"], out["frt_p90"], out["frt_count"] = row[0], row[1], row[2], row[3]
    out["ttr_median"], out["ttr_p90"], out["resolved"] = row[4], row[5], row[6]
    out["fcr"], out["reopened"], out["escalated"] = row[7], row[8], row[9]
    out["aht"] = (row[10] or 0) / 60 / row[6] if row[6] else None
    out["backlog"], out["backlog_over_7d"] = row[11], row[12]
    out["csat"] = con.execute(
        f"""SELECT count(*) FILTER (score >= 4), count(*) FROM read_parquet('{p["csat"]}')
            WHERE answered_at >= TIMESTAMP '{s}' AND answered_at < TIMESTAMP '{e}'"""
    ).fetchone()
    out["sla"] = {
        metric: (met, breached)
        for metric, met, breached in con.execute(
            f"""SELECT metric,
                  count(*) FILTER (state = 'fulfilled' AND fulfilled_at >= TIMESTAMP '{s}'
                                   AND fulfilled_at < TIMESTAMP '{e}' AND breached_at IS NULL),
                  count(*) FILTER (breached_at >= TIMESTAMP '{s}' AND breached_at < TIMESTAMP '{e}')
                FROM read_parquet('{p["clocks"]}') GROUP BY metric"""
        ).fetchall()
    }
    joins = (
        f" LEFT JOIN read_parquet('{p['groups']}') g ON g.id = t.group_id"
        f" LEFT JOIN read_parquet('{p['users']}') u ON u.id = t.assignee_id"
        f" LEFT JOIN read_parquet('{p['organizations']}') o ON o.id = t.organization_id"
    )
    out["breakdowns"] = {}
    for name, key in DIMENSIONS.items():
        rows = con.execute(
            f"""SELECT {key} AS k, count(*) FILTER (is_created), count(*) FILTER (is_resolved),
                  quantile_cont(frt_s / 60, 0.5) FILTER (is_responded),
                  quantile_cont(ttr_s / 60, 0.9) FILTER (is_resolved),
                  count(*) FILTER (is_resolved AND public_agent_replies <= 1 AND reopen_count = 0)
                FROM t {joins} WHERE is_created OR is_responded OR is_resolved GROUP BY k"""
        ).fetchall()
        out["breakdowns"][name] = {r[0]: r[1:] for r in rows}
    out["series"] = {}
    for unit, trunc in (("day", "day"), ("week", "week"), ("month", "month")):
        rows = con.execute(
            f"""SELECT date_trunc('{trunc}', created_at) AS b, count(*) FROM t WHERE is_created GROUP BY b
                UNION ALL SELECT NULL, NULL WHERE false"""
        ).fetchall()
        resolved = con.execute(
            f"""SELECT date_trunc('{trunc}', last_resolved_at) AS b, count(*),
                  quantile_cont(ttr_s / 60, 0.5) FROM t WHERE is_resolved GROUP BY b"""
        ).fetchall()
        out["series"][unit] = {
            "created": {r[0].replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"): r[1] for r in rows},
            "resolved": {
                r[0].replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"): (r[1], r[2]) for r in resolved
            },
        }
    con.close()
    return out


# -- ours -----------------------------------------------------------------------------------------


def ours(url: str, start: datetime, end: datetime, cache: Path, *, findings: bool) -> dict[str, Any]:
    from supportops.db.session import Database
    from supportops.metrics.findings import columns
    from supportops.metrics.periods import Period
    from supportops.metrics.report import build_report
    from supportops.metrics.snapshot import Store

    columns.forget_all()  # the finding facts too come from their file, as in a fresh process
    db = Database.from_url(url)
    try:
        with db.unit_of_work(write=False) as session:
            return build_report(
                session, Period.of(start, end), with_findings=findings, store=Store(cache), now=end
            )
    finally:
        db.engine.dispose()


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def compare(report: dict[str, Any], ref: dict[str, Any]) -> list[str]:
    """Every figure both computed; returns the differences (none expected)."""
    m = report["metrics"]
    bad: list[str] = []

    def check(label: str, got: Any, want: Any) -> None:
        same = _close(got, want) if isinstance(want, float) or isinstance(got, float) else got == want
        if not same:
            bad.append(f"{label}: ours {got!r}, reference {want!r}")

    check("created", m["ticket_volume"]["created"], ref["created"])
    check("frt median", m["frt"]["calendar"]["median_minutes"], ref["frt_median"])
    check("frt p90", m["frt"]["calendar"]["p90_minutes"], ref["frt_p90"])
    check("frt count", m["frt"]["calendar"]["count"], ref["frt_count"])
    check("ttr median", m["ttr"]["calendar"]["median_minutes"], ref["ttr_median"])
    check("ttr p90", m["ttr"]["calendar"]["p90_minutes"], ref["ttr_p90"])
    check("resolved", m["fcr"]["count"], ref["resolved"])
    check("fcr", m["fcr"]["numerator"], ref["fcr"])
    check("reopened", m["reopen_rate"]["numerator"], ref["reopened"])
    check("escalated", m["escalation_rate"]["numerator"], ref["escalated"])
    check("aht", m["aht"]["minutes"], ref["aht"])
    check("backlog", m["backlog"]["open_at_end"], ref["backlog"])
    check("backlog > 7 d", m["backlog"]["age_buckets"][">7d"], ref["backlog_over_7d"])
    check("csat", (m["csat"]["good"], m["csat"]["count"]), tuple(ref["csat"]))
    for metric, (met, breached) in ref["sla"].items():
        got = m["sla_compliance"][metric]
        check(f"sla {metric}", (got["met"], got["breached"]), (met, breached))
    for name, rows in ref["breakdowns"].items():
        mine = {r["key"]: r for r in report["breakdowns"][name]}
        check(f"{name} keys", sorted(mine), sorted(rows))
        for key, (created, resolved, frt_median, ttr_p90, fcr) in rows.items():
            r = mine.get(key)
            if r is None:
                continue
            check(f"{name}={key} created", r["created"], created)
            check(f"{name}={key} resolved", r["resolved"], resolved)
            check(f"{name}={key} frt median", r["frt_median_minutes"], frt_median)
            check(f"{name}={key} ttr p90", r["ttr_p90_minutes"], ttr_p90)
            check(f"{name}={key} fcr", round(r["fcr"] * r["resolved"]) if r["fcr"] is not None else 0, fcr)
    for unit, series in ref["series"].items():
        mine = {row["start"]: row for row in report["series"][unit]}
        for start, created in series["created"].items():
            check(f"{unit} {start} created", mine.get(start, {}).get("created"), created)
        for start, (resolved, ttr_median) in series["resolved"].items():
            check(f"{unit} {start} resolved", mine.get(start, {}).get("resolved"), resolved)
            check(f"{unit} {start} ttr median", mine.get(start, {}).get("ttr_median_minutes"), ttr_median)
    return bad


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    best, result = math.inf, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def _now_of(url: str) -> datetime:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        latest = conn.execute(text("SELECT max(updated_at) FROM tickets")).scalar_one()
    engine.dispose()
    if isinstance(latest, str):
        latest = datetime.fromisoformat(latest)
    return latest.replace(tzinfo=UTC) + timedelta(seconds=1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", help="a PostgreSQL URL to load and measure as well")
    parser.add_argument("--skip-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--skip-findings", action="store_true", help="do not time the report with findings")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    sqlite_path = DATA / f"so_sqlite_{args.tickets}.db"
    targets = [] if args.skip_sqlite else [("SQLite", f"sqlite:///{sqlite_path}")]
    if args.postgres:
        targets.append(("PostgreSQL", args.postgres))
    for _, url in targets:
        _ensure_database(url, args.tickets)
    start = datetime(2000, 1, 1, tzinfo=UTC)
    results: dict[str, Any] = {"tickets": args.tickets, "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, url in targets:
            # Each database holds its own demo history (the loads ran at different instants), so
            # each gets its own export and reference.
            end = _now_of(url)
            folder = Path(tmp) / name
            export_parquet(url, folder)
            ref_seconds, ref = best_of(args.repeat, lambda f=folder, e=end: reference(f, start, e))
            print(f"{name} reference (DuckDB over Parquet): {ref_seconds:.2f} s", flush=True)
            cache = Path(tmp) / f"cache-{name}"
            first_started = time.perf_counter()
            ours(url, start, end, cache, findings=False)  # builds and saves the columnar copy
            first = time.perf_counter() - first_started
            seconds, report = best_of(
                args.repeat, lambda u=url, c=cache, e=end: ours(u, start, e, c, findings=False)
            )
            facts_first = math.nan
            with_findings, full = math.nan, {"findings": []}
            if not args.skip_findings:
                facts_started = time.perf_counter()
                ours(url, start, end, cache, findings=True)  # builds and saves the finding facts
                facts_first = time.perf_counter() - facts_started
                with_findings, full = best_of(
                    args.repeat, lambda u=url, c=cache, e=end: ours(u, start, e, c, findings=True)
                )
            bad = compare(report, ref)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            results["runs"][name] = {
                "as_of": end.isoformat(),
                "reference_seconds": ref_seconds,
                "first_build_seconds": first,
                "first_facts_build_seconds": facts_first,
                "report_seconds": seconds,
                "with_findings_seconds": with_findings,
                "ratio_to_reference": seconds / ref_seconds,
                "ratio_with_findings": with_findings / ref_seconds,
                "differences": bad[:20],
                "findings": [f["pattern"] for f in full["findings"]],
                "peak_rss_mb": rss,
            }
            print(
                f"{name}: report {seconds:.2f} s ({seconds / ref_seconds:.2f}x the reference), "
                f"with findings {with_findings:.2f} s ({with_findings / ref_seconds:.2f}x); "
                f"first build of the copy {first:.1f} s, of the finding facts {facts_first:.1f} s "
                f"(with a report); peak RSS {rss:.0f} MB; "
                f"{len(bad)} differences",
                flush=True,
            )
            for line in bad[:20]:
                print("   ", line)
    print(json.dumps(results, indent=2, default=str))
    if any(run["differences"] for run in results["runs"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
