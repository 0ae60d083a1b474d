"""Transcript text and ticket contacts encrypted at rest, with keys from the environment.

``CXM_DATA_KEYS`` holds one or more keys, space-separated, each
``<id>:<base64 of 64 random bytes>`` (``python -m cxm_store new-data-key``
prints one). The first encrypts; every one decrypts, so a key is rotated by
putting a new one first, keeping the old one after it, running
``python -m cxm_store rotate-data-key`` (re-encrypts every row with the
first key) and then dropping the old key (docs/privacy.md).

Encryption is deterministic (AES-SIV, RFC 5297, from ``cryptography``): the
same text under the same key gives the same ciphertext. That keeps what the
store does in SQL working on encrypted columns: the capture's de-duplication
compares a message with the stored one, and the dashboard groups identical
unrecognised questions. The price is that equal texts are visibly equal in
the database; their content is not. A randomised scheme (Fernet) would break
both.

Values are stored as ``enc1:<key id>:<base64>``. A value without that
prefix is read as written, so a store that ran without keys keeps working
and ``rotate-data-key`` encrypts it. A value whose key is missing, or which
the key does not authenticate, raises :class:`UnreadableData`: a wrong key
never yields text.
"""
import base64
import binascii
import secrets
from functools import lru_cache
from typing import Dict, Optional, Tuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from sqlalchemy.types import Text, TypeDecorator

from cxm_store import settings

PREFIX = "enc1:"
KEYS_VARIABLE = settings.DATA_KEYS_VARIABLE
KEY_BYTES = 64  # AES-256-SIV


class UnreadableData(Exception):
    """An encrypted value that the configured keys cannot decrypt."""


@lru_cache(maxsize=8)
def _keyring(spec: str) -> Tuple[Optional[str], Dict[str, AESSIV]]:
    keys: Dict[str, AESSIV] = {}
    primary = None
    for item in spec.split():
        key_id, _, encoded = item.partition(":")
        try:
            raw = base64.urlsafe_b64decode(encoded)
        except (binascii.Error, ValueError):
            raise ValueError(f"{KEYS_VARIABLE}: key {key_id!r} is not base64") from None
        if not key_id or len(raw) != KEY_BYTES:
            raise ValueError(f"{KEYS_VARIABLE}: each key is <id>:<base64 of {KEY_BYTES} bytes>")
        keys[key_id] = AESSIV(raw)
        primary = primary or key_id
    return primary, keys


def keyring() -> Tuple[Optional[str], Dict[str, AESSIV]]:
    """(id of the key that encrypts, every key by id) from ``CXM_DATA_KEYS``."""
    return _keyring(settings.load().data_keys.strip())


def new_key(key_id: str) -> str:
    """A fresh key, as one ``CXM_DATA_KEYS`` item."""
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


def encrypt(text: Optional[str]) -> Optional[str]:
    """``text`` encrypted with the first key (as is when no key is configured)."""
    primary, keys = keyring()
    if text is None or primary is None or text.startswith(PREFIX):
        return text
    token = keys[primary].encrypt(text.encode("utf-8"), None)
    return f"{PREFIX}{primary}:{base64.urlsafe_b64encode(token).decode()}"


def decrypt(stored: Optional[str]) -> Optional[str]:
    """The text of a stored value (a value without the prefix is returned as is)."""
    if stored is None or not stored.startswith(PREFIX):
        return stored
    key_id, _, encoded = stored[len(PREFIX):].partition(":")
    key = keyring()[1].get(key_id)
    if key is None:
        raise UnreadableData(f"encrypted with key {key_id!r}, which {KEYS_VARIABLE} does not hold")
    try:
        return key.decrypt(base64.urlsafe_b64decode(encoded), None).decode("utf-8")
    except (InvalidTag, binascii.Error, ValueError):
        raise UnreadableData(f"key {key_id!r} does not decrypt this value (wrong key?)") from None


def is_current(stored: Optional[str]) -> bool:
    """Whether a stored value is already encrypted with the first key (or needs none)."""
    primary, _ = keyring()
    return stored is None or primary is None or stored.startswith(f"{PREFIX}{primary}:")


class EncryptedText(TypeDecorator):
    """A text column stored encrypted (see the module); reads and writes plain ``str``."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Optional[str], dialect) -> Optional[str]:  # noqa: ANN001
        return encrypt(value)

    def process_result_value(self, value: Optional[str], dialect) -> Optional[str]:  # noqa: ANN001
        return decrypt(value)
