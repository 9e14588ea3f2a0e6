"""Forecasting data: imported usage history, forecast runs, per-item results and model choices.

- `DailyUsage`: demand the ledger does not hold (from before the system, or a point of sale),
  loaded by `POST /api/usage/import` or `manage.py import_usage`; one row per item, location
  (or none: the item as a whole) and day. The ledger's `issue` movements are the rest.
- `ForecastRun`: one run of the daily `forecast` or the weekly `retrain`, with its progress
  (items and batches done, so a crashed run can resume) and its run-level accuracy.
- `ItemForecast`: one item's result in a forecast run: demand class, model, the daily horizon
  with 80/95% intervals, and its backtest accuracy (see `forecasting.engine` for definitions).
- `ItemModelChoice`: the model the weekly retrain chose for an item, which the daily run refits.
- `Promotion`: a planned promotion of an item (a special, an event), first and last day
  included. The forecasts learn each item's promotion effect from its past promotions and
  apply it on the planned days ahead (see `forecasting.engine`).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from forecasting.demand_classes import DemandClass
from inventory.models import Location
from items.models import Item, quantity_field


class DailyUsage(models.Model):
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="daily_usage")
    # NULL: the usage of the item across all locations.
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="daily_usage"
    )
    date = models.DateField()
    quantity = quantity_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "daily usage"
        ordering = ["-date", "item_id"]
        constraints = [
            # A unique constraint over a NULL column admits duplicates, hence two partial ones.
            models.UniqueConstraint(
                fields=["item", "location", "date"],
                condition=models.Q(location__isnull=False),
                name="daily_usage_item_location_date_uniq",
            ),
            models.UniqueConstraint(
                fields=["item", "date"],
                condition=models.Q(location__isnull=True),
                name="daily_usage_item_date_uniq",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="daily_usage_quantity_non_negative"
            ),
        ]
        indexes = [models.Index(fields=["date"], name="daily_usage_date_idx")]

    def __str__(self) -> str:
        where = f" @ {self.location.code}" if self.location_id else ""
        return f"{self.item.sku}{where} {self.date}: {self.quantity}"


class ForecastRun(models.Model):
    class Kind(models.TextChoices):
        FORECAST = "forecast", "Daily forecast"
        RETRAIN = "retrain", "Weekly retrain"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REPLACED = "replaced", "Replaced by a later run"

    class Health(models.TextChoices):
        PASSING = "passing", "Passing"
        FAILING = "failing", "Failing (worse than v20's forecast, see MAPE_THRESHOLD)"
        UNKNOWN = "unknown", "Unknown (no item had a backtest)"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    # The last day of demand history used; forecasts start the day after.
    history_end = models.DateField()
    items_total = models.PositiveIntegerField(default=0)
    items_done = models.PositiveIntegerField(default=0)
    batches_total = models.PositiveIntegerField(default=0)
    batches_done = models.PositiveIntegerField(default=0)
    # The highest item id done: a resumed run continues after it.
    last_item_id = models.BigIntegerField(default=0)
    # The mean of the items' item_mape, and the WAPE pooled over all items (health uses it).
    average_item_mape = models.FloatField("items' average error %", null=True, blank=True)
    average_wape = models.FloatField(
        "error (WAPE)",
        null=True,
        blank=True,
        help_text="All items' misses over all their use on the last weeks (0.2 = off by 20%).",
    )
    average_mase = models.FloatField("error against last week (MASE)", null=True, blank=True)
    average_rmsse = models.FloatField("big misses against yesterday (RMSSE)", null=True, blank=True)
    # The baseline (the mean of the last 28 days) scored on the same holdout, pooled.
    baseline_wape = models.FloatField(
        "a four-week average's error",
        null=True,
        blank=True,
        help_text="The error a plain average of the last 28 days would have made on the same "
        "days: the yardstick of the forecast's health.",
    )
    # Per demand class: {"items", "wape", "baseline_wape", "failing"} (see `_summarize`).
    class_accuracy = models.JSONField(default=dict, blank=True)
    health = models.CharField(max_length=16, choices=Health.choices, default=Health.UNKNOWN)
    high_variance_count = models.PositiveIntegerField(default=0)
    config = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(
                fields=["kind", "status", "-started_at"], name="forecastrun_kind_status_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} {self.started_at:%Y-%m-%d %H:%M}"


DEMAND_CLASS_CHOICES = [(c.value, c.value.capitalize()) for c in DemandClass]


class ItemForecast(models.Model):
    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="item_forecasts")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="forecasts")
    demand_class = models.CharField(
        "demand pattern",
        max_length=16,
        choices=DEMAND_CLASS_CHOICES,
        help_text="From how regular (ADI) and how steady (CV²) its use is: smooth (used most "
        "days, steady amounts), erratic (most days, amounts vary), intermittent (some days, "
        "steady amounts) or lumpy (some days, amounts vary).",
    )
    adi = models.FloatField(
        "how regular (ADI)",
        null=True,
        blank=True,
        help_text="Average days between days it is used: 1 means every day; from 1.32 on, the "
        "item is used on some days only.",
    )
    cv2 = models.FloatField(
        "how steady (CV²)",
        null=True,
        blank=True,
        help_text="How much the amount used varies from one day of use to the next: 0 means "
        "always the same; from 0.49 on, amounts vary a lot.",
    )
    model = models.CharField(max_length=32)
    # The first forecast day; `points` holds one list per series, a value per day from it:
    # {"mean": [...], "lo80": [...], "hi80": [...], "lo95": [...], "hi95": [...]}.
    horizon_start = models.DateField()
    points = models.JSONField()
    # Backtest accuracy on the holdout (None when the history was too short for one).
    item_mape = models.FloatField(
        "error %",
        null=True,
        blank=True,
        help_text="How far off the forecast was on the last weeks, as a share of what was used "
        "(WAPE x 100): 20 means off by a fifth.",
    )
    mape_nonzero = models.FloatField(
        "error % on days of use",
        null=True,
        blank=True,
        help_text="The average error on the days it was used (MAPE over those days).",
    )
    wape = models.FloatField(
        "error (WAPE)",
        null=True,
        blank=True,
        help_text="Total of the daily misses over total use on the last weeks (0.2 = off by 20%).",
    )
    # WAPE of the 28-day baseline on the same holdout, the yardstick of the run's health.
    baseline_wape = models.FloatField(null=True, blank=True)
    mase = models.FloatField(
        "error against last week (MASE)",
        null=True,
        blank=True,
        help_text="The average miss compared with simply repeating last week: under 1 means "
        "the forecast did better than that.",
    )
    rmsse = models.FloatField(
        "big misses against yesterday (RMSSE)",
        null=True,
        blank=True,
        help_text="Like MASE, but compared with repeating yesterday and with big misses counting "
        "more: under 1 means better than that.",
    )
    holdout_actual = models.FloatField(null=True, blank=True)
    holdout_forecast = models.FloatField(null=True, blank=True)
    is_high_variance = models.BooleanField(default=False)
    high_variance_reason = models.CharField(max_length=200, blank=True, default="")
    # The reorder point (`forecasting.selectors`) for REORDER_LEAD_TIME_DAYS as it was when the
    # run wrote the forecast: the reorder suggestions skip in SQL the items with more on hand,
    # and work out the rest (and every item, for another lead time) from the points.
    reorder_lead_time_days = models.PositiveSmallIntegerField(null=True, blank=True)
    reorder_point = models.DecimalField(max_digits=24, decimal_places=3, null=True, blank=True)

    class Meta:
        # Newest run first: the admin opens on the latest results.
        ordering = ["-run_id", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "item"], name="item_forecast_run_item_uniq")
        ]
        indexes = [
            models.Index(fields=["item", "-run"], name="item_forecast_item_run_idx"),
            models.Index(fields=["run", "demand_class"], name="item_forecast_run_class_idx"),
            models.Index(fields=["run", "is_high_variance"], name="item_forecast_run_hv_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} in run {self.run_id}: {self.model}"


class ItemModelChoice(models.Model):
    """What the weekly retrain chose for an item; the daily run refits only this model."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="model_choice")
    model = models.CharField(max_length=32)
    demand_class = models.CharField(max_length=16, choices=DEMAND_CLASS_CHOICES)
    # Mean cross-validation score of every candidate (lower is better).
    scores = models.JSONField(default=dict, blank=True)
    run = models.ForeignKey(ForecastRun, null=True, blank=True, on_delete=models.SET_NULL)
    chosen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.item_id}: {self.model}"


class Promotion(models.Model):
    """An item promoted from `first_day` to `last_day`, both included, planned ahead."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="promotions")
    first_day = models.DateField()
    last_day = models.DateField(help_text="The promotion's last day, included.")
    note = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-first_day", "item_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")),
                name="promotion_last_day_not_before_first",
            )
        ]
        indexes = [
            # The forecast reads a batch of items' promotions overlapping a date range:
            # item_id IN (...) AND last_day >= start AND first_day <= end.
            models.Index(fields=["item", "last_day", "first_day"], name="promotion_item_days_idx"),
            models.Index(fields=["first_day"], name="promotion_first_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item.sku} promoted {self.first_day} to {self.last_day}"

    def clean(self) -> None:
        super().clean()
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise ValidationError({"last_day": "The last day cannot be before the first day."})
