"""Train the sentiment classifier at build time and report macro-F1 on held-out data.

    PYTHONPATH=. .venv/bin/python -m cxm_store.sentiment_training   (make setup runs it)

Data: ``../shared/data/sentiment`` beside the repository (``CXM_SENTIMENT_DATA``
overrides it), the public train and validation splits of NusaX-Senti in
Indonesian and English (Winata et al. 2023; the NusaX README says
CC-BY-SA-4.0 for the data, Apache-2.0 for the code) and IndoNLU's SmSA
(Wilie et al. 2020; Apache-2.0 repository licence). The model is built here,
under ``var/`` (git-ignored), never committed nor downloaded.

Shop chat: the public data are reviews and comments, where "where is my
order?" reads as a complaint. The assistant's own customer examples
(``data/nlu/*.yml``, read only) of intents whose sentiment is plain are added
with that label (:data:`INTENT_SENTIMENT`: order and FAQ questions neutral,
``complain`` negative, ``thanks`` positive); every fifth is held out as the
``serambi-chat`` validation set.

Model: TF-IDF word 1-2-grams and character 2-5-grams (what makes slang and
typos like "bgt", "kecewaaa" work) into a class-balanced logistic regression.

Held out: the validation splits are never trained on. NusaX was translated
from SmSA, so some NusaX validation sentences are in SmSA's training split
almost word for word; every training text whose word TF-IDF cosine to any
validation text reaches :data:`NEAR_DUPLICATE` is dropped before training.
"""
import csv
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

from cxm_store.sentiment import MODEL_FILE, REPO_ROOT, model_dir

Example = Tuple[str, str]  # (text, label)
PUBLIC_DATASETS = ("nusax-id", "nusax-en", "smsa")
SHOP_CHAT = "serambi-chat"
DATASETS = PUBLIC_DATASETS + (SHOP_CHAT,)
NLU_DIR = REPO_ROOT / "data" / "nlu"
# Intents whose examples carry one plain sentiment. Damaged or wrong items,
# late deliveries and requests for a person can be said calmly or angrily,
# so they are left out.
INTENT_SENTIMENT = {
    "complain": "negative",
    "thanks": "positive",
    **{
        intent: "neutral"
        for intent in (
            "check_order_status", "greet", "help", "affirm", "faq/shipping_time",
            "faq/shipping_cost", "faq/payment_methods", "faq/store_hours_contacts",
            "faq/vouchers", "faq/warranty", "faq/product_availability", "faq/change_address",
            "faq/account_password", "faq/returns", "faq/refunds", "faq/cancel_order",
        )
    },
}
_ENTITY_MARKUP = re.compile(r"\[([^\]]+)\]\([^)]*\)")
NEAR_DUPLICATE = 0.7
# SmSA has 11,000 training texts, each NusaX language 500: weighting NusaX
# three times keeps the short, translated sentences (and English) heard.
NUSAX_WEIGHT = 3.0
EVALUATION_FILE = "evaluation.json"

# Published macro-F1 on each dataset's *test* split (ours is the validation
# split: same distribution, not the same sentences; NusaX valid has 100).
PUBLISHED = {
    "smsa": (
        "IndoNLU (Wilie et al. 2020) test F1 as reprinted on the NusaBERT project page "
        "(lazarusnlp.github.io/projects/nusabert): mBERT 84.14, XLM-R large 92.35, "
        "IndoBERT-base p1 87.73, IndoBERT-large p1 92.72"
    ),
    "nusax-id": (
        "NusaX (Winata et al. 2023), Indonesian: classical NB/SVM/LR in the 70s, fine-tuned "
        "IndoBERT-large / XLM-R-large about 90 (from memory, to be checked)"
    ),
    "nusax-en": (
        "NusaX (Winata et al. 2023), English: classical NB/SVM/LR in the 70s, fine-tuned "
        "XLM-R-large about 90 (from memory, to be checked)"
    ),
    SHOP_CHAT: "none (this shop's own customer examples)",
}


def data_dir() -> Path:
    """The public sentiment data (``CXM_SENTIMENT_DATA`` or ``../shared/data/sentiment``)."""
    return Path(
        os.environ.get("CXM_SENTIMENT_DATA") or REPO_ROOT.parent / "shared" / "data" / "sentiment"
    )


def shop_chat(split: str) -> List[Example]:
    """The assistant's customer examples of :data:`INTENT_SENTIMENT` intents; ``valid``
    is every fifth of each intent, ``train`` the rest.
    """
    import yaml

    examples: List[Example] = []
    for path in sorted(NLU_DIR.glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            label = INTENT_SENTIMENT.get(block.get("intent"))
            if label is None:
                continue
            lines = [line[2:].strip() for line in block["examples"].splitlines()
                     if line.startswith("- ")]
            for index, line in enumerate(lines):
                if (index % 5 == 4) == (split == "valid"):
                    examples.append((_ENTITY_MARKUP.sub(r"\1", line), label))
    return examples


def load(dataset: str, split: str) -> List[Example]:
    """One split (``train`` or ``valid``) of one dataset as (text, label) pairs."""
    if dataset == SHOP_CHAT:
        return shop_chat(split)
    folder = data_dir() / dataset
    if dataset == "smsa":
        # text, a tab, the label; no header (texts hold no tabs).
        with open(folder / f"{split}.tsv", encoding="utf-8") as handle:
            return [tuple(line.rstrip("\n").rsplit("\t", 1)) for line in handle if line.strip()]
    with open(folder / f"{split}.csv", encoding="utf-8", newline="") as handle:
        return [(row["text"], row["label"]) for row in csv.DictReader(handle)]


def held_out_training_set(
    train: Dict[str, List[Example]], valid: Dict[str, List[Example]]
) -> Tuple[List[str], List[str], List[float], int]:
    """Training texts, labels and weights without near-copies of any validation text.

    Returns:
        (texts, labels, sample weights, how many training texts were dropped).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    rows = [(text, label, name) for name in DATASETS for text, label in train[name]]
    held_out = [text for name in DATASETS for text, _ in valid[name]]
    words = TfidfVectorizer().fit([text for text, _, _ in rows] + held_out)
    nearest = linear_kernel(
        words.transform([text for text, _, _ in rows]), words.transform(held_out)
    ).max(axis=1)
    kept = [row for row, similarity in zip(rows, nearest) if similarity < NEAR_DUPLICATE]
    weights = [NUSAX_WEIGHT if name.startswith("nusax") else 1.0 for _, _, name in kept]
    return [t for t, _, _ in kept], [label for _, label, _ in kept], weights, len(rows) - len(kept)


def build_pipeline():
    """The untrained classifier: word and character TF-IDF into logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    )
    return make_pipeline(
        features, LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000)
    )


def train_and_evaluate(out: Path) -> Dict[str, object]:
    """Train on the train splits, score every validation split; write model and figures
    to ``out``.
    """
    import joblib
    from sklearn.metrics import f1_score

    began = time.perf_counter()
    train = {name: load(name, "train") for name in DATASETS}
    valid = {name: load(name, "valid") for name in DATASETS}
    texts, labels, weights, dropped = held_out_training_set(train, valid)
    model = build_pipeline()
    model.fit(texts, labels, logisticregression__sample_weight=weights)
    macro_f1 = {
        name: float(f1_score([label for _, label in rows],
                             model.predict([text for text, _ in rows]), average="macro"))
        for name, rows in valid.items()
    }
    figures = {
        "macro_f1_valid": macro_f1,
        "valid_sizes": {name: len(rows) for name, rows in valid.items()},
        "trained_on": len(texts),
        "dropped_near_duplicates": dropped,
        "seconds": round(time.perf_counter() - began, 1),
    }
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, out / MODEL_FILE, compress=3)
    (out / EVALUATION_FILE).write_text(json.dumps(figures, indent=2) + "\n")
    return figures


def report(figures: Dict[str, object]) -> str:
    """The figures as lines of text, each dataset beside its published baselines."""
    lines = [
        f"sentiment: trained on {figures['trained_on']} texts "
        f"({figures['dropped_near_duplicates']} near-copies of validation texts dropped) "
        f"in {figures['seconds']} s",
        "macro-F1 on the validation splits (never trained on):",
    ]
    for name in DATASETS:
        lines.append(
            f"  {name:12} {figures['macro_f1_valid'][name]:.3f} "
            f"({figures['valid_sizes'][name]} texts)   published: {PUBLISHED[name]}"
        )
    return "\n".join(lines)


def main() -> int:
    """Train into :func:`cxm_store.sentiment.model_dir` and print the evaluation."""
    if not data_dir().is_dir():
        print(f"error: no sentiment data at {data_dir()} (set CXM_SENTIMENT_DATA)", file=sys.stderr)
        return 2
    print(report(train_and_evaluate(model_dir())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
