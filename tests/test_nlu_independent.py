"""Understanding messages that no model of ours was trained on (bot/nlu/independent_evaluation.py).

The shipped model (models/serambi.tar.gz, trained on all of data/nlu) reads
the frozen independent test set, written by a helper session that never saw
data/, and Banking77's test messages of the classes that map to our topics.
Target: 0.90 accuracy per language and set, a fallback counted as a miss.
The independent set meets it (2026-11-30 evening, after
data/nlu/paraphrases_wide.yml: en 0.963, id 0.923). The Banking77 messages
mapped to our topics do not (0.882, 247 of 280; 0.896 before that file,
0.864 before data/nlu/faq_money_and_access.yml, 0.671 before
data/nlu/out_of_scope_services.yml, 0.404 before the encoder): Banking77
files "cancel my purchase" under refunds where a shop answers with its
cancellation rules, and some cash and card fee questions are read as refunds
or payments. Data and settings are chosen on ``--set dev`` (the dev set and
Banking77's train split), never on these figures. Its test asserts a floor under
today's figure and prints the target beside it, so the gap stays in sight.
Banking77 as a benchmark of the pipeline itself (trained on its train
split, 8 minutes here) is a bench script, not a test: bench/banking77.py.
"""
from pathlib import Path

import pytest

from bot.nlu import independent_evaluation as evaluation

TARGET = 0.90
# Banking77 mapped: measured 0.882 on 2026-11-30, under the target (see above).
BANKING77_MAPPED_FLOOR = 0.87
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
    _show(capsys, f"  en: {value:.3f} {'meets' if value >= TARGET else 'BELOW'} the {TARGET} target")
    assert accuracy.total["en"] == 280
    assert value >= BANKING77_MAPPED_FLOOR
