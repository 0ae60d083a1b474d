"""What the sentence encoder costs: training time, parse p50 and reply p50, with and without it.

Trains two whole models in one run: the shipped ``config.yml`` and the same
pipeline without ``SentenceEncoderFeaturizer`` (TF-IDF n-grams only, as
before the encoder). Rasa's training cache is off, so each figure is a real
training. Then each model parses the independent dev set's messages in
process (parse p50/p99), and each serves a stack started as ``make run``
does, answering 100 of those messages from one customer at a time over REST
(reply p50/p99). Every message is new to the server, as real customers' are.

    PYTHONPATH=. .venv/bin/python -m bench.nlu_speed
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import yaml

from bench.reply_latency import conversation, percentile, send
from bot.nlu.evaluation import parse_all
from bot.nlu.independent_evaluation import INDEPENDENT_DEV, read_jsonl
from bot.settings import FLOOD_LIMITS_OFF, BotSettings
from bot.stack import Stack

ROOT = Path(__file__).resolve().parents[1]
ENCODER = "bot.nlu.sentence_encoder.SentenceEncoderFeaturizer"


def without_encoder(work: Path) -> Path:
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    config["pipeline"] = [c for c in config["pipeline"] if c["name"] != ENCODER]
    path = work / "config-without-encoder.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def train(config: Path, out: Path, name: str) -> float:
    """Train a whole model; return the seconds it took."""
    env = {**os.environ, "RASA_MAX_CACHE_SIZE": "0", "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--config", str(config), "--out", str(out),
         "--fixed-model-name", name],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def parse_times(model: Path, texts: List[str]) -> Dict[str, float]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    parse_all(agent, texts[:20])  # warm-up: the first calls load the encoder
    times = []
    for text in texts:
        started = time.perf_counter()
        parse_all(agent, [text])
        times.append((time.perf_counter() - started) * 1000)
    return {"p50": statistics.median(times), "p99": percentile(times, 0.99)}


def reply_times(model: Path, work: Path, texts: List[str]) -> Dict[str, float]:
    """Reply p50/p99 over REST for ``texts``, ten messages per customer.

    Every text is new to the server: repeated texts would find their sentence
    vectors cached and hide the encoder's cost.
    """
    settings = BotSettings(
        rasa_port=5306, action_port=5356, web_port=8306, model_path=str(model),
        tracker_store_url=f"sqlite:///{work / (model.stem + '-tracker.db')}",
        cxm_database_url=f"sqlite:///{work / (model.stem + '-cxm.db')}",
        extra_env=dict(FLOOD_LIMITS_OFF),  # measured as fast as it answers, many customers from one address
    )
    stack = Stack(settings, log_dir=work / f"logs-{model.stem}").start()
    try:
        url = f"{settings.rasa_url}/webhooks/rest/webhook"
        conversation(url, "faq", 10)  # warm-up
        times = [
            send(url, f"bench-{model.stem}-{index // 10}", text) for index, text in enumerate(texts)
        ]
    finally:
        stack.stop()
    return {"p50": statistics.median(times), "p99": percentile(times, 0.99)}


def main() -> None:
    texts = [e.text for e in read_jsonl(INDEPENDENT_DEV)]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        variants = {"without encoder": without_encoder(work), "with encoder (shipped)": ROOT / "config.yml"}
        rows = {}
        for index, (label, config) in enumerate(variants.items()):
            seconds = train(config, work, f"model{index}")
            model = work / f"model{index}.tar.gz"
            rows[label] = (seconds, parse_times(model, texts), reply_times(model, work, texts[::-1][:100]))
        print(f"{'pipeline':24} {'training s':>10} {'parse p50':>9} {'parse p99':>9} {'reply p50':>9} {'reply p99':>9}")
        for label, (seconds, parse, reply) in rows.items():
            print(f"{label:24} {seconds:>10.0f} {parse['p50']:>9.1f} {parse['p99']:>9.1f} "
                  f"{reply['p50']:>9.1f} {reply['p99']:>9.1f}")
        print(f"ms; parse: the {len(texts)} messages of the independent dev set, in process; "
              "reply: 100 of them over REST, one customer at a time, ten per conversation")


if __name__ == "__main__":
    main()
