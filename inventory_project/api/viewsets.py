"""View plumbing shared by the apps' API modules."""

from django.conf import settings
from django.http import HttpResponse

from inventory_project import cache
from inventory_project.api.columns import Columns
from inventory_project.api.renderers import dumps
from inventory_project.api.responses import success_response


class ColumnsListMixin:
    """`list` straight from `values_list`: filtered, ordered, optionally paged, in the envelope.

    Without paging parameters the whole list answers with `count` = its length (as v20 did);
    with them, one page answers with `count` = all matching rows.
    """

    columns: Columns

    @property
    def ordering_aliases(self) -> dict[str, str]:
        return self.columns.paths

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        selected = self.columns.select(queryset)
        page = self.paginate_queryset(selected)
        if page is not None:
            return self.get_paginated_response(self.columns.rows(page))
        rows = self.columns.rows(selected)
        return success_response(rows, count=len(rows))


class CachedListMixin(ColumnsListMixin):
    """Serve the v20 forms of a list (e.g. no parameters, or `?active=true`) from the cache.

    `list_cache_keys` maps a normalized query (sorted `(name, lowercased value)` pairs) to its
    cache key; any other query is answered fresh with `X-Cache: BYPASS`. Hits are the stored
    response bytes, sent as they are.
    """

    list_cache_keys: dict[tuple[tuple[str, str], ...], str] = {}
    list_cache_ttl_setting: str

    def list(self, request, *args, **kwargs):
        query = tuple(sorted((k, v.lower()) for k, v in request.query_params.items()))
        key = self.list_cache_keys.get(query)
        if key is None:
            response = super().list(request, *args, **kwargs)
            response["X-Cache"] = cache.BYPASS
            return response
        body, state = cache.cached_bytes(
            key,
            getattr(settings, self.list_cache_ttl_setting),
            lambda: dumps(super(CachedListMixin, self).list(request, *args, **kwargs).data),
        )
        return HttpResponse(body, content_type="application/json", headers={"X-Cache": state})


def cached_json_response(key: str, timeout: int, build) -> HttpResponse:
    """An envelope from the cache, or `build()` (returning the envelope dict) stored there."""
    body, state = cache.cached_bytes(key, timeout, lambda: dumps(build()))
    return HttpResponse(body, content_type="application/json", headers={"X-Cache": state})
