"""Benchmark the response cache: a read-heavy mix with writes at a steady rate, over gunicorn.

Readers (several keep-alive clients) GET the cached v20 routes: the item list, the active item
list, the inventory summary and single items. One writer receives stock every
`--write-interval` seconds, which makes the summary stale, and renames an item every fifth
write, which makes every item response stale. The run reports, per route, requests, hit rate
and latency percentiles of hits and misses, and the hit rate of reads that come between writes
(each write costs one miss per key it drops; the rest must hit).

    .venv/bin/python bench/bench_cache.py --db postgres --redis-url redis://127.0.0.1:6379/14

Traffic goes to 127.0.0.1 only; the run is bounded by `--seconds`.
"""

import argparse
import http.client
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_api_lists import (  # noqa: E402 (the script's folder is put on the path first)
    DEFAULT_PG_URL,
    HOST,
    SEED_SCRIPT,
    VENV_BIN,
    Gunicorn,
    PostgresDatabase,
    SqliteDatabase,
    build_env,
    login,
    percentile,
    prepare_app,
)

ROUTES = ("/api/items", "/api/items?active=true", "/api/inventory/summary", "/api/items/{sku}")


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> str:
    return subprocess.run(
        cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=True
    ).stdout


def reader(port, token, skus, stop, results, seed):
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    while not stop.is_set():
        route = rng.choice(ROUTES)
        path = route.replace("{sku}", rng.choice(skus))
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        done = time.perf_counter()
        elapsed = (done - started) * 1000
        results.append(
            (route, response.status, response.getheader("X-Cache"), elapsed, path, started)
        )


def writer(port, token, skus, stop, interval, writes):
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    n = 0
    while not stop.wait(interval):
        n += 1
        body = {"sku": skus[n % len(skus)], "location": "LOC-01", "quantity": 1}
        conn.request("POST", "/api/inventory/receive", json.dumps(body), headers)
        status = conn.getresponse()
        status.read()
        writes.append(("receive", status.status, time.perf_counter()))
        if n % 5 == 0:
            sku = skus[0]
            conn.request(
                "PATCH", f"/api/items/{sku}", json.dumps({"name": f"Renamed {n}"}), headers
            )
            status = conn.getresponse()
            status.read()
            writes.append(("rename", status.status, time.perf_counter()))


# Which cached routes each kind of write makes stale.
DROPS = {
    "receive": {"/api/inventory/summary"},
    "rename": set(ROUTES),
}


def expected_misses(results, writes) -> int:
    """Reads that must miss: the first read of each path, and the first after each write that
    drops it (a read that started before the write finished may still hit)."""
    expected = 0
    seen: dict[str, float] = {}
    for route, _status, _x, _ms, path, started in sorted(results, key=lambda r: r[5]):
        last = seen.get(path)
        dropped_since = last is None or any(
            route in DROPS[kind] and last < at <= started for kind, _s, at in writes
        )
        if dropped_since:
            expected += 1
        seen[path] = started
    return expected


def summarize(results, writes, seconds):
    report = {"seconds": round(seconds, 1), "writes": len(writes), "routes": {}}
    errors = sum(1 for r in results if r[1] != 200) + sum(1 for w in writes if w[1] >= 400)
    for route in ROUTES:
        rows = [r for r in results if r[0] == route]
        hits = sorted(r[3] for r in rows if r[2] == "HIT")
        misses = sorted(r[3] for r in rows if r[2] == "MISS")
        report["routes"][route] = {
            "requests": len(rows),
            "hit_rate": round(len(hits) / len(rows), 4) if rows else None,
            "hit_p50_ms": round(percentile(hits, 50), 2) if hits else None,
            "hit_p99_ms": round(percentile(hits, 99), 2) if hits else None,
            "miss_p50_ms": round(percentile(misses, 50), 2) if misses else None,
        }
    reads = len(results)
    hits = sum(1 for r in results if r[2] == "HIT")
    must_miss = expected_misses(results, writes)
    small_hits = sorted(r[3] for r in results if r[2] == "HIT" and r[0] != "/api/items")
    report.update(
        reads=reads,
        errors=errors,
        reads_per_second=round(reads / seconds, 1),
        hit_rate=round(hits / reads, 4),
        misses_forced_by_writes=must_miss,
        hit_rate_between_writes=round(hits / max(reads - must_miss, 1), 4),
        small_hit_p50_ms=round(percentile(small_hits, 50), 2),
        small_hit_p99_ms=round(percentile(small_hits, 99), 2),
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--redis-url", default="", help="the shared cache (default: in-process)")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--write-interval", type=float, default=1.0)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    database = SqliteDatabase() if args.db == "sqlite" else PostgresDatabase(DEFAULT_PG_URL)
    work = Path(tempfile.mkdtemp(prefix="inventory-cache-bench-"))
    server = None
    try:
        database.create()
        app_dir, _app = prepare_app(None, work)
        server_args = argparse.Namespace(
            workers=args.workers,
            worker_class=args.worker_class,
            threads=args.threads,
            redis_url=args.redis_url,
        )
        env = build_env(server_args, database.url, app_dir)
        _run([str(VENV_BIN / "python"), "manage.py", "migrate", "-v0"], env, app_dir)
        _run(
            [str(VENV_BIN / "python"), str(SEED_SCRIPT), "--items", str(args.items)],
            env,
            app_dir,
        )
        server = Gunicorn(server_args, env, work / "gunicorn.log")
        server.start()
        token = login(server.port, "bench-viewer@example.com", "bench-viewer-password-not-secret")
        _run(
            [
                str(VENV_BIN / "python"),
                "-c",
                "import os,django;django.setup();"
                "from accounts.services import user_create;"
                "user_create(email='bench-staff@example.com',password='bench staff pass 42',"
                "role='staff')",
            ],
            env,
            app_dir,
        )
        writer_token = login(server.port, "bench-staff@example.com", "bench staff pass 42")
        conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
        conn.request("GET", "/api/items?limit=50", headers={"Authorization": f"Bearer {token}"})
        skus = [row["sku"] for row in orjson.loads(conn.getresponse().read())["data"]]
        stop = threading.Event()
        results, writes = [], []
        threads = [
            threading.Thread(
                target=reader, args=(server.port, token, skus, stop, results, n), daemon=True
            )
            for n in range(args.readers)
        ]
        threads.append(
            threading.Thread(
                target=writer,
                args=(server.port, writer_token, skus, stop, args.write_interval, writes),
                daemon=True,
            )
        )
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(args.seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        report = summarize(results, writes, time.perf_counter() - started)
        report.update(
            database=args.db,
            redis=bool(args.redis_url),
            workers=args.workers,
            worker_class=args.worker_class,
            threads=args.threads,
        )
        print(json.dumps(report, indent=2))
        if args.json_path:
            Path(args.json_path).write_text(json.dumps(report, indent=2))
    finally:
        if server is not None:
            server.stop()
        database.drop()


if __name__ == "__main__":
    main()
