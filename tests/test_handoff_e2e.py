"""A customer handed to a person, end to end: web chat page and agent console, both in Chromium.

Page A is the agent's console (``{web_url}/console``), page B the customer's
web chat (``/webhooks/webchat/``), against the real stack: Rasa, the action
server, the capture into the store, and the console talking back to Rasa.
Screenshots go to ``tests/artifacts/handoff-*.png``.
"""
import json
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, Dict, Optional

import pytest

from cxm_store import auth, handoffs
from cxm_store.db import engine_for
from tests.conftest import ARTIFACTS, ROOT

pytestmark = [pytest.mark.stack, pytest.mark.browser]

expect = pytest.importorskip("playwright.sync_api").expect

TIMEOUT_MS = 15000
CAPTURE_DEADLINE_S = 20.0
PASSWORD = "correct horse battery"
# Words of this run only: other tests on the session's stack ask for a person too,
# and their cards share the console's queue.
HANDOFF_WORDS = f"saya mau bicara dengan CS soal {uuid.uuid4().hex[:4]}"


def report(database_url: str, since: datetime) -> Dict[str, Optional[float]]:
    completed = subprocess.run(
        [
            sys.executable, "-m", "cxm_store", "--database-url", database_url, "report",
            "--since", since.isoformat(timespec="seconds"), "--channel", "web", "--format", "json",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    return {m: v["current"] for m, v in json.loads(completed.stdout)["summary"].items()}


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"handoff-{name}.png"), full_page=True)


def test_customer_is_handed_to_an_agent_and_surveyed_after(stack: Any, browser: Any) -> None:
    since = datetime.utcnow().replace(microsecond=0) - timedelta(seconds=1)
    database_url = stack.settings.cxm_database_url
    username = f"rina-{uuid.uuid4().hex[:6]}"
    auth.create_user(username, "Rina Wulandari", PASSWORD, "agent", engine=engine_for(database_url))

    errors: list = []
    agent_context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    customer_context = browser.new_context(viewport={"width": 900, "height": 800}, locale="id-ID")
    try:
        console = agent_context.new_page()
        chat = customer_context.new_page()
        for page in (console, chat):
            page.on("pageerror", lambda error: errors.append(str(error)))

        # Page A: the agent logs in and becomes available.
        console.goto(f"{stack.settings.web_url}/console")
        console.get_by_label("Username").fill(username)
        console.get_by_label("Password").fill(PASSWORD)
        console.get_by_role("button", name="Log in").click()
        expect(console.locator("#agent-name")).to_have_text("Rina Wulandari", timeout=TIMEOUT_MS)
        availability = console.locator("#availability")
        if availability.get_attribute("aria-checked") != "true":
            availability.click()
        expect(availability).to_have_attribute("aria-checked", "true", timeout=TIMEOUT_MS)
        expect(console.locator("#queue-meta")).to_contain_text("online", timeout=TIMEOUT_MS)

        # Page B: the customer asks for a person and is queued.
        chat.goto(f"{stack.settings.rasa_url}/webhooks/webchat/")
        bots = chat.locator("#messages .msg.msg-bot")
        expect(bots.first).to_be_visible(timeout=TIMEOUT_MS)
        expect(chat.locator("#chat")).to_have_attribute("data-stream", "open", timeout=TIMEOUT_MS)

        def customer_says(text: str) -> None:
            box = chat.locator("#message-input")
            box.fill(text)
            box.press("Enter")
            expect(chat.locator("#messages .msg.msg-user").last).to_have_text(text, timeout=TIMEOUT_MS)

        # First in line unless earlier tests of the session left customers waiting.
        position = len(handoffs.waiting_queue(engine=engine_for(database_url))) + 1
        customer_says(HANDOFF_WORDS)
        queued = f"antrean ke-{position},"
        expect(bots.filter(has_text=queued)).to_have_count(1, timeout=TIMEOUT_MS)
        shoot(chat, "customer-queued")

        # Page A: the customer is waiting, with their transcript.
        card = console.locator("#queue-list .card", has_text=HANDOFF_WORDS)
        expect(card).to_have_count(1, timeout=TIMEOUT_MS)
        card.click()
        transcript = console.locator("#transcript .msg")
        expect(transcript.filter(has_text=HANDOFF_WORDS)).to_have_count(1, timeout=TIMEOUT_MS)
        expect(transcript.filter(has_text=queued)).to_have_count(1, timeout=TIMEOUT_MS)
        shoot(console, "agent-queue")

        console.get_by_role("button", name="Claim").click()
        expect(console.locator("#mine-list .card")).to_have_count(1, timeout=TIMEOUT_MS)
        expect(console.locator("#reply-text")).to_be_enabled(timeout=TIMEOUT_MS)

        greeting = "Halo Kak, saya Rina dari tim CS."
        console.locator("#reply-text").fill(greeting)
        console.get_by_role("button", name="Send").click()
        expect(console.locator("#reply-status")).to_have_text("Delivered", timeout=TIMEOUT_MS)

        # Page B: the agent's reply arrives as a bot message, over the stream.
        expect(bots.filter(has_text=greeting)).to_have_count(1, timeout=TIMEOUT_MS)
        shoot(chat, "customer-agent-reply")

        # The customer answers; the agent sees it live, and the paused bot stays quiet.
        bots_before = bots.count()
        customer_says("refund saya belum masuk")
        expect(transcript.filter(has_text="refund saya belum masuk")).to_have_count(1, timeout=TIMEOUT_MS)
        expect(console.locator("#transcript .msg-agent", has_text=greeting)).to_have_count(
            1, timeout=TIMEOUT_MS
        )
        shoot(console, "agent-claimed")
        assert bots.count() == bots_before, "the bot must not answer while an agent has the customer"

        # The agent resolves: the customer gets the survey, with its buttons.
        console.get_by_role("button", name="Resolve").click()
        expect(console.locator("#notice")).to_contain_text("Resolved", timeout=TIMEOUT_MS)
        expect(console.locator("#mine-list .card")).to_have_count(0, timeout=TIMEOUT_MS)
        survey = bots.filter(has_text="Apakah pertanyaan Kakak sudah terjawab?")
        expect(survey).to_have_count(1, timeout=TIMEOUT_MS)
        buttons = survey.locator(".quick-reply")
        expect(buttons).to_have_count(3)
        expect(buttons.nth(0)).to_have_text("Ya, sudah")
        expect(buttons.nth(0)).to_be_enabled()
        shoot(chat, "customer-survey")
        shoot(console, "agent-resolved")
    finally:
        agent_context.close()
        customer_context.close()
    assert not errors, f"JavaScript errors on the pages: {errors}"

    # The report (web channel, this test's window) times the handoff.
    deadline = time.monotonic() + CAPTURE_DEADLINE_S
    while True:
        figures = report(database_url, since)
        if figures["handoff_resolution_median_s"] is not None or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert figures["handoff_wait_median_s"] is not None, figures
    assert figures["handoff_resolution_median_s"] is not None, figures
    assert 0 <= figures["handoff_wait_median_s"] <= figures["handoff_resolution_median_s"] < 600
