"""Evaluation on messages no model of ours was trained on.

Our own held-out fifth (``bot.nlu.evaluation``) agrees with our own way of
writing. These sets do not:

* ``tests/nlu_eval/independent_test.jsonl``: customer messages in both
  languages written by a helper session that never saw ``data/``, from the
  topic list and a description of how customers write; frozen before any
  tuning (``independent_dev.jsonl`` beside it is the set we tune on);
  ``acknowledgements.jsonl``: the short reactions customers send after an
  answer, by another such session, frozen, scored with the test set.
* Banking77's test split (PolyAI, CC BY 4.0, in ``../shared/data``): the
  classes that mean one of our topics or are plainly out of a shop's scope,
  mapped below. Evaluation only, never training data.
* Banking77 as a benchmark of the pipeline itself: ``config.yml``'s NLU
  components trained on its train split, scored on its test split, beside the
  published figures.

    python -m bot.nlu.independent_evaluation [--model models/serambi.tar.gz] [--banking77]
"""
import argparse
import csv
import json
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, NamedTuple, Tuple

import yaml

from bot.nlu.evaluation import ROOT, parse_all, predicted_label
from contract.dialogue import FALLBACK_INTENT

INDEPENDENT_TEST = ROOT / "tests" / "nlu_eval" / "independent_test.jsonl"
INDEPENDENT_DEV = ROOT / "tests" / "nlu_eval" / "independent_dev.jsonl"
# Short reactions after an answer ("mantap", a thumbs-up, "noted"), written
# by another helper session; frozen, and only ever scored (no dev half).
ACKNOWLEDGEMENTS = ROOT / "tests" / "nlu_eval" / "acknowledgements.jsonl"


def banking77_dir() -> Path:
    """Where Banking77 lies: ``BANKING77_DIR``, else ``../shared/data/banking77``."""
    return Path(os.environ.get("BANKING77_DIR", ROOT.parent / "shared" / "data" / "banking77"))


# Banking77 classes whose every message a shop's customer could send with
# the same meaning, and the topic that answers it. Card, transfer and
# top-up questions are out of a shop's scope; classes that could be either
# (card_arrival: a parcel or a bank card?) are left out.
BANKING77_TO_SHOP = {
    "request_refund": "faq/refunds",
    "Refund_not_showing_up": "faq/refunds",
    "passcode_forgotten": "faq/account_password",
    "exchange_rate": "out_of_scope",
    "atm_support": "out_of_scope",
    "card_swallowed": "out_of_scope",
    "cash_withdrawal_charge": "out_of_scope",
}

# Casanueva et al. 2020, "Efficient Intent Detection with Dual Sentence
# Encoders" (NLP4ConvAI), Table 3, full training data, accuracy %.
BANKING77_PUBLISHED = {
    "BERT-fixed": 87.19,
    "BERT-tuned": 93.66,
    "USE": 92.81,
    "ConveRT": 93.01,
    "USE+ConveRT": 93.36,
}


class Example(NamedTuple):
    """One message with the label a careful reader gives it."""

    text: str
    label: str
    language: str


def read_jsonl(path: Path) -> List[Example]:
    """Examples from a JSON Lines file of ``{"text", "label", "lang"}`` objects."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Example(r["text"], r["label"], r["lang"]) for r in rows]


def _banking77_rows(split: str) -> List[Tuple[str, str]]:
    with open(banking77_dir() / f"{split}.csv", newline="", encoding="utf-8") as handle:
        return [(row["text"], row["category"]) for row in csv.DictReader(handle)]


def banking77_mapped(split: str = "test") -> List[Example]:
    """Banking77 messages of the mapped classes in ``split``, labelled with our topics.

    The test split scores the shipped model; the train split (never trained
    on) is the one to look at while choosing between data or settings, so
    that the test split's figure stays unseen until the choice is made.
    """
    return [
        Example(text, BANKING77_TO_SHOP[category], "en")
        for text, category in _banking77_rows(split)
        if category in BANKING77_TO_SHOP
    ]


@dataclass
class Accuracy:
    """Right answers per language, and the misses to read."""

    right: Dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total: Dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: List[str] = field(default_factory=list)

    def by_language(self) -> Dict[str, float]:
        return {lang: self.right[lang] / self.total[lang] for lang in sorted(self.total)}

    def add(self, example: Example, predicted: str) -> None:
        self.total[example.language] += 1
        if predicted == example.label:
            self.right[example.language] += 1
        else:
            self.misses.append(f"  [{example.language}] {example.text[:90]!r}: {example.label} -> {predicted}")


def score(agent, examples: Iterable[Example]) -> Accuracy:
    """Parse each example with ``agent``; a fallback counts as a miss."""
    examples = list(examples)
    result = Accuracy()
    for example, parse in zip(examples, parse_all(agent, [e.text for e in examples])):
        result.add(example, predicted_label(parse))
    return result


def report(name: str, accuracy: Accuracy, show_misses: bool = False) -> str:
    lines = [
        f"{name}: " + ", ".join(
            f"{lang} {value:.3f} ({accuracy.right[lang]}/{accuracy.total[lang]})"
            for lang, value in accuracy.by_language().items()
        )
    ]
    if show_misses:
        lines += accuracy.misses
    return "\n".join(lines)


def _nlu_only_config(work: Path) -> Path:
    """``config.yml``'s NLU pipeline without the FAQ ResponseSelector (Banking77 has no FAQ)."""
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    config["pipeline"] = [c for c in config["pipeline"] if c["name"] != "ResponseSelector"]
    config.pop("policies", None)
    path = work / "config.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def banking77_benchmark(work: Path) -> float:
    """Accuracy of our NLU pipeline trained on Banking77's train split, on its test split."""
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.evaluation import train_held_out_model

    train = [Message.build(text=text, intent=category) for text, category in _banking77_rows("train")]
    model = train_held_out_model(train, [], work, _nlu_only_config(work))
    agent = Agent.load(str(model))
    test = _banking77_rows("test")
    parses = parse_all(agent, [text for text, _ in test])
    ranked = [
        next((i["name"] for i in p.get("intent_ranking") or [] if i["name"] != FALLBACK_INTENT), "")
        for p in parses
    ]
    return sum(r == category for r, (_, category) in zip(ranked, test)) / len(test)


def main() -> None:
    from rasa.core.agent import Agent

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "serambi.tar.gz")
    parser.add_argument(
        "--set", choices=("test", "dev"), default="test",
        help="test: the frozen set and Banking77's test split; dev: the dev set and Banking77's train split",
    )
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--banking77", action="store_true", help="also train and score on all of Banking77")
    args = parser.parse_args()
    agent = Agent.load(str(args.model))
    written = INDEPENDENT_TEST if args.set == "test" else INDEPENDENT_DEV
    print(report(f"independent {args.set} set", score(agent, read_jsonl(written)), args.misses))
    if args.set == "test":
        print(report("acknowledgements (frozen)", score(agent, read_jsonl(ACKNOWLEDGEMENTS)), args.misses))
    banking77_split = "test" if args.set == "test" else "train"
    print(report(
        f"Banking77 mapped to our topics ({banking77_split} split)", score(agent, banking77_mapped(banking77_split)),
        args.misses,
    ))
    if args.banking77:
        with tempfile.TemporaryDirectory() as work:
            accuracy = banking77_benchmark(Path(work))
        published = ", ".join(f"{k} {v:.2f}" for k, v in BANKING77_PUBLISHED.items())
        print(f"Banking77 (77 classes, 3,080 test messages): ours {accuracy:.2%}; published: {published}")


if __name__ == "__main__":
    main()
