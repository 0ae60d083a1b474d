"""One customer across channels: channel identities linked only on proof.

A web session, a Telegram chat and a REST sender start as three customers.
They become one only when the person proves both are theirs:

* **order proof**: on each channel they name the same order together with the
  phone number or e-mail address on that order;
* **one-time code**: a code shown on a channel they already use (as a bot
  message there, so only the holder of that channel reads it) is typed on the
  other channel within ``CODE_LIFETIME``.

Nothing else links: not a similar name, not the same order number without its
contact, not a contact alone. A merge moves every touchpoint (identities,
conversations, survey answers, proofs, follow-ups) to the surviving customer,
keeps the absorbed customer's row pointing to it, records the proof in
``customer_links``, and recomputes the repeat-contact flag (FCR) over the
joined history. Metrics that count customers then count the person.
"""
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, Iterable, List, Optional, Tuple

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxm_store.db import session_factory, utc_naive
from cxm_store.journey_models import (
    CustomerLink,
    FollowUp,
    LinkAttempt,
    LinkCode,
    OrderProof,
)
from cxm_store.metric_counters import REPEAT_CONTACT_WINDOW
from cxm_store.models import Conversation, Customer, CustomerIdentity, Order, SurveyAnswer
from cxm_store.orders import normalise_order_id
from cxm_store.touchpoints import _customer_for

CODE_LIFETIME = timedelta(minutes=10)
# Failed codes an identity may type per window before it must wait: with
# 10^8 codes, 5 guesses an hour make a hit about one in 20 million.
MAX_FAILED_CODES = 5
FAILED_CODES_WINDOW = timedelta(hours=1)
_CODE = re.compile(r"(?<!\d)(\d{4})[\s\-]?(\d{4})(?!\d)")

# What a linking attempt came to (``LinkResult.status``).
LINKED = "linked"  # two customers became one
ALREADY_LINKED = "already_linked"  # the proof holds, and they were one already
PROVED = "proved"  # the order proof holds; no other channel has proved it yet
NOT_PROVED = "not_proved"  # unknown order, or the contact is not the order's
INVALID_CODE = "invalid_code"  # unknown, used or expired code
TOO_MANY_ATTEMPTS = "too_many_attempts"


@dataclass(frozen=True)
class LinkResult:
    """The outcome of a proof, as the dialogue tells it to the customer.

    Attributes:
        status: One of the module's status constants.
        customer_id: The customer the identity belongs to afterwards (None
            when nothing was recorded).
        channels: Every channel the customer is known on afterwards, sorted.
    """

    status: str
    customer_id: Optional[int] = None
    channels: Tuple[str, ...] = ()


def find_link_code(text: Optional[str]) -> Optional[str]:
    """The 8-digit link code in a message ("1234-5678", "1234 5678", "12345678"), or None."""
    match = _CODE.search(text or "")
    return match.group(1) + match.group(2) if match else None


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _same_contact(given: str, phone: Optional[str], email: Optional[str]) -> bool:
    given = given.strip().lower()
    if "@" in given:
        return email is not None and given == email.strip().lower()
    digits = re.sub(r"\D", "", given)
    if digits.startswith("62"):  # +62 812... is 0812...
        digits = "0" + digits[2:]
    return phone is not None and len(digits) >= 8 and digits == re.sub(r"\D", "", phone)


def _retrying(work):
    """Run ``work`` once more if the capture thread created the same identity meanwhile."""
    try:
        return work()
    except IntegrityError:
        return work()


def prove_order(
    channel: str, external_id: str, order_number: str, contact: str, at: datetime,
    engine: Engine = None,
) -> LinkResult:
    """Record that this identity named ``order_number`` with the order's contact.

    If another customer proved the same order before, the two are merged (the
    earlier prover survives). A wrong or missing contact records nothing.
    """
    order_id = normalise_order_id(order_number)
    at = utc_naive(at)

    def work() -> LinkResult:
        with session_factory(engine)() as session, session.begin():
            order = session.get(Order, order_id) if order_id else None
            if order is None or not _same_contact(
                contact or "", order.contact_phone, order.contact_email
            ):
                return LinkResult(NOT_PROVED)
            customer_id = _customer_for(session, channel, external_id, at)
            provers = session.scalars(
                select(OrderProof.customer_id)
                .where(OrderProof.order_id == order_id, OrderProof.customer_id != customer_id)
                .order_by(OrderProof.proved_at, OrderProof.id)
            ).all()
            known = session.scalar(
                select(OrderProof.id).where(
                    OrderProof.order_id == order_id, OrderProof.channel == channel,
                    OrderProof.external_id == external_id,
                )
            )
            if known is None:
                session.add(OrderProof(order_id=order_id, customer_id=customer_id,
                                       channel=channel, external_id=external_id, proved_at=at))
                session.flush()
            if not provers:
                already = session.scalar(
                    select(func.count()).select_from(OrderProof).where(
                        OrderProof.order_id == order_id, OrderProof.customer_id == customer_id
                    )
                ) > 1
                status = ALREADY_LINKED if already else PROVED
                return LinkResult(status, customer_id, _channels(session, customer_id))
            survivor = provers[0]
            merge_customers(session, survivor, customer_id, "order", order_id,
                            channel, external_id, at)
            return LinkResult(LINKED, survivor, _channels(session, survivor))

    return _retrying(work)


def issue_link_code(
    channel: str, external_id: str, at: datetime, engine: Engine = None
) -> str:
    """Make a one-time code for this identity's customer; return it as ``1234-5678``.

    The caller shows it on this channel only. Earlier unused codes of the
    identity stop working.
    """
    at = utc_naive(at)
    code = f"{secrets.randbelow(10 ** 8):08d}"

    def work() -> None:
        with session_factory(engine)() as session, session.begin():
            customer_id = _customer_for(session, channel, external_id, at)
            session.execute(
                update(LinkCode)
                .where(LinkCode.channel == channel, LinkCode.external_id == external_id,
                       LinkCode.used_at.is_(None))
                .values(expires_at=at)
            )
            session.add(LinkCode(customer_id=customer_id, channel=channel, external_id=external_id,
                                 code_sha256=_digest(code), created_at=at,
                                 expires_at=at + CODE_LIFETIME))

    _retrying(work)
    return f"{code[:4]}-{code[4:]}"


def redeem_link_code(
    channel: str, external_id: str, typed: str, at: datetime, engine: Engine = None
) -> LinkResult:
    """Link this identity to the customer a code was shown to, if the code holds.

    The code's customer survives; the typing identity's customer is merged
    into it. After ``MAX_FAILED_CODES`` wrong codes within
    ``FAILED_CODES_WINDOW`` the identity is refused without a look-up.
    """
    at = utc_naive(at)
    code = find_link_code(typed)

    def work() -> LinkResult:
        with session_factory(engine)() as session, session.begin():
            failures = session.scalar(
                select(func.count()).select_from(LinkAttempt).where(
                    LinkAttempt.channel == channel, LinkAttempt.external_id == external_id,
                    LinkAttempt.succeeded.is_(False), LinkAttempt.at > at - FAILED_CODES_WINDOW,
                )
            )
            if failures >= MAX_FAILED_CODES:
                return LinkResult(TOO_MANY_ATTEMPTS)
            issued = None if code is None else session.scalar(
                select(LinkCode).where(
                    LinkCode.code_sha256 == _digest(code), LinkCode.used_at.is_(None),
                    LinkCode.expires_at > at,
                )
            )
            session.add(LinkAttempt(channel=channel, external_id=external_id, at=at,
                                    succeeded=issued is not None))
            if issued is None:
                return LinkResult(INVALID_CODE)
            issued.used_at = at
            customer_id = _customer_for(session, channel, external_id, at)
            survivor = _current(session, issued.customer_id)
            if survivor == customer_id:
                return LinkResult(ALREADY_LINKED, survivor, _channels(session, survivor))
            merge_customers(session, survivor, customer_id, "code", issued.channel,
                            channel, external_id, at)
            return LinkResult(LINKED, survivor, _channels(session, survivor))

    return _retrying(work)


def _current(session: Session, customer_id: int) -> int:
    """Follow ``merged_into_id`` to the customer that holds everything now."""
    seen = set()
    while customer_id not in seen:
        seen.add(customer_id)
        merged_into = session.scalar(
            select(Customer.merged_into_id).where(Customer.id == customer_id)
        )
        if merged_into is None:
            break
        customer_id = merged_into
    return customer_id


def _channels(session: Session, customer_id: int) -> Tuple[str, ...]:
    return tuple(sorted(set(session.scalars(
        select(CustomerIdentity.channel).where(CustomerIdentity.customer_id == customer_id)
    ))))


# Every table whose rows belong to a customer, moved as a whole by a merge.
_OWNED = (CustomerIdentity, Conversation, SurveyAnswer, OrderProof, LinkCode, FollowUp)


def merge_customers(
    session: Session, survivor: int, absorbed: int, proof: str, evidence: Optional[str],
    channel: str, external_id: str, at: datetime,
) -> None:
    """Move everything of ``absorbed`` to ``survivor`` and record the proof.

    Called only with a proof in hand (``prove_order``, ``redeem_link_code``).
    """
    for table in _OWNED:
        session.execute(
            update(table).where(table.customer_id == absorbed).values(customer_id=survivor)
            .execution_options(synchronize_session=False)
        )
    session.execute(
        update(Customer).where(Customer.id == absorbed).values(merged_into_id=survivor)
    )
    session.add(CustomerLink(customer_id=survivor, merged_customer_id=absorbed, proof=proof,
                             evidence=evidence, channel=channel, external_id=external_id,
                             linked_at=at))
    _recount_repeats(session, survivor)


def _recount_repeats(session: Session, customer_id: int) -> None:
    """Recompute ``repeat_within_7d`` over the customer's joined history.

    A conversation is a repeat contact if the same customer started another
    one with the same primary topic within 7 days after it; conversations of
    two channels that were two customers before now see each other.
    """
    rows = session.execute(
        select(Conversation.id, Conversation.primary_topic, Conversation.started_at,
               Conversation.repeat_within_7d)
        .where(Conversation.customer_id == customer_id)
        .order_by(Conversation.started_at, Conversation.id)
    ).all()
    repeated = set(repeated_contacts((row.id, row.primary_topic, row.started_at) for row in rows))
    for row in rows:
        if (row.id in repeated) != bool(row.repeat_within_7d):
            session.execute(
                update(Conversation).where(Conversation.id == row.id)
                .values(repeat_within_7d=row.id in repeated)
            )


def repeated_contacts(
    history: Iterable[Tuple[int, Optional[str], datetime]]
) -> List[int]:
    """Ids of conversations followed within 7 days by one with the same primary topic.

    Args:
        history: ``(id, primary_topic, started_at)`` of one customer, oldest first.
    """
    last_seen: Dict[str, datetime] = {}
    repeated: List[int] = []
    for conversation_id, topic, started in reversed(list(history)):
        if topic is None:
            continue
        later = last_seen.get(topic)
        if later is not None and later - started <= REPEAT_CONTACT_WINDOW:
            repeated.append(conversation_id)
        last_seen[topic] = started
    return repeated
