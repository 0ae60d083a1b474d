"""Reading a customer's survey answer from what they typed.

Customers answer a 1-5 question with "4", "empat", "bagus banget", "😀" or
"4/5"; this turns such text into a score on the question's scale, or says the
answer is unclear or a refusal. Out-of-range numbers ("7" on a 1-5 scale) are
unclear, not clamped: the customer meant something we must ask again.
"""
import re
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from contract.vocabulary import RATING_KINDS
from contract.vocabulary import SCALES as _ALL_SCALES

# Scales of the rating questions: (lowest, highest).
SCALES: Dict[str, Tuple[int, int]] = {kind: _ALL_SCALES[kind] for kind in RATING_KINDS}

_NUMBER_WORDS = {
    # Indonesian / Malay
    "nol": 0, "kosong": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5,
    "enam": 6, "tujuh": 7, "delapan": 8, "lapan": 8, "sembilan": 9, "sepuluh": 10,
    # English
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}

# Sentiment on a 0..1 scale; mapped onto the question's own scale.
_SENTIMENT_PHRASES = (
    # strongest first: "bagus banget" must win over "bagus"
    (("bagus banget", "bagus sekali", "sangat puas", "puas banget", "mantap banget",
      "keren banget", "sangat membantu", "sangat mudah", "mudah banget", "gampang banget",
      "excellent", "amazing", "awesome", "perfect", "very good", "very easy", "super easy",
      "love it", "terbaik", "sempurna", "mantul", "mantap"), 1.0),
    (("terrible", "awful", "horrible", "worst", "very bad", "very hard", "very difficult",
      "parah", "jelek banget", "buruk sekali", "sangat buruk", "kecewa berat",
      "susah banget", "sulit banget", "ribet banget", "sangat sulit"), 0.0),
    (("ga puas", "gak puas", "nggak puas", "tidak puas", "tak puas", "ga membantu",
      "gak membantu", "tidak membantu", "not satisfied", "not happy", "unhappy",
      "not helpful", "kurang puas", "kurang bagus", "kurang membantu", "agak susah", "agak sulit",
      "not good", "not great", "poor", "bad", "hard", "difficult", "jelek", "buruk",
      "kecewa", "susah", "sulit", "ribet"), 0.25),
    (("biasa aja", "biasa saja", "lumayan", "so so", "so-so", "okay", "ok lah", "average",
      "meh", "fine i guess", "not bad", "lumayan lah", "standar",
      "netral", "neutral", "cukup"), 0.5),
    (("bagus", "puas", "membantu", "mudah", "gampang", "good", "great", "easy",
      "helpful", "nice", "keren", "oke banget", "senang", "happy"), 0.75),
)

_EMOJI = {
    "😍": 1.0, "🤩": 1.0, "🥰": 1.0, "😀": 1.0, "😁": 1.0, "😄": 1.0, "❤️": 1.0, "❤": 1.0,
    "👍": 0.75, "🙂": 0.75, "😊": 0.75, "😐": 0.5, "😶": 0.5, "🙁": 0.25, "😕": 0.25,
    "👎": 0.25, "😞": 0.25, "😠": 0.0, "😡": 0.0, "🤬": 0.0, "😭": 0.0,
}

_REFUSALS = re.compile(
    r"\b(skip|lewat(i|in)?|ga(k)? mau|nggak mau|tidak mau|tak nak|no thanks|"
    r"nanti aja|males|malas|tidak usah|ga(k)? usah|gausah|don'?t want|rather not|pass)\b"
)
_FRACTION = re.compile(r"^\s*(\d{1,2})\s*(/|dari|out of|of)\s*(\d{1,2})\s*$")
# "4 bintang", "5 stars": a count of stars on the 1-5 scale.
_STAR_WORDS = re.compile(r"^\s*(\d)\s*(bintang|stars?|⭐|★)\s*$")
# A reading at or under this share of its scale is an unhappy answer.
UNHAPPY_SHARE = 0.25
# Words that make an answer a remark worth keeping as the comment.
REMARK_WORDS = 3
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3})(?![\w.])")
_STARS = re.compile(r"^[\s⭐★]+$")


@dataclass(frozen=True)
class Reading:
    """What a survey answer said.

    Attributes:
        score: The score on the question's scale, if the answer gave one.
        declined: Whether the customer refused to answer.
    """

    score: Optional[int] = None
    declined: bool = False

    @property
    def unclear(self) -> bool:
        return self.score is None and not self.declined


def _on_scale(share: float, scale: Tuple[int, int]) -> int:
    low, high = scale
    return low + round(share * (high - low))


def share_of_scale(score: int, kind: str) -> float:
    """Where ``score`` lies on question ``kind``'s scale, from 0 (worst) to 1 (best)."""
    low, high = SCALES[kind]
    return (score - low) / (high - low)


def is_unhappy(score: int, kind: str) -> bool:
    """Whether ``score`` says the customer is unhappy (CSAT 1-2, CES 1-2, NPS 0-2)."""
    return share_of_scale(score, kind) <= UNHAPPY_SHARE


def is_remark(text: str) -> bool:
    """Whether ``text`` says something in words ("lama bgt prosesnya"), not only a score."""
    return len(re.findall(r"[^\W\d_]{2,}", text or "")) >= REMARK_WORDS


def is_refusal(text: str) -> bool:
    """Whether the customer refuses to answer ("skip", "gak mau", "no thanks")."""
    return bool(_REFUSALS.search((text or "").lower()))


def read_score(text: str, kind: str) -> Reading:
    """Read a score for survey question ``kind`` ("csat", "ces" or "nps") from ``text``."""
    scale = SCALES[kind]
    low, high = scale
    cleaned = (text or "").strip().lower()
    if not cleaned:
        return Reading()
    if is_refusal(cleaned):
        return Reading(declined=True)
    if _STARS.match(cleaned):
        stars = sum(1 for ch in cleaned if ch in "⭐★")
        return Reading(score=stars) if low <= stars <= high else Reading()

    star_words = _STAR_WORDS.match(cleaned)
    if star_words:
        count = int(star_words.group(1))
        return Reading(score=_on_scale((count - 1) / 4, scale)) if 1 <= count <= 5 else Reading()

    fraction = _FRACTION.match(cleaned)
    if fraction:
        value, total = int(fraction.group(1)), int(fraction.group(3))
        if total == high and low <= value <= high:
            return Reading(score=value)
        if 0 < total and 0 <= value <= total:
            return Reading(score=_on_scale(value / total, scale))
        return Reading()

    numbers = [int(n) for n in _NUMBER.findall(cleaned)]
    words = re.findall(r"[a-z]+", cleaned)
    numbers += [_NUMBER_WORDS[w] for w in words if w in _NUMBER_WORDS]
    if len(set(numbers)) == 1:
        value = numbers[0]
        return Reading(score=value) if low <= value <= high else Reading()
    if len(set(numbers)) > 1:
        return Reading()

    for phrases, share in _SENTIMENT_PHRASES:
        if any(re.search(rf"\b{re.escape(p)}\b", cleaned) for p in phrases):
            return Reading(score=_on_scale(share, scale))
    emoji = [share for symbol, share in _EMOJI.items() if symbol in cleaned]
    if emoji:
        return Reading(score=_on_scale(max(emoji), scale))
    return Reading()
