"""Live console against the real stack: a REST customer asks for a person, the agent's page shows it.

Rasa, the action server and the capture write the handoff; the console
process notices it and pushes it to the open page (no reload, no polling).
Screenshot: ``tests/artifacts/live-stack-queue.png``.
"""
import time
import uuid
from typing import Any

import pytest

from cxm_store import auth, handoffs
from cxm_store.db import engine_for
from tests.console.conftest import ARTIFACTS, PASSWORD
from tests.console.test_console_live import NOTIFICATION_STUB

pytestmark = [pytest.mark.stack, pytest.mark.browser]

expect = pytest.importorskip("playwright.sync_api").expect


def test_customer_asking_for_a_person_over_rest_appears_within_a_second(stack: Any, chat: Any, browser: Any) -> None:
    username = f"live-{uuid.uuid4().hex[:6]}"
    auth.create_user(username, "Dewi", PASSWORD, "agent", engine=engine_for(stack.settings.cxm_database_url))
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    context.add_init_script(NOTIFICATION_STUB)
    page = context.new_page()
    try:
        page.goto(f"{stack.settings.web_url}/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("#live-status")).to_have_text("Live", timeout=10000)
        availability = page.locator("#availability")
        if availability.get_attribute("aria-checked") != "true":
            availability.click()
        expect(page.locator("#queue-meta")).to_contain_text("online", timeout=10000)

        sender = f"live-rest-{uuid.uuid4().hex[:8]}"
        words = f"saya mau bicara dengan CS soal {sender[-4:]}"
        replies = chat(sender, words)
        assert any("antrean" in (reply.get("text") or "") for reply in replies), replies
        # The capture writes the handoff into the store a moment after the reply
        # (its own thread; bench/console_latency.py reports both delays). The
        # console's part starts there: the page shows it within a second.
        engine = engine_for(stack.settings.cxm_database_url)
        deadline = time.monotonic() + 20
        while not any(e.opening_request == words for e in handoffs.waiting_queue(engine=engine)):
            assert time.monotonic() < deadline, "the capture never stored the handoff"
            time.sleep(0.02)
        card = page.locator("#queue-list .card", has_text=words)
        expect(card).to_have_count(1, timeout=1000)
        expect(page).to_have_title("(1) New customer waiting · Conversations · Serambi CX", timeout=1000)
        assert page.evaluate("window.__notifications")[-1]["body"] == words
        page.screenshot(path=str(ARTIFACTS / "live-stack-queue.png"))
    finally:
        context.close()
