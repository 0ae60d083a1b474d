"""Backup and restore of the CX store, on SQLite and PostgreSQL alike.

``python -m cxm_store backup --to FILE`` writes every table (except
Alembic's bookkeeping) as gzip-compressed JSON lines: a header with the
schema revision, then one line per row, parents before children. Values are
written as stored, so encrypted columns stay encrypted in the file: a
backup is no more readable than the database without ``CXM_DATA_KEYS``.

``python -m cxm_store restore --from FILE`` loads such a file into an empty
database of either engine (SQLite to PostgreSQL works too): it migrates the
database to the backup's revision, inserts the rows and moves PostgreSQL's
id sequences past them. It refuses a database that already holds rows.
"""
import gzip
import json
from datetime import date, datetime
from typing import Any, Dict, Iterator, Optional

from alembic import command
from sqlalchemy import Date, DateTime, MetaData, func, insert, inspect, select, text
from sqlalchemy.engine import Engine

from cxm_store import rollups, schema, settings

# Alembic's bookkeeping, and the daily rollups: derived from the conversations,
# so a restore rebuilds them rather than copying them.
_SKIPPED = {"alembic_version", *(table.name for table in rollups.TABLES)}
_BATCH = 1000


def _revision(engine: Engine) -> Optional[str]:
    with engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _tables(engine: Engine):
    """The store's tables as they are in the database (plain column types: no decryption)."""
    metadata = MetaData()
    metadata.reflect(engine)
    # Skipped: Alembic's bookkeeping and the engines' own statistics (sqlite_stat1...).
    return [table for table in metadata.sorted_tables
            if table.name not in _SKIPPED and not table.name.startswith("sqlite_")]


def _json_value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def backup(engine: Engine, path: str) -> Dict[str, int]:
    """Write the whole store to ``path``; return rows written per table."""
    counts: Dict[str, int] = {}
    with gzip.open(path, "wt", encoding="utf-8") as out, engine.connect() as connection:
        out.write(json.dumps({"revision": _revision(engine), "format": 1}) + "\n")
        for table in _tables(engine):
            key = list(table.primary_key.columns) or list(table.columns)
            counts[table.name] = 0
            for row in connection.execute(select(table).order_by(*key)).mappings():
                out.write(json.dumps({"t": table.name, "r": {k: _json_value(v) for k, v in row.items()}}) + "\n")
                counts[table.name] += 1
    return counts


def _rows(path: str) -> Iterator[Dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def _typed(table, row: Dict[str, Any]) -> Dict[str, Any]:
    typed = {}
    for name, value in row.items():
        kind = table.c[name].type
        if isinstance(value, str) and isinstance(kind, DateTime):
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and isinstance(kind, Date):
            value = date.fromisoformat(value)
        typed[name] = value
    return typed


def restore(engine: Engine, url: str, path: str) -> Dict[str, int]:
    """Load the backup at ``path`` into the empty database at ``url``; return rows per table.

    Raises:
        ValueError: The database already holds rows, or the file is not a backup.
    """
    lines = _rows(path)
    header = next(lines, None)
    if not header or header.get("format") != 1:
        raise ValueError(f"{path} is not a backup of this store")
    command.upgrade(schema.alembic_config(url), header["revision"] or "head")
    tables = {table.name: table for table in _tables(engine)}
    with engine.connect() as connection:
        filled = [name for name, table in tables.items()
                  if connection.execute(select(func.count()).select_from(table)).scalar()]
    if filled:
        raise ValueError(f"the target database is not empty ({', '.join(sorted(filled))}); restore into a new one")
    counts = {name: 0 for name in tables}
    with engine.begin() as connection:
        batch: list = []
        current = None
        for line in lines:
            if line["t"] != current and batch:
                connection.execute(insert(tables[current]), batch)
                batch = []
            current = line["t"]
            batch.append(_typed(tables[current], line["r"]))
            counts[current] += 1
            if len(batch) >= _BATCH:
                connection.execute(insert(tables[current]), batch)
                batch = []
        if batch:
            connection.execute(insert(tables[current]), batch)
        if inspect(connection).has_table(rollups.daily_rollups.name):
            rollups.rebuild(connection, rollups.rollup_zone(connection) or settings.shop_timezone())
        if engine.dialect.name == "postgresql":
            for name, table in tables.items():
                if "id" in table.c and counts[name]:
                    connection.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))
    return counts
