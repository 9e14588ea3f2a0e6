"""Benchmark the read routes of the API with wrk: this app as production runs it, or any server.

One run, on one database (a fresh SQLite file, or a dedicated PostgreSQL database whose name
contains "bench"; it is dropped at the end):

1. migrates, creates the viewer the benchmark signs in as, and loads 2,000 items and a stock
   count of each item at 10 locations (20,000 stock rows; the locations are created by the
   count) through the CSV contract: CSV files loaded with `manage.py import_items` and
   `manage.py import_inventory`;
2. starts the Procfile's web server at its defaults (`python -m inventory_project.server`:
   granian, its worker count; a commit from before it, `--app-ref`, runs gunicorn with its
   gunicorn.conf.py, where `--no-recycle` passes `--max-requests 0`), DEBUG off, rate limits
   raised so that nothing is limited (every request is still counted), and signs in;
3. checks each route once (200, `success` true; the uncached ones must not answer
   `X-Cache: HIT`), then, for each number of connections, warms it up and runs
   `wrk -t2 -c<N> -d<duration> --latency` with the bearer token; a route that fails its check
   is reported and not timed;
4. reads the PSS of the server's master process and of each worker (`/proc/PID/smaps_rollup`);
5. prints one table (route | c | rps | p50 ms | p99 ms | non-2xx) and, with `--json`, writes
   every figure.

With `--base-url URL --token TOKEN --sku SKU --location CODE` the same routes and wrk runs go to
any server (the service this one replaces, say): no database, no seeding, no server started.

    .venv/bin/python bench/bench_routes.py --db sqlite --json /tmp/routes-sqlite.json
    .venv/bin/python bench/bench_routes.py --db postgres --redis-url redis://127.0.0.1:6379/14
    .venv/bin/python bench/bench_routes.py --app-ref 1cfaae8 --app-venv /tmp/base-venv
    .venv/bin/python bench/bench_routes.py --base-url http://127.0.0.1:3000 --token T \\
        --sku SKU-000042 --location LOC-03
"""

import argparse
import csv
import http.client
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_api_lists import (  # noqa: E402 - the path is set just above
    DEFAULT_PG_URL,
    HOST,
    Gunicorn,
    PostgresDatabase,
    SqliteDatabase,
    _exit_on_sigterm,
    build_env,
    check_loopback_url,
    cpu_model,
    free_port,
    login,
    prepare_app,
    run_checked,
    wait_for_quiet,
)

DEFAULT_ROUTES_PG_URL = DEFAULT_PG_URL.replace("inventory_bench", "inventory_bench_routes")
# The virtualenv running this script, unless --app-venv names another (an old commit's).
DEFAULT_APP_VENV = Path(sys.prefix)
ITEMS = 2000
LOCATIONS = 10
PAGE = 100
BENCH_SKU = "SKU-000042"
BENCH_LOCATION = "LOC-03"
VIEWER_EMAIL = "bench-viewer@example.com"
VIEWER_PASSWORD = "bench-viewer-password-not-secret"
CHECK_TIMEOUT_S = 60
WRK_THREADS = 2
WRK_TIMEOUT = "30s"  # a 20,000-row list under 32 connections can take seconds

# The viewer (and nothing else) is made in Python: users have no CSV contract.
VIEWER_SCRIPT = """
from accounts.services import user_create
user_create(email={email!r}, password={password!r}, name="Bench viewer", role="viewer")
"""


# --- routes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    path: str
    # The answer must not come from the response cache (X-Cache, when sent, is not HIT).
    uncached: bool = False


def build_routes(sku: str, location: str) -> list[Route]:
    """The routes every run measures, in order; `sku` and `location` name existing rows."""
    return [
        Route("/api/health"),
        Route(f"/api/items/{quote(sku, safe='')}"),
        Route("/api/inventory/summary"),
        Route(f"/api/locations/{quote(location, safe='')}"),
        Route("/api/items"),
        Route("/api/inventory"),
        Route(f"/api/items?limit={PAGE}"),
        Route(f"/api/items?limit={PAGE}&ordering=name", uncached=True),
        Route(f"/api/inventory?limit={PAGE}&ordering=item_name", uncached=True),
    ]


# --- wrk output -----------------------------------------------------------------------------

_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = re.compile(r"^\s*(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
_REQUESTS = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.M)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", re.M)
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.M)


def to_ms(value: str, unit: str) -> float:
    return float(value) * _TIME_UNITS_MS[unit]


@dataclass
class WrkResult:
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p75_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    non_2xx: int = 0  # wrk counts answers with a status above 399
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.requests > 0 and self.non_2xx == 0 and not any(self.socket_errors.values())


def parse_wrk(output: str) -> WrkResult:
    """The figures of `wrk --latency` output; ValueError when it has none."""
    rps = _RPS.search(output)
    done = _REQUESTS.search(output)
    if not rps or not done:
        raise ValueError(f"not wrk output: {output[-300:]!r}")
    result = WrkResult(
        requests=int(done.group(1)),
        seconds=round(to_ms(done.group(2), done.group(3)) / 1000, 3),
        rps=float(rps.group(1)),
    )
    for pct, value, unit in _PERCENTILE.findall(output):
        setattr(result, f"p{pct}_ms", to_ms(value, unit))
    if non_2xx := _NON_2XX.search(output):
        result.non_2xx = int(non_2xx.group(1))
    if socket := _SOCKET.search(output):
        result.socket_errors = dict(
            zip(("connect", "read", "write", "timeout"), map(int, socket.groups()), strict=True)
        )
    return result


def wrk_command(url: str, token: str, connections: int, seconds: float) -> list[str]:
    return [
        "wrk",
        f"-t{min(WRK_THREADS, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={WRK_TIMEOUT}",
        "--latency",
        "-H",
        f"Authorization: Bearer {token}",
        "-H",
        "Accept: application/json",
        url,
    ]


def run_wrk(url: str, token: str, connections: int, seconds: float) -> tuple[WrkResult, str]:
    proc = subprocess.run(
        wrk_command(url, token, connections, seconds),
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"wrk exited with {proc.returncode}: {proc.stderr[-500:]}")
    return parse_wrk(proc.stdout), proc.stdout


# --- memory ---------------------------------------------------------------------------------


def parse_pss_kb(smaps_rollup: str) -> int:
    """The `Pss:` line of /proc/PID/smaps_rollup, in kB (not Pss_Anon, Pss_File...)."""
    for line in smaps_rollup.splitlines():
        name, _, rest = line.partition(":")
        if name == "Pss":
            return int(rest.split()[0])
    raise ValueError("no Pss line")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return sorted(found)


def server_pss(master_pid: int) -> dict:
    """PSS in MB of a server's master and of each of its direct children (the workers)."""

    def pss_mb(pid: int) -> float:
        return round(parse_pss_kb(Path(f"/proc/{pid}/smaps_rollup").read_text()) / 1024, 1)

    workers = {}
    for pid in children(master_pid):
        try:
            workers[pid] = pss_mb(pid)
        except (OSError, ValueError):
            continue  # recycled meanwhile
    return {
        "master_pid": master_pid,
        "master_mb": pss_mb(master_pid),
        "workers_mb": workers,
        "workers_total_mb": round(sum(workers.values()), 1),
    }


# --- the app under test ---------------------------------------------------------------------


class ProductionServer(Gunicorn):
    """The Procfile's web process at its defaults; only the bind (and what is asked) overridden.

    That is `python -m inventory_project.server` (granian); a commit from before it existed
    (`--app-ref`) runs gunicorn with its own gunicorn.conf.py, as its Procfile did.
    """

    def __init__(self, app_venv: Path, env: dict[str, str], log_path: Path, **options) -> None:
        self.port = options.get("port") or free_port()
        self.log_path = log_path
        app_dir = Path(env["BENCH_APP_DIR"])
        bind = f"{HOST}:{self.port}"
        self.env = {**env, "WEB_BIND": bind, "GUNICORN_BIND": bind}
        if (app_dir / "inventory_project" / "server.py").exists():
            self.cmd = [str(app_venv / "bin" / "python"), "-m", "inventory_project.server"]
            if options.get("workers"):
                self.env["WEB_CONCURRENCY"] = str(options["workers"])
        else:
            self.cmd = [
                str(app_venv / "bin" / "gunicorn"),
                "inventory_project.wsgi:application",
                "--config",
                str(app_dir / "gunicorn.conf.py"),
                "--bind",
                bind,
            ]
            if options.get("workers"):
                self.cmd += ["--workers", str(options["workers"])]
            if options.get("no_recycle"):
                self.cmd += ["--max-requests", "0"]
        self.proc = None
        self._log = None


def write_csv_files(folder: Path) -> dict[str, Path]:
    """The item master and a stock count of every item at every location."""
    items, stock = folder / "items.csv", folder / "stock.csv"
    with items.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["sku", "name", "category", "uom", "reorder_min", "reorder_max", "par_level", "active"]
        )
        for n in range(ITEMS):
            active = "false" if n % 25 == 24 else "true"
            writer.writerow(
                [f"SKU-{n:06d}", f"Item {n:04d}", f"Category {n % 12}", "each", 5, 50, 20, active]
            )
    with stock.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["sku", "location", "quantity"])
        for n in range(ITEMS):
            for loc in range(LOCATIONS):
                writer.writerow([f"SKU-{n:06d}", f"LOC-{loc:02d}", f"{(n * 7 + loc * 13) % 97}.5"])
    return {"items": items, "stock": stock}


def seed(python: str, env: dict[str, str], folder: Path) -> dict:
    timings = {}
    t0 = time.monotonic()
    run_checked([python, "manage.py", "migrate", "--no-input", "-v", "0"], env, "migrate")
    timings["migrate_s"] = round(time.monotonic() - t0, 1)
    script = VIEWER_SCRIPT.format(email=VIEWER_EMAIL, password=VIEWER_PASSWORD)
    run_checked([python, "manage.py", "shell", "-c", script], env, "create viewer")
    files = write_csv_files(folder)
    for command, name in (("import_items", "items"), ("import_inventory", "stock")):
        t0 = time.monotonic()
        out = run_checked(
            [python, "manage.py", command, str(files[name]), "--no-progress"], env, command
        )
        timings[f"{command}_s"] = round(time.monotonic() - t0, 1)
        print(" ".join(out.split()), flush=True)
    return timings


# --- the runs -------------------------------------------------------------------------------


def check_route(base_url: str, token: str, route: Route) -> tuple[str | None, str]:
    """(what is wrong or None, X-Cache of the last answer); two GETs, so a miss fills the cache."""
    parts = urlsplit(base_url)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    prefix = parts.path.rstrip("/")
    x_cache = "-"
    for _ in range(2):
        conn = connection_class(parts.hostname, parts.port, timeout=CHECK_TIMEOUT_S)
        try:
            conn.request(
                "GET",
                prefix + route.path,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            return f"{type(exc).__name__}: {exc}", x_cache
        finally:
            conn.close()
        x_cache = response.getheader("X-Cache") or "-"
        if response.status != 200:
            return f"HTTP {response.status}: {body[:200]!r}", x_cache
        try:
            success = json.loads(body).get("success")
        except (ValueError, AttributeError):
            return f"not a JSON envelope: {body[:200]!r}", x_cache
        if success is not True:
            return f"success is {success!r}: {body[:200]!r}", x_cache
        if route.uncached and x_cache == "HIT":
            return "X-Cache HIT on a route that must not be cached", x_cache
    return None, x_cache


def measure(args: argparse.Namespace, base_url: str, token: str, routes: list[Route]) -> list:
    rows = []
    for route in routes:
        problem, x_cache = check_route(base_url, token, route)
        if problem:
            print(f"!! {route.path}: FAILED CHECK, not timed: {problem}", flush=True)
            rows.append({"route": route.path, "check": problem, "x_cache": x_cache, "runs": []})
            continue
        url = base_url.rstrip("/") + route.path
        runs = []
        for connections in args.connections:
            quiet = (
                wait_for_quiet(args.quiet_wait, args.quiet_threshold) if args.quiet_wait else None
            )
            if args.warmup > 0:
                run_wrk(url, token, connections, args.warmup)
            result, raw = run_wrk(url, token, connections, args.duration)
            runs.append({"connections": connections, **asdict(result), "quiet": quiet, "raw": raw})
            flag = "" if result.valid else "   !! INVALID: errors below"
            print(
                f"  {route.path} c={connections}: {result.rps:.1f} req/s, p50 "
                f"{result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms{flag}",
                flush=True,
            )
            if not result.valid:
                print(
                    f"!! {route.path} c={connections}: {result.non_2xx} non-2xx answers, socket "
                    f"errors {result.socket_errors}: this figure is NOT valid",
                    flush=True,
                )
        # Which answer the load got: with several workers each has its own in-process cache,
        # so the check above may see a MISS where the load saw HITs.
        after, x_cache_after = check_route(base_url, token, route)
        if after:
            print(f"!! {route.path}: FAILED CHECK after the load: {after}", flush=True)
        rows.append(
            {
                "route": route.path,
                "check": None,
                "x_cache": x_cache_after,
                "check_after": after,
                "runs": runs,
            }
        )
    return rows


def print_table(report: dict) -> None:
    print()
    print(f"== {report['target']} | {report['machine']['cpus']} CPUs | {report['uptime_before']}")
    if report.get("pss"):
        pss = report["pss"]
        print(
            f"workers total MB PSS: {pss['workers_total_mb']} ({len(pss['workers_mb'])} workers: "
            f"{', '.join(str(v) for v in pss['workers_mb'].values())}); "
            f"master {pss['master_mb']} MB PSS"
        )
    header = (
        f"{'route':<44} {'c':>3} {'rps':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}  X-Cache"
    )
    print(header)
    print("-" * len(header))
    for row in report["routes"]:
        if row["check"]:
            print(f"{row['route']:<44} FAILED CHECK: {row['check']}")
            continue
        for run in row["runs"]:
            errors = run["non_2xx"] + sum(run["socket_errors"].values())
            mark = "" if errors == 0 else "  !! INVALID"
            print(
                f"{row['route']:<44} {run['connections']:>3} {run['rps']:>9.1f} "
                f"{run['p50_ms']:>8.2f} {run['p99_ms']:>8.2f} {errors:>8}  {row['x_cache']}{mark}"
            )
    print("non-2xx: answers with a status above 399 plus socket errors (wrk); 0 or INVALID.")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def run(args: argparse.Namespace) -> dict:
    report: dict = {
        "command": " ".join(["bench/bench_routes.py", *sys.argv[1:]]),
        "machine": {
            "cpus": os.cpu_count(),
            "cpu_model": cpu_model(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "uptime_before": uptime(),
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "connections": args.connections,
    }
    if args.base_url:
        report["target"] = args.base_url
        report["routes"] = measure(
            args, args.base_url, args.token, build_routes(args.sku, args.location)
        )
        if args.server_pid:
            report["pss"] = server_pss(args.server_pid)
        report["uptime_after"] = uptime()
        return report

    database = SqliteDatabase() if args.db == "sqlite" else PostgresDatabase(args.pg_url)
    app_venv = Path(args.app_venv)
    server = None
    work_dir = Path(tempfile.mkdtemp(prefix="inventory-bench-routes-"))
    try:
        app_dir, app = prepare_app(args.app_ref, work_dir)
        report["app"] = app
        print(f"app: {app}", flush=True)
        database.create()
        report["database"] = database.version()
        env = build_env(args, database.url, app_dir)
        report["seed_s"] = seed(str(app_venv / "bin" / "python"), env, work_dir)
        server = ProductionServer(
            app_venv,
            env,
            work_dir / "server.log",
            port=args.port,
            workers=args.workers,
            no_recycle=args.no_recycle,
        )
        server.start()
        report["server"] = {
            "command": " ".join(server.cmd),
            "app_venv": str(app_venv),
            "redis": bool(args.redis_url),
        }
        base_url = f"http://{HOST}:{server.port}"
        report["target"] = f"{report['database']} | {app.get('commit') or app.get('head')}"
        token = login(server.port, VIEWER_EMAIL, VIEWER_PASSWORD)
        report["routes"] = measure(args, base_url, token, build_routes(BENCH_SKU, BENCH_LOCATION))
        if server.proc is None or server.proc.poll() is not None:
            raise SystemExit(f"the server died during the run:\n{server.log_tail()}")
        report["pss"] = server_pss(server.proc.pid)
        report["uptime_after"] = uptime()
        return report
    finally:
        if server is not None:
            server.stop()
        database.drop()
        shutil.rmtree(work_dir, ignore_errors=True)


# --- arguments ------------------------------------------------------------------------------


def parse_connections(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not values or not all(1 <= v <= 10_000 for v in values):
        raise argparse.ArgumentTypeError("connections must be between 1 and 10000")
    return values


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the API's read routes with wrk, on this app or any server."
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_ROUTES_PG_URL, help="created and dropped")
    parser.add_argument("--redis-url", default="", help="REDIS_URL of the app (default none)")
    parser.add_argument("--app-ref", help="benchmark this git commit instead of the working tree")
    parser.add_argument(
        "--app-venv",
        default=str(DEFAULT_APP_VENV),
        help="the virtualenv whose python (and server) run the app and its manage.py",
    )
    parser.add_argument("--port", type=int, help="fixed port for the server (default: a free one)")
    parser.add_argument("--workers", type=int, help="override the server's worker count")
    parser.add_argument(
        "--no-recycle", action="store_true", help="--max-requests 0: no worker recycling"
    )
    parser.add_argument("--base-url", help="benchmark this server instead; no database, no seed")
    parser.add_argument("--token", help="bearer token for --base-url")
    parser.add_argument("--sku", help="an existing SKU on --base-url")
    parser.add_argument("--location", help="an existing location code on --base-url")
    parser.add_argument("--server-pid", type=int, help="with --base-url: its master's PID, for PSS")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of wrk before each run")
    parser.add_argument(
        "--connections", type=parse_connections, default=[32, 8], help='e.g. "32,8"'
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        help="before each wrk run, wait up to this many seconds for an idle machine",
    )
    parser.add_argument("--quiet-threshold", type=float, default=15.0, help="%% of all cores")
    parser.add_argument("--json", dest="json_path", help="also write every figure to this file")
    args = parser.parse_args(argv)
    if args.base_url:
        missing = [f"--{n}" for n in ("token", "sku", "location") if not getattr(args, n)]
        if missing:
            parser.error(f"--base-url needs {', '.join(missing)}")
        if urlsplit(args.base_url).scheme not in ("http", "https"):
            parser.error("--base-url must be an http:// or https:// URL")
        if args.app_ref or args.workers or args.no_recycle or args.port:
            parser.error("--app-ref, --workers, --no-recycle and --port need no --base-url")
    elif args.server_pid:
        parser.error("--server-pid is only for --base-url (the script knows its own server)")
    if not 1 <= args.duration <= 600:
        parser.error("--duration must be between 1 and 600 seconds")
    if not 0 <= args.warmup <= 60:
        parser.error("--warmup must be between 0 and 60 seconds")
    if not 0 <= args.quiet_wait <= 600:
        parser.error("--quiet-wait must be between 0 and 600 seconds")
    if args.redis_url:
        check_loopback_url(args.redis_url)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    report = run(args)
    print_table(report)
    if args.json_path:
        path = Path(args.json_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
