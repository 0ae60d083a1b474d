"""The customer journey: one person's conversations on every channel, and the funnel.

``customer_journey`` is the timeline the console's context panel and the
dashboard's journey page show; ``funnel`` counts how far the selected
conversations got; ``conversation_rows`` is the per-conversation export.
"""
from datetime import datetime
from typing import Dict, Iterator, List, Optional

from sqlalchemy import select
from sqlalchemy.engine import Engine

from contract.vocabulary import CES, CSAT, SCALES
from cx_reports import rollup_figures
from cx_reports.follow_up_figures import conversation_conditions
from cx_reports.metrics import MetricFilter
from cxm_store import rollups
from cxm_store.db import default_engine, session_factory
from cxm_store.follow_ups import list_follow_ups
from cxm_store.journey_models import CustomerLink, FollowUp
from cxm_store.models import (
    Conversation,
    ConversationTopic,
    CustomerIdentity,
    Handoff,
    SurveyAnswer,
)

SCORED_KINDS = tuple(SCALES)  # resolved, csat, ces, nps


def customer_of(conversation_id: int, engine: Engine = None) -> Optional[int]:
    """The customer a conversation belongs to (after any merge), or None."""
    with session_factory(engine)() as session:
        return session.scalar(
            select(Conversation.customer_id).where(Conversation.id == conversation_id)
        )


def customer_journey(customer_id: int, now: datetime, engine: Engine = None) -> Dict:
    """Everything the customer did with us, oldest first.

    Returns a dict with ``identities`` (channel, external id), ``links``
    (how channels were proved to be theirs), ``conversations`` (each with its
    channel, times, outcome, topics, handoffs, survey scores and sentiment)
    and ``follow_ups``.
    """
    with session_factory(engine)() as session:
        identities = session.execute(
            select(CustomerIdentity.channel, CustomerIdentity.external_id)
            .where(CustomerIdentity.customer_id == customer_id)
            .order_by(CustomerIdentity.id)
        ).all()
        links = session.execute(
            select(CustomerLink.proof, CustomerLink.evidence, CustomerLink.channel,
                   CustomerLink.linked_at)
            .where(CustomerLink.customer_id == customer_id).order_by(CustomerLink.linked_at)
        ).all()
        conversations = session.scalars(
            select(Conversation).where(Conversation.customer_id == customer_id)
            .order_by(Conversation.started_at, Conversation.id)
        ).all()
        ids = [c.id for c in conversations]
        topics: Dict[int, List[str]] = {i: [] for i in ids}
        for conversation_id, topic in session.execute(
            select(ConversationTopic.conversation_id, ConversationTopic.topic)
            .where(ConversationTopic.conversation_id.in_(ids))
            .order_by(ConversationTopic.first_seen_at)
        ):
            topics[conversation_id].append(topic)
        handoffs: Dict[int, List[Dict]] = {i: [] for i in ids}
        for row in session.scalars(select(Handoff).where(Handoff.conversation_id.in_(ids))
                                   .order_by(Handoff.requested_at)):
            handoffs[row.conversation_id].append(
                {"requested_at": row.requested_at, "agent": row.agent, "status": row.status})
        scores: Dict[int, Dict[str, int]] = {i: {} for i in ids}
        for conversation_id, kind, score in session.execute(
            select(SurveyAnswer.conversation_id, SurveyAnswer.kind, SurveyAnswer.score)
            .where(SurveyAnswer.conversation_id.in_(ids), SurveyAnswer.status == "answered",
                   SurveyAnswer.kind.in_(SCORED_KINDS))
            .order_by(SurveyAnswer.asked_at)
        ):
            scores[conversation_id][kind] = score
    return {
        "customer_id": customer_id,
        "identities": [{"channel": c, "external_id": e} for c, e in identities],
        "links": [{"proof": p, "evidence": ev, "channel": ch, "linked_at": at}
                  for p, ev, ch, at in links],
        "conversations": [
            {
                "id": c.id, "channel": c.channel, "language": c.language,
                "started_at": c.started_at, "ended_at": c.ended_at, "outcome": c.outcome,
                "primary_topic": c.primary_topic, "topics": topics[c.id], "agent": c.agent,
                "handoffs": handoffs[c.id], "scores": scores[c.id],
                "negative": c.negative_messages > 0,
                "sentiment": round(c.sentiment_sum / c.sentiment_count, 2)
                if c.sentiment_count else None,
            }
            for c in conversations
        ],
        "follow_ups": [
            {"id": f.id, "conversation_id": f.conversation_id, "reason": f.reason,
             "score": f.score, "opened_at": f.opened_at, "due_at": f.due_at, "owner": f.owner,
             "closed_at": f.closed_at, "outcome": f.outcome, "breached": f.breached}
            for f in list_follow_ups(now, open_only=False, customer_id=customer_id, engine=engine)
        ],
    }


# Stages of the funnel, in order, and how the console names them.
FUNNEL_STAGES = (
    ("started", "started"),
    ("answered_by_bot", "answered by the bot"),
    ("handed_off", "handed off, or resolved by the bot alone"),
    ("resolved", "resolved"),
    ("surveyed", "surveyed"),
    ("promoter", "promoter"),
)


def funnel(flt: MetricFilter, engine: Engine = None) -> List[Dict]:
    """How many selected conversations reached each stage, and their share of those started.

    Stages are nested, each counting the conversations of the stage before
    that also:

    * ``started``: every selected conversation;
    * ``answered_by_bot``: got at least one bot message (a customer put
      straight through to a person without one stops at ``started``);
    * ``handed_off``: were then handed off to a person, or needed none because
      the bot resolved them (those who left the bot unresolved stop here);
    * ``resolved``: ended with outcome ``resolved``;
    * ``surveyed``: answered at least one survey question (an answer on an
      unresolved conversation does not count here);
    * ``promoter``: gave an NPS of 9-10.

    The counts are the daily rollup's funnel measures (cxm_store.rollups), whole
    local days from the rollup and partial days from the conversations.
    """
    with (engine or default_engine()).connect() as connection:
        t = rollup_figures.summed(connection, flt, None).get(None) or {}
    row = [t.get(name, 0) for name in ("conversations",) + rollups.FUNNEL_MEASURES]
    started = row[0]
    return [
        {"stage": stage, "label": label, "count": count,
         "percent": round(100.0 * count / started, 1) if started else None}
        for (stage, label), count in zip(FUNNEL_STAGES, row, strict=True)
    ]


EXPORT_COLUMNS = (
    "conversation_id", "customer_id", "channel", "language", "started_at", "ended_at",
    "outcome", "primary_topic", "agent", "handed_off", "resolved_confirmed", CSAT, CES,
    "nps", "customer_messages", "sentiment", "negative_messages", "follow_up_reason",
    "follow_up_outcome",
)


def conversation_rows(flt: MetricFilter, engine: Engine = None) -> Iterator[Dict]:
    """One dict per selected conversation (``EXPORT_COLUMNS``), oldest first.

    Scores are the conversation's answered score of each kind (the mean if it
    was answered twice); sentiment is the mean score of its customer messages.
    """
    c = Conversation
    # Plain columns, streamed: an export may hold hundreds of thousands of rows.
    query = (
        select(c.id, c.customer_id, c.channel, c.language, c.started_at, c.ended_at, c.outcome,
               c.primary_topic, c.agent, c.has_handoff, c.resolved_confirmed, c.csat_sum,
               c.csat_count, c.ces_sum, c.ces_count, c.nps_count, c.nps_promoters,
               c.nps_detractors, c.customer_message_count, c.sentiment_sum, c.sentiment_count,
               c.negative_messages, FollowUp.reason, FollowUp.outcome.label("follow_up_outcome"))
        .outerjoin(FollowUp, FollowUp.conversation_id == c.id)
        .where(*conversation_conditions(flt)).order_by(c.started_at, c.id)
    )
    with session_factory(engine)() as session:
        for row in session.execute(query.execution_options(yield_per=1000)):
            yield {
                "conversation_id": row.id, "customer_id": row.customer_id,
                "channel": row.channel, "language": row.language,
                "started_at": row.started_at.isoformat(),
                "ended_at": row.ended_at and row.ended_at.isoformat(),
                "outcome": row.outcome, "primary_topic": row.primary_topic,
                "agent": row.agent, "handed_off": bool(row.has_handoff),
                "resolved_confirmed": row.resolved_confirmed,
                CSAT: _mean(row.csat_sum, row.csat_count),
                CES: _mean(row.ces_sum, row.ces_count),
                "nps": _nps_band(row),
                "customer_messages": row.customer_message_count,
                "sentiment": _mean(row.sentiment_sum, row.sentiment_count),
                "negative_messages": row.negative_messages,
                "follow_up_reason": row.reason, "follow_up_outcome": row.follow_up_outcome,
            }


def _mean(total, count) -> Optional[float]:
    return round(total / count, 2) if count else None


def _nps_band(row) -> Optional[str]:
    # The counters keep the band, not the 0-10 score itself.
    if not row.nps_count:
        return None
    if row.nps_promoters:
        return "promoter"
    return "detractor" if row.nps_detractors else "passive"
