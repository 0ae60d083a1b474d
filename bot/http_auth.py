"""Bearer tokens on the bot's HTTP endpoints (Rasa's API, the REST webhook).

Tokens travel only in ``Authorization: Bearer <token>`` headers: a token in
a URL ends up in access logs, proxies and browser history.
"""
import hmac
from typing import Optional, Text


def bearer_token(authorization: Optional[Text]) -> Optional[Text]:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def carries_token(authorization: Optional[Text], expected: Text) -> bool:
    """Whether the header carries ``expected`` (compared in constant time)."""
    given = bearer_token(authorization)
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
