"""The SQL of the CX metrics: which conversations a filter selects, and one aggregate per metric.

:mod:`cx_reports.metrics` is the interface (one function per metric, summary,
breakdown, series); this module builds the expressions they all share, so a
single value, a summary, a breakdown and a series always agree. The metrics
read the per-conversation counters kept by the write path; only the handoff
percentiles read ``handoffs``.
"""
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Callable, Dict, List, Optional, Tuple, Union

from sqlalchemy import and_, case, exists, func, literal, select, true
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.selectable import Subquery

from contract.metrics import (
    ABANDONMENT_RATE,
    CES_EASY_PERCENT,
    CES_MEAN,
    CONTAINMENT_RATE,
    CONVERSATION_METRICS,
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
from contract.vocabulary import ABANDONED, CES, CSAT, ESCALATED, RESOLVED
from cxm_store import settings
from cxm_store.db import default_engine, utc_naive
from cxm_store.models import SURVEY_COUNTERS, Conversation, ConversationTopic, Handoff
from cxm_store.sqlfuncs import period_label, period_start, seconds_between

Number = Union[int, float]
GROUPINGS = ("channel", "language", "topic", "agent")
GRAINS = ("day", "week")

_conversations = Conversation.__table__
_topics = ConversationTopic.__table__
_handoffs = Handoff.__table__
_COUNTERS = ("has_handoff", "repeat_within_7d", "bot_message_count", "sentiment_count",
             "negative_messages") + SURVEY_COUNTERS


@dataclass(frozen=True)
class MetricFilter:
    """Which conversations a metric looks at.

    Attributes:
        start: Inclusive lower bound on ``conversations.started_at`` (None: no bound).
        end: Exclusive upper bound on ``conversations.started_at`` (None: no bound).
        channel: Only this channel (``web``, ``telegram``...).
        language: Only this language (``id``, ``en``).
        topic: Only conversations that touched this topic.
        agent: Only conversations taken over by this human agent.
        zone: The shop's IANA time zone: a series' days and weeks are its local
            ones (default ``CXM_TIMEZONE``).
    """

    start: Optional[datetime] = None
    end: Optional[datetime] = None
    channel: Optional[str] = None
    language: Optional[str] = None
    topic: Optional[str] = None
    agent: Optional[str] = None
    zone: str = field(default_factory=settings.shop_timezone)


# --- Scope ------------------------------------------------------------------


def scope(flt: MetricFilter, by: Optional[str] = None) -> Subquery:
    """The selected conversations, one row each, plus a grouping key ``k`` when ``by`` is set.

    Grouping by topic gives one row per (conversation, topic), so a conversation
    counts under every topic it touched.
    """
    c = _conversations
    query = select(
        c.c.id.label("conversation_id"),
        c.c.customer_id,
        c.c.started_at,
        c.c.ended_at,
        c.c.outcome,
        c.c.primary_topic,
        c.c.customer_message_count,
        c.c.fallback_count,
        *(c.c[name] for name in _COUNTERS),
    )
    if by == "topic":
        query = query.add_columns(_topics.c.topic.label("k")).join_from(
            c, _topics, _topics.c.conversation_id == c.c.id
        )
    elif by in ("channel", "language", "agent"):
        query = query.add_columns(c.c[by].label("k"))
    elif by in GRAINS:
        query = query.add_columns(local_period(flt, by).label("period"))
    elif by is not None:
        raise ValueError(f"cannot group by {by!r}; use one of {GROUPINGS + GRAINS}")
    return query.where(*filter_conditions(flt)).subquery("scope")


def filter_conditions(flt: MetricFilter) -> List[ColumnElement]:
    """Conditions on ``conversations`` selecting the filter's conversations."""
    c = _conversations
    conditions: List[ColumnElement] = []
    if flt.start is not None:
        conditions.append(c.c.started_at >= utc_naive(flt.start))
    if flt.end is not None:
        conditions.append(c.c.started_at < utc_naive(flt.end))
    for column in ("channel", "language", "agent"):
        if getattr(flt, column) is not None:
            conditions.append(c.c[column] == getattr(flt, column))
    if flt.topic is not None:
        has_topic = aliased(_topics)
        conditions.append(
            exists().where(has_topic.c.conversation_id == c.c.id, has_topic.c.topic == flt.topic)
        )
    return conditions


def local_period(flt: MetricFilter, grain: str) -> ColumnElement:
    """The shop's local day or ISO week of each conversation's start, as a grouping key
    (:func:`~cxm_store.sqlfuncs.period_label` writes it as its first day).
    """
    start, end = (None if m is None else utc_naive(m) for m in (flt.start, flt.end))
    return period_start(_conversations.c.started_at, grain, flt.zone, start, end)


def group_keys(s: Subquery) -> List[ColumnElement]:
    """What the scope groups by: ``k`` (channel, topic...), ``period`` or nothing."""
    return [s.c[name] for name in ("k", "period") if name in s.c]


def shown_keys(keys: List[ColumnElement]) -> List[ColumnElement]:
    # Periods are grouped by a compact key and written as YYYY-MM-DD once per
    # group, not once per conversation (see sqlfuncs.period_start).
    return [period_label(key).label(key.name) if key.name == "period" else key for key in keys]


def _count_if(condition: ColumnElement) -> ColumnElement:
    # COUNT ignores NULLs, so this counts the rows where condition holds.
    return func.count(case((condition, 1)))


def _percent(numerator: ColumnElement, denominator: ColumnElement) -> ColumnElement:
    return case((denominator == 0, None), else_=literal(100.0) * numerator / denominator)


# --- Metric definitions: (scope) -> aggregate column --------------------------
# Each metric is defined once, as an aggregate over the scope's rows (one row
# per selected conversation). They read the per-conversation counters that the
# write path keeps current (``has_handoff``, ``repeat_within_7d``, the survey
# tallies: see models.Conversation), so no metric joins survey answers or
# handoffs. The single-metric functions, summary, breakdown and timeseries all
# select these same expressions.


def _total(column: ColumnElement) -> ColumnElement:
    return func.coalesce(func.sum(column), 0)


def _mean(total: ColumnElement, count: ColumnElement) -> ColumnElement:
    # The 1.0 keeps both engines from integer division.
    return case((count == 0, None), else_=literal(1.0) * total / count)


def _closed(s: Subquery) -> ColumnElement:
    # Ended conversations only: an open one may still get another outcome
    # (escalated after resolved) or more messages.
    return _count_if(s.c.ended_at.isnot(None))


def _outcome_rate(outcome: str) -> Callable[[Subquery], ColumnElement]:
    def build(s: Subquery) -> ColumnElement:
        return _percent(_count_if(s.c.outcome == outcome), _closed(s))

    return build


def _containment(s: Subquery) -> ColumnElement:
    contained = _count_if(
        and_(s.c.ended_at.isnot(None), s.c.outcome == RESOLVED, s.c.has_handoff.is_(False))
    )
    return _percent(contained, _closed(s))


def _fcr(s: Subquery) -> ColumnElement:
    # resolved_answered / resolved_yes count the answered, scored ``resolved``
    # rows (one vote per conversation: > 0). repeat_within_7d is set whatever
    # the filter: coming back on another channel, or after the window ends, is
    # still coming back.
    first_contact = _count_if(and_(s.c.resolved_yes > 0, s.c.repeat_within_7d.is_(False)))
    return _percent(first_contact, _count_if(s.c.resolved_answered > 0))


def _share(count: str, good: str) -> Callable[[Subquery], ColumnElement]:
    def build(s: Subquery) -> ColumnElement:
        return _percent(_total(s.c[good]), _total(s.c[count]))

    return build


def _mean_score(kind: str) -> Callable[[Subquery], ColumnElement]:
    def build(s: Subquery) -> ColumnElement:
        return _mean(_total(s.c[f"{kind}_sum"]), _total(s.c[f"{kind}_count"]))

    return build


def _nps(s: Subquery) -> ColumnElement:
    promoters_minus_detractors = _total(s.c.nps_promoters) - _total(s.c.nps_detractors)
    return _percent(promoters_minus_detractors, _total(s.c.nps_count))


def _response_rate(s: Subquery) -> ColumnElement:
    # Conversations without survey rows are in neither part.
    return _percent(_count_if(s.c.survey_answered > 0), _count_if(s.c.survey_asked > 0))


def _fallback_rate(s: Subquery) -> ColumnElement:
    # The per-conversation counters equal the message counts; summing them
    # spares a scan of the transcript table.
    return _percent(_total(s.c.fallback_count), _total(s.c.customer_message_count))


AGGREGATES: Dict[str, Callable[[Subquery], ColumnElement]] = {
    "conversations": lambda s: func.count(),
    CONTAINMENT_RATE: _containment,
    ESCALATION_RATE: _outcome_rate(ESCALATED),
    ABANDONMENT_RATE: _outcome_rate(ABANDONED),
    FCR_RATE: _fcr,
    CSAT_PERCENT: _share("csat_count", "csat_high"),
    CSAT_MEAN: _mean_score(CSAT),
    CES_MEAN: _mean_score(CES),
    CES_EASY_PERCENT: _share("ces_count", "ces_easy"),
    "nps": _nps,
    SURVEY_RESPONSE_RATE: _response_rate,
    FALLBACK_RATE: _fallback_rate,
}

# Percentiles of handoff durations: metric -> (handoffs column, percentile).
PERCENTILES: Dict[str, Tuple[str, int]] = {
    HANDOFF_WAIT_MEDIAN_S: ("claimed_at", 50),
    HANDOFF_WAIT_P90_S: ("claimed_at", 90),
    HANDOFF_RESOLUTION_MEDIAN_S: ("resolved_at", 50),
    HANDOFF_RESOLUTION_P90_S: ("resolved_at", 90),
}


def handoff_percentiles(s: Subquery, until: str, pcts: Tuple[int, ...]) -> Select:
    """``pcts``-th percentiles (linear interpolation, like percentile_cont) of
    ``handoffs.<until> - requested_at`` in seconds, over handoffs where ``until`` is set.

    One ranked subquery serves every percentile of the same duration: window
    functions rank the durations; the two neighbouring ranks are then blended,
    all in SQL, identically on SQLite and PostgreSQL.
    """
    h = _handoffs
    keys = group_keys(s)
    seconds = seconds_between(h.c[until], h.c.requested_at)
    partition = {"partition_by": keys} if keys else {}
    ranked = (
        select(
            *keys,
            seconds.label("v"),
            func.row_number().over(order_by=seconds, **partition).label("rn"),
            func.count().over(**partition).label("n"),
        )
        .select_from(s.join(h, h.c.conversation_id == s.c.conversation_id))
        .where(s.c.has_handoff == True, h.c[until].isnot(None))  # noqa: E712 (index)
        .subquery(f"ranked_{until}")
    )
    outer_keys = [ranked.c[key.name] for key in keys]
    values = [interpolated_percentile(ranked, pct).label(f"p{pct}") for pct in pcts]
    return select(*shown_keys(outer_keys), *values).select_from(ranked).group_by(*outer_keys)


def interpolated_percentile(ranked: Subquery, pct: int) -> ColumnElement:
    """The ``pct``-th percentile of ``ranked.v`` (linear interpolation, like percentile_cont).

    ``ranked`` has each value ``v``, its rank ``rn`` (from 1, ascending) and the
    count ``n`` of its group; the aggregate blends the two neighbouring ranks.
    """
    # Zero-based position (n - 1) * pct / 100 = whole + fraction; integer
    # division on both engines gives the whole part.
    scaled = (ranked.c.n - 1) * pct
    whole = scaled / 100
    fraction = (scaled - whole * 100) / literal(100.0)
    return func.sum(
        case(
            (ranked.c.rn == whole + 1, ranked.c.v * (literal(1.0) - fraction)),
            (ranked.c.rn == whole + 2, ranked.c.v * fraction),
            else_=literal(0.0),
        )
    )


def _aggregate_builder(metric: str) -> Callable[[Subquery], Select]:
    def build(s: Subquery) -> Select:
        keys = group_keys(s)
        return select(*shown_keys(keys), AGGREGATES[metric](s)).select_from(s).group_by(*keys)

    return build


def _percentile_builder(metric: str) -> Callable[[Subquery], Select]:
    until, pct = PERCENTILES[metric]
    return lambda s: handoff_percentiles(s, until, (pct,))


# Query builders: (scope) -> SELECT keys..., value, one metric at a time.
BUILDERS: Dict[str, Callable[[Subquery], Select]] = {
    **{metric: _aggregate_builder(metric) for metric in AGGREGATES},
    **{metric: _percentile_builder(metric) for metric in PERCENTILES},
}
# The registry (contract.metrics) names them, in report order; each has its SQL here.
METRICS: Tuple[str, ...] = CONVERSATION_METRICS
if set(BUILDERS) != set(METRICS):
    raise ImportError(f"metrics without SQL or without a registry entry: {set(BUILDERS) ^ set(METRICS)}")


def plain(value) -> Optional[Number]:
    # PostgreSQL hands back Decimals for numeric arithmetic; callers get floats.
    return float(value) if isinstance(value, Decimal) else value


def metric_value(metric: str, flt: MetricFilter, engine: Optional[Engine]) -> Optional[Number]:
    with (engine or default_engine()).connect() as connection:
        return plain(connection.execute(BUILDERS[metric](scope(flt))).scalar())


def grouped_values(
    metric: str, flt: MetricFilter, by: str, engine: Optional[Engine]
) -> Dict[Optional[str], Optional[Number]]:
    with (engine or default_engine()).connect() as connection:
        rows = connection.execute(BUILDERS[metric](scope(flt, by))).all()
    return {key: plain(value) for key, value in rows}



def aggregates(
    connection, flt: MetricFilter, by: Optional[str]
) -> Dict[Optional[str], Dict[str, Optional[Number]]]:
    """Every counter-based metric per group (key None without ``by``), in one query."""
    s = scope(flt, by)
    keys = group_keys(s)
    names = list(AGGREGATES)
    query = select(*shown_keys(keys), *(AGGREGATES[name](s) for name in names)).select_from(s)
    rows = connection.execute(query.group_by(*keys)).all()
    width = len(keys)
    return {
        (row[0] if width else None): {
            name: plain(value) for name, value in zip(names, row[width:])
        }
        for row in rows
    }


def percentile_values(
    connection, flt: MetricFilter, by: Optional[str]
) -> Dict[Optional[str], Dict[str, Optional[Number]]]:
    """The handoff percentiles per group (key None without ``by``), in one query."""
    s = scope(flt, by)
    per_duration: Dict[str, List[Tuple[str, int]]] = {}
    for metric, (until, pct) in PERCENTILES.items():
        per_duration.setdefault(until, []).append((metric, pct))
    out: Dict[Optional[str], Dict[str, Optional[Number]]] = {}
    if by is None:
        subqueries = [
            (handoff_percentiles(s, until, tuple(p for _, p in wanted)).subquery(f"p_{until}"),
             wanted)
            for until, wanted in per_duration.items()
        ]
        first = subqueries[0][0]
        from_ = first
        for sub, _ in subqueries[1:]:
            from_ = from_.join(sub, true())
        columns = [sub.c[f"p{pct}"] for sub, wanted in subqueries for _, pct in wanted]
        row = connection.execute(select(*columns).select_from(from_)).one()
        names = [metric for _, wanted in subqueries for metric, _ in wanted]
        out[None] = {name: plain(value) for name, value in zip(names, row)}
        return out
    for until, wanted in per_duration.items():
        query = handoff_percentiles(s, until, tuple(p for _, p in wanted))
        for row in connection.execute(query).all():
            group = out.setdefault(row[0], {})
            for (metric, _), value in zip(wanted, row[1:]):
                group[metric] = plain(value)
    return out
