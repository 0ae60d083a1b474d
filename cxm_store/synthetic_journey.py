"""The demo history's journeys: customers linked across channels, and their follow-ups.

Called by :func:`cxm_store.synthetic.generate` once the conversations are
written. A few customers who wrote on the web are proved to be customers who
wrote on Telegram (as a one-time code would; the merge is the live one,
:func:`cxm_store.identity.merge_customers`); every unhappy conversation gets
its follow-up (the rules of :mod:`cxm_store.follow_ups`), most of the older
ones closed, some late, the last day's still open.
"""
import random
from datetime import datetime, timedelta
from typing import Dict

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine

from contract.vocabulary import CSAT
from cxm_store.business_time import add_business_time
from cxm_store.db import session_factory, utc_naive
from cxm_store.identity import merge_customers
from cxm_store.journey_models import FollowUp
from cxm_store.models import Conversation, CustomerIdentity, SurveyAnswer
from cxm_store.service_levels import ServiceLevels

# At most this share of web customers is linked to a Telegram customer, and
# never more than MAX_LINKS pairs (each merge is a handful of statements).
LINK_SHARE, MAX_LINKS = 0.03, 500
OWNERS = ("rina", "budi", "sari", "dewi")
OUTCOMES = (("reached", 0.5), ("resolved", 0.35), ("unreachable", 0.15))


def add_journeys(engine: Engine, start: datetime, end: datetime, rng: random.Random) -> Dict[str, int]:
    """Link some customers and open (and mostly close) follow-ups; rows written per table."""
    start, end = utc_naive(start), utc_naive(end)
    now = min(end, datetime.utcnow())
    return {"customer_links": _link_customers(engine, rng, now),
            "follow_ups": _follow_ups(engine, start, end, now, rng)}


def _link_customers(engine: Engine, rng: random.Random, now: datetime) -> int:
    with session_factory(engine)() as session, session.begin():
        def customers_on(channel: str):
            return session.scalars(
                select(CustomerIdentity.customer_id).where(CustomerIdentity.channel == channel)
                .group_by(CustomerIdentity.customer_id)
                .having(func.count() == 1).order_by(CustomerIdentity.customer_id)
            ).all()

        web, telegram = customers_on("web"), customers_on("telegram")
        pairs = min(int(len(web) * LINK_SHARE), len(telegram), MAX_LINKS)
        chosen = zip(rng.sample(web, pairs), rng.sample(telegram, pairs), strict=True)
        for web_customer, tg_customer in chosen:
            external = session.scalar(select(CustomerIdentity.external_id).where(
                CustomerIdentity.customer_id == web_customer))
            merge_customers(session, tg_customer, web_customer, "code", "telegram", "web",
                            external, now)
        return pairs


def _follow_ups(engine: Engine, start: datetime, end: datetime, now: datetime,
                rng: random.Random) -> int:
    levels = ServiceLevels()
    with session_factory(engine)() as session, session.begin():
        low = select(SurveyAnswer.conversation_id, SurveyAnswer.kind, SurveyAnswer.score,
                     SurveyAnswer.answered_at).where(
            SurveyAnswer.status == "answered",
            ((SurveyAnswer.kind == CSAT) & (SurveyAnswer.score <= 2))
            | ((SurveyAnswer.kind == "nps") & (SurveyAnswer.score <= 6))
            | ((SurveyAnswer.kind == "resolved") & (SurveyAnswer.score == 0)))
        triggers: Dict[int, tuple] = {}
        for conversation_id, kind, score, at in session.execute(low.order_by(SurveyAnswer.id)):
            triggers.setdefault(conversation_id, ("unresolved" if kind == "resolved" else kind,
                                                  score, at))
        conversations = session.execute(
            select(Conversation.id, Conversation.customer_id, Conversation.agent,
                   Conversation.started_at, Conversation.negative_messages)
            .where(Conversation.started_at >= start, Conversation.started_at < end,
                   ~select(FollowUp.id).where(FollowUp.conversation_id == Conversation.id)
                   .exists())
            .order_by(Conversation.id)
        ).all()
        rows = []
        for c in conversations:
            reason, score, at = triggers.get(c.id) or (
                ("negative", None, c.started_at + timedelta(minutes=2))
                if c.negative_messages >= 2 else (None, None, None))
            if reason is None or at is None or at > now:
                continue
            due = add_business_time(at, levels.follow_up, levels.business_hours, levels.timezone)
            row = {"conversation_id": c.id, "customer_id": c.customer_id, "reason": reason,
                   "score": score, "opened_at": at, "due_at": due, "owner": c.agent,
                   "closed_at": None, "outcome": None, "closed_by": None}
            if now - at > timedelta(days=1) and rng.random() < 0.85:
                in_time = rng.random() < 0.7
                hours = rng.uniform(0.5, 7.5) if in_time else rng.uniform(8.5, 30)
                closed = add_business_time(at, timedelta(hours=hours), levels.business_hours,
                                           levels.timezone)
                if closed <= now:
                    owner = c.agent or rng.choice(OWNERS)
                    outcome = rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
                    row.update(owner=owner, closed_at=closed, outcome=outcome, closed_by=owner)
            rows.append(row)
        if rows:
            session.execute(insert(FollowUp), rows)
        return len(rows)
