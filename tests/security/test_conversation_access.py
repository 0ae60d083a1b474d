"""Issue 12, "any agent reads any conversation": agents see only what their work needs.

Against the real console process (``python -m team_app``) and its
SQLite store; ids are sequential, so the attack is walking them.
"""
from datetime import datetime, timedelta

from sqlalchemy import text

from cxm_store import handoffs
from cxm_store.access import may_read_conversation
from cxm_store.touchpoints import record_customer_message
from tests.console.conftest import seed_waiting

CONVERSATION_ROUTES = ("/api/conversations/{id}", "/api/conversations/{id}/messages")


def _claimed_by_new_agent(console):
    ids = seed_waiting(console.engine, messages=["KTP saya 3174051203980001, tolong cek"])
    holder = console.client(console.user("agent"))
    assert holder.post(f"/api/handoffs/{ids['handoff_id']}/claim").status_code == 200
    return ids, holder


def test_an_agent_cannot_read_or_act_on_another_agents_conversation(console):
    ids, holder = _claimed_by_new_agent(console)
    intruder = console.client(console.user("agent"))
    missing_id = ids["conversation_id"] + 10_000
    for route in CONVERSATION_ROUTES:
        refused = intruder.get(route.format(id=ids["conversation_id"]))
        unknown = intruder.get(route.format(id=missing_id))
        # The same answer as for an id that does not exist: existence is not confirmed.
        assert refused.status_code == unknown.status_code == 404
        assert refused.json() == {"error": f"No conversation {ids['conversation_id']}"}
        assert unknown.json() == {"error": f"No conversation {missing_id}"}
        assert holder.get(route.format(id=ids["conversation_id"])).status_code == 200
    for action in ("reply", "resolve"):
        refused = intruder.post(f"/api/handoffs/{ids['handoff_id']}/{action}", {"text": "hai"})
        assert refused.status_code == 404 and refused.json() == {"error": f"No handoff {ids['handoff_id']}"}
    lead = console.client(console.user("lead"))
    context = lead.get(f"/api/conversations/{ids['conversation_id']}")
    assert context.status_code == 200 and context.json()["conversation_id"] == ids["conversation_id"]


def test_walking_ids_shows_an_agent_only_the_queue_and_their_own(console):
    mine, holder = _claimed_by_new_agent(console)
    other, _ = _claimed_by_new_agent(console)
    bot_only = record_customer_message(
        "web", f"web-bot-only-{mine['conversation_id']}", "berapa ongkir ke Medan?",
        datetime.utcnow(), "id", engine=console.engine,
    )
    waiting = seed_waiting(console.engine)
    with console.engine.connect() as connection:
        queue = set(connection.execute(text(
            "SELECT conversation_id FROM handoffs WHERE status = 'requested'"
        )).scalars())
        last_id = connection.execute(text("SELECT max(id) FROM conversations")).scalar_one()
    assert waiting["conversation_id"] in queue

    readable = {
        conversation_id for conversation_id in range(1, last_id + 3)
        if holder.get(f"/api/conversations/{conversation_id}").status_code == 200
    }
    assert readable == queue | {mine["conversation_id"]}
    assert other["conversation_id"] not in readable and bot_only not in readable


def test_the_customers_history_is_readable_only_while_serving_them(console):
    sender = f"web-returning-{datetime.utcnow().timestamp()}"
    earlier = record_customer_message(
        "web", sender, "alamat saya Jl. Melati 5", datetime.utcnow() - timedelta(days=3), "id",
        engine=console.engine,
    )
    current = seed_waiting(console.engine, sender=sender)
    assert current["conversation_id"] != earlier
    agent = console.client(console.user("agent"))
    colleague = console.client(console.user("agent"))
    assert agent.get(f"/api/conversations/{earlier}").status_code == 404  # only queued so far

    assert agent.post(f"/api/handoffs/{current['handoff_id']}/claim").status_code == 200
    context = agent.get(f"/api/conversations/{current['conversation_id']}").json()
    assert [e["conversation_id"] for e in context["earlier"]] == [earlier]
    assert agent.get(f"/api/conversations/{earlier}").status_code == 200
    assert colleague.get(f"/api/conversations/{earlier}").status_code == 404

    assert agent.post(f"/api/handoffs/{current['handoff_id']}/resolve").status_code == 200
    assert agent.get(f"/api/conversations/{earlier}").status_code == 404
    assert agent.get(f"/api/conversations/{current['conversation_id']}").status_code == 200  # held it


def test_the_access_rule_on_both_engines(store_engine):
    now = datetime.utcnow()
    waiting = seed_waiting(store_engine, now=now)["conversation_id"]
    held = seed_waiting(store_engine, sender="web-held", now=now)
    earlier_of_held = record_customer_message(
        "web", "web-held", "pesanan lama", now - timedelta(days=5), "id", engine=store_engine
    )
    resolved = seed_waiting(store_engine, now=now)
    colleagues = seed_waiting(store_engine, now=now)
    bot_only = record_customer_message("web", "web-bot-only", "halo", now, "id", engine=store_engine)
    handoffs.claim_handoff(held["handoff_id"], "rina", now, engine=store_engine)
    handoffs.claim_handoff(resolved["handoff_id"], "rina", now, engine=store_engine)
    handoffs.resolve_handoff(resolved["handoff_id"], now, agent="rina", engine=store_engine)
    handoffs.claim_handoff(colleagues["handoff_id"], "budi", now, engine=store_engine)
    every = {waiting, held["conversation_id"], earlier_of_held, resolved["conversation_id"],
             colleagues["conversation_id"], bot_only}

    def readable(username, role):
        return {c for c in every | {max(every) + 1} if may_read_conversation(c, username, role, engine=store_engine)}

    assert readable("rina", "agent") == {
        waiting, held["conversation_id"], earlier_of_held, resolved["conversation_id"]
    }
    assert readable("budi", "agent") == {waiting, colleagues["conversation_id"]}
    assert readable("lead", "lead") == readable("admin", "admin") == every
