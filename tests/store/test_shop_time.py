"""Series and period boundaries in the shop's time zone, on SQLite and PostgreSQL.

Every stored time is naive UTC; Asia/Jakarta is UTC+7 all year, so a local
day D runs from D-1 17:00 to D 17:00 UTC.
"""
import json
import subprocess
import sys
from datetime import date, datetime

import pytest

from cx_reports import metrics as m
from cxm_store.shoptime import local_midnight_utc, offset_spans
from cxm_store.touchpoints import record_customer_message
from team_app.dashboard import parse_filters
from tests.store.test_report import REPO_ROOT

JAKARTA = "Asia/Jakarta"


def _conversation(engine, who: str, at: str) -> int:
    return record_customer_message(
        "web", who, "halo", datetime.fromisoformat(at), "id", intent="greet", engine=engine
    )


def _seed_around_midnight(engine) -> None:
    # UTC time           Jakarta time
    _conversation(engine, "a", "2024-05-06T16:59:00")  # 05-06 23:59 (Mon)
    _conversation(engine, "b", "2024-05-06T17:00:00")  # 05-07 00:00 (Tue)
    _conversation(engine, "c", "2024-05-06T23:30:00")  # 05-07 06:30 (Tue)
    _conversation(engine, "d", "2024-05-12T16:30:00")  # 05-12 23:30 (Sun)
    _conversation(engine, "e", "2024-05-12T17:30:00")  # 05-13 00:30 (Mon, next ISO week)


def test_days_and_weeks_are_jakarta_ones(engine):
    _seed_around_midnight(engine)
    may = m.MetricFilter(start=datetime(2024, 5, 1), end=datetime(2024, 6, 1), zone=JAKARTA)
    days = dict(m.timeseries("conversations", may, "day", engine))
    assert days["2024-05-06"] == 1  # a (16:59 UTC stays on the same day)
    assert days["2024-05-07"] == 2  # b, c (17:00 and 23:30 UTC are the next day)
    assert days["2024-05-12"] == 1 and days["2024-05-13"] == 1
    assert sum(days.values()) == 5
    weeks = dict(m.timeseries("conversations", may, "week", engine))
    # Week of Mon 05-06: a b c d; week of Mon 05-13: e.
    assert weeks["2024-05-06"] == 4 and weeks["2024-05-13"] == 1


def test_utc_zone_keeps_utc_days(engine):
    _seed_around_midnight(engine)
    may = m.MetricFilter(start=datetime(2024, 5, 1), end=datetime(2024, 6, 1), zone="UTC")
    days = dict(m.timeseries("conversations", may, "day", engine))
    assert (days["2024-05-06"], days["2024-05-07"], days["2024-05-12"]) == (3, 0, 2)
    assert len(days) == 31


def test_local_days_bound_the_window(engine):
    _seed_around_midnight(engine)
    # Jakarta 05-07 only: [05-06 17:00, 05-07 17:00) UTC holds b and c.
    one_day = m.MetricFilter(
        start=local_midnight_utc(date(2024, 5, 7), JAKARTA),
        end=local_midnight_utc(date(2024, 5, 8), JAKARTA),
        zone=JAKARTA,
    )
    assert one_day.start == datetime(2024, 5, 6, 17)
    assert m.timeseries("conversations", one_day, "day", engine) == [("2024-05-07", 2)]


def test_summer_time_changes_the_offset_inside_the_window(engine):
    # Berlin moves from UTC+1 to UTC+2 at 2024-03-31 01:00 UTC.
    assert offset_spans("Europe/Berlin", datetime(2024, 3, 1), datetime(2024, 4, 30)) == (
        (None, 60), (datetime(2024, 3, 31, 1), 120),
    )
    _conversation(engine, "a", "2024-03-30T22:30:00")  # 03-30 23:30 CET
    _conversation(engine, "b", "2024-03-30T23:30:00")  # 03-31 00:30 CET
    _conversation(engine, "c", "2024-03-31T21:30:00")  # 03-31 23:30 CEST
    _conversation(engine, "d", "2024-03-31T22:30:00")  # 04-01 00:30 CEST
    spring = m.MetricFilter(
        start=datetime(2024, 3, 1), end=datetime(2024, 4, 30), zone="Europe/Berlin"
    )
    days = dict(m.timeseries("conversations", spring, "day", engine))
    assert (days["2024-03-30"], days["2024-03-31"], days["2024-04-01"]) == (1, 2, 1)


def test_unknown_zone_is_refused(engine):
    bad = m.MetricFilter(start=datetime(2024, 5, 1), end=datetime(2024, 6, 1), zone="Mars/Base'--")
    with pytest.raises(ValueError):
        m.timeseries("conversations", bad, "day", engine)


def test_report_dates_are_jakarta_days(engine, store_url):
    _seed_around_midnight(engine)
    done = subprocess.run(
        [sys.executable, "-m", "cxm_store", "--database-url", store_url, "report",
         "--since", "2024-05-07", "--until", "2024-05-08", "--format", "json"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": REPO_ROOT, "CXM_TIMEZONE": JAKARTA},
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["window"] == {"start": "2024-05-06T17:00:00", "end": "2024-05-07T17:00:00"}
    # b and c; the previous day (Jakarta 05-06) holds a.
    assert doc["summary"]["conversations"] == {"current": 2, "previous": 1, "change": 1}


def test_dashboard_today_and_range_are_local():
    f = parse_filters({"range": "7"}, JAKARTA, today=date(2024, 5, 13))
    flt = f.metric_filter
    # Seven Jakarta days 05-07..05-13: [05-06 17:00, 05-13 17:00) UTC.
    assert (flt.start, flt.end, flt.zone) == (
        datetime(2024, 5, 6, 17), datetime(2024, 5, 13, 17), JAKARTA
    )
