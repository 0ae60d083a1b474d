"""The Rasa server's action-reply check, built once, refuses what Rasa refuses."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.rasa_server import validate_action_reply


def test_the_check_replaces_a_method_rasa_has():
    # A Rasa upgrade that renames it would otherwise leave the check unpatched.
    assert callable(RemoteAction._validate_action_result)


@pytest.mark.parametrize(
    "reply",
    [
        {"events": [], "responses": []},
        {
            "events": [{"event": "slot", "name": "language", "value": "en", "timestamp": None}],
            "responses": [{"response": "utter_greet"}],
        },
    ],
)
def test_a_well_formed_reply_passes(reply):
    assert validate_action_reply(None, reply) is True


@pytest.mark.parametrize(
    "reply",
    [
        {"events": {"event": "slot"}},
        {"events": [{"event": "slot", "name": 5}]},
        {"events": [], "responses": ["hello"]},
    ],
)
def test_a_malformed_reply_is_refused_with_rasas_hint(reply):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        validate_action_reply(None, reply)


def test_a_token_starting_with_a_dash_reaches_rasa(monkeypatch) -> None:
    """Random tokens are URL-safe base64, so about one start in 64 begins with '-'."""
    from rasa.__main__ import create_argument_parser

    from bot.rasa_server import with_token_from_environment

    monkeypatch.setenv("RASA_AUTH_TOKEN", "-Abc_123")
    argv = with_token_from_environment(["rasa", "run", "--enable-api", "--cors", "http://127.0.0.1:5005"])
    arguments = create_argument_parser().parse_args(argv[1:])
    assert arguments.auth_token == "-Abc_123"
    assert arguments.cors == ["http://127.0.0.1:5005"]
