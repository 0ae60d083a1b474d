"""SQL expressions that differ between SQLite and PostgreSQL, behind one name.

Metrics are written once in SQLAlchemy Core; only date arithmetic and local
days (the shop's time zone) need a dialect-specific rendering, kept here.
"""
from datetime import datetime
from typing import Callable, Dict, List, Mapping, Optional, Sequence

from sqlalchemy import Float, Integer, String
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, ColumnElement, FunctionElement

from cxm_store import shoptime


class seconds_between(FunctionElement):  # noqa: N801  (reads like a SQL function)
    """``later - earlier`` in seconds, as a float (NULL if either is NULL)."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw) -> str:
    later, earlier = list(element.clauses)
    # julianday keeps sub-second precision; rounding hides its float noise.
    return "round((julianday(%s) - julianday(%s)) * 86400.0, 3)" % (
        compiler.process(later, **kw),
        compiler.process(earlier, **kw),
    )


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element, compiler, **kw) -> str:
    later, earlier = list(element.clauses)
    return "CAST(EXTRACT(EPOCH FROM (%s - %s)) AS DOUBLE PRECISION)" % (
        compiler.process(later, **kw),
        compiler.process(earlier, **kw),
    )


class period_start(FunctionElement):  # noqa: N801
    """The shop's local day or ISO week (Monday) holding a naive UTC timestamp, as a
    grouping key: write it with :class:`period_label` (``YYYY-MM-DD``, its first day).

    The key is what is cheapest to group a million rows by: on SQLite the
    Julian day number of the day (or of its week's Monday), on PostgreSQL a
    ``date``. ``start`` and ``end`` (naive UTC, optional) bound the timestamps
    the query selects: SQLite has no zone database, so the zone's UTC offsets
    are looked up in Python for that window only (one offset for Asia/Jakarta).
    """

    type = Integer()  # a date on PostgreSQL; only ever read through period_label
    name = "period_start"
    # The grain and zone live outside the clause list, so the statement cache
    # could not tell a daily from a weekly series: keep this element out of it.
    inherit_cache = False

    def __init__(
        self,
        moment: ColumnElement,
        grain: str,
        zone: str,
        start: Optional[datetime] = None,
        end: Optional[datetime] = None,
    ) -> None:
        if grain not in ("day", "week"):
            raise ValueError(f"grain must be 'day' or 'week', not {grain!r}")
        shoptime.zone_info(zone)  # refuses unknown names before they reach SQL
        self.grain, self.zone, self.window = grain, zone, (start, end)
        super().__init__(moment)


def _sqlite_offset_minutes(moment: str, zone: str, window) -> str:
    """SQLite: the zone's UTC offset in minutes at ``moment`` (SQL text), for timestamps
    in ``window`` (start, end: naive UTC or None).
    """
    spans = shoptime.offset_spans(zone, *window)
    offset = "%d" % spans[-1][1]
    if len(spans) > 1:
        # Summer time: one branch per offset change inside the window. Stored
        # timestamps are ISO text, so they compare as strings.
        branches = " ".join(
            "WHEN %s < '%s' THEN %d" % (moment, change.isoformat(sep=" "), before)
            for (_, before), (change, _) in zip(spans, spans[1:])
        )
        offset = "CASE %s ELSE %s END" % (branches, offset)
    return offset


@compiles(period_start, "sqlite")
def _period_start_sqlite(element, compiler, **kw) -> str:
    moment = compiler.process(list(element.clauses)[0], **kw)
    offset = _sqlite_offset_minutes(moment, element.zone, element.window)
    # A Julian day starts at noon: + 0.5 and truncation give the local date's
    # day number. Day 0 was a Monday, so whole weeks start on Mondays.
    day = "CAST(julianday(%s) + (%s) / 1440.0 + 0.5 AS INTEGER)" % (moment, offset)
    return day if element.grain == "day" else "(%s / 7 * 7)" % day


@compiles(period_start, "postgresql")
def _period_start_postgresql(element, compiler, **kw) -> str:
    moment = compiler.process(list(element.clauses)[0], **kw)
    # Columns are naive UTC: mark them UTC, then read the shop's wall clock.
    # The zone name was checked against the IANA database in __init__.
    local = "(%s AT TIME ZONE 'UTC') AT TIME ZONE '%s'" % (moment, element.zone)
    if element.grain == "day":
        return "CAST(%s AS DATE)" % local
    return "CAST(date_trunc('week', %s) AS DATE)" % local


class local_seconds(FunctionElement):  # noqa: N801
    """The shop's wall clock at a naive UTC timestamp, as seconds since 1970-01-01 00:00
    local time (a float; NULL for NULL). ``start`` and ``end`` bound the timestamps as
    for :class:`period_start`.
    """

    type = Float()
    name = "local_seconds"
    inherit_cache = False  # the zone lives outside the clause list

    def __init__(self, moment: ColumnElement, zone: str, start: Optional[datetime] = None,
                 end: Optional[datetime] = None) -> None:
        shoptime.zone_info(zone)  # refuses unknown names before they reach SQL
        self.zone, self.window = zone, (start, end)
        super().__init__(moment)


@compiles(local_seconds, "sqlite")
def _local_seconds_sqlite(element, compiler, **kw) -> str:
    moment = compiler.process(list(element.clauses)[0], **kw)
    offset = _sqlite_offset_minutes(moment, element.zone, element.window)
    # Julian day 2440587.5 is 1970-01-01 00:00; rounding to the millisecond hides float noise.
    return "round((julianday(%s) - 2440587.5) * 86400.0 + (%s) * 60.0, 3)" % (moment, offset)


@compiles(local_seconds, "postgresql")
def _local_seconds_postgresql(element, compiler, **kw) -> str:
    moment = compiler.process(list(element.clauses)[0], **kw)
    return "EXTRACT(EPOCH FROM (%s AT TIME ZONE 'UTC') AT TIME ZONE '%s')" % (moment, element.zone)


def _portable_function(name: str, type_, doc: str, renderings: Dict[str, str]):
    """A SQL function ``name`` written per dialect from ``renderings`` (templates over its
    arguments ``{0}``, ``{1}``...).
    """
    element = type(name, (FunctionElement,), {"type": type_, "name": name, "inherit_cache": True,
                                               "__doc__": doc})
    for dialect, template in renderings.items():
        def render(element, compiler, template=template, **kw) -> str:
            return template.format(*(compiler.process(c, **kw) for c in element.clauses))

        compiles(element, dialect)(render)
    return element


clamped = _portable_function(
    "clamped", Float(), "``value`` held within ``[low, high]`` (NULL for NULL).",
    {"sqlite": "min(max({0}, {1}), {2})", "postgresql": "LEAST(GREATEST({0}, {1}), {2})"})
whole_part = _portable_function(
    "whole_part", Integer(), "The integer part of a non-negative number (its floor).",
    {"sqlite": "CAST({0} AS INTEGER)", "postgresql": "FLOOR({0})"})


class period_label(FunctionElement):  # noqa: N801
    """A :class:`period_start` key written as its first day, ``YYYY-MM-DD``."""

    type = String()
    name = "period_label"
    inherit_cache = True


@compiles(period_label, "sqlite")
def _period_label_sqlite(element, compiler, **kw) -> str:
    return "date(%s)" % compiler.process(list(element.clauses)[0], **kw)


@compiles(period_label, "postgresql")
def _period_label_postgresql(element, compiler, **kw) -> str:
    return "to_char(%s, 'YYYY-MM-DD')" % compiler.process(list(element.clauses)[0], **kw)


def local_day_sql(moment: str, zone: str, dialect: str, span: str = "day") -> str:
    """SQL text for the shop-local date of the naive UTC timestamp ``moment`` (SQL text), or
    with ``span`` "month" the first day of its local month, for the rollups' triggers (SQLite
    has no zone database: a fixed UTC offset only).
    """
    shoptime.zone_info(zone)  # refuses unknown names before they reach SQL
    if span not in ("day", "month"):
        raise ValueError(f"span must be 'day' or 'month', not {span!r}")
    if dialect == "postgresql":
        local = f"({moment} AT TIME ZONE 'UTC') AT TIME ZONE '{zone}'"
        return f"CAST({local} AS DATE)" if span == "day" else (
            f"CAST(date_trunc('month', {local}) AS DATE)")
    spans = shoptime.offset_spans(zone)
    if len(spans) > 1:
        raise ValueError(f"{zone} has summer time: SQLite rollups need a fixed UTC offset")
    month = ", 'start of month'" if span == "month" else ""
    return f"date({moment}, '{spans[0][1]:+d} minutes'{month})"


def literal_sql(element: ClauseElement, connection: Connection) -> str:
    """``element`` as SQL text for ``connection``'s dialect, values inlined (trigger bodies
    take no parameters).
    """
    return str(
        element.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    )


def create_row_trigger(connection: Connection, name: str, table: str, timing: str,
                       statements: Sequence[str], changed: Optional[Sequence[str]] = None) -> None:
    """A FOR EACH ROW trigger ``name`` on ``table`` running ``statements`` (which read the row
    as NEW / OLD) at ``timing`` (``AFTER INSERT``, ``BEFORE DELETE``...), only when one of the
    ``changed`` columns changed if given. On PostgreSQL a plpgsql function of the same name
    holds the statements.
    """
    body = ";\n".join(statements) + ";"
    if connection.dialect.name == "postgresql":
        back = "OLD" if "DELETE" in timing else "NEW"  # a BEFORE trigger must return the row
        when = "" if not changed else "WHEN (" + " OR ".join(
            f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in changed) + ") "
        connection.exec_driver_sql(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body}\nRETURN {back};\nEND $$"
        )
        connection.exec_driver_sql(
            f"CREATE TRIGGER {name} {timing} ON {table} FOR EACH ROW {when}"
            f"EXECUTE FUNCTION {name}()"
        )
        return
    when = "" if not changed else "WHEN " + " OR ".join(
        f"old.{c} IS NOT new.{c}" for c in changed) + " "
    connection.exec_driver_sql(
        f"CREATE TRIGGER {name} {timing} ON {table} FOR EACH ROW {when}BEGIN\n{body}\nEND"
    )


def create_row_triggers(connection: Connection, triggers: Mapping[str, tuple],
                        statements: Callable[[str, str, str], List[str]]) -> None:
    """(Re-)create a set of row triggers: ``triggers`` maps each name to (table, timing,
    columns whose change fires it or None, steps), and each step (sign, what changed, row)
    becomes the ``statements`` it returns.
    """
    drop_row_triggers(connection, triggers)
    for name, (on, timing, changed, steps) in triggers.items():
        body = [statement for step in steps for statement in statements(*step)]
        create_row_trigger(connection, name, on, timing, body, changed)


def drop_row_triggers(connection: Connection, triggers: Mapping[str, tuple]) -> None:
    """Drop the row triggers of a set (see :func:`create_row_triggers`), where they exist."""
    for name, (on, *_) in triggers.items():
        drop_row_trigger(connection, name, on)


def drop_row_trigger(connection: Connection, name: str, table: str) -> None:
    """Drop the trigger ``name`` on ``table`` (and its PostgreSQL function), if there is one."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
