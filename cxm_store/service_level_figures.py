"""Service-level breaches of handoffs, counted by agent and by topic.

For each handoff of the selected conversations (started in the period, with
the dashboard's filters) three clocks run from the customer's request, in
business time (``cxm_store.business_time``):

* ``handoff_wait``: until an agent took it (still waiting: until now);
* ``first_response``: until the agent's first reply (none yet: until now);
* ``resolution``: until it was resolved (still open: until now).

A clock over its target (``ServiceLevels``) is a breach. Tickets (left out
of hours) and abandoned queue places have no agent to blame and count for
no clock but the wait, which ends when the customer left (the conversation's
last activity). A handoff counts under its agent (``unassigned`` before
anyone took it) and its conversation's primary topic (``none`` if unknown).
"""
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Dict, Optional

from sqlalchemy import select
from sqlalchemy.engine import Engine

from cxm_store.business_time import business_seconds
from cxm_store.db import session_factory, utc_naive
from cxm_store.follow_up_figures import conversation_conditions
from cxm_store.metrics import MetricFilter
from cxm_store.models import Conversation, Handoff
from cxm_store.service_levels import ServiceLevels

CLOCKS = ("handoff_wait", "first_response", "resolution")
UNASSIGNED = "unassigned"
NO_TOPIC = "none"
_UNSERVED = ("ticket", "abandoned")


def _clock_ends(handoff, last_activity: datetime, now: datetime) -> Dict[str, Optional[datetime]]:
    if handoff.status in _UNSERVED:
        waited_until = handoff.claimed_at or last_activity
        return {"handoff_wait": waited_until, "first_response": None, "resolution": None}
    return {
        "handoff_wait": handoff.claimed_at or now,
        "first_response": handoff.first_agent_reply_at or now,
        "resolution": handoff.resolved_at or now,
    }


def breached_clocks(handoff, last_activity: datetime, now: datetime,
                    levels: ServiceLevels) -> Dict[str, bool]:
    """Which of a handoff's clocks ran over their targets."""
    targets: Dict[str, timedelta] = {
        "handoff_wait": levels.handoff_wait,
        "first_response": levels.first_response,
        "resolution": levels.resolution,
    }
    breached = {}
    for clock, end in _clock_ends(handoff, last_activity, now).items():
        target = targets[clock].total_seconds()
        # Business time never exceeds the wall clock: most clocks need no counting.
        if end is None or (end - handoff.requested_at).total_seconds() <= target:
            breached[clock] = False
            continue
        spent = business_seconds(handoff.requested_at, end, levels.business_hours,
                                 levels.timezone, stop_above=target)
        breached[clock] = spent > target
    return breached


def service_level_breaches(flt: MetricFilter, now: datetime, engine: Engine = None,
                           levels: Optional[ServiceLevels] = None) -> Dict:
    """Handoffs, and breaches per clock: in total, by agent and by topic."""
    levels = levels or ServiceLevels()
    now = utc_naive(now)
    conditions = conversation_conditions(flt)
    with session_factory(engine)() as session:
        # Plain columns, not ORM objects: a long period holds tens of thousands of handoffs.
        rows = session.execute(
            select(Handoff.status, Handoff.agent, Handoff.requested_at, Handoff.claimed_at,
                   Handoff.first_agent_reply_at, Handoff.resolved_at,
                   Conversation.primary_topic, Conversation.last_activity_at)
            .join(Conversation, Conversation.id == Handoff.conversation_id)
            .where(*conditions)
        ).all()
    total = dict.fromkeys(CLOCKS, 0)
    by_agent: Dict[str, Dict[str, int]] = defaultdict(lambda: dict.fromkeys(CLOCKS, 0))
    by_topic: Dict[str, Dict[str, int]] = defaultdict(lambda: dict.fromkeys(CLOCKS, 0))
    for row in rows:
        agent_counts = by_agent[row.agent or UNASSIGNED]
        topic_counts = by_topic[row.primary_topic or NO_TOPIC]
        for clock, breached in breached_clocks(row, row.last_activity_at, now, levels).items():
            total[clock] += breached
            agent_counts[clock] += breached
            topic_counts[clock] += breached
    return {
        "handoffs": len(rows),
        "breaches": total,
        "targets_seconds": {
            "handoff_wait": levels.handoff_wait.total_seconds(),
            "first_response": levels.first_response.total_seconds(),
            "resolution": levels.resolution.total_seconds(),
        },
        "by_agent": {name: dict(counts) for name, counts in sorted(by_agent.items())},
        "by_topic": {name: dict(counts) for name, counts in sorted(by_topic.items())},
    }
