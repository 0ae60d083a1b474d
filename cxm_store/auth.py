"""Console accounts: password hashing, logins, server-side sessions.

Passwords are hashed with scrypt and a per-user random salt; only the hash is
stored. A login session is a random token handed to the browser in a cookie;
the database keeps only its sha256, so a leaked table cannot be replayed. A
session slides: every use pushes its expiry ``session_hours`` further, and an
idle one expires; whatever its use, it ends ``max_hours`` after the login.

Nothing here locks an account after failures (anyone could keep its owner
out): the web app slows guessing per source address instead
(:mod:`cxm_store.login_throttle`). Every check of a password costs one
scrypt, whether the username exists, is inactive or is right, so the answer
time does not tell which usernames exist.
"""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from cxm_store.db import session_factory, utc_naive
from cxm_store.models import USER_ROLES, User, WebSession

# scrypt cost: 16 MiB of memory and ~50 ms per hash on one core.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
MIN_PASSWORD_LENGTH = 8

# A session's expiry is rewritten at most this often (the console polls every 2 s).
SLIDE_EVERY = timedelta(seconds=30)


class AccountError(ValueError):
    """A user cannot be created or changed as asked (duplicate name, bad role...)."""


@dataclass(frozen=True)
class UserView:
    """What the web app knows of the signed-in person."""

    id: int
    username: str
    display_name: str
    role: str
    available: bool


@dataclass(frozen=True)
class LoginResult:
    """Outcome of :func:`authenticate`: ``user`` when it worked."""

    user: Optional[UserView] = None

    @property
    def ok(self) -> bool:
        return self.user is not None


@dataclass(frozen=True)
class SessionView:
    """A live session: who, its CSRF token and when it ends."""

    user: UserView
    csrf_token: str
    expires_at: datetime


# --- Passwords ------------------------------------------------------------------


def hash_password(password: str, salt: Optional[bytes] = None) -> str:
    """Return ``scrypt$n$r$p$salt$hash`` (hex) for ``password`` with a fresh random salt."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Return True if ``password`` matches the stored ``scrypt$...`` hash (constant time)."""
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt_hex),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(digest_hex) // 2,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


# Checked against when the username is unknown, so both cases cost one scrypt.
_DUMMY_HASH = hash_password("not-a-real-password", salt=b"\0" * SALT_BYTES)


# --- Users ----------------------------------------------------------------------


def _view(user: User) -> UserView:
    return UserView(user.id, user.username, user.display_name, user.role, bool(user.available))


def create_user(
    username: str,
    display_name: str,
    password: str,
    role: str,
    at: Optional[datetime] = None,
    engine: Engine = None,
) -> int:
    """Create a console account and return its id.

    Raises:
        AccountError: Empty or taken username, unknown role, or a password
            shorter than :data:`MIN_PASSWORD_LENGTH`.
    """
    username = (username or "").strip()
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        raise AccountError("username must be 1-80 characters without spaces")
    if role not in USER_ROLES:
        raise AccountError(f"role must be one of {', '.join(USER_ROLES)}, not {role!r}")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    display_name = (display_name or "").strip() or username
    try:
        with session_factory(engine)() as session, session.begin():
            user = User(
                username=username,
                display_name=display_name[:120],
                password_hash=hash_password(password),
                role=role,
                active=True,
                available=False,
                created_at=utc_naive(at or datetime.utcnow()),
                failed_logins=0,
            )
            session.add(user)
            session.flush()
            return user.id
    except IntegrityError:
        raise AccountError(f"username {username!r} is taken") from None


def set_password(username: str, password: str, engine: Engine = None) -> None:
    """Replace a user's password and end their sessions."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    with session_factory(engine)() as session, session.begin():
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise AccountError(f"no user {username!r}")
        user.password_hash = hash_password(password)
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def authenticate(username: str, password: str, engine: Engine = None) -> LoginResult:
    """Check a username and password.

    Unknown usernames and inactive accounts fail like a wrong password, after
    the same scrypt work (a dummy hash stands in for a missing user).
    """
    with session_factory(engine)() as session:
        user = session.scalar(select(User).where(User.username == (username or "").strip()))
        matches = verify_password(password or "", user.password_hash if user else _DUMMY_HASH)
        if user is None or not user.active or not matches:
            return LoginResult()
        return LoginResult(user=_view(user))


def list_users(engine: Engine = None) -> List[Dict]:
    """Every console account, without password hashes."""
    with session_factory(engine)() as session:
        return [
            {
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role,
                "active": u.active,
                "available": u.available,
                "last_seen_at": u.last_seen_at,
            }
            for u in session.scalars(select(User).order_by(User.username))
        ]


# --- Sessions -------------------------------------------------------------------


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(user_id: int, now: datetime, hours: float, engine: Engine = None) -> str:
    """Open a login session for ``user_id``; return the token for the cookie (not stored)."""
    now = utc_naive(now)
    token = secrets.token_urlsafe(32)
    with session_factory(engine)() as session, session.begin():
        session.add(
            WebSession(
                token_sha256=_sha256(token),
                user_id=user_id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                last_used_at=now,
                expires_at=now + timedelta(hours=hours),
            )
        )
        # Housekeeping: a login is rare enough to sweep expired sessions here.
        session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    return token


def resume_session(
    token: Optional[str], now: datetime, hours: float, max_hours: float, engine: Engine = None
) -> Optional[SessionView]:
    """Return the live session behind a cookie token and slide its expiry, or None.

    None when the token is unknown, expired (idle longer than ``hours``, or
    opened more than ``max_hours`` ago, however busy: the console polls every
    few seconds, which would otherwise keep a stolen session alive forever)
    or its user has been deactivated.
    """
    if not token or len(token) > 200:
        return None
    now = utc_naive(now)
    with session_factory(engine)() as session, session.begin():
        row = session.execute(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.token_sha256 == _sha256(token))
        ).first()
        if row is None:
            return None
        web_session, user = row
        ends_at = web_session.created_at + timedelta(hours=max_hours)
        if web_session.expires_at <= now or ends_at <= now or not user.active:
            session.delete(web_session)
            return None
        if now - web_session.last_used_at >= SLIDE_EVERY:
            web_session.last_used_at = now
            web_session.expires_at = min(now + timedelta(hours=hours), ends_at)
        return SessionView(_view(user), web_session.csrf_token, web_session.expires_at)


def end_session(token: Optional[str], engine: Engine = None) -> None:
    """Log out: forget the session behind this token (nothing if unknown)."""
    if not token:
        return
    with session_factory(engine)() as session, session.begin():
        session.execute(delete(WebSession).where(WebSession.token_sha256 == _sha256(token)))


# --- Presence -------------------------------------------------------------------


def set_available(user_id: int, available: bool, now: datetime, engine: Engine = None) -> None:
    """Mark a console user available (can take conversations) or away; also a heartbeat."""
    with session_factory(engine)() as session, session.begin():
        session.execute(
            update(User)
            .where(User.id == user_id)
            .values(available=bool(available), last_seen_at=utc_naive(now))
        )


def heartbeat(user_id: int, now: datetime, engine: Engine = None) -> None:
    """Record that the user's console is open (``last_seen_at``)."""
    with session_factory(engine)() as session, session.begin():
        session.execute(update(User).where(User.id == user_id).values(last_seen_at=utc_naive(now)))
