"""The forecasting mathematics, free of Django: classify, fit, backtest, choose, score.

Classify a daily demand series, fit a model, backtest it, choose the best model by
rolling-origin cross-validation, and score accuracy.

Everything here works on one item's daily demand as a NumPy array (oldest day first, zeros on
days without demand); the services in `forecasting.services` feed it and store the results.

Accuracy (see `Accuracy`), and which measure decides what:

- `wape` = sum|error| / sum(actual) over the holdout. `item_mape` (the column v20 called MAPE)
  is WAPE x 100: a percentage defined on every series, also one with zero-demand days, where
  the textbook MAPE is undefined. The run's average of it is checked against `MAPE_THRESHOLD`
  and drives the high-variance flags (within each demand class).
- `mape_nonzero`: the textbook MAPE over the holdout days with non-zero demand, for reference.
- `mase`: mean absolute error scaled by the in-sample weekly seasonal-naive error; `rmsse`:
  root mean squared error scaled by the in-sample one-step naive error (as in the M5
  competition). Models are chosen by MASE for smooth and erratic items and by RMSSE for
  intermittent and lumpy ones: absolute errors reward forecasting zero for items that sell
  now and then, which would empty the shelves.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

# Syntetos-Boylan-Croston cut-offs.
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
SEASON_LENGTH = 7  # daily data, weekly pattern
BASELINE_WINDOW = 28  # v20's forecast: the mean of the last 28 days


class DemandClass(StrEnum):
    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"
    INSUFFICIENT = "insufficient"  # too little history to classify: the naive fallback


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
        WindowAverage,
    )

    return {
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
        "mean28": _statsforecast(lambda: WindowAverage(window_size=BASELINE_WINDOW)),
    }


_MODEL_CACHE: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {}


def model_names() -> list[str]:
    return list(models())


def models() -> dict[str, Callable[[np.ndarray, int], np.ndarray]]:
    if not _MODEL_CACHE:
        _MODEL_CACHE.update(_models())
    return _MODEL_CACHE


BASELINE_MODEL = "mean28"
SMOOTH_CANDIDATES = ("ets", "seasonal_es", "seasonal_window", "seasonal_naive", "mean28")
INTERMITTENT_CANDIDATES = ("croston_sba", "tsb", "adida", "imapa", "mean28")
CANDIDATES: dict[DemandClass, tuple[str, ...]] = {
    DemandClass.SMOOTH: SMOOTH_CANDIDATES,
    DemandClass.ERRATIC: SMOOTH_CANDIDATES,
    DemandClass.INTERMITTENT: INTERMITTENT_CANDIDATES,
    DemandClass.LUMPY: INTERMITTENT_CANDIDATES,
    DemandClass.INSUFFICIENT: (BASELINE_MODEL,),
}
# Until the weekly retrain has chosen, each class gets a cheap model that suits it.
DEFAULT_MODEL: dict[DemandClass, str] = {
    DemandClass.SMOOTH: "seasonal_es",
    DemandClass.ERRATIC: "seasonal_es",
    DemandClass.INTERMITTENT: "tsb",
    DemandClass.LUMPY: "tsb",
    DemandClass.INSUFFICIENT: BASELINE_MODEL,
}


def predict(model: str, y: np.ndarray, horizon: int) -> np.ndarray:
    """Point forecasts for the next `horizon` days; demand is never negative."""
    if len(y) == 0:
        return np.zeros(horizon)
    mean = np.asarray(models()[model](y.astype(np.float64), horizon), dtype=np.float64)
    return np.clip(np.nan_to_num(mean, nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)


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
        """The v20 "MAPE" column, defined as WAPE x 100 (see the module docstring)."""
        return None if self.wape is None else self.wape * 100


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def accuracy(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray) -> Accuracy:
    """Score `forecast` against `actual`; `history` (before them) gives MASE's and RMSSE's scale."""
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


def forecast_item(
    y: np.ndarray,
    *,
    model: str | None = None,
    horizon: int,
    holdout: int,
    levels: Sequence[int] = (80, 95),
) -> ItemResult:
    """Backtest `model` on the last `holdout` days, then forecast `horizon` days from all of `y`.

    Without a model, the class's default is used. Intervals are split-conformal: the absolute
    errors of the holdout backtest give, for each level, the half-width around the forecast
    (clipped at zero), the same way for every model.
    """
    classification = classify(y)
    model = model or DEFAULT_MODEL[classification.demand_class]
    result_accuracy = None
    backtest = None
    if len(y) > holdout + SEASON_LENGTH:
        history, actual = y[:-holdout], y[-holdout:]
        backtest = predict(model, history, holdout)
        result_accuracy = accuracy(actual, backtest, history)
        errors = np.abs(actual - backtest)
    else:
        errors = np.zeros(1)
    mean = predict(model, y, horizon)
    intervals = {}
    for level in levels:
        half_width = float(np.quantile(errors, level / 100)) if len(errors) else 0.0
        intervals[level] = (np.clip(mean - half_width, 0.0, None), mean + half_width)
    return ItemResult(classification, model, mean, intervals, result_accuracy, backtest)


def choose_model(
    y: np.ndarray, *, holdout: int, folds: int = 3, candidates: Sequence[str] | None = None
) -> tuple[str, dict[str, float]]:
    """The candidate with the best mean score over `folds` rolling origins, and every score.

    Fold k (0-based) trains on everything before the last (folds - k + 1) x holdout days and is
    scored on the next `holdout` days; the final holdout is never scored, so the daily run's
    backtest is not the data the choice was made on.
    """
    demand_class = classify(y).demand_class
    candidates = candidates or CANDIDATES[demand_class]
    scores: dict[str, float] = {}
    origins = [len(y) - holdout * (folds - k + 1) for k in range(folds)]
    origins = [o for o in origins if o > 2 * SEASON_LENGTH]
    if not origins:
        return DEFAULT_MODEL[demand_class], {}
    for name in candidates:
        fold_scores = []
        for origin in origins:
            history, actual = y[:origin], y[origin : origin + holdout]
            fold_scores.append(
                selection_score(
                    accuracy(actual, predict(name, history, holdout), history), demand_class
                )
            )
        scores[name] = float(np.mean(fold_scores))
    best = min(scores, key=lambda name: (scores[name], name != DEFAULT_MODEL[demand_class]))
    return best, scores
