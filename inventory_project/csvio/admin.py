"""CSV import pages in the Django admin: upload, preview, then confirm, through the import services.

`CsvImportAdminMixin` gives a `ModelAdmin` an "Import CSV" button on its change list and a page
at `<change list>/import/` that calls the app's import service (`items.item_csv`,
`inventory.stock_csv`, `forecasting.usage_csv`) exactly as the API and the management commands do:

1. the form takes the file and the "all rows or none" choice;
2. the upload is copied to a private temporary file and the service runs on it as a dry run: the
   preview shows what would change, the first rows as read and every refused row;
3. "Confirm import" runs the service for real on the same bytes and returns to the change list
   with the counts. The file is named by a random token kept in the user's session, so only the
   user who uploaded it can confirm it, and it is deleted once confirmed, cancelled or expired.

A file that cannot be imported at all (missing column, not UTF-8, too large) is shown as an error
of the form; nothing is saved. The page needs the permission the subclass names; without it the
button is hidden and the page answers 403.

An admin that also names `csv_export_rows` gets "Export CSV" and "Export .xlsx" buttons beside
it: the rows the change list shows (its filters, search and ordering), every page of them, in the
import's format, so a download edited in a spreadsheet comes back through the same import.
Anyone who may see the list may download it.
"""

import contextlib
import inspect
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.core import checks
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from inventory_project.csvio.engine import ImportReport
from inventory_project.csvio.export import csv_download, csv_lines
from inventory_project.csvio.reader import CsvTooLarge
from inventory_project.csvio.xlsx import XLSX_CONTENT_TYPE, xlsx_download
from inventory_project.service_errors import ServiceError

PREVIEW_ROWS = 20
# Every refused row is listed in the preview, up to this many; the rest are counted.
PREVIEW_MAX_ERRORS = 1000
# Refused lines named in the message after a real import (the preview listed them all).
CONFIRM_MAX_ERROR_LINES = 10
# An upload not confirmed within this time is forgotten and its file removed.
PENDING_SECONDS = 60 * 60
# Session key of the uploads awaiting confirmation: {model label: pending upload}.
SESSION_KEY = "csv_imports_pending"
# Names of the files kept between preview and confirmation; the sweep removes only these.
FILE_PREFIX = "inventory-admin-import-"
DELIMITER_NAMES = {",": "comma (,)", ";": "semicolon (;)", "\t": "tab", "|": "pipe (|)"}


class CsvImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or .xlsx file",
        widget=forms.FileInput(
            attrs={"accept": f".csv,text/csv,text/plain,.xlsx,{XLSX_CONTENT_TYPE}"}
        ),
    )
    atomic = forms.BooleanField(
        required=False,
        label="Atomic: all rows or none",
        label_suffix="",
        help_text="If any row has an error, import nothing. Otherwise the valid rows are "
        "imported and the bad ones skipped.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Refused before a byte is copied; the service would refuse it while reading anyway.
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(CsvTooLarge(settings.IMPORT_MAX_BYTES).message)
        return upload


@dataclass
class PendingUpload:
    """An upload between its preview and its confirmation, as kept in the session (JSON)."""

    token: str
    path: str
    name: str
    atomic: bool
    user_id: str
    uploaded_at: float

    @property
    def expired(self) -> bool:
        return time.time() - self.uploaded_at > PENDING_SECONDS


def upload_dir() -> str:
    directory = settings.IMPORT_UPLOAD_DIR or tempfile.gettempdir()
    os.makedirs(directory, mode=0o700, exist_ok=True)
    return directory


def _discard(file_path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(file_path)


def _sweep_expired(directory: str) -> None:
    """Remove uploads nobody confirmed or cancelled (a closed tab leaves its file behind)."""
    cutoff = time.time() - PENDING_SECONDS
    with os.scandir(directory) as entries:
        for entry in entries:
            if not entry.name.startswith(FILE_PREFIX):
                continue
            # A file being imported right now stays readable through its open handle on POSIX;
            # elsewhere the removal fails and waits for the next sweep.
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    os.remove(entry.path)


def save_upload(upload) -> tuple[str, str]:
    """Copy an uploaded file to a new private file named by a random token: (token, path)."""
    directory = upload_dir()
    _sweep_expired(directory)
    token = secrets.token_urlsafe(32)
    file_path = os.path.join(directory, f"{FILE_PREFIX}{token}.csv")
    # O_EXCL: never write through a file or link someone else placed there; 0600: this user only.
    fd = os.open(file_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as target:
            for chunk in upload.chunks():
                target.write(chunk)
    except BaseException:
        _discard(file_path)
        raise
    return token, file_path


def _skipped_lines(report: ImportReport) -> str:
    """Where the rows an import skipped are: `lines 4, 9 and 12 more`."""
    lines = [str(error["line"]) for error in report.errors[:CONFIRM_MAX_ERROR_LINES]]
    more = report.error_count - len(lines)
    return f"line{'s' if report.error_count > 1 else ''} {', '.join(lines)}" + (
        f" and {more} more" if more else ""
    )


def _extra_lines(report: ImportReport) -> list[tuple[str, str]]:
    """What the import adds besides its rows, as (label, values): ("Created locations", "A, B")."""
    return [
        (name.replace("_", " ").capitalize(), ", ".join(values))
        for name, values in report.extra.items()
        if values
    ]


class CsvImportAdminMixin:
    """ModelAdmin mixin: an "Import CSV" page that previews an upload before importing it.

    A subclass declares:

    - `csv_import_service`: the import service, called with `csv_file`, `dry_run`, `atomic`,
      `preview_rows`, `max_reported_errors` and what `csv_import_arguments` adds;
    - `csv_import_header`: the header the file must have, shown on the form;
    - `csv_import_permission`: the permission needed to import ("app.codename");
    - optionally `csv_export_rows` (a queryset of the model in, the export's rows out, in the
      order of `csv_export_columns`) and `csv_export_name` (the downloaded file's name).
    """

    csv_import_service: Callable[..., ImportReport] | None = None
    csv_import_header = ""
    csv_import_help = ""
    csv_import_permission = ""
    csv_export_rows: Callable[[QuerySet], Iterator[tuple]] | None = None
    csv_export_columns: Sequence[str] = ()
    csv_export_name = ""
    change_list_template = "admin/csv_import/change_list.html"
    csv_import_form_template = "admin/csv_import/form.html"
    csv_import_preview_template = "admin/csv_import/preview.html"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A function stored on a class would be called as a method, with the admin as argument.
        for name in ("csv_import_service", "csv_export_rows"):
            function = cls.__dict__.get(name)
            if inspect.isfunction(function):
                setattr(cls, name, staticmethod(function))

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        if self.csv_import_service is None or not self.csv_import_permission:
            errors.append(
                checks.Error(
                    "A CSV import admin must set csv_import_service and csv_import_permission.",
                    obj=self.__class__,
                    id="inventory.E101",
                )
            )
        return errors

    # --- hooks ------------------------------------------------------------------------------

    def has_csv_import_permission(self, request) -> bool:
        return request.user.has_perm(self.csv_import_permission)

    def csv_import_arguments(self, request) -> dict:
        """Arguments of the service besides the file and the options (e.g. who imports)."""
        return {}

    def run_csv_import(self, request, csv_file, **options) -> ImportReport:
        return self.csv_import_service(
            csv_file=csv_file, **self.csv_import_arguments(request), **options
        )

    # --- URLs and the change list button ----------------------------------------------------

    def _csv_import_url_name(self) -> str:
        opts = self.model._meta
        return f"admin:{opts.app_label}_{opts.model_name}_import"

    def _changelist_url(self) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")

    def _csv_export_url_name(self, file_format: str) -> str:
        opts = self.model._meta
        return f"{opts.app_label}_{opts.model_name}_export_{file_format}"

    def get_urls(self):
        opts = self.model._meta
        # Before the admin's own URLs, whose `<object_id>/` would take "import/" for an id.
        urls = [
            path(
                "import/",
                self.admin_site.admin_view(self.csv_import_view),
                name=f"{opts.app_label}_{opts.model_name}_import",
            )
        ]
        if self.csv_export_rows is not None:
            urls += [
                path(
                    f"export.{file_format}",
                    self.admin_site.admin_view(self.csv_export_view),
                    {"file_format": file_format},
                    name=self._csv_export_url_name(file_format),
                )
                for file_format in ("csv", "xlsx")
            ]
        return [*urls, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        if self.has_csv_import_permission(request):
            extra_context["csv_import_url"] = reverse(self._csv_import_url_name())
        if self.csv_export_rows is not None and self.has_view_permission(request):
            extra_context["csv_export_urls"] = {
                file_format: reverse(f"admin:{self._csv_export_url_name(file_format)}")
                for file_format in ("csv", "xlsx")
            }
        return super().changelist_view(request, extra_context)

    # --- the download -----------------------------------------------------------------------

    def csv_export_view(self, request, file_format: str):
        if not self.has_view_permission(request):
            raise PermissionDenied
        # Every page of the list: the pager's parameter (the page the link was on) is not the
        # export's, and a page past the end must not refuse the download.
        request.GET = request.GET.copy()
        request.GET.pop(PAGE_VAR, None)
        list_error = f"{self._changelist_url()}?{ERROR_FLAG}=1"
        # A search the list would refuse (it ignores it, with a message) must not download the
        # unsearched list: a NUL is the one character a search form refuses.
        if any("\x00" in value for _name, values in request.GET.lists() for value in values):
            return redirect(list_error)
        try:
            # The change list's own reading of the query string: the same rows, in its order.
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return redirect(list_error)
        rows = self.csv_export_rows(changelist.queryset)
        if file_format == "xlsx":
            return xlsx_download(self.csv_export_columns, rows, name=self.csv_export_name)
        return csv_download(csv_lines(self.csv_export_columns, rows), name=self.csv_export_name)

    # --- the page ---------------------------------------------------------------------------

    def csv_import_view(self, request):
        if not self.has_csv_import_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            step = request.POST.get("step")
            if step == "confirm":
                return self._confirm(request)
            if step == "cancel":
                return self._cancel(request)
            return self._upload(request)
        return self._render_form(request, CsvImportForm())

    def _context(self, request, **extra) -> dict:
        opts = self.model._meta
        return {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": f"Import {opts.verbose_name_plural} from CSV",
            "csv_header": self.csv_import_header,
            "csv_help": self.csv_import_help,
            "changelist_url": self._changelist_url(),
            "import_url": reverse(self._csv_import_url_name()),
            **extra,
        }

    def _render_form(self, request, form: CsvImportForm) -> TemplateResponse:
        return TemplateResponse(
            request, self.csv_import_form_template, self._context(request, form=form)
        )

    def _upload(self, request):
        form = CsvImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render_form(request, form)
        upload = form.cleaned_data["file"]
        token, file_path = save_upload(upload)
        try:
            with open(file_path, "rb") as csv_file:
                # Not atomic even if asked: the preview shows what each row would do; the
                # page then says that the bad ones would stop everything.
                report = self.run_csv_import(
                    request,
                    csv_file,
                    dry_run=True,
                    atomic=False,
                    preview_rows=PREVIEW_ROWS,
                    max_reported_errors=PREVIEW_MAX_ERRORS,
                )
        except ServiceError as error:
            _discard(file_path)
            form.add_error("file", error.message)
            return self._render_form(request, form)
        except BaseException:
            _discard(file_path)
            raise
        pending = PendingUpload(
            token=token,
            path=file_path,
            name=(upload.name or "the file")[:100],
            atomic=form.cleaned_data["atomic"],
            user_id=str(request.user.pk),
            uploaded_at=time.time(),
        )
        self._keep_pending(request, pending)
        return TemplateResponse(
            request,
            self.csv_import_preview_template,
            self._context(request, **self._preview_context(report, pending)),
        )

    def _preview_context(self, report: ImportReport, pending: PendingUpload) -> dict:
        # The header's columns in order, and "…" (cells beyond them) if a row has those.
        columns = list(dict.fromkeys(name for row in report.preview for name in row["row"]))
        return {
            "report": report,
            "pending": pending,
            "delimiter_name": DELIMITER_NAMES.get(report.delimiter, repr(report.delimiter)),
            "columns": columns,
            "rows": [
                (row["line"], [row["row"].get(name, "") for name in columns])
                for row in report.preview
            ],
            "more_rows": max(report.total_rows - len(report.preview), 0),
            "atomic_refusal": pending.atomic and report.error_count > 0,
            "extra": _extra_lines(report),
        }

    def _confirm(self, request):
        pending = self._take_pending(request, request.POST.get("token", ""))
        claimed = None
        if pending is not None:
            # Renaming claims the file: of two clicks on "Confirm", only one imports it.
            claimed = f"{pending.path}.importing"
            try:
                os.rename(pending.path, claimed)
            except FileNotFoundError:
                claimed = None
        if claimed is None:
            messages.error(
                request,
                "This import is unknown, expired or already done: nothing was imported. "
                "Upload the file again.",
            )
            return redirect(self._csv_import_url_name())
        try:
            with open(claimed, "rb") as csv_file:
                report = self.run_csv_import(
                    request,
                    csv_file,
                    dry_run=False,
                    atomic=pending.atomic,
                    max_reported_errors=CONFIRM_MAX_ERROR_LINES,
                )
        except ServiceError as error:
            # A file-level refusal after a good preview (e.g. a conflict with a concurrent change):
            # nothing was written, and the user uploads again.
            messages.error(request, f"Nothing imported from {pending.name}: {error.message}")
            return redirect(self._csv_import_url_name())
        finally:
            _discard(claimed)
        self._report_import(request, pending, report)
        return redirect(self._changelist_url())

    def _report_import(self, request, pending: PendingUpload, report: ImportReport) -> None:
        counts = (
            f"{report.inserted} inserted, {report.updated} updated, {report.unchanged} unchanged"
        )
        extra = "".join(f"; {label.lower()}: {values}" for label, values in _extra_lines(report))
        if not report.committed:
            messages.error(
                request,
                f"Nothing imported from {pending.name}: {report.error_count} of "
                f"{report.total_rows} rows have errors and the import was all rows or none.",
            )
        elif report.error_count:
            rows = f"{report.error_count} row{'s' if report.error_count > 1 else ''}"
            messages.warning(
                request,
                f"Imported {pending.name}: {counts}{extra}; skipped {rows} with errors "
                f"({_skipped_lines(report)}).",
            )
        else:
            rows = f"{report.total_rows} row{'s' if report.total_rows != 1 else ''}"
            messages.success(request, f"Imported {pending.name}: {rows}, {counts}{extra}.")

    def _cancel(self, request):
        pending = self._take_pending(request, request.POST.get("token", ""))
        if pending is not None:
            _discard(pending.path)
            messages.info(request, f"Import of {pending.name} cancelled; nothing was imported.")
        return redirect(self._changelist_url())

    # --- the session ------------------------------------------------------------------------

    def _session_label(self) -> str:
        return self.model._meta.label_lower

    def _keep_pending(self, request, pending: PendingUpload) -> None:
        """Remember `pending` as this user's upload for this model, replacing an earlier one."""
        uploads = dict(request.session.get(SESSION_KEY, {}))
        earlier = uploads.get(self._session_label())
        if earlier is not None:
            _discard(earlier["path"])
        uploads[self._session_label()] = asdict(pending)
        request.session[SESSION_KEY] = uploads

    def _take_pending(self, request, token: str) -> PendingUpload | None:
        """The session's upload of this model with `token`, forgotten by the session; or None."""
        uploads = dict(request.session.get(SESSION_KEY, {}))
        stored = uploads.get(self._session_label())
        if not stored or not secrets.compare_digest(stored["token"].encode(), token.encode()):
            return None
        del uploads[self._session_label()]
        request.session[SESSION_KEY] = uploads
        try:
            pending = PendingUpload(**stored)
        except TypeError:  # kept by another version of this page
            return None
        if pending.expired or pending.user_id != str(request.user.pk):
            _discard(pending.path)
            return None
        return pending
