"""How a customer feels in a chat message, in Indonesian (slang included) or English.

The classifier is trained at build time (``make setup`` runs
:mod:`cxm_store.sentiment_training`) from public data and written to
``var/sentiment/model`` (``CXM_SENTIMENT_MODEL`` overrides the folder); it is
never downloaded. :func:`score` gives a label and a score for one text; the
store calls it for every customer message (see ``touchpoints``).
"""
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
LABELS = ("negative", "neutral", "positive")
MODEL_FILE = "pipeline.joblib"
# Nothing to judge: no letter or digit (an empty message, an emoji alone, "??").
_WORDLESS = re.compile(r"^\W*$")


@dataclass(frozen=True)
class Sentiment:
    """The classifier's reading of one message.

    Attributes:
        label: ``negative``, ``neutral`` or ``positive`` (the likeliest class).
        score: P(positive) - P(negative), from -1 (surely negative) to 1.
    """

    label: str
    score: float


def model_dir() -> Path:
    """Where the trained model lives (``CXM_SENTIMENT_MODEL`` or ``var/sentiment/model``)."""
    return Path(os.environ.get("CXM_SENTIMENT_MODEL") or REPO_ROOT / "var" / "sentiment" / "model")


_lock = threading.Lock()
_loaded: dict = {}


def _model() -> Optional[Any]:
    """The pipeline from :func:`model_dir`, loaded once; None when it was never built."""
    path = model_dir() / MODEL_FILE
    with _lock:
        if path not in _loaded:
            if path.exists():
                import joblib  # scikit-learn's own persistence; imported only when needed

                _loaded[path] = joblib.load(path)
            else:
                logger.warning("no sentiment model at %s (make setup builds it); not scoring", path)
                _loaded[path] = None
        return _loaded[path]


def score(text: str) -> Optional[Sentiment]:
    """The sentiment of ``text``, or None if there is nothing to judge or no model."""
    if not text or _WORDLESS.match(text):
        return None
    model = _model()
    if model is None:
        return None
    probabilities = dict(zip(model.classes_, model.predict_proba([text])[0]))
    label = max(LABELS, key=lambda name: probabilities[name])
    return Sentiment(label, round(float(probabilities["positive"] - probabilities["negative"]), 4))
