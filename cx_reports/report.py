"""The CX report: summary, previous-period comparison and a breakdown, as table, JSON or CSV."""
import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Dict, List, Optional

from sqlalchemy.engine import Engine

from contract.metrics import CES_MEAN, CSAT_MEAN, REGISTRY
from cx_reports import metrics
from cx_reports.metrics import METRICS, MetricFilter
from cxm_store import shoptime
from cxm_store.csv_cells import text_cell
from cxm_store.db import utc_naive

FORMATS = ("table", "json", "csv")
_RELATIVE = re.compile(r"^(\d+)([dw])$")

# Column headings of the table and CSV (contract.metrics holds them with each metric).
LABELS = {m.name: m.heading for m in REGISTRY}


def parse_moment(text: str, now: datetime, zone: str) -> datetime:
    """Parse ``7d``, ``12w`` (that long before ``now``), an ISO date (midnight in
    the shop's ``zone``, where its day begins) or an ISO datetime (UTC unless it
    carries an offset); return naive UTC.
    """
    match = _RELATIVE.match(text.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now - timedelta(days=amount * (7 if unit == "w" else 1))
    try:
        if len(text.strip()) == len("YYYY-MM-DD"):
            return shoptime.local_midnight_utc(date.fromisoformat(text.strip()), zone)
        return utc_naive(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise ValueError(f"expected 7d, 12w or an ISO date, not {text!r}") from None


@dataclass(frozen=True)
class Report:
    """What the report shows, before formatting."""

    filter: MetricFilter
    by: Optional[str]
    comparison: Dict[str, Dict[str, Optional[float]]]
    breakdown: Dict[Optional[str], Dict[str, Optional[float]]]


def build_report(flt: MetricFilter, by: Optional[str] = None, engine: Engine = None) -> Report:
    """Compute the comparison with the previous period and, if ``by`` is set, the breakdown."""
    return Report(
        filter=flt,
        by=by,
        comparison=metrics.compare_previous(flt, engine),
        breakdown=metrics.breakdown(flt, by, engine) if by else {},
    )


def render(report: Report, fmt: str) -> str:
    """Format a report as ``table``, ``json`` or ``csv``."""
    if fmt == "json":
        return _json(report)
    if fmt == "csv":
        return _csv(report)
    if fmt == "table":
        return _table(report)
    raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")


def _show(metric: str, value: Optional[float]) -> str:
    if value is None:
        return "-"
    if metric == "conversations" or metric.endswith("_s"):
        return f"{value:.0f}"
    return f"{value:.1f}" if metric != CSAT_MEAN and metric != CES_MEAN else f"{value:.2f}"


def _show_change(metric: str, value: Optional[float]) -> str:
    shown = _show(metric, value)
    return shown if value is None or value < 0 else "+" + shown


def _group_name(group: Optional[str]) -> str:
    return "(none)" if group is None else str(group)


def _window(flt: MetricFilter) -> str:
    start, end = metrics.bounds(flt)
    return f"{start.isoformat(sep=' ')} to {end.isoformat(sep=' ')} (end excluded)"


def _grid(header: List[str], rows: List[List[str]]) -> List[str]:
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]

    def line(cells: List[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:])]
        return "  ".join([first] + rest).rstrip()

    return [line(header), "  ".join("-" * width for width in widths)] + [line(r) for r in rows]


def _table(report: Report) -> str:
    flt = report.filter
    previous = metrics.previous_period(flt)
    filters = ", ".join(
        f"{name}={getattr(flt, name)}"
        for name in ("channel", "language", "topic", "agent")
        if getattr(flt, name) is not None
    )
    lines = [f"CX report: {_window(flt)}"]
    if filters:
        lines.append(f"Filters: {filters}")
    lines.append(f"Previous period: {_window(previous)}")
    lines.append("")
    rows = [
        [
            LABELS[m],
            _show(m, report.comparison[m]["current"]),
            _show(m, report.comparison[m]["previous"]),
            _show_change(m, report.comparison[m]["change"]),
        ]
        for m in METRICS
    ]
    lines += _grid(["Metric", "Current", "Previous", "Change"], rows)
    if report.by:
        groups = list(report.breakdown)
        lines += ["", f"By {report.by}:"]
        rows = [
            [LABELS[m]] + [_show(m, report.breakdown[g][m]) for g in groups] for m in METRICS
        ]
        lines += _grid(["Metric"] + [_group_name(g) for g in groups], rows)
    return "\n".join(lines) + "\n"


def _iso_window(flt: MetricFilter) -> Dict[str, str]:
    start, end = metrics.bounds(flt)
    return {"start": start.isoformat(), "end": end.isoformat()}


def _json(report: Report) -> str:
    flt = report.filter
    previous = metrics.previous_period(flt)
    document = {
        "window": _iso_window(flt),
        "previous_window": _iso_window(previous),
        "filters": {
            name: getattr(flt, name)
            for name in ("channel", "language", "topic", "agent")
            if getattr(flt, name) is not None
        },
        "summary": report.comparison,
    }
    if report.by:
        document["breakdown"] = {
            "by": report.by,
            "groups": [
                {report.by: group, "metrics": values} for group, values in report.breakdown.items()
            ],
        }
    return json.dumps(document, indent=2) + "\n"


def _csv(report: Report) -> str:
    # Long format (one value per row) so any spreadsheet can pivot it.
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "group", "metric", "value"])
    for metric in METRICS:
        for section in ("current", "previous", "change"):
            writer.writerow([section, "", metric, _csv_value(report.comparison[metric][section])])
    for group, values in report.breakdown.items():
        for metric in METRICS:
            section = f"by_{report.by}"
            writer.writerow([section, text_cell(_group_name(group)), metric, _csv_value(values[metric])])
    return out.getvalue()


def _csv_value(value: Optional[float]) -> str:
    return "" if value is None else repr(value)
