"""Benchmark one cached read: what the database half of the cache generations costs a HIT.

A cached response is served when its stored generations match both halves: the cache's (one
`get_many` with the body) and the database's (`CacheGeneration`), of which each worker keeps a
copy for one socket timeout. This measures, in one process and without HTTP, a HIT of
`GET /api/items/{sku}` and of the active item list (`CachedEnvelope.response()`) with the copy
fresh (a busy worker: no query) and with the copy due on every read (one query), and the
database read alone. It starts its own redis-server on a free port (the shared Redis on 6379
is never touched) and uses a scratch SQLite file or a scratch PostgreSQL database.

    .venv/bin/python bench/bench_cache_read.py --db sqlite
    .venv/bin/python bench/bench_cache_read.py --db postgres
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_api_lists import (  # noqa: E402 (the script's folder is put on the path first)
    DEFAULT_PG_URL,
    PostgresDatabase,
    SqliteDatabase,
)
from load_faults import PrivateRedis  # noqa: E402


def _timed(call, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1e6)
    return times


def _summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered):7.1f} us   p95 {p95:7.1f} us"


def measure(repeats: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from inventory_project.http import response_cache
    from items.cached_responses import ITEM_LIST_ACTIVE, item_detail
    from items.models import Item

    for n in range(50):
        Item.objects.get_or_create(sku=f"BENCH-{n:03d}", defaults={"name": f"Bench item {n}"})
    detail = item_detail("BENCH-007")

    def due_every_time(envelope):
        def read():
            response_cache._database_halves = None
            return envelope.response()

        return read

    figures = {}
    for name, envelope in (("item", detail), ("active list", ITEM_LIST_ACTIVE)):
        envelope.response()
        assert envelope.response()["X-Cache"] == "HIT"
        for label, call in (
            ("copy fresh (no query)", envelope.response),
            ("copy due (one query)", due_every_time(envelope)),
        ):
            _timed(call, 200)  # warm up
            figures[(name, label)] = _timed(call, repeats)
    alone = []
    for _ in range(repeats):
        response_cache._database_halves = None
        started = time.perf_counter()
        response_cache._database_generations(["items", "stock"])
        alone.append((time.perf_counter() - started) * 1e6)
    for (name, label), times in figures.items():
        print(f"HIT {name:12s} {label:24s} {_summary(times)}")
    print(f"database halves read alone               {_summary(alone)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(args.repeats)
        return
    work = Path(tempfile.mkdtemp(prefix="inventory-bench-cache-"))
    database = SqliteDatabase() if args.db == "sqlite" else PostgresDatabase(args.pg_url)
    redis = PrivateRedis(work)
    database.create()
    redis.start()
    try:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "inventory_project.settings",
            "DATABASE_URL": database.url,
            "REDIS_URL": redis.url,
            "LOG_LEVEL": "WARNING",
        }
        print(f"{args.db}, private Redis, {args.repeats} reads each")
        subprocess.run(
            [sys.executable, __file__, "--child", "--repeats", str(args.repeats)],
            env=env,
            check=True,
        )
    finally:
        redis.stop()
        database.drop()


if __name__ == "__main__":
    main()
