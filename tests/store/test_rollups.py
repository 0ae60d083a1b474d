"""Daily rollups (migration 0011): the dashboard's figures from the rollup equal the figures
from the raw conversations, the rollup's days are Asia/Jakarta's, and a rebuild gives the
rows the triggers kept (SQLite and PostgreSQL)."""
from datetime import date, datetime

import pytest
from sqlalchemy import select

from cx_reports import metric_sql, rollup_figures
from cx_reports.metrics import GROUPINGS, MetricFilter
from cxm_store import rollups
from cxm_store.touchpoints import close_conversation, record_customer_message
from tests.store.conftest import seed_history

# Windows whose edges fall inside local days (raw edges + rollup middle), on
# local midnights (rollup only), within one day (raw only) and open-ended.
WINDOWS = (
    MetricFilter(start=datetime(2024, 5, 1), end=datetime(2024, 6, 1)),
    MetricFilter(start=datetime(2024, 5, 6, 9, 30), end=datetime(2024, 5, 20, 15, 30)),
    MetricFilter(start=datetime(2024, 5, 5, 17), end=datetime(2024, 5, 21, 17)),
    MetricFilter(start=datetime(2024, 5, 9, 12, 30), end=datetime(2024, 5, 9, 13, 30)),
    MetricFilter(),
    MetricFilter(start=datetime(2024, 4, 1), end=datetime(2024, 6, 1), channel="web",
                 language="id"),
    MetricFilter(start=datetime(2024, 4, 1), end=datetime(2024, 6, 1), topic="faq/returns"),
    MetricFilter(start=datetime(2024, 4, 1), end=datetime(2024, 6, 1), agent="ani"),
)


def _rollup_rows(connection):
    r = rollups.daily_rollups
    rows = connection.execute(select(r).where(r.c.conversations != 0)).all()
    return sorted((str(row[0]), *row[1:]) for row in rows)


@pytest.mark.parametrize(
    ("window", "by"),
    [
        (window, by)
        for window, flt in enumerate(WINDOWS)
        for by in (None,) + GROUPINGS + ("day", "week")[: 2 if flt.start else 0]
    ],
)
def test_rollup_figures_equal_raw_figures(history, window, by):
    engine, _, _ = history
    flt = WINDOWS[window]
    with engine.connect() as connection:
        assert rollup_figures.usable(connection, flt, by) == (by != "topic" or not flt.topic)
        from_rollup = rollup_figures.aggregates(connection, flt, by)
        from_rows = metric_sql.aggregates(connection, flt, by)
    assert from_rows[None if by is None else next(iter(from_rows))]
    assert set(from_rollup) == set(from_rows)
    for group, values in from_rows.items():
        assert from_rollup[group] == pytest.approx(values), (group, values)


def test_rollup_holds_the_hand_computed_counts(history):
    # May 2024, Jakarta days (tests/store/conftest.py): C1-C11, all between 09:00 and
    # 15:00 UTC; web C1 C2 C5 C6 C7 C11, telegram C3 C4 C10, rest C8 C9.
    engine, _, _ = history
    flt = MetricFilter(start=datetime(2024, 4, 30, 17), end=datetime(2024, 5, 31, 17))
    assert rollup_figures.whole_days(flt) == (date(2024, 5, 1), date(2024, 6, 1))
    with engine.connect() as connection:
        t = rollup_figures.totals(connection, flt, None)[None]
        by_channel = rollup_figures.totals(connection, flt, "channel")
    assert t["conversations"] == 11
    assert t["closed"] == 10  # C7 is open
    assert t["escalated"] == 2 and t["abandoned"] == 2  # C4 C8; C6 C9
    assert t["csat_count"] == 4 and t["csat_sum"] == 5 + 4 + 2 + 3  # C1 C2 C3 C4
    assert t["nps_count"] == 3 and t["nps_promoters"] == 2 and t["nps_detractors"] == 1
    assert {k: v["conversations"] for k, v in by_channel.items()} == {
        "web": 6, "telegram": 3, "rest": 2
    }


def test_half_past_eleven_utc_is_the_next_jakarta_day(engine):
    late = datetime(2024, 5, 9, 23, 30)
    conversation = record_customer_message(
        "web", "web-z", "halo", late, "id", intent="greet", engine=engine
    )
    close_conversation(conversation, "resolved", datetime(2024, 5, 9, 23, 40), engine=engine)
    with engine.connect() as connection:
        r = rollups.daily_rollups
        days = connection.execute(
            select(r.c.day, r.c.conversations, r.c.closed).where(
                r.c.topic == "", r.c.conversations != 0  # a row a later write emptied
            )
        ).all()
        series = rollup_figures.aggregates(
            connection, MetricFilter(start=datetime(2024, 5, 8, 17), end=datetime(2024, 5, 11, 17)),
            "day",
        )
    assert [(str(day), n, closed) for day, n, closed in days] == [("2024-05-10", 1, 1)]
    assert {day: v["conversations"] for day, v in series.items()} == {"2024-05-10": 1}


def test_rebuild_gives_the_rows_the_triggers_kept(history):
    engine, _, _ = history
    with engine.connect() as connection:
        kept = _rollup_rows(connection)
    with engine.begin() as connection:
        rollups.rebuild(connection, "Asia/Jakarta")
    with engine.connect() as connection:
        rebuilt = _rollup_rows(connection)
    assert kept and rebuilt == kept


def test_erasing_a_conversation_takes_it_out_of_the_rollup(engine):
    ids = seed_history(engine)
    flt = MetricFilter(start=datetime(2024, 4, 1), end=datetime(2024, 6, 1))
    with engine.connect() as connection:
        before = rollup_figures.totals(connection, flt, "topic")["faq/returns"]["conversations"]
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DELETE FROM conversations WHERE id = {ids['C1']}")
    with engine.connect() as connection:
        from_rollup = rollup_figures.aggregates(connection, flt, "topic")
        from_rows = metric_sql.aggregates(connection, flt, "topic")
    assert from_rollup["faq/returns"]["conversations"] == before - 1
    assert set(from_rollup) == set(from_rows)
    for group, values in from_rows.items():
        assert from_rollup[group] == pytest.approx(values)


def test_the_rebuild_command_vacuums_the_rollup_tables_on_postgresql(history, capsys):
    """``python -m cxm_store rollups --rebuild`` gives the rows the triggers kept and, on
    PostgreSQL, vacuums and analyzes the tables it rewrote (their dead rows slowed the
    dashboard's first read 20-fold on the 1M bench)."""
    from sqlalchemy import text

    from cxm_store.__main__ import main

    engine, _, url = history
    rewritten = ("daily_rollups", "handoff_durations", "follow_up_days", "service_level_days")
    count_vacuums = text("SELECT relname, vacuum_count FROM pg_stat_user_tables"
                         " WHERE relname IN :names")

    def vacuums():
        if engine.dialect.name != "postgresql":
            return {}
        with engine.connect() as connection:
            return dict(connection.execute(count_vacuums, {"names": rewritten}).all())

    with engine.connect() as connection:
        kept = _rollup_rows(connection)
    before = vacuums()
    assert main(["--database-url", url, "rollups", "--rebuild"]) == 0
    assert "rollups rebuilt for Asia/Jakarta days" in capsys.readouterr().out
    with engine.connect() as connection:
        assert _rollup_rows(connection) == kept
    if engine.dialect.name == "postgresql":
        assert vacuums() == {name: before.get(name, 0) + 1 for name in rewritten}  # manual ones only
