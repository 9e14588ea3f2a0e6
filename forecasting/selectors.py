"""Reads of the forecasts: the latest run's results, one item's forecast, the runs, reorders.

"The latest forecast" is always the newest *succeeded* daily run: a run still in flight, failed
or replaced holds a partial set of items, and mixing runs would mix horizons.

Reorder suggestions turn the latest forecast into order quantities, per active item:

- lead-time demand = the forecast mean summed over the first `lead_time_days` days;
- safety stock = the 95% upper bound summed over those days minus that mean: the interval
  already measures how wrong the forecast has been on this item (split-conformal, see
  `forecasting.engine.forecast_item`), so no service-level factor is assumed on top;
- reorder point = lead-time demand + safety stock;
- target level = the largest of the item's `reorder_max`, its `par_level`, and the reorder point
  plus the forecast demand over the `REORDER_REVIEW_DAYS` after the lead time;
- an item is suggested when its stock on hand is at or below the larger of the reorder point and
  its `reorder_min`, for the quantity that brings it back to the target (whole units for items
  counted in `each`, else three decimals, always rounded up);
- `order_by` is the last day to place the order: `lead_time_days` before the first forecast day
  on which the projected stock (on hand minus the cumulative forecast mean) falls below the
  safety stock, and never before today (today when it already is below).
"""

from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import orjson
from django.conf import settings
from django.db.models import DecimalField, Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Cast, Greatest
from django.utils import timezone

from forecasting.error_codes import ForecastErrorCode
from forecasting.history import demand_matrix
from forecasting.models import ForecastRun, ItemForecast, Promotion
from inventory.selectors import on_hand_by_item
from inventory_project.api.columns import Columns
from inventory_project.service_errors import NotFoundError, ServiceError
from items.models import QUANTITY_PLACES
from items.selectors import item_get

# Days of demand history the detail route and the admin chart show unless asked otherwise.
DEFAULT_HISTORY_DAYS = 90
SERIES = ("mean", "lo80", "hi80", "lo95", "hi95")
QUANTITY_STEP = Decimal(1).scaleb(-QUANTITY_PLACES)
HALF_STEP = Value(QUANTITY_STEP / 2, output_field=DecimalField(max_digits=5, decimal_places=4))
WHOLE_UNITS_UOM = "each"

FORECAST_COLUMNS = Columns(
    id="id",
    sku="item__sku",
    name="item__name",
    category="item__category",
    demand_class="demand_class",
    adi="adi",
    cv2="cv2",
    model="model",
    item_mape="item_mape",
    mape_nonzero="mape_nonzero",
    wape="wape",
    baseline_wape="baseline_wape",
    mase="mase",
    rmsse="rmsse",
    is_high_variance="is_high_variance",
    high_variance_reason="high_variance_reason",
    horizon_start="horizon_start",
    run="run_id",
)

RUN_COLUMNS = Columns(
    id="id",
    kind="kind",
    status="status",
    started_at="started_at",
    finished_at="finished_at",
    duration_seconds="duration_seconds",
    history_end="history_end",
    items_total="items_total",
    items_done="items_done",
    batches_total="batches_total",
    batches_done="batches_done",
    average_item_mape="average_item_mape",
    average_wape="average_wape",
    baseline_wape="baseline_wape",
    class_accuracy="class_accuracy",
    average_mase="average_mase",
    average_rmsse="average_rmsse",
    health="health",
    high_variance_count="high_variance_count",
    error="error",
)


# --- runs and forecasts -----------------------------------------------------------------------


def _succeeded_forecast_runs() -> QuerySet[ForecastRun]:
    return ForecastRun.objects.filter(
        kind=ForecastRun.Kind.FORECAST, status=ForecastRun.Status.SUCCEEDED
    ).order_by("-started_at", "-id")


def latest_run() -> ForecastRun | None:
    """The newest succeeded daily forecast run, or None before the first one."""
    return _succeeded_forecast_runs().first()


def forecast_runs() -> QuerySet[ForecastRun]:
    """Every run of both kinds, newest first."""
    return ForecastRun.objects.order_by("-started_at", "-id")


def filter_forecasts(
    queryset: QuerySet[ItemForecast],
    *,
    high_variance: bool | None = None,
    demand_class: str | None = None,
    category: str | None = None,
) -> QuerySet[ItemForecast]:
    """Narrow item forecasts; a filter left at None is not applied."""
    if high_variance is not None:
        queryset = queryset.filter(is_high_variance=high_variance)
    if demand_class:
        queryset = queryset.filter(demand_class=demand_class)
    if category is not None:
        queryset = queryset.filter(item__category=category)
    return queryset


def latest_forecasts(**filters) -> QuerySet[ItemForecast]:
    """The latest run's item forecasts by SKU (none before a first run); see `filter_forecasts`."""
    # A subquery, not a first query for the run: the list stays one query, and lazy.
    latest = Subquery(_succeeded_forecast_runs().values("pk")[:1])
    queryset = ItemForecast.objects.filter(run=latest).order_by("item__sku", "id")
    return filter_forecasts(queryset, **filters)


def forecast_series(forecast: ItemForecast) -> list[dict]:
    """The horizon day by day: `{date, mean, lo80, hi80, lo95, hi95}` from `horizon_start`."""
    points = forecast.points
    days = len(points["mean"])
    return [
        {
            "date": forecast.horizon_start + timedelta(days=day),
            **{series: points[series][day] for series in SERIES},
        }
        for day in range(days)
    ]


def demand_history(*, item_id: int, end: date, days: int) -> list[dict]:
    """The item's demand on each of the `days` days up to `end`, oldest first."""
    return _history_rows(demand_matrix([item_id], end=end, days=days)[0], end=end)


def _history_rows(row, *, end: date) -> list[dict]:
    start = end - timedelta(days=len(row) - 1)
    return [
        {"date": start + timedelta(days=day), "demand": round(float(value), 3)}
        for day, value in enumerate(row)
    ]


def item_forecast_get(*, sku: str) -> ItemForecast:
    """The item's forecast in the latest run; 404 for an unknown SKU or an item not forecast."""
    item = item_get(sku=sku)
    run = latest_run()
    forecast = (
        None
        if run is None
        else ItemForecast.objects.select_related("item", "run").filter(run=run, item=item).first()
    )
    if forecast is None:
        raise NotFoundError(f"No forecast for {item.sku} yet", code=ForecastErrorCode.NOT_FOUND)
    return forecast


def forecast_detail(*, sku: str, history_days: int = DEFAULT_HISTORY_DAYS) -> dict:
    """One item's latest forecast with its accuracy and the last `history_days` days of demand."""
    forecast = item_forecast_get(sku=sku)
    run = forecast.run
    history = demand_history(item_id=forecast.item_id, end=run.history_end, days=history_days)
    return _detail(forecast, history)


def forecast_details(forecasts: list[ItemForecast], *, history_days: int) -> dict[str, dict]:
    """`forecast_detail` of many forecasts of one run (item and run loaded), by SKU.

    The history of all of them is read at once: two queries for the batch, not two an item.
    """
    if not forecasts:
        return {}
    end = forecasts[0].run.history_end
    matrix = demand_matrix([f.item_id for f in forecasts], end=end, days=history_days)
    return {
        forecast.item.sku: _detail(forecast, _history_rows(row, end=end))
        for forecast, row in zip(forecasts, matrix, strict=True)
    }


def _detail(forecast: ItemForecast, history: list[dict]) -> dict:
    item, run = forecast.item, forecast.run
    return {
        "sku": item.sku,
        "name": item.name,
        "category": item.category,
        "uom": item.uom,
        "demand_class": forecast.demand_class,
        "adi": forecast.adi,
        "cv2": forecast.cv2,
        "model": forecast.model,
        "accuracy": {
            "item_mape": forecast.item_mape,
            "mape_nonzero": forecast.mape_nonzero,
            "wape": forecast.wape,
            "mase": forecast.mase,
            "rmsse": forecast.rmsse,
            "holdout_actual": forecast.holdout_actual,
            "holdout_forecast": forecast.holdout_forecast,
        },
        "is_high_variance": forecast.is_high_variance,
        "high_variance_reason": forecast.high_variance_reason,
        "run": run.pk,
        "history_end": run.history_end,
        "horizon_start": forecast.horizon_start,
        "forecast": forecast_series(forecast),
        "history": history,
    }


# --- reorder suggestions ----------------------------------------------------------------------


def _decimal(value: float) -> Decimal:
    # Through str: the stored points have three decimals, which a float's repr gives back exactly.
    return Decimal(str(value))


def _quantity(value: Decimal) -> Decimal:
    return value.quantize(QUANTITY_STEP, rounding=ROUND_HALF_UP)


def _order_quantity(value: Decimal, uom: str) -> Decimal:
    # Always rounded up: an order a fraction short would leave the target unreached.
    step = Decimal(1) if uom == WHOLE_UNITS_UOM else QUANTITY_STEP
    return value.quantize(step, rounding=ROUND_CEILING)


def _lead_time_demand(
    mean: list[float], high95: list[float], lead_time_days: int
) -> tuple[Decimal, Decimal]:
    """(lead-time demand, safety stock) of a forecast's mean and 95% upper bound."""
    lead_time_demand = sum((_decimal(value) for value in mean[:lead_time_days]), Decimal(0))
    lead_time_high = sum((_decimal(value) for value in high95[:lead_time_days]), Decimal(0))
    return lead_time_demand, max(lead_time_high - lead_time_demand, Decimal(0))


def stored_reorder_point(points: dict[str, list[float]]) -> dict:
    """`ItemForecast.reorder_point` and its lead time, for a forecast about to be written.

    Empty (nothing stored) when the forecast is shorter than REORDER_LEAD_TIME_DAYS: the
    suggestions then refuse that lead time anyway.
    """
    lead_time_days = settings.REORDER_LEAD_TIME_DAYS
    mean, high95 = points.get("mean") or [], points.get("hi95") or []
    if not mean or len(mean) < lead_time_days:
        return {}
    lead_time_demand, safety_stock = _lead_time_demand(mean, high95, lead_time_days)
    return {
        "reorder_lead_time_days": lead_time_days,
        "reorder_point": lead_time_demand + safety_stock,
    }


def _suggestion(row: tuple, *, lead_time_days: int, review_days: int, today: date) -> dict | None:
    sku, name, uom, reorder_min, reorder_max, par_level, horizon_start, mean, high95, on_hand = row
    on_hand = _quantity(Decimal(on_hand))
    mean = orjson.loads(mean) if mean else []
    if not mean:
        return None
    high95 = orjson.loads(high95)
    # Most items need no order: the lead time's days decide that, so only they are converted
    # until an order is due (the rest of the horizon only sizes the order).
    lead_time_demand, safety_stock = _lead_time_demand(mean, high95, lead_time_days)
    reorder_point = lead_time_demand + safety_stock
    if on_hand > max(reorder_point, reorder_min):
        return None
    mean = [_decimal(value) for value in mean]
    daily_average = sum(mean, Decimal(0)) / len(mean)
    review = mean[lead_time_days : lead_time_days + review_days]
    # Review days beyond the horizon count at the horizon's average daily demand.
    review_demand = sum(review, Decimal(0)) + (review_days - len(review)) * daily_average
    target_level = max(reorder_max, par_level, reorder_point + review_demand)
    suggested = _order_quantity(target_level - on_hand, uom)
    if suggested <= 0:
        return None
    order_by = None
    if on_hand < safety_stock:
        order_by = today
    else:
        projected = on_hand
        for day, demand in enumerate(mean):
            projected -= demand
            if projected < safety_stock:
                # An order arrives a lead time after it is placed, so it must be placed that
                # much before the day stock would dip into the safety stock; a day already past
                # (or a run some days old) means today.
                order_by = max(horizon_start + timedelta(days=day - lead_time_days), today)
                break
    if on_hand <= reorder_point:
        reason = f"on hand {on_hand:f} is at or below the reorder point {_quantity(reorder_point)}"
    else:
        reason = f"on hand {on_hand:f} is at or below the reorder minimum {reorder_min:f}"
    return {
        "sku": sku,
        "name": name,
        "uom": uom,
        "on_hand": on_hand,
        "lead_time_demand": _quantity(lead_time_demand),
        "safety_stock": _quantity(safety_stock),
        "reorder_point": _quantity(reorder_point),
        "target_level": _quantity(target_level),
        "suggested_quantity": suggested,
        "order_by": order_by,
        "days_of_cover": (
            round(max(float(on_hand / daily_average), 0.0), 1) if daily_average > 0 else None
        ),
        "reason": reason,
    }


def reorder_suggestions(
    *,
    lead_time_days: int | None = None,
    review_days: int | None = None,
    today: date | None = None,
) -> list[dict]:
    """What to order, per active item of the latest forecast run (see the module docstring).

    Ordered by `order_by` (the most urgent first; none last), then SKU. One query for the items,
    their forecasts and their stock on hand (summed over all locations and lots) together.
    """
    lead_time_days = lead_time_days or settings.REORDER_LEAD_TIME_DAYS
    review_days = settings.REORDER_REVIEW_DAYS if review_days is None else review_days
    today = today or timezone.localdate()
    run = latest_run()
    if run is None:
        return []
    horizon = run.config.get("horizon_days") or settings.FORECAST_HORIZON_DAYS
    if lead_time_days > horizon:
        raise ServiceError(
            f"lead_time_days must be at most {horizon}, the days the forecast covers",
            code=ForecastErrorCode.INVALID_LEAD_TIME,
            field="lead_time_days",
        )
    rows = (
        ItemForecast.objects.filter(run=run, item__active=True)
        .annotate(on_hand=on_hand_by_item("item_id"))
        # An item with more on hand than its stored reorder point (and its minimum) needs no
        # order: most items, left out here instead of decoded one by one below. A forecast
        # stored for another lead time (or before the column) is worked out in full. SQLite
        # adds decimals up as floats (1.1 + 2.2 is a hair over 3.3): half a step of slack
        # keeps every item the exact working below would suggest.
        .filter(
            ~Q(reorder_lead_time_days=lead_time_days)
            | Q(on_hand__lte=Greatest("reorder_point", "item__reorder_min") + HALF_STEP)
        )
        .annotate(
            # Only the two series used, as JSON text that orjson decodes: decoding all five
            # series with the JSON field's own decoder was most of the cost of 10,000 items.
            mean_json=Cast("points__mean", TextField()),
            high95_json=Cast("points__hi95", TextField()),
        )
        .order_by("item__sku")
        .values_list(
            "item__sku",
            "item__name",
            "item__uom",
            "item__reorder_min",
            "item__reorder_max",
            "item__par_level",
            "horizon_start",
            "mean_json",
            "high95_json",
            "on_hand",
        )
    )
    suggestions = []
    for row in rows.iterator(chunk_size=2000):
        suggestion = _suggestion(
            row, lead_time_days=lead_time_days, review_days=review_days, today=today
        )
        if suggestion is not None:
            suggestions.append(suggestion)
    suggestions.sort(key=lambda s: (s["order_by"] or date.max, s["sku"]))
    return suggestions


PROMOTION_COLUMNS = Columns(
    id="id",
    sku="item__sku",
    first_day="first_day",
    last_day="last_day",
    note="note",
    created_at="created_at",
)


def promotion_queryset() -> QuerySet[Promotion]:
    """Promotions, latest first day first (the planned ones ahead of the past)."""
    return Promotion.objects.order_by("-first_day", "item__sku", "id")


def promotion_row(*, promotion_id: int) -> dict:
    return PROMOTION_COLUMNS.one(Promotion.objects.filter(pk=promotion_id))
