"""Account lifecycle: deactivate, reactivate, change role, reset password.

Each change ends the person's console sessions at once (a deactivated
account's open browser is refused on its next request; a new role applies
from the next login) and is written to the audit log.
"""
import secrets
from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from cxm_store import audit
from cxm_store.auth import AccountError, set_password
from cxm_store.db import session_factory
from cxm_store.models import USER_ROLES, User, WebSession

# Long enough to type once and change; scrypt makes guessing it slow anyway.
RESET_PASSWORD_BYTES = 12


def _change(username: str, actor: str, action: str, engine: Optional[Engine], **values) -> None:
    with session_factory(engine)() as session, session.begin():
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise AccountError(f"no user {username!r}")
        for name, value in values.items():
            setattr(user, name, value)
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        audit.record(actor, action, subject=username, detail=values or None,
                     connection=session.connection())


def deactivate(username: str, actor: str = audit.COMMAND_LINE, engine: Engine = None) -> None:
    """Stop an account: it cannot log in, its sessions end, it leaves the agents online."""
    _change(username, actor, "user_deactivate", engine, active=False, available=False)


def reactivate(username: str, actor: str = audit.COMMAND_LINE, engine: Engine = None) -> None:
    """Let a deactivated account log in again (with its old password)."""
    _change(username, actor, "user_reactivate", engine, active=True)


def set_role(username: str, role: str, actor: str = audit.COMMAND_LINE, engine: Engine = None) -> None:
    """Give an account another role (agent, lead, admin); its sessions end."""
    if role not in USER_ROLES:
        raise AccountError(f"role must be one of {', '.join(USER_ROLES)}, not {role!r}")
    _change(username, actor, "user_role", engine, role=role)


def reset_password(username: str, actor: str = audit.COMMAND_LINE, engine: Engine = None) -> str:
    """Give an account a new random password (returned once) and end its sessions."""
    password = secrets.token_urlsafe(RESET_PASSWORD_BYTES)
    set_password(username, password, engine=engine)
    _change(username, actor, "user_password_reset", engine)
    return password
