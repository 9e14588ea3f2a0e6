"""Promotions in the forecasting mathematics, on constructed series: no database involved.

The series are flat at 10 a day (so every weekday profile is flat and a baseline is exactly
10), with promotions of a week every six weeks at a known level.
"""

import numpy as np
import pytest

from forecasting import engine
from forecasting.engine import PromotionEffect

DAYS = 364
HORIZON = 28
HOLDOUT = 28
ORDINARY = 10.0


def promotion_days(first: int = 14, every: int = 42, length: int = 7) -> np.ndarray:
    """A mask over history and horizon with a promotion of `length` days every `every` days."""
    mask = np.zeros(DAYS + HORIZON, dtype=bool)
    for start in range(first, DAYS, every):
        mask[start : start + length] = True
    return mask


def series(mask: np.ndarray, *, promoted: float = 30.0, after: float = ORDINARY) -> np.ndarray:
    """Flat demand, `promoted` on the mask's history days, `after` in the week after each."""
    history = mask[:DAYS]
    index = np.arange(DAYS)
    last = np.maximum.accumulate(np.where(history, index, -100))
    post = ~history & (index - last <= engine.POST_PROMOTION_DAYS)
    return np.where(history, promoted, np.where(post, after, ORDINARY))


def without_future(mask: np.ndarray) -> np.ndarray:
    history_only = mask.copy()
    history_only[DAYS:] = False
    return history_only


def test_uplift_is_promoted_demand_over_the_ordinary_days_baseline():
    mask = promotion_days()
    y = series(mask, promoted=30.0)

    totals = engine.promotion_totals(y, mask)

    assert totals.promoted_days == 63
    assert totals.promoted_baseline == pytest.approx(63 * ORDINARY)
    assert totals.promoted_actual / totals.promoted_baseline == pytest.approx(3.0)


def test_post_promotion_dip_is_measured_on_the_week_after_each_promotion():
    mask = promotion_days()
    y = series(mask, promoted=30.0, after=8.0)

    totals = engine.promotion_totals(y, mask)

    assert totals.post_days == 63
    assert totals.post_actual / totals.post_baseline == pytest.approx(0.8)


def test_item_effect_lies_between_its_own_evidence_and_the_prior():
    mask = promotion_days()
    totals = engine.promotion_totals(series(mask, promoted=30.0), mask)

    effect = engine.promotion_effect(totals, PromotionEffect(uplift=2.0))

    assert 2.0 < effect.uplift < 3.0


def test_item_with_few_promoted_days_stays_close_to_the_prior():
    many = promotion_days()
    few = promotion_days(first=DAYS - 60, every=DAYS, length=3)
    prior = PromotionEffect(uplift=2.0)

    effect_many = engine.promotion_effect(engine.promotion_totals(series(many), many), prior)
    effect_few = engine.promotion_effect(engine.promotion_totals(series(few), few), prior)

    assert abs(effect_few.uplift - 2.0) < abs(effect_many.uplift - 2.0)
    assert abs(effect_few.uplift - 2.0) < 0.5


def test_item_without_promotion_history_takes_the_prior():
    mask = np.zeros(DAYS + HORIZON, dtype=bool)
    mask[DAYS + 3 : DAYS + 6] = True
    prior = PromotionEffect(uplift=1.8, dip=0.9)

    effect = engine.promotion_effect(engine.promotion_totals(np.full(DAYS, ORDINARY), mask), prior)

    assert effect == prior


def test_future_promotion_raises_the_forecast_on_exactly_its_days():
    mask = promotion_days()
    mask[DAYS:] = False
    mask[DAYS + 5 : DAYS + 10] = True
    y = series(mask)

    with_future = engine.predict("weekday_mean", y, HORIZON, promotions=mask)
    history_only = engine.predict("weekday_mean", y, HORIZON, promotions=without_future(mask))

    raised = np.flatnonzero(~np.isclose(with_future, history_only))
    assert raised.tolist() == [5, 6, 7, 8, 9]
    assert (with_future[5:10] > 2 * history_only[5:10]).all()


def test_post_promotion_dip_lowers_the_forecast_after_a_future_promotion():
    mask = promotion_days()
    mask[DAYS:] = False
    mask[DAYS + 5 : DAYS + 10] = True
    y = series(mask, after=6.0)

    with_future = engine.predict("weekday_mean", y, HORIZON, promotions=mask)
    history_only = engine.predict("weekday_mean", y, HORIZON, promotions=without_future(mask))

    after = slice(10, 10 + engine.POST_PROMOTION_DAYS)
    assert (with_future[after] < history_only[after]).all()
    assert np.allclose(with_future[10 + engine.POST_PROMOTION_DAYS :], history_only[17:])


@pytest.mark.parametrize("model", ["weekday_mean", "mean28"])
def test_promotion_spikes_in_the_history_do_not_inflate_the_baseline_forecast(model):
    mask = without_future(promotion_days())
    y = series(mask, promoted=30.0)

    aware = engine.predict(model, y, HORIZON, promotions=mask)
    blind = engine.predict(model, y, HORIZON)

    assert np.allclose(aware, ORDINARY, rtol=0.05)
    assert (blind > 1.3 * ORDINARY).all()


@pytest.mark.parametrize("model", engine.model_names())
def test_no_promotion_day_gives_exactly_the_forecast_without_promotions(model):
    rng = np.random.default_rng(3)
    y = rng.poisson(6.0, 200).astype(float)
    never = np.zeros(200 + HORIZON, dtype=bool)

    assert np.array_equal(
        engine.predict(model, y, HORIZON, promotions=never, prior=PromotionEffect(2.0, 0.8)),
        engine.predict(model, y, HORIZON),
    )


def test_no_promotion_day_gives_exactly_the_item_result_without_promotions():
    rng = np.random.default_rng(5)
    y = rng.poisson(4.0, 300).astype(float)
    never = np.zeros(300 + HORIZON, dtype=bool)

    plain = engine.forecast_item(y, horizon=HORIZON, holdout=HOLDOUT)
    masked = engine.forecast_item(y, horizon=HORIZON, holdout=HOLDOUT, promotions=never)

    assert np.array_equal(masked.mean, plain.mean)
    assert np.array_equal(masked.holdout_forecast, plain.holdout_forecast)
    assert masked.accuracy == plain.accuracy
    for level in (80, 95):
        assert np.array_equal(masked.intervals[level][1], plain.intervals[level][1])


def test_backtest_knows_the_holdouts_planned_promotions():
    mask = promotion_days()
    mask[DAYS - 20 : DAYS - 15] = True  # a promotion inside the holdout
    y = series(mask, promoted=30.0)

    aware = engine.forecast_item(y, horizon=HORIZON, holdout=HOLDOUT, promotions=mask)
    blind = engine.forecast_item(y, horizon=HORIZON, holdout=HOLDOUT)

    assert aware.accuracy.wape < blind.accuracy.wape / 2


def test_interval_widens_with_the_forecast_on_promotion_days():
    rng = np.random.default_rng(9)
    mask = promotion_days()
    mask[DAYS + 2 : DAYS + 4] = True
    y = rng.poisson(series(mask, promoted=25.0)).astype(float)

    result = engine.forecast_item(y, horizon=HORIZON, holdout=HOLDOUT, promotions=mask)

    low, high = result.intervals[80]
    width = high - low
    assert width[2] > width[0]
    assert width[3] > width[0]


def test_retrain_scores_the_candidates_with_promotions_taken_out():
    mask = without_future(promotion_days(first=4, every=21, length=5))
    y = series(mask, promoted=30.0)

    _best, aware = engine.choose_model(y, holdout=HOLDOUT, promotions=mask)
    _best, blind = engine.choose_model(y, holdout=HOLDOUT)

    assert aware["weekday_mean"] < blind["weekday_mean"]


def test_items_without_promotions_of_their_own_get_their_class_pool():
    mask = promotion_days()
    promoted = series(mask, promoted=30.0)
    plain = np.full(DAYS, ORDINARY)

    priors = engine.promotion_priors([promoted, promoted, plain], [mask, mask, None])

    assert priors[0] == priors[1] == priors[2]
    assert priors[2].uplift > 2.0


def test_each_retrain_fold_pools_its_prior_only_from_before_its_scored_days():
    days, folds = 364, 3
    origins = engine.fold_origins(days, holdout=HOLDOUT, folds=folds)
    mask = promotion_days()[:days]
    calm = series(mask)[:days]
    # The same items, with a huge uplift on the promoted days of the first fold's scored window.
    loud = calm.copy()
    scored = np.zeros(days, dtype=bool)
    scored[origins[0] : origins[0] + HOLDOUT] = True
    loud[scored & mask] *= 10

    calm_priors = engine.fold_priors([calm, calm], [mask, mask], holdout=HOLDOUT, folds=folds)
    loud_priors = engine.fold_priors([loud, calm], [mask, mask], holdout=HOLDOUT, folds=folds)

    assert (mask & scored).any()
    assert [len(p) for p in loud_priors] == [folds, folds]
    assert loud_priors[1][0] == calm_priors[1][0]  # fold 0 has not seen its scored days
    assert loud_priors[1][1] != calm_priors[1][1]  # fold 1 trains on them: it may learn


def test_retrain_folds_of_items_of_different_ages_pool_up_to_the_same_day():
    days, short_days, folds = 364, 200, 3
    mask = promotion_days()[:days]
    calm = series(mask)[:days]
    # The young item's history is the last `short_days` days of the same calendar.
    first_scored = days - HOLDOUT * (folds + 1)  # fold 0's scored window, from the end
    scored = np.zeros(days, dtype=bool)
    scored[first_scored : first_scored + HOLDOUT] = True
    loud = calm.copy()
    loud[scored & mask] *= 10
    young_calm, young_loud = calm[-short_days:], loud[-short_days:]
    young_mask = mask[-short_days:]

    calm_priors = engine.fold_priors(
        [calm, young_calm], [mask, young_mask], holdout=HOLDOUT, folds=folds
    )
    loud_priors = engine.fold_priors(
        [calm, young_loud], [mask, young_mask], holdout=HOLDOUT, folds=folds
    )

    assert (mask & scored).any()
    assert loud_priors[0][0] == calm_priors[0][0]  # the young item's loud days are fold 0's
    assert loud_priors[0][1] != calm_priors[0][1]  # fold 1 trains on them
