"""Settings of the bot processes (Rasa server, action server, launcher), read once from the environment."""
import os
import secrets
from dataclasses import dataclass, field
from typing import Dict, List

TELEGRAM_VARIABLES = (
    "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_API_BASE_URL", "TELEGRAM_MODE",
)
# Nobody types more in a support chat; Telegram's own limit is 4,096.
DEFAULT_MAX_MESSAGE_CHARS = 4000


def env_or(name: str, default: str) -> str:
    return os.environ.get(name) or default


# TensorFlow's threads for every Rasa process we start (the Makefile exports the
# same defaults for `rasa train`): two cores, so more threads only contend.
TENSORFLOW_DEFAULTS = {
    "TF_INTRA_OP_PARALLELISM_THREADS": "2",
    "TF_INTER_OP_PARALLELISM_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
}


def tensorflow_env() -> Dict[str, str]:
    """TensorFlow's thread settings: the environment's, else the defaults above."""
    return {name: env_or(name, default) for name, default in TENSORFLOW_DEFAULTS.items()}


@dataclass(frozen=True)
class BotSettings:
    """Where the processes listen and which stores they use.

    The defaults run everything on one machine with no services: SQLite files
    under ``var/`` and an in-memory lock store. A deployment on several
    machines sets ``TRACKER_STORE_URL`` to PostgreSQL and ``LOCK_STORE_TYPE``
    to ``redis``.
    """

    host: str = field(default_factory=lambda: env_or("BIND_HOST", "127.0.0.1"))
    # The action server answers anyone who reaches it (no auth in rasa-sdk), so
    # it stays on loopback even when BIND_HOST exposes the Rasa server.
    action_host: str = field(default_factory=lambda: env_or("ACTION_BIND_HOST", "127.0.0.1"))
    rasa_port: int = field(default_factory=lambda: int(env_or("RASA_PORT", "5005")))
    action_port: int = field(default_factory=lambda: int(env_or("ACTION_PORT", "5055")))
    web_port: int = field(default_factory=lambda: int(env_or("WEB_PORT", "8000")))
    model_path: str = field(default_factory=lambda: env_or("RASA_MODEL", "models/serambi.tar.gz"))
    tracker_store_url: str = field(
        default_factory=lambda: env_or("TRACKER_STORE_URL", "sqlite:///var/tracker.db")
    )
    lock_store_type: str = field(default_factory=lambda: env_or("LOCK_STORE_TYPE", "in_memory"))
    lock_store_host: str = field(default_factory=lambda: env_or("LOCK_STORE_HOST", "localhost"))
    cxm_database_url: str = field(
        default_factory=lambda: env_or("CXM_DATABASE_URL", "sqlite:///var/cxm.db")
    )
    # Guards Rasa's HTTP API (it can inject any event). Generated per run when
    # unset, so a default start-up never exposes an open API.
    rasa_auth_token: str = field(
        default_factory=lambda: env_or("RASA_AUTH_TOKEN", secrets.token_urlsafe(24))
    )
    # Browser origins allowed to call the Rasa server cross-site (space-separated).
    # The web chat page is served by Rasa itself, so its own origin is enough.
    webchat_origins: str = field(default_factory=lambda: os.environ.get("WEBCHAT_ORIGINS", ""))
    # Longest customer message any channel accepts (characters).
    max_message_chars: int = field(
        default_factory=lambda: int(env_or("MAX_MESSAGE_CHARS", str(DEFAULT_MAX_MESSAGE_CHARS)))
    )
    # When set, REST webhook clients must send ``Authorization: Bearer <token>``.
    rest_webhook_token: str = field(default_factory=lambda: os.environ.get("REST_WEBHOOK_TOKEN", ""))
    # Further variables for the child processes (tests pin business hours this way).
    extra_env: Dict[str, str] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def cors_origins(self) -> List[str]:
        """Origins for Rasa's ``--cors``: ``WEBCHAT_ORIGINS``, else Rasa's own (the chat page's)."""
        return self.webchat_origins.split() or [self.rasa_url]

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    @property
    def action_url(self) -> str:
        """Where the Rasa server reaches the action server (loopback when it binds everywhere)."""
        host = "127.0.0.1" if self.action_host in ("0.0.0.0", "::") else self.action_host
        return f"http://{host}:{self.action_port}"

    @property
    def action_endpoint_url(self) -> str:
        return f"{self.action_url}/webhook"

    def process_environment(self) -> Dict[str, str]:
        """Environment for the child processes (endpoints.yml reads it)."""
        return {
            **os.environ,
            # credentials.yml names these; Rasa refuses an unset ${VAR} but takes
            # an empty one, and an empty token leaves the Telegram channel off.
            **{name: os.environ.get(name, "") for name in TELEGRAM_VARIABLES},
            "ACTION_ENDPOINT_URL": self.action_endpoint_url,
            "TRACKER_STORE_URL": self.tracker_store_url,
            "TRACKER_STORE_DIALECT": self.tracker_store_url.split(":", 1)[0].split("+", 1)[0],
            "LOCK_STORE_TYPE": self.lock_store_type,
            "LOCK_STORE_HOST": self.lock_store_host,
            "CXM_DATABASE_URL": self.cxm_database_url,
            "RASA_URL": self.rasa_url,
            "RASA_AUTH_TOKEN": self.rasa_auth_token,
            **tensorflow_env(),
            **self.extra_env,
        }


def load() -> BotSettings:
    """Return the settings for this process."""
    return BotSettings()
