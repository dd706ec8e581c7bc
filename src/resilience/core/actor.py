"""Who is acting right now, for the change log: the request's user, or a named command."""
from __future__ import annotations

import contextlib
from contextvars import ContextVar

_actor: ContextVar = ContextVar("resilience_actor", default=None)
_source: ContextVar = ContextVar("resilience_source", default="")


def current_actor():
    return _actor.get()


def current_source() -> str:
    return _source.get()


@contextlib.contextmanager
def acting_as(user=None, source: str = ""):
    """Attribute every change made inside the block to ``user`` and ``source`` (e.g. "import")."""
    user_token = _actor.set(user)
    source_token = _source.set(source)
    try:
        yield
    finally:
        _actor.reset(user_token)
        _source.reset(source_token)
