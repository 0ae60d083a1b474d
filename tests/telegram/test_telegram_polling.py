"""Polling mode end to end: the Rasa server fetches updates with getUpdates from
the fake Bot API server (what `make run` does with only TELEGRAM_BOT_TOKEN set).
"""
import json
import os
import urllib.error
import urllib.request
from typing import Iterator, Optional

import pytest

from tests.telegram.conftest import TelegramStack, start_telegram_stack
from tests.telegram.fake_api import FakeTelegram, Updates

pytestmark = pytest.mark.stack

CHAT = 880_000_001


@pytest.fixture(scope="module")
def polling_stack(tmp_path_factory: pytest.TempPathFactory, fake_telegram: FakeTelegram) -> Iterator[TelegramStack]:
    running = start_telegram_stack(
        tmp_path_factory.mktemp("tg-polling"), fake_telegram, "polling",
        int(os.environ.get("TEST_TG_POLL_RASA_PORT", "5506")),
        int(os.environ.get("TEST_TG_POLL_ACTION_PORT", "5556")),
    )
    yield running
    running.stop()


def test_polling_reads_updates_and_the_reply_arrives(polling_stack: TelegramStack, fake_telegram: FakeTelegram) -> None:
    with urllib.request.urlopen(f"{polling_stack.settings.rasa_url}/webhooks/telegram/", timeout=10) as reply:
        assert json.load(reply) == {"status": "ok", "active": True, "mode": "polling"}
    updates = Updates()
    fake_telegram.queue_update(updates.message(CHAT, "/start", "id"))
    second = updates.message(CHAT, "cek pesanan INV-2024-00123", "id")
    fake_telegram.queue_update(second)

    def replies() -> Optional[str]:
        text = "\n".join(fake_telegram.texts_to(CHAT))
        return text if "dikirim dengan JNE" in text else None

    text = fake_telegram.wait_for(replies, timeout=60, what="the order status over polling")
    assert text.index("Halo Kak") < text.index("dikirim dengan JNE")  # in order
    assert fake_telegram.calls_to("deleteWebhook")
    # The update was acknowledged: a later getUpdates asks from the next id on.
    fake_telegram.wait_for(
        lambda: any(int(c.params.get("offset") or 0) > second["update_id"] for c in fake_telegram.calls_to("getUpdates")),
        timeout=10, what="getUpdates with the next offset",
    )
    # The webhook route is closed in polling mode.
    request = urllib.request.Request(
        f"{polling_stack.settings.rasa_url}/webhooks/telegram/webhook", data=b"{}", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 404
