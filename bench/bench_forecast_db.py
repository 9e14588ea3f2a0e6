"""Benchmark the forecast jobs end to end: `manage.py retrain` and `manage.py forecast`.

One run:

1. creates a fresh PostgreSQL database (its name must contain "bench"; it is dropped at the
   end) or a SQLite file, and migrates it;
2. generates `--skus` x `--days` of demand with `bench/demand.py` (the same panel as
   `bench/bench_forecast.py`), creates the items and loads every day with demand as imported
   usage history (`DailyUsage`, by COPY), ending yesterday, and the panel's promotion calendar
   as `Promotion` rows (planned promotions, also those that run into the forecast horizon;
   `--no-calendar` leaves them out);
3. runs `manage.py retrain --jobs N` and then `manage.py forecast --jobs N` as the cron would,
   each in its own process, and reads their wall time and peak memory (the command's process
   and, separately, the largest of its worker processes) from `getrusage`;
4. prints the figures and the forecast run's summary (`--json FILE` writes them too).

    .venv/bin/python bench/bench_forecast_db.py --db postgres --skus 10000 --jobs 2
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_api_lists import (  # noqa: E402 - the path is set just above
    DEFAULT_PG_URL,
    REPO_ROOT,
    VENV_BIN,
    PostgresDatabase,
    SqliteDatabase,
    build_env,
    cpu_model,
    run_checked,
)

DEFAULT_BENCH_PG_URL = DEFAULT_PG_URL.replace("inventory_bench", "inventory_bench_forecast")
JOB_TIMEOUT_S = 1800

LOAD_SCRIPT = """
import sys, time
from datetime import timedelta
import numpy as np
sys.path.insert(0, {repo!r})
from bench.demand import generate
from forecasting.history import last_history_day
from forecasting.models import DailyUsage, Promotion
from inventory_project.csvio import bulk
from items.models import Item
from django.db import transaction
from django.utils import timezone

started = time.monotonic()
panel = generate({skus}, {days}, seed={seed})
now = timezone.now()
with transaction.atomic():
    bulk.insert_rows(
        Item,
        ["sku", "name", "category", "uom", "reorder_min", "reorder_max", "par_level", "active",
         "created_at", "updated_at"],
        [(f"SKU-{{n:05d}}", f"Item {{n}}", f"Category {{n % 12}}", "each", 0, 0, 0, True, now, now)
         for n in range({skus})],
    )
ids = list(Item.objects.order_by("sku").values_list("pk", flat=True))
end = last_history_day()
dates = [end - timedelta(days={days} - 1 - d) for d in range({days})]
rows = 0
with transaction.atomic():
    for block in range(0, {skus}, 500):
        chunk = panel.demand[block:block + 500]
        batch = []
        for i, series in enumerate(chunk):
            item_id = ids[block + i]
            for d in np.flatnonzero(series):
                batch.append((item_id, None, dates[d], float(series[d]), now, now))
        bulk.insert_rows(
            DailyUsage, ["item", "location", "date", "quantity", "created_at", "updated_at"], batch
        )
        rows += len(batch)
# A promotion's days as the panel counts them, day {days} - 1 being yesterday.
calendar = panel.calendar
planned = zip(calendar.sku.tolist(), calendar.first.tolist(), calendar.length.tolist())
promotions = [
    (ids[sku], end - timedelta(days={days} - 1 - first),
     end - timedelta(days={days} - first - length), "", now, now)
    for sku, first, length in (planned if {calendar} else [])
]
with transaction.atomic():
    bulk.insert_rows(
        Promotion, ["item", "first_day", "last_day", "note", "created_at", "updated_at"], promotions
    )
print(f"{{rows}} usage rows and {{len(promotions)}} promotions for {skus} items in "
      f"{{time.monotonic() - started:.1f}} s")
"""

# Runs a management command and reports its own and its children's resource use.
MEASURE_SCRIPT = """
import json, resource, sys, time
import django
django.setup()
from django.core.management import call_command
started = time.monotonic()
call_command(*sys.argv[1:])
seconds = time.monotonic() - started
own = resource.getrusage(resource.RUSAGE_SELF)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print("MEASURE " + json.dumps({
    "seconds": round(seconds, 2),
    "peak_mb": round(own.ru_maxrss / 1024, 1),
    "largest_worker_mb": round(children.ru_maxrss / 1024, 1),
    "cpu_seconds": round(own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime, 1),
}))
"""


def measure(env: dict, *command: str) -> dict:
    proc = subprocess.run(
        [str(VENV_BIN / "python"), "-c", MEASURE_SCRIPT, *command],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=JOB_TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"{' '.join(command)} failed with exit code {proc.returncode}")
    lines = proc.stdout.splitlines()
    figures = json.loads(next(line for line in lines if line.startswith("MEASURE "))[8:])
    summary_start = next(i for i, line in enumerate(lines) if line.startswith("{"))
    summary_end = next(i for i, line in enumerate(lines) if line.startswith("}"))
    figures["summary"] = json.loads("\n".join(lines[summary_start : summary_end + 1]))
    return figures


def run(args: argparse.Namespace) -> dict:
    database = PostgresDatabase(args.pg_url) if args.db == "postgres" else SqliteDatabase()
    try:
        database.create()
        env = build_env(argparse.Namespace(redis_url=""), database.url, Path(REPO_ROOT))
        env["LOG_LEVEL"] = "WARNING"
        python = str(VENV_BIN / "python")
        run_checked([python, "manage.py", "migrate", "--no-input"], env, "migrate")
        script = LOAD_SCRIPT.format(
            repo=str(REPO_ROOT),
            skus=args.skus,
            days=args.days,
            seed=20,
            calendar=not args.no_calendar,
        )
        started = time.monotonic()
        loaded = run_checked([python, "manage.py", "shell", "-c", script], env, "load")
        print(loaded.strip(), f"({time.monotonic() - started:.1f} s with Django start)", flush=True)
        common = ["--no-progress", "--jobs", str(args.jobs), "--batch-size", str(args.batch_size)]
        report = {
            "database": database.version(),
            "machine": f"{cpu_model()}, {os.cpu_count()} cores, {platform.python_version()}",
            "skus": args.skus,
            "days": args.days,
            "jobs": args.jobs,
            "batch_size": args.batch_size,
            "calendar": not args.no_calendar,
            "load": loaded.strip(),
        }
        if not args.skip_retrain:
            report["retrain"] = measure(env, "retrain", *common)
            print("retrain", json.dumps(report["retrain"]), flush=True)
        report["forecast"] = measure(env, "forecast", *common)
        print("forecast", json.dumps(report["forecast"]), flush=True)
        return report
    finally:
        database.drop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--pg-url", default=DEFAULT_BENCH_PG_URL)
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--skip-retrain", action="store_true")
    parser.add_argument(
        "--no-calendar", action="store_true", help="load no promotions (the run before them)"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    report = run(args)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
