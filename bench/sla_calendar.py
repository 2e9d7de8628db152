#!/usr/bin/env python3
"""SLA calendar arithmetic: our deadline engine against businesstimedelta and pandas CustomBusinessHour.

The same random deadline cases (fixed seed; a start anywhere in 2026-2027, to the second; a target
of 1 to 80 business hours) run on each schedule that the other libraries can express, all in UTC:

  office   Mon-Fri 09:00-17:00, closed on the US federal holidays of 2026-2028
  split    Mon-Fri 09:00-12:30 and 13:30-17:00, same holidays
  minutes  the split schedule with targets of any whole minute (1 to 4,800): pandas adds whole
           business hours only, so this run is ours against businesstimedelta alone

Throughput is cases per second over all cases, one engine after the other in one process; ours
includes compiling its calendar on first use. Each library gets its inputs in its own types, built
before the clock starts (pandas also gets its offsets for every hour count prebuilt).

Checks, reported rather than asserted:
  - ours against a minute-walk reference written here, on the first --reference cases of each run;
  - ours against each library on every case: "equal", "equivalent" (different instants with no
    business time between them: pandas answers the next opening where a target ends exactly at
    closing time, we answer the closing time), or "differ", with examples.

Usage:  .venv/bin/python bench/sla_calendar.py [--cases 100000] [--seed 7] [--reference 2000]
Needs:  .venv/bin/pip install -r bench/requirements-sla.txt
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version

import businesstimedelta as btd
import pandas as pd

from supportops.sla.calendar import Calendar, add_business_minutes, business_minutes_between, holiday_preset

UTC = dt.UTC
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
HOLIDAYS = holiday_preset("US", years=[2026, 2027, 2028])


@dataclass(frozen=True)
class Schedule:
    name: str
    spans: tuple[tuple[str, str], ...]
    whole_hours: bool

    def calendar(self) -> Calendar:
        return Calendar(
            timezone="UTC", week={day: list(self.spans) for day in WORKDAYS}, holidays=list(HOLIDAYS)
        )

    def minute_spans(self) -> list[tuple[int, int]]:
        return [(_minute_of(start), _minute_of(end)) for start, end in self.spans]


SCHEDULES = (
    Schedule("office", (("09:00", "17:00"),), whole_hours=True),
    Schedule("split", (("09:00", "12:30"), ("13:30", "17:00")), whole_hours=True),
    Schedule("minutes", (("09:00", "12:30"), ("13:30", "17:00")), whole_hours=False),
)


@dataclass(frozen=True)
class Case:
    start: dt.datetime
    minutes: int


def _minute_of(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def make_cases(count: int, seed: int, *, whole_hours: bool) -> list[Case]:
    rng = random.Random(seed)
    first = int(dt.datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    last = int(dt.datetime(2028, 1, 1, tzinfo=UTC).timestamp())
    cases = []
    for _ in range(count):
        start = dt.datetime.fromtimestamp(rng.randrange(first, last), UTC)
        minutes = rng.randint(1, 80) * 60 if whole_hours else rng.randint(1, 4800)
        cases.append(Case(start, minutes))
    return cases


# --- the engines -----------------------------------------------------------------------------


def run_ours(schedule: Schedule, cases: Sequence[Case]) -> tuple[float, list[dt.datetime]]:
    calendar = schedule.calendar()
    began = time.perf_counter()
    answers = [add_business_minutes(calendar, case.start, case.minutes) for case in cases]
    return time.perf_counter() - began, answers


def run_businesstimedelta(schedule: Schedule, cases: Sequence[Case]) -> tuple[float, list[dt.datetime]]:
    rules: list[btd.Rule] = [
        btd.WorkDayRule(start_time=dt.time(9), end_time=dt.time(17), working_days=[0, 1, 2, 3, 4]),
        btd.HolidayRule(set(HOLIDAYS)),
    ]
    if len(schedule.spans) == 2:
        rules.append(
            btd.LunchTimeRule(
                start_time=dt.time(12, 30), end_time=dt.time(13, 30), working_days=[0, 1, 2, 3, 4]
            )
        )
    combined = btd.Rules(rules)
    deltas = {m: btd.BusinessTimeDelta(combined, seconds=m * 60) for m in {case.minutes for case in cases}}
    began = time.perf_counter()
    answers = [case.start + deltas[case.minutes] for case in cases]
    return time.perf_counter() - began, [answer.astimezone(UTC) for answer in answers]


def run_pandas(schedule: Schedule, cases: Sequence[Case]) -> tuple[float, list[dt.datetime]]:
    starts = [pd.Timestamp(case.start) for case in cases]
    offsets = {
        hours: pd.offsets.CustomBusinessHour(
            n=hours,
            start=[start for start, _ in schedule.spans],
            end=[end for _, end in schedule.spans],
            weekmask="Mon Tue Wed Thu Fri",
            holidays=list(HOLIDAYS),
        )
        for hours in {case.minutes // 60 for case in cases}
    }
    began = time.perf_counter()
    answers = [start + offsets[case.minutes // 60] for start, case in zip(starts, cases, strict=True)]
    return time.perf_counter() - began, [answer.to_pydatetime() for answer in answers]


# --- the minute-walk reference -------------------------------------------------------------------


def reference_due(schedule: Schedule, start: dt.datetime, minutes: int) -> dt.datetime:
    """Walk the UTC minutes from start, counting those inside the schedule, until the target is met."""
    spans = schedule.minute_spans()
    closed = set(HOLIDAYS)
    day = start.date()
    second = start.hour * 3600 + start.minute * 60 + start.second
    left = minutes * 60
    while True:
        open_today = day.weekday() < 5 and day not in closed
        for minute in range(second // 60, 1440) if open_today else ():
            if any(a <= minute < b for a, b in spans):
                begin = max(second, minute * 60)
                available = (minute + 1) * 60 - begin
                if left <= available:
                    return dt.datetime.combine(day, dt.time(), UTC) + dt.timedelta(seconds=begin + left)
                left -= available
        day += dt.timedelta(days=1)
        second = 0


# --- comparing answers ---------------------------------------------------------------------------


@dataclass
class Agreement:
    equal: int = 0
    equivalent: int = 0
    differ: int = 0
    examples: list[str] | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "equal": self.equal,
            "equivalent": self.equivalent,
            "differ": self.differ,
            "examples": self.examples,
        }


def compare(
    calendar: Calendar, cases: Sequence[Case], ours: Sequence[dt.datetime], theirs: Sequence[dt.datetime]
) -> Agreement:
    result = Agreement(examples=[])
    assert result.examples is not None
    for case, mine, other in zip(cases, ours, theirs, strict=False):
        if mine == other:
            result.equal += 1
        elif business_minutes_between(calendar, min(mine, other), max(mine, other)) == 0:
            result.equivalent += 1
        else:
            result.differ += 1
            if len(result.examples) < 3:
                result.examples.append(
                    f"start {case.start:%Y-%m-%d %a %H:%M:%S} + {case.minutes} min: "
                    f"ours {mine:%Y-%m-%d %a %H:%M:%S}, theirs {other:%Y-%m-%d %a %H:%M:%S}"
                )
    return result


# --- the run ---------------------------------------------------------------------------------------

Engine = Callable[[Schedule, Sequence[Case]], tuple[float, list[dt.datetime]]]
ENGINES: dict[str, Engine] = {
    "supportops": run_ours,
    "businesstimedelta": run_businesstimedelta,
    "pandas CustomBusinessHour": run_pandas,
}


def bench_schedule(schedule: Schedule, args: argparse.Namespace) -> dict[str, object]:
    cases = make_cases(args.cases, args.seed, whole_hours=schedule.whole_hours)
    calendar = schedule.calendar()
    engines = [name for name in ENGINES if schedule.whole_hours or name != "pandas CustomBusinessHour"]
    seconds: dict[str, float] = {}
    answers: dict[str, list[dt.datetime]] = {}
    for name in engines:
        seconds[name], answers[name] = ENGINES[name](schedule, cases)
        print(
            f"  {name:<27} {len(cases) / seconds[name]:>12,.0f} cases/s  ({seconds[name]:.2f} s)", flush=True
        )
    checked = cases[: args.reference]
    wrong = [
        case
        for case, mine in zip(checked, answers["supportops"], strict=False)
        if mine != reference_due(schedule, case.start, case.minutes)
    ]
    print(f"  minute-walk reference: {len(checked) - len(wrong):,} of {len(checked):,} equal")
    result: dict[str, object] = {
        "cases": len(cases),
        "throughput": {name: len(cases) / seconds[name] for name in engines},
        "reference": {"checked": len(checked), "wrong": len(wrong)},
        "agreement": {},
    }
    for name in engines[1:]:
        agreement = compare(calendar, cases, answers["supportops"], answers[name])
        ratio = seconds[name] / seconds["supportops"]
        print(
            f"  vs {name}: {ratio:,.1f}x; equal {agreement.equal:,}, equivalent {agreement.equivalent:,}, "
            f"differ {agreement.differ:,}"
        )
        for example in agreement.examples or []:
            print(f"      {example}")
        result["agreement"][name] = agreement.as_dict()  # type: ignore[index]
    return result


def machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "libraries": {name: version(name) for name in ("businesstimedelta", "pandas", "numpy", "holidays")},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reference", type=int, default=2_000, help="cases checked by the minute walk")
    parser.add_argument("--schedule", choices=[s.name for s in SCHEDULES], action="append")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    info = machine()
    print(f"python {info['python']} on {info['platform']}, {info['cpus']} cpus; {info['libraries']}")
    results: dict[str, object] = {"machine": info, "seed": args.seed}
    for schedule in SCHEDULES:
        if args.schedule and schedule.name not in args.schedule:
            continue
        print(
            f"{schedule.name}: {', '.join(f'{a}-{b}' for a, b in schedule.spans)} Mon-Fri UTC, {len(HOLIDAYS)} holidays"
        )
        results[schedule.name] = bench_schedule(schedule, args)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
