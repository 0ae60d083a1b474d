"""Sends messages made only of words the assistant has never seen to the fallback.

Character n-grams make the classifier robust to slang and typos, and also make
it confidently wrong on gibberish and markup ("zzzz xxxx", "<script>"): a
random string still shares n-grams with some intent. A message none of whose
words occur in the training data is not one the classifier can judge, so it
is marked ``nlu_fallback`` and the customer is asked what they meant.

A word one typo away from a known word (a letter missing, added or changed:
"makasi", "iyaa", "hii") counts as known, so slang and typos still reach the
classifier.
"""
from typing import Any, Dict, List, Optional, Set, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import dump_obj_as_json_to_file, read_json_file

from contract.dialogue import FALLBACK_INTENT

FALLBACK_INTENT = FALLBACK_INTENT
_VOCABULARY_FILE = "vocabulary.json"


# Shorter words are one edit away from too many others to tell anything.
_MIN_FUZZY_LENGTH = 3


def _deletions(word: Text) -> Set[Text]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


class Vocabulary:
    """The training words, with one-edit look-up by the symmetric-deletion method."""

    def __init__(self, words: Set[Text]) -> None:
        self.words = words
        self._deleted = set().union(*(_deletions(w) for w in words if len(w) >= _MIN_FUZZY_LENGTH))

    def knows(self, word: Text) -> bool:
        """Whether ``word`` is a training word or one insertion, deletion or substitution away."""
        if word in self.words:
            return True
        if len(word) < _MIN_FUZZY_LENGTH:
            return False
        if word in self._deleted:
            return True
        return any(d in self.words or d in self._deleted for d in _deletions(word))


def _words(message: Message) -> List[Text]:
    """Lower-cased alphabetic tokens; numbers, emoji and punctuation carry no vote."""
    return [
        token.text.lower()
        for token in message.get(TOKENS_NAMES[TEXT]) or []
        if token.text.isalpha()
    ]


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class UnknownWordsFallback(GraphComponent):
    """Overrides the intent with ``nlu_fallback`` when no word is known."""

    def __init__(
        self,
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: Optional[Set[Text]] = None,
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = Vocabulary(vocabulary or set())

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "UnknownWordsFallback":
        return cls(model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "UnknownWordsFallback":
        with model_storage.read_from(resource) as directory:
            vocabulary = set(read_json_file(directory / _VOCABULARY_FILE))
        return cls(model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        """Remembers every word of the training examples."""
        words: Set[Text] = set()
        for example in training_data.training_examples:
            words.update(_words(example))
        self.vocabulary = Vocabulary(words)
        with self._model_storage.write_to(self._resource) as directory:
            dump_obj_as_json_to_file(directory / _VOCABULARY_FILE, sorted(words))
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        """Marks messages with words but none known as not understood."""
        for message in messages:
            words = _words(message)
            if not words or any(self.vocabulary.knows(word) for word in words):
                continue
            if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == FALLBACK_INTENT:
                continue
            fallback = {INTENT_NAME_KEY: FALLBACK_INTENT, "confidence": 1.0}
            message.data[INTENT] = fallback
            # The classifier's guesses on unknown words are noise: suggesting
            # them as topics would mislead, so the clarification shows the menu.
            message.data[INTENT_RANKING_KEY] = [fallback]
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
