"""Streaming CSV imports: the part that knows bytes, encodings, delimiters, headers and batches.

An app says what one row means by subclassing `CsvImporter` (items, stock counts, usage
history); `import_csv` does the rest for every door (API, admin, management commands):

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

import codecs
import contextlib
import csv
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from inventory_project.errors import ConflictError, ServiceError

# PostgreSQL's SQLSTATE for "deadlock detected".
_DEADLOCK = "40P01"

DELIMITERS = (",", ";", "\t", "|")
READ_CHUNK_BYTES = 64 * 1024
# A cell echoed back in an error report is cut to this length.
ECHO_MAX_CHARS = 200
# What a spreadsheet would execute if a cell started with it (see `neutralize_cell`).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_FORMULA = re.compile(r"^'+[=+\-@\t\r]")
_HEADER_SEPARATORS = re.compile(r"[\s\-]+")


class CsvFileError(ServiceError):
    """The file as a whole cannot be imported (no header, a missing column, not UTF-8...)."""

    def __init__(self, message: str, *, code: str = "invalid_csv", field: str | None = None):
        super().__init__(message, code=code, field=field or "file")


class CsvTooLarge(ServiceError):
    status_code = 413

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The file is larger than the import limit of {limit:,} bytes (IMPORT_MAX_BYTES).",
            code="request_too_large",
            field="file",
        )


class RowInvalid(Exception):
    """One row is refused; the import goes on with the next one."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- cells ----------------------------------------------------------------------------------


def neutralize_cell(value: str) -> str:
    """Prefix `'` to a cell a spreadsheet would run as a formula (CSV injection).

    A value that already starts with `'` before such a character gets one more, so that
    `unescape_cell` on import gives back exactly the original value.
    """
    if value.startswith(FORMULA_PREFIXES) or _ESCAPED_FORMULA.match(value):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    """Undo `neutralize_cell`: an export re-imports unchanged."""
    if value.startswith("'") and _ESCAPED_FORMULA.match(value):
        return value[1:]
    return value


def parse_decimal(
    value: str, *, field: str, places: int, max_value: Decimal, allow_negative: bool = False
) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise RowInvalid(field, f"{field} must be a number, not {value!r}.") from None
    if not number.is_finite():
        raise RowInvalid(field, f"{field} must be a finite number.")
    if number < 0 and not allow_negative:
        raise RowInvalid(field, f"{field} cannot be negative.")
    if abs(number) > max_value:
        raise RowInvalid(field, f"{field} is out of range (at most {max_value}).")
    if number.as_tuple().exponent < -places and number != round(number, places):
        raise RowInvalid(field, f"{field} may have at most {places} decimal places.")
    return number


# Dates before this are typing errors (a year of 0024 for 2024), not stock history.
EARLIEST_YEAR = 1900


def parse_iso_date(value: str, *, field: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise RowInvalid(
            field, f"{field} must be an ISO date (YYYY-MM-DD), not {value!r}."
        ) from None
    if day.year < EARLIEST_YEAR:
        raise RowInvalid(field, f"{field} {value!r} is before {EARLIEST_YEAR}.")
    return day


def parse_iso_datetime(value: str, *, field: str) -> datetime:
    """An ISO 8601 date-time (or a bare date, meaning its midnight) in the server's time zone."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise RowInvalid(
            field,
            f"{field} must be an ISO date-time (YYYY-MM-DDTHH:MM[:SS][±HH:MM]), not {value!r}.",
        ) from None
    if moment.year < EARLIEST_YEAR:
        raise RowInvalid(field, f"{field} {value!r} is before {EARLIEST_YEAR}.")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f"})


def parse_bool(value: str, *, field: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise RowInvalid(field, f"{field} must be true or false, not {value!r}.")


def check_length(value: str, *, field: str, limit: int) -> str:
    if len(value) > limit:
        raise RowInvalid(field, f"{field} is longer than {limit} characters.")
    return value


# --- reading --------------------------------------------------------------------------------


_BOM = codecs.BOM_UTF8


_LINE_ENDS = frozenset({b"\n", b"\r\n", b"\r"})


def not_utf8(line: int) -> CsvFileError:
    return CsvFileError(
        f"The file is not UTF-8 text (line {line} has bytes that are not). Save it as "
        '"CSV UTF-8" and import it again.',
        code="invalid_encoding",
    )


def line_too_long(line: int, limit: int) -> CsvFileError:
    return CsvFileError(
        f"Line {line} is longer than {limit:,} bytes (CSV_MAX_LINE_BYTES): a CSV row, with "
        "any line breaks inside its quoted cells, must be shorter. Check that the file is a "
        "CSV export and that every quote is closed.",
        code="line_too_long",
    )


class _Utf8Lines:
    """The lines of a UTF-8 byte stream (a BOM dropped, line ends kept), read a chunk at a time.

    Counts the bytes read and refuses to go beyond `limit`; a byte sequence that is not UTF-8
    is reported with the line it is on. Lines end at LF, CRLF or a lone CR (old Mac exports),
    as the csv module expects them untranslated.

    A record (a line, or the lines of one CSV row with line breaks in its quoted cells: the
    reader marks where each starts with `start_record`) longer than `max_record_bytes` is
    refused as soon as the bytes read show it, so a file without line breaks is read no
    further than the cap and one chunk. Each byte is looked at a bounded number of times: the
    chunks are split with `bytes.splitlines` (whose line ends are exactly LF, CRLF and CR, and
    never occur inside a multi-byte UTF-8 character) and an unfinished line is kept as a list of
    pieces, joined once when its end arrives.
    """

    def __init__(self, source: BinaryIO, limit: int, *, max_record_bytes: int) -> None:
        self._source = source
        self._limit = limit
        self._max_record = max_record_bytes
        self.bytes_read = 0
        self.line = 0  # physical lines read so far
        self.record_start = 1  # physical line where the current record starts
        self._record_bytes = 0  # bytes of its lines handed out so far
        self._at_record_start = False

    def start_record(self) -> None:
        """The next line handed out starts a new record.

        Empty lines between records are passed over here, a run of them at a time, counted but
        never handed out: a record of its own each, they would cost the csv module and the
        reader a row each (a file of blank lines is a cheap way to hold a worker).
        """
        self.record_start = self.line + 1
        self._record_bytes = 0
        self._at_record_start = True

    def _chunks(self) -> Iterator[bytes]:
        read = self._source.read
        while data := read(READ_CHUNK_BYTES):
            self.bytes_read += len(data)
            if self.bytes_read > self._limit:
                raise CsvTooLarge(self._limit)
            yield data

    def _decode(self, data: bytes) -> str:
        if not self.line and data.startswith(_BOM):
            data = data[len(_BOM) :]
        self.line += 1
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise not_utf8(self.line) from None

    def _check_record(self, pending: int) -> None:
        if self._record_bytes + pending > self._max_record:
            raise line_too_long(self.record_start, self._max_record)

    def __iter__(self) -> Iterator[str]:
        pieces: list[bytes] = []  # the line read so far, not yet ended
        pending = 0
        held_cr = b""  # a CR at the end of a chunk may be the first half of a CRLF
        for chunk in self._chunks():
            if held_cr:
                chunk = held_cr + chunk
                held_cr = b""
            if chunk.endswith(b"\r"):
                chunk, held_cr = chunk[:-1], b"\r"
                if not chunk:
                    continue
            lines = chunk.splitlines(keepends=True)
            last = lines[-1]
            if not last.endswith((b"\n", b"\r")):
                lines.pop()  # the start of a line that goes on in the next chunk
            else:
                last = b""
            for line in lines:
                if pieces:
                    pieces.append(line)
                    line = b"".join(pieces)
                    pieces = []
                    pending = 0
                elif self._at_record_start and line in _LINE_ENDS:
                    self.line += 1
                    self.record_start += 1
                    continue
                self._at_record_start = False
                self._check_record(len(line))
                self._record_bytes += len(line)
                yield self._decode(line)
            if last:
                pieces.append(last)
                pending += len(last)
                self._check_record(pending)
        if held_cr:
            pieces.append(held_cr)
            pending += 1
        if pieces:
            self._check_record(pending)
            self._at_record_start = False
            yield self._decode(b"".join(pieces))


def normalize_header(name: str) -> str:
    """` Reorder Min ` -> `reorder_min`: header names in any case and spacing."""
    return _HEADER_SEPARATORS.sub("_", name.strip().lower()).strip("_")


def _sniff_delimiter(header_line: str, known: frozenset[str]) -> str:
    """The delimiter that splits the header into the most known column names (`,` on a tie)."""

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(normalize_header(c) in known for c in cells), len(cells)

    return max(DELIMITERS, key=score)


@dataclass(slots=True)
class CsvRow:
    line: int
    raw: dict[str, str]
    values: Any = None


class CsvReader:
    """Iterate the data rows of a CSV stream as `CsvRow`s, after reading and checking its header."""

    def __init__(
        self,
        source: BinaryIO,
        *,
        required: tuple[str, ...],
        optional: tuple[str, ...],
        max_bytes: int,
        max_line_bytes: int,
        max_columns: int,
    ) -> None:
        # The csv module's own cap on a cell is process-wide; records are capped by the line
        # reader, so it only has to be no lower than that cap. Raising it never narrows what
        # another reader accepts.
        if csv.field_size_limit() < max_line_bytes:
            csv.field_size_limit(max_line_bytes)
        self._lines = _Utf8Lines(source, max_bytes, max_record_bytes=max_line_bytes)
        self._line_iterator = iter(self._lines)
        self._line = 1  # physical line of the header
        header_line = self._read_header_line()
        known = frozenset(required + optional)
        self.delimiter = _sniff_delimiter(header_line, known)
        cells = next(csv.reader([header_line], delimiter=self.delimiter), [])
        if len(cells) > max_columns:
            raise CsvFileError(
                f"Line {self._line} (the header) has {len(cells):,} columns; an import reads "
                f"at most {max_columns:,} (CSV_MAX_COLUMNS).",
                code="too_many_columns",
            )
        self.columns = [normalize_header(c) for c in cells]
        while self.columns and not self.columns[-1]:
            self.columns.pop()  # a trailing delimiter after the last header cell
        seen: set[str] = set()
        for name in self.columns:
            if name in seen and name:  # several unnamed columns are all left unread
                raise CsvFileError(f"Column {name!r} appears twice in the header.", field=name)
            seen.add(name)
        missing = [name for name in required if name not in seen]
        if missing:
            raise CsvFileError(
                f"Missing required column{'s' if len(missing) > 1 else ''}: "
                f"{', '.join(missing)}. The header must name: {', '.join(required)}"
                f"{' (optional: ' + ', '.join(optional) + ')' if optional else ''}.",
                code="missing_column",
                field=missing[0],
            )
        self.ignored_columns = [name for name in self.columns if name and name not in known]
        # strict: a quote left open is an error at the end of the file, not a field that
        # swallows every line after it.
        self._reader = csv.reader(self._line_iterator, delimiter=self.delimiter, strict=True)

    @property
    def bytes_read(self) -> int:
        return self._lines.bytes_read

    def _read_header_line(self) -> str:
        self._lines.start_record()
        for line in self._line_iterator:
            if line.strip():
                self._line = self._lines.record_start
                return line
            self._lines.start_record()
        raise CsvFileError("The file is empty: the first line must be the header.")

    def __iter__(self) -> Iterator[CsvRow]:
        columns = self.columns
        width = len(columns)
        reader = self._reader
        unnamed = "" in columns  # an empty header cell: its column is not read
        lines = self._lines
        start_record = lines.start_record
        while True:
            start_record()
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise CsvFileError(
                    f"Line {lines.record_start} cannot be read as CSV: {exc}."
                ) from None
            line = lines.record_start
            # This loop runs once a row, a million times for a big file: C-level calls only.
            joined = "".join(cells)
            if not joined.strip():
                continue  # blank lines, e.g. trailing empty lines of a spreadsheet export
            if "\x00" in joined:
                # No database stores a NUL in text; it comes from a binary or corrupt file,
                # whose other rows are no more trustworthy: refuse the file, like bad UTF-8.
                raise CsvFileError(
                    f"Line {line} contains a NUL character: this is not a text CSV file."
                )
            if len(cells) > width:
                if "".join(cells[width:]).strip():
                    raw = dict(zip(columns, cells, strict=False))
                    raw["…"] = ",".join(cells[width:])
                    yield CsvRow(
                        line,
                        raw,
                        RowInvalid(
                            None, f"The row has {len(cells)} cells; the header has {width}."
                        ),
                    )
                    continue
                del cells[width:]  # trailing empty cells (a delimiter at the end of the line)
            elif len(cells) < width:
                cells.extend([""] * (width - len(cells)))  # a short row: missing cells are blank
            cells = list(map(str.strip, cells))
            if "'" in "".join(cells):
                cells = list(map(unescape_cell, cells))
            raw = dict(zip(columns, cells, strict=True))
            if unnamed:
                raw.pop("", None)
            yield CsvRow(line, raw)


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
    required_columns: tuple[str, ...] = ()
    optional_columns: tuple[str, ...] = ()
    #: The file's columns (normalized), set once its header has been read.
    columns: list[str] = []

    def clean_row(self, raw: dict[str, str]) -> Any:
        """The row's validated values, or `RowInvalid`. No database access here."""
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
        """The `data` of the API answer (v20's `total_rows, inserted, errors`, and more)."""
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
            reader = CsvReader(
                source,
                required=importer.required_columns,
                optional=importer.optional_columns,
                max_bytes=settings.IMPORT_MAX_BYTES if max_bytes is None else max_bytes,
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
    report.extra = importer.report_extra(report)
    report.seconds = time.monotonic() - started
    if progress:
        progress(report)
    return report
