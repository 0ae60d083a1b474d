"""Time that counts against a service level: the shop's business hours only.

A follow-up opened at 20:30 Jakarta time with eight business hours to go is
due at 15:30 the next day (08:00-21:00 hours), not at 04:30; a customer who
waited from 20:55 to 08:05 the next morning waited ten business minutes.
Every time in and out is naive UTC, like the store's columns; the hours are
local to ``zone`` (``CXM_BUSINESS_HOURS`` in ``CXM_TIMEZONE``).
"""
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Iterator, List, Optional, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import literal
from sqlalchemy.sql import ColumnElement

from cxm_store.handoffs import parse_business_hours
from cxm_store.sqlfuncs import clamped, local_seconds, whole_part

_UTC = timezone.utc
# Guards the walk in ``add_business_time`` against empty business hours.
_MAX_DAYS = 3660


@lru_cache(maxsize=16)
def _windows(hours: str) -> List[Tuple[time, time]]:
    """The day's open windows as (start, end) local times; end ``time.max`` is midnight."""
    start, end = parse_business_hours(hours)
    if start < end:
        return [(start, end)]
    if start == end:
        return [(time.min, time.max)]
    return [(time.min, end), (start, time.max)]


def _utc(day: date, moment: time, zone: ZoneInfo) -> datetime:
    if moment == time.max:
        local = datetime.combine(day + timedelta(days=1), time.min, zone)
    else:
        local = datetime.combine(day, moment, zone)
    return local.astimezone(_UTC).replace(tzinfo=None)


def _open_spans(since: datetime, hours: str, zone: ZoneInfo) -> Iterator[Tuple[datetime, datetime]]:
    """Open spans (naive UTC) from the local day of ``since`` on, in order."""
    day = since.replace(tzinfo=_UTC).astimezone(zone).date()
    windows = _windows(hours)
    for _ in range(_MAX_DAYS):
        for start, end in windows:
            yield _utc(day, start, zone), _utc(day, end, zone)
        day += timedelta(days=1)


def _seconds_of_day(moment: time) -> int:
    return 86400 if moment == time.max else moment.hour * 3600 + moment.minute * 60 + moment.second


def business_clock(local: ColumnElement, hours: str) -> ColumnElement:
    """SQL: business seconds from 1970-01-01 00:00 local time to the local wall clock
    ``local`` (seconds: :class:`cxm_store.sqlfuncs.local_seconds`).

    A closed form: whole local days times the open hours of a day, plus the open
    part of its own day. The difference of two is the business time between
    them, with no walk over the days, so a million handoffs count in one query.
    """
    windows = [(_seconds_of_day(a), _seconds_of_day(b)) for a, b in _windows(hours)]
    per_day = sum(close - open_ for open_, close in windows)
    day = whole_part(local / 86400)
    of_day = local - day * 86400
    return day * per_day + sum(
        (clamped(of_day - open_, 0, close - open_) for open_, close in windows), start=literal(0))


def business_seconds_sql(start: ColumnElement, end: ColumnElement, hours: str, zone: str,
                         window: Tuple[Optional[datetime], Optional[datetime]] = (None, None),
                         ) -> ColumnElement:
    """SQL: seconds of ``[start, end)`` (naive UTC columns) that fall in business hours
    (negative when ``end`` is before ``start``; NULL when either is NULL).

    ``window`` bounds the timestamps (see :class:`cxm_store.sqlfuncs.period_start`);
    in a zone with summer time, the hour the clocks change counts by the wall clock.
    """
    return (business_clock(local_seconds(end, zone, *window), hours)
            - business_clock(local_seconds(start, zone, *window), hours))


def add_business_time(start: datetime, duration: timedelta, hours: str, zone: str) -> datetime:
    """The moment ``duration`` of business time after ``start``."""
    left = duration
    for open_at, close_at in _open_spans(start, hours, ZoneInfo(zone)):
        if close_at <= start:
            continue
        begin = max(open_at, start)
        if begin + left <= close_at:
            return begin + left
        left -= close_at - begin
    raise ValueError(f"business hours {hours!r} never open")
