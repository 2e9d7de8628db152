"""Business minutes for many intervals at once: the report's durations in one calendar.

The calendar's business pieces over the whole span are laid end to end with the business time
before each; the business time up to an instant is then one binary search, done for every instant
in a single vectorised call.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from supportops.sla.calendar.model import Calendar

FloatArray = npt.NDArray[np.float64]
_US = 1_000_000


class BusinessMinutes:
    """``between(starts, ends)`` in business minutes of ``calendar``; around the clock without one."""

    def __init__(self, calendar: Calendar | None) -> None:
        self.calendar = calendar

    def between(self, starts: FloatArray, ends: FloatArray) -> FloatArray:
        """Business minutes in [start, end) for epoch-second arrays; 0 where end is not after start."""
        if self.calendar is None or len(starts) == 0:
            return np.maximum(ends - starts, 0.0) / 60.0
        start_us = np.rint(starts * _US).astype(np.int64)
        end_us = np.rint(ends * _US).astype(np.int64)
        lo = int(min(start_us.min(), end_us.min()))
        hi = int(max(start_us.max(), end_us.max()))
        piece_starts, piece_ends = self.calendar.timeline.pieces(lo, hi)
        if not piece_starts:
            return np.zeros(len(starts))
        s = np.asarray(piece_starts, dtype=np.int64)
        e = np.asarray(piece_ends, dtype=np.int64)
        before = np.concatenate(([0], np.cumsum(e - s)[:-1]))

        def upto(instants: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
            index = np.searchsorted(s, instants, side="right") - 1
            inside = np.clip(instants - s[np.maximum(index, 0)], 0, (e - s)[np.maximum(index, 0)])
            return np.where(index < 0, 0, before[np.maximum(index, 0)] + inside)

        used = upto(end_us) - upto(start_us)
        return np.where(end_us > start_us, used, 0).astype(np.float64) / (60 * _US)
