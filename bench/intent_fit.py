"""How long the intent classifier's fit takes: scikit-learn's own against ours, in one run.

Both fit the shipped classifier (``config.yml``'s settings) on the shipped
training data, with sentence vectors read from the training cache
(``var/cache/``, filled by ``make train``) so only the fit is timed. Then
both models classify the independent dev set, and the run prints how often
they agree and how far their probabilities differ.

    PYTHONPATH=. .venv/bin/python -m bench.intent_fit
"""
import time
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.utils.io import read_yaml_file

from bot.nlu import sentence_encoder
from bot.nlu.independent_evaluation import INDEPENDENT_DEV, read_jsonl
from bot.nlu.intent_classifier import NgramIntentClassifier, _feature_blocks, _features, _new_model
from bot.nlu.softmax_fit import fit_logistic_regression

ROOT = Path(__file__).resolve().parent.parent


def shipped_config() -> Dict:
    pipeline = read_yaml_file(ROOT / "config.yml")["pipeline"]
    own = next(c for c in pipeline if c["name"].endswith("NgramIntentClassifier"))
    return {**NgramIntentClassifier.get_default_config(), **{k: v for k, v in own.items() if k != "name"}}


def scikit_learn_fit(model: Dict, texts: List[str], vectors: List[np.ndarray], labels: List[str]) -> None:
    model["classifier"].fit(_features(model, texts, vectors), labels)


def our_fit(model: Dict, texts: List[str], vectors: List[np.ndarray], labels: List[str]) -> None:
    ngrams, dense = _feature_blocks(model, texts, vectors)
    fit_logistic_regression(model["classifier"], ngrams, dense, labels)


def main() -> None:
    sentence_encoder._CACHE.load(sentence_encoder.training_cache_file())
    data = load_data(str(ROOT / "data" / "nlu"))  # as bot.nlu.evaluation reads it
    examples = [m for m in data.intent_examples if m.get("text")]
    texts = [m.get("text") for m in examples]
    vectors = list(sentence_encoder.embed(texts))
    labels = [m.get_full_intent() for m in examples]
    dev = read_jsonl(INDEPENDENT_DEV)
    dev_vectors = list(sentence_encoder.embed([e.text for e in dev]))
    print(f"{len(examples)} training examples, {len(set(labels))} full intents")
    print(f"{'fit':26} {'seconds':>8} {'iterations':>10}")
    probabilities = []
    fits: Dict[str, Callable] = {"scikit-learn (L-BFGS)": scikit_learn_fit, "ours (Newton-CG, blocks)": our_fit}
    for name, fit in fits.items():
        model = _new_model(shipped_config())
        _feature_blocks(model, texts, vectors, fit=True)  # the n-gram vocabulary, outside the timing
        started = time.perf_counter()
        fit(model, texts, vectors, labels)
        seconds = time.perf_counter() - started
        print(f"{name:26} {seconds:>8.1f} {int(model['classifier'].n_iter_[0]):>10}", flush=True)
        probabilities.append(model["classifier"].predict_proba(_features(model, [e.text for e in dev], dev_vectors)))
    theirs, ours = probabilities
    print(f"independent dev set ({len(dev)} messages): same top intent for "
          f"{(theirs.argmax(1) == ours.argmax(1)).mean():.1%}, largest probability difference "
          f"{np.abs(theirs - ours).max():.4f}")


if __name__ == "__main__":
    main()
