"""Conversations: identity, inactivity window, counters, topics, transcripts, closing."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from cxm_store.db import session_factory
from cxm_store.models import Conversation, ConversationTopic, Customer, Message
from cxm_store.touchpoints import (
    close_conversation,
    close_idle_conversations,
    customer_id_for,
    open_conversation_for,
    record_bot_message,
    record_customer_message,
    set_outcome,
)

T = datetime(2024, 5, 6, 9, 0)
MIN = timedelta(minutes=1)


def _conversation(engine, conversation_id) -> Conversation:
    with session_factory(engine)() as session:
        return session.get(Conversation, conversation_id)


def _say(engine, at, text="halo", channel="web", who="s1", **kw):
    kw.setdefault("language", "id")
    return record_customer_message(channel, who, text, at, engine=engine, **kw)


def test_first_message_creates_customer_and_conversation(engine):
    conv = _say(engine, T, intent="greet")
    c = _conversation(engine, conv)
    assert c.channel == "web" and c.language == "id" and c.outcome is None
    assert c.started_at == T and c.last_activity_at == T
    assert c.customer_message_count == 1 and c.primary_topic is None
    assert customer_id_for("web", "s1", engine) == c.customer_id
    assert customer_id_for("web", "nobody", engine) is None


def test_messages_within_the_window_continue_the_conversation(engine):
    first = _say(engine, T)
    # 29 min, then 30 min exactly, after the last activity: still the same one.
    assert _say(engine, T + 29 * MIN) == first
    assert _say(engine, T + 59 * MIN) == first
    assert _conversation(engine, first).customer_message_count == 3


def test_bot_replies_count_as_activity(engine):
    conv = _say(engine, T)
    record_bot_message(conv, "Halo!", T + 20 * MIN, engine=engine)
    # 45 min after the customer, but 25 after the bot: same conversation.
    assert _say(engine, T + 45 * MIN) == conv
    c = _conversation(engine, conv)
    assert c.bot_message_count == 1 and c.last_activity_at == T + 45 * MIN


def test_idle_conversation_is_abandoned_and_a_new_one_opened(engine):
    first = _say(engine, T)
    _say(engine, T + 5 * MIN)
    second = _say(engine, T + 36 * MIN)  # 31 min idle
    assert second != first
    old = _conversation(engine, first)
    # Ended when the customer was last heard from, not when they came back.
    assert old.outcome == "abandoned" and old.ended_at == T + 5 * MIN
    assert _conversation(engine, second).outcome is None
    assert _conversation(engine, first).customer_id == _conversation(engine, second).customer_id


def test_custom_inactivity_window(engine):
    first = _say(engine, T)
    assert _say(engine, T + 10 * MIN, inactivity=timedelta(minutes=5)) != first


def test_channels_and_identities_are_separate(engine):
    web = _say(engine, T, channel="web", who="42")
    telegram = _say(engine, T, channel="telegram", who="42")
    other = _say(engine, T, channel="web", who="43")
    assert len({web, telegram, other}) == 3
    with session_factory(engine)() as session:
        assert len(session.scalars(select(Customer)).all()) == 3


def test_closed_conversation_is_not_continued(engine):
    conv = _say(engine, T)
    assert close_conversation(conv, "resolved", T + MIN, engine=engine) is True
    assert _say(engine, T + 2 * MIN) != conv


def test_close_keeps_the_first_outcome(engine):
    conv = _say(engine, T)
    assert close_conversation(conv, "escalated", T + MIN, engine=engine) is True
    assert close_conversation(conv, "resolved", T + 2 * MIN, engine=engine) is False
    c = _conversation(engine, conv)
    assert c.outcome == "escalated" and c.ended_at == T + MIN


def test_close_rejects_unknown_outcome(engine):
    conv = _say(engine, T)
    with pytest.raises(ValueError):
        close_conversation(conv, "happy", T, engine=engine)


def test_mark_abandoned_closes_only_idle_open_conversations(engine):
    idle = _say(engine, T, who="a")
    recent = _say(engine, T + 50 * MIN, who="b")
    closed = _say(engine, T, who="c")
    close_conversation(closed, "resolved", T + MIN, engine=engine)
    # now = T + 60 min: "a" idle 60 min, "b" 10 min.
    assert close_idle_conversations(T + 60 * MIN, engine=engine) == 1
    assert _conversation(engine, idle).outcome == "abandoned"
    assert _conversation(engine, idle).ended_at == T
    assert _conversation(engine, recent).outcome is None
    assert _conversation(engine, closed).outcome == "resolved"
    assert close_idle_conversations(T + 60 * MIN, idle=timedelta(minutes=5), engine=engine) == 1
    assert close_idle_conversations(T + 60 * MIN, engine=engine) == 0


def test_topics_primary_topic_language_and_fallbacks(engine):
    conv = _say(engine, T, intent="greet", language="en")
    _say(engine, T + MIN, intent="nlu_fallback", is_fallback=True, confidence=0.2)
    _say(engine, T + 2 * MIN, intent="faq", topics=("faq/returns",), language="id")
    _say(engine, T + 3 * MIN, intent="check_order_status")
    _say(engine, T + 4 * MIN, intent="faq", topics=("faq/returns",))
    c = _conversation(engine, conv)
    # Small talk and fallbacks never become the primary topic.
    assert c.primary_topic == "faq/returns"
    assert c.language == "id"
    assert (c.customer_message_count, c.fallback_count) == (5, 1)
    with session_factory(engine)() as session:
        topics = session.execute(
            select(ConversationTopic.topic, ConversationTopic.first_seen_at)
            .where(ConversationTopic.conversation_id == conv)
            .order_by(ConversationTopic.first_seen_at)
        ).all()
    assert topics == [
        ("greet", T),
        ("faq/returns", T + 2 * MIN),
        ("check_order_status", T + 3 * MIN),
    ]


def test_transcript_is_masked_before_storage(engine):
    conv = _say(engine, T, text="email a@b.com, hp 0812-3456-7890, order INV-2024-00123")
    record_bot_message(conv, "Kami kirim ke a@b.com", T + MIN, engine=engine)
    record_bot_message(conv, "Saya Rina, agen CS", T + 2 * MIN, sender="agent", engine=engine)
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Message.sender, Message.text)
            .where(Message.conversation_id == conv)
            .order_by(Message.at)
        ).all()
    assert rows == [
        ("customer", "email [email], hp [phone], order INV-2024-00123"),
        ("bot", "Kami kirim ke [email]"),
        ("agent", "Saya Rina, agen CS"),  # the agent's own name is no customer's
    ]
    c = _conversation(engine, conv)
    assert (c.bot_message_count, c.agent_message_count) == (1, 1)


def test_aware_timestamps_are_stored_as_utc(engine):
    jakarta = timezone(timedelta(hours=7))
    conv = _say(engine, datetime(2024, 5, 6, 16, 0, tzinfo=jakarta))
    assert _conversation(engine, conv).started_at == T


# --- Open until idle, whatever the outcome -----------------------------------------


def test_outcome_does_not_end_the_conversation(engine):
    conv = _say(engine, T, intent="faq", topics=("faq/returns",))
    assert set_outcome(conv, "resolved", engine=engine) is True
    # "thanks", then one more question 10 min later: same conversation.
    assert _say(engine, T + 2 * MIN, text="makasih", intent="thanks") == conv
    assert _say(engine, T + 12 * MIN, text="ongkirnya?", intent="faq") == conv
    c = _conversation(engine, conv)
    assert (c.outcome, c.ended_at, c.customer_message_count) == ("resolved", None, 3)


def test_outcome_is_revised_while_open_and_escalated_stands(engine):
    conv = _say(engine, T)
    assert set_outcome(conv, "resolved", engine=engine) is True
    assert set_outcome(conv, "unresolved", engine=engine) is True
    assert _conversation(engine, conv).outcome == "unresolved"
    assert set_outcome(conv, "escalated", engine=engine) is True
    # The customer then says it is solved: a person took over, so it stays escalated.
    assert set_outcome(conv, "resolved", engine=engine) is False
    assert set_outcome(conv, "unresolved", engine=engine) is False
    assert _conversation(engine, conv).outcome == "escalated"


def test_set_outcome_rejects_abandoned_and_unknown(engine):
    conv = _say(engine, T)
    for outcome in ("abandoned", "happy"):
        with pytest.raises(ValueError):
            set_outcome(conv, outcome, engine=engine)


def test_ended_conversation_keeps_its_outcome(engine):
    conv = _say(engine, T)
    set_outcome(conv, "resolved", engine=engine)
    close_idle_conversations(T + 31 * MIN, engine=engine)
    assert set_outcome(conv, "escalated", engine=engine) is False
    c = _conversation(engine, conv)
    assert (c.outcome, c.ended_at) == ("resolved", T)


def test_idle_conversation_with_an_outcome_keeps_it_when_the_customer_returns(engine):
    first = _say(engine, T)
    set_outcome(first, "unresolved", engine=engine)
    record_bot_message(first, "Maaf Kak", T + 3 * MIN, engine=engine)
    second = _say(engine, T + 40 * MIN)  # 37 min after the last activity
    assert second != first
    old = _conversation(engine, first)
    assert (old.outcome, old.ended_at) == ("unresolved", T + 3 * MIN)


def test_close_idle_conversations_keeps_outcomes_and_abandons_the_rest(engine):
    silent = _say(engine, T, who="a")
    resolved = _say(engine, T, who="b")
    set_outcome(resolved, "resolved", engine=engine)
    escalated = _say(engine, T, who="c")
    set_outcome(escalated, "escalated", engine=engine)
    recent = _say(engine, T + 50 * MIN, who="d")
    set_outcome(recent, "resolved", engine=engine)
    # now = T + 60 min: a, b, c idle 60 min; d only 10 min.
    assert close_idle_conversations(T + 60 * MIN, engine=engine) == 3
    got = {k: _conversation(engine, v) for k, v in
           {"a": silent, "b": resolved, "c": escalated, "d": recent}.items()}
    assert {k: (c.outcome, c.ended_at) for k, c in got.items()} == {
        "a": ("abandoned", T),
        "b": ("resolved", T),
        "c": ("escalated", T),
        "d": ("resolved", None),
    }


def test_customer_who_leaves_the_queue_abandons_the_waiting_handoff(engine):
    from cxm_store.handoffs import claim_handoff, get_handoff, request_handoff, waiting_queue

    left = _say(engine, T, who="left")
    waiting = request_handoff(left, T, reason="request", engine=engine)
    helped = _say(engine, T, who="helped")
    taken = request_handoff(helped, T, reason="request", engine=engine)
    assert claim_handoff(taken, "rina", T + MIN, engine=engine)
    record_bot_message(helped, "Halo, saya Rina", T + 25 * MIN, sender="agent", engine=engine)
    # now = T + 40 min: "left" has been silent 40 min; "helped" had an agent reply 15 min ago.
    assert close_idle_conversations(T + 40 * MIN, engine=engine) == 1
    assert get_handoff(waiting, engine=engine)["status"] == "abandoned"
    assert get_handoff(taken, engine=engine)["status"] == "claimed"
    assert waiting_queue(T + 40 * MIN, engine=engine) == []


def test_explicit_close_respects_stronger_outcomes(engine):
    escalated = _say(engine, T, who="a")
    set_outcome(escalated, "escalated", engine=engine)
    assert close_conversation(escalated, "resolved", T + MIN, engine=engine) is True
    resolved = _say(engine, T, who="b")
    set_outcome(resolved, "resolved", engine=engine)
    assert close_conversation(resolved, "abandoned", T + MIN, engine=engine) is True
    unresolved = _say(engine, T, who="c")
    set_outcome(unresolved, "unresolved", engine=engine)
    assert close_conversation(unresolved, "escalated", T + MIN, engine=engine) is True
    outcomes = [_conversation(engine, c).outcome for c in (escalated, resolved, unresolved)]
    assert outcomes == ["escalated", "resolved", "escalated"]


def test_open_conversation_for_an_identity(engine):
    assert open_conversation_for("s1", engine=engine) is None
    web = _say(engine, T, channel="web", who="s1")
    assert open_conversation_for("s1", engine=engine) == web
    telegram = _say(engine, T + MIN, channel="telegram", who="s1")
    # Any channel: the latest active; one channel: that one.
    assert open_conversation_for("s1", engine=engine) == telegram
    assert open_conversation_for("s1", channel="web", engine=engine) == web
    close_idle_conversations(T + 2 * 60 * MIN, engine=engine)
    assert open_conversation_for("s1", engine=engine) is None


def test_dedupe_stores_a_replayed_message_once(engine):
    at = T + MIN
    conv = _say(engine, at, text="email a@b.com")
    assert _say(engine, at, text="email a@b.com", dedupe=True) == conv
    bot = record_bot_message(conv, "Baik", at, engine=engine)
    assert record_bot_message(conv, "Baik", at, engine=engine, dedupe=True) == bot
    # Without dedupe (or with another time) it is a new message.
    _say(engine, at + MIN, text="email a@b.com", dedupe=True)
    c = _conversation(engine, conv)
    assert (c.customer_message_count, c.bot_message_count) == (2, 1)
    with session_factory(engine)() as session:
        assert len(session.scalars(select(Message)).all()) == 3
