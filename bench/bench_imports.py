"""Benchmark the CSV imports and exports through the API: rows per second and worker memory.

One run, on one database (a fresh SQLite file, or a dedicated PostgreSQL database whose name
contains "bench"; it is dropped at the end):

1. migrates, creates the admin it signs in as and `--locations` locations;
2. writes the CSV files to a temporary folder: `--items` items, and a stock count of every item
   at every location (`--items` x `--locations` rows; 100,000 x 10 = 1,000,000 by default);
3. starts gunicorn with one sync worker (DEBUG off) and POSTs each file as a streamed
   `text/csv` body, in this order: items (all new), items again (all unchanged), the stock
   count (all new records: one record and one ledger row a row), the same count again (all
   unchanged: nothing written), a second count with every quantity changed (an update and a
   ledger row a row); then streams `GET /api/inventory/export` and checks its line count;
4. after each step reads the worker's peak resident memory (VmHWM in /proc) and prints, per
   step: rows, wall seconds (client), rows per second, the server's own seconds, and the
   worker's peak memory. `--json FILE` also writes the figures.

    .venv/bin/python bench/bench_imports.py --db postgres
    .venv/bin/python bench/bench_imports.py --db sqlite --items 20000 --locations 5
"""

import argparse
import csv
import http.client
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_api_lists import (  # noqa: E402 - the path is set just above
    DEFAULT_PG_URL,
    HOST,
    REPO_ROOT,
    VENV_BIN,
    Gunicorn,
    PostgresDatabase,
    SqliteDatabase,
    build_env,
    cpu_model,
    login,
    run_checked,
)

DEFAULT_BENCH_PG_URL = DEFAULT_PG_URL.replace("inventory_bench", "inventory_bench_imports")
ADMIN_EMAIL = "bench-admin@example.com"
ADMIN_PASSWORD = "bench-admin-password-1"
UPLOAD_TIMEOUT_S = 1800

SETUP_SCRIPT = """
from accounts.services import user_create, user_set_role
from inventory.services import location_create
user = user_create(email={email!r}, password={password!r}, name="Bench admin")
user_set_role(user=user, role="admin")
for n in range({locations}):
    location_create(code=f"LOC-{{n:02d}}", name=f"Location {{n}}")
"""


def write_files(folder: Path, items: int, locations: int) -> dict[str, Path]:
    paths = {
        "items": folder / "items.csv",
        "stock": folder / "stock.csv",
        "stock_changed": folder / "stock_changed.csv",
    }
    with paths["items"].open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["sku", "name", "category", "uom", "reorder_min", "reorder_max", "par_level", "active"]
        )
        for n in range(items):
            writer.writerow(
                [f"SKU-{n:06d}", f"Item {n}", f"Category {n % 12}", "each", 5, 50, 20, "true"]
            )
    for key, bump in (("stock", 0), ("stock_changed", 1)):
        with paths[key].open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["sku", "location", "quantity", "lot", "expires_at"])
            for n in range(items):
                sku = f"SKU-{n:06d}"
                for loc in range(locations):
                    quantity = (n * 7 + loc * 3) % 500 + bump
                    writer.writerow([sku, f"LOC-{loc:02d}", f"{quantity}.5", "", "2027-06-30"])
    return paths


def worker_pid(master_pid: int) -> int:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    if len(children) != 1:
        raise SystemExit(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def memory_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


def upload(port: int, token: str, path: Path, route: str) -> tuple[float, dict]:
    size = path.stat().st_size
    conn = http.client.HTTPConnection(HOST, port, timeout=UPLOAD_TIMEOUT_S)
    started = time.monotonic()
    try:
        with path.open("rb") as body:
            conn.request(
                "POST",
                route,
                body=body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "text/csv",
                    "Content-Length": str(size),
                },
            )
            response = conn.getresponse()
            data = response.read()
    finally:
        conn.close()
    seconds = time.monotonic() - started
    if response.status != 200:
        raise SystemExit(f"{route} answered {response.status}: {data[:500]!r}")
    return seconds, orjson.loads(data)


def export(port: int, token: str, route: str) -> tuple[float, int, int]:
    conn = http.client.HTTPConnection(HOST, port, timeout=UPLOAD_TIMEOUT_S)
    started = time.monotonic()
    lines = size = 0
    try:
        conn.request("GET", route, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        if response.status != 200:
            raise SystemExit(f"{route} answered {response.status}: {response.read()[:500]!r}")
        while chunk := response.read(1 << 20):
            lines += chunk.count(b"\n")
            size += len(chunk)
    finally:
        conn.close()
    return time.monotonic() - started, lines, size


def run(args: argparse.Namespace) -> dict:
    database = PostgresDatabase(args.pg_url) if args.db == "postgres" else SqliteDatabase()
    server = None
    with tempfile.TemporaryDirectory(prefix="inventory-bench-imports-") as tmp:
        folder = Path(tmp)
        try:
            database.create()
            env = build_env(
                argparse.Namespace(redis_url=args.redis_url), database.url, Path(REPO_ROOT)
            )
            env["GUNICORN_TIMEOUT"] = str(UPLOAD_TIMEOUT_S)
            python = str(VENV_BIN / "python")
            run_checked([python, "manage.py", "migrate", "--no-input"], env, "migrate")
            script = SETUP_SCRIPT.format(
                email=ADMIN_EMAIL, password=ADMIN_PASSWORD, locations=args.locations
            )
            run_checked([python, "manage.py", "shell", "-c", script], env, "setup")
            started = time.monotonic()
            paths = write_files(folder, args.items, args.locations)
            print(f"wrote the CSV files in {time.monotonic() - started:.1f} s", flush=True)
            server = Gunicorn(
                argparse.Namespace(workers=1, worker_class="sync", threads=1, port=args.port),
                env,
                folder / "gunicorn.log",
            )
            server.start()
            pid = worker_pid(server.proc.pid)
            token = login(server.port, ADMIN_EMAIL, ADMIN_PASSWORD)
            steps = []
            baseline = memory_mb(pid)
            plan = [
                ("items, all new", paths["items"], "/api/items/import", "inserted"),
                ("items again, all unchanged", paths["items"], "/api/items/import", "unchanged"),
                ("stock count, all new", paths["stock"], "/api/inventory/import", "inserted"),
                (
                    "same count again, unchanged",
                    paths["stock"],
                    "/api/inventory/import",
                    "unchanged",
                ),
                (
                    "count with every quantity changed",
                    paths["stock_changed"],
                    "/api/inventory/import",
                    "updated",
                ),
            ]
            for label, path, route, expected in plan:
                seconds, body = upload(server.port, token, path, route)
                data = body["data"]
                if data["errors"] or data[expected] != data["total_rows"]:
                    raise SystemExit(f"{label}: unexpected answer {data} {body['errors'][:3]}")
                step = {
                    "step": label,
                    "route": route,
                    "rows": data["total_rows"],
                    "megabytes": round(path.stat().st_size / 2**20, 1),
                    "seconds": round(seconds, 2),
                    "rows_per_second": round(data["total_rows"] / seconds),
                    "server_seconds": data["seconds"],
                    "worker_peak_mb": round(memory_mb(pid)["VmHWM"], 1),
                }
                steps.append(step)
                print(json.dumps(step), flush=True)
            seconds, lines, size = export(server.port, token, "/api/inventory/export")
            expected_lines = args.items * args.locations + 1
            if lines != expected_lines:
                raise SystemExit(f"export: {lines} lines, expected {expected_lines}")
            step = {
                "step": "export of the stock",
                "route": "/api/inventory/export",
                "rows": lines - 1,
                "megabytes": round(size / 2**20, 1),
                "seconds": round(seconds, 2),
                "rows_per_second": round((lines - 1) / seconds),
                "server_seconds": None,
                "worker_peak_mb": round(memory_mb(pid)["VmHWM"], 1),
            }
            steps.append(step)
            print(json.dumps(step), flush=True)
            return {
                "database": database.version(),
                "machine": f"{cpu_model()}, {os.cpu_count()} cores, {platform.python_version()}",
                "items": args.items,
                "locations": args.locations,
                "worker_rss_before_mb": round(baseline["VmRSS"], 1),
                "steps": steps,
            }
        finally:
            if server is not None:
                server.stop()
            database.drop()


def print_table(report: dict) -> None:
    print()
    print(f"{report['database']} · {report['machine']}")
    print(f"worker RSS before the first import: {report['worker_rss_before_mb']} MB")
    print("| step | rows | MB | seconds | rows/s | server s | worker peak MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for s in report["steps"]:
        print(
            f"| {s['step']} | {s['rows']:,} | {s['megabytes']} | {s['seconds']} | "
            f"{s['rows_per_second']:,} | {s['server_seconds']} | {s['worker_peak_mb']} |"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--pg-url", default=DEFAULT_BENCH_PG_URL)
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--locations", type=int, default=10)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--port", type=int, help="the server's port (default: any free one)")
    args = parser.parse_args(argv)
    report = run(args)
    print_table(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
