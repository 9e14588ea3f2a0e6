"""The plumbing of the CSV import and export routes, shared by items, inventory and usage.

An import route takes the CSV as the request body (`text/csv`) or as a multipart file upload.
The body is handed to the importer as the request's own stream, never read whole into memory
(`request.data` is not touched); a body over `IMPORT_MAX_BYTES` is refused with 413 from its
`Content-Length` before a byte of it is read.
"""

from contextlib import contextmanager

from django.conf import settings
from django.http.multipartparser import MultiPartParserError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory_project.api.exceptions import failure_body
from inventory_project.api.filters import StrictBooleanField
from inventory_project.api.schema import ErrorEnvelopeSerializer
from inventory_project.csvio.engine import ImportReport
from inventory_project.csvio.reader import CsvFileError, CsvTooLarge
from inventory_project.csvio.xlsx import XLSX_CONTENT_TYPE

# Browsers and spreadsheets label CSV files in several ways.
CSV_MEDIA_TYPES = frozenset(
    {"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"}
)


# An .xlsx spreadsheet may be sent as the body too: the importer reads its first sheet.
_BODY_MEDIA_TYPES = CSV_MEDIA_TYPES | {XLSX_CONTENT_TYPE}


class CsvBodyParser(BaseParser):
    """Declares `text/csv` for content negotiation and the schema; the body is streamed instead."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        raise exceptions.ParseError("A CSV body is read as a stream, not parsed whole.")


class ImportOptions(serializers.Serializer):
    dry_run = serializers.BooleanField(required=False, default=False)
    atomic = serializers.BooleanField(required=False, default=False)

    def to_internal_value(self, data):
        unknown = set(data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown parameter."] for name in sorted(unknown)}
            )
        strict = StrictBooleanField(required=False)
        values = {}
        for name in self.fields:
            if len(data.getlist(name)) > 1:
                # Ambiguous (?dry_run=true&dry_run=false): never guess towards writing.
                raise serializers.ValidationError({name: ["Given more than once."]})
            try:
                values[name] = bool(strict.clean(data.get(name)))
            except Exception:
                raise serializers.ValidationError({name: ["Must be true or false."]}) from None
        return values


class ImportRowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Line of the file where the row starts (header = 1).")
    error = serializers.CharField()
    field = serializers.CharField(allow_null=True)
    row = serializers.DictField(child=serializers.CharField(), help_text="The row as read.")


class ImportReportSerializer(serializers.Serializer):
    total_rows = serializers.IntegerField()
    inserted = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = serializers.IntegerField(help_text="Rows refused.")
    errors_omitted = serializers.IntegerField(help_text="Refused rows not listed in `errors`.")
    dry_run = serializers.BooleanField()
    atomic = serializers.BooleanField()
    committed = serializers.BooleanField(help_text="Whether anything was written.")
    delimiter = serializers.CharField()
    ignored_columns = serializers.ListField(child=serializers.CharField())
    seconds = serializers.FloatField()
    created_locations = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Stock imports: the location codes the file named that did not exist and "
        "were created, sorted (a dry run: would be created).",
    )


class ImportAnswerSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = ImportReportSerializer()
    errors = ImportRowErrorSerializer(many=True)
    message = serializers.CharField()


class ImportFailureSerializer(ErrorEnvelopeSerializer):
    """A refused import: the failure envelope, with the report when the file was read."""

    data = ImportReportSerializer(required=False, help_text="An atomic import with bad rows.")
    errors = ImportRowErrorSerializer(many=True, required=False)
    message = serializers.CharField(required=False)


def _failure(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorEnvelopeSerializer, description=description)


def import_schema(*, summary: str, description: str):
    return extend_schema(
        summary=summary,
        description=description
        + "\n\nSend the CSV as the body (`Content-Type: text/csv`) or as a multipart upload "
        "(field `file`); an .xlsx spreadsheet is read too (its first sheet, as the same CSV), as "
        f"the body (`Content-Type: {XLSX_CONTENT_TYPE}`) or uploaded. "
        "UTF-8 with or without BOM, `,` or `;` (sniffed), CRLF or LF. Valid rows "
        "are imported and bad ones reported by line (`errors`, at most "
        "`IMPORT_MAX_REPORTED_ERRORS`, the rest counted in `data.errors_omitted`); "
        "`?atomic=true` imports all rows or none (400 if any is bad); `?dry_run=true` "
        "validates and reports without writing. The whole import is one transaction. The body is "
        "streamed, never held whole: one over `IMPORT_MAX_BYTES` is a 413, refused before it "
        "is read; rows are written in batches.",
        parameters=[
            OpenApiParameter("dry_run", OpenApiTypes.BOOL, description="Validate only."),
            OpenApiParameter("atomic", OpenApiTypes.BOOL, description="All rows or none."),
        ],
        request={
            "text/csv": OpenApiTypes.STR,
            XLSX_CONTENT_TYPE: OpenApiTypes.BINARY,
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            },
        },
        responses={
            200: ImportAnswerSerializer,
            # A file that was read answers its report even when refused, so the 400 is the
            # failure envelope with the report's fields beside it.
            400: OpenApiResponse(
                ImportFailureSerializer,
                description="A file that cannot be read (missing column, not UTF-8, ...), a bad "
                "parameter, or an atomic import with bad rows (nothing written).",
            ),
            401: _failure("No or invalid credentials."),
            403: _failure("The caller's role may not import."),
            411: _failure("A chunked body: send a Content-Length."),
            413: _failure("Larger than `IMPORT_MAX_BYTES`."),
            415: _failure("Neither a CSV body nor a multipart upload."),
            429: _failure("Too many requests: see Retry-After and RateLimit-* headers."),
        },
    )


class LengthRequired(exceptions.APIException):
    status_code = 411
    default_detail = "Send the CSV with a Content-Length header (chunked bodies are not read)."
    default_code = "length_required"


def _charset(parameters: str) -> str:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return ""


def _too_large(size: int) -> None:
    if size > settings.IMPORT_MAX_BYTES:
        raise CsvTooLarge(settings.IMPORT_MAX_BYTES)


@contextmanager
def csv_upload(request):
    """The CSV of an import request as a binary stream (the body, or the uploaded file)."""
    django_request = request._request
    try:
        declared = int(django_request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise exceptions.ParseError("Invalid Content-Length header.") from None
    _too_large(declared)
    media_type, _, parameters = (request.content_type or "").partition(";")
    media_type = media_type.strip().lower()
    if media_type == "multipart/form-data":
        try:
            files = django_request.FILES
        except MultiPartParserError as exc:
            raise exceptions.ParseError(f"Malformed multipart body: {exc}") from None
        upload = files.get("file") or (next(iter(files.values())) if len(files) == 1 else None)
        if upload is None:
            raise CsvFileError("Attach the CSV as a multipart file field named 'file'.")
        _too_large(upload.size)
        try:
            yield upload
        finally:
            upload.close()
        return
    charset = _charset(parameters)
    if charset not in ("", "utf-8", "utf8", "us-ascii"):
        raise CsvFileError(
            f"The body is declared as {charset}; imports read UTF-8 only. Save the file as "
            '"CSV UTF-8" and send it again.',
            code="invalid_encoding",
        )
    chunked = "chunked" in django_request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and media_type in _BODY_MEDIA_TYPES:
        # WSGI hands a body without a length over as empty: say so, not "the file is empty".
        raise LengthRequired()
    if media_type not in _BODY_MEDIA_TYPES:
        raise exceptions.UnsupportedMediaType(
            media_type or "none",
            detail=f"Send the CSV as text/csv (or an .xlsx as {XLSX_CONTENT_TYPE}) or as a "
            f"multipart upload, not {media_type or 'no'} content type.",
        )
    yield django_request


class XlsxBodyParser(CsvBodyParser):
    """Declares the .xlsx media type; like a CSV, the body is streamed to the importer."""

    media_type = XLSX_CONTENT_TYPE


class CsvImportApi(APIView):
    """POST a CSV (or an .xlsx): the answer is the import report in the envelope."""

    parser_classes = [CsvBodyParser, XlsxBodyParser, MultiPartParser]

    def run_import(self, request, csv_file, *, dry_run: bool, atomic: bool) -> ImportReport:
        raise NotImplementedError

    def post(self, request):
        options = ImportOptions(data=request.query_params)
        options.is_valid(raise_exception=True)
        with csv_upload(request) as csv_file:
            report = self.run_import(request, csv_file, **options.validated_data)
        return import_response(report)


def import_message(report: ImportReport) -> str:
    counts = (
        f"{report.inserted} inserted, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.error_count} row{'s' if report.error_count != 1 else ''} with errors"
    )
    if report.dry_run:
        return f"Dry run, nothing written: {counts}."
    if report.atomic and report.error_count:
        return f"Nothing imported: {report.error_count} of {report.total_rows} rows have errors."
    return f"Imported {report.total_rows} rows: {counts}."


def import_response(report: ImportReport) -> Response:
    refused = report.atomic and report.error_count and not report.dry_run
    body = {
        **(
            failure_body(import_message(report), code="import_rejected")
            if refused
            else {"success": True}
        ),
        "data": report.as_data(),
        "errors": report.errors,
        "message": import_message(report),
    }
    return Response(body, status=status.HTTP_400_BAD_REQUEST if refused else status.HTTP_200_OK)
