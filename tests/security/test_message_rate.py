"""Issue 12, floods: one sender's messages beyond a person's pace get a clear "slow down", not Rasa's time.

The counting itself, then the REST webhook and the web chat of the stack
the suite starts once (default limit: 30 messages per sender per minute).
"""
import time
import uuid

from bot.channels.message_rate import RETRY_AFTER_S, SLOW_DOWN, WINDOW_S, MessageRate
from bot.stack import Stack
from cxm_store.rate_limits import MemoryCounters
from tests.telegram.test_telegram_stack import post

LIMIT = 30  # BotSettings.message_rate_per_sender's default, which the suite's stack runs with


def test_a_sliding_minute_per_sender_and_channel():
    rate = MessageRate(per_sender=3, counters=MemoryCounters())
    assert [rate.allows("rest", "api-a", now=100 + n) for n in range(4)] == [True, True, True, False]
    assert rate.allows("rest", "api-b", now=104) and rate.allows("webchat", "api-a", now=104)
    assert rate.allows("rest", "api-a", now=100 + WINDOW_S + 0.5)  # the first one left the minute
    assert all(MessageRate(per_sender=0, counters=MemoryCounters()).allows("rest", "x", now=1) for _ in range(99))


def flood(url: str, sender: str) -> list:
    """Send one message more than the limit allows; return the (status, body) of each."""
    return [post(url, {"sender": sender, "message": f"halo {n}"}) for n in range(LIMIT + 1)]


def test_a_rest_flood_is_told_to_retry_later(stack: Stack) -> None:
    url = f"{stack.settings.rasa_url}/webhooks/rest/webhook"
    started = time.monotonic()
    replies = flood(url, f"api-flood-{uuid.uuid4().hex[:6]}")
    assert time.monotonic() - started < WINDOW_S, "too slow to test a minute's limit"
    assert [status for status, _ in replies[:LIMIT]] == [200] * LIMIT
    status, body = replies[LIMIT]
    assert status == 429 and "Pelan-pelan" in body and f'"retry_after":{RETRY_AFTER_S}' in body.replace(" ", "")
    assert post(url, {"sender": f"api-calm-{uuid.uuid4().hex[:6]}", "message": "halo"})[0] == 200


def test_a_web_chat_flood_reads_why_in_the_chat(stack: Stack) -> None:
    replies = flood(f"{stack.settings.rasa_url}/webhooks/webchat/webhook", f"web-flood{uuid.uuid4().hex[:6]}")
    assert all(status == 200 for status, _ in replies)
    assert [m["text"] for m in replies[LIMIT][1]] == [SLOW_DOWN]
    assert all(SLOW_DOWN not in str(body) for _, body in replies[:LIMIT])
