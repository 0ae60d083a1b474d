"""Pictures from customers: checked by content, metadata stripped, kept with the claim, shown to agents.

The web chat's upload runs in the real Rasa process of the stack; the console
tests seed photos through the same store function the channels call.
Screenshot: ``tests/artifacts/photo-console.png``.
"""
import io
import os
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from typing import Any, Tuple

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.channels.photos import clean_photo, thanks
from cxm_store import customer_images
from cxm_store.console_models import CustomerImage
from cxm_store.db import engine_for, session_factory
from cxm_store.handoffs import messages_since
from cxm_store.models import Conversation, ConversationTopic, CustomerIdentity
from tests.conftest import post_json
from tests.console.conftest import ARTIFACTS, seed_waiting
from tests.console.test_console_live import agent_page, log_in  # noqa: F401  (fixture)

expect = pytest.importorskip("playwright.sync_api").expect

GPS = {1: "S", 2: (6.0, 10.0, 30.0), 3: "E", 4: (106.0, 49.0, 40.0)}


def photo_with_gps(size: Tuple[int, int] = (320, 240)) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # camera maker
    exif[0x8825] = GPS  # GPS IFD
    out = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(url: str, body: bytes, content_type: str = "image/jpeg") -> Tuple[int, dict]:
    import json

    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def damaged_item_topic(engine: Any, sender: str) -> bool:
    with session_factory(engine)() as session:
        return bool(session.scalar(
            select(func.count(ConversationTopic.id))
            .join(Conversation, Conversation.id == ConversationTopic.conversation_id)
            .join(CustomerIdentity, CustomerIdentity.customer_id == Conversation.customer_id)
            .where(CustomerIdentity.external_id == sender, ConversationTopic.topic == "faq/item_damaged")
        ))


def stored_count(engine: Any) -> Tuple[int, int]:
    with session_factory(engine)() as session:
        rows = session.scalar(select(func.count(CustomerImage.id)))
    folder = customer_images.image_dir()
    return rows, len(list(folder.iterdir())) if folder.exists() else 0


def test_cleaning_keeps_the_picture_and_drops_gps_and_camera() -> None:
    original = photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test photo has GPS
    clean = clean_photo(original)
    again = Image.open(io.BytesIO(clean.data))
    assert (again.format, again.size, clean.content_type) == ("JPEG", (320, 240), "image/jpeg")
    assert dict(again.getexif()) == {} and "exif" not in again.info
    assert again.getpixel((10, 10))[0] > 150  # still the red photo


@pytest.mark.stack
def test_web_chat_photo_for_a_damaged_item_is_kept_with_the_claim_without_gps(stack: Any) -> None:
    engine = engine_for(stack.settings.cxm_database_url)
    sender = f"web-{uuid.uuid4().hex[:12]}"
    base = f"{stack.settings.rasa_url}/webhooks/webchat"
    post_json(f"{base}/webhook", {"sender": sender, "message": "barang yang saya terima rusak, layarnya retak"})
    # The customer reads the answer before taking the photo; the capture has stored the topic by then.
    deadline = time.monotonic() + 20
    while not damaged_item_topic(engine, sender):
        assert time.monotonic() < deadline, "the damaged-item topic was never stored"
        time.sleep(0.1)
    status, body = upload(f"{base}/photo/{sender}", photo_with_gps())
    assert status == 200, body
    # No agent has the conversation: the thanks says how to have the team look at the photo.
    assert body["messages"][0]["text"] == thanks("id", for_claim=True, team_on_it=False)
    assert 'ketik "mau bicara dengan CS"' in body["messages"][0]["text"]
    with session_factory(engine)() as session:
        row = session.scalars(select(CustomerImage).order_by(CustomerImage.id.desc()).limit(1)).one()
    assert row.claim_topic == "faq/item_damaged"
    kept = Image.open(customer_images.image_dir() / row.path)
    assert dict(kept.getexif()) == {} and kept.size == (320, 240)
    assert b"SpyCam" not in (customer_images.image_dir() / row.path).read_bytes()
    lines = [(m["sender"], m["text"]) for m in messages_since(row.conversation_id, engine=engine)]
    assert lines[-2:] == [("customer", "[photo]"), ("bot", thanks("id", for_claim=True, team_on_it=False))]

    # The words it suggests are understood as asking for a person (the queue, or a message
    # to leave when nobody is online); tests/console/test_photo_claims.py: the thanks then.
    replies = post_json(f"{base}/webhook", {"sender": sender, "message": "mau bicara dengan CS"})
    assert any(w in (r.get("text") or "") for r in replies for w in ("antrean", "tinggalkan pesan")), replies


@pytest.mark.stack
def test_a_30_mb_photo_and_a_renamed_non_image_are_refused_and_nothing_is_stored(stack: Any) -> None:
    engine = engine_for(stack.settings.cxm_database_url)
    sender = f"web-{uuid.uuid4().hex[:12]}"
    base = f"{stack.settings.rasa_url}/webhooks/webchat/photo/{sender}"
    before = stored_count(engine)

    noise = Image.frombytes("RGB", (3300, 3300), os.urandom(3300 * 3300 * 3))
    big = io.BytesIO()
    noise.save(big, "PNG", compress_level=0)
    assert len(big.getvalue()) > 30 * 1024 * 1024
    status, body = upload(f"{base}?lang=en", big.getvalue(), "image/png")
    assert (status, body) == (413, {"error": "Sorry, photos can be at most 10 MB. Please send a smaller one.",
                                    "language": "en"})  # a customer not met yet: the browser's language

    boundary = "----serambi"
    form = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"kerusakan.jpg\"\r\n"
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + f"\r\n--{boundary}--\r\n".encode()
    status, body = upload(base, form, f"multipart/form-data; boundary={boundary}")
    assert (status, body) == (415, {"error": "Maaf Kak, yang bisa dikirim hanya foto (JPEG, PNG atau WebP).",
                                    "language": "id"})
    assert stored_count(engine) == before


@pytest.mark.browser
def test_agent_sees_the_customers_photo_in_the_transcript(clean_queue: Any, rasa: Any, agent_page: Any) -> None:  # noqa: F811
    console, page = clean_queue, agent_page
    ids = seed_waiting(console.engine, messages=["Barang saya rusak", "Saya mau bicara dengan agen"])
    kept = customer_images.receive_photo(
        "webchat", ids["sender"], clean_photo(photo_with_gps((400, 300))), datetime.utcnow(), thanks,
        engine=console.engine,
    )
    assert kept["conversation_id"] == ids["conversation_id"]
    log_in(page, console.url, console.user("agent", "Rina"))
    page.locator("#queue-list .card").first.click()
    picture = page.locator("#transcript .msg-customer img.customer-photo")
    expect(picture).to_have_count(1)
    expect(picture).to_have_attribute("alt", "Photo from the customer (400×300)")
    expect(picture).to_have_js_property("naturalWidth", 400)  # not a string predicate: CSP forbids eval
    page.screenshot(path=str(ARTIFACTS / "photo-console.png"))
    # Another agent's conversation's photo is not served to this agent.
    other = seed_waiting(console.engine)
    client = console.client(console.user("agent"))
    assert client.get(f"/api/images/{kept['image_id']}").status_code == 200  # waiting: any agent may look
    assert console.client().get(f"/api/images/{kept['image_id']}").status_code == 401
    assert other


def test_erasing_a_customer_removes_their_photos_and_files(tmp_path: Any, monkeypatch: Any) -> None:
    from cxm_store import schema

    monkeypatch.setenv("CXM_IMAGE_DIR", str(tmp_path / "images"))
    url = f"sqlite:///{tmp_path / 'store.db'}"
    schema.upgrade(url)
    engine = engine_for(url)
    kept = [
        customer_images.receive_photo("webchat", sender, clean_photo(photo_with_gps()), datetime.utcnow(), thanks, engine=engine)
        for sender in ("web-erase-me", "web-erase-me", "web-keep-me")
    ]
    with session_factory(engine)() as session:
        erased_customer = session.get(Conversation, kept[0]["conversation_id"]).customer_id
    assert customer_images.erase_customer_images(erased_customer, engine=engine) == 2
    assert [i["id"] for i in customer_images.conversation_images(kept[2]["conversation_id"], engine=engine)] == [kept[2]["image_id"]]
    assert customer_images.conversation_images(kept[0]["conversation_id"], engine=engine) == []
    assert len(list((tmp_path / "images").iterdir())) == 1
    (tmp_path / "images" / "left-behind.jpg").write_bytes(b"x")
    assert customer_images.remove_orphan_files(engine=engine) == 1


@pytest.mark.stack
@pytest.mark.browser
def test_customer_sends_a_photo_from_the_web_chat_and_the_agent_sees_it(stack: Any, browser: Any, tmp_path: Any) -> None:
    from cxm_store import auth
    from tests.console.conftest import PASSWORD
    from tests.console.test_console_live import NOTIFICATION_STUB

    engine = engine_for(stack.settings.cxm_database_url)
    username = f"photo-{uuid.uuid4().hex[:6]}"
    auth.create_user(username, "Sari", PASSWORD, "agent", engine=engine)
    agent_context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    agent_context.add_init_script(NOTIFICATION_STUB)
    customer_context = browser.new_context(viewport={"width": 900, "height": 800}, locale="id-ID")
    try:
        console, chat = agent_context.new_page(), customer_context.new_page()
        log_in(console, stack.settings.web_url, username)
        if console.locator("#availability").get_attribute("aria-checked") != "true":
            console.locator("#availability").click()
        expect(console.locator("#availability")).to_have_attribute("aria-checked", "true")

        chat.goto(f"{stack.settings.rasa_url}/webhooks/webchat/")
        expect(chat.locator("#chat")).to_have_attribute("data-stream", "open", timeout=15000)
        words = f"barang saya datang rusak, layarnya retak ({uuid.uuid4().hex[:4]})"
        # Not tests/test_handoff_e2e.py's words: this customer stays in the
        # shared stack's queue, and that test finds its own card by its text.
        for line in (words, "saya mau ngobrol sama orang aja"):
            chat.locator("#message-input").fill(line)
            chat.locator("#message-input").press("Enter")
            expect(chat.locator("#messages .msg-user", has_text=line)).to_have_count(1, timeout=15000)
        expect(chat.locator("#messages .msg-bot", has_text="antrean")).to_have_count(1, timeout=15000)
        photo = tmp_path / "paket-rusak.jpg"
        photo.write_bytes(photo_with_gps((500, 375)))
        chat.locator("#photo-input").set_input_files(str(photo))
        expect(chat.locator("#messages .msg-bot", has_text="Terima kasih Kak, fotonya")).to_have_count(1, timeout=15000)
        chat.screenshot(path=str(ARTIFACTS / "photo-webchat-customer.png"))

        card = console.locator("#queue-list .card", has_text=words)
        expect(card).to_have_count(1, timeout=20000)
        card.click()
        picture = console.locator("#transcript img.customer-photo")
        expect(picture).to_have_count(1, timeout=15000)
        # A property read, not a string predicate: the console's CSP forbids eval.
        expect(picture).to_have_js_property("naturalWidth", 500, timeout=15000)
        console.screenshot(path=str(ARTIFACTS / "photo-webchat-console.png"))
    finally:
        agent_context.close()
        customer_context.close()
