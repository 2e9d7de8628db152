"""Print the figures of bench/api_suite.sh as Markdown tables, with the goal ratios."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def main(out: Path) -> None:
    for when in ("before", "after"):
        noise = load(out / f"noise_{when}.json")
        if noise:
            print(
                f"machine noise {when} the runs: {100 * noise['slow_share']:.1f} % of "
                f"{noise['window_ms']:g} ms windows under 70 % of the median CPU speed, "
                f"longest slow stretch {noise['longest_slow_ms']:.0f} ms"
            )
    print()
    print("| backend | tickets | op | req/s | p50 ms | p99 ms |")
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    p99: dict[tuple[str, str, str], float] = {}
    for path in sorted(
        out.glob("read_*.json"), key=lambda p: (p.stem.split("_")[1], int(p.stem.split("_")[2]))
    ):
        _, backend, size = path.stem.split("_")
        for op, r in load(path)["results"]["supportops"].items():
            p99[(backend, size, op)] = r["p99_ms"]
            print(
                f"| {backend} | {int(size):,} | {op} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"
            )
    print()
    for backend in ("sqlite", "postgres"):
        for op in ("get", "list"):
            small, big = p99.get((backend, "10000", op)), p99.get((backend, "1000000", op))
            if small and big:
                print(f"{backend} {op}: p99 at 1M / p99 at 10k = {big / small:.2f} (goal <= 2)")
    print()
    compare = load(out / "create_sqlite_vs_helpdesk.json")
    pg = load(out / "create_postgres.json")
    if compare:
        so = compare["results"]["supportops"]["create"]
        dh = compare["results"]["django-helpdesk"]["create"]
        print("| create | req/s | p50 ms | p99 ms |")
        print("| --- | ---: | ---: | ---: |")
        print(f"| supportops, SQLite | {so['rps']:,.0f} | {so['p50_ms']:.1f} | {so['p99_ms']:.1f} |")
        if pg:
            r = pg["results"]["supportops"]["create"]
            print(f"| supportops, PostgreSQL | {r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |")
        print(f"| django-helpdesk, SQLite | {dh['rps']:,.0f} | {dh['p50_ms']:.1f} | {dh['p99_ms']:.1f} |")
        print(
            f"\ncreate throughput ratio supportops/django-helpdesk (SQLite): {so['rps'] / dh['rps']:.1f}x (goal >= 10)"
        )
        if pg:
            print(
                f"create throughput ratio supportops/django-helpdesk (PostgreSQL): "
                f"{pg['results']['supportops']['create']['rps'] / dh['rps']:.1f}x"
            )


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "var/bench/results"))
