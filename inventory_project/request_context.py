"""The request id of the work in progress, readable from any layer without passing it around.

The middleware sets it for each HTTP request; commands may set it for their run. Services read
it to stamp ledger rows, so a movement can be traced back to the request that made it.
"""

import re
import uuid
from contextvars import ContextVar

_request_id: ContextVar[str] = ContextVar("request_id", default="")

# An incoming id is trusted only if it looks like an id: it lands in logs and the ledger.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def sanitize_request_id(candidate: str | None) -> str:
    """Return the candidate when it is a sane id, otherwise a fresh one."""
    if candidate and _SANE_REQUEST_ID.fullmatch(candidate):
        return candidate
    return new_request_id()


def get_request_id() -> str:
    return _request_id.get()


def set_request_id(request_id: str):
    """Set the current request id; returns a token for `reset_request_id`."""
    return _request_id.set(request_id)


def reset_request_id(token) -> None:
    _request_id.reset(token)
