"""Streaming CSV exports in the import formats, safe to open in a spreadsheet.

Rows come from a database iterator and leave a line at a time, so an export of any size costs
the memory of one chunk. Values are written the way the importer reads them (decimals without
trailing zeros, ISO dates, `true`/`false`), so an export re-imports unchanged; cells a
spreadsheet would execute as a formula are neutralised (see `csv_import.neutralize_cell`).
"""

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone

from inventory_project.csvio.reader import neutralize_cell


class _Line:
    """A file-like object whose `write` hands back the line csv.writer just formatted."""

    def write(self, value: str) -> str:
        return value


def format_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return neutralize_cell(str(value))


def csv_lines(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([format_cell(value) for value in row])


def csv_download(lines: Iterator[str], *, name: str) -> StreamingHttpResponse:
    """A streamed `text/csv` attachment named `<name>-<date>.csv`."""
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in lines), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
