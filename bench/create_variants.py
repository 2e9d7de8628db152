#!/usr/bin/env python3
"""Compare two variants of ticket creation's write path in one process, on SQLite.

Batches of creates alternate between two fresh databases, A and B, in the same process, so the
machine's noise (which moves separate runs by 10-30 %) falls on both alike; the figure is the CPU
time per create of each, and B/A. An A/A run (no options) reads 1.00.

B differs from A by SQL run on it after migrating (``--b-sql``, statements separated by ``|``),
or by Python code switched on for B's batches and off for A's (``--b-patch FILE``: a file that
defines ``on()`` and ``off()``).

  .venv/bin/python bench/create_variants.py --b-sql "DROP TRIGGER tickets_fts_ai"
  .venv/bin/python bench/create_variants.py --b-patch my_patch.py --tickets 6000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from create_inprocess import bench_actor, bench_bodies, open_batch  # beside this script

from supportops import registry
from supportops.auth.principal import Principal
from supportops.config import get_settings
from supportops.db import migrate
from supportops.db.session import Database

WARM_UP = 300


def _database(folder: Path, name: str, statements: list[str]) -> tuple[Database, Principal]:
    url = f"sqlite:///{folder / name}.db"
    migrate.upgrade(url)
    db = Database.from_url(url)
    with db.engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    return db, bench_actor(db)


def _switches(path: str | None) -> tuple[Callable[[], None], Callable[[], None]]:
    if path is None:
        return (lambda: None), (lambda: None)
    namespace: dict[str, object] = {}
    exec(compile(Path(path).read_text(), path, "exec"), namespace)  # the caller's own file
    on, off = namespace["on"], namespace["off"]
    assert callable(on) and callable(off), f"{path} must define on() and off()"
    return on, off


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--b-sql", default="", help="statements run on B after migrating, separated by |")
    parser.add_argument("--b-patch", help="a Python file defining on() and off(), switched for B's batches")
    parser.add_argument("--batch", type=int, default=8, help="creates per transaction")
    parser.add_argument("--tickets", type=int, default=4000, help="measured creates per database")
    args = parser.parse_args()
    if args.batch < 1 or args.tickets < 2 * args.batch:
        parser.error("--batch must be at least 1 and --tickets at least twice --batch")
    assert registry.LOADED
    settings = get_settings()
    on, off = _switches(args.b_patch)
    bodies = bench_bodies(args.batch)
    with tempfile.TemporaryDirectory(prefix="supportops-variants-") as folder:
        a = _database(Path(folder), "a", [])
        b = _database(Path(folder), "b", [s for s in args.b_sql.split("|") if s.strip()])

        def batch(variant: tuple[Database, Principal], switch: Callable[[], None]) -> float:
            db, actor = variant
            switch()
            started = time.process_time()
            open_batch(db, actor, bodies, settings)
            return time.process_time() - started

        for _ in range(WARM_UP // args.batch):
            batch(a, off)
            batch(b, on)
        times_a: list[float] = []
        times_b: list[float] = []
        for i in range(args.tickets // args.batch):
            if i % 2:
                times_a.append(batch(a, off))
                times_b.append(batch(b, on))
            else:
                times_b.append(batch(b, on))
                times_a.append(batch(a, off))
        for db, _ in (a, b):
            db.engine.dispose()
    n = len(times_a) * args.batch
    per_a, per_b = sum(times_a) / n * 1e6, sum(times_b) / n * 1e6
    print(
        f"A {per_a:.0f} us, B {per_b:.0f} us CPU per create, B/A {per_b / per_a:.3f} "
        f"(median batch: A {statistics.median(times_a) / args.batch * 1e6:.0f}, "
        f"B {statistics.median(times_b) / args.batch * 1e6:.0f} us per create; {n} creates each)"
    )


if __name__ == "__main__":
    main()
