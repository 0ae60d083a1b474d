"""Voice of the customer and other dashboard figures not in :mod:`cx_reports.metrics`.

Every function takes the same :class:`~cx_reports.metrics.MetricFilter` as the
metrics (conversations started in ``[start, end)``, channel, language, topic,
agent) and runs pure SQL aggregates (SQLite and PostgreSQL alike):

* :func:`unrecognised_questions`: customer messages flagged ``is_fallback``
  in the selected conversations, grouped by *normalised text* (lower-cased,
  trimmed, inner whitespace left as stored), most frequent first. These are
  the questions to add to the FAQ next. Texts are PII-masked at write time.
* :func:`topics_by_csat`: per topic (``conversation_topics``; a conversation
  counts under every topic it touched, like the topic breakdown), CSAT % =
  answered ``csat`` answers scored 4-5 / answered ``csat`` answers, lowest
  first, only topics with at least ``min_answers`` answers.
* :func:`topics_by_escalation`: per topic, outcome ``escalated`` / closed
  conversations (same definition as ``escalation_rate``), highest first, only
  topics with at least ``min_closed`` closed conversations.
* :func:`latest_low_scores`: the latest answered CSAT answers scored 1-2, with
  the conversation id, channel, language, primary topic and the customer's
  free-text ``comment`` answer of the same conversation (if any).
* :func:`negative_sentiment_trend` and :func:`topics_by_negative_sentiment`:
  a conversation is negative when the classifier (``cxm_store.sentiment``)
  labelled at least one of its customer messages negative; the share is over
  conversations with at least one scored customer message (counters kept by
  the write path: ``sentiment_count``, ``negative_messages``).
* :func:`first_response_median_seconds`: median of
  ``handoffs.first_agent_reply_at - handoffs.requested_at`` in seconds, over
  handoffs of the selected conversations with a first agent reply. This is the
  customer's view: from asking for a human to the first human reply (queue
  wait + time to type). ``metrics`` has no first-response metric, so it is
  computed here with the same percentile method as the handoff waits
  (``row_number()``/``count() OVER``, linear interpolation like
  ``percentile_cont``).
"""
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from contract.metrics import CSAT_PERCENT, ESCALATION_RATE
from contract.vocabulary import CSAT, CSAT_SATISFIED
from cx_reports import duration_figures, metrics, rollup_figures
from cx_reports.metrics import MetricFilter, filter_conditions, interpolated_percentile
from cxm_store.customer_images import PHOTO_LINE, conversation_images
from cxm_store.db import default_engine
from cxm_store.handoff_notes import conversation_notes
from cxm_store.models import Conversation, ConversationTopic, Handoff, Message, SurveyAnswer
from cxm_store.sqlfuncs import seconds_between

_c = Conversation.__table__
_t = ConversationTopic.__table__
_a = SurveyAnswer.__table__
_h = Handoff.__table__
_m = Message.__table__


def _engine(engine: Optional[Engine]) -> Engine:
    return engine or default_engine()


def _iso(value: Any) -> Any:
    return value.replace(microsecond=0).isoformat() if hasattr(value, "isoformat") else value


def unrecognised_questions(
    flt: MetricFilter, limit: int = 20, engine: Engine = None
) -> List[Dict[str, Any]]:
    """Fallback customer messages grouped by normalised text, most frequent first.

    Each row: ``text`` (normalised), ``count``, ``conversations`` (distinct),
    ``last_at`` (ISO), ``example_conversation_id`` (the latest one).
    """
    # Grouped by the stored text in SQL, then by its normalised form here:
    # the column may be encrypted (cxm_store.encryption), and equal texts
    # are equal ciphertexts, but lower() of a ciphertext means nothing.
    query = (
        select(
            _m.c.text,
            func.count().label("count"),
            func.count(func.distinct(_m.c.conversation_id)).label("conversations"),
            func.max(_m.c.at).label("last_at"),
            func.max(_m.c.conversation_id).label("example_conversation_id"),
        )
        .select_from(_m.join(_c, _c.c.id == _m.c.conversation_id))
        .where(_m.c.sender == "customer", _m.c.is_fallback.is_(True), *filter_conditions(flt))
        .group_by(_m.c.text)
    )
    with _engine(engine).connect() as connection:
        groups: Dict[str, Dict[str, Any]] = {}
        for row in connection.execute(query).mappings():
            key = (row["text"] or "").strip().lower()
            group = groups.get(key)
            if group is None:
                groups[key] = {**row, "text": key}
                continue
            # Spellings of one question: counted together (a conversation
            # with two spellings counts once per spelling).
            group["count"] += row["count"]
            group["conversations"] += row["conversations"]
            group["last_at"] = max(group["last_at"], row["last_at"])
            group["example_conversation_id"] = max(group["example_conversation_id"], row["example_conversation_id"])
    rows = sorted(groups.values(), key=lambda g: (-g["count"], g["text"]))[:limit]
    return [{**row, "last_at": _iso(row["last_at"])} for row in rows]


def _percent(numerator: ColumnElement, denominator: ColumnElement) -> ColumnElement:
    return case((denominator == 0, None), else_=literal(100.0) * numerator / denominator)


def topics_by_csat(
    flt: MetricFilter, limit: int = 10, min_answers: int = 5, engine: Engine = None
) -> List[Dict[str, Any]]:
    """Topics with the lowest CSAT % (answered CSAT, 4-5 = satisfied), lowest first."""
    answers = func.count()
    satisfied = func.count(case((_a.c.score.between(*CSAT_SATISFIED), 1)))
    csat = _percent(satisfied, answers)
    query = (
        select(_t.c.topic, answers.label("answers"), csat.label(CSAT_PERCENT))
        .select_from(
            _c.join(_t, _t.c.conversation_id == _c.c.id).join(
                _a, _a.c.conversation_id == _c.c.id
            )
        )
        .where(
            _a.c.kind == CSAT, _a.c.status == "answered", _a.c.score.isnot(None), *filter_conditions(flt)
        )
        .group_by(_t.c.topic)
        .having(answers >= min_answers)
        .order_by(csat, _t.c.topic)
        .limit(limit)
    )
    with _engine(engine).connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings().all()]


def topics_by_escalation(
    flt: MetricFilter, limit: int = 10, min_closed: int = 5, engine: Engine = None
) -> List[Dict[str, Any]]:
    """Topics with the highest escalation % (escalated / closed conversations), highest first."""
    closed = func.count(case((_c.c.ended_at.isnot(None), 1)))
    escalated = func.count(case((and_(_c.c.ended_at.isnot(None), _c.c.outcome == "escalated"), 1)))
    rate = _percent(escalated, closed)
    columns = {"closed": closed, "escalated": escalated, ESCALATION_RATE: rate}
    return _per_topic(flt, columns, closed >= min_closed, (rate.desc(),), limit, engine)


def _per_topic(
    flt: MetricFilter,
    columns: Dict[str, ColumnElement],
    having: ColumnElement,
    order_by: Tuple[ColumnElement, ...],
    limit: int,
    engine: Optional[Engine],
) -> List[Dict[str, Any]]:
    """Aggregates over the selected conversations per topic they touched (ties by topic)."""
    query = (
        select(_t.c.topic, *(column.label(name) for name, column in columns.items()))
        .select_from(_c.join(_t, _t.c.conversation_id == _c.c.id))
        .where(*filter_conditions(flt))
        .group_by(_t.c.topic)
        .having(having)
        .order_by(*order_by, _t.c.topic)
        .limit(limit)
    )
    with _engine(engine).connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings().all()]


def latest_low_scores(
    flt: MetricFilter, limit: int = 20, engine: Engine = None
) -> List[Dict[str, Any]]:
    """Latest answered CSAT answers scored 1-2, newest first, with the conversation's comment."""
    comment = aliased(_a)
    comment_text = (
        select(func.max(comment.c.comment))
        .where(
            comment.c.conversation_id == _a.c.conversation_id,
            comment.c.kind == "comment",
            comment.c.status == "answered",
        )
        .scalar_subquery()
    )
    moment = func.coalesce(_a.c.answered_at, _a.c.asked_at)
    query = (
        select(
            _a.c.conversation_id,
            _a.c.score,
            moment.label("answered_at"),
            _c.c.channel,
            _c.c.language,
            _c.c.primary_topic.label("topic"),
            _c.c.agent,
            comment_text.label("comment"),
        )
        .select_from(_a.join(_c, _c.c.id == _a.c.conversation_id))
        .where(
            _a.c.kind == CSAT,
            _a.c.status == "answered",
            _a.c.score.between(1, 2),
            *filter_conditions(flt),
        )
        .order_by(moment.desc(), _a.c.id.desc())
        .limit(limit)
    )
    with _engine(engine).connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [{**row, "answered_at": _iso(row["answered_at"])} for row in rows]


def _negative_share() -> Tuple[ColumnElement, ColumnElement, ColumnElement]:
    """(scored, negative, negative %): conversations with a scored customer message,
    those with a negative one, and the share.
    """
    scored = func.count(case((_c.c.sentiment_count > 0, 1)))
    negative = func.count(case((_c.c.negative_messages > 0, 1)))
    return scored, negative, _percent(negative, scored)


def negative_sentiment_trend(
    flt: MetricFilter, grain: str = "day", engine: Engine = None
) -> List[Tuple[str, Optional[float]]]:
    """% of conversations (with a scored customer message) that had a negative one, per
    local day or ISO week of their start, oldest first; with start and end set, empty
    periods are listed with None. Whole local days come from the daily rollup's
    sentiment counts (cxm_store.rollups), partial ones from the conversations.
    """
    with _engine(engine).connect() as connection:
        per_period = rollup_figures.summed(connection, flt, grain)
    values = {
        key: 100.0 * t["sentiment_negative"] / t["sentiment_scored"] if t["sentiment_scored"]
        else None
        for key, t in per_period.items() if t["conversations"] > 0
    }
    if flt.start is not None and flt.end is not None:
        for key in metrics.periods(flt, grain):
            values.setdefault(key, None)
    return sorted(values.items())


def topics_by_negative_sentiment(
    flt: MetricFilter, limit: int = 10, engine: Engine = None
) -> List[Dict[str, Any]]:
    """Topics with the most negative conversations (a negative customer message), most first."""
    scored, negative, share = _negative_share()
    columns = {"scored": scored, "negative": negative, "negative_percent": share}
    return _per_topic(flt, columns, negative > 0, (negative.desc(), share.desc()), limit, engine)


def first_response_median_seconds(flt: MetricFilter, engine: Engine = None) -> Optional[float]:
    """Median seconds from handoff request to the first agent reply (replied handoffs only).

    From the duration histograms when the rollup serves ``flt`` (within 1 s + 5 %
    of the exact value: cxm_store.duration_rollups), else exactly from the handoffs.
    """
    with _engine(engine).connect() as connection:
        if rollup_figures.usable(connection, flt):
            return duration_figures.clock_percentile(connection, flt, "first_response", 50)
    seconds = seconds_between(_h.c.first_agent_reply_at, _h.c.requested_at)
    ranked = (
        select(
            seconds.label("v"),
            func.row_number().over(order_by=seconds).label("rn"),
            func.count().over().label("n"),
        )
        .select_from(_h.join(_c, _c.c.id == _h.c.conversation_id))
        .where(_h.c.first_agent_reply_at.isnot(None), *filter_conditions(flt))
        .subquery("ranked")
    )
    value = interpolated_percentile(ranked, 50)
    # An empty set sums to NULL: no replied handoff, no median.
    with _engine(engine).connect() as connection:
        result = connection.execute(select(value).select_from(ranked)).scalar()
    return None if result is None else float(result)


def transcript(conversation_id: int, engine: Engine = None) -> Optional[Dict[str, Any]]:
    """A conversation's header and its (PII-masked) transcript, for the read-only lead view.

    ``messages`` holds, oldest first, what the customer, the bot and the agents
    wrote, each ``[photo]`` line with its picture under ``image`` (the n-th
    photo line shows the n-th picture, as in the console), and the agents-only
    notes and transfers under ``note`` (sender ``note``), each after the lines
    written before it.
    """
    with _engine(engine).connect() as connection:
        head = connection.execute(select(_c).where(_c.c.id == conversation_id)).mappings().first()
        if head is None:
            return None
        lines = connection.execute(
            select(_m.c.at, _m.c.sender, _m.c.text, _m.c.intent, _m.c.is_fallback)
            .where(_m.c.conversation_id == conversation_id)
            .order_by(_m.c.at, _m.c.id)
        ).mappings().all()
        answers = connection.execute(
            select(_a.c.kind, _a.c.score, _a.c.comment, _a.c.status)
            .where(_a.c.conversation_id == conversation_id)
            .order_by(_a.c.asked_at, _a.c.id)
        ).mappings().all()
    pictures = iter(conversation_images(conversation_id, engine=engine))
    shown: List[Dict[str, Any]] = [
        {**line, "image": next(pictures, None) if line["sender"] == "customer" and line["text"] == PHOTO_LINE else None}
        for line in lines
    ]
    notes = [
        {"at": note["at"], "sender": "note", "text": note["text"], "note": note}
        for note in conversation_notes(conversation_id, engine=engine)
    ]
    # Stable: a note follows the lines written at or before its time.
    timeline = sorted(shown + notes, key=lambda entry: entry["at"])
    return {
        "conversation": {k: _iso(v) for k, v in head.items()},
        "messages": [{**entry, "at": _iso(entry["at"])} for entry in timeline],
        "survey": [dict(answer) for answer in answers],
    }
