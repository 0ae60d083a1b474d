"""Typed errors of the store's services, for whoever calls them.

Each names what went wrong for the business and the HTTP status a web caller
should answer with; the console's one error handler (team_app) reads
``status_code``. ``NotFound`` is also a ``LookupError`` and ``InvalidInput`` a
``ValueError``, so callers written against the built-ins keep working.
"""


class DomainError(Exception):
    """A request the store refuses; ``str(error)`` is meant for the person who asked."""

    status_code = 400


class NotFound(DomainError, LookupError):
    """The conversation, handoff or account does not exist."""

    status_code = 404


class Conflict(DomainError):
    """The thing exists but is not in a state that allows this (already claimed, resolved...)."""

    status_code = 409


class Forbidden(DomainError):
    """The person asking may not do this."""

    status_code = 403


class InvalidInput(DomainError, ValueError):
    """What was given cannot be used (empty, too long, malformed)."""

    status_code = 400


class StoreUnavailable(DomainError):
    """The store cannot answer now (database down, timed out); worth trying again soon."""

    status_code = 503
