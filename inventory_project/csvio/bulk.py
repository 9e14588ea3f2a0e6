"""Set-based writes for imports: thousands of rows a statement instead of one object a row.

The ORM's `bulk_create`/`bulk_update` build a model instance per row and, for updates, one
`CASE WHEN` per column and row; at a million rows that is most of an import's time. These
helpers take plain tuples. On PostgreSQL they `COPY` the rows (into the table, or into a
temporary table that one set-based statement then reads); on SQLite, `executemany` in the same
transaction is as fast as SQLite gets. They skip model `save()` and signals, so callers must do
what those would (timestamps, ledger rows).
"""

import itertools
from collections.abc import Iterable, Sequence

from django.db import connection, models

# SQLite accepts at most 32,766 parameters a statement.
_SQLITE_MAX_PARAMS = 32_000


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _fields(model: type[models.Model], names: Sequence[str]) -> list[models.Field]:
    return [model._meta.pk if name == "pk" else model._meta.get_field(name) for name in names]


def _quoted(fields: Iterable[models.Field]) -> str:
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)


_stage_names = itertools.count()


def _copy_to_stage(cursor, fields: Sequence[models.Field], rows: Iterable[Sequence]) -> str:
    """COPY rows into a new temporary table (dropped at commit); answer its name.

    COPY moves rows several times faster than array parameters, whose text form psycopg builds
    in Python value by value.
    """
    name = f"bulk_stage_{next(_stage_names)}"
    columns = ", ".join(f"c{i} {f.cast_db_type(connection)}" for i, f in enumerate(fields))
    cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns}) ON COMMIT DROP")
    with cursor.copy(f"COPY {name} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return name


def _sqlite_columns(fields: Sequence[models.Field], rows: Iterable[Sequence]) -> list[Iterable]:
    """The rows' values column by column, as SQLite stores them.

    Only date-times and UUIDs need Django's conversion, and it is made once per distinct value
    of a column, not once a row: an import's rows mostly share a few time stamps (the batch's
    "now"), and the conversion costs more than the rest of the row. Equal values convert
    alike (with time zones on, equal instants become the same UTC text whatever their zone).
    """
    columns: list[Iterable] = list(zip(*rows, strict=True))
    for i, f in enumerate(fields):
        if columns and isinstance(f, models.DateTimeField | models.UUIDField):
            stored = {value: f.get_db_prep_save(value, connection) for value in set(columns[i])}
            columns[i] = map(stored.__getitem__, columns[i])
    return columns


def _sqlite_rows(fields: Sequence[models.Field], rows: Iterable[Sequence]) -> list[tuple]:
    """The rows as tuples of values as SQLite stores them (see `_sqlite_columns`)."""
    return list(zip(*_sqlite_columns(fields, rows), strict=True))


def insert_returning(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence],
    *,
    conflict: Sequence[str] = (),
    returning: Sequence[str],
) -> list[tuple]:
    """INSERT rows, skipping any that clash; answer `returning` of those inserted.

    A clash is on `conflict` (by default: on any unique constraint). Rows that clash (inserted
    meanwhile by another transaction) are not returned, so the caller can tell its own rows
    from someone else's. With `conflict` the rows go in in the order of those columns: two
    transactions inserting some of the same new rows then wait on each other in one order,
    never in a circle (a deadlock).
    """
    if not rows:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    fields = _fields(model, columns)
    on_conflict = (
        f"ON CONFLICT ({_quoted(_fields(model, conflict))})" if conflict else "ON CONFLICT"
    )
    returning_sql = _quoted(_fields(model, returning))
    order_by = ""
    if conflict:
        positions = [list(columns).index(name) for name in conflict]
        rows = sorted(rows, key=lambda row: [(row[i] is None, row[i]) for i in positions])
        order_by = " ORDER BY " + ", ".join(f"c{i}" for i in positions)
    with connection.cursor() as cursor:
        if _is_postgres():
            stage = _copy_to_stage(cursor, fields, rows)
            cursor.execute(
                f"INSERT INTO {table} ({_quoted(fields)}) "
                f"SELECT {', '.join(f'c{i}' for i in range(len(fields)))} FROM {stage}"
                f"{order_by} {on_conflict} DO NOTHING RETURNING {returning_sql}"
            )
            inserted = cursor.fetchall()
            cursor.execute(f"DROP TABLE {stage}")
            return inserted
        result: list[tuple] = []
        per_statement = max(1, _SQLITE_MAX_PARAMS // len(fields))
        prepared = _sqlite_rows(fields, rows)
        placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for start in range(0, len(prepared), per_statement):
            chunk = prepared[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {table} ({_quoted(fields)}) VALUES "
                f"{', '.join([placeholder] * len(chunk))} "
                f"{on_conflict} DO NOTHING RETURNING {returning_sql}",
                [value for row in chunk for value in row],
            )
            result.extend(cursor.fetchall())
        return result


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence]
) -> None:
    """Append rows (COPY on PostgreSQL); for tables only ever appended to, such as the ledger."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    fields = _fields(model, columns)
    with connection.cursor() as cursor:
        if _is_postgres():
            with cursor.copy(f"COPY {table} ({_quoted(fields)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        cursor.executemany(
            f"INSERT INTO {table} ({_quoted(fields)}) VALUES ({placeholders})",
            _sqlite_rows(fields, rows),
        )


def update_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence]) -> int:
    """Set `columns` of the rows whose primary key is the first value of each tuple."""
    if not rows:
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    pk = model._meta.pk
    fields = _fields(model, columns)
    with connection.cursor() as cursor:
        if _is_postgres():
            stage = _copy_to_stage(cursor, [pk, *fields], rows)
            assignments = ", ".join(
                f"{connection.ops.quote_name(f.column)} = v.c{i + 1}" for i, f in enumerate(fields)
            )
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM {stage} AS v "
                f"WHERE {table}.{connection.ops.quote_name(pk.column)} = v.c0"
            )
            updated = cursor.rowcount
            cursor.execute(f"DROP TABLE {stage}")
            return updated
        assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
        # The primary key, first in each row, goes last: it is the WHERE's parameter.
        pks, *values = _sqlite_columns([pk, *fields], rows)
        prepared = list(zip(*values, pks, strict=True))
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE {connection.ops.quote_name(pk.column)} = %s",
            prepared,
        )
        return len(prepared)


def fetch_rows(queryset: models.QuerySet) -> list[tuple]:
    """The rows of a `values_list` queryset, all at once.

    On PostgreSQL psycopg already answers the right Python types, so the rows come straight from
    one `fetchall`, without the ORM's chunked fetching and per-row conversion (a third of the
    time of a large lookup). Elsewhere the ORM converts (SQLite stores decimals and dates as
    text).
    """
    if not _is_postgres():
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
