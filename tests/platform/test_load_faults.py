"""The load test's ledger audit on constructed data, and the fault it found in the stock routes.

`bench/load_faults.py` decides from the client's records and the ledger whether writes were
lost, duplicated or committed behind an error answer; these cases pin that verdict without a
server. The last tests reproduce, in-process, what the load test saw when it killed database
connections: a stock operation answered 500 after its change had committed.
"""

from decimal import Decimal

import pytest
from django.db import OperationalError

from bench.load_faults import audit_ledger
from inventory import selectors
from inventory.models import StockMovement, StockRecord
from tests.helpers import assert_ledger_balances

TRANSFER_ID = "7d3c1c6e-0000-4000-8000-000000000001"


def write(rid, status, op="receive", mids=()):
    return {"rid": rid, "op": op, "status": status, "mids": list(mids)}


def row(row_id, rid, kind="receipt", delta=Decimal(1), transfer_id=None):
    return (row_id, rid, kind, delta, transfer_id)


def test_every_answer_matching_the_ledger_passes():
    writes = [
        write("a", 201, mids=[1]),
        write("b", 201, op="transfer", mids=[2, 3]),
        write("c", 409, op="issue"),
        write("d", 500),
        write("e", 0),
        write("f", 0, op="count"),
    ]
    rows = [
        row(1, "a"),
        row(2, "b", "transfer", Decimal(-1), TRANSFER_ID),
        row(3, "b", "transfer", Decimal(1), TRANSFER_ID),
        row(4, "f", "count", Decimal(5)),
    ]

    report = audit_ledger(writes, rows)

    assert report["passed"], report["problems"]
    assert report["acknowledged"] == 2
    assert report["refused"] == 1
    assert report["failed"] == 1
    # A write without an answer may or may not have committed: counted, never a failure.
    assert report["unanswered_committed"] == 1
    assert report["unanswered_not_committed"] == 1


@pytest.mark.parametrize(
    ("writes", "rows", "counter"),
    [
        ([write("a", 201, mids=[1])], [], "acknowledged_lost"),
        ([write("a", 201, mids=[1])], [row(1, "a"), row(2, "a")], "acknowledged_dup"),
        ([write("a", 500)], [row(1, "a")], "failed_but_committed"),
        ([write("a", 409, op="issue")], [row(1, "a", "issue")], "refused_but_committed"),
        ([], [row(1, "x")], "unknown_request_ids"),
    ],
    ids=["lost", "duplicated", "500-but-committed", "409-but-committed", "unknown-id"],
)
def test_a_lost_duplicated_or_hidden_write_fails_the_audit(writes, rows, counter):
    report = audit_ledger(writes, rows)

    assert not report["passed"]
    assert report[counter] == 1


def test_a_transfer_must_be_two_rows_of_one_transfer_that_cancel_out():
    writes = [write("t", 201, op="transfer", mids=[1, 2])]
    rows = [
        row(1, "t", "transfer", Decimal(-1), TRANSFER_ID),
        row(2, "t", "transfer", Decimal(2), None),
    ]

    report = audit_ledger(writes, rows)

    assert not report["passed"]
    assert "transfer id" in report["problems"][0]
    assert "cancel out" in report["problems"][0]


def test_the_answered_row_ids_must_be_the_ledger_rows():
    report = audit_ledger([write("a", 201, mids=[7])], [row(1, "a")])

    assert not report["passed"]


def test_an_unbalanced_stock_record_fails_the_audit():
    report = audit_ledger([], [], balance_mismatches=[(1, Decimal(5), Decimal(4))])

    assert not report["passed"]
    assert report["balance_mismatches"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "body", "answer"),
    [
        # A receive makes its answer from the rows it wrote; a transfer reads its rows.
        ("receive", {"sku": "SKU-1001", "location": "WALK-IN"}, "change_rows"),
        (
            "transfer",
            {"sku": "SKU-1001", "from_location": "WALK-IN", "to_location": "FREEZER"},
            "stock_row",
        ),
    ],
)
def test_a_stock_write_whose_answer_cannot_be_made_commits_nothing(
    staff_client, stocked, other_location, monkeypatch, route, body, answer
):
    # As when the database connection is lost after the change and before its answer is made.
    def connection_lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(selectors, answer, connection_lost)
    movements_before = StockMovement.objects.count()

    response = staff_client.post(f"/api/inventory/{route}", {**body, "quantity": 2}, format="json")

    assert response.status_code == 500
    assert response.json()["success"] is False
    assert StockMovement.objects.count() == movements_before
    assert StockRecord.objects.get(pk=stocked.pk).quantity == Decimal(10)
    assert_ledger_balances()
