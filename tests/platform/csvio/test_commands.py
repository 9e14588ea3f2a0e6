"""The CSV import commands: import_items, import_inventory and import_usage."""

import io
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from forecasting.models import DailyUsage
from inventory.models import StockMovement, StockRecord
from items.models import Item
from tests.conftest import user_with_role
from tests.helpers import assert_ledger_balances

ITEMS_CSV = "sku,name,category,par_level\nAPL-1,Apples,Fruit,5\nBAN-1,Bananas,Fruit,2.5\n"


def write_csv(tmp_path, text: str, name: str = "import.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(command: str, *args, **options) -> tuple[str, str]:
    """Run a command; its (stdout, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=stdout, stderr=stderr, **options)
    return stdout.getvalue(), stderr.getvalue()


def run_failing(command: str, *args, **options) -> tuple[str, str, str]:
    """Run a command that must fail; its (stdout, stderr, CommandError message)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(command, *args, stdout=stdout, stderr=stderr, **options)
    return stdout.getvalue(), stderr.getvalue(), str(raised.value)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_import_items_imports_and_prints_the_summary(db, tmp_path):
    out, err = run("import_items", write_csv(tmp_path, ITEMS_CSV))

    assert Item.objects.get(sku="APL-1").par_level == Decimal("5")
    assert Item.objects.get(sku="BAN-1").name == "Bananas"
    assert "Import of items from" in out
    for line in (
        "total rows:   2",
        "inserted:     2",
        "updated:      0",
        "unchanged:    0",
        "errors:       0",
        "seconds:",
        "rows/second:",
    ):
        assert line in out
    assert "DRY RUN" not in out
    assert err == ""


def test_import_items_again_reports_unchanged_rows(db, tmp_path):
    path = write_csv(tmp_path, ITEMS_CSV)
    run("import_items", path)

    out, _err = run("import_items", path)

    assert "inserted:     0" in out
    assert "unchanged:    2" in out


def test_import_inventory_imports_stock_counts(item, location, tmp_path):
    path = write_csv(tmp_path, "sku,location,quantity,lot\nSKU-1001,WALK-IN,7.5,\n")

    out, _err = run("import_inventory", path)

    assert StockRecord.objects.get(item=item, location=location, lot="").quantity == Decimal("7.5")
    assert "Import of stock counts from" in out
    assert "inserted:     1" in out
    assert_ledger_balances()


def test_import_usage_imports_usage_history(item, location, tmp_path):
    path = write_csv(
        tmp_path,
        "date,sku,quantity,location\n2025-03-01,SKU-1001,4,\n2025-03-01,SKU-1001,1.5,WALK-IN\n",
    )

    out, _err = run("import_usage", path)

    assert DailyUsage.objects.filter(item=item, date=date(2025, 3, 1)).count() == 2
    assert "Import of usage history from" in out
    assert "inserted:     2" in out


def test_dry_run_writes_nothing(db, tmp_path):
    out, _err = run("import_items", write_csv(tmp_path, ITEMS_CSV), dry_run=True)

    assert not Item.objects.exists()
    assert "inserted:     2" in out  # what would be inserted
    assert "DRY RUN: nothing written" in out


def test_atomic_with_a_bad_row_writes_nothing_and_fails(item, location, tmp_path, settings):
    settings.IMPORT_CREATE_LOCATIONS = False  # so that an unknown location is a bad row
    path = write_csv(tmp_path, "sku,location,quantity\nSKU-1001,WALK-IN,5\nSKU-1001,NOWHERE,1\n")

    out, err, message = run_failing("import_inventory", path, atomic=True)

    assert not StockRecord.objects.exists()
    assert not StockMovement.objects.exists()
    assert "ATOMIC: nothing imported" in out
    assert "line 3: location: Unknown location NOWHERE." in err
    assert "nothing was imported" in message


def test_refused_rows_fail_the_command_and_are_printed_by_line(item, location, tmp_path):
    path = write_csv(tmp_path, "sku,location,quantity\nSKU-1001,WALK-IN,5\nNOPE,WALK-IN,1\n")

    out, err, message = run_failing("import_inventory", path)

    # The good row is imported all the same; only the exit status says something was refused.
    assert StockRecord.objects.get(item=item).quantity == Decimal("5")
    assert "errors:       1" in out
    assert err.splitlines() == ["line 3: sku: Unknown SKU NOPE."]
    assert message == "1 of 2 rows were refused; the other rows were imported."


def test_a_missing_file_is_a_command_error(db, tmp_path):
    _out, _err, message = run_failing("import_items", str(tmp_path / "absent.csv"))

    assert "Cannot read" in message
    assert "No such file or directory" in message


def test_a_file_without_the_required_columns_is_a_command_error(db, tmp_path):
    _out, _err, message = run_failing("import_usage", write_csv(tmp_path, "sku,quantity\nA,1\n"))

    assert message.startswith("Missing required column: date.")


def test_a_file_over_the_import_limit_is_a_command_error(db, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 20

    _out, _err, message = run_failing("import_items", write_csv(tmp_path, ITEMS_CSV))

    assert "larger than the import limit of 20 bytes" in message
    assert not Item.objects.exists()


def test_dash_reads_standard_input(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", SimpleNamespace(buffer=io.BytesIO(ITEMS_CSV.encode())))

    out, _err = run("import_items", "-")

    assert Item.objects.count() == 2
    assert "Import of items from standard input" in out


def test_stock_rows_from_the_command_record_source_command_and_the_user(item, location, tmp_path):
    counter = user_with_role("staff", email="counter@example.com")
    path = write_csv(tmp_path, "sku,location,quantity\nSKU-1001,WALK-IN,3\n")

    run("import_inventory", path, user="Counter@Example.com")

    movement = StockMovement.objects.get()
    assert movement.source == "command"
    assert movement.created_by == counter


def test_stock_rows_without_a_user_have_no_author(item, location, tmp_path):
    run("import_inventory", write_csv(tmp_path, "sku,location,quantity\nSKU-1001,WALK-IN,3\n"))

    movement = StockMovement.objects.get()
    assert movement.source == "command"
    assert movement.created_by is None


def test_an_unknown_user_is_a_command_error(item, location, tmp_path):
    path = write_csv(tmp_path, "sku,location,quantity\nSKU-1001,WALK-IN,3\n")

    _out, _err, message = run_failing("import_inventory", path, user="ghost@example.com")

    assert message == "No user with the e-mail address ghost@example.com."
    assert not StockRecord.objects.exists()


def test_an_inactive_user_is_a_command_error(item, location, tmp_path):
    user_with_role("staff", email="gone@example.com", is_active=False)
    path = write_csv(tmp_path, "sku,location,quantity\nSKU-1001,WALK-IN,3\n")

    _out, _err, message = run_failing("import_inventory", path, user="gone@example.com")

    assert message == "User gone@example.com is inactive."


def test_the_users_role_decides_whether_items_may_be_deactivated(item, tmp_path):
    user_with_role("staff", email="staff-member@example.com")
    path = write_csv(tmp_path, "sku,active\nSKU-1001,false\n")

    _out, err, _message = run_failing("import_items", path, user="staff-member@example.com")
    item.refresh_from_db()
    assert item.active is True
    assert "line 2: active: Changing whether an item is active needs the admin role." in err

    run("import_items", path)  # no --user: the operator is trusted
    item.refresh_from_db()
    assert item.active is False


def test_max_errors_prints_that_many_and_counts_the_rest(db, tmp_path):
    rows = "".join(f"BAD-{n},,1\n" for n in range(5))  # a new item needs a name
    path = write_csv(tmp_path, "sku,name,par_level\n" + rows)

    out, err, message = run_failing("import_items", path, max_errors=2)

    assert "errors:       5" in out
    assert err.splitlines() == [
        "line 2: name: name is required for a new item (SKU BAD-0).",
        "line 3: name: name is required for a new item (SKU BAD-1).",
        "... and 3 more",
    ]
    assert message == "5 of 5 rows were refused; the other rows were imported."


def test_the_progress_bar_is_left_out_when_stderr_is_not_a_terminal(db, tmp_path):
    _out, err = run("import_items", write_csv(tmp_path, ITEMS_CSV), batch_size=1)

    assert Item.objects.count() == 2
    assert err == ""


def test_no_progress_leaves_the_bar_out_even_on_a_terminal(db, tmp_path):
    stderr = FakeTerminal()

    call_command(
        "import_items",
        write_csv(tmp_path, ITEMS_CSV),
        no_progress=True,
        stdout=io.StringIO(),
        stderr=stderr,
    )

    assert Item.objects.count() == 2
    assert stderr.getvalue() == ""


def test_the_progress_bar_on_a_terminal_counts_bytes_and_rows(db, tmp_path):
    path = write_csv(tmp_path, ITEMS_CSV)
    stderr = FakeTerminal()

    call_command("import_items", path, batch_size=1, stdout=io.StringIO(), stderr=stderr)

    final = stderr.getvalue().split("\r")[-1]
    size = len(ITEMS_CSV.encode())
    assert "100%|" in final
    assert f"{size:.1f}/{size:.1f}" in final  # bytes read / file size, as unit_scale shows them
    assert "rows=2" in final


def test_import_usage_takes_no_user(db, tmp_path):
    # Usage history records no author, so a --user there would be silently ignored.
    with pytest.raises(TypeError, match="Unknown option"):
        call_command("import_usage", write_csv(tmp_path, "date,sku,quantity\n"), user="a@b.c")
