"""The forecasting mathematics on constructed series: no database involved."""

import math

import numpy as np
import pytest

from forecasting import engine
from forecasting.engine import DemandClass

WEEK = [8.0, 10.0, 12.0, 9.0, 11.0, 15.0, 14.0]


def _alternating(low: float, high: float, count: int) -> list[float]:
    return [low if i % 2 == 0 else high for i in range(count)]


def _with_gaps(values: list[float], *, period: int, zeros: int) -> np.ndarray:
    """Spread `values` over a series where each `period` days hold `zeros` days without demand.

    The zero days come first in each period, so ADI = period / (period - zeros) exactly.
    """
    series = []
    values = iter(values)
    per_period = period - zeros
    while True:
        chunk = [0.0] * zeros
        try:
            chunk += [next(values) for _ in range(per_period)]
        except StopIteration:
            return np.array(series)
        series += chunk


@pytest.fixture
def smooth_series() -> np.ndarray:
    rng = np.random.default_rng(7)
    return np.tile(WEEK, 18)[:120] + rng.uniform(-1.5, 1.5, 120)


@pytest.fixture
def intermittent_series() -> np.ndarray:
    rng = np.random.default_rng(11)
    days_with_demand = rng.random(120) < 0.3
    return np.where(days_with_demand, rng.integers(3, 6, 120), 0).astype(float)


# --- classification ---------------------------------------------------------------------------
#
# Each series is 70 days. Demand on 4 of every 5 days gives ADI 1.25 (< 1.32), on 5 of every 7
# gives ADI 1.4 (> 1.32). Non-zero demands alternate between two values a and b, so
# CV² = ((b - a) / (a + b))²: 3 and 15 give 0.4444 (< 0.49), 1 and 7 give 0.5625 (> 0.49).


def test_frequent_steady_demand_is_smooth():
    y = _with_gaps(_alternating(3, 15, 56), period=5, zeros=1)

    result = engine.classify(y)

    assert (result.demand_class, result.adi, result.cv2) == (DemandClass.SMOOTH, 1.25, 0.4444)


def test_frequent_variable_demand_is_erratic():
    y = _with_gaps(_alternating(1, 7, 56), period=5, zeros=1)

    result = engine.classify(y)

    assert (result.demand_class, result.adi, result.cv2) == (DemandClass.ERRATIC, 1.25, 0.5625)


def test_infrequent_steady_demand_is_intermittent():
    y = _with_gaps(_alternating(3, 15, 50), period=7, zeros=2)

    result = engine.classify(y)

    assert (result.demand_class, result.adi, result.cv2) == (DemandClass.INTERMITTENT, 1.4, 0.4444)


def test_infrequent_variable_demand_is_lumpy():
    y = _with_gaps(_alternating(1, 7, 50), period=7, zeros=2)

    result = engine.classify(y)

    assert (result.demand_class, result.adi, result.cv2) == (DemandClass.LUMPY, 1.4, 0.5625)


def test_adi_counts_the_first_interval_from_the_start_of_the_series():
    # 60 days, demand on every day of the second half only: the 30 leading empty days count.
    y = np.array([0.0] * 30 + [5.0] * 30)

    result = engine.classify(y)

    assert result.adi == 2.0
    assert result.demand_class == DemandClass.INTERMITTENT


def test_a_series_shorter_than_the_minimum_is_insufficient():
    y = np.full(2 * engine.BASELINE_WINDOW - 1, 5.0)

    result = engine.classify(y)

    assert result == engine.Classification(DemandClass.INSUFFICIENT, None, None)


def test_a_series_of_exactly_the_minimum_length_is_classified():
    y = np.full(2 * engine.BASELINE_WINDOW, 5.0)

    assert engine.classify(y).demand_class == DemandClass.SMOOTH


def test_fewer_than_two_days_with_demand_is_insufficient():
    y = np.zeros(100)
    y[40] = 12.0

    result = engine.classify(y)

    assert result == engine.Classification(DemandClass.INSUFFICIENT, None, None)


# --- accuracy ---------------------------------------------------------------------------------
#
# By hand, for the series below:
#   errors = forecast - actual = [1, -2, 0, 1]; |errors| sum 4; actual sum 6
#   WAPE = 4 / 6
#   MAPE over non-zero days: day 2 |−2| / 4 = 50 %, day 3 0 / 2 = 0 %  -> 25 %
#   MAE = 1; MSE = (1 + 4 + 0 + 1) / 4 = 1.5
#   weekly seasonal-naive scale: history[7:] - history[:2] = [0 - 2, 2 - 0] -> mean |.| = 2
#   one-step naive squared scale: diffs [-2, 2, -2, 2, -2, 4, -4, 2] -> (6 x 4 + 2 x 16) / 8 = 7
#   MASE = 1 / 2; RMSSE = sqrt(1.5 / 7)

HISTORY = np.array([2.0, 0, 2, 0, 2, 0, 4, 0, 2])
ACTUAL = np.array([0.0, 4, 2, 0])
FORECAST = np.array([1.0, 2, 2, 1])


def test_wape_is_the_absolute_error_over_the_actual_total():
    assert engine.accuracy(ACTUAL, FORECAST, HISTORY).wape == pytest.approx(4 / 6)


def test_mape_nonzero_averages_only_the_days_with_demand():
    assert engine.accuracy(ACTUAL, FORECAST, HISTORY).mape_nonzero == pytest.approx(25.0)


def test_mase_is_scaled_by_the_in_sample_weekly_seasonal_naive_error():
    assert engine.accuracy(ACTUAL, FORECAST, HISTORY).mase == pytest.approx(0.5)


def test_rmsse_is_scaled_by_the_in_sample_one_step_naive_squared_error():
    assert engine.accuracy(ACTUAL, FORECAST, HISTORY).rmsse == pytest.approx(math.sqrt(1.5 / 7))


def test_the_scale_is_measured_from_the_first_day_with_demand():
    # The zeros before launch are left out: the same history after 5 leading zeros scores the
    # same (weekly scale 2, one-step squared scale 7, as above).
    launched_later = np.concatenate([np.zeros(5), HISTORY])

    result = engine.accuracy(ACTUAL, FORECAST, launched_later)

    assert (result.mase, result.rmsse) == (pytest.approx(0.5), pytest.approx(math.sqrt(1.5 / 7)))


def test_accuracy_carries_the_actual_and_forecast_totals():
    result = engine.accuracy(ACTUAL, FORECAST, HISTORY)

    assert (result.actual_total, result.forecast_total) == (6.0, 6.0)


def test_item_mape_is_wape_times_one_hundred():
    result = engine.accuracy(ACTUAL, FORECAST, HISTORY)

    assert result.item_mape == pytest.approx(result.wape * 100)


def test_a_holdout_without_demand_has_no_wape_nor_mape():
    result = engine.accuracy(np.zeros(4), FORECAST, HISTORY)

    assert (result.wape, result.mape_nonzero, result.item_mape) == (None, None, None)


def test_a_constant_history_has_no_scale_for_mase_nor_rmsse():
    result = engine.accuracy(ACTUAL, FORECAST, np.full(21, 3.0))

    assert (result.mase, result.rmsse) == (None, None)
    assert result.wape == pytest.approx(4 / 6)


def test_a_history_shorter_than_a_season_has_no_mase():
    result = engine.accuracy(ACTUAL, FORECAST, np.array([1.0, 3, 1, 3, 1, 3, 1]))

    assert result.mase is None
    assert result.rmsse == pytest.approx(math.sqrt(1.5 / 4))


def test_a_perfect_forecast_scores_zero():
    result = engine.accuracy(ACTUAL, ACTUAL.copy(), HISTORY)

    assert (result.wape, result.mape_nonzero, result.mase, result.rmsse) == (0, 0, 0, 0)


def test_smooth_classes_are_scored_by_mase_and_the_others_by_rmsse():
    result = engine.accuracy(ACTUAL, FORECAST, HISTORY)

    assert engine.selection_score(result, DemandClass.SMOOTH) == result.mase
    assert engine.selection_score(result, DemandClass.ERRATIC) == result.mase
    assert engine.selection_score(result, DemandClass.INTERMITTENT) == result.rmsse
    assert engine.selection_score(result, DemandClass.LUMPY) == result.rmsse


def test_an_unscorable_result_scores_infinity():
    result = engine.accuracy(ACTUAL, FORECAST, np.full(21, 3.0))

    assert engine.selection_score(result, DemandClass.SMOOTH) == math.inf


# --- models -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", engine.model_names())
@pytest.mark.parametrize("series", ["smooth_series", "intermittent_series"])
def test_every_model_forecasts_the_horizon_without_negative_demand(name, series, request):
    y = request.getfixturevalue(series)

    forecast = engine.predict(name, y, 14)

    assert forecast.shape == (14,)
    assert np.isfinite(forecast).all()
    assert (forecast >= 0).all()


def test_an_empty_history_forecasts_zeros():
    assert engine.predict(engine.BASELINE_MODEL, np.zeros(0), 5).tolist() == [0.0] * 5


def test_the_baseline_forecasts_the_mean_of_the_last_window(smooth_series):
    forecast = engine.predict(engine.BASELINE_MODEL, smooth_series, 7)

    expected = smooth_series[-engine.BASELINE_WINDOW :].mean()
    assert forecast == pytest.approx(np.full(7, expected))


def test_every_candidate_and_default_is_a_registered_model():
    names = set(engine.model_names())

    assert set(engine.DEFAULT_MODEL.values()) <= names
    assert {name for group in engine.CANDIDATES.values() for name in group} <= names


def test_each_class_default_is_one_of_its_candidates():
    for demand_class, model in engine.DEFAULT_MODEL.items():
        assert model in engine.CANDIDATES[demand_class]


# --- forecast_item ----------------------------------------------------------------------------


@pytest.mark.parametrize("series", ["smooth_series", "intermittent_series"])
def test_forecast_intervals_are_nested_around_the_mean(series, request):
    y = request.getfixturevalue(series)

    result = engine.forecast_item(y, horizon=14, holdout=14)

    lo80, hi80 = result.intervals[80]
    lo95, hi95 = result.intervals[95]
    assert (lo95 <= lo80).all()
    assert (lo80 <= result.mean).all()
    assert (result.mean <= hi80).all()
    assert (hi80 <= hi95).all()
    assert (lo95 >= 0).all()


def test_forecast_intervals_widen_with_the_backtest_errors(smooth_series):
    result = engine.forecast_item(smooth_series, horizon=14, holdout=14)

    _lo95, hi95 = result.intervals[95]
    assert (hi95 > result.mean).all()


@pytest.mark.parametrize(
    ("series", "demand_class"),
    [("smooth_series", DemandClass.SMOOTH), ("intermittent_series", DemandClass.INTERMITTENT)],
)
def test_forecast_item_uses_the_class_default_model_when_none_is_given(
    series, demand_class, request
):
    y = request.getfixturevalue(series)

    result = engine.forecast_item(y, horizon=14, holdout=14)

    assert result.classification.demand_class == demand_class
    assert result.model == engine.DEFAULT_MODEL[demand_class]


def test_forecast_item_uses_the_model_it_is_given(smooth_series):
    result = engine.forecast_item(smooth_series, model="seasonal_naive", horizon=7, holdout=14)

    assert result.model == "seasonal_naive"
    assert result.mean == pytest.approx(smooth_series[-7:])


def test_forecast_item_backtests_on_the_last_holdout_days(smooth_series):
    result = engine.forecast_item(smooth_series, model="mean28", horizon=14, holdout=14)

    expected = engine.accuracy(smooth_series[-14:], result.holdout_forecast, smooth_series[:-14])
    assert result.accuracy == expected
    assert len(result.mean) == 14


def test_a_history_too_short_for_a_holdout_has_no_accuracy():
    y = np.full(20, 4.0)

    result = engine.forecast_item(y, horizon=7, holdout=14)

    assert result.accuracy is None
    assert result.classification.demand_class == DemandClass.INSUFFICIENT
    assert result.model == engine.BASELINE_MODEL
    assert result.intervals[95][1] == pytest.approx(result.mean)


# --- choose_model -----------------------------------------------------------------------------


PATTERN = [2.0, 4, 6, 8, 10, 12, 14]


@pytest.fixture
def weekly_pattern() -> np.ndarray:
    # A weekly pattern with a little noise: last week's same day is nearly right, a flat
    # average is far off. (Without any noise the in-sample seasonal-naive error is 0, and MASE
    # has no scale.)
    rng = np.random.default_rng(3)
    return np.tile(PATTERN, 18)[:120] + rng.uniform(-0.5, 0.5, 120)


def test_choose_model_returns_one_of_the_class_candidates(smooth_series):
    best, scores = engine.choose_model(smooth_series, holdout=14, folds=2)

    assert best in engine.CANDIDATES[DemandClass.SMOOTH]
    assert set(scores) == set(engine.CANDIDATES[DemandClass.SMOOTH])


def test_choose_model_picks_the_lowest_mean_score(smooth_series):
    best, scores = engine.choose_model(smooth_series, holdout=14, folds=2)

    assert scores[best] == min(scores.values())


def test_a_challenger_within_the_margin_leaves_the_class_default(intermittent_series):
    best, scores = engine.choose_model(intermittent_series, holdout=14, folds=2)

    # TSB scores a hair better than the default: noise, not a reason to switch.
    assert scores["tsb"] < scores["weekday_ses"]
    assert scores["tsb"] > (1 - engine.CHALLENGER_MARGIN) * scores["weekday_ses"]
    assert best == "weekday_ses"


def test_a_challenger_clearly_better_replaces_the_class_default(weekly_pattern):
    best, scores = engine.choose_model(weekly_pattern, holdout=14, folds=2)

    assert scores["seasonal_es"] < (1 - engine.CHALLENGER_MARGIN) * scores["weekday_mean"]
    assert best == "seasonal_es"


WEEKDAY_SHAPE = np.array([0.8, 0.85, 0.95, 1.05, 1.4, 1.5, 0.9]) / 1.0643


def _forecast_bias(growth_per_year: float, *, trials: int = 60, daily: float = 10) -> float:
    """Mean of (forecast total / actual total - 1) over the 28 days after a year of demand."""
    rng = np.random.default_rng(7)
    days = np.arange(365 + 28)
    expected = daily * (1 + growth_per_year * days / 365) * WEEKDAY_SHAPE[days % 7]
    biases = []
    for _ in range(trials):
        y = rng.poisson(expected).astype(float)
        forecast = engine.predict("weekday_mean", y[:365], 28)
        biases.append(forecast.sum() / y[365:].sum() - 1)
    return float(np.mean(biases))


@pytest.mark.parametrize("growth", [0.5, 1.0])
def test_a_growing_items_forecast_follows_its_trend_within_five_percent(growth, monkeypatch):
    with_trend = _forecast_bias(growth)
    monkeypatch.setattr(engine, "TREND_T", math.inf)  # the level alone, as before the trend

    assert abs(with_trend) < 0.05
    assert abs(with_trend) < abs(_forecast_bias(growth))


def test_a_steeply_declining_items_forecast_follows_its_decline_within_five_percent():
    # From 100 a day to 20 within the year: the days months back sell far above the last
    # weeks' peak fence, and must not be capped at it, or the slope comes out too flat.
    assert abs(_forecast_bias(-0.8, daily=100)) < 0.05


def test_a_steady_items_forecast_draws_no_trend_from_its_noise():
    assert abs(_forecast_bias(0.0)) < 0.02


def test_choose_model_prefers_a_seasonal_model_on_a_pure_weekly_pattern(weekly_pattern):
    best, scores = engine.choose_model(
        weekly_pattern, holdout=14, folds=2, candidates=("seasonal_naive", "mean28")
    )

    assert best == "seasonal_naive"
    assert scores["seasonal_naive"] < scores["mean28"]


def test_the_baseline_is_not_chosen_on_a_pure_weekly_pattern(weekly_pattern):
    candidates = tuple(dict.fromkeys((*engine.SMOOTH_CANDIDATES, engine.BASELINE_MODEL)))

    best, scores = engine.choose_model(weekly_pattern, holdout=14, folds=2, candidates=candidates)

    assert best != engine.BASELINE_MODEL
    assert scores[best] < scores[engine.BASELINE_MODEL]


def test_choose_model_leaves_the_final_holdout_out(smooth_series):
    changed = smooth_series.copy()
    changed[-14:] = smooth_series[-14:][::-1]

    _best, scores = engine.choose_model(smooth_series, holdout=14, folds=2)
    _best, scores_changed = engine.choose_model(changed, holdout=14, folds=2)

    # Reversing the last days keeps ADI and CV², so the class and candidates are the same.
    assert engine.classify(changed) == engine.classify(smooth_series)
    assert scores_changed == pytest.approx(scores)


def test_choose_model_without_room_for_a_fold_falls_back_to_the_class_default():
    y = np.full(60, 5.0) + np.tile([0.0, 1.0], 30)

    best, scores = engine.choose_model(y, holdout=28, folds=3)

    assert best == engine.DEFAULT_MODEL[DemandClass.SMOOTH]
    assert scores == {}


def test_a_noiseless_weekly_pattern_leaves_mase_unscaled_and_keeps_the_default():
    y = np.tile(PATTERN, 18)[:120]

    best, scores = engine.choose_model(y, holdout=14, folds=2)

    assert set(scores.values()) == {math.inf}
    assert best == engine.DEFAULT_MODEL[DemandClass.SMOOTH]


def test_a_series_too_short_for_a_holdout_still_gets_an_interval_from_its_spread():
    y = np.array([0.0, 4.0, 2.0, 6.0, 3.0, 5.0, 1.0, 3.0])

    result = engine.forecast_item(y, horizon=5, holdout=28)

    assert result.accuracy is None
    low, high = result.intervals[95]
    assert (high > result.mean).all()
    assert (low <= result.mean).all()


def test_a_noiseless_straight_ramp_is_followed():
    y = np.arange(1.0, 366.0)

    forecast = engine.predict("weekday_mean", y, 28)

    assert forecast.sum() == pytest.approx(np.arange(366.0, 394.0).sum(), rel=0.02)


def test_a_noiseless_flat_series_is_forecast_flat():
    forecast = engine.predict("weekday_mean", np.full(365, 7.0), 28)

    assert forecast == pytest.approx(np.full(28, 7.0))


def test_a_rise_that_turned_into_a_fall_is_not_extrapolated(monkeypatch):
    y = np.concatenate([np.linspace(10, 100, 200), np.full(40, 60.0)])

    forecast = engine.predict("weekday_mean", y, 28)
    monkeypatch.setattr(engine, "TREND_T", math.inf)

    # The level of the last eight weeks, not moved up along the rise that ended.
    assert forecast == pytest.approx(engine.predict("weekday_mean", y, 28))
