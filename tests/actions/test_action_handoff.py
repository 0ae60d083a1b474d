"""Handing over to a person: queue, out of hours, no agent online, leaving a message."""
import pytest
from rasa_sdk.events import ConversationPaused, SlotSet

from action_helpers import message, parse_data, run_action
from actions import handoff
from actions.handoff import ActionAnswerYesToClarify, ActionLeaveMessage, ActionRequestHandoff


@pytest.fixture
def queue(monkeypatch):
    """Control business hours and the queue the action reads."""
    state = {"open": True, "online": ["rina"], "waiting": 2, "wait_seconds": 240.0}
    monkeypatch.setattr(handoff, "within_business_hours", lambda now, settings: state["open"])
    monkeypatch.setattr(handoff, "agents_online", lambda now: state["online"])
    monkeypatch.setattr(handoff, "waiting_queue", lambda now: [object()] * state["waiting"])
    monkeypatch.setattr(handoff, "estimated_wait_seconds", lambda: state["wait_seconds"])
    return state


def request(make_tracker, intent="request_human", events=None, **slots):
    return make_tracker(slots=slots, latest_message=parse_data("x", intent), events=events or [])


def test_queued_customer_hears_place_and_wait_and_the_bot_pauses(make_tracker, dispatcher, domain, queue):
    events = run_action(ActionRequestHandoff(), dispatcher, request(make_tracker), domain)
    # third in line, 240 s each, one agent: 12 minutes
    assert dispatcher.messages == [message("utter_handoff_queued", position=3, wait_minutes=12)]
    assert events == [
        SlotSet("handoff_reason", "request"),
        SlotSet("conversation_outcome", "escalated"),
        ConversationPaused(),
    ]


def test_a_question_asked_beside_the_request_is_answered_before_the_queue(make_tracker, dispatcher, domain, queue):
    latest = parse_data(
        "paket saya rusak pas nyampe, mau ngomong sama orang aja", "request_human",
        questions=["faq/item_damaged", "request_human"],
    )
    tracker = make_tracker(slots={}, latest_message=latest, events=[])
    events = run_action(ActionRequestHandoff(), dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_faq/item_damaged", "utter_handoff_queued"]
    assert ConversationPaused() in events


def test_a_request_beside_a_greeting_only_queues(make_tracker, dispatcher, domain, queue):
    latest = parse_data("halo kak. mau ngomong sama CS", "request_human", questions=["greet", "request_human"])
    run_action(ActionRequestHandoff(), dispatcher, make_tracker(slots={}, latest_message=latest, events=[]), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_queued"]


def test_complaint_is_the_reason(make_tracker, dispatcher, domain, queue):
    events = run_action(ActionRequestHandoff(), dispatcher, request(make_tracker, "complain"), domain)
    assert events[0] == SlotSet("handoff_reason", "complaint")


TOPIC_BUTTONS = [{"title": "Retur barang", "payload": "cara retur barang"},
                 {"title": "Lacak pesanan", "payload": "/check_order_status"}]


def after_clarification(make_tracker, response, buttons=None):
    """A "ya" right after action_clarify said ``response``."""
    executed = [
        {"event": "action", "name": "action_clarify"},
        {"event": "bot", "text": "...", "data": {"buttons": buttons}, "metadata": {"utter_action": response}},
        {"event": "action", "name": "action_listen"},
    ]
    return request(make_tracker, "affirm", events=executed, language="id")


def test_accepting_the_offer_after_two_misses_is_a_repeated_miss(make_tracker, dispatcher, domain, queue):
    tracker = after_clarification(make_tracker, "utter_offer_human")
    events = run_action(ActionAnswerYesToClarify(), dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_queued"]
    assert events[0] == SlotSet("handoff_reason", "repeated_miss") and ConversationPaused() in events


def test_ok_after_the_first_clarification_asks_for_the_topic_again(make_tracker, dispatcher, domain, queue):
    tracker = after_clarification(make_tracker, "utter_clarify", TOPIC_BUTTONS)
    events = run_action(ActionAnswerYesToClarify(), dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_pick_a_topic", buttons=TOPIC_BUTTONS)]
    assert events == []


def test_ok_after_an_invitation_to_ask_offers_the_menu(make_tracker, dispatcher, domain, queue):
    tracker = after_clarification(make_tracker, "utter_how_can_i_help")
    run_action(ActionAnswerYesToClarify(), dispatcher, tracker, domain)
    [said] = dispatcher.messages
    assert said["response"] == "utter_pick_a_topic"
    assert "/request_human" in [b["payload"] for b in said["buttons"]]


def test_out_of_hours_offers_to_take_a_message(make_tracker, dispatcher, domain, queue):
    queue["open"] = False
    events = run_action(ActionRequestHandoff(), dispatcher, request(make_tracker), domain)
    assert dispatcher.messages == [message("utter_handoff_closed", hours="08.00-21.00")]
    assert events == [SlotSet("ticket_pending", True), SlotSet("ticket_draft", None)]


def test_no_agent_online_offers_to_take_a_message(make_tracker, dispatcher, domain, queue):
    queue["online"] = []
    events = run_action(ActionRequestHandoff(), dispatcher, request(make_tracker), domain)
    assert dispatcher.messages == [message("utter_handoff_no_agents", hours="08.00-21.00")]
    assert events == [SlotSet("ticket_pending", True), SlotSet("ticket_draft", None)]


def test_queue_unavailable_still_answers(make_tracker, dispatcher, domain, monkeypatch):
    # The store's database refuses connections (nothing listens on port 9).
    monkeypatch.setenv("CXM_DATABASE_URL", "postgresql://postgres@127.0.0.1:9/cxm")
    monkeypatch.setattr(handoff, "within_business_hours", lambda now, settings: True)
    events = run_action(ActionRequestHandoff(), dispatcher, request(make_tracker), domain)
    assert dispatcher.messages == [message("utter_handoff_no_agents", hours="08.00-21.00")]
    assert events == [SlotSet("ticket_pending", True), SlotSet("ticket_draft", None)]


def leave(make_tracker, dispatcher, domain, text, intent="out_of_scope", draft=None):
    tracker = make_tracker(slots={"ticket_pending": True, "ticket_draft": draft},
                           latest_message=parse_data(text, intent))
    return run_action(ActionLeaveMessage(), dispatcher, tracker, domain)


def test_message_with_contact_becomes_a_ticket(make_tracker, dispatcher, domain):
    events = leave(make_tracker, dispatcher, domain, "refund belum masuk, hubungi 0812-3456-7890")
    assert dispatcher.messages == [message("utter_ticket_created", contact="0812-3456-7890")]
    assert events == [
        SlotSet("handoff_ticket", {"contact": "0812-3456-7890", "message": "refund belum masuk, hubungi 0812-3456-7890"}),
        SlotSet("conversation_outcome", "escalated"),
        SlotSet("ticket_pending", False),
        SlotSet("ticket_draft", None),
    ]


def test_message_without_contact_asks_for_one_and_keeps_the_message(make_tracker, dispatcher, domain):
    events = leave(make_tracker, dispatcher, domain, "refund saya belum masuk")
    assert dispatcher.messages == [message("utter_ask_ticket_contact")]
    assert events == [SlotSet("ticket_draft", "refund saya belum masuk")]


def test_contact_given_next_joins_the_message(make_tracker, dispatcher, domain):
    events = leave(make_tracker, dispatcher, domain, "budi@contoh.co.id", draft="refund saya belum masuk")
    assert events[0] == SlotSet(
        "handoff_ticket", {"contact": "budi@contoh.co.id", "message": "refund saya belum masuk\nbudi@contoh.co.id"})


def test_still_no_contact_points_to_email_and_ends(make_tracker, dispatcher, domain):
    events = leave(make_tracker, dispatcher, domain, "gak mau kasih", draft="refund saya belum masuk")
    assert dispatcher.messages == [message("utter_ticket_no_contact")]
    assert events == [SlotSet("ticket_pending", False), SlotSet("ticket_draft", None)]


def test_declining_to_leave_a_message(make_tracker, dispatcher, domain):
    events = leave(make_tracker, dispatcher, domain, "/deny", intent="deny")
    assert dispatcher.messages == [message("utter_anything_else")]
    assert events == [SlotSet("ticket_pending", False), SlotSet("ticket_draft", None)]
