"""A photo the web chat refuses is answered in the conversation's language, not the browser's.

A customer chatting in Indonesian on an English browser is told in
Indonesian (as the bot's replies are); a customer the bot has not met yet is
told in their browser's language. Screenshots:
``tests/artifacts/photo-refused-conversation-language.png`` and ``...-new-customer.png``.
"""
from typing import Any

import pytest

from bot.channels.photos import NOT_A_PHOTO
from tests.console.conftest import ARTIFACTS

expect = pytest.importorskip("playwright.sync_api").expect

NOT_AN_IMAGE = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"


@pytest.mark.stack
@pytest.mark.browser
def test_a_refused_photo_follows_the_conversations_language(stack: Any, browser: Any, tmp_path: Any) -> None:
    renamed = tmp_path / "foto-paket.jpg"
    renamed.write_bytes(NOT_AN_IMAGE)
    context = browser.new_context(viewport={"width": 900, "height": 800}, locale="en-US")
    try:
        chat = context.new_page()
        chat.goto(f"{stack.settings.rasa_url}/webhooks/webchat/")
        expect(chat.locator("#chat")).to_have_attribute("data-stream", "open", timeout=15000)
        replies = chat.locator("#messages .msg-bot")
        greeted = replies.count()
        chat.locator("#message-input").fill("halo kak, mau tanya soal pengembalian barang dong")
        chat.locator("#message-input").press("Enter")
        expect(replies.nth(greeted)).to_be_visible(timeout=15000)  # the bot's answer (in Indonesian)

        chat.locator("#photo-input").set_input_files(str(renamed))
        refused = chat.locator("#messages .msg-bot", has_text=NOT_A_PHOTO["id"])
        expect(refused).to_have_count(1, timeout=15000)
        expect(chat.locator("#messages .msg-bot", has_text=NOT_A_PHOTO["en"])).to_have_count(0)
        expect(chat.locator("#messages .msg-user").last).to_have_text("📷 Foto")  # the customer's bubble too
        chat.screenshot(path=str(ARTIFACTS / "photo-refused-conversation-language.png"))

        # A new chat: the bot has not met this customer, so the browser's language is all there is.
        chat.locator("#new-chat").click()
        chat.locator("#photo-input").set_input_files(str(renamed))
        expect(chat.locator("#messages .msg-bot", has_text=NOT_A_PHOTO["en"])).to_have_count(1, timeout=15000)
        expect(chat.locator("#messages .msg-user").last).to_have_text("📷 Photo")
        chat.screenshot(path=str(ARTIFACTS / "photo-refused-new-customer.png"))
    finally:
        context.close()
