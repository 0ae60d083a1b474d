"""The capture broker: Rasa events in, touchpoint rows out (SQLite and PostgreSQL)."""
import asyncio
import json
import logging
import time
from datetime import datetime, timedelta, timezone

import pytest
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import exc as sa_exc
from sqlalchemy import select

from bot.capture import Spool, TouchpointRecorder, describe
from cxm_store.db import engine_for, session_factory
from cxm_store.models import Conversation, ConversationTopic, Handoff, Message, SurveyAnswer
from tests.capture import events as ev

T = datetime(2026, 5, 6, 9, 0)
S = timedelta(seconds=1)
MIN = timedelta(minutes=1)


@pytest.fixture
def recorder_for(store_url, tmp_path):
    """Start recorders on the test store; all are stopped at the end."""
    started = []

    def start(**kw):
        kw.setdefault("sweep_interval", 3600)
        kw.setdefault("retry_initial", 0.05)
        recorder = TouchpointRecorder(
            database_url=store_url, spool_dir=str(tmp_path / "spool"), **kw
        )
        started.append(recorder)
        return recorder

    yield start
    for recorder in started:
        recorder.stop()


@pytest.fixture
def recorder(recorder_for):
    return recorder_for()


def feed(recorder, events):
    for event in events:
        recorder.publish(event)
    assert recorder.wait_idle(20), "the worker did not store everything in time"


def conversations(url):
    with session_factory(engine_for(url))() as session:
        return session.scalars(select(Conversation).order_by(Conversation.id)).all()


def messages(url, conversation_id):
    with session_factory(engine_for(url))() as session:
        return session.execute(
            select(Message.sender, Message.text, Message.intent, Message.is_fallback)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.at, Message.id)
        ).all()


def topics(url, conversation_id):
    with session_factory(engine_for(url))() as session:
        return set(session.scalars(
            select(ConversationTopic.topic).where(
                ConversationTopic.conversation_id == conversation_id
            )
        ))


def survey_rows(url, conversation_id):
    with session_factory(engine_for(url))() as session:
        return [
            (r.kind, r.status, r.score, r.comment, r.asked_at, r.answered_at, r.agent)
            for r in session.scalars(
                select(SurveyAnswer)
                .where(SurveyAnswer.conversation_id == conversation_id)
                .order_by(SurveyAnswer.id)
            )
        ]


def test_a_real_rest_session(recorder, store_url):
    feed(recorder, ev.real_session())
    [c] = conversations(store_url)
    assert (c.channel, c.language, c.outcome, c.ended_at) == ("rest", "id", None, None)
    assert (c.customer_message_count, c.bot_message_count, c.fallback_count) == (6, 6, 0)
    assert c.primary_topic == "faq/returns"
    assert topics(store_url, c.id) == {
        "greet", "faq/returns", "faq/store_hours_contacts", "faq/product_availability",
        "request_human", "thanks",
    }
    lines = messages(store_url, c.id)
    assert [s for s, *_ in lines] == ["customer", "bot"] * 6
    # PII masked, full retrieval intent kept on the message.
    assert lines[4][:3] == ("customer", "email saya [email] hp [phone]", "faq/store_hours_contacts")
    assert lines[2][2] == "faq/returns"
    assert recorder.rejected == 0


@pytest.mark.parametrize("text, intent, questions, primary", [
    # A problem told beside a request for a person is about the problem.
    ("paket saya rusak pas nyampe, mau ngomong sama orang aja", "request_human",
     ["request_human", "faq/item_damaged"], "faq/item_damaged"),
    ("bisa cod gak? trus ongkir ke bekasi brp?", "faq/payment_methods",
     ["faq/payment_methods", "faq/shipping_cost"], "faq/payment_methods"),
])
def test_every_topic_a_message_raised_is_kept_the_reason_first(recorder, store_url, text, intent, questions, primary):
    said = ev.user("web-x", text, T, intent)
    said["parse_data"]["questions"] = questions
    feed(recorder, [*ev.session_start("web-x", T - S), said])
    [c] = conversations(store_url)
    assert c.primary_topic == primary
    assert topics(store_url, c.id) == set(questions)
    assert messages(store_url, c.id)[0][2] == intent


def test_language_fallbacks_and_a_new_conversation_after_idle(recorder, store_url):
    who = "s-lang"
    feed(recorder, [
        *ev.session_start(who, T),
        ev.user(who, "where is my order", T, "check_order_status", language="en"),
        ev.bot(who, "Which order number?", T + S),
        ev.user(who, "asdfgh", T + MIN, "nlu_fallback", confidence=0.2, language=None),
        ev.user(who, "qwerty", T + 2 * MIN, "nlu_fallback", confidence=0.25, language=None),
        # 40 idle minutes: a new conversation, still in the last known language.
        ev.user(who, "hello??", T + 42 * MIN, "greet", language=None),
    ])
    first, second = conversations(store_url)
    counts = (first.customer_message_count, first.bot_message_count, first.fallback_count)
    assert counts == (3, 1, 2)
    assert (first.language, first.primary_topic) == ("en", "check_order_status")
    assert (first.outcome, first.ended_at) == ("abandoned", T + 2 * MIN)
    assert [m[3] for m in messages(store_url, first.id)] == [False, False, True, True]
    assert topics(store_url, first.id) == {"check_order_status"}  # fallbacks record no topic
    assert (second.language, second.customer_message_count, second.ended_at) == ("en", 1, None)


def test_language_slot_is_remembered(recorder, store_url):
    who = "s-slot-lang"
    feed(recorder, [
        ev.user(who, "halo", T, "greet", language=None),
        ev.slot(who, "language", "en", T + S),
        ev.user(who, "ok", T + 45 * MIN, "affirm", language=None),
    ])
    first, second = conversations(store_url)
    assert (first.language, second.language) == (None, "en")


def test_survey_asked_answered_declined_and_unanswered(recorder, store_url):
    who = "s-survey"
    at = [T + i * MIN for i in range(12)]
    feed(recorder, [
        ev.user(who, "mau retur", at[0], "faq/returns"),
        ev.bot(who, "Caranya...", at[0] + S),
        ev.slot(who, "survey_question", "resolved", at[1]),
        ev.user(who, "ya", at[2], "affirm"),
        ev.slot(who, "survey_resolved", 1, at[2] + S),
        ev.slot(who, "conversation_outcome", "resolved", at[2] + S),
        ev.slot(who, "survey_question", "csat", at[3]),
        ev.user(who, "4", at[4], "inform"),
        ev.slot(who, "survey_csat", 4.0, at[4] + S),  # Rasa may hand floats over
        ev.slot(who, "survey_question", "ces", at[5]),
        ev.user(who, "skip", at[6], "deny"),
        ev.slot(who, "survey_ces", "declined", at[6] + S),
        ev.slot(who, "survey_question", "comment", at[7]),
        ev.user(who, "cepat, hub 081234567890", at[8], "inform"),
        ev.slot(who, "survey_comment", "cepat, hub 081234567890", at[8] + S),
        ev.slot(who, "survey_question", "nps", at[9]),
        ev.slot(who, "survey_question", None, at[11]),  # a reset records nothing
        # One more question after the survey: same conversation, outcome kept.
        ev.user(who, "oh, ongkir retur?", at[11], "faq/shipping"),
    ])
    [c] = conversations(store_url)
    assert (c.outcome, c.ended_at, c.resolved_confirmed, c.customer_message_count) == (
        "resolved", None, True, 6
    )
    assert survey_rows(store_url, c.id) == [
        ("resolved", "answered", 1, None, at[1], at[2] + S, None),
        ("csat", "answered", 4, None, at[3], at[4] + S, None),
        ("ces", "declined", None, None, at[5], at[6] + S, None),
        ("comment", "answered", None, "cepat, hub [phone]", at[7], at[8] + S, None),
        ("nps", "unanswered", None, None, at[9], None, None),
    ]


def test_handoff_outcome_agent_messages_and_attribution(recorder, store_url):
    who = "s-handoff"
    feed(recorder, [
        ev.user(who, "barang rusak, saya mau komplain", T, "complain"),
        ev.slot(who, "conversation_outcome", "unresolved", T + S),
        ev.user(who, "mau bicara dengan orang", T + MIN, "request_human"),
        ev.slot(who, "handoff_reason", "request", T + MIN + S),
        ev.slot(who, "conversation_outcome", "escalated", T + MIN + S),
        ev.bot(who, "Halo, saya Ani dari tim CS", T + 5 * MIN, agent="ani"),
        ev.slot(who, "handoff_agent", "ani", T + 20 * MIN),
        ev.slot(who, "conversation_outcome", "resolved", T + 20 * MIN),  # escalated stands
        ev.slot(who, "survey_question", "csat", T + 21 * MIN),
        ev.slot(who, "survey_csat", 5, T + 22 * MIN),
    ])
    [c] = conversations(store_url)
    assert (c.outcome, c.agent_message_count, c.bot_message_count) == ("escalated", 1, 0)
    assert messages(store_url, c.id)[-1][:2] == ("agent", "Halo, saya Ani dari tim CS")
    with session_factory(engine_for(store_url))() as session:
        [h] = session.scalars(select(Handoff)).all()
    assert (h.conversation_id, h.reason, h.requested_at, h.status) == (
        c.id, "request", T + MIN + S, "requested"
    )
    assert survey_rows(store_url, c.id) == [
        ("csat", "answered", 5, None, T + 21 * MIN, T + 22 * MIN, "ani")
    ]


def test_webchat_is_the_web_channel(recorder, store_url):
    feed(recorder, [ev.user("wc-1", "halo", T, "greet", channel="webchat")])
    assert conversations(store_url)[0].channel == "web"


def test_bot_message_after_a_restart_finds_the_open_conversation(recorder_for, store_url):
    first = recorder_for()
    feed(first, [ev.user("s-restart", "halo", T, "greet")])
    first.stop()
    second = recorder_for()  # knows nobody yet
    feed(second, [
        ev.bot("s-restart", "Masih ada yang bisa dibantu?", T + 5 * MIN),
        ev.bot("never-seen", "Promo!", T + 5 * MIN),  # no conversation: skipped
    ])
    [c] = conversations(store_url)
    assert c.bot_message_count == 1 and second.rejected == 0


def test_an_event_the_store_rejects_does_not_stop_the_rest(recorder, store_url, tmp_path):
    who = "s-bad"
    feed(recorder, [
        ev.user(who, "halo", T, "greet"),
        ev.slot(who, "survey_question", "csat", T + MIN),
        ev.slot(who, "survey_csat", 9, T + 2 * MIN),  # off the 1-5 scale
        ev.user(who, "5 maksudnya", T + 3 * MIN, "inform"),
    ])
    [c] = conversations(store_url)
    assert c.customer_message_count == 2 and recorder.rejected == 1
    [rejected] = (tmp_path / "spool").glob("rejected-*.jsonl")
    assert json.loads(rejected.read_text())["event"]["value"] == 9


def test_a_rejected_event_is_kept_and_logged_without_what_the_customer_typed(
    recorder, tmp_path, caplog
):
    who = "s-pii"
    answer = "nama saya Budi Santoso, wa 0812-3456-7890, budi.santoso@gmail.com"
    with caplog.at_level(logging.DEBUG, logger="bot.capture"):
        feed(recorder, [
            ev.user(who, "halo", T, "greet"),
            ev.slot(who, "survey_question", "csat", T + MIN),
            ev.slot(who, "survey_csat", answer, T + 2 * MIN),  # not a score: rejected
        ])
    assert recorder.rejected == 1
    [rejected] = (tmp_path / "spool").glob("rejected-*.jsonl")
    kept = json.loads(rejected.read_text())
    assert kept["event"]["value"] == "nama saya [name], wa [phone], [email]"
    assert kept["event"]["sender_id"] == who and kept["event"]["name"] == "survey_csat"
    for raw in ("Budi Santoso", "0812-3456-7890", "budi.santoso@gmail.com"):
        assert raw not in rejected.read_text()
    assert "rejected by the store" in caplog.text
    assert "nama saya" not in caplog.text and "0812" not in caplog.text


def test_a_store_error_is_described_without_the_statement_parameters():
    error = sa_exc.OperationalError(
        "INSERT INTO messages (text) VALUES (?)", ("hubungi saya di 0812-3456-7890",),
        Exception("database is locked\nDETAIL: Failing row contains (hubungi saya di 0812-3456-7890)"),
    )
    assert "0812-3456-7890" in str(error)  # what SQLAlchemy itself would log
    assert describe(error) == "OperationalError: database is locked"


def test_idle_conversations_are_closed_by_the_sweep(recorder_for, store_url):
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    recorder = recorder_for(sweep_interval=0.2)
    feed(recorder, [
        ev.user("s-idle", "halo", now - 2 * 60 * MIN, "greet"),
        ev.slot("s-idle-2", "language", "id", now),  # no conversation, nothing to do
        ev.user("s-resolved", "retur", now - 40 * MIN, "faq/returns"),
        ev.slot("s-resolved", "conversation_outcome", "resolved", now - 39 * MIN),
        ev.user("s-active", "halo", now - MIN, "greet"),
    ])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(
        c.ended_at is None for c in conversations(store_url)[:2]
    ):
        time.sleep(0.1)
    idle, resolved, active = conversations(store_url)
    assert (idle.outcome, idle.ended_at) == ("abandoned", now - 2 * 60 * MIN)
    assert (resolved.outcome, resolved.ended_at) == ("resolved", now - 40 * MIN)
    assert (active.outcome, active.ended_at) == (None, None)


# --- Spool ------------------------------------------------------------------------


def test_spool_survives_a_restart_while_the_store_is_down(tmp_path):
    # The store's directory does not exist yet: SQLite cannot open it (OperationalError).
    db_dir = tmp_path / "not-yet"
    url = f"sqlite:///{db_dir / 'store.db'}"
    spool_dir = tmp_path / "spool"
    down = TouchpointRecorder(database_url=url, spool_dir=str(spool_dir), retry_initial=0.05,
                              close_timeout=0.5)
    events = [ev.user("s-spool", f"pesan {i}", T + i * S, "greet") for i in range(5)]
    started = time.perf_counter()
    for event in events:
        down.publish(event)
    assert time.perf_counter() - started < 0.05
    time.sleep(0.3)
    assert down.available is False
    down.stop()  # gives up after 0.5 s: the events stay in the spool
    [spool_file] = spool_dir.glob("events-*.jsonl")
    assert spool_file.stat().st_size > 0

    db_dir.mkdir()
    from cxm_store import schema

    schema.upgrade(url)
    up = TouchpointRecorder(database_url=url, spool_dir=str(spool_dir), retry_initial=0.05)
    try:
        assert up.wait_idle(10)
        [c] = conversations(url)
        assert [m[1] for m in messages(url, c.id)] == [f"pesan {i}" for i in range(5)]
    finally:
        up.stop()
    assert not spool_file.exists()  # emptied once everything is stored, removed on close


def test_replayed_spool_does_not_store_twice(recorder_for, store_url, tmp_path):
    """A crash after the store committed but before the spool said "done"."""
    who = "s-twice"
    events = [
        ev.user(who, "halo", T, "greet"),
        ev.bot(who, "Halo Kak", T + S),
        ev.slot(who, "survey_question", "csat", T + MIN),
        ev.slot(who, "survey_csat", 3, T + 2 * MIN),
        ev.slot(who, "handoff_reason", "request", T + 3 * MIN),
    ]
    first = recorder_for()
    feed(first, events)
    first.stop()
    # The same events, never marked done, as if the process died right after storing them.
    spool = Spool(tmp_path / "spool", store_url)
    spool.append(events)
    spool.close()
    second = recorder_for()
    assert second.wait_idle(10)
    [c] = conversations(store_url)
    assert (c.customer_message_count, c.bot_message_count) == (1, 1)
    assert [r[:3] for r in survey_rows(store_url, c.id)] == [("csat", "answered", 3)]
    with session_factory(engine_for(store_url))() as session:
        assert len(session.scalars(select(Handoff)).all()) == 1


def test_a_broken_spool_disk_does_not_stop_the_capture(recorder, store_url, monkeypatch):
    def full(_data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(recorder.spool._file, "write", full, raising=False)
    feed(recorder, [ev.user("s-disk", "halo", T, "greet"), ev.bot("s-disk", "Halo", T + S)])
    [c] = conversations(store_url)
    assert (c.customer_message_count, c.bot_message_count) == (1, 1)


def test_two_processes_never_share_a_spool_file(tmp_path):
    a = Spool(tmp_path, "sqlite:///x.db")
    b = Spool(tmp_path, "sqlite:///x.db")
    other = Spool(tmp_path, "sqlite:///y.db")
    assert len({a.path, b.path, other.path}) == 3
    for spool in (a, b, other):
        spool.close()


def test_torn_last_line_is_ignored(tmp_path):
    spool = Spool(tmp_path, "sqlite:///x.db")
    spool.append([{"event": "user", "n": 1}, {"event": "user", "n": 2}])
    spool.done(1)
    spool.close()
    with open(spool.path, "ab") as handle:
        handle.write(b'{"seq": 3, "event": {"ev')
    again = Spool(tmp_path, "sqlite:///x.db")
    assert again.pending() == [(2, {"event": "user", "n": 2})]
    assert again.append([{"event": "user", "n": 4}]) == [3]
    again.close()


# --- Configuration -------------------------------------------------------------------


def test_configured_from_endpoints(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.delenv("CAPTURE_ENABLED", raising=False)
    config = EndpointConfig(type="bot.capture.TouchpointRecorder", database_url=url,
                            spool_dir=str(tmp_path / "sp"))

    async def lifecycle():
        broker = await TouchpointRecorder.from_endpoint_config(config)
        ready = broker.enabled and broker.is_ready()
        await broker.close()
        return broker, ready

    broker, ready = asyncio.run(lifecycle())
    assert ready and broker.database_url == url
    assert broker.spool.path.parent == tmp_path / "sp"
    assert not broker.is_ready()  # closed


def test_capture_enabled_false_is_a_no_op(tmp_path, monkeypatch):
    monkeypatch.setenv("CAPTURE_ENABLED", "false")
    monkeypatch.setenv("CAPTURE_SPOOL_DIR", str(tmp_path / "sp"))

    async def lifecycle():
        broker = await TouchpointRecorder.from_endpoint_config(
            EndpointConfig(type="bot.capture.TouchpointRecorder")
        )
        broker.publish(ev.user("x", "halo", T, "greet"))
        await broker.close()
        return broker

    broker = asyncio.run(lifecycle())
    assert broker.is_ready() and not broker.enabled
    assert not (tmp_path / "sp").exists()
