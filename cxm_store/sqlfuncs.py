"""SQL expressions that differ between SQLite and PostgreSQL, behind one name.

Metrics are written once in SQLAlchemy Core; only date arithmetic needs a
dialect-specific rendering, kept here.
"""
from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


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
    """The first day of the day or ISO week (Monday) holding a timestamp, as ``YYYY-MM-DD``."""

    type = String()
    name = "period_start"
    # The grain lives outside the clause list, so the statement cache could
    # not tell a daily from a weekly series: keep this element out of it.
    inherit_cache = False

    def __init__(self, moment: ColumnElement, grain: str) -> None:
        if grain not in ("day", "week"):
            raise ValueError(f"grain must be 'day' or 'week', not {grain!r}")
        self.grain = grain
        super().__init__(moment)


@compiles(period_start, "sqlite")
def _period_start_sqlite(element, compiler, **kw) -> str:
    moment = compiler.process(list(element.clauses)[0], **kw)
    if element.grain == "day":
        return "date(%s)" % moment
    # 'weekday 0' moves forward to Sunday (or stays on one); six days back is Monday.
    return "date(%s, 'weekday 0', '-6 days')" % moment


@compiles(period_start, "postgresql")
def _period_start_postgresql(element, compiler, **kw) -> str:
    moment = compiler.process(list(element.clauses)[0], **kw)
    return "to_char(date_trunc('%s', %s), 'YYYY-MM-DD')" % (element.grain, moment)
