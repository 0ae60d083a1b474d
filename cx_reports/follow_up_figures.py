"""Dashboard figures of the closed loop, over follow-ups opened in a period.

* ``opened``: follow-ups opened in ``[start, end)``;
* ``closed`` and ``closed_in_time`` (closed at or before their due time);
* ``open_breached``: still open and past due at ``now``;
* ``median_close_seconds``: median wall-clock time from opening to closing
  of the closed ones;
* ``score_change`` / ``score_changes``: for follow-ups opened on a CSAT or
  NPS score, the customer's next answer of the same kind (asked after the
  follow-up opened, in another conversation) minus the score that opened it,
  averaged; how many follow-ups had such a next answer.

The channel, language, agent and topic of the filter are those of the
conversation the follow-up belongs to, as everywhere on the dashboard.
"""
import statistics
from datetime import date, datetime
from typing import Dict, List, Optional

from sqlalchemy import exists, func, select
from sqlalchemy.engine import Connection, Engine

from cx_reports import rollup_figures
from cx_reports.metrics import MetricFilter
from cx_reports.rollup_figures import rollup_selection
from cxm_store import follow_up_rollups
from cxm_store.db import default_engine, session_factory, utc_naive
from cxm_store.duration_rollups import EXACT_UP_TO, percentile
from cxm_store.journey_models import FollowUp
from cxm_store.models import Conversation, ConversationTopic

_f = FollowUp.__table__


def conversation_conditions(flt: MetricFilter, period_of=Conversation.started_at) -> List:
    """The filter as conditions: ``period_of`` in ``[start, end)``, and the channel,
    language, agent and topic of the conversation.
    """
    conditions = [
        getattr(Conversation, name) == getattr(flt, name)
        for name in ("channel", "language", "agent")
        if getattr(flt, name) is not None
    ]
    if flt.topic is not None:
        conditions.append(exists().where(ConversationTopic.conversation_id == Conversation.id,
                                         ConversationTopic.topic == flt.topic))
    if flt.start is not None:
        conditions.append(period_of >= utc_naive(flt.start))
    if flt.end is not None:
        conditions.append(period_of < utc_naive(flt.end))
    return conditions


def _add(into: Dict[int, List[int]], rows) -> None:
    """Sum rows of (bucket, follow-ups, closed in time, score changes, their sum) per bucket."""
    for bucket, *values in rows:
        totals = into.setdefault(bucket, [0] * len(follow_up_rollups.MEASURES))
        for at, value in enumerate(values):
            totals[at] += int(value or 0)


def _from_rollup(connection: Connection, flt: MetricFilter, first: Optional[date],
                 after: Optional[date], into: Dict[int, List[int]]) -> None:
    r = follow_up_rollups.follow_up_days
    _, conditions = rollup_selection(r, flt, None, first, after)
    _add(into, connection.execute(
        select(r.c.bucket, *(func.sum(r.c[m]) for m in follow_up_rollups.MEASURES))
        .where(*conditions).group_by(r.c.bucket)))


def _from_rows(connection: Connection, flt: MetricFilter, into: Dict[int, List[int]]) -> None:
    """The same sums as the rollup's, counted from the follow-ups opened in ``flt``."""
    values = follow_up_rollups.row_values(_f)
    _add(into, connection.execute(
        select(values["bucket"], func.count(), func.sum(values["in_time"]),
               func.count(values["change"]), func.sum(values["change"]))
        .join_from(_f, Conversation, Conversation.id == _f.c.conversation_id)
        .where(*conversation_conditions(flt, period_of=_f.c.opened_at))
        .group_by(values["bucket"])))


def follow_up_figures(flt: MetricFilter, now: datetime, engine: Engine = None) -> Dict:
    """The closed loop's figures for follow-ups opened in the filter's period.

    Whole local days come from ``follow_up_days`` (cxm_store.follow_up_rollups),
    partial days at the window's edges from the follow-ups, as the metrics do
    (cx_reports.rollup_figures); everything from the follow-ups when the rollup
    does not serve the filter's zone. The median time to close is exact up to
    :data:`EXACT_UP_TO` closed follow-ups, beyond that read from the close-time
    buckets: within 1 s + 5 % of the exact value, like the handoff percentiles.
    """
    now = utc_naive(now)
    conditions = conversation_conditions(flt, period_of=_f.c.opened_at)
    per_bucket: Dict[int, List[int]] = {}
    with (engine or default_engine()).connect() as connection:
        days, edges = (rollup_figures.window_parts(flt) if rollup_figures.usable(connection, flt)
                       else (None, [flt]))
        if days is not None:
            _from_rollup(connection, flt, *days, per_bucket)
        for edge in edges:
            _from_rows(connection, edge, per_bucket)
        open_breached = connection.execute(
            select(func.count()).select_from(_f)
            .join(Conversation, Conversation.id == _f.c.conversation_id)
            .where(_f.c.closed_at.is_(None), _f.c.due_at < now, *conditions)).scalar()
        closed_per_bucket = {bucket: totals[0] for bucket, totals in per_bucket.items()
                             if bucket != follow_up_rollups.STILL_OPEN}
        closed = sum(closed_per_bucket.values())
        median = percentile(closed_per_bucket, 50)
        if 0 < closed <= EXACT_UP_TO:
            median = statistics.median(
                (closed_at - opened_at).total_seconds() for opened_at, closed_at in
                connection.execute(
                    select(_f.c.opened_at, _f.c.closed_at)
                    .join_from(_f, Conversation, Conversation.id == _f.c.conversation_id)
                    .where(_f.c.closed_at.isnot(None), *conditions)))
    totals = [sum(column) for column in zip(*per_bucket.values())] or [0, 0, 0, 0]
    opened, closed_in_time, changes, change_sum = totals
    return {
        "opened": opened,
        "closed": closed,
        "closed_in_time": closed_in_time,
        "open_breached": open_breached,
        "median_close_seconds": median,
        "score_change": round(change_sum / changes, 2) if changes else None,
        "score_changes": changes,
    }


def breached_follow_ups_count(now: datetime, engine: Engine = None) -> int:
    """Open follow-ups past due now (for the console's badge)."""
    with session_factory(engine)() as session:
        return session.scalar(
            select(func.count()).select_from(FollowUp)
            .where(FollowUp.closed_at.is_(None), FollowUp.due_at < utc_naive(now))
        )
