"""Intent F1 per language on a held-out split of our own training data.

A fifth of every (intent, language) group is held out, a model is trained on
the rest with the shipped config.yml, and the held-out sentences are parsed.
FAQ sentences count as right only when the response selector also picks the
right topic (``faq/returns`` is not ``faq/refunds``).
"""
import asyncio
import os
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parent.parent
MIN_F1 = 0.90
HELD_OUT = 0.2
SEED = 7


def _label(message) -> str:
    return message.get_full_intent()


def _language(message) -> str:
    return ((message.get("metadata") or {}).get("intent") or {}).get("language", "?")


def split(training_data) -> Tuple[list, list]:
    """Stratified split by (full intent, language), seeded."""
    groups: Dict[Tuple[str, str], list] = defaultdict(list)
    for message in training_data.intent_examples:
        groups[(_label(message), _language(message))].append(message)
    rng = random.Random(SEED)
    train, test = [], []
    for key in sorted(groups):
        examples = groups[key][:]
        rng.shuffle(examples)
        cut = max(1, round(len(examples) * HELD_OUT))
        test += examples[:cut]
        train += examples[cut:]
    return train, test


def predicted_label(parse: dict) -> str:
    intent = (parse.get("intent") or {}).get("name") or ""
    selector = (parse.get("response_selector") or {}).get(intent)
    if selector:
        return selector["response"]["intent_response_key"] or intent
    return intent


@pytest.fixture(scope="module")
def held_out(tmp_path_factory) -> Tuple[Path, list]:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    work = tmp_path_factory.mktemp("nlu")
    data = load_data(str(ROOT / "data" / "nlu"))
    train, test = split(data)
    train_file = work / "train.yml"
    RasaYAMLWriter().dump(train_file, TrainingData(train, regex_features=data.regex_features))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "nlu", "--nlu", str(train_file),
         "--config", str(ROOT / "config.yml"), "--out", str(work),
         "--fixed-model-name", "held_out"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
    )
    return work / "held_out.tar.gz", test


def test_intent_f1_per_language_on_held_out_data(held_out) -> None:
    from rasa.core.agent import Agent

    model, test = held_out
    agent = Agent.load(str(model))
    expected: Dict[str, List[str]] = defaultdict(list)
    predicted: Dict[str, List[str]] = defaultdict(list)
    misses: List[str] = []
    for message in test:
        parse = asyncio.run(agent.parse_message(message.get("text")))
        language, truth, guess = _language(message), _label(message), predicted_label(parse)
        expected[language].append(truth)
        predicted[language].append(guess)
        if truth != guess:
            misses.append(f"  [{language}] {message.get('text')!r}: {truth} -> {guess}")

    scores = {
        language: f1_score(expected[language], predicted[language], average="weighted", zero_division=0)
        for language in sorted(expected)
    }
    print(f"\nIntent F1 (weighted) on held-out {HELD_OUT:.0%} of our data, FAQ topics counted separately:")
    for language, score in scores.items():
        print(f"  {language}: F1 {score:.3f} over {len(expected[language])} sentences")
    print(f"Misclassified ({len(misses)}):\n" + "\n".join(misses))
    assert set(scores) == {"id", "en"}
    for language, score in scores.items():
        assert score >= MIN_F1, f"{language} F1 {score:.3f} < {MIN_F1}"
