"""Benchmark start-up: the wall time of `manage.py` commands and of a web worker's first answer.

Each case is a fresh Python process, as cron and gunicorn start them:

- `check`, `help`: Django set up, every app, the URL conf and the system checks;
- `maintenance`, `watchdog`, `send_forecast_report`, `forecast`: the cron jobs' commands up to
  their argument parsing (`--help`), so the figure is the start-up, not the job's work;
- `web worker`: `inventory_project.wsgi.application` imported and `GET /api/health` answered
  through it (what a gunicorn worker does before its first response).

With several `--root` folders (checkouts of the project, e.g. the code before and after a
change) the runs alternate between them, so a load that comes and goes hits both alike. Each
prints the median and the lowest wall time of `--repeats` runs, the median CPU time (user +
system, which other processes on a busy machine disturb less than the wall time), and which
heavy libraries the web worker had imported.

    .venv/bin/python bench/bench_startup.py --root /tmp/before --root . --repeats 9

Runs on the embedded default (a SQLite file in a temporary folder, in-process cache).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("numpy", "pandas", "statsforecast", "matplotlib", "scipy", "pyarrow", "fugue")

WEB_WORKER = f"""
import json, sys
from wsgiref.util import setup_testing_defaults
from inventory_project.wsgi import application
environ = {{"PATH_INFO": "/api/health"}}
setup_testing_defaults(environ)
status = []
body = b"".join(application(environ, lambda s, h, *a: status.append(s)))
assert status[0].startswith("200"), status
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""

CASES = {
    "check": ["manage.py", "check"],
    "help": ["manage.py", "help"],
    "maintenance --help": ["manage.py", "maintenance", "--help"],
    "watchdog --help": ["manage.py", "watchdog", "--help"],
    "send_forecast_report --help": ["manage.py", "send_forecast_report", "--help"],
    "forecast --help": ["manage.py", "forecast", "--help"],
    "web worker": ["-c", WEB_WORKER],
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(root: Path, args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall time, CPU time and output of one run."""
    cpu, started = _children_cpu(), time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{root}: {' '.join(args[:3])} failed:\n{done.stderr[-2000:]}")
    return elapsed, cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", action="append", type=Path, help="project checkout (repeatable)")
    parser.add_argument("--repeats", type=int, default=7)
    options = parser.parse_args()
    roots = [r.resolve() for r in (options.root or [Path(__file__).resolve().parent.parent])]

    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DATABASE_", "REDIS_", "CACHE_", "DJANGO_"))
        }
        env.update(DATABASE_URL=f"sqlite:///{folder}/db.sqlite3", PYTHONPATH="")
        times: dict[tuple[Path, str], list[float]] = {}
        cpu_times: dict[tuple[Path, str], list[float]] = {}
        loaded: dict[Path, list[str]] = {}
        for root in roots:  # a first, unmeasured pass writes the bytecode caches
            for args in CASES.values():
                run_once(root, args, env)
        for _ in range(options.repeats):
            for name, args in CASES.items():
                for root in roots:
                    elapsed, cpu, out = run_once(root, args, env)
                    times.setdefault((root, name), []).append(elapsed)
                    cpu_times.setdefault((root, name), []).append(cpu)
                    if name == "web worker":
                        loaded[root] = json.loads(out.strip().splitlines()[-1])

    print(f"load average at the end: {os.getloadavg()[0]:.2f} (1 min), cores: {os.cpu_count()}")
    print(f"wall: median (lowest), cpu: median, of {options.repeats} runs, seconds")
    header = f"{'case':<30}" + "".join(f"{str(root)[-28:]:>32}" for root in roots)
    print(header)
    for name in CASES:
        cells = []
        for root in roots:
            values, cpu = times[(root, name)], statistics.median(cpu_times[(root, name)])
            cells.append(f"{statistics.median(values):.3f} ({min(values):.3f}) cpu {cpu:.3f}")
        print(f"{name:<30}" + "".join(f"{cell:>32}" for cell in cells))
    for root in roots:
        print(f"web worker imported, {root}: {', '.join(loaded[root]) or 'none of ' + str(HEAVY)}")


if __name__ == "__main__":
    main()
