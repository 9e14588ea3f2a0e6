"""The item routes: /api/items and /api/items/{sku}."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets

from accounts.permissions import read_write_permissions, role_allows
from accounts.roles import lowest_role_with
from inventory_project.api.responses import success_response
from inventory_project.api.schema import envelope, errors
from inventory_project.api.viewsets import CachedListMixin
from inventory_project.csvio.api import CsvImportApi, import_schema
from inventory_project.csvio.export import csv_download
from inventory_project.csvio.xlsx import XLSX_CONTENT_TYPE, xlsx_download
from items import selectors, services
from items.cached_responses import ITEM_LIST_ACTIVE, ITEM_LIST_ALL, item_detail
from items.fields import CSV_COLUMNS
from items.filters import ItemFilter
from items.item_csv import export_item_lines, export_item_rows, import_items_csv
from items.selectors import ITEM_COLUMNS
from items.serializers import (
    ItemCreatedSerializer,
    ItemCreateSerializer,
    ItemSerializer,
    ItemWriteSerializer,
)

# The header the docs of the import and the export show.
ITEMS_CSV_HEADER = ",".join(CSV_COLUMNS)

# `/api/items/import` and `/api/items/export` are routes of their own (and reserved, never
# SKUs): the schema says so, or a client would read `PATCH /api/items/import` as an item's.
SKU_PATH = OpenApiParameter(
    "sku",
    {
        "type": "string",
        "pattern": "^[^/]+$",
        "not": {"enum": ["export", "import"]},
    },
    OpenApiParameter.PATH,
    description="The item's SKU.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List items",
        description="Ordered by name. Without `limit`/`offset` the whole list answers. "
        "The plain forms (no parameters, or `?active=true`) are served from the cache: header "
        "`X-Cache: HIT` or `MISS`; other queries answer `X-Cache: BYPASS`.",
        responses={200: ItemSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="One item by SKU",
        parameters=[SKU_PATH],
        responses={200: envelope(ItemSerializer), **errors(404)},
    ),
    create=extend_schema(
        summary="Create an item",
        request=ItemCreateSerializer,
        responses={201: envelope(ItemCreatedSerializer), **errors(400, 409)},
    ),
    update=extend_schema(
        summary="Replace an item's editable fields",
        parameters=[SKU_PATH],
        description="Omitted optional fields take their defaults; the SKU cannot change.",
        request=ItemWriteSerializer,
        responses={200: envelope(ItemSerializer), **errors(400, 404)},
    ),
    partial_update=extend_schema(
        summary="Change some of an item's fields",
        parameters=[SKU_PATH],
        description="Omitted fields keep their values.",
        request=ItemWriteSerializer,
        responses={200: envelope(ItemSerializer), **errors(400, 404)},
    ),
    destroy=extend_schema(
        summary="Deactivate an item (soft delete)",
        parameters=[SKU_PATH],
        description="The item stays, with its stock and ledger, but is no longer active.",
        responses={200: envelope(ItemSerializer), **errors(404)},
    ),
)
class ItemViewSet(CachedListMixin, viewsets.GenericViewSet):
    required_permissions = read_write_permissions("items.item")
    columns = ITEM_COLUMNS
    cached_lists = {(): ITEM_LIST_ALL, (("active", "true"),): ITEM_LIST_ACTIVE}
    filterset_class = ItemFilter
    ordering_fields = ["name", "sku", "category", "created_at", "updated_at", "par_level"]
    ordering = ["name"]
    lookup_field = "sku"
    serializer_class = ItemSerializer

    def get_queryset(self):
        return selectors.item_queryset()

    @extend_schema(
        summary="Export items as CSV",
        description=f"Streams the items CSV (`{ITEMS_CSV_HEADER}`) with the list's filters and "
        "ordering. It re-imports unchanged through `POST /api/items/import`; cells a spreadsheet "
        "would run as a formula (starting with `=`, `+`, `-`, `@`) are prefixed with `'`, which "
        "the import removes.",
        responses={(200, "text/csv"): OpenApiTypes.STR, **errors(400)},
    )
    def export(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        return csv_download(export_item_lines(queryset), name="items")

    @extend_schema(
        summary="Export items as an .xlsx spreadsheet",
        description="The rows and columns of `GET /api/items/export` in the first sheet of a "
        "workbook, numbers as numbers; it re-imports unchanged through `POST /api/items/import`.",
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY, **errors(400)},
    )
    def export_xlsx(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        return xlsx_download(CSV_COLUMNS, export_item_rows(queryset), name="items")

    def retrieve(self, request, sku: str):
        return item_detail(sku).response()

    def create(self, request):
        serializer = ItemCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.item_create(**serializer.validated_data)
        return success_response(
            {"id": item.pk, "sku": item.sku, "name": item.name},
            status_code=status.HTTP_201_CREATED,
            message="Item created",
        )

    def update(self, request, sku: str):
        return self._update(request, sku, partial=False)

    def partial_update(self, request, sku: str):
        return self._update(request, sku, partial=True)

    def destroy(self, request, sku: str):
        item = services.item_deactivate(item=selectors.item_get(sku=sku))
        return success_response(selectors.item_row(item_id=item.pk), message="Item deactivated")

    def _update(self, request, sku: str, *, partial: bool):
        item = selectors.item_get(sku=sku)
        serializer = ItemWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        active = serializer.validated_data.get("active", item.active)
        if active != item.active and not role_allows(request.user, services.ACTIVATE_PERMISSION):
            self.permission_denied(
                request,
                message="Insufficient permissions. Required roles: "
                f"{lowest_role_with(services.ACTIVATE_PERMISSION)}",
            )
        item = services.item_update(item=item, data=serializer.validated_data)
        return success_response(selectors.item_row(item_id=item.pk))


@extend_schema_view(
    post=import_schema(
        summary="Import items from CSV (upsert by SKU)",
        description=f"Header `{ITEMS_CSV_HEADER}`; only `sku` is required (and `name` for a "
        "new item). A row updates the item with its SKU or creates it; columns left out and "
        "blank cells keep their values, and the id never changes. A new "
        "item may start inactive; changing an existing item's `active` needs the admin role.",
    )
)
class ItemImportApi(CsvImportApi):
    required_permissions = {"POST": "items.change_item"}

    def run_import(self, request, csv_file, *, dry_run, atomic):
        return import_items_csv(
            csv_file=csv_file, performed_by=request.user, dry_run=dry_run, atomic=atomic
        )
