"""Re-encrypting the store's encrypted columns with the first key of ``CXM_DATA_KEYS``.

Run after putting a new key first (the old one kept after it): every value
encrypted with another key, or stored before keys were set, is rewritten
with the new key. Then the old key can be dropped. See docs/privacy.md.
"""
from typing import Dict

from sqlalchemy import MetaData, select, update
from sqlalchemy.engine import Engine

from cxm_store.db import Base
from cxm_store.encryption import EncryptedText, decrypt, encrypt, is_current, keyring

_BATCH = 500


def encrypted_columns() -> Dict[str, list]:
    """Table name -> names of its encrypted columns (from the models)."""
    found: Dict[str, list] = {}
    for table in Base.metadata.sorted_tables:
        names = [c.name for c in table.columns if isinstance(c.type, EncryptedText)]
        if names:
            found[table.name] = names
    return found


def rotate(engine: Engine) -> Dict[str, int]:
    """Rewrite every value not encrypted with the first key; return values rewritten per table.

    Raises:
        ValueError: ``CXM_DATA_KEYS`` is empty.
        UnreadableData: A value's key is no longer in ``CXM_DATA_KEYS``.
    """
    if keyring()[0] is None:
        raise ValueError("set CXM_DATA_KEYS first (the new key first, the old ones after it)")
    plain = MetaData()
    plain.reflect(engine, only=list(encrypted_columns()))
    counts: Dict[str, int] = {}
    for name, columns in encrypted_columns().items():
        table = plain.tables[name]
        counts[name] = 0
        with engine.begin() as connection:
            rows = connection.execute(select(table.c.id, *[table.c[c] for c in columns])).all()
            for row in rows:
                stale = {c: encrypt(decrypt(getattr(row, c))) for c in columns if not is_current(getattr(row, c))}
                if stale:
                    connection.execute(update(table).where(table.c.id == row.id).values(**stale))
                    counts[name] += 1
    return counts
