"""Reading CSV files as spreadsheets write them: bytes, encodings, delimiters, headers, cells.

The reader streams a file a chunk at a time and yields validated-size rows; the cell parsers
(`parse_decimal`, `parse_iso_date`, ...) and the formula neutralizing shared by imports and
exports live here too. The importer engine (`inventory_project.csvio.engine`) drives it.
"""

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

from django.utils import timezone

from inventory_project.service_errors import ServiceError

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


# A number as European spreadsheets write it into `;`-separated files: a decimal comma, and
# maybe a point between thousands ("1,5", "-0,25", "1.234,5").
_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+")


def decimal_text(value: str, *, decimal_comma: bool, field: str) -> str:
    """`value` with a decimal comma made a point, in a file whose cells are separated by `;`.

    A comma is read as the decimal separator only there (elsewhere it separates cells), and only
    in a number of that form; "1.5" keeps its point. Anything else with a comma is refused
    rather than guessed (is "1,500" one and a half or fifteen hundred?).
    """
    if "," not in value:
        return value
    if decimal_comma and _DECIMAL_COMMA.fullmatch(value):
        return value.replace(".", "").replace(",", ".")
    raise RowInvalid(
        field,
        f"{field} must be a number, not {value!r}"
        + (
            " (a decimal comma is read only in files separated by ;)." if not decimal_comma else "."
        ),
    )


def parse_decimal(
    value: str,
    *,
    field: str,
    places: int,
    max_value: Decimal,
    allow_negative: bool = False,
    decimal_comma: bool = False,
) -> Decimal:
    try:
        number = Decimal(decimal_text(value, decimal_comma=decimal_comma, field=field))
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
