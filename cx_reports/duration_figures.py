"""Handoff-duration percentiles read from the daily histograms, whatever the range.

Like :mod:`cx_reports.rollup_figures`: the whole shop-local days inside the
window are summed from ``handoff_durations`` (counts per bucket: its whole
local months from the month rows, the days around them from the day rows, so
any window reads at most about two months of day rows), the
partial days at its edges are counted from the handoffs themselves in the
same buckets, and each percentile is read from the summed counts
(:func:`cxm_store.duration_rollups.percentile`: within 1 s + 5 % of the exact
value). The histograms answer only when the window holds more than
:data:`EXACT_UP_TO` stopped clocks of one kind; up to that many, and whenever the store's
rollup does not serve the filter (no rollup, another zone's days, topics of
topic-filtered conversations), the exact percentiles are computed from the
handoffs (:func:`cx_reports.metric_sql.percentile_values`).
"""
from collections import Counter
from datetime import date, timedelta
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import case, func, literal, select, true, union_all
from sqlalchemy.engine import Connection

from cx_reports import metric_sql, rollup_figures
from cx_reports.metric_sql import GRAINS, PERCENTILES, MetricFilter, Number
from cxm_store.duration_rollups import CLOCKS, EXACT_UP_TO, bucket_of, handoff_durations, percentile
from cxm_store.models import Handoff
from cxm_store.sqlfuncs import seconds_between

# group -> clock -> bucket -> handoffs
Histograms = Dict[Optional[str], Dict[str, Counter]]
_d = handoff_durations
_h = Handoff.__table__
_CLOCK_OF = {until: clock for clock, until in CLOCKS.items()}


def _add(into: Histograms, group, clock: str, bucket: int, handoffs) -> None:
    into.setdefault(group, {}).setdefault(clock, Counter())[bucket] += int(handoffs or 0)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _pieces(first: Optional[date], after: Optional[date],
            by: Optional[str]) -> List[Tuple[str, Optional[date], Optional[date], int]]:
    """(span, first, after, sign) pieces whose counts, added or taken out, make the whole
    days ``[first, after)`` (None: open): the whole local months inside from the month
    rows; a partial month from its day rows, or, when fewer, its month row less the day
    rows outside the window (counts add up), so any window reads at most about a month of
    day rows. A daily or weekly series reads day rows only.
    """
    if by in GRAINS:
        return [("day", first, after, 1)]
    months_from = first if first is None or first.day == 1 else _next_month(first)
    months_to = None if after is None else after.replace(day=1)
    if first is not None and after is not None and after.replace(day=1) < first:  # one month
        start_of, end_of = first.replace(day=1), _next_month(first)
        if (first - start_of) + (end_of - after) < after - first:
            return [("month", start_of, end_of, 1), ("day", start_of, first, -1),
                    ("day", after, end_of, -1)]
        return [("day", first, after, 1)]
    pieces = []
    if months_from is None or months_to is None or months_from < months_to:
        pieces.append(("month", months_from, months_to, 1))
    if first is not None and months_from is not None and first < months_from:
        start_of = first.replace(day=1)
        if first - start_of < months_from - first:
            pieces += [("month", start_of, months_from, 1), ("day", start_of, first, -1)]
        else:
            pieces.append(("day", first, months_from, 1))
    if after is not None and months_to is not None and months_to < after:
        end_of = _next_month(months_to)
        if end_of - after < after - months_to:
            pieces += [("month", months_to, end_of, 1), ("day", after, end_of, -1)]
        else:
            pieces.append(("day", months_to, after, 1))
    return pieces


def _whose(flt: MetricFilter, by: Optional[str]):
    """Which topic rows to read: those of any channel, language and agent when a topic is
    asked for without those filters or groups (far fewer rows), else each one's own.
    """
    anyone = ((flt.topic is not None or by == "topic") and by not in ("channel", "language", "agent")
              and flt.channel is None and flt.language is None and flt.agent is None)
    return _d.c.scope == ("any" if anyone else "own")


def _from_rollup(connection: Connection, flt: MetricFilter, by: Optional[str],
                 days: Tuple[Optional[date], Optional[date]],
                 clocks: Sequence[str], into: Histograms) -> None:
    topics = None
    if by == "topic":  # every named topic ever counted (the scope "any" rows hold each)
        topics = list(connection.execute(
            select(_d.c.topic).distinct().where(_d.c.span == "month", _d.c.scope == "any")
        ).scalars())
    for span, first, after, sign in _pieces(days[0], days[1], by):
        grouping, conditions = rollup_figures.rollup_selection(_d, flt, by, first, after, topics)
        conditions.append(_whose(flt, by))
        keys = [_d.c.clock, _d.c.bucket] + ([grouping] if grouping is not None else [])
        query = (select(*keys, func.sum(_d.c.handoffs))
                 .where(_d.c.span == span, _d.c.clock.in_(clocks), *conditions).group_by(*keys))
        for row in connection.execute(query):
            group = rollup_figures.group_key(row[2], by) if grouping is not None else None
            _add(into, group, row[0], row[1], sign * int(row[-1] or 0))


def _from_handoffs(connection: Connection, flt: MetricFilter, by: Optional[str],
                   clocks: Sequence[str], into: Histograms) -> None:
    s = metric_sql.scope(flt, by)
    keys = metric_sql.group_keys(s)
    # Every clock in one pass over the handoffs: a row per (handoff, clock).
    which = union_all(*(select(literal(clock).label("clock")) for clock in clocks)).subquery("k")
    seconds = case(*((which.c.clock == clock,
                      seconds_between(_h.c[CLOCKS[clock]], _h.c.requested_at)) for clock in clocks))
    durations = (
        select(*keys, which.c.clock, seconds.label("s"))
        .select_from(s.join(_h, _h.c.conversation_id == s.c.conversation_id).join(which, true()))
        .where(s.c.has_handoff == True)  # noqa: E712 (index)
        .subquery("durations")
    )
    groups = [durations.c[key.name] for key in keys]
    bucket = bucket_of(durations.c.s)
    query = (select(durations.c.clock, bucket, func.count(), *metric_sql.shown_keys(groups))
             .where(durations.c.s.isnot(None)).group_by(durations.c.clock, bucket, *groups))
    for row in connection.execute(query):
        group = rollup_figures.group_key(row[-1], by) if groups else None
        _add(into, group, row[0], row[1], row[2])


def histograms(connection: Connection, flt: MetricFilter, by: Optional[str],
               clocks: Sequence[str]) -> Histograms:
    """Handoffs per bucket of each clock, per group (key None without ``by``): histogram
    days + raw edges. Only groups with a stopped clock are present.
    """
    days, edges = rollup_figures.window_parts(flt)
    into: Histograms = {}
    if days is not None:
        _from_rollup(connection, flt, by, days, clocks, into)
    for edge in edges:
        _from_handoffs(connection, edge, by, clocks, into)
    return into


def percentile_values(connection: Connection, flt: MetricFilter,
                      by: Optional[str]) -> Dict[Optional[str], Dict[str, Optional[Number]]]:
    """The handoff percentiles (:data:`cx_reports.metric_sql.PERCENTILES`) per group (key None
    without ``by``), from the histograms when the rollup serves ``flt``.
    """
    if not rollup_figures.usable(connection, flt, by):
        return metric_sql.percentile_values(connection, flt, by)
    clocks = sorted({_CLOCK_OF[until] for until, _ in PERCENTILES.values()})
    found = histograms(connection, flt, by, clocks)
    stopped = Counter[str]()
    for per_clock in found.values():
        for clock, counts in per_clock.items():
            stopped[clock] += sum(counts.values())
    if max(stopped.values(), default=0) <= EXACT_UP_TO:
        return metric_sql.percentile_values(connection, flt, by)
    if by is None:
        found.setdefault(None, {})
    return {
        group: {
            metric: percentile(per_clock.get(_CLOCK_OF[until], Counter()), pct)
            for metric, (until, pct) in PERCENTILES.items()
        }
        for group, per_clock in found.items()
    }


def clock_percentile(connection: Connection, flt: MetricFilter, clock: str,
                     pct: int) -> Optional[float]:
    """One clock's ``pct``-th percentile over ``flt``: from the histograms beyond
    :data:`EXACT_UP_TO` stopped clocks, else exactly (the caller has checked that the
    rollup serves ``flt``: :func:`cx_reports.rollup_figures.usable`).
    """
    counts = histograms(connection, flt, None, (clock,)).get(None, {}).get(clock, Counter())
    if sum(counts.values()) > EXACT_UP_TO:
        return percentile(counts, pct)
    query = metric_sql.handoff_percentiles(metric_sql.scope(flt, None), CLOCKS[clock], (pct,))
    value = connection.execute(query).scalar()
    return None if value is None else float(value)
