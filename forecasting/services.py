"""The forecast runs: the daily `forecast` and the weekly `retrain`, streamed in batches.

Both walk the active items in id order, `FORECAST_BATCH_SIZE` at a time: read the batch's
demand history (`forecasting.history`), compute (`forecasting.engine`, over `FORECAST_N_JOBS`
processes), and commit the batch's results with the run's progress in one transaction before
the next batch starts. Memory stays that of one batch, and a crash loses at most the batch in
flight: the next run of the same kind for the same history day resumes after the last item
done (`resume=True`, the default) or replaces the unfinished run (`resume=False`).

Promotions: each batch's promoted days over its history and horizon are read with its history
(`promotion_matrix`, one query a batch), and the effect pooled over the batch's items of each
demand class, from the days before the holdout, is every item's prior (see
`forecasting.engine.promotion_priors`). Both runs handle promotions the same way; an item
without any promotion day gets exactly the forecast it got before promotions existed.

When every batch is done the daily run computes its averages, flags the high-variance items
(within each demand class: item_mape over `MAPE_ITEM_THRESHOLD_MULTIPLIER` x the class average)
and its health (see `_summarize` and MAPE_THRESHOLD in the settings: each demand class and the
whole run against the 28-day baseline on the same holdout),
and prunes runs beyond `FORECAST_RETENTION_RUNS`.
"""

import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, F, Q, Sum
from django.utils import timezone

from forecasting import engine
from forecasting.cached_responses import preload_forecast_cache
from forecasting.history import item_histories, last_history_day, promotion_matrix
from forecasting.models import ForecastRun, ItemForecast, ItemModelChoice
from forecasting.selectors import stored_reorder_point
from items.models import Item

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[ForecastRun], None]
# Computes and stores the results of one batch: its item ids and their histories, in id order.
BatchWriter = Callable[[list[int], list[np.ndarray]], None]


def _round(values: np.ndarray) -> list[float]:
    return [round(float(v), 3) for v in values]


def _none_or_round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def _promotion_masks(
    histories: list[np.ndarray], promoted: np.ndarray, *, window_days: int
) -> list[np.ndarray | None]:
    """Each item's promotion mask from its first record on (None without a promoted day).

    `promoted` covers the whole history window (`window_days`) and whatever follows it; each
    history ends with the window but starts at its item's first record.
    """
    masks = []
    for y, row in zip(histories, promoted, strict=True):
        mask = row[window_days - len(y) :]
        masks.append(mask if mask.any() else None)
    return masks


def _promotion_inputs(
    histories: list[np.ndarray], promoted: np.ndarray, *, window_days: int, holdout: int
) -> tuple[list[np.ndarray | None], list[engine.PromotionEffect | None]]:
    """Each item's promotion mask (None without a promoted day) and prior, for the daily run.

    The priors are pooled from the days before the final `holdout` days, which the daily run
    scores: the pool has not seen them. (The retrain pools per fold: `engine.fold_priors`.)
    """
    masks = _promotion_masks(histories, promoted, window_days=window_days)
    if all(mask is None for mask in masks):
        return masks, [None] * len(masks)
    cut = [max(len(y) - holdout, 0) for y in histories]
    priors = engine.promotion_priors(
        [y[:days] for y, days in zip(histories, cut, strict=True)],
        [None if m is None else m[:days] for m, days in zip(masks, cut, strict=True)],
    )
    return masks, priors


def _forecast_rows(args: tuple) -> list[dict]:
    """Forecast a block of items (runs in a worker process: numbers in, numbers out)."""
    histories, models, horizon, holdout, promotions, priors = args
    rows = []
    for y, model, mask, prior in zip(histories, models, promotions, priors, strict=True):
        result = engine.forecast_item(
            y, model=model, horizon=horizon, holdout=holdout, promotions=mask, prior=prior
        )
        accuracy = result.accuracy
        baseline = result.baseline_accuracy
        low80, high80 = result.intervals[80]
        low95, high95 = result.intervals[95]
        rows.append(
            {
                "demand_class": result.classification.demand_class.value,
                "adi": result.classification.adi,
                "cv2": result.classification.cv2,
                "model": result.model,
                "points": {
                    "mean": _round(result.mean),
                    "lo80": _round(low80),
                    "hi80": _round(high80),
                    "lo95": _round(low95),
                    "hi95": _round(high95),
                },
                "item_mape": _none_or_round(accuracy and accuracy.item_mape, 3),
                "mape_nonzero": _none_or_round(accuracy and accuracy.mape_nonzero, 3),
                "wape": _none_or_round(accuracy and accuracy.wape),
                "baseline_wape": _none_or_round(baseline and baseline.wape),
                "mase": _none_or_round(accuracy and accuracy.mase),
                "rmsse": _none_or_round(accuracy and accuracy.rmsse),
                "holdout_actual": _none_or_round(accuracy and accuracy.actual_total, 3),
                "holdout_forecast": _none_or_round(accuracy and accuracy.forecast_total, 3),
            }
        )
    return rows


def _choose_rows(args: tuple) -> list[dict]:
    """Choose the model of a block of items (runs in a worker process)."""
    histories, holdout, folds, promotions, priors = args
    rows = []
    for y, mask, item_fold_priors in zip(histories, promotions, priors, strict=True):
        best, scores = engine.choose_model(
            y, holdout=holdout, folds=folds, promotions=mask, priors=item_fold_priors
        )
        rows.append(
            {
                "model": best,
                "demand_class": engine.classify(y).demand_class.value,
                # JSON has no infinity: a candidate that could not be scored is null.
                "scores": {
                    name: round(score, 4) if math.isfinite(score) else None
                    for name, score in scores.items()
                },
            }
        )
    return rows


class _Pool:
    """Map blocks of a batch over `n_jobs` processes, or in this process when n_jobs is 1.

    The first argument is the batch's histories (a list, one array per item, of any lengths);
    the extra arguments that are lists are sliced alongside it.
    """

    def __init__(self, n_jobs: int) -> None:
        self.n_jobs = max(1, n_jobs)
        self._executor = ProcessPoolExecutor(self.n_jobs) if self.n_jobs > 1 else None

    def map(self, function, histories: list[np.ndarray], *extra) -> list[dict]:
        if self._executor is None:
            return function((histories, *extra))
        jobs = []
        for block in np.array_split(np.arange(len(histories)), self.n_jobs):
            if len(block):
                rows = slice(int(block[0]), int(block[-1]) + 1)  # contiguous by construction
                sliced = [part[rows] if isinstance(part, list) else part for part in extra]
                jobs.append((histories[rows], *sliced))
        return [row for rows in self._executor.map(function, jobs) for row in rows]

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown()


def _config(**overrides) -> dict:
    return {
        "batch_size": settings.FORECAST_BATCH_SIZE,
        "history_days": settings.FORECAST_HISTORY_DAYS,
        "horizon_days": settings.FORECAST_HORIZON_DAYS,
        "holdout_days": settings.FORECAST_HOLDOUT_DAYS,
        "n_jobs": settings.FORECAST_N_JOBS,
        "retrain_folds": settings.FORECAST_RETRAIN_FOLDS,
        **{key: value for key, value in overrides.items() if value is not None},
    }


def _start_or_resume(kind: str, *, history_end: date, config: dict, resume: bool) -> ForecastRun:
    items_total = Item.objects.filter(active=True).count()
    unfinished = ForecastRun.objects.filter(
        kind=kind,
        history_end=history_end,
        status__in=[ForecastRun.Status.RUNNING, ForecastRun.Status.FAILED],
    ).order_by("-started_at", "-id")
    previous = unfinished.first()
    if previous is not None and resume:
        logger.info("Resuming %s run %s after item %s", kind, previous.pk, previous.last_item_id)
        previous.status = ForecastRun.Status.RUNNING
        previous.error = ""
        previous.save(update_fields=["status", "error"])
        return previous
    unfinished.update(status=ForecastRun.Status.REPLACED, finished_at=timezone.now())
    batch_size = config["batch_size"]
    return ForecastRun.objects.create(
        kind=kind,
        history_end=history_end,
        items_total=items_total,
        batches_total=-(-items_total // batch_size),
        config=config,
    )


def _run_batches(
    run: ForecastRun,
    *,
    write_batch: BatchWriter,
    progress: ProgressCallback | None,
) -> None:
    config = run.config
    batch_size = config["batch_size"]
    started = time.monotonic()
    while True:
        batch_ids = list(
            Item.objects.filter(active=True, pk__gt=run.last_item_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch_ids:
            return
        histories = item_histories(batch_ids, end=run.history_end, days=config["history_days"])
        with transaction.atomic():
            write_batch(batch_ids, histories)
            run.items_done += len(batch_ids)
            run.batches_done += 1
            run.last_item_id = batch_ids[-1]
            run.save(update_fields=["items_done", "batches_done", "last_item_id"])
        logger.info(
            "%s run %s: batch %s/%s done, %s/%s items, %.1f s",
            run.kind,
            run.pk,
            run.batches_done,
            run.batches_total,
            run.items_done,
            run.items_total,
            time.monotonic() - started,
        )
        if progress:
            progress(run)


def _finish(run: ForecastRun, started: float) -> None:
    run.status = ForecastRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.duration_seconds = round((run.duration_seconds or 0) + time.monotonic() - started, 3)
    run.save()


def _fail(run: ForecastRun, exc: BaseException, started: float) -> None:
    run.status = ForecastRun.Status.FAILED
    run.error = f"{type(exc).__name__}: {exc}"
    run.duration_seconds = round((run.duration_seconds or 0) + time.monotonic() - started, 3)
    run.save(update_fields=["status", "error", "duration_seconds"])


def _batched_run(
    kind: str,
    *,
    history_end: date | None,
    resume: bool,
    progress: ProgressCallback | None,
    overrides: dict,
    batch_writer: Callable[[ForecastRun, dict, _Pool], BatchWriter],
    summarize: Callable[[ForecastRun], None] | None = None,
    after_finish: Callable[[ForecastRun], None] | None = None,
) -> ForecastRun:
    """The skeleton of both runs: start or resume the run, walk the batches, finish or fail.

    `batch_writer(run, config, pool)` answers what computes and stores one batch's results;
    `summarize(run)` fills the run's figures before it is saved as succeeded, and
    `after_finish(run)` follows that save. A run that raises anywhere is recorded as failed
    (with the time it took) and the exception propagates.
    """
    started = time.monotonic()
    config = _config(**overrides)
    run = _start_or_resume(
        kind,
        history_end=history_end or last_history_day(),
        config=config,
        resume=resume,
    )
    # A resumed run keeps the settings it started with, so all its items are alike.
    config = {**run.config, "n_jobs": config["n_jobs"]}
    pool = _Pool(config["n_jobs"])
    write_batch = batch_writer(run, config, pool)
    try:
        _run_batches(run, write_batch=write_batch, progress=progress)
        if summarize is not None:
            summarize(run)
        _finish(run, started)
        if after_finish is not None:
            after_finish(run)
    except BaseException as exc:
        _fail(run, exc, started)
        raise
    finally:
        pool.close()
    return run


def _forecast_batches(run: ForecastRun, config: dict, pool: _Pool) -> BatchWriter:
    """A batch of the daily run: each item's forecast and backtest, replacing any half-written."""
    horizon_start = run.history_end + timedelta(days=1)
    history_start = horizon_start - timedelta(days=config["history_days"])

    def write_batch(batch_ids: list[int], histories: list[np.ndarray]) -> None:
        chosen = dict(
            ItemModelChoice.objects.filter(item_id__in=batch_ids).values_list("item_id", "model")
        )
        models = [chosen.get(item_id) for item_id in batch_ids]
        promoted = promotion_matrix(
            batch_ids,
            start=history_start,
            days=config["history_days"] + config["horizon_days"],
        )
        masks, priors = _promotion_inputs(
            histories,
            promoted,
            window_days=config["history_days"],
            holdout=config["holdout_days"],
        )
        rows = pool.map(
            _forecast_rows,
            histories,
            models,
            config["horizon_days"],
            config["holdout_days"],
            masks,
            priors,
        )
        # A resumed batch may have been half written by a crashed run: replace it.
        ItemForecast.objects.filter(run=run, item_id__in=batch_ids).delete()
        ItemForecast.objects.bulk_create(
            ItemForecast(
                run=run,
                item_id=item_id,
                horizon_start=horizon_start,
                **row,
                **stored_reorder_point(row["points"]),
            )
            for item_id, row in zip(batch_ids, rows, strict=True)
        )

    return write_batch


def _preload_cache(run: ForecastRun) -> None:
    # The API's cached answers are refilled from this run (a thread the caller may join).
    run.preload_thread = preload_forecast_cache()


def run_forecast(
    *,
    history_end: date | None = None,
    resume: bool = True,
    progress: ProgressCallback | None = None,
    **overrides,
) -> ForecastRun:
    """The daily run: refit each active item's chosen model, backtest it, store the horizon.

    `overrides` replace settings for this run (batch_size, history_days, horizon_days,
    holdout_days, n_jobs).
    """
    run = _batched_run(
        ForecastRun.Kind.FORECAST,
        history_end=history_end,
        resume=resume,
        progress=progress,
        overrides=overrides,
        batch_writer=_forecast_batches,
        summarize=_summarize,
        after_finish=_preload_cache,
    )
    prune_runs()
    return run


def _pooled(absolute_error: float | None, actual: float | None) -> float | None:
    return round(absolute_error / actual, 4) if actual else None


def _group_failing(wape: float | None, baseline_wape: float | None) -> bool:
    """The health rule of one group of items (see MAPE_THRESHOLD in the settings)."""
    if wape is None or baseline_wape is None:
        return False
    return wape * 100 > settings.MAPE_THRESHOLD and wape > baseline_wape * (
        1 + settings.HEALTH_BASELINE_MARGIN
    )


def _summarize(run: ForecastRun) -> None:
    """Run-level averages, high-variance flags within each class, and the run's health."""
    results = ItemForecast.objects.filter(run=run, item_mape__isnull=False)
    pooled = {
        "items": Count("id"),
        "absolute_error": Sum(F("wape") * F("holdout_actual")),
        "baseline_error": Sum(F("baseline_wape") * F("holdout_actual")),
        "actual": Sum("holdout_actual"),
    }
    averages = results.aggregate(
        item_mape=Avg("item_mape"), mase=Avg("mase"), rmsse=Avg("rmsse"), **pooled
    )
    run.average_item_mape = _none_or_round(averages["item_mape"], 3)
    # Pooled over all items (weighted by volume): what the shelves feel, and what health uses.
    # The plain mean of item_mape is dominated by slow sellers whose percentages run high.
    run.average_wape = _pooled(averages["absolute_error"], averages["actual"])
    run.baseline_wape = _pooled(averages["baseline_error"], averages["actual"])
    run.average_mase = _none_or_round(averages["mase"])
    run.average_rmsse = _none_or_round(averages["rmsse"])
    multiplier = settings.MAPE_ITEM_THRESHOLD_MULTIPLIER
    ItemForecast.objects.filter(run=run).update(is_high_variance=False, high_variance_reason="")
    flagged = 0
    class_rows = results.values_list("demand_class").annotate(average=Avg("item_mape"), **pooled)
    run.class_accuracy = {}
    for demand_class, average, items, absolute_error, baseline_error, actual in class_rows:
        limit = multiplier * average
        outliers = results.filter(demand_class=demand_class, item_mape__gt=limit)
        flagged += outliers.update(
            is_high_variance=True,
            high_variance_reason=(
                f"error {multiplier:g}x above the {demand_class} average "
                f"({average:.1f}% -> limit {limit:.1f}%)"
            )[:200],
        )
        wape, baseline_wape = _pooled(absolute_error, actual), _pooled(baseline_error, actual)
        run.class_accuracy[demand_class] = {
            "items": items,
            "wape": wape,
            "baseline_wape": baseline_wape,
            # A class of a few items is judged within the run as a whole, not alone.
            "failing": items >= settings.HEALTH_MIN_CLASS_ITEMS
            and _group_failing(wape, baseline_wape),
        }
    run.high_variance_count = flagged
    if run.average_wape is None:
        run.health = ForecastRun.Health.UNKNOWN
    elif _group_failing(run.average_wape, run.baseline_wape) or any(
        group["failing"] for group in run.class_accuracy.values()
    ):
        run.health = ForecastRun.Health.FAILING
    else:
        run.health = ForecastRun.Health.PASSING


def _retrain_batches(run: ForecastRun, config: dict, pool: _Pool) -> BatchWriter:
    """A batch of the weekly run: each item's chosen model, replacing its previous choice."""
    history_start = run.history_end - timedelta(days=config["history_days"] - 1)

    def write_batch(batch_ids: list[int], histories: list[np.ndarray]) -> None:
        promoted = promotion_matrix(batch_ids, start=history_start, days=config["history_days"])
        masks = _promotion_masks(histories, promoted, window_days=config["history_days"])
        priors = (
            engine.fold_priors(
                histories,
                masks,
                holdout=config["holdout_days"],
                folds=config["retrain_folds"],
            )
            if any(mask is not None for mask in masks)
            else [None] * len(masks)
        )
        rows = pool.map(
            _choose_rows,
            histories,
            config["holdout_days"],
            config["retrain_folds"],
            masks,
            priors,
        )
        now = timezone.now()
        ItemModelChoice.objects.bulk_create(
            [
                ItemModelChoice(item_id=item_id, run=run, chosen_at=now, **row)
                for item_id, row in zip(batch_ids, rows, strict=True)
            ],
            update_conflicts=True,
            unique_fields=["item"],
            update_fields=["model", "demand_class", "scores", "run", "chosen_at"],
        )

    return write_batch


def run_retrain(
    *,
    history_end: date | None = None,
    resume: bool = True,
    progress: ProgressCallback | None = None,
    **overrides,
) -> ForecastRun:
    """The weekly run: choose each active item's model by rolling-origin cross-validation."""
    return _batched_run(
        ForecastRun.Kind.RETRAIN,
        history_end=history_end,
        resume=resume,
        progress=progress,
        overrides=overrides,
        batch_writer=_retrain_batches,
    )


def prune_runs() -> int:
    """Delete finished runs beyond the newest `FORECAST_RETENTION_RUNS` of each kind.

    The newest succeeded run of each kind is always kept, however many failed runs came after
    it: it is what the forecast routes serve.
    """
    deleted = 0
    for kind in ForecastRun.Kind.values:
        runs = ForecastRun.objects.filter(kind=kind).order_by("-started_at", "-id")
        keep = set(runs.values_list("pk", flat=True)[: settings.FORECAST_RETENTION_RUNS])
        keep.update(
            runs.filter(status=ForecastRun.Status.SUCCEEDED).values_list("pk", flat=True)[:1]
        )
        stale = runs.exclude(pk__in=keep).filter(~Q(status=ForecastRun.Status.RUNNING))
        deleted += stale.delete()[0]
    return deleted
