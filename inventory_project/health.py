"""Liveness probe: answers while the process can serve, without touching the database.

Readiness (database, Redis, migrations, jobs) arrives with the operations work.
"""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

SERVICE_NAME = "inventory-backend"


class LivenessApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Liveness (v20)",
        responses={
            200: inline_serializer(
                "Liveness",
                {
                    "success": serializers.BooleanField(),
                    "status": serializers.CharField(),
                    "timestamp": serializers.DateTimeField(),
                    "service": serializers.CharField(),
                    "version": serializers.CharField(),
                },
            )
        },
    )
    def get(self, request):
        return Response(
            {
                "success": True,
                "status": "ok",
                "timestamp": timezone.now(),
                "service": SERVICE_NAME,
                "version": settings.APP_VERSION,
            }
        )
