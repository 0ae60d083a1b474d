"""Understanding messages that no model of ours was trained on (bot/nlu/independent_evaluation.py).

The shipped model (models/serambi.tar.gz, trained on all of data/nlu) reads
the frozen independent test set, written by a helper session that never saw
data/, and Banking77's test messages of the classes that map to our topics.
Target: 0.90 accuracy per language and set, a fallback counted as a miss.
The independent set meets it (2026-12-01, after data/nlu/money_elsewhere.yml
and acknowledgements.yml: en 0.958, id 0.923). The Banking77 messages mapped
to our topics meet it since money_elsewhere.yml (0.921, 258 of 280; before
it 0.882, 0.896, 0.864 before data/nlu/faq_money_and_access.yml, 0.671
before data/nlu/out_of_scope_services.yml, 0.404 before the encoder); the
rest are mostly "cancel my purchase" filed by Banking77 under refunds, where
a shop answers with its cancellation rules. The short acknowledgements
("mantap", a thumbs-up, "noted") do not yet: en 0.890, id 0.892 (0.790 and
0.817 before acknowledgements.yml).
Data and settings are chosen on ``--set dev`` (the dev set and
Banking77's train split), never on these figures. The acknowledgements'
test asserts a floor under today's figure and prints the target beside it,
so the gap stays in sight.
Banking77 as a benchmark of the pipeline itself (trained on its train
split, 8 minutes here) is a bench script, not a test: bench/banking77.py.
"""
from pathlib import Path

import pytest

from bot.nlu import independent_evaluation as evaluation

TARGET = 0.90
# Acknowledgements: measured en 0.890, id 0.892 on 2026-12-01, under the
# target (see above); the floor keeps them from sliding back.
ACKNOWLEDGEMENTS_FLOOR = 0.87
MODEL = Path(__file__).resolve().parents[1] / "models" / "serambi.tar.gz"


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent

    return Agent.load(str(MODEL))


def _show(capsys, text: str) -> None:
    with capsys.disabled():
        print("\n" + text)


def test_independent_messages_in_both_languages(agent, capsys) -> None:
    examples = evaluation.read_jsonl(evaluation.INDEPENDENT_TEST)
    accuracy = evaluation.score(agent, examples)
    _show(capsys, evaluation.report("Independent test set (frozen)", accuracy, show_misses=True))
    scores = accuracy.by_language()
    assert set(scores) == {"id", "en"} and min(accuracy.total.values()) >= 300
    for language, value in scores.items():
        assert value >= TARGET, f"{language}: {value:.3f} is below the {TARGET} target"


def test_banking77_messages_mapped_to_our_topics(agent, capsys) -> None:
    accuracy = evaluation.score(agent, evaluation.banking77_mapped())
    _show(capsys, evaluation.report("Banking77 test messages mapped to our topics", accuracy, show_misses=True))
    value = accuracy.by_language()["en"]
    assert accuracy.total["en"] == 280
    assert value >= TARGET, f"en: {value:.3f} is below the {TARGET} target"


def test_short_acknowledgements_in_both_languages(agent, capsys) -> None:
    accuracy = evaluation.score(agent, evaluation.read_jsonl(evaluation.ACKNOWLEDGEMENTS))
    _show(capsys, evaluation.report("Short acknowledgements (frozen)", accuracy, show_misses=True))
    assert dict(accuracy.total) == {"id": 120, "en": 100}
    for language, value in accuracy.by_language().items():
        _show(capsys, f"  {language}: {value:.3f} {'meets' if value >= TARGET else 'BELOW'} the {TARGET} target")
        assert value >= ACKNOWLEDGEMENTS_FLOOR, f"{language}: {value:.3f} fell under {ACKNOWLEDGEMENTS_FLOOR}"
