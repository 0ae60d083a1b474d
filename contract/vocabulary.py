"""The customer-experience vocabulary the store, the bot and the console share.

Each tuple is the complete list of allowed values; the store's CHECK
constraints, the synthetic history and the console read them from here.
"""
import re
from datetime import timedelta
from typing import Dict, Mapping, Optional, Tuple

# --- Conversations -------------------------------------------------------------
# ``unresolved``: the customer said the issue was not solved and nobody took
# it over. ``abandoned`` is only given when an idle conversation is closed
# without any other outcome.
RESOLVED, UNRESOLVED, ESCALATED, ABANDONED = "resolved", "unresolved", "escalated", "abandoned"
OUTCOMES = (RESOLVED, UNRESOLVED, ESCALATED, ABANDONED)
# A later outcome replaces an earlier one only when it ranks at least as high:
# an escalation is never undone by a thank-you, and abandonment is a default.
OUTCOME_RANK: Mapping[str, int] = {ABANDONED: 0, RESOLVED: 1, UNRESOLVED: 1, ESCALATED: 2}

# A conversation ends after this long without a message (Rasa's session
# expiry in domain.yml is the same 30 minutes).
INACTIVITY_WINDOW = timedelta(minutes=30)

CUSTOMER, BOT, AGENT = "customer", "bot", "agent"
SENDERS = (CUSTOMER, BOT, AGENT)

# Intents that say nothing about why the customer came: never a conversation's
# primary topic (still listed among its topics).
SMALL_TALK_INTENTS = frozenset(
    {"greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge", "out_of_scope",
     "nlu_fallback",
     # Linking their chats on two channels says nothing of why they came either.
     "link_accounts"}
)

# --- Surveys ---------------------------------------------------------------------
SURVEY_RESOLVED, CSAT, CES, NPS, SURVEY_COMMENT = "resolved", "csat", "ces", "nps", "comment"
# In the order they are asked.
SURVEY_KINDS = (SURVEY_RESOLVED, CSAT, CES, NPS, SURVEY_COMMENT)
ANSWERED, DECLINED, UNANSWERED = "answered", "declined", "unanswered"
SURVEY_STATUSES = (ANSWERED, DECLINED, UNANSWERED)
# Inclusive score range of each scored kind (``resolved``: 1 yes, 0 no).
SCALES: Mapping[str, Tuple[int, int]] = {
    SURVEY_RESOLVED: (0, 1), CSAT: (1, 5), CES: (1, 7), NPS: (0, 10),
}
# The rating questions a customer answers with a number (not yes/no).
RATING_KINDS = (CSAT, CES, NPS)
CSAT_SATISFIED = (4, 5)  # "satisfied": CSAT % counts these
CSAT_LOW = (1, 2)  # a low score the dashboard lists and the survey apologises for
CES_EASY = (5, 7)  # 7 = very easy
NPS_PROMOTERS = (9, 10)
NPS_DETRACTORS = (0, 6)


def in_band(score: Optional[int], band: Tuple[int, int]) -> bool:
    """True when ``score`` lies in the inclusive ``band``."""
    return score is not None and band[0] <= score <= band[1]


# --- Handoffs --------------------------------------------------------------------
# ``requested``: waiting in the queue; ``claimed``: an agent took it;
# ``resolved``; ``ticket``: left as a message out of hours or with nobody
# online; ``abandoned``: the customer left the queue before anybody took it.
REQUESTED, CLAIMED, TICKET = "requested", "claimed", "ticket"
HANDOFF_STATUSES = (REQUESTED, CLAIMED, RESOLVED, TICKET, ABANDONED)
# Why a customer is handed to a person (what the console shows).
REASON_REQUEST, REASON_COMPLAINT, REASON_REPEATED_MISS, REASON_LEFT_MESSAGE = (
    "request", "complaint", "repeated_miss", "left_message",
)
HANDOFF_REASONS = (REASON_REQUEST, REASON_COMPLAINT, REASON_REPEATED_MISS, REASON_LEFT_MESSAGE)

# --- Channels --------------------------------------------------------------------
# Customers are known per store channel; the bot's input channels that carry
# them have their own names (the web chat is ``webchat`` to Rasa).
WEB, REST, TELEGRAM = "web", "rest", "telegram"
CHANNELS = (WEB, TELEGRAM, REST)
BOT_TO_STORE_CHANNEL: Dict[str, str] = {"webchat": WEB, "rest": REST, "telegram": TELEGRAM}
# The REST webhook only answers requests: nothing can be pushed to its customers.
STORE_TO_PUSH_CHANNEL: Dict[str, str] = {WEB: "webchat", TELEGRAM: "telegram"}

CONVERSATION_LANGUAGES = ("id", "en")

# --- Orders ------------------------------------------------------------------------
# What customers type for an order number ("inv 2024 123", "INV/2024/00123"):
# loose on purpose, so that a malformed number is recognised as one and
# answered as such. data/nlu/orders.yml holds the same regex for Rasa (a test
# keeps them equal). The canonical form is ``INV-YYYY-NNNNN``.
ORDER_NUMBER_PATTERN = r"inv[\s\-/_.]*(\d{2,4})[\s\-/_.]*(\d{1,7})"
ORDER_NUMBER_IN_TEXT = re.compile(rf"\b{ORDER_NUMBER_PATTERN}\b", re.IGNORECASE)
ORDER_NUMBER_ALONE = re.compile(rf"^\s*{ORDER_NUMBER_PATTERN}\s*$", re.IGNORECASE)
CANONICAL_ORDER_NUMBER = re.compile(r"^INV-(\d{4})-(\d{5})$")
ORDER_YEAR_DIGITS, ORDER_NUMBER_MAX_DIGITS = 4, 5
ORDER_STATUSES = ("processing", "packed", "shipped", "delivered", "cancelled")
