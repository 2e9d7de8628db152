"""Findings, the capacity plan and the breakdown tables, as rows ready for the template."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from supportops.kit.errors import InvalidInput
from supportops.metrics.report_html.values import (
    as_list,
    as_number,
    as_object,
    fmt_count,
    fmt_minutes,
    fmt_number,
    fmt_rate,
    text_or_dash,
)

BREAKDOWNS = [
    ("priority", "Priority"),
    ("channel", "Channel"),
    ("group", "Group"),
    ("tier", "Tier"),
    ("agent", "Agent"),
    ("organization", "Organization"),
    ("category", "Category"),
]


def ticket_link(template: str | None, ticket: Any) -> str | None:
    """The ticket's address from ``ticket_url`` (``{id}`` replaced, never ``str.format``)."""
    return None if template is None else template.replace("{id}", quote(str(ticket), safe=""))


def _ticket_url(report: dict[str, Any]) -> str | None:
    template = report.get("ticket_url")
    if template is None or template == "":
        return None
    if (
        not isinstance(template, str)
        or not template.startswith(("http://", "https://"))
        or "{id}" not in template
    ):
        raise InvalidInput(
            "ticket_url must be an http(s) address containing {id}, "
            "e.g. https://desk.example/agent/tickets/{id}.",
            field="ticket_url",
        )
    return template


def findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each finding with its tickets as links when the report says where tickets live."""
    template = _ticket_url(report)
    result = []
    for i, raw in enumerate(as_list(report.get("findings"), "findings")):
        item = as_object(raw, f"findings[{i}]")
        tickets = as_list(item.get("tickets"), f"findings[{i}].tickets")
        thresholds = as_object(item.get("thresholds"), f"findings[{i}].thresholds")
        result.append(
            {
                "title": text_or_dash(item.get("title") or item.get("pattern")),
                "pattern": text_or_dash(item.get("pattern")),
                "explanation": text_or_dash(item.get("explanation")),
                "count": fmt_count(as_number(item.get("count"), f"findings[{i}].count")),
                "tickets": [{"id": str(t), "url": ticket_link(template, t)} for t in tickets],
                "agents": [str(a) for a in as_list(item.get("agents"), f"findings[{i}].agents")],
                "groups": [str(g) for g in as_list(item.get("groups"), f"findings[{i}].groups")],
                "thresholds": [(str(k).replace("_", " "), text_or_dash(v)) for k, v in thresholds.items()],
            }
        )
    return result


CAPACITY_FIGURES: dict[str, tuple[str, Callable[[float | None], str]]] = {
    "volume": ("Tickets per day", fmt_number),
    "handle_minutes": ("Handle time", fmt_minutes),
    "hours": ("Available hours a day", lambda v: f"{fmt_number(v)} h"),
    "utilization": ("Utilization", fmt_rate),
    "workload_agents": ("Workload in agents (exact)", fmt_number),
    "exact": ("Workload in agents (exact)", fmt_number),
    "agents": ("Agents needed (rounded up)", fmt_count),
    "erlang.agents": ("Agents on duty", fmt_count),
    "erlang_c.agents": ("Agents on duty", fmt_count),
    "agents_on_duty": ("Agents on duty", fmt_count),
    "agents_to_schedule": ("Agents to schedule (with shrinkage)", fmt_count),
    "service_level": ("Service level reached", fmt_rate),
    "service_level_target": ("Service level target", fmt_rate),
    "within_minutes": ("Answered within", fmt_minutes),
    "shrinkage": ("Shrinkage", fmt_rate),
    "load_erlangs": ("Offered load (erlangs)", fmt_number),
    "probability_of_waiting": ("Probability of waiting", fmt_rate),
    "average_wait_minutes": ("Average wait", fmt_minutes),
    "occupancy": ("Occupancy", fmt_rate),
}
"""Every figure the capacity plan may carry, named and in its unit (``part.figure`` where the part
changes its meaning); any other reads as a plain number."""
CAPACITY_PARTS = {
    "capacity": "Workload formula",
    "workload": "Workload formula",
    "inputs": "Inputs",
    "plan": "Plan",
    "erlang": "Queue model (Erlang C)",
    "erlang_c": "Queue model (Erlang C)",
}


def _capacity_groups(values: dict[str, Any], path: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """This part's figures as one titled group, then each nested part's, depth first."""
    part = path.rsplit(".", 1)[-1]
    rows, nested = [], []
    for key, value in values.items():
        if isinstance(value, dict):
            nested += _capacity_groups(value, f"{path}.{key}")
        elif value is None and key in CAPACITY_PARTS:
            continue  # a part with nothing in it, such as the plan of a period without tickets
        else:
            default = (key.replace("_", " ").capitalize(), fmt_number)
            label, fmt = CAPACITY_FIGURES.get(f"{part}.{key}") or CAPACITY_FIGURES.get(key) or default
            rows.append((label, value if isinstance(value, str) else fmt(as_number(value, f"{path}.{key}"))))
    title = CAPACITY_PARTS.get(part, part.replace("_", " ").capitalize())
    return [(title, rows), *nested] if rows else nested


def capacity(report: dict[str, Any]) -> tuple[list[tuple[str, list[tuple[str, str]]]], bool]:
    """The plan as titled groups of (label, value), and whether it holds more than its inputs (a
    period without tickets has inputs but no plan)."""
    groups = _capacity_groups(as_object(report.get("capacity"), "capacity"), "capacity")
    return groups, any(title != "Inputs" for title, _ in groups)


BREAKDOWN_COLUMNS: list[tuple[str, str, Callable[[float | None], str]]] = [
    ("created", "Created", fmt_count),
    ("resolved", "Resolved", fmt_count),
    ("frt_median_minutes", "FRT median", fmt_minutes),
    ("frt_p90_minutes", "FRT p90", fmt_minutes),
    ("ttr_median_minutes", "TTR median", fmt_minutes),
    ("ttr_p90_minutes", "TTR p90", fmt_minutes),
    ("fcr", "FCR", fmt_rate),
    ("reopen_rate", "Reopen rate", fmt_rate),
    ("escalation_rate", "Escalation rate", fmt_rate),
    ("csat", "CSAT", fmt_rate),
    ("csat_count", "Ratings", fmt_count),
]


def _breakdown(key: str, label: str, raw: Any) -> dict[str, Any]:
    """One dimension's table: the known columns its rows carry (all of them when it has none), then
    any other field as a plain number or text, so it shows up before this page learns its unit."""
    path = f"breakdowns.{key}"
    rows_in = [as_object(r, f"{path}[{i}]") for i, r in enumerate(as_list(raw, path))]
    known = {name for name, _, _ in BREAKDOWN_COLUMNS}
    columns = [c for c in BREAKDOWN_COLUMNS if any(c[0] in r for r in rows_in)] or BREAKDOWN_COLUMNS
    extra = sorted({k for r in rows_in for k in r if k != "key" and k not in known})
    columns += [(k, k.replace("_", " ").capitalize(), fmt_number) for k in extra]
    rows = []
    for i, r in enumerate(rows_in):
        cells = [
            r[name]
            if name not in known and isinstance(r.get(name), str)
            else fmt(as_number(r.get(name), f"{path}[{i}].{name}"))
            for name, _, fmt in columns
        ]
        rows.append({"key": "(none)" if r.get("key") is None else str(r["key"]), "cells": cells})
    return {"id": key, "label": label, "headers": [c[1] for c in columns], "rows": rows}


def breakdowns(report: dict[str, Any]) -> list[dict[str, Any]]:
    """A table per dimension: the seven the report promises, then any other it carries."""
    data = as_object(report.get("breakdowns"), "breakdowns")
    named = dict(BREAKDOWNS)
    others = [(k, str(k).replace("_", " ").capitalize()) for k in data if k not in named]
    return [_breakdown(key, label, data.get(key)) for key, label in [*BREAKDOWNS, *others]]
