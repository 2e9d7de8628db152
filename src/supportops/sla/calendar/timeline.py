"""Business time compiled to sorted UTC pieces, so that a deadline is a bisection, not a walk.

Time is cut into fixed UTC chunks of 100 days. A chunk is compiled on its first use: every local
date whose hours could fall into it is mapped through the zone's stretches of constant UTC offset
to UTC pieces, clipped to the chunk, merged, and summed cumulatively. Instants and durations are
integer microseconds since the Unix epoch, so the arithmetic is exact.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

US_PER_SECOND = 1_000_000
CHUNK_SECONDS = 100 * 86_400
CHUNK_US = CHUNK_SECONDS * US_PER_SECOND
# Offsets are probed hourly and each change is then found to the second; tz data has no two
# offset changes within an hour of each other.
_PROBE_SECONDS = 3_600
_SECOND = timedelta(seconds=1)
_EPOCH_DATE = date(1970, 1, 1)

HoursOn = Callable[[date], Sequence[tuple[int, int]]]
"""The business intervals of a local date, in minutes after local midnight, sorted and disjoint."""


def _offset(zone: ZoneInfo, instant: int) -> int:
    offset = datetime.fromtimestamp(instant, zone).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return offset // _SECOND


def _first_change(zone: ZoneInfo, before: int, after: int, offset: int) -> int:
    """The first second in (before, after] whose UTC offset is no longer ``offset``."""
    while after - before > 1:
        middle = (before + after) // 2
        if _offset(zone, middle) == offset:
            before = middle
        else:
            after = middle
    return after


@lru_cache(maxsize=4096)
def _offset_stretches(zone: ZoneInfo, chunk: int) -> tuple[tuple[int, int, int], ...]:
    """The chunk cut where the UTC offset changes: (start, end, offset) in epoch seconds.

    Shared by every calendar in the zone, hence cached apart from them.
    """
    start = chunk * CHUNK_SECONDS
    end = start + CHUNK_SECONDS
    offset = _offset(zone, start)
    stretches: list[tuple[int, int, int]] = []
    for probe in range(start + _PROBE_SECONDS, end + 1, _PROBE_SECONDS):
        if _offset(zone, probe) != offset:
            change = _first_change(zone, probe - _PROBE_SECONDS, probe, offset)
            stretches.append((start, change, offset))
            start, offset = change, _offset(zone, change)
    stretches.append((start, end, offset))
    return tuple(stretches)


@dataclass(frozen=True, slots=True)
class _Chunk:
    """Disjoint business pieces [starts[i], ends[i]) of one chunk, and the business time of the
    chunk up to the end of each piece."""

    starts: list[int]
    ends: list[int]
    reached: list[int]
    total: int

    @classmethod
    def of(cls, pieces: list[tuple[int, int]]) -> _Chunk:
        merged: list[list[int]] = []
        for start, end in sorted(pieces):
            if merged and merged[-1][1] == start:
                merged[-1][1] = end
            else:
                merged.append([start, end])
        reached: list[int] = []
        total = 0
        for start, end in merged:
            total += (end - start) * US_PER_SECOND
            reached.append(total)
        return cls(
            starts=[start * US_PER_SECOND for start, _ in merged],
            ends=[end * US_PER_SECOND for _, end in merged],
            reached=reached,
            total=total,
        )

    def elapsed_until(self, instant: int) -> int:
        """Business time from the chunk's start to ``instant`` (inside this chunk)."""
        index = bisect_right(self.starts, instant) - 1
        if index < 0:
            return 0
        return self.reached[index] - max(0, self.ends[index] - instant)


def _compile(zone: ZoneInfo, hours_on: HoursOn, chunk: int) -> _Chunk:
    start = chunk * CHUNK_SECONDS
    end = start + CHUNK_SECONDS
    stretches = _offset_stretches(zone, chunk)
    pieces: list[tuple[int, int]] = []
    # UTC offsets stay within a day, so the chunk's instants fall on the local dates of its own UTC
    # days and of the day before.
    for day_number in range(start // 86_400 - 1, end // 86_400 + 1):
        midnight = day_number * 86_400
        for opens, closes in hours_on(_EPOCH_DATE + timedelta(days=day_number)):
            wall_start, wall_end = midnight + opens * 60, midnight + closes * 60
            for stretch_start, stretch_end, offset in stretches:
                piece_start = max(stretch_start, wall_start - offset)
                piece_end = min(stretch_end, wall_end - offset)
                if piece_start < piece_end:
                    pieces.append((piece_start, piece_end))
    return _Chunk.of(pieces)


class Timeline:
    """The business time of one calendar; chunks are compiled lazily and kept."""

    def __init__(self, zone: ZoneInfo, hours_on: HoursOn) -> None:
        self._zone = zone
        self._hours_on = hours_on
        self._chunks: dict[int, _Chunk] = {}

    def _chunk(self, number: int) -> _Chunk:
        chunk = self._chunks.get(number)
        if chunk is None:
            chunk = self._chunks[number] = _compile(self._zone, self._hours_on, number)
        return chunk

    def elapsed(self, start: int, end: int) -> int:
        """Business time in [start, end), for start <= end."""
        first, last = start // CHUNK_US, end // CHUNK_US
        if first == last:
            chunk = self._chunk(first)
            return chunk.elapsed_until(end) - chunk.elapsed_until(start)
        chunk = self._chunk(first)
        total = chunk.total - chunk.elapsed_until(start)
        for number in range(first + 1, last):
            total += self._chunk(number).total
        return total + self._chunk(last).elapsed_until(end)

    def pieces(self, start: int, end: int) -> tuple[list[int], list[int]]:
        """The business pieces of the chunks that hold [start, end]: starts and ends, sorted, for
        vectorised arithmetic over many instants at once."""
        starts: list[int] = []
        ends: list[int] = []
        for number in range(start // CHUNK_US, end // CHUNK_US + 1):
            chunk = self._chunk(number)
            starts.extend(chunk.starts)
            ends.extend(chunk.ends)
        return starts, ends

    def reach(self, start: int, amount: int, *, limit: int) -> int | None:
        """The earliest instant by which ``amount`` (> 0) of business time has passed since start,
        or None when the chunks up to ``limit`` do not hold that much."""
        number = start // CHUNK_US
        chunk = self._chunk(number)
        target = chunk.elapsed_until(start) + amount
        while target > chunk.total:
            target -= chunk.total
            number += 1
            if number * CHUNK_US > limit:
                return None
            chunk = self._chunk(number)
        index = bisect_left(chunk.reached, target)
        return chunk.ends[index] - (chunk.reached[index] - target)

    def next_opening(self, start: int, *, limit: int) -> int | None:
        """The first business instant at or after start, or None when none comes before ``limit``."""
        number = start // CHUNK_US
        while number * CHUNK_US <= limit:
            chunk = self._chunk(number)
            index = bisect_right(chunk.ends, start)
            if index < len(chunk.ends):
                return max(chunk.starts[index], start)
            number += 1
        return None
