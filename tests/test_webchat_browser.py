"""The customer web chat page, driven in headless Chromium against the running stack.

Each test opens the page in a fresh browser context (empty localStorage, so a
new sender and a new conversation) at ``/webhooks/webchat/``.
"""
import json
import urllib.request
from typing import Any, Iterator

import pytest

from tests.conftest import ARTIFACTS, rasa_api

pytestmark = [pytest.mark.stack, pytest.mark.browser]

expect = pytest.importorskip("playwright.sync_api").expect

REPLY_TIMEOUT_MS = 15000
GREETING = "Halo! Tanya apa saja soal pesanan"
CONNECTION_LOST = "Koneksi terputus, coba lagi / Connection lost, please retry"


@pytest.fixture
def page(stack: Any, browser: Any) -> Iterator[Any]:
    """The chat page, loaded, in a fresh context (new sender, empty conversation)."""
    context = browser.new_context(viewport={"width": 1000, "height": 760}, locale="id-ID")
    page = context.new_page()
    errors: list = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{stack.settings.rasa_url}/webhooks/webchat/")
    expect(page.locator("#messages")).to_be_visible()
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def bot_messages(page: Any) -> Any:
    return page.locator("#messages .msg.msg-bot")


def user_messages(page: Any) -> Any:
    return page.locator("#messages .msg.msg-user")


def type_and_enter(page: Any, text: str) -> None:
    box = page.locator("#message-input")
    box.fill(text)
    box.press("Enter")


def ask(page: Any, text: str) -> Any:
    """Type ``text``, press Enter, and return the locator of the bot's first reply to it."""
    already = bot_messages(page).count()
    type_and_enter(page, text)
    reply = bot_messages(page).nth(already)
    expect(reply).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    return reply


def sender_of(page: Any) -> str:
    sender = page.evaluate("() => localStorage.getItem('serambi.sender')")
    assert sender, "the page keeps its sender id in localStorage['serambi.sender']"
    return sender


def push_as_agent(stack: Any, sender: str, text: str) -> None:
    """Append a bot message to the conversation through Rasa's API, as the agent console does."""
    rasa_api(
        stack.settings,
        f"/conversations/{sender}/tracker/events?execute_side_effects=true&output_channel=webchat",
        [{"event": "bot", "text": text, "metadata": {"agent": "rina"}}],
    )


def wait_for_stream(page: Any) -> None:
    """Wait until the page's EventSource is open (the page marks it on #chat)."""
    expect(page.locator("#chat")).to_have_attribute("data-stream", "open", timeout=REPLY_TIMEOUT_MS)


def test_indonesian_question_gets_indonesian_answer(page: Any) -> None:
    expect(bot_messages(page).first).to_contain_text(GREETING)

    reply = ask(page, "berapa lama pengiriman ke surabaya kak?")

    expect(user_messages(page).last).to_have_text("berapa lama pengiriman ke surabaya kak?")
    expect(reply).to_contain_text("hari kerja", timeout=REPLY_TIMEOUT_MS)
    expect(reply).not_to_contain_text("working days")
    # Newlines and bullets survive (rendered as text, white-space: pre-wrap).
    assert "\n• " in reply.locator(".msg-text").inner_text()
    expect(page.locator("#message-input")).to_be_enabled()
    expect(page.locator("#message-input")).to_have_value("")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "webchat-indonesian.png"))


def test_clarification_buttons_send_payload_and_show_title(page: Any) -> None:
    clarification = ask(page, "qwzx vbnm")
    buttons = clarification.locator(".quick-reply")
    expect(buttons.nth(1)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    assert buttons.count() >= 2
    assert buttons.first.evaluate("b => b.tagName") == "BUTTON"
    title = buttons.first.inner_text().strip()
    users_before = user_messages(page).count()
    bots_before = bot_messages(page).count()

    with page.expect_request(lambda r: r.url.endswith("/webhook") and r.method == "POST") as sent:
        buttons.first.click()

    payload = sent.value.post_data_json["message"]
    assert payload and payload != title, "the button's payload is sent, not its title"
    customer_bubble = user_messages(page).nth(users_before)
    expect(customer_bubble).to_have_text(title)
    expect(bot_messages(page).nth(bots_before)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    # A used group of buttons is retired.
    for index in range(buttons.count()):
        expect(buttons.nth(index)).to_be_disabled()


def test_english_question_gets_english_answer(page: Any) -> None:
    reply = ask(page, "how long does delivery take?")

    expect(reply).to_contain_text("working days", timeout=REPLY_TIMEOUT_MS)
    expect(reply).not_to_contain_text("hari kerja")


def test_customer_markup_is_shown_as_text(page: Any) -> None:
    markup = "<b>bold</b><script>window.pwned=1</script>"

    reply = ask(page, markup)

    expect(user_messages(page).last).to_have_text(markup)
    expect(page.locator("#messages b, #messages script")).to_have_count(0)
    assert page.evaluate("() => typeof window.pwned") == "undefined"
    expect(reply).not_to_be_empty()


def test_agent_message_pushed_over_sse_appears(stack: Any, page: Any) -> None:
    wait_for_stream(page)
    before = bot_messages(page).count()

    push_as_agent(stack, sender_of(page), "Halo, saya Rina dari tim CS.")

    expect(bot_messages(page).nth(before)).to_contain_text(
        "Halo, saya Rina dari tim CS.", timeout=REPLY_TIMEOUT_MS
    )
    expect(bot_messages(page).filter(has_text="saya Rina")).to_have_count(1)


def test_pushed_bot_markup_is_shown_as_text(stack: Any, page: Any) -> None:
    wait_for_stream(page)
    markup = '<img src=x onerror="window.pwned=1">Promo <i>hari ini</i>'

    push_as_agent(stack, sender_of(page), markup)

    expect(bot_messages(page).last).to_have_text(markup, timeout=REPLY_TIMEOUT_MS)
    expect(page.locator("#messages img, #messages i")).to_have_count(0)
    assert page.evaluate("() => typeof window.pwned") == "undefined"


def test_empty_input_is_not_sent_and_long_input_shows_counter(page: Any) -> None:
    box = page.locator("#message-input")
    box.fill("   ")
    expect(page.locator("#send-button")).to_be_disabled()
    box.press("Enter")
    expect(user_messages(page)).to_have_count(0)

    box.fill("a" * 1900)
    expect(page.locator("#char-count")).to_be_visible()
    expect(page.locator("#char-count")).to_contain_text("1900 / 2000")
    box.fill("a" * 10)
    expect(page.locator("#char-count")).to_be_hidden()
    assert box.get_attribute("maxlength") == "2000"


def test_network_error_keeps_text_and_retry_sends_it(page: Any) -> None:
    question = "berapa lama pengiriman ke bandung?"
    page.route("**/webhooks/webchat/webhook", lambda route: route.abort())

    type_and_enter(page, question)

    notice = page.locator("#error")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(CONNECTION_LOST)
    expect(page.locator("#message-input")).to_have_value(question)
    expect(page.locator("#message-input")).to_be_enabled()

    page.unroute("**/webhooks/webchat/webhook")
    before = bot_messages(page).count()
    page.get_by_role("button", name="Coba lagi").click()

    expect(bot_messages(page).nth(before)).to_contain_text("hari kerja", timeout=REPLY_TIMEOUT_MS)
    expect(notice).to_be_hidden()
    expect(user_messages(page)).to_have_count(1)
    expect(user_messages(page).first).to_have_text(question)
    expect(page.locator("#message-input")).to_have_value("")


def test_reload_continues_the_conversation_and_new_chat_resets_it(page: Any) -> None:
    ask(page, "halo kak")
    sender = sender_of(page)
    users = user_messages(page).count()

    page.reload()

    assert sender_of(page) == sender
    expect(user_messages(page)).to_have_count(users)
    expect(user_messages(page).first).to_have_text("halo kak")
    expect(page.locator("#messages .msg-greeting")).to_have_count(0)

    page.get_by_role("button", name="New chat").click()

    assert sender_of(page) != sender
    expect(user_messages(page)).to_have_count(0)
    expect(bot_messages(page)).to_have_count(1)
    expect(bot_messages(page).first).to_contain_text(GREETING)
