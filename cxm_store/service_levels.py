"""Service-level targets of the CX team (``cxm_store.settings.StoreSettings``).

Every target is business time (``cxm_store.business_time``): hours when
nobody works do not count against the team.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from cxm_store import settings


@dataclass(frozen=True)
class ServiceLevels:
    """Targets and the business hours they are measured in.

    Attributes:
        follow_up: An unhappy customer's follow-up is due this much business
            time after it opens (``CXM_FOLLOW_UP_SLA_HOURS``, default 8: the
            next working day at the latest).
        handoff_wait: A customer asking for a person is taken by an agent
            within this (``CXM_SLA_HANDOFF_WAIT_MINUTES``, default 5).
        first_response: ...and hears the agent's first reply within this
            after asking (``CXM_SLA_FIRST_RESPONSE_MINUTES``, default 10).
        resolution: ...and the handoff is resolved within this after asking
            (``CXM_SLA_RESOLUTION_HOURS``, default 4).
        strongly_negative: A customer message whose sentiment score
            (P(positive) - P(negative)) is at or below this opens a follow-up
            (``CXM_FOLLOW_UP_SENTIMENT``, default -0.8).
        business_hours: ``CXM_BUSINESS_HOURS`` (default ``08:00-21:00``).
        timezone: ``CXM_TIMEZONE`` (default ``Asia/Jakarta``).
    """

    follow_up: timedelta = field(
        default_factory=lambda: timedelta(hours=settings.load().follow_up_sla_hours)
    )
    handoff_wait: timedelta = field(
        default_factory=lambda: timedelta(minutes=settings.load().sla_handoff_wait_minutes)
    )
    first_response: timedelta = field(
        default_factory=lambda: timedelta(minutes=settings.load().sla_first_response_minutes)
    )
    resolution: timedelta = field(
        default_factory=lambda: timedelta(hours=settings.load().sla_resolution_hours)
    )
    strongly_negative: float = field(default_factory=lambda: settings.load().follow_up_sentiment)
    business_hours: str = field(default_factory=lambda: settings.load().business_hours)
    timezone: str = field(default_factory=settings.shop_timezone)
