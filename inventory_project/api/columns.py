"""Read rows straight from the database as dicts, without building a model object per row.

A `Columns` maps each public field name of an API row to the ORM path it is read from. Lists of
thousands of rows go out through `values_list` and `zip`, which is several times faster than
model instances plus serializers; the same mapping gives `?ordering=` its field names.
"""

from collections.abc import Iterable

from django.db.models import QuerySet


class Columns:
    def __init__(self, **paths: str) -> None:
        self.paths = paths
        self.names = tuple(paths)

    def select(self, queryset: QuerySet) -> QuerySet:
        """The queryset reduced to these columns, as tuples in `names` order."""
        return queryset.values_list(*self.paths.values())

    def rows(self, tuples: Iterable[tuple]) -> list[dict]:
        names = self.names
        return [dict(zip(names, values, strict=True)) for values in tuples]

    def all(self, queryset: QuerySet) -> list[dict]:
        return self.rows(self.select(queryset))

    def one(self, queryset: QuerySet) -> dict | None:
        rows = self.rows(self.select(queryset)[:1])
        return rows[0] if rows else None

    def of(self, obj) -> dict:
        """The row of an object in memory, read along the same paths: no query.

        Every relation on a path must be loaded already (an object assigned, or selected with
        it); one that is not would be read from the database here, a query per row.
        """
        row = {}
        for name, path in self.paths.items():
            value = obj
            for attribute in path.split("__"):
                value = None if value is None else getattr(value, attribute)
            row[name] = value
        return row
