"""How a customer feels in a chat message, in Indonesian (slang included) or English.

The classifier is trained at build time (``make setup`` runs
:mod:`cxm_store.sentiment_training`) from public data and written to
``var/sentiment/model`` (``CXM_SENTIMENT_MODEL`` overrides the folder); it is
never downloaded. :func:`score` gives a label and a score for one text; the
store calls it for every customer message (see ``touchpoints``).
"""
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from cxm_store import settings

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
    return Path(settings.load().sentiment_model or REPO_ROOT / "var" / "sentiment" / "model")


@dataclass(frozen=True)
class _Classifier:
    """The trained pipeline's parts, laid out for scoring one message at a time.

    ``LogisticRegression.predict_proba`` copies its 3 x 230,000 weights into
    column order on every call (1.5 ms a message); they are copied once here
    and the softmax of the multinomial model is applied directly (equal
    probabilities, tested in tests/test_sentiment_quality.py).
    """

    features: Any  # the TF-IDF union: text -> sparse row
    weights: Any  # features x classes, column order
    intercept: Any
    classes: tuple

    def probabilities(self, text: str) -> dict:
        import numpy

        logits = (self.features.transform([text]) @ self.weights)[0] + self.intercept
        exponentials = numpy.exp(logits - logits.max())
        return dict(zip(self.classes, exponentials / exponentials.sum()))


_lock = threading.Lock()
_loaded: dict = {}


def _model() -> Optional[_Classifier]:
    """The classifier from :func:`model_dir`, loaded once; None when it was never built."""
    path = model_dir() / MODEL_FILE
    with _lock:
        if path not in _loaded:
            _loaded[path] = _load(path)
        return _loaded[path]


def _load(path: Path) -> Optional[_Classifier]:
    if not path.exists():
        logger.warning("no sentiment model at %s (make setup builds it); not scoring", path)
        return None
    import joblib  # scikit-learn's own persistence; imported only when needed
    import numpy

    pipeline = joblib.load(path)
    regression = pipeline.steps[-1][1]
    return _Classifier(
        features=pipeline[:-1],
        weights=numpy.ascontiguousarray(regression.coef_.T),
        intercept=regression.intercept_,
        classes=tuple(regression.classes_),
    )


def score(text: str) -> Optional[Sentiment]:
    """The sentiment of ``text``, or None if there is nothing to judge or no model."""
    if not text or _WORDLESS.match(text):
        return None
    model = _model()
    if model is None:
        return None
    probabilities = model.probabilities(text)
    label = max(LABELS, key=lambda name: probabilities[name])
    return Sentiment(label, round(float(probabilities["positive"] - probabilities["negative"]), 4))
