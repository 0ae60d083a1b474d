"""The counters behind the rate limits (order look-ups, console logins): in memory, or in Redis.

A limit kept in one process's memory is that process's alone: with two
action servers or two console processes (the scaled topology) a customer
or an attacker gets twice the allowance, one per process. With
``RATE_LIMIT_REDIS_URL`` set (``redis://host:6379/0``; the scaled topology
sets it), the counters live in Redis, shared by every process, and each
check-and-count is one Lua script, so two processes cannot both grant the
last allowed attempt. Unset, they stay in memory: the embedded setup has one
process of each kind and no Redis.

Should Redis stop answering, the limits fall back to this process's memory
(logged), so a Redis outage neither locks every agent out nor lifts the
limits altogether.

Two shapes of counting:

* a sliding window (:meth:`Counters.take`): at most ``limit`` events per
  key in any ``window_s`` seconds (order look-ups per sender);
* a sliding window of distinct members (:meth:`Counters.take_distinct`): at
  most ``limit`` different members per key in any ``window_s`` seconds, a
  member already counted always let through (new conversations per client
  address);
* failure records (:meth:`Counters.add_failure`): how many failures a key
  had and when the last one was, forgotten ``forget_after_s`` after it
  (the login slow-down's exponential delays).
"""
import logging
import threading
import uuid
from collections import OrderedDict, deque
from typing import Deque, Dict, Optional, Tuple, Union

from cxm_store import settings

logger = logging.getLogger(__name__)

REDIS_URL_VARIABLE = settings.RATE_LIMIT_REDIS_VARIABLE
KEY_PREFIX = "serambi:rate:"
MAX_KEYS = 100_000  # keys one process remembers (the oldest are forgotten)

Failures = Tuple[int, float]  # (count, time of the last failure)


class MemoryCounters:
    """Counters in this process's memory (bounded, thread-safe)."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self.max_keys = max_keys
        self._windows: "OrderedDict[str, Deque[float]]" = OrderedDict()
        self._failures: "OrderedDict[str, Failures]" = OrderedDict()
        self._members: "OrderedDict[str, Dict[str, float]]" = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, limit: int, window_s: float, now: float) -> bool:
        """Count one event for ``key`` unless ``limit`` were counted in the last ``window_s`` s."""
        with self._lock:
            times = self._windows.pop(key, None) or deque()
            while times and times[0] <= now - window_s:
                times.popleft()
            allowed = len(times) < limit
            if allowed:
                times.append(now)
            self._remember(self._windows, key, times)
        return allowed

    def take_distinct(self, key: str, member: str, limit: int, window_s: float, now: float) -> bool:
        """Count ``member`` for ``key`` unless ``limit`` other members were counted in the last ``window_s`` s.

        A member counted before is let through and counted again at ``now``.
        """
        with self._lock:
            members = self._members.pop(key, None) or {}
            for stale in [name for name, at in members.items() if at <= now - window_s]:
                del members[stale]
            allowed = member in members or len(members) < limit
            if allowed:
                members[member] = now
            self._remember(self._members, key, members)
        return allowed

    def add_failure(self, key: str, now: float, forget_after_s: float) -> None:
        """Count a failure for ``key`` at ``now``."""
        with self._lock:
            count = self._live_failures(key, now, forget_after_s)[0]
            self._failures.pop(key, None)
            self._remember(self._failures, key, (count + 1, now))

    def failures(self, key: str, now: float, forget_after_s: float) -> Failures:
        """``(count, last)`` of ``key``'s failures not yet forgotten; ``(0, 0.0)`` when none."""
        with self._lock:
            return self._live_failures(key, now, forget_after_s)

    def clear(self, key: str) -> None:
        """Forget ``key``'s failures."""
        with self._lock:
            self._failures.pop(key, None)

    def _live_failures(self, key: str, now: float, forget_after_s: float) -> Failures:
        record = self._failures.get(key)
        if record is None or now - record[1] > forget_after_s:
            return 0, 0.0
        return record

    def _remember(self, table: "OrderedDict", key: str, value: object) -> None:
        table[key] = value
        while len(table) > self.max_keys:
            table.popitem(last=False)


# KEYS[1] the window's sorted set; ARGV: now, window_s, limit, the member (unique
# per event for take, the counted thing for take_distinct: one already in the
# window passes and is moved to now).
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if not redis.call('ZSCORE', KEYS[1], ARGV[4]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) * 1000))
return 1
"""
# KEYS[1] the failures' hash; ARGV: now, forget_after_s.
_ADD_FAILURE = """
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '-1')
if last >= 0 and tonumber(ARGV[1]) - last > tonumber(ARGV[2]) then redis.call('DEL', KEYS[1]) end
redis.call('HINCRBY', KEYS[1], 'count', 1)
redis.call('HSET', KEYS[1], 'last', ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) * 1000))
return 1
"""


class RedisCounters:
    """Counters in Redis, shared by every process that uses the same URL and namespace.

    Args:
        url: ``redis://host:6379/0``.
        namespace: What is limited (``lookup``, ``login``), part of every key.
    """

    def __init__(self, url: str, namespace: str) -> None:
        from redis import Redis

        self._redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = f"{KEY_PREFIX}{namespace}:"
        self._take = self._redis.register_script(_TAKE)
        self._add_failure = self._redis.register_script(_ADD_FAILURE)
        self._fallback = MemoryCounters()

    def take(self, key: str, limit: int, window_s: float, now: float) -> bool:
        """As :meth:`MemoryCounters.take`, across processes."""
        # Each event its own member: the same script as for distinct members.
        return self.take_distinct(key, f"{now}:{uuid.uuid4().hex[:8]}", limit, window_s, now)

    def take_distinct(self, key: str, member: str, limit: int, window_s: float, now: float) -> bool:
        """As :meth:`MemoryCounters.take_distinct`, across processes."""
        return bool(self._shared(
            lambda: self._take(keys=[self._prefix + key], args=[now, window_s, limit, member]),
            lambda: self._fallback.take_distinct(key, member, limit, window_s, now)))

    def add_failure(self, key: str, now: float, forget_after_s: float) -> None:
        """As :meth:`MemoryCounters.add_failure`, across processes."""
        self._shared(lambda: self._add_failure(keys=[self._prefix + key], args=[now, forget_after_s]),
                     lambda: self._fallback.add_failure(key, now, forget_after_s))

    def failures(self, key: str, now: float, forget_after_s: float) -> Failures:
        """As :meth:`MemoryCounters.failures`, across processes."""
        def read() -> Failures:
            count, last = self._redis.hmget(self._prefix + key, "count", "last")
            if count is None or last is None or now - float(last) > forget_after_s:
                return 0, 0.0
            return int(count), float(last)

        return self._shared(read, lambda: self._fallback.failures(key, now, forget_after_s))

    def clear(self, key: str) -> None:
        """As :meth:`MemoryCounters.clear`, across processes."""
        self._shared(lambda: self._redis.delete(self._prefix + key), lambda: self._fallback.clear(key))

    def _shared(self, in_redis, in_memory):  # noqa: ANN001, ANN202 - two thunks of one result type
        from redis.exceptions import RedisError

        try:
            return in_redis()
        except RedisError as error:
            logger.warning("rate limits: Redis unavailable (%s), counting in this process", type(error).__name__)
            return in_memory()


Counters = Union[MemoryCounters, RedisCounters]


def counters_for(namespace: str, url: Optional[str] = None) -> Counters:
    """The counters of ``namespace``: in Redis when ``RATE_LIMIT_REDIS_URL`` (or ``url``) is set, else in memory."""
    url = url if url is not None else settings.load().rate_limit_redis_url.strip()
    return RedisCounters(url, namespace) if url else MemoryCounters()
