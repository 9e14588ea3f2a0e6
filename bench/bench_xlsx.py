"""Benchmark .xlsx imports: time and peak memory of importing 10,000 and 100,000 items.

For each size, a fresh process on a fresh SQLite database imports an items workbook (written
here with openpyxl, as a spreadsheet saves one) through `import_items_csv`, and reports its
rows per second and its peak resident memory (ru_maxrss) before and after the import. Memory
that stays flat from the smaller file to the ten times larger one shows that the rows are
streamed, not held.

    .venv/bin/python bench/bench_xlsx.py
    .venv/bin/python bench/bench_xlsx.py --sizes 10000 100000 --json /tmp/xlsx.json
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def write_workbook(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Items")
    sheet.append(["sku", "name", "category", "uom", "reorder_min", "reorder_max", "par_level"])
    for n in range(rows):
        sheet.append([f"SKU-{n:07d}", f"Item {n}", f"Category {n % 12}", "kg", 5, 50, 12.5])
    workbook.save(path)


def child(path: str) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_project.settings")
    sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from items.item_csv import import_items_csv

    call_command("migrate", verbosity=0)
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    with open(path, "rb") as workbook:
        report = import_items_csv(csv_file=workbook)
    seconds = time.perf_counter() - started
    return {
        "rows": report.total_rows,
        "inserted": report.inserted,
        "errors": report.error_count,
        "seconds": round(seconds, 2),
        "rows_per_second": round(report.total_rows / seconds),
        "peak_mb_before": round(before_mb, 1),
        "peak_mb_after": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="inventory-bench-xlsx-") as folder:
        for size in args.sizes:
            path = Path(folder) / f"items-{size}.xlsx"
            write_workbook(path, size)
            env = {
                **os.environ,
                "DATABASE_URL": f"sqlite:///{folder}/bench-{size}.sqlite3",
                "REDIS_URL": "",
                "LOG_LEVEL": "WARNING",
            }
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(path)],
                env=env,
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=1800,
            )
            if done.returncode:
                raise SystemExit(done.stderr[-4000:])
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result["file_mb"] = round(path.stat().st_size / 1e6, 1)
            results.append(result)
    print("| rows | file MB | seconds | rows/s | peak MB before | peak MB after |")
    print("|--:|--:|--:|--:|--:|--:|")
    for r in results:
        print(
            f"| {r['rows']:,} | {r['file_mb']} | {r['seconds']} | {r['rows_per_second']:,} | "
            f"{r['peak_mb_before']} | {r['peak_mb_after']} |"
        )
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
