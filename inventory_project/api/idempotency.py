"""`Idempotency-Key` for writes a client may retry: the first answer, replayed to every retry.

A client that sent a stock operation and lost the answer (a timeout, a connection reset, a 500
while the database went away) cannot tell whether it happened. Sent with the same
`Idempotency-Key`, the retry is answered with the stored answer of the first request (header
`Idempotent-Replayed: true`) instead of moving the stock again. Keys are per user and are
forgotten after `IDEMPOTENCY_KEY_HOURS` (the daily maintenance deletes them); the same key with
another body or route is refused (422).

The key is claimed at the end of the write, with its answer, in one statement of the write's
own transaction (an insert that only takes over an expired key): the usual request, the first
one, costs one statement for its key and no read. If the write rolls back (refused, or the
server died), so does the key, and a retry does the work. A retry of a write that committed
finds the key taken when it claims it: its own work is rolled back and the first answer is
replayed; a concurrent duplicate waits on the key's unique index until the first commits, then
does the same. A retry that is refused (the first one took the last of the stock) is answered
with the first answer too, when there is one.
"""

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from inventory_project.api.models import IdempotentRequest
from inventory_project.api.renderers import dumps
from inventory_project.service_errors import ServiceError
from inventory_project.transactions import all_or_nothing

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_SANE_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Optional, up to 255 printable characters, unique per operation: a retry "
    "with the same key is answered with the first answer (`Idempotent-Replayed: true`) "
    "instead of being done again. The same key with another body is a 422.",
)


def _key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _SANE_KEY.fullmatch(key):
        raise ServiceError(
            f"{HEADER} must be 1 to 255 printable characters without spaces.",
            code="invalid_idempotency_key",
            field=HEADER,
        )
    return key


def _fingerprint(data) -> str:
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str, separators=(",", ":")).encode()
    ).hexdigest()


def _replay(record: IdempotentRequest, *, route: str, fingerprint: str) -> HttpResponse:
    if record.route != route or record.fingerprint != fingerprint:
        raise ServiceError(
            f"This {HEADER} was used for a different request; use a new key for a new operation.",
            code="idempotency_key_reused",
            field=HEADER,
            status_code=422,
        )
    response = HttpResponse(record.body, status=record.status_code, content_type="application/json")
    response[REPLAYED_HEADER] = "true"
    return response


def _claim(request, key: str, *, route: str, fingerprint: str, response: Response) -> bool:
    """Take `key` for this answer, or take over an expired one; False when a live one has it."""
    table = connection.ops.quote_name(IdempotentRequest._meta.db_table)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "  # noqa: S608 - the table name is the model's
            "(user_id, key, route, fingerprint, status_code, body, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (user_id, key) DO UPDATE SET route = EXCLUDED.route, "
            "fingerprint = EXCLUDED.fingerprint, status_code = EXCLUDED.status_code, "
            f"body = EXCLUDED.body, created_at = EXCLUDED.created_at WHERE {table}.created_at < %s "
            "RETURNING id",
            [
                request.user.pk,
                key,
                route,
                fingerprint,
                response.status_code,
                dumps(response.data).decode(),
                now,
                now - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS),
            ],
        )
        return cursor.fetchone() is not None


def _live_record(request, key: str) -> IdempotentRequest | None:
    expired = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    return IdempotentRequest.objects.filter(
        user_id=request.user.pk, key=key, created_at__gte=expired
    ).first()


class _KeyTaken(Exception):
    """The key was claimed by a committed request: this one's work is rolled back."""


def run_once(request, *, route: str, write: Callable[[], Response]) -> Response | HttpResponse:
    """Run `write` in a transaction, at most once per `Idempotency-Key` of the caller."""
    key = _key(request)
    if key is None:
        with all_or_nothing():
            return write()
    fingerprint = _fingerprint(request.data)
    try:
        with all_or_nothing():
            response = write()
            if not _claim(request, key, route=route, fingerprint=fingerprint, response=response):
                raise _KeyTaken
            return response
    except _KeyTaken:
        record = _live_record(request, key)
    except Exception as failure:
        # Refused, or failed: a retry of a request that was done gets that request's answer.
        try:
            record = _live_record(request, key)
        except Exception:
            raise failure from None
        if record is None:
            raise
    if record is None:
        # Taken when claimed, expired when read (a key about to expire, retried at that very
        # moment): nothing was done, and the client may send it again.
        raise ServiceError(
            f"This {HEADER} was being used by another request; send the request again.",
            code="idempotency_key_busy",
            field=HEADER,
            status_code=409,
        )
    return _replay(record, route=route, fingerprint=fingerprint)


def delete_expired_keys() -> int:
    """Forget the keys older than `IDEMPOTENCY_KEY_HOURS` (the daily maintenance); how many."""
    expired = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _by_model = IdempotentRequest.objects.filter(created_at__lt=expired).delete()
    return deleted
