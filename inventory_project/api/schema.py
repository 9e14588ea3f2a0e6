"""OpenAPI descriptions of the envelope, so the schema documents what the wire carries.

The failure envelope is described exactly as `exceptions.failure_body` builds it: `success` is
always `false`, `error` and `code` are always there, `details` only when fields are named, and
nothing else (the schema closes the object, so a key the handler adds shows up in the fuzz tests
as a body the schema does not describe).
"""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

# The one value `success` takes in a success and in a failure, each named as an enum component
# (`SuccessEnum`, `FailureEnum`): both are fields named `success`, which drf-spectacular would
# otherwise name by a hash.
SUCCESS_FLAG_CHOICES = [(True, True)]
FAILURE_FLAG_CHOICES = [(False, False)]


@extend_schema_field({"type": "boolean", "enum": [False]})
class FailureFlagField(serializers.BooleanField):
    """`success` of a failure: always `false`."""


class ErrorEnvelopeSerializer(serializers.Serializer):
    """Every failure: a human sentence, a stable code, and the offending fields when known."""

    success = FailureFlagField()
    error = serializers.CharField(help_text="A human sentence naming what was wrong.")
    code = serializers.CharField(help_text="Stable machine-readable error code.")
    details = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per offending field (`non_field_errors` for the body as a whole).",
    )


class ClosedFailureEnvelope(OpenApiSerializerExtension):
    """The failure envelope and its extensions admit no key they do not name."""

    target_class = ErrorEnvelopeSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "additionalProperties": False}


class MessageEnvelopeSerializer(serializers.Serializer):
    """A success that returns no data, only a message."""

    success = serializers.BooleanField(default=True)
    data = serializers.JSONField(allow_null=True, default=None)
    message = serializers.CharField()


_ENVELOPES: dict[str, type[serializers.Serializer]] = {}


def envelope(data_serializer: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The success envelope `{success, data, [message]}` around one `data_serializer` object."""
    name = data_serializer.__name__.removesuffix("Serializer") + "EnvelopeSerializer"
    if name not in _ENVELOPES:
        cls = type(
            name,
            (serializers.Serializer,),
            {
                "success": serializers.BooleanField(default=True),
                "data": data_serializer(),
                "message": serializers.CharField(required=False),
                "__module__": __name__,
            },
        )
        _ENVELOPES[name] = extend_schema_serializer(many=False)(cls)
    return _ENVELOPES[name]


def errors(*status_codes: int, public: bool = False) -> dict[int, OpenApiResponse]:
    """Failure responses for `extend_schema(responses=...)`.

    Routes that need a token can also answer 401, 403 and 429; `public` routes name their own.
    """
    if not public:
        status_codes = tuple(sorted({*status_codes, 401, 403, 429}))
    descriptions = {
        400: "Invalid input, malformed JSON or bad query parameters.",
        401: "No or invalid credentials.",
        403: "The caller's role may not do this.",
        404: "Not found.",
        409: "Conflict with the current state (duplicate, insufficient stock).",
        413: "Request body too large.",
        422: "The Idempotency-Key was already used for a different request.",
        429: "Too many requests: see Retry-After and RateLimit-* headers.",
    }
    return {
        code: OpenApiResponse(ErrorEnvelopeSerializer, description=descriptions.get(code, ""))
        for code in status_codes
    }
