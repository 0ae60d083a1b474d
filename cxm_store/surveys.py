"""Recording survey answers and deciding whom to survey.

Scales: ``resolved`` 0/1 (no/yes), ``csat`` 1-5, ``ces`` 1-7 (7 = very easy),
``nps`` 0-10; ``comment`` is free text without a score.
"""
from datetime import datetime, timedelta
from typing import Optional, Tuple, Union

from sqlalchemy import exists, select
from sqlalchemy.engine import Engine

from contract.vocabulary import SCALES, SURVEY_KINDS, SURVEY_STATUSES
from cxm_store.db import session_factory, utc_naive
from cxm_store.follow_ups import on_survey_answer
from cxm_store.metric_counters import count_survey
from cxm_store.models import (
    Conversation,
    SurveyAnswer,
    survey_tally,
)
from cxm_store.pii import mask_pii
from cxm_store.touchpoints import customer_id_for

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
    """Store one survey question put to a customer and what came back, in one go.

    For back-fills and imports; live capture records the question when it is
    asked (:func:`record_survey_question`) and the reply when it comes
    (:func:`record_survey_response`). A ``resolved`` answer also sets the
    conversation's ``resolved_confirmed``.

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
        count_survey(session, conversation_id, survey_tally(kind, status, score))
        on_survey_answer(session, conversation, kind, status, score, answer.answered_at or asked_at)
        return answer.id


def record_survey_question(
    conversation_id: int,
    kind: str,
    asked_at: datetime,
    agent: Optional[str] = None,
    engine: Engine = None,
) -> int:
    """Store that survey question ``kind`` was put to the customer; it stays ``unanswered``
    until :func:`record_survey_response` fills it in.

    Asking again a question of the conversation that is still unanswered
    (the bot repeats it) keeps the first row and its ``asked_at``; the same
    question at the same time is the same row, so a replayed write is harmless.

    Args:
        conversation_id: The conversation surveyed.
        kind: ``resolved``, ``csat``, ``ces``, ``nps`` or ``comment``.
        asked_at: When the question was asked.
        agent: The human agent the answer will be about; default the
            conversation's agent (who claimed its handoff), if any.
        engine: Store engine (default: the configured one).

    Returns:
        The answer row id.
    """
    _check(kind, None, "unanswered")
    with session_factory(engine)() as session, session.begin():
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise LookupError(f"no conversation {conversation_id}")
        asked_at = utc_naive(asked_at)
        pending = _pending(session, conversation_id, kind)
        if pending is not None:
            return pending.id
        replayed = session.scalar(
            select(SurveyAnswer.id).where(
                SurveyAnswer.conversation_id == conversation_id,
                SurveyAnswer.kind == kind,
                SurveyAnswer.asked_at == asked_at,
            )
        )
        if replayed is not None:
            return replayed
        answer = SurveyAnswer(
            conversation_id=conversation_id,
            customer_id=conversation.customer_id,
            kind=kind,
            status="unanswered",
            asked_at=asked_at,
            agent=agent or conversation.agent,
        )
        session.add(answer)
        session.flush()
        count_survey(session, conversation_id, survey_tally(kind, "unanswered", None))
        return answer.id


def record_survey_response(
    conversation_id: int,
    kind: str,
    at: datetime,
    score: Optional[int] = None,
    comment: Optional[str] = None,
    status: str = "answered",
    agent: Optional[str] = None,
    engine: Engine = None,
) -> int:
    """Store the customer's reply to survey question ``kind`` on the row that asked it.

    The latest unanswered row of that kind in the conversation gets the
    reply. With none (the question was never recorded as asked), a row is
    inserted with ``asked_at`` = ``at``. The same reply stored again (same
    kind and time) changes nothing, so a replayed write is harmless.

    Args:
        conversation_id: The conversation surveyed.
        kind: ``resolved``, ``csat``, ``ces``, ``nps`` or ``comment``.
        at: When the customer replied.
        score: On the kind's scale (``resolved``: 1 yes, 0 no); None when
            declined or for a comment.
        comment: Free text of a ``comment`` answer; PII is masked before it is stored.
        status: ``answered`` or ``declined``.
        agent: Used only when a row has to be inserted (default: the
            conversation's agent).
        engine: Store engine (default: the configured one).

    Returns:
        The answer row id.

    Raises:
        ValueError: Unknown kind, a status other than answered/declined, or a
            score off the kind's scale.
    """
    if status not in ("answered", "declined"):
        raise ValueError(f"a reply is answered or declined, not {status!r}")
    _check(kind, score, status)
    at = utc_naive(at)
    with session_factory(engine)() as session, session.begin():
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise LookupError(f"no conversation {conversation_id}")
        row = _pending(session, conversation_id, kind)
        # What the row adds to the tallies before the reply (nothing when new).
        before = survey_tally(kind, row.status, row.score) if row is not None else None
        if row is None:
            replayed = session.scalar(
                select(SurveyAnswer).where(
                    SurveyAnswer.conversation_id == conversation_id,
                    SurveyAnswer.kind == kind,
                    SurveyAnswer.answered_at == at,
                )
            )
            if replayed is not None:
                return replayed.id
            row = SurveyAnswer(
                conversation_id=conversation_id,
                customer_id=conversation.customer_id,
                kind=kind,
                asked_at=at,
                agent=agent or conversation.agent,
            )
            session.add(row)
        row.status = status
        row.score = score
        row.comment = mask_pii(comment) if comment else None
        row.answered_at = at
        if kind == "resolved" and status == "answered":
            conversation.resolved_confirmed = score == 1
        session.flush()
        after = survey_tally(kind, status, score)
        if before is None:
            count_survey(session, conversation_id, after)
        else:
            # The question was counted when asked: add only what the reply changes.
            count_survey(session, conversation_id, tuple(n - o for n, o in zip(after, before)))
        on_survey_answer(session, conversation, kind, status, score, at)
        return row.id


def _pending(session, conversation_id: int, kind: str) -> Optional[SurveyAnswer]:
    """The latest still-unanswered question of ``kind`` in the conversation."""
    return session.scalar(
        select(SurveyAnswer)
        .where(
            SurveyAnswer.conversation_id == conversation_id,
            SurveyAnswer.kind == kind,
            SurveyAnswer.status == "unanswered",
        )
        .order_by(SurveyAnswer.asked_at.desc(), SurveyAnswer.id.desc())
        .limit(1)
        .with_for_update()
    )


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
