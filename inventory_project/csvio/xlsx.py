"""Spreadsheets as .xlsx: read into the CSV importer, and written by the exports.

An .xlsx file is read as the CSV its first worksheet would be: `open_import_source` looks at the
first bytes of any import (API, admin or command), and for an .xlsx file (a zip) hands the
importer a stream of CSV lines made from the sheet's rows as they are read. So an .xlsx import
has exactly the CSV import's validation, preview, limits and streaming; with openpyxl's
read-only mode, memory stays flat whatever the number of rows.

A zip is checked before anything is unpacked: its members' unpacked sizes must stay within
`XLSX_MAX_UNPACKED_BYTES`, so a small file that unpacks into gigabytes (a zip bomb) is refused
in milliseconds. Cells become text as the CSV exports write them: whole numbers without ".0",
dates as ISO dates (a date-time at midnight as its date), TRUE/FALSE as true/false.

`xlsx_download` writes rows (an export's or the reorder page's) into a workbook in
write-only mode, which streams the rows to a temporary file, and answers it as an attachment.
"""

import csv
import io
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import BinaryIO

from django.conf import settings
from django.http import FileResponse
from django.utils import timezone

from inventory_project.csvio.reader import CsvFileError, CsvTooLarge, neutralize_cell

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ZIP_MAGIC = b"PK\x03\x04"
_COPY_CHUNK_BYTES = 1 << 20


class _Chained:
    """A binary stream of some bytes already read, then the rest of `source`, read as asked."""

    def __init__(self, head: bytes, source: BinaryIO) -> None:
        self._head = head
        self._source = source

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._source.read(size)
        head, self._head = self._head, b""
        if size is not None and 0 <= size <= len(head):
            self._head = head[size:]
            return head[:size]
        return head + self._source.read(-1 if size is None or size < 0 else size - len(head))


class _Lines(io.RawIOBase):
    """A binary stream of the bytes an iterator of byte strings yields, read as they come."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def open_import_source(source: BinaryIO, *, max_bytes: int) -> BinaryIO:
    """What an import reads from `source`: its bytes, or the CSV of an .xlsx file's first sheet.

    Only the first four bytes are read here (a zip's signature), and handed on: `source` may be
    a request's body, which cannot be rewound.
    """
    head = source.read(len(_ZIP_MAGIC))
    whole = _Chained(head, source)
    if head != _ZIP_MAGIC:
        return whole
    return io.BufferedReader(_Lines(_xlsx_csv_lines(whole, max_bytes=max_bytes)))


def _spool(source: BinaryIO, *, max_bytes: int) -> tempfile.SpooledTemporaryFile:
    """The whole upload in a file (a zip is read from its end), refused beyond `max_bytes`."""
    spooled = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - returned open
    copied = 0
    while data := source.read(_COPY_CHUNK_BYTES):
        copied += len(data)
        if copied > max_bytes:
            spooled.close()
            raise CsvTooLarge(max_bytes)
        spooled.write(data)
    spooled.seek(0)
    return spooled


def _check_zip(spooled) -> None:
    try:
        members = zipfile.ZipFile(spooled).infolist()
    except zipfile.BadZipFile:
        raise CsvFileError(
            "The file starts like a spreadsheet (.xlsx) but is not a readable one. Save it "
            "again from the spreadsheet, as .xlsx or as CSV UTF-8.",
            code="invalid_xlsx",
        ) from None
    unpacked = sum(member.file_size for member in members)
    shared = sum(m.file_size for m in members if m.filename.endswith("sharedStrings.xml"))
    if shared > settings.XLSX_MAX_SHARED_STRINGS_BYTES:
        raise CsvFileError(
            f"The spreadsheet's texts unpack to {shared:,} bytes, more than an import reads "
            f"({settings.XLSX_MAX_SHARED_STRINGS_BYTES:,}, XLSX_MAX_SHARED_STRINGS_BYTES). "
            "Split it, or save it as CSV.",
            code="xlsx_too_large",
        )
    if unpacked > settings.XLSX_MAX_UNPACKED_BYTES:
        raise CsvFileError(
            f"The spreadsheet unpacks to {unpacked:,} bytes, more than an import reads "
            f"({settings.XLSX_MAX_UNPACKED_BYTES:,}, XLSX_MAX_UNPACKED_BYTES). Split it, or "
            "save it as CSV.",
            code="xlsx_too_large",
        )
    spooled.seek(0)


def cell_text(value) -> str:
    """A cell's value as the CSV exports write it (and the importers read it)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time.min else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    # A workbook's text is text: escaped here as a CSV export escapes it, so that the reader's
    # unescaping gives back exactly what the cell holds ("'=x" stays "'=x", "=x" stays "=x").
    return neutralize_cell(str(value))


class _Line:
    def write(self, value: str) -> str:
        return value


def _xlsx_csv_lines(source: BinaryIO, *, max_bytes: int) -> Iterator[bytes]:
    from openpyxl import load_workbook  # only an import of a spreadsheet pays for it

    spooled = _spool(source, max_bytes=max_bytes)
    try:
        _check_zip(spooled)
        try:
            workbook = load_workbook(spooled, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise CsvFileError(
                f"The spreadsheet could not be read ({type(error).__name__}). Save it again "
                "as .xlsx, or as CSV UTF-8.",
                code="invalid_xlsx",
            ) from None
        try:
            if not workbook.worksheets:
                raise CsvFileError("The spreadsheet has no worksheet.", code="invalid_xlsx")
            writer = csv.writer(_Line(), lineterminator="\r\n")
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                yield writer.writerow([cell_text(value) for value in row]).encode("utf-8")
        finally:
            workbook.close()
    finally:
        spooled.close()


def xlsx_download(
    header: Sequence[str], rows: Iterable[Sequence], *, name: str, sheet: str = "Sheet1"
) -> FileResponse:
    """`rows` under `header` as an .xlsx attachment named `<name>-<date>.xlsx`.

    Written in write-only mode into a temporary file (a spreadsheet is a zip: it cannot be
    sent before it is whole), which is deleted once the answer has been sent.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])

    def excel(value):
        # Numbers stay numbers a spreadsheet can add up (floats hold the 15 digits a quantity
        # has); text is always text, never a formula, whatever it starts with. A workbook's
        # time has no zone and keeps milliseconds only, so a time stamp is written as the CSV
        # writes it (ISO 8601 with its offset): it re-imports to the microsecond.
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, datetime):
            value = value.isoformat()
        if isinstance(value, str):
            # A workbook is XML, which cannot hold most control characters; each one that a
            # stored text has is written as U+FFFD rather than failing the whole download.
            cell = WriteOnlyCell(worksheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
            cell.data_type = "s"
            return cell
        return value

    worksheet.append(list(header))
    for row in rows:
        worksheet.append([excel(value) for value in row])
    output = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    workbook.save(output)
    output.seek(0)
    stamp = timezone.localdate().isoformat()
    response = FileResponse(
        output, as_attachment=True, filename=f"{name}-{stamp}.xlsx", content_type=XLSX_CONTENT_TYPE
    )
    response["Cache-Control"] = "no-store"
    return response
