"""Who may hear an order's details: the customer who placed it, nobody else.

Order numbers are short and sequential (``INV-2024-00123``), so anyone can
guess one. A look-up therefore gives everyone the order's general status
(processing, shipped, its estimated delivery) and only its owner the
tracking number, which on a courier's site shows the recipient's name and
address.

The owner is the channel identity that proved the order: it named the order
together with the phone number or e-mail address on it, in this message or
earlier (``cxm_store.identity.prove_order`` records the proof, so the
customer says it once). Look-ups per sender are limited
(:class:`LookupLimiter`) so that walking order numbers is slow even for
the general status.
"""
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Optional

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine

from cxm_store.db import session_factory
from cxm_store.identity import ALREADY_LINKED, LINKED, PROVED, prove_order
from cxm_store.journey_models import OrderProof
from cxm_store.models import CustomerIdentity
from cxm_store.orders import OrderView, find_order
from cxm_store.pii import find_personal_data
from cxm_store.rate_limits import Counters, counters_for

# What a look-up by a stranger shows instead of the tracking number.
WITHHELD = None


@dataclass(frozen=True)
class OrderLookup:
    """An order as this customer may see it.

    Attributes:
        order: The order; ``tracking_number`` is None unless ``is_owner``.
        is_owner: The asking identity proved the order is theirs.
        tracking_withheld: The order has a tracking number this customer may not see.
    """

    order: OrderView
    is_owner: bool
    tracking_withheld: bool = False


def _has_proved(order_id: str, channel: str, external_id: str, engine: Optional[Engine]) -> bool:
    with session_factory(engine)() as session:
        customer = select(CustomerIdentity.customer_id).where(
            CustomerIdentity.channel == channel, CustomerIdentity.external_id == external_id
        ).scalar_subquery()
        return session.scalar(select(OrderProof.id).where(
            OrderProof.order_id == order_id,
            or_(OrderProof.customer_id == customer,
                (OrderProof.channel == channel) & (OrderProof.external_id == external_id)),
        ).limit(1)) is not None


def _contacts(message: str):
    return [message[start:end] for start, end, kind in find_personal_data(message or "")
            if kind in ("phone", "email")]


def look_up_order(
    order_id: str, channel: str, external_id: str, message: str, at: datetime, engine: Engine = None
) -> Optional[OrderLookup]:
    """The order ``order_id`` as the sender may see it, or None if unknown.

    Args:
        order_id: Canonical order number.
        channel: The store's channel name of the sender (``web``, ``telegram``...).
        external_id: The sender's id on that channel.
        message: What the customer just wrote: a phone number or e-mail in it
            that is the order's contact proves the order theirs.
        at: When (naive UTC).
        engine: Store engine (default: the configured one).
    """
    order = find_order(order_id, engine=engine)
    if order is None:
        return None
    owner = _has_proved(order_id, channel, external_id, engine) or any(
        prove_order(channel, external_id, order_id, contact, at, engine=engine).status
        in (PROVED, LINKED, ALREADY_LINKED)
        for contact in _contacts(message)
    )
    if owner:
        return OrderLookup(order, True)
    return OrderLookup(replace(order, tracking_number=WITHHELD), False, order.tracking_number is not None)


class LookupLimiter:
    """At most ``limit`` order look-ups per sender in any ``window_s`` seconds.

    Counted in this process's memory, or in Redis when ``RATE_LIMIT_REDIS_URL``
    is set (:mod:`cxm_store.rate_limits`): with several action servers a
    sender then has one allowance across all of them, not one per server.
    """

    def __init__(self, limit: int = 10, window_s: float = 600.0, counters: Optional[Counters] = None) -> None:
        self.limit, self.window_s = limit, window_s
        self._counters = counters if counters is not None else counters_for("order-lookup")

    def allow(self, sender: str, now: Optional[float] = None) -> bool:
        """Count one look-up by ``sender``; False when over the limit (then not counted)."""
        return self._counters.take(sender, self.limit, self.window_s, time.time() if now is None else now)
