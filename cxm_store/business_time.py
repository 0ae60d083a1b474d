"""Time that counts against a service level: the shop's business hours only.

A follow-up opened at 20:30 Jakarta time with eight business hours to go is
due at 15:30 the next day (08:00-21:00 hours), not at 04:30; a customer who
waited from 20:55 to 08:05 the next morning waited ten business minutes.
Every time in and out is naive UTC, like the store's columns; the hours are
local to ``zone`` (``CXM_BUSINESS_HOURS`` in ``CXM_TIMEZONE``).
"""
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Iterator, List, Tuple
from zoneinfo import ZoneInfo

from cxm_store.handoffs import parse_business_hours

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


def business_seconds(start: datetime, end: datetime, hours: str, zone: str,
                     stop_above: float = float("inf")) -> float:
    """Seconds of ``[start, end)`` that fall in business hours.

    With ``stop_above``, the count stops as soon as it exceeds that many
    seconds (a service-level check needs no more, and a clock left running
    for months then costs a day or two of spans, not every day).
    """
    if end <= start:
        return 0.0
    total = 0.0
    for open_at, close_at in _open_spans(start, hours, ZoneInfo(zone)):
        if open_at >= end or total > stop_above:
            break
        overlap = min(close_at, end) - max(open_at, start)
        total += max(overlap.total_seconds(), 0.0)
    return total


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
