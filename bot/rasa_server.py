"""Rasa's command line, started with one speed fix for the Rasa server.

Rasa 3.6 checks every action server reply against its JSON schema with
``jsonschema.validate``, which validates the (fixed) schema itself first, on
every call: about 20 ms of CPU on this machine, and the ``language`` slot's
mapping makes one action call per customer message. Here the validator is
built once. A reply that breaks the schema is still refused with Rasa's
error message.

    python -m bot.rasa_server run --enable-api ...   # as ``rasa run ...``
"""
from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


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


def main() -> None:
    """Run Rasa's command line with the action reply check built once."""
    from rasa.__main__ import main as rasa_main

    RemoteAction._validate_action_result = validate_action_reply
    rasa_main()


if __name__ == "__main__":
    main()
