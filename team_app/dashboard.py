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
a while per filter (then served stale while recomputed behind). The default
view (last 30 days, no filter) is computed at start and again every few
minutes, so a lead's first load finds it ready; other filters are computed on
demand. How long and how often: ``team_app.settings.TeamAppSettings``.
"""
import asyncio
import json
import logging
import os
from datetime import datetime
from typing import Any, Callable, Dict

from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from contract import metrics as metric_registry
from contract.vocabulary import CHANNELS as DASHBOARD_CHANNELS
from contract.vocabulary import CONVERSATION_LANGUAGES
from cx_reports import voice
from cx_reports.metrics import GROUPINGS
from cxm_store.shoptime import to_local
from team_app.dashboard_figures import (  # noqa: F401 (re-exported: tests and pages import them here)
    ALL_METRICS,
    BREAKDOWN_COLUMNS,
    CSV_TABLES,
    DEFAULT_PRESET,
    DIRECTION,
    KPIS,
    LANG_COOKIE,
    LANGUAGES,
    PRESETS,
    SERIES,
    VOICE_COLUMNS,
    VOICE_KINDS,
    BadFilter,
    Filters,
    compute_breakdown,
    compute_summary,
    compute_timeseries,
    compute_voice,
    parse_filters,
    prewarm,
    refresher,
    to_csv,
)
from team_app.security import require_role

logger = logging.getLogger(__name__)

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
        "note_from": "Catatan dari {author}", "transferred": "Dialihkan oleh {from_agent} ke {to_agent}",
        "the_queue": "antrean", "agents_only": "catatan internal · hanya agen yang melihat ini",
        "photo_alt": "Foto dari pelanggan ({width}×{height})",
        "claim.faq/item_damaged": "disimpan bersama klaim barang rusak",
        "claim.faq/wrong_item": "disimpan bersama klaim barang salah kirim",
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
        "note_from": "Note from {author}", "transferred": "Transferred by {from_agent} to {to_agent}",
        "the_queue": "the queue", "agents_only": "internal note · only agents see this",
        "photo_alt": "Photo from the customer ({width}×{height})",
        "claim.faq/item_damaged": "kept with the damaged item claim",
        "claim.faq/wrong_item": "kept with the wrong item claim",
    },
}
# Metric labels come from the registry, under "m.<metric>" (the page reads them from here).
for _language, _texts in TEXT.items():
    _texts.update({f"m.{m.name}": metric_registry.label(m.name, _language) for m in metric_registry.REGISTRY})


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
                refresher, prewarm, app.ctx.engine, app.ctx.settings.timezone
            )
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed warm-up must not stop the app; the page computes on demand
            logger.exception("dashboard prewarm failed")
        await asyncio.sleep(app.ctx.settings.dashboard_prewarm_seconds)


def _json(body: Any) -> HTTPResponse:
    return response.json(body, dumps=lambda value: json.dumps(value, default=str))


def _filters(request: Request) -> Filters:
    return parse_filters(request.args, request.app.ctx.settings.timezone)


def register(app: Sanic) -> None:
    """Register the dashboard: its background prewarm, its pages and its JSON and CSV API."""
    _register_prewarm(app)
    _register_pages(app)
    _register_api(app)


def _register_prewarm(app: Sanic) -> None:
    @app.listener("after_server_start")
    async def start_prewarm(app: Sanic, _loop: Any) -> None:
        if app.ctx.settings.dashboard_cache_seconds > 0 and app.ctx.settings.dashboard_prewarm_seconds > 0:
            app.ctx.dashboard_prewarm = asyncio.get_running_loop().create_task(_prewarm_loop(app))

    @app.listener("before_server_stop")
    async def stop_prewarm(app: Sanic, _loop: Any) -> None:
        task = getattr(app.ctx, "dashboard_prewarm", None)
        if task is not None:
            task.cancel()


def _register_pages(app: Sanic) -> None:
    from team_app import render

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
        zone = request.app.ctx.settings.timezone

        def shop_time(utc_iso: str) -> str:
            # Stored as naive UTC; a lead reads the shop's wall clock, as agents do in the console.
            return to_local(datetime.fromisoformat(utc_iso), zone).strftime("%Y-%m-%d %H:%M:%S") if utc_iso else ""

        return render(request, "dashboard_transcript.html", title=TEXT[lang]["transcript"],
                      lang=lang, t=TEXT[lang], found=found, back=request.args.get("back") or "",
                      shop_time=shop_time, zone=zone)


def _register_api(app: Sanic) -> None:
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
