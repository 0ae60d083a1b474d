"""No module of the project's own packages grows past 400 lines (issue 11).

A module that long no longer fits in the head; split it along its seams (see
docs/architecture.md) instead of raising the limit.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "actions", "cxm_store", "cx_reports", "team_app", "contract")
MAX_LINES = 400


def test_no_module_is_longer_than_400_lines():
    too_long = {
        str(path.relative_to(ROOT)): count
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        and (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"
