"""Concurrent changes of stock serialize: no lost update, no overdraft, no deadlock, no duplicate.

These need real row locks and concurrent connections, so they run on PostgreSQL only. Each
worker thread opens its own database connection and closes it when done.
"""

import io
import threading
from collections import Counter
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db import connection

from inventory import services
from inventory.models import Location, MovementKind, StockMovement, StockRecord
from inventory.stock_csv import import_stock_counts_csv
from inventory_project.service_errors import ServiceError
from items.models import Item
from items.services import item_create
from tests.factories import ItemFactory, LocationFactory
from tests.helpers import assert_ledger_balances, postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

# A safety net so a deadlock fails the test instead of hanging CI; never reached when it passes.
JOIN_TIMEOUT_SECONDS = 120


def run_together(workers: int, work) -> list[str]:
    """Run `work(i)` in `workers` threads released at once; each result is "ok" or an error code.

    Anything other than a ServiceError is reported by its class name, so a deadlock or a lost
    connection shows up in the results instead of vanishing in a thread.
    """
    barrier = threading.Barrier(workers)
    results: list[str] = [""] * workers

    def runner(index: int) -> None:
        try:
            barrier.wait()
            work(index)
            results[index] = "ok"
        except ServiceError as error:
            results[index] = error.code
        except Exception as error:  # reported by name; the caller asserts on the results
            results[index] = type(error).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "workers still running: deadlock?"
    return results


@pytest.fixture
def item():
    return ItemFactory(sku="SKU-RACE", name="Contended item")


@pytest.fixture
def location():
    return LocationFactory(code="RACE-A")


@pytest.fixture
def other_location():
    return LocationFactory(code="RACE-B")


def test_fifty_concurrent_issues_of_one_unit_from_fifty_leave_exactly_zero(item, location):
    services.stock_receive(item=item, location=location, quantity=Decimal(50))

    results = run_together(
        50,
        lambda _i: services.stock_issue(item=item, location=location, quantity=Decimal(1)),
    )

    assert Counter(results) == {"ok": 50}
    record = StockRecord.objects.get(item=item, location=location)
    assert record.quantity == Decimal(0)
    assert StockMovement.objects.filter(kind=MovementKind.ISSUE).count() == 50
    assert_ledger_balances()


def test_sixty_concurrent_issues_against_fifty_units_let_exactly_fifty_through(item, location):
    services.stock_receive(item=item, location=location, quantity=Decimal(50))

    results = run_together(
        60,
        lambda _i: services.stock_issue(item=item, location=location, quantity=Decimal(1)),
    )

    assert Counter(results) == {"ok": 50, "insufficient_stock": 10}
    record = StockRecord.objects.get(item=item, location=location)
    assert record.quantity == Decimal(0)
    assert not StockMovement.objects.filter(quantity_after__lt=0).exists()
    assert StockMovement.objects.filter(kind=MovementKind.ISSUE).count() == 50
    assert_ledger_balances()


def test_concurrent_transfers_in_opposite_directions_finish_without_deadlock_and_balance(
    item, location, other_location
):
    services.stock_receive(item=item, location=location, quantity=Decimal(100))
    services.stock_receive(item=item, location=other_location, quantity=Decimal(100))

    def transfer(index: int) -> None:
        there, back = (location, other_location), (other_location, location)
        from_location, to_location = there if index % 2 == 0 else back
        services.stock_transfer(
            item=item,
            from_location=from_location,
            to_location=to_location,
            quantity=Decimal(index % 5 + 1),
        )

    results = run_together(30, transfer)

    assert Counter(results) == {"ok": 30}
    quantities = dict(
        StockRecord.objects.filter(item=item).values_list("location__code", "quantity")
    )
    moved_there = sum(i % 5 + 1 for i in range(0, 30, 2))
    moved_back = sum(i % 5 + 1 for i in range(1, 30, 2))
    assert quantities == {
        "RACE-A": Decimal(100 - moved_there + moved_back),
        "RACE-B": Decimal(100 + moved_there - moved_back),
    }
    assert StockMovement.objects.filter(kind=MovementKind.TRANSFER).count() == 60
    assert_ledger_balances()


def test_concurrent_first_receipts_of_a_new_lot_end_on_one_stock_record(item, location):
    results = run_together(
        20,
        lambda _i: services.stock_receive(
            item=item, location=location, quantity=Decimal("1.5"), lot="LOT-NEW"
        ),
    )

    assert Counter(results) == {"ok": 20}
    record = StockRecord.objects.get(item=item, location=location, lot="LOT-NEW")
    assert record.quantity == Decimal(30)
    assert StockMovement.objects.filter(stock_record=record).count() == 20
    assert_ledger_balances()


def test_concurrent_creates_of_one_sku_make_one_item_and_conflicts_for_the_rest():
    results = run_together(20, lambda i: item_create(sku="SKU-TWIN", name=f"Twin {i}"))

    assert Counter(results) == {"ok": 1, "duplicate_sku": 19}
    assert Item.objects.filter(sku="SKU-TWIN").count() == 1


def test_concurrent_imports_creating_one_new_location_make_it_once_and_all_succeed(item):
    reports = {}

    def import_lot(i: int) -> None:
        text = f"sku,location,quantity,lot\nSKU-RACE,NEW-SHELF,1,L{i}\nSKU-RACE,OTHER-{i},1,\n"
        reports[i] = import_stock_counts_csv(csv_file=io.BytesIO(text.encode()))

    results = run_together(8, import_lot)

    assert Counter(results) == {"ok": 8}
    assert all(report.error_count == 0 for report in reports.values())
    location = Location.objects.get(code="NEW-SHELF")
    creators = [r for r in reports.values() if "NEW-SHELF" in r.extra["created_locations"]]
    assert len(creators) == 1
    assert StockRecord.objects.filter(location=location).count() == 8
    assert LogEntry.objects.get_for_object(location).count() == 1
    assert_ledger_balances()


def test_two_batches_making_the_same_new_lots_in_opposite_orders_both_succeed():
    # Each batch makes its missing records first: in file order, two such batches would each
    # hold a row the other waits for (a deadlock, which PostgreSQL resolves by failing one).
    item, location = ItemFactory(sku="LOTS"), LocationFactory(code="DOCK")
    lots = [f"L{n:04d}" for n in range(1000)]
    orders = [lots, lots[::-1]]

    def work(index: int) -> None:
        services.stock_batch(
            operations=[
                services.BatchOperation(
                    operation="receive", sku="LOTS", location="DOCK", quantity=1, lot=lot
                )
                for lot in orders[index]
            ]
        )

    for _round in range(8):
        assert run_together(2, work) == ["ok", "ok"]
    assert StockRecord.objects.filter(item=item, location=location).count() == 1000
    assert set(StockRecord.objects.values_list("quantity", flat=True)) == {Decimal(16)}
    assert_ledger_balances()


def test_the_ledger_times_follow_the_order_the_changes_were_made_in(item, location):
    # Many changes of one record at once: each waits for the row lock, and its time is taken
    # once it has it, so the rows' times rise with their ids as their quantities follow on.
    services.stock_receive(item=item, location=location, quantity=Decimal(50))
    record = StockRecord.objects.get(item=item, location=location)

    def work(index: int) -> None:
        for _ in range(10):
            if index % 2:
                services.stock_issue(item=item, location=location, quantity=Decimal("0.5"))
            else:
                services.stock_receive(item=item, location=location, quantity=Decimal("0.5"))

    assert run_together(6, work) == ["ok"] * 6
    rows = list(
        StockMovement.objects.filter(stock_record=record)
        .order_by("id")
        .values_list("created_at", "quantity_delta", "quantity_after")
    )
    assert all(a[0] <= b[0] for a, b in zip(rows, rows[1:], strict=False))
    assert all(a[2] + b[1] == b[2] for a, b in zip(rows, rows[1:], strict=False))
