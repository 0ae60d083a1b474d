"""The demo shop's orders: canonical order numbers, look-up and seeding.

Order numbers look like ``INV-2024-00123``: prefix, year, five digits.
"""
import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from contract.vocabulary import (
    ORDER_NUMBER_ALONE,
    ORDER_NUMBER_MAX_DIGITS,
    ORDER_YEAR_DIGITS,
)
from cxm_store.db import session_factory
from cxm_store.models import Order


@dataclass(frozen=True)
class OrderView:
    """What a customer may be told about an order."""

    order_id: str
    status: str
    courier: Optional[str]
    tracking_number: Optional[str]
    ordered_on: dt.date
    eta: Optional[dt.date]
    item_count: int


def normalise_order_id(raw: str) -> Optional[str]:
    """Return the canonical form of a typed order number, or None if malformed.

    ``inv 2024 123`` becomes ``INV-2024-00123``; a two-digit year or a number
    of more than five digits cannot be an order number and gives None.
    """
    match = ORDER_NUMBER_ALONE.match(raw or "")
    if not match:
        return None
    year, number = match.groups()
    if len(year) != ORDER_YEAR_DIGITS or len(number) > ORDER_NUMBER_MAX_DIGITS:
        return None
    return f"INV-{year}-{int(number):05d}"


def find_order(order_id: str, engine: Engine = None) -> Optional[OrderView]:
    """Return the order with canonical number ``order_id``, or None if unknown."""
    with session_factory(engine)() as session:
        row = session.get(Order, order_id)
        if row is None:
            return None
        return OrderView(
            order_id=row.order_id,
            status=row.status,
            courier=row.courier,
            tracking_number=row.tracking_number,
            ordered_on=row.ordered_on,
            eta=row.eta,
            item_count=row.item_count,
        )


DEMO_ORDERS = (
    # order_id, status, courier, tracking, days ago ordered, days until eta, items
    ("INV-2024-00123", "shipped", "JNE", "JNE1234567890", 3, 2, 2),
    ("INV-2024-00124", "processing", None, None, 0, 4, 1),
    ("INV-2024-00125", "delivered", "SiCepat", "SCP0099887766", 9, -2, 3),
    ("INV-2024-00126", "cancelled", None, None, 5, None, 1),
    ("INV-2024-00127", "packed", "J&T", None, 1, 3, 1),
    ("INV-2025-00001", "shipped", "AnterAja", "ANT5556667778", 2, 1, 4),
)
# Who placed each demo order: naming the order with one of these proves a
# channel is that customer's (cxm_store.identity). Invented, not real people.
DEMO_CONTACTS = {
    "INV-2024-00123": ("081234567890", "budi@example.com"),
    "INV-2024-00124": ("081298765432", "sari@example.com"),
    "INV-2024-00125": ("085711112222", "andi@example.com"),
    "INV-2024-00126": ("087833334444", "dewi@example.com"),
    "INV-2024-00127": ("081355556666", "rina.p@example.com"),
    "INV-2025-00001": ("089977778888", "joko@example.com"),
}


def seed_demo_orders(engine: Engine = None, today: Optional[dt.date] = None) -> int:
    """Insert the demo orders if the table is empty; return how many were added."""
    today = today or dt.date.today()
    with session_factory(engine)() as session, session.begin():
        if session.scalar(select(func.count()).select_from(Order)):
            return 0
        for order_id, status, courier, tracking, ago, eta_in, items in DEMO_ORDERS:
            session.add(
                Order(
                    order_id=order_id,
                    status=status,
                    courier=courier,
                    tracking_number=tracking,
                    ordered_on=today - dt.timedelta(days=ago),
                    eta=None if eta_in is None else today + dt.timedelta(days=eta_in),
                    item_count=items,
                    contact_phone=DEMO_CONTACTS[order_id][0],
                    contact_email=DEMO_CONTACTS[order_id][1],
                )
            )
        return len(DEMO_ORDERS)
