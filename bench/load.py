"""Customers over the REST webhook for a fixed time: what bench/throughput.py and bench/soak.py send.

Each customer holds conversations of ``turns`` messages, sending one message
after another and waiting for each reply, then starts a new conversation
(a new sender id). Every message is unique (numbered), so a script can look
each answered one up in the CX store afterwards.
"""
import json
import statistics
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

# What Serambi's customers write: FAQ questions and order look-ups, both languages.
SERAMBI_MESSAGES = (
    "brp ongkir ke medan kak?", "how long does delivery take to bali?", "bisa bayar pakai cod gak?",
    "cek pesanan INV-2024-00123 dong", "how do i return an item?", "where is my order INV-2024-00124?",
)
# What the stock `rasa init` bot is built for.
STOCK_MESSAGES = ("hello", "I am sad", "yes", "are you a bot?", "great, thanks", "goodbye")


@dataclass
class LoadResult:
    """What one run of :func:`run_load` saw."""

    seconds: float
    latencies_ms: List[float] = field(default_factory=list)
    answered: List[Tuple[str, str]] = field(default_factory=list)  # (sender, text)
    errors: Dict[str, int] = field(default_factory=dict)  # kind -> count

    @property
    def messages_per_s(self) -> float:
        return (len(self.latencies_ms) + sum(self.errors.values())) / self.seconds

    def percentile_ms(self, share: float) -> float:
        ordered = sorted(self.latencies_ms) or [0.0]
        return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0


def send(url: str, sender: str, text: str, timeout: float = 60) -> List[Dict]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return json.loads(reply.read() or b"[]")


def run_load(
    rasa_url: str, customers: int, seconds: float, messages: Sequence[str] = SERAMBI_MESSAGES,
    turns: int = 10, pause_s: float = 0.0, run: str = "",
) -> LoadResult:
    """``customers`` customers send ``messages`` (in turn) to ``rasa_url`` for ``seconds``.

    ``pause_s`` between a reply and the next message (0: as fast as replies
    come). A message answered without any text counts as the error ``empty``.
    Every text sent is new to the bot (the customer's number and the
    message's), as real customers' messages are: the sentence encoder keeps
    the vectors of texts it has seen, and a text sent by all 20 customers in
    turn was embedded once for 20 answers.
    """
    url = f"{rasa_url}/webhooks/rest/webhook"
    run = run or f"bench-{uuid.uuid4().hex[:6]}"
    result = LoadResult(seconds=seconds)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def customer(n: int) -> None:
        sent = 0
        while time.monotonic() < stop_at:
            sender, text = f"{run}-{n}-{sent // turns}", f"{messages[sent % len(messages)]} #{n}-{sent}"
            sent += 1
            started = time.perf_counter()
            try:
                replies = send(url, sender, text)
                kind = "" if any(r.get("text") or r.get("buttons") for r in replies) else "empty"
            except urllib.error.HTTPError as error:
                kind = f"http-{error.code}"
            except OSError as error:
                kind = type(error).__name__
            elapsed_ms = (time.perf_counter() - started) * 1000
            with lock:
                if kind:
                    result.errors[kind] = result.errors.get(kind, 0) + 1
                else:
                    result.latencies_ms.append(elapsed_ms)
                    result.answered.append((sender, text))
            if pause_s:
                time.sleep(pause_s)

    started = time.monotonic()
    threads = [threading.Thread(target=customer, args=(n,), daemon=True) for n in range(customers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result
