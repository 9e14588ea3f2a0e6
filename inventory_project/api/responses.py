"""Builders of the success envelope `{"success": true, "data": ..., ["count"], ...}`."""

from typing import Any

from rest_framework import status
from rest_framework.response import Response


def success_response(
    data: Any,
    *,
    status_code: int = status.HTTP_200_OK,
    count: int | None = None,
    message: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {"success": True, "data": data}
    if count is not None:
        body["count"] = count
    if message is not None:
        body["message"] = message
    body.update(extra)
    return Response(body, status=status_code, headers=headers)
