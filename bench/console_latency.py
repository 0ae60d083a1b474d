"""Time from a customer's message to its appearance in agents' console pages, 20 agents connected.

Starts ``python -m team_app`` (one process, or two sharing events
through Redis with ``--redis``), logs in ``--agents`` agents, each holding the
live stream (``GET /api/live``) as its page does. Then, ``--messages`` times,
a customer message of a claimed conversation is written into the store the
way the capture writes it, and every agent's "page" does what console.js
does on the ``message`` event: fetch the new lines. Measured per agent and
message, from just before the store write:

* ``event``: the ``message`` event arrives on the agent's stream;
* ``shown``: the new line is fetched (the page can draw it).

The reference is the console before this change: it polled every 2 s, so a
line appeared after a uniform 0-2 s wait plus the fetch (p50 about 1000 ms,
p99 about 1980 ms, before the fetch). The capture's own delay (Rasa event to
store row, its own thread) comes before all of this and is not included.

Usage::

    .venv/bin/python bench/console_latency.py [--agents 20] [--messages 50] [--port 6410]
        [--redis redis://127.0.0.1:6379/15]
"""
import argparse
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cxm_store import auth, schema  # noqa: E402
from cxm_store.db import engine_for  # noqa: E402
from cxm_store.events import CustomerSaid, HandoffClaimed, record  # noqa: E402
from tests.console.conftest import PASSWORD, Client, seed_waiting  # noqa: E402


def start_console(port: int, database_url: str, redis: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CXM_DATABASE_URL": database_url, "CXM_SECURE_COOKIES": "0",
           "RASA_URL": "http://127.0.0.1:9", "CXM_LIVE_REDIS_URL": redis}
    process = subprocess.Popen([sys.executable, "-m", "team_app", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"console on {port} did not start; see {log}")


class Agent(threading.Thread):
    """One agent's page: holds the stream; on a message event of the conversation, fetches the new lines."""

    def __init__(self, client: Client, conversation_id: int, results: "queue.Queue[Tuple[str, int, float]]") -> None:
        super().__init__(daemon=True)
        self.client, self.conversation_id, self.results = client, conversation_id, results
        self.ready = threading.Event()
        self.last_id = 0

    def run(self) -> None:
        try:
            self._read()
        except Exception:  # noqa: BLE001 - the console stopping at the end of the run
            pass

    def _read(self) -> None:
        reply = self.client.http.get(self.client.base + "/api/live", stream=True, timeout=600)
        event: Dict[str, str] = {}
        for line in reply.iter_lines(decode_unicode=True):
            if line.startswith("event: hello"):
                self.ready.set()
            elif line.startswith(("event: ", "data: ")):
                key, value = line.split(": ", 1)
                event[key] = value
            elif line == "" and event:
                if event.get("event") == "message" and f'"conversation_id": {self.conversation_id},' in event["data"]:
                    arrived = time.perf_counter()
                    message_id = int(event["data"].split('"message_id": ')[1].split(",")[0])
                    self.results.put(("event", message_id, arrived))
                    lines = self.client.get(
                        f"/api/conversations/{self.conversation_id}/messages?after={self.last_id}"
                    ).json()["messages"]
                    self.last_id = max([self.last_id] + [m["id"] for m in lines])
                    self.results.put(("shown", message_id, time.perf_counter()))
                event = {}


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--port", type=int, default=6410)
    parser.add_argument("--redis", default="", help="two console processes sharing events through this Redis")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="console-latency-"))
    database_url = f"sqlite:///{work / 'cxm.db'}"
    schema.upgrade(database_url)
    engine = engine_for(database_url)
    ports = [args.port, args.port + 1] if args.redis else [args.port]
    processes = [start_console(port, database_url, args.redis, work / f"console-{port}.log") for port in ports]
    try:
        seeded = seed_waiting(engine, messages=["Paket saya belum sampai", "Saya mau bicara dengan agen"])
        results: "queue.Queue[Tuple[str, int, float]]" = queue.Queue()
        agents = []
        for number in range(args.agents):
            username = f"bench{number}"
            auth.create_user(username, f"Agent {number}", PASSWORD, "lead", engine=engine)
            client = Client(f"http://127.0.0.1:{ports[number % len(ports)]}")
            client.login(username)
            agents.append(Agent(client, seeded["conversation_id"], results))
        record(HandoffClaimed(seeded["handoff_id"], "bench0", datetime.utcnow()), engine)
        for agent in agents:
            agent.start()
        for agent in agents:
            agent.ready.wait(30)
        time.sleep(1.0)
        starts: List[float] = []
        for index in range(args.messages):
            started = time.perf_counter()
            record(CustomerSaid("web", seeded["sender"], f"Halo, masih di sana? ({index})", datetime.utcnow(), "id"),
                   engine)
            starts.append(started)
            time.sleep(0.3)
        time.sleep(2.0)
        arrivals: Dict[str, Dict[int, List[float]]] = {"event": {}, "shown": {}}
        while not results.empty():
            kind, message_id, at = results.get()
            arrivals[kind].setdefault(message_id, []).append(at)
        # Message ids of the run in order pair with the send times in order.
        ids = sorted(arrivals["event"])
        print(f"console_latency: {args.agents} agents on {len(ports)} console process(es)"
              f"{' sharing events through Redis' if args.redis else ''}, {args.messages} customer messages, "
              f"SQLite store, {os.cpu_count()} cores")
        for kind in ("event", "shown"):
            latencies = [
                (at - start) * 1000
                for message_id, start in zip(ids, starts)
                for at in arrivals[kind].get(message_id, [])
            ]
            expected = args.agents * len(ids)
            print(f"  {kind:5}: p50 {statistics.median(latencies):6.0f} ms   p99 {percentile(latencies, 0.99):6.0f} ms"
                  f"   ({len(latencies)} of {expected} deliveries; {len(ids)} of {args.messages} messages seen)")
        print("  reference, the polling console (every 2 s): p50 ~1000 ms, p99 ~1980 ms before its fetch")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    main()
