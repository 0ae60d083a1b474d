"""Slowing down password guessing without letting anyone lock a real agent out.

A hard lock-out per username ("5 failures: locked for a minute") is a gift to
an attacker: anyone who knows a username keeps its owner out. Here failures
are counted per source address and username together, and per source
address alone; after a few free failures each further attempt from there
must wait a delay that doubles with every failure (1 s, 2 s, 4 s... up to
15 minutes). The owner logging in from their own address is not slowed down
by someone else's failures, and one address cannot spray many usernames.

The check comes before the password is looked at and never depends on
whether the username exists, so throttled answers (429 with ``Retry-After``)
are the same for known and unknown usernames.

Counts live in the web process's memory (bounded; forgotten an hour after
the last failure). With several web processes each keeps its own, so an
attacker gets that many times the attempts: still exponential.
"""
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Tuple

# Failures allowed before delays start, per address + username and per address.
FREE_FAILURES_PER_USERNAME = 3
FREE_FAILURES_PER_ADDRESS = 20
FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 15 * 60.0
FORGET_AFTER_SECONDS = 60 * 60.0
MAX_TRACKED = 100_000


@dataclass
class _Failures:
    count: int
    last: float


class LoginThrottle:
    """Counts failed logins and says how long the next attempt must wait.

    Thread-safe; ``clock`` is injectable for tests.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: "OrderedDict[Tuple[str, ...], _Failures]" = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _keys(address: str, username: str) -> Tuple[Tuple[Tuple[str, ...], int], ...]:
        return (
            (("user", address, username.strip().lower()), FREE_FAILURES_PER_USERNAME),
            (("address", address), FREE_FAILURES_PER_ADDRESS),
        )

    def retry_after(self, address: str, username: str) -> int:
        """Whole seconds before ``address`` may try ``username`` again (0: now)."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key, free in self._keys(address, username):
                record = self._live(key, now)
                if record is not None and record.count >= free:
                    delay = min(FIRST_DELAY_SECONDS * 2 ** (record.count - free), MAX_DELAY_SECONDS)
                    wait = max(wait, record.last + delay - now)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, address: str, username: str) -> None:
        """Count a failed attempt."""
        now = self._clock()
        with self._lock:
            for key, _ in self._keys(address, username):
                record = self._live(key, now) or _Failures(0, now)
                record.count += 1
                record.last = now
                self._failures[key] = record
                self._failures.move_to_end(key)
            while len(self._failures) > MAX_TRACKED:
                self._failures.popitem(last=False)

    def succeeded(self, address: str, username: str) -> None:
        """Forget this address's failures on this username (not its failures on others)."""
        with self._lock:
            self._failures.pop(self._keys(address, username)[0][0], None)

    def _live(self, key: Tuple[str, ...], now: float) -> "_Failures | None":
        record = self._failures.get(key)
        if record is not None and now - record.last > FORGET_AFTER_SECONDS:
            del self._failures[key]
            return None
        return record
