"""Content negotiation that answers JSON when the client asks for a type the API does not render.

The wire contract's consumers are written against JSON whatever the `Accept` header or a `format`
parameter says: one that sends `Accept: text/plain` or `?format=csv` gets the JSON envelope,
never a 406 or a 404. A route that renders several types (the schema, CSV
exports) still serves the one the client names when it can.
"""

from django.http import Http404
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation


class DefaultToFirstRenderer(DefaultContentNegotiation):
    """The renderer the client asks for when there is one, else the route's first (JSON)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if len(renderers) == 1:
            # Whatever the client asks for, the answer is the one renderer's: skip parsing Accept
            # (a twentieth of a cached answer's time).
            return renderers[0], renderers[0].media_type
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except (exceptions.NotAcceptable, Http404):
            return renderers[0], renderers[0].media_type
