"""The dashboard's figures: filters, the computations behind each panel, their cache, the CSV export.

Everything here blocks (SQL) and runs in worker threads; :mod:`team_app.dashboard`
holds the page and the routes that serve these figures.
"""
import csv
import io
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable, Dict, Optional, Tuple
from urllib.parse import urlencode

from sanic.exceptions import SanicException

from contract import metrics as metric_registry
from contract.metrics import (
    ABANDONMENT_RATE,
    CES_MEAN,
    CONTAINMENT_RATE,
    CONVERSATION_COUNT,
    CSAT_PERCENT,
    ESCALATION_RATE,
    FCR_RATE,
    FIRST_RESPONSE_MEDIAN_S,
    HANDOFF_WAIT_MEDIAN_S,
    NEGATIVE_SENTIMENT_PERCENT,
    NPS_SCORE,
    SURVEY_RESPONSE_RATE,
)
from cx_reports import metrics, voice
from cx_reports.metrics import GROUPINGS, METRICS, MetricFilter
from cxm_store import shoptime
from cxm_store.csv_cells import text_cell
from team_app import settings as team_app_settings

logger = logging.getLogger(__name__)

LANG_COOKIE = "cxm_lang"
LANGUAGES = ("id", "en")
PRESETS = ("7", "30", "90")
DEFAULT_PRESET = "30"
SERIES = (
    CONVERSATION_COUNT, CONTAINMENT_RATE, CSAT_PERCENT, ESCALATION_RATE,
    NEGATIVE_SENTIMENT_PERCENT,
    NPS_SCORE,
)
VOICE_KINDS = (
    "unrecognised", "low-csat-topics", "escalation-topics", "low-scores", "negative-topics",
)
KPIS = (
    CONVERSATION_COUNT, CONTAINMENT_RATE, ESCALATION_RATE, ABANDONMENT_RATE, FCR_RATE,
    CSAT_PERCENT, CES_MEAN, NPS_SCORE, SURVEY_RESPONSE_RATE, HANDOFF_WAIT_MEDIAN_S,
    FIRST_RESPONSE_MEDIAN_S,
)
# +1: up is good, -1: down is good, 0: neither (contract.metrics).
DIRECTION = metric_registry.DIRECTION
BREAKDOWN_COLUMNS = (
    CONVERSATION_COUNT, CONTAINMENT_RATE, ESCALATION_RATE, ABANDONMENT_RATE, FCR_RATE,
    CSAT_PERCENT, CES_MEAN, NPS_SCORE, HANDOFF_WAIT_MEDIAN_S,
)
ALL_METRICS = METRICS + (FIRST_RESPONSE_MEDIAN_S,)


class BadFilter(SanicException):
    status_code = 400


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters as chosen in the page, and the metric filter they mean."""

    preset: str  # "7", "30", "90" or "custom"
    first_day: date  # included
    last_day: date  # included
    channel: Optional[str]
    language: Optional[str]
    grain: str
    zone: str  # the shop's IANA time zone: its midnights bound the days

    @property
    def metric_filter(self) -> MetricFilter:
        return MetricFilter(
            start=shoptime.local_midnight_utc(self.first_day, self.zone),
            end=shoptime.local_midnight_utc(self.last_day + timedelta(days=1), self.zone),
            channel=self.channel,
            language=self.language,
            zone=self.zone,
        )

    def query(self, **override: Any) -> str:
        """The query string for these filters (``override`` replaces fields)."""
        fields = {"range": self.preset, "channel": self.channel, "language": self.language,
                  "grain": self.grain}
        if self.preset == "custom":
            fields["from"] = self.first_day.isoformat()
            fields["to"] = self.last_day.isoformat()
        fields.update(override)
        return urlencode({k: v for k, v in fields.items() if v})

    def key(self) -> Tuple:
        return (self.first_day, self.last_day, self.channel, self.language, self.zone)


def parse_filters(args: Any, zone: str, today: Optional[date] = None) -> Filters:
    """Read the filters from a query string (Sanic ``request.args`` or a plain dict);
    ``today`` defaults to the current day in the shop's ``zone``.
    """

    def arg(name: str) -> Optional[str]:
        value = args.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        return (value or "").strip() or None

    today = today or shoptime.local_today(zone)
    preset = arg("range") or (None if arg("from") else DEFAULT_PRESET)
    if preset in PRESETS:
        last = today
        first = today - timedelta(days=int(preset) - 1)
    else:
        preset = "custom"
        try:
            first = date.fromisoformat(arg("from") or "")
            last = date.fromisoformat(arg("to") or today.isoformat())
        except ValueError:
            raise BadFilter("from and to must be ISO dates (YYYY-MM-DD)") from None
        if last < first:
            raise BadFilter("to must not be before from")
        if (last - first).days > 3 * 366:
            raise BadFilter("the range may span at most 3 years")
    grain = arg("grain") or "day"
    if grain not in metrics.GRAINS:
        raise BadFilter(f"grain must be one of {', '.join(metrics.GRAINS)}")
    channel, language = arg("channel"), arg("language")
    if channel is not None and (len(channel) > 20 or not channel.replace("_", "").isalnum()):
        raise BadFilter("unknown channel")
    if language is not None and (len(language) > 8 or not language.isalpha()):
        raise BadFilter("unknown language")
    return Filters(preset, first, last, channel, language, grain, zone)


# --- Computing (blocking; run in worker threads) ------------------------------------

_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="dashboard")
refresher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dashboard-refresh")
_cache: Dict[Tuple, Tuple[float, Any]] = {}
_refreshing: set = set()
_cache_lock = threading.Lock()


def _store(key: Tuple, value: Any) -> None:
    with _cache_lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = (time.monotonic(), value)


def _refresh(key: Tuple, compute: Callable[[], Any]) -> None:
    try:
        _store(key, compute())
    finally:
        with _cache_lock:
            _refreshing.discard(key)


def _cached(key: Tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``, kept ``dashboard_cache_seconds`` per key; up to
    ``dashboard_stale_seconds`` old, the kept value is served while one background
    thread recomputes it (``team_app.settings``).
    """
    config = team_app_settings.load()
    if config.dashboard_cache_seconds <= 0:
        return compute()
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < config.dashboard_cache_seconds:
            return hit[1]
        if hit and now - hit[0] < config.dashboard_stale_seconds:
            if key not in _refreshing:
                _refreshing.add(key)
                refresher.submit(_refresh, key, compute)
            return hit[1]
    value = compute()
    _store(key, value)
    return value


def prewarm(engine: Any, zone: str) -> None:
    """Compute the default view (last 30 days, all channels and languages) into the cache."""
    f = parse_filters({}, zone)
    compute_summary(f, engine)
    compute_timeseries(f, engine)
    for kind in VOICE_KINDS:
        compute_voice(f, kind, engine)
    for by in GROUPINGS:
        compute_breakdown(f, by, engine)


def _window(flt: MetricFilter) -> Dict[str, str]:
    start, end = metrics.bounds(flt)
    return {"start": start.isoformat(), "end": end.isoformat()}


def compute_summary(f: Filters, engine: Any) -> Dict[str, Any]:
    """Every metric (plus first response) now, in the previous period, and the change."""

    def compute() -> Dict[str, Any]:
        flt = f.metric_filter
        before = metrics.previous_period(flt)
        jobs: Dict[str, Future] = {
            "current": _pool.submit(metrics.summary, flt, engine),
            "previous": _pool.submit(metrics.summary, before, engine),
            "fr_current": _pool.submit(voice.first_response_median_seconds, flt, engine),
            "fr_previous": _pool.submit(voice.first_response_median_seconds, before, engine),
        }
        done = {name: job.result() for name, job in jobs.items()}
        current = dict(done["current"], first_response_median_s=done["fr_current"])
        previous = dict(done["previous"], first_response_median_s=done["fr_previous"])
        values = {
            m: {
                "current": current[m],
                "previous": previous[m],
                "change": None if current[m] is None or previous[m] is None
                else current[m] - previous[m],
                "direction": DIRECTION.get(m, 0),
            }
            for m in ALL_METRICS
        }
        return {"window": _window(flt), "previous_window": _window(before),
                "filters": _filter_doc(f), "metrics": values}

    return _cached(("summary",) + f.key(), compute)


def compute_timeseries(f: Filters, engine: Any) -> Dict[str, Any]:
    def compute() -> Dict[str, Any]:
        flt = f.metric_filter
        jobs = {
            m: _pool.submit(voice.negative_sentiment_trend, flt, f.grain, engine)
            if m == NEGATIVE_SENTIMENT_PERCENT
            else _pool.submit(metrics.timeseries, m, flt, f.grain, engine)
            for m in SERIES
        }
        series = {m: [[period, value] for period, value in job.result()] for m, job in jobs.items()}
        return {"window": _window(flt), "filters": _filter_doc(f), "grain": f.grain, "series": series}

    return _cached(("timeseries", f.grain) + f.key(), compute)


def compute_breakdown(f: Filters, by: str, engine: Any) -> Dict[str, Any]:
    def compute() -> Dict[str, Any]:
        flt = f.metric_filter
        groups = metrics.breakdown(flt, by, engine)
        return {
            "window": _window(flt), "filters": _filter_doc(f), "by": by,
            "groups": [{by: group, "metrics": values} for group, values in groups.items()],
        }

    return _cached(("breakdown", by) + f.key(), compute)


def compute_voice(f: Filters, kind: str, engine: Any) -> Dict[str, Any]:
    functions: Dict[str, Callable[..., Any]] = {
        "unrecognised": voice.unrecognised_questions,
        "low-csat-topics": voice.topics_by_csat,
        "escalation-topics": voice.topics_by_escalation,
        "low-scores": voice.latest_low_scores,
        "negative-topics": voice.topics_by_negative_sentiment,
    }

    def compute() -> Dict[str, Any]:
        flt = f.metric_filter
        return {"window": _window(flt), "filters": _filter_doc(f), "kind": kind,
                "rows": functions[kind](flt, engine=engine)}

    return _cached(("voice", kind) + f.key(), compute)


def _filter_doc(f: Filters) -> Dict[str, Any]:
    return {"range": f.preset, "from": f.first_day.isoformat(), "to": f.last_day.isoformat(),
            "channel": f.channel, "language": f.language, "grain": f.grain}


# --- CSV ------------------------------------------------------------------------------

CSV_TABLES = (
    ("summary",) + ("timeseries",) + tuple(f"breakdown-{by}" for by in GROUPINGS)
    + tuple(f"voice-{kind}" for kind in VOICE_KINDS)
)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return repr(value)
    return text_cell(str(value))


def to_csv(table: str, f: Filters, engine: Any) -> str:
    """One table of the page as CSV; numbers as in the JSON (full precision, empty = None)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if table == "summary":
        doc = compute_summary(f, engine)
        writer.writerow(["metric", "current", "previous", "change"])
        for m, v in doc["metrics"].items():
            writer.writerow([m] + [_csv_value(v[k]) for k in ("current", "previous", "change")])
    elif table == "timeseries":
        doc = compute_timeseries(f, engine)
        writer.writerow(["period"] + list(SERIES))
        periods = [p for p, _ in doc["series"][SERIES[0]]]
        by_metric = {m: dict((p, v) for p, v in doc["series"][m]) for m in SERIES}
        for period in periods:
            writer.writerow([period] + [_csv_value(by_metric[m].get(period)) for m in SERIES])
    elif table.startswith("breakdown-"):
        by = table.split("-", 1)[1]
        doc = compute_breakdown(f, by, engine)
        writer.writerow([by] + list(METRICS))
        for group in doc["groups"]:
            writer.writerow([_csv_value(group[by])] + [_csv_value(group["metrics"][m]) for m in METRICS])
    else:
        kind = table.split("-", 1)[1]
        rows = compute_voice(f, kind, engine)["rows"]
        columns = list(rows[0]) if rows else VOICE_COLUMNS[kind]
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_value(row[c]) for c in columns])
    return out.getvalue()


VOICE_COLUMNS = {
    "unrecognised": ["text", "count", "conversations", "last_at", "example_conversation_id"],
    "low-csat-topics": ["topic", "answers", CSAT_PERCENT],
    "escalation-topics": ["topic", "closed", "escalated", ESCALATION_RATE],
    "low-scores": ["conversation_id", "score", "answered_at", "channel", "language", "topic",
                   "agent", "comment"],
    "negative-topics": ["topic", "scored", "negative", "negative_percent"],
}
