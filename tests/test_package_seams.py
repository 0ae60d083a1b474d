"""The packages meet only at their seams (docs/architecture.md, issue 11).

The store (``cxm_store``) is storage and domain services: it imports nothing
of the assistant (``bot``, ``actions``, Rasa), of the team's web app
(``team_app``) or of a web framework, and its write path nothing of the
reporting (``cx_reports``; only its command line prints reports). Reporting
reads the store and knows nothing of Rasa or the web. The web app reaches
Rasa only through ``bot.rasa_client`` (and shares with the chat channels only
the rule that reads a client's address, ``bot.channels.client_address``).
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_FOR_THE_STORE = ("bot", "actions", "team_app", "rasa", "rasa_sdk", "sanic", "jinja2")


def imported_modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                yield path, [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield path, [node.module]


def test_the_store_knows_nothing_of_the_assistant_or_the_web_app():
    found = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path, names in imported_modules("cxm_store")
        for name in names
        if name.split(".")[0] in NOT_FOR_THE_STORE
    )
    assert found == []


def test_reporting_reads_the_store_and_only_the_command_line_prints_it():
    from_store = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path, names in imported_modules("cxm_store")
        for name in names
        if name.split(".")[0] == "cx_reports" and path.name != "__main__.py"
    )
    from_reports = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path, names in imported_modules("cx_reports")
        for name in names
        if name.split(".")[0] in NOT_FOR_THE_STORE
    )
    assert (from_store, from_reports) == ([], [])


def test_the_web_app_reaches_rasa_through_its_client_only():
    found = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path, names in imported_modules("team_app")
        for name in names
        if name.split(".")[0] in ("rasa", "rasa_sdk", "actions") or (name.startswith("bot") and name not in ("bot.rasa_client", "bot.channels.client_address"))
    )
    assert found == []
