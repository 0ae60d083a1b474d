"""A customer's photo joins their damaged- or wrong-item claim, whichever they send first."""
from datetime import datetime, timedelta

from bot.channels.photos import THANKS, THANKS_FOR_CLAIM, THANKS_FOR_CLAIM_ASK_FOR_TEAM, clean_photo, thanks
from cxm_store import customer_images, schema
from cxm_store.db import engine_for
from cxm_store.handoffs import claim_handoff, request_handoff
from cxm_store.touchpoints import record_customer_message
from tests.console.test_customer_photos import photo_with_gps


def test_a_photo_sent_before_the_customer_says_it_arrived_broken_joins_the_claim(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CXM_IMAGE_DIR", str(tmp_path / "images"))
    url = f"sqlite:///{tmp_path / 'store.db'}"
    schema.upgrade(url)
    engine = engine_for(url)
    at = datetime(2026, 11, 30, 8, 0)
    kept = customer_images.receive_photo("webchat", "web-photo-first", clean_photo(photo_with_gps()), at, thanks,
                                         engine=engine)
    assert kept["thanks"] == THANKS["id"]  # nothing said yet: the bot asks what it is about
    assert customer_images.conversation_images(kept["conversation_id"], engine=engine)[0]["claim_topic"] is None
    record_customer_message("web", "web-photo-first", "barangnya datang rusak", at + timedelta(seconds=30), "id",
                            intent="faq", topics=("faq/item_damaged",), engine=engine)
    (image,) = customer_images.conversation_images(kept["conversation_id"], engine=engine)
    assert image["claim_topic"] == "faq/item_damaged"

    # Now a claim: with nobody on it, the thanks says how to reach the team ...
    again = customer_images.receive_photo("webchat", "web-photo-first", clean_photo(photo_with_gps()),
                                          at + timedelta(minutes=1), thanks, engine=engine)
    assert again["thanks"] == THANKS_FOR_CLAIM_ASK_FOR_TEAM["id"]
    # ... waiting for an agent or with one, that the team will look at it; in English if the bot answers in English.
    handoff = request_handoff(kept["conversation_id"], at + timedelta(minutes=2), engine=engine)
    waiting = customer_images.receive_photo("webchat", "web-photo-first", clean_photo(photo_with_gps()),
                                            at + timedelta(minutes=3), thanks, engine=engine)
    assert waiting["thanks"] == THANKS_FOR_CLAIM["id"]
    assert claim_handoff(handoff, "rina", at + timedelta(minutes=4), engine=engine)
    english = customer_images.receive_photo("webchat", "web-photo-first", clean_photo(photo_with_gps()),
                                            at + timedelta(minutes=5), thanks, language="en", engine=engine)
    assert english["thanks"] == THANKS_FOR_CLAIM["en"]
    engine.dispose()
