"""Finding the questions of a message that asks more than one.

"bs cod ga? trs ongkir ke bekasi brp?" asks about payment and shipping cost;
one intent for the whole message answers half of it. A message is cut where
a question mark or a connective ("trs", "terus", "lalu", "also", "and
also") starts a new clause; the intent classifier then reads each part, and
when two parts ask for two different things with confidence, both are kept
under ``questions`` in the parse data, first question first.

A request for a person is looked for in every clause, commas included: "paket
saya rusak pas nyampe, mau ngomong sama orang aja" describes a problem and
asks for someone, and the second part decides what the customer gets. Commas
do not cut questions otherwise, because a rambling message puts its one
question after several comma-separated clauses of story.
"""
import re
from typing import List, Text

# Where a second question may start: after a "?" or before a connective.
_BOUNDARY = re.compile(
    r"\?+\s*|[.;]\s+|\s+(?=(?:trs|trus|terus|lalu|habis itu|abis tu|then|also|and also|plus)\b)",
    re.IGNORECASE,
)
# Where a clause may end, for the request for a person: any question boundary, or a comma.
_CLAUSE_BOUNDARY = re.compile(_BOUNDARY.pattern + r"|,\s*", re.IGNORECASE)
# Parts shorter than this are a tail ("ya?", "thx"), not a question.
_MIN_WORDS = 2
# Only the first two questions are read: a customer rarely asks more at once,
# and a long message cut in many places is more likely one rambling question.
MAX_QUESTIONS = 2


def split_questions(text: Text) -> List[Text]:
    """The message's clauses that could each be a question (one part if it is one question)."""
    parts = [p.strip(" ,") for p in _BOUNDARY.split(text or "")]
    parts = [p for p in parts if len(p.split()) >= _MIN_WORDS]
    return parts if len(parts) > 1 else [text]


def split_clauses(text: Text) -> List[Text]:
    """The message's clauses of two or more words, commas counting as boundaries."""
    parts = [p.strip(" ,") for p in _CLAUSE_BOUNDARY.split(text or "")]
    return [p for p in parts if len(p.split()) >= _MIN_WORDS]
