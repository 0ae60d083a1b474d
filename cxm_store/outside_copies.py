"""Copies of customers' data outside the store's tables: the tracker store, files and Redis.

The assistant (Rasa) keeps its own event log in a SQL table ``events``
(``sender_id``, ``timestamp``, ``data``), capture keeps a spool and rejected
events as JSON lines, processes write logs, and replies on their way to a
customer wait in Redis under keys ending in ``:<sender id>``. The store does
not read these; it only removes from them what retention or an erasure says
must go. Plain SQL, plain lines and plain key names: nothing here knows what
produced them.
"""
import os
import time
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence

from sqlalchemy import bindparam, create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url

TRACKER_TABLE = "events"
_BATCH = 500


def _tracker_engine(url: str) -> Optional[Engine]:
    """An engine on the tracker store, or None when it was never created (no file, no table)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not (parsed.database and Path(parsed.database).exists()):
        return None
    engine = create_engine(url, future=True)
    if not inspect(engine).has_table(TRACKER_TABLE):
        engine.dispose()
        return None
    return engine


def delete_tracker_events(url: str, sender_ids: Sequence[str], needles: Sequence[str] = ()) -> int:
    """Delete every event of ``sender_ids``, and any event whose data contains a needle.

    Returns:
        How many events were deleted.
    """
    engine = _tracker_engine(url)
    if engine is None:
        return 0
    deleted = 0
    try:
        with engine.begin() as connection:
            ids = list(sender_ids)
            for start in range(0, len(ids), _BATCH):
                deleted += connection.execute(
                    text(f"DELETE FROM {TRACKER_TABLE} WHERE sender_id IN :ids").bindparams(
                        bindparam("ids", expanding=True)),
                    {"ids": ids[start:start + _BATCH]},
                ).rowcount
            for needle in needles:
                deleted += connection.execute(
                    text(f"DELETE FROM {TRACKER_TABLE} WHERE data LIKE :pattern"),
                    {"pattern": f"%{needle}%"},
                ).rowcount
    finally:
        engine.dispose()
    return deleted


def purge_tracker_events(url: str, before_epoch: float) -> int:
    """Delete the tracker events older than ``before_epoch`` (Unix seconds); return how many."""
    engine = _tracker_engine(url)
    if engine is None:
        return 0
    try:
        with engine.begin() as connection:
            return connection.execute(
                text(f"DELETE FROM {TRACKER_TABLE} WHERE timestamp < :before"), {"before": before_epoch}
            ).rowcount
    finally:
        engine.dispose()


def _files(directories: Iterable[str], patterns: Sequence[str]) -> Iterator[Path]:
    for directory in directories:
        root = Path(directory)
        if root.is_dir():
            for pattern in patterns:
                yield from sorted(root.glob(pattern))


SPOOL_FILES = ("events-*.jsonl", "rejected-*.jsonl")
LOG_FILES = ("*.log", "*.log.*")


def scrub_lines(directories: Iterable[str], patterns: Sequence[str], needles: Sequence[str]) -> int:
    """Drop every line that contains a needle from the matching files; return lines dropped.

    Rewritten in place (same inode): a capture process appending to its spool
    keeps appending to the same file.
    """
    encoded = [needle.encode() for needle in needles if needle]
    dropped = 0
    if not encoded:
        return 0
    for path in _files(directories, patterns):
        with open(path, "r+b") as handle:
            lines = handle.read().splitlines(keepends=True)
            kept = [line for line in lines if not any(needle in line for needle in encoded)]
            if len(kept) != len(lines):
                dropped += len(lines) - len(kept)
                handle.seek(0)
                handle.write(b"".join(kept))
                handle.truncate()
    return dropped


def delete_redis_keys(url: str, sender_ids: Sequence[str], password: Optional[str] = None) -> int:
    """Delete every key of the Redis at ``url`` whose last ``:``-part is one of ``sender_ids``; return how many.

    One pass over the keyspace (``SCAN``), so the cost does not grow with the
    number of ids. Such keys expire on their own within minutes; this is for
    an erasure that must not wait.
    """
    from redis import Redis

    wanted = {sender.encode() for sender in sender_ids if sender}
    if not url or not wanted:
        return 0
    client = Redis.from_url(url, password=password or None, socket_timeout=5, socket_connect_timeout=5)
    try:
        doomed = [key for key in client.scan_iter(count=1000) if key.rpartition(b":")[2] in wanted]
        return int(client.delete(*doomed)) if doomed else 0
    finally:
        client.close()


def remove_old_files(directories: Iterable[str], patterns: Sequence[str], older_than_s: float) -> int:
    """Delete matching files not written for ``older_than_s`` seconds; return how many."""
    limit = time.time() - older_than_s
    removed = 0
    for path in _files(directories, patterns):
        if path.stat().st_mtime < limit:
            os.unlink(path)
            removed += 1
    return removed
