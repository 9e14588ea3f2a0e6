"""Records of the API plumbing: the answers to writes sent with an `Idempotency-Key`."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotentRequest(models.Model):
    """A write sent with an `Idempotency-Key`: its answer, replayed to every retry of it.

    Stored in the write's own transaction, so a key is taken exactly when the write committed;
    see `inventory_project.api.idempotency`.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    route = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request's data.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.TextField(blank=True, default="", help_text="The answer, as sent.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_user_key_uniq")
        ]
        indexes = [models.Index(fields=["user", "created_at"], name="idempotent_user_created_idx")]

    def __str__(self) -> str:
        return f"{self.key} ({self.route})"
