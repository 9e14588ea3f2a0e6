"""The answer to OPTIONS, in the envelope like every other answer of the API."""

from rest_framework.metadata import SimpleMetadata


class EnvelopeMetadata(SimpleMetadata):
    """DRF's description of a route (name, renders, parses, fields) as `data` of an envelope."""

    def determine_metadata(self, request, view):
        return {"success": True, "data": super().determine_metadata(request, view)}
