#!/usr/bin/env python3
"""Agent pages at scale: the ticket page and every queue view, rendered by a real server.

For each database (the large one under test, and a small one as the baseline in the same run) the
bench starts ``supportops serve`` (one HTTP process, no job worker) on a free loopback port, signs
in through the login form like a browser, and requests pages one after another, timing each from
the request to the last byte of the body:

- the ticket page ``/agent/tickets/{id}`` of tickets drawn at random, four in five from the whole
  history and one in five from the open tickets (what agents mostly open), as the lead and as an L1
  agent;
- every queue of ``/agent`` (mine, my groups, unassigned, all open, SLA at risk, SLA breached, by
  next SLA due, needs triage, waiting on customer, resolved, all tickets), its second page, and the
  refinements an agent sets: a priority, a group, an assignee, a tag, a search word, a sort.

Every answer must be 200 with the page's own marker in it, or the run fails. It prints p50, p90,
p99 and max per page family, the ratio of each p99 to the baseline database's, and writes JSON.

Usage:
    .venv/bin/python bench/web_pages.py --database sqlite:////path/1m.db \\
        --baseline sqlite:////path/10k.db [--ticket-pages 600] [--queue-rounds 8] [--json out.json]

Load each database first with ``supportops db upgrade`` and ``supportops demo load --tickets N``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOGINS = {
    "lead": ("lead@helpdesk.example", "demo-lead-pass"),
    "l1": ("l1@helpdesk.example", "demo-l1-pass"),
}
QUEUES = (
    "mine",
    "groups",
    "unassigned",
    "open",
    "at_risk",
    "breached",
    "due",
    "triage",
    "pending",
    "resolved",
    "all",
)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NEXT = re.compile(r'<a href="(/agent\?[^"]*cursor=[^"]+)">Next page')


def percentile(values: list[float], q: float) -> float:
    """Percentile q in [0, 100] with linear interpolation (numpy's default method)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    pos = (len(ordered) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(database: str) -> Iterator[str]:
    """``supportops serve`` on this database, one HTTP process, until the block ends."""
    port = free_port()
    env = dict(os.environ, SUPPORTOPS_DATABASE_URL=database)
    # Output goes to a file: a pipe nobody reads would stall the server once it filled.
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(
            [BIN / "supportops", "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise SystemExit(f"the server did not start: {log.read()[-2000:]}")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def sign_in(base: str, who: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    form = client.get("/login")
    match = CSRF.search(form.text)
    if match is None:
        raise SystemExit("no CSRF token on the login form")
    email, password = LOGINS[who]
    answer = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": match.group(1), "next": "/agent"}
    )
    if answer.status_code != 303:
        raise SystemExit(f"sign-in as {who} failed: {answer.status_code}")
    return client


@dataclass
class Sample:
    tickets: list[int]
    groups: list[int]
    agents: list[int]
    tags: list[str] = field(default_factory=lambda: ["billing", "refund", "login", "needs-triage"])
    words: list[str] = field(default_factory=lambda: ["invoice", "password", "export", "refund"])


def sample(database: str, count: int, seed: int) -> Sample:
    """Ticket ids (4 in 5 from the whole history, 1 in 5 open), the groups and the agents."""
    rng = random.Random(seed)
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        low, high = conn.execute(sa.text("SELECT min(id), max(id) FROM tickets")).one()
        open_ids = [
            r[0]
            for r in conn.execute(
                sa.text("SELECT id FROM tickets WHERE status NOT IN ('resolved', 'closed') ORDER BY id")
            )
        ]
        groups = [r[0] for r in conn.execute(sa.text("SELECT id FROM groups ORDER BY id"))]
        agents = [
            r[0]
            for r in conn.execute(sa.text("SELECT id FROM users WHERE role IN ('agent', 'lead') ORDER BY id"))
        ]
    engine.dispose()
    tickets = [
        rng.choice(open_ids) if open_ids and rng.random() < 0.2 else rng.randint(low, high)
        for _ in range(count)
    ]
    return Sample(tickets=tickets, groups=groups, agents=agents)


def queue_urls(s: Sample, rng: random.Random) -> list[tuple[str, str]]:
    """(family, url) for each queue, and one round of refinements."""
    urls = [(f"queue {q}", "/agent?" + urlencode({"queue": q})) for q in QUEUES]
    refinements = [
        {"queue": "all", "priority": rng.choice(["P1", "P2", "P3", "P4", "P5"])},
        {"queue": "open", "group_id": rng.choice(s.groups)},
        {"queue": "all", "assignee": rng.choice(s.agents)},
        {"queue": "open", "tag": rng.choice(s.tags)},
        {"queue": "all", "q": rng.choice(s.words)},
        {"queue": "open", "sort": "sla_due"},
        {"queue": "all", "status": "pending", "priority": "P2"},
    ]
    urls += [("queue refined", "/agent?" + urlencode(r)) for r in refinements]
    return urls


def timed(client: httpx.Client, url: str, marker: str) -> tuple[float, str]:
    start = time.perf_counter()
    answer = client.get(url)
    body = answer.text
    elapsed = (time.perf_counter() - start) * 1000
    if answer.status_code != 200 or marker not in body:
        raise SystemExit(f"GET {url}: {answer.status_code}, marker {marker!r} missing")
    return elapsed, body


def run(database: str, *, ticket_pages: int, queue_rounds: int, seed: int) -> dict[str, list[float]]:
    rng = random.Random(seed)
    s = sample(database, ticket_pages, seed)
    times: dict[str, list[float]] = defaultdict(list)
    with server(database) as base:
        clients = {who: sign_in(base, who) for who in LOGINS}
        for client in clients.values():  # warm-up: first imports, the suggestion index, caches
            for ticket_id in s.tickets[:5]:
                timed(client, f"/agent/tickets/{ticket_id}", "<h2>Knowledge</h2>")
            for _, url in queue_urls(s, rng):
                timed(client, url, "</main>")
        for i, ticket_id in enumerate(s.tickets):
            who = "lead" if i % 2 == 0 else "l1"
            elapsed, _ = timed(clients[who], f"/agent/tickets/{ticket_id}", "<h2>Knowledge</h2>")
            times["ticket page"].append(elapsed)
        for _ in range(queue_rounds):
            for client in clients.values():
                for family, url in queue_urls(s, rng):
                    elapsed, body = timed(client, url, "</main>")
                    times[family].append(elapsed)
                    times["queue (all)"].append(elapsed)
                    more = NEXT.search(body)
                    if more and family.startswith("queue ") and family != "queue refined":
                        elapsed, _ = timed(client, more.group(1).replace("&amp;", "&"), "</main>")
                        times["queue next page"].append(elapsed)
                        times[f"{family}, page 2"].append(elapsed)
                        times["queue (all)"].append(elapsed)
        for _ in range(200):
            start = time.perf_counter()
            clients["lead"].get("/healthz")
            times["healthz (floor)"].append((time.perf_counter() - start) * 1000)
        for client in clients.values():
            client.close()
    return dict(times)


def count_tickets(database: str) -> int:
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        n = int(conn.execute(sa.text("SELECT count(*) FROM tickets")).scalar_one())
    engine.dispose()
    return n


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True, help="the large database under test")
    parser.add_argument("--baseline", help="a small database, measured the same way in the same run")
    parser.add_argument("--ticket-pages", type=int, default=600)
    parser.add_argument("--queue-rounds", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    runs: dict[str, dict[str, object]] = {}
    for name, database in (("test", args.database), ("baseline", args.baseline)):
        if not database:
            continue
        tickets = count_tickets(database)
        print(f"{name}: {tickets:,} tickets, {database}", flush=True)
        times = run(database, ticket_pages=args.ticket_pages, queue_rounds=args.queue_rounds, seed=args.seed)
        runs[name] = {"tickets": tickets, "times": times}

    test = runs["test"]["times"]
    base = runs.get("baseline", {}).get("times")
    assert isinstance(test, dict)
    print(
        f"\n{'page':<22}{'n':>6}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'base p99':>10}{'ratio':>7}"
    )
    summary: dict[str, dict[str, float]] = {}
    for family, values in sorted(test.items()):
        row = {
            "n": len(values),
            "p50": percentile(values, 50),
            "p90": percentile(values, 90),
            "p99": percentile(values, 99),
            "max": max(values),
        }
        line = f"{family:<22}{row['n']:>6}{row['p50']:>9.1f}{row['p90']:>9.1f}{row['p99']:>9.1f}{row['max']:>9.1f}"
        if isinstance(base, dict) and base.get(family):
            row["baseline_p99"] = percentile(base[family], 99)
            row["ratio"] = row["p99"] / row["baseline_p99"]
            line += f"{row['baseline_p99']:>10.1f}{row['ratio']:>7.2f}"
        summary[family] = row
        print(line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                    "tickets": {k: v["tickets"] for k, v in runs.items()},
                    "summary": summary,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
