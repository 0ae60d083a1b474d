"""Every contract name is spelled in one place: contract/ (YAML data excepted).

A slot, action, intent, survey kind, handoff status or reason, or metric
written out as a string literal in the Python code of bot/, actions/ or
cxm_store/ is a second copy that can drift; it must be imported instead.
"""
import ast
import re
from pathlib import Path

import yaml

from contract import dialogue, metrics, vocabulary

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "actions", "cxm_store", "cx_reports", "team_app")

# Names that are also ordinary words elsewhere, where a literal is not the
# contract's: ``language`` and ``order_id`` are slots and column names too,
# ``conversations`` a metric and a table, ``nps`` a metric and a survey kind
# (checked as neither), ``request`` a handoff reason and a Sanic middleware kind.
SHARED_WORDS = {"language", "order_id", "conversations", "nps", "request"}


def _contract_names() -> dict:
    names = {}
    for module in (dialogue,):
        for attr, value in vars(module).items():
            if attr.isupper() and isinstance(value, str) and (
                attr.endswith("_SLOT") or attr.startswith("ACTION_") or attr == "FALLBACK_INTENT"
            ):
                names[value] = f"contract.dialogue.{attr}"
    for slot in dialogue.SURVEY_ANSWER_SLOTS:
        names[slot] = "contract.dialogue.survey_answer_slot()"
    for value in vocabulary.HANDOFF_REASONS:
        names[value] = "contract.vocabulary.HANDOFF_REASONS"
    for value in (vocabulary.REQUESTED, vocabulary.CLAIMED):
        names[value] = "contract.vocabulary.HANDOFF_STATUSES"
    for metric in metrics.REGISTRY:
        names[metric.name] = "contract.metrics.REGISTRY"
    for kind in (vocabulary.CSAT, vocabulary.CES):
        names[kind] = "contract.vocabulary.SURVEY_KINDS"
    return {name: where for name, where in names.items() if name not in SHARED_WORDS}


def _docstrings(tree: ast.AST) -> set:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def spelled_out(source: str, names: dict) -> list:
    """(line, literal) for each string literal in ``source`` equal to a contract name."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and id(node) not in docstrings and node.value in names
    ]


def test_no_contract_name_is_spelled_outside_the_contract():
    names = _contract_names()
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:  # history: frozen as it was written
                continue
            for line, literal in spelled_out(path.read_text(), names):
                found.append(f"{path.relative_to(ROOT)}:{line}: {literal!r} (use {names[literal]})")
    assert not found, "contract names written out:\n" + "\n".join(found)


def test_the_scan_sees_a_spelled_out_slot():
    names = _contract_names()
    assert spelled_out('SlotSet("handoff_agent", me)\n', names) == [(1, "handoff_agent")]
    assert spelled_out('"""handoff_agent"""\nx = 1\n', names) == []


def test_domain_declares_the_contract_slots_and_actions():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    declared_slots = set(domain["slots"])
    declared_actions = set(domain["actions"])
    slots = {v for k, v in vars(dialogue).items() if k.endswith("_SLOT")}
    slots |= set(dialogue.SURVEY_ANSWER_SLOTS)
    actions = {v for k, v in vars(dialogue).items() if k.startswith("ACTION_")}
    assert slots == declared_slots
    assert actions - {dialogue.ACTION_LISTEN, dialogue.ACTION_SESSION_START} <= declared_actions
    assert declared_actions <= actions


def test_nlu_order_regex_has_the_contract_bounds():
    """data/nlu/orders.yml keeps Rasa's copy of the order-number shape: same bounds."""
    nlu = yaml.safe_load((ROOT / "data/nlu/orders.yml").read_text())
    regex = next(item for item in nlu["nlu"] if item.get("regex") == "order_id")
    rasa_pattern = regex["examples"].strip().lstrip("- ").strip()
    bounds = re.findall(r"\{\d+,\d+\}", rasa_pattern)
    assert bounds == re.findall(r"\{\d+,\d+\}", vocabulary.ORDER_NUMBER_PATTERN)
    rasa = re.compile(rasa_pattern)
    for text in ("INV-2024-00123", "inv 2024 123", "INV/2024/00123", "inv 24 1234567",
                 "no order here", "INVOICE", "inv-20241-1"):
        assert bool(rasa.search(text)) == bool(vocabulary.ORDER_NUMBER_IN_TEXT.search(text)), text
