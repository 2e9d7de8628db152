"""Grouped percentiles against numpy's own, group by group, with ties and empty groups."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from supportops.metrics.stats import Ranked, dense_codes, percentile


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from([0.0, 1.5, 2.0, 7.25, 100.0]) | st.floats(0, 1e6)),
        max_size=80,
    )
)
def test_grouped_percentiles_equal_numpy_per_group(pairs: list[tuple[int, float]]) -> None:
    codes = np.array([c for c, _ in pairs], dtype=np.int64)
    values = np.array([v for _, v in pairs], dtype=np.float64)
    got = Ranked(values).percentiles(codes, 7, (50, 90))
    for group in range(7):
        mine = values[codes == group]
        for index, q in enumerate((50, 90)):
            want = float(np.percentile(mine, q)) if len(mine) else None
            assert (got[index][group] is None) == (want is None)
            if want is not None:
                assert got[index][group] == want or abs(got[index][group] - want) <= 1e-9 * max(1, abs(want))


def test_dense_codes_number_the_ids_present() -> None:
    codes, ids = dense_codes(np.array([7, -1, 7, 3, -1], dtype=np.int64))
    assert ids.tolist() == [-1, 3, 7]
    assert codes.tolist() == [2, 0, 2, 1, 0]
    assert percentile(np.array([]), 50) is None
    assert percentile(np.array([1.0, 2.0, 3.0, 4.0]), 90) == 3.7
