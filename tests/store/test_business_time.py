"""Business time: only the shop's hours count (08:00-21:00 Asia/Jakarta, UTC+7; times in UTC).

Counted in SQL (service levels count a million handoffs in one query), on SQLite and
PostgreSQL; due times are computed in Python.
"""
from datetime import datetime, timedelta

from sqlalchemy import DateTime, literal, select

from cxm_store.business_time import add_business_time, business_seconds_sql

HOURS, ZONE = "08:00-21:00", "Asia/Jakarta"


def business_seconds(engine, start, end, hours, zone):
    query = select(business_seconds_sql(literal(start, DateTime), literal(end, DateTime), hours, zone))
    with engine.connect() as connection:
        return float(connection.execute(query).scalar())


def test_time_inside_one_business_day_counts_whole(engine):
    # 09:00-10:30 WIB.
    assert business_seconds(engine, datetime(2024, 5, 6, 2), datetime(2024, 5, 6, 3, 30), HOURS,
                            ZONE) == 5400


def test_a_wait_across_the_night_counts_only_the_open_minutes(engine):
    # 20:55 WIB to 08:05 WIB the next day: 5 + 5 minutes.
    start, end = datetime(2024, 5, 6, 13, 55), datetime(2024, 5, 7, 1, 5)
    assert business_seconds(engine, start, end, HOURS, ZONE) == 600


def test_23_30_utc_is_the_next_jakarta_morning_before_opening(engine):
    # 23:30 UTC = 06:30 WIB on the next day: nothing counts until 08:00 WIB (01:00 UTC).
    start = datetime(2024, 5, 7, 23, 30)
    assert business_seconds(engine, start, datetime(2024, 5, 8, 1, 0), HOURS, ZONE) == 0
    assert add_business_time(start, timedelta(hours=1), HOURS, ZONE) == datetime(2024, 5, 8, 2, 0)


def test_a_due_time_carries_over_to_the_next_day():
    # 20:30 WIB + 8 business hours: 30 min today, 7 h 30 from 08:00 -> 15:30 WIB.
    start = datetime(2024, 5, 6, 13, 30)
    assert add_business_time(start, timedelta(hours=8), HOURS, ZONE) == datetime(2024, 5, 7, 8, 30)


def test_overnight_hours_span_midnight(engine):
    # 22:00-06:00 WIB: from 21:00 to 23:00 WIB counts 1 h; from 05:00 to 23:00 WIB 1 + 1 h.
    start, end = datetime(2024, 5, 6, 14), datetime(2024, 5, 6, 16)
    assert business_seconds(engine, start, end, "22:00-06:00", ZONE) == 3600
    assert business_seconds(engine, datetime(2024, 5, 5, 22), end, "22:00-06:00", ZONE) == 7200


def test_a_month_on_the_clock_counts_its_open_hours(engine):
    # 30 days from 09:00 WIB to 09:00 WIB: 30 x 13 h, in one closed form (no walk over days).
    start, end = datetime(2024, 5, 6, 2), datetime(2024, 6, 5, 2)
    assert business_seconds(engine, start, end, HOURS, ZONE) == 30 * 13 * 3600
