"""Fixtures of the journey test: a stack with the web chat and Telegram (fake Bot API) and its console."""
import os
from typing import Iterator

import pytest

from cxm_store import auth
from cxm_store.db import engine_for
from tests.telegram.conftest import TelegramStack, fake_telegram, start_telegram_stack  # noqa: F401
from tests.telegram.fake_api import FakeTelegram

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def journey_stack(tmp_path_factory: pytest.TempPathFactory,
                  fake_telegram: FakeTelegram) -> Iterator[TelegramStack]:  # noqa: F811
    """Rasa, actions and the console on one store, with a lead ``lena`` and an agent ``rina``.

    Business hours around the clock, so the follow-up's due time never depends
    on when the suite runs.
    """
    running = start_telegram_stack(
        tmp_path_factory.mktemp("journey-stack"), fake_telegram, "webhook",
        int(os.environ.get("TEST_JOURNEY_RASA_PORT", "5905")),
        int(os.environ.get("TEST_JOURNEY_ACTION_PORT", "5955")),
        extra_env={"CXM_BUSINESS_HOURS": "00:00-23:59:59", "CXM_SECURE_COOKIES": "0"},
        name="journey",
    )
    engine = engine_for(running.settings.cxm_database_url)
    auth.create_user("lena", "Lena (lead)", PASSWORD, "lead", engine=engine)
    auth.create_user("rina", "Rina Wulandari", PASSWORD, "agent", engine=engine)
    yield running
    running.stop()
