"""`?ordering=` with a stable tie-break, and a 400 for fields the route does not order by.

Paging over an ordering with ties can repeat or skip rows between pages; appending the primary
key makes every ordering total.
"""

from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter


class StableOrderingFilter(OrderingFilter):
    tie_breaker = "id"

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            requested = [term.strip() for term in params.split(",") if term.strip()]
            allowed = {name for name, _label in self.get_valid_fields(queryset, view, {})}
            unknown = [term for term in requested if term.lstrip("-") not in allowed]
            if unknown:
                raise ValidationError(
                    {
                        self.ordering_param: [
                            f"Cannot order by {', '.join(unknown)}; "
                            f"choose from {', '.join(sorted(allowed))}."
                        ]
                    }
                )
            ordering = requested
        else:
            ordering = list(self.get_default_ordering(view) or [])
        if not any(term.lstrip("-") in (self.tie_breaker, "pk") for term in ordering):
            ordering.append(self.tie_breaker)
        return ordering

    def filter_queryset(self, request, queryset, view):
        """Order by the public names, translated through the view's `ordering_aliases`."""
        aliases = getattr(view, "ordering_aliases", {})
        order_by = []
        for term in self.get_ordering(request, queryset, view):
            descending, name = term.startswith("-"), term.lstrip("-")
            order_by.append(("-" if descending else "") + aliases.get(name, name))
        return queryset.order_by(*order_by)
