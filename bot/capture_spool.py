"""The capture spool: Rasa's events appended as JSON lines before they are stored.

Events survive a crash or a store outage here and are stored in order once
the store is back; a file per database, locked so only one process uses it.
"""
import fcntl
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import IO, Any, Dict, List, Tuple

from bot.stored_events import spooled_event
from cxm_store.pii import mask_pii, mask_record

# --- The spool: append-only JSON lines ------------------------------------------------

logger = logging.getLogger("bot.capture")


class Spool:
    """Events not yet stored, on disk: ``{"seq": n, "event": {...}}`` lines, then
    ``{"done": n}`` once stored. Events are stored in ``seq`` order, so every
    event up to the highest ``done`` is stored; the file is truncated whenever
    nothing is pending.

    One file per store database (its name carries a hash of the URL), so a
    process never replays events meant for another database; an exclusive
    ``flock`` keeps two processes off the same file (the second takes ``-1``...).
    """

    def __init__(self, directory: Path, database_url: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        key = hashlib.sha1(database_url.encode()).hexdigest()[:12]
        self._file: IO[bytes] = None
        for n in range(10):
            path = directory / (f"events-{key}.jsonl" if n == 0 else f"events-{key}-{n}.jsonl")
            handle = open(path, "a+b")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            self._file, self.path = handle, path
            break
        if self._file is None:
            raise RuntimeError(f"every capture spool file in {directory} is locked")
        self.rejected_path = directory / f"rejected-{key}.jsonl"
        self._seq = 0
        self._dirty = True  # whatever the file holds until the first clear
        self._broken = False
        self.pending()  # numbers new events after those already in the file

    def pending(self) -> List[Tuple[int, Dict[str, Any]]]:
        """The events of the file not yet marked done, in order (read at start-up)."""
        self._file.seek(0)
        events, done = [], 0
        for line in self._file.read().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash
            if "done" in record:
                done = max(done, record["done"])
            elif "seq" in record:
                events.append((record["seq"], record["event"]))
        # New events are numbered after everything in the file.
        self._seq = max([done] + [seq for seq, _ in events])
        return [(seq, event) for seq, event in events if seq > done]

    def append(self, events: List[Dict[str, Any]]) -> List[int]:
        """Write events and return their sequence numbers."""
        seqs, lines = [], []
        for event in events:
            self._seq += 1
            seqs.append(self._seq)
            lines.append(json.dumps({"seq": self._seq, "event": spooled_event(event)}, default=str))
        self._write(("\n".join(lines) + "\n").encode(), flush=True)
        return seqs

    def done(self, seq: int) -> None:
        # Flushed with the next append or clear: a "done" lost in a crash only
        # means a de-duplicated replay.
        self._write(b'{"done": %d}\n' % seq, flush=False)

    def clear(self) -> None:
        """Nothing is pending: start the file afresh."""
        if self._dirty:
            try:
                self._file.truncate(0)
                self._file.flush()
                self._dirty = False
            except OSError as error:
                self._failed(error)

    def _write(self, data: bytes, flush: bool) -> None:
        # A full or broken disk must not stop the capture: events then live
        # in memory only until the disk is writable again.
        try:
            self._file.write(data)
            if flush:
                self._file.flush()
            self._dirty = True
            self._broken = False
        except OSError as error:
            self._failed(error)

    def _failed(self, error: OSError) -> None:
        if not self._broken:
            logger.error("capture: cannot write the spool %s: %s", self.path, error)
        self._broken = True

    def size(self) -> int:
        return self._file.tell()

    def reject(self, event: Dict[str, Any], error: BaseException) -> None:
        # Kept for someone to look into, so masked like everything else stored.
        with open(self.rejected_path, "ab") as handle:
            line = json.dumps({"error": mask_pii(repr(error)), "event": mask_record(event)}, default=str)
            handle.write(line.encode() + b"\n")

    def close(self) -> None:
        try:
            self._file.flush()
            if self._file.seek(0, os.SEEK_END) == 0:
                self.path.unlink(missing_ok=True)  # nothing left: no file lying around
        except OSError as error:
            self._failed(error)
        finally:
            self._file.close()  # releases the lock
