"""Benchmark the admin's front page (the dashboard) and the reorder page with 10,000 items.

One run, on one database (a fresh SQLite file, or a dedicated PostgreSQL database whose name
contains "bench"; it is dropped at the end):

1. migrates, seeds `bench/seed.py`'s items, stock records and their opening ledger rows
   (10,000 items and 20,000 records by default), loads the demo data (`load_demo_data`: about
   seventy items and a year of ledger), and makes a succeeded forecast run with a 28-day forecast of
   every item, so the ordering panel computes a suggestion for each;
2. signs a staff user in with Django's test client (the whole middleware stack, no HTTP) and,
   after a warm-up, times `--repeats` requests of each page: `GET /admin/` and
   `GET /admin/forecasting/itemforecast/reorder/`;
3. prints the median, 90th percentile and slowest time, and the number of SQL queries of one
   request of each page (`--json FILE` also writes them); then times the front page again
   right after a receipt each time, when its ordering figures are worked out afresh (they are
   cached until stock, items or the forecast change).

    .venv/bin/python bench/bench_dashboard.py --db sqlite
    .venv/bin/python bench/bench_dashboard.py --db postgres
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_api_lists import (  # noqa: E402 - the path is set just above
    DEFAULT_PG_URL,
    REPO_ROOT,
    PostgresDatabase,
    SqliteDatabase,
    cpu_model,
)

DEFAULT_DASHBOARD_PG_URL = DEFAULT_PG_URL.replace("inventory_bench", "inventory_bench_dashboard")
PAGES = {"dashboard": "/admin/", "reorder": "/admin/forecasting/itemforecast/reorder/"}
HORIZON_DAYS = 28


def _seed_forecasts(random_seed: int) -> int:
    """A succeeded forecast run of every active item: a flat-ish 28-day forecast each."""
    import random
    from datetime import timedelta

    from django.utils import timezone

    from forecasting.models import ForecastRun, ItemForecast
    from forecasting.selectors import stored_reorder_point
    from items.models import Item

    rng = random.Random(random_seed)
    run = ForecastRun.objects.create(
        kind=ForecastRun.Kind.FORECAST,
        status=ForecastRun.Status.SUCCEEDED,
        history_end=timezone.localdate() - timedelta(days=1),
        config={"horizon_days": HORIZON_DAYS},
        health=ForecastRun.Health.PASSING,
        average_wape=0.31,
        baseline_wape=0.4,
    )
    rows = []
    for item_id in Item.objects.filter(active=True).values_list("pk", flat=True):
        mean = round(rng.uniform(0.2, 12), 2)
        points = {
            name: [round(mean * factor, 2)] * HORIZON_DAYS
            for name, factor in (("mean", 1), ("lo80", 0.7), ("hi80", 1.3), ("lo95", 0.5))
        }
        points["hi95"] = [round(mean * 1.6, 2)] * HORIZON_DAYS
        rows.append(
            ItemForecast(
                run=run,
                item_id=item_id,
                demand_class="smooth",
                model="seasonal_es",
                horizon_start=run.history_end + timedelta(days=1),
                points=points,
                # What a forecast run stores beside its points.
                **stored_reorder_point(points),
            )
        )
    ItemForecast.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _count_queries(client, path: str) -> int:
    from django.db import connection

    sent = []

    def count(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(path)
    return len(sent)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def child(args: argparse.Namespace) -> dict:
    """Seed and measure, in a process whose DATABASE_URL is the benchmark's database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_project.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from bench.seed import seed

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    # seed() checks its own counts, so it goes first, into the empty database.
    counts = seed(items=args.items, locations=10, stock_records=args.stock_records)
    call_command("load_demo_data", verbosity=0)
    counts["forecasts"] = _seed_forecasts(42)
    # The planner statistics an import would have left (`refresh_planner_statistics`).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seeded_s = time.perf_counter() - started

    from accounts.services import user_create, user_set_role

    user = user_create(email="bench-staff@example.com", password="bench-staff-password-1")
    user_set_role(user=user, role="staff")
    client = Client()
    client.force_login(user)
    # Static file URLs without the manifest a deploy's collectstatic writes (same cost: a lookup).
    static = override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    )
    static.enable()
    results = {}
    for name, path in PAGES.items():
        for _ in range(3):  # warm-up: templates, the first connection, the cache
            assert client.get(path).status_code == 200, path
        queries = _count_queries(client, path)
        timings = []
        for _ in range(args.repeats):
            begin = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, path
        results[name] = {
            "path": path,
            "queries": queries,
            "median_ms": round(statistics.median(timings), 1),
            "p90_ms": round(_percentile(timings, 90), 1),
            "max_ms": round(max(timings), 1),
        }
    results["dashboard_after_a_stock_change"] = _time_after_writes(client, args.repeats)
    return {"counts": counts, "seeded_s": round(seeded_s, 1), "pages": results}


def _time_after_writes(client, repeats: int) -> dict:
    """The front page right after a receipt, whose write makes it recompute what to order."""
    from decimal import Decimal

    from inventory.models import StockRecord
    from inventory.services import stock_receive

    record = StockRecord.objects.select_related("item", "location").order_by("pk").first()
    timings = []
    for _ in range(repeats):
        stock_receive(item=record.item, location=record.location, quantity=Decimal(1))
        begin = time.perf_counter()
        assert client.get(PAGES["dashboard"]).status_code == 200
        timings.append((time.perf_counter() - begin) * 1000)
    return {
        "path": PAGES["dashboard"],
        "queries": None,
        "median_ms": round(statistics.median(timings), 1),
        "p90_ms": round(_percentile(timings, 90), 1),
        "max_ms": round(max(timings), 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_DASHBOARD_PG_URL)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--stock-records", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return
    database = SqliteDatabase() if args.db == "sqlite" else PostgresDatabase(args.pg_url)
    database.create()
    try:
        env = {
            **os.environ,
            "DATABASE_URL": database.url,
            "REDIS_URL": "",
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + "x" * 50,
            "JWT_SECRET": "bench-" + "y" * 50,
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, __file__, "--child", *(argv or sys.argv[1:])]
        done = subprocess.run(
            command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800
        )
        if done.returncode:
            raise SystemExit(f"the measuring process failed:\n{done.stderr[-4000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        report.update(database=database.version(), cpu=cpu_model())
    finally:
        database.drop()
    counts = report["counts"]
    print(
        f"== {report['database']} · {report['cpu']} · {counts['items']:,} seeded items + demo "
        f"data, {counts['forecasts']:,} forecasts, seeded in {report['seeded_s']} s"
    )
    print("| page | queries | median ms | p90 ms | slowest ms |")
    print("|---|--:|--:|--:|--:|")
    for name, page in report["pages"].items():
        print(
            f"| `GET {page['path']}` ({name}) | {page['queries'] or '–'} | {page['median_ms']} | "
            f"{page['p90_ms']} | {page['max_ms']} |"
        )
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
