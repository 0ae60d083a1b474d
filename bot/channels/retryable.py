"""A customer message the assistant cannot handle right now gets ``503`` + ``Retry-After``, never silence.

Rasa's REST channel answers ``200 []`` when handling a message raises, and
its agent ignores messages while the model loads: the customer is left
without an answer and without a reason. In the scaled topology that is what
a PostgreSQL cut (tracker store), a Redis cut (lock store) or a Rasa
process still starting looks like. Here such a message is refused with
``503 Service Unavailable``, ``Retry-After: 1`` and a JSON body
``{"error": ..., "retry_after": 1}``: the client sends it again a second
later (docs/deploy.md lists every status a client may retry). Any other
failure is a ``500``: retrying a bug does not help.

The log line names the error masked (``bot.capture.describe``): messages of
database errors quote the statement's parameters, i.e. what the customer typed.
"""
import logging
from typing import Any, Awaitable, Callable, Iterator, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import LockError
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.capture import describe, store_unavailable

logger = logging.getLogger(__name__)

RETRY_AFTER_S = 1


def _causes(error: Optional[BaseException]) -> Iterator[BaseException]:
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def service_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) means a store or broker cannot be reached now."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return any(
        store_unavailable(cause) or isinstance(cause, (LockError, RedisConnectionError, RedisTimeoutError, OSError))
        for cause in _causes(error)
    )


def refusal(reason: str, status: int = 503, retry_after: int = RETRY_AFTER_S) -> HTTPResponse:
    """The reply to a message that was not handled.

    ``503`` (not now) and ``429`` (too many) tell the client to send it again
    after ``Retry-After`` seconds; any other status is final.
    """
    if status not in (429, 503):
        return response.json({"error": reason}, status=status)
    return response.json(
        {"error": reason, "retry_after": retry_after}, status=status, headers={"Retry-After": str(retry_after)}
    )


async def handle_or_refuse(
    request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage
) -> Optional[HTTPResponse]:
    """Handle ``message``; None when it was handled, else the refusal to send instead of the replies."""
    # Rasa sets the agent before its model is loaded (a channel served
    # without Rasa, in a test, has none).
    agent = getattr(request.app.ctx, "agent", None)
    if agent is not None and not agent.is_ready():
        return refusal("the assistant is starting, send the message again")
    try:
        await on_new_message(message)
    except Exception as error:  # noqa: BLE001 - sorted into "retry" and "bug" below
        if service_unavailable(error):
            logger.warning("message from %s not handled, store unavailable: %s", message.sender_id, describe(error))
            return refusal("the assistant cannot reach its stores right now, send the message again")
        logger.error("message from %s not handled: %s", message.sender_id, describe(error))
        logger.debug("traceback", exc_info=True)
        return refusal("the message could not be handled", status=500)
    return None
