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
the last failure), or in Redis when ``RATE_LIMIT_REDIS_URL`` is set
(:mod:`cxm_store.rate_limits`), so that several console processes share
them instead of each granting the free attempts again.
"""
import math
import time
from typing import Callable, Optional, Tuple

from cxm_store.rate_limits import Counters, counters_for

# Failures allowed before delays start, per address + username and per address.
FREE_FAILURES_PER_USERNAME = 3
FREE_FAILURES_PER_ADDRESS = 20
FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 15 * 60.0
FORGET_AFTER_SECONDS = 60 * 60.0


class LoginThrottle:
    """Counts failed logins and says how long the next attempt must wait.

    Thread-safe. Args: ``clock`` (wall-clock seconds, shared by every process
    when the counts are in Redis; injectable for tests) and ``counters``
    (default: :func:`cxm_store.rate_limits.counters_for` ``"login"``).
    """

    def __init__(self, clock: Callable[[], float] = time.time, counters: Optional[Counters] = None) -> None:
        self._clock = clock
        self._counters = counters if counters is not None else counters_for("login")

    @staticmethod
    def _keys(address: str, username: str) -> Tuple[Tuple[str, int], ...]:
        return (
            (f"user:{address}:{username.strip().lower()}", FREE_FAILURES_PER_USERNAME),
            (f"address:{address}", FREE_FAILURES_PER_ADDRESS),
        )

    def retry_after(self, address: str, username: str) -> int:
        """Whole seconds before ``address`` may try ``username`` again (0: now)."""
        now = self._clock()
        wait = 0.0
        for key, free in self._keys(address, username):
            count, last = self._counters.failures(key, now, FORGET_AFTER_SECONDS)
            if count >= free:
                delay = min(FIRST_DELAY_SECONDS * 2 ** (count - free), MAX_DELAY_SECONDS)
                wait = max(wait, last + delay - now)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, address: str, username: str) -> None:
        """Count a failed attempt."""
        now = self._clock()
        for key, _ in self._keys(address, username):
            self._counters.add_failure(key, now, FORGET_AFTER_SECONDS)

    def succeeded(self, address: str, username: str) -> None:
        """Forget this address's failures on this username (not its failures on others)."""
        self._counters.clear(self._keys(address, username)[0][0])
