"""Base of the domain errors that services raise and the API renders in its envelope.

Services never import the API layer; they raise a `ServiceError` subclass carrying a stable
machine code, the field it concerns and the HTTP status that fits it, and the exception handler
turns it into `{"success": false, "error": ..., "code": ..., "details": ...}`.
"""

from enum import StrEnum


class ServiceError(Exception):
    """A refusal by a service: the caller asked for something the domain does not allow."""

    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        code: StrEnum | str = "invalid",
        field: str | None = None,
        status_code: int | None = None,
        details: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = str(code)
        self.field = field
        self.details = details
        if status_code is not None:
            self.status_code = status_code


class NotFoundError(ServiceError):
    status_code = 404


class ConflictError(ServiceError):
    status_code = 409
