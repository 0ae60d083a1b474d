"""One synthetic conversation at a time: its transcript, handoff, survey and counters.

:class:`ConversationWriter` keeps the next id of every table and writes each
conversation's rows the way the live write path would leave them (every
per-conversation counter equals what the transcript holds). The random
draws happen in a fixed order, so one seed always gives the same history.
"""
import math
import random
from datetime import datetime, timedelta
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy.engine import Connection

from contract.dialogue import FALLBACK_INTENT
from contract.vocabulary import (
    ABANDONED,
    AGENT,
    ANSWERED,
    BOT,
    CES,
    CLAIMED,
    CSAT,
    CUSTOMER,
    DECLINED,
    ESCALATED,
    NPS,
    REASON_COMPLAINT,
    REASON_LEFT_MESSAGE,
    REASON_REPEATED_MISS,
    REASON_REQUEST,
    REQUESTED,
    RESOLVED,
    SURVEY_COMMENT,
    SURVEY_RESOLVED,
    TICKET,
    UNANSWERED,
)
from cxm_store.handoffs import within_business_hours
from cxm_store.models import SURVEY_COUNTERS, survey_tally
from cxm_store.synthetic_data import AGENTS, DEMO_PREFIX, LINES, WIB, WITH_AGENT_S
from cxm_store.synthetic_rows import RowWriter, next_ids

HUMAN_TOPIC = "request_human"  # the intent of asking for a person
COMPLAINT_TOPIC = "complain"

# A conversation as planned: (offset s, customer index, channel, language, topic).
Spec = Tuple[float, int, str, str, str]


def live_reason(topic: str, fallbacks: int) -> str:
    """Why the bot hands over (actions/handoff.py): a complaint, two misses, or a request."""
    if topic == COMPLAINT_TOPIC:
        return REASON_COMPLAINT
    return REASON_REPEATED_MISS if fallbacks else REASON_REQUEST


class ConversationWriter:
    """Writes conversations one after another into one transaction, ids continuing.

    Args:
        connection: The open transaction.
        rng: The generator's random source (drawn from in a fixed order).
        start: Naive UTC moment that offsets count from.
        span: Seconds from ``start`` to the end of the history.
        reading: Sentiment of a customer line: (label, score) or (None, None).
        hours: The store's settings (business hours).
        pick_topic: Draws a topic; ``pick_outcome`` draws an outcome.
        penalty: How much each topic lowers satisfaction.
    """

    def __init__(self, connection: Connection, rng: random.Random, start: datetime, span: float,
                 reading: Callable[[str], Tuple[Optional[str], Optional[float]]], hours: object,
                 pick_topic: Callable, pick_outcome: Callable, penalty: Dict[str, float]) -> None:
        self.rng, self.rand = rng, rng.random
        self.start, self.span = start, span
        self.reading, self.hours = reading, hours
        self.pick_topic, self.pick_outcome, self.penalty = pick_topic, pick_outcome, penalty
        self.postgres = connection.dialect.name == "postgresql"
        # SQLAlchemy's SQLite DATETIME storage format, so comparisons match.
        self.suffix = "" if self.postgres else ".000000"
        self.ids = next_ids(connection)
        self.rows = RowWriter(connection)
        self.add = self.rows.add
        self.tally = [0] * len(SURVEY_COUNTERS)
        self.felt: List[float] = [0, 0.0, 0]  # scored customer messages, their score sum, negatives
        self.lines: Mapping[str, Sequence[str]] = {}
        self.customer_messages = self.bot_messages = self.agent_messages = self.fallbacks = 0

    def ts(self, seconds: float) -> str:
        """The stored form of the moment ``seconds`` after ``start``."""
        return (self.start + timedelta(seconds=int(seconds))).isoformat(sep=" ") + self.suffix

    def take(self, table: str) -> int:
        """The next id of ``table``."""
        value = self.ids[table]
        self.ids[table] += 1
        return value

    def customers(self, customers: List[Tuple[int, float]], identities: List[Tuple[int, str]],
                  seed: int) -> List[int]:
        """Write the customers and their identities; return each customer's id by index."""
        customer_id = [0] * len(customers)
        for index, first_seen in customers:
            customer_id[index] = self.ids["customers"] + index
            self.add("customers", (customer_id[index], self.ts(first_seen)))
        for n, (index, channel) in enumerate(identities):
            self.add(
                "customer_identities",
                (self.ids["customer_identities"] + n, customer_id[index], channel,
                 f"{DEMO_PREFIX}{channel}-{seed}-{customer_id[index]}"),
            )
        return customer_id

    # --- Messages ---------------------------------------------------------------------

    def say(self, cid: int, at: float, line: str, text: str, intent: str, confidence: float,
            fallback: bool) -> None:
        """A customer message, with its sentiment counted on the conversation."""
        label, score = self.reading(line)
        self.add("messages", (self.take("messages"), cid, self.ts(at), CUSTOMER, text, intent,
                              confidence, fallback, label, score))
        self.customer_messages += 1
        if label is not None and score is not None:
            self.felt[0] += 1
            self.felt[1] += score
            self.felt[2] += label == "negative"

    def reply(self, cid: int, at: float, sender: str) -> None:
        """A reply of the bot or of an agent."""
        self.add("messages", (self.take("messages"), cid, self.ts(at), sender,
                              self.rng.choice(self.lines[sender]), None, None, False, None, None))

    def small_talk(self, cid: int, at: float, intent: str) -> None:
        """A greeting or thanks: a message and a topic (never the primary one)."""
        text = self.rng.choice(self.lines[intent])
        self.say(cid, at, text, text, intent, 0.97, False)
        self.topic(cid, intent, at)

    def topic(self, cid: int, topic: str, at: float) -> None:
        """A topic the conversation touched."""
        self.add("conversation_topics", (self.take("conversation_topics"), cid, topic, self.ts(at)))

    def answer(self, cid: int, customer: int, kind: str, score: Optional[int],
               comment: Optional[str], status: str, asked: str, answered: Optional[str],
               agent: Optional[str]) -> None:
        """A survey row, added to the conversation's tallies."""
        self.add("survey_answers", (self.take("survey_answers"), cid, customer, kind, score,
                                    comment, status, asked, answered, agent))
        for i, n in enumerate(survey_tally(kind, status, score)):
            self.tally[i] += n

    # --- One conversation --------------------------------------------------------------

    def conversation(self, spec: Spec, customer: int, waiting: bool, repeated: bool) -> None:
        """Write one conversation: transcript, handoff, survey, then its row with counters."""
        rand = self.rand
        at, _, channel, language, topic = spec
        self.tally[:] = [0] * len(SURVEY_COUNTERS)
        self.felt[:] = [0, 0.0, 0]
        self.customer_messages = self.bot_messages = self.agent_messages = self.fallbacks = 0
        cid = self.take("conversations")
        self.lines = LINES[language]
        outcome: Optional[str] = self.pick_outcome(self.rng)
        if topic == HUMAN_TOPIC and rand() < 0.7:
            outcome = ESCALATED
        elif topic == COMPLAINT_TOPIC and rand() < 0.35:
            outcome = ESCALATED
        if waiting:
            outcome = ESCALATED
        t, question = self._transcript(cid, at, topic)
        # Handoff: every escalation, and a few resolved by an agent.
        agent = None
        handed_off = outcome == ESCALATED or (outcome == RESOLVED and rand() < 0.04)
        if handed_off:
            t, agent = self._handoff(cid, customer, t, topic, question, waiting)
        if outcome == RESOLVED and rand() < 0.3:
            # The customer thanks the bot, which opens the survey.
            t += 20 + rand() * 60
            self.small_talk(cid, t, "thanks")
        last = t + 5 + rand() * 60
        open_now = waiting or self.span - last < 1800 and rand() < 0.7
        ended: Optional[float] = None
        if open_now:
            if outcome == ABANDONED:
                outcome = None
        else:
            ended = last
        # Survey on about half of the ended, non-abandoned conversations.
        resolved_confirmed = None
        if ended is not None and outcome != ABANDONED and rand() < 0.62:
            resolved_confirmed, last = self._survey(cid, customer, last, outcome, topic, agent)
            ended = last
        ts = self.ts
        self.add(
            "conversations",
            (cid, customer, channel, language, ts(at), ts(last),
             ts(ended) if ended is not None else None, outcome, topic, self.customer_messages,
             self.bot_messages, self.agent_messages, self.fallbacks, resolved_confirmed, agent,
             handed_off, repeated, *self.tally, *self.felt),
        )
        self.rows.maybe_flush()

    def _transcript(self, cid: int, at: float, topic: str) -> Tuple[float, str]:
        """Optional greeting, the question, the bot's reply, maybe a miss and a second topic."""
        rand, rng = self.rand, self.rng
        t = at
        if rand() < 0.35:
            self.small_talk(cid, t, "greet")
            t += 5 + rand() * 40
        line = rng.choice(self.lines[topic])
        question = line.format(n=int(rand() * 99999))
        self.say(cid, t, line, question, topic, 0.8 + rand() * 0.19, False)
        self.topic(cid, topic, t)
        t += 1 + rand() * 3
        self.reply(cid, t, BOT)
        self.bot_messages += 1
        if rand() < 0.08 + 0.1 * (self.penalty[topic] > 1):
            t += 10 + rand() * 60
            text = rng.choice(self.lines["fallback"])
            self.say(cid, t, text, text, FALLBACK_INTENT, 0.2 + rand() * 0.2, True)
            self.fallbacks += 1
        if rand() < 0.12 and topic != HUMAN_TOPIC:
            # A second question in the same conversation.
            second = self.pick_topic(rng)
            if second not in (topic, HUMAN_TOPIC):
                t += 20 + rand() * 120
                self.topic(cid, second, t)
        return t, question

    def _handoff(self, cid: int, customer: int, t: float, topic: str, question: str,
                 waiting: bool) -> Tuple[float, Optional[str]]:
        """The handoff: a ticket out of hours, else waiting, with an agent, or resolved."""
        rand, rng, span, ts = self.rand, self.rng, self.span, self.ts
        t += 10 + rand() * 60
        requested = t
        if topic != HUMAN_TOPIC:
            self.topic(cid, HUMAN_TOPIC, t)
        handoff_id = self.take("handoffs")
        reason = live_reason(topic, self.fallbacks)
        agent = claimed = first_reply = resolved_at = None
        if not within_business_hours(self.start + timedelta(seconds=requested), self.hours):
            # Nobody answers: the customer leaves a message for the team.
            status, reason = TICKET, REASON_LEFT_MESSAGE
            contact = f"{DEMO_PREFIX}{customer}@example.com"
            self.add("handoff_tickets",
                     (self.take("handoff_tickets"), handoff_id, contact, question, ts(requested)))
        else:
            evening = (self.start + WIB + timedelta(seconds=requested)).hour >= 18
            wait = math.exp(rng.gauss(math.log(150 if not evening else 420), 0.8))
            claimed = requested + min(wait, 4 * 3600)
            # Not claimed by ``end``: still in the queue.
            status = REQUESTED if waiting or claimed >= span else CLAIMED
        if status == REQUESTED:
            claimed = None
        elif status == CLAIMED and claimed is not None:
            agent = AGENTS[int(rand() * 4) if rand() < 0.8 else 0]
            t = claimed
            if claimed + 105 < span:
                first_reply = t = claimed + 15 + rand() * 90
                self.reply(cid, t, AGENT)
                self.agent_messages += 1
            resolved_at = claimed + math.exp(rng.gauss(math.log(1200), 0.7))
            # Only the last couple of hours' handoffs can still be with their agent.
            if resolved_at < span and (span - requested > WITH_AGENT_S or rand() < 0.88):
                status = RESOLVED
                t = max(t, resolved_at)
            else:
                resolved_at = None
                t += 60 + rand() * 600
        self.add(
            "handoffs",
            (handoff_id, cid, reason, ts(requested),
             ts(claimed) if claimed is not None else None,
             ts(first_reply) if first_reply is not None else None,
             ts(resolved_at) if resolved_at is not None else None,
             agent, status),
        )
        return t, agent

    def _survey(self, cid: int, customer: int, last: float, outcome: Optional[str], topic: str,
                agent: Optional[str]) -> Tuple[Optional[bool], float]:
        """The follow-up survey: answered (resolved, CSAT, maybe CES, NPS, a comment) or not."""
        rand, rng, ts = self.rand, self.rng, self.ts
        resolved_confirmed = None
        asked = last
        reaction = rand()
        if reaction < 0.6:
            yes = outcome == RESOLVED and rand() < 0.9 or outcome != RESOLVED and rand() < 0.1
            resolved_confirmed = yes
            answer = asked + 10 + rand() * 50
            self.answer(cid, customer, SURVEY_RESOLVED, 1 if yes else 0, None, ANSWERED,
                        ts(asked), ts(answer), agent)
            mean = 4.7 - self.penalty[topic] - (0 if yes else 1.2) - (0.3 if self.fallbacks else 0)
            csat = max(1, min(5, round(rng.gauss(mean, 0.9))))
            asked, answer = answer, answer + 5 + rand() * 30
            self.answer(cid, customer, CSAT, csat, None, ANSWERED, ts(asked), ts(answer), agent)
            if rand() < 0.6:
                ces = max(1, min(7, round(rng.gauss(csat * 1.2 + 0.5, 1.0))))
                asked, answer = answer, answer + 5 + rand() * 30
                self.answer(cid, customer, CES, ces, None, ANSWERED, ts(asked), ts(answer), agent)
            if rand() < 0.2:
                nps = max(0, min(10, round(rng.gauss(csat * 1.6 + 1.5, 1.3))))
                asked, answer = answer, answer + 5 + rand() * 30
                self.answer(cid, customer, NPS, nps, None, ANSWERED, ts(asked), ts(answer), agent)
            if rand() < (0.6 if csat <= 2 else 0.15):
                comment = rng.choice(self.lines["bad" if csat <= 2 else "good"])
                asked, answer = answer, answer + 20 + rand() * 90
                self.answer(cid, customer, SURVEY_COMMENT, None, comment, ANSWERED,
                            ts(asked), ts(answer), agent)
        else:
            status = DECLINED if reaction < 0.75 else UNANSWERED
            self.answer(cid, customer, SURVEY_RESOLVED, None, None, status, ts(asked),
                        ts(asked + 30) if status == DECLINED else None, agent)
            if status == DECLINED and rand() < 0.5:
                self.answer(cid, customer, CSAT, None, None, DECLINED,
                            ts(asked + 31), ts(asked + 40), agent)
        return resolved_confirmed, max(last, asked)
