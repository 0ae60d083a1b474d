"""Held-out evaluation of the NLU pipeline: intent F1 per language.

A fifth of every (intent, language) group of our training data is held out, a
model is trained on the rest, and the held-out sentences are parsed. FAQ
sentences count as right only when the response selector also picks the right
topic (``faq/returns`` is not ``faq/refunds``). The language of an example is
the ``language`` metadata of its intent block in data/nlu.

Two figures are reported. The classifier's F1 takes the best-ranked real
intent, as ``rasa test nlu`` does for an intent classifier. The assistant's F1
counts every ``nlu_fallback`` as a miss: a customer who is asked "did you mean
X or Y?" was not answered straight away, even when X was right.

    python -m bot.nlu.evaluation [--config config.yml] [--data data/nlu]
"""
import argparse
import asyncio
import os
import random
import subprocess
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

from rasa.shared.nlu.training_data.message import Message

from contract.dialogue import FALLBACK_INTENT

ROOT = Path(__file__).resolve().parents[2]
HELD_OUT = 0.2
SEED = 7


def example_language(message: Message) -> str:
    """The language an example was written in, from its intent block's metadata."""
    return ((message.get("metadata") or {}).get("intent") or {}).get("language", "?")


def split(examples: List[Message], held_out: float = HELD_OUT, seed: int = SEED) -> Tuple[list, list]:
    """Split stratified by (full intent, language); at least one held out per group."""
    groups: Dict[Tuple[str, str], List[Message]] = defaultdict(list)
    for message in examples:
        groups[(message.get_full_intent(), example_language(message))].append(message)
    rng = random.Random(seed)
    train: List[Message] = []
    test: List[Message] = []
    for key in sorted(groups):
        group = groups[key][:]
        rng.shuffle(group)
        cut = max(1, round(len(group) * held_out))
        test += group[:cut]
        train += group[cut:]
    return train, test


FALLBACK = FALLBACK_INTENT


def _full(intent: str, parse: dict) -> str:
    selector = (parse.get("response_selector") or {}).get(intent)
    if selector:
        return selector["response"]["intent_response_key"] or intent
    return intent


def predicted_label(parse: dict) -> str:
    """The full intent the assistant acts on (``faq/returns``, or ``nlu_fallback``)."""
    return _full((parse.get("intent") or {}).get("name") or "", parse)


def classified_label(parse: dict) -> str:
    """The full intent the classifier ranked best, setting the fallback aside."""
    ranked = [i["name"] for i in parse.get("intent_ranking") or [] if i["name"] != FALLBACK]
    return _full(ranked[0], parse) if ranked else FALLBACK


def train_held_out_model(train: List[Message], regex_features: list, work: Path, config: Path) -> Path:
    """Train an NLU-only model on ``train`` with ``config``; return its path."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    train_file = work / "train.yml"
    RasaYAMLWriter().dump(train_file, TrainingData(train, regex_features=regex_features))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "nlu", "--nlu", str(train_file),
         "--config", str(config), "--domain", str(ROOT / "domain.yml"),
         "--out", str(work), "--fixed-model-name", "held_out"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
    )
    return work / "held_out.tar.gz"


@dataclass
class Evaluation:
    """Expected and predicted labels per language, and the misclassified sentences."""

    expected: Dict[str, List[str]] = field(default_factory=lambda: defaultdict(list))
    classified: Dict[str, List[str]] = field(default_factory=lambda: defaultdict(list))
    acted_on: Dict[str, List[str]] = field(default_factory=lambda: defaultdict(list))
    misses: List[str] = field(default_factory=list)

    def _f1(self, predicted: Dict[str, List[str]]) -> Dict[str, float]:
        from sklearn.metrics import f1_score

        return {
            language: f1_score(self.expected[language], predicted[language],
                               average="weighted", zero_division=0)
            for language in sorted(self.expected)
        }

    def f1_by_language(self) -> Dict[str, float]:
        """The classifier's weighted F1 over intents, per language."""
        return self._f1(self.classified)

    def assistant_f1_by_language(self) -> Dict[str, float]:
        """Weighted F1 per language with every fallback counted as a miss."""
        return self._f1(self.acted_on)

    def report(self) -> str:
        lines = [f"Intent F1 (weighted) on held-out {HELD_OUT:.0%} of our data, FAQ topics counted separately:"]
        assistant = self.assistant_f1_by_language()
        for language, score in self.f1_by_language().items():
            lines.append(
                f"  {language}: classifier F1 {score:.3f}, assistant F1 {assistant[language]:.3f} "
                f"(fallback counted as a miss) over {len(self.expected[language])} sentences"
            )
        lines.append(f"Not answered straight away ({len(self.misses)}; classifier's guess in brackets):")
        lines += self.misses
        return "\n".join(lines)


def parse_all(agent, texts: List[str]) -> List[dict]:
    """Parse ``texts`` with ``agent``, one after another; return the parse data."""
    async def parse() -> List[dict]:
        return [await agent.parse_message(text) for text in texts]

    # A thread of its own: the caller's thread may already run an event loop
    # (Playwright's sync API does, in a test session).
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, parse()).result()


def evaluate(model: Path, test: List[Message]) -> Evaluation:
    """Parse every held-out sentence with ``model`` and collect the labels."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    result = Evaluation()
    parses = parse_all(agent, [message.get("text") for message in test])
    for message, parse in zip(test, parses):
        language, truth = example_language(message), message.get_full_intent()
        acted_on, classified = predicted_label(parse), classified_label(parse)
        result.expected[language].append(truth)
        result.acted_on[language].append(acted_on)
        result.classified[language].append(classified)
        if truth != acted_on:
            result.misses.append(f"  [{language}] {message.get('text')!r}: {truth} -> {acted_on} [{classified}]")
    return result


def run(work: Path, config: Path = ROOT / "config.yml", data_dir: Path = ROOT / "data" / "nlu") -> Evaluation:
    """Split our data, train on the larger part, evaluate on the rest."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(data_dir))
    train, test = split(data.intent_examples)
    model = train_held_out_model(train, data.regex_features, work, config)
    return evaluate(model, test)


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "nlu", help="NLU training data to split")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        print(run(Path(work), args.config, args.data).report())


if __name__ == "__main__":
    main()
