"""The ops report's HTML file: self-contained, every section present, units right, hostile text inert,
and the charts drawn by the vendored library (under Node with a recording canvas; in Chromium when
the machine has it)."""

# ruff: noqa: RUF001 - en dashes, minus and times signs are the typography under test

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from supportops.db.session import Database
from supportops.kit.errors import InvalidInput
from supportops.metrics.report_html import render_report_html
from supportops.metrics.report_html.values import (
    fmt_count,
    fmt_minutes,
    fmt_money,
    fmt_rate,
    fmt_signed,
)

VENDOR = Path(__file__).resolve().parents[2] / "src/supportops/web/static/vendor/chartjs"
LIBRARY = VENDOR / "chart.umd.min.js"
TICKET_URL = "https://desk.example/agent/tickets/{id}"
SCRIPT_OUT = '</script><script>alert("out")</script>'
IMG = "<img src=x onerror=alert(1)>"
CHART_IDS = ["volume", "backlog", "frt", "ttr", "sla", "csat", "tiers", "nps"]
BREAKDOWN_IDS = ["priority", "channel", "group", "tier", "agent", "organization", "category"]


def _day(n: int) -> str:
    return f"2026-10-{n:02d}T00:00:00Z"


def full_report() -> dict[str, Any]:
    """The schema's example, filled out: a month of days, five weeks, rows in every breakdown."""
    return {
        "generated_at": "2026-11-30T10:00:00Z",
        "period": {
            "from": _day(1),
            "to": "2026-11-01T00:00:00Z",
            "as_of": "2026-11-01T00:00:00Z",
            "days": 31.0,
        },
        "calendar": {"name": "Berlin office", "timezone": "Europe/Berlin"},
        "metrics": {
            "csat": {"value": 0.87, "count": 412, "good": 358},
            "nps": {"value": 31.5, "count": 200, "promoters": 95, "passives": 68, "detractors": 37},
            "frt": {
                "calendar": {"median_minutes": 42.0, "p90_minutes": 260.5, "count": 1800},
                "business": {"median_minutes": 30.0, "p90_minutes": 180.0, "count": 1800},
            },
            "ttr": {
                "calendar": {"median_minutes": 1320.0, "p90_minutes": 5400.0, "count": 1700},
                "business": {"median_minutes": 600.0, "p90_minutes": 2400.0, "count": 1700},
            },
            "fcr": {"value": 0.64, "count": 1700, "numerator": 1088},
            "reopen_rate": {"value": 0.06, "count": 1700, "numerator": 102},
            "escalation_rate": {"value": 0.18, "count": 1700, "numerator": 306},
            "deflection_rate": {
                "value": 0.31,
                "count": 2900,
                "self_service": 900,
                "indirect": 140,
                "tickets_created": 2000,
            },
            "ticket_volume": {"created": 2000, "count": 2000, "active_customers": 1500, "value": 12.9},
            "backlog": {
                "open_at_end": 240,
                "count": 240,
                "age_buckets": {"0-1d": 90, "1-3d": 70, "3-7d": 50, ">7d": 30},
            },
            "aht": {"minutes": 18.4, "count": 1700},
            "agent_utilization": {"value": 0.74, "count": 25, "handle_hours": 1850.0, "online_hours": 2500.0},
            "sla_compliance": {
                "first_response": {"value": 0.93, "count": 1800, "met": 1674, "breached": 126},
                "next_response": {"value": 0.9, "count": 900, "met": 810, "breached": 90},
                "periodic_update": {"value": None, "count": 0, "met": 0, "breached": 0},
                "resolution": {"value": 0.88, "count": 1700, "met": 1496, "breached": 204},
            },
            "cost_per_ticket": {"value": 14.2, "count": 1700, "total_cost": 24140.0},
            "self_service_roi": {
                "value": 12000.0,
                "count": 900,
                "deflected": 900,
                "cost_per_ticket": 14.2,
                "investment": 780.0,
            },
        },
        "status": {
            "csat": "amber",
            "frt": "green",
            "ttr": "green",
            "fcr": "amber",
            "nps": "green",
            "ticket_volume": "green",
            "deflection_rate": "green",
            "escalation_rate": "green",
            "reopen_rate": "red",
            "agent_utilization": "green",
            "cost_per_ticket": "green",
            "sla_compliance": "amber",
        },
        "targets": {
            "csat": {
                "green_min": 0.9,
                "green_max": None,
                "red_below": 0.85,
                "red_above": None,
                "unit": "rate",
            },
            "frt": {
                "green_min": None,
                "green_max": 60,
                "red_below": None,
                "red_above": 240,
                "unit": "minutes",
                "measure": "calendar median",
            },
            "agent_utilization": {
                "green_min": 0.7,
                "green_max": 0.8,
                "red_below": 0.6,
                "red_above": 0.9,
                "unit": "rate",
            },
            "nps": {"green_min": 30, "green_max": None, "red_below": 10, "red_above": None, "unit": "score"},
        },
        "breakdowns": {
            "priority": [
                {
                    "key": "P1",
                    "created": 60,
                    "resolved": 58,
                    "frt_median_minutes": 9.0,
                    "frt_p90_minutes": 14.0,
                    "ttr_median_minutes": 200.0,
                    "ttr_p90_minutes": 400.0,
                    "fcr": 0.5,
                    "reopen_rate": 0.03,
                    "escalation_rate": 0.6,
                    "csat": 0.8,
                    "csat_count": 20,
                },
                {
                    "key": "P4",
                    "created": 900,
                    "resolved": 850,
                    "frt_median_minutes": None,
                    "frt_p90_minutes": None,
                    "ttr_median_minutes": 4000.0,
                    "ttr_p90_minutes": 9000.0,
                    "fcr": 0.7,
                    "reopen_rate": 0.04,
                    "escalation_rate": 0.05,
                    "csat": None,
                    "csat_count": 0,
                },
            ],
            "channel": [{"key": "email", "created": 1500, "resolved": 1400, "csat": 0.86, "csat_count": 300}],
            "group": [{"key": "L1 Support", "created": 1700, "resolved": 1600}, {"key": None, "created": 3}],
            "tier": [{"key": "L2", "created": 320, "resolved": 300}],
            "agent": [{"key": "Ada Agent", "created": 0, "resolved": 120, "fcr": 0.71}],
            "organization": [{"key": "Initech", "created": 44, "resolved": 40}],
            "category": [],
        },
        "series": {
            "day": [
                {
                    "start": _day(d),
                    "created": 60 + d,
                    "resolved": 58 + d,
                    "frt_median_minutes": 40.0,
                    "ttr_median_minutes": 1300.0,
                    "csat": 0.9,
                    "csat_count": 12,
                }
                for d in range(1, 32)
            ],
            "week": [
                {"start": _day(d), "created": 450, "resolved": 430, "csat": csat, "csat_count": n}
                for d, csat, n in [
                    (1, 0.9, 90),
                    (8, 0.84, 100),
                    (15, None, 0),
                    (22, 0.88, 110),
                    (29, 0.86, 40),
                ]
            ],
            "month": [],
        },
        "distributions": {
            "frt_minutes": {
                "edges": [0, 15, 60, 240, 480, 1440, None],
                "counts": [300, 700, 500, 200, 80, 20],
            },
            "ttr_minutes": {
                "edges": [0, 60, 240, 480, 1440, 4320, 10080, None],
                "counts": [100, 200, 300, 600, 300, 150, 50],
            },
        },
        "tiers": [
            {"tier": "L0", "count": 900, "share": 0.31, "band": [0.30, 0.50]},
            {"tier": "L1", "count": 1300, "share": 0.55, "band": [0.60, 0.80]},
            {"tier": "L2", "count": 320, "share": 0.16, "band": [0.15, 0.25]},
            {"tier": "L3", "count": 180, "share": 0.09, "band": [0.0, 0.05]},
        ],
        "findings": [
            {
                "pattern": "ticket_tennis",
                "title": "Ticket tennis",
                "explanation": "12 tickets changed hands three or more times.",
                "tickets": [101, 205],
                "agents": ["Ada Agent"],
                "groups": ["L1 Support", "L2 Billing"],
                "count": 12,
                "thresholds": {"min_handoffs": 3},
            },
            {
                "pattern": "invisible_backlog",
                "title": "Invisible backlog",
                "explanation": "4 open tickets untouched for 3 days or more.",
                "tickets": [7],
                "agents": [],
                "groups": [],
                "count": 4,
                "thresholds": {"min_idle_days": 3},
            },
        ],
        "capacity": {
            "inputs": {"volume": 64.5, "handle_minutes": 18.4, "hours": 8, "utilization": 0.75},
            "workload_agents": 3.3,
            "agents": 4,
            "erlang": {"agents": 5, "service_level": 0.84},
        },
    }


def empty_report() -> dict[str, Any]:
    """A period without a single ticket: every count 0, every figure null."""
    nothing = {"value": None, "count": 0}
    clock = {"median_minutes": None, "p90_minutes": None, "count": 0}
    sla = {"value": None, "count": 0, "met": 0, "breached": 0}
    return {
        "generated_at": "2026-11-30T10:00:00Z",
        "period": {
            "from": _day(1),
            "to": "2026-11-01T00:00:00Z",
            "as_of": "2026-11-01T00:00:00Z",
            "days": 31.0,
        },
        "calendar": None,
        "metrics": {
            "csat": {**nothing, "good": 0},
            "nps": {**nothing, "promoters": 0, "passives": 0, "detractors": 0},
            "frt": {"calendar": clock, "business": clock},
            "ttr": {"calendar": clock, "business": clock},
            "fcr": {**nothing, "numerator": 0},
            "backlog": {
                "open_at_end": 0,
                "count": 0,
                "age_buckets": {"0-1d": 0, "1-3d": 0, "3-7d": 0, ">7d": 0},
            },
            "aht": {"minutes": None, "count": 0},
            "sla_compliance": {
                k: sla for k in ("first_response", "next_response", "periodic_update", "resolution")
            },
            "cost_per_ticket": {**nothing, "total_cost": 0.0},
        },
        "status": {
            "csat": "none",
            "frt": "none",
            "fcr": "none",
            "nps": "none",
            "sla_compliance": "none",
            "aht": "none",
            "backlog": "none",
        },
        "targets": {
            "csat": {"green_min": 0.9, "red_below": 0.85, "unit": "rate"},
            "frt": {"green_max": 60, "red_above": 240, "unit": "minutes", "measure": "calendar median"},
            "nps": {"green_min": 30, "red_below": 10, "unit": "score"},
        },
        "breakdowns": {k: [] for k in BREAKDOWN_IDS},
        "series": {
            "day": [{"start": _day(d), "created": 0, "resolved": 0, "csat": None} for d in (1, 2)],
            "week": [{"start": _day(1), "created": 0, "resolved": 0, "csat": None, "csat_count": 0}],
            "month": [],
        },
        "distributions": {
            "frt_minutes": {"edges": [0, 15, None], "counts": [0, 0]},
            "ttr_minutes": {"edges": [0, 60, None], "counts": [0, 0]},
        },
        "tiers": [{"tier": "L0", "count": 0, "share": None, "band": [0.3, 0.5]}],
        "findings": [],
        "capacity": None,
    }


class Page(HTMLParser):
    """The parts of the page the tests read: headings, tags with attributes, visible text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._heading: int | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._text = int(tag[1]), []

    def handle_endtag(self, tag: str) -> None:
        if self._heading is not None and tag == f"h{self._heading}":
            self.headings.append((self._heading, " ".join("".join(self._text).split())))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def text_of(html: str, element_id: str) -> str:
    """The visible text of the element with this id (tiles, figures, details), whitespace folded."""
    match = re.search(rf'<(\w+)[^>]* id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no element #{element_id}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(2))).split())


def data_block(html: str) -> str:
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert match
    return match.group(1)


def inline_scripts(html: str) -> list[str]:
    return re.findall(r"<script>\n(.*?)\n  </script>", html, re.S)


def license_urls() -> set[str]:
    """Addresses inside the vendored file's ``/*! ... */`` license comments."""
    comments = re.findall(r"/\*!.*?\*/", LIBRARY.read_text(encoding="utf-8"), re.S)
    return {url for comment in comments for url in re.findall(r"https?://[^\s\"')]+", comment)}


@pytest.fixture(scope="module")
def page() -> str:
    report = full_report()
    report["ticket_url"] = TICKET_URL
    return render_report_html(report)


# ---- units ----


def test_units_read_as_a_person_reads_them() -> None:
    assert [fmt_minutes(m) for m in (0, 9.25, 42, 59.99, 210, 260.5, 1320, 3024, 5400)] == [
        "0 min",
        "9.2 min",
        "42 min",
        "1 h",
        "3.5 h",
        "4.3 h",
        "22 h",
        "2.1 d",
        "3.8 d",
    ]
    assert [fmt_rate(r) for r in (0.87, 0.935, 0.0, 1.0, None)] == ["87%", "93.5%", "0%", "100%", "—"]
    assert [fmt_signed(s) for s in (31.5, -12.0, 0.0, -0.01, None)] == ["+31.5", "−12", "0", "0", "—"]
    assert [fmt_count(c) for c in (1800, 0, None)] == ["1,800", "0", "—"]
    assert [fmt_money(v) for v in (24140.0, 14.2, -1200.5)] == ["24,140.00", "14.20", "-1,200.50"]


def test_tiles_show_value_status_target_and_count(page: str) -> None:
    assert text_of(page, "tile-csat") == (
        "CSAT 87% Watch Target ≥ 90% · red below 85% 358 of 412 ratings good (4–5) Based on 412 ratings"
    )
    frt = text_of(page, "tile-frt")
    assert frt.startswith("First response time 42 min calendar median On target Target ≤ 1 h · red above 4 h")
    assert "Median 30 min · p90 3 h (business hours)" in frt and "Based on 1,800 first responses" in frt
    assert "Time to resolution 22 h calendar median" in text_of(page, "tile-ttr")
    assert text_of(page, "tile-nps").startswith("NPS +31.5 On target Target ≥ +30 · red below +10")
    assert text_of(page, "tile-reopen_rate").startswith("Reopen rate 6% Off target")
    assert "Target 70%–80% · red below 60% or above 90%" in text_of(page, "tile-agent_utilization")
    sla = text_of(page, "tile-sla_compliance")
    assert sla.startswith("SLA compliance 88% resolution Watch")
    assert "Periodic update — (0 met, 0 breached)" in sla and "Based on 1,700 SLA targets" in sla
    assert "18.4 min per resolved ticket No target" in text_of(page, "tile-aht")
    assert "900 deflected × 14.20 − 780.00 invested" in text_of(page, "tile-self_service_roi")
    assert 'class="tile status-red" id="tile-reopen_rate"' in page


# ---- sections and accessibility ----


def test_a_full_report_has_every_section(page: str) -> None:
    parsed = Page(page)
    headings = [text for _, text in parsed.headings]
    for section in ("Metrics", "Charts", "Findings", "Capacity plan", "Breakdowns"):
        assert section in headings
    metric_keys = full_report()["metrics"].keys()
    assert {a["id"] for a in parsed.all("li")} == {f"tile-{k}" for k in metric_keys}
    assert [a["id"] for a in parsed.all("canvas")] == [f"chart-{c}" for c in CHART_IDS]
    assert [a["id"] for a in parsed.all("details") if a.get("class") == "card breakdown"] == [
        f"breakdown-{b}" for b in BREAKDOWN_IDS
    ]
    assert "Period 2026-10-01 00:00 UTC to 2026-11-01 00:00 UTC (31 days" in text_of(page, "main")
    assert "Berlin office (Europe/Berlin)" in page and "Generated 2026-11-30 10:00 UTC" in text_of(
        page, "main"
    )
    capacity = text_of(page, "capacity")
    assert "Workload in agents (exact) 3.3 Agents needed (rounded up) 4" in capacity
    assert "Tickets per day 64.5 Handle time 18.4 min Available hours a day 8 h Utilization 75%" in capacity
    assert "Queue model (Erlang C) Agents on duty 5 Service level reached 84%" in capacity
    priority = text_of(page, "breakdown-priority")
    assert "P1 60 58 9 min 14 min 3.3 h 6.7 h 50% 3% 60% 80% 20" in priority
    assert "P4 900 850 — — 2.8 d 6.2 d 70% 4% 5% — 0" in priority
    assert "(none) 3" in text_of(page, "breakdown-group")
    assert "No data for this period." in text_of(page, "breakdown-category")


def test_headings_descend_one_level_at_a_time(page: str) -> None:
    levels = [level for level, _ in Page(page).headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))


def test_every_table_has_column_headers_and_every_chart_a_label_and_a_table(page: str) -> None:
    tables = re.findall(r"<table.*?</table>", page, re.S)
    assert len(tables) == len(CHART_IDS) + 6  # the category breakdown is empty: no table
    assert all('<th scope="col">' in t for t in tables)
    for chart in ("volume", "backlog", "frt", "ttr", "sla", "csat", "tiers", "nps"):
        figure = re.search(rf'<figure[^>]* id="figure-{chart}".*?</figure>', page, re.S)
        assert figure, chart
        label = re.search(r'<canvas [^>]*role="img" aria-label="([^"]+)"', figure.group(0))
        assert label and len(label.group(1)) > 20, chart
        assert '<details class="chart-data" open>' in figure.group(0)
    frt = text_of(page, "figure-frt")
    assert "0 min–15 min 300 15 min–1 h 700" in frt and "≥ 1 d 20" in frt
    tiers = text_of(page, "figure-tiers")
    assert (
        "L0 900 31% 30%–50% within L1 1,300 55% 60%–80% below" in tiers and "L3 180 9% 0%–5% above" in tiers
    )
    assert "lowest 84%, highest 90%, latest 86%" in page


def test_findings_link_tickets_when_the_report_says_where_they_live(page: str) -> None:
    findings = text_of(page, "findings")
    assert "Ticket tennis 12 found 12 tickets changed hands three or more times." in findings
    assert "Groups L1 Support, L2 Billing Thresholds min handoffs: 3" in findings
    assert '<a href="https://desk.example/agent/tickets/101">#101</a>' in page
    assert '<a href="https://desk.example/agent/tickets/7">#7</a>' in page
    plain = render_report_html(full_report())
    assert "desk.example" not in plain and "#101, #205" in text_of(plain, "findings")


def test_a_ticket_url_must_be_an_http_address_with_an_id() -> None:
    for bad in ("javascript:alert(1)//{id}", "https://desk.example/tickets/", 42):
        report = {**full_report(), "ticket_url": bad}
        with pytest.raises(InvalidInput) as caught:
            render_report_html(report)
        assert caught.value.field == "ticket_url"
    report = {**full_report(), "ticket_url": TICKET_URL}
    report["findings"] = [{"title": "x", "tickets": ['7"><b>x', "{0.__class__}"]}]
    html = render_report_html(report)
    assert 'href="https://desk.example/agent/tickets/7%22%3E%3Cb%3Ex"' in html
    assert 'href="https://desk.example/agent/tickets/%7B0.__class__%7D"' in html


# ---- self-contained and safe ----


def test_the_file_loads_nothing_from_outside(page: str) -> None:
    parsed = Page(page)
    assert not [a for a in parsed.all("script") if "src" in a]
    assert not parsed.all("link") and not parsed.all("img") and not parsed.all("iframe")
    assert "@import" not in page and "url(" not in page
    links = {TICKET_URL, *(TICKET_URL.replace("{id}", str(t)) for t in (101, 205, 7))}
    allowed = links | license_urls()
    found = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert found - allowed == set()
    assert {TICKET_URL.replace("{id}", "101")} <= found
    hrefs = {a["href"] for a in parsed.all("a")}
    assert all(h.startswith("#") or h.startswith("https://desk.example/") for h in hrefs if h)


def test_the_chart_library_is_embedded_whole_without_its_source_map_comment(page: str) -> None:
    source = LIBRARY.read_text(encoding="utf-8")
    body, _, last = source.rstrip("\n").rpartition("\n")
    assert last.startswith("//# sourceMappingURL=")
    scripts = inline_scripts(page)
    assert scripts[0] == body and "sourceMappingURL" not in page
    assert "new Chart(canvas" in scripts[1]


def test_the_vendored_file_is_the_one_its_readme_names() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    version = re.search(r"version \*\*([0-9.]+)\*\*", readme)
    digest = re.search(r"SHA-256 of `chart.umd.min.js`: `([0-9a-f]{64})`", readme)
    assert version and digest
    assert hashlib.sha256(LIBRARY.read_bytes()).hexdigest() == digest.group(1)
    assert f" v{version.group(1)}\n" in LIBRARY.read_text(encoding="utf-8")[:200]
    assert "MIT License" in (VENDOR / "LICENSE.md").read_text(encoding="utf-8")


def test_the_dashboard_serves_the_same_library(client: TestClient) -> None:
    response = client.get("/static/vendor/chartjs/chart.umd.min.js")
    assert response.status_code == 200 and response.content == LIBRARY.read_bytes()


def test_hostile_names_stay_text() -> None:
    report = full_report()
    report["calendar"]["name"] = SCRIPT_OUT
    report["breakdowns"]["group"] = [{"key": SCRIPT_OUT, "created": 1}, {"key": IMG, "created": 2}]
    report["breakdowns"]["agent"] = [{"key": "<!-- <script>", "created": 1}]
    report["findings"][0]["groups"] = [SCRIPT_OUT]
    report["findings"][0]["agents"] = [IMG]
    report["findings"][0]["explanation"] = IMG + " & more"
    report["findings"][0]["thresholds"] = {IMG: SCRIPT_OUT}
    report["tiers"][0]["tier"] = SCRIPT_OUT
    report["metrics"]["backlog"]["age_buckets"] = {IMG: 3}
    html = render_report_html(report)
    for hostile in (SCRIPT_OUT, IMG, "<!-- <script>", "<b>"):
        assert hostile not in html
    assert html.count("<script") == 3 and html.lower().count("</script>") == 3
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;/script&gt;&lt;script&gt;alert(&#34;out&#34;)&lt;/script&gt;" in html
    embedded = json.loads(data_block(html))
    assert embedded["report"]["breakdowns"]["group"][0]["key"] == SCRIPT_OUT
    assert embedded["report"]["findings"][0]["thresholds"] == {IMG: SCRIPT_OUT}
    tiers = next(c for c in embedded["charts"] if c["id"] == "tiers")
    assert tiers["labels"][0] == SCRIPT_OUT


# ---- empty states, odd values and bad input ----


@pytest.mark.parametrize("report", [empty_report(), {}], ids=["zeros-and-nulls", "no-sections"])
def test_an_empty_report_says_so_instead_of_drawing(report: dict[str, Any]) -> None:
    html = render_report_html(report)
    assert "<canvas" not in html
    assert json.loads(data_block(html))["charts"] == []
    for message in (
        "No tickets were created or resolved in this period.",
        "No tickets were open at the end of the period.",
        "No SLA targets were met or breached in this period.",
        "No CSAT ratings in this period.",
        "No tickets were resolved or deflected in this period.",
        "No NPS responses in this period.",
        "No anti-patterns were found in this period.",
        "No capacity plan",
    ):
        assert message in html
    assert html.count("No tickets in this period.") == 2  # FRT and TTR histograms


def test_nulls_read_as_a_dash_with_no_data_status() -> None:
    html = render_report_html(empty_report())
    assert text_of(html, "tile-csat") == "CSAT — No data Target ≥ 90% · red below 85% Based on 0 ratings"
    assert text_of(html, "tile-frt").startswith("First response time — calendar median No data")
    assert "Median — · p90 — (calendar time)" in text_of(html, "tile-frt")
    assert text_of(html, "tile-nps").startswith("NPS — No data Target ≥ +30 · red below +10 0 promoters")
    assert "Around the clock (no calendar)" in html
    assert (
        text_of(html, "tile-aht")
        == "Average handle time — per resolved ticket No target Based on 0 resolved tickets"
    )
    assert "No capacity plan" in html and "<h3>Inputs</h3>" not in html


def test_not_a_number_reads_as_missing_and_the_json_stays_valid() -> None:
    report = full_report()
    report["metrics"]["csat"]["value"] = math.nan
    report["metrics"]["fcr"]["value"] = math.inf
    html = render_report_html(report)
    assert text_of(html, "tile-csat").startswith("CSAT — Watch")
    assert json.loads(data_block(html))["report"]["metrics"]["csat"]["value"] is None
    assert "NaN" not in data_block(html) and "Infinity" not in data_block(html)


def test_the_plan_as_the_capacity_command_writes_it_and_amounts_in_their_currency() -> None:
    report = full_report()
    report["calendar"] = {"name": None, "timezone": "UTC"}
    report["metrics"]["cost_per_ticket"]["currency"] = "EUR"
    report["metrics"]["self_service_roi"]["currency"] = "EUR"
    report["capacity"] = {
        "inputs": {"volume": 64.5, "handle_minutes": 18.4, "hours": 8.0, "utilization": 0.75},
        "plan": {
            "workload": {"agents": 4, "exact": 3.3},
            "erlang_c": {
                "load_erlangs": 2.47,
                "agents_on_duty": 5,
                "service_level": 0.84,
                "probability_of_waiting": 0.2,
                "average_wait_minutes": 1.5,
                "occupancy": 0.49,
                "agents_to_schedule": 8,
            },
        },
    }
    html = render_report_html(report)
    assert text_of(html, "tile-cost_per_ticket").startswith("Cost per ticket 14.20 EUR On target")
    assert "Total cost 24,140.00 EUR" in text_of(html, "tile-cost_per_ticket")
    assert text_of(html, "tile-self_service_roi").startswith("Self-service ROI 12,000.00 EUR")
    assert "Around the clock (UTC)" in html
    capacity = text_of(html, "capacity")
    assert "Inputs Tickets per day 64.5" in capacity and "No capacity plan" not in capacity
    assert "Workload formula Agents needed (rounded up) 4 Workload in agents (exact) 3.3" in capacity
    assert (
        "Queue model (Erlang C) Offered load (erlangs) 2.5 Agents on duty 5 Service level reached 84%"
        in capacity
    )
    assert "Average wait 1.5 min Occupancy 49% Agents to schedule (with shrinkage) 8" in capacity
    report["capacity"] = {"inputs": {"volume": 0.0, "handle_minutes": 20.0}, "plan": None}
    capacity = text_of(render_report_html(report), "capacity")
    assert capacity.startswith("Capacity plan No capacity plan") and "Inputs Tickets per day 0" in capacity


def test_a_long_period_plots_weeks() -> None:
    report = full_report()
    assert "Ticket volume per day" in render_report_html(report)
    report["period"]["days"] = 182.0
    html = render_report_html(report)
    volume = text_of(html, "figure-volume")
    assert volume.startswith("Ticket volume per week") and "Week starting Created Resolved" in volume
    assert "5 weeks from 2026-10-01 to 2026-10-29: 2,250 created" in html


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("metrics", "csat", "value"), "high", "metrics.csat.value"),
        (("metrics", "frt", "calendar", "median_minutes"), True, "metrics.frt.calendar.median_minutes"),
        (("metrics", "csat"), [0.9], "metrics.csat"),
        (("status", "csat"), "purple", "status.csat"),
        (("period", "from"), "last tuesday", "period.from"),
        (("distributions", "frt_minutes", "counts"), [1, 2], "distributions.frt_minutes.edges"),
        (("series", "day"), {"start": "x"}, "series.day"),
        (("breakdowns", "agent"), [{"key": "a", "created": "many"}], "breakdowns.agent[0].created"),
        (("tiers",), [{"tier": "L0", "share": "half"}], "tiers[0].share"),
        (("findings",), [{"tickets": 5}], "findings[0].tickets"),
        (("capacity", "inputs", "volume"), [1], "capacity.inputs.volume"),
    ],
)
def test_a_malformed_report_is_refused_naming_the_field(
    path: tuple[str, ...], value: Any, field: str
) -> None:
    report = copy.deepcopy(full_report())
    node = report
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(InvalidInput) as caught:
        render_report_html(report)
    assert caught.value.field == field


def test_a_report_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        render_report_html([])  # type: ignore[arg-type]
    assert caught.value.field == "report"


# ---- the charts drawn by the library ----

NODE_HARNESS = r"""
// Runs the page's two inline scripts in a sandbox: the vendored library for real, drawing on a
// recording 2D context (its headless platform), and the report's script with a minimal document.
const vm = require("vm");
const fs = require("fs");
const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const texts = {};
function context2d(canvas) {
  const target = {
    canvas,
    measureText: (t) => ({
      width: String(t).length * 6, actualBoundingBoxAscent: 8, actualBoundingBoxDescent: 2,
    }),
    getLineDash: () => [],
    createLinearGradient: () => ({ addColorStop() {} }),
    fillText: (t) => { (texts[canvas.id] = texts[canvas.id] || []).push(String(t)); },
  };
  return new Proxy(target, {
    get: (t, k) => (k in t ? t[k] : () => {}),
    set: (t, k, v) => { t[k] = v; return true; },
  });
}
const elements = {};
for (const id of input.canvases) {
  const details = { open: true };
  const figure = { names: [], classList: { add(n) { figure.names.push(n); } },
                   querySelector: (s) => (s === "details.chart-data" ? details : null) };
  const canvas = { id, width: 600, height: 300, style: {}, details, figure,
                   closest: (s) => (s === "figure" ? figure : null) };
  canvas.getContext = () => context2d(canvas);
  elements[id] = canvas;
}
const errors = [];
const sandbox = { console: { error: (...a) => errors.push(a.map(String).join(" ")),
                             warn: (...a) => errors.push(a.map(String).join(" ")), log() {} } };
vm.createContext(sandbox);
vm.runInContext(input.library, sandbox);
const Real = sandbox.Chart;
const made = {};
sandbox.Chart = class extends Real {
  constructor(item, config) {
    if (item.id === input.failOn) throw new Error("cannot draw");
    config.platform = Real.BasicPlatform;
    super(item, config);
    made[item.id] = this;
  }
};
sandbox.document = {
  getElementById: (id) => (id === "report-data" ? { textContent: input.data } : elements[id] || null),
  querySelectorAll: () => [],
};
const listeners = [];
sandbox.window = { addEventListener: (name) => listeners.push(name) };
vm.runInContext(input.script, sandbox);
const charts = {};
for (const id of input.canvases) {
  const c = made[id];
  const value = c && (c.options.indexAxis === "y" ? c.scales.x : c.scales.y);
  charts[id] = {
    drawn: elements[id].figure.names.includes("drawn"),
    tableOpen: elements[id].details.open,
    bars: c ? c.data.datasets.map((d, i) => c.getDatasetMeta(i).data.length) : null,
    ticks: value ? value.ticks.map((t) => t.label) : null,
    tooltip: c ? c.data.datasets.map(
      (d) => c.options.plugins.tooltip.callbacks.label({ dataset: d, raw: d.data[0] })) : null,
    texts: texts[id] || [],
  };
}
process.stdout.write(JSON.stringify({ version: Real.version, charts, errors, listeners }));
"""


def run_in_node(html: str, tmp_path: Path, fail_on: str | None = None) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the charts are not drawn in this run")
    scripts = inline_scripts(html)
    (tmp_path / "harness.js").write_text(NODE_HARNESS, encoding="utf-8")
    payload = {
        "library": scripts[0],
        "script": scripts[1],
        "data": data_block(html),
        "canvases": re.findall(r'<canvas id="([^"]+)"', html),
        "failOn": fail_on,
    }
    (tmp_path / "input.json").write_text(json.dumps(payload), encoding="utf-8")
    done = subprocess.run(  # noqa: S603 - our harness, our input
        [node, str(tmp_path / "harness.js"), str(tmp_path / "input.json")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_the_library_draws_every_chart_with_formatted_axes(page: str, tmp_path: Path) -> None:
    result = run_in_node(page, tmp_path)
    assert result["errors"] == [] and result["version"].startswith("4.")
    charts = result["charts"]
    assert set(charts) == {f"chart-{c}" for c in CHART_IDS}
    assert all(c["drawn"] and not c["tableOpen"] for c in charts.values())
    assert charts["chart-volume"]["bars"] == [31, 31]
    assert charts["chart-sla"]["ticks"][-1] == "100%" and charts["chart-sla"]["tooltip"] == [
        "Compliance: 93%"
    ]
    assert charts["chart-tiers"]["bars"] == [4, 4]
    assert charts["chart-tiers"]["tooltip"] == ["Target band: 30%–50%", "Actual share: 31%"]
    assert charts["chart-csat"]["tooltip"] == ["CSAT: 90%"] and charts["chart-csat"]["ticks"][-1] == "100%"
    assert charts["chart-frt"]["tooltip"] == ["Tickets: 300"]
    assert "≥ 1 d" in charts["chart-frt"]["texts"] and "L0" in charts["chart-tiers"]["texts"]
    assert charts["chart-volume"]["ticks"][-1] == "100"
    assert sorted(result["listeners"]) == ["afterprint", "beforeprint"]


def test_a_chart_that_fails_keeps_its_table_open_and_the_others_draw(page: str, tmp_path: Path) -> None:
    result = run_in_node(page, tmp_path, fail_on="chart-sla")
    sla = result["charts"].pop("chart-sla")
    assert not sla["drawn"] and sla["tableOpen"]
    assert all(c["drawn"] for c in result["charts"].values())
    assert len(result["errors"]) == 1 and "sla" in result["errors"][0]


def test_the_report_the_metrics_build_renders_and_draws(db: Database, tmp_path: Path) -> None:
    from supportops.demo import generator
    from supportops.metrics.periods import Period
    from supportops.metrics.report import build_report

    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    generator.load(db, tickets=150, seed=5, now=now)
    period = Period.of(now - timedelta(days=60), now - timedelta(days=10), now)
    quiet = Period.of(now + timedelta(days=30), now + timedelta(days=31), now + timedelta(days=31))
    with db.unit_of_work(write=False) as session:
        report = build_report(session, period, with_findings=False, ticket_url=TICKET_URL, now=now)
        empty = build_report(session, quiet, with_findings=False, now=now)
    html = render_report_html(report)
    assert {a["id"] for a in Page(html).all("li")} == {f"tile-{k}" for k in report["metrics"]}
    assert json.loads(data_block(html))["report"] == json.loads(json.dumps(report))
    drawn = run_in_node(html, tmp_path)
    assert drawn["errors"] == [] and drawn["charts"] and all(c["drawn"] for c in drawn["charts"].values())
    quiet_html = render_report_html(empty)
    assert "No tickets were created or resolved in this period." in quiet_html
    assert "No CSAT ratings in this period." in quiet_html and "No capacity plan" in quiet_html


def test_the_page_draws_in_a_browser_opened_from_disk(page: str, tmp_path: Path) -> None:
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        # .ci/run installs Debian's chromium; in CI its absence is a failure, not a skip.
        message = "no /usr/bin/chromium (Debian package chromium): the browser test cannot run"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright import sync_api

    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium))
        try:
            tab = browser.new_page()
            tab.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
            tab.on("pageerror", lambda e: problems.append(str(e)))
            tab.on("request", lambda r: None if r.url.startswith("file:") else problems.append(r.url))
            tab.goto(path.as_uri())
            tab.wait_for_function(f"document.querySelectorAll('figure.drawn').length === {len(CHART_IDS)}")
            sizes = tab.eval_on_selector_all("canvas", "cs => cs.map(c => [c.width, c.height])")
        finally:
            browser.close()
    assert problems == []
    assert len(sizes) == len(CHART_IDS) and all(w > 0 and h > 0 for w, h in sizes)
