"""Streaming CSV imports: the part that knows bytes, encodings, delimiters, headers and batches.

An app says what one row means by subclassing `CsvImporter` (items, stock counts, usage
history); `import_csv` does the rest for every source (API, admin, management commands):

- the file is read as a stream, a batch of rows at a time, so memory stays bounded whatever
  its size; a configured byte limit refuses anything larger;
- reading is linear in the input whatever its shape: a row longer than `CSV_MAX_LINE_BYTES`
  (quoted line breaks included) or a header wider than `CSV_MAX_COLUMNS` is refused, naming its
  line, as soon as it is seen;
- spreadsheets are met where they are: UTF-8 with or without a BOM, CRLF, Excel's `;` (sniffed
  from the header), quoted fields with delimiters and newlines, blank lines, header names in
  any case and spacing, and the `'` a spreadsheet export puts before formula-like cells;
- every row is validated before it is written; bad rows are reported by line with the field
  and the reason, up to `IMPORT_MAX_REPORTED_ERRORS` of them plus a count of the rest;
- the whole import runs in one transaction: a crash or a killed worker leaves the database as
  it was. `dry_run` validates and reports without writing; `atomic` writes all rows or none.
"""

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.conf import settings
from django.db import OperationalError, connection, models, transaction

from inventory_project.csvio.reader import (
    _DEADLOCK,
    ECHO_MAX_CHARS,
    CsvReader,
    CsvRow,
    RowInvalid,
)
from inventory_project.csvio.xlsx import open_import_source
from inventory_project.planner_statistics import refresh_planner_statistics
from inventory_project.service_errors import ConflictError, ServiceError

# --- duplicates inside one file -------------------------------------------------------------


class SeenKeys:
    """Remembers the line of every key of a file, in about 16 bytes a row, to spot duplicates.

    Keys are kept as their 64-bit hashes: a recent part in a dict and the rest in sorted NumPy
    arrays, merged when the dict grows large, so a million-row file costs megabytes, not the
    hundreds a set of tuples would. Two different keys sharing a hash is about as likely as a
    cosmic-ray bit flip (n²/2⁶⁵).

    NumPy is imported in the methods: every command and web worker loads this module, and
    importing NumPy would add about 0.2 s to each start.
    """

    MERGE_AT = 1 << 17

    def __init__(self) -> None:
        import numpy as np

        self._recent: dict[int, int] = {}
        self._hashes = np.empty(0, dtype=np.int64)
        self._lines = np.empty(0, dtype=np.int64)

    def first_lines(self, keys: list, lines: list[int]) -> list[int | None]:
        """For each key, the line where the file had it before, or None; then remember them."""
        hashes = [hash(key) for key in keys]
        recent = self._recent
        in_merged = positions = None
        if len(self._hashes):
            import numpy as np

            array = np.array(hashes, dtype=np.int64)
            positions = np.minimum(np.searchsorted(self._hashes, array), len(self._hashes) - 1)
            in_merged = np.flatnonzero(self._hashes[positions] == array)
        batch = dict(zip(hashes, lines, strict=True))
        if (
            len(batch) == len(hashes)
            and recent.keys().isdisjoint(batch)
            and not (in_merged is not None and len(in_merged))
        ):
            recent.update(batch)  # the usual case, no duplicate: no loop in Python
            earlier: list[int | None] = [None] * len(keys)
        else:
            earlier = self._slow_path(hashes, lines, positions, in_merged)
        if len(recent) >= self.MERGE_AT:
            self._merge()
        return earlier

    def _slow_path(self, hashes, lines, positions, in_merged) -> list[int | None]:
        earlier: list[int | None] = [None] * len(hashes)
        if in_merged is not None:
            for i in in_merged:
                earlier[i] = int(self._lines[positions[i]])
        recent = self._recent
        for i, h in enumerate(hashes):
            if earlier[i] is None:
                earlier[i] = recent.get(h)
                if earlier[i] is None:
                    recent[h] = lines[i]
        return earlier

    def _merge(self) -> None:
        import numpy as np

        hashes = np.concatenate([self._hashes, np.fromiter(self._recent, dtype=np.int64)])
        lines = np.concatenate([self._lines, np.fromiter(self._recent.values(), dtype=np.int64)])
        order = np.argsort(hashes, kind="stable")
        self._hashes, self._lines = hashes[order], lines[order]
        self._recent = {}


# --- the importer contract and the report ---------------------------------------------------


@dataclass
class BatchResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[CsvRow, RowInvalid]] = field(default_factory=list)


class CsvImporter:
    """What one kind of import means. Subclasses define the columns and the three hooks."""

    #: Name used in logs and messages ("items", "stock counts", "usage history").
    label = "rows"
    #: The models whose tables it writes: their planner statistics are refreshed after an
    #: import that wrote at least `IMPORT_ANALYZE_MIN_ROWS` rows.
    written_models: tuple[type[models.Model], ...] = ()
    required_columns: tuple[str, ...] = ()
    optional_columns: tuple[str, ...] = ()
    #: The file's columns (normalized), set once its header has been read.
    columns: list[str] = []
    #: Whether numbers may have a decimal comma: in a file separated by `;` (set with `columns`).
    decimal_comma: bool = False

    def clean_row(self, raw: dict[str, str]) -> Any:
        """The row's validated values. No database access here.

        `RowInvalid`, or a `ServiceError` of a rule the services share (a text's length, a
        SKU's form), refuses the row with its message and field; the import goes on.
        """
        raise NotImplementedError

    def row_key(self, values: Any) -> Any:
        """What makes a row unique within a file (a hashable)."""
        raise NotImplementedError

    def describe_key(self, values: Any) -> str:
        return str(self.row_key(values))

    def apply_batch(self, rows: list[CsvRow], *, write: bool) -> BatchResult:
        """Compare a batch of clean rows with the database and, if `write`, write the changes."""
        raise NotImplementedError

    def finish(self) -> None:
        """Called once at the end inside the transaction (e.g. to invalidate caches)."""

    def report_extra(self, report: "ImportReport") -> dict[str, list[str]]:
        """Lists this import adds to the answer's `data` (e.g. the locations it created)."""
        return {}


@dataclass
class ImportReport:
    total_rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[dict] = field(default_factory=list)
    dry_run: bool = False
    atomic: bool = False
    committed: bool = False
    delimiter: str = ","
    ignored_columns: list[str] = field(default_factory=list)
    # The first rows as read: [{"line": 2, "row": {"sku": ..., ...}}, ...]
    preview: list[dict] = field(default_factory=list)
    bytes_read: int = 0
    seconds: float = 0.0
    # From `CsvImporter.report_extra`: {"created_locations": [...]}.
    extra: dict[str, list[str]] = field(default_factory=dict)

    @property
    def errors_omitted(self) -> int:
        return self.error_count - len(self.errors)

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0

    def as_data(self) -> dict:
        """The `data` of the API answer (the contract's `total_rows, inserted, errors` and more)."""
        return {
            "total_rows": self.total_rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.error_count,
            "errors_omitted": self.errors_omitted,
            "dry_run": self.dry_run,
            "atomic": self.atomic,
            "committed": self.committed,
            "delimiter": self.delimiter,
            "ignored_columns": self.ignored_columns,
            "seconds": round(self.seconds, 3),
            **self.extra,
        }


def _echo(raw: dict[str, str]) -> dict[str, str]:
    return {
        k: (v if len(v) <= ECHO_MAX_CHARS else v[:ECHO_MAX_CHARS] + "…") for k, v in raw.items()
    }


ProgressCallback = Callable[[ImportReport], None]


class _ImportRun:
    """One pass over one file: batches rows, rejects bad ones, keeps the report."""

    def __init__(self, importer: CsvImporter, report: ImportReport, *, max_errors: int) -> None:
        self.importer = importer
        self.report = report
        self.max_errors = max_errors
        self.seen = SeenKeys()

    @property
    def writing(self) -> bool:
        # In atomic mode the first bad row means nothing will be kept: validate, don't write.
        report = self.report
        return not report.dry_run and not (report.atomic and report.error_count)

    def reject(self, row: CsvRow, error: RowInvalid) -> None:
        report = self.report
        report.error_count += 1
        if len(report.errors) < self.max_errors:
            report.errors.append(
                {
                    "line": row.line,
                    "error": error.message,
                    "field": error.field,
                    "row": _echo(row.raw),
                }
            )

    def run_batch(self, batch: "_Batch") -> None:
        importer, report = self.importer, self.report
        errors = list(batch.rejected)
        rows = batch.rows
        earlier_lines = self.seen.first_lines(
            [importer.row_key(row.values) for row in rows], [row.line for row in rows]
        )
        unique = []
        for row, earlier in zip(rows, earlier_lines, strict=True):
            if earlier is None:
                unique.append(row)
                continue
            message = (
                f"Duplicate of line {earlier}: {importer.describe_key(row.values)} "
                "appears more than once in the file."
            )
            errors.append((row, RowInvalid(None, message)))
        # In atomic mode the first bad row means nothing will be kept: validate, don't write.
        write = not report.dry_run and not (report.atomic and (report.error_count or errors))
        result = importer.apply_batch(unique, write=write)
        errors.extend(result.errors)
        # A batch's rows are consecutive lines, so sorting each batch lists them all in order
        # (and the cap keeps the first lines, whichever check refused them).
        errors.sort(key=lambda error: error[0].line)
        for row, error in errors:
            self.reject(row, error)
        report.inserted += result.inserted
        report.updated += result.updated
        report.unchanged += result.unchanged

    def run(self, reader: "CsvReader", *, batch_size: int, preview_rows: int, progress) -> None:
        report = self.report
        report.delimiter = reader.delimiter
        report.ignored_columns = reader.ignored_columns
        self.importer.columns = reader.columns
        self.importer.decimal_comma = reader.delimiter == ";"
        parsed = _ParsedBatches(reader, self.importer, batch_size=batch_size, preview=preview_rows)
        with parsed:
            for batch in parsed:
                report.total_rows += batch.total_rows
                report.preview.extend(batch.preview)
                self.run_batch(batch)
                report.bytes_read = batch.bytes_read
                if progress:
                    progress(report)


@dataclass
class _Batch:
    rows: list[CsvRow]
    rejected: list[tuple[CsvRow, RowInvalid]]
    total_rows: int
    preview: list[dict]
    bytes_read: int


class _ParsedBatches:
    """Read and clean the file in a thread of its own, a few batches ahead of the writer.

    While the database works on one batch (psycopg releases the GIL while it waits), the next
    is parsed and validated. The queue holds at most two batches, so memory stays bounded.
    `clean_row` touches no database, which is what makes this safe.
    """

    _DONE = object()

    def __init__(self, reader, importer: CsvImporter, *, batch_size: int, preview: int) -> None:
        self._reader = reader
        self._importer = importer
        self._batch_size = batch_size
        self._preview = preview
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="csv-import-reader", daemon=True)

    def __enter__(self) -> "_ParsedBatches":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):  # unblock a producer waiting for room
                self._queue.get(timeout=0.05)
        self._thread.join()

    def __iter__(self) -> Iterator[_Batch]:
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        clean_row = self._importer.clean_row
        preview_left = self._preview
        batch = _Batch([], [], 0, [], 0)
        try:
            for row in self._reader:
                batch.total_rows += 1
                if not batch.total_rows % 128:
                    # Hand the GIL back now and then: the writer, back from a database round
                    # trip, would otherwise wait for the interpreter's 5 ms switch interval.
                    time.sleep(0)
                if preview_left:
                    preview_left -= 1
                    batch.preview.append({"line": row.line, "row": _echo(row.raw)})
                if row.values is not None:  # the reader found the row malformed
                    batch.rejected.append((row, row.values))
                    continue
                try:
                    row.values = clean_row(row.raw)
                except RowInvalid as error:
                    batch.rejected.append((row, error))
                    continue
                except ServiceError as error:
                    batch.rejected.append((row, RowInvalid(error.field, error.message)))
                    continue
                batch.rows.append(row)
                if len(batch.rows) >= self._batch_size:
                    batch.bytes_read = self._reader.bytes_read
                    if not self._put(batch):
                        return
                    batch = _Batch([], [], 0, [], 0)
            batch.bytes_read = self._reader.bytes_read
            if self._put(batch):
                self._put(self._DONE)
        except BaseException as exc:  # handed to the writer thread, which raises it
            self._put(exc)


def import_csv(
    importer: CsvImporter,
    source: BinaryIO,
    *,
    dry_run: bool = False,
    atomic: bool = False,
    max_bytes: int | None = None,
    max_reported_errors: int | None = None,
    batch_size: int | None = None,
    preview_rows: int = 0,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Validate and import the CSV in `source` (a binary stream) with `importer`.

    `source` may also be an .xlsx spreadsheet: its first sheet is read as its CSV would be
    (`inventory_project.csvio.xlsx`).

    Raises `CsvFileError` (400) for a file that cannot be read at all, `CsvTooLarge` (413) and
    `ConflictError` (409) when PostgreSQL breaks a deadlock with a concurrent change; in each
    case nothing is written. Bad rows are reported in the returned `ImportReport`.
    """
    started = time.monotonic()
    report = ImportReport(dry_run=dry_run, atomic=atomic)
    run = _ImportRun(
        importer,
        report,
        max_errors=(
            settings.IMPORT_MAX_REPORTED_ERRORS
            if max_reported_errors is None
            else max_reported_errors
        ),
    )
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Check foreign keys as each batch is written, while the next one is being
                # parsed, instead of all of them serially at commit.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            limit = settings.IMPORT_MAX_BYTES if max_bytes is None else max_bytes
            reader = CsvReader(
                open_import_source(source, max_bytes=limit),
                required=importer.required_columns,
                optional=importer.optional_columns,
                max_bytes=limit,
                max_line_bytes=settings.CSV_MAX_LINE_BYTES,
                max_columns=settings.CSV_MAX_COLUMNS,
            )
            run.run(
                reader,
                batch_size=batch_size or settings.IMPORT_BATCH_SIZE,
                preview_rows=preview_rows,
                progress=progress,
            )
            report.committed = run.writing
            if report.committed:
                importer.finish()
            else:
                # A dry run, or an atomic import with bad rows: nothing may stay.
                transaction.set_rollback(True)
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == _DEADLOCK:
            raise ConflictError(
                "The import met a concurrent change of the same stock and was rolled back; "
                "nothing was written. Send it again.",
                code="import_conflict",
            ) from exc
        raise
    if atomic and report.error_count:
        report.inserted = report.updated = report.unchanged = 0
    if report.committed and report.inserted + report.updated >= settings.IMPORT_ANALYZE_MIN_ROWS:
        refresh_planner_statistics(importer.written_models)
    report.extra = importer.report_extra(report)
    report.seconds = time.monotonic() - started
    if progress:
        progress(report)
    return report
