"""The store goes away and comes back: nothing raised, nothing lost, nothing doubled.

The broker talks to PostgreSQL through a TCP proxy run by the test
(127.0.0.1:<free port> -> 127.0.0.1:5432). Cutting the proxy closes its
listening socket and aborts every open connection, like a database restart
or a network cut; restoring it listens on the same port again.
"""
import time
from datetime import datetime, timedelta
from typing import List

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.capture import TouchpointRecorder
from cxm_store.db import engine_for, session_factory
from cxm_store.models import Conversation, CustomerIdentity, Message
from tests.capture import events as ev
from tests.tcp_proxy import TcpProxy

T = datetime(2026, 5, 6, 9, 0)


@pytest.fixture
def pg_url(new_pg_database) -> str:
    return new_pg_database()


def _conversation_texts(url: str, who: str) -> List[str]:
    with session_factory(engine_for(url))() as session:
        return list(session.scalars(
            select(Message.text)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .join(CustomerIdentity, CustomerIdentity.customer_id == Conversation.customer_id)
            .where(CustomerIdentity.external_id == who, Message.sender == "customer")
            .order_by(Message.at, Message.id)
        ))


def test_store_outage_loses_and_doubles_nothing(pg_url, tmp_path):
    direct = make_url(pg_url)
    proxy = TcpProxy(direct.host or "127.0.0.1", direct.port or 5432)
    proxy.start()
    proxied = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    recorder = TouchpointRecorder(
        database_url=proxied, spool_dir=str(tmp_path / "spool"), retry_max=1.0,
        sweep_interval=3600,
    )
    senders = ["a", "b", "c"]
    sent = {who: [] for who in senders}
    publish_times: List[float] = []
    n = 0

    def say(count: int) -> None:
        nonlocal n
        for _ in range(count):
            who = senders[n % 3]
            text = f"pesan {n} dari {who}"
            at = T + timedelta(seconds=n)
            for event in (ev.user(who, text, at, "greet"), ev.bot(who, f"balas {n}", at)):
                started = time.perf_counter()
                recorder.publish(event)
                publish_times.append(time.perf_counter() - started)
            sent[who].append(text)
            n += 1

    try:
        say(30)
        assert recorder.wait_idle(30)
        say(15)
        proxy.cut()  # while the worker is writing these
        time.sleep(1.5)  # the worker tries, fails, backs off
        assert recorder.available is False
        say(15)  # still down
        spooled = list((tmp_path / "spool").glob("events-*.jsonl"))
        assert spooled and spooled[0].stat().st_size > 0
        proxy.start()
        assert recorder.wait_idle(30), "not everything was stored after the store came back"
        assert recorder.available is True and recorder.rejected == 0
    finally:
        recorder.stop()
        proxy.close()
        engine_for(proxied).dispose()

    # publish never waited on the store, even while it was down.
    assert max(publish_times) < 0.01
    assert sum(publish_times) / len(publish_times) < 0.001
    for who in senders:
        assert _conversation_texts(pg_url, who) == sent[who]  # all, once, in order
    with session_factory(engine_for(pg_url))() as session:
        counts = session.execute(
            select(Conversation.customer_message_count, Conversation.bot_message_count)
        ).all()
    assert sorted(counts) == [(20, 20)] * 3
