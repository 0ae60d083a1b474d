"""One customer, two channels, an unhappy score and the loop closed, in headless Chromium.

A customer asks on the web chat and asks for a link code; on Telegram (fake
Bot API) they type it, ask again and rate the answer CSAT 1. The lead sees
one customer with both conversations in the journey and an open follow-up;
an agent takes it, notes the call and closes it as reached; the lead's
closed-loop figures move from 1 opened / 0 closed to 1 closed in time.
Screenshots: tests/artifacts/journey-*.png.
"""
import re
import time
from typing import Any

import pytest

from cxm_store import follow_ups
from cxm_store.db import engine_for
from cxm_store.touchpoints import customer_id_for
from tests.conftest import ARTIFACTS
from tests.journey.conftest import PASSWORD
from tests.telegram.test_telegram_stack import Customer

pytestmark = pytest.mark.stack
REPLY_TIMEOUT_MS = 60_000


def _login(browser: Any, url: str, username: str) -> Any:
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US").new_page()
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#agent-name")).to_be_visible()
    return page


def _wait(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def test_a_customer_on_two_channels_and_a_closed_follow_up(journey_stack, fake_telegram, browser):
    pytest.importorskip("playwright.sync_api")
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settings = journey_stack.settings
    engine = engine_for(settings.cxm_database_url)

    # The web chat: a question, then the link code.
    chat = browser.new_context(viewport={"width": 900, "height": 900}, locale="id-ID").new_page()
    errors: list = []
    chat.on("pageerror", lambda error: errors.append(str(error)))
    chat.goto(f"{settings.rasa_url}/webhooks/webchat/")
    bots = chat.locator("#messages .msg.msg-bot")
    expect(bots.first).to_be_visible(timeout=REPLY_TIMEOUT_MS)

    def say(text: str, expect_text: str) -> str:
        before = bots.count()
        chat.locator("#message-input").fill(text)
        chat.locator("#message-input").press("Enter")
        expect(bots.nth(before)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
        expect(bots.last).to_contain_text(expect_text, timeout=REPLY_TIMEOUT_MS)
        return bots.last.inner_text()

    say("kak cara retur barang gimana?", "retur")
    shown = say("hubungkan akun saya", "Kode penghubung")
    code = re.search(r"\d{4}-\d{4}", shown).group(0)
    chat.screenshot(path=str(ARTIFACTS / "journey-webchat-code.png"), full_page=True)
    web_sender = chat.evaluate("() => localStorage.getItem('serambi.sender')")

    # Telegram: the code typed there links the two; then a question and a CSAT of 1.
    customer = Customer(journey_stack, fake_telegram, "id")
    customer.say("halo kak", "Halo Kak")
    assert "Telegram, web chat" in customer.say(f"hubungkan {code}", "✅")
    customer.say("brp ongkir ke bandung kak?", "Ongkir")
    customer.say("makasih kak", "terjawab")
    customer.say("ya", "Seberapa puas")
    customer.say("1", "kurang menyenangkan")
    tg_sender = f"tg-{customer.chat}"
    person = customer_id_for("web", web_sender, engine=engine)
    assert person is not None and customer_id_for("telegram", tg_sender, engine=engine) == person
    opened = _wait(lambda: follow_ups.list_follow_ups(time_now(), engine=engine),
                   "the follow-up of the CSAT 1")
    assert [(f.reason, f.score, f.customer_id, f.channel) for f in opened] == [
        ("csat", 1, person, "telegram")]

    # The lead: figures before, the follow-up with one customer on both channels.
    lead = _login(browser, settings.web_url, "lena")
    lead.goto(f"{settings.web_url}/dashboard")
    lead.locator("#loop-link").click()
    expect(lead).to_have_url(re.compile(r"/loop\?"))
    expect(lead.locator("#fu-opened")).to_have_text("1")
    expect(lead.locator("#fu-closed")).to_have_text("0")
    lead.screenshot(path=str(ARTIFACTS / "journey-loop-before.png"), full_page=True)
    lead.goto(f"{settings.web_url}/follow-ups")
    lead.locator(f"[data-follow-up='{opened[0].id}'] a").click()
    timeline = lead.locator("#journey .timeline-item")
    expect(timeline).to_have_count(2)
    expect(timeline.nth(0)).to_contain_text("web")
    expect(timeline.nth(1)).to_contain_text("telegram")
    expect(timeline.nth(1)).to_contain_text("CSAT 1")
    expect(lead.locator("#journey .journey-channels")).to_contain_text("linked")
    lead.screenshot(path=str(ARTIFACTS / "journey-lead-follow-up.png"), full_page=True)

    # The agent takes it, notes the call, closes it as reached.
    agent = _login(browser, settings.web_url, "rina")
    agent.goto(f"{settings.web_url}/follow-ups")
    agent.locator(f"[data-follow-up='{opened[0].id}'] a").click()
    agent.locator("#take-button").click()
    expect(agent.locator("#follow-up-owner")).to_have_text("rina")
    agent.locator("#note-text").fill("Called her on 0812-3456-7890, she got the refund steps.")
    agent.locator("#note-button").click()
    expect(agent.locator("#notes")).to_contain_text("she got the refund steps")
    expect(agent.locator("#notes")).not_to_contain_text("0812-3456-7890")
    agent.locator("#outcome").select_option("reached")
    agent.locator("#close-button").click()
    expect(agent.locator("#follow-up-state")).to_have_text("reached")
    agent.screenshot(path=str(ARTIFACTS / "journey-agent-closed.png"), full_page=True)

    # The lead's figures follow.
    lead.goto(f"{settings.web_url}/loop")
    expect(lead.locator("#fu-closed")).to_have_text("1")
    expect(lead.locator("#fu-in-time")).to_have_text("1")
    expect(lead.locator("#fu-breached")).to_have_text("0")
    lead.screenshot(path=str(ARTIFACTS / "journey-loop-after.png"), full_page=True)
    assert not errors, f"JavaScript errors on the chat page: {errors}"


def time_now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)
