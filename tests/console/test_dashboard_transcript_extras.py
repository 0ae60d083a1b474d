"""A lead reading a conversation on the dashboard sees the agents' notes and the customer's photos.

Notes and transfers are marked as internal (only agents see them); a photo
shows as the picture, as in the console, served by the same access-checked
route; the page stays leads-only and its read is audited.
Screenshot: ``tests/artifacts/dashboard-transcript-notes-photo.png``.
"""
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.channels.photos import clean_photo, thanks
from cxm_store import audit, customer_images, handoff_notes, handoffs
from cxm_store.touchpoints import record_customer_message
from tests.console.conftest import ARTIFACTS, seed_waiting
from tests.console.test_console_live import agent_page, log_in  # noqa: F401  (fixture)
from tests.console.test_customer_photos import photo_with_gps

expect = pytest.importorskip("playwright.sync_api").expect


def _conversation_with_a_note_a_transfer_and_a_photo(console: Any) -> dict:
    now = datetime.utcnow()
    ids = seed_waiting(console.engine, messages=["Saya mau bicara dengan agen"], now=now - timedelta(minutes=5))
    record_customer_message("web", ids["sender"], "Barang saya datang rusak, layarnya retak", now - timedelta(minutes=4),
                            "id", intent="faq", topics=("faq/item_damaged",), engine=console.engine)
    photo = customer_images.receive_photo(
        "webchat", ids["sender"], clean_photo(photo_with_gps((400, 300))), now - timedelta(minutes=3), thanks,
        engine=console.engine,
    )
    assert photo["conversation_id"] == ids["conversation_id"]
    agent = console.user("agent", "Rina")
    assert handoffs.claim_handoff(ids["handoff_id"], agent, now - timedelta(minutes=2), engine=console.engine)
    handoff_notes.add_note(ids["handoff_id"], agent, "Layar retak di foto, cek garansi dulu", now - timedelta(minutes=2),
                           engine=console.engine)
    handoff_notes.transfer(ids["handoff_id"], agent, None, "Butuh tim klaim", now - timedelta(minutes=1),
                           engine=console.engine)
    return {**ids, "image_id": photo["image_id"], "agent": agent}


@pytest.mark.browser
def test_lead_sees_internal_notes_and_the_photo_in_the_dashboard_transcript(
    console: Any, rasa: Any, agent_page: Any  # noqa: F811
) -> None:
    page = agent_page
    seeded = _conversation_with_a_note_a_transfer_and_a_photo(console)
    lead = console.user("lead", "Lia")
    log_in(page, console.url, lead)
    page.goto(f"{console.url}/dashboard/conversations/{seeded['conversation_id']}?lang=en")

    lines = page.locator(".ro-transcript .line")
    note, moved = page.locator(".ro-transcript .line.note").nth(0), page.locator(".ro-transcript .line.note").nth(1)
    expect(note).to_contain_text(f"Note from {seeded['agent']}")
    expect(note).to_contain_text("internal note · only agents see this")
    expect(note).to_contain_text("Layar retak di foto, cek garansi dulu")
    expect(moved).to_contain_text(f"Transferred by {seeded['agent']} to the queue")
    expect(moved).to_contain_text("Butuh tim klaim")
    picture = page.locator(".ro-transcript .line.customer img.customer-photo")
    expect(picture).to_have_count(1)
    expect(picture).to_have_attribute("alt", "Photo from the customer (400×300)")
    expect(picture).to_have_js_property("naturalWidth", 400)  # loaded; CSP forbids string predicates
    expect(page.locator(".ro-transcript .photo-claim")).to_have_text("kept with the damaged item claim")
    assert "[photo]" not in page.locator(".ro-transcript").inner_text()
    # In time order: the photo (and its thanks), then the note, then the transfer.
    kinds = [
        "photo" if lines.nth(i).locator("img").count() else ("note" if "note" in lines.nth(i).get_attribute("class") else "line")
        for i in range(lines.count())
    ]
    assert kinds.count("note") == 2 and kinds.index("photo") < kinds.index("note") and kinds[-1] == "note", kinds
    page.screenshot(path=str(ARTIFACTS / "dashboard-transcript-notes-photo.png"), full_page=True)

    page.goto(f"{console.url}/dashboard/conversations/{seeded['conversation_id']}?lang=id")
    expect(page.locator(".ro-transcript .line.note").first).to_contain_text(
        "catatan internal · hanya agen yang melihat ini")
    expect(page.locator(".ro-transcript .photo-claim")).to_have_text("disimpan bersama klaim barang rusak")

    reads = [e for e in audit.recent(action="read_transcript", engine=console.engine) if e["actor"] == lead]
    assert reads and reads[0]["subject"] == f"conversation {seeded['conversation_id']}"


def test_the_dashboard_transcript_with_notes_and_photos_stays_leads_only(console: Any, rasa: Any) -> None:
    seeded = _conversation_with_a_note_a_transfer_and_a_photo(console)
    path = f"/dashboard/conversations/{seeded['conversation_id']}"
    assert console.client(console.user("agent")).get(path).status_code == 403
    assert console.client().get(path).status_code in (302, 303, 401)
    assert console.client().get(f"/api/images/{seeded['image_id']}").status_code == 401
    page = console.client(console.user("lead")).get(path + "?lang=en")
    assert page.status_code == 200
    assert "Layar retak di foto, cek garansi dulu" in page.text and "only agents see this" in page.text
    assert f'src="/api/images/{seeded["image_id"]}"' in page.text
