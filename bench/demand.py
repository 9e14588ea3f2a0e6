"""Synthetic daily demand for the forecasting benchmark: N SKUs x D days, seeded and repeatable.

Each SKU's expected demand is a product of components, then drawn with count noise:

- a base level, log-normally spread over the SKUs (a few fast movers, many slow ones);
- a weekly profile: a shared shape (busy Friday and Saturday) raised to an SKU-specific strength,
  with SKU-specific deviations per weekday; some SKUs sell mostly on working days instead;
- for some SKUs a yearly wave, and a trend: linear (growth or decline) or damped (a level shift
  that settles, such as a listing or a delisting at some stores);
- promotions for some SKUs: multi-day uplifts of 1.3x to 3x, followed by a short dip while
  customers use up what they bought;
- noise: Poisson (30% of the regular SKUs) or negative binomial (a gamma-Poisson mixture whose
  shape is log-normal around `nb_shape` across SKUs);
- 30% intermittent SKUs: demand occurs on a day with a probability (0.02 to 0.5, moved by the
  same weekly profile, trend and promotions), in sizes that are small and steady
  ("intermittent") or widely spread ("lumpy");
- some SKUs introduced during the period: zeros before their launch, then a ramp-up over a few
  weeks; a few of them launched in the last two months.

`generate(n_skus, n_days, seed)` returns a `DemandPanel` whose `demand` is a float64 array
(n_skus x n_days, oldest day first, whole units, non-negative), and whose `calendar` lists the
promotions: SKU, first day and length of each. They are planned promotions, known ahead, so a
forecast may use the calendar, also for the days it forecasts (`promotion_mask`); their
uplifts and dips are the generator's own and stay hidden. The SKUs are generated in blocks
of `BLOCK` with their own seeds, so memory stays bounded and the same seed gives the same panel;
10,000 x 730 takes about two seconds.
"""

from dataclasses import dataclass

import numpy as np

BLOCK = 1000
INTERMITTENT_SHARE = 0.30
NEW_SHARE = 0.10  # SKUs introduced during the period
RECENT_SHARE = 0.015  # of which launched in the last 60 days
NB_SHAPE = 10.0  # median gamma shape of the overdispersed SKUs (see `generate`)

# What a SKU was generated as (the engine classifies it from its demand alone).
KIND_REGULAR, KIND_INTERMITTENT, KIND_LUMPY = 0, 1, 2
KIND_NAMES = ("regular", "intermittent", "lumpy")

# Monday first: a shop's week, busiest on Friday and Saturday.
WEEKLY_SHAPE = np.array([0.85, 0.88, 0.93, 1.0, 1.2, 1.35, 0.79])
# Working-day demand (canteens, trade customers): little at the weekend.
WORKDAY_SHAPE = np.array([1.25, 1.3, 1.3, 1.25, 1.2, 0.4, 0.3])


@dataclass(frozen=True)
class PromotionCalendar:
    """One entry per promotion; a promotion may run past the last day of the panel."""

    sku: np.ndarray  # int32, the SKU's row in the panel
    first: np.ndarray  # int32, the promotion's first day
    length: np.ndarray  # int32, its days (the first included)

    def __len__(self) -> int:
        return len(self.sku)


def promotion_mask(calendar: PromotionCalendar, n_skus: int, n_days: int) -> np.ndarray:
    """Bool, n_skus x n_days: True on the days each SKU is promoted.

    `n_days` may reach past the panel, into the days a forecast covers.
    """
    steps = np.zeros((n_skus, n_days + 1), dtype=np.int32)
    np.add.at(steps, (calendar.sku, np.minimum(calendar.first, n_days)), 1)
    np.add.at(steps, (calendar.sku, np.minimum(calendar.first + calendar.length, n_days)), -1)
    return np.cumsum(steps[:, :n_days], axis=1) > 0


@dataclass(frozen=True)
class DemandPanel:
    demand: np.ndarray  # float64, n_skus x n_days
    kind: np.ndarray  # int8, KIND_* per SKU
    start: np.ndarray  # int32, first day the SKU could sell (0 for SKUs sold all along)
    promoted: np.ndarray  # bool, SKUs that had at least one promotion
    calendar: PromotionCalendar  # the promotions (none with `promotions=False`)
    expected: np.ndarray | None = None  # the mean the demand was drawn around (if asked for)


def generate(
    n_skus: int,
    n_days: int,
    seed: int = 20,
    *,
    nb_shape: float = NB_SHAPE,
    promotions: bool = True,
    expected: bool = False,
) -> DemandPanel:
    """Demand for `n_skus` SKUs over `n_days` days; day 0 is a Monday.

    `nb_shape` is the median shape k of the negative-binomial SKUs (variance = mean + mean²/k):
    the day-to-day noise a fast mover keeps beyond its weekday, trend and promotions is a
    coefficient of variation of 1/sqrt(k) (10: 32%; 4: 50%). `promotions=False` leaves the
    promotions out (the same panel otherwise). With `expected`, the panel also holds each day's
    expected demand (the mean the noise was drawn around), which no model can know: the
    forecast that only the noise can beat.
    """
    demand = np.empty((n_skus, n_days))
    means = np.empty((n_skus, n_days)) if expected else None
    kind = np.empty(n_skus, dtype=np.int8)
    start = np.empty(n_skus, dtype=np.int32)
    promoted = np.empty(n_skus, dtype=bool)
    entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    n_blocks = -(-n_skus // BLOCK)
    for block, block_seed in enumerate(np.random.SeedSequence(seed).spawn(n_blocks)):
        rows = slice(block * BLOCK, min(n_skus, (block + 1) * BLOCK))
        rng = np.random.default_rng(block_seed)
        n = rows.stop - rows.start
        demand[rows], mean, kind[rows], start[rows], promoted[rows], planned = _block(
            rng, n, n_days, nb_shape, promotions
        )
        if promotions:
            sku, first, length = planned
            entries.append((sku + rows.start, first, length))
        if means is not None:
            means[rows] = mean
    if entries:
        sku, first, length = (
            np.concatenate(part).astype(np.int32) for part in zip(*entries, strict=True)
        )
    else:
        sku = first = length = np.zeros(0, dtype=np.int32)
    calendar = PromotionCalendar(sku, first, length)
    return DemandPanel(demand, kind, start, promoted, calendar, means)


def _block(rng: np.random.Generator, n: int, n_days: int, nb_shape: float, promotions: bool):
    days = np.arange(n_days)
    u = rng.random(n)
    kind = np.where(
        u < INTERMITTENT_SHARE / 2,
        KIND_INTERMITTENT,
        np.where(u < INTERMITTENT_SHARE, KIND_LUMPY, KIND_REGULAR),
    ).astype(np.int8)

    multiplier = _weekly(rng, n)[:, days % 7]
    multiplier *= _yearly(rng, n, days)
    multiplier *= _trend(rng, n, days)
    promo, promoted, planned = _promotions(rng, n, n_days)
    if promotions:
        multiplier *= promo
    else:
        promoted[:] = False
    start, ramp = _launch(rng, n, days)
    multiplier *= ramp

    regular = kind == KIND_REGULAR
    out = np.zeros((n, n_days))
    # Regular SKUs: a log-normal level (median 6 a day), negative-binomial counts around it.
    level = rng.lognormal(np.log(6.0), 1.0, n)
    mean = level[:, None] * multiplier
    # Gamma-Poisson: a shape of 1e6 is plain Poisson (30% of the SKUs), small shapes overdisperse.
    shape = np.where(rng.random(n) < 0.3, 1e6, rng.lognormal(np.log(nb_shape), 0.8, n))[:, None]
    rate = rng.gamma(shape, 1.0, mean.shape) * (mean / shape)
    out[regular] = rng.poisson(rate[regular])

    # Intermittent and lumpy SKUs: whether demand occurs, then how much.
    sporadic = ~regular
    if sporadic.any():
        m = int(sporadic.sum())
        probability = rng.uniform(0.02, 0.5, m)
        occurrence = np.minimum(probability[:, None] * multiplier[sporadic], 1)
        occurs = rng.random((m, n_days)) < occurrence
        lumpy = (kind[sporadic] == KIND_LUMPY)[:, None]
        size_mean = rng.lognormal(np.log(2.0), 0.7, m)[:, None]
        # Steady sizes: 1 + Poisson. Lumpy: log-normal with a wide spread (single units to
        # trade-size orders).
        steady = 1 + rng.poisson(np.broadcast_to(np.maximum(size_mean - 1, 0.1), (m, n_days)))
        spread = rng.uniform(0.7, 1.4, m)[:, None]
        wide = np.ceil(rng.lognormal(np.log(size_mean) - spread**2 / 2, spread, (m, n_days)))
        out[sporadic] = np.where(occurs, np.where(lumpy, wide, steady), 0.0)
        # Rounding a log-normal up adds about half a unit to its mean (up to 0.75 where the
        # mean is below one, which few lumpy SKUs have: the expected demand is a reference).
        size = np.where(lumpy, size_mean + 0.5, 1 + np.maximum(size_mean - 1, 0.1))
        mean[sporadic] = occurrence * size
    return out, mean, kind, start, promoted, planned


def _weekly(rng: np.random.Generator, n: int) -> np.ndarray:
    strength = rng.uniform(0.0, 1.6, n)[:, None]
    workday = (rng.random(n) < 0.12)[:, None]
    base = np.where(workday, WORKDAY_SHAPE, WEEKLY_SHAPE)
    profile = base**strength * rng.lognormal(0.0, 0.12, (n, 7))
    return profile / profile.mean(axis=1, keepdims=True)


def _yearly(rng: np.random.Generator, n: int, days: np.ndarray) -> np.ndarray:
    amplitude = np.where(rng.random(n) < 0.3, rng.uniform(0.05, 0.35, n), 0.0)[:, None]
    phase = rng.uniform(0, 2 * np.pi, n)[:, None]
    return 1 + amplitude * np.sin(2 * np.pi * days / 365.25 + phase)


def _trend(rng: np.random.Generator, n: int, days: np.ndarray) -> np.ndarray:
    u = rng.random(n)[:, None]
    years = days / 365.25
    # Linear: -35% to +60% a year, never below a tenth of the start.
    linear = np.maximum(1 + rng.uniform(-0.35, 0.6, n)[:, None] * years, 0.1)
    # Damped: a shift of -50% to +100% reached over 2 to 10 months, from a random day on.
    onset = rng.uniform(0, days[-1], n)[:, None]
    settle = rng.uniform(60, 300, n)[:, None]
    shift = rng.uniform(-0.5, 1.0, n)[:, None]
    damped = 1 + shift * (1 - np.exp(-np.maximum(days - onset, 0) / settle))
    return np.where(u < 0.2, linear, np.where(u < 0.4, damped, 1.0))


def _promotions(
    rng: np.random.Generator, n: int, n_days: int
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    # Log-uplifts added at a promotion's first day and removed after its last, then summed.
    eligible = rng.random(n) < 0.4
    counts = np.where(eligible, rng.poisson(n_days / 120, n), 0)
    sku = np.repeat(np.arange(n), counts)
    first = rng.integers(0, n_days, len(sku))
    length = rng.integers(3, 15, len(sku))
    uplift = np.log(rng.uniform(1.3, 3.0, len(sku)))
    dip = np.log(rng.uniform(0.7, 0.95, len(sku)))
    steps = np.zeros((n, n_days + 1))
    end = np.minimum(first + length, n_days)
    dip_end = np.minimum(end + length // 2 + 1, n_days)
    np.add.at(steps, (sku, first), uplift)
    np.add.at(steps, (sku, end), dip - uplift)
    np.add.at(steps, (sku, dip_end), -dip)
    # The calendar is what was drawn, before clipping at the panel's end: a promotion that
    # runs on past it is planned for the days a forecast covers.
    return np.exp(np.cumsum(steps[:, :n_days], axis=1)), counts > 0, (sku, first, length)


def _launch(rng: np.random.Generator, n: int, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n_days = len(days)
    u = rng.random(n)
    start = np.zeros(n, dtype=np.int32)
    recent = u < RECENT_SHARE
    new = (u >= RECENT_SHARE) & (u < NEW_SHARE)
    start[recent] = rng.integers(max(n_days - 60, 0), n_days, int(recent.sum()))
    start[new] = rng.integers(n_days // 10, max(n_days - 60, n_days // 10 + 1), int(new.sum()))
    ramp_days = rng.uniform(5, 45, n)[:, None]
    age = days[None, :] - start[:, None]
    ramp = np.where(age < 0, 0.0, 1 - np.exp(-(age + 1) / ramp_days))
    ramp[start == 0] = 1.0
    return start, ramp
