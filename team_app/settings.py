"""Settings of the team's web app (console, dashboard, API), read once from the environment."""
from pydantic import Field

from bot.channels.client_address import trusted_proxies_setting
from cxm_store.settings import StoreSettings, flag_setting


class TeamAppSettings(StoreSettings):
    """The store's settings, and how the console reaches Rasa and keeps its logins.

    Attributes:
        rasa_url: Base URL of the Rasa server's HTTP API (``RASA_URL``); the
            console delivers agent replies and hands conversations back through it.
        rasa_auth_token: Token of that API (``RASA_AUTH_TOKEN``).
        session_hours: A console login ends after this many idle hours
            (``CXM_SESSION_HOURS``, default 8; fractions allowed).
        session_max_hours: ...and this many hours after it began, however
            busy (``CXM_SESSION_MAX_HOURS``, default 12: a working day).
        secure_cookies: Mark the console's cookies ``Secure``, so browsers send
            them over https only (``CXM_SECURE_COOKIES``, default on). Turned
            off only explicitly (``CXM_SECURE_COOKIES=0``) for plain http on
            one's own machine; ``make run`` does so when it binds to loopback.
        live_redis_url: Redis URL through which the console processes share live
            events (``CXM_LIVE_REDIS_URL``); empty: each process fans out its own.
        dashboard_cache_seconds: Dashboard figures are kept this long per filter
            (``CXM_DASHBOARD_CACHE_SECONDS``, default 60; 0: never cached).
        dashboard_stale_seconds: Older than that but younger than this, they are
            served at once and recomputed behind (``CXM_DASHBOARD_STALE_SECONDS``, 900).
        dashboard_prewarm_seconds: The default view is recomputed this often in the
            background (``CXM_DASHBOARD_PREWARM_SECONDS``, 300; 0: never; needs the cache).
        trusted_proxies: Reverse proxies whose ``X-Forwarded-For`` names the client
            (``TRUSTED_PROXIES``; ``bot/channels/client_address.py``), for the login throttle.
    """

    rasa_url: str = Field(default="http://127.0.0.1:5005", env="RASA_URL")
    rasa_auth_token: str = Field(default="", env="RASA_AUTH_TOKEN", repr=False)
    session_hours: float = Field(default=8.0, env="CXM_SESSION_HOURS")
    session_max_hours: float = Field(default=12.0, env="CXM_SESSION_MAX_HOURS")
    secure_cookies: bool = Field(default=True, env="CXM_SECURE_COOKIES")
    live_redis_url: str = Field(default="", env="CXM_LIVE_REDIS_URL")
    dashboard_cache_seconds: float = Field(default=60.0, ge=0, env="CXM_DASHBOARD_CACHE_SECONDS")
    dashboard_stale_seconds: float = Field(default=900.0, ge=0, env="CXM_DASHBOARD_STALE_SECONDS")
    dashboard_prewarm_seconds: float = Field(default=300.0, ge=0, env="CXM_DASHBOARD_PREWARM_SECONDS")
    trusted_proxies: str = trusted_proxies_setting()

    _secure_cookies = flag_setting("secure_cookies", "CXM_SECURE_COOKIES", True)


def load() -> TeamAppSettings:
    """Return the settings for this process."""
    return TeamAppSettings.current()
