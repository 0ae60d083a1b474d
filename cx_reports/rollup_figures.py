"""The counter-based metrics read from the daily rollups, whatever the range.

A window ``[start, end)`` is split into the whole shop-local days inside it,
summed from ``daily_rollups`` (one row per day and key, so a year is a few
thousand rows whatever the traffic), and the partial days at its two edges,
summed from the conversations themselves (a day's worth at most, through the
``started_at`` index). The metrics are then the same ratios as
:data:`cx_reports.metric_sql.AGGREGATES` (tested equal on hand-computed data).
When the store has no rollup, or it holds another zone's days, the metrics are
computed from the conversations as before.
"""
from dataclasses import replace
from datetime import date, timedelta
from typing import Dict, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import ColumnElement

from contract.metrics import (
    ABANDONMENT_RATE,
    CES_EASY_PERCENT,
    CES_MEAN,
    CONTAINMENT_RATE,
    CONVERSATION_COUNT,
    CSAT_MEAN,
    CSAT_PERCENT,
    ESCALATION_RATE,
    FALLBACK_RATE,
    FCR_RATE,
    NPS_SCORE,
    SURVEY_RESPONSE_RATE,
)
from cx_reports import metric_sql
from cx_reports.metric_sql import AGGREGATES, GRAINS, MetricFilter, Number
from cxm_store import rollups, shoptime
from cxm_store.db import default_engine, utc_naive

Totals = Dict[str, int]
_r = rollups.daily_rollups


def _ratio(numerator: float, denominator: int, scale: float) -> Optional[float]:
    return None if not denominator else scale * numerator / denominator


def metrics_from(t: Totals) -> Dict[str, Optional[Number]]:
    """The counter-based metrics of one group's summed measures."""
    return {
        CONVERSATION_COUNT: t["conversations"],
        CONTAINMENT_RATE: _ratio(t["contained"], t["closed"], 100.0),
        ESCALATION_RATE: _ratio(t["escalated"], t["closed"], 100.0),
        ABANDONMENT_RATE: _ratio(t["abandoned"], t["closed"], 100.0),
        FCR_RATE: _ratio(t["fcr_first_contact"], t["fcr_answered"], 100.0),
        CSAT_PERCENT: _ratio(t["csat_high"], t["csat_count"], 100.0),
        CSAT_MEAN: _ratio(t["csat_sum"], t["csat_count"], 1.0),
        CES_MEAN: _ratio(t["ces_sum"], t["ces_count"], 1.0),
        CES_EASY_PERCENT: _ratio(t["ces_easy"], t["ces_count"], 100.0),
        NPS_SCORE: _ratio(t["nps_promoters"] - t["nps_detractors"], t["nps_count"], 100.0),
        SURVEY_RESPONSE_RATE: _ratio(t["responded"], t["surveyed"], 100.0),
        FALLBACK_RATE: _ratio(t["fallback_count"], t["customer_message_count"], 100.0),
    }


def whole_days(flt: MetricFilter) -> Tuple[Optional[date], Optional[date]]:
    """The first and the after-last whole local day inside the window (None: unbounded)."""
    first = after = None
    if flt.start is not None:
        start = utc_naive(flt.start)
        first = shoptime.to_local(start, flt.zone).date()
        if shoptime.local_midnight_utc(first, flt.zone) < start:
            first += timedelta(days=1)
    if flt.end is not None:
        after = shoptime.to_local(utc_naive(flt.end), flt.zone).date()
    return first, after


def group_key(value, by: Optional[str]):
    """A rollup or raw row's group as the metrics name it (a week's Monday, None for '')."""
    if by in GRAINS:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
        if by == "week":
            day -= timedelta(days=day.weekday())
        return day.isoformat()
    return value if value != "" else None


def _add(into: Dict, key, names: List[str], values) -> None:
    totals = into.setdefault(key, dict.fromkeys(rollups.MEASURES, 0))
    for name, value in zip(names, values):
        totals[name] += int(value or 0)


def rollup_selection(rollup, flt: MetricFilter, by: Optional[str], first: Optional[date],
                     after: Optional[date], topics: Optional[List[str]] = None,
                     ) -> Tuple[Optional[ColumnElement], List[ColumnElement]]:
    """The grouping column and the conditions selecting ``flt``'s whole days ``[first, after)``
    in a rollup table keyed by day, channel, language, agent and topic. ``topics``: the
    named topics, for a table whose key starts with its topic (an IN list reads each
    topic's days; SQLite's statistics would otherwise pick a scan of the whole key).
    """
    grouping = {"day": rollup.c.day, "week": rollup.c.day, None: None}.get(by, rollup.c.get(by))
    conditions = [rollup.c.topic == (flt.topic or rollups.ALL_TOPICS)]
    if by == "topic":
        conditions = [rollup.c.topic != rollups.ALL_TOPICS if topics is None
                      else rollup.c.topic.in_(topics)]
    if first is not None:
        conditions.append(rollup.c.day >= first)
    if after is not None:
        conditions.append(rollup.c.day < after)
    for name in ("channel", "language", "agent"):
        if getattr(flt, name) is not None:
            conditions.append(rollup.c[name] == getattr(flt, name))
    return grouping, conditions


def _from_rollup(connection: Connection, flt: MetricFilter, by: Optional[str],
                 first: Optional[date], after: Optional[date], into: Dict) -> None:
    grouping, conditions = rollup_selection(_r, flt, by, first, after)
    query = select(*(func.sum(_r.c[m]) for m in rollups.MEASURES))
    if grouping is not None:
        query = query.add_columns(grouping).group_by(grouping)
    for row in connection.execute(query.where(*conditions)):
        key = group_key(row[-1], by) if grouping is not None else None
        _add(into, key, list(rollups.MEASURES), row)


def _from_conversations(connection: Connection, flt: MetricFilter, by: Optional[str],
                        into: Dict) -> None:
    s = metric_sql.scope(flt, by)
    keys = metric_sql.group_keys(s)
    values = rollups.measure_values(s)
    query = select(*(func.sum(values[m]) for m in rollups.MEASURES),
                   *metric_sql.shown_keys(keys)).select_from(s).group_by(*keys)
    for row in connection.execute(query):
        key = group_key(row[-1], by) if keys else None
        _add(into, key, list(rollups.MEASURES), row)


def window_parts(flt: MetricFilter) -> Tuple[Optional[Tuple[Optional[date], Optional[date]]],
                                               List[MetricFilter]]:
    """The whole local days ``(first, after)`` inside the window (None: there are none),
    and the filters of the partial days at its edges, to be read from the rows.
    """
    first, after = whole_days(flt)
    if first is not None and after is not None and first >= after:
        return None, [flt]
    edges = []
    if first is not None:
        assert flt.start is not None  # whole days start after a bounded start
        edge_end = shoptime.local_midnight_utc(first, flt.zone)
        if utc_naive(flt.start) < edge_end:
            edges.append(replace(flt, end=edge_end))
    if after is not None:
        assert flt.end is not None  # whole days end before a bounded end
        edge_start = shoptime.local_midnight_utc(after, flt.zone)
        if edge_start < utc_naive(flt.end):
            edges.append(replace(flt, start=edge_start))
    return (first, after), edges


def totals(connection: Connection, flt: MetricFilter, by: Optional[str]) -> Dict:
    """Summed measures per group (key None without ``by``): rollup days + raw edges."""
    days, edges = window_parts(flt)
    into: Dict = {}
    if days is not None:
        _from_rollup(connection, flt, by, *days, into)
    for edge in edges:
        _from_conversations(connection, edge, by, into)
    return into


def summed(connection: Connection, flt: MetricFilter, by: Optional[str]) -> Dict:
    """Summed measures per group (key None without ``by``): from the rollups when they
    serve ``flt``, else from the conversations of the whole window.
    """
    if usable(connection, flt, by):
        return totals(connection, flt, by)
    into: Dict = {}
    _from_conversations(connection, flt, by, into)
    return into


def usable(connection: Connection, flt: MetricFilter, by: Optional[str] = None) -> bool:
    """True when the store's rollup holds days of the filter's zone and can answer ``by``.

    Topics per topic-filtered conversation (every topic that the conversations
    touching ``flt.topic`` also touched) are not in the rollup: the
    conversations answer those.
    """
    if by == "topic" and flt.topic is not None:
        return False
    return rollups.rollup_zone(connection) == flt.zone


def aggregates(connection: Connection, flt: MetricFilter, by: Optional[str]):
    """Like :func:`cx_reports.metric_sql.aggregates`, from the rollups when they serve ``flt``."""
    if not usable(connection, flt, by):
        return metric_sql.aggregates(connection, flt, by)
    per_group = totals(connection, flt, by)
    out = {key: metrics_from(t) for key, t in per_group.items() if t["conversations"] > 0}
    if by is None and None not in out:
        out[None] = metrics_from(dict.fromkeys(rollups.MEASURES, 0))
    return out


def grouped_values(metric: str, flt: MetricFilter, grain: str, engine: Optional[Engine]):
    """Like :func:`cx_reports.metric_sql.grouped_values`, from the rollups when they serve."""
    if metric not in AGGREGATES:
        return metric_sql.grouped_values(metric, flt, grain, engine)
    with (engine or default_engine()).connect() as connection:
        if not usable(connection, flt):
            return metric_sql.grouped_values(metric, flt, grain, engine)
        per_period = aggregates(connection, flt, grain)
    return {period: values[metric] for period, values in per_period.items()}
