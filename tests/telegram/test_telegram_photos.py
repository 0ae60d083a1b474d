"""Photos on Telegram: a customer's photo, fetched from the (fake) Bot API, kept without GPS, shown in the console."""
import io
import time
import uuid
from typing import Any

import pytest
from PIL import Image

from bot.channels.photos import NOT_A_PHOTO, THANKS_FOR_CLAIM_ASK_FOR_TEAM
from bot.channels.telegram import sender_id_for
from bot.channels.telegram_photos import NOT_RECEIVED
from cxm_store import auth, customer_images
from cxm_store.db import engine_for
from tests.console.conftest import PASSWORD, Client
from tests.console.test_customer_photos import damaged_item_topic, photo_with_gps
from tests.telegram.conftest import TelegramStack
from tests.telegram.fake_api import FakeTelegram
from tests.telegram.test_telegram_stack import Customer

pytestmark = pytest.mark.stack


def test_a_telegram_photo_of_a_damaged_item_reaches_the_console_without_gps(
    tg_stack: TelegramStack, fake_telegram: FakeTelegram
) -> None:
    engine = engine_for(tg_stack.settings.cxm_database_url)
    customer = Customer(tg_stack, fake_telegram, "id")
    customer.say("barang yang saya terima rusak, layarnya retak", "")
    deadline = time.monotonic() + 20
    while not damaged_item_topic(engine, sender_id_for(customer.chat)):
        assert time.monotonic() < deadline, "the damaged-item topic was never stored"
        time.sleep(0.1)

    file_id = f"photo{uuid.uuid4().hex[:8]}"
    fake_telegram.add_file(file_id, photo_with_gps((640, 480)))
    sizes = [{"file_id": "thumb", "file_unique_id": "t", "width": 90, "height": 68},
             {"file_id": file_id, "file_unique_id": file_id, "width": 640, "height": 480}]
    assert THANKS_FOR_CLAIM_ASK_FOR_TEAM["id"] in customer.say(None, "Terima kasih Kak, fotonya", photo=sizes)
    assert fake_telegram.calls_to("getFile")[-1].params["file_id"] == file_id  # the largest size

    # The console: a lead opens the conversation and sees the photo, without its GPS.
    lead = f"lead-{uuid.uuid4().hex[:6]}"
    auth.create_user(lead, "Lia", PASSWORD, "lead", engine=engine)
    client = Client(tg_stack.settings.web_url)
    client.login(lead)
    conversation_id = conversation_of(engine, customer.chat)
    transcript = client.get(f"/api/conversations/{conversation_id}").json()["transcript"]
    assert [m["text"] for m in transcript[-2:]] == ["[photo]", THANKS_FOR_CLAIM_ASK_FOR_TEAM["id"]]
    (image,) = client.get(f"/api/conversations/{conversation_id}/images").json()["images"]
    assert (image["width"], image["height"], image["claim_topic"]) == (640, 480, "faq/item_damaged")
    served = client.get(f"/api/images/{image['id']}")
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(served.content))
    assert dict(picture.getexif()) == {} and picture.size == (640, 480)


def test_a_photo_telegram_cannot_deliver_gets_a_request_to_resend(
    tg_stack: TelegramStack, fake_telegram: FakeTelegram
) -> None:
    customer = Customer(tg_stack, fake_telegram, "id")
    missing = [{"file_id": "gone", "file_unique_id": "gone", "width": 90, "height": 90}]
    assert NOT_RECEIVED["id"] in customer.say(None, NOT_RECEIVED["id"], photo=missing)


def conversation_of(engine: Any, chat: int) -> int:
    from sqlalchemy import select

    from cxm_store.db import session_factory
    from cxm_store.models import Conversation, CustomerIdentity

    with session_factory(engine)() as session:
        return session.scalar(
            select(Conversation.id)
            .join(CustomerIdentity, CustomerIdentity.customer_id == Conversation.customer_id)
            .where(CustomerIdentity.external_id == sender_id_for(chat))
            .order_by(Conversation.id.desc())
            .limit(1)
        )


def _photo(fake_telegram: FakeTelegram, data: bytes) -> list:
    file_id = f"photo{uuid.uuid4().hex[:8]}"
    fake_telegram.add_file(file_id, data)
    return [{"file_id": file_id, "file_unique_id": file_id, "width": 640, "height": 480}]


def test_a_refused_telegram_photo_follows_the_conversation_not_the_phones_language(
    tg_stack: TelegramStack, fake_telegram: FakeTelegram
) -> None:
    """A customer whose Telegram is set to Indonesian but who chats in English is refused in English."""
    customer = Customer(tg_stack, fake_telegram, "id")
    customer.say("hello, how do I return an item I bought?", "")
    not_an_image = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    refused = customer.say(None, NOT_A_PHOTO["en"], photo=_photo(fake_telegram, not_an_image))
    assert NOT_A_PHOTO["id"] not in refused


def test_a_photo_whose_caption_reports_the_damage_is_answered_and_kept_with_the_claim(
    tg_stack: TelegramStack, fake_telegram: FakeTelegram
) -> None:
    engine = engine_for(tg_stack.settings.cxm_database_url)
    customer = Customer(tg_stack, fake_telegram, "id")
    said = customer.say(None, "fotonya sudah kami terima", photo=_photo(fake_telegram, photo_with_gps((640, 480))),
                        caption="paket saya datang rusak, layarnya retak")
    assert "maaf barangnya sampai rusak" in said  # the caption was read as the customer's words
    assert said.index("maaf barangnya sampai rusak") < said.index("fotonya sudah kami terima")
    conversation_id = conversation_of(engine, customer.chat)
    (image,) = customer_images.conversation_images(conversation_id, engine=engine)
    assert image["claim_topic"] == "faq/item_damaged"
