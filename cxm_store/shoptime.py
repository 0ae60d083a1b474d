"""The shop's local time: days and weeks as the shop lives them (``CXM_TIMEZONE``).

Every column stores naive UTC; a CX lead in Jakarta thinks in Jakarta days, so
series are bucketed and "last 30 days" or a ``--since`` date are cut at local
midnight. This module converts between the two; the SQL side is
:class:`cxm_store.sqlfuncs.period_start`.
"""
import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import List, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# IANA names only ("Asia/Jakarta", "UTC", "Etc/GMT-7"): they are written into SQL.
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$")
# Bounds of an open-ended window when looking for offset changes.
_EARLIEST = datetime(1970, 1, 1)
_LATEST = datetime(2100, 1, 1)


@lru_cache(maxsize=None)
def zone_info(zone: str) -> ZoneInfo:
    """The ``ZoneInfo`` of an IANA zone name.

    Raises:
        ValueError: the name is not a known IANA zone.
    """
    try:
        if not _ZONE_NAME.match(zone):
            raise ValueError
        return ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):
        raise ValueError(
            f"unknown time zone {zone!r}; use an IANA name like Asia/Jakarta"
        ) from None


def to_local(moment: datetime, zone: str) -> datetime:
    """The naive local wall-clock time in ``zone`` of a naive UTC ``moment``."""
    aware = moment.replace(tzinfo=timezone.utc).astimezone(zone_info(zone))
    return aware.replace(tzinfo=None)


def local_midnight_utc(day: date, zone: str) -> datetime:
    """The naive UTC instant at which local ``day`` begins in ``zone``."""
    local = datetime.combine(day, datetime.min.time(), tzinfo=zone_info(zone))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def local_today(zone: str, now: Optional[datetime] = None) -> date:
    """Today's date in ``zone`` (``now``: naive UTC, default the clock)."""
    return to_local(now or datetime.utcnow(), zone).date()


def _offset_minutes(moment: datetime, zone: ZoneInfo) -> int:
    offset = moment.replace(tzinfo=timezone.utc).astimezone(zone).utcoffset()
    assert offset is not None  # an aware datetime always has one
    return int(offset.total_seconds()) // 60


@lru_cache(maxsize=256)
def offset_spans(
    zone: str, start: Optional[datetime] = None, end: Optional[datetime] = None
) -> Tuple[Tuple[Optional[datetime], int], ...]:
    """The UTC offsets of ``zone`` over ``[start, end)`` (naive UTC; None: open-ended).

    Returns ``((None, minutes), (change_1, minutes), ...)``: the offset from the
    start, then each naive UTC instant at which it changes and the new offset.
    Asia/Jakarta gives one span (+420); a zone with summer time one per change.
    """
    info = zone_info(zone)
    # Offsets change on whole minutes; starting on one keeps every probe on one.
    moment = (start or _EARLIEST).replace(second=0, microsecond=0)
    last = end or _LATEST
    spans: List[Tuple[Optional[datetime], int]] = [(None, _offset_minutes(moment, info))]
    while moment < last:
        minutes = max(1, min(24 * 60, int((last - moment).total_seconds() // 60)))
        if _offset_minutes(moment + timedelta(minutes=minutes), info) != spans[-1][1]:
            # Changes are months apart: bisect the day to the minute.
            low, high = 0, minutes
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_minutes(moment + timedelta(minutes=middle), info) == spans[-1][1]:
                    low = middle
                else:
                    high = middle
            change = moment + timedelta(minutes=high)
            spans.append((change, _offset_minutes(change, info)))
        moment += timedelta(minutes=minutes)
    return tuple(spans)
