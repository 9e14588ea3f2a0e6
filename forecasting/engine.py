"""The forecasting mathematics, free of Django: classify, fit, backtest, choose, score.

Classify a daily demand series, fit a model, backtest it, choose the best model by
rolling-origin cross-validation, and score accuracy.

Everything here works on one item's daily demand as a NumPy array (oldest day first, zeros on
days without demand); the services in `forecasting.services` feed it and store the results.

Until the weekly retrain chooses otherwise, smooth and erratic items get `weekday_mean` and
intermittent and lumpy ones `weekday_ses`: a weekday profile shrunk toward a flat week by how
little the item sells, times a recent level with promotion peaks capped, or times exponential
smoothing. Neither costs more than a fraction of a millisecond a fit.

Accuracy (see `Accuracy`), and which measure decides what:

- `wape` = sum|error| / sum(actual) over the holdout. `item_mape` (the API's MAPE)
  is WAPE x 100: a percentage defined on every series, also one with zero-demand days, where
  the textbook MAPE is undefined. It drives the high-variance flags (within each demand class);
  the run's health compares each class's pooled WAPE with that of `v20_baseline` on the same
  holdout and with `MAPE_THRESHOLD` (see `forecasting.services`).
- `mape_nonzero`: the textbook MAPE over the holdout days with non-zero demand, for reference.
- `mase`: mean absolute error scaled by the in-sample weekly seasonal-naive error; `rmsse`:
  root mean squared error scaled by the in-sample one-step naive error (as in the M5
  competition). Models are chosen by MASE for smooth and erratic items and by RMSSE for
  intermittent and lumpy ones: absolute errors reward forecasting zero for items that sell
  now and then, which would empty the shelves.

Promotions (see `promotion_totals` and `predict`): planned days on which an item is promoted,
known ahead, as a boolean mask over the history and the horizon. The item's effect (demand on
promotion days, and in the `POST_PROMOTION_DAYS` after one, relative to the demand of its
ordinary days around them) is learned from its own history, shrunk toward the effect pooled
over the items of its class; the model is fitted on the history with the effect divided out,
and its forecast is multiplied by the effect on the future promotion days. Without a mask, or
with one that marks no day, every result is what it was without promotions.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from forecasting.demand_classes import DemandClass

# Syntetos-Boylan-Croston cut-offs.
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
SEASON_LENGTH = 7  # daily data, weekly pattern
# A retrain fold needs more than two weeks of history before its scored window.
MIN_FOLD_DAYS = 2 * SEASON_LENGTH
# The weekly retrain replaces a class's default model only with a challenger whose mean
# cross-validation score is more than this fraction below the default's (see `choose_model`).
CHALLENGER_MARGIN = 0.10
BASELINE_WINDOW = 28  # `v20_baseline`: the mean of the last 28 days
# The weekday profile (see `_weekday_profile`): up to a year of whole weeks, shrunk toward a
# flat week by 1 + PROFILE_PRIOR / (mean daily demand) pseudo-weeks.
PROFILE_WEEKS = 52
PROFILE_PRIOR = 20.0
# `weekday_mean`'s level: the last LEVEL_DAYS days, peaks above q3 + LEVEL_FENCE x IQR (of the
# days over their weekday's profile) capped: a promotion must not lift the next month's forecast.
LEVEL_DAYS = 56
LEVEL_FENCE = 2.0
# The level follows a trend whose slope is at least this many standard errors from zero, by at
# most this fraction of the level (see `_with_trend`).
TREND_T = 2.0
TREND_CAP = 0.5
TREND_DAYS = 3 * LEVEL_DAYS
# Promotions (see `promotion_totals`). Customers who stocked up buy less for a while after a
# promotion: the week after one is its own effect (the dip), measured like the uplift.
POST_PROMOTION_DAYS = 7
# A promotion day's baseline is the mean of the ordinary days (neither promoted nor just after
# a promotion) within this many days either side, times its weekday's profile value.
PROMOTION_WINDOW = 28
# An effect estimate is a weighted mean of the item's own ratio (weight: its baseline demand
# over those days) and the pooled one (weight: PROMOTION_PRIOR_DAYS days of that baseline
# plus PROMOTION_PRIOR_UNITS units). One promotion's uplift says little about the next one's,
# and a slow mover's few units on promotion days even less: about two promotions' days and
# twenty units (a count's noise near 20%) make the item's own evidence count as much as the
# pool's. The pooled effects are themselves shrunk the same way toward no effect.
PROMOTION_PRIOR_DAYS = 14.0
PROMOTION_PRIOR_UNITS = 20.0
# The effects stay within these bounds, whatever a short or odd history suggests.
EFFECT_BOUNDS = (0.2, 6.0)


@dataclass(frozen=True)
class Classification:
    demand_class: DemandClass
    adi: float | None  # average demand interval, in days
    cv2: float | None  # squared coefficient of variation of the non-zero demands


def classify(y: np.ndarray, *, min_days: int = 2 * BASELINE_WINDOW) -> Classification:
    """Syntetos-Boylan classification of a daily series.

    ADI counts the first interval from the start of the series (days / days with demand); CV² is
    (standard deviation / mean)² of the non-zero demands. Fewer than `min_days` days or fewer
    than two days with demand is too little history.
    """
    nonzero = y[y > 0]
    if len(y) < min_days or len(nonzero) < 2:
        return Classification(DemandClass.INSUFFICIENT, None, None)
    adi = len(y) / len(nonzero)
    cv2 = float((nonzero.std() / nonzero.mean()) ** 2)
    if adi < ADI_CUTOFF:
        demand_class = DemandClass.SMOOTH if cv2 < CV2_CUTOFF else DemandClass.ERRATIC
    else:
        demand_class = DemandClass.INTERMITTENT if cv2 < CV2_CUTOFF else DemandClass.LUMPY
    return Classification(demand_class, round(adi, 4), round(cv2, 4))


# --- models -----------------------------------------------------------------------------------


def _statsforecast(factory: Callable[[], object]) -> Callable[[np.ndarray, int], np.ndarray]:
    def predict(y: np.ndarray, horizon: int) -> np.ndarray:
        return factory().forecast(y=y, h=horizon)["mean"]

    return predict


def _weekday_profile(y: np.ndarray, ordinary: np.ndarray | None = None) -> np.ndarray | None:
    """Each weekday's demand relative to the mean day (mean 1), by position in `y` modulo 7.

    From the last `PROFILE_WEEKS` whole weeks (fewer if the history is shorter), shrunk toward a
    flat week: each weekday's ratio counts 1 + PROFILE_PRIOR / m pseudo-weeks of exactly 1
    besides its real weeks, where m is the mean daily demand. A fast mover's profile is then
    nearly what it sold; a slow mover's, where a weekday's total is mostly noise, stays close to
    flat. (A week's evidence on a ratio has the variance of a Poisson day, about 1/m, and real
    weekday ratios vary by about 0.05 around 1: the two balance at about 20/m weeks.) None
    without two whole weeks or without demand. With `ordinary` (a mask as long as `y`), only
    the days it marks count: promotion days would bend the profile toward their weekdays.
    """
    days = min(PROFILE_WEEKS * SEASON_LENGTH, len(y) - len(y) % SEASON_LENGTH)
    if days < 2 * SEASON_LENGTH:
        return None
    recent = y[-days:]
    position = np.arange(len(y) - days, len(y)) % SEASON_LENGTH
    if ordinary is not None:
        keep = ordinary[-days:]
        if keep.sum() < 2 * SEASON_LENGTH:
            return None
        recent, position = recent[keep], position[keep]
    mean = float(recent.mean())
    if mean <= 0:
        return None
    totals = np.bincount(position, weights=recent, minlength=SEASON_LENGTH)
    counts = np.bincount(position, minlength=SEASON_LENGTH)
    pseudo = 1 + PROFILE_PRIOR / mean
    profile = (totals / mean + pseudo) / (counts + pseudo)
    return profile / profile.mean()


def _deseasonalised(
    level_model: Callable[[np.ndarray, int], np.ndarray],
) -> Callable[[np.ndarray, int], np.ndarray]:
    """`level_model` on the series divided by its weekday profile, times the profile ahead."""

    def predict(y: np.ndarray, horizon: int) -> np.ndarray:
        profile = _weekday_profile(y)
        if profile is None:
            return level_model(y, horizon)
        position = np.arange(len(y) + horizon) % SEASON_LENGTH
        flat = level_model(y / profile[position[: len(y)]], horizon)
        return np.asarray(flat, dtype=np.float64) * profile[position[len(y) :]]

    return predict


def _weekday_mean(y: np.ndarray, horizon: int) -> np.ndarray:
    """The weekday profile times the level of the last `LEVEL_DAYS` days, peaks capped.

    Each day is divided by its weekday's profile value, capped at the upper fence
    q3 + LEVEL_FENCE x max(IQR, sqrt(q3)) of those ratios and multiplied back; the level is the
    capped days' total over their profile values' total. Over whole weeks that is their mean,
    so the forecast keeps the recent volume even where the (shrunk) profile is flatter than the
    demand. The square root keeps a slow mover's ordinary count noise below the fence; what lies
    above is a promotion or a one-off order, which the weeks ahead will not repeat.
    """
    if len(y) == 0:
        return np.zeros(horizon)
    profile = _weekday_profile(y)
    if profile is None:
        profile = np.ones(SEASON_LENGTH)
    position = np.arange(len(y) + horizon) % SEASON_LENGTH
    # The trend's days reach further back than the level's: a slope needs them to stand out
    # of the day-to-day noise.
    trend_days = y[-TREND_DAYS:]
    weights = profile[position[len(y) - len(trend_days) : len(y)]]
    ratio = _peaks_capped(trend_days / weights)
    recent_ratio, recent_weights = ratio[-LEVEL_DAYS:], weights[-LEVEL_DAYS:]
    level = float((recent_ratio * recent_weights).sum() / recent_weights.sum())
    ahead = (len(recent_ratio) - 1) / 2 + np.arange(1, horizon + 1)
    return _with_trend(level, ratio, ahead) * profile[position[len(y) :]]


def _peaks_capped(ratio: np.ndarray) -> np.ndarray:
    """`ratio` with each `LEVEL_DAYS` block (counted back from the last day) capped at its fence.

    Each block against its own quartiles: on a steeply declining item the days months back sell
    far above the last weeks' fence, and capping them there would flatten the trend.
    """
    capped = ratio.copy()
    for end in range(len(ratio), 0, -LEVEL_DAYS):
        block = capped[max(end - LEVEL_DAYS, 0) : end]
        q1, q3 = np.quantile(block, [0.25, 0.75])
        if q3 > 0:
            np.minimum(block, q3 + LEVEL_FENCE * max(q3 - q1, math.sqrt(q3)), out=block)
    return capped


def _with_trend(level: float, ratio: np.ndarray, ahead: np.ndarray) -> np.ndarray | float:
    """`level` moved `ahead` days along the trend of `ratio` (the last days, oldest first).

    The level is the mean of the last `LEVEL_DAYS` days, which lies half that window behind
    the last day: on a growing item it trails by the growth of a month and more, so the forecast
    falls short every day (and a declining item's overshoots). A least-squares line through
    the last `TREND_DAYS` days carries the level from the level window's middle to each
    forecast day (`ahead` days away), when its slope is at least `TREND_T` standard errors from
    zero (a steady seller's noise draws no trend), the last `LEVEL_DAYS` days do not slope the
    other way, and there are four weeks of days; the move stays within `TREND_CAP` of the level
    either way, and demand never goes below zero.
    """
    days = len(ratio)
    if days < 4 * SEASON_LENGTH or level <= 0:
        return level
    t = np.arange(days) - (days - 1) / 2
    slope = float((t * ratio).sum() / (t * t).sum())
    residual = ratio - ratio.mean() - slope * t
    standard_error = math.sqrt(float((residual**2).sum()) / (days - 2) / float((t * t).sum()))
    # A flat series has no slope; an exactly straight line (no residual at all) is a trend
    # however small its standard error, which is zero.
    if abs(slope) * days <= 1e-9 * level or abs(slope) < TREND_T * standard_error:
        return level
    # A trend the last weeks turned against (a ramp that stopped, a fall that recovered) is
    # over: the level alone is the better guess.
    recent = ratio[-LEVEL_DAYS:]
    recent_t = np.arange(len(recent)) - (len(recent) - 1) / 2
    if slope * float((recent_t * recent).sum()) < 0:
        return level
    move = np.clip(slope * ahead, -TREND_CAP * level, TREND_CAP * level)
    return np.maximum(level + move, 0.0)


def _recent_mean(y: np.ndarray, horizon: int) -> np.ndarray:
    recent = y[-BASELINE_WINDOW:]
    return np.full(horizon, float(recent.mean()) if len(recent) else 0.0)


def v20_baseline(y: np.ndarray, horizon: int) -> np.ndarray:
    """The baseline, the yardstick of health: the last 28 days' total over 28, every day.

    It is the forecast of the service this one replaces (README, "Where v20 was wrong"): the
    days before an item existed count as zeros, so an item younger than four weeks gets its
    total over 28 too.
    """
    return np.full(horizon, float(y[-BASELINE_WINDOW:].sum()) / BASELINE_WINDOW)


def _models() -> dict[str, Callable[[np.ndarray, int], np.ndarray]]:
    # Imported here: statsforecast takes a second to import, and only forecasting needs it.
    from statsforecast.models import (
        ADIDA,
        IMAPA,
        TSB,
        AutoETS,
        CrostonSBA,
        SeasonalExponentialSmoothingOptimized,
        SeasonalNaive,
        SeasonalWindowAverage,
        SimpleExponentialSmoothingOptimized,
    )

    return {
        # The weekday profile times a recent level without promotion peaks: the default for
        # smooth and erratic items. On weekly demand at least as accurate as the seasonal
        # smoothing models below, unmoved by one-off peaks, and a tenth of a millisecond a fit.
        "weekday_mean": _weekday_mean,
        # The weekday profile times simple exponential smoothing with its smoothing weight fit
        # by squared error: the default for intermittent and lumpy items, where it follows
        # ramp-ups and declines sooner than a window or Croston-type model does.
        "weekday_ses": _deseasonalised(_statsforecast(SimpleExponentialSmoothingOptimized)),
        "ses": _statsforecast(SimpleExponentialSmoothingOptimized),
        # Exponential smoothing with a fixed form (additive level and weekly season, no trend):
        # AutoETS's search costs 20 times more for about the same accuracy on daily demand.
        "ets": _statsforecast(lambda: AutoETS(model="ANA", season_length=SEASON_LENGTH)),
        "seasonal_es": _statsforecast(
            lambda: SeasonalExponentialSmoothingOptimized(season_length=SEASON_LENGTH)
        ),
        "seasonal_window": _statsforecast(
            lambda: SeasonalWindowAverage(season_length=SEASON_LENGTH, window_size=4)
        ),
        "seasonal_naive": _statsforecast(lambda: SeasonalNaive(season_length=SEASON_LENGTH)),
        "croston_sba": _statsforecast(CrostonSBA),
        "tsb": _statsforecast(lambda: TSB(alpha_d=0.1, alpha_p=0.1)),
        "adida": _statsforecast(ADIDA),
        "imapa": _statsforecast(IMAPA),
        # The mean of the last 28 days (of all the days, for an item younger than that): the
        # model of items with too little history to classify.
        "mean28": _recent_mean,
    }


_MODEL_CACHE: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {}


def model_names() -> list[str]:
    return list(models())


def models() -> dict[str, Callable[[np.ndarray, int], np.ndarray]]:
    if not _MODEL_CACHE:
        _MODEL_CACHE.update(_models())
    return _MODEL_CACHE


BASELINE_MODEL = "mean28"
# What the weekly retrain chooses from: few and cheap. On the benchmark's 10,000 SKUs
# (bench/bench_forecast.py) cross-validation over three 28-day folds cannot tell near-equal
# models apart, so each extra candidate mostly adds a chance to pick a worse one by luck; the
# baseline stays in as the fallback where neither profile model fits. Registered but not
# candidates: ets (20 ms a fit, a hundred times the others, twice per item in the daily run;
# less accurate than weekday_mean for smooth items, only a little ahead of weekday_ses in RMSSE
# for intermittent ones), seasonal_window and seasonal_naive (a few weeks' days are too noisy),
# croston_sba, adida and imapa (no lower RMSSE than the baseline in any class there, and
# croston_sba forecasts some 15% too little).
SMOOTH_CANDIDATES = ("weekday_mean", "seasonal_es", "mean28")
INTERMITTENT_CANDIDATES = ("weekday_ses", "ses", "tsb", "mean28")
CANDIDATES: dict[DemandClass, tuple[str, ...]] = {
    DemandClass.SMOOTH: SMOOTH_CANDIDATES,
    DemandClass.ERRATIC: SMOOTH_CANDIDATES,
    DemandClass.INTERMITTENT: INTERMITTENT_CANDIDATES,
    DemandClass.LUMPY: INTERMITTENT_CANDIDATES,
    DemandClass.INSUFFICIENT: (BASELINE_MODEL,),
}
# Until the weekly retrain has chosen, each class gets a cheap model that suits it.
DEFAULT_MODEL: dict[DemandClass, str] = {
    DemandClass.SMOOTH: "weekday_mean",
    DemandClass.ERRATIC: "weekday_mean",
    DemandClass.INTERMITTENT: "weekday_ses",
    DemandClass.LUMPY: "weekday_ses",
    DemandClass.INSUFFICIENT: BASELINE_MODEL,
}


# --- promotions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromotionEffect:
    """Demand relative to the item's baseline: on promotion days, and in the days after one."""

    uplift: float = 1.0
    dip: float = 1.0


NO_EFFECT = PromotionEffect()


@dataclass(frozen=True)
class PromotionTotals:
    """What a history says about its promotions: demand and baseline summed over those days.

    "promoted" are the promotion days, "post" the `POST_PROMOTION_DAYS` after a promotion that
    are not promotion days themselves; the baseline is what the ordinary days around them
    suggest (see `promotion_totals`). Totals of several items add up to their pooled evidence.
    """

    promoted_actual: float = 0.0
    promoted_baseline: float = 0.0
    promoted_days: int = 0
    post_actual: float = 0.0
    post_baseline: float = 0.0
    post_days: int = 0

    def __add__(self, other: "PromotionTotals") -> "PromotionTotals":
        return PromotionTotals(
            *(a + b for a, b in zip(self.__dict__.values(), other.__dict__.values(), strict=True))
        )


def _mask(promotions: np.ndarray | None, days: int) -> np.ndarray | None:
    """`promotions` as a boolean array of exactly `days` days, or None if it marks no day.

    Days the mask does not reach have no promotion. None sends an item without any promotion
    day down the path without promotions.
    """
    if promotions is None:
        return None
    mask = np.zeros(days, dtype=bool)
    known = np.asarray(promotions[:days], dtype=bool)
    mask[: len(known)] = known
    return mask if mask.any() else None


def _after_promotion(promoted: np.ndarray) -> np.ndarray:
    """The days within `POST_PROMOTION_DAYS` after a promotion day that are not promoted."""
    index = np.arange(len(promoted))
    last = np.maximum.accumulate(np.where(promoted, index, -POST_PROMOTION_DAYS - 1))
    return ~promoted & (index - last <= POST_PROMOTION_DAYS)


def _ordinary_baseline(y: np.ndarray, ordinary: np.ndarray) -> np.ndarray:
    """Each day's demand as the ordinary days around it suggest.

    The mean of the ordinary days within `PROMOTION_WINDOW` days either side (each divided by
    its weekday's profile value), times the day's own profile value. A centred window follows
    a trend or a season from both sides.
    """
    profile = _weekday_profile(y, ordinary)
    weights = np.ones(len(y)) if profile is None else profile[np.arange(len(y)) % SEASON_LENGTH]
    level = np.where(ordinary, y / weights, 0.0)
    sums = np.concatenate(([0.0], np.cumsum(level)))
    counts = np.concatenate(([0], np.cumsum(ordinary)))
    index = np.arange(len(y))
    low = np.maximum(index - PROMOTION_WINDOW, 0)
    high = np.minimum(index + PROMOTION_WINDOW + 1, len(y))
    count = counts[high] - counts[low]
    # A day with no ordinary day near it (a promotion in every week) takes the overall level.
    overall = float(level.sum() / counts[-1]) if counts[-1] else 0.0
    local = np.where(count > 0, (sums[high] - sums[low]) / np.maximum(count, 1), overall)
    return local * weights


def promotion_totals(y: np.ndarray, promotions: np.ndarray | None) -> PromotionTotals:
    """The evidence of `y`'s history on its promotions (`promotions` covers at least `y`)."""
    promoted = _mask(promotions, len(y))
    if promoted is None:
        return PromotionTotals()
    post = _after_promotion(promoted)
    ordinary = ~(promoted | post)
    if not ordinary.any():
        return PromotionTotals()
    baseline = _ordinary_baseline(y, ordinary)
    return PromotionTotals(
        promoted_actual=float(y[promoted].sum()),
        promoted_baseline=float(baseline[promoted].sum()),
        promoted_days=int(promoted.sum()),
        post_actual=float(y[post].sum()),
        post_baseline=float(baseline[post].sum()),
        post_days=int(post.sum()),
    )


def _shrunk(actual: float, baseline: float, days: int, prior: float) -> float:
    """The ratio actual / baseline, weighted against `prior` (see `PROMOTION_PRIOR_DAYS`)."""
    if days == 0 or baseline <= 0:
        return prior
    weight = PROMOTION_PRIOR_DAYS * baseline / days + PROMOTION_PRIOR_UNITS
    return float(np.clip((actual + weight * prior) / (baseline + weight), *EFFECT_BOUNDS))


def promotion_effect(
    totals: PromotionTotals, prior: PromotionEffect = NO_EFFECT
) -> PromotionEffect:
    """The effect `totals` show, shrunk toward `prior` the less evidence they hold."""
    return PromotionEffect(
        uplift=_shrunk(
            totals.promoted_actual, totals.promoted_baseline, totals.promoted_days, prior.uplift
        ),
        dip=_shrunk(totals.post_actual, totals.post_baseline, totals.post_days, prior.dip),
    )


def promotion_priors(
    series: Sequence[np.ndarray], promotions: Sequence[np.ndarray | None]
) -> list[PromotionEffect]:
    """Each item's prior: the effect pooled over the items of its demand class.

    The class's evidence is shrunk toward the effect pooled over all the items, which is shrunk
    toward no effect. Pass histories that end before any day that will be scored (the daily
    run's holdout), so the pool has not seen it.
    """
    classes = [classify(y).demand_class for y in series]
    totals = [promotion_totals(y, mask) for y, mask in zip(series, promotions, strict=True)]
    overall = promotion_effect(sum(totals, PromotionTotals()))
    pooled: dict[DemandClass, PromotionEffect] = {}
    for demand_class in set(classes):
        evidence = sum(
            (t for t, c in zip(totals, classes, strict=True) if c == demand_class),
            PromotionTotals(),
        )
        pooled[demand_class] = promotion_effect(evidence, overall)
    return [pooled[c] for c in classes]


def fold_origins(length: int, *, holdout: int, folds: int) -> list[int]:
    """Where each retrain fold's scored window starts, in a history of `length` days.

    Fold k (0-based) trains on everything before the last (folds - k + 1) x holdout days and is
    scored on the next `holdout` days; the final holdout is never scored. Folds left with under
    two weeks of training are dropped (the earliest go first).
    """
    return [o for o in _all_fold_origins(length, holdout=holdout, folds=folds) if o > MIN_FOLD_DAYS]


def _all_fold_origins(length: int, *, holdout: int, folds: int) -> list[int]:
    return [length - holdout * (folds - k + 1) for k in range(folds)]


def fold_priors(
    series: Sequence[np.ndarray],
    promotions: Sequence[np.ndarray | None],
    *,
    holdout: int,
    folds: int,
) -> list[list[PromotionEffect]]:
    """Per item, the prior of each of the `folds` retrain folds (fold k at index k).

    The histories end on the same day but may start on different ones (each at its item's
    first record): fold k's origin is the same day for all of them, (folds - k + 1) x holdout
    days before the end. Each fold's pool ends at that origin, so no fold is scored on days its
    prior has seen. A history too short for a fold adds nothing to that fold's pool.
    """
    per_fold = []
    for k in range(folds):
        cut = holdout * (folds - k + 1)
        per_fold.append(
            promotion_priors(
                [y[: max(len(y) - cut, 0)] for y in series],
                [
                    None if m is None else m[: max(len(y) - cut, 0)]
                    for y, m in zip(series, promotions, strict=True)
                ],
            )
        )
    return [list(priors) for priors in zip(*per_fold, strict=True)] or [[] for _ in series]


def _factors(
    y: np.ndarray, promotions: np.ndarray | None, horizon: int, prior: PromotionEffect | None
) -> np.ndarray | None:
    """The item's effect on each day of its history and horizon (1 on ordinary days).

    None without any promotion day in either.
    """
    mask = _mask(promotions, len(y) + horizon)
    if mask is None:
        return None
    effect = promotion_effect(promotion_totals(y, mask), prior or NO_EFFECT)
    return np.where(mask, effect.uplift, np.where(_after_promotion(mask), effect.dip, 1.0))


def _predict(model: str, y: np.ndarray, horizon: int, factors: np.ndarray | None) -> np.ndarray:
    if len(y) == 0:
        return np.zeros(horizon)
    y = y.astype(np.float64)
    if factors is None:
        mean = np.asarray(models()[model](y, horizon), dtype=np.float64)
    else:
        adjusted = models()[model](y / factors[: len(y)], horizon)
        mean = np.asarray(adjusted, dtype=np.float64) * factors[len(y) :]
    return np.clip(np.nan_to_num(mean, nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)


def predict(
    model: str,
    y: np.ndarray,
    horizon: int,
    *,
    promotions: np.ndarray | None = None,
    prior: PromotionEffect | None = None,
) -> np.ndarray:
    """Point forecasts for the next `horizon` days; demand is never negative.

    `promotions` marks the promotion days of the history and the horizon (len(y) + horizon
    days; a shorter mask has no promotion on the missing days). The item's effect is learned
    from `y`, shrunk toward `prior` (no effect unless given), divided out of the history the
    model is fitted on, and multiplied into the forecast.
    """
    return _predict(model, y, horizon, _factors(y, promotions, horizon, prior))


# --- accuracy ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accuracy:
    wape: float | None  # sum|e| / sum(actual); None when the holdout had no demand
    mape_nonzero: float | None  # % over days with demand; None without any
    mase: float | None  # scaled by the in-sample weekly seasonal-naive MAE
    rmsse: float | None  # scaled by the in-sample one-step naive RMSE
    actual_total: float
    forecast_total: float

    @property
    def item_mape(self) -> float | None:
        """The "MAPE" column, defined as WAPE x 100 (see the module docstring)."""
        return None if self.wape is None else self.wape * 100


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def accuracy(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray) -> Accuracy:
    """Score `forecast` against `actual`; `history` (before them) gives MASE's and RMSSE's scale.

    As in the M5 competition, the scale is measured from the first day with demand: the zeros
    before an item's launch are not part of its variability.
    """
    if history.any():
        history = history[int(np.argmax(history > 0)) :]
    error = forecast - actual
    absolute = np.abs(error)
    total = float(actual.sum())
    nonzero = actual > 0
    seasonal_scale = (
        float(np.mean(np.abs(history[SEASON_LENGTH:] - history[:-SEASON_LENGTH])))
        if len(history) > SEASON_LENGTH
        else 0.0
    )
    naive_scale = float(np.mean(np.diff(history) ** 2)) if len(history) > 1 else 0.0
    return Accuracy(
        wape=_finite(float(absolute.sum()) / total) if total > 0 else None,
        mape_nonzero=(
            float(np.mean(absolute[nonzero] / actual[nonzero]) * 100) if nonzero.any() else None
        ),
        mase=_finite(float(absolute.mean()) / seasonal_scale) if seasonal_scale > 0 else None,
        rmsse=_finite(math.sqrt(float(np.mean(error**2)) / naive_scale))
        if naive_scale > 0
        else None,
        actual_total=total,
        forecast_total=float(forecast.sum()),
    )


def selection_score(result: Accuracy, demand_class: DemandClass) -> float:
    """Lower is better: MASE for smooth and erratic items, RMSSE for the others."""
    if demand_class in (DemandClass.SMOOTH, DemandClass.ERRATIC):
        value = result.mase
    else:
        value = result.rmsse
    return math.inf if value is None else value


# --- one item: backtest, intervals, forecast --------------------------------------------------


@dataclass
class ItemResult:
    classification: Classification
    model: str
    mean: np.ndarray  # the horizon, day by day
    intervals: dict[int, tuple[np.ndarray, np.ndarray]]  # level -> (low, high)
    accuracy: Accuracy | None  # None when the history is too short for a holdout
    holdout_forecast: np.ndarray | None = field(default=None, repr=False)
    # The baseline (`v20_baseline`) scored on the same holdout: what health compares with.
    baseline_accuracy: Accuracy | None = None


def forecast_item(
    y: np.ndarray,
    *,
    model: str | None = None,
    horizon: int,
    holdout: int,
    levels: Sequence[int] = (80, 95),
    promotions: np.ndarray | None = None,
    prior: PromotionEffect | None = None,
) -> ItemResult:
    """Backtest `model` on the last `holdout` days, then forecast `horizon` days from all of `y`.

    Without a model, the class's default is used. Intervals are split-conformal: the absolute
    errors of the holdout backtest give, for each level, the half-width around the forecast
    (clipped at zero), the same way for every model; on a promotion day (or just after one) the
    half-width scales with the effect, as the demand does. `promotions` (len(y) + horizon days)
    and `prior` as in `predict`: the backtest learns the effect from the days before the
    holdout only, and knows the holdout's promotions as planned days.
    """
    classification = classify(y)
    model = model or DEFAULT_MODEL[classification.demand_class]
    result_accuracy = baseline_accuracy = None
    backtest = None
    if len(y) > holdout + SEASON_LENGTH:
        history, actual = y[:-holdout], y[-holdout:]
        backtest = predict(
            model,
            history,
            holdout,
            promotions=None if promotions is None else promotions[: len(y)],
            prior=prior,
        )
        result_accuracy = accuracy(actual, backtest, history)
        baseline_accuracy = accuracy(actual, v20_baseline(history, holdout), history)
        errors = np.abs(actual - backtest)
    else:
        # No holdout to learn the error from: the day-to-day spread of the history stands in,
        # so a new item still gets an interval (and a safety stock) instead of none.
        errors = np.abs(y - y.mean()) if len(y) else np.zeros(1)
    factors = _factors(y, promotions, horizon, prior)
    mean = _predict(model, y, horizon, factors)
    scale = 1.0 if factors is None else factors[len(y) :]
    intervals = {}
    for level in levels:
        half_width = float(np.quantile(errors, level / 100)) if len(errors) else 0.0
        half_width = half_width * scale
        intervals[level] = (np.clip(mean - half_width, 0.0, None), mean + half_width)
    return ItemResult(
        classification, model, mean, intervals, result_accuracy, backtest, baseline_accuracy
    )


def choose_model(
    y: np.ndarray,
    *,
    holdout: int,
    folds: int = 3,
    candidates: Sequence[str] | None = None,
    promotions: np.ndarray | None = None,
    priors: Sequence[PromotionEffect | None] | None = None,
) -> tuple[str, dict[str, float]]:
    """The model to refit daily, chosen by rolling-origin cross-validation, and every score.

    Each candidate's score is its mean over the folds of `fold_origins`; the final holdout is
    never scored, so the daily run's backtest is not the data the choice was made on. The
    class's default model stays unless a challenger's score is below the default's by more
    than `CHALLENGER_MARGIN` (see there): on a few weeks of noisy demand the best of several
    near-equal models is mostly the luckiest. With `promotions` (covering `y`) every fold
    handles promotions as the daily run does (see `predict`), with `priors[k]` as fold k's
    prior (from `fold_priors`: pooled only from before that fold's origin).
    """
    demand_class = classify(y).demand_class
    default = DEFAULT_MODEL[demand_class]
    candidates = candidates or CANDIDATES[demand_class]
    scores: dict[str, float] = {}
    folds_used = [
        (k, origin)
        for k, origin in enumerate(_all_fold_origins(len(y), holdout=holdout, folds=folds))
        if origin > MIN_FOLD_DAYS
    ]
    if not folds_used:
        return default, {}
    # The effect each fold learns does not depend on the candidate: learned once per fold.
    fold_factors = [
        _factors(
            y[:origin],
            None if promotions is None else promotions[: origin + holdout],
            holdout,
            priors[k] if priors else None,
        )
        for k, origin in folds_used
    ]
    for name in candidates:
        fold_scores = []
        for (_k, origin), factors in zip(folds_used, fold_factors, strict=True):
            history, actual = y[:origin], y[origin : origin + holdout]
            forecast = _predict(name, history, holdout, factors)
            fold_scores.append(selection_score(accuracy(actual, forecast, history), demand_class))
        scores[name] = float(np.mean(fold_scores))
    best = min(scores, key=lambda name: (scores[name], name != default))
    if default in scores and not scores[best] < (1 - CHALLENGER_MARGIN) * scores[default]:
        best = default
    return best, scores
