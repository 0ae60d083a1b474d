"""Photos customers send (web chat upload, Telegram): checked by content, cleaned of metadata.

Channels know nothing of the store: they clean the picture here and hand it to
an *image sink*, a function named by import path (``CXM_IMAGE_SINK``, default
:func:`cxm_store.customer_images.receive_photo`) that keeps it with the
customer's conversation and thanks the customer with :func:`thanks`, in
their language, saying so when the photo joins a damaged- or wrong-item claim.
Their language is the one the bot answers the conversation in (its tracker's
``language`` slot, :func:`conversation_language`), for a refusal too; only a
customer the bot has not met yet is answered in their device's language.

Checks: at most :data:`MAX_PHOTO_BYTES` (10 MB) as sent; a JPEG, PNG or WebP
picture by its content (Pillow reads it; the file name and the declared type
are ignored); at most :data:`MAX_PIXELS`. The stored copy is re-encoded from
the pixels alone, so EXIF (GPS position, camera, time), XMP, comments and
ICC profiles are gone; the EXIF orientation is applied first so the photo
still shows upright.
"""
import importlib
import io
import logging
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Text

from PIL import Image, ImageOps, UnidentifiedImageError

from bot import settings
from contract.dialogue import LANGUAGE_SLOT

logger = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
DEFAULT_SINK = "cxm_store.customer_images.receive_photo"

TOO_BIG = {
    "id": "Maaf Kak, foto maksimal 10 MB. Coba kirim foto yang lebih kecil ya.",
    "en": "Sorry, photos can be at most 10 MB. Please send a smaller one.",
}
NOT_A_PHOTO = {
    "id": "Maaf Kak, yang bisa dikirim hanya foto (JPEG, PNG atau WebP).",
    "en": "Sorry, only photos (JPEG, PNG or WebP) can be sent.",
}
THANKS_FOR_CLAIM = {
    "id": (
        "Terima kasih Kak, fotonya sudah kami terima dan kami simpan bersama klaim Kakak. "
        "Tim kami akan memeriksanya."
    ),
    "en": "Thank you, we have received the photo and kept it with your claim. Our team will look at it.",
}
# A claim's photo while no agent has the conversation: nobody looks at it until
# the customer asks for one, so the thanks says how (words the bot understands
# as asking for a person).
THANKS_FOR_CLAIM_ASK_FOR_TEAM = {
    "id": (
        "Terima kasih Kak, fotonya sudah kami terima dan kami simpan bersama klaim Kakak. "
        "Supaya tim CS kami langsung memeriksanya, ketik \"mau bicara dengan CS\" ya."
    ),
    "en": (
        "Thank you, we have received the photo and kept it with your claim. "
        "To have our team look at it now, type \"talk to an agent\"."
    ),
}
THANKS = {
    "id": "Terima kasih Kak, fotonya sudah kami terima. Ada yang bisa kami bantu terkait foto ini?",
    "en": "Thank you, we have received the photo. How can we help with it?",
}


class PhotoRefused(ValueError):
    """A picture we do not keep; ``reason`` is ``too_big`` or ``not_a_photo``."""

    def __init__(self, reason: Text) -> None:
        super().__init__(reason)
        self.reason = reason

    def message(self, language: Optional[Text]) -> Text:
        """What to tell the customer, in their language (Indonesian by default)."""
        texts = TOO_BIG if self.reason == "too_big" else NOT_A_PHOTO
        return texts.get(language or "id", texts["id"])


@dataclass(frozen=True)
class CleanPhoto:
    """A photo re-encoded from its pixels: no metadata left."""

    data: bytes
    content_type: Text
    width: int
    height: int


def thanks(language: Optional[Text], for_claim: bool, team_on_it: bool = True) -> Text:
    """The thanks for a kept photo, in the customer's language.

    Args:
        language: The language the bot answers the customer in.
        for_claim: The photo joins a damaged- or wrong-item claim: the thanks says so.
        team_on_it: An agent has the conversation or it waits for one; if not, a
            claim's thanks tells the customer how to have the team look at the photo.
    """
    if for_claim:
        texts = THANKS_FOR_CLAIM if team_on_it else THANKS_FOR_CLAIM_ASK_FOR_TEAM
    else:
        texts = THANKS
    return texts.get(language or "id", texts["id"])


def clean_photo(data: bytes) -> CleanPhoto:
    """Check ``data`` is a photo within the limits and return it without metadata.

    Raises:
        PhotoRefused: Too big, or not a JPEG/PNG/WebP picture (whatever its name says).
    """
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRefused("too_big")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            if kind not in FORMATS or probe.width * probe.height > MAX_PIXELS:
                raise PhotoRefused("not_a_photo")
            probe.verify()
        with Image.open(io.BytesIO(data)) as picture:
            upright = ImageOps.exif_transpose(picture)
            mode = "RGB" if kind == "JPEG" else ("RGBA" if "A" in upright.getbands() else "RGB")
            pixels = upright.convert(mode)
            bare = Image.frombytes(mode, pixels.size, pixels.tobytes())
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise PhotoRefused("not_a_photo") from None
    out = io.BytesIO()
    bare.save(out, kind, **({"quality": 88} if kind in ("JPEG", "WEBP") else {}))
    return CleanPhoto(out.getvalue(), FORMATS[kind], bare.width, bare.height)


# sink(bot channel, sender id, photo, when, thanks, language=None) -> {"image_id", "conversation_id", "thanks", ...}
PhotoSink = Callable[..., Dict[Text, Any]]


async def conversation_language(app: Any, sender: Text) -> Optional[Text]:
    """The language the bot answers ``sender`` in (their tracker's slot); None if the bot has not met them.

    Args:
        app: The Rasa server's Sanic app (its agent holds the tracker store).
        sender: The customer's sender id.
    """
    tracker_store = getattr(getattr(app.ctx, "agent", None), "tracker_store", None)
    if tracker_store is None:
        return None
    try:
        tracker = await tracker_store.retrieve(sender)
    except Exception:  # noqa: BLE001 - an outage must not cost the customer their answer
        logger.warning("Language of %s not read (tracker store unavailable)", sender, exc_info=True)
        return None
    return tracker.get_slot(LANGUAGE_SLOT) if tracker else None


def photo_sink() -> PhotoSink:
    """The configured sink (``CXM_IMAGE_SINK``: ``module:function`` or ``module.function``)."""
    path = settings.load().image_sink or DEFAULT_SINK
    module, _, name = path.replace(":", ".").rpartition(".")
    return getattr(importlib.import_module(module), name)
