"""The dashboard over real HTTP: access rules, figures equal to the report CLI, CSV = JSON, OpenAPI."""
import csv
import io
import re
from datetime import datetime, timedelta

import pytest

from cx_reports import voice
from cx_reports.metrics import GROUPINGS, METRICS, MetricFilter
from team_app import settings
from cxm_store.db import engine_for
from cxm_store.events import CustomerSaid, record
from team_app import create_app
from team_app.dashboard import CSV_TABLES, SERIES, VOICE_KINDS
from team_app.openapi import SPEC
from tests.dashboard.conftest import Dashboard, day_start, today

API = ("/api/dashboard/summary", "/api/dashboard/timeseries", "/api/dashboard/breakdown/channel",
       "/api/dashboard/voice/unrecognised", "/api/dashboard/summary.csv")


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def test_anonymous_is_sent_to_login_and_api_gets_401(dashboard: Dashboard) -> None:
    anon = dashboard.client()
    page = anon.get("/dashboard?range=7")
    assert page.status_code == 303
    assert page.headers["Location"].startswith("/login?next=/dashboard")
    for path in API + ("/api/openapi.json",):
        reply = anon.get(path)
        assert reply.status_code == 401, path
        assert reply.json() == {"error": "Please log in"}


def test_agent_is_refused(dashboard: Dashboard) -> None:
    agent = dashboard.client("agent")
    page = agent.get("/dashboard")
    assert page.status_code == 403
    assert "Not allowed" in page.text
    assert 'href="/dashboard"' not in agent.get("/console").text  # no nav entry either
    for path in API + ("/dashboard/conversations/1",):
        assert agent.get(path).status_code == 403, path


@pytest.mark.parametrize("username", ["lead", "admin"])
def test_lead_and_admin_see_the_page(dashboard: Dashboard, username: str) -> None:
    client = dashboard.client(username)
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert '<html lang="id">' in page.text and "Dasbor CX" in page.text  # Indonesian by default
    assert 'href="/dashboard" aria-current="page"' in page.text
    english = client.get("/dashboard?lang=en&range=7")
    assert "CX dashboard" in english.text and "Key figures" in english.text
    assert english.cookies.get("cxm_lang") == "en"
    assert "CX dashboard" in client.get("/dashboard").text  # remembered


def test_bad_filters_are_400(lead) -> None:
    assert lead.get("/api/dashboard/summary?range=custom&from=2026-13-01").status_code == 400
    assert lead.get("/api/dashboard/summary?range=custom&from=2026-02-01&to=2026-01-01").status_code == 400
    assert lead.get("/api/dashboard/timeseries?grain=month").status_code == 400
    assert lead.get("/api/dashboard/breakdown/colour").status_code == 404
    assert lead.get("/api/dashboard/voice/rumours").status_code == 404
    assert lead.get("/api/dashboard/secrets.csv").status_code == 404


FILTERS = [
    ({}, 29, None, None),
    ({"range": "7"}, 6, None, None),
    ({"range": "90", "channel": "telegram"}, 89, "telegram", None),
    ({"range": "30", "language": "en", "channel": "web"}, 29, "web", "en"),
]


@pytest.mark.parametrize("query,back,channel,language", FILTERS)
def test_summary_equals_the_report(dashboard: Dashboard, lead, query, back, channel, language) -> None:
    last = today()
    first = last - timedelta(days=back)
    doc = lead.get("/api/dashboard/summary", params=query).json()
    expected = dashboard.report(first, last, channel, language)
    assert doc["window"] == expected["window"]
    assert doc["previous_window"] == expected["previous_window"]
    for metric in METRICS:
        for side in ("current", "previous", "change"):
            assert close(doc["metrics"][metric][side], expected["summary"][metric][side]), (metric, side)
    assert doc["metrics"]["conversations"]["current"] > 0
    flt = MetricFilter(start=day_start(first), end=day_start(last + timedelta(days=1)),
                       channel=channel, language=language)
    assert close(doc["metrics"]["first_response_median_s"]["current"],
                 voice.first_response_median_seconds(flt, engine=dashboard.engine))


def test_custom_range_and_breakdowns_equal_the_report(dashboard: Dashboard, lead) -> None:
    last = today() - timedelta(days=10)
    first = last - timedelta(days=40)
    query = {"range": "custom", "from": first.isoformat(), "to": last.isoformat(), "channel": "web"}
    for by in GROUPINGS:
        doc = lead.get(f"/api/dashboard/breakdown/{by}", params=query).json()
        expected = dashboard.report(first, last, channel="web", by=by)["breakdown"]["groups"]
        assert [g[by] for g in doc["groups"]] == [g[by] for g in expected]
        for got, want in zip(doc["groups"], expected):
            for metric in METRICS:
                assert close(got["metrics"][metric], want["metrics"][metric]), (by, got[by], metric)


def test_timeseries_adds_up(lead) -> None:
    daily = lead.get("/api/dashboard/timeseries", params={"range": "30"}).json()
    weekly = lead.get("/api/dashboard/timeseries", params={"range": "30", "grain": "week"}).json()
    summary = lead.get("/api/dashboard/summary", params={"range": "30"}).json()
    assert set(daily["series"]) == set(SERIES)
    assert len(daily["series"]["conversations"]) == 30
    total = summary["metrics"]["conversations"]["current"]
    assert sum(v for _, v in daily["series"]["conversations"]) == total
    assert sum(v for _, v in weekly["series"]["conversations"]) == total


def test_voice_of_the_customer(dashboard: Dashboard, lead) -> None:
    unrecognised = lead.get("/api/dashboard/voice/unrecognised", params={"range": "90"}).json()["rows"]
    assert unrecognised, "the demo history has fallback messages"
    counts = [row["count"] for row in unrecognised]
    assert counts == sorted(counts, reverse=True)
    assert all(row["text"] == row["text"].strip().lower() for row in unrecognised)
    low = lead.get("/api/dashboard/voice/low-csat-topics", params={"range": "90"}).json()["rows"]
    assert [r["csat_percent"] for r in low] == sorted(r["csat_percent"] for r in low)
    esc = lead.get("/api/dashboard/voice/escalation-topics", params={"range": "90"}).json()["rows"]
    assert [r["escalation_rate"] for r in esc] == sorted((r["escalation_rate"] for r in esc), reverse=True)
    scores = lead.get("/api/dashboard/voice/low-scores", params={"range": "90"}).json()["rows"]
    assert scores and all(r["score"] in (1, 2) for r in scores)
    assert any(r["comment"] for r in scores)
    transcript = lead.get(f"/dashboard/conversations/{scores[0]['conversation_id']}")
    assert transcript.status_code == 200
    assert f"#{scores[0]['conversation_id']}" in transcript.text


def _csv_number(cell: str):
    if cell == "":
        return None
    try:
        return float(cell)
    except ValueError:
        return cell


@pytest.mark.parametrize("table", CSV_TABLES)
def test_csv_matches_json(lead, table: str) -> None:
    query = {"range": "90", "channel": "web"}
    reply = lead.get(f"/api/dashboard/{table}.csv", params=query)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    if table == "summary":
        doc = lead.get("/api/dashboard/summary", params=query).json()["metrics"]
        assert [r["metric"] for r in rows] == list(doc)
        for r in rows:
            for side in ("current", "previous", "change"):
                assert close(_csv_number(r[side]), doc[r["metric"]][side])
    elif table == "timeseries":
        doc = lead.get("/api/dashboard/timeseries", params=query).json()["series"]
        for metric in SERIES:
            assert [(r["period"], _csv_number(r[metric])) for r in rows] == [
                (p, None if v is None else float(v)) for p, v in doc[metric]]
    elif table.startswith("breakdown-"):
        by = table.split("-", 1)[1]
        doc = lead.get(f"/api/dashboard/breakdown/{by}", params=query).json()["groups"]
        assert len(rows) == len(doc)
        for r, g in zip(rows, doc):
            assert (r[by] or None) == g[by]
            for metric in METRICS:
                assert close(_csv_number(r[metric]), g["metrics"][metric])
    else:
        kind = table.split("-", 1)[1]
        doc = lead.get(f"/api/dashboard/voice/{kind}", params=query).json()["rows"]
        assert len(rows) == len(doc)
        for r, d in zip(rows, doc):
            for key, value in d.items():
                got = _csv_number(r[key])
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    assert close(got, float(value)), (key, r)
                else:
                    assert (r[key] or None) == value, (key, r)


def _openapi_path(uri: str) -> str:
    uri = "/" + uri.lstrip("/")
    uri = re.sub(r"<(\w+):[^>]*\\\.csv>", r"{\1}.csv", uri)
    return re.sub(r"<(\w+)(:[^>]*)?>", r"{\1}", uri)


def test_openapi_documents_every_dashboard_route(lead, tmp_path) -> None:
    served = lead.get("/api/openapi.json").json()
    assert served["openapi"].startswith("3.")
    assert served == SPEC or served["paths"].keys() == SPEC["paths"].keys()
    app = create_app(settings.load().copy(update={"database_url": f"sqlite:///{tmp_path / 'x.db'}"}))
    routes = {_openapi_path(route.path) for route in app.router.routes_all.values()
              if route.path.startswith("api/dashboard") or route.path == "api/openapi.json"}
    assert "/api/dashboard/{table}.csv" in routes
    assert routes == set(served["paths"]), routes ^ set(served["paths"])
    for path, item in served["paths"].items():
        params = {p["name"] for p in item["get"].get("parameters", [])}
        for name in re.findall(r"{(\w+)}", path):
            assert name in params, (path, name)
        if path.startswith("/api/dashboard"):
            assert {"range", "from", "to", "channel", "language", "grain"} <= params
            assert "200" in item["get"]["responses"] and "401" in item["get"]["responses"]
    kinds = served["paths"]["/api/dashboard/voice/{kind}"]["get"]["parameters"][0]["schema"]["enum"]
    assert kinds == list(VOICE_KINDS)
    tables = served["paths"]["/api/dashboard/{table}.csv"]["get"]["parameters"][0]["schema"]["enum"]
    assert tables == list(CSV_TABLES)


def test_transcript_reads_the_shops_clock(dashboard: Dashboard, lead) -> None:
    # 23:30 UTC on 1 March is 06:30 on 2 March in Jakarta (UTC+7), as agents see it in the console.
    late = datetime(2024, 3, 1, 23, 30, 5)
    engine = engine_for(dashboard.database_url)
    conversation = record(CustomerSaid("web", "web-clock-1", "halo, paket saya belum datang", late, "id"), engine)
    page = lead.get(f"/dashboard/conversations/{conversation}").text
    assert "2024-03-02 06:30:05" in page and "(Asia/Jakarta)" in page
    assert "2024-03-01 23:30" not in page
