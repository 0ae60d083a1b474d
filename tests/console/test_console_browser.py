"""The agent console in headless Chromium: log in, pick up a waiting customer, reply, resolve.

Screenshots go to ``tests/artifacts/console-*.png``.
"""
from datetime import datetime, timedelta
from typing import Any, Iterator

import pytest
from sqlalchemy import text

from cxm_store import handoffs
from cxm_store.surveys import record_survey_answer
from cxm_store.touchpoints import close_conversation, record_bot_message, record_customer_message
from tests.console.conftest import ARTIFACTS, PASSWORD, seed_waiting

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

TIMEOUT_MS = 8000


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    errors: list = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Refused requests (409, 502) are expected here; the page reports them itself.
    page.on(
        "console",
        lambda message: errors.append(message.text)
        if message.type == "error" and "Failed to load resource" not in message.text
        else None,
    )
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _seed_customer(console: Any) -> dict:
    """A returning customer (an earlier resolved conversation rated 4/5) now waiting for an agent."""
    engine = console.engine
    sender = f"web-browser-{datetime.utcnow().timestamp()}"
    earlier_at = datetime.utcnow() - timedelta(days=6)
    earlier = record_customer_message(
        "web", sender, "Bagaimana cara retur?", earlier_at, "id", intent="faq/returns", engine=engine
    )
    record_survey_answer(earlier, "csat", 4, earlier_at + timedelta(minutes=3), earlier_at, engine=engine)
    close_conversation(earlier, "resolved", earlier_at + timedelta(minutes=4), engine=engine)
    return seed_waiting(
        engine,
        sender=sender,
        waited=timedelta(seconds=95),
        messages=[
            "Halo, paket saya INV-2024-00123 belum sampai padahal estimasi kemarin",
            "Nomor HP saya 0812-3456-7890, tolong sambungkan ke agen",
        ],
    )


def test_agent_claims_replies_and_resolves(console: Any, rasa: Any, page: Any) -> None:
    with console.engine.begin() as connection:
        connection.execute(text("UPDATE handoffs SET status = 'resolved' WHERE status = 'requested'"))
    other = seed_waiting(
        console.engine, channel="telegram", language="en", waited=timedelta(seconds=20),
        messages=["My refund has not arrived yet", "I want to talk to a person"], reason="complaint",
    )
    ids = _seed_customer(console)
    username = console.user("agent", "Rina Wulandari")

    page.goto(f"{console.url}/console")
    expect(page).to_have_url(f"{console.url}/login?next=/console")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.screenshot(path=str(ARTIFACTS / "console-login.png"))
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{console.url}/console")
    expect(page.locator("#agent-name")).to_have_text("Rina Wulandari")
    # The page's scripts are listening once the live stream is open; a click before is lost.
    expect(page.locator("#live-status")).to_have_text("Live", timeout=TIMEOUT_MS)

    page.locator("#availability").click()
    expect(page.locator("#availability")).to_have_attribute("aria-checked", "true")

    cards = page.locator("#queue-list .card")
    expect(cards).to_have_count(2, timeout=TIMEOUT_MS)
    first = cards.nth(0)
    expect(first).to_contain_text("Halo, paket saya INV-2024-00123")
    expect(first.locator(".wait")).to_have_text("1 min", timeout=TIMEOUT_MS)
    expect(cards.nth(1)).to_contain_text("My refund has not arrived yet")
    # What each customer came about, then why they wait.
    expect(first.locator(".card-reason")).to_contain_text("Check order status · ")
    expect(cards.nth(1).locator(".card-reason")).to_have_text("Check order status · complaint")
    expect(page.locator("#queue-meta")).to_contain_text("1 agent online", timeout=TIMEOUT_MS)

    first.click()
    transcript = page.locator("#transcript .msg")
    expect(transcript).to_have_count(3, timeout=TIMEOUT_MS)
    expect(transcript.nth(1)).to_contain_text("Nomor HP saya [phone]")
    expect(page.locator("#context-facts")).to_contain_text("INV-2024-00123")
    expect(page.locator("#context-facts")).to_contain_text("Indonesian")
    expect(page.locator("#earlier-list")).to_contain_text("CSAT 4/5")
    expect(page.locator("#reply-text")).to_be_disabled()
    page.screenshot(path=str(ARTIFACTS / "console-queue.png"))

    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#mine-list .card")).to_have_count(1, timeout=TIMEOUT_MS)
    expect(page.locator("#queue-list .card")).to_have_count(1, timeout=TIMEOUT_MS)
    assert handoffs.get_handoff(ids["handoff_id"], engine=console.engine)["agent"] == username

    # A new customer message shows up without a reload.
    record_customer_message("web", ids["sender"], "Halo? Masih di sana?", datetime.utcnow(), "id", engine=console.engine)
    expect(transcript).to_have_count(4, timeout=TIMEOUT_MS)
    expect(transcript.nth(3)).to_contain_text("Masih di sana?")

    page.locator("#reply-text").fill("Halo, saya Rina. Saya cek paket INV-2024-00123 sekarang ya.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#reply-status")).to_have_text("Delivered", timeout=TIMEOUT_MS)
    assert len(rasa.requests) == 1
    assert rasa.requests[0]["path"] == f"/conversations/{ids['sender']}/tracker/events"
    assert rasa.requests[0]["body"][0]["text"] == "Halo, saya Rina. Saya cek paket INV-2024-00123 sekarang ya."
    assert rasa.requests[0]["body"][0]["metadata"] == {"agent": username, "agent_name": "Rina Wulandari"}
    # The capture path stores the bot event as an agent line; the pending bubble gives way to it.
    record_bot_message(
        ids["conversation_id"], "Halo, saya Rina. Saya cek paket INV-2024-00123 sekarang ya.",
        datetime.utcnow(), sender="agent", engine=console.engine,
    )
    expect(page.locator("#transcript .msg-agent:not(.pending)")).to_have_count(1, timeout=TIMEOUT_MS)
    expect(page.locator("#transcript .msg-agent.pending")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "console-claimed.png"))

    # Rasa down: the agent is told, the text stays in the box, nothing is lost.
    rasa.stop()
    page.locator("#reply-text").fill("Paketnya sedang di kurir.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#reply-status")).to_contain_text("Message not delivered, retry", timeout=TIMEOUT_MS)
    expect(page.locator("#reply-text")).to_have_value("Paketnya sedang di kurir.")
    page.screenshot(path=str(ARTIFACTS / "console-rasa-down.png"))
    rasa.start()
    rasa.reset()
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#reply-status")).to_have_text("Delivered", timeout=TIMEOUT_MS)
    assert rasa.requests[0]["body"][0]["text"] == "Paketnya sedang di kurir."

    rasa.reset()
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#notice")).to_contain_text("Resolved", timeout=TIMEOUT_MS)
    expect(page.locator("#mine-list .card")).to_have_count(0)
    assert [r["path"].rsplit("/", 1)[-1] for r in rasa.requests] == ["events", "execute", "events"]
    assert rasa.requests[1]["body"] == {"name": "action_offer_survey"}
    assert handoffs.get_handoff(ids["handoff_id"], engine=console.engine)["status"] == "resolved"
    assert handoffs.get_handoff(other["handoff_id"], engine=console.engine)["status"] == "requested"
    page.screenshot(path=str(ARTIFACTS / "console-resolved.png"))

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{console.url}/login", timeout=TIMEOUT_MS)


def test_console_fits_a_small_laptop(console: Any, browser: Any) -> None:
    seed_waiting(console.engine, waited=timedelta(minutes=7))
    username = console.user("lead", "Sari")
    context = browser.new_context(viewport={"width": 1024, "height": 700})
    page = context.new_page()
    page.goto(f"{console.url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#queue-list .card").first).to_be_visible(timeout=TIMEOUT_MS)
    page.locator("#queue-list .card").first.click()
    expect(page.locator("#transcript .msg").first).to_be_visible(timeout=TIMEOUT_MS)
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "console-laptop.png"))
    context.close()
    assert not overflow
