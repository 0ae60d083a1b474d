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
from dataclasses import replace
from datetime import datetime
from typing import Dict, List, Optional

from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, Engine

from cx_reports import rollup_figures
from cx_reports.follow_up_figures import conversation_conditions
from cx_reports.metrics import MetricFilter
from cxm_store import service_level_rollups, shoptime
from cxm_store.db import default_engine, utc_naive
from cxm_store.models import HANDOFF_RUNNING, Conversation, Handoff
from cxm_store.service_level_rollups import CLOCKS, NO_TOPIC, UNASSIGNED
from cxm_store.service_levels import ServiceLevels
from cxm_store.sqlfuncs import local_seconds

_days = service_level_rollups.service_level_days


def _from_rows(connection: Connection, flt: MetricFilter, now: datetime, levels: ServiceLevels,
               only_running: bool = False) -> List:
    """(agent, topic, handoffs, breaches per clock) of the handoffs of ``flt``'s conversations
    (``only_running``: those with a clock still running), counted in one SQL query: each
    clock's business time is the difference of two closed-form business clocks
    (:func:`cxm_store.business_time.business_clock`) of the shop's wall clock.
    """
    targets = service_level_rollups.targets(levels)
    window = (None if flt.start is None else utc_naive(flt.start), now)
    # The wall clocks once per handoff, in a subquery; business time is arithmetic on them.
    moments = {"request_time": Handoff.requested_at,
               **service_level_rollups.clock_ends(Handoff.__table__, Conversation.__table__, now)}
    clocks = (
        select(func.coalesce(Handoff.agent, UNASSIGNED).label("agent"),
               func.coalesce(Conversation.primary_topic, NO_TOPIC).label("topic"),
               *(local_seconds(moment, levels.timezone, *window).label(name)
                 for name, moment in moments.items()))
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(Conversation.has_handoff == True, *conversation_conditions(flt),  # noqa: E712 (index)
               *([text(HANDOFF_RUNNING)] if only_running else []))
        # Materialized: inlined, each wall clock would be recomputed wherever it is read.
        .cte("clocks").prefix_with("MATERIALIZED")
    )
    breaches = [func.sum(service_level_rollups.breached(
        clocks.c.request_time, clocks.c[clock], targets[clock], levels.business_hours))
        for clock in CLOCKS]
    return connection.execute(select(clocks.c.agent, clocks.c.topic, func.count(), *breaches)
                              .group_by(clocks.c.agent, clocks.c.topic)).all()


def _counted(connection: Connection, flt: MetricFilter, now: datetime,
             levels: ServiceLevels) -> List:
    """The rows of :func:`_from_rows` for ``flt``: whole local days from the rollup (settled
    handoffs) and the handoffs still running on them, partial days from the handoffs.
    """
    usable = (rollup_figures.usable(connection, flt) and service_level_rollups.rollup_levels(
        connection) == service_level_rollups.levels_key(levels))
    if not usable:
        return _from_rows(connection, flt, now, levels)
    days, edges = rollup_figures.window_parts(flt)
    rows = []
    if days is not None:
        first, after = days
        _, conditions = rollup_figures.rollup_selection(_days, flt, None, first, after)
        rows += connection.execute(
            select(_days.c.handled_by, _days.c.primary_topic,
                   *(func.sum(_days.c[m]) for m in service_level_rollups.MEASURES))
            .where(*conditions).group_by(_days.c.handled_by, _days.c.primary_topic)).all()
        whole = replace(flt, start=None if first is None else shoptime.local_midnight_utc(
            first, flt.zone), end=None if after is None else shoptime.local_midnight_utc(
            after, flt.zone))
        rows += _from_rows(connection, whole, now, levels, only_running=True)
    for edge in edges:
        rows += _from_rows(connection, edge, now, levels)
    return rows


def service_level_breaches(flt: MetricFilter, now: datetime, engine: Engine = None,
                           levels: Optional[ServiceLevels] = None) -> Dict:
    """Handoffs, and breaches per clock: in total, by agent and by topic.

    Whole local days come from ``service_level_days`` (settled handoffs:
    cxm_store.service_level_rollups) when it was counted for ``levels`` and the
    filter's zone, plus the handoffs still running; partial days and every other
    case are counted from the handoffs.
    """
    levels = levels or ServiceLevels()
    now = utc_naive(now)
    with (engine or default_engine()).connect() as connection:
        rows = _counted(connection, flt, now, levels)
    handoffs = 0
    total = dict.fromkeys(CLOCKS, 0)
    by_agent: Dict[str, Dict[str, int]] = defaultdict(lambda: dict.fromkeys(CLOCKS, 0))
    by_topic: Dict[str, Dict[str, int]] = defaultdict(lambda: dict.fromkeys(CLOCKS, 0))
    for agent, topic, count, *breached in rows:
        if not count:  # a rollup row whose handoffs all moved away
            continue
        handoffs += count
        for clock, n in zip(CLOCKS, breached):
            total[clock] += int(n or 0)
            by_agent[agent][clock] += int(n or 0)
            by_topic[topic][clock] += int(n or 0)
    return {
        "handoffs": handoffs,
        "breaches": total,
        "targets_seconds": service_level_rollups.targets(levels),
        "by_agent": {name: dict(counts) for name, counts in sorted(by_agent.items())},
        "by_topic": {name: dict(counts) for name, counts in sorted(by_topic.items())},
    }
