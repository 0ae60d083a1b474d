"""The console over real HTTP: a ``python -m team_app`` process and a fake Rasa."""
import threading
from datetime import datetime, timedelta

from sqlalchemy import text

from cxm_store import handoffs
from team_app import settings
from team_app import create_app
from team_app.security import PUBLIC_ROUTES
from tests.console.conftest import PASSWORD, RASA_TOKEN, seed_waiting

API_GETS = ["/api/queue", "/api/conversations/1", "/api/conversations/1/messages", "/api/tickets", "/api/users"]
API_POSTS = [
    "/api/handoffs/1/claim", "/api/handoffs/1/reply", "/api/handoffs/1/resolve",
    "/api/me/availability", "/api/me/heartbeat",
]


def test_every_route_but_the_public_ones_requires_a_role(tmp_path):
    app = create_app(settings.TeamAppSettings(database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    open_routes = []
    for route in app.router.routes:
        name = route.name.split(".")[-1]
        if name.startswith(PUBLIC_ROUTES):
            continue
        if not getattr(route.handler, "required_roles", None):
            open_routes.append(route.path)
    assert open_routes == []


def test_without_login_pages_redirect_and_api_answers_401(console):
    client = console.client()
    for path in ("/console", "/"):
        reply = client.get(path)
        assert reply.status_code == 303 and reply.headers["Location"].startswith("/login"), path
    for path in API_GETS:
        reply = client.get(path)
        assert reply.status_code == 401 and reply.json() == {"error": "Please log in"}, path
    for path in API_POSTS:
        assert client.post(path, {}).status_code == 401, path
    assert client.post("/logout", {}).status_code == 303
    assert client.get("/health").status_code == 200
    assert client.get("/login").status_code == 200


def test_wrong_role_is_forbidden(console):
    agent = console.client(console.user("agent"))
    assert agent.get("/api/users").status_code == 403
    assert agent.get("/api/tickets").status_code == 403
    assert "error" in agent.get("/api/users").json()
    lead = console.client(console.user("lead"))
    assert lead.get("/api/tickets").status_code == 200
    assert lead.get("/api/users").status_code == 403
    assert lead.get("/console").status_code == 200
    admin = console.client(console.user("admin"))
    users = admin.get("/api/users").json()["users"]
    assert users and all("password_hash" not in u for u in users)


def test_login_sets_a_strict_http_only_cookie_and_password_is_hashed(console):
    username = console.user("agent", "Rina Wulandari")
    client = console.client()
    reply = client.submit_login(username, PASSWORD)
    assert reply.status_code == 303 and reply.headers["Location"] == "/console"
    cookie = reply.headers["Set-Cookie"]
    assert "cxm_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # CXM_SECURE_COOKIES=0: plain http on loopback (tests/security/test_sessions.py)
    page = client.get("/console")
    assert page.status_code == 200 and "Rina Wulandari" in page.text and 'action="/logout"' in page.text
    with console.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT password_hash FROM users WHERE username = :u"), {"u": username}
        ).scalar_one()
        tokens = connection.execute(text("SELECT token_sha256 FROM web_sessions")).scalars().all()
    assert PASSWORD not in stored and stored.startswith("scrypt$")
    session_token = client.http.cookies.get("cxm_session")
    assert session_token not in tokens  # only its sha256 is stored


def test_wrong_password_then_slowed_down(console):
    # More in tests/security/test_login.py (unknown users, growing delays, other addresses).
    username = console.user("agent")
    client = console.client()
    for _ in range(3):
        reply = client.submit_login(username, "wrong password")
        assert reply.status_code == 401 and "Wrong username or password" in reply.text
        assert "cxm_session" not in client.http.cookies
    slowed = client.submit_login(username, PASSWORD)
    assert slowed.status_code == 429 and "Too many failed attempts" in slowed.text
    assert slowed.headers["Retry-After"] == "1"
    assert client.get("/console").status_code == 303


def test_login_form_needs_its_csrf_token(console):
    username = console.user("agent")
    client = console.client()
    client.login_form()
    reply = client.http.post(
        console.url + "/login", data={"username": username, "password": PASSWORD},
        allow_redirects=False,
    )
    assert reply.status_code == 403 and "cxm_session" not in client.http.cookies


def test_session_expires_when_idle_and_logout_ends_it(console):
    client = console.client(console.user("agent"))
    assert client.get("/api/queue").status_code == 200
    with console.engine.begin() as connection:
        connection.execute(
            text("UPDATE web_sessions SET expires_at = :t"), {"t": datetime.utcnow() - timedelta(seconds=1)}
        )
    assert client.get("/api/queue").status_code == 401
    assert client.get("/console").status_code == 303

    other = console.client(console.user("agent"))
    token = other.http.cookies.get("cxm_session")
    logout = other.http.post(
        console.url + "/logout", data={"csrf_token": other.csrf}, allow_redirects=False
    )
    assert logout.status_code == 303 and logout.headers["Location"] == "/login"
    other.http.cookies.set("cxm_session", token)
    assert other.get("/api/queue").status_code == 401


def test_posts_need_the_session_csrf_token(console):
    ids = seed_waiting(console.engine)
    client = console.client(console.user("agent"))
    path = f"/api/handoffs/{ids['handoff_id']}/claim"
    missing = client.post(path, csrf=None)
    assert missing.status_code == 403 and "CSRF" in missing.json()["error"]
    assert client.post(path, csrf="forged-token").status_code == 403
    assert handoffs.get_handoff(ids["handoff_id"], engine=console.engine)["status"] == "requested"
    assert client.post(path).status_code == 200
    # Another user's token does not work either.
    other = console.client(console.user("agent"))
    assert client.post("/api/me/heartbeat", csrf=other.csrf).status_code == 403


def test_queue_api_orders_oldest_first_with_waiting_time(clean_queue):
    console = clean_queue
    newer = seed_waiting(console.engine, waited=timedelta(seconds=30), channel="telegram", language="en")
    older = seed_waiting(console.engine, waited=timedelta(seconds=300))
    client = console.client(console.user("agent"))
    data = client.get("/api/queue").json()
    queue = data["queue"]
    assert [e["handoff_id"] for e in queue] == [older["handoff_id"], newer["handoff_id"]]
    assert [e["position"] for e in queue] == [1, 2]
    assert 300 <= queue[0]["waiting_seconds"] < 330 and 30 <= queue[1]["waiting_seconds"] < 60
    assert queue[0]["opening_request"] == "Paket saya INV-2024-00123 belum sampai"
    assert queue[1]["channel"] == "telegram" and queue[1]["language"] == "en"
    assert queue[0]["requested_at"].endswith("Z")
    assert data["me"]["role"] == "agent" and "estimated_wait_seconds" in data
    context = client.get(f"/api/conversations/{older['conversation_id']}").json()
    assert context["order_number"] == "INV-2024-00123"
    assert [m["sender"] for m in context["transcript"]] == ["customer", "customer", "bot"]
    assert client.get("/api/conversations/999999").status_code == 404


def test_claim_race_over_http_exactly_one_wins(console):
    ids = seed_waiting(console.engine)
    clients = [console.client(console.user("agent")) for _ in range(4)]
    barrier = threading.Barrier(len(clients))
    statuses = []

    def claim(client):
        barrier.wait()
        statuses.append(client.post(f"/api/handoffs/{ids['handoff_id']}/claim").status_code)

    threads = [threading.Thread(target=claim, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 409, 409, 409]


def _claimed(console, channel="web"):
    ids = seed_waiting(console.engine, channel=channel)
    username = console.user("agent", "Rina")
    client = console.client(username)
    assert client.post(f"/api/handoffs/{ids['handoff_id']}/claim").status_code == 200
    return ids, username, client


def test_reply_is_delivered_through_rasa(console, rasa):
    ids, username, client = _claimed(console)
    reply = client.post(f"/api/handoffs/{ids['handoff_id']}/reply", {"text": "  Halo, saya Rina. Saya cek ya.  "})
    assert reply.status_code == 200 and reply.json() == {"delivered": True, "first_reply": True}
    assert len(rasa.requests) == 1
    sent = rasa.requests[0]
    assert sent["path"] == f"/conversations/{ids['sender']}/tracker/events"
    assert sent["query"] == "execute_side_effects=true&output_channel=webchat"
    assert sent["authorization"] == f"Bearer {RASA_TOKEN}"  # never in the URL
    assert sent["body"] == [
        {
            "event": "bot",
            "text": "Halo, saya Rina. Saya cek ya.",
            "metadata": {"agent": username, "agent_name": "Rina"},
        }
    ]
    first = handoffs.get_handoff(ids["handoff_id"], engine=console.engine)["first_agent_reply_at"]
    assert first is not None
    assert client.post(f"/api/handoffs/{ids['handoff_id']}/reply", {"text": "Sudah saya cek"}).json()["first_reply"] is False
    assert handoffs.get_handoff(ids["handoff_id"], engine=console.engine)["first_agent_reply_at"] == first
    # Not written to the transcript here: the capture path does it from the bot event.
    context = client.get(f"/api/conversations/{ids['conversation_id']}").json()
    assert all(m["sender"] != "agent" for m in context["transcript"])


def test_reply_rules(console, rasa):
    ids, _, client = _claimed(console)
    path = f"/api/handoffs/{ids['handoff_id']}/reply"
    assert client.post(path, {"text": "   "}).status_code == 400
    assert client.post(path, {"text": "x" * 2001}).status_code == 400
    other = console.client(console.user("agent"))
    taken = other.post(path, {"text": "hi"})
    assert taken.status_code == 404  # another agent's conversation is not theirs to see
    waiting = seed_waiting(console.engine)
    assert client.post(f"/api/handoffs/{waiting['handoff_id']}/reply", {"text": "hi"}).status_code == 409
    assert rasa.requests == []


def test_telegram_and_rest_channels(console, rasa):
    ids, _, client = _claimed(console, channel="telegram")
    assert client.post(f"/api/handoffs/{ids['handoff_id']}/reply", {"text": "Halo"}).status_code == 200
    assert rasa.requests[0]["params"]["output_channel"] == "telegram"
    rest, _, rest_client = _claimed(console, channel="rest")
    refused = rest_client.post(f"/api/handoffs/{rest['handoff_id']}/reply", {"text": "Halo"})
    assert refused.status_code == 409 and "rest channel" in refused.json()["error"]


def test_resolve_hands_back_to_the_bot_and_offers_the_survey(console, rasa):
    ids, username, client = _claimed(console)
    reply = client.post(f"/api/handoffs/{ids['handoff_id']}/resolve")
    assert reply.status_code == 200 and reply.json() == {"resolved": True, "survey_offered": True}
    events, execute, listen = rasa.requests
    assert events["path"] == f"/conversations/{ids['sender']}/tracker/events"
    assert events["query"] == "execute_side_effects=true&output_channel=webchat"
    assert events["body"] == [
        {"event": "slot", "name": "handoff_agent", "value": username},
        {"event": "resume"},
        {"event": "action", "name": "action_listen"},
    ]
    assert execute["path"] == f"/conversations/{ids['sender']}/execute"
    assert execute["query"] == "output_channel=webchat"
    assert {r["authorization"] for r in rasa.requests} == {f"Bearer {RASA_TOKEN}"}
    assert execute["body"] == {"name": "action_offer_survey"}
    # the survey question ends the bot's turn: the customer's answer is a new turn
    assert listen["path"] == f"/conversations/{ids['sender']}/tracker/events"
    assert listen["body"] == [{"event": "action", "name": "action_listen"}]
    handoff = handoffs.get_handoff(ids["handoff_id"], engine=console.engine)
    assert handoff["status"] == "resolved" and handoff["resolved_at"] is not None
    again = client.post(f"/api/handoffs/{ids['handoff_id']}/resolve")
    assert again.status_code == 409


def test_resolve_survives_a_missing_survey_action(console, rasa):
    rasa.fail["/execute"] = 404
    ids, _, client = _claimed(console)
    reply = client.post(f"/api/handoffs/{ids['handoff_id']}/resolve")
    assert reply.status_code == 200 and reply.json()["survey_offered"] is False
    assert handoffs.get_handoff(ids["handoff_id"], engine=console.engine)["status"] == "resolved"


def test_rasa_down_gives_a_clear_error_and_loses_nothing(console, rasa):
    ids, username, client = _claimed(console)
    rasa.stop()
    reply = client.post(f"/api/handoffs/{ids['handoff_id']}/reply", {"text": "Halo"})
    assert reply.status_code == 502
    assert reply.json()["error"].startswith("Message not delivered, retry")
    resolve = client.post(f"/api/handoffs/{ids['handoff_id']}/resolve")
    assert resolve.status_code == 502 and "retry" in resolve.json()["error"]
    handoff = handoffs.get_handoff(ids["handoff_id"], engine=console.engine)
    assert handoff["status"] == "claimed" and handoff["agent"] == username
    assert handoff["first_agent_reply_at"] is None and handoff["resolved_at"] is None
    mine = client.get("/api/queue").json()["mine"]
    assert [e["handoff_id"] for e in mine] == [ids["handoff_id"]]
    # Rasa answering an error is no better than Rasa down.
    rasa.start()
    rasa.fail["/tracker/events"] = 500
    assert client.post(f"/api/handoffs/{ids['handoff_id']}/reply", {"text": "Halo"}).status_code == 502
    rasa.fail.clear()
    assert client.post(f"/api/handoffs/{ids['handoff_id']}/reply", {"text": "Halo"}).status_code == 200


def test_availability_and_heartbeat_make_an_agent_online(console):
    username = console.user("agent")
    client = console.client(username)
    assert client.post("/api/me/availability", {"available": "yes"}).status_code == 400
    assert client.post("/api/me/availability", {"available": True}).json() == {"available": True}
    assert username in client.get("/api/queue").json()["agents_online"]
    assert client.post("/api/me/heartbeat").status_code == 200
    assert client.post("/api/me/availability", {"available": False}).status_code == 200
    assert username not in client.get("/api/queue").json()["agents_online"]


def test_errors_are_json_for_the_api_and_a_page_otherwise(console):
    client = console.client(console.user("agent"))
    missing = client.get("/api/nope")
    assert missing.status_code == 404 and "error" in missing.json()
    page = client.get("/nope")
    assert page.status_code == 404 and "text/html" in page.headers["Content-Type"]
    assert "Page not found" in page.text
