"""JSON rendering with orjson: the API's responses are large lists, and orjson is fast at them."""

from decimal import Decimal

import orjson
from django.utils.functional import Promise
from rest_framework.renderers import JSONRenderer

_ORJSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def _default(value):
    # Quantities are stored with at most 14 significant digits, which a double represents
    # exactly enough that the shortest repr is the stored decimal: they go out as JSON numbers.
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Promise):
        return str(value)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def dumps(data) -> bytes:
    """Serialize API data to JSON bytes the way every response is rendered."""
    return orjson.dumps(data, default=_default, option=_ORJSON_OPTIONS)


class EnvelopeJSONRenderer(JSONRenderer):
    """Render response data (already an envelope, built by the view or error handler) as JSON."""

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return dumps(data)
