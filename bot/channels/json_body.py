"""A webhook's JSON body, or None when it is not a JSON object.

Sanic's ``request.json`` raises on a body that is not UTF-8 (a 500), and
any valid JSON (a list, a number) gets through; webhooks want an object
and a 400 otherwise. Found by the webhook fuzz run (issue 12).
"""
from typing import Any, Dict, Optional

from sanic.request import Request


def json_object(request: Request) -> Optional[Dict[str, Any]]:
    """The body as a dict, or None if it is missing, not JSON, not UTF-8 or not an object."""
    try:
        body = request.json
    except Exception:  # noqa: BLE001 - Sanic raises several kinds for a bad body
        return None
    return body if isinstance(body, dict) else None
