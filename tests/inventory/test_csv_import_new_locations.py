"""A stock import that names a location code the system has not seen creates it, as v20 did."""

import io
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory.models import Location, StockMovement, StockRecord
from inventory.stock_csv import StockCountImporter
from inventory_project.csvio.engine import import_csv
from tests.platform.csvio.support import STOCK_IMPORT, counts, db_state, post_csv, row_errors

pytestmark = pytest.mark.django_db


def _quantities() -> dict[str, Decimal]:
    return dict(StockRecord.objects.values_list("location__code", "quantity"))


def test_an_import_creates_the_unknown_locations_it_names_and_lists_them(staff_client, item):
    text = "sku,location,quantity\nSKU-1001,SHELF-B,2\nSKU-1001,SHELF-A,3\n"

    body = post_csv(staff_client, STOCK_IMPORT, text).json()

    assert body["errors"] == []
    assert body["data"]["created_locations"] == ["SHELF-A", "SHELF-B"]
    assert counts(body)["inserted"] == 2
    assert list(Location.objects.values_list("code", "name", "active")) == [
        ("SHELF-A", "", True),
        ("SHELF-B", "", True),
    ]
    assert _quantities() == {"SHELF-A": Decimal(3), "SHELF-B": Decimal(2)}
    assert StockMovement.objects.count() == 2


def test_a_new_location_is_listed_once_however_many_batches_name_it(staff_client, item, settings):
    settings.IMPORT_BATCH_SIZE = 1
    text = "sku,location,quantity,lot\nSKU-1001,SHELF-A,1,L1\nSKU-1001,SHELF-A,2,L2\n"

    body = post_csv(staff_client, STOCK_IMPORT, text).json()

    assert body["data"]["created_locations"] == ["SHELF-A"]
    assert Location.objects.filter(code="SHELF-A").count() == 1
    assert StockRecord.objects.filter(location__code="SHELF-A").count() == 2


def test_an_import_naming_only_known_locations_creates_none(staff_client, item, location):
    body = post_csv(staff_client, STOCK_IMPORT, "sku,location,quantity\nSKU-1001,WALK-IN,1\n")

    assert body.json()["data"]["created_locations"] == []


def test_a_dry_run_lists_the_new_locations_and_writes_nothing(staff_client, item):
    before = db_state()
    audit_before = LogEntry.objects.count()

    body = post_csv(
        staff_client,
        STOCK_IMPORT,
        "sku,location,quantity\nSKU-1001,SHELF-A,1\nSKU-1001,SHELF-B,1\n",
        query="dry_run=true",
    ).json()

    assert body["data"]["created_locations"] == ["SHELF-A", "SHELF-B"]
    assert counts(body)["inserted"] == 2
    assert db_state() == before
    assert LogEntry.objects.count() == audit_before


def test_the_audit_trail_records_a_new_location_as_one_created_through_the_api(staff_client, item):
    staff_client.post("/api/locations", {"code": "BY-API"}, format="json")
    by_api = LogEntry.objects.get_for_object(Location.objects.get(code="BY-API")).get()

    post_csv(staff_client, STOCK_IMPORT, "sku,location,quantity\nSKU-1001,BY-IMPORT,1\n").json()

    location = Location.objects.get(code="BY-IMPORT")
    entry = LogEntry.objects.get_for_object(location).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor.email == "staff@example.com"
    assert entry.object_repr == "BY-IMPORT"
    assert entry.changes == {
        **by_api.changes,
        "id": ["None", str(location.pk)],
        "code": ["None", "BY-IMPORT"],
    }
    assert entry.additional_data == {"via": "api"}


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("SHELF\u200bA", id="zero-width-space"),
        pytest.param("SHELF\u202eA", id="bidi-override"),
        pytest.param("SHELF\u2028A", id="line-separator"),
        pytest.param("SHELF\x85A", id="c1-control"),
        pytest.param(".", id="dot"),
        pytest.param("..", id="dot-dot"),
        pytest.param("A/B", id="slash"),
    ],
)
def test_a_row_whose_new_location_code_is_invalid_is_a_row_error(staff_client, item, code):
    before = db_state()

    body = post_csv(
        staff_client, STOCK_IMPORT, f'sku,location,quantity\nSKU-1001,"{code}",1\n'
    ).json()

    [(line, field, error)] = row_errors(body)
    assert (line, field) == (2, "location")
    assert error.startswith("Location code may not")
    assert body["data"]["created_locations"] == []
    assert db_state() == before


def test_a_dry_run_gives_new_locations_of_different_batches_different_stand_in_ids(item):
    importer = StockCountImporter(create_locations=True)
    text = "sku,location,quantity\nSKU-1001,SHELF-A,1\nSKU-1001,SHELF-B,2\n"

    import_csv(importer, io.BytesIO(text.encode()), dry_run=True, batch_size=1)

    # The stand-in ids never leave the importer: its resolver is the only place to see them.
    stand_ins = [importer._resolver._locations[code] for code in ("SHELF-A", "SHELF-B")]
    assert len(set(stand_ins)) == 2
    assert not Location.objects.exists()


def test_a_negative_count_at_an_unknown_location_creates_no_location(staff_client, item):
    before = db_state()

    body = post_csv(staff_client, STOCK_IMPORT, "sku,location,quantity\nSKU-1001,SHELF-A,-1\n")

    assert body.json()["data"]["created_locations"] == []
    assert db_state() == before


def test_an_unknown_sku_at_an_unknown_location_creates_no_location(staff_client, item):
    before = db_state()

    body = post_csv(staff_client, STOCK_IMPORT, "sku,location,quantity\nNOPE,SHELF-A,1\n").json()

    assert row_errors(body) == [(2, "sku", "Unknown SKU NOPE.")]
    assert body["data"]["created_locations"] == []
    assert db_state() == before


def test_an_atomic_import_with_a_bad_row_creates_no_location(staff_client, item):
    before = db_state()
    audit_before = LogEntry.objects.count()

    response = post_csv(
        staff_client,
        STOCK_IMPORT,
        "sku,location,quantity\nSKU-1001,SHELF-A,1\nSKU-1001,SHELF-B,x\n",
        query="atomic=true",
    )

    assert response.status_code == 400
    assert response.json()["data"]["created_locations"] == []
    assert db_state() == before
    assert LogEntry.objects.count() == audit_before


def test_with_location_creation_turned_off_an_unknown_location_is_refused(
    staff_client, item, settings
):
    settings.IMPORT_CREATE_LOCATIONS = False
    before = db_state()

    body = post_csv(staff_client, STOCK_IMPORT, "sku,location,quantity\nSKU-1001,SHELF-A,1\n")

    assert row_errors(body.json()) == [(2, "location", "Unknown location SHELF-A.")]
    assert body.json()["data"]["created_locations"] == []
    assert db_state() == before


def test_the_import_inventory_command_prints_the_locations_it_created(item, tmp_path):
    path = tmp_path / "count.csv"
    path.write_text("sku,location,quantity\nSKU-1001,SHELF-B,1\nSKU-1001,SHELF-A,1\n")
    out = io.StringIO()

    call_command("import_inventory", str(path), no_progress=True, stdout=out, stderr=io.StringIO())

    assert "  created locations: SHELF-A, SHELF-B" in out.getvalue().splitlines()
    assert set(Location.objects.values_list("code", flat=True)) == {"SHELF-A", "SHELF-B"}


def test_the_import_inventory_command_refuses_an_invalid_new_code_by_line(item, tmp_path):
    path = tmp_path / "count.csv"
    path.write_text("sku,location,quantity\nSKU-1001,..,1\n")
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command(
            "import_inventory", str(path), no_progress=True, stdout=io.StringIO(), stderr=err
        )

    assert "line 2: location: Location code may not be '.' or '..'." in err.getvalue()
    assert not Location.objects.exists()
