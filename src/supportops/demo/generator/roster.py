"""The agents' shifts: the presence log, and the lookups the story uses to give work to agents who
are on shift. Only agents have presence; leads and the admin do not handle tickets.

The team is rostered to a forecast, as a workforce planner would: each week a tier gets the online
hours its forecast workload needs at the target utilization (``HANDLE_PER_TICKET`` seconds of
in-shift work per ticket), shared among its agents by contract (full- or part-time) as shifts on
weekdays of each agent's own time zone, with a lunch break. Sick days and vacations take shifts away
without replacement, which the forecast allows for (``ABSENCE``). Utilization lands near the target
because the story hands work to whoever is online when it is done. Work done outside a shift (a P1
at night, handled on call) puts the agent online for its duration, so every time entry lies in time
online.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from supportops.auth.enums import Role, Tier
from supportops.demo.generator.people import _World
from supportops.demo.generator.shape import (
    _DAY,
    _EPOCH,
    _HOUR,
    _MIN,
    ABSENCE,
    COVERAGE,
    COVERAGE_CENTER,
    HANDLE_PER_TICKET,
    LOCAL_STARTS,
    MAX_SHIFT,
    MIN_SHIFT,
    PART_TIME_CHANCE,
    SICK_DAY_CHANCE,
    TARGET_UTILIZATION,
    VACATION_WEEKS_PER_YEAR,
    _weekly_workload,
)

SLOT = 15 * _MIN
QUEUE_SLOTS = 12  # a queue waiting for the morning is worked through in its first three hours
ON_CALL_PADDING = 2 * _MIN
ON_CALL_JOIN = 15 * _MIN
NEVER = 1 << 62


@dataclass(frozen=True)
class _Contract:
    share: float
    """Full time is 1.0; a tier's weekly hours are split by share."""
    weekdays: tuple[int, ...]
    """Days the agent may work (Monday is 0), most preferred first; a light week uses the first."""
    starts_at: int
    """Usual start, minutes after local midnight."""
    zone: ZoneInfo
    """The agent's own time zone: shifts follow its weekdays and daylight saving time."""


class _Roster:
    """Online stretches per agent and, per group, who is online in each 15-minute slot; plus the
    work the story had agents do outside their shifts, which :meth:`presence` turns into time
    online."""

    def __init__(self, start: int, now: int) -> None:
        self.start = start
        self.now = now
        self.origin = (start // _DAY - 1) * _DAY
        self.slot_count = (now - self.origin) // SLOT + 1
        self.starts: dict[int, list[int]] = {}
        self.ends: dict[int, list[int]] = {}
        self.changes: list[tuple[int, int, str]] = []
        """The shifts' (at, agent, state) up to ``now``, in time order."""
        self.by_slot: dict[int, list[tuple[int, ...]]] = {}
        self.next_covered: dict[int, list[int]] = {}
        self.run_end: dict[int, list[int]] = {}
        self.rota: dict[int, list[int]] = {}
        self.on_call: dict[int, list[tuple[int, int]]] = {}

    def stretch(self, agent: int, t: int) -> tuple[int, int, int]:
        """``(when, begin, end)``: the first instant at or after ``t`` when ``agent`` is online, and
        the stretch online ``[begin, end)`` it falls in; ``when`` is ``NEVER`` past the last shift."""
        starts = self.starts.get(agent)
        if not starts:
            return t, t, NEVER
        ends = self.ends[agent]
        i = bisect.bisect_right(starts, t) - 1
        if i >= 0 and t < ends[i]:
            return t, starts[i], ends[i]
        if i + 1 < len(starts):
            return starts[i + 1], starts[i + 1], ends[i + 1]
        return NEVER, NEVER, NEVER

    def pick(self, rng: random.Random, group: int, t: int, *, wait: bool) -> tuple[int, int]:
        """An agent of ``group`` online at ``t`` and ``t``; else, when ``wait``, one online at a time
        in the first hours the group is back (the queue that built up is shared by whoever comes
        in, not left to the first to arrive); else (or when nobody ever is) the agent on call and
        ``t``."""
        slot = (t - self.origin) // SLOT
        if 0 <= slot < self.slot_count:
            here = self.by_slot[group][slot]
            if here:
                return rng.choice(here), t
            later = self.next_covered[group][slot] if wait else -1
            if later >= 0:
                spread = min(later + rng.randrange(QUEUE_SLOTS), self.slot_count - 1)
                if self.by_slot[group][spread]:
                    later = spread
                agent = rng.choice(self.by_slot[group][later])
                return agent, self.origin + later * SLOT + rng.randrange(SLOT)
        return self.on_call_for(group, t), t

    def on_call_for(self, group: int, t: int) -> int:
        """The group's agent on call in ``t``'s week: the full-timers take turns a week each."""
        rota = self.rota[group]
        return rota[((t // _DAY + 3) // 7) % len(rota)]

    def covered_until(self, group: int, t: int) -> int | None:
        """When the run of covered slots ``t`` falls in ends (the group's last agent goes off
        shift); None when nobody in ``group`` is online at ``t``."""
        slot = (t - self.origin) // SLOT
        if 0 <= slot < self.slot_count and self.by_slot[group][slot]:
            return self.origin + self.run_end[group][slot] * SLOT
        return None

    def note_work(self, agent: int, begin: int, end: int) -> None:
        """A time entry: remembered when it does not lie within one of the agent's stretches online
        (the agent worked on call, or on past the end of a shift)."""
        when, online_from, _ = self.stretch(agent, end - 1)
        if not (when == end - 1 and online_from <= begin):
            self.on_call.setdefault(agent, []).append((begin, end))

    def presence(self) -> list[tuple[int, int, str]]:
        """The presence log, in time order: the shifts' changes, and the agent going online for
        the time of any work outside them (away or offline again after it)."""
        if not self.on_call:
            return self.changes
        timelines: dict[int, list[tuple[int, str]]] = {}
        for at, agent, state in self.changes:
            if agent in self.on_call:
                timelines.setdefault(agent, []).append((at, state))
        out = [change for change in self.changes if change[1] not in self.on_call]
        for agent, pieces in self.on_call.items():
            merged = _overlay(timelines.get(agent, []), _merge(pieces, self.start, self.now))
            out.extend((at, agent, state) for at, state in merged)
        out.sort()
        return out


def _merge(pieces: list[tuple[int, int]], start: int, now: int) -> list[tuple[int, int]]:
    """Work on call as time online: from a couple of minutes before to after, in [start, now],
    one stretch for pieces of work less than ``ON_CALL_JOIN`` apart."""
    out: list[tuple[int, int]] = []
    for begin, end in sorted(pieces):
        begin, end = max(start, begin - ON_CALL_PADDING), min(now, end + ON_CALL_PADDING)
        if end <= begin:
            continue
        if out and begin <= out[-1][1] + ON_CALL_JOIN:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((begin, end))
    return out


def _overlay(timeline: list[tuple[int, str]], pieces: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """The changes of an agent who is online during ``pieces`` and otherwise as in ``timeline``."""
    times = [at for at, _ in timeline]
    piece_starts = [begin for begin, _ in pieces]
    points = sorted({*times, *piece_starts, *(end for _, end in pieces)})
    out: list[tuple[int, str]] = []
    previous = "offline"
    for point in points:
        i = bisect.bisect_right(piece_starts, point) - 1
        if i >= 0 and point < pieces[i][1]:
            state = "online"
        else:
            j = bisect.bisect_right(times, point) - 1
            state = timeline[j][1] if j >= 0 else "offline"
        if state != previous:
            out.append((point, state))
            previous = state
    return out


def _offset(zone: ZoneInfo, day: int, cache: dict[tuple[str, int], int]) -> int:
    key = (zone.key, day)
    value = cache.get(key)
    if value is None:
        noon = (_EPOCH + timedelta(days=day, hours=12)).replace(tzinfo=None)
        delta = zone.utcoffset(noon)
        value = cache[key] = int(delta.total_seconds()) if delta is not None else 0
    return value


def _contracts(rng: random.Random, world: _World, day: int, span: dict[Tier, int]) -> dict[int, _Contract]:
    """Everyone full-time on Monday to Friday except some part-timers; the demo logins (the first
    agent of each tier) are full-time. A tier's shifts are staggered from east to west, each agent
    starting ``span[tier]`` (a typical day) after the previous one until the tier's block, centred
    on the busiest hours, fills ``COVERAGE`` (UTC): even a small team covers the busy part of the
    day."""
    out: dict[int, _Contract] = {}
    tiers: dict[Tier, list[tuple[int, ZoneInfo]]] = {}
    for staff in world.staff.values():
        if staff.role == Role.agent and staff.tier is not None:
            tiers.setdefault(staff.tier, []).append((staff.id, ZoneInfo(staff.timezone)))
    cache: dict[tuple[str, int], int] = {}
    opens, closes = COVERAGE
    for tier, members in tiers.items():
        offsets = {agent: _offset(zone, day, cache) for agent, zone in members}
        east_to_west = sorted(members, key=lambda m: (-offsets[m[0]], m[0]))
        position = {agent: i for i, (agent, _) in enumerate(east_to_west)}
        block = min(closes - opens, len(members) * span[tier])
        first = max(opens, min(closes - block, COVERAGE_CENTER - block // 2))
        step = (block - span[tier]) / (len(members) - 1) if len(members) > 1 else 0
        for agent, zone in members:
            utc_start = first + step * position[agent]
            local = (utc_start + offsets[agent]) // _MIN
            local = min(LOCAL_STARTS[1], max(LOCAL_STARTS[0], round(local / 30) * 30))
            weekdays = tuple(rng.sample(range(5), 5))
            if agent != members[0][0] and rng.random() < PART_TIME_CHANCE:
                days = rng.choice((3, 4))
                share = days / 5 * rng.uniform(0.8, 1.0)
                out[agent] = _Contract(share, weekdays[:days], int(local), zone)
            else:
                out[agent] = _Contract(1.0, weekdays, int(local), zone)
    return out


def _days_and_length(hours: float, weekdays: int) -> tuple[int, int]:
    """A week's ``hours`` online as shifts: on as many of the agent's ``weekdays`` as keep a shift at
    least ``MIN_SHIFT`` long, each at most ``MAX_SHIFT``."""
    days = min(weekdays, max(1, int(hours // MIN_SHIFT)))
    return days, int(min(MAX_SHIFT, max(MIN_SHIFT, hours / days)))


def _typical_span(world: _World, forecast: dict[int, float]) -> dict[Tier, int]:
    """Per tier, a full-timer's day in an average week, lunch included: the staggering step."""
    average = sum(forecast.values()) / max(len(forecast), 1)
    heads: dict[Tier, int] = {}
    for staff in world.staff.values():
        if staff.role == Role.agent and staff.tier is not None:
            heads[staff.tier] = heads.get(staff.tier, 0) + 1
    out: dict[Tier, int] = {}
    for tier, count in heads.items():
        hours = average * HANDLE_PER_TICKET[tier] / (TARGET_UTILIZATION * (1 - ABSENCE)) / count
        _, online = _days_and_length(hours, 5)
        out[tier] = online + (45 * _MIN if online > 5 * _HOUR else 0)
    return out


def _vacations(rng: random.Random, first_day: int, last_day: int) -> set[int]:
    """Whole weeks off, about ``VACATION_WEEKS_PER_YEAR`` a year."""
    weeks = VACATION_WEEKS_PER_YEAR * (last_day - first_day) / 365
    count = int(weeks) + (rng.random() < weeks - int(weeks))
    off: set[int] = set()
    for _ in range(count):
        monday = first_day + rng.randrange(max(last_day - first_day, 1))
        monday -= (monday + 3) % 7
        off.update(range(monday, monday + 5))
    return off


def _shift(rng: random.Random, begin: int, online: int) -> list[tuple[int, str]]:
    """One day's changes, in seconds after local midnight: online, away over a lunch break on a
    long day (and sometimes a short break), online again, offline after ``online`` seconds online."""
    breaks: list[tuple[int, int]] = []
    if online > 5 * _HOUR:
        breaks.append((int(online * rng.uniform(0.42, 0.55)), rng.choice((30, 45, 60)) * _MIN))
        if online > 6.5 * _HOUR and rng.random() < 0.5:
            breaks.append((int(online * rng.uniform(0.75, 0.85)), rng.randint(10, 20) * _MIN))
    out = [(begin, "online")]
    paused = 0
    for at, length in breaks:
        out.append((begin + at + paused, "away"))
        paused += length
        out.append((begin + at + paused, "online"))
    out.append((begin + online + paused, "offline"))
    return out


def _build_roster(rng: random.Random, world: _World, *, tickets: int, start: int, now: int) -> _Roster:
    """Shifts from the first day of the history to the end of ``now``'s week; the presence log keeps
    the changes in [start, now], whole shifts only (a shift that began before ``start`` is left out)."""
    roster = _Roster(start, now)
    workload = _weekly_workload(tickets, start, now)
    contracts = _contracts(rng, world, start // _DAY, _typical_span(world, workload))
    shares: dict[Tier | None, float] = {}
    for agent_id, contract in contracts.items():
        tier = world.staff[agent_id].tier
        shares[tier] = shares.get(tier, 0.0) + contract.share
    cache: dict[tuple[str, int], int] = {}
    first_day, last_day = start // _DAY, now // _DAY
    changes: list[tuple[int, int, str]] = []
    for agent_id, contract in contracts.items():
        staff = world.staff[agent_id]
        assert staff.tier is not None
        zone = contract.zone
        weekly = HANDLE_PER_TICKET[staff.tier] / (TARGET_UTILIZATION * (1 - ABSENCE))
        portion = contract.share / shares[staff.tier]
        off = _vacations(rng, first_day, last_day)
        starts: list[int] = []
        ends: list[int] = []
        for monday, expected in workload.items():
            hours = expected * weekly * portion
            weekdays = [d for d in contract.weekdays if monday + d >= first_day]
            if hours <= 0 or not weekdays:
                continue
            days, online = _days_and_length(hours, len(weekdays))
            for weekday in sorted(weekdays[:days]):
                day = monday + weekday
                if day in off or rng.random() < SICK_DAY_CHANCE:
                    continue
                begin = contract.starts_at * _MIN + rng.randint(-10, 10) * _MIN
                base = day * _DAY - _offset(zone, day, cache)
                moves = [(base + at, state) for at, state in _shift(rng, begin, online)]
                if moves[0][0] < start:
                    continue
                for (at, state), (until, _) in itertools.pairwise(moves):
                    if state == "online":
                        starts.append(at)
                        ends.append(until)
                changes.extend((at, agent_id, state) for at, state in moves if at <= now)
        roster.starts[agent_id] = starts
        roster.ends[agent_id] = ends
    changes.sort()
    roster.changes = changes
    _index_slots(roster, world)
    for group_id, members in world.group_agents.items():
        full_time = [agent for agent in members if contracts[agent].share == 1.0]
        roster.rota[group_id] = full_time or list(members)
    return roster


def _index_slots(roster: _Roster, world: _World) -> None:
    """Per group and slot, the agents online for the whole slot, and the next slot with anyone."""
    count = roster.slot_count
    covered: dict[int, list[int]] = {}
    for agent_id, starts in roster.starts.items():
        slots: list[int] = []
        for a, b in zip(starts, roster.ends[agent_id], strict=True):
            first = max(0, -(-(a - roster.origin) // SLOT))
            last = min(count, (b - roster.origin) // SLOT)
            slots.extend(range(first, last))
        covered[agent_id] = slots
    for group_id, members in world.group_agents.items():
        here: dict[int, list[int]] = {}
        for agent_id in members:
            for slot in covered.get(agent_id, ()):
                here.setdefault(slot, []).append(agent_id)
        by_slot: list[tuple[int, ...]] = [()] * count
        for slot, agents in here.items():
            by_slot[slot] = tuple(sorted(agents))
        later = [-1] * count
        run_end = [-1] * count
        nxt = -1
        gap = count
        for slot in range(count - 1, -1, -1):
            if by_slot[slot]:
                nxt = slot
                run_end[slot] = gap
            else:
                gap = slot
            later[slot] = nxt
        roster.by_slot[group_id] = by_slot
        roster.next_covered[group_id] = later
        roster.run_end[group_id] = run_end
