"""One write path: a whole conversation told as CX events, and what the store makes of it.

The capture layer and the console both write through ``record``; this test
tells one customer's conversation the way they do (customer, bot, handoff,
agent, survey) and checks the figures a lead would read, on SQLite and
PostgreSQL. A scan checks that nothing outside the store writes around it.
"""
import ast
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from contract.vocabulary import AGENT, CSAT, RESOLVED
from cx_reports.metric_sql import MetricFilter
from cx_reports.metrics import csat_percent
from cxm_store.console_models import HandoffNote
from cxm_store.db import session_factory
from cxm_store.errors import NotFound
from cxm_store.events import (
    AgentFirstReply,
    CustomerSaid,
    HandoffClaimed,
    HandoffRequested,
    HandoffResolved,
    HandoffTransferred,
    NoteAdded,
    OutcomeSet,
    ReplySent,
    SurveyAnswered,
    SurveyAsked,
    record,
)
from cxm_store.models import Conversation, Handoff, Message, SurveyAnswer

T0 = datetime(2024, 5, 6, 9, 0)
REPO = Path(__file__).resolve().parents[2]


def test_a_conversation_told_as_events_gives_the_figures_a_lead_reads(engine):
    said = CustomerSaid("web", "web-events-1", "paket saya rusak", T0, "id", intent="complaint")
    conversation_id = record(said, engine)
    assert record(said, engine, dedupe=True) == conversation_id  # a replay stores nothing twice
    record(ReplySent(conversation_id, "Maaf ya Kak, saya sambungkan ke CS.", T0 + timedelta(seconds=1)), engine)
    handoff_id = record(HandoffRequested(conversation_id, T0 + timedelta(seconds=2), "complaint"), engine)
    assert record(HandoffRequested(conversation_id, T0 + timedelta(seconds=3)), engine) == handoff_id

    assert record(HandoffClaimed(handoff_id, "rina", T0 + timedelta(seconds=62)), engine) is True
    assert record(HandoffClaimed(handoff_id, "dewi", T0 + timedelta(seconds=63)), engine) is False
    assert record(NoteAdded(handoff_id, "rina", "minta foto paketnya", T0 + timedelta(seconds=70)), engine)
    record(HandoffTransferred(handoff_id, "rina", None, "shift saya selesai", T0 + timedelta(seconds=80)), engine)
    assert record(HandoffClaimed(handoff_id, "dewi", T0 + timedelta(seconds=90)), engine) is True
    record(ReplySent(conversation_id, "Halo Kak, saya Dewi.", T0 + timedelta(seconds=100), AGENT), engine)
    assert record(AgentFirstReply(handoff_id, T0 + timedelta(seconds=100)), engine) is True
    assert record(AgentFirstReply(handoff_id, T0 + timedelta(seconds=130)), engine) is False
    assert record(HandoffResolved(handoff_id, T0 + timedelta(seconds=400), agent="rina"), engine) is False
    assert record(HandoffResolved(handoff_id, T0 + timedelta(seconds=400), agent="dewi"), engine) is True
    record(OutcomeSet(conversation_id, RESOLVED), engine)
    record(SurveyAsked(conversation_id, CSAT, T0 + timedelta(seconds=401), agent="dewi"), engine)
    record(SurveyAnswered(conversation_id, CSAT, T0 + timedelta(seconds=420), score=4), engine)

    with session_factory(engine)() as session:
        handoff = session.get(Handoff, handoff_id)
        assert (handoff.status, handoff.agent, handoff.transfers_count, handoff.notes_count) == (
            "resolved", "dewi", 1, 1,
        )
        assert (handoff.claimed_at, handoff.first_agent_reply_at, handoff.resolved_at) == (
            T0 + timedelta(seconds=90), T0 + timedelta(seconds=100), T0 + timedelta(seconds=400),
        )
        conversation = session.get(Conversation, conversation_id)
        assert (conversation.has_handoff, conversation.outcome, conversation.agent) == (True, RESOLVED, "dewi")
        senders = session.scalars(
            select(Message.sender).where(Message.conversation_id == conversation_id).order_by(Message.id)
        ).all()
        assert senders == ["customer", "bot", "agent"]
        answer = session.scalars(select(SurveyAnswer).where(SurveyAnswer.conversation_id == conversation_id)).one()
        assert (answer.kind, answer.score, answer.agent) == (CSAT, 4, "dewi")
        notes = session.scalars(select(HandoffNote.kind).where(HandoffNote.handoff_id == handoff_id)).all()
        assert sorted(notes) == ["note", "transfer"]
    # One CSAT answer of 4 (4-5 is satisfied): 100 %.
    assert csat_percent(MetricFilter(start=T0 - timedelta(days=1), end=T0 + timedelta(days=1)), engine=engine) == 100.0


def test_events_about_what_does_not_exist_are_refused(engine):
    with pytest.raises(NotFound):
        record(HandoffRequested(424242, T0), engine)
    with pytest.raises(LookupError):
        record(HandoffClaimed(424242, "rina", T0), engine)


# The store's write functions: reached only through ``record`` from outside the store.
WRITERS = {
    "record_customer_message", "record_bot_message", "record_survey_question", "record_survey_response",
    "set_outcome", "request_handoff", "leave_message", "claim_handoff", "record_first_agent_reply",
    "resolve_handoff", "add_note", "transfer",
}
OUTSIDE_THE_STORE = ("bot", "actions", "team_app", "bench")


def test_nothing_outside_the_store_writes_around_record():
    offenders = []
    for folder in OUTSIDE_THE_STORE:
        for path in sorted((REPO / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cxm_store"):
                    offenders += [f"{path.relative_to(REPO)} imports {a.name}" for a in node.names if a.name in WRITERS]
                if isinstance(node, ast.Attribute) and node.attr in WRITERS and isinstance(node.value, ast.Name) \
                        and node.value.id in {"handoffs", "handoff_notes", "surveys", "touchpoints"}:
                    offenders.append(f"{path.relative_to(REPO)} calls {node.value.id}.{node.attr}")
    assert offenders == []
