"""Metric tiles: each metric's headline in its unit, its status in colour and words, its target band."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from supportops.kit.errors import InvalidInput
from supportops.metrics.report_html.values import (
    DASH,
    EN_DASH,
    MINUS,
    SLA_METRICS,
    TIMES,
    UNIT_FORMATS,
    as_number,
    as_object,
    fmt_count,
    fmt_minutes,
    fmt_money,
    fmt_number,
    fmt_rate,
    fmt_signed,
    target_text,
)

STATUS_LABELS = {"green": "On target", "amber": "Watch", "red": "Off target", "none": "No data"}
NO_TARGET = "No target"
"""AHT, backlog and ROI have no band: they are read against capacity, not against a status."""


@dataclass
class Tile:
    key: str
    title: str
    value: str
    status: str
    status_label: str
    count: str
    note: str = ""
    """What the headline figure is, when the title alone does not say (``calendar median``)."""
    target: str | None = None
    lines: list[str] = field(default_factory=list)


@dataclass
class Figures:
    """One metric's dict, read with the field path in every error."""

    key: str
    data: dict[str, Any]
    measure: str

    def n(self, *path: str) -> float | None:
        value: Any = self.data
        for part in path[:-1]:
            value = as_object(value.get(part), ".".join(("metrics", self.key, part)))
        return as_number(value.get(path[-1]), ".".join(("metrics", self.key, *path)))

    def part(self, name: str) -> dict[str, Any]:
        return as_object(self.data.get(name), f"metrics.{self.key}.{name}")


@dataclass
class Headline:
    title: str
    value: str
    note: str = ""
    lines: list[str] = field(default_factory=list)
    count: float | None = None
    """None: the metric's own ``count``."""


def _of(f: Figures, numerator: str, whole: str) -> list[str]:
    count = f.n("count")
    return [f"{fmt_count(f.n(numerator))} of {fmt_count(count)} {whole}"] if count else []


def _duration(title: str) -> Callable[[Figures], Headline]:
    """FRT and TTR: median and p90 in calendar time and in business hours; the headline is the
    figure the status reads (the target's ``measure``, by default the calendar median)."""

    def tile(f: Figures) -> Headline:
        figures: dict[str, float | None] = {}
        lines, count = [], None
        for clock, label in (("calendar", "calendar time"), ("business", "business hours")):
            if not f.part(clock):
                continue
            median, p90 = f.n(clock, "median_minutes"), f.n(clock, "p90_minutes")
            figures |= {f"{clock} median": median, f"{clock} p90": p90}
            lines.append(f"Median {fmt_minutes(median)} · p90 {fmt_minutes(p90)} ({label})")
            count = count if count is not None else f.n(clock, "count")
        measure = f.measure if f.measure in figures else "calendar median"
        return Headline(title, fmt_minutes(figures.get(measure)), measure, lines, count)

    return tile


def _resolved_rate(title: str) -> Callable[[Figures], Headline]:
    return lambda f: Headline(title, fmt_rate(f.n("value")), lines=_of(f, "numerator", "resolved tickets"))


def _nps(f: Figures) -> Headline:
    mix = (
        f"{fmt_count(f.n('promoters'))} promoters · {fmt_count(f.n('passives'))} passives · "
        f"{fmt_count(f.n('detractors'))} detractors"
    )
    return Headline("NPS", fmt_signed(f.n("value")), lines=[mix])


def _deflection(f: Figures) -> Headline:
    lines = [
        f"{fmt_count(f.n('self_service'))} self-service resolutions (+{fmt_count(f.n('indirect'))} indirect)",
        f"{fmt_count(f.n('tickets_created'))} tickets created",
    ]
    return Headline("Deflection rate", fmt_rate(f.n("value")), lines=lines)


def _volume(f: Figures) -> Headline:
    line = f"{fmt_count(f.n('created'))} created · {fmt_count(f.n('active_customers'))} active customers"
    return Headline("Ticket volume", fmt_number(f.n("value")), "per 100 active customers per 30 days", [line])


def _backlog(f: Figures) -> Headline:
    buckets = f.part("age_buckets")
    ages = " · ".join(f"{age} {fmt_count(f.n('age_buckets', str(age)))}" for age in buckets)
    value = fmt_count(f.n("open_at_end"))
    return Headline("Backlog", value, "open at the end of the period", [f"By age: {ages}"] if ages else [])


def _sla(f: Figures) -> Headline:
    measure = f.measure or "resolution"
    head = Headline("SLA compliance", DASH, SLA_METRICS.get(measure, measure.replace("_", " ")).lower())
    for metric, label in SLA_METRICS.items():
        f.part(metric)
        rate, met, breached = (f.n(metric, k) for k in ("value", "met", "breached"))
        head.lines.append(f"{label} {fmt_rate(rate)} ({fmt_count(met)} met, {fmt_count(breached)} breached)")
        if metric == measure:
            head.value, head.count = fmt_rate(rate), f.n(metric, "count")
    return head


def _money(f: Figures, name: str) -> str:
    """An amount with the report's currency code when it names one (``14.20 EUR``)."""
    amount, currency = fmt_money(f.n(name)), f.data.get("currency")
    return f"{amount} {currency}" if isinstance(currency, str) and currency and amount != DASH else amount


def _roi(f: Figures) -> Headline:
    line = (
        f"{fmt_count(f.n('deflected'))} deflected {TIMES} {fmt_money(f.n('cost_per_ticket'))} "
        f"{MINUS} {fmt_money(f.n('investment'))} invested"
    )
    return Headline("Self-service ROI", _money(f, "value"), lines=[line])


TILES: dict[str, tuple[Callable[[Figures], Headline], str]] = {
    "csat": (
        lambda f: Headline(
            "CSAT", fmt_rate(f.n("value")), lines=_of(f, "good", f"ratings good (4{EN_DASH}5)")
        ),
        "ratings",
    ),
    "nps": (_nps, "responses"),
    "frt": (_duration("First response time"), "first responses"),
    "ttr": (_duration("Time to resolution"), "resolved tickets"),
    "fcr": (_resolved_rate("First contact resolution"), "resolved tickets"),
    "reopen_rate": (_resolved_rate("Reopen rate"), "resolved tickets"),
    "escalation_rate": (_resolved_rate("Escalation rate"), "resolved tickets"),
    "deflection_rate": (_deflection, "self-service resolutions and tickets"),
    "ticket_volume": (_volume, "tickets created"),
    "backlog": (_backlog, "open tickets"),
    "aht": (
        lambda f: Headline("Average handle time", fmt_minutes(f.n("minutes")), "per resolved ticket"),
        "resolved tickets",
    ),
    "agent_utilization": (
        lambda f: Headline(
            "Agent utilization",
            fmt_rate(f.n("value")),
            lines=[
                f"{fmt_number(f.n('handle_hours'))} h handling of {fmt_number(f.n('online_hours'))} h online"
            ],
        ),
        "agents",
    ),
    "sla_compliance": (_sla, "SLA targets met or breached"),
    "cost_per_ticket": (
        lambda f: Headline(
            "Cost per ticket", _money(f, "value"), lines=[f"Total cost {_money(f, 'total_cost')}"]
        ),
        "tickets",
    ),
    "article_effectiveness": (
        lambda f: Headline(
            "Article effectiveness", fmt_rate(f.n("value")), lines=_of(f, "helpful", "votes helpful")
        ),
        "votes",
    ),
    "search_success": (
        lambda f: Headline(
            "Search success",
            fmt_rate(f.n("value")),
            lines=_of(f, "successful", "searches with an article opened and no ticket"),
        ),
        "searches",
    ),
    "content_freshness": (
        lambda f: Headline(
            "Content freshness",
            fmt_rate(f.n("value")),
            "published articles reviewed in the last 90 days",
            _of(f, "fresh", "articles fresh"),
        ),
        "published articles",
    ),
    "self_service_roi": (_roi, "deflected tickets"),
}
"""Every metric of the report in reading order: how its tile reads, and what its count counts."""


def _other(key: str, unit: str) -> Callable[[Figures], Headline]:
    """A metric this page does not know yet still gets a tile, in its target's unit."""
    fmt = UNIT_FORMATS.get(unit, fmt_number)
    return lambda f: Headline(key.replace("_", " ").capitalize(), fmt(f.n("value")))


def metric_tiles(report: dict[str, Any]) -> list[Tile]:
    metrics = as_object(report.get("metrics"), "metrics")
    statuses = as_object(report.get("status"), "status")
    targets = as_object(report.get("targets"), "targets")
    tiles = []
    for key in [*(k for k in TILES if k in metrics), *sorted(k for k in metrics if k not in TILES)]:
        status = str(statuses.get(key) or "none")
        if status not in STATUS_LABELS:
            raise InvalidInput(
                f"status.{key} must be green, amber, red or none, not {status!r}.", field=f"status.{key}"
            )
        target = as_object(targets.get(key), f"targets.{key}")
        read, counted = TILES.get(key) or (_other(key, str(target.get("unit"))), "items")
        figures = Figures(key, as_object(metrics[key], f"metrics.{key}"), str(target.get("measure") or ""))
        head = read(figures)
        count = head.count if head.count is not None else figures.n("count")
        tiles.append(
            Tile(
                key=key,
                title=head.title,
                value=head.value,
                status=status,
                status_label=NO_TARGET if status == "none" and not target else STATUS_LABELS[status],
                count=f"Based on {fmt_count(count)} {counted}",
                note=head.note,
                target=target_text(target, f"targets.{key}") if target else None,
                lines=head.lines,
            )
        )
    return tiles
