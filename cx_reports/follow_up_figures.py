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
from datetime import datetime
from typing import Dict, List

from sqlalchemy import case, exists, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased

from contract.vocabulary import CSAT, NPS
from cx_reports.metrics import MetricFilter
from cxm_store.db import session_factory, utc_naive
from cxm_store.journey_models import FollowUp
from cxm_store.models import Conversation, ConversationTopic, SurveyAnswer


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


def follow_up_figures(flt: MetricFilter, now: datetime, engine: Engine = None) -> Dict:
    """The closed loop's figures for follow-ups opened in the filter's period."""
    now = utc_naive(now)
    conditions = conversation_conditions(flt, period_of=FollowUp.opened_at)
    # The customer's next answer of the follow-up's kind, in another conversation
    # (served by ix_survey_answers_customer_kind_asked): one statement, no query per row.
    later = aliased(SurveyAnswer)
    next_score = (
        select(later.score)
        .where(later.customer_id == FollowUp.customer_id, later.kind == FollowUp.reason,
               later.status == "answered", later.score.isnot(None),
               later.asked_at > FollowUp.opened_at,
               later.conversation_id != FollowUp.conversation_id)
        .order_by(later.asked_at, later.id)
        .limit(1)
        .correlate(FollowUp)
        .scalar_subquery()
    )
    with session_factory(engine)() as session:
        rows = session.execute(
            select(FollowUp.opened_at, FollowUp.due_at, FollowUp.closed_at, FollowUp.reason,
                   FollowUp.score,
                   case((FollowUp.reason.in_((CSAT, NPS)), next_score)).label("next_score"))
            .join(Conversation, Conversation.id == FollowUp.conversation_id)
            .where(*conditions)
        ).all()
    changes = [row.next_score - row.score for row in rows if row.next_score is not None]
    closed = [row for row in rows if row.closed_at is not None]
    durations = [(row.closed_at - row.opened_at).total_seconds() for row in closed]
    return {
        "opened": len(rows),
        "closed": len(closed),
        "closed_in_time": sum(1 for row in closed if row.closed_at <= row.due_at),
        "open_breached": sum(1 for row in rows if row.closed_at is None and row.due_at < now),
        "median_close_seconds": statistics.median(durations) if durations else None,
        "score_change": round(statistics.mean(changes), 2) if changes else None,
        "score_changes": len(changes),
    }


def breached_follow_ups_count(now: datetime, engine: Engine = None) -> int:
    """Open follow-ups past due now (for the console's badge)."""
    with session_factory(engine)() as session:
        return session.scalar(
            select(func.count()).select_from(FollowUp)
            .where(FollowUp.closed_at.is_(None), FollowUp.due_at < utc_naive(now))
        )
