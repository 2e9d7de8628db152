"""The ops report as one HTML file that opens offline: tiles, charts, findings, capacity, breakdowns.

Everything the page needs is inlined (the product's stylesheet, the vendored chart library from
``web/static/vendor/chartjs``, the drawing script), so the file can be mailed or archived and opened
from disk. The report dict is embedded as JSON in a ``<script type="application/json">`` block with
``<``, ``>`` and ``&`` escaped, so no string in it can close the block. Every figure is formatted here,
in Python; the inline script only turns the chart specs into charts, and each chart also has a data
table, so the page reads the same without script, in print and with a screen reader.

The library and stylesheet are read as package files (not imported), which is why ``metrics`` may use
``web``'s static folder: the dashboard serves the same file.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from supportops.kit.errors import InvalidInput
from supportops.metrics.report_html.charts import charts
from supportops.metrics.report_html.sections import breakdowns, capacity, findings
from supportops.metrics.report_html.tiles import metric_tiles
from supportops.metrics.report_html.values import as_number, as_object, fmt_instant, fmt_number

__all__ = ["render_report_html"]


def script_json(value: Any) -> Markup:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` survive literally,
    so neither ``</script>`` nor ``<!--`` can appear; ``JSON.parse`` reads the escapes back."""
    text = json.dumps(_finite(value), ensure_ascii=False, default=str, allow_nan=False)
    for char, escape in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return Markup(text)  # noqa: S704 - every character that could end the element is escaped above


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _inline_script(source: str, name: str) -> Markup:
    """A script's text for an inline ``<script>``; refuses text that would end the element early."""
    lines = source.rstrip("\n").split("\n")
    if lines and lines[-1].startswith("//# sourceMappingURL="):
        lines.pop()  # the map is not shipped; the comment would only make a browser ask for it
    text = "\n".join(lines)
    lowered = text.lower()
    if "</script" in lowered or "<!--" in lowered:
        raise RuntimeError(f"{name} cannot be inlined: it contains </script or <!--")
    return Markup(text)  # noqa: S704 - checked above; this is our own packaged code


def _package_file(*parts: str) -> str:
    return resources.files("supportops").joinpath(*parts).read_text(encoding="utf-8")


@cache
def _assets() -> dict[str, Markup]:
    return {
        "chart_library": _inline_script(
            _package_file("web", "static", "vendor", "chartjs", "chart.umd.min.js"), "the chart library"
        ),
        "script": _inline_script(_package_file("metrics", "templates", "report.js"), "report.js"),
        # our own stylesheets, inlined as they are
        "app_css": Markup(_package_file("web", "static", "app.css")),  # noqa: S704
        "report_css": Markup(_package_file("metrics", "templates", "report.css")),  # noqa: S704
    }


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _calendar_text(calendar: dict[str, Any]) -> str:
    """Whose business hours the business-time figures use."""
    name, zone = calendar.get("name"), calendar.get("timezone")
    if name is None:
        return f"Around the clock ({zone})" if zone else "Around the clock (no calendar)"
    return f"{name} ({zone})" if zone else str(name)


def render_report_html(report: dict[str, Any]) -> str:
    """The whole report as one self-contained HTML document."""
    if not isinstance(report, dict):
        raise InvalidInput("The report must be an object.", field="report")
    period = as_object(report.get("period"), "period")
    calendar = as_object(report.get("calendar"), "calendar")
    chart_list = charts(report)
    capacity_groups, has_plan = capacity(report)
    days = as_number(period.get("days"), "period.days")
    context = {
        "period": {
            "from": fmt_instant(period.get("from"), "period.from"),
            "to": fmt_instant(period.get("to"), "period.to"),
            "as_of": fmt_instant(period.get("as_of"), "period.as_of"),
            "days": fmt_number(days),
        },
        "calendar": _calendar_text(calendar),
        "generated_at": fmt_instant(report.get("generated_at"), "generated_at"),
        "tiles": metric_tiles(report),
        "charts": chart_list,
        "findings": findings(report),
        "capacity": capacity_groups,
        "has_plan": has_plan,
        "breakdowns": breakdowns(report),
        "data_json": script_json(
            {"charts": [{"id": c.id, **c.spec} for c in chart_list if c.spec], "report": report}
        ),
        **_assets(),
    }
    return _environment().get_template("report.html").render(context)
