"""Benchmark the API's write routes with wrk: stock receives and issues, and new items.

The same setup as `bench_routes.py` (a fresh database, 2,000 items and 20,000 stock rows loaded
through the CSV contract, the web server at the project's defaults, rate limits raised so nothing is
limited, `--app-ref` for another commit), with a staff user instead of a viewer. For each route
and number of connections, wrk posts a body made by a Lua script:

- `POST /api/inventory/receive`: 1 unit of a random active item at LOC-03 (random, so the
  connections do not all wait on one row's lock, as a kitchen's deliveries would not);
- `POST /api/inventory/issue`: 0.001 of a random active item at LOC-03 (it has stock);
- `POST /api/inventory/movements/batch`: `--batch-size` (1,000) issues of 0.001 of random
  active items, each connection at a location of its own (`--batch-connections`, 2);
- `POST /api/items`: a new item with a SKU no other request uses.

Besides rps and latency it reads the CPU the server's processes (master and workers) spent
during each run (`/proc/PID/stat`), divided by the requests answered: the application CPU of
one request, server side. At the end it checks that every answered receive is in the ledger.

    .venv/bin/python bench/bench_writes.py --db postgres --redis-url redis://127.0.0.1:6379/14
    .venv/bin/python bench/bench_writes.py --db postgres --redis-url redis://127.0.0.1:6379/14 \\
        --app-ref b68404a --app-venv /tmp/base-venv
"""

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_api_lists import (  # noqa: E402 - the path is set just above
    DEFAULT_PG_URL,
    HOST,
    PostgresDatabase,
    SqliteDatabase,
    build_env,
    login,
    prepare_app,
    run_checked,
    wait_for_quiet,
)
from bench.bench_routes import (  # noqa: E402
    DEFAULT_APP_VENV,
    ITEMS,
    ProductionServer,
    children,
    parse_connections,
    parse_wrk,
    seed,
    uptime,
)

DEFAULT_WRITES_PG_URL = DEFAULT_PG_URL.replace("inventory_bench", "inventory_bench_writes")
STAFF_EMAIL = "bench-staff@example.com"
STAFF_PASSWORD = "bench-staff-password-not-secret"
STAFF_SCRIPT = """
from accounts.services import user_create
user_create(email={email!r}, password={password!r}, name="Bench staff", role="staff")
"""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Every 25th item of the seed is inactive; the bodies name active ones only.
_ACTIVE_SKU = """
local function active_sku()
  local n = math.random(0, {items} - 1)
  if n % 25 == 24 then n = n - 1 end
  return string.format("SKU-%06d", n)
end
"""

LUA = {
    "/api/inventory/receive": _ACTIVE_SKU
    + """
request = function()
  local body = string.format('{{"sku":"%s","location":"LOC-03","quantity":1}}', active_sku())
  return wrk.format(nil, nil, nil, body)
end
""",
    "/api/inventory/issue": _ACTIVE_SKU
    + """
request = function()
  local body = string.format('{{"sku":"%s","location":"LOC-03","quantity":0.001}}', active_sku())
  return wrk.format(nil, nil, nil, body)
end
""",
    "/api/inventory/movements/batch": _ACTIVE_SKU
    + """
local threads_made = 0
setup = function(thread)
  threads_made = threads_made + 1
  thread:set("id", threads_made)
end
request = function()
  -- Each connection issues at a location of its own, as each site's point of sale would.
  local parts = {{}}
  for n = 1, {batch} do
    parts[n] = string.format(
      '{{"operation":"issue","sku":"%s","location":"LOC-%02d","quantity":0.001}}',
      active_sku(), id)
  end
  local body = '{{"operations":[' .. table.concat(parts, ",") .. ']}}'
  return wrk.format(nil, nil, nil, body)
end
""",
    "/api/items": """
local threads_made = 0
setup = function(thread)
  threads_made = threads_made + 1
  thread:set("id", threads_made)
end
local made = 0
request = function()
  made = made + 1
  local body = string.format(
    '{{"sku":"W{nonce}-%d-%d","name":"Bench item %d","category":"Bench"}}',
    id, made, made)
  return wrk.format(nil, nil, nil, body)
end
""",
}

LUA_HEADER = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
"""


def _stat(pid: int) -> list[str]:
    # The fields after the command name: state is [0], utime [11], stime [12], cutime [13].
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(master_pid: int) -> float:
    """User + system CPU of the server: its master, its workers, and its workers gone.

    A recycled worker's CPU moves into its master's children's times once it is reaped, so
    a worker recycled during a run still counts.
    """
    fields = _stat(master_pid)
    total = sum(int(fields[i]) for i in (11, 12, 13, 14))
    for pid in children(master_pid):
        try:
            fields = _stat(pid)
        except OSError:
            continue  # exited this instant: counted once it is reaped
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def run_wrk_lua(url: str, script: Path, connections: int, seconds: float) -> str:
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout=30s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with {done.returncode}: {done.stderr[-500:]}")
    return done.stdout


def ledger_rows(python: str, env: dict[str, str]) -> int:
    script = "from inventory.models import StockMovement; print(StockMovement.objects.count())"
    return int(run_checked([python, "manage.py", "shell", "-c", script], env, "count").split()[-1])


def measure(args, server, base_url: str, token: str, work_dir: Path, python: str, env) -> list:
    rows = []
    runs = itertools.count()

    def script_of(route: str, body: str) -> Path:
        # Each wrk run its own script: a new item's SKU holds the run's number, so the items
        # of one run (the warm-up's) never clash with the next's.
        script = work_dir / f"{route.strip('/').replace('/', '-')}.lua"
        script.write_text(
            LUA_HEADER.format(token=token)
            + body.format(items=ITEMS, batch=args.batch_size, nonce=next(runs))
        )
        return script

    for route, body in LUA.items():
        per_request = args.batch_size if route.endswith("/batch") else 1
        for connections in args.batch_connections if per_request > 1 else args.connections:
            quiet = (
                wait_for_quiet(args.quiet_wait, args.quiet_threshold) if args.quiet_wait else None
            )
            if args.warmup > 0:
                run_wrk_lua(base_url + route, script_of(route, body), connections, args.warmup)
            before_rows = ledger_rows(python, env)
            cpu_before = cpu_seconds(server.proc.pid)
            raw = run_wrk_lua(base_url + route, script_of(route, body), connections, args.duration)
            cpu = cpu_seconds(server.proc.pid) - cpu_before
            result = parse_wrk(raw)
            written = ledger_rows(python, env) - before_rows
            row = {
                "route": route,
                "connections": connections,
                "rps": result.rps,
                "p50_ms": result.p50_ms,
                "p99_ms": result.p99_ms,
                "requests": result.requests,
                "errors": result.non_2xx + sum(result.socket_errors.values()),
                "cpu_ms_per_request": round(1000 * cpu / max(result.requests, 1), 2),
                "operations_per_second": round(result.rps * per_request, 1),
                "ledger_rows_written": written,
                "quiet": quiet,
            }
            rows.append(row)
            print(
                f"  {route} c={connections}: {result.rps:.1f} req/s, p50 {result.p50_ms:.2f} ms, "
                f"p99 {result.p99_ms:.2f} ms, server CPU {row['cpu_ms_per_request']} ms/request, "
                f"errors {row['errors']}, ledger rows {written}",
                flush=True,
            )
            if route != "/api/items" and written != result.requests * per_request:
                # wrk counts a request it sent when the run ended and never saw answered as not
                # done; the server may still have written it. More rows than answers is that;
                # fewer would be a lost acknowledged write.
                answered = result.requests * per_request
                mark = "!! LOST WRITES" if written < answered else "(in flight at the end)"
                print(f"  ledger rows {written} vs answered {answered} {mark}", flush=True)
    return rows


def run(args: argparse.Namespace) -> dict:
    database = SqliteDatabase() if args.db == "sqlite" else PostgresDatabase(args.pg_url)
    app_venv = Path(args.app_venv)
    python = str(app_venv / "bin" / "python")
    server = None
    work_dir = Path(tempfile.mkdtemp(prefix="inventory-bench-writes-"))
    report: dict = {"uptime_before": uptime()}
    try:
        app_dir, app = prepare_app(args.app_ref, work_dir)
        report["app"] = app
        print(f"app: {app}", flush=True)
        database.create()
        report["database"] = database.version()
        env = build_env(args, database.url, app_dir)
        report["seed_s"] = seed(python, env, work_dir)
        script = STAFF_SCRIPT.format(email=STAFF_EMAIL, password=STAFF_PASSWORD)
        run_checked([python, "manage.py", "shell", "-c", script], env, "create staff")
        server = ProductionServer(app_venv, env, work_dir / "server.log", port=args.port)
        server.start()
        token = login(server.port, STAFF_EMAIL, STAFF_PASSWORD)
        base_url = f"http://{HOST}:{server.port}"
        report["routes"] = measure(args, server, base_url, token, work_dir, python, env)
        report["uptime_after"] = uptime()
        return report
    finally:
        if server is not None:
            server.stop()
        database.drop()
        shutil.rmtree(work_dir, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the API's write routes with wrk.")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_WRITES_PG_URL, help="created and dropped")
    parser.add_argument("--redis-url", default="", help="REDIS_URL of the app (default none)")
    parser.add_argument("--app-ref", help="benchmark this git commit instead of the working tree")
    parser.add_argument("--app-venv", default=str(DEFAULT_APP_VENV))
    parser.add_argument("--port", type=int)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=parse_connections, default=[8])
    parser.add_argument("--batch-size", type=int, default=1000, help="operations per batch")
    parser.add_argument(
        "--batch-connections",
        type=parse_connections,
        default=[2],
        help="connections posting batches (each at a location of its own)",
    )
    parser.add_argument("--quiet-wait", type=float, default=0.0)
    parser.add_argument("--quiet-threshold", type=float, default=15.0)
    parser.add_argument("--json", dest="json_path")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report = run(args)
    print()
    print(f"== {report['database']} | {report['app']}")
    print(
        f"{'route':<32} {'c':>3} {'rps':>8} {'ops/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'CPU ms':>7} errors"
    )
    for row in report["routes"]:
        print(
            f"{row['route']:<32} {row['connections']:>3} {row['rps']:>8.1f} "
            f"{row['operations_per_second']:>9.1f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
            f"{row['cpu_ms_per_request']:>7} {row['errors']}"
        )
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
