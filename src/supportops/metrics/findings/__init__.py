"""Findings: the anti-patterns of DOMAIN.md detected in a period's tickets, each named, explained
with its figures and backed by the tickets as evidence.

``detect_all`` runs the ten detectors (``quality``: speed over quality, copy-paste responses,
over-automation, channel forcing; ``flow``: ticket tennis, metric gaming, escalation avoidance,
invisible backlog; ``knowledge``: knowledge hoarding, no feedback loop) with the thresholds of
``thresholds``, stored in ``ops_settings``.
"""

from supportops.metrics.findings.model import PATTERNS, TITLES, Finding
from supportops.metrics.findings.run import DETECTORS, detect_all
from supportops.metrics.findings.thresholds import (
    DEFAULT_THRESHOLDS,
    SPECS,
    load_thresholds,
    save_thresholds,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "DETECTORS",
    "PATTERNS",
    "SPECS",
    "TITLES",
    "Finding",
    "detect_all",
    "load_thresholds",
    "save_thresholds",
]
