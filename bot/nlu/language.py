"""Which language a customer writes in: Bahasa Indonesia (Malay included) or English.

The detector votes word by word with spaCy's Indonesian and English stop-word
lists (shipped with spaCy, nothing downloaded) plus the chat words customers of
an Indonesian shop actually type ("kak", "gmn", "udh", "ongkir", Malay "nak",
"tak"). Messages with no clear majority (an order number, "ok", an emoji) get no
language, so the conversation keeps the one it had: that is what lets a
customer switch languages without a single "ok" flipping the reply language.
"""
from typing import Any, Dict, Iterable, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH_STOP_WORDS
from spacy.lang.id.stop_words import STOP_WORDS as INDONESIAN_STOP_WORDS

from bot.nlu.parse_keys import ENGLISH, INDONESIAN, LANGUAGE_KEY, LANGUAGE_MARGIN_KEY

_INDONESIAN_CHAT = {
    # informal chat Indonesian
    "kak", "kakak", "ka", "min", "gan", "sis", "bang", "mas", "mbak", "gmn", "gimana",
    "udh", "udah", "blm", "blom", "brp", "gak", "ga", "gk", "nggak", "ngga", "enggak",
    "tdk", "dong", "sih", "deh", "nih", "tuh", "kok", "yg", "aja", "sy", "aku", "gw",
    "gue", "knp", "kenapa", "dmn", "makasih", "mksh", "trims", "trimakasih",
    "pengen", "pesenan", "mantap", "banget", "bgt", "bener", "betul", "iya", "yaudah",
    # Malay
    "nak", "tak", "awak", "macam", "kos", "penghantaran", "wang", "duit", "pulangkan",
    "terima", "kasih", "tq", "baik", "boleh",
    # the shop's own vocabulary
    "halo", "hai", "selamat", "pagi", "siang", "sore", "malam", "pesanan", "paket",
    "barang", "ongkir", "kirim", "dikirim", "pengiriman", "bayar", "pembayaran", "cek",
    "tolong", "bantu", "bantuan", "komplain", "kecewa", "parah", "rusak", "salah",
    "tukar", "retur", "pengembalian", "dana", "akun", "sandi", "lupa", "alamat", "ganti",
    "ubah", "batal", "batalin", "stok", "garansi", "kode", "diskon", "jam", "buka",
    "tutup", "toko", "nomor", "terlambat", "telat", "pecah", "cacat", "sampai",
    "manusia", "orang", "pesan", "belanja", "harga", "murah", "mahal", "dadah",
}

_ENGLISH_CHAT = {
    "hi", "hello", "hey", "thanks", "thank", "thx", "ty", "pls", "plz", "yes", "yeah",
    "yep", "yup", "nope", "bye", "goodbye", "great", "good", "morning", "evening",
    "order", "orders", "package", "parcel", "delivery", "deliver", "delivered",
    "shipping", "ship", "shipped", "return", "returns", "payment", "pay", "cancel",
    "address", "password", "account", "store", "hours", "open", "stock", "available",
    "warranty", "broken", "damaged", "wrong", "late", "item", "items", "human", "agent",
    "person", "help", "track", "tracking", "want", "need", "talk", "speak", "real",
    "can't", "don't", "i'm", "it's", "where's", "what's", "how's", "please", "awesome",
}

# Words both languages use the same way carry no vote.
_SHARED = {"ok", "oke", "okay", "status", "voucher", "promo", "refund", "cod", "cs",
           "admin", "bot", "online", "email", "chat", "per", "app", "link", "sorry"}

INDONESIAN_WORDS = frozenset((INDONESIAN_STOP_WORDS | _INDONESIAN_CHAT) - _SHARED)
ENGLISH_WORDS = frozenset((ENGLISH_STOP_WORDS | _ENGLISH_CHAT) - _SHARED - INDONESIAN_WORDS)

# Indonesian and Malay enclitics ("pesananku", "barangnya", "bisakah").
_INDONESIAN_SUFFIXES = ("nya", "ku", "kah", "lah", "mu")


def detect_language(words: Iterable[Text]) -> Optional[Text]:
    """Return "id" or "en" for the words of one message, or None if unclear.

    Args:
        words: The message's tokens, in any case.

    Returns:
        The language with more votes, or None on a tie (including no votes).
    """
    return detect_language_with_margin(words)[0]


def detect_language_with_margin(words: Iterable[Text]) -> Tuple[Optional[Text], int]:
    """Return the language with more votes (None on a tie) and its lead in votes."""
    indonesian = english = 0
    for word in (w.lower() for w in words):
        if word in INDONESIAN_WORDS:
            indonesian += 1
        elif word in ENGLISH_WORDS:
            english += 1
        elif len(word) > 5 and word.isalpha() and word.endswith(_INDONESIAN_SUFFIXES):
            indonesian += 1
    if indonesian == english:
        return None, 0
    return (INDONESIAN if indonesian > english else ENGLISH), abs(indonesian - english)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class LanguageDetector(GraphComponent):
    """Adds the detected language to each parsed message under ``language``."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        """Creates the component (it has no state to train or load)."""
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets ``language`` on each message whose language is clear."""
        for message in messages:
            # A button payload ("/request_human") says nothing about language.
            if (message.get(TEXT) or "").startswith("/"):
                continue
            tokens = message.get(TOKENS_NAMES[TEXT]) or []
            language, margin = detect_language_with_margin(token.text for token in tokens)
            if language:
                message.set(LANGUAGE_KEY, language, add_to_output=True)
                message.set(LANGUAGE_MARGIN_KEY, margin, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data needs no language: the classifiers are shared."""
        return training_data
