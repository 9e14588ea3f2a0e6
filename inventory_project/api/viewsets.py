"""View plumbing shared by the apps' API modules."""

from inventory_project.api.columns import Columns
from inventory_project.api.responses import success_response
from inventory_project.http import response_cache as cache


class ColumnsListMixin:
    """`list` straight from `values_list`: filtered, ordered, optionally paged, in the envelope.

    Without paging parameters the whole list answers with `count` = its length;
    with them, one page answers with `count` = all matching rows.
    """

    columns: Columns

    @property
    def ordering_aliases(self) -> dict[str, str]:
        return self.columns.paths

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        selected = self.columns.select(queryset)
        page = None
        if self.paginator is not None:
            page = self.paginator.paginate_queryset(
                selected, self.request, view=self, count_from=queryset
            )
        if page is not None:
            return self.get_paginated_response(self.columns.rows(page))
        rows = self.columns.rows(selected)
        return success_response(rows, count=len(rows))


class CachedListMixin(ColumnsListMixin):
    """Serve the plain forms of a list (e.g. no parameters, or `?active=true`) from the cache.

    `cached_lists` maps a normalized query (sorted `(name, lowercased value)` pairs) to its
    `CachedEnvelope`; any other query is answered fresh with `X-Cache: BYPASS`.
    """

    cached_lists: dict[tuple[tuple[str, str], ...], cache.CachedEnvelope] = {}

    def list(self, request, *args, **kwargs):
        query = tuple(sorted((k, v.lower()) for k, v in request.query_params.items()))
        cached = self.cached_lists.get(query)
        if cached is not None:
            return cached.response()
        response = super().list(request, *args, **kwargs)
        response["X-Cache"] = cache.BYPASS
        return response
