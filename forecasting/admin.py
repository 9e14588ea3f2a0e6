"""Forecasting in the Django admin: imported usage, and the forecasts, read only.

- Daily usage is listed, and loaded by "Import CSV", never edited. Usage history comes only from
  files (`forecasting.usage_csv`, the same service as `POST /api/usage/import` and
  `manage.py import_usage`), so the admin adds, changes and deletes nothing row by row; a wrong
  day is corrected by importing it again.
- Forecast runs, item forecasts and model choices are written only by the `forecast` and
  `retrain` runs (`forecasting.services`): here they are read, never added, changed or deleted.
  An item forecast's page draws its last 90 days of demand, the forecast and its 80%/95% bands.
- "What to order" (`forecasting.admin_reorder`) lists the reorder suggestions, sortable, as CSV.
- Promotions are planned here (or through the API), by staff: added, changed and deleted
  through `forecasting.promotions`, listed with filters by timing, item and first day.
"""

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from forecasting import (
    charts,
    dashboard,  # noqa: F401  (registers the ordering panel of the front page)
    promotions,
    selectors,
)
from forecasting.admin_reorder import ReorderAdminMixin
from forecasting.models import DailyUsage, ForecastRun, ItemForecast, ItemModelChoice, Promotion
from forecasting.usage_csv import USAGE_CSV_COLUMNS, import_usage_csv
from inventory_project.admin_helpers import (
    ReadOnlyAdmin,
    ServiceErrorsAsFormErrors,
    copy_saved_fields,
    format_duration,
)
from inventory_project.csvio.admin import CsvImportAdminMixin


@admin.register(DailyUsage)
class DailyUsageAdmin(CsvImportAdminMixin, ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("sku", "where", "date", "quantity")
    list_filter = ("location",)
    list_select_related = ("item", "location")
    date_hierarchy = "date"
    # Exact SKUs only: the join then reads an item's usage through its index.
    search_fields = ("=item__sku",)
    search_help_text = "An exact SKU."
    list_per_page = 100
    show_full_result_count = False
    csv_import_service = import_usage_csv
    csv_import_header = ",".join(USAGE_CSV_COLUMNS)
    csv_import_help = (
        "date, sku and quantity are required; a blank location is the usage of the item across "
        "all locations. A row sets the usage of that day; importing a file again changes nothing."
    )
    csv_import_permission = "forecasting.change_dailyusage"

    @admin.display(description="SKU", ordering="item__sku")
    def sku(self, usage: DailyUsage) -> str:
        return usage.item.sku

    @admin.display(description="location", ordering="location__code")
    def where(self, usage: DailyUsage) -> str:
        return usage.location.code if usage.location_id else "(all locations)"


@admin.register(ForecastRun)
class ForecastRunAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = (
        "started_at",
        "kind",
        "status",
        "duration",
        "progress",
        "history_end",
        "average_item_mape",
        "average_wape",
        "baseline_wape",
        "average_mase",
        "average_rmsse",
        "health",
        "high_variance_count",
    )
    list_filter = ("kind", "status", "health")
    date_hierarchy = "started_at"
    list_per_page = 100

    @admin.display(description="duration", ordering="duration_seconds")
    def duration(self, run: ForecastRun) -> str:
        return format_duration(run.duration_seconds)

    @admin.display(description="items done")
    def progress(self, run: ForecastRun) -> str:
        return f"{run.items_done} / {run.items_total}"


class ForecastRunFilter(admin.SimpleListFilter):
    """Item forecasts of the latest run unless another is chosen: older runs' rows are history."""

    title = "run"
    parameter_name = "run"
    RECENT_RUNS = 5

    def lookups(self, request, model_admin):
        recent = selectors.forecast_runs().filter(kind=ForecastRun.Kind.FORECAST)[
            : self.RECENT_RUNS
        ]
        return [
            ("latest", "The latest run"),
            *((str(run.pk), f"Run #{run.pk} of {run.started_at:%d %b %Y}") for run in recent),
            ("all", "Every run"),
        ]

    def value(self):
        return super().value() or "latest"

    def choices(self, changelist):
        # No "All" entry of its own: "every run" is one of the lookups, and none is the default.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == "all":
            return queryset
        if value == "latest":
            run = selectors.latest_run()
            return queryset.filter(run=run) if run else queryset.none()
        return queryset.filter(run_id=value) if value.isdigit() else queryset.none()


class HighVarianceFilter(admin.SimpleListFilter):
    title = "high variance"
    parameter_name = "high_variance"

    def lookups(self, request, model_admin):
        return (("yes", "Yes"), ("no", "No"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(is_high_variance=self.value() == "yes")
        return queryset


@admin.register(ItemForecast)
class ItemForecastAdmin(ReorderAdminMixin, ReadOnlyAdmin, admin.ModelAdmin):
    list_display = (
        "run",
        "sku",
        "demand_class",
        "model",
        "item_mape",
        "wape",
        "mase",
        "is_high_variance",
    )
    list_filter = (ForecastRunFilter, HighVarianceFilter, "demand_class", "model")
    list_select_related = ("run", "item")
    # Exact SKUs only: the join then reads an item's forecasts through its index.
    search_fields = ("=item__sku",)
    search_help_text = "An exact SKU."
    list_per_page = 100
    show_full_result_count = False
    # The points are drawn by `chart`, not shown as JSON.
    fields = (
        "run",
        "item",
        "chart",
        "demand_class",
        "adi",
        "cv2",
        "model",
        "horizon_start",
        "item_mape",
        "mape_nonzero",
        "wape",
        "mase",
        "rmsse",
        "holdout_actual",
        "holdout_forecast",
        "is_high_variance",
        "high_variance_reason",
    )
    readonly_fields = fields

    class Media:
        css = {"all": ["forecasting/admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("run", "item")

    def get_urls(self):
        return [*self.reorder_urls(), *super().get_urls()]

    @admin.display(description="SKU", ordering="item__sku")
    def sku(self, forecast: ItemForecast) -> str:
        return forecast.item.sku

    @admin.display(description="history and forecast")
    def chart(self, forecast: ItemForecast) -> str:
        history = selectors.demand_history(
            item_id=forecast.item_id,
            end=forecast.horizon_start - timedelta(days=1),
            days=selectors.DEFAULT_HISTORY_DAYS,
        )
        png = charts.forecast_chart_png(
            history=history,
            forecast=selectors.forecast_series(forecast),
            title=f"{forecast.item.sku} · {forecast.item.name} ({forecast.model})",
        )
        return format_html(
            '<img src="{}" alt="Demand over the last {} days and the forecast" '
            'class="forecast-chart">',
            charts.png_data_uri(png),
            selectors.DEFAULT_HISTORY_DAYS,
        )


@admin.register(ItemModelChoice)
class ItemModelChoiceAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("sku", "model", "demand_class", "chosen_at", "run")
    list_filter = ("model", "demand_class")
    list_select_related = ("item", "run")
    search_fields = ("=item__sku",)
    search_help_text = "An exact SKU."
    list_per_page = 100
    show_full_result_count = False

    @admin.display(description="SKU", ordering="item__sku")
    def sku(self, choice: ItemModelChoice) -> str:
        return choice.item.sku


class PromotionTimingFilter(admin.SimpleListFilter):
    """Running today, still to come, or over: what a planner looks for first."""

    title = "timing"
    parameter_name = "timing"

    def lookups(self, request, model_admin):
        return (("running", "Running today"), ("upcoming", "Upcoming"), ("past", "Past"))

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "running":
            return queryset.filter(first_day__lte=today, last_day__gte=today)
        if self.value() == "upcoming":
            return queryset.filter(first_day__gt=today)
        if self.value() == "past":
            return queryset.filter(last_day__lt=today)
        return queryset


@admin.register(Promotion)
class PromotionAdmin(ServiceErrorsAsFormErrors, admin.ModelAdmin):
    list_display = ("sku", "first_day", "last_day", "days", "note")
    # Only the items that have promotions are offered, not the whole catalogue.
    list_filter = (PromotionTimingFilter, ("item", admin.RelatedOnlyFieldListFilter), "first_day")
    list_select_related = ("item",)
    date_hierarchy = "first_day"
    search_fields = ("=item__sku",)
    search_help_text = "An exact SKU."
    autocomplete_fields = ("item",)
    fields = ("item", "first_day", "last_day", "note")
    list_per_page = 100
    show_full_result_count = False

    @admin.display(description="SKU", ordering="item__sku")
    def sku(self, promotion: Promotion) -> str:
        return promotion.item.sku

    @admin.display(description="days")
    def days(self, promotion: Promotion) -> int:
        return (promotion.last_day - promotion.first_day).days + 1

    def get_readonly_fields(self, request, obj=None):
        # A promotion belongs to its item: another item's promotion is a new one.
        return ("item",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in ("first_day", "last_day", "note")}
        if change:
            saved = promotions.promotion_update(promotion=obj, **fields)
        else:
            saved = promotions.promotion_create(item=form.cleaned_data["item"], **fields)
        copy_saved_fields(obj, saved)

    def delete_model(self, request, obj):
        promotions.promotion_delete(promotion=obj)
