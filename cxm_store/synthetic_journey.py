"""The demo history's journeys: customers linked across channels, and their follow-ups.

Called by :func:`cxm_store.synthetic.generate` once the conversations are
written. A few customers who wrote on the web are proved to be customers who
wrote on Telegram (as a one-time code would; the merge is the live one,
:func:`cxm_store.identity.merge_customers`); every unhappy conversation gets
its follow-up (the rules of :mod:`cxm_store.follow_ups`). The team keeps up:
every follow-up past its due time is closed (nine in ten in time) but the
latest few (:data:`OVERDUE_LEFT_OPEN`), and about half of those not yet due.
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
# Follow-ups left open past their due time: a handful for the demo to highlight.
OVERDUE_LEFT_OPEN = 4


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


def _close(row: Dict, now: datetime, levels: ServiceLevels, rng: random.Random) -> None:
    """Close a demo follow-up: in time (before it is due) nine times out of ten."""
    hours = levels.follow_up.total_seconds() / 3600
    spent = rng.uniform(0.1, 0.95) * hours if rng.random() < 0.9 else rng.uniform(1.05, 3) * hours
    closed = add_business_time(row["opened_at"], timedelta(hours=spent), levels.business_hours,
                               levels.timezone)
    if closed > now:  # not late yet: closed in time instead, before now
        closed = row["opened_at"] + (min(now, row["due_at"]) - row["opened_at"]) * rng.random()
    owner = row["owner"] or rng.choice(OWNERS)
    outcome = rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
    row.update(owner=owner, closed_at=closed, outcome=outcome, closed_by=owner)


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
            rows.append({"conversation_id": c.id, "customer_id": c.customer_id, "reason": reason,
                         "score": score, "opened_at": at, "due_at": due, "owner": c.agent,
                         "closed_at": None, "outcome": None, "closed_by": None})
        # A team that keeps up: every follow-up past its due time is closed, most in
        # time, but for the latest few; half of those not yet due are done already.
        overdue = sorted((r for r in rows if r["due_at"] <= now), key=lambda r: r["due_at"])
        left_open = {id(r) for r in overdue[-OVERDUE_LEFT_OPEN:]}
        for row in rows:
            if id(row) not in left_open and (row["due_at"] <= now or rng.random() < 0.5):
                _close(row, now, levels, rng)
        if rows:
            session.execute(insert(FollowUp), rows)
        return len(rows)
