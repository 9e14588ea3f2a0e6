"""The forecasting routes: forecasts, runs, reorder suggestions and the usage import.

`GET /api/forecasts` lists the latest forecast of every item, `GET /api/forecasts/{sku}` shows
one with its daily points and history, `GET /api/forecasts/runs` lists the runs, and
`GET /api/reorder-suggestions` says what to order, `GET/POST /api/promotions` lists and plans
promotions (which the next forecast run applies). Reads are computed in `forecasting.selectors`;
these views validate the query string and answer in the envelope.
"""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status, viewsets

from accounts.permissions import read_write_permissions
from forecasting import promotions, selectors
from forecasting.cached_responses import FORECAST_LIST, forecast_detail_cache
from forecasting.filters import ForecastFilter, ForecastRunFilter, PromotionFilter
from forecasting.selectors import (
    DEFAULT_HISTORY_DAYS,
    FORECAST_COLUMNS,
    PROMOTION_COLUMNS,
    RUN_COLUMNS,
)
from forecasting.serializers import (
    ForecastDetailQuerySerializer,
    ForecastDetailSerializer,
    ForecastRowSerializer,
    ForecastRunSerializer,
    PromotionCreateSerializer,
    PromotionSerializer,
    ReorderQuerySerializer,
    ReorderSuggestionSerializer,
)
from forecasting.usage_csv import import_usage_csv
from inventory_project.api.responses import success_response
from inventory_project.api.schema import envelope, errors
from inventory_project.api.viewsets import ColumnsListMixin
from inventory_project.csvio.api import CsvImportApi, import_schema

VIEW_FORECASTS = "forecasting.view_itemforecast"


@extend_schema_view(
    list=extend_schema(
        summary="The latest forecast of every item",
        description="The items of the newest succeeded daily forecast run (an empty list before "
        "the first), with their demand class, model and backtest accuracy; the daily points "
        "are on `GET /api/forecasts/{sku}`. Ordered by SKU unless `ordering` says otherwise; "
        "whole unless `limit`/`offset` page it.",
        responses={200: ForecastRowSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="One item's latest forecast",
        description="The daily forecast with its 80% and 95% intervals from the day after the "
        "last day of history, the backtest accuracy, and the daily demand of the last "
        f"`history_days` days ({DEFAULT_HISTORY_DAYS} unless given, at most "
        "`FORECAST_HISTORY_DAYS`). 404 for an unknown SKU or an item not forecast yet.",
        parameters=[
            OpenApiParameter("sku", OpenApiTypes.STR, OpenApiParameter.PATH),
            OpenApiParameter(
                "history_days",
                {"type": "integer", "minimum": 1},
                description="Days of demand history.",
            ),
        ],
        responses={200: envelope(ForecastDetailSerializer), **errors(400, 404)},
    ),
)
class ForecastViewSet(ColumnsListMixin, viewsets.GenericViewSet):
    required_permissions = {"GET": VIEW_FORECASTS}
    columns = FORECAST_COLUMNS
    filterset_class = ForecastFilter
    ordering_fields = ["sku", "item_mape", "wape"]
    ordering = ["sku"]
    lookup_field = "sku"
    serializer_class = ForecastRowSerializer

    def get_queryset(self):
        return selectors.latest_forecasts()

    def list(self, request, *args, **kwargs):
        if not request.query_params:
            return FORECAST_LIST.response()
        response = super().list(request, *args, **kwargs)
        response["X-Cache"] = "BYPASS"
        return response

    def retrieve(self, request, sku: str):
        maximum = settings.FORECAST_HISTORY_DAYS
        query = ForecastDetailQuerySerializer(data=request.query_params, max_history_days=maximum)
        query.is_valid(raise_exception=True)
        history_days = query.validated_data.get("history_days", min(DEFAULT_HISTORY_DAYS, maximum))
        return forecast_detail_cache(sku, history_days).response()


@extend_schema_view(
    list=extend_schema(
        summary="Forecast runs",
        description="Daily forecasts and weekly retrains, newest first, with their progress, "
        "averages and health; whole unless `limit`/`offset` page it.",
        responses={200: ForecastRunSerializer(many=True), **errors(400)},
    )
)
class ForecastRunViewSet(ColumnsListMixin, viewsets.GenericViewSet):
    required_permissions = {"GET": "forecasting.view_forecastrun"}
    columns = RUN_COLUMNS
    filterset_class = ForecastRunFilter
    ordering_fields = ["started_at"]
    ordering = ["-started_at", "-id"]
    serializer_class = ForecastRunSerializer

    def get_queryset(self):
        return selectors.forecast_runs()


class ReorderSuggestionApi(generics.GenericAPIView):
    required_permissions = {"GET": VIEW_FORECASTS}
    serializer_class = ReorderSuggestionSerializer
    # The rows are computed, not a queryset: no filters or ordering apply, only paging.
    filter_backends = []

    @extend_schema(
        summary="Reorder suggestions",
        description="The active items to order now, from the latest forecast: reorder point = "
        "forecast demand over the lead time + safety stock (the 95% upper bound minus the "
        "mean over the lead time); suggested when on hand is at or below the larger of the "
        "reorder point and `reorder_min`, for the quantity up to the target level (the largest "
        "of `reorder_max`, `par_level`, and the reorder point plus the demand over "
        "`REORDER_REVIEW_DAYS`). Most urgent first; whole unless `limit`/`offset` page it.",
        parameters=[
            OpenApiParameter(
                "lead_time_days",
                {"type": "integer", "minimum": 1},
                description="Days from order to delivery (`REORDER_LEAD_TIME_DAYS` unless "
                "given; at most the forecast horizon).",
            )
        ],
        responses={200: ReorderSuggestionSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        query = ReorderQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.reorder_suggestions(
            lead_time_days=query.validated_data.get("lead_time_days")
        )
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(page)
        return success_response(rows, count=len(rows))


@extend_schema_view(
    post=import_schema(
        summary="Import daily usage history from CSV",
        description="Header `date,sku,quantity[,location]`: the usage of an item on a past day "
        "(at a location, or of the item as a whole when the location is blank), for "
        "forecasting. A row sets that day's usage; importing a file again changes nothing. "
        "SKUs and locations must exist; usage history writes no ledger rows.",
    )
)
class UsageImportApi(CsvImportApi):
    required_permissions = {"POST": "forecasting.change_dailyusage"}

    def run_import(self, request, csv_file, *, dry_run, atomic):
        return import_usage_csv(csv_file=csv_file, dry_run=dry_run, atomic=atomic)


@extend_schema_view(
    list=extend_schema(
        summary="Promotions",
        description="Planned promotions, latest first day first; `sku`, `active_from` and "
        "`active_to` narrow them. Whole unless `limit`/`offset` page it.",
        responses={200: PromotionSerializer(many=True), **errors(400)},
    ),
    create=extend_schema(
        summary="Plan a promotion",
        description="An item promoted from `first_day` to `last_day`, both included. The next "
        "forecast run raises the item's forecast on those days by the effect it learned from "
        "the item's past promotions (and the week after by the dip that follows one).",
        request=PromotionCreateSerializer,
        responses={201: envelope(PromotionSerializer), **errors(400)},
    ),
)
class PromotionViewSet(ColumnsListMixin, viewsets.GenericViewSet):
    required_permissions = read_write_permissions("forecasting.promotion")
    columns = PROMOTION_COLUMNS
    filterset_class = PromotionFilter
    ordering_fields = ["first_day", "last_day", "sku"]
    ordering = ["-first_day", "sku", "id"]
    serializer_class = PromotionSerializer

    def get_queryset(self):
        return selectors.promotion_queryset()

    def create(self, request):
        serializer = PromotionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        promotion = promotions.promotion_create(
            item=data["sku"],
            first_day=data["first_day"],
            last_day=data["last_day"],
            note=data["note"],
        )
        return success_response(
            selectors.promotion_row(promotion_id=promotion.pk),
            status_code=status.HTTP_201_CREATED,
            message="Promotion planned",
        )
