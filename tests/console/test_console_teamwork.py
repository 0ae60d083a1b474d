"""Working together: agents-only notes and transfers, counted on the handoff, never sent to the customer.

Screenshots: ``tests/artifacts/teamwork-*.png``.
"""
from datetime import datetime, timedelta
from typing import Any

import pytest

from cxm_store import canned, handoffs
from tests.console.conftest import ARTIFACTS, PASSWORD, seed_waiting
from tests.console.test_console_live import NOTIFICATION_STUB, log_in

expect = pytest.importorskip("playwright.sync_api").expect

SECRET_NOTE = "Pelanggan VIP, jangan janjikan refund sebelum cek gudang"


def online(console: Any, role: str = "agent", name: str = "") -> Any:
    client = console.client(console.user(role, name or None))
    assert client.post("/api/me/availability", {"available": True}).status_code == 200
    assert client.post("/api/me/heartbeat").status_code == 200
    return client


def test_a_note_stays_with_the_agents_and_is_counted(console: Any, rasa: Any) -> None:
    ids = seed_waiting(console.engine)
    agent = online(console)
    handoff = ids["handoff_id"]
    assert agent.post(f"/api/handoffs/{handoff}/notes", {"text": "too early"}).status_code == 409  # not claimed
    assert agent.post(f"/api/handoffs/{handoff}/claim").status_code == 200
    assert agent.post(f"/api/handoffs/{handoff}/notes", {"text": "  "}).json() == {"error": "Write the note first"}
    assert agent.post(f"/api/handoffs/{handoff}/notes", {"text": SECRET_NOTE}).status_code == 200
    notes = agent.get(f"/api/conversations/{ids['conversation_id']}/notes").json()["notes"]
    assert [(n["kind"], n["text"]) for n in notes] == [("note", SECRET_NOTE)]
    assert handoffs.get_handoff(handoff, engine=console.engine)["notes_count"] == 1
    # The customer's channel (Rasa, the only way the console reaches a customer) got nothing,
    # and the customer's transcript has no such line.
    assert rasa.requests == []
    lines = handoffs.messages_since(ids["conversation_id"], engine=console.engine)
    assert all(SECRET_NOTE not in line["text"] for line in lines)
    # A colleague who does not hold the conversation cannot write on it.
    other = online(console)
    assert other.post(f"/api/handoffs/{handoff}/notes", {"text": "hi"}).status_code == 404


def test_transfer_to_a_colleague_and_back_to_the_queue(console: Any, rasa: Any, clean_queue: Any) -> None:
    earlier = seed_waiting(console.engine, waited=timedelta(minutes=9))
    ids = seed_waiting(console.engine, waited=timedelta(minutes=5))
    later = seed_waiting(console.engine, waited=timedelta(minutes=1))
    alice, bob = online(console), online(console)
    bob_name = bob.get("/api/queue").json()["me"]["username"]
    away = console.user("agent")  # never online
    handoff = ids["handoff_id"]
    assert alice.post(f"/api/handoffs/{handoff}/claim").status_code == 200

    refused = alice.post(f"/api/handoffs/{handoff}/transfer", {"to": away, "note": "x"})
    assert refused.status_code == 409 and refused.json()["error"] == f"{away} is not available now"
    assert bob.post(f"/api/handoffs/{handoff}/transfer", {"to": None}).status_code == 404  # not his: like no handoff

    moved = alice.post(f"/api/handoffs/{handoff}/transfer", {"to": bob_name, "note": "Refund question, yours"})
    assert moved.json() == {"transferred": True, "to": bob_name}
    record = handoffs.get_handoff(handoff, engine=console.engine)
    assert (record["status"], record["agent"], record["transfers_count"]) == ("claimed", bob_name, 1)
    assert [e["handoff_id"] for e in bob.get("/api/queue").json()["mine"]] == [handoff]
    assert alice.get("/api/queue").json()["mine"] == []

    assert bob.post(f"/api/handoffs/{handoff}/transfer", {"to": None, "note": "Need a refund specialist"}).status_code == 200
    queue = bob.get("/api/queue").json()["queue"]
    # Back in the queue in its old place: after the earlier request, before the later one.
    assert [e["handoff_id"] for e in queue] == [earlier["handoff_id"], handoff, later["handoff_id"]]
    notes = bob.get(f"/api/conversations/{ids['conversation_id']}/notes").json()["notes"]
    assert [(n["kind"], n["from_agent"], n["to_agent"], n["text"]) for n in notes] == [
        ("transfer", notes[0]["from_agent"], bob_name, "Refund question, yours"),
        ("transfer", bob_name, None, "Need a refund specialist"),
    ]
    assert handoffs.get_handoff(handoff, engine=console.engine)["transfers_count"] == 2
    assert rasa.requests == []


@pytest.mark.browser
def test_agent_a_answers_notes_and_transfers_agent_b_sees_it_live(
    clean_queue: Any, rasa: Any, browser: Any
) -> None:
    console = clean_queue
    canned.save_canned(
        "teamwork-cek", "id", "Cek pesanan", "Halo {customer_name}, saya {agent_name}, saya cek {order_number} dulu ya.",
        "lead", datetime.utcnow(), engine=console.engine,
    )
    ids = seed_waiting(console.engine, waited=timedelta(minutes=2))
    errors: list = []
    pages = []
    for name in ("Ayu", "Bima"):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
        context.add_init_script(NOTIFICATION_STUB)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        username = console.user("agent", name)
        log_in(page, console.url, username)
        page.locator("#availability").click()
        expect(page.locator("#availability")).to_have_attribute("aria-checked", "true")
        pages.append((page, username))
    (a, _), (b, b_name) = pages
    try:
        expect(a.locator(f"#transfer-to option[value='{b_name}']")).to_have_count(1)  # B online, live
        a.locator("#queue-list .card").first.click()
        a.keyboard.press("Alt+c")
        expect(a.locator("#mine-list .card")).to_have_count(1)
        box = a.locator("#reply-text")
        box.click()
        box.press_sequentially("/teamw")
        expect(a.locator("#canned-menu .canned-option")).to_have_count(1)
        box.press("Enter")
        expect(box).to_have_value("Halo Kak, saya Ayu, saya cek INV-2024-00123 dulu ya.")
        box.press("Enter")
        expect(a.locator("#reply-status")).to_have_text("Delivered")

        a.locator("#note-text").fill(SECRET_NOTE)
        a.get_by_role("button", name="Add note").click()
        expect(a.locator("#transcript .msg-note")).to_contain_text(SECRET_NOTE)
        a.screenshot(path=str(ARTIFACTS / "teamwork-agent-a-note.png"))

        a.locator("#note-text").fill("Bima, tolong lanjutkan soal refund ini")
        a.locator("#transfer-to").select_option(b_name)
        a.get_by_role("button", name="Transfer").click()
        expect(a.locator("#notice")).to_contain_text(f"Transferred to {b_name}")
        expect(a.locator("#mine-list .card")).to_have_count(0)

        # Agent B's page: the conversation arrives among B's own, live, with both notes.
        mine = b.locator("#mine-list .card")
        expect(mine).to_have_count(1, timeout=2000)
        mine.first.click()
        notes = b.locator("#transcript .msg-note")
        expect(notes).to_have_count(2)
        expect(notes.nth(0)).to_contain_text(SECRET_NOTE)
        expect(notes.nth(1)).to_contain_text(f"to {b_name}")
        expect(notes.nth(1)).to_contain_text("Bima, tolong lanjutkan soal refund ini")
        expect(b.locator("#reply-text")).to_be_enabled()
        b.screenshot(path=str(ARTIFACTS / "teamwork-agent-b-transferred.png"))
    finally:
        for page, _ in pages:
            page.context.close()
    assert not errors, errors
    # Only the canned reply reached the customer; neither note did.
    texts = [event["text"] for r in rasa.requests for event in r["body"] if isinstance(event, dict) and "text" in event]
    assert texts == ["Halo Kak, saya Ayu, saya cek INV-2024-00123 dulu ya."]
    record = handoffs.get_handoff(ids["handoff_id"], engine=console.engine)
    assert (record["agent"], record["notes_count"], record["transfers_count"]) == (b_name, 1, 1)
