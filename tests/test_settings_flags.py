"""On/off settings mean the same in every process (issue 11: two parsers disagreed)."""
import asyncio

import pytest

from bot.capture import TouchpointRecorder
from cxm_store import settings
from team_app import settings as team_app_settings


@pytest.mark.parametrize("text, default, expected", [
    ("1", False, True), ("TRUE", False, True), ("yes", False, True), (" on ", False, True),
    ("0", True, False), ("false", True, False), ("No", True, False), ("off", True, False),
    ("", True, True), (None, False, False), (False, True, False),
])
def test_one_reading_of_on_and_off(text, default, expected):
    assert settings.parse_flag(text, default, "X") is expected


def test_an_unclear_value_is_refused_with_its_name_in_both_processes(monkeypatch, tmp_path):
    # "enabled" used to mean on for capture and off for secure cookies.
    monkeypatch.setenv("CXM_SECURE_COOKIES", "enabled")
    with pytest.raises(ValueError, match="CXM_SECURE_COOKIES"):
        team_app_settings.load()
    monkeypatch.setenv("CAPTURE_ENABLED", "enabled")
    with pytest.raises(ValueError, match="CAPTURE_ENABLED"):
        asyncio.run(TouchpointRecorder.from_endpoint_config(None))


def test_capture_can_be_turned_off_and_cookies_stay_secure_by_default(monkeypatch):
    monkeypatch.delenv("CXM_SECURE_COOKIES", raising=False)
    assert team_app_settings.load().secure_cookies is True
    monkeypatch.setenv("CXM_SECURE_COOKIES", "off")
    assert team_app_settings.load().secure_cookies is False


def test_settings_are_read_again_when_their_variables_change(monkeypatch):
    monkeypatch.setenv("CXM_TIMEZONE", "Asia/Makassar")
    first = settings.load()
    assert first.timezone == "Asia/Makassar"
    assert settings.load() is first  # built once while nothing changes
    monkeypatch.setenv("CXM_TIMEZONE", "Asia/Jayapura")
    assert settings.load().timezone == "Asia/Jayapura"
