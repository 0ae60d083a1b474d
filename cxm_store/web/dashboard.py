"""The CX leads' dashboard: one page and its JSON/CSV API (roles lead and admin).

Routes:
    GET /dashboard                                the page (filters in the query string)
    GET /dashboard/conversations/<id>             read-only transcript for leads
    GET /api/dashboard/summary                    KPIs now, previous period, change
    GET /api/dashboard/timeseries                 conversations, containment, CSAT %, escalation,
                                                  negative-sentiment % per day/week
    GET /api/dashboard/breakdown/<by>             every metric per channel|language|topic|agent
    GET /api/dashboard/voice/<kind>               unrecognised | low-csat-topics | escalation-topics |
                                                  low-scores | negative-topics
    GET /api/dashboard/<table>.csv                any table above as CSV (same filters)
    GET /api/openapi.json                         OpenAPI 3 description (see openapi.py)

Filters (query string, shared by every route): ``range`` = ``7``, ``30``,
``90`` (days up to and including today) or ``custom`` with ``from`` and
``to`` (ISO dates, both included); ``channel``; ``language``; ``grain`` =
``day`` | ``week``. Days are the shop's (``CXM_TIMEZONE``, Asia/Jakarta by
default): the window handed to the metrics is ``[from 00:00, to + 1 day 00:00)``
local time, i.e. exactly what
``python -m cxm_store report --since <from> --until <to + 1 day>`` computes,
and the series count local days and weeks.

The page renders its shell and filters at once; the figures come from a few
parallel fetches of the JSON API, each computed in worker threads (both
periods of the summary, the four series in parallel) and kept for
:data:`CACHE_SECONDS` per filter (then served stale up to
:data:`STALE_SECONDS` while recomputed behind). The default view (last 30
days, no filter) is computed at start and every :data:`PREWARM_SECONDS`, so
a lead's first load finds it ready; other filters are computed on demand.
Environment: ``CXM_DASHBOARD_CACHE_SECONDS`` (60; 0 disables caching and the
prewarm), ``CXM_DASHBOARD_STALE_SECONDS`` (900), ``CXM_DASHBOARD_PREWARM_SECONDS``
(300; 0 disables).
"""
import asyncio
import csv
import io
import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable, Dict, Optional, Tuple
from urllib.parse import urlencode

from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

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
from contract.vocabulary import CHANNELS as DASHBOARD_CHANNELS
from contract.vocabulary import CONVERSATION_LANGUAGES
from cxm_store import metrics, shoptime, voice
from cxm_store.csv_cells import text_cell
from cxm_store.metrics import GROUPINGS, METRICS, MetricFilter
from cxm_store.web.security import require_role

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
# Figures are kept this long per filter (CXM_DASHBOARD_CACHE_SECONDS; 0 = never cached).
CACHE_SECONDS = float(os.environ.get("CXM_DASHBOARD_CACHE_SECONDS", "60"))
# Older than CACHE_SECONDS but younger than this: served at once, recomputed behind.
STALE_SECONDS = float(os.environ.get("CXM_DASHBOARD_STALE_SECONDS", "900"))
# The default view is recomputed this often in the background (0: never; needs the cache).
PREWARM_SECONDS = float(os.environ.get("CXM_DASHBOARD_PREWARM_SECONDS", "300"))
ALL_METRICS = METRICS + (FIRST_RESPONSE_MEDIAN_S,)

TEXT: Dict[str, Dict[str, str]] = {
    "id": {
        "title": "Dasbor CX", "filters": "Filter", "range": "Rentang", "days": "{n} hari",
        "custom": "Kustom", "from": "Dari", "to": "Sampai", "channel": "Kanal", "language": "Bahasa",
        "all": "Semua", "grain": "Pengelompokan", "day": "Harian", "week": "Mingguan",
        "apply": "Terapkan", "kpis": "Indikator utama", "vs_previous": "vs periode sebelumnya",
        "trends": "Tren", "breakdowns": "Rincian", "by_channel": "Per kanal",
        "by_language": "Per bahasa", "by_topic": "Per topik", "by_agent": "Per agen",
        "voice": "Suara pelanggan", "unrecognised": "Pertanyaan yang tidak dikenali",
        "unrecognised_hint": "Pesan yang tidak dipahami bot, paling sering di atas: kandidat FAQ berikutnya.",
        "low_csat_topics": "Topik dengan CSAT terendah", "escalation_topics": "Topik dengan eskalasi tertinggi",
        "low_scores": "Skor rendah terbaru (CSAT 1-2)", "question": "Pertanyaan", "count": "Jumlah",
        "conversations_col": "Percakapan", "last_seen": "Terakhir", "topic": "Topik", "answers": "Jawaban",
        "closed": "Selesai", "escalated": "Dieskalasi", "score": "Skor", "comment": "Komentar",
        "when": "Waktu", "transcript": "Transkrip", "open": "Buka", "csv": "Unduh CSV",
        "loading": "Memuat…", "empty": "Tidak ada data untuk filter ini.", "none": "(tidak ada)",
        "error": "Gagal memuat data; muat ulang halaman.", "values": "Nilai", "period": "Periode",
        "value": "Nilai", "group": "Grup", "window": "Periode: {start} s.d. {end} ({zone})",
        "previous": "sebelumnya", "no_change": "tidak berubah", "language_switch": "Bahasa tampilan",
        "agent": "Agen", "back": "Kembali ke dasbor", "sender_customer": "Pelanggan",
        "sender_bot": "Bot", "sender_agent": "Agen", "fallback": "tidak dikenali",
        "survey": "Survei", "outcome": "Hasil", "started": "Mulai", "better": "lebih baik",
        "worse": "lebih buruk", "dashboard": "Dasbor", "logout": "Keluar",
        "nav.Conversations": "Percakapan", "nav.Dashboard": "Dasbor",
        "negative_topics": "Topik dengan percakapan negatif terbanyak",
        "scored": "Dinilai", "negative": "Negatif",
    },
    "en": {
        "title": "CX dashboard", "filters": "Filters", "range": "Range", "days": "{n} days",
        "custom": "Custom", "from": "From", "to": "To", "channel": "Channel", "language": "Language",
        "all": "All", "grain": "Group by", "day": "Day", "week": "Week",
        "apply": "Apply", "kpis": "Key figures", "vs_previous": "vs previous period",
        "trends": "Trends", "breakdowns": "Breakdowns", "by_channel": "By channel",
        "by_language": "By language", "by_topic": "By topic", "by_agent": "By agent",
        "voice": "Voice of the customer", "unrecognised": "Unrecognised questions",
        "unrecognised_hint": "Messages the bot did not understand, most frequent first: what to add to the FAQ next.",
        "low_csat_topics": "Topics with the lowest CSAT", "escalation_topics": "Topics with the highest escalation",
        "low_scores": "Latest low scores (CSAT 1-2)", "question": "Question", "count": "Count",
        "conversations_col": "Conversations", "last_seen": "Last seen", "topic": "Topic", "answers": "Answers",
        "closed": "Closed", "escalated": "Escalated", "score": "Score", "comment": "Comment",
        "when": "When", "transcript": "Transcript", "open": "Open", "csv": "Download CSV",
        "loading": "Loading…", "empty": "No data for these filters.", "none": "(none)",
        "error": "Could not load the figures; reload the page.", "values": "Values", "period": "Period",
        "value": "Value", "group": "Group", "window": "Period: {start} to {end} ({zone})",
        "previous": "previous", "no_change": "no change", "language_switch": "Display language",
        "agent": "Agent", "back": "Back to the dashboard", "sender_customer": "Customer",
        "sender_bot": "Bot", "sender_agent": "Agent", "fallback": "not understood",
        "survey": "Survey", "outcome": "Outcome", "started": "Started", "better": "better",
        "worse": "worse", "dashboard": "Dashboard", "logout": "Log out",
        "nav.Conversations": "Conversations", "nav.Dashboard": "Dashboard",
        "negative_topics": "Topics with the most negative conversations",
        "scored": "Scored", "negative": "Negative",
    },
}
# Metric labels come from the registry, under "m.<metric>" (the page reads them from here).
for _language, _texts in TEXT.items():
    _texts.update({f"m.{m.name}": metric_registry.label(m.name, _language) for m in metric_registry.REGISTRY})


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
    ``today`` defaults to the current day in the shop's ``zone``."""

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
_refresher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dashboard-refresh")
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
    """``compute()``, kept :data:`CACHE_SECONDS` per key; up to :data:`STALE_SECONDS`
    old, the kept value is served while one background thread recomputes it."""
    if CACHE_SECONDS <= 0:
        return compute()
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        if hit and now - hit[0] < STALE_SECONDS:
            if key not in _refreshing:
                _refreshing.add(key)
                _refresher.submit(_refresh, key, compute)
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
    return {"start": flt.start.isoformat(), "end": flt.end.isoformat()}


def compute_summary(f: Filters, engine: Any) -> Dict[str, Any]:
    """Every metric (plus first response) now, in the previous period, and the change."""

    def compute() -> Dict[str, Any]:
        flt = f.metric_filter
        before = metrics.previous_period(flt)
        jobs = {
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
    functions = {
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


# --- Routes ---------------------------------------------------------------------------


def page_language(request: Request) -> str:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        return chosen
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in LANGUAGES else "id"


async def _run(request: Request, function: Callable, *args: Any) -> Any:
    """Run a blocking computation in a thread, at most one per CPU at a time.

    The page asks for the quick figures (KPIs, series, voice) before the
    breakdowns; the semaphore serves waiters in order, so on a cold cache the
    KPI cards are not slowed down by the heavier breakdowns.
    """
    gate = getattr(request.app.ctx, "dashboard_gate", None)
    if gate is None:
        gate = request.app.ctx.dashboard_gate = asyncio.Semaphore(max(1, os.cpu_count() or 1))
    async with gate:
        return await asyncio.get_running_loop().run_in_executor(
            None, lambda: function(*args, request.app.ctx.engine)
        )


async def _prewarm_loop(app: Sanic) -> None:
    """Keep the default view's figures computed, so a lead's first load is instant."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            await loop.run_in_executor(
                _refresher, prewarm, app.ctx.engine, app.ctx.settings.timezone
            )
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed warm-up must not stop the app; the page computes on demand
            logger.exception("dashboard prewarm failed")
        await asyncio.sleep(PREWARM_SECONDS)


def _json(body: Any) -> HTTPResponse:
    return response.json(body, dumps=lambda value: json.dumps(value, default=str))


def _filters(request: Request) -> Filters:
    return parse_filters(request.args, request.app.ctx.settings.timezone)


def register(app: Sanic) -> None:
    from cxm_store.web import render

    @app.listener("after_server_start")
    async def start_prewarm(app: Sanic, _loop: Any) -> None:
        if CACHE_SECONDS > 0 and PREWARM_SECONDS > 0:
            app.ctx.dashboard_prewarm = asyncio.get_running_loop().create_task(_prewarm_loop(app))

    @app.listener("before_server_stop")
    async def stop_prewarm(app: Sanic, _loop: Any) -> None:
        task = getattr(app.ctx, "dashboard_prewarm", None)
        if task is not None:
            task.cancel()

    @app.get("/dashboard", name="dashboard")
    @require_role("lead", "admin")
    async def dashboard(request: Request) -> HTTPResponse:
        lang = page_language(request)
        f = _filters(request)
        t = TEXT[lang]
        page = render(
            request, "dashboard.html", title=t["title"], lang=lang, t=t, f=f,
            presets=PRESETS, channels=DASHBOARD_CHANNELS, languages=CONVERSATION_LANGUAGES,
            groupings=GROUPINGS, kpis=KPIS, series=SERIES,
            config=json.dumps({
                "lang": lang, "text": t, "query": f.query(), "kpis": KPIS, "series": SERIES,
                "direction": DIRECTION, "breakdownColumns": BREAKDOWN_COLUMNS,
                "groupings": GROUPINGS,
            }).replace("<", "\\u003c"),
            query=f.query(), other_lang="en" if lang == "id" else "id",
        )
        if request.args.get("lang") in LANGUAGES:
            page.cookies[LANG_COOKIE] = lang
            page.cookies[LANG_COOKIE]["path"] = "/"
            page.cookies[LANG_COOKIE]["max-age"] = 365 * 24 * 3600
            page.cookies[LANG_COOKIE]["samesite"] = "Lax"
        return page

    @app.get("/dashboard/conversations/<conversation_id:int>", name="dashboard_transcript")
    @require_role("lead", "admin")
    async def dashboard_transcript(request: Request, conversation_id: int) -> HTTPResponse:
        lang = page_language(request)
        found = await _run(request, voice.transcript, conversation_id)
        if found is None:
            raise SanicException(f"No conversation {conversation_id}", status_code=404)
        return render(request, "dashboard_transcript.html", title=TEXT[lang]["transcript"],
                      lang=lang, t=TEXT[lang], found=found, back=request.args.get("back") or "")

    @app.get("/api/dashboard/summary", name="api_dashboard_summary")
    @require_role("lead", "admin")
    async def api_summary(request: Request) -> HTTPResponse:
        return _json(await _run(request, compute_summary, _filters(request)))

    @app.get("/api/dashboard/timeseries", name="api_dashboard_timeseries")
    @require_role("lead", "admin")
    async def api_timeseries(request: Request) -> HTTPResponse:
        return _json(await _run(request, compute_timeseries, _filters(request)))

    @app.get("/api/dashboard/breakdown/<by:str>", name="api_dashboard_breakdown")
    @require_role("lead", "admin")
    async def api_breakdown(request: Request, by: str) -> HTTPResponse:
        if by not in GROUPINGS:
            raise SanicException(f"by must be one of {', '.join(GROUPINGS)}", status_code=404)
        return _json(await _run(request, compute_breakdown, _filters(request), by))

    @app.get("/api/dashboard/voice/<kind:str>", name="api_dashboard_voice")
    @require_role("lead", "admin")
    async def api_voice(request: Request, kind: str) -> HTTPResponse:
        if kind not in VOICE_KINDS:
            raise SanicException(f"kind must be one of {', '.join(VOICE_KINDS)}", status_code=404)
        return _json(await _run(request, compute_voice, _filters(request), kind))

    @app.get(r"/api/dashboard/<table:[a-z-]+\.csv>", name="api_dashboard_csv")
    @require_role("lead", "admin")
    async def api_csv(request: Request, table: str) -> HTTPResponse:
        name = table[: -len(".csv")]
        if name not in CSV_TABLES:
            raise SanicException(f"table must be one of {', '.join(CSV_TABLES)}", status_code=404)
        body = await _run(request, to_csv, name, _filters(request))
        return response.text(
            body, content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="dashboard-{name}.csv"'},
        )
