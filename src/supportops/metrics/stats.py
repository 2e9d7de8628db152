"""Vectorised statistics: percentiles with linear interpolation (numpy's default method), overall
and per group, so a breakdown over a million tickets is a sort, not a loop."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def percentile(values: FloatArray, q: float) -> float | None:
    if len(values) == 0:
        return None
    return float(np.percentile(values, q))


class Ranked:
    """Values sorted once; each grouping then needs only a stable sort of small integer codes."""

    def __init__(self, values: FloatArray) -> None:
        self.order = np.argsort(values, kind="stable")
        self.sorted = values[self.order]

    def percentiles(self, codes: IntArray, groups: int, qs: tuple[float, ...]) -> list[list[float | None]]:
        """For each q, the q-th percentile within each code 0..groups-1 (None for an empty group);
        ``codes`` run parallel to the values given to the constructor."""
        narrow = codes[self.order].astype(np.int16 if groups < 32_000 else np.int64)
        by_group = np.argsort(narrow, kind="stable")  # a radix sort for 16-bit codes
        values = self.sorted[by_group]
        counts = np.bincount(codes, minlength=groups)
        offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
        top = max(len(values) - 1, 0)
        result: list[list[float | None]] = []
        for q in qs:
            position = (counts - 1) * (q / 100.0)
            low = np.floor(position).astype(np.int64)
            frac = position - low
            lo_i = np.clip(offsets + low, 0, top)
            hi_i = np.clip(offsets + np.minimum(low + 1, counts - 1), 0, top)
            picked = values[lo_i] + frac * (values[hi_i] - values[lo_i]) if len(values) else np.zeros(groups)
            result.append([float(v) if n > 0 else None for v, n in zip(picked, counts, strict=True)])
        return result


def dense_codes(ids: IntArray) -> tuple[IntArray, IntArray]:
    """Codes 0..k-1 for non-negative-or--1 integer ids, and the id of each code, in linear time."""
    if len(ids) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    shifted = ids + 1
    present = np.bincount(shifted) > 0
    mapping = np.cumsum(present) - 1
    return mapping[shifted].astype(np.int64), np.flatnonzero(present) - 1


def ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator
