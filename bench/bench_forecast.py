"""Benchmark the forecasting engine: speed, memory and accuracy on a synthetic demand panel.

No database: the engine's functions run directly on `bench/demand.py`'s panel (default 10,000
SKUs x 730 days), in `--jobs` worker processes that inherit the panel from the parent (fork) and
are handed chunks of SKU indexes; every chunk comes back as a few NumPy arrays, so the parent
never holds a Python object per SKU.

1. Weekly retrain: `choose_model` for every SKU on its history without the final `--holdout`
   days (the retrain that ran before them), timed.
2. Daily forecast: `forecast_item` for every SKU on the whole series with the retrain's model
   (`--no-retrain`: the class default), which backtests on the final `--holdout` days and then
   forecasts `--horizon` days, timed, with the peak memory of the parent and of the largest
   worker (`ru_maxrss`).
3. Accuracy on the final holdout, which neither the retrain nor the model fit saw, per demand
   class (as classified on the history the retrain saw) and overall: WAPE, mean RMSSE, mean
   MASE and volume (forecast total / actual total) of the daily path's models ("daily"), of
   v20's baseline, the mean of the last 28 days ("baseline"), of the class defaults without a
   retrain ("default"), and of the generator's expected demand ("expected": no model can know
   it; what only the noise can beat). Then the targets, PASS or FAIL each.

Promotions: the panel's calendar (`bench/demand.py`) lists every promotion's first day and
length, planned and known ahead, also those in the holdout and the horizon. `--calendar with`
hands it to the engine (a promotion mask per SKU, and each class's pooled effect as the prior,
learned from the days before the holdout: `engine.promotion_priors`); `without` leaves it out,
as before; `both` (the default) runs the retrain and the daily path each way and reports the
second as "daily (no calendar)". The targets are checked on the first. Only the dates reach
the engine: the uplifts and dips the generator drew stay hidden, as does the holdout.

    .venv/bin/python bench/bench_forecast.py --skus 10000 --days 730 --holdout 28 \\
        --horizon 28 --jobs 2 --json bench/results/forecast.json

Targets (`--daily-seconds`, `--retrain-seconds` and `--memory-mb` set the speed ones): the
daily path under 60 s and 1.5 GB (parent plus workers), the retrain under 15 minutes; overall
WAPE at least 15% below the baseline's; in each of the four demand classes a mean RMSSE no
worse than the baseline's and a volume within 25% of the actual. With the calendar, the daily
path's time includes pooling the promotion priors in the parent ("priors"). `--nb-shape` and
`--no-promotions` change the panel's noise (see `bench/demand.py`). Every phase stops after
`--max-seconds`.

`--panel real` (or `real:<name>`) runs the same on real daily counts that ship inside a package
(`bench/real_demand.py`) instead of the synthetic panel: each series' history starts at its first
recorded day, `--days` takes the last days of the data (default: all of it), and `--skus`,
`--seed`, `--nb-shape` and `--no-promotions` do not apply. Real data has no expected demand and
no promotion calendar: the "expected" variant is left out and the calendar is always "without".
"""

import argparse
import json
import multiprocessing
import os
import platform
import resource
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.demand import (  # noqa: E402 - the path is set above
    KIND_NAMES,
    NB_SHAPE,
    generate,
    promotion_mask,
)
from bench.real_demand import DEFAULT_PANEL, PANELS, load_real_panel  # noqa: E402
from forecasting import engine  # noqa: E402

CLASSES = [c.value for c in engine.DemandClass]
TARGET_CLASSES = ("smooth", "erratic", "intermittent", "lumpy")
MODEL_NAMES = engine.model_names()
VARIANTS = ("daily", "daily_blind", "baseline", "last_week", "default", "expected")
VARIANT_LABELS = {
    "daily_blind": "daily (no calendar)",
    "baseline": "v20 (mean of 28 days)",
    "last_week": "last week repeated",
}
# Per SKU and variant: absolute error, forecast and actual totals over the holdout, RMSSE and
# MASE (NaN where the engine gives None).
FIELDS = ("abs_error", "forecast", "actual", "rmsse", "mase")
WAPE_GAIN = 0.15
VOLUME_BAND = (0.90, 1.10)  # bias within ±10%

# Set in the parent before the pools fork; the workers read them.
_DEMAND: np.ndarray | None = None
_EXPECTED: np.ndarray | None = None
_START: np.ndarray | None = None  # each series' first record (None: whole rows)
# A synthetic SKU's first record is its first delivery, a week before its launch (its first
# possible sale), and at least a holdout and two weeks before the end, so every SKU has a
# backtest: one launched in the holdout is stocked before it.
FIRST_DELIVERY_DAYS = 7
_PROMOTIONS: np.ndarray | None = None  # bool, n_skus x (days + horizon), with the calendar
_PRIORS: list[engine.PromotionEffect] | None = None  # each SKU's class-pooled effect
_FOLD_PRIORS: list[list[engine.PromotionEffect]] | None = None  # the same, per retrain fold
_HOLDOUT = 28
_HORIZON = 28
_FOLDS = 3


def _maxrss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def _scores(actual: np.ndarray, forecast: np.ndarray, result: engine.Accuracy) -> list[float]:
    return [
        float(np.abs(forecast - actual).sum()),
        float(forecast.sum()),
        float(actual.sum()),
        np.nan if result.rmsse is None else result.rmsse,
        np.nan if result.mase is None else result.mase,
    ]


def _warm_up() -> None:
    # Import statsforecast once per worker, not in the first chunk's time.
    engine.models()


def _series(i: int) -> np.ndarray:
    """Series `i`'s demand from its first day (a real series' earlier days are NaN)."""
    return _DEMAND[i] if _START is None else _DEMAND[i, _START[i] :]


def _promotions(i: int, calendar: bool, *, retrain: bool = False) -> dict:
    """The engine's promotion arguments for SKU `i`: none without the calendar.

    The retrain gets one prior per fold, each pooled from before its fold (as `run_retrain`).
    """
    if not calendar or _PROMOTIONS is None:
        return {}
    mask = _PROMOTIONS[i] if _START is None else _PROMOTIONS[i, _START[i] :]
    if retrain:
        return {"promotions": mask, "priors": _FOLD_PRIORS[i]}
    return {"promotions": mask, "prior": _PRIORS[i]}


def _retrain_chunk(task: tuple[int, int, bool]) -> dict:
    start, stop, calendar = task
    started = time.perf_counter()
    chosen = np.empty(stop - start, dtype=np.int16)
    for i in range(start, stop):
        name, _scores = engine.choose_model(
            _series(i)[:-_HOLDOUT],
            holdout=_HOLDOUT,
            folds=_FOLDS,
            **_promotions(i, calendar, retrain=True),
        )
        chosen[i - start] = MODEL_NAMES.index(name)
    return {
        "start": start,
        "chosen": chosen,
        "busy": time.perf_counter() - started,
        "maxrss_mb": _maxrss_mb(),
    }


def _daily_chunk(task: tuple[int, int, np.ndarray | None, bool]) -> dict:
    start, stop, models, calendar = task
    started = time.perf_counter()
    scores = np.empty((stop - start, len(FIELDS)))
    used = np.empty(stop - start, dtype=np.int16)
    horizon = np.empty((stop - start, _HORIZON))
    for i in range(start, stop):
        y = _series(i)
        model = None if models is None else MODEL_NAMES[models[i - start]]
        result = engine.forecast_item(
            y, model=model, horizon=_HORIZON, holdout=_HOLDOUT, **_promotions(i, calendar)
        )
        scores[i - start] = _scores(y[-_HOLDOUT:], result.holdout_forecast, result.accuracy)
        used[i - start] = MODEL_NAMES.index(result.model)
        horizon[i - start] = result.mean
    return {
        "start": start,
        "scores": scores,
        "used": used,
        "horizon": horizon,
        "busy": time.perf_counter() - started,
        "maxrss_mb": _maxrss_mb(),
    }


def _evaluate_chunk(task: tuple[int, int, bool]) -> dict:
    """The class the retrain saw; the baseline's, the default's and the expected's scores.

    The default uses the calendar when the daily path does; the baseline (v20) never does. A
    real panel has no expected demand: two scores instead of three.
    """
    start, stop, calendar = task
    classes = np.empty(stop - start, dtype=np.int8)
    scores = np.empty((3 if _EXPECTED is None else 4, stop - start, len(FIELDS)))
    for i in range(start, stop):
        y = _series(i)
        history, actual = y[:-_HOLDOUT], y[-_HOLDOUT:]
        demand_class = engine.classify(history).demand_class
        classes[i - start] = CLASSES.index(demand_class)
        forecasts = (
            engine.v20_baseline(history, _HOLDOUT),
            engine.predict("seasonal_naive", history, _HOLDOUT),
            engine.predict(
                engine.DEFAULT_MODEL[demand_class], history, _HOLDOUT, **_promotions(i, calendar)
            ),
        ) + (() if _EXPECTED is None else (_EXPECTED[i, -_HOLDOUT:],))
        for k, forecast in enumerate(forecasts):
            result = engine.accuracy(actual, forecast, history)
            scores[k, i - start] = _scores(actual, forecast, result)
    return {"start": start, "classes": classes, "scores": scores}


def run_phase(name: str, function, tasks: list, args) -> tuple[list[dict], float]:
    """`function` over `tasks` in `args.jobs` forked workers: the results and the wall time."""
    started = time.perf_counter()
    results = []
    pool = multiprocessing.get_context("fork").Pool(args.jobs, initializer=_warm_up)
    try:
        iterator = pool.imap_unordered(function, tasks)
        for _ in tasks:
            remaining = args.max_seconds - (time.perf_counter() - started)
            try:
                results.append(iterator.next(timeout=max(remaining, 0.001)))
            except multiprocessing.TimeoutError:
                sys.exit(f"{name}: stopped after --max-seconds {args.max_seconds:g}")
            if args.progress:
                print(f"\r{name}: {len(results)}/{len(tasks)} chunks", end="", file=sys.stderr)
        pool.close()
    finally:
        pool.terminate()
        pool.join()
    if args.progress:
        print(file=sys.stderr)
    return results, time.perf_counter() - started


def _phase_timing(results: list[dict], seconds: float, n: int, jobs: int) -> dict:
    worker_peak = max(r["maxrss_mb"] for r in results)
    return {
        "seconds": seconds,
        "skus_per_second": n / seconds,
        "worker_busy_seconds": sum(r["busy"] for r in results),
        "worker_peak_mb": worker_peak,
        "parent_peak_mb": _maxrss_mb(),
        # An upper bound: the panel is shared copy-on-write, but counted in every process.
        "peak_total_mb": _maxrss_mb() + jobs * worker_peak,
    }


def summarise(scores: np.ndarray, mask: np.ndarray) -> dict:
    """WAPE, mean and median RMSSE, mean MASE and volume over the SKUs in `mask`."""
    s = scores[mask]
    actual = s[:, FIELDS.index("actual")].sum()
    forecast = s[:, FIELDS.index("forecast")].sum()
    rmsse = s[:, FIELDS.index("rmsse")]
    mase = s[:, FIELDS.index("mase")]
    has_rmsse, has_mase = np.isfinite(rmsse).any(), np.isfinite(mase).any()
    return {
        "skus": int(mask.sum()),
        "actual": float(actual),
        "forecast": float(forecast),
        "wape": float(s[:, FIELDS.index("abs_error")].sum() / actual) if actual > 0 else None,
        "rmsse": float(np.nanmean(rmsse)) if has_rmsse else None,
        "rmsse_median": float(np.nanmedian(rmsse)) if has_rmsse else None,
        "mase": float(np.nanmean(mase)) if has_mase else None,
        "volume": float(forecast / actual) if actual > 0 else None,
    }


def check_targets(accuracy: dict, timing: dict, args) -> list[dict]:
    checks = []

    def check(target: str, passed: bool | None, detail: str) -> None:
        checks.append(
            {"target": target, "pass": None if passed is None else bool(passed), "detail": detail}
        )

    daily, baseline = accuracy["all"]["daily"], accuracy["all"]["baseline"]
    limit = (1 - WAPE_GAIN) * baseline["wape"]
    check(
        f"overall WAPE at least {WAPE_GAIN:.0%} below the baseline's",
        daily["wape"] <= limit,
        f"{daily['wape']:.4f} vs {baseline['wape']:.4f}: "
        f"{daily['wape'] / baseline['wape'] - 1:+.1%} (limit {limit:.4f})",
    )
    low, high = VOLUME_BAND
    for demand_class in TARGET_CLASSES:
        if demand_class not in accuracy:
            continue
        d, b = accuracy[demand_class]["daily"], accuracy[demand_class]["baseline"]
        check(
            f"{demand_class}: mean RMSSE no worse than the baseline's",
            d["rmsse"] is not None and d["rmsse"] <= b["rmsse"],
            f"{_fmt(d['rmsse'], 4)} vs {_fmt(b['rmsse'], 4)}",
        )
        check(
            f"{demand_class}: volume within {low:.2f}..{high:.2f} of the actual",
            d["volume"] is not None and low <= d["volume"] <= high,
            _fmt(d["volume"], 4),
        )
    if "insufficient" in accuracy:
        # Not a target: these SKUs had at most one day with demand before the holdout (launched
        # in its last weeks), so every model, the baseline included, forecasts next to nothing.
        d = accuracy["insufficient"]["daily"]
        check(
            f"insufficient ({d['skus']} SKUs, the baseline model itself): volume, for information",
            None,
            _fmt(d["volume"], 4),
        )
    if "daily" in timing:
        t = timing["daily"]
        seconds = t["seconds"] + timing.get("priors", {}).get("seconds", 0.0)
        check(
            f"daily forecast under {args.daily_seconds:g} s",
            seconds < args.daily_seconds,
            f"{seconds:.1f} s",
        )
        check(
            f"daily forecast peak memory under {args.memory_mb:g} MB",
            t["peak_total_mb"] < args.memory_mb,
            f"{t['peak_total_mb']:.0f} MB (parent + {args.jobs} x largest worker)",
        )
    if "retrain" in timing:
        t = timing["retrain"]
        check(
            f"weekly retrain under {args.retrain_seconds:g} s",
            t["seconds"] < args.retrain_seconds,
            f"{t['seconds']:.1f} s",
        )
    return checks


def machine() -> dict:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "numpy": version("numpy"),
        "statsforecast": version("statsforecast"),
        "platform": platform.platform(),
    }


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def report(args, timing: dict, accuracy: dict, choice: dict, kinds: dict, checks: list) -> None:
    m = machine()
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}")
    print(f"numpy {m['numpy']}, statsforecast {m['statsforecast']}; --jobs {args.jobs}\n")
    print("| phase | wall s | SKUs/s | workers busy s | largest worker MB | parent MB |")
    print("|---|--:|--:|--:|--:|--:|")
    for phase in ("retrain", "daily", "retrain_blind", "daily_blind"):
        if phase in timing:
            t = timing[phase]
            print(
                f"| {phase} | {t['seconds']:.1f} | {t['skus_per_second']:,.0f} | "
                f"{t['worker_busy_seconds']:.1f} | {t['worker_peak_mb']:.0f} | "
                f"{t['parent_peak_mb']:.0f} |"
            )
    if "priors" in timing:
        print(f"\n(pooling the promotion priors in the parent {timing['priors']['seconds']:.1f} s)")
    print(
        f"\n(generating the panel {timing['generate']['seconds']:.1f} s, scoring the baseline "
        f"{timing['evaluate']['seconds']:.1f} s; peak of all workers "
        f"{timing['children_peak_mb']:.0f} MB, of the parent {timing['parent_peak_mb']:.0f} MB)\n"
    )
    print(f"Accuracy on the last {args.holdout} days")
    print("| class | SKUs | forecast | WAPE | RMSSE mean | RMSSE median | MASE mean | volume |")
    print("|---|--:|---|--:|--:|--:|--:|--:|")
    for label, row in accuracy.items():
        for variant in VARIANTS:
            if variant not in row:
                continue
            r = row[variant]
            name = VARIANT_LABELS.get(variant, variant)
            print(
                f"| {label} | {r['skus']:,} | {name} | {_fmt(r['wape'])} | {_fmt(r['rmsse'])} "
                f"| {_fmt(r['rmsse_median'])} | {_fmt(r['mase'])} | {_fmt(r['volume'])} |"
            )
    generated_as = " (SKUs generated as regular/intermittent/lumpy)" if any(kinds.values()) else ""
    print(f"\nModels the daily path used, per class{generated_as}")
    for c in CLASSES:
        if choice[c]:
            generated = "/".join(str(v) for v in kinds[c].values())
            picks = ", ".join(f"{k} {v}" for k, v in sorted(choice[c].items(), key=lambda i: -i[1]))
            print(f"- {c}{f' ({generated})' if generated else ''}: {picks}")
    print("\nTargets")
    for c in checks:
        verdict = "INFO" if c["pass"] is None else "PASS" if c["pass"] else "FAIL"
        print(f"- {verdict}  {c['target']}: {c['detail']}")


def main() -> None:
    global _DEMAND, _EXPECTED, _PROMOTIONS, _PRIORS, _FOLD_PRIORS, _HOLDOUT, _HORIZON, _FOLDS
    global _START
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--days", type=int, help="default 730 (synthetic) or all (real)")
    parser.add_argument("--holdout", type=int, default=28)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--folds", type=int, default=3, help="the retrain's (default 3)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=50, help="SKUs per task (default 50)")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--nb-shape", type=float, default=NB_SHAPE, help="see bench/demand.py")
    parser.add_argument("--no-promotions", action="store_true")
    parser.add_argument("--no-retrain", action="store_true", help="daily path on class defaults")
    parser.add_argument(
        "--calendar",
        choices=["with", "without", "both"],
        default="both",
        help="hand the promotion calendar to the engine (default: both, with first)",
    )
    parser.add_argument("--daily-seconds", type=float, default=60)
    parser.add_argument("--retrain-seconds", type=float, default=15 * 60)
    parser.add_argument("--memory-mb", type=float, default=1536)
    parser.add_argument("--max-seconds", type=float, default=1800, help="bound of each phase")
    parser.add_argument(
        "--challenger-margin",
        type=float,
        help=f"the retrain's margin (default the engine's, {engine.CHALLENGER_MARGIN:g})",
    )
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--panel",
        default="synthetic",
        help=f"synthetic (default), real or real:<name> ({', '.join(PANELS)})",
    )
    args = parser.parse_args()
    panel_kind, _, real_name = args.panel.partition(":")
    if panel_kind not in ("synthetic", "real") or (panel_kind == "synthetic" and real_name):
        parser.error("--panel must be synthetic, real or real:<name>")
    real_name = real_name or DEFAULT_PANEL
    if panel_kind == "real" and real_name not in PANELS:
        parser.error(f"--panel real:<name>: one of {', '.join(PANELS)}")
    if args.days is None and panel_kind == "synthetic":
        args.days = 730
    if args.days is not None and args.days <= 2 * args.holdout:
        parser.error("--days must be more than twice --holdout")
    _HOLDOUT, _HORIZON, _FOLDS = args.holdout, args.horizon, args.folds
    if args.challenger_margin is not None:
        engine.CHALLENGER_MARGIN = args.challenger_margin  # the forked workers inherit it

    started = time.perf_counter()
    if panel_kind == "synthetic":
        panel = generate(
            args.skus,
            args.days,
            seed=args.seed,
            nb_shape=args.nb_shape,
            promotions=not args.no_promotions,
            expected=True,
        )
        _DEMAND, _EXPECTED = panel.demand, panel.expected
        _START = np.clip(
            panel.start - FIRST_DELIVERY_DAYS, 0, args.days - args.holdout - 15
        ).astype(np.int32)
    else:
        panel = load_real_panel(real_name)
        if args.days is not None:
            panel = panel.last_days(args.days)
        _DEMAND, _START = panel.demand, panel.start
        args.skus, args.days = _DEMAND.shape
        args.calendar = "without"  # no promotion calendar
        if (shortest := args.days - int(_START.max())) <= 2 * args.holdout:
            sys.exit(f"panel: a series has {shortest} days, not more than twice --holdout")
    timing: dict[str, dict | float] = {"generate": {"seconds": time.perf_counter() - started}}
    n = args.skus
    bounds = [(i, min(i + args.chunk, n)) for i in range(0, n, args.chunk)]
    if panel_kind == "synthetic":
        print(
            f"panel: {n:,} SKUs x {args.days} days ({_DEMAND.nbytes / 2**20:.0f} MB, and as much "
            f"for the expected demand), {timing['generate']['seconds']:.1f} s to generate"
        )
    else:
        history_days = args.days - _START
        print(
            f"panel: real:{real_name}, {n:,} series x {args.days} days, {panel.dates[0]} to "
            f"{panel.dates[-1]} (histories of {history_days.min()} to {history_days.max()} days), "
            f"{timing['generate']['seconds']:.1f} s to load; no expected demand, no calendar"
        )

    calendar_modes = {"with": [True], "without": [False], "both": [True, False]}[args.calendar]
    if calendar_modes[0]:
        started = time.perf_counter()
        _PROMOTIONS = promotion_mask(panel.calendar, n, args.days + args.horizon)
        # Pooled from the days before the holdout: the scored days stay unseen. Each SKU's
        # days from its first record, as the services pool them: the zeros before a launch
        # would class a young SKU as intermittent and put its promotions in the wrong pool.
        history_days = args.days - args.holdout
        first = [0 if _START is None else int(_START[i]) for i in range(n)]
        histories = [_DEMAND[i, first[i] : history_days] for i in range(n)]
        masks = [_PROMOTIONS[i, first[i] : history_days] for i in range(n)]
        _PRIORS = engine.promotion_priors(histories, masks)
        _FOLD_PRIORS = engine.fold_priors(histories, masks, holdout=args.holdout, folds=_FOLDS)
        timing["priors"] = {"seconds": time.perf_counter() - started}
        print(
            f"calendar: {len(panel.calendar):,} promotions, "
            f"{int(_PROMOTIONS[:, : args.days].any(axis=1).sum()):,} SKUs promoted, "
            f"{int(_PROMOTIONS[:, -args.horizon - args.holdout :].any(axis=1).sum()):,} of them "
            f"in the holdout or the horizon; priors pooled in {timing['priors']['seconds']:.1f} s"
        )
    scores = {}
    for calendar in calendar_modes:
        suffix = "" if calendar == calendar_modes[0] else "_blind"
        chosen = None
        if not args.no_retrain:
            tasks = [(a, b, calendar) for a, b in bounds]
            results, seconds = run_phase("retrain" + suffix, _retrain_chunk, tasks, args)
            chosen = np.empty(n, dtype=np.int16)
            for r in results:
                chosen[r["start"] : r["start"] + len(r["chosen"])] = r["chosen"]
            timing["retrain" + suffix] = _phase_timing(results, seconds, n, args.jobs)

        tasks = [(a, b, None if chosen is None else chosen[a:b], calendar) for a, b in bounds]
        results, seconds = run_phase("daily" + suffix, _daily_chunk, tasks, args)
        scores["daily" + suffix] = np.empty((n, len(FIELDS)))
        used_now = np.empty(n, dtype=np.int16)
        horizon = np.empty((n, args.horizon))
        for r in results:
            rows = slice(r["start"], r["start"] + len(r["used"]))
            scores["daily" + suffix][rows], used_now[rows] = r["scores"], r["used"]
            horizon[rows] = r["horizon"]
        timing["daily" + suffix] = _phase_timing(results, seconds, n, args.jobs)
        del results
        if not (np.isfinite(horizon).all() and (horizon >= 0).all()):
            sys.exit("daily: a forecast is negative or not finite")
        if not suffix:
            used = used_now

    tasks = [(a, b, calendar_modes[0]) for a, b in bounds]
    results, seconds = run_phase("evaluate", _evaluate_chunk, tasks, args)
    classes = np.empty(n, dtype=np.int8)
    evaluated = VARIANTS[2:] if _EXPECTED is not None else VARIANTS[2:5]
    for variant in evaluated:
        scores[variant] = np.empty((n, len(FIELDS)))
    for r in results:
        rows = slice(r["start"], r["start"] + len(r["classes"]))
        classes[rows] = r["classes"]
        for k, variant in enumerate(evaluated):
            scores[variant][rows] = r["scores"][k]
    timing["evaluate"] = {"seconds": seconds}
    timing["children_peak_mb"] = _maxrss_mb(resource.RUSAGE_CHILDREN)
    timing["parent_peak_mb"] = _maxrss_mb()

    accuracy = {}
    groups = [(c, classes == k) for k, c in enumerate(CLASSES)] + [("all", np.ones(n, bool))]
    for label, mask in groups:
        if mask.any():
            accuracy[label] = {v: summarise(scores[v], mask) for v in VARIANTS if v in scores}
    choice = {
        c: {
            name: int(((classes == k) & (used == m)).sum())
            for m, name in enumerate(MODEL_NAMES)
            if ((classes == k) & (used == m)).any()
        }
        for k, c in enumerate(CLASSES)
    }
    kinds = (
        {
            c: {
                g: int(((classes == k) & (panel.kind == i)).sum()) for i, g in enumerate(KIND_NAMES)
            }
            for k, c in enumerate(CLASSES)
        }
        if panel_kind == "synthetic"
        else {c: {} for c in CLASSES}
    )
    checks = check_targets(accuracy, timing, args)
    report(args, timing, accuracy, choice, kinds, checks)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "command": " ".join([".venv/bin/python", *sys.argv]),
            "machine": machine(),
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "promotions": len(panel.calendar) if panel_kind == "synthetic" else 0,
            "candidates": {c.value: list(engine.CANDIDATES[c]) for c in engine.DemandClass},
            "defaults": {c.value: engine.DEFAULT_MODEL[c] for c in engine.DemandClass},
            "timing": timing,
            "accuracy": accuracy,
            "models_used": choice,
            "generated_kinds_per_class": kinds,
            "targets": checks,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"\nwritten: {args.json}")


if __name__ == "__main__":
    main()
