"""The web chat page keeps little on the device: at most 50 messages, none older than a day.

The page is served from the repository file through Playwright's routing (no
Rasa needed: its stream and webhook requests are refused), with a history
seeded in localStorage as an earlier visit would have left it.
"""
import json
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

pytestmark = pytest.mark.browser

PAGE = Path(__file__).resolve().parents[1] / "bot" / "channels" / "webchat_page" / "index.html"
ORIGIN = "http://shop.test"
URL = f"{ORIGIN}/webhooks/webchat/"
SENDER = "web-0123456789abcdef0123456789abcdef"
HOUR_MS = 60 * 60 * 1000


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context()

    def serve(route: Any) -> None:
        if route.request.url == URL:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=PAGE.read_text())
        else:
            route.abort()  # the chat's stream and webhook: no server in this test

    context.route("**/*", serve)
    yield context
    context.close()


def open_with_history(context: Any, messages: List[Dict[str, Any]]) -> Any:
    """Load the page once seeded with ``messages`` as this sender's saved history."""
    history = json.dumps({"sender": SENDER, "messages": messages})
    page = context.new_page()
    page.goto(URL)
    page.evaluate(
        "([sender, history]) => { localStorage.setItem('serambi.sender', sender);"
        " localStorage.setItem('serambi.history', history); }",
        [SENDER, history],
    )
    page.reload()
    page.wait_for_selector("#messages")
    return page


def user_texts(page: Any) -> List[str]:
    return page.locator("#messages .msg.msg-user").all_inner_texts()


def saved_texts(page: Any) -> List[str]:
    saved = page.evaluate("() => localStorage.getItem('serambi.history')")
    return [m["text"] for m in json.loads(saved)["messages"]] if saved else []


def now_ms() -> int:
    return int(time.time() * 1000)


def test_messages_older_than_a_day_are_forgotten(context):
    page = open_with_history(context, [
        {"from": "user", "text": "alamat saya Jl. Lama No. 1", "at": now_ms() - 25 * HOUR_MS},
        {"from": "user", "text": "dari versi lama, tanpa waktu"},
        {"from": "user", "text": "masih baru", "at": now_ms() - 23 * HOUR_MS},
    ])
    assert any("masih baru" in text for text in user_texts(page))
    assert not any("Jl. Lama" in text or "versi lama" in text for text in user_texts(page))
    assert saved_texts(page) == ["masih baru"]


def test_at_most_50_messages_are_kept(context):
    page = open_with_history(context, [
        {"from": "user", "text": f"pesan {n}", "at": now_ms() - HOUR_MS + n} for n in range(60)
    ])
    assert saved_texts(page) == [f"pesan {n}" for n in range(10, 60)]
    assert len(user_texts(page)) == 50


def test_nothing_is_left_when_everything_expired(context):
    page = open_with_history(context, [{"from": "user", "text": "kemarin", "at": now_ms() - 48 * HOUR_MS}])
    assert page.evaluate("() => localStorage.getItem('serambi.history')") is None
    assert user_texts(page) == []
