"""One customer across channels: linked only on proof, merged without losing anything.

History of every test (2024-05): a web session ``web-1`` and a Telegram chat
``tg-1`` of the same person, two customers until they prove it.
  W  web-1      05-01 09:00  faq/returns  resolved yes, NPS 8 asked 09:03
  T  tg-1       05-04 10:00  faq/returns  resolved yes
Hand-computed: FCR before any link 2/2 = 100 %; linked, W is followed by T
within 7 days with the same topic, so FCR = 1/2 = 50 %. NPS on Telegram at
05-04 10:30: due for an unknown person (nobody asked tg-1), not due once
linked (asked on the web 3 days before, within 90 days).
"""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from cx_reports.metrics import MetricFilter, first_contact_resolution_rate
from cxm_store import identity
from cxm_store.db import session_factory
from cxm_store.journey_models import CustomerLink, OrderProof
from cxm_store.models import (
    Conversation,
    ConversationTopic,
    Customer,
    CustomerIdentity,
    Message,
    SurveyAnswer,
)
from cxm_store.orders import seed_demo_orders
from cxm_store.surveys import nps_due, record_survey_answer
from cxm_store.touchpoints import close_conversation, customer_id_for, record_customer_message

NOW = datetime(2024, 5, 4, 10, 30)


@pytest.fixture
def two_channels(engine):
    seed_demo_orders(engine)
    web = record_customer_message("web", "web-1", "mau retur", datetime(2024, 5, 1, 9), "id",
                                  intent="faq/returns", engine=engine)
    record_survey_answer(web, "resolved", 1, datetime(2024, 5, 1, 9, 2),
                         datetime(2024, 5, 1, 9, 2), engine=engine)
    record_survey_answer(web, "nps", 8, datetime(2024, 5, 1, 9, 3),
                         datetime(2024, 5, 1, 9, 3), engine=engine)
    close_conversation(web, "resolved", datetime(2024, 5, 1, 9, 5), engine=engine)
    tg = record_customer_message("telegram", "tg-1", "retur lagi", datetime(2024, 5, 4, 10), "id",
                                 intent="faq/returns", engine=engine)
    record_survey_answer(tg, "resolved", 1, datetime(2024, 5, 4, 10, 2),
                         datetime(2024, 5, 4, 10, 2), engine=engine)
    close_conversation(tg, "resolved", datetime(2024, 5, 4, 10, 5), engine=engine)
    return engine


def _count(engine, model, *where) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _people(engine) -> int:
    """Customers who still hold an identity (absorbed ones hold none)."""
    with session_factory(engine)() as session:
        return session.scalar(select(func.count(func.distinct(CustomerIdentity.customer_id))))


def _touchpoints(engine) -> tuple:
    return tuple(_count(engine, model) for model in
                 (Conversation, Message, SurveyAnswer, ConversationTopic, CustomerIdentity))


def test_a_code_shown_on_telegram_and_typed_on_the_web_links_them(two_channels):
    engine = two_channels
    before = _touchpoints(engine)
    assert first_contact_resolution_rate(MetricFilter(), engine) == 100.0
    assert nps_due(("telegram", "tg-1"), NOW, engine=engine) is True

    code = identity.issue_link_code("telegram", "tg-1", NOW, engine=engine)
    result = identity.redeem_link_code("web", "web-1", f"kode saya {code}",
                                       NOW + timedelta(minutes=2), engine=engine)

    tg_customer = customer_id_for("telegram", "tg-1", engine=engine)
    assert result == identity.LinkResult(identity.LINKED, tg_customer, ("telegram", "web"))
    assert customer_id_for("web", "web-1", engine=engine) == tg_customer
    assert _people(engine) == 1
    # Every touchpoint kept, all now the one customer's.
    assert _touchpoints(engine) == before
    assert _count(engine, Conversation, Conversation.customer_id != tg_customer) == 0
    assert _count(engine, SurveyAnswer, SurveyAnswer.customer_id != tg_customer) == 0
    with session_factory(engine)() as session:
        absorbed = session.scalar(select(Customer).where(Customer.id != tg_customer))
        assert absorbed.merged_into_id == tg_customer
        link = session.scalar(select(CustomerLink))
        assert (link.proof, link.evidence, link.channel) == ("code", "telegram", "web")
    # Metrics that count customers count the person.
    assert first_contact_resolution_rate(MetricFilter(), engine) == 50.0
    assert nps_due(("telegram", "tg-1"), NOW, engine=engine) is False
    # The code is spent: typed again it links nothing.
    again = identity.redeem_link_code("rest", "api-9", code, NOW + timedelta(minutes=3),
                                      engine=engine)
    assert again.status == identity.INVALID_CODE


def test_the_same_order_with_its_contact_on_both_channels_links_them(two_channels):
    engine = two_channels
    first = identity.prove_order("web", "web-1", "INV-2024-00123", "0812-3456-7890", NOW,
                                 engine=engine)
    assert first.status == identity.PROVED and _people(engine) == 2
    second = identity.prove_order("telegram", "tg-1", "inv 2024 123", "+62 812 3456 7890",
                                  NOW + timedelta(minutes=5), engine=engine)
    web_customer = customer_id_for("web", "web-1", engine=engine)
    assert second == identity.LinkResult(identity.LINKED, web_customer, ("telegram", "web"))
    assert customer_id_for("telegram", "tg-1", engine=engine) == web_customer
    assert first_contact_resolution_rate(MetricFilter(), engine) == 50.0
    # The e-mail on the order proves it as well; nothing more to link.
    third = identity.prove_order("telegram", "tg-1", "INV-2024-00123", "Budi@Example.com",
                                 NOW + timedelta(minutes=6), engine=engine)
    assert third.status == identity.ALREADY_LINKED


@pytest.mark.parametrize("order, contact", [
    ("INV-2024-00123", "081299999999"),   # someone else's phone
    ("INV-2024-00123", "sari@example.com"),  # the contact of another order
    ("INV-2024-00123", ""),               # the order number alone
    ("INV-2024-99999", "081234567890"),   # an order that does not exist
    ("INV-2024-00124", "081234567890"),   # a contact alone, on the wrong order
])
def test_an_order_without_its_own_contact_links_nothing(two_channels, order, contact):
    engine = two_channels
    identity.prove_order("web", "web-1", "INV-2024-00123", "081234567890", NOW, engine=engine)
    result = identity.prove_order("telegram", "tg-1", order, contact, NOW, engine=engine)
    assert result.status == identity.NOT_PROVED
    assert _people(engine) == 2
    assert _count(engine, CustomerLink) == 0
    assert _count(engine, OrderProof) == 1
    assert first_contact_resolution_rate(MetricFilter(), engine) == 100.0


def test_wrong_expired_or_own_codes_link_nothing(two_channels):
    engine = two_channels
    code = identity.issue_link_code("telegram", "tg-1", NOW, engine=engine)
    wrong = "0000-0000" if code != "0000-0000" else "1111-1111"
    assert identity.redeem_link_code("web", "web-1", wrong, NOW,
                                     engine=engine).status == identity.INVALID_CODE
    assert identity.redeem_link_code("web", "web-1", "no code here", NOW,
                                     engine=engine).status == identity.INVALID_CODE
    late = NOW + identity.CODE_LIFETIME + timedelta(seconds=1)
    assert identity.redeem_link_code("web", "web-1", code, late,
                                     engine=engine).status == identity.INVALID_CODE
    fresh = identity.issue_link_code("telegram", "tg-1", late, engine=engine)
    own = identity.redeem_link_code("telegram", "tg-1", fresh, late, engine=engine)
    assert own.status == identity.ALREADY_LINKED and own.channels == ("telegram",)
    assert _people(engine) == 2 and _count(engine, CustomerLink) == 0


def test_guessing_codes_is_stopped_before_a_right_one_links(two_channels):
    engine = two_channels
    code = identity.issue_link_code("telegram", "tg-1", NOW, engine=engine)
    wrong = "0000-0000" if code != "0000-0000" else "1111-1111"
    for _ in range(identity.MAX_FAILED_CODES):
        identity.redeem_link_code("web", "web-1", wrong, NOW, engine=engine)
    blocked = identity.redeem_link_code("web", "web-1", code, NOW, engine=engine)
    assert blocked.status == identity.TOO_MANY_ATTEMPTS
    assert _people(engine) == 2
    # An hour on, the identity may try again.
    later = NOW + identity.FAILED_CODES_WINDOW + timedelta(minutes=1)
    code = identity.issue_link_code("telegram", "tg-1", later, engine=engine)
    assert identity.redeem_link_code("web", "web-1", code, later,
                                     engine=engine).status == identity.LINKED


def test_codes_are_read_as_customers_type_them():
    assert identity.find_link_code("kode 1234-5678 ya") == "12345678"
    assert identity.find_link_code("1234 5678") == "12345678"
    assert identity.find_link_code("INV-2024-00123") is None
    assert identity.find_link_code("0812345678901") is None


def test_repeat_contacts_over_a_joined_history():
    day = timedelta(days=1)
    start = datetime(2024, 5, 1)
    history = [(1, "faq/returns", start), (2, None, start + day),
               (3, "faq/returns", start + 7 * day), (4, "faq/returns", start + 15 * day),
               (5, "complaint", start + 16 * day)]
    # 1 -> 3 is exactly 7 days (a repeat); 3 -> 4 is 8 days (not).
    assert identity.repeated_contacts(history) == [1]
