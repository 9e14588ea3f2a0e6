"""The inventory routes: stock rows, the summary, the ledger, locations and one route per operation.

Each operation route validates its body, calls its service in `inventory.services` and answers
the ledger row it wrote with the stock row after it. No business logic lives here.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import read_write_permissions
from inventory import selectors, services
from inventory.cached_responses import STOCK_LIST, SUMMARY
from inventory.filters import MovementFilter, StockFilter
from inventory.maintenance import run_maintenance
from inventory.models import MovementSource
from inventory.selectors import LOCATION_COLUMNS, MOVEMENT_COLUMNS, STOCK_COLUMNS
from inventory.serializers import (
    LocationCreateSerializer,
    LocationSerializer,
    MovementSerializer,
    StockAdjustSerializer,
    StockBatchResultSerializer,
    StockBatchSchemaSerializer,
    StockBatchSerializer,
    StockChangeSerializer,
    StockCountSerializer,
    StockIssueReverseSerializer,
    StockIssueSerializer,
    StockReceiveSerializer,
    StockSerializer,
    StockTransferSerializer,
    StockWasteSerializer,
    SummarySerializer,
    TransferResultSerializer,
)
from inventory.stock_csv import (
    STOCK_CSV_COLUMNS,
    export_stock_lines,
    export_stock_rows,
    import_stock_counts_csv,
)
from inventory_project.api.idempotency import IDEMPOTENCY_KEY_PARAMETER, run_once
from inventory_project.api.pagination import AlwaysLimitOffsetPagination
from inventory_project.api.responses import success_response
from inventory_project.api.schema import envelope, errors
from inventory_project.api.viewsets import CachedListMixin, ColumnsListMixin
from inventory_project.csvio.api import CsvImportApi, import_schema
from inventory_project.csvio.export import csv_download
from inventory_project.csvio.xlsx import XLSX_CONTENT_TYPE, xlsx_download
from inventory_project.jobs.models import JobRun
from inventory_project.jobs.registry import JobName
from inventory_project.jobs.runner import JobAlreadyRunning, run_job
from inventory_project.service_errors import ConflictError


@extend_schema_view(
    list=extend_schema(
        summary="List stock rows",
        description="Each row carries its item's name, category and par level. "
        "Without parameters the list is served from the cache (`X-Cache: HIT`/`MISS`); "
        "filtered, ordered or paged queries answer `X-Cache: BYPASS`.",
        responses={200: StockSerializer(many=True), **errors(400)},
    )
)
class StockViewSet(CachedListMixin, viewsets.GenericViewSet):
    required_permissions = {"GET": "inventory.view_stockrecord"}
    cached_lists = {(): STOCK_LIST}
    columns = STOCK_COLUMNS
    filterset_class = StockFilter
    ordering_fields = [
        "item_name",
        "sku",
        "location",
        "lot",
        "quantity",
        "expires_at",
        "last_counted_at",
        "created_at",
    ]
    ordering = ["item_name", "location", "lot"]
    serializer_class = StockSerializer

    def get_queryset(self):
        return selectors.stock_queryset()

    @extend_schema(
        summary="Export stock as CSV",
        description="Streams the inventory CSV (`sku,location,quantity,lot,expires_at,"
        "last_counted_at`) with the list's filters and ordering. It re-imports unchanged "
        "through `POST /api/inventory/import`; cells a spreadsheet would run as a formula are "
        "prefixed with `'`, which the import removes.",
        responses={(200, "text/csv"): OpenApiTypes.STR, **errors(400)},
    )
    def export(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        return csv_download(export_stock_lines(queryset), name="inventory")

    @extend_schema(
        summary="Export stock as an .xlsx spreadsheet",
        description="The rows and columns of `GET /api/inventory/export` in the first sheet of "
        "a workbook, numbers as numbers; it re-imports unchanged through "
        "`POST /api/inventory/import`.",
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY, **errors(400)},
    )
    def export_xlsx(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        return xlsx_download(STOCK_CSV_COLUMNS, export_stock_rows(queryset), name="inventory")


@extend_schema_view(
    list=extend_schema(
        summary="The movement ledger",
        description="Newest first; always paged (100 rows unless `limit` says otherwise).",
        responses={200: MovementSerializer(many=True), **errors(400)},
    )
)
class MovementViewSet(ColumnsListMixin, viewsets.GenericViewSet):
    required_permissions = {"GET": "inventory.view_stockmovement"}
    columns = MOVEMENT_COLUMNS
    filterset_class = MovementFilter
    pagination_class = AlwaysLimitOffsetPagination
    ordering_fields = ["created_at", "sku", "location", "kind", "quantity_delta"]
    ordering = ["-created_at", "-id"]
    serializer_class = MovementSerializer

    def get_queryset(self):
        return selectors.movement_queryset()


@extend_schema_view(
    list=extend_schema(
        summary="List locations", responses={200: LocationSerializer(many=True), **errors(400)}
    ),
    retrieve=extend_schema(
        summary="One location by code",
        responses={200: envelope(LocationSerializer), **errors(404)},
    ),
    create=extend_schema(
        summary="Create a location",
        request=LocationCreateSerializer,
        responses={201: envelope(LocationSerializer), **errors(400, 409)},
    ),
)
class LocationViewSet(ColumnsListMixin, viewsets.GenericViewSet):
    required_permissions = read_write_permissions("inventory.location", delete=False)
    columns = LOCATION_COLUMNS
    ordering_fields = ["code", "name", "created_at"]
    ordering = ["code"]
    lookup_field = "code"
    serializer_class = LocationSerializer

    def get_queryset(self):
        return selectors.location_queryset()

    def retrieve(self, request, code: str):
        return success_response(selectors.location_row(code=code))

    def create(self, request):
        serializer = LocationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = services.location_create(**serializer.validated_data)
        return success_response(
            LOCATION_COLUMNS.one(self.get_queryset().filter(pk=location.pk)),
            status_code=status.HTTP_201_CREATED,
            message="Location created",
        )


class InventorySummaryApi(APIView):
    required_permissions = {"GET": "inventory.view_stockrecord"}

    @extend_schema(
        summary="Inventory summary",
        responses={200: envelope(SummarySerializer), **errors()},
    )
    def get(self, request):
        return SUMMARY.response()


def _change_response(movement) -> dict:
    return selectors.change_rows(movement)


class _StockOperationApi(APIView):
    """POST one stock operation; subclasses name the serializer and call their service."""

    required_permissions = {"POST": "inventory.move_stock"}
    input_serializer: type
    message: str

    def post(self, request):
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        # The answer is made inside the change's transaction, from the rows it wrote (no read):
        # made after the commit, a connection lost in between would answer 500 for a change
        # that was made, which a client retrying on 500 would make twice.
        # With an Idempotency-Key, a retry gets this answer back instead of a second change.
        def write():
            result = self.perform(
                serializer.validated_data,
                performed_by=request.user,
                source=MovementSource.API,
            )
            return success_response(
                result, status_code=status.HTTP_201_CREATED, message=self.message
            )

        return run_once(request, route=request.path_info.rstrip("/"), write=write)

    def perform(self, data: dict, **provenance) -> dict:
        raise NotImplementedError


_CHANGE_RESPONSES = {201: envelope(StockChangeSerializer), **errors(400, 409, 422)}


@extend_schema_view(
    post=extend_schema(
        summary="Receive stock",
        request=StockReceiveSerializer,
        responses=_CHANGE_RESPONSES,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
)
class StockReceiveApi(_StockOperationApi):
    input_serializer = StockReceiveSerializer
    message = "Stock received"

    def perform(self, data, **provenance):
        return _change_response(
            services.stock_receive(
                item=data["sku"],
                location=data["location"],
                quantity=data["quantity"],
                lot=data["lot"],
                expires_at=data["expires_at"],
                reason=data["reason"],
                **provenance,
            )
        )


@extend_schema_view(
    post=extend_schema(
        summary="Issue stock",
        description="Refused with 409 beyond the quantity on hand unless `allow_negative`. "
        "Without a `lot` it takes from the stock without one; when that is short and lots of "
        "the item are on hand at the location, the error names them. Issues are what forecast "
        "demand learns from: goods thrown away go to `POST /api/inventory/waste`, and an issue "
        "booked by mistake is undone with `POST /api/inventory/issue/reverse`.",
        request=StockIssueSerializer,
        responses=_CHANGE_RESPONSES,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
)
class StockIssueApi(_StockOperationApi):
    input_serializer = StockIssueSerializer
    message = "Stock issued"

    def perform(self, data, **provenance):
        return _change_response(
            services.stock_issue(
                item=data["sku"],
                location=data["location"],
                quantity=data["quantity"],
                lot=data["lot"],
                allow_negative=data["allow_negative"],
                reason=data["reason"],
                **provenance,
            )
        )


@extend_schema_view(
    post=extend_schema(
        summary="Reverse an issue booked by mistake",
        description="Puts back what an issue took (all of it unless `quantity` says less), "
        "with a ledger row of kind `issue`, a positive delta and `reverses` naming the "
        "original, so forecast demand nets it on the original's day. 400 for a movement that "
        "is not an issue or more than it took; 409 when the issue has already been reversed.",
        request=StockIssueReverseSerializer,
        responses=_CHANGE_RESPONSES,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
)
class StockIssueReverseApi(_StockOperationApi):
    input_serializer = StockIssueReverseSerializer
    message = "Issue reversed"

    def perform(self, data, **provenance):
        return _change_response(
            services.stock_issue_reverse(
                movement=data["movement_id"],
                quantity=data["quantity"],
                reason=data["reason"],
                **provenance,
            )
        )


@extend_schema_view(
    post=extend_schema(
        summary="Many stock operations in one request",
        description="Receipts, issues and write-offs (up to "
        f"{services.BATCH_MAX_OPERATIONS}), applied in order, each by the rules of its own route "
        "and with its own ledger row. With `atomic` (the default) a refused operation refuses "
        "the batch: nothing is done, and the error names every refused operation in `details` "
        "(`operations[i].field`); the answer is 201. Without, the refused operations are "
        "reported in `results` and the others done; the answer is 200. With an "
        "`Idempotency-Key` the whole batch is done at most once.",
        request=StockBatchSchemaSerializer,
        responses={
            (201, "application/json"): envelope(StockBatchResultSerializer),
            (200, "application/json"): envelope(StockBatchResultSerializer),
            **errors(400, 404, 409, 422),
        },
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
)
class StockBatchApi(APIView):
    required_permissions = {"POST": "inventory.move_stock"}

    def post(self, request):
        serializer = StockBatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        atomic = serializer.validated_data["atomic"]
        fields = services.BatchOperation.__dataclass_fields__
        # Each line as sent (unknown keys left out): the service refuses a bad value as that
        # line's refusal.
        operations = [
            services.BatchOperation(
                **{name: value for name, value in line.items() if name in fields}
            )
            for line in serializer.validated_data["operations"]
        ]

        def write():
            lines = services.stock_batch(
                operations=operations,
                atomic=atomic,
                performed_by=request.user,
                source=MovementSource.API,
            )
            return success_response(
                selectors.batch_result(lines, atomic=atomic),
                status_code=status.HTTP_201_CREATED if atomic else status.HTTP_200_OK,
                message="Stock operations done",
            )

        return run_once(request, route=request.path_info.rstrip("/"), write=write)


@extend_schema_view(
    post=extend_schema(
        summary="Write off waste",
        description="Goods thrown away (spoiled, broken, expired): stock leaves as from an "
        "issue, but the ledger row's kind is `waste`, which forecast demand never counts. A "
        "reason is required.",
        request=StockWasteSerializer,
        responses=_CHANGE_RESPONSES,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
)
class StockWasteApi(_StockOperationApi):
    input_serializer = StockWasteSerializer
    message = "Waste written off"

    def perform(self, data, **provenance):
        return _change_response(
            services.stock_waste(
                item=data["sku"],
                location=data["location"],
                quantity=data["quantity"],
                lot=data["lot"],
                allow_negative=data["allow_negative"],
                reason=data["reason"],
                **provenance,
            )
        )


@extend_schema_view(
    post=extend_schema(
        summary="Record a physical count",
        description="Sets the quantity to the counted value; the ledger row holds the delta.",
        request=StockCountSerializer,
        responses=_CHANGE_RESPONSES,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
)
class StockCountApi(_StockOperationApi):
    input_serializer = StockCountSerializer
    message = "Stock counted"

    def perform(self, data, **provenance):
        return _change_response(
            services.stock_count(
                item=data["sku"],
                location=data["location"],
                counted_quantity=data["quantity"],
                lot=data["lot"],
                expires_at=data["expires_at"],
                reason=data["reason"],
                **provenance,
            )
        )


@extend_schema_view(
    post=extend_schema(
        summary="Adjust stock by a signed amount",
        description="Corrections by a signed amount (found stock, a miscount). A reason is "
        "required. Waste has its own route, `POST /api/inventory/waste`.",
        request=StockAdjustSerializer,
        responses=_CHANGE_RESPONSES,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
)
class StockAdjustApi(_StockOperationApi):
    input_serializer = StockAdjustSerializer
    message = "Stock adjusted"

    def perform(self, data, **provenance):
        return _change_response(
            services.stock_adjust(
                item=data["sku"],
                location=data["location"],
                quantity_delta=data["quantity_delta"],
                lot=data["lot"],
                allow_negative=data["allow_negative"],
                reason=data["reason"],
                **provenance,
            )
        )


@extend_schema_view(
    post=extend_schema(
        summary="Transfer stock between locations",
        request=StockTransferSerializer,
        responses={201: envelope(TransferResultSerializer), **errors(400, 409, 422)},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
)
class StockTransferApi(_StockOperationApi):
    input_serializer = StockTransferSerializer
    message = "Stock transferred"

    def perform(self, data, **provenance):
        transfer = services.stock_transfer(
            item=data["sku"],
            from_location=data["from_location"],
            to_location=data["to_location"],
            quantity=data["quantity"],
            lot=data["lot"],
            reason=data["reason"],
            **provenance,
        )
        return {
            "movements": [
                selectors.movement_row(movement_id=transfer.outgoing.pk),
                selectors.movement_row(movement_id=transfer.incoming.pk),
            ],
            "from_stock": selectors.stock_row(record_id=transfer.outgoing.stock_record_id),
            "to_stock": selectors.stock_row(record_id=transfer.incoming.stock_record_id),
        }


class MaintenanceResultSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    duration = serializers.FloatField(help_text="Seconds.")
    tasks_completed = serializers.IntegerField()
    tasks_total = serializers.IntegerField()
    results = serializers.ListField(child=serializers.DictField())


class MaintenanceApi(APIView):
    """POST /jobs/maintenance: run the maintenance job now, under its lock."""

    required_permissions = {"POST": "accounts.run_jobs"}

    @extend_schema(
        summary="Run the maintenance job now",
        description="The same job as `manage.py maintenance`, recorded as a run; 409 while "
        "another run holds the job's lock.",
        request=None,
        responses={200: envelope(MaintenanceResultSerializer), **errors(401, 403, 409)},
    )
    def post(self, request):
        try:
            run = run_job(JobName.MAINTENANCE, run_maintenance, trigger=JobRun.Trigger.API)
        except JobAlreadyRunning as exc:
            raise ConflictError(str(exc), code="job_running") from None
        result = run.result
        message = (
            "Maintenance completed"
            if result["success"]
            else f"Maintenance finished with {result['tasks_total'] - result['tasks_completed']} "
            "failed task(s)"
        )
        # The envelope's `success` is the job's own verdict: false when a task failed.
        return Response({"success": result["success"], "data": result, "message": message})


@extend_schema_view(
    post=import_schema(
        summary="Import a stock count from CSV",
        description="Header `sku,location,quantity,lot,expires_at,last_counted_at`; the first "
        "three are required. Each row sets the quantity of item+location+lot to the count and "
        "writes a ledger row (kind `count`, source `import`) with the difference; a row that "
        "matches the record changes nothing, so a file imported twice changes nothing the "
        "second time. SKUs must exist; a location code not seen before is created (listed in "
        "`data.created_locations`) unless `IMPORT_CREATE_LOCATIONS` is off; an inactive "
        "location may be counted down, not up.",
    )
)
class StockImportApi(CsvImportApi):
    required_permissions = {"POST": "inventory.move_stock"}

    def run_import(self, request, csv_file, *, dry_run, atomic):
        return import_stock_counts_csv(
            csv_file=csv_file, performed_by=request.user, dry_run=dry_run, atomic=atomic
        )
