"""Erasing one customer on request (UU PDP No. 27/2022, the right to erasure).

A customer is found by a channel identity (``web:web-1f3a...``,
``telegram:123456789``), an order number or a contact (phone or e-mail).
Everything that says who they are or what they wrote goes: transcript lines,
survey comments, tickets, notes, pictures, channel identities, order proofs
and links, the contact on their orders, the assistant's tracker events,
capture's spool and rejected lines, log lines that name them, and replies
waiting for them in Redis (web-chat pushes).

What stays is what the metrics count: the conversation rows with their
counters (channel, times, outcome, topics, survey scores, handoff times), so
a report over any period gives the same figures before and after. The rows
are then anonymous: no identity leads to them and no text is left in them.
The erasure is written to the audit log by customer number and counts only.
"""
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import Connection, Engine

from cxm_store import audit, outside_copies
from cxm_store.console_models import CustomerImage, HandoffNote
from cxm_store.db import default_engine
from cxm_store.journey_models import CustomerLink, FollowUp, FollowUpNote, LinkAttempt, LinkCode, OrderProof
from cxm_store.models import (
    Conversation,
    Customer,
    CustomerIdentity,
    Handoff,
    HandoffTicket,
    Message,
    Order,
    SurveyAnswer,
)
from cxm_store.orders import normalise_order_id
from cxm_store.privacy_settings import PrivacySettings

# What an erased text reads like (a transcript line, a comment, a ticket).
ERASED = "[erased]"


@dataclass(frozen=True)
class ErasureRequest:
    """Who is to be erased: any of the three ways of naming a customer.

    Attributes:
        channel_identity: ``channel:external_id`` as the store knows it (``web:web-1f3a``).
        order: An order number in any accepted spelling (``INV-2024-00123``).
        contact: A phone number or an e-mail address.
    """

    channel_identity: Optional[str] = None
    order: Optional[str] = None
    contact: Optional[str] = None


@dataclass
class ErasureResult:
    """What was found and removed (counts only; the customer numbers for the audit log)."""

    customer_ids: List[int] = field(default_factory=list)
    counts: Dict[str, int] = field(default_factory=dict)


def _phone_digits(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return "0" + digits[2:] if digits.startswith("62") else digits


def _same_contact(stored: Optional[str], given: str) -> bool:
    if not stored:
        return False
    if "@" in given:
        return stored.strip().lower() == given.strip().lower()
    digits = _phone_digits(given)
    return len(digits) >= 8 and _phone_digits(stored) == digits


def _find_customers(connection: Connection, request: ErasureRequest, contacts: Set[str],
                    orders: Set[str]) -> Set[int]:
    found: Set[int] = set()
    if request.channel_identity:
        channel, _, external_id = request.channel_identity.partition(":")
        if not external_id:
            raise ValueError("a channel identity is written channel:id, e.g. telegram:123456789")
        found |= set(connection.scalars(select(CustomerIdentity.customer_id).where(
            CustomerIdentity.channel == channel, CustomerIdentity.external_id == external_id)))
    if request.order:
        order_id = normalise_order_id(request.order)
        if order_id is None:
            raise ValueError(f"not an order number: {request.order!r}")
        orders.add(order_id)
        order = connection.execute(select(Order).where(Order.order_id == order_id)).first()
        if order is not None:
            contacts.update(c for c in (order.contact_phone, order.contact_email) if c)
    if request.contact:
        contacts.add(request.contact.strip())
    # Orders placed with the contact, and who proved them.
    for order in connection.execute(select(Order.order_id, Order.contact_phone, Order.contact_email)):
        if any(_same_contact(order.contact_phone, c) or _same_contact(order.contact_email, c) for c in contacts):
            orders.add(order.order_id)
    if orders:
        found |= set(connection.scalars(select(OrderProof.customer_id).where(OrderProof.order_id.in_(orders))))
    # Tickets left with the contact.
    tickets = connection.execute(
        select(HandoffTicket.contact, Conversation.customer_id)
        .join(Handoff, Handoff.id == HandoffTicket.handoff_id)
        .join(Conversation, Conversation.id == Handoff.conversation_id)
    )
    found |= {row.customer_id for row in tickets if any(_same_contact(row.contact, c) for c in contacts)}
    # Customers merged into one of these, or these merged into another.
    while True:
        linked = set(connection.scalars(select(Customer.id).where(or_(
            Customer.merged_into_id.in_(found),
            Customer.id.in_(select(Customer.merged_into_id).where(Customer.id.in_(found))),
        )))) - found
        if not linked:
            break
        found |= linked
    # What they proved or left is theirs too: the orders and every contact.
    orders |= set(connection.scalars(select(OrderProof.order_id).where(OrderProof.customer_id.in_(found))))
    if orders:
        for order in connection.execute(select(Order.contact_phone, Order.contact_email).where(
                Order.order_id.in_(orders))):
            contacts.update(c for c in order if c)
    contacts.update(connection.scalars(
        select(HandoffTicket.contact).join(Handoff, Handoff.id == HandoffTicket.handoff_id)
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(Conversation.customer_id.in_(found))))
    return found


def _erase_rows(connection: Connection, customers: Set[int], contacts: Set[str],
                orders: Set[str]) -> Dict[str, int]:
    conversations = select(Conversation.id).where(Conversation.customer_id.in_(customers))
    handoffs = select(Handoff.id).where(Handoff.conversation_id.in_(conversations))
    follow_ups = select(FollowUp.id).where(FollowUp.customer_id.in_(customers))
    identities = connection.execute(
        select(CustomerIdentity.channel, CustomerIdentity.external_id)
        .where(CustomerIdentity.customer_id.in_(customers))).all()
    counts = {
        "messages": connection.execute(update(Message).where(
            Message.conversation_id.in_(conversations)).values(text=ERASED)).rowcount,
        "survey_comments": connection.execute(update(SurveyAnswer).where(
            SurveyAnswer.customer_id.in_(customers), SurveyAnswer.comment.isnot(None)
        ).values(comment=ERASED)).rowcount,
        "tickets": connection.execute(update(HandoffTicket).where(
            HandoffTicket.handoff_id.in_(handoffs)).values(contact=ERASED, message=ERASED)).rowcount,
        "notes": connection.execute(update(HandoffNote).where(
            HandoffNote.conversation_id.in_(conversations)).values(text=ERASED)).rowcount
        + connection.execute(update(FollowUpNote).where(
            FollowUpNote.follow_up_id.in_(follow_ups)).values(text=ERASED)).rowcount,
    }
    images = connection.execute(select(CustomerImage.path).where(CustomerImage.customer_id.in_(customers))).all()
    for (path,) in images:
        if path and os.path.exists(path):
            os.unlink(path)
    counts["pictures"] = connection.execute(
        delete(CustomerImage).where(CustomerImage.customer_id.in_(customers))).rowcount
    for channel, external_id in identities:
        connection.execute(delete(LinkAttempt).where(
            LinkAttempt.channel == channel, LinkAttempt.external_id == external_id))
    connection.execute(delete(LinkCode).where(LinkCode.customer_id.in_(customers)))
    connection.execute(delete(OrderProof).where(OrderProof.customer_id.in_(customers)))
    connection.execute(delete(CustomerLink).where(or_(
        CustomerLink.customer_id.in_(customers), CustomerLink.merged_customer_id.in_(customers))))
    counts["identities"] = connection.execute(
        delete(CustomerIdentity).where(CustomerIdentity.customer_id.in_(customers))).rowcount
    counts["order_contacts"] = connection.execute(update(Order).where(Order.order_id.in_(orders)).values(
        contact_phone=None, contact_email=None)).rowcount if orders else 0
    return counts


def erase_customer(
    request: ErasureRequest,
    actor: str = audit.COMMAND_LINE,
    engine: Engine = None,
    privacy: Optional[PrivacySettings] = None,
) -> ErasureResult:
    """Erase the customer named by ``request`` everywhere; record it in the audit log.

    Args:
        request: How the customer is named (at least one field).
        actor: Who asked (console username or ``audit.COMMAND_LINE``).
        engine: The CX store (default: the configured one).
        privacy: Where the tracker store, spool and logs are (default: environment).

    Raises:
        ValueError: Nothing names a customer, or the order number is malformed.
    """
    if not (request.channel_identity or request.order or request.contact):
        raise ValueError("name the customer: --channel-identity, --order or --contact")
    privacy = privacy or PrivacySettings()
    engine = engine or default_engine()
    contacts: Set[str] = set()
    orders: Set[str] = set()
    result = ErasureResult()
    with engine.begin() as connection:
        customers = _find_customers(connection, request, contacts, orders)
        sender_ids = sorted(set(connection.scalars(select(CustomerIdentity.external_id).where(
            CustomerIdentity.customer_id.in_(customers)))))
        if request.channel_identity:
            sender_ids.append(request.channel_identity.partition(":")[2])
        result.counts = _erase_rows(connection, customers, contacts, orders)
        # What identifies them, in every spelling a file or an event may hold:
        # as typed, and a phone's digits. Not their order numbers: others may
        # have written about the same order (a relative, a courier), and
        # those events and spool lines are the others' touchpoints.
        needles = sorted(set(sender_ids) | contacts | {_phone_digits(c) for c in contacts if "@" not in c})
        result.counts["tracker_events"] = outside_copies.delete_tracker_events(
            privacy.tracker_store_url, sender_ids, needles)
        result.counts["spool_lines"] = outside_copies.scrub_lines(
            privacy.spool_dirs, outside_copies.SPOOL_FILES, needles)
        result.counts["log_lines"] = outside_copies.scrub_lines(
            privacy.log_dirs, outside_copies.LOG_FILES, needles)
        result.counts["redis_keys"] = outside_copies.delete_redis_keys(
            privacy.webchat_push_url.strip(), sender_ids, privacy.webchat_push_password)
        result.customer_ids = sorted(customers)
        audit.record(actor, "erase", subject="customers " + ",".join(map(str, result.customer_ids)),
                     detail=result.counts, connection=connection)
    return result
