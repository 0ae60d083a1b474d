"""Rasa's command line, started with one speed fix and the token kept out of sight.

Rasa 3.6 checks every action server reply against its JSON schema with
``jsonschema.validate``, which validates the (fixed) schema itself first, on
every call: about 20 ms of CPU on this machine, and the ``language`` slot's
mapping makes one action call per customer message. Here the validator is
built once. A reply that breaks the schema is still refused with Rasa's
error message.

The ``language`` slot's mapping runs in this process, not on the action
server (bot/in_process_actions.py).

With the scaled topology's RabbitMQ broker, each reply waits until its events are
confirmed (bot/event_broker.py), so killing the process loses no answered message.

The HTTP API token never appears on a command line or in a URL: ``rasa run``
gets it from ``RASA_AUTH_TOKEN`` in its environment (added to this process's
own ``sys.argv``, which ``ps`` and ``/proc/<pid>/cmdline`` do not show), and
clients send it as ``Authorization: Bearer <token>``. Rasa 3.6 itself only
reads a ``?token=`` query parameter (and only JWTs from the header), so its
check is replaced by one that reads the header and refuses the query form.

    python -m bot.rasa_server run --enable-api ...   # as ``rasa run ...``
"""
import os
import sys
from functools import lru_cache, wraps
from http import HTTPStatus
from inspect import isawaitable
from typing import Any, Callable, Dict, List, Optional, Text

import rasa.server
from jsonschema import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from bot.http_auth import carries_token


@lru_cache(maxsize=None)
def _action_reply_validator() -> Validator:
    schema = RemoteAction.action_response_format_spec()
    return validator_for(schema)(schema)


def validate_action_reply(_action: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Raise ``ValidationError`` unless ``result`` is a well-formed action server reply."""
    try:
        _action_reply_validator().validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your "
            "response from the Action endpoint is valid. For more information about "
            f"the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


TOKEN_VARIABLE = "RASA_AUTH_TOKEN"
_rasa_requires_auth = rasa.server.requires_auth


def requires_bearer_token(app: Any, token: Optional[Text] = None) -> Callable:
    """Rasa's ``requires_auth``, reading the token from the Authorization header.

    Without a token Rasa's own check applies (JWT, or an open API).
    """
    if token is None:
        return _rasa_requires_auth(app, token)

    def decorator(handler: Callable) -> Callable:
        @wraps(handler)
        async def guarded(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not carries_token(request.headers.get("Authorization"), token):
                raise rasa.server.ErrorResponse(
                    HTTPStatus.UNAUTHORIZED, "NotAuthenticated",
                    "Send the API token as 'Authorization: Bearer <token>'.",
                )
            result = handler(request, *args, **kwargs)
            return await result if isawaitable(result) else result

        return guarded

    return decorator


def with_token_from_environment(argv: List[Text]) -> List[Text]:
    """``argv`` plus ``--auth-token`` from :data:`TOKEN_VARIABLE` for ``run`` (unless given)."""
    token = os.environ.get(TOKEN_VARIABLE, "")
    given = any(a == "--auth-token" or a.startswith("--auth-token=") for a in argv)
    if argv[1:2] == ["run"] and token and not given:
        # One argument with "=": a random token may start with "-", which
        # argparse would read as an option of its own.
        return [*argv, f"--auth-token={token}"]
    return argv


def holding_replies(configure_app: Callable) -> Callable:
    """Rasa's ``configure_app``, with each reply held until its events are published
    (with the RabbitMQ broker of the scaled topology, see bot/event_broker.py).
    """
    from bot.event_broker import hold_replies_until_events_published

    @wraps(configure_app)
    def configure(*args: Any, **kwargs: Any) -> Any:
        app = configure_app(*args, **kwargs)
        hold_replies_until_events_published(app)
        return app

    return configure


def main() -> None:
    """Run Rasa's command line with the action reply check built once, header tokens,
    the language followed in process (bot/in_process_actions.py), an apology
    when a custom action fails (bot/action_outage.py) and no blank
    conversation while the tracker store is down (bot/tracker_store_outage.py).
    """
    import rasa.core.run
    from rasa.__main__ import main as rasa_main

    from bot.action_outage import apologise_for_failed_actions
    from bot.in_process_actions import run_slot_mappings_in_process
    from bot.tracker_store_outage import refuse_turns_while_tracker_store_down

    RemoteAction._validate_action_result = validate_action_reply
    rasa.server.requires_auth = requires_bearer_token
    rasa.core.run.configure_app = holding_replies(rasa.core.run.configure_app)
    run_slot_mappings_in_process()
    apologise_for_failed_actions()
    refuse_turns_while_tracker_store_down()
    sys.argv = with_token_from_environment(sys.argv)
    rasa_main()


if __name__ == "__main__":
    main()
