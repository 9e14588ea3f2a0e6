"""Benchmark hostile CSV shapes: how long each import door takes to refuse them, and whether
a handful of long-line uploads keeps other API requests waiting.

Part 1, the doors (one child process a case, killed after `--timeout` seconds): for each shape

- `line-10mb`: a header, then one 10 MB line without a line break;
- `columns-100k`: a header of 100,000 columns;
- `cell-1mb`: a row whose quoted cell holds 1 MB (with line breaks inside the quotes);
- `blank-10mb`: a header, ten million blank lines, then one row (read, and imported);
- `valid-60kb`: a good row with a 60,000-character cell in an ignored column (under the cap:
  it must still be imported),

times `POST /api/items/import` (a `text/csv` body through Django's test client), the admin's
upload-and-preview page, and `manage.py import_items`, and prints the answer's status and
first words. A case still running at the timeout prints `> N s`.

Part 2, the workers: gunicorn (the project's config, `--workers` sync workers) on a fresh SQLite
file; five clients POST a 100 KB single-line CSV at once while another asks `GET /api/health`
every 0.2 s; prints how long the uploads took to be answered and the health answers' latency
(a timed-out health request counts as stalled).

    .venv/bin/python bench/bench_hostile_csv.py
    .venv/bin/python bench/bench_hostile_csv.py --timeout 30 --skip-server
"""

import argparse
import http.client
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench.bench_api_lists as api_bench  # noqa: E402 - the path is set just above

# The code under test: this checkout, or another (e.g. an older commit) named by BENCH_APP_DIR.
APP_DIR = Path(os.environ.get("BENCH_APP_DIR") or api_bench.REPO_ROOT)
HOST = api_bench.HOST
ADMIN_EMAIL = "bench-hostile@example.com"
ADMIN_PASSWORD = "bench-hostile-password-1"
MB = 1024 * 1024
SHAPES = ("line-10mb", "columns-100k", "cell-1mb", "blank-10mb", "valid-60kb")
DOORS = ("api", "admin", "command")
UPLOADS = 5
UPLOAD_BYTES = 100 * 1024

SETUP_SCRIPT = f"""
from accounts.services import user_create, user_set_role
user = user_create(email={ADMIN_EMAIL!r}, password={ADMIN_PASSWORD!r}, name="Bench admin")
user_set_role(user=user, role="admin")
type(user).objects.filter(pk=user.pk).update(is_staff=True)
"""


def write_shape(folder: Path, shape: str) -> Path:
    path = folder / f"{shape}.csv"
    with path.open("wb") as f:
        if shape == "line-10mb":
            f.write(b"sku,name\n" + b"A" * (10 * MB))
        elif shape == "columns-100k":
            f.write(b"sku,name," + b",".join(b"c%d" % n for n in range(100_000)) + b"\n")
            f.write(b"HOST-1,Row\n")
        elif shape == "cell-1mb":
            f.write(b'sku,name\nHOST-1,"' + b"line\n" * (MB // 5) + b'"\n')
        elif shape == "blank-10mb":
            f.write(b"sku,name\n" + b"\n" * (10 * MB) + b"HOST-1,After the blank lines\n")
        elif shape == "valid-60kb":
            f.write(b"sku,name,notes\nHOST-1,Long row," + b"n" * 60_000 + b"\n")
        else:
            raise ValueError(shape)
    return path


# --- part 1: one door, one shape, in a child process ------------------------------------------


def child(door: str, path: str) -> None:
    import django

    django.setup()
    from django.conf import settings

    # DEBUG is off and no `collectstatic` ran: the admin's pages need plain static storage.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import CommandError, call_command
    from django.test import Client
    from django.urls import reverse

    from accounts.tokens import tokens_for_user

    user = get_user_model().objects.get(email=ADMIN_EMAIL)
    api_client = Client(HTTP_HOST=HOST)
    token = tokens_for_user(user).access_token
    admin_client = Client(HTTP_HOST=HOST)
    admin_client.force_login(user)

    def knock(file: Path) -> str:
        data = file.read_bytes()
        if door == "api":
            response = api_client.post(
                "/api/items/import?dry_run=true",
                data=data,
                content_type="text/csv",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            body = response.json()
            return f"{response.status_code} {body.get('error') or body.get('message')}"
        if door == "admin":
            upload = SimpleUploadedFile("hostile.csv", data, content_type="text/csv")
            response = admin_client.post(reverse("admin:items_item_import"), {"file": upload})
            text = response.content.decode()
            marker = 'class="errorlist'
            if marker in text:
                start = text.index(marker)
                return f"{response.status_code} form error: " + text[start + 36 : start + 160]
            return f"{response.status_code} preview shown"
        try:
            call_command(
                "import_items", str(file), "--dry-run", "--no-progress", stdout=io.StringIO()
            )
        except CommandError as exc:
            return f"exit 1: {exc}"
        return "exit 0"

    # The first request loads the URLs, views and libraries: time a warm door, as in a worker.
    warm = Path(path).with_name("warm-up.csv")
    warm.write_bytes(b"sku,name\nWARM-1,Warm up\n")
    knock(warm)
    started = time.monotonic()
    outcome = knock(Path(path))
    seconds = time.monotonic() - started
    print(json.dumps({"seconds": seconds, "outcome": outcome[:140]}))


def run_case(env: dict, door: str, path: Path, timeout: float) -> dict:
    cmd = [sys.executable, str(APP_DIR / "bench" / Path(__file__).name), "--child", door, str(path)]
    try:
        proc = subprocess.run(
            cmd, cwd=APP_DIR, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "outcome": f"still reading after {timeout:.0f} s (killed)"}
    if proc.returncode:
        return {"seconds": None, "outcome": "crashed: " + proc.stderr.strip()[-200:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- part 2: five long-line uploads against a running server ----------------------------------


def server_run(args, env: dict, folder: Path) -> dict:
    api_bench.VENV_BIN = Path(sys.executable).parent
    server_args = argparse.Namespace(workers=args.workers, worker_class="sync", threads=1)
    server = api_bench.Gunicorn(server_args, env, folder / "gunicorn.log")
    server.start()
    try:
        token = api_bench.login(server.port, ADMIN_EMAIL, ADMIN_PASSWORD)
        body = b"sku,name\n" + b"B" * UPLOAD_BYTES
        uploads: list[tuple[float, str]] = []
        health: list[float | None] = []
        done = threading.Event()

        def upload() -> None:
            started = time.monotonic()
            conn = http.client.HTTPConnection(HOST, server.port, timeout=args.timeout)
            try:
                conn.request(
                    "POST",
                    "/api/items/import?dry_run=true",
                    body,
                    {"Content-Type": "text/csv", "Authorization": f"Bearer {token}"},
                )
                response = conn.getresponse()
                answer = response.read()
                outcome = f"{response.status} {answer[:90].decode(errors='replace')}"
            except OSError as exc:
                outcome = type(exc).__name__
            finally:
                conn.close()
            uploads.append((time.monotonic() - started, outcome))

        def probe() -> None:
            while not done.is_set():
                started = time.monotonic()
                conn = http.client.HTTPConnection(HOST, server.port, timeout=5)
                try:
                    conn.request("GET", "/api/health")
                    conn.getresponse().read()
                    health.append(time.monotonic() - started)
                except OSError:
                    health.append(None)
                finally:
                    conn.close()
                time.sleep(0.2)

        prober = threading.Thread(target=probe)
        prober.start()
        clients = [threading.Thread(target=upload) for _ in range(UPLOADS)]
        started = time.monotonic()
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        wall = time.monotonic() - started
        time.sleep(0.5)
        done.set()
        prober.join()
    finally:
        server.stop()
    errors = [line for line in server.log_tail(10**7).splitlines() if '"level": "ERROR"' in line]
    if errors:
        print(f"server errors: {len(errors)}; the first: {errors[0][-1500:]}")
    answered = sorted(s for s in health if s is not None)
    return {
        "workers": args.workers,
        "uploads_wall_s": round(wall, 2),
        "upload_outcomes": sorted(outcome for _, outcome in uploads),
        "health_requests": len(health),
        "health_stalled": sum(s is None for s in health),
        "health_max_ms": round(answered[-1] * 1000, 1) if answered else None,
        "health_median_ms": round(answered[len(answered) // 2] * 1000, 1) if answered else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a case may take")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--shapes", nargs="+", choices=SHAPES, default=SHAPES)
    parser.add_argument("--doors", nargs="+", choices=DOORS, default=DOORS)
    parser.add_argument("--skip-server", action="store_true", help="only part 1")
    parser.add_argument("--child", nargs=2, metavar=("DOOR", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    database = api_bench.SqliteDatabase()
    database.create()
    env = api_bench.build_env(argparse.Namespace(redis_url=""), database.url, APP_DIR)
    python = sys.executable
    try:
        api_bench.run_checked([python, "manage.py", "migrate", "--noinput"], env, "migrate")
        api_bench.run_checked([python, "manage.py", "shell", "-c", SETUP_SCRIPT], env, "setup")
        folder = Path(tempfile.mkdtemp(prefix="inventory-bench-hostile-", dir=database.folder))
        print(f"code: {APP_DIR}")
        print(f"{'shape':<14}{'door':<9}{'seconds':>9}  answer")
        for shape in args.shapes:
            path = write_shape(folder, shape)
            for door in args.doors:
                result = run_case(env, door, path, args.timeout)
                seconds = "-" if result["seconds"] is None else f"{result['seconds']:.3f}"
                print(f"{shape:<14}{door:<9}{seconds:>9}  {result['outcome']}", flush=True)
        if not args.skip_server:
            figures = server_run(args, env, folder)
            print(
                f"\n{UPLOADS} concurrent {UPLOAD_BYTES // 1024} KB single-line uploads, "
                f"{figures['workers']} sync workers:"
            )
            for key, value in figures.items():
                print(f"  {key}: {value}")
    finally:
        database.drop()


if __name__ == "__main__":
    main()
