"""An import is one transaction: a crash, or a worker killed mid-file, changes nothing."""

import io
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError

from forecasting.usage_csv import import_usage_csv
from inventory.stock_csv import StockCountImporter, import_stock_counts_csv
from inventory_project.csvio import bulk
from items.item_csv import import_items_csv
from tests.factories import ItemFactory
from tests.helpers import assert_ledger_balances, postgres_only
from tests.platform.csvio.support import STOCK_IMPORT, db_state, post_csv

PROJECT_ROOT = Path(__file__).resolve().parents[3]


class Crash(Exception):
    pass


def _crash_on_call(monkeypatch, name: str, call: int | None) -> list[int]:
    """Make `bulk.<name>` raise on its `call`-th call (None: never); answer each call's rows."""
    original = getattr(bulk, name)
    calls: list[int] = []

    def failing(*args, **kwargs):
        calls.append(len(args[2]))
        if len(calls) == call:
            raise Crash(f"{name} failed on call {call}")
        return original(*args, **kwargs)

    monkeypatch.setattr(bulk, name, failing)
    return calls


def _stock_file(rows: int) -> io.BytesIO:
    lines = "".join(f"SKU-1001,WALK-IN,{n + 1},L{n:04d}\n" for n in range(rows))
    return io.BytesIO(f"sku,location,quantity,lot\nSKU-1001,WALK-IN,3,\n{lines}".encode())


@pytest.mark.django_db
def test_a_crash_writing_the_ledger_of_a_later_batch_leaves_the_stock_as_it_was(
    stocked, api_user, monkeypatch
):
    calls = _crash_on_call(monkeypatch, "insert_rows", call=2)
    before = db_state()

    with pytest.raises(Crash):
        import_stock_counts_csv(csv_file=_stock_file(6), performed_by=api_user, batch_size=2)

    assert calls == [2, 2], "the first batch was written before the crash"
    assert db_state() == before
    assert_ledger_balances()


@pytest.mark.django_db
def test_a_crash_updating_items_in_a_later_batch_leaves_the_items_as_they_were(item, monkeypatch):
    for n in range(5):
        ItemFactory(sku=f"UPD-{n}", name=f"Item {n}")
    calls = _crash_on_call(monkeypatch, "update_rows", call=2)
    text = "sku,name\n" + "".join(f"UPD-{n},Renamed {n}\n" for n in range(5)) + "NEW-1,Tea\n"
    before = db_state()

    with pytest.raises(Crash):
        import_items_csv(csv_file=io.BytesIO(text.encode()), batch_size=2)

    assert calls == [2, 2]
    assert db_state() == before


@pytest.mark.django_db
def test_a_crash_inserting_usage_in_a_later_batch_leaves_the_history_as_it_was(item, monkeypatch):
    calls = _crash_on_call(monkeypatch, "insert_returning", call=3)
    text = "date,sku,quantity\n" + "".join(f"2025-01-{d:02d},SKU-1001,{d}\n" for d in range(1, 8))
    before = db_state()

    with pytest.raises(Crash):
        import_usage_csv(csv_file=io.BytesIO(text.encode()), batch_size=2)

    assert calls == [2, 2, 2]
    assert db_state() == before


@pytest.mark.django_db
def test_an_unexpected_error_reading_a_later_row_leaves_the_stock_as_it_was(
    stocked, api_user, monkeypatch
):
    original = StockCountImporter.clean_row
    seen = []

    def clean_row(self, raw):
        seen.append(raw["lot"])
        if len(seen) == 6:
            raise Crash("the reader failed")
        return original(self, raw)

    monkeypatch.setattr(StockCountImporter, "clean_row", clean_row)
    inserted = _crash_on_call(monkeypatch, "insert_rows", call=None)
    before = db_state()

    with pytest.raises(Crash, match="the reader failed"):
        import_stock_counts_csv(csv_file=_stock_file(8), performed_by=api_user, batch_size=2)

    assert inserted, "batches before the bad row were written"
    assert db_state() == before


class _DeadlockDetected(Exception):
    sqlstate = "40P01"


@pytest.mark.django_db
def test_a_deadlock_broken_by_the_database_is_a_409_and_nothing_written(
    api_client, stocked, other_location, settings, monkeypatch
):
    settings.IMPORT_BATCH_SIZE = 1
    original = bulk.insert_rows
    calls = []

    def deadlocked(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OperationalError("deadlock detected") from _DeadlockDetected()
        return original(*args, **kwargs)

    monkeypatch.setattr(bulk, "insert_rows", deadlocked)
    before = db_state()

    response = post_csv(
        api_client, STOCK_IMPORT, "sku,location,quantity\nSKU-1001,WALK-IN,4\nSKU-1001,FREEZER,2\n"
    )

    assert response.status_code == 409, response.content
    assert response.json() == {
        "success": False,
        "error": "The import met a concurrent change of the same stock and was rolled back; "
        "nothing was written. Send it again.",
        "code": "import_conflict",
    }
    assert db_state() == before


# --- a worker killed with SIGKILL --------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import sys, time
    import django
    django.setup()
    from inventory.stock_csv import import_stock_counts_csv
    from inventory.models import StockRecord

    def progress(report):
        # The rows this transaction wrote so far (visible only to itself).
        print(f"batch {report.total_rows} {StockRecord.objects.count()}", flush=True)
        time.sleep(0.05)

    with open(sys.argv[1], "rb") as source:
        import_stock_counts_csv(csv_file=source, batch_size=200, progress=progress)
    print("finished", flush=True)
    """
)


def _database_url() -> str:
    db = django_settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
        f"{db['NAME']}"
    )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_leaves_the_database_as_it_was(stocked, tmp_path):
    rows = 20_000
    path = tmp_path / "count.csv"
    path.write_text(
        "sku,location,quantity,lot\n"
        + "".join(f"SKU-1001,WALK-IN,{n % 50 + 1},L{n:05d}\n" for n in range(rows))
        + "SKU-1001,WALK-IN,3,\n"
    )
    records_before = stocked.item.stock_records.count()
    before = db_state()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inventory_project.settings",
        "DATABASE_URL": _database_url(),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    env.pop("TEST_DATABASE_NAME", None)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        progress = []
        for line in child.stdout:
            progress.append(line.split())
            if len(progress) == 3:
                child.send_signal(signal.SIGKILL)
                break
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()

    assert child.returncode == -signal.SIGKILL, child.stderr.read()
    child.stderr.close()
    assert [p[0] for p in progress] == ["batch"] * 3
    total_rows, records_seen = int(progress[2][1]), int(progress[2][2])
    assert 0 < total_rows < rows, "killed in the middle of the file"
    assert records_seen >= records_before + 600, "three batches were written when it was killed"
    assert db_state() == before
    assert_ledger_balances()
