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
from datetime import datetime
from typing import Dict, Optional

from sqlalchemy import case, func, literal, select
from sqlalchemy.engine import Engine

from cx_reports.follow_up_figures import conversation_conditions
from cx_reports.metrics import MetricFilter
from cxm_store.business_time import business_clock
from cxm_store.db import default_engine, utc_naive
from cxm_store.models import Conversation, Handoff
from cxm_store.service_levels import ServiceLevels
from cxm_store.sqlfuncs import local_seconds

CLOCKS = ("handoff_wait", "first_response", "resolution")
UNASSIGNED = "unassigned"
NO_TOPIC = "none"
_UNSERVED = ("ticket", "abandoned")
# Clocks are read to the millisecond: a clock that ran exactly its target is no breach.
_TOLERANCE_S = 0.001


def _clock_ends(now: datetime) -> Dict[str, object]:
    """SQL: where each clock of a handoff stops (NULL: the clock does not count)."""
    h, unserved = Handoff, Handoff.status.in_(_UNSERVED)
    return {
        "handoff_wait": case((unserved, func.coalesce(h.claimed_at, Conversation.last_activity_at)),
                             else_=func.coalesce(h.claimed_at, now)),
        "first_response": case((unserved, None), else_=func.coalesce(h.first_agent_reply_at, now)),
        "resolution": case((unserved, None), else_=func.coalesce(h.resolved_at, now)),
    }


def service_level_breaches(flt: MetricFilter, now: datetime, engine: Engine = None,
                           levels: Optional[ServiceLevels] = None) -> Dict:
    """Handoffs, and breaches per clock: in total, by agent and by topic.

    Counted in one SQL query, per agent and topic: each clock's business time is
    the difference of two closed-form business clocks
    (:func:`cxm_store.business_time.business_clock`) of the shop's wall clock.
    """
    levels = levels or ServiceLevels()
    now = utc_naive(now)
    targets = {
        "handoff_wait": levels.handoff_wait.total_seconds(),
        "first_response": levels.first_response.total_seconds(),
        "resolution": levels.resolution.total_seconds(),
    }
    window = (None if flt.start is None else utc_naive(flt.start), now)
    # The wall clocks once per handoff, in a subquery; business time is arithmetic on them.
    moments = {"request_time": Handoff.requested_at, **_clock_ends(now)}
    clocks = (
        select(func.coalesce(Handoff.agent, UNASSIGNED).label("agent"),
               func.coalesce(Conversation.primary_topic, NO_TOPIC).label("topic"),
               *(local_seconds(moment, levels.timezone, *window).label(name)
                 for name, moment in moments.items()))
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(Conversation.has_handoff == True, *conversation_conditions(flt))  # noqa: E712 (index)
        # Materialized: inlined, each wall clock would be recomputed wherever it is read.
        .cte("clocks").prefix_with("MATERIALIZED")
    )
    start = business_clock(clocks.c.request_time, levels.business_hours)
    breaches = [
        func.sum(case(
            # Business time never exceeds the wall clock: most clocks need no counting.
            (clocks.c[clock] - clocks.c.request_time <= targets[clock] + _TOLERANCE_S, literal(0)),
            (business_clock(clocks.c[clock], levels.business_hours) - start
             > targets[clock] + _TOLERANCE_S, 1),
            else_=literal(0)))
        for clock in CLOCKS
    ]
    query = (select(clocks.c.agent, clocks.c.topic, func.count(), *breaches)
             .group_by(clocks.c.agent, clocks.c.topic))
    with (engine or default_engine()).connect() as connection:
        rows = connection.execute(query).all()
    handoffs = 0
    total = dict.fromkeys(CLOCKS, 0)
    by_agent: Dict[str, Dict[str, int]] = defaultdict(lambda: dict.fromkeys(CLOCKS, 0))
    by_topic: Dict[str, Dict[str, int]] = defaultdict(lambda: dict.fromkeys(CLOCKS, 0))
    for agent, topic, count, *breached in rows:
        handoffs += count
        for clock, n in zip(CLOCKS, breached):
            total[clock] += int(n or 0)
            by_agent[agent][clock] += int(n or 0)
            by_topic[topic][clock] += int(n or 0)
    return {
        "handoffs": handoffs,
        "breaches": total,
        "targets_seconds": targets,
        "by_agent": {name: dict(counts) for name, counts in sorted(by_agent.items())},
        "by_topic": {name: dict(counts) for name, counts in sorted(by_topic.items())},
    }
