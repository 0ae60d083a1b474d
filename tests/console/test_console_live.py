"""The live console: server-sent events instead of polling, reconnect, alerts, readable waits.

HTTP tests read ``/api/live`` as a browser's EventSource would; the browser
tests stub the Notification API (headless Chromium has no desktop) and check
the page updates without a reload. Screenshots: ``tests/artifacts/live-*.png``.
"""
import queue
import threading
from datetime import datetime, timedelta
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests

from cxm_store.touchpoints import record_customer_message
from tests.console.conftest import ARTIFACTS, PASSWORD, Client, seed_waiting

expect = pytest.importorskip("playwright.sync_api").expect

# A stand-in for the desktop: records what the page shows as notifications.
NOTIFICATION_STUB = """
window.__notifications = [];
window.Notification = function (title, options) {
  window.__notifications.push({ title: title, body: (options || {}).body });
};
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
"""


class EventReader:
    """Reads ``/api/live`` in a thread and hands each event (id, kind, data) to a queue."""

    def __init__(self, client: Client, last_event_id: Optional[int] = None) -> None:
        headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
        self.reply = client.http.get(client.base + "/api/live", stream=True, timeout=30, headers=headers)
        self.events: "queue.Queue[Dict[str, Any]]" = queue.Queue()
        self.retry: Optional[int] = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        event: Dict[str, Any] = {}
        try:
            for line in self.reply.iter_lines(decode_unicode=True):
                if line.startswith("retry: "):
                    self.retry = int(line[7:])
                elif line.startswith(("id: ", "event: ", "data: ")):
                    key, value = line.split(": ", 1)
                    event[key] = value
                elif line == "" and event:
                    self.events.put(event)
                    event = {}
        except (requests.RequestException, AttributeError):
            pass  # closed by the test (urllib3 drops its socket under the reader)

    def next(self, kind: str, timeout: float = 5.0) -> Dict[str, Any]:
        """The next event of ``kind`` (others are skipped)."""
        while True:
            event = self.events.get(timeout=timeout)
            if event.get("event") == kind:
                return event

    def close(self) -> None:
        self.reply.close()


def test_live_stream_needs_a_login(console: Any) -> None:
    assert console.client().get("/api/live").status_code == 401


def test_a_new_waiting_customer_and_a_claim_reach_every_open_stream(console: Any, rasa: Any) -> None:
    agent = console.client(console.user("agent"))
    colleague = console.client(console.user("agent"))
    readers = [EventReader(agent), EventReader(colleague)]
    try:
        for reader in readers:
            reader.next("hello")
        assert readers[0].retry == 2000
        ids = seed_waiting(console.engine)
        for reader in readers:
            message = reader.next("message")
            assert '"conversation_id": %d' % ids["conversation_id"] in message["data"]
            assert "Paket" not in message["data"]  # ids only: the API applies access rules
            reader.next("queue")
        assert agent.post(f"/api/handoffs/{ids['handoff_id']}/claim").status_code == 200
        readers[1].next("queue")
    finally:
        for reader in readers:
            reader.close()


def test_a_stream_that_drops_gets_what_it_missed_with_last_event_id(console: Any) -> None:
    agent = console.client(console.user("agent"))
    first = EventReader(agent)
    first.next("hello")
    seed_waiting(console.engine)
    seen = first.next("queue")
    first.close()
    # Meanwhile (the page is disconnected) another customer arrives.
    later = seed_waiting(console.engine, messages=["Halo, saya butuh bantuan agen"])
    watcher = EventReader(agent)  # waits until the second customer's events are out
    watcher.next("hello")
    watcher.next("queue")
    watcher.close()
    again = EventReader(agent, last_event_id=int(seen["id"]))
    try:
        again.next("hello")
        replayed = again.next("message")
        assert int(replayed["id"]) > int(seen["id"])
        assert '"conversation_id": %d' % later["conversation_id"] in replayed["data"]
    finally:
        again.close()


# --- In the browser -----------------------------------------------------------------


@pytest.fixture
def agent_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    context.add_init_script(NOTIFICATION_STUB)
    page = context.new_page()
    errors: List[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def log_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#live-status")).to_have_text("Live", timeout=8000)


@pytest.mark.browser
def test_waiting_customer_appears_live_with_alerts_and_readable_waits(
    clean_queue: Any, rasa: Any, agent_page: Any
) -> None:
    console, page = clean_queue, agent_page
    seed_waiting(console.engine, waited=timedelta(days=2, hours=3, minutes=4))
    log_in(page, console.url, console.user("agent", "Rina"))
    cards = page.locator("#queue-list .card")
    expect(cards).to_have_count(1)
    expect(cards.nth(0).locator(".wait")).to_have_text("2 d 3 h")
    # Polling means fetches: the event stream reconnecting (the browser's own
    # EventSource retry, seen once in a fresh-clone run) is no request of the page.
    page.evaluate("window.__requests = 0; new PerformanceObserver(function (list) {"
                  " window.__requests += list.getEntries().filter(function (e) {"
                  " return e.initiatorType === 'fetch' || e.initiatorType === 'xmlhttprequest'; }).length;"
                  " }).observe({type: 'resource'});")

    new = seed_waiting(
        console.engine, waited=timedelta(minutes=3), messages=["Barang saya rusak, mau bicara dengan orang"]
    )
    expect(cards).to_have_count(2, timeout=1000)  # no reload, within a second
    expect(cards.nth(1).locator(".wait")).to_have_text("3 min")
    expect(page).to_have_title("(1) New customer waiting · Conversations · Serambi CX", timeout=1000)
    notes = page.evaluate("window.__notifications")
    assert notes == [{"title": "New customer waiting", "body": "Barang saya rusak, mau bicara dengan orang"}]
    page.screenshot(path=str(ARTIFACTS / "live-new-customer.png"))

    # Quiet for three seconds: the page asks nothing (no polling). The console
    # is shared with other tests, whose agents going offline are pushed as
    # presence events; a fetch may follow such an event, never a timer.
    page.evaluate("window.__events = 0; ['queue', 'presence', 'message', 'note'].forEach(function (kind) {"
                  " window.serambiLive.addEventListener(kind, function () { window.__events += 1; }); });")
    before = page.evaluate("window.__requests")
    page.wait_for_timeout(3000)
    asked, pushed = page.evaluate("window.__requests") - before, page.evaluate("window.__events")
    assert asked == 0 or pushed > 0, f"{asked} requests in 3 quiet seconds without a server event"

    # The agent holds the new conversation; the customer writes: alert again.
    cards.nth(1).click()
    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#mine-list .card")).to_have_count(1)
    record_customer_message(
        "web", new["sender"], "Halo kak, masih ada?", datetime.utcnow(), "id", engine=console.engine
    )
    expect(page.locator("#transcript .msg-customer").last).to_contain_text("masih ada?", timeout=1000)
    alerts = page.evaluate("window.__notifications.map(function (n) { return n.title; })")
    assert alerts == ["New customer waiting", "Customer wrote"]
