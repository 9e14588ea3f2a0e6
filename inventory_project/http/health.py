"""Health: liveness (`/api/health`, touches nothing) and readiness (`/api/health/status`).

Readiness really checks: a query on the database, a PING to Redis when one is configured, the
migrations not yet applied, the last run of every job and the watchdog's open alerts. It answers
503 when the database cannot be reached; a Redis outage only degrades it (the app serves from the
database).
"""

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

SERVICE_NAME = "inventory-backend"
ALERTS_SHOWN = 20


class LivenessApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Liveness",
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


def _database() -> dict:
    try:
        model = apps.get_model(settings.HEALTH_ITEMS_MODEL)
        return {"connected": True, "items_count": model.objects.count()}
    except DatabaseError as exc:
        return {"connected": False, "error": type(exc).__name__}


def _redis() -> dict:
    if not settings.REDIS_URL:
        return {"configured": False, "connected": False}
    try:
        from django_redis import get_redis_connection

        return {"configured": True, "connected": bool(get_redis_connection("default").ping())}
    except Exception as exc:  # any client error means "not connected"
        return {"configured": True, "connected": False, "error": type(exc).__name__}


def _pending_migrations() -> int | None:
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except DatabaseError:
        return None


def _jobs() -> dict:
    from inventory_project.jobs.runner import last_runs

    try:
        return last_runs()
    except DatabaseError:
        return {}


def _alerts() -> list[dict]:
    # Open alerts only (the watchdog resolves them when their cause is gone), newest first.
    from inventory_project.jobs.models import Alert

    try:
        return list(
            Alert.objects.filter(resolved_at__isnull=True).values(
                "id", "kind", "message", "details", "created_at"
            )[:ALERTS_SHOWN]
        )
    except DatabaseError:
        return []


def _features() -> dict:
    return {
        "redis_cache": bool(settings.REDIS_URL),
        "rate_limiting": settings.RATELIMIT_ENABLE,
        "anonymous_read": settings.API_ANONYMOUS_READ,
        "jwt_auth": True,
        "metrics": True,
        "json_logs": settings.LOG_FORMAT == "json",
    }


class ReadinessApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Readiness: database, Redis, migrations, jobs",
        description="503 when the database cannot be reached.",
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (503, "application/json"): OpenApiTypes.OBJECT,
        },
    )
    def get(self, request):
        database = _database()
        redis = _redis()
        pending = _pending_migrations() if database["connected"] else None
        healthy = (
            database["connected"]
            and pending == 0
            and (redis["connected"] or not redis["configured"])
        )
        body = {
            "success": database["connected"],
            "status": "ok" if healthy else ("degraded" if database["connected"] else "down"),
            "timestamp": timezone.now(),
            "service": SERVICE_NAME,
            "version": settings.APP_VERSION,
            "environment": settings.ENVIRONMENT,
            "database": database,
            "redis": redis,
            "migrations": {"pending": pending},
            "jobs": _jobs() if database["connected"] else {},
            "features": _features(),
            "alerts": _alerts() if database["connected"] else [],
        }
        return Response(body, status=200 if database["connected"] else 503)
