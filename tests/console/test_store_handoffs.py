"""The handoff store API and accounts, on SQLite and PostgreSQL."""
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from cxm_store import auth, handoffs
from cxm_store.db import session_factory
from cxm_store.errors import NotFound
from cxm_store.handoffs import (
    agent_conversations,
    agents_online,
    claim_handoff,
    conversation_context,
    customer_address,
    estimated_wait_seconds,
    leave_message,
    queue_position,
    record_first_agent_reply,
    request_handoff,
    resolve_handoff,
    waiting_queue,
    within_business_hours,
)
from cxm_store.models import HandoffTicket, User
from cxm_store.surveys import record_survey_answer
from cxm_store.touchpoints import close_conversation, record_customer_message
from tests.console.conftest import seed_waiting

NOW = datetime(2024, 6, 3, 6, 0, 0)  # 13:00 in Jakarta


def test_claim_race_exactly_one_winner(store_engine):
    ids = seed_waiting(store_engine, now=NOW)
    agents = [f"agent{i}" for i in range(6)]
    barrier = threading.Barrier(len(agents))
    results = {}

    def claim(agent):
        barrier.wait()
        results[agent] = claim_handoff(ids["handoff_id"], agent, NOW, engine=store_engine)

    threads = [threading.Thread(target=claim, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    winners = [agent for agent, won in results.items() if won]
    assert len(results) == len(agents)
    assert len(winners) == 1
    handoff = handoffs.get_handoff(ids["handoff_id"], engine=store_engine)
    assert handoff["status"] == "claimed" and handoff["agent"] == winners[0]
    assert handoff["claimed_at"] == NOW
    context = conversation_context(ids["conversation_id"], engine=store_engine)
    assert context.handoffs[0]["agent"] == winners[0]


def test_claim_unknown_handoff(store_engine):
    with pytest.raises(LookupError):
        claim_handoff(999, "rina", NOW, engine=store_engine)


def test_unknown_handoff_and_conversation_are_typed_not_found(store_engine):
    # The console's one error handler answers 404 from the error's own status.
    for lookup in (lambda: handoffs.get_handoff(999, engine=store_engine),
                   lambda: handoffs.conversation_context(999, engine=store_engine)):
        with pytest.raises(NotFound) as raised:
            lookup()
        assert raised.value.status_code == 404 and isinstance(raised.value, LookupError)


def test_queue_oldest_first_with_positions_and_waits(store_engine):
    late = seed_waiting(store_engine, waited=timedelta(seconds=30), now=NOW, channel="telegram", language="en")
    early = seed_waiting(store_engine, waited=timedelta(seconds=400), now=NOW)
    middle = seed_waiting(store_engine, waited=timedelta(seconds=120), now=NOW, reason="complaint")
    queue = waiting_queue(NOW, engine=store_engine)
    assert [e.handoff_id for e in queue] == [early["handoff_id"], middle["handoff_id"], late["handoff_id"]]
    assert [e.position for e in queue] == [1, 2, 3]
    assert [e.waiting_seconds for e in queue] == [400, 120, 30]
    first = queue[0]
    assert first.channel == "web" and first.language == "id"
    assert first.opening_request == "Paket saya INV-2024-00123 belum sampai"
    assert queue[2].channel == "telegram" and queue[2].language == "en"
    assert queue[1].reason == "complaint"
    assert queue_position(middle["conversation_id"], engine=store_engine) == 2

    assert claim_handoff(early["handoff_id"], "rina", NOW, engine=store_engine)
    assert [e.position for e in waiting_queue(NOW, engine=store_engine)] == [1, 2]
    assert queue_position(middle["conversation_id"], engine=store_engine) == 1
    assert queue_position(early["conversation_id"], engine=store_engine) is None
    mine = agent_conversations("rina", NOW, engine=store_engine)
    assert [e.handoff_id for e in mine] == [early["handoff_id"]]
    assert agent_conversations("budi", NOW, engine=store_engine) == []


@pytest.mark.parametrize("said, card", [
    # A greeting before the problem says nothing of why the customer came.
    ([("halo kak", "greet"), ("paket saya rusak", "faq/item_damaged"), ("mau ngomong sama orang", "request_human")],
     "paket saya rusak"),
    # Words the bot did not understand may be the problem itself.
    ([("hi", "greet"), ("the courier threw my parcel over the fence", "nlu_fallback"), ("agent", "request_human")],
     "the courier threw my parcel over the fence"),
    # Nothing but small talk: the first message.
    ([("halo", "greet"), ("ok", "affirm")], "halo"),
])
def test_the_queue_card_shows_why_the_customer_came(store_engine, said, card):
    start = NOW - timedelta(minutes=5)
    for index, (text, intent) in enumerate(said):
        conversation_id = record_customer_message(
            "web", "web-why-they-came", text, start + timedelta(seconds=10 * index), "id", intent=intent,
            engine=store_engine,
        )
    request_handoff(conversation_id, NOW, engine=store_engine)
    (entry,) = [e for e in waiting_queue(NOW, engine=store_engine) if e.conversation_id == conversation_id]
    assert entry.opening_request == card


def test_request_handoff_twice_keeps_one_request(store_engine):
    ids = seed_waiting(store_engine, now=NOW)
    again = request_handoff(ids["conversation_id"], NOW, reason="again", engine=store_engine)
    assert again == ids["handoff_id"]
    assert len(waiting_queue(NOW, engine=store_engine)) == 1


def test_estimated_wait_is_median_of_recent_claims_or_default(store_engine):
    assert estimated_wait_seconds(engine=store_engine) == handoffs.DEFAULT_WAIT_SECONDS
    assert estimated_wait_seconds(engine=store_engine, default=42) == 42
    for wait in (60, 600, 120):
        ids = seed_waiting(store_engine, waited=timedelta(seconds=wait), now=NOW)
        claim_handoff(ids["handoff_id"], "rina", NOW, engine=store_engine)
    assert estimated_wait_seconds(engine=store_engine) == 120
    # Only the most recent claims count.
    assert estimated_wait_seconds(engine=store_engine, sample=1) in (60, 600, 120)


def test_first_reply_recorded_once_and_resolution_by_its_agent(store_engine):
    ids = seed_waiting(store_engine, now=NOW)
    claim_handoff(ids["handoff_id"], "rina", NOW, engine=store_engine)
    assert record_first_agent_reply(ids["handoff_id"], NOW + timedelta(seconds=10), engine=store_engine)
    assert not record_first_agent_reply(ids["handoff_id"], NOW + timedelta(seconds=50), engine=store_engine)
    assert not resolve_handoff(ids["handoff_id"], NOW, engine=store_engine, agent="budi")
    assert resolve_handoff(ids["handoff_id"], NOW + timedelta(minutes=5), engine=store_engine, agent="rina")
    assert not resolve_handoff(ids["handoff_id"], NOW + timedelta(minutes=6), engine=store_engine)
    handoff = handoffs.get_handoff(ids["handoff_id"], engine=store_engine)
    assert handoff["first_agent_reply_at"] == NOW + timedelta(seconds=10)
    assert handoff["resolved_at"] == NOW + timedelta(minutes=5)
    assert handoff["status"] == "resolved"


def test_agents_online_are_available_and_seen_within_a_minute(store_engine):
    for name in ("rina", "budi", "sari", "tono"):
        auth.create_user(name, name.title(), "long-enough-pw", "agent", at=NOW, engine=store_engine)
    # Closed at once: an open session holds a lock on PostgreSQL that the next
    # test's TRUNCATE would wait on until the garbage collector closed it.
    with session_factory(store_engine)() as session:
        ids = {u.username: u.id for u in session.scalars(select(User))}
    auth.set_available(ids["rina"], True, NOW - timedelta(seconds=30), engine=store_engine)
    auth.set_available(ids["budi"], True, NOW - timedelta(seconds=90), engine=store_engine)  # stale
    auth.set_available(ids["sari"], False, NOW, engine=store_engine)  # away
    auth.set_available(ids["tono"], True, NOW - timedelta(minutes=5), engine=store_engine)
    auth.heartbeat(ids["tono"], NOW - timedelta(seconds=5), engine=store_engine)
    assert agents_online(NOW, engine=store_engine) == ["rina", "tono"]
    assert agents_online(NOW + timedelta(minutes=2), engine=store_engine) == []


@dataclass(frozen=True)
class _Hours:
    business_hours: str = "08:00-21:00"
    timezone: str = "Asia/Jakarta"


@pytest.mark.parametrize(
    "utc, expected",
    [
        ("2024-06-03T00:59:59", False),  # 07:59:59 WIB
        ("2024-06-03T01:00:00", True),  # 08:00 WIB
        ("2024-06-03T13:59:00", True),  # 20:59 WIB
        ("2024-06-03T14:00:00", False),  # 21:00 WIB
        ("2024-06-03T20:00:00", False),  # 03:00 WIB
    ],
)
def test_within_business_hours_in_jakarta(utc, expected):
    assert within_business_hours(datetime.fromisoformat(utc), _Hours()) is expected
    aware = datetime.fromisoformat(utc).replace(tzinfo=timezone.utc)
    assert within_business_hours(aware, _Hours()) is expected


def test_business_hours_across_midnight_and_bad_spec():
    night = _Hours(business_hours="22:00-06:00", timezone="UTC")
    assert within_business_hours(datetime(2024, 6, 3, 23, 0), night)
    assert within_business_hours(datetime(2024, 6, 3, 5, 59), night)
    assert not within_business_hours(datetime(2024, 6, 3, 12, 0), night)
    with pytest.raises(ValueError):
        within_business_hours(NOW, _Hours(business_hours="morning"))


def test_leave_message_turns_the_request_into_a_ticket(store_engine):
    ids = seed_waiting(store_engine, now=NOW)
    ticket = leave_message(
        ids["conversation_id"], "rina@example.com", "Tolong telepon 0812-3456-7890", NOW, engine=store_engine
    )
    assert ticket == ids["handoff_id"]
    assert waiting_queue(NOW, engine=store_engine) == []
    assert handoffs.get_handoff(ticket, engine=store_engine)["status"] == "ticket"
    with session_factory(store_engine)() as session:
        row = session.scalar(select(HandoffTicket).where(HandoffTicket.handoff_id == ticket))
    assert row.contact == "rina@example.com"  # kept: it is how the team answers
    assert row.message == "Tolong telepon [phone]"  # masked like the transcript
    assert [t["handoff_id"] for t in handoffs.open_tickets(engine=store_engine)] == [ticket]


def test_leave_message_without_request_opens_a_ticket(store_engine):
    conversation = record_customer_message("telegram", "tg-1", "halo", NOW, "id", engine=store_engine)
    ticket = leave_message(conversation, "@tg_user", "Mau refund", NOW, engine=store_engine)
    handoff = handoffs.get_handoff(ticket, engine=store_engine)
    assert handoff["status"] == "ticket" and handoff["reason"] == "left_message"
    with pytest.raises(ValueError):
        leave_message(conversation, "  ", "no contact", NOW, engine=store_engine)


def test_conversation_context_for_the_agent(store_engine):
    minute = timedelta(minutes=1)
    old = record_customer_message(
        "web", "web-x", "retur barang", NOW - timedelta(days=3), "id", intent="faq/returns", engine=store_engine
    )
    record_survey_answer(old, "csat", 2, NOW - timedelta(days=3) + minute, NOW - timedelta(days=3), engine=store_engine)
    close_conversation(old, "resolved", NOW - timedelta(days=3) + minute, engine=store_engine)
    ids = seed_waiting(
        store_engine, sender="web-x", now=NOW,
        messages=["halo, email saya budi@example.com", "pesanan inv 2024 77 rusak"],
    )
    context = conversation_context(ids["conversation_id"], engine=store_engine)
    assert context.language == "id" and context.channel == "web"
    assert context.topics == ["check_order_status", "human_handoff"]
    assert context.order_number == "INV-2024-00077"
    assert [m["sender"] for m in context.transcript] == ["customer", "customer", "bot"]
    assert context.transcript[0]["text"] == "halo, email saya [email]"
    assert [(e["conversation_id"], e["outcome"], e["csat"]) for e in context.earlier] == [(old, "resolved", 2)]
    address = customer_address(ids["conversation_id"], engine=store_engine)
    assert (address.sender_id, address.rasa_channel) == ("web-x", "webchat")


def test_rest_customers_cannot_receive_pushed_messages(store_engine):
    conversation = record_customer_message("rest", "r-1", "hi", NOW, "en", engine=store_engine)
    assert customer_address(conversation, engine=store_engine).rasa_channel is None


# --- Accounts ---------------------------------------------------------------------------


def test_password_is_stored_as_salted_scrypt(store_engine):
    auth.create_user("rina", "Rina", "s3cret-password", "agent", engine=store_engine)
    auth.create_user("budi", "Budi", "s3cret-password", "agent", engine=store_engine)
    with session_factory(store_engine)() as session:
        hashes = {u.username: u.password_hash for u in session.scalars(select(User))}
    assert all(h.startswith("scrypt$") and "s3cret" not in h for h in hashes.values())
    assert hashes["rina"] != hashes["budi"]  # per-user salt
    assert auth.verify_password("s3cret-password", hashes["rina"])
    assert not auth.verify_password("s3cret-passwordX", hashes["rina"])


def test_account_rules(store_engine):
    auth.create_user("rina", "Rina", "long-enough", "agent", engine=store_engine)
    with pytest.raises(auth.AccountError):
        auth.create_user("rina", "Rina 2", "long-enough", "agent", engine=store_engine)
    with pytest.raises(auth.AccountError):
        auth.create_user("x", "X", "long-enough", "boss", engine=store_engine)
    with pytest.raises(auth.AccountError):
        auth.create_user("y", "Y", "short", "agent", engine=store_engine)


def test_failures_never_lock_the_account_itself(store_engine):
    # Guessing is slowed per source address in the web app (tests/security/test_login.py);
    # a lock on the account would let anyone keep its owner out.
    auth.create_user("rina", "Rina", "right-password", "agent", engine=store_engine)
    for _ in range(10):
        assert not auth.authenticate("rina", "wrong", engine=store_engine).ok
    assert auth.authenticate("rina", "right-password", engine=store_engine).ok
    assert not auth.authenticate("nobody", "whatever", engine=store_engine).ok


def test_sessions_slide_and_expire_when_idle(store_engine):
    user_id = auth.create_user("rina", "Rina", "right-password", "agent", engine=store_engine)
    token = auth.start_session(user_id, NOW, hours=1, engine=store_engine)
    with session_factory(store_engine)() as session:
        stored = session.execute(select(auth.WebSession.token_sha256)).scalar_one()
    assert token not in stored and len(stored) == 64
    assert auth.resume_session(token, NOW + timedelta(minutes=50), 1, 12, engine=store_engine)
    # Used at 0:50, so still alive at 1:40 ...
    assert auth.resume_session(token, NOW + timedelta(minutes=100), 1, 12, engine=store_engine)
    # ... but gone after an idle hour.
    assert auth.resume_session(token, NOW + timedelta(minutes=161), 1, 12, engine=store_engine) is None
    assert auth.resume_session("made-up", NOW, 1, 12, engine=store_engine) is None


def test_create_user_command_reads_the_password_from_stdin(tmp_path):
    import subprocess
    import sys

    from cxm_store import schema
    from cxm_store.db import engine_for
    from tests.console.conftest import ROOT

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    schema.upgrade(url)
    command = [
        sys.executable, "-m", "cxm_store", "--database-url", url, "create-user",
        "--username", "rina", "--display-name", "Rina", "--role", "agent", "--password-stdin",
    ]
    done = subprocess.run(command, input="a long secret\n", capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    again = subprocess.run(command, input="a long secret\n", capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 2 and "taken" in again.stderr
    short = subprocess.run(
        command[:7] + ["budi"] + command[8:], input="short\n", capture_output=True, text=True, cwd=ROOT
    )
    assert short.returncode == 2 and "at least" in short.stderr
    engine = engine_for(url)
    assert auth.authenticate("rina", "a long secret", engine=engine).user.display_name == "Rina"
