"""Who sees which follow-up, journey and export, over HTTP against the real console process.

Store: A (web p) ends with CSAT 1 -> follow-up nobody owns yet; B (telegram q)
was served by budi and got NPS 2 -> follow-up owned by budi.
"""
import csv
import io
import os
import re
from datetime import datetime, timedelta

import pytest
import requests

from cxm_store import audit, auth, follow_ups, schema
from cxm_store.db import engine_for
from cxm_store.handoffs import claim_handoff, request_handoff
from cxm_store.surveys import record_survey_answer
from cxm_store.touchpoints import record_customer_message
from tests.conftest import ROOT, web_app

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def store_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('journey-http') / 'cxm.db'}"


@pytest.fixture(scope="module")
def console(store_url):
    url = store_url
    schema.upgrade(url)
    engine = engine_for(url)
    at = datetime.utcnow() - timedelta(days=1)
    a = record_customer_message("web", "p", "mau retur", at, "id", intent="faq/returns", engine=engine)
    record_survey_answer(a, "csat", 1, at + timedelta(minutes=3), at, engine=engine)
    b = record_customer_message("telegram", "q", "rusak", at, "id", intent="complain", engine=engine)
    handoff = request_handoff(b, at + timedelta(minutes=1), reason="request", engine=engine)
    claim_handoff(handoff, "budi", at + timedelta(minutes=2), engine=engine)
    record_survey_answer(b, "nps", 2, at + timedelta(minutes=9), at, engine=engine)
    for name, role in (("lena", "lead"), ("rina", "agent"), ("budi", "agent")):
        auth.create_user(name, name.title(), PASSWORD, role, engine=engine)
    ids = {f.conversation_id: f.id for f in follow_ups.list_follow_ups(datetime.utcnow(), engine=engine)}
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CXM_DATABASE_URL": url,
           "RASA_URL": "http://127.0.0.1:9", "CXM_SECURE_COOKIES": "0"}
    port = int(os.environ.get("TEST_JOURNEY_CONSOLE_PORT", "8906"))
    with web_app("journey-http", port, env) as base:
        yield base, {"A": a, "B": b, "fA": ids[a], "fB": ids[b]}


def _session(base, username):
    http = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(f"{base}/login").text).group(1)
    reply = http.post(f"{base}/login", data={"username": username, "password": PASSWORD,
                                             "csrf_token": token, "next": "/console"},
                      allow_redirects=False)
    assert reply.status_code == 303
    page = http.get(f"{base}/follow-ups").text
    http.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    return http


def _listed(http, base):
    return set(map(int, re.findall(r'data-follow-up="(\d+)"', http.get(f"{base}/follow-ups").text)))


def test_an_agent_sees_their_own_and_unowned_follow_ups_only(console):
    base, ids = console
    rina, budi = _session(base, "rina"), _session(base, "budi")
    assert _listed(rina, base) == {ids["fA"]}
    assert _listed(budi, base) == {ids["fA"], ids["fB"]}
    assert rina.get(f"{base}/follow-ups/{ids['fB']}").status_code == 404
    # budi's own follow-up shows him its conversation; an unowned one does only once taken.
    assert "rusak" in budi.get(f"{base}/follow-ups/{ids['fB']}").text
    unowned = rina.get(f"{base}/follow-ups/{ids['fA']}").text
    assert 'id="transcript-hidden"' in unowned and "mau retur" not in unowned
    assert rina.post(f"{base}/follow-ups/{ids['fB']}/close", allow_redirects=False,
                     data={"outcome": "reached", "csrf_token": rina.csrf}).status_code == 404
    for path in ("/journey/1", "/loop", "/export/conversations.csv", "/api/loop"):
        assert rina.get(f"{base}{path}", allow_redirects=False).status_code == 403, path
    # An agent reads a journey only through a conversation they may read.
    assert rina.get(f"{base}/api/journey?conversation_id={ids['A']}").status_code == 404


def test_closing_needs_the_csrf_token_and_a_known_outcome(console):
    base, ids = console
    lena = _session(base, "lena")
    url = f"{base}/follow-ups/{ids['fA']}/close"
    assert lena.post(url, data={"outcome": "reached"}, allow_redirects=False).status_code == 403
    assert lena.post(url, data={"outcome": "forgotten", "csrf_token": lena.csrf},
                     allow_redirects=False).status_code == 400
    assert lena.post(f"{base}/follow-ups/{ids['fA']}/assign", allow_redirects=False,
                     data={"owner": "rina", "csrf_token": lena.csrf}).status_code == 303
    rina = _session(base, "rina")
    assert _listed(rina, base) == {ids["fA"]}
    assert "mau retur" in rina.get(f"{base}/follow-ups/{ids['fA']}").text


def test_the_lead_exports_one_row_per_conversation_and_reads_journeys(console):
    base, ids = console
    lena = _session(base, "lena")
    reply = lena.get(f"{base}/export/conversations.csv?range=7")
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert [int(r["conversation_id"]) for r in rows] == [ids["A"], ids["B"]]
    assert (rows[1]["agent"], rows[1]["nps"], rows[1]["follow_up_reason"]) == ("budi", "detractor", "nps")
    assert len(lena.get(f"{base}/export/conversations.json?range=7").json()) == 2
    journey = lena.get(f"{base}/api/journey?conversation_id={ids['B']}").json()
    assert [c["id"] for c in journey["conversations"]] == [ids["B"]]
    assert [f["reason"] for f in journey["follow_ups"]] == ["nps"]
    loop = lena.get(f"{base}/api/loop?range=7").json()
    assert loop["follow_ups"]["opened"] == 2
    assert loop["service_levels"]["handoffs"] == 1
    assert loop["funnel"][0] == {"stage": "started", "label": "started", "count": 2,
                                 "percent": 100.0}



def test_reading_a_follow_ups_conversation_is_in_the_audit_log(console, store_url):
    base, ids = console
    engine = engine_for(store_url)
    budi = _session(base, "budi")
    before = len(audit.recent(action="read_transcript", engine=engine))
    assert "rusak" in budi.get(f"{base}/follow-ups/{ids['fB']}").text
    [read] = audit.recent(action="read_transcript", engine=engine)[:1]
    assert len(audit.recent(action="read_transcript", engine=engine)) == before + 1
    assert (read["actor"], read["subject"]) == ("budi", f"conversation {ids['B']}")
    # Another's follow-up (refused) or one not yet theirs (transcript hidden) reads nothing.
    assert _session(base, "rina").get(f"{base}/follow-ups/{ids['fB']}").status_code == 404
    assert "mau retur" not in budi.get(f"{base}/follow-ups/{ids['fA']}").text
    assert len(audit.recent(action="read_transcript", engine=engine)) == before + 1
