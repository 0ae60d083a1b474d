"""CX metrics, each one SQL aggregate computed in the database.

Every metric takes a :class:`MetricFilter` that selects *conversations*: those
that started in ``[start, end)`` and match channel, language, topic (the
conversation touched that topic at any point) and agent (the human agent who
took it over). Survey answers, messages and handoffs count when their
conversation is selected. Rates and shares are percentages (0-100); a metric
whose denominator is empty is None, never 0.

The same per-metric expressions serve a single value, a summary (all of them
in one SELECT), a breakdown (GROUP BY channel, language, topic or agent) and a
time series (GROUP BY local day or ISO week in the shop's time zone), so they
always agree. They read the per-conversation counter columns kept by the
write path (``has_handoff``, ``repeat_within_7d``, survey tallies); only the
handoff percentiles read ``handoffs``. Definitions are in docs/metrics.md.
"""
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Dict, List, Optional, Tuple

from sqlalchemy.engine import Engine

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
    HANDOFF_RESOLUTION_MEDIAN_S,
    HANDOFF_RESOLUTION_P90_S,
    HANDOFF_WAIT_MEDIAN_S,
    HANDOFF_WAIT_P90_S,
    SURVEY_RESPONSE_RATE,
)
from cx_reports import duration_figures, rollup_figures
from cx_reports.metric_sql import (  # noqa: F401 (the metrics' interface: callers import these here)
    BUILDERS,
    GRAINS,
    GROUPINGS,
    METRICS,
    PERCENTILES,
    MetricFilter,
    Number,
    aggregates,
    filter_conditions,
    grouped_values,
    interpolated_percentile,
    local_period,
    metric_value,
    percentile_values,
)
from cxm_store import shoptime
from cxm_store.db import default_engine, utc_naive


def bounds(flt: MetricFilter) -> Tuple[datetime, datetime]:
    """The window's start and end (raises ValueError when the window is open-ended)."""
    if flt.start is None or flt.end is None:
        raise ValueError("this needs a window with both start and end")
    return flt.start, flt.end


# --- One function per metric ------------------------------------------------


def conversation_count(flt: MetricFilter = MetricFilter(), engine: Engine = None) -> int:
    """Conversations started in the window (open ones included)."""
    return int(metric_value(CONVERSATION_COUNT, flt, engine) or 0)


def containment_rate(flt: MetricFilter = MetricFilter(), engine: Engine = None) -> Optional[float]:
    """% of closed conversations resolved by the bot without any handoff.

    Numerator: outcome ``resolved`` and no ``handoffs`` row (``unresolved``,
    ``escalated`` and ``abandoned`` are not contained). Denominator: ended
    conversations (open ones are not counted yet, even with an outcome).
    """
    return metric_value(CONTAINMENT_RATE, flt, engine)


def escalation_rate(flt: MetricFilter = MetricFilter(), engine: Engine = None) -> Optional[float]:
    """% of closed conversations whose outcome is ``escalated``."""
    return metric_value(ESCALATION_RATE, flt, engine)


def abandonment_rate(flt: MetricFilter = MetricFilter(), engine: Engine = None) -> Optional[float]:
    """% of closed conversations whose outcome is ``abandoned`` (idle > 30 min)."""
    return metric_value(ABANDONMENT_RATE, flt, engine)


def first_contact_resolution_rate(
    flt: MetricFilter = MetricFilter(), engine: Engine = None
) -> Optional[float]:
    """% of conversations with an answered ``resolved`` question that were resolved first time.

    Resolved first time: the customer answered "yes" (score 1) and did not
    start another conversation with the same primary topic within 7 days
    (7 x 24 h, inclusive) of this one's start, on any channel and whether or
    not that conversation is inside the filter. Declined or unanswered
    ``resolved`` questions are outside the denominator; a conversation without
    a primary topic can have no repeat. Conversations from the last 7 days
    may still lose their FCR when the customer comes back.
    """
    return metric_value(FCR_RATE, flt, engine)


def csat_percent(flt: MetricFilter = MetricFilter(), engine: Engine = None) -> Optional[float]:
    """% of answered CSAT answers (1-5) that are 4 or 5."""
    return metric_value(CSAT_PERCENT, flt, engine)


def csat_mean(flt: MetricFilter = MetricFilter(), engine: Engine = None) -> Optional[float]:
    """Mean of answered CSAT scores (1-5)."""
    return metric_value(CSAT_MEAN, flt, engine)


def ces_mean(flt: MetricFilter = MetricFilter(), engine: Engine = None) -> Optional[float]:
    """Mean of answered customer-effort scores (1-7, 7 = very easy)."""
    return metric_value(CES_MEAN, flt, engine)


def ces_easy_percent(flt: MetricFilter = MetricFilter(), engine: Engine = None) -> Optional[float]:
    """% of answered customer-effort scores that are 5-7 ("easy")."""
    return metric_value(CES_EASY_PERCENT, flt, engine)


def nps(flt: MetricFilter = MetricFilter(), engine: Engine = None) -> Optional[float]:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6), from -100 to 100."""
    return metric_value("nps", flt, engine)


def survey_response_rate(
    flt: MetricFilter = MetricFilter(), engine: Engine = None
) -> Optional[float]:
    """% of surveyed conversations (any survey row) with at least one answered question."""
    return metric_value(SURVEY_RESPONSE_RATE, flt, engine)


def fallback_rate(flt: MetricFilter = MetricFilter(), engine: Engine = None) -> Optional[float]:
    """% of customer messages the bot could not understand (``is_fallback``)."""
    return metric_value(FALLBACK_RATE, flt, engine)


def _percentile(metric: str, flt: MetricFilter, engine: Optional[Engine]) -> Optional[float]:
    # The same histograms as summary and breakdown, so the figures agree.
    with (engine or default_engine()).connect() as connection:
        return duration_figures.percentile_values(connection, flt, None)[None][metric]


def handoff_wait_median_seconds(
    flt: MetricFilter = MetricFilter(), engine: Engine = None
) -> Optional[float]:
    """Median seconds from handoff request to an agent claiming it (claimed handoffs only).

    Read from daily histograms in fixed buckets (at most 5 % of their start
    wide, whole seconds up to 40 s): within 1 s + 5 % of the exact value
    (cxm_store.duration_rollups); exact when the rollup does not serve the filter.
    """
    return _percentile(HANDOFF_WAIT_MEDIAN_S, flt, engine)


def handoff_wait_p90_seconds(
    flt: MetricFilter = MetricFilter(), engine: Engine = None
) -> Optional[float]:
    """90th percentile of seconds from handoff request to claim (claimed handoffs only).

    Read from daily histograms in fixed buckets (at most 5 % of their start
    wide, whole seconds up to 40 s): within 1 s + 5 % of the exact value
    (cxm_store.duration_rollups); exact when the rollup does not serve the filter.
    """
    return _percentile(HANDOFF_WAIT_P90_S, flt, engine)


def handoff_resolution_median_seconds(
    flt: MetricFilter = MetricFilter(), engine: Engine = None
) -> Optional[float]:
    """Median seconds from handoff request to resolution (resolved handoffs only).

    Read from daily histograms in fixed buckets (at most 5 % of their start
    wide, whole seconds up to 40 s): within 1 s + 5 % of the exact value
    (cxm_store.duration_rollups); exact when the rollup does not serve the filter.
    """
    return _percentile(HANDOFF_RESOLUTION_MEDIAN_S, flt, engine)


def handoff_resolution_p90_seconds(
    flt: MetricFilter = MetricFilter(), engine: Engine = None
) -> Optional[float]:
    """90th percentile of seconds from handoff request to resolution (resolved handoffs only).

    Read from daily histograms in fixed buckets (at most 5 % of their start
    wide, whole seconds up to 40 s): within 1 s + 5 % of the exact value
    (cxm_store.duration_rollups); exact when the rollup does not serve the filter.
    """
    return _percentile(HANDOFF_RESOLUTION_P90_S, flt, engine)


# --- Views over all metrics ---------------------------------------------------


def summary(
    flt: MetricFilter = MetricFilter(), engine: Engine = None
) -> Dict[str, Optional[Number]]:
    """Every metric for ``flt``, in the order of :data:`METRICS`.

    The counter-based metrics from the daily rollups (cx_reports.rollup_figures),
    the four handoff percentiles from the duration histograms
    (cx_reports.duration_figures); both read the window's edge days raw.
    """
    with (engine or default_engine()).connect() as connection:
        values = dict(rollup_figures.aggregates(connection, flt, None)[None])
        values.update(duration_figures.percentile_values(connection, flt, None)[None])
    return {metric: values.get(metric) for metric in METRICS}


def breakdown(
    flt: MetricFilter, by: str, engine: Engine = None
) -> Dict[Optional[str], Dict[str, Optional[Number]]]:
    """Every metric per channel, language, topic or agent (one GROUP BY over the daily
    rollups for the counter-based metrics, one over the duration histograms for the
    percentiles, plus the window's edge days).

    Groups are those with at least one selected conversation; a conversation
    without agent (or language) falls in the None group. By topic, a
    conversation counts under each topic it touched.
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {GROUPINGS}, not {by!r}")
    with (engine or default_engine()).connect() as connection:
        per_group = rollup_figures.aggregates(connection, flt, by)
        percentiles = duration_figures.percentile_values(connection, flt, by)
    groups = sorted(per_group, key=lambda key: (key is None, key or ""))
    return {
        group: {
            metric: {**per_group[group], **percentiles.get(group, {})}.get(metric)
            for metric in METRICS
        }
        for group in groups
    }


def timeseries(
    metric: str, flt: MetricFilter, grain: str = "day", engine: Engine = None
) -> List[Tuple[str, Optional[Number]]]:
    """``metric`` per local day or ISO week (Monday start) of conversation start, oldest first.

    Days are the shop's (``flt.zone``): in Asia/Jakarta a conversation at
    23:30 UTC counts on the next day.

    With both ``start`` and ``end`` set, periods without conversations are
    filled in (0 conversations, None for every other metric).
    """
    if metric not in BUILDERS:
        raise ValueError(f"unknown metric {metric!r}; use one of {METRICS}")
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}, not {grain!r}")
    if metric in PERCENTILES:
        with (engine or default_engine()).connect() as connection:
            per_period = duration_figures.percentile_values(connection, flt, grain)
        values = {period: figures[metric] for period, figures in per_period.items()}
    else:
        values = rollup_figures.grouped_values(metric, flt, grain, engine)
    if flt.start is not None and flt.end is not None:
        empty = 0 if metric == CONVERSATION_COUNT else None
        for period in periods(flt, grain):
            values.setdefault(period, empty)
    # Periods are the keys of a series, never None.
    return sorted((str(period), value) for period, value in values.items())


def previous_period(flt: MetricFilter) -> MetricFilter:
    """The filter for the same-length period ending where ``flt`` starts."""
    start, end = bounds(flt)
    return replace(flt, start=start - (end - start), end=start)


def compare_previous(
    flt: MetricFilter, engine: Engine = None
) -> Dict[str, Dict[str, Optional[Number]]]:
    """Each metric now, in the previous same-length period, and the change (now - before).

    The change is None when either side is None.
    """
    current = summary(flt, engine)
    before = summary(previous_period(flt), engine)
    return {metric: _comparison(current[metric], before[metric]) for metric in METRICS}


def _comparison(now: Optional[Number], then: Optional[Number]) -> Dict[str, Optional[Number]]:
    return {"current": now, "previous": then,
            "change": None if now is None or then is None else now - then}


def periods(flt: MetricFilter, grain: str) -> List[str]:
    """The local days or weeks (first day, ISO) overlapping ``[flt.start, flt.end)``."""
    start, last = bounds(flt)
    end = shoptime.to_local(utc_naive(last), flt.zone)
    day: date = shoptime.to_local(utc_naive(start), flt.zone).date()
    if grain == "week":
        day -= timedelta(days=day.weekday())
    step = timedelta(days=1 if grain == "day" else 7)
    periods = []
    while datetime.combine(day, datetime.min.time()) < end:
        periods.append(day.isoformat())
        day += step
    return periods
