"""Output shapes of the forecasting API, for the OpenAPI schema (rows are built by selectors)."""

from rest_framework import serializers

from forecasting.models import DEMAND_CLASS_CHOICES, ForecastRun
from forecasting.promotions import NOTE_MAX_LENGTH
from inventory.serializers import sku_field
from items.models import QUANTITY_DIGITS, QUANTITY_PLACES


def _quantity(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, coerce_to_string=False, **kwargs
    )


def _measure(help_text: str = "") -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=help_text)


class ForecastRowSerializer(serializers.Serializer):
    """One item's result in the latest forecast run, without its daily points."""

    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    demand_class = serializers.ChoiceField(choices=DEMAND_CLASS_CHOICES)
    adi = _measure("Average demand interval, in days.")
    cv2 = _measure("Squared coefficient of variation of the non-zero demands.")
    model = serializers.CharField()
    item_mape = _measure("WAPE x 100 over the holdout, in %.")
    mape_nonzero = _measure("MAPE over the holdout days with demand, in %.")
    wape = _measure()
    baseline_wape = _measure("WAPE of the baseline (mean of the last 28 days), same holdout.")
    mase = _measure()
    rmsse = _measure()
    is_high_variance = serializers.BooleanField()
    high_variance_reason = serializers.CharField()
    horizon_start = serializers.DateField(help_text="The first forecast day.")
    run = serializers.IntegerField(help_text="The forecast run.")


class ForecastRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ForecastRun.Kind.choices)
    status = serializers.ChoiceField(choices=ForecastRun.Status.choices)
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    history_end = serializers.DateField(help_text="The last day of history used.")
    items_total = serializers.IntegerField()
    items_done = serializers.IntegerField()
    batches_total = serializers.IntegerField()
    batches_done = serializers.IntegerField()
    average_item_mape = _measure("Mean of the items' item_mape, in %.")
    average_wape = _measure("WAPE pooled over all items.")
    baseline_wape = _measure("WAPE of the baseline (mean of the last 28 days), same holdout.")
    class_accuracy = serializers.DictField(
        child=serializers.DictField(),
        help_text="Per demand class: items, wape, baseline_wape (the 28-day mean's), failing.",
    )
    average_mase = _measure()
    average_rmsse = _measure()
    health = serializers.ChoiceField(choices=ForecastRun.Health.choices)
    high_variance_count = serializers.IntegerField()
    error = serializers.CharField()


class AccuracySerializer(serializers.Serializer):
    item_mape = _measure("WAPE x 100 over the holdout, in %.")
    mape_nonzero = _measure()
    wape = _measure()
    mase = _measure()
    rmsse = _measure()
    holdout_actual = _measure("Demand over the holdout.")
    holdout_forecast = _measure("Forecast over the holdout.")


class ForecastPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    mean = serializers.FloatField()
    lo80 = serializers.FloatField()
    hi80 = serializers.FloatField()
    lo95 = serializers.FloatField()
    hi95 = serializers.FloatField()


class DemandPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    demand = serializers.FloatField()


class ForecastDetailSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    uom = serializers.CharField()
    demand_class = serializers.ChoiceField(choices=DEMAND_CLASS_CHOICES)
    adi = _measure()
    cv2 = _measure()
    model = serializers.CharField()
    accuracy = AccuracySerializer(help_text="Backtest on the holdout; null values without one.")
    is_high_variance = serializers.BooleanField()
    high_variance_reason = serializers.CharField()
    run = serializers.IntegerField()
    history_end = serializers.DateField()
    horizon_start = serializers.DateField()
    forecast = ForecastPointSerializer(many=True, help_text="Day by day from horizon_start.")
    history = DemandPointSerializer(many=True, help_text="Daily demand up to history_end.")


class ReorderSuggestionSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    uom = serializers.CharField()
    on_hand = _quantity(help_text="Over all locations and lots.")
    lead_time_demand = _quantity(help_text="Forecast mean over the lead time.")
    safety_stock = _quantity(help_text="95% upper bound minus the mean, over the lead time.")
    reorder_point = _quantity()
    target_level = _quantity()
    suggested_quantity = _quantity()
    order_by = serializers.DateField(
        allow_null=True,
        help_text="The last day to place the order: lead_time_days before the first day the "
        "projected stock falls below the safety stock, never before today (today if it "
        "already is below); null if that does not happen within the forecast.",
    )
    days_of_cover = serializers.FloatField(
        allow_null=True, help_text="On hand / average daily forecast; null without demand."
    )
    reason = serializers.CharField()


class ForecastDetailQuerySerializer(serializers.Serializer):
    """`?history_days=`: built per request, its maximum is a setting."""

    def __init__(self, *args, max_history_days: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["history_days"] = serializers.IntegerField(
            required=False, min_value=1, max_value=max_history_days
        )


class ReorderQuerySerializer(serializers.Serializer):
    lead_time_days = serializers.IntegerField(required=False, min_value=1)


class PromotionSerializer(serializers.Serializer):
    """A planned promotion of an item, first and last day included."""

    id = serializers.IntegerField()
    sku = serializers.CharField()
    first_day = serializers.DateField()
    last_day = serializers.DateField(help_text="Included.")
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class PromotionCreateSerializer(serializers.Serializer):
    sku = sku_field()
    first_day = serializers.DateField()
    last_day = serializers.DateField(help_text="Included; not before first_day.")
    note = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
