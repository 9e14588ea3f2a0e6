"""The request id of the work in progress, readable from any layer without passing it around.

The middleware sets it for each HTTP request; commands may set it for their run. Services read
it to stamp ledger rows, so a movement can be traced back to the request that made it.
"""

import functools
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


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    # An IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d; compare it as IPv4.
    return getattr(address, "ipv4_mapped", None) or address


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    # A malformed entry is a system check error (inventory.E002); the web server does not run the
    # checks, so here it is left out, not raised on every request.
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            logger.error("Ignoring %r: not an address or a network", entry)
    return tuple(networks)


def _in(address, entries) -> bool:
    return any(address in network for network in _networks(tuple(entries)))


def _trusted(address) -> bool:
    return _in(address, settings.TRUSTED_PROXIES)


def address_in_networks(value: str, entries) -> bool:
    """Whether the address `value` lies in one of `entries` (addresses or CIDR networks)."""
    address = _address(value)
    return address is not None and _in(address, entries)


def client_address(request) -> str:
    """The caller's address, the one rate limits, the audit trail and `/metrics` go by.

    REMOTE_ADDR, unless the peer is one of our own proxies (`TRUSTED_PROXIES`, loopback by
    default) or a local process on a unix socket (REMOTE_ADDR empty: only a process of this host
    can reach one): then the proxy header (`TRUSTED_PROXY_IP_HEADER`, X-Forwarded-For) is read
    from the right, past every address of our proxies, and the first other address is the
    client. Entries left of it were written by the client and could be anything, so they are
    never used; a request that did not come from one of our proxies is counted by its own
    address, whatever header it sends.
    """
    peer = request.META.get("REMOTE_ADDR") or ""
    header = settings.TRUSTED_PROXY_IP_HEADER
    forwarded = request.META.get(header) if header else None
    if peer:
        peer_address = _address(peer)
        if not forwarded or peer_address is None or not _trusted(peer_address):
            return peer
    elif not forwarded:
        return _NO_ADDRESS
    for entry in reversed(forwarded.split(",")):
        address = _address(entry)
        if address is None:
            logger.warning("Ignoring malformed %s value", header)
            return peer or _NO_ADDRESS
        if not _trusted(address):
            return str(address)
    # Only our own proxies in the chain: the request started at one of them.
    return peer or _NO_ADDRESS


# A local caller on a unix socket that names no client: one shared address for all of them.
_NO_ADDRESS = "0.0.0.0"
