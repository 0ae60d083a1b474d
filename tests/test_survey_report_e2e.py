"""From a customer's survey answers to the CX report, end to end, on the running stack.

A customer asks a real question, thanks the bot, answers the whole survey
(REST in Indonesian, then the web chat page in English in headless Chromium);
the capture (bot/capture.py, asynchronous) stores the answers, and
``python -m cxm_store report --format json`` must then show exactly those
figures.

Other tests of the session write REST and web conversations too, so each test
reports on a window that starts when the test starts (``--since <ISO time>``):
tests run one after another, so only this test's conversation is in it.
"""
import json
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List, Optional

import pytest
from sqlalchemy import select

from cxm_store.db import engine_for, session_factory
from cxm_store.models import Conversation, CustomerIdentity, SurveyAnswer
from tests.conftest import ARTIFACTS, ROOT

pytestmark = pytest.mark.stack

CAPTURE_DEADLINE_S = 20.0
REPLY_TIMEOUT_MS = 15000


# --- Helpers ---------------------------------------------------------------------------


def texts(replies: List[Dict[str, Any]]) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)


def report(database_url: str, since: datetime, channel: str, language: str) -> Dict[str, Any]:
    """``python -m cxm_store report --format json`` as an operator runs it."""
    completed = subprocess.run(
        [
            sys.executable, "-m", "cxm_store", "--database-url", database_url, "report",
            # Until a moment to come: the conversation may have begun in this very second.
            "--since", since.isoformat(timespec="seconds"),
            "--until", (datetime.utcnow() + timedelta(seconds=2)).isoformat(timespec="seconds"), "--channel", channel,
            "--language", language, "--format", "json",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def current(document: Dict[str, Any]) -> Dict[str, Optional[float]]:
    return {metric: values["current"] for metric, values in document["summary"].items()}


def poll_report(
    database_url: str, since: datetime, channel: str, language: str,
    ready: Callable[[Dict[str, Optional[float]]], bool],
) -> Dict[str, Optional[float]]:
    """The report's current figures once ``ready`` holds (the capture is asynchronous)."""
    deadline = time.monotonic() + CAPTURE_DEADLINE_S
    while True:
        figures = current(report(database_url, since, channel, language))
        if ready(figures) or time.monotonic() > deadline:
            return figures
        time.sleep(0.5)


def conversation_of(database_url: str, channel: str, sender: str) -> Dict[str, Any]:
    """The (single) conversation of ``sender`` with its survey answers, from the store."""
    with session_factory(engine_for(database_url))() as session:
        conversations = session.execute(
            select(Conversation)
            .join(CustomerIdentity, CustomerIdentity.customer_id == Conversation.customer_id)
            .where(CustomerIdentity.channel == channel, CustomerIdentity.external_id == sender)
        ).scalars().all()
        assert len(conversations) == 1, f"expected one conversation for {sender}, got {len(conversations)}"
        conversation = conversations[0]
        answers = session.execute(
            select(SurveyAnswer).where(SurveyAnswer.conversation_id == conversation.id)
        ).scalars().all()
        return {
            "id": conversation.id,
            "channel": conversation.channel,
            "language": conversation.language,
            "outcome": conversation.outcome,
            "answers": {a.kind: (a.status, a.score, a.comment) for a in answers},
        }


def window_start() -> datetime:
    """The next whole second (naive UTC, as stored), once it has come.

    ``--since`` takes whole seconds. Waiting for the next one keeps the
    conversations of the test before (which may have ended a few ms ago, in
    this same second) out of the window; a second of slack before now let
    them in when the tests ran back to back.
    """
    now = datetime.utcnow()
    start = now.replace(microsecond=0) + timedelta(seconds=1)
    time.sleep((start - now).total_seconds())
    return start


# --- Indonesian, over REST ---------------------------------------------------------------


def test_indonesian_rest_survey_reaches_the_report(stack: Any, chat: Any) -> None:
    since = window_start()
    sender = f"e2e-survey-id-{uuid.uuid4().hex[:10]}"
    database_url = stack.settings.cxm_database_url

    answer = texts(chat(sender, "brp ongkir ke bandung kak?"))
    assert "ongkir" in answer.lower() or "ongkos" in answer.lower(), answer

    thanks = texts(chat(sender, "makasih kak"))
    assert "Sama-sama" in thanks, thanks
    assert "Apakah pertanyaan Kakak sudah terjawab?" in thanks, thanks

    assert "Seberapa puas" in texts(chat(sender, "ya"))
    assert "Seberapa mudah" in texts(chat(sender, "5"))
    # A new customer: NPS is due.
    assert "merekomendasikan" in texts(chat(sender, "6"))
    assert "saran atau komentar" in texts(chat(sender, "9"))
    assert "Terima kasih atas penilaiannya" in texts(chat(sender, "mantap, cepat"))

    figures = poll_report(
        database_url, since, "rest", "id",
        lambda f: f["csat_mean"] is not None and f["ces_mean"] is not None and f["nps"] is not None,
    )
    stored = conversation_of(database_url, "rest", sender)
    assert stored["language"] == "id"
    assert stored["answers"] == {
        "resolved": ("answered", 1, None),
        "csat": ("answered", 5, None),
        "ces": ("answered", 6, None),
        "nps": ("answered", 9, None),
        "comment": ("answered", None, "mantap, cepat"),
    }
    assert stored["outcome"] == "resolved"
    assert figures["conversations"] == 1, figures
    assert figures["csat_mean"] == 5.0
    assert figures["csat_percent"] == 100.0
    assert figures["ces_mean"] == 6.0
    assert figures["ces_easy_percent"] == 100.0
    assert figures["nps"] == 100.0
    assert figures["survey_response_rate"] == 100.0
    # Open conversations have no closed outcome yet: the report leaves them out.
    assert figures["escalation_rate"] is None


# --- English, through the web chat page -------------------------------------------------------


def test_english_webchat_survey_buttons_reach_the_report(stack: Any, browser: Any) -> None:
    pytest.importorskip("playwright.sync_api")
    from playwright.sync_api import expect

    since = window_start()
    database_url = stack.settings.cxm_database_url
    context = browser.new_context(viewport={"width": 1000, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{stack.settings.rasa_url}/webhooks/webchat/")
        bots = page.locator("#messages .msg.msg-bot")
        expect(bots.first).to_be_visible(timeout=REPLY_TIMEOUT_MS)

        def say(text: str) -> None:
            before = bots.count()
            box = page.locator("#message-input")
            box.fill(text)
            box.press("Enter")
            expect(bots.nth(before)).to_be_visible(timeout=REPLY_TIMEOUT_MS)

        def click(question: str, title: str) -> None:
            """Click button ``title`` under the latest bot message containing ``question``."""
            message = bots.filter(has_text=question).last
            expect(message).to_be_visible(timeout=REPLY_TIMEOUT_MS)
            button = message.locator(".quick-reply", has_text=title)
            expect(button.first).to_be_enabled(timeout=REPLY_TIMEOUT_MS)
            button.first.click()

        say("how long does delivery take?")
        expect(bots.last).to_contain_text("working days", timeout=REPLY_TIMEOUT_MS)
        say("thanks")
        click("Was your question answered?", "Yes")
        click("How satisfied are you", "4 🙂")
        click("How easy was it", "5")
        recommend = bots.filter(has_text="How likely are you to recommend")
        comment = bots.filter(has_text="any suggestions or comments")
        expect(recommend.or_(comment).first).to_be_visible(timeout=REPLY_TIMEOUT_MS)
        nps_asked = recommend.count() > 0
        if nps_asked:
            # Exact title: "8", not "10" nor "Skip".
            message = recommend.last
            message.locator(".quick-reply").filter(has_text="8").first.click()
        click("any suggestions or comments", "Skip")
        # "Skip" declines the comment: the survey ends with a polite line.
        expect(bots.last).not_to_contain_text("any suggestions or comments", timeout=REPLY_TIMEOUT_MS)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "survey-webchat-en.png"), full_page=True)
        sender = page.evaluate("() => localStorage.getItem('serambi.sender')")
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"

    figures = poll_report(
        database_url, since, "web", "en",
        lambda f: f["csat_mean"] is not None and f["ces_mean"] is not None
        and (f["nps"] is not None or not nps_asked),
    )
    stored = conversation_of(database_url, "web", sender)
    assert stored["language"] == "en"
    assert stored["answers"]["csat"] == ("answered", 4, None)
    assert stored["answers"]["ces"] == ("answered", 5, None)
    assert stored["answers"]["comment"][0] == "declined"
    assert figures["conversations"] == 1, figures
    assert figures["csat_mean"] == 4.0
    assert figures["csat_percent"] == 100.0
    assert figures["ces_mean"] == 5.0
    assert figures["ces_easy_percent"] == 100.0
    if nps_asked:
        assert stored["answers"]["nps"] == ("answered", 8, None)
        assert figures["nps"] == 0.0  # one passive
    assert stored["outcome"] == "resolved"
