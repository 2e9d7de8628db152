"""Any line at all is either an event or a bad line with a reason: reading never fails otherwise."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from supportops.imports.lines import OTHER_TYPES, TICKET_TYPES, LineError, digest, parse_json

PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
FIELDS = (
    "ticket",
    "type",
    "at",
    "priority",
    "channel",
    "requester",
    "organization",
    "category",
    "subject",
    "description",
    "group",
    "tier",
    "author",
    "role",
    "public",
    "body",
    "status",
    "agent",
    "score",
    "comment",
    "minutes",
    "customer",
    "state",
    "outcome",
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(
        [*TICKET_TYPES, *OTHER_TYPES, "2026-01-05T09:00:00+01:00", "2026-01-05T09:00:00", "a@b.c"]
    ),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), _values, max_size=12))
def test_any_object_is_an_event_or_a_reason(obj: dict[str, Any]) -> None:
    line = parse_json(7, json.dumps(obj), priorities=PRIORITIES)
    assert line.number == 7 and line.digest == digest(obj)
    assert (line.error is None) == (len(line.events) == 1)
    if line.error is not None:
        assert isinstance(line.error, LineError) and str(line.error)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_an_event_or_a_reason(text: str) -> None:
    line = parse_json(1, text, priorities=PRIORITIES)
    assert line.error is not None or len(line.events) == 1


def test_the_digest_ignores_key_order_and_spacing() -> None:
    a = parse_json(
        1,
        '{"type": "nps", "at": "2026-01-05T09:00:00Z", "customer": "a@b.c", "score": 9}',
        priorities=PRIORITIES,
    )
    b = parse_json(
        2, '{"score":9,"customer":"a@b.c","at":"2026-01-05T09:00:00Z","type":"nps"}', priorities=PRIORITIES
    )
    c = parse_json(
        3, '{"score":8,"customer":"a@b.c","at":"2026-01-05T09:00:00Z","type":"nps"}', priorities=PRIORITIES
    )
    assert a.digest == b.digest != c.digest
