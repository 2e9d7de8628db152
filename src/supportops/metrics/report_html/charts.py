"""The charts: per chart a spec that the inline script draws and a table that reads without it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from supportops.kit.errors import InvalidInput
from supportops.metrics.report_html.values import (
    DASH,
    EN_DASH,
    SLA_METRICS,
    as_list,
    as_number,
    as_object,
    day_of,
    fmt_count,
    fmt_minutes,
    fmt_rate,
    fmt_signed,
    plural,
    text_or_dash,
    trim,
)

DAYS_BEFORE_WEEKLY = 120
"""Past this many days, the volume chart plots weeks: one point a day would be unreadable."""
COLORS = {
    "blue": "#1f5fbf",
    "green": "#2e7d32",
    "red": "#b3261e",
    "grey": "#5f6b7a",
    "band": "#b9cbe6",
}
"""Lines and bars, each at least 3:1 against white; the target band is a light fill beside a bar."""


@dataclass
class Chart:
    id: str
    title: str
    summary: str
    headers: list[str]
    rows: list[list[str]]
    spec: dict[str, Any] | None
    """None when there is nothing to draw: the page shows ``empty`` instead."""
    empty: str = ""


def _nothing(chart_id: str, title: str, headers: list[str], message: str) -> Chart:
    return Chart(chart_id, title, "", headers, [], None, message)


def _spec(
    kind: str, labels: list[str], datasets: list[dict[str, Any]], unit: str, **options: Any
) -> dict[str, Any]:
    return {"type": kind, "labels": labels, "datasets": datasets, "unit": unit, **options}


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 2)


def volume_chart(report: dict[str, Any]) -> Chart:
    series = as_object(report.get("series"), "series")
    days = as_number(as_object(report.get("period"), "period").get("days"), "period.days") or 0
    daily = as_list(series.get("day"), "series.day")
    weekly = as_list(series.get("week"), "series.week")
    use_weeks = bool(weekly) and (days > DAYS_BEFORE_WEEKLY or len(daily) > DAYS_BEFORE_WEEKLY or not daily)
    rows_in, name, step = (weekly, "series.week", "week") if use_weeks else (daily, "series.day", "day")
    labels, created, resolved = [], [], []
    for i, raw in enumerate(rows_in):
        row = as_object(raw, f"{name}[{i}]")
        labels.append(day_of(row.get("start"), f"{name}[{i}].start"))
        created.append(as_number(row.get("created"), f"{name}[{i}].created") or 0)
        resolved.append(as_number(row.get("resolved"), f"{name}[{i}].resolved") or 0)
    title = f"Ticket volume per {step}"
    rows = [
        [label, fmt_count(c), fmt_count(r)] for label, c, r in zip(labels, created, resolved, strict=True)
    ]
    headers = ["Week starting" if use_weeks else "Day", "Created", "Resolved"]
    if not any(created) and not any(resolved):
        return _nothing("volume", title, headers, "No tickets were created or resolved in this period.")
    summary = (
        f"Tickets created and resolved per {step}, {plural(len(labels), step)} "
        f"from {labels[0]} to {labels[-1]}: "
        f"{fmt_count(sum(created))} created, {fmt_count(sum(resolved))} resolved."
    )
    datasets = [
        {"label": "Created", "data": created, "color": COLORS["blue"], "type": "line"},
        {"label": "Resolved", "data": resolved, "color": COLORS["green"], "type": "line"},
    ]
    return Chart("volume", title, summary, headers, rows, _spec("line", labels, datasets, "count"))


def backlog_chart(report: dict[str, Any]) -> Chart:
    backlog = as_object(as_object(report.get("metrics"), "metrics").get("backlog"), "metrics.backlog")
    buckets = as_object(backlog.get("age_buckets"), "metrics.backlog.age_buckets")
    labels = [str(k) for k in buckets]
    counts = [as_number(v, f"metrics.backlog.age_buckets.{k}") or 0 for k, v in buckets.items()]
    headers = ["Age", "Open tickets"]
    title = "Backlog by age"
    if not any(counts):
        return _nothing("backlog", title, headers, "No tickets were open at the end of the period.")
    pairs = ", ".join(f"{label} {fmt_count(c)}" for label, c in zip(labels, counts, strict=True))
    summary = f"Tickets open at the end of the period by age: {pairs}."
    rows = [[label, fmt_count(c)] for label, c in zip(labels, counts, strict=True)]
    datasets = [{"label": "Open tickets", "data": counts, "color": COLORS["blue"]}]
    return Chart("backlog", title, summary, headers, rows, _spec("bar", labels, datasets, "count"))


def bucket_labels(edges: list[float | None]) -> list[str]:
    """Histogram bounds in minutes as ``15 min to 1 h`` (with an en dash); an open upper bound reads
    ``≥ 1 d``."""
    labels = []
    for low, high in itertools.pairwise(edges):
        low_text = fmt_minutes(low or 0)
        labels.append(f"≥ {low_text}" if high is None else f"{low_text}{EN_DASH}{fmt_minutes(high)}")
    return labels


def distribution_chart(report: dict[str, Any], key: str, chart_id: str, what: str) -> Chart:
    """A histogram of durations; ``edges`` has one entry more than ``counts``, null for open-ended."""
    title = f"{what} distribution"
    path = f"distributions.{key}"
    dist = as_object(as_object(report.get("distributions"), "distributions").get(key), path)
    edges = [as_number(e, f"{path}.edges") for e in as_list(dist.get("edges"), f"{path}.edges")]
    counts = [as_number(c, f"{path}.counts") or 0 for c in as_list(dist.get("counts"), f"{path}.counts")]
    if counts and len(edges) != len(counts) + 1:
        raise InvalidInput(
            f"{path} needs one edge more than counts ({len(edges)} edges, {len(counts)} counts).",
            field=f"{path}.edges",
        )
    headers = [what, "Tickets"]
    if not any(counts):
        return _nothing(chart_id, title, headers, "No tickets in this period.")
    labels = bucket_labels(edges)
    pairs = ", ".join(f"{label}: {fmt_count(c)}" for label, c in zip(labels, counts, strict=True))
    summary = f"{title} of {fmt_count(sum(counts))} tickets. {pairs}."
    rows = [[label, fmt_count(c)] for label, c in zip(labels, counts, strict=True)]
    datasets = [{"label": "Tickets", "data": counts, "color": COLORS["blue"]}]
    return Chart(chart_id, title, summary, headers, rows, _spec("bar", labels, datasets, "count"))


def sla_chart(report: dict[str, Any]) -> Chart:
    path = "metrics.sla_compliance"
    sla = as_object(as_object(report.get("metrics"), "metrics").get("sla_compliance"), path)
    labels, values, rows = [], [], []
    for metric, label in SLA_METRICS.items():
        part = as_object(sla.get(metric), f"{path}.{metric}")
        rate, met, breached = (
            as_number(part.get(k), f"{path}.{metric}.{k}") for k in ("value", "met", "breached")
        )
        labels.append(label)
        values.append(_pct(rate))
        rows.append([label, fmt_rate(rate), fmt_count(met), fmt_count(breached)])
    headers = ["SLA metric", "Compliance", "Met", "Breached"]
    title = "SLA compliance per metric"
    if all(v is None for v in values):
        return _nothing("sla", title, headers, "No SLA targets were met or breached in this period.")
    summary = (
        "SLA compliance: "
        + ", ".join(f"{r[0].lower()} {r[1] if r[1] != DASH else 'no data'}" for r in rows)
        + "."
    )
    datasets = [{"label": "Compliance", "data": values, "color": COLORS["blue"]}]
    return Chart(
        "sla",
        title,
        summary,
        headers,
        rows,
        _spec("bar", labels, datasets, "percent", max=100, horizontal=True),
    )


def csat_chart(report: dict[str, Any]) -> Chart:
    weekly = as_list(as_object(report.get("series"), "series").get("week"), "series.week")
    labels, values, rows = [], [], []
    for i, raw in enumerate(weekly):
        row = as_object(raw, f"series.week[{i}]")
        rate = as_number(row.get("csat"), f"series.week[{i}].csat")
        labels.append(day_of(row.get("start"), f"series.week[{i}].start"))
        values.append(_pct(rate))
        rows.append(
            [
                labels[-1],
                fmt_rate(rate),
                fmt_count(as_number(row.get("csat_count"), f"series.week[{i}].csat_count")),
            ]
        )
    headers = ["Week starting", "CSAT", "Ratings"]
    title = "CSAT per week"
    rated = [v for v in values if v is not None]
    if not rated:
        return _nothing("csat", title, headers, "No CSAT ratings in this period.")
    summary = (
        f"CSAT per week over {plural(len(labels), 'week')}, {len(rated)} with ratings: "
        f"lowest {trim(min(rated))}%, highest {trim(max(rated))}%, latest {trim(rated[-1])}%."
    )
    datasets = [{"label": "CSAT", "data": values, "color": COLORS["green"], "type": "line"}]
    return Chart("csat", title, summary, headers, rows, _spec("line", labels, datasets, "percent", max=100))


def tier_chart(report: dict[str, Any]) -> Chart:
    labels, shares, bands, rows = [], [], [], []
    for i, raw in enumerate(as_list(report.get("tiers"), "tiers")):
        row = as_object(raw, f"tiers[{i}]")
        share = as_number(row.get("share"), f"tiers[{i}].share")
        band = [as_number(b, f"tiers[{i}].band") for b in as_list(row.get("band"), f"tiers[{i}].band")]
        low, high = [*band, None, None][:2]
        where = DASH
        if share is not None and low is not None and high is not None:
            where = "below" if share < low else "above" if share > high else "within"
        labels.append(text_or_dash(row.get("tier")))
        shares.append(_pct(share))
        bands.append([_pct(low), _pct(high)] if low is not None and high is not None else None)
        band_text = f"{fmt_rate(low)}{EN_DASH}{fmt_rate(high)}" if bands[-1] else DASH
        rows.append(
            [
                labels[-1],
                fmt_count(as_number(row.get("count"), f"tiers[{i}].count")),
                fmt_rate(share),
                band_text,
                where,
            ]
        )
    headers = ["Tier", "Tickets", "Share", "Target band", "Against band"]
    title = "Tier distribution against target bands"
    if all(s is None for s in shares):
        return _nothing("tiers", title, headers, "No tickets were resolved or deflected in this period.")
    summary = "Share per tier: " + "; ".join(f"{r[0]} {r[2]}, target {r[3]} ({r[4]})" for r in rows) + "."
    datasets: list[dict[str, Any]] = [
        {"label": "Target band", "data": bands, "color": COLORS["band"]},
        {"label": "Actual share", "data": shares, "color": COLORS["blue"]},
    ]
    return Chart("tiers", title, summary, headers, rows, _spec("bar", labels, datasets, "percent", max=100))


def nps_chart(report: dict[str, Any]) -> Chart:
    nps = as_object(as_object(report.get("metrics"), "metrics").get("nps"), "metrics.nps")
    parts = [
        (f"Promoters (9{EN_DASH}10)", "promoters", COLORS["green"]),
        (f"Passives (7{EN_DASH}8)", "passives", COLORS["grey"]),
        (f"Detractors (0{EN_DASH}6)", "detractors", COLORS["red"]),
    ]
    counts = [as_number(nps.get(key), f"metrics.nps.{key}") or 0 for _, key, _ in parts]
    total = sum(counts)
    headers = ["Answer", "Responses", "Share"]
    title = "NPS responses"
    if not total:
        return _nothing("nps", title, headers, "No NPS responses in this period.")
    rows = [
        [label, fmt_count(c), fmt_rate(c / total)] for (label, _, _), c in zip(parts, counts, strict=True)
    ]
    mix = ", ".join(f"{fmt_count(c)} {key}" for (_, key, _), c in zip(parts, counts, strict=True))
    score = fmt_signed(as_number(nps.get("value"), "metrics.nps.value"))
    summary = f"NPS {score} from {fmt_count(total)} responses: {mix}."
    datasets = [
        {"label": "Responses", "data": counts, "colors": [c for _, _, c in parts], "color": COLORS["grey"]}
    ]
    return Chart("nps", title, summary, headers, rows, _spec("bar", [p[0] for p in parts], datasets, "count"))


def charts(report: dict[str, Any]) -> list[Chart]:
    return [
        volume_chart(report),
        backlog_chart(report),
        distribution_chart(report, "frt_minutes", "frt", "First response time"),
        distribution_chart(report, "ttr_minutes", "ttr", "Time to resolution"),
        sla_chart(report),
        csat_chart(report),
        tier_chart(report),
        nps_chart(report),
    ]
