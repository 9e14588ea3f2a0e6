"""The request id of the work in progress, readable from any layer without passing it around.

The middleware sets it for each HTTP request; commands may set it for their run. Services read
it to stamp ledger rows, so a movement can be traced back to the request that made it.
"""

import ipaddress
import logging
import re
import uuid
from contextvars import ContextVar

from django.conf import settings

logger = logging.getLogger(__name__)

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


def client_address(request) -> str:
    """The caller's address: REMOTE_ADDR, or the trusted proxy header when one is configured.

    With X-Forwarded-For the address is taken TRUSTED_PROXY_COUNT entries from the right, the
    last one our own proxies appended; entries further left are the client's to forge.
    """
    header = settings.TRUSTED_PROXY_IP_HEADER
    if header and request.META.get(header):
        entries = [e.strip() for e in request.META[header].split(",") if e.strip()]
        index = max(len(entries) - settings.TRUSTED_PROXY_COUNT, 0)
        candidate = entries[index] if entries else ""
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            logger.warning("Ignoring malformed %s value", header)
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"
