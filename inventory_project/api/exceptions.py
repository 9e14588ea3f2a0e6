"""Turn every error into the failure envelope: `{"success": false, "error": "<sentence>"}`.

Service refusals, validation errors, malformed JSON, auth failures and unknown routes all answer
in the same shape with the right status. Unexpected exceptions are logged with their stack trace
and answer a bare 500 envelope: no trace ever leaves the server.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from inventory_project.service_errors import ServiceError

logger = logging.getLogger(__name__)

INTERNAL_ERROR_MESSAGE = "Internal server error"


def failure_body(message: str, *, code: str, details: dict | None = None) -> dict[str, Any]:
    """The failure envelope; `details` maps each offending field to its messages."""
    body: dict[str, Any] = {"success": False, "error": message, "code": code}
    if details:
        body["details"] = details
    return body


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _flatten(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _flatten(value)]
    return [str(detail)]


def _validation_message(detail) -> str:
    """One human sentence that names the first offending field."""
    if isinstance(detail, dict) and detail:
        field, messages = next(iter(detail.items()))
        first = _flatten(messages)[0] if _flatten(messages) else "Invalid value."
        if field in ("non_field_errors", "__all__"):
            return first
        if isinstance(messages, dict):
            # Nested object: name the inner field too ("location.code: ...").
            inner_field = next(iter(messages))
            return f"{field}.{inner_field}: {first}"
        return f"{field}: {first}"
    messages = _flatten(detail)
    return messages[0] if messages else "Invalid input."


def _field_errors(detail) -> dict | None:
    if isinstance(detail, dict):
        return {field: _flatten(messages) for field, messages in detail.items()}
    return None


def _message_and_code(exc: exceptions.APIException) -> tuple[str, str]:
    """The sentence and the stable code of an API exception whose detail may be a dict.

    simplejwt's token errors carry `{"detail": ..., "code": ..., "messages": [...]}`: the
    sentence is the `detail`, and the code is the exception's own, never a generic one.
    """
    detail = exc.detail
    if isinstance(detail, dict) and "detail" in detail:
        detail = detail["detail"]
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    messages = _flatten(detail)
    return (messages[0] if messages else str(exc)), str(code)


def envelope_exception_handler(exc, context) -> Response | None:
    """DRF exception handler rendering the failure envelope."""
    headers: dict[str, str] = {}
    if isinstance(exc, ServiceError):
        details = exc.details or ({exc.field: [exc.message]} if exc.field else None)
        return Response(
            failure_body(exc.message, code=exc.code, details=details), status=exc.status_code
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            failure_body("Request body too large", code="request_too_large"),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, SuspiciousOperation):
        return Response(failure_body("Bad request", code="bad_request"), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.ValidationError):
        body = failure_body(
            _validation_message(exc.detail),
            code="invalid",
            details=_field_errors(exc.detail),
        )
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.ParseError):
        return Response(
            failure_body(f"Malformed request body: {exc.detail}", code="parse_error"),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        message, code = _message_and_code(exc)
        return Response(failure_body(message, code=code), status=exc.status_code, headers=headers)

    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
    return Response(
        failure_body(INTERNAL_ERROR_MESSAGE, code="server_error"),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def json_not_found(request, exception=None) -> JsonResponse:
    """404 for any unknown path, in the envelope (also used as `handler404`)."""
    return JsonResponse(
        failure_body(f"Route {request.method} {request.path} not found", code="not_found"),
        status=404,
    )


def json_server_error(request) -> JsonResponse:
    """500 outside DRF views, in the envelope and without a trace (`handler500`)."""
    return JsonResponse(failure_body(INTERNAL_ERROR_MESSAGE, code="server_error"), status=500)


def json_bad_request(request, exception=None) -> JsonResponse:
    return JsonResponse(failure_body("Bad request", code="bad_request"), status=400)
