"""Names the Rasa assistant and its capture layer agree on (see domain.yml).

domain.yml and data/ declare these for Rasa; the Python side imports them
from here (tests/test_contract_names.py keeps both sides equal and refuses a
name spelled out elsewhere). The store never imports this module.
"""
from contract.vocabulary import SURVEY_KINDS

# --- Slots -----------------------------------------------------------------------
LANGUAGE_SLOT = "language"
ORDER_ID_SLOT = "order_id"
SURVEY_QUESTION_SLOT = "survey_question"  # the survey question being asked
SURVEY_RETRY_SLOT = "survey_retry"
SURVEY_COMMENT_PENDING_SLOT = "survey_comment_pending"
OUTCOME_SLOT = "conversation_outcome"
HANDOFF_REASON_SLOT = "handoff_reason"  # set when the customer joins the queue
HANDOFF_AGENT_SLOT = "handoff_agent"  # the agent who resolved the handoff
HANDOFF_TICKET_SLOT = "handoff_ticket"  # {contact, message} left out of hours
TICKET_PENDING_SLOT = "ticket_pending"
TICKET_DRAFT_SLOT = "ticket_draft"


def survey_answer_slot(kind: str) -> str:
    """The slot that holds the customer's answer to survey question ``kind``."""
    return f"survey_{kind}"


# Answer slot -> survey kind.
SURVEY_ANSWER_SLOTS = {survey_answer_slot(kind): kind for kind in SURVEY_KINDS}
# What a declined survey question's answer slot holds.
DECLINED_ANSWER = "declined"

# --- Actions -------------------------------------------------------------------------
ACTION_LISTEN = "action_listen"
ACTION_SESSION_START = "action_session_start"
ACTION_DETECT_LANGUAGE = "action_detect_language"
ACTION_CHECK_ORDER_STATUS = "action_check_order_status"
ACTION_CLARIFY = "action_clarify"
ACTION_ANSWER_YES_TO_CLARIFY = "action_answer_yes_to_clarify"
ACTION_SHOW_MENU = "action_show_menu"
ACTION_ANSWER_FAQ = "action_answer_faq"
ACTION_OFFER_SURVEY = "action_offer_survey"
ACTION_SURVEY_ANSWER = "action_survey_answer"
ACTION_STOP_SURVEY = "action_stop_survey"
ACTION_REQUEST_HANDOFF = "action_request_handoff"
ACTION_LEAVE_MESSAGE = "action_leave_message"
ACTION_LINK_ACCOUNTS = "action_link_accounts"  # proves one customer across channels

# --- Intents ---------------------------------------------------------------------------
FALLBACK_INTENT = "nlu_fallback"  # Rasa's FallbackClassifier: not understood
FAQ_INTENT = "faq"  # the retrieval intent; topics are faq/<key>
ORDER_STATUS_INTENT = "check_order_status"
COMPLAIN_INTENT = "complain"
REQUEST_HUMAN_INTENT = "request_human"
DENY_INTENT = "deny"
DECLINE_SURVEY_INTENT = "decline_survey"

# --- Event metadata ----------------------------------------------------------------------
# A ``bot`` event written by a person carries the agent's username under this
# key (and the name shown to the customer under AGENT_NAME_METADATA_KEY).
AGENT_METADATA_KEY = "agent"
AGENT_NAME_METADATA_KEY = "agent_name"
# Rasa names the domain response a ``bot`` event came from under this key.
RESPONSE_METADATA_KEY = "utter_action"
