"""Load test with faults: stop Redis and kill the database connections under load, then audit.

One run, bounded by `--duration`:

1. creates a scratch PostgreSQL database on 127.0.0.1 (a unique name with "bench" in it),
   migrates and seeds it (`bench/seed.py`, 500 items, 10 locations, 3,000 stock rows), adds a
   staff user for the writes;
2. starts its own redis-server on a free port (`--save '' --appendonly no`; the shared Redis on
   6379 is never touched) and gunicorn on 127.0.0.1 with DEBUG off, that Redis as the cache and
   the rate limits raised so the run never gets a 429;
3. runs locust headless (`bench/locustfile_faults.py`): readers on the v20 list, item, summary
   and ledger routes, writers sending receive / issue / transfer / count at a steady rate on a
   few items and locations, each with its own X-Request-ID, all recorded with their outcome;
4. meanwhile, at fixed times: stops the private Redis (SIGTERM) and starts it again on the same
   port (or, with `--redis-fault pause`, freezes it with SIGSTOP and thaws it with SIGCONT, so
   clients wait for their timeouts instead of being refused), then terminates every PostgreSQL
   connection of the scratch database (`pg_terminate_backend`), that is the gunicorn workers'
   persistent connections (`--db-kills N` repeats it every `--db-kill-every` seconds);
5. stops the server and audits the ledger: every acknowledged (201) write is in the ledger
   exactly once (a transfer: two rows, one transfer id), nothing refused or answered with an
   error left a row, every stock record's quantity is the sum of its movements and every
   row's `quantity_after` is the running sum of its record's deltas;
6. prints requests, errors by status and latency percentiles overall and per phase (before,
   Redis down, after Redis, around the connection kill, after), writes them with `--json`,
   then drops the database and stops its Redis, whatever happened.

Exit status: 0 when the audit passes and every error fell in the connection-kill window as a
clean envelope; 1 when the audit fails (a lost, duplicated or unacknowledged-but-committed
write, a ledger that does not balance); 3 when the audit passes but requests failed where no
fault excuses them (during the Redis outage, or a 5xx that is not the JSON envelope).

Writes without an HTTP answer (connection refused or reset, timeout) may or may not have
committed: they are reported separately, with how many did, and never fail the audit unless
they left more rows than one operation writes.

    .venv/bin/python bench/load_faults.py --duration 75 --json bench/results/load-faults.json

All traffic goes to 127.0.0.1.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

# Run as a script, its folder is on the path already; imported as `bench.load_faults` (by the
# tests) it is appended, last, so it can shadow nothing.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from bench_api_lists import (  # noqa: E402 (the script's folder is put on the path first)
    CLOCK_TICKS,
    HOST,
    SEED_SCRIPT,
    VENV_BIN,
    Gunicorn,
    PostgresDatabase,
    build_env,
    free_port,
    login,
    machine_busy_seconds,
    percentile,
    prepare_app,
    process_cpu_seconds,
    run_checked,
)

BENCH_DIR = Path(__file__).resolve().parent
LOCUSTFILE = BENCH_DIR / "locustfile_faults.py"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
VIEWER = ("bench-viewer@example.com", "bench-viewer-password-not-secret")
STAFF = ("bench-staff@example.com", "bench staff password 42")
# Write set: a few items (none a multiple of 25: the seed deactivates those) at a few
# locations, so concurrent writers contend for the same rows.
WRITE_SKUS = [f"SKU-{n:05d}" for n in range(1, 13)]
WRITE_LOCATIONS = ["LOC-01", "LOC-02", "LOC-03", "LOC-04"]
READ_SKUS = [f"SKU-{n:05d}" for n in range(1, 401) if n % 25]
# The ledger kind each operation writes.
KIND_OF = {"receive": "receipt", "issue": "issue", "count": "count", "transfer": "transfer"}
ROWS_PER_OPERATION = {"transfer": 2}
# After a connection kill, requests that overlap this window may fail (cleanly).
KILL_WINDOW_S = 2.0
REDIS_START_TIMEOUT_S = 10


# --- the private Redis ------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of this run only, on its own port; stoppable and restartable there."""

    def __init__(self, work_dir: Path) -> None:
        self.port = free_port()
        self.work_dir = work_dir
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        if self._log is None:
            self._log = open(self.work_dir / "redis.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "",
             "--appendonly", "no", "--dir", str(self.work_dir)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + REDIS_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"redis-server exited with {self.proc.returncode}")
            if self.ping():
                return
            time.sleep(0.05)
        raise SystemExit(f"redis-server did not answer within {REDIS_START_TIMEOUT_S}s")

    def ping(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def pause(self) -> None:
        """SIGSTOP: the port stays open and the kernel still accepts connections, but nothing
        answers, as with a Redis host that hangs or drops packets: clients wait for timeouts."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """SIGTERM, as an orchestrator stopping the container would; wait until it is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a paused server cannot act on SIGTERM
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def close(self) -> None:
        self.stop()
        if self._log is not None:
            self._log.close()
            self._log = None


# --- faults -----------------------------------------------------------------------------------


def kill_connections(database: PostgresDatabase) -> int:
    """Terminate every connection to the scratch database but this one; how many there were."""
    rows = database._admin(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        database.name,
    )
    return int(rows[0][0])


def run_faults(args, t0: float, redis: PrivateRedis, database: PostgresDatabase, events, stop):
    """Inject the faults at their times after `t0` (wall clock); append what happened when."""

    def wait_until(offset: float) -> bool:
        return not stop.wait(max(0.0, t0 + offset - time.time()))

    if wait_until(args.redis_stop_at):
        if args.redis_fault == "pause":
            redis.pause()
        else:
            redis.stop()
        events.append({"event": "redis_down", "how": args.redis_fault, "t": time.time()})
    if wait_until(args.redis_stop_at + args.redis_down_for):
        if args.redis_fault == "pause":
            redis.resume()
        else:
            redis.start()
        events.append({"event": "redis_up", "t": time.time()})
    for n in range(args.db_kills):
        if not wait_until(args.db_kill_at + n * args.db_kill_every):
            break
        killed = kill_connections(database)
        events.append({"event": "db_connections_killed", "t": time.time(), "killed": killed})


# --- how busy the machine was ----------------------------------------------------------------


def _pid_cpu_seconds(pid: int | None) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, ValueError, IndexError, TypeError):
        return 0.0


class CpuTimeline(threading.Thread):
    """Every second: the whole machine's busy CPU and this run's (gunicorn, the scratch
    database's backends, the private Redis, locust). The difference is other people's work on
    a shared machine, which slows the run down; each phase reports its share."""

    def __init__(self, server_pid: int, db_name: str, pids) -> None:
        super().__init__(daemon=True)
        self.server_pid, self.db_name, self.pids = server_pid, db_name, pids
        self.samples: list[tuple[float, float, float]] = []  # (time, machine busy, ours) deltas
        self.halt = threading.Event()

    def _ours(self) -> dict:
        found = process_cpu_seconds(self.server_pid, self.db_name, False)
        for pid in self.pids():
            found["other", pid] = _pid_cpu_seconds(pid)
        return found

    def run(self) -> None:
        previous, busy = self._ours(), machine_busy_seconds()
        while not self.halt.wait(1.0):
            current, now_busy = self._ours(), machine_busy_seconds()
            ours = sum(max(v - previous.get(k, 0.0), 0.0) for k, v in current.items())
            self.samples.append((time.time(), now_busy - busy, ours))
            previous, busy = current, now_busy

    def other_pct(self, start: float, finish: float) -> float | None:
        """CPU used by everything but this run, % of all cores, between two times."""
        rows = [s for s in self.samples if start < s[0] <= finish + 0.5]
        if not rows:
            return None
        cpus = os.cpu_count() or 1
        other = sum(busy - ours for _t, busy, ours in rows)
        return round(max(other, 0.0) * 100 / (len(rows) * cpus), 1)


def access_log(log_path: Path) -> list[dict]:
    """The server's own view of each request (start, duration, route, status) from its
    access log: the time spent in the app, without the client's queueing."""
    found = []
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return found
    for line in lines:
        if '"inventory.access"' not in line:
            continue
        try:
            entry = json.loads(line)
            finished = datetime.fromisoformat(entry["timestamp"]).timestamp()
            ms = float(entry["duration_ms"])
        except (ValueError, KeyError, TypeError):
            continue
        found.append(
            {"t": finished - ms / 1000, "ms": ms, "status": entry.get("status"),
             "write": str(entry.get("message", "")).startswith("POST")}
        )  # fmt: skip
    return found


def server_latency(entries: list[dict]) -> dict:
    reads = sorted(e["ms"] for e in entries if not e["write"])
    writes = sorted(e["ms"] for e in entries if e["write"])
    return {
        "server_read_p50_ms": round(percentile(reads, 50), 1) if reads else None,
        "server_read_p99_ms": round(percentile(reads, 99), 1) if reads else None,
        "server_write_p50_ms": round(percentile(writes, 50), 1) if writes else None,
        "server_write_p99_ms": round(percentile(writes, 99), 1) if writes else None,
    }


# --- figures ----------------------------------------------------------------------------------


def latency(records: list[dict]) -> dict:
    values = sorted(r["ms"] for r in records)
    return {
        "p50_ms": round(percentile(values, 50), 1) if values else None,
        "p95_ms": round(percentile(values, 95), 1) if values else None,
        "p99_ms": round(percentile(values, 99), 1) if values else None,
        "max_ms": round(values[-1], 1) if values else None,
    }


def figures(records: list[dict]) -> dict:
    """Requests, outcomes by status (0: no HTTP answer) and latency, all / reads / writes."""
    reads = [r for r in records if r["kind"] == "read"]
    writes = [r for r in records if r["kind"] == "write"]
    return {
        "requests": len(records),
        "reads": len(reads),
        "writes": len(writes),
        "by_status": dict(sorted(Counter(str(r["status"]) for r in records).items())),
        "writes_by_status": dict(sorted(Counter(str(r["status"]) for r in writes).items())),
        "connection_errors": dict(
            Counter(r["err"].split(":", 1)[0] for r in records if r["status"] == 0)
        ),
        "all": latency(records),
        "read": latency(reads),
        "write": latency(writes),
    }


def phases(args, t0: float, end: float, events: list[dict]) -> list[tuple[str, float, float]]:
    """Named spans of the run, from the faults' actual times."""
    at = {e["event"]: e["t"] for e in events if e["event"] != "db_connections_killed"}
    kills = [e["t"] for e in events if e["event"] == "db_connections_killed"]
    spans = []
    redis_down = at.get("redis_down", end)
    redis_up = at.get("redis_up", end)
    spans.append(("before", t0, redis_down))
    if "redis_down" in at:
        spans.append(("redis_down", redis_down, redis_up))
    if kills:
        spans.append(("after_redis", redis_up, kills[0]))
        spans.append(("db_kill", kills[0], kills[-1] + KILL_WINDOW_S))
        spans.append(("after", kills[-1] + KILL_WINDOW_S, end))
    else:
        spans.append(("after_redis", redis_up, end))
    return [(name, start, stop) for name, start, stop in spans if stop > start]


def in_kill_window(record: dict, kills: list[float]) -> bool:
    """Whether the request was in flight at a connection kill or just after it."""
    start, finish = record["t"], record["t"] + record["ms"] / 1000
    return any(start <= kill + KILL_WINDOW_S and finish >= kill for kill in kills)


def unexcused_failures(records: list[dict], kills: list[float]) -> dict:
    """Failures no fault explains: any 5xx or lost answer outside the connection-kill window
    (the app must ride through a Redis outage), and any 5xx that is not the JSON envelope."""
    failed = [r for r in records if r["status"] == 0 or r["status"] >= 500]
    outside = [r for r in failed if not in_kill_window(r, kills)]
    not_envelope = [r for r in failed if r["status"] >= 500 and not r.get("env")]
    return {
        "failed": len(failed),
        "in_kill_window": len(failed) - len(outside),
        "outside_kill_window": len(outside),
        "outside_samples": [
            {k: r.get(k) for k in ("t", "op", "status", "err", "rid")} for r in outside[:10]
        ],
        "5xx_not_envelope": len(not_envelope),
    }


# --- the ledger audit -------------------------------------------------------------------------


def audit_ledger(
    writes: list[dict],
    ledger_rows: list[tuple],
    *,
    balance_mismatches: list = (),
    chain_breaks: int = 0,
    negative_records: int = 0,
) -> dict:
    """Compare what the client was told with what the ledger holds.

    `writes` are the client's records (`op`, `status`, `rid`, `mids`: the ledger row ids a 201
    answered). `ledger_rows` are `(id, request_id, kind, quantity_delta, transfer_id)` of every
    ledger row whose request id this run's client made. Each write is classed by its answer:

    - acknowledged (201): exactly its rows (one, two for a transfer), of its kind, with the ids
      it was answered; a transfer's two rows share one transfer id and cancel out;
    - refused (4xx) and failed (5xx): no row at all (the client was told nothing happened);
    - unanswered (status 0: refused, reset or timed out): may or may not have committed, so
      counted both ways, and wrong only if it left rows other than exactly one operation's.

    Rows whose request id no client record has are wrong too. `passed` is the verdict.
    """
    by_request: dict[str, list[tuple]] = {}
    for row in ledger_rows:
        by_request.setdefault(row[1], []).append(row)
    problems: list[str] = []
    counts = Counter()
    seen: set[str] = set()
    for write in writes:
        rid, op, status = write["rid"], write["op"], write["status"]
        seen.add(rid)
        rows = by_request.get(rid, [])
        expected = ROWS_PER_OPERATION.get(op, 1)
        if status == 201:
            counts["acknowledged"] += 1
            wrong = []
            if len(rows) != expected:
                wrong.append(f"{len(rows)} ledger rows, expected {expected}")
                counts["acknowledged_lost" if len(rows) < expected else "acknowledged_dup"] += 1
            if any(row[2] != KIND_OF[op] for row in rows):
                wrong.append(f"kinds {[row[2] for row in rows]}")
            if sorted(write.get("mids") or []) != sorted(row[0] for row in rows):
                wrong.append(f"answered ids {write.get('mids')} != ledger {[r[0] for r in rows]}")
            if op == "transfer" and len(rows) == 2:
                if rows[0][4] is None or rows[0][4] != rows[1][4]:
                    wrong.append("transfer rows do not share one transfer id")
                if rows[0][3] + rows[1][3] != 0:
                    wrong.append("transfer rows do not cancel out")
            if wrong:
                problems.append(f"{op} {rid} (201): " + "; ".join(wrong))
        elif status == 0:
            key = "unanswered_committed" if rows else "unanswered_not_committed"
            counts[key] += 1
            if rows and len(rows) != expected:
                problems.append(f"{op} {rid} (no answer): {len(rows)} ledger rows")
        else:
            key = "refused" if status < 500 else "failed"
            counts[key] += 1
            if rows:
                counts[f"{key}_but_committed"] += 1
                problems.append(f"{op} {rid} (answered {status}): {len(rows)} ledger rows")
    unknown = [rid for rid in by_request if rid not in seen]
    if unknown:
        problems.append(f"{len(unknown)} request ids in the ledger the client never sent")
    for mismatch in balance_mismatches:
        problems.append(
            f"stock record {mismatch[0]}: quantity {mismatch[1]} != ledger {mismatch[2]}"
        )
    if chain_breaks:
        problems.append(f"{chain_breaks} ledger rows whose quantity_after is not the running sum")
    if negative_records:
        problems.append(f"{negative_records} stock records below zero (no write allowed it)")
    return {
        "passed": not problems,
        "writes": len(writes),
        "ledger_rows_of_run": len(ledger_rows),
        **{
            key: counts[key]
            for key in (
                "acknowledged",
                "acknowledged_lost",
                "acknowledged_dup",
                "refused",
                "refused_but_committed",
                "failed",
                "failed_but_committed",
                "unanswered_committed",
                "unanswered_not_committed",
            )
        },
        "unknown_request_ids": len(unknown),
        "balance_mismatches": len(balance_mismatches),
        "chain_breaks": chain_breaks,
        "negative_records": negative_records,
        "problems": problems[:50],
        "problems_total": len(problems),
    }


def read_ledger(database: PostgresDatabase, prefix: str) -> dict:
    """What the audit needs from the scratch database, in four queries."""
    import psycopg

    with psycopg.connect(database.url, autocommit=True) as c:
        rows = c.execute(
            "SELECT id, request_id, kind, quantity_delta, transfer_id FROM inventory_stockmovement "
            "WHERE request_id LIKE %s ORDER BY id",
            (prefix + "%",),
        ).fetchall()
        mismatches = c.execute(
            "SELECT r.id, r.quantity, COALESCE(SUM(m.quantity_delta), 0) FROM "
            "inventory_stockrecord r LEFT JOIN inventory_stockmovement m ON m.stock_record_id = "
            "r.id GROUP BY r.id HAVING r.quantity <> COALESCE(SUM(m.quantity_delta), 0)"
        ).fetchall()
        chain_breaks = c.execute(
            "SELECT count(*) FROM (SELECT quantity_after, SUM(quantity_delta) OVER (PARTITION BY "
            "stock_record_id ORDER BY id) AS running FROM inventory_stockmovement) s "
            "WHERE quantity_after <> running"
        ).fetchone()[0]
        negative = c.execute(
            "SELECT count(*) FROM inventory_stockrecord WHERE quantity < 0"
        ).fetchone()[0]
        totals = c.execute(
            "SELECT (SELECT count(*) FROM inventory_stockmovement), "
            "(SELECT count(*) FROM inventory_stockrecord)"
        ).fetchone()
    return {
        "rows": rows,
        "mismatches": mismatches,
        "chain_breaks": chain_breaks,
        "negative": negative,
        "movements": totals[0],
        "stock_records": totals[1],
    }


def server_log_facts(log_path: Path) -> dict:
    """What the server said about the faults: errors by exception name, worker restarts."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return {}
    names = (
        "OperationalError",
        "InterfaceError",
        "AdminShutdown",
        "ConnectionError",
        "TimeoutError",
        "Unhandled error",
        "Cache get failed",
        "Cache invalidate failed",
        "WORKER TIMEOUT",
        "Booting worker",
    )
    return {name: text.count(name) for name in names if name in text}


# --- the run ----------------------------------------------------------------------------------


def setup_users(env: dict[str, str]) -> None:
    """A staff user for the writes (the seed made the viewer), through the ORM as the seed does."""
    code = (
        "import django; django.setup()\n"
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.models import Group\n"
        f"u = get_user_model().objects.create_user(email={STAFF[0]!r}, password={STAFF[1]!r})\n"
        "u.groups.add(Group.objects.get(name='staff'))\n"
    )
    run_checked([str(VENV_BIN / "python"), "-c", code], env, "creating the staff user")


def run(args: argparse.Namespace) -> dict:
    if not (0 < args.redis_stop_at < args.redis_stop_at + args.redis_down_for < args.db_kill_at):
        raise SystemExit("Faults out of order: Redis stop < Redis restart < connection kill.")
    last_kill = args.db_kill_at + (args.db_kills - 1) * args.db_kill_every
    if args.db_kills and last_kill + KILL_WINDOW_S + 5 > args.duration:
        raise SystemExit("--duration must leave at least 7 s after the last connection kill.")
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed: apt-get install -y redis-server")
    locust = VENV_BIN / "locust"
    if not locust.exists():
        raise SystemExit(
            "locust is not installed: `make load` installs it (requirements-bench.txt)."
        )
    work = Path(tempfile.mkdtemp(prefix="inventory-load-faults-"))
    database = PostgresDatabase(f"{PG_SERVER}/inventory_bench_faults_{secrets.token_hex(4)}")
    redis = PrivateRedis(work)
    server = None
    locust_proc = None
    stop = threading.Event()
    try:
        database.create()
        redis.start()
        app_dir, app = prepare_app(None, work)
        server_args = argparse.Namespace(
            workers=args.workers,
            worker_class=args.worker_class,
            threads=args.threads,
            redis_url=redis.url,
        )
        env = build_env(server_args, database.url, app_dir)
        env["RATE_LIMIT_MAX"] = "100000000"  # the limiter still counts; it never trips
        python = str(VENV_BIN / "python")
        run_checked([python, "manage.py", "migrate", "-v0"], env, "migrate")
        seeded = json.loads(
            run_checked(
                [python, str(SEED_SCRIPT), "--items", "500", "--stock-records", "3000"],
                env,
                "seed",
            )
            .strip()
            .splitlines()[-1]
        )
        setup_users(env)
        server = Gunicorn(server_args, env, work / "gunicorn.log")
        server.start()
        viewer_token = login(server.port, *VIEWER)
        staff_token = login(server.port, *STAFF)

        records_path, started_path = work / "records.jsonl", work / "started"
        locust_env = {
            **os.environ,
            "LOAD_FAULTS_RECORDS": str(records_path),
            "LOAD_FAULTS_STARTED": str(started_path),
            "LOAD_FAULTS_VIEWER_TOKEN": viewer_token,
            "LOAD_FAULTS_STAFF_TOKEN": staff_token,
            "LOAD_FAULTS_READ_SKUS": ",".join(READ_SKUS),
            "LOAD_FAULTS_WRITE_SKUS": ",".join(WRITE_SKUS),
            "LOAD_FAULTS_WRITE_LOCATIONS": ",".join(WRITE_LOCATIONS),
            "LOAD_FAULTS_READERS": str(args.readers),
            "LOAD_FAULTS_WRITERS": str(args.writers),
            "LOAD_FAULTS_READ_RATE": str(args.read_rate),
            "LOAD_FAULTS_WRITE_RATE": str(args.write_rate),
            "LOAD_FAULTS_TIMEOUT": str(args.timeout),
        }
        users = args.readers + args.writers
        locust_cmd = [
            str(locust), "-f", str(LOCUSTFILE), "--headless", "--host",
            f"http://{HOST}:{server.port}", "--users", str(users), "--spawn-rate", str(users),
            "--run-time", f"{int(args.duration)}s", "--stop-timeout", str(int(args.timeout) + 5),
            "--exit-code-on-error", "0", "--loglevel", "WARNING", "--only-summary",
        ]  # fmt: skip
        load_before = os.getloadavg()
        with open(work / "locust.log", "wb") as locust_log:
            locust_proc = subprocess.Popen(
                locust_cmd,
                cwd=BENCH_DIR,
                env=locust_env,
                stdout=locust_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            deadline = time.monotonic() + 60
            while not started_path.exists():
                if locust_proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        "locust did not start:\n"
                        + (work / "locust.log").read_text(errors="replace")[-3000:]
                    )
                time.sleep(0.05)
            t0 = float(started_path.read_text() or time.time())
            timeline = CpuTimeline(
                server.proc.pid,
                database.name,
                lambda: [locust_proc.pid, redis.proc.pid if redis.proc else None],
            )
            timeline.start()
            busy_before, busy_from = machine_busy_seconds(), time.time()
            events: list[dict] = []
            print(f"load running for {args.duration:.0f} s (locust pid {locust_proc.pid}) ...")
            run_faults(args, t0, redis, database, events, stop)
            locust_proc.wait(timeout=args.duration + args.timeout + 60)
            end = time.time()
            timeline.halt.set()
            timeline.join(timeout=5)
        busy_pct = (
            100
            * (machine_busy_seconds() - busy_before)
            / ((end - busy_from) * (os.cpu_count() or 1))
        )
        server.stop()  # nothing in flight while the ledger is read
        server_facts = server_log_facts(work / "gunicorn.log")
        served = access_log(work / "gunicorn.log")

        records = [json.loads(line) for line in records_path.read_text().splitlines() if line]
        kills = [e["t"] for e in events if e["event"] == "db_connections_killed"]
        spans = phases(args, t0, end, events)
        report = {
            "command": " ".join(sys.argv),
            "app": app,
            "server": {
                "workers": args.workers,
                "worker_class": args.worker_class,
                "threads": args.threads,
            },
            "load": {
                "duration_s": round(end - t0, 1),
                "readers": args.readers,
                "writers": args.writers,
                "read_rate_target": args.read_rate,
                "write_rate_target": args.write_rate,
            },
            "seed": seeded,
            "machine": {
                "cpus": os.cpu_count(),
                "loadavg_before": [round(x, 2) for x in load_before],
                "busy_pct_during_run": round(busy_pct, 1),
            },
            "faults": [{**e, "at_s": round(e["t"] - t0, 2)} for e in events],
            "overall": {
                **figures(records),
                **server_latency(served),
                "other_cpu_pct": timeline.other_pct(t0, end),
            },
            "phases": [
                {
                    "phase": name,
                    "from_s": round(start - t0, 1),
                    "to_s": round(finish - t0, 1),
                    **figures([r for r in records if start <= r["t"] < finish]),
                    **server_latency([e for e in served if start <= e["t"] < finish]),
                    "other_cpu_pct": timeline.other_pct(start, finish),
                }
                for name, start, finish in spans
            ],
            "unexcused": unexcused_failures(records, kills),
            "server_log": server_facts,
        }
        ledger = read_ledger(database, "lf-")
        report["audit"] = audit_ledger(
            [r for r in records if r["kind"] == "write"],
            ledger["rows"],
            balance_mismatches=ledger["mismatches"],
            chain_breaks=ledger["chain_breaks"],
            negative_records=ledger["negative"],
        )
        report["audit"].update(
            echoed_request_ids=sum(
                1 for r in records if r["kind"] == "write" and r["status"] and r.get("echo")
            ),
            movements_total=ledger["movements"],
            stock_records_total=ledger["stock_records"],
        )
        report["work_dir"] = str(work)
        return report
    finally:
        stop.set()
        if locust_proc is not None and locust_proc.poll() is None:
            locust_proc.send_signal(signal.SIGTERM)
            try:
                locust_proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(locust_proc.pid, signal.SIGKILL)
        if server is not None:
            server.stop()
        redis.close()
        database.drop()


def print_report(report: dict) -> None:
    def cell(value, width: int) -> str:
        return f"{'-' if value is None else value:>{width}}"

    def row(label: str, fig: dict) -> str:
        statuses = " ".join(f"{k}:{v}" for k, v in fig["by_status"].items())
        return (
            f"{label:<12}{fig['requests']:>6}{fig['reads']:>6}{fig['writes']:>7} "
            f"{cell(fig['all']['p50_ms'], 7)}{cell(fig['all']['p95_ms'], 7)}"
            f"{cell(fig['all']['p99_ms'], 7)} {cell(fig['read']['p50_ms'], 7)}"
            f"{cell(fig['read']['p99_ms'], 7)}{cell(fig['write']['p50_ms'], 7)}"
            f"{cell(fig['write']['p99_ms'], 7)} {cell(fig['server_read_p50_ms'], 8)}"
            f"{cell(fig['server_write_p50_ms'], 8)} {cell(fig['other_cpu_pct'], 7)}  {statuses}"
        )

    server, load = report["server"], report["load"]
    print(
        f"\n== gunicorn {server['worker_class']} x{server['workers']} "
        f"({server['threads']} thread(s)), {load['readers']} readers at {load['read_rate_target']}"
        f"/s, {load['writers']} writers at {load['write_rate_target']}/s, "
        f"{load['duration_s']} s; machine busy {report['machine']['busy_pct_during_run']}% "
        f"of {report['machine']['cpus']} CPUs "
        f"(load before {report['machine']['loadavg_before'][0]})"
    )
    for fault in report["faults"]:
        extra = f" ({fault['killed']} connections)" if "killed" in fault else ""
        print(f"  {fault['at_s']:>6.1f} s  {fault['event']}{extra}")
    print(
        "\nlatency in ms at the client (all, reads r, writes w) and in the server (srv, from the "
        "access log);\nother%: CPU taken by other work on the machine, % of all cores"
    )
    print(
        f"{'phase':<12}{'reqs':>6}{'reads':>6}{'writes':>7} {'p50':>7}{'p95':>7}{'p99':>7} "
        f"{'r p50':>7}{'r p99':>7}{'w p50':>7}{'w p99':>7} {'srv r50':>8}{'srv w50':>8} "
        f"{'other%':>7}  status counts (0 = no answer)"
    )
    print(row("overall", report["overall"]))
    for phase in report["phases"]:
        print(row(phase["phase"], phase))
    overall = report["overall"]
    if overall["connection_errors"]:
        print(f"connection errors: {overall['connection_errors']}")
    print(f"writes by status: {overall['writes_by_status']}")
    unexcused = report["unexcused"]
    print(
        f"failures (5xx or no answer): {unexcused['failed']}, of which in the connection-kill "
        f"window {unexcused['in_kill_window']}, outside it {unexcused['outside_kill_window']}; "
        f"5xx not in the envelope: {unexcused['5xx_not_envelope']}"
    )
    for sample in unexcused["outside_samples"]:
        print(f"  outside the window: {sample}")
    print(f"server log: {report['server_log']}")
    audit = report["audit"]
    print(
        f"\nledger audit: {'PASSED' if audit['passed'] else 'FAILED'}: "
        f"{audit['acknowledged']} acknowledged writes (lost {audit['acknowledged_lost']}, "
        f"duplicated {audit['acknowledged_dup']}), {audit['refused']} refused "
        f"(committed anyway {audit['refused_but_committed']}), {audit['failed']} failed with 5xx "
        f"(committed anyway {audit['failed_but_committed']}), unanswered: "
        f"{audit['unanswered_committed']} committed / {audit['unanswered_not_committed']} not; "
        f"unknown ids {audit['unknown_request_ids']}, balance mismatches "
        f"{audit['balance_mismatches']}, quantity_after breaks {audit['chain_breaks']}, "
        f"negative records {audit['negative_records']}; X-Request-ID echoed on "
        f"{audit['echoed_request_ids']} answered writes"
    )
    for problem in audit["problems"]:
        print(f"  {problem}")
    print(f"logs and the client's records: {report['work_dir']}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=75.0, help="seconds of load")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (2-4)")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--readers", type=int, default=8, help="locust users reading")
    parser.add_argument("--writers", type=int, default=4, help="locust users writing")
    parser.add_argument("--read-rate", type=float, default=40.0, help="reads/s, all readers")
    parser.add_argument("--write-rate", type=float, default=8.0, help="writes/s, all writers")
    parser.add_argument("--timeout", type=float, default=10.0, help="client timeout, seconds")
    parser.add_argument("--redis-stop-at", type=float, default=15.0, help="seconds into the load")
    parser.add_argument("--redis-down-for", type=float, default=10.0)
    parser.add_argument(
        "--redis-fault",
        choices=["stop", "pause"],
        default="stop",
        help="stop: SIGTERM, then start it again on the same port (connections refused); "
        "pause: SIGSTOP, then SIGCONT (connections hang until the client's timeout)",
    )
    parser.add_argument("--db-kill-at", type=float, default=45.0, help="seconds into the load")
    parser.add_argument("--db-kills", type=int, default=1, help="connection kills, in a row")
    parser.add_argument("--db-kill-every", type=float, default=1.0, help="seconds between kills")
    parser.add_argument("--json", dest="json_path", help="also write the report here")
    args = parser.parse_args(argv)
    if not 2 <= args.workers <= 4:
        parser.error("--workers must be 2 to 4")
    return args


def _exit_on_sigterm(signum, frame):
    raise SystemExit(143)  # runs the cleanup in run()'s finally


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    report = run(args)
    print_report(report)
    if args.json_path:
        Path(args.json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_path).write_text(json.dumps(report, indent=2, default=str))
    if not report["audit"]["passed"]:
        sys.exit(1)
    if report["unexcused"]["outside_kill_window"] or report["unexcused"]["5xx_not_envelope"]:
        sys.exit(3)


if __name__ == "__main__":
    main()
