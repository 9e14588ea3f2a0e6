"""Records of the response cache: each group's generation kept in the database."""

from django.db import models


class CacheGeneration(models.Model):
    """The database's half of a cache group's generation (`inventory_project.http.response_cache`).

    Bumped, in the write's own transaction, only when the generation in the cache could not be:
    every worker on every host reads it beside the cache's, so a write made while Redis hung
    outdates what was stored before it as surely as a bump in Redis would have.
    """

    group = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.group}: {self.value}"
