"""Recording survey answers and deciding whom to survey.

Scales: ``resolved`` 0/1 (no/yes), ``csat`` 1-5, ``ces`` 1-7 (7 = very easy),
``nps`` 0-10; ``comment`` is free text without a score.
"""
from datetime import datetime, timedelta
from typing import Optional, Tuple, Union

from sqlalchemy import exists, select
from sqlalchemy.engine import Engine

from cxm_store.db import session_factory, utc_naive
from cxm_store.models import SURVEY_KINDS, SURVEY_STATUSES, Conversation, SurveyAnswer
from cxm_store.pii import mask_pii
from cxm_store.touchpoints import customer_id_for

SCALES = {"resolved": (0, 1), "csat": (1, 5), "ces": (1, 7), "nps": (0, 10)}
NPS_INTERVAL = timedelta(days=90)

CustomerRef = Union[int, Tuple[str, str]]


def record_survey_answer(
    conversation_id: int,
    kind: str,
    score: Optional[int],
    at: Optional[datetime],
    asked_at: datetime,
    comment: Optional[str] = None,
    status: str = "answered",
    agent: Optional[str] = None,
    engine: Engine = None,
) -> int:
    """Store one survey question put to the customer of a conversation.

    A ``resolved`` answer also sets the conversation's ``resolved_confirmed``.

    Args:
        conversation_id: The conversation surveyed.
        kind: ``resolved``, ``csat``, ``ces``, ``nps`` or ``comment``.
        score: On the kind's scale; None when declined, unanswered, or a comment.
        at: When the customer replied (ignored for ``unanswered``).
        asked_at: When the question was asked.
        comment: Free text; PII is masked before it is stored.
        status: ``answered``, ``declined`` (customer said no) or ``unanswered``
            (asked, no reply).
        agent: The human agent the answer is about, if any.
        engine: Store engine (default: the configured one).

    Returns:
        The answer id.

    Raises:
        ValueError: Unknown kind or status, or a score off the kind's scale.
    """
    _check(kind, score, status)
    with session_factory(engine)() as session, session.begin():
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise LookupError(f"no conversation {conversation_id}")
        answer = SurveyAnswer(
            conversation_id=conversation_id,
            customer_id=conversation.customer_id,
            kind=kind,
            score=score,
            comment=mask_pii(comment) if comment else None,
            status=status,
            asked_at=utc_naive(asked_at),
            answered_at=utc_naive(at) if at is not None and status != "unanswered" else None,
            agent=agent,
        )
        session.add(answer)
        if kind == "resolved" and status == "answered":
            conversation.resolved_confirmed = score == 1
        session.flush()
        return answer.id


def was_surveyed(conversation_id: int, engine: Engine = None) -> bool:
    """Return True if any survey question was put in this conversation, answered or not."""
    with session_factory(engine)() as session:
        return session.scalar(
            select(exists().where(SurveyAnswer.conversation_id == conversation_id))
        )


def nps_due(customer: CustomerRef, now: datetime, engine: Engine = None) -> bool:
    """Return True if the customer may be asked the NPS question now.

    NPS is asked at most once per customer per 90 days, counted from the last
    time it was *asked* (a declined or ignored question still counts, so
    nobody is nagged). A customer never seen before is due.

    Args:
        customer: Customer id, or ``(channel, external_id)`` of one of their identities.
        now: The current time.
        engine: Store engine (default: the configured one).
    """
    if isinstance(customer, tuple):
        customer = customer_id_for(*customer, engine=engine)
        if customer is None:
            return True
    since = utc_naive(now) - NPS_INTERVAL
    with session_factory(engine)() as session:
        asked_recently = session.scalar(
            select(
                exists().where(
                    SurveyAnswer.customer_id == customer,
                    SurveyAnswer.kind == "nps",
                    SurveyAnswer.asked_at > since,
                )
            )
        )
        return not asked_recently


def _check(kind: str, score: Optional[int], status: str) -> None:
    if kind not in SURVEY_KINDS:
        raise ValueError(f"kind must be one of {SURVEY_KINDS}, not {kind!r}")
    if status not in SURVEY_STATUSES:
        raise ValueError(f"status must be one of {SURVEY_STATUSES}, not {status!r}")
    if status != "answered" or kind == "comment":
        if score is not None:
            raise ValueError(f"a {status} {kind} answer has no score")
        return
    low, high = SCALES[kind]
    if score is None or not low <= score <= high:
        raise ValueError(f"{kind} score must be {low}-{high}, not {score!r}")
