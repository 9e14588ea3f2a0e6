"""`Idempotency-Key` for writes a client may retry: the first answer, replayed to every retry.

A client that sent a stock operation and lost the answer (a timeout, a connection reset, a 500
while the database went away) cannot tell whether it happened. Sent with the same
`Idempotency-Key`, the retry is answered with the stored answer of the first request (header
`Idempotent-Replayed: true`) instead of moving the stock again. The key is stored in the
write's own transaction: if the write rolls back (refused, or the server died), so does the
key, and a retry does the work. A concurrent duplicate waits on the key's unique index until
the first commits, then gets its answer. Keys are per user and are forgotten after
`IDEMPOTENCY_KEY_HOURS`; the same key with another body or route is refused (422).
"""

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from inventory_project.api.models import IdempotentRequest
from inventory_project.api.renderers import dumps
from inventory_project.service_errors import ServiceError

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


def run_once(request, *, route: str, write: Callable[[], Response]) -> Response | HttpResponse:
    """Run `write` in a transaction, at most once per `Idempotency-Key` of the caller."""
    key = _key(request)
    with transaction.atomic():
        if key is None:
            return write()
        fingerprint = _fingerprint(request.data)
        expired = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
        IdempotentRequest.objects.filter(user_id=request.user.pk, created_at__lt=expired).delete()
        record, created = IdempotentRequest.objects.get_or_create(
            user_id=request.user.pk,
            key=key,
            defaults={"route": route, "fingerprint": fingerprint},
        )
        if not created:
            return _replay(record, route=route, fingerprint=fingerprint)
        response = write()
        record.status_code = response.status_code
        record.body = dumps(response.data).decode()
        record.save(update_fields=["status_code", "body"])
        return response
