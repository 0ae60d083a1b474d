"""Fast answers: canned responses kept by leads, inserted by agents with "/", keyboard shortcuts.

Screenshots: ``tests/artifacts/canned-*.png``.
"""
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from cxm_store import canned, handoffs
from tests.console.conftest import ARTIFACTS, seed_waiting
from tests.console.test_console_live import agent_page, log_in  # noqa: F401  (fixture)

expect = pytest.importorskip("playwright.sync_api").expect


def _form(client: Any, path: str = "/canned") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def save(client: Any, **fields: str) -> Any:
    data = {"csrf_token": _form(client), "id": "", "title": "", **fields}
    return client.http.post(client.base + "/canned", data=data, allow_redirects=False, timeout=15)


def test_only_leads_and_admins_manage_canned_responses(console: Any) -> None:
    agent = console.client(console.user("agent"))
    assert agent.get("/canned").status_code == 403
    reply = agent.http.post(
        agent.base + "/canned", data={"csrf_token": agent.csrf, "shortcut": "x", "language": "id", "text": "x"},
        allow_redirects=False, timeout=15,
    )
    assert reply.status_code == 403
    assert not any(r.shortcut == "x" for r in canned.list_canned(engine=console.engine))
    lead = console.client(console.user("lead"))
    assert lead.get("/canned").status_code == 200
    assert 'href="/canned"' in lead.get("/console").text  # in the lead's navigation
    assert 'href="/canned"' not in agent.get("/console").text


def test_lead_creates_edits_and_deletes_with_clear_refusals(console: Any) -> None:
    lead = console.client(console.user("lead"))
    assert save(lead, shortcut="/Ongkir-Info", language="id", text="Ongkir ke {city} gratis").status_code == 400
    assert "Unknown variable {city}" in save(lead, shortcut="ongkir", language="id", text="Ongkir {city}").text
    assert "The shortcut must be" in save(lead, shortcut="no spaces", language="id", text="x").text
    assert save(lead, shortcut="/Ongkir-Info", language="id", text="Ongkir gratis, {customer_name}").status_code == 303
    stored = [r for r in canned.list_canned(engine=console.engine) if r.shortcut == "ongkir-info"]
    assert [(r.language, r.text) for r in stored] == [("id", "Ongkir gratis, {customer_name}")]
    again = save(lead, shortcut="ongkir-info", language="id", text="lagi")
    assert again.status_code == 400 and "/ongkir-info already exists in id" in again.text
    assert save(lead, shortcut="ongkir-info", language="en", text="Free shipping").status_code == 303
    edited = save(lead, id=str(stored[0].id), shortcut="ongkir-info", language="id", text="Gratis ongkir!")
    assert edited.status_code == 303
    assert "Gratis ongkir!" in lead.get("/canned").text
    deleted = lead.http.post(
        f"{lead.base}/canned/{stored[0].id}/delete", data={"csrf_token": _form(lead)}, allow_redirects=False, timeout=15
    )
    assert deleted.status_code == 303
    assert [r.language for r in canned.list_canned(engine=console.engine) if r.shortcut == "ongkir-info"] == ["en"]


def test_agent_gets_responses_in_the_customers_language_with_variables_filled(console: Any) -> None:
    at = datetime.utcnow()
    canned.save_canned("cek-status", "id", "Status", "Halo {customer_name}, saya {agent_name}. Saya cek {order_number}.", "lead", at, engine=console.engine)
    canned.save_canned("cek-status", "en", "Status", "Hi {customer_name}, {agent_name} here, checking {order_number}.", "lead", at, engine=console.engine)
    ids = seed_waiting(console.engine, language="id")
    agent = console.client(console.user("agent", "Budi Santoso"))
    data = agent.get(f"/api/canned?conversation_id={ids['conversation_id']}").json()
    assert data["language"] == "id"
    texts = {r["shortcut"]: r["text"] for r in data["responses"]}
    assert texts["cek-status"] == "Halo Kak, saya Budi Santoso. Saya cek INV-2024-00123."
    english = agent.get(f"/api/canned?conversation_id={ids['conversation_id']}&language=en").json()
    assert {r["shortcut"]: r["text"] for r in english["responses"]}["cek-status"] == (
        "Hi there, Budi Santoso here, checking INV-2024-00123."
    )
    assert agent.get("/api/canned?conversation_id=999999").status_code == 404


@pytest.mark.browser
def test_agent_answers_with_a_canned_response_and_shortcuts(
    clean_queue: Any, rasa: Any, agent_page: Any  # noqa: F811
) -> None:
    console, page = clean_queue, agent_page
    at = datetime.utcnow()
    canned.save_canned("refund-time", "id", "Lama refund", "Halo {customer_name}, refund {order_number} diproses 3-5 hari kerja. Salam, {agent_name}", "lead", at, engine=console.engine)
    canned.save_canned("refund-time", "en", "Refund time", "Hi, refunds take 3-5 working days.", "lead", at, engine=console.engine)
    canned.save_canned("resi", "id", "Nomor resi", "Nomor resi dikirim lewat email ya {customer_name}.", "lead", at, engine=console.engine)
    first = seed_waiting(console.engine, waited=timedelta(minutes=4))
    second = seed_waiting(console.engine, waited=timedelta(minutes=2), language="en",
                          messages=["Where is my refund for INV-2024-00125?", "talk to a human please"])
    log_in(page, console.url, console.user("agent", "Rina"))
    expect(page.locator("#queue-list .card")).to_have_count(2)

    page.keyboard.press("Alt+n")  # next conversation: the first waiting one
    expect(page.locator("#conv-title")).to_have_text(f"Conversation #{first['conversation_id']}")
    page.keyboard.press("Alt+n")
    expect(page.locator("#conv-title")).to_have_text(f"Conversation #{second['conversation_id']}")
    expect(page.locator("#reply-language")).to_contain_text("Replying in English")
    page.keyboard.press("Alt+n")
    expect(page.locator("#conv-title")).to_have_text(f"Conversation #{first['conversation_id']}")
    page.keyboard.press("Alt+c")  # claim
    expect(page.locator("#mine-list .card")).to_have_count(1)
    assert handoffs.get_handoff(first["handoff_id"], engine=console.engine)["agent"] is not None

    box = page.locator("#reply-text")
    expect(box).to_be_enabled()
    box.click()
    box.press_sequentially("/re")
    options = page.locator("#canned-menu .canned-option")
    expect(options).to_have_count(2)  # refund-time and resi, Indonesian ones only
    box.press_sequentially("f")
    expect(options).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "canned-menu.png"))
    box.press("Enter")  # inserts, does not send
    expect(box).to_have_value("Halo Kak, refund INV-2024-00123 diproses 3-5 hari kerja. Salam, Rina")
    assert rasa.requests == []
    box.press("Enter")  # now sends
    expect(page.locator("#reply-status")).to_have_text("Delivered")
    assert rasa.requests[0]["body"][0]["text"] == "Halo Kak, refund INV-2024-00123 diproses 3-5 hari kerja. Salam, Rina"

    page.keyboard.press("Alt+r")  # resolve
    expect(page.locator("#notice")).to_contain_text("Resolved")
    assert handoffs.get_handoff(first["handoff_id"], engine=console.engine)["status"] == "resolved"
