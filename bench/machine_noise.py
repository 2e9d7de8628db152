#!/usr/bin/env python3
"""How steady is this machine's CPU right now? Run it before quoting a latency percentile.

Spins a fixed pure-Python loop on one core in back-to-back windows (20 ms by default) and counts
how much work each window got done. On a quiet, dedicated core every window does about the same
work; on a shared machine some windows do far less, because the core ran something else or ran
slower. Nothing here waits on I/O, so every slow window is the machine's, not the program's.

Prints the share of windows that did less than 70 % and less than 50 % of the median window's
work, and the longest run of such slow windows. A server's p99 at fixed concurrency cannot be
better than the machine lets it be: a request in flight during a slow stretch takes as long as
the stretch lasts. Run with nothing else busy for the figure of the machine alone, or beside a
benchmark to see what it shared the cores with.

  .venv/bin/python bench/machine_noise.py --seconds 10
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def spin(seconds: float, window: float) -> list[int]:
    """Units of work done in each window of ``window`` seconds, for ``seconds`` seconds."""
    done: list[int] = []
    end = time.perf_counter() + seconds
    clock = time.perf_counter
    while (start := clock()) < end:
        units = 0
        stop = start + window
        while clock() < stop:
            for _ in range(100):
                pass
            units += 1
        done.append(units)
    return done


def summarize(done: list[int], window: float) -> dict[str, float]:
    median = statistics.median(done)
    slow = [units < 0.7 * median for units in done]
    longest = run = 0
    for is_slow in slow:
        run = run + 1 if is_slow else 0
        longest = max(longest, run)
    return {
        "windows": len(done),
        "window_ms": window * 1000,
        "slow_share": sum(slow) / len(done),
        "very_slow_share": sum(units < 0.5 * median for units in done) / len(done),
        "longest_slow_ms": longest * window * 1000,
        "slowest_ratio": min(done) / median,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--window-ms", type=float, default=20.0)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    if args.seconds <= 0 or not 1 <= args.window_ms <= 1000:
        parser.error("--seconds must be positive and --window-ms between 1 and 1000")
    window = args.window_ms / 1000
    figures = summarize(spin(args.seconds, window), window)
    print(
        f"machine noise over {figures['windows']} windows of {args.window_ms:g} ms: "
        f"{100 * figures['slow_share']:.1f} % under 70 % of the median speed, "
        f"{100 * figures['very_slow_share']:.1f} % under 50 %; longest slow stretch "
        f"{figures['longest_slow_ms']:.0f} ms; slowest window {100 * figures['slowest_ratio']:.0f} %"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(figures, out, indent=2)


if __name__ == "__main__":
    main()
