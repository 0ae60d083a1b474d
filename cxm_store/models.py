"""Tables of the store."""
from sqlalchemy import Column, Date, Integer, String

from cxm_store.db import Base


class Order(Base):
    """An order of the demo shop, looked up by customers asking for its status."""

    __tablename__ = "orders"

    order_id = Column(String(20), primary_key=True)
    status = Column(String(20), nullable=False)
    courier = Column(String(40), nullable=True)
    tracking_number = Column(String(40), nullable=True)
    ordered_on = Column(Date, nullable=False)
    eta = Column(Date, nullable=True)
    item_count = Column(Integer, nullable=False, default=1)
