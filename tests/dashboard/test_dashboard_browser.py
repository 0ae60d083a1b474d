"""Headless Chromium: a lead logs in, changes the filters, and the page shows the report's figures.

Screenshots go to tests/artifacts/dashboard-*.png.
"""
from datetime import datetime, timedelta
from typing import Any, Dict, Optional
from urllib.parse import parse_qs, urlsplit

import pytest

from cx_reports import voice
from cx_reports.metrics import MetricFilter
from team_app.dashboard import KPIS
from tests.dashboard.conftest import ARTIFACTS, PASSWORD, Dashboard, day_start, today

pytestmark = pytest.mark.browser


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


@pytest.fixture
def page(browser: Any, dashboard: Dashboard) -> Any:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{dashboard.url}/dashboard?range=7")
    assert "/login" in page.url
    page.fill("#username", "lead")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard?range=7")
    wait_ready(page)
    yield page
    context.close()
    assert not errors, errors


def wait_ready(page: Any) -> None:
    page.wait_for_selector("body[data-ready]", timeout=60_000)
    assert page.get_attribute("body", "data-ready") == "yes"
    assert page.is_hidden("#dash-error")


def page_figures(page: Any) -> Dict[str, Optional[float]]:
    values = page.eval_on_selector_all(
        ".kpi", "cards => cards.map(c => [c.dataset.metric, c.querySelector('.kpi-value').dataset.value])"
    )
    return {metric: (float(value) if value != "" else None) for metric, value in values}


def check_against_report(page: Any, dashboard: Dashboard) -> Dict[str, Any]:
    """Every KPI, trend total and the channel table on the page equal the report CLI's figures."""
    query = parse_qs(urlsplit(page.url).query)
    first = datetime.strptime(page.input_value("#f-from"), "%Y-%m-%d").date()
    last = datetime.strptime(page.input_value("#f-to"), "%Y-%m-%d").date()
    channel = (query.get("channel") or [None])[0]
    language = (query.get("language") or [None])[0]
    expected = dashboard.report(first, last, channel, language, by="channel")
    shown = page_figures(page)
    assert set(shown) == set(KPIS)
    for metric in KPIS:
        if metric == "first_response_median_s":
            flt = MetricFilter(
                start=day_start(first), end=day_start(last + timedelta(days=1)),
                channel=channel, language=language,
            )
            want = voice.first_response_median_seconds(flt, engine=dashboard.engine)
        else:
            want = expected["summary"][metric]["current"]
        assert close(shown[metric], want), (metric, shown[metric], want)
    # Deltas shown are the report's changes.
    changes = page.eval_on_selector_all(
        ".kpi", "cards => cards.map(c => [c.dataset.metric, c.querySelector('.kpi-delta').dataset.change])"
    )
    for metric, change in changes:
        if metric in expected["summary"]:
            want = expected["summary"][metric]["change"]
            assert close(float(change) if change else None, want), (metric, change, want)
    # The conversations chart's bars add up to the KPI.
    bars = page.eval_on_selector_all(
        '.chart[data-series="conversations"] td.num', "cells => cells.map(c => Number(c.dataset.value))"
    )
    assert sum(bars) == expected["summary"]["conversations"]["current"]
    # The channel table.
    rows = page.eval_on_selector_all(
        '[data-breakdown="channel"] tbody tr',
        "rows => rows.map(r => Object.fromEntries([...r.children].map(c => [c.dataset.key, c.dataset.value])))",
    )
    by_channel = {g["channel"]: g["metrics"] for g in expected["breakdown"]["groups"]}
    assert {r["channel"] for r in rows} == set(by_channel)
    for row in rows:
        for metric, value in row.items():
            if metric != "channel" and metric is not None:
                want = by_channel[row["channel"]][metric]
                assert close(float(value) if value else None, want), (row["channel"], metric)
    assert expected["summary"]["conversations"]["current"] > 0
    return expected


def test_lead_filters_the_dashboard_and_sees_the_report_figures(page: Any, dashboard: Dashboard) -> None:
    # Default language: Indonesian.
    assert page.inner_text("h1") == "Dasbor CX"
    check_against_report(page, dashboard)
    page.screenshot(path=str(ARTIFACTS / "dashboard-7days-id.png"), full_page=True)

    # Preset 90 days (submits at once; the URL carries the filters).
    page.check('input[name="range"][value="90"]')
    page.wait_for_url("**/dashboard?range=90")
    wait_ready(page)
    check_against_report(page, dashboard)

    # Channel, then language, then weekly grouping, applied with the button.
    page.select_option("#f-channel", "telegram")
    page.click("#f-apply")
    page.wait_for_url("**channel=telegram**")
    wait_ready(page)
    check_against_report(page, dashboard)
    page.select_option("#f-language", "en")
    page.select_option("#f-grain", "week")
    page.click("#f-apply")
    page.wait_for_url("**language=en**")
    wait_ready(page)
    assert parse_qs(urlsplit(page.url).query) == {
        "range": ["90"], "channel": ["telegram"], "language": ["en"], "grain": ["week"]}
    check_against_report(page, dashboard)
    page.screenshot(path=str(ARTIFACTS / "dashboard-filtered-id.png"), full_page=True)

    # Custom dates: typing a date switches the range to custom.
    last = today() - timedelta(days=14)
    first = last - timedelta(days=20)
    page.select_option("#f-channel", "web")
    page.select_option("#f-language", "")
    page.select_option("#f-grain", "day")
    page.fill("#f-from", first.isoformat())
    page.fill("#f-to", last.isoformat())
    page.dispatch_event("#f-to", "change")
    assert page.is_checked('input[name="range"][value="custom"]')
    page.click("#f-apply")
    page.wait_for_url("**range=custom**")
    wait_ready(page)
    assert parse_qs(urlsplit(page.url).query) == {
        "range": ["custom"], "from": [first.isoformat()], "to": [last.isoformat()], "channel": ["web"]}
    check_against_report(page, dashboard)

    # The shared URL shows the same figures in a fresh page (and in English once chosen).
    shared = page.url
    page.click('.lang-switch a[hreflang="en"]')
    wait_ready(page)
    assert page.inner_text("h1") == "CX dashboard"
    assert page.inner_text("#kpi-title").startswith("Key figures")
    page.goto(shared)
    wait_ready(page)
    assert page.inner_text("h1") == "CX dashboard"  # the cookie remembers English
    check_against_report(page, dashboard)

    # Back to 30 days in English for the full-page picture; CSV links carry the filters.
    page.check('input[name="range"][value="30"]')
    page.wait_for_url("**range=30**")
    wait_ready(page)
    check_against_report(page, dashboard)
    href = page.get_attribute('[data-breakdown="topic"] a.csv', "href")
    assert href.startswith("/api/dashboard/breakdown-topic.csv?range=30")
    page.screenshot(path=str(ARTIFACTS / "dashboard-30days-en.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "dashboard-above-the-fold-en.png"))

    # A low score links to its read-only transcript.
    link = page.locator('[data-voice="low-scores"] tbody a').first
    link.click()
    page.wait_for_url("**/dashboard/conversations/**")
    assert page.inner_text("h1").startswith("Transcript #")
    page.screenshot(path=str(ARTIFACTS / "dashboard-transcript-en.png"), full_page=True)
