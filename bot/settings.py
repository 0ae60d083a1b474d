"""Settings of the bot processes (Rasa server, action server, launcher), read once from the environment."""
import os
import secrets
from typing import Dict, List

from pydantic import Field

from bot.channels.client_address import trusted_proxies_setting
from cxm_store.settings import DEFAULT_CAPTURE_SPOOL_DIR, EnvSettings, flag_setting

TELEGRAM_VARIABLES = (
    "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_API_BASE_URL", "TELEGRAM_MODE",
)
# The flood limits (bot/channels/message_rate.py), each 0 to switch it off.
MESSAGE_RATE_VARIABLE = "MESSAGE_RATE_PER_SENDER"
ADDRESS_RATE_VARIABLE = "MESSAGE_RATE_PER_ADDRESS"
ADDRESS_CONVERSATIONS_VARIABLE = "NEW_CONVERSATIONS_PER_ADDRESS"
# What load generators (benches, the test stacks) set: they flood one sender,
# and are thousands of customers from one address, on purpose.
FLOOD_LIMITS_OFF = {
    name: "0" for name in (MESSAGE_RATE_VARIABLE, ADDRESS_RATE_VARIABLE, ADDRESS_CONVERSATIONS_VARIABLE)
}
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


class BotSettings(EnvSettings):
    """Where the processes listen and which stores they use.

    The defaults run everything on one machine with no services: SQLite files
    under ``var/`` and an in-memory lock store. A deployment on several
    machines sets ``TRACKER_STORE_URL`` to PostgreSQL and ``LOCK_STORE_TYPE``
    to ``redis``.
    """

    host: str = Field(default="127.0.0.1", env="BIND_HOST")
    # The action server answers anyone who reaches it (no auth in rasa-sdk), so
    # it stays on loopback even when BIND_HOST exposes the Rasa server.
    action_host: str = Field(default="127.0.0.1", env="ACTION_BIND_HOST")
    rasa_port: int = Field(default=5005, env="RASA_PORT")
    action_port: int = Field(default=5055, env="ACTION_PORT")
    web_port: int = Field(default=8000, env="WEB_PORT")
    model_path: str = Field(default="models/serambi.tar.gz", env="RASA_MODEL")
    tracker_store_url: str = Field(default="sqlite:///var/tracker.db", env="TRACKER_STORE_URL")
    lock_store_type: str = Field(default="in_memory", env="LOCK_STORE_TYPE")
    lock_store_host: str = Field(default="localhost", env="LOCK_STORE_HOST")
    cxm_database_url: str = Field(default="sqlite:///var/cxm.db", env="CXM_DATABASE_URL")
    # Guards Rasa's HTTP API (it can inject any event). Generated per run when
    # unset, so a default start-up never exposes an open API.
    rasa_auth_token: str = Field(default_factory=lambda: secrets.token_urlsafe(24), env="RASA_AUTH_TOKEN", repr=False)
    # Browser origins allowed to call the Rasa server cross-site (space-separated).
    # The web chat page is served by Rasa itself, so its own origin is enough.
    webchat_origins: str = Field(default="", env="WEBCHAT_ORIGINS")
    # Longest customer message any channel accepts (characters).
    max_message_chars: int = Field(default=DEFAULT_MAX_MESSAGE_CHARS, env="MAX_MESSAGE_CHARS")
    # Messages one sender may send per minute on any channel (bot/channels/message_rate.py); 0: no limit.
    message_rate_per_sender: int = Field(default=30, ge=0, env=MESSAGE_RATE_VARIABLE)
    # Per client address on the REST webhook and the web chat (message_rate.py says why these defaults):
    # messages per minute, and new conversations (sender ids) per hour; 0: no limit.
    message_rate_per_address: int = Field(default=120, ge=0, env=ADDRESS_RATE_VARIABLE)
    new_conversations_per_address: int = Field(default=60, ge=0, env=ADDRESS_CONVERSATIONS_VARIABLE)
    # Proxies whose X-Forwarded-For names the client (bot/channels/client_address.py).
    trusted_proxies: str = trusted_proxies_setting()
    # Client addresses never limited per address: this machine itself (its operators, load
    # tests such as ../shared/tools/reliability_probe.py, a local client); the per-sender limit still holds.
    address_limits_exempt: str = Field(default="127.0.0.1 ::1", env="ADDRESS_LIMITS_EXEMPT")
    # When set, REST webhook clients must send ``Authorization: Bearer <token>``.
    rest_webhook_token: str = Field(default="", env="REST_WEBHOOK_TOKEN", repr=False)
    # Telegram (bot/channels/telegram.py): no token leaves the channel off; a webhook secret chooses webhook mode.
    telegram_bot_token: str = Field(default="", env="TELEGRAM_BOT_TOKEN", repr=False)
    telegram_webhook_secret: str = Field(default="", env="TELEGRAM_WEBHOOK_SECRET", repr=False)
    telegram_api_base_url: str = Field(default="", env="TELEGRAM_API_BASE_URL")
    # Redis through which every Rasa process delivers agent replies to web-chat customers (empty: in memory).
    webchat_push_url: str = Field(default="", env="WEBCHAT_PUSH_URL")
    webchat_push_password: str = Field(default="", env="WEBCHAT_PUSH_PASSWORD", repr=False)
    # Where customers' photos go, ``module:function`` (bot/channels/photos.py).
    image_sink: str = Field(default="", env="CXM_IMAGE_SINK")
    # Touchpoint capture inside the Rasa process (bot/capture.py); endpoints.yml may override both.
    capture_enabled: bool = Field(default=True, env="CAPTURE_ENABLED")
    capture_spool_dir: str = Field(default=DEFAULT_CAPTURE_SPOOL_DIR, env="CAPTURE_SPOOL_DIR")
    # Further variables for the child processes (tests pin business hours this way);
    # never read from the environment.
    extra_env: Dict[str, str] = Field(default_factory=dict, env="_BOT_EXTRA_ENV_NOT_FROM_ENVIRONMENT")

    _capture_enabled = flag_setting("capture_enabled", "CAPTURE_ENABLED", True)

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
    return BotSettings.current()
