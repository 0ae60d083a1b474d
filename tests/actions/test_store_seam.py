"""The dialogue's seam with the store: one typed error, no SQLAlchemy in the actions."""
import ast
from datetime import datetime
from pathlib import Path

import pytest

from cxm_store import assistant_services
from cxm_store.errors import StoreUnavailable

ACTIONS = Path(__file__).resolve().parents[2] / "actions"


def test_actions_never_touch_sqlalchemy():
    found = []
    for path in sorted(ACTIONS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            module = node.module if isinstance(node, ast.ImportFrom) else ""
            if any(n.startswith("sqlalchemy") for n in names + [module or ""]):
                found.append(path.name)
    assert found == []


def test_a_dead_database_is_one_typed_error_for_the_dialogue(monkeypatch):
    monkeypatch.setenv("CXM_DATABASE_URL", "postgresql://postgres@127.0.0.1:9/cxm")
    with pytest.raises(StoreUnavailable) as raised:
        assistant_services.look_up_order("INV-2024-00123", "web", "web-1", "cek pesanan", datetime.now())
    assert raised.value.status_code == 503
