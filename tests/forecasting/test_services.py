"""The forecast runs: batches committed one by one, resume after a crash, summary, retrain."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from forecasting import engine, services
from forecasting.history import demand_matrix
from forecasting.models import ForecastRun, ItemForecast, ItemModelChoice, Promotion
from inventory.models import MovementKind, MovementSource, StockMovement, StockRecord
from tests.forecasting import support
from tests.forecasting.support import use_small_runs

pytestmark = pytest.mark.django_db

END = date(2024, 6, 30)
DAYS = 120
HOLDOUT = 14

STEADY = [9.0, 11.0] * (DAYS // 2)  # smooth, about 10 % WAPE against a forecast of 10
JUMPS_AT_THE_END = STEADY[:-HOLDOUT] + [30.0] * HOLDOUT  # still smooth, far off in the holdout
EVERY_THIRD_DAY = [0.0, 0.0, 5.0] * (DAYS // 3)  # intermittent: ADI 3, CV² 0


@pytest.fixture(autouse=True)
def _small_runs(settings):
    use_small_runs(settings, days=DAYS, horizon=10, holdout=HOLDOUT, batch_size=2, folds=2)
    settings.FORECAST_RETENTION_RUNS = 30


def item_with_usage(values=STEADY, **fields):
    """An item whose daily usage over the history window (ending at END) is `values`."""
    return support.item_with_usage(values, end=END, **fields)


@pytest.fixture
def five_items():
    return [item_with_usage() for _ in range(5)]


def run_forecast(**kwargs) -> ForecastRun:
    return services.run_forecast(history_end=END, **kwargs)


def run_retrain(**kwargs) -> ForecastRun:
    return services.run_retrain(history_end=END, **kwargs)


def result_history(item):
    """The demand history the runs read for `item`."""
    return demand_matrix([item.pk], end=END, days=DAYS)[0]


def forecast_of(run: ForecastRun, item) -> ItemForecast:
    return ItemForecast.objects.get(run=run, item=item)


def fail_on_call(monkeypatch, target: str, call: int) -> None:
    """Make `forecasting.services.<target>` raise on its `call`-th call (1-based)."""
    original = getattr(services, target)
    calls = {"count": 0}

    def failing(*args, **kwargs):
        calls["count"] += 1
        if calls["count"] == call:
            raise RuntimeError("worker lost")
        return original(*args, **kwargs)

    monkeypatch.setattr(services, target, failing)


# --- one run ----------------------------------------------------------------------------------


def test_a_run_stores_one_forecast_per_active_item():
    active = [item_with_usage(), item_with_usage(), item_with_usage()]
    item_with_usage(active=False)

    run = run_forecast()

    assert run.status == ForecastRun.Status.SUCCEEDED
    assert sorted(run.item_forecasts.values_list("item_id", flat=True)) == [i.pk for i in active]


def test_the_horizon_starts_the_day_after_the_history_and_spans_the_horizon_setting(settings):
    item = item_with_usage()

    run = run_forecast()

    result = forecast_of(run, item)
    assert result.horizon_start == END + timedelta(days=1)
    assert {len(series) for series in result.points.values()} == {settings.FORECAST_HORIZON_DAYS}
    assert set(result.points) == {"mean", "lo80", "hi80", "lo95", "hi95"}


def test_a_run_stores_each_forecasts_reorder_point_for_the_lead_time_setting(settings):
    settings.REORDER_LEAD_TIME_DAYS = 3
    item = item_with_usage()

    forecast = forecast_of(run_forecast(), item)

    mean, high = forecast.points["mean"][:3], forecast.points["hi95"][:3]
    expected = max(sum(Decimal(str(v)) for v in high), sum(Decimal(str(v)) for v in mean))
    assert forecast.reorder_lead_time_days == 3
    assert forecast.reorder_point == expected > 0


def test_a_result_records_the_class_model_and_backtest_accuracy():
    item = item_with_usage()

    result = forecast_of(run_forecast(), item)

    assert result.demand_class == engine.DemandClass.SMOOTH
    assert result.model == engine.DEFAULT_MODEL[engine.DemandClass.SMOOTH]
    assert result.item_mape == pytest.approx(result.wape * 100, abs=0.01)
    assert result.holdout_actual == pytest.approx(sum(STEADY[-HOLDOUT:]))


def test_a_run_counts_its_items_and_batches(five_items):
    run = run_forecast()

    run.refresh_from_db()
    assert (run.items_total, run.items_done) == (5, 5)
    assert (run.batches_total, run.batches_done) == (3, 3)
    assert run.last_item_id == five_items[-1].pk
    assert run.history_end == END
    assert run.finished_at is not None


def test_progress_is_reported_after_every_batch(five_items):
    seen = []

    run_forecast(progress=lambda run: seen.append((run.batches_done, run.items_done)))

    assert seen == [(1, 2), (2, 4), (3, 5)]


def test_overrides_replace_the_settings_for_one_run(five_items):
    run = run_forecast(batch_size=10, horizon_days=3)

    assert (run.batches_total, run.batches_done) == (1, 1)
    assert len(forecast_of(run, five_items[0]).points["mean"]) == 3
    assert run.config["batch_size"] == 10


# --- crash and resume -------------------------------------------------------------------------


def test_a_crash_keeps_the_batches_already_committed(monkeypatch, five_items):
    fail_on_call(monkeypatch, "item_histories", call=2)

    with pytest.raises(RuntimeError, match="worker lost"):
        run_forecast()

    run = ForecastRun.objects.get()
    assert run.status == ForecastRun.Status.FAILED
    assert "worker lost" in run.error
    assert run.last_item_id == five_items[1].pk
    assert (run.items_done, run.batches_done) == (2, 1)
    assert sorted(run.item_forecasts.values_list("item_id", flat=True)) == [
        five_items[0].pk,
        five_items[1].pk,
    ]


def test_a_crash_while_committing_a_batch_leaves_none_of_that_batch(monkeypatch, five_items):
    manager = ItemForecast.objects
    original = manager.bulk_create
    calls = {"count": 0}

    def bulk_create_then_fail(objs, *args, **kwargs):
        created = original(objs, *args, **kwargs)
        calls["count"] += 1
        if calls["count"] == 2:
            raise RuntimeError("connection dropped")
        return created

    monkeypatch.setattr(manager, "bulk_create", bulk_create_then_fail)

    with pytest.raises(RuntimeError):
        run_forecast()

    run = ForecastRun.objects.get()
    assert run.item_forecasts.count() == 2
    assert (run.items_done, run.batches_done, run.last_item_id) == (2, 1, five_items[1].pk)


def test_a_resumed_run_finishes_the_same_run(monkeypatch, five_items):
    fail_on_call(monkeypatch, "item_histories", call=2)
    with pytest.raises(RuntimeError):
        run_forecast()
    failed = ForecastRun.objects.get()
    monkeypatch.undo()

    run = run_forecast(resume=True)

    assert run.pk == failed.pk
    run.refresh_from_db()
    assert run.status == ForecastRun.Status.SUCCEEDED
    assert run.error == ""
    assert (run.items_done, run.batches_done) == (5, 3)
    assert sorted(run.item_forecasts.values_list("item_id", flat=True)) == [
        item.pk for item in five_items
    ]


def test_a_resumed_run_does_not_recompute_the_items_already_done(monkeypatch, five_items):
    fail_on_call(monkeypatch, "item_histories", call=2)
    with pytest.raises(RuntimeError):
        run_forecast()
    monkeypatch.undo()
    read = []
    original = services.item_histories
    monkeypatch.setattr(
        services,
        "item_histories",
        lambda item_ids, **kwargs: read.extend(item_ids) or original(item_ids, **kwargs),
    )

    run_forecast(resume=True)

    assert read == [item.pk for item in five_items[2:]]


def test_a_restart_replaces_the_unfinished_run(monkeypatch, five_items):
    fail_on_call(monkeypatch, "item_histories", call=2)
    with pytest.raises(RuntimeError):
        run_forecast()
    failed = ForecastRun.objects.get()
    monkeypatch.undo()

    run = run_forecast(resume=False)

    failed.refresh_from_db()
    assert failed.status == ForecastRun.Status.REPLACED
    assert run.pk != failed.pk
    assert run.status == ForecastRun.Status.SUCCEEDED
    assert run.item_forecasts.count() == 5


def test_a_finished_run_is_not_resumed(five_items):
    first = run_forecast()

    second = run_forecast(resume=True)

    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.status == ForecastRun.Status.SUCCEEDED


def test_an_unfinished_run_of_another_history_day_is_not_resumed(monkeypatch, five_items):
    fail_on_call(monkeypatch, "item_histories", call=2)
    with pytest.raises(RuntimeError):
        run_forecast()
    failed = ForecastRun.objects.get()
    monkeypatch.undo()

    run = services.run_forecast(history_end=END + timedelta(days=1))

    assert run.pk != failed.pk
    failed.refresh_from_db()
    assert failed.status == ForecastRun.Status.FAILED


def test_a_crash_after_the_last_batch_leaves_the_daily_run_failed(monkeypatch, five_items):
    fail_on_call(monkeypatch, "_summarize", call=1)

    with pytest.raises(RuntimeError, match="worker lost"):
        run_forecast()

    run = ForecastRun.objects.get()
    assert run.status == ForecastRun.Status.FAILED
    assert run.error == "RuntimeError: worker lost"
    assert (run.items_done, run.batches_done) == (5, 3)
    assert run.finished_at is None
    assert run.duration_seconds is not None


def test_the_retrain_reports_progress_after_every_batch_and_records_its_time(five_items):
    seen = []

    run = run_retrain(progress=lambda run: seen.append((run.batches_done, run.items_done)))

    assert seen == [(1, 2), (2, 4), (3, 5)]
    run.refresh_from_db()
    assert run.status == ForecastRun.Status.SUCCEEDED
    assert run.finished_at is not None
    assert run.duration_seconds is not None


# --- summary: averages, high variance, health -------------------------------------------------


@pytest.fixture
def mixed_items():
    """Four steady smooth items, one smooth item far off in the holdout, two intermittent."""
    steady = [item_with_usage(STEADY) for _ in range(4)]
    outlier = item_with_usage(JUMPS_AT_THE_END)
    intermittent = [item_with_usage(EVERY_THIRD_DAY) for _ in range(2)]
    return {"steady": steady, "outlier": outlier, "intermittent": intermittent}


def test_an_item_far_above_its_class_average_is_flagged(mixed_items):
    run = run_forecast()

    result = forecast_of(run, mixed_items["outlier"])
    assert result.demand_class == engine.DemandClass.SMOOTH
    assert result.is_high_variance
    assert "smooth" in result.high_variance_reason
    assert run.high_variance_count == 1


def test_items_near_their_class_average_are_not_flagged(mixed_items):
    run = run_forecast()

    for item in mixed_items["steady"] + mixed_items["intermittent"]:
        result = forecast_of(run, item)
        assert not result.is_high_variance
        assert result.high_variance_reason == ""


def test_intermittent_items_are_not_flagged_for_erring_more_than_smooth_ones(settings, mixed_items):
    run = run_forecast()

    intermittent = [forecast_of(run, item) for item in mixed_items["intermittent"]]
    # Against the run-wide average they would be outliers ...
    limit = settings.MAPE_ITEM_THRESHOLD_MULTIPLIER * run.average_item_mape
    assert all(r.demand_class == engine.DemandClass.INTERMITTENT for r in intermittent)
    assert all(r.item_mape > limit for r in intermittent)
    # ... but within their own class they are not.
    assert not any(r.is_high_variance for r in intermittent)


def test_the_run_averages_are_those_of_its_items(mixed_items):
    run = run_forecast()

    results = list(run.item_forecasts.all())
    mean_item_mape = sum(r.item_mape for r in results) / len(results)
    pooled = sum(r.wape * r.holdout_actual for r in results) / sum(
        r.holdout_actual for r in results
    )
    assert run.average_item_mape == pytest.approx(mean_item_mape, abs=1e-3)
    assert run.average_wape == pytest.approx(pooled, abs=1e-4)


def make_models_bad(monkeypatch, names=None) -> None:
    """Make the named models (default: all) forecast four times the last four weeks' mean."""

    def four_times_too_much(y, horizon):
        return np.full(horizon, 4 * float(y[-28:].mean()))

    for name in names or engine.model_names():
        monkeypatch.setitem(engine.models(), name, four_times_too_much)


def test_health_fails_when_the_forecast_is_worse_than_v20s_and_over_the_threshold(
    monkeypatch, mixed_items
):
    make_models_bad(monkeypatch)

    run = run_forecast()

    assert run.average_wape > run.baseline_wape * 1.1
    assert run.average_wape * 100 > 20.0
    assert run.health == ForecastRun.Health.FAILING


def test_health_passes_when_the_error_is_over_the_threshold_but_no_worse_than_v20s(
    settings, mixed_items
):
    settings.MAPE_THRESHOLD = 1.0

    run = run_forecast()

    assert run.average_wape * 100 > 1.0
    assert run.average_wape <= run.baseline_wape * 1.1
    assert run.health == ForecastRun.Health.PASSING


def test_health_passes_within_the_threshold_even_when_worse_than_v20s(
    settings, monkeypatch, mixed_items
):
    make_models_bad(monkeypatch)
    settings.MAPE_THRESHOLD = 1000.0

    run = run_forecast()

    assert run.average_wape > run.baseline_wape * 1.1
    assert run.health == ForecastRun.Health.PASSING


def test_the_run_records_each_classs_error_beside_v20s(mixed_items):
    run = run_forecast()

    smooth = run.class_accuracy["smooth"]
    results = list(run.item_forecasts.filter(demand_class="smooth"))
    actual = sum(r.holdout_actual for r in results)
    assert smooth["items"] == len(results) == 5
    assert smooth["wape"] == pytest.approx(
        sum(r.wape * r.holdout_actual for r in results) / actual, abs=1e-4
    )
    assert smooth["baseline_wape"] == pytest.approx(
        sum(r.baseline_wape * r.holdout_actual for r in results) / actual, abs=1e-4
    )
    assert run.class_accuracy["intermittent"]["items"] == 2


@pytest.fixture
def big_smooth_and_five_intermittent():
    """Smooth sellers that carry the volume, and five slow intermittent items."""
    for _ in range(3):
        item_with_usage([x * 100 for x in STEADY])
    return [item_with_usage(EVERY_THIRD_DAY) for _ in range(5)]


def test_a_class_with_enough_items_fails_health_on_its_own(
    monkeypatch, big_smooth_and_five_intermittent
):
    make_models_bad(monkeypatch, ["weekday_ses"])

    run = run_forecast()

    assert run.average_wape <= run.baseline_wape * 1.1  # the run as a whole looks fine
    assert run.class_accuracy["intermittent"]["failing"]
    assert run.health == ForecastRun.Health.FAILING


def test_a_class_of_too_few_items_is_judged_only_within_the_whole_run(
    settings, monkeypatch, big_smooth_and_five_intermittent
):
    settings.HEALTH_MIN_CLASS_ITEMS = 6
    make_models_bad(monkeypatch, ["weekday_ses"])

    run = run_forecast()

    assert not run.class_accuracy["intermittent"]["failing"]
    assert run.health == ForecastRun.Health.PASSING


def test_health_follows_the_pooled_wape_not_the_mean_item_mape(settings):
    # A big steady seller forecast well, and a slow seller whose percentage error runs high.
    item_with_usage([95.0, 105.0] * (DAYS // 2))
    item_with_usage([0.0, 0.0, 1.0] * (DAYS // 3))
    settings.MAPE_THRESHOLD = 20.0

    run = run_forecast()

    assert run.average_item_mape > 20.0
    assert run.average_wape * 100 < 20.0
    assert run.health == ForecastRun.Health.PASSING


def test_health_is_unknown_when_no_item_had_a_backtest():
    item_with_usage(STEADY[:20])

    run = run_forecast(history_days=20)

    assert run.average_wape is None
    assert run.health == ForecastRun.Health.UNKNOWN


# --- histories start at each item's first record -------------------------------------------


def issue_every_day(item, location, values) -> None:
    """Ledger issues of `values` on the days up to END (a receipt the day before the first)."""
    record = StockRecord.objects.create(item=item, location=location, lot="")
    first = END - timedelta(days=len(values) - 1)

    def at_noon(day):
        return timezone.make_aware(datetime.combine(day, time(12)))

    rows = [
        StockMovement(
            stock_record=record,
            item=item,
            location=location,
            kind=MovementKind.RECEIPT,
            quantity_delta=Decimal(10_000),
            quantity_after=Decimal(10_000),
            created_at=at_noon(first - timedelta(days=1)),
            source=MovementSource.SYSTEM,
        )
    ]
    rows += [
        StockMovement(
            stock_record=record,
            item=item,
            location=location,
            kind=MovementKind.ISSUE,
            quantity_delta=-Decimal(value),
            quantity_after=Decimal(0),
            created_at=at_noon(first + timedelta(days=day)),
            source=MovementSource.SYSTEM,
        )
        for day, value in enumerate(values)
        if value
    ]
    StockMovement.objects.bulk_create(rows)


WEEK = [8, 9, 10, 11, 14, 15, 9]


def test_an_item_issued_every_day_for_a_year_is_smooth(settings, item, location):
    settings.FORECAST_HISTORY_DAYS = 730
    issue_every_day(item, location, (WEEK * 53)[:365])

    result = forecast_of(run_forecast(), item)

    assert result.demand_class == engine.DemandClass.SMOOTH
    assert result.adi == pytest.approx(366 / 365, abs=1e-3)  # the receipt day had no issue


def test_an_item_launched_forty_days_ago_is_insufficient_and_forecast_at_its_own_rate(
    settings, item, location
):
    settings.FORECAST_HISTORY_DAYS = 730
    issue_every_day(item, location, [6] * 40)

    result = forecast_of(run_forecast(), item)

    assert result.demand_class == engine.DemandClass.INSUFFICIENT
    # The mean of the days it existed (six a day), not of a window padded with zeros.
    assert result.points["mean"] == pytest.approx([6.0] * 10, abs=0.2)


def test_the_retrain_classes_an_item_on_its_life_only(settings, item, location):
    settings.FORECAST_HISTORY_DAYS = 730
    issue_every_day(item, location, (WEEK * 30)[:200])

    run_retrain()

    assert ItemModelChoice.objects.get(item=item).demand_class == engine.DemandClass.SMOOTH


# --- retrain ----------------------------------------------------------------------------------


def test_retrain_stores_a_model_choice_per_active_item():
    smooth, intermittent = item_with_usage(STEADY), item_with_usage(EVERY_THIRD_DAY)
    item_with_usage(active=False)

    run = run_retrain()

    assert run.status == ForecastRun.Status.SUCCEEDED
    assert run.kind == ForecastRun.Kind.RETRAIN
    choices = {choice.item_id: choice for choice in ItemModelChoice.objects.all()}
    assert set(choices) == {smooth.pk, intermittent.pk}
    for item, demand_class in [
        (smooth, engine.DemandClass.SMOOTH),
        (intermittent, engine.DemandClass.INTERMITTENT),
    ]:
        choice = choices[item.pk]
        assert choice.demand_class == demand_class
        assert choice.model in engine.CANDIDATES[demand_class]
        assert set(choice.scores) == set(engine.CANDIDATES[demand_class])
        assert choice.run_id == run.pk


def test_a_second_retrain_updates_the_choices_in_place():
    items = [item_with_usage(), item_with_usage(EVERY_THIRD_DAY)]
    run_retrain()
    first_ids = set(ItemModelChoice.objects.values_list("pk", flat=True))

    second = run_retrain()

    assert ItemModelChoice.objects.count() == len(items)
    assert set(ItemModelChoice.objects.values_list("pk", flat=True)) == first_ids
    assert set(ItemModelChoice.objects.values_list("run_id", flat=True)) == {second.pk}


def test_the_daily_run_uses_the_model_the_retrain_chose():
    items = [item_with_usage(), item_with_usage(EVERY_THIRD_DAY)]
    run_retrain()

    run = run_forecast()

    chosen = dict(ItemModelChoice.objects.values_list("item_id", "model"))
    for item in items:
        assert forecast_of(run, item).model == chosen[item.pk]


def test_the_daily_run_uses_a_chosen_model_over_the_class_default():
    item = item_with_usage()
    default = engine.DEFAULT_MODEL[engine.DemandClass.SMOOTH]
    other = next(name for name in engine.model_names() if name != default)
    ItemModelChoice.objects.create(item=item, model=other, demand_class="smooth")

    result = forecast_of(run_forecast(), item)

    assert result.model == other
    expected = engine.predict(other, result_history(item), 10)
    assert result.points["mean"] == pytest.approx(expected, abs=1e-3)


def test_a_crashed_retrain_resumes_the_same_run(monkeypatch, five_items):
    fail_on_call(monkeypatch, "item_histories", call=2)
    with pytest.raises(RuntimeError):
        run_retrain()
    failed = ForecastRun.objects.get()
    assert failed.status == ForecastRun.Status.FAILED
    assert ItemModelChoice.objects.count() == 2
    monkeypatch.undo()

    run = run_retrain()

    assert run.pk == failed.pk
    assert run.status == ForecastRun.Status.SUCCEEDED
    assert ItemModelChoice.objects.count() == 5


# --- pruning ----------------------------------------------------------------------------------


def _runs(kind: str, count: int, *, status=ForecastRun.Status.SUCCEEDED) -> list[ForecastRun]:
    now = timezone.now()
    return [
        ForecastRun.objects.create(
            kind=kind, status=status, history_end=END, started_at=now - timedelta(days=count - n)
        )
        for n in range(count)
    ]


def test_prune_keeps_the_newest_runs_of_each_kind(settings):
    settings.FORECAST_RETENTION_RUNS = 2
    forecasts = _runs(ForecastRun.Kind.FORECAST, 4)
    retrains = _runs(ForecastRun.Kind.RETRAIN, 3)

    deleted = services.prune_runs()

    assert deleted == 3
    assert set(ForecastRun.objects.values_list("pk", flat=True)) == {
        run.pk for run in forecasts[-2:] + retrains[-2:]
    }


def test_prune_deletes_the_results_of_the_runs_it_removes(settings):
    settings.FORECAST_RETENTION_RUNS = 1
    item = item_with_usage()
    run_forecast()
    latest = run_forecast()

    assert ForecastRun.objects.filter(kind=ForecastRun.Kind.FORECAST).get() == latest
    assert set(ItemForecast.objects.values_list("run_id", flat=True)) == {latest.pk}
    assert ItemForecast.objects.filter(item=item).count() == 1


def test_prune_never_deletes_a_running_run(settings):
    settings.FORECAST_RETENTION_RUNS = 1
    (old_running,) = _runs(ForecastRun.Kind.FORECAST, 1, status=ForecastRun.Status.RUNNING)
    _runs(ForecastRun.Kind.FORECAST, 1)

    services.prune_runs()

    assert ForecastRun.objects.filter(pk=old_running.pk).exists()


def test_prune_keeps_the_latest_succeeded_run_behind_newer_failed_ones(settings):
    settings.FORECAST_RETENTION_RUNS = 2
    (good,) = _runs(ForecastRun.Kind.FORECAST, 1)
    good.started_at = timezone.now() - timedelta(days=30)  # older than all the failed ones
    good.save(update_fields=["started_at"])
    failed = _runs(ForecastRun.Kind.FORECAST, 3, status=ForecastRun.Status.FAILED)

    services.prune_runs()

    assert set(ForecastRun.objects.values_list("pk", flat=True)) == {
        good.pk,
        *(run.pk for run in failed[-2:]),
    }


# --- promotions of an item younger than the window ----------------------------------------------


def test_a_young_items_promoted_days_line_up_with_its_history_and_horizon(monkeypatch):
    young = item_with_usage([10.0] * 40)  # first record 40 days before END, in a 120-day window
    Promotion.objects.create(
        item=young, first_day=END - timedelta(days=9), last_day=END - timedelta(days=8)
    )
    Promotion.objects.create(
        item=young, first_day=END + timedelta(days=2), last_day=END + timedelta(days=2)
    )
    seen = {}
    forecast_item = engine.forecast_item

    def spy(y, **kwargs):
        seen["days"], seen["mask"] = len(y), kwargs["promotions"]
        return forecast_item(y, **kwargs)

    monkeypatch.setattr(engine, "forecast_item", spy)

    run_forecast()

    assert seen["days"] == 40
    assert len(seen["mask"]) == 40 + 10  # its history and the horizon
    assert np.flatnonzero(seen["mask"]).tolist() == [30, 31, 41]


def test_the_retrain_hands_a_young_item_its_promoted_days_over_its_history(monkeypatch):
    young = item_with_usage([10.0] * 40)
    Promotion.objects.create(
        item=young, first_day=END - timedelta(days=9), last_day=END - timedelta(days=8)
    )
    seen = {}
    choose_model = engine.choose_model

    def spy(y, **kwargs):
        seen["days"], seen["mask"] = len(y), kwargs["promotions"]
        return choose_model(y, **kwargs)

    monkeypatch.setattr(engine, "choose_model", spy)

    run_retrain()

    assert seen["days"] == 40
    assert np.flatnonzero(seen["mask"]).tolist() == [30, 31]
    assert len(seen["mask"]) == 40
