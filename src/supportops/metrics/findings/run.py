"""Run every detector over a period and keep the findings that fire."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from supportops.kit.errors import InvalidInput
from supportops.metrics import snapshot as snapshots
from supportops.metrics.findings import columns, flow, knowledge, quality
from supportops.metrics.findings.model import PATTERNS, Finding
from supportops.metrics.findings.scope import Scope
from supportops.metrics.findings.thresholds import load_thresholds, resolve
from supportops.metrics.periods import Period
from supportops.metrics.snapshot import Snapshot

Detector = Callable[[Scope, dict[str, Any]], Finding | None]

DETECTORS: dict[str, Detector] = {
    "speed_over_quality": quality.speed_over_quality,
    "ticket_tennis": flow.ticket_tennis,
    "knowledge_hoarding": knowledge.knowledge_hoarding,
    "metric_gaming": flow.metric_gaming,
    "escalation_avoidance": flow.escalation_avoidance,
    "channel_forcing": quality.channel_forcing,
    "copy_paste_responses": quality.copy_paste_responses,
    "invisible_backlog": flow.invisible_backlog,
    "no_feedback_loop": knowledge.no_feedback_loop,
    "over_automation": quality.over_automation,
}
assert tuple(DETECTORS) == PATTERNS


def detect_all(
    session: Session,
    period: Period,
    thresholds: dict[str, dict[str, Any]] | None = None,
    *,
    evidence_limit: int = 50,
    snapshot: Snapshot | None = None,
    store: columns.Store | None = None,
) -> list[Finding]:
    """The anti-patterns present in ``period``, most tickets first. ``thresholds`` (a partial map,
    overlaid on the defaults) replaces the stored ones for this run; by default the stored ones apply.

    ``snapshot`` is the metrics snapshot to pick the period's tickets from, and ``store`` keeps the
    per-ticket facts between runs; without them both are read from the database for this run."""
    if (
        isinstance(evidence_limit, bool)
        or not isinstance(evidence_limit, int)
        or not 1 <= evidence_limit <= 10_000
    ):
        raise InvalidInput("evidence_limit must be a whole number from 1 to 10000.", field="evidence_limit")
    stored = load_thresholds(session)
    used = stored if thresholds is None else resolve(session, thresholds)
    stored_texts = columns.texts_of(stored)
    if snapshot is None:
        snapshot = snapshots.build(session)
    facts = (
        store.current(session, stored_texts) if store is not None else columns.build(session, stored_texts)
    )
    scope = Scope(
        session=session, period=period, evidence_limit=evidence_limit, snapshot=snapshot, facts=facts
    )
    texts = columns.texts_of(used)
    if texts != facts.texts:
        scope.text_facts = columns.for_tickets(session, scope.ids.tolist(), texts)
    found = []
    for pattern, detector in DETECTORS.items():
        finding = detector(scope, used[pattern])
        if finding is not None:
            found.append(finding)
    order = {p: i for i, p in enumerate(PATTERNS)}
    found.sort(key=lambda f: (-f.count, order[f.pattern]))
    return found
