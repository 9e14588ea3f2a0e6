"""The shared body of the CSV import commands (`import_items`, `import_inventory`, `import_usage`).

`CsvImportCommand` reads the arguments, opens the file (or standard input for `-`), draws a
progress bar over the bytes read, calls the app's import service and prints the report: a
summary on stdout, then the first bad rows on stderr. A command only names what it imports and
which service does it.

The exit status is what scripts and cron look at: 0 when every row was accepted, 1 (a
`CommandError`) when the file cannot be read or any row was refused, even if the other rows
were imported.
"""

import argparse
import os
import stat
import sys
from contextlib import nullcontext
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from tqdm import tqdm

from inventory_project.audit import command_audit_context
from inventory_project.csvio.engine import ImportReport
from inventory_project.csvio.reader import CsvTooLarge
from inventory_project.http.request_context import new_request_id, reset_request_id, set_request_id
from inventory_project.service_errors import ServiceError

DEFAULT_MAX_ERRORS = 20


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"cannot be negative, not {value}")
    return value


def _plain(text: str) -> str:
    return text


class _BarStream:
    """The command's stderr as tqdm needs it.

    tqdm redraws its line with `\\r`; `OutputWrapper.write` would end every write with a newline
    (and colour it as an error on a terminal), so writes go through unterminated and unstyled.
    """

    def __init__(self, out: OutputWrapper) -> None:
        self._out = out

    def write(self, text: str) -> None:
        self._out.write(text, style_func=_plain, ending="")

    def flush(self) -> None:
        self._out.flush()

    def isatty(self) -> bool:
        return self._out.isatty()


def _size(stream: BinaryIO) -> int | None:
    """The size in bytes of a stream backed by a regular file; None for a pipe or a terminal."""
    try:
        status = os.fstat(stream.fileno())
    except (OSError, AttributeError, ValueError):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


class CsvImportCommand(BaseCommand):
    """Base of a CSV import command: set `label` and implement `run_import`."""

    #: What the rows are, for the summary ("items", "stock counts", "usage history").
    label = "rows"
    #: Whether the import can record who made it (`--user`).
    takes_user = True

    def run_import(self, csv_file: BinaryIO, *, user, **options) -> ImportReport:
        """Call the app's import service; `options` go on to `import_csv`."""
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file to import, or - to read standard input.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Validate every row and report what would change, but write nothing.",
        )
        parser.add_argument(
            "--atomic",
            action="store_true",
            help="All or nothing: if any row is refused, import none of them.",
        )
        parser.add_argument(
            "--batch-size",
            type=_positive_int,
            metavar="N",
            help=f"Rows checked and written together (default IMPORT_BATCH_SIZE, "
            f"{settings.IMPORT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--max-errors",
            type=_non_negative_int,
            default=DEFAULT_MAX_ERRORS,
            metavar="N",
            help=f"How many refused rows to print (default {DEFAULT_MAX_ERRORS}); "
            "the rest are counted.",
        )
        if self.takes_user:
            parser.add_argument(
                "--user",
                metavar="EMAIL",
                help="The active user the import is made for and recorded as (default: the "
                "operator, trusted with every change).",
            )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="No progress bar (it is also left out when stderr is not a terminal).",
        )

    def handle(self, *args, **options):
        user = self._user(options.get("user"))
        path = options["file"]
        if path == "-":
            opened = nullcontext(sys.stdin.buffer)  # not ours to close
        else:
            try:
                opened = open(path, "rb")  # noqa: SIM115 (closed by the `with` below)
            except OSError as exc:
                raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        # The ledger rows of one run share an id, as those of one API request do.
        token = set_request_id(new_request_id())
        try:
            with opened as csv_file, command_audit_context(self._command_name(), actor=user):
                report = self._import(csv_file, user=user, options=options)
        except ServiceError as exc:
            # The file as a whole was refused (unreadable, too large, a concurrent change).
            raise CommandError(exc.message) from None
        finally:
            reset_request_id(token)
        self._print_report(report, path=path, max_errors=options["max_errors"])

    def _command_name(self) -> str:
        return self.__module__.rsplit(".", 1)[-1]

    def _user(self, email: str | None):
        if email is None:
            return None
        model = get_user_model()
        try:
            user = model._default_manager.get_by_natural_key(email)
        except model.DoesNotExist:
            raise CommandError(f"No user with the e-mail address {email}.") from None
        if not user.is_active:
            raise CommandError(f"User {user.email} is inactive.")
        return user

    def _import(self, csv_file: BinaryIO, *, user, options: dict) -> ImportReport:
        size = _size(csv_file)
        # Refused before reading a byte; a stream of unknown size is stopped at the limit.
        if size is not None and size > settings.IMPORT_MAX_BYTES:
            raise CsvTooLarge(settings.IMPORT_MAX_BYTES)
        with tqdm(
            total=size,
            unit="B",
            unit_scale=True,
            desc=f"Importing {self.label}",
            file=_BarStream(self.stderr),
            disable=True if options["no_progress"] else None,
        ) as bar:

            def progress(report: ImportReport) -> None:
                # Strings: tqdm would show a number like 100000 as 1e+5.
                postfix = {"rows": f"{report.total_rows:,}", "errors": f"{report.error_count:,}"}
                bar.set_postfix(postfix, refresh=False)
                bar.update(report.bytes_read - bar.n)

            return self.run_import(
                csv_file,
                user=user,
                dry_run=options["dry_run"],
                atomic=options["atomic"],
                batch_size=options["batch_size"],
                max_reported_errors=options["max_errors"],
                progress=progress,
            )

    def _print_report(self, report: ImportReport, *, path: str, max_errors: int) -> None:
        source = "standard input" if path == "-" else path
        lines = [
            f"Import of {self.label} from {source}",
            f"  total rows:   {report.total_rows}",
            f"  inserted:     {report.inserted}",
            f"  updated:      {report.updated}",
            f"  unchanged:    {report.unchanged}",
            f"  errors:       {report.error_count}",
            f"  seconds:      {report.seconds:.2f}",
            f"  rows/second:  {report.rows_per_second:.0f}",
        ]
        if report.ignored_columns:
            lines.append(f"  ignored columns: {', '.join(report.ignored_columns)}")
        for name, values in report.extra.items():
            if values:
                lines.append(f"  {name.replace('_', ' ')}: {', '.join(values)}")
        self.stdout.write("\n".join(lines))
        if report.dry_run:
            self.stdout.write(self.style.WARNING("DRY RUN: nothing written"))
        elif report.atomic and not report.committed:
            self.stdout.write(self.style.WARNING("ATOMIC: nothing imported"))
        if not report.error_count:
            return
        shown = report.errors[:max_errors]
        for error in shown:
            field = f"{error['field']}: " if error["field"] else ""
            self.stderr.write(f"line {error['line']}: {field}{error['error']}")
        unshown = report.error_count - len(shown)
        if unshown:
            self.stderr.write(f"... and {unshown} more")
        raise CommandError(self._failure(report))

    @staticmethod
    def _failure(report: ImportReport) -> str:
        refused = f"{report.error_count} of {report.total_rows} rows"
        if report.dry_run:
            return f"{refused} would be refused (dry run)."
        if not report.committed:
            return f"{refused} were refused; nothing was imported (--atomic)."
        return f"{refused} were refused; the other rows were imported."
