"""Benchmark GET /api/items and GET /api/inventory (whole lists and 100-row pages) over HTTP.

One run, on one database:

1. creates a fresh database (a SQLite file in a temporary folder, or a dedicated PostgreSQL
   database whose name must contain "bench"), runs ``manage.py migrate`` and seeds it with
   ``bench/seed.py`` (2,000 items, 10 locations, 20,000 stock rows, one ledger row each);
2. times, in a separate Django process, the server-side work for each whole list (SQL fetch,
   ORM values, dict building, JSON rendering, and the whole view through Django's test Client);
3. starts gunicorn on 127.0.0.1 with DEBUG off, signs in as the seeded viewer, warms up, then
   sends a bounded number of requests per endpoint from C keep-alive client threads, checking
   each answer (200, ``success`` true, expected ``count`` and number of rows);
4. prints the tables (and writes them as JSON with ``--json``), stops gunicorn and drops the
   database, whatever happened.

All traffic goes to 127.0.0.1; every loop is bounded in count and in time.

    .venv/bin/python bench/bench_api_lists.py --db sqlite
    .venv/bin/python bench/bench_api_lists.py --db postgres --json bench/results/pg.json
"""

import argparse
import gc
import http.client
import io
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import statistics
import string
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import orjson

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = REPO_ROOT / ".venv" / "bin"
SEED_SCRIPT = Path(__file__).resolve().parent / "seed.py"
# Where the app under test lives: this working tree, or a commit exported by --app-ref.
APP_DIR = Path(os.environ.get("BENCH_APP_DIR") or REPO_ROOT)
HOST = "127.0.0.1"
LOOPBACK_NAMES = {"127.0.0.1"}  # the only host this benchmark talks to
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/inventory_bench"

ITEMS = 2000
LOCATIONS = 10
STOCK_RECORDS = 20000
PAGE = 100

SUBPROCESS_TIMEOUT_S = 300
SERVER_START_TIMEOUT_S = 60
SERVER_STOP_TIMEOUT_S = 30
REQUEST_TIMEOUT_S = 60
SERIAL_REQUESTS = 10


@dataclass(frozen=True)
class Endpoint:
    path: str
    expected_count: int  # "count" in the envelope: every matching row
    expected_rows: int  # rows in "data"
    full: bool


ENDPOINTS = (
    # The v20 form of the item list is served from the response cache (X-Cache: HIT/MISS).
    Endpoint("/api/items", ITEMS, ITEMS, True),
    # Same rows, same order, but a query the cache does not serve (X-Cache: BYPASS): the cost
    # of building the whole item list on every request.
    Endpoint("/api/items?ordering=name", ITEMS, ITEMS, True),
    # The whole stock list: cached too since the list cache covers it; ordering bypasses it.
    Endpoint("/api/inventory", STOCK_RECORDS, STOCK_RECORDS, True),
    Endpoint("/api/inventory?ordering=item_name", STOCK_RECORDS, STOCK_RECORDS, True),
    Endpoint(f"/api/items?limit={PAGE}", ITEMS, PAGE, False),
    Endpoint(f"/api/inventory?limit={PAGE}", STOCK_RECORDS, PAGE, False),
)


@dataclass
class LoadResult:
    endpoint: str
    concurrency: int
    requests: int = 0
    errors: int = 0
    wall_s: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    size_bytes: int = 0
    check_cpu_ms_per_request: float = 0.0
    client_cpu_s: float = 0.0
    server_cpu_s: float = 0.0  # gunicorn master + workers
    machine_busy_s: float = 0.0  # every process on the machine
    db_cpu_s: float = 0.0  # PostgreSQL server processes (0 on SQLite: it runs in gunicorn)
    redis_cpu_s: float = 0.0  # redis-server, with --redis-url
    server_cpu_ms_per_request: float = 0.0
    db_cpu_ms_per_request: float = 0.0
    redis_cpu_ms_per_request: float = 0.0
    other_cpu_pct: float = 0.0  # busy CPU of anything else (interference), % of all cores
    x_cache: dict[str, int] = field(default_factory=dict)
    stopped_by_deadline: bool = False
    error_samples: list[str] = field(default_factory=list)


# --- helpers ----------------------------------------------------------------------------------


def random_secret(length: int = 50) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list (+0.4999: ceil, float-safe)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(pct / 100 * len(sorted_values) + 0.4999)))
    return sorted_values[rank - 1]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CPUS = os.cpu_count() or 1


def machine_busy_seconds() -> float:
    """CPU seconds spent busy (not idle, not waiting for I/O) by the whole machine so far."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def process_cpu_seconds(
    server_pid: int | None, db_name: str | None, redis: bool
) -> dict[tuple[str, int], float]:
    """CPU seconds (user + system) so far of the processes serving the benchmark, by kind.

    Only reads /proc. "app" is gunicorn (the master and its direct children); "db" each
    PostgreSQL backend whose title names the bench database ("postgres: ... inventory_bench
    127.0.0.1(...)"); "redis" every redis-server (with --redis-url; it may serve others too).
    """
    found: dict[tuple[str, int], float] = {}
    marker = f" {db_name} ".encode() if db_name else None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            seconds = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            if server_pid and server_pid in (pid, int(fields[1])):
                found["app", pid] = seconds
            elif marker and "(postgres)" in stat and marker in (entry / "cmdline").read_bytes():
                found["db", pid] = seconds
            elif redis and "(redis-server)" in stat:
                found["redis", pid] = seconds
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not ours to read
    return found


class CpuSampler:
    """CPU seconds by kind (see `process_cpu_seconds`) spent while it runs.

    Samples /proc every `interval` seconds and adds up each process's growth between samples,
    so a process that ends meanwhile (a PostgreSQL backend closed at DB_CONN_MAX_AGE and
    replaced) loses at most one interval. Processes started meanwhile count in full.
    """

    def __init__(self, server_pid, db_name, redis, *, interval=0.5, max_seconds=900.0):
        self.args = (server_pid, db_name, redis)
        self.interval = interval
        self.max_samples = int(max_seconds / interval) + 1
        self.spent = {"app": 0.0, "db": 0.0, "redis": 0.0}
        self.own_cpu_s = 0.0  # this sampler's own CPU (it runs in the client's process)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._first: dict = {}
        self._last: dict | None = None

    def _add(self, before, after):
        for key, seconds in after.items():
            self.spent[key[0]] += max(seconds - before.get(key, 0.0), 0.0)

    def _run(self):
        started = time.thread_time()
        previous = self._first
        for _ in range(self.max_samples):
            if self._stop.wait(self.interval):
                break
            current = process_cpu_seconds(*self.args)
            self._add(previous, current)
            previous = current
        self._last = previous
        self.own_cpu_s = time.thread_time() - started

    def __enter__(self):
        self._first = process_cpu_seconds(*self.args)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=30)
        if self._last is not None:
            self._add(self._last, process_cpu_seconds(*self.args))


def wait_for_quiet(max_wait_s: float, threshold_pct: float) -> tuple[float, float]:
    """Wait (at most `max_wait_s`) until the machine is nearly idle; (seconds waited, busy %).

    Other processes on a shared 2-core machine (a test run, say) take CPU from the server
    under test; this lets a measurement start when they are done. Samples of 0.5 s.
    """
    started = time.monotonic()
    busy_pct = 0.0
    for _ in range(int(max_wait_s / 0.5) + 1):
        before = machine_busy_seconds()
        time.sleep(0.5)
        busy_pct = 100 * (machine_busy_seconds() - before) / (0.5 * CPUS)
        if busy_pct < threshold_pct or time.monotonic() - started >= max_wait_s:
            break
    return round(time.monotonic() - started, 1), round(busy_pct, 1)


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def run_checked(cmd: list[str], env: dict[str, str], label: str) -> str:
    """Run a command to completion (bounded by a timeout); stdout on success, exit on failure."""
    proc = subprocess.run(
        cmd,
        cwd=env.get("BENCH_APP_DIR", REPO_ROOT),
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"{label} failed with exit code {proc.returncode}")
    return proc.stdout


def check_loopback_url(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK_NAMES:
        raise SystemExit(f"Refusing {url!r}: the benchmark only talks to 127.0.0.1.")


# --- databases --------------------------------------------------------------------------------


class SqliteDatabase:
    vendor = "sqlite"

    def __init__(self) -> None:
        self.folder: str | None = None
        self.url = ""

    def create(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="inventory-bench-")
        self.url = f"sqlite:///{self.folder}/bench.sqlite3"

    def version(self) -> str:
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"

    def drop(self) -> None:
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


class PostgresDatabase:
    vendor = "postgres"

    def __init__(self, url: str) -> None:
        check_loopback_url(url)
        parts = urlsplit(url)
        self.name = parts.path.lstrip("/")
        if "bench" not in self.name or not self.name.replace("_", "").isalnum():
            raise SystemExit(
                f"Refusing database {self.name!r}: the benchmark creates and drops it, so its "
                "name must contain 'bench' (letters, digits and _ only)."
            )
        self.url = url
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        self.created = False

    def _admin(self, statement, *params):
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            cursor = conn.execute(statement, params or None)
            return cursor.fetchall() if cursor.description else []

    def create(self) -> None:
        from psycopg import sql

        name = sql.Identifier(self.name)
        # A database left by an interrupted run is this benchmark's own: start afresh.
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        self._admin(sql.SQL("CREATE DATABASE {}").format(name))
        self.created = True

    def version(self) -> str:
        return "PostgreSQL " + self._admin("SHOW server_version")[0][0]

    def drop(self) -> None:
        if self.created:
            from psycopg import sql

            self._admin(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
            self.created = False


# --- the server -------------------------------------------------------------------------------


def _gunicorn_config(app_dir: Path) -> list[str]:
    """The commit's own gunicorn.conf.py if it has one (it was the production server's until
    granian replaced it); else gunicorn's defaults with the import-sized time-out it had."""
    config = app_dir / "gunicorn.conf.py"
    return ["--config", str(config)] if config.exists() else ["--timeout", "300"]


class Gunicorn:
    def __init__(self, args: argparse.Namespace, env: dict[str, str], log_path: Path) -> None:
        # A fixed port (`args.port`) where the machine is shared and ports are shared out.
        self.port = getattr(args, "port", None) or free_port()
        self.log_path = log_path
        self.cmd = [
            str(VENV_BIN / "gunicorn"),
            "inventory_project.wsgi:application",
            *_gunicorn_config(Path(env["BENCH_APP_DIR"])),
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            # No worker recycling in the middle of a measurement.
            "--max-requests",
            "0",
        ]
        self.env = {**env, "GUNICORN_BIND": f"{HOST}:{self.port}"}
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> None:
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=self.env["BENCH_APP_DIR"],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        for _ in range(int(SERVER_START_TIMEOUT_S / 0.2)):
            if time.monotonic() > deadline:
                break
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/api/health")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer within {SERVER_START_TIMEOUT_S}s")

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=SERVER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: only its workers
                self.proc.wait(timeout=10)
        self.proc = None
        if self._log is not None:
            self._log.close()


# --- the client -------------------------------------------------------------------------------


def login(port: int, email: str, password: str) -> str:
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        body = json.dumps({"email": email, "password": password})
        conn.request("POST", "/api/auth/login", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise SystemExit(f"login failed: {response.status} {data[:300]!r}")
    return orjson.loads(data)["data"]["token"]


ENVELOPE_START = b'{"success":true,"data":['


def check_body(endpoint: Endpoint, status: int, body: bytes, *, parse: bool) -> str | None:
    """None when the answer is what the endpoint must answer, else what is wrong.

    With `parse` the body is decoded and checked field by field. Without it the same facts are
    checked on the bytes the orjson renderer writes (envelope start, `"count":N` after the data,
    one `{"id":` per row), which costs a few ms instead of ~70 ms for 20,000 rows: on a 2-core
    machine the client's CPU is taken from the server under test.
    """
    if status != 200:
        return f"HTTP {status}: {body[:200]!r}"
    if not parse:
        if not body.startswith(ENVELOPE_START):
            return f"unexpected start {body[:60]!r}"
        if b'],"count":%d' % endpoint.expected_count not in body[-100:]:
            return f"count {endpoint.expected_count} not found in {body[-100:]!r}"
        rows = body.count(b'{"id":')
        if rows != endpoint.expected_rows:
            return f"{rows} rows != {endpoint.expected_rows}"
        return None
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return f"invalid JSON: {exc}"
    if doc.get("success") is not True:
        return f"success is {doc.get('success')!r}"
    if doc.get("count") != endpoint.expected_count:
        return f"count {doc.get('count')!r} != {endpoint.expected_count}"
    if len(doc.get("data") or ()) != endpoint.expected_rows:
        return f"{len(doc.get('data') or ())} rows != {endpoint.expected_rows}"
    return None


def load(
    port: int,
    token: str,
    endpoint: Endpoint,
    *,
    requests: int,
    concurrency: int,
    max_seconds: float,
    full_check: bool = False,
    server_pid: int | None = None,
    db_name: str | None = None,
    redis: bool = False,
) -> LoadResult:
    """Send `requests` GETs over `concurrency` keep-alive connections; stop at the deadline."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    sizes: list[int] = []
    errors: list[str] = []
    check_cpu: list[float] = []
    x_cache: dict[str, int] = {}
    deadline = time.monotonic() + max_seconds
    finished_at = [0.0]

    def worker() -> None:
        nonlocal issued
        conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
        parse = True  # each client decodes its first answer in full, then as --check says
        try:
            while time.monotonic() < deadline:
                with lock:
                    if issued >= requests:
                        return
                    issued += 1
                t0 = time.perf_counter()
                try:
                    # http.client reopens the connection itself if the server closed it.
                    conn.request("GET", endpoint.path, headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    status = response.status
                    cache_state = response.getheader("X-Cache", "-")
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                t1 = time.perf_counter()
                c0 = time.thread_time()
                problem = check_body(endpoint, status, body, parse=parse)
                spent = time.thread_time() - c0
                parse = full_check
                with lock:
                    latencies.append(t1 - t0)
                    sizes.append(len(body))
                    check_cpu.append(spent)
                    x_cache[cache_state] = x_cache.get(cache_state, 0) + 1
                    finished_at[0] = max(finished_at[0], t1)
                    if problem:
                        errors.append(problem)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    client_before = own_cpu_seconds()
    with CpuSampler(server_pid, db_name, redis, max_seconds=max_seconds + 120) as sampler:
        busy_before = machine_busy_seconds()
        started = time.perf_counter()
        finished_at[0] = started
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max_seconds + REQUEST_TIMEOUT_S + 5)
        busy_after = machine_busy_seconds()

    result = LoadResult(endpoint=endpoint.path, concurrency=concurrency)
    result.machine_busy_s = round(busy_after - busy_before, 2)
    # The sampler thread runs in this process: its CPU is not the client's.
    result.client_cpu_s = round(own_cpu_seconds() - client_before - sampler.own_cpu_s, 2)
    spent = sampler.spent
    result.server_cpu_s = round(spent["app"], 2)
    result.db_cpu_s = round(spent["db"], 2)
    result.redis_cpu_s = round(spent["redis"], 2)
    with lock:
        ordered = sorted(latencies)
        result.requests = len(latencies)
        result.errors = len(errors)
        result.error_samples = list(dict.fromkeys(errors))[:5]
        result.x_cache = dict(sorted(x_cache.items()))
        result.stopped_by_deadline = issued < requests
        result.wall_s = finished_at[0] - started
        result.size_bytes = int(statistics.median(sizes)) if sizes else 0
        result.check_cpu_ms_per_request = 1000 * statistics.fmean(check_cpu) if check_cpu else 0.0
    if result.wall_s > 0:
        result.rps = result.requests / result.wall_s
        other = result.machine_busy_s - result.client_cpu_s - result.server_cpu_s - result.db_cpu_s
        result.other_cpu_pct = round(100 * max(other, 0.0) / (result.wall_s * CPUS), 1)
    if result.requests:
        result.server_cpu_ms_per_request = round(1000 * result.server_cpu_s / result.requests, 1)
        result.db_cpu_ms_per_request = round(1000 * result.db_cpu_s / result.requests, 1)
        result.redis_cpu_ms_per_request = round(1000 * result.redis_cpu_s / result.requests, 2)
    result.p50_ms = 1000 * percentile(ordered, 50)
    result.p95_ms = 1000 * percentile(ordered, 95)
    result.p99_ms = 1000 * percentile(ordered, 99)
    result.max_ms = 1000 * (ordered[-1] if ordered else 0.0)
    return result


# --- in-process timing (runs in its own Django process) ---------------------------------------


def inprocess_timings(repeats: int, email: str, password: str) -> dict:
    """Median time of each phase of building a whole list, and of the whole view, in-process."""
    sys.path.insert(0, str(APP_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_project.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from inventory.selectors import STOCK_COLUMNS, stock_queryset
    from inventory_project.api.renderers import dumps
    from items.selectors import ITEM_COLUMNS, item_queryset

    client = Client(SERVER_NAME=HOST)  # ALLOWED_HOSTS is 127.0.0.1 only
    answer = client.post(
        "/api/auth/login", {"email": email, "password": password}, content_type="application/json"
    )
    if answer.status_code != 200:
        raise SystemExit(f"in-process login failed: {answer.status_code} {answer.content[:300]!r}")
    auth = f"Bearer {answer.json()['data']['token']}"

    def median_ms(fn) -> tuple[float, object]:
        value = fn()  # warm-up (connection, caches, first-call imports)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            value = fn()
            times.append(time.perf_counter() - t0)
        return round(1000 * statistics.median(times), 2), value

    def fetch_raw(sql: str, params) -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def view(path: str):
        response = client.get(path, HTTP_AUTHORIZATION=auth)
        if response.status_code != 200:
            raise SystemExit(f"in-process {path}: {response.status_code}")
        return response

    def view_stats(path: str) -> dict:
        view_ms, response = median_ms(lambda: view(path))
        with CaptureQueriesContext(connection) as queries:
            view(path)
        return {
            "ms": view_ms,
            "queries": len(queries.captured_queries),
            "x_cache": response.get("X-Cache", "-"),
            "bytes": len(response.content),
        }

    results = {}
    for name, columns, queryset, uncached_path, cached_path in (
        ("items", ITEM_COLUMNS, item_queryset, "/api/items?ordering=name", "/api/items"),
        (
            "inventory",
            STOCK_COLUMNS,
            stock_queryset,
            "/api/inventory?ordering=item_name",
            "/api/inventory",
        ),
    ):
        # The views first, while the process holds no big lists: a heap full of the phases'
        # 20,000-row results would slow the views down through the garbage collector.
        gc.collect()
        uncached = view_stats(uncached_path)
        cached = view_stats(cached_path) if cached_path else None
        sql, params = columns.select(queryset()).query.sql_with_params()
        sql_ms, raw = median_ms(lambda sql=sql, params=params: fetch_raw(sql, params))
        row_count = len(raw)
        del raw
        orm_ms, tuples = median_ms(lambda c=columns, q=queryset: list(c.select(q())))
        rows_ms, rows = median_ms(lambda c=columns, t=tuples: c.rows(t))
        del tuples
        render_ms, body = median_ms(
            lambda r=rows: dumps({"success": True, "data": r, "count": len(r)})
        )
        del rows
        results[name] = {
            "rows": row_count,
            "sql_fetch_ms": sql_ms,
            "orm_values_ms": orm_ms,
            "build_dicts_ms": rows_ms,
            "render_json_ms": render_ms,
            "rendered_bytes": len(body),
            "uncached_path": uncached_path,
            "view_uncached": uncached,
            # What the view adds to building the list: auth, permissions, middleware, response.
            "view_overhead_ms": round(uncached["ms"] - orm_ms - rows_ms - render_ms, 2),
            "cached_path": cached_path,
            "view_cached": cached,
        }
    return results


# --- the app under test -----------------------------------------------------------------------


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO_ROOT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()


def prepare_app(ref: str | None, work_dir: Path) -> tuple[Path, dict]:
    """The folder to run the app from, and which code it is.

    Without a ref, this working tree (others may be editing it meanwhile). With one, that commit
    exported by `git archive` into `work_dir`: the numbers then belong to exactly that commit.
    """
    if not ref:
        modified = git("status", "--porcelain", "--untracked-files=no")
        return REPO_ROOT, {
            "source": "working tree",
            "head": git("rev-parse", "HEAD"),
            "modified_tracked_files": bool(modified),
        }
    commit = git("rev-parse", "--verify", f"{ref}^{{commit}}")
    target = work_dir / "app"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", commit],
        capture_output=True,
        timeout=120,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target, {"source": "exported commit", "ref": ref, "commit": commit}


# --- the run ----------------------------------------------------------------------------------


# Variables the app (or gunicorn.conf.py) reads: never inherited from the caller's shell.
APP_ENV_PREFIXES = (
    "DJANGO_",
    "GUNICORN_",
    "CACHE_",
    "RATE_LIMIT",
    "LOGIN_RATE_LIMIT",
    "DB_",
    "LOG_",
    "JWT_",
    "API_",
    "SECURE_",
)


def build_env(args: argparse.Namespace, database_url: str, app_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # The app's own defaults, as in production: INFO logs (one JSON access line per
        # request, into the server log file), and nothing else inherited that changes the run.
        if key not in {"DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY", "TRUSTED_PROXY_IP_HEADER"}
        and not key.startswith(APP_ENV_PREFIXES)
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "inventory_project.settings",
            "BENCH_APP_DIR": str(app_dir),
            "DATABASE_URL": database_url,
            # Explicitly empty: the in-process cache, unless --redis-url says otherwise.
            "REDIS_URL": args.redis_url or "",
            # A Redis may be shared: keep the benchmark's keys (they expire by themselves) apart.
            "CACHE_KEY_PREFIX": f"inventory-bench-{secrets.token_hex(4)}",
            "DEBUG": "false",
            "SECRET_KEY": random_secret(50),
            # DEBUG off also requires a strong JWT secret (system check accounts.E001).
            "JWT_SECRET": random_secret(50),
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "false",
            # The limiter still counts every request (its cost is measured) but never trips:
            # the default (1000 per 5 min per user) would answer 429 mid-benchmark.
            "RATE_LIMIT_MAX_AUTH": "100000000",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def print_tables(report: dict) -> None:
    print()
    print(
        f"== {report['database']} | gunicorn {report['server']['worker_class']} "
        f"x{report['server']['workers']} workers, {report['server']['threads']} thread(s) | "
        f"{report['machine']['cpus']} CPUs | check {report['check']} | load before "
        f"{report['machine']['loadavg_before'][0]} =="
    )
    app = report["app"]
    print(f"app: {app['source']} {app.get('commit') or app.get('head')}")
    header = (
        f"{'endpoint':<28} {'conc':>4} {'requests':>8} {'errors':>6} {'req/s':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'size KB':>8} {'app ms/req':>10} "
        f"{'db ms/req':>9} {'client':>6} {'other':>6}  X-Cache"
    )
    redis = report["server"]["redis"]
    if redis:
        header = header.replace(" client", " redis ms/req  client")
    print(header)
    print("-" * len(header))
    for row in report["load"]:
        cells = [
            f"{row['endpoint']:<28} {row['concurrency']:>4} {row['requests']:>8}",
            f"{row['errors']:>6} {row['rps']:>8.1f} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f}",
            f"{row['p99_ms']:>8.1f} {row['size_bytes'] / 1024:>8.1f}",
            f"{row['server_cpu_ms_per_request']:>10.1f} {row['db_cpu_ms_per_request']:>9.1f}",
        ]
        if redis:
            cells.append(f"{row['redis_cpu_ms_per_request']:>12.2f}")
        cells += [
            f"{100 * row['client_cpu_s'] / max(row['wall_s'], 1e-9) / CPUS:>5.0f}%",
            f"{row['other_cpu_pct']:>5.0f}% ",
            " ".join(f"{k}:{v}" for k, v in row["x_cache"].items()),
        ]
        if row["stopped_by_deadline"]:
            cells.append("(stopped at --max-seconds)")
        print(" ".join(cells))
    print(
        "app/db/redis ms/req: CPU of gunicorn / PostgreSQL backends / redis-server per request; "
        "client, other: CPU of this client and of anything else, in % of all cores."
    )
    print()
    print(f"In-process, one whole list (median of {report['inprocess_repeats']}, ms):")
    header = (
        f"{'list':<10} {'rows':>6} {'SQL fetch':>9} {'ORM vals':>9} {'dicts':>6} {'render':>7} "
        f"{'view':>7} {'queries':>7} {'HTTP c=1':>8} | {'view HIT':>8} {'HTTP c=1':>8}"
    )
    print(header)
    print("-" * len(header))
    serial = report["serial_p50_ms"]
    for name, row in report["inprocess"].items():
        cached = row["view_cached"]
        hit = f"{cached['ms']:>8.1f} {serial.get(row['cached_path'], 0.0):>8.1f}" if cached else ""
        print(
            f"{name:<10} {row['rows']:>6} {row['sql_fetch_ms']:>9.1f} {row['orm_values_ms']:>9.1f} "
            f"{row['build_dicts_ms']:>6.1f} {row['render_json_ms']:>7.1f} "
            f"{row['view_uncached']['ms']:>7.1f} {row['view_uncached']['queries']:>7} "
            f"{serial.get(row['uncached_path'], 0.0):>8.1f} | {hit}"
        )
    print(
        "view: the whole uncached view through Django's test Client (items: ?ordering=name); "
        "view HIT: /api/items from the response cache; HTTP c=1: p50 over gunicorn, one client."
    )
    for row in report["load"]:
        for sample in row["error_samples"]:
            print(f"error on {row['endpoint']}: {sample}")


def run(args: argparse.Namespace) -> dict:
    database = SqliteDatabase() if args.db == "sqlite" else PostgresDatabase(args.pg_url)
    python = str(VENV_BIN / "python")
    server: Gunicorn | None = None
    work_dir = Path(tempfile.mkdtemp(prefix="inventory-bench-work-"))
    timings: dict[str, float] = {}
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.monotonic()
    try:
        app_dir, app = prepare_app(args.app_ref, work_dir)
        print(f"app: {app}", flush=True)
        t0 = time.monotonic()
        database.create()
        env = build_env(args, database.url, app_dir)
        run_checked([python, "manage.py", "migrate", "--no-input", "-v", "0"], env, "migrate")
        timings["migrate_s"] = round(time.monotonic() - t0, 1)

        t0 = time.monotonic()
        seeded = json.loads(
            run_checked(
                [python, str(SEED_SCRIPT), "--items", str(ITEMS)]
                + ["--locations", str(LOCATIONS), "--stock-records", str(STOCK_RECORDS)]
                + ["--user-email", args.user_email, "--user-password", args.user_password],
                env,
                "seed",
            )
            .strip()
            .splitlines()[-1]
        )
        timings["seed_s"] = round(time.monotonic() - t0, 1)
        print(f"seeded {args.db}: {seeded}", flush=True)

        t0 = time.monotonic()
        inprocess = json.loads(
            run_checked(
                [python, str(Path(__file__).resolve()), "--inprocess-only"]
                + ["--inprocess-repeats", str(args.inprocess_repeats)],
                env,
                "in-process timing",
            )
            .strip()
            .splitlines()[-1]
        )
        timings["inprocess_s"] = round(time.monotonic() - t0, 1)

        server = Gunicorn(args, env, work_dir / "gunicorn.log")
        server.start()
        token = login(server.port, args.user_email, args.user_password)

        t0 = time.monotonic()
        # Warm-up: every worker imports its views and opens its database connection.
        for endpoint in ENDPOINTS:
            load(
                server.port,
                token,
                endpoint,
                requests=max(args.concurrency, 2 * args.workers),
                concurrency=args.concurrency,
                max_seconds=args.max_seconds,
            )
        serial_p50 = {}
        for endpoint in ENDPOINTS:
            if endpoint.full:
                serial = load(
                    server.port,
                    token,
                    endpoint,
                    requests=SERIAL_REQUESTS,
                    concurrency=1,
                    max_seconds=args.max_seconds,
                )
                serial_p50[endpoint.path] = round(serial.p50_ms, 2)
        timings["warmup_s"] = round(time.monotonic() - t0, 1)

        results = []
        quiet = {}
        for endpoint in ENDPOINTS:
            if args.quiet_wait > 0:
                quiet[endpoint.path] = wait_for_quiet(args.quiet_wait, args.quiet_threshold)
            t0 = time.monotonic()
            result = load(
                server.port,
                token,
                endpoint,
                requests=args.requests if endpoint.full else args.paged_requests,
                concurrency=args.concurrency,
                max_seconds=args.max_seconds,
                full_check=args.check == "full",
                server_pid=server.proc.pid,
                db_name=getattr(database, "name", None),
                redis=bool(args.redis_url),
            )
            timings[f"load {endpoint.path} s"] = round(time.monotonic() - t0, 1)
            if server.proc is not None and server.proc.poll() is not None:
                raise SystemExit(f"gunicorn died during the run:\n{server.log_tail()}")
            results.append(result)
            print(
                f"  {endpoint.path}: {result.requests} requests, {result.errors} errors, "
                f"{result.rps:.1f} req/s",
                flush=True,
            )
        if server.proc is not None and server.proc.poll() is not None:
            raise SystemExit(f"gunicorn died during the run:\n{server.log_tail()}")

        import django
        import gunicorn

        report = {
            "database": database.version(),
            "command": " ".join([".venv/bin/python", "bench/bench_api_lists.py", *sys.argv[1:]]),
            "app": app,
            "dataset": seeded,
            "server": {
                "worker_class": args.worker_class,
                "workers": args.workers,
                "threads": args.threads,
                "gunicorn": gunicorn.__version__,
                "redis": bool(args.redis_url),
            },
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "django": django.get_version(),
                "platform": platform.platform(),
                "cpu_model": cpu_model(),
                "loadavg_before": load_before,
                "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            },
            "check": args.check,
            "inprocess_repeats": args.inprocess_repeats,
            "inprocess": inprocess,
            "serial_p50_ms": serial_p50,
            "load": [asdict(r) for r in results],
            "quiet_wait": {path: list(v) for path, v in quiet.items()},
            "phase_seconds": timings,
        }
        return report
    finally:
        if server is not None:
            server.stop()
        database.drop()
        shutil.rmtree(work_dir, ignore_errors=True)
        print(f"({args.db} run took {time.monotonic() - started:.0f}s)", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    cpus = os.cpu_count() or 1
    parser = argparse.ArgumentParser(
        description="Benchmark the API list routes over HTTP on a fresh, seeded database."
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--requests", type=int, default=200, help="requests per whole-list endpoint"
    )
    parser.add_argument(
        "--paged-requests", type=int, default=1000, help="requests per 100-row page endpoint"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive client threads")
    parser.add_argument("--workers", type=int, default=2 * cpus, help="gunicorn workers")
    parser.add_argument(
        "--worker-class",
        choices=["sync", "gthread"],
        default="sync",
        help="sync is what the Procfile runs (gunicorn.conf.py: threads=1)",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument(
        "--max-seconds", type=float, default=120.0, help="time limit per endpoint's load"
    )
    parser.add_argument(
        "--check",
        choices=["fast", "full"],
        default="fast",
        help="full: decode every answer; fast: decode each client's first, byte-check the rest",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        help="before each measured endpoint, wait up to this many seconds for an idle machine",
    )
    parser.add_argument(
        "--quiet-threshold",
        type=float,
        default=15.0,
        help="idle means busy below this %% of all cores (with --quiet-wait)",
    )
    parser.add_argument(
        "--app-ref",
        help="benchmark this git commit (exported to a temporary folder), not the working tree",
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="created and dropped by the run")
    parser.add_argument("--redis-url", default="", help="REDIS_URL for the server (default none)")
    parser.add_argument("--json", dest="json_path", help="also write the results to this file")
    parser.add_argument("--inprocess-repeats", type=int, default=5)
    parser.add_argument("--user-email", default="bench-viewer@example.com")
    parser.add_argument("--user-password", default="bench-viewer-password-not-secret")
    parser.add_argument("--inprocess-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("requests", "paged_requests", "concurrency", "workers", "threads"):
        if not 1 <= getattr(args, name) <= 100_000:
            parser.error(f"--{name.replace('_', '-')} must be between 1 and 100000")
    if not 0 < args.max_seconds <= 600:
        parser.error("--max-seconds must be in (0, 600]")
    if not 0 <= args.quiet_wait <= 600:
        parser.error("--quiet-wait must be in [0, 600]")
    if args.redis_url:
        check_loopback_url(args.redis_url)
    return args


def _exit_on_sigterm(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")  # so that `finally` cleans up


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if args.inprocess_only:
        result = inprocess_timings(args.inprocess_repeats, args.user_email, args.user_password)
        print(json.dumps(result))
        return
    report = run(args)
    print_tables(report)
    if args.json_path:
        path = Path(args.json_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
