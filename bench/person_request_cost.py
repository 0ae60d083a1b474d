"""What looking for a request for a person in each clause costs a parse.

A message whose best intent is a FAQ topic and that has two or more clauses
("paket saya rusak pas nyampe, mau ngomong sama orang aja") gets up to three
more encoder passes (``NgramIntentClassifier._topic_and_person``). This
parses the independent dev set's messages in process with the shipped model,
with the check and without it, alternating, twice each, in one run, and
prints the parse times side by side. The sentence-vector cache is emptied
before each pass so that every message is embedded as a new one.

    PYTHONPATH=. .venv/bin/python -m bench.person_request_cost
"""
import asyncio
import statistics
import time
from typing import Dict, List

from bot.nlu import intent_classifier, sentence_encoder
from bot.nlu.evaluation import ROOT
from bot.nlu.independent_evaluation import INDEPENDENT_DEV, read_jsonl
from bot.nlu.questions import split_clauses

MODEL = ROOT / "models" / "serambi.tar.gz"


def _percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))
    texts = [example.text for example in read_jsonl(INDEPENDENT_DEV)]
    classifier = intent_classifier.NgramIntentClassifier
    variants = {"with the check": classifier._topic_and_person, "without it": lambda self, text, ranked: {}}
    loop = asyncio.new_event_loop()
    loop.run_until_complete(agent.parse_message("warm up"))
    times: Dict[str, List[float]] = {name: [] for name in variants}
    for _ in range(2):
        for name, check in variants.items():
            classifier._topic_and_person = check
            sentence_encoder._CACHE._vectors.clear()
            for text in texts:
                start = time.perf_counter()
                loop.run_until_complete(agent.parse_message(text))
                times[name].append((time.perf_counter() - start) * 1000)
    for name, values in times.items():
        print(
            f"{name:15} p50 {statistics.median(values):6.1f} ms  p90 {_percentile(values, 0.9):6.1f}"
            f"  p99 {_percentile(values, 0.99):6.1f}  mean {statistics.mean(values):6.1f}"
        )
    several = sum(len(split_clauses(text)) >= 2 for text in texts)
    print(f"messages with two or more clauses: {several} of {len(texts)}")


if __name__ == "__main__":
    main()
