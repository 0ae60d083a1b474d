"""CX capture: a Rasa event broker that turns tracker events into touchpoint records.

Configured in endpoints.yml (``event_broker: {type: bot.capture.TouchpointRecorder}``).
Rasa calls :meth:`TouchpointRecorder.publish` with every new tracker event (a
dict with ``sender_id`` added, see ``TrackerStore._stream_new_events``) on the
reply path, so ``publish`` only puts the event on an in-memory queue. One
background thread does the rest, in publish order:

1. appends the events to a spool file (JSON lines) so they survive a restart
   while the store is down;
2. translates each into a ``cxm_store`` call (``user`` -> customer message,
   ``bot`` -> bot/agent message, capture slots -> survey, outcome, handoff);
3. marks it done in the spool (the spool is emptied whenever nothing is pending).

If the store is unavailable the head event is kept and retried with backoff
(0.5 s doubling to 10 s) while new events keep being spooled; nothing is
dropped and ``publish`` never waits. An event the store rejects for good
(e.g. a score off its scale) is logged and written to ``rejected-*.jsonl``.
At start-up the spool left by a previous process is replayed first; replayed
(and retried) writes are de-duplicated, so a write that was committed just
before a crash is not stored twice. Every 60 s, when nothing is pending, idle
conversations are closed. :meth:`close` flushes what it can in a few seconds.

Settings (endpoints.yml keys, else environment, else default):
``database_url`` / ``CXM_DATABASE_URL`` (the store), ``spool_dir`` /
``CAPTURE_SPOOL_DIR`` (``var/capture-spool``), ``enabled`` /
``CAPTURE_ENABLED`` (``false`` turns the broker into a no-op).
"""
import asyncio
import logging
import queue
import threading
import time
from collections import deque
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Deque, Dict, Optional, Text, Tuple

from rasa.core.brokers.broker import EventBroker
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from bot import settings as bot_settings
from bot.capture_spool import Spool  # noqa: F401 (re-exported: tests and benches import it here)
from bot.capture_translation import EventTranslator, full_intent  # noqa: F401 (re-exported)
from cxm_store.pii import mask_pii
from cxm_store.settings import DEFAULT_CAPTURE_SPOOL_DIR, parse_flag
from cxm_store.touchpoints import (
    INACTIVITY_WINDOW,
    close_idle_conversations,
)

logger = logging.getLogger(__name__)

RETRY_INITIAL_S = 0.5
RETRY_MAX_S = 10.0
SWEEP_INTERVAL_S = 60.0
CLOSE_TIMEOUT_S = 5.0


def store_unavailable(error: BaseException) -> bool:
    """Return True if ``error`` means "the store cannot be reached now, try again later"."""
    if isinstance(
        error,
        (
            sa_exc.OperationalError,
            sa_exc.InterfaceError,
            sa_exc.DisconnectionError,
            sa_exc.TimeoutError,  # connection pool exhausted
            ConnectionError,
            TimeoutError,
        ),
    ):
        return True
    return isinstance(error, sa_exc.DBAPIError) and bool(error.connection_invalidated)


def describe(error: BaseException) -> str:
    """``error`` for a log line: its type and the driver's first line, masked.

    SQLAlchemy's own message carries the statement's parameters, i.e. what
    the customer typed; logs must not.
    """
    cause = error.orig if isinstance(error, sa_exc.StatementError) and error.orig is not None else error
    first_line = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {mask_pii(first_line)}"


# --- The broker -------------------------------------------------------------------


class TouchpointRecorder(EventBroker):
    """Records touchpoints from Rasa's event stream without slowing replies down."""

    def __init__(
        self,
        database_url: Optional[str] = None,
        spool_dir: Optional[str] = None,
        enabled: bool = True,
        engine: Optional[Engine] = None,
        sweep_interval: float = SWEEP_INTERVAL_S,
        idle: timedelta = INACTIVITY_WINDOW,
        retry_initial: float = RETRY_INITIAL_S,
        retry_max: float = RETRY_MAX_S,
        close_timeout: float = CLOSE_TIMEOUT_S,
    ) -> None:
        self.enabled = enabled
        self.close_timeout = close_timeout
        self._queue: "queue.SimpleQueue[Dict[str, Any]]" = queue.SimpleQueue()
        self._published = 0
        self._finished = 0
        self.rejected = 0
        self._thread: Optional[threading.Thread] = None
        if not enabled:
            return
        from cxm_store import settings as store_settings
        from cxm_store.db import engine_for

        self.database_url = database_url or store_settings.load().database_url
        self.engine = engine or engine_for(self.database_url)
        self.spool = Spool(Path(spool_dir or DEFAULT_CAPTURE_SPOOL_DIR), self.database_url)
        self._translator = EventTranslator(self.engine)
        self._pending: Deque[Tuple[int, Dict[str, Any]]] = deque()
        self._head_failed = False
        self._replayed_until = 0
        self._sweep_interval = sweep_interval
        self._idle = idle
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._stopping = threading.Event()
        self._deadline = float("inf")
        self.available = True
        # What a previous process left in the spool goes first. It may have
        # been stored just before that process stopped, hence de-duplicated.
        replayed = self.spool.pending()
        if replayed:
            logger.info("capture: replaying %d spooled events", len(replayed))
            self._published += len(replayed)
            self._pending.extend(replayed)
            self._replayed_until = replayed[-1][0]
        self._thread = threading.Thread(target=self._run, name="cx-capture", daemon=True)
        self._thread.start()

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: Any, event_loop: Optional[asyncio.AbstractEventLoop] = None
    ) -> "TouchpointRecorder":
        """Build the broker from endpoints.yml (extra keys: database_url, spool_dir, enabled)."""
        options = dict(getattr(broker_config, "kwargs", None) or {})

        config = bot_settings.load()

        def option(key: str, default: Any) -> Any:
            value = options.get(key)
            return value if value not in (None, "") else default

        return cls(
            database_url=option("database_url", None),  # None: the store's own setting
            spool_dir=option("spool_dir", config.capture_spool_dir),
            enabled=parse_flag(option("enabled", config.capture_enabled), True, "CAPTURE_ENABLED"),
        )

    # --- Rasa's side: never blocks, never raises ----------------------------------

    def publish(self, event: Dict[Text, Any]) -> None:
        """Queue the event for the worker (no I/O here: this runs on the reply path)."""
        if self.enabled:
            self._published += 1
            self._queue.put(event)

    def is_ready(self) -> bool:
        return not self.enabled or (self._thread is not None and self._thread.is_alive())

    async def close(self) -> None:
        """Store what can be stored within ``close_timeout`` s; the rest stays in the spool."""
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.stop)

    def stop(self, timeout: Optional[float] = None) -> None:
        """Blocking :meth:`close`."""
        if self._thread is None:
            return
        timeout = self.close_timeout if timeout is None else timeout
        self._deadline = time.monotonic() + timeout
        self._stopping.set()
        self._thread.join(timeout + 2)
        self._thread = None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every published (and replayed) event is stored or rejected."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._finished >= self._published and not self._pending and self._queue.empty():
                return True
            time.sleep(0.01)
        return False

    # --- The worker -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            next_sweep = time.monotonic() + self._sweep_interval
            while not self._time_is_up():
                self._spool_published(block=not self._pending, timeout=0.2)
                self._store_pending()
                if not self._pending:
                    if self._queue.empty() or self.spool.size() > 1 << 20:
                        self.spool.clear()
                    if time.monotonic() >= next_sweep and self._queue.empty():
                        self._sweep()
                        next_sweep = time.monotonic() + self._sweep_interval
                    if self._stopping.is_set() and self._queue.empty():
                        break
            # Out of time (store down): whatever is still in memory goes to the spool.
            self._spool_published(block=False)
            if not self._pending:
                self.spool.clear()
        except Exception:  # pragma: no cover - a bug; keep Rasa serving
            logger.exception("capture: worker crashed; events are kept in the spool")
        finally:
            left = len(self._pending)
            self.spool.close()
            if self._stopping.is_set():
                logger.info(
                    "capture: stopped; %s", f"{left} events left in {self.spool.path}" if left
                    else "everything stored",
                )

    def _time_is_up(self) -> bool:
        return self._stopping.is_set() and time.monotonic() >= self._deadline

    def _spool_published(self, block: bool, timeout: float = 0.0) -> None:
        """Move what Rasa published from memory to the spool and the pending list."""
        events = []
        try:
            if block:
                events.append(self._queue.get(timeout=timeout))
            while True:
                events.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        if events:
            self._pending.extend(zip(self.spool.append(events), events))

    def _store_pending(self) -> None:
        delay = self._retry_initial
        while self._pending and not self._time_is_up():
            seq, event = self._pending[0]
            try:
                dedupe = self._head_failed or seq <= self._replayed_until
                self._translator.apply(event, dedupe=dedupe)
            except Exception as error:  # noqa: BLE001 - sorted below
                if store_unavailable(error):
                    if self.available:
                        logger.warning("capture: store unavailable, retrying: %s", describe(error))
                    self.available = False
                    self._head_failed = True  # it may have been committed anyway
                    self._backoff(delay)
                    delay = min(delay * 2, self._retry_max)
                    continue
                logger.error(
                    "capture: %s event of %s rejected by the store (%s); masked copy in %s",
                    event.get("event"), event.get("sender_id"), type(error).__name__, self.spool.rejected_path,
                )
                self.spool.reject(event, error)
                self.rejected += 1
            if not self.available:
                logger.warning("capture: store available again")
            self.available = True
            self._head_failed = False
            delay = self._retry_initial
            self._pending.popleft()
            self.spool.done(seq)
            self._finished += 1

    def _backoff(self, delay: float) -> None:
        """Wait ``delay`` s before the next try, spooling what gets published meanwhile."""
        until = time.monotonic() + delay
        while not self._time_is_up():
            left = until - time.monotonic()
            if left <= 0:
                return
            self._spool_published(block=True, timeout=min(left, 0.2))

    def _sweep(self) -> None:
        try:
            closed = close_idle_conversations(
                datetime.now(timezone.utc), idle=self._idle, engine=self.engine
            )
            if closed:
                logger.info("capture: closed %d idle conversations", closed)
        except Exception as error:  # noqa: BLE001 - retried at the next sweep
            logger.warning("capture: idle sweep failed: %s", error)
