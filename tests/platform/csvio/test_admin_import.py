"""The admin's CSV import pages: upload, preview (a dry run), confirm, through the services."""

import os
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from forecasting.models import DailyUsage
from inventory import services as stock_services
from inventory.models import (
    Location,
    MovementKind,
    MovementSource,
    StockMovement,
    StockRecord,
)
from inventory_project.csvio import admin as admin_imports
from items.models import Item
from tests.conftest import user_with_role
from tests.factories import ItemFactory, LocationFactory
from tests.helpers import assert_ledger_balances

pytestmark = pytest.mark.django_db

ITEMS = "items_item"
STOCK = "inventory_stockrecord"
USAGE = "forecasting_dailyusage"
ALL_IMPORTS = (ITEMS, STOCK, USAGE)

ITEMS_CSV = (
    "sku,name,category,par_level\n"
    "SKU-2001,Basmati rice,Dry goods,5\n"
    "SKU-2002,Olive oil,Oils,abc\n"
    "SKU-2003,Sea salt,Spices,1.5\n"
)


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    """Uploads awaiting confirmation go to a directory of this test, to see them come and go."""
    settings.IMPORT_UPLOAD_DIR = str(tmp_path)
    return tmp_path


@pytest.fixture
def admin_user_client(client):
    client.force_login(user_with_role("admin", email="import-admin@example.com", is_staff=True))
    return client


@pytest.fixture
def staff_user(db):
    return user_with_role("staff", email="import-staff@example.com", is_staff=True)


@pytest.fixture
def staff_user_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def viewer_client(client):
    client.force_login(user_with_role("viewer", email="import-viewer@example.com", is_staff=True))
    return client


def import_url(name: str) -> str:
    return reverse(f"admin:{name}_import")


def changelist_url(name: str) -> str:
    return reverse(f"admin:{name}_changelist")


def upload(client, name: str, text: str, *, atomic: bool = False, filename: str = "data.csv"):
    data = {
        "step": "upload",
        "file": SimpleUploadedFile(filename, text.encode("utf-8"), content_type="text/csv"),
    }
    if atomic:
        data["atomic"] = "on"
    return client.post(import_url(name), data)


def confirm(client, name: str, token: str):
    return client.post(import_url(name), {"step": "confirm", "token": token})


def token_of(response) -> str:
    return response.context["pending"].token


def messages_of(response) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def pending_files(directory) -> list[str]:
    return sorted(os.listdir(directory))


# --- the button and who may use the page ----------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "staff"])
@pytest.mark.parametrize("name", ALL_IMPORTS)
def test_the_change_list_shows_the_import_button(client, role, name):
    client.force_login(user_with_role(role, email=f"{role}-button@example.com", is_staff=True))

    response = client.get(changelist_url(name))

    assert response.status_code == 200
    assert f'href="{import_url(name)}"' in response.content.decode()
    assert "Import CSV" in response.content.decode()


@pytest.mark.parametrize("name", ALL_IMPORTS)
def test_a_viewer_sees_no_import_button(viewer_client, name):
    response = viewer_client.get(changelist_url(name))

    assert response.status_code == 200
    assert import_url(name) not in response.content.decode()


@pytest.mark.parametrize("name", ALL_IMPORTS)
def test_a_viewer_gets_403_on_the_import_page(viewer_client, name):
    assert viewer_client.get(import_url(name)).status_code == 403
    assert upload(viewer_client, name, ITEMS_CSV).status_code == 403


def test_the_import_page_needs_a_signed_in_admin_user(client):
    response = client.get(import_url(ITEMS))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_the_upload_needs_the_csrf_token(staff_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)

    response = upload(client, ITEMS, ITEMS_CSV)

    assert response.status_code == 403
    assert not Item.objects.exists()


# --- the form -------------------------------------------------------------------------------


def test_the_form_page_renders_with_the_expected_header(staff_user_client):
    response = staff_user_client.get(import_url(STOCK))

    assert response.status_code == 200
    body = response.content.decode()
    assert "sku,location,quantity,lot,expires_at,last_counted_at" in body
    assert 'name="file"' in body
    assert 'name="atomic"' in body
    assert "csrfmiddlewaretoken" in body
    assert f'href="{changelist_url(STOCK)}"' in body  # breadcrumbs and cancel


# --- the preview ----------------------------------------------------------------------------


def test_uploading_shows_the_preview_and_writes_nothing(staff_user_client, upload_dir):
    response = upload(staff_user_client, ITEMS, ITEMS_CSV)

    assert response.status_code == 200
    assert response.templates[0].name == "admin/csv_import/preview.html"
    report = response.context["report"]
    assert (report.total_rows, report.inserted, report.updated, report.error_count) == (3, 2, 0, 1)
    body = response.content.decode()
    assert "Basmati rice" in body  # the first rows
    assert "Sea salt" in body
    assert "<td>3</td><td>par_level</td><td>par_level must be a number, not &#x27;abc&#x27;." in (
        body
    )
    assert 'value="confirm"' in body
    assert token_of(response) in body
    assert not Item.objects.exists()
    assert len(pending_files(upload_dir)) == 1


def test_the_preview_shows_the_delimiter_and_the_ignored_columns(staff_user_client):
    response = upload(staff_user_client, ITEMS, "SKU;Name;Colour\nSKU-2001;Rice;white\n")

    body = response.content.decode()
    assert "semicolon (;)" in body
    assert "<code>colour</code>" in body


def test_the_preview_lists_the_first_20_rows(staff_user_client):
    lines = [f"SKU-{n:04d},Item {n}" for n in range(1, 31)]

    response = upload(staff_user_client, ITEMS, "sku,name\n" + "\n".join(lines) + "\n")

    rows = response.context["rows"]
    assert [line for line, _cells in rows] == list(range(2, 22))
    assert rows[0][1] == ["SKU-0001", "Item 1"]
    assert "and 10 more rows" in response.content.decode()


def test_the_preview_says_how_many_errors_it_does_not_list(staff_user_client, monkeypatch):
    monkeypatch.setattr(admin_imports, "PREVIEW_MAX_ERRORS", 2)
    lines = [f"SKU-{n:04d},Item {n},x" for n in range(1, 6)]

    response = upload(staff_user_client, ITEMS, "sku,name,par_level\n" + "\n".join(lines) + "\n")

    assert len(response.context["report"].errors) == 2
    assert "and 3 more rows with errors" in response.content.decode()


def test_an_atomic_preview_warns_that_nothing_would_be_imported(staff_user_client):
    response = upload(staff_user_client, ITEMS, ITEMS_CSV, atomic=True)

    assert response.context["atomic_refusal"] is True
    assert "confirming it will import nothing" in response.content.decode()
    assert response.context["report"].inserted == 2  # what each row would do, all the same


# --- file-level refusals --------------------------------------------------------------------


def test_a_missing_column_shows_the_message_and_writes_nothing(staff_user_client, upload_dir):
    response = upload(staff_user_client, STOCK, "sku,quantity\nSKU-1001,4\n")

    assert response.status_code == 200
    assert response.templates[0].name == "admin/csv_import/form.html"
    assert "Missing required column: location." in response.content.decode()
    assert not StockRecord.objects.exists()
    assert pending_files(upload_dir) == []
    assert not staff_user_client.session.get(admin_imports.SESSION_KEY)


def test_a_file_that_is_not_utf8_shows_the_message(staff_user_client, upload_dir):
    response = staff_user_client.post(
        import_url(ITEMS),
        {
            "step": "upload",
            "file": SimpleUploadedFile("x.csv", "sku,name\nSKU-1,Café\n".encode("latin-1")),
        },
    )

    assert "The file is not UTF-8 text" in response.content.decode()
    assert pending_files(upload_dir) == []


def test_an_upload_over_the_limit_is_refused(staff_user_client, settings, upload_dir):
    settings.IMPORT_MAX_BYTES = 20

    response = upload(staff_user_client, ITEMS, ITEMS_CSV)

    assert "larger than the import limit of 20 bytes" in response.content.decode()
    assert pending_files(upload_dir) == []
    assert not Item.objects.exists()


def test_an_upload_without_a_file_shows_the_form_error(staff_user_client):
    response = staff_user_client.post(import_url(ITEMS), {"step": "upload"})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["This field is required."]


# --- confirming -----------------------------------------------------------------------------


def test_confirming_imports_items_and_redirects_with_a_success_message(staff_user_client):
    text = "sku,name,category\nSKU-2001,Basmati rice,Dry goods\nSKU-2003,Sea salt,Spices\n"
    token = token_of(upload(staff_user_client, ITEMS, text, filename="items.csv"))

    response = confirm(staff_user_client, ITEMS, token)

    assert response.status_code == 302
    assert response.url == changelist_url(ITEMS)
    assert sorted(Item.objects.values_list("sku", "name")) == [
        ("SKU-2001", "Basmati rice"),
        ("SKU-2003", "Sea salt"),
    ]
    assert messages_of(response) == [
        ("success", "Imported items.csv: 2 rows, 2 inserted, 0 updated, 0 unchanged.")
    ]


def test_confirming_stock_counts_writes_admin_ledger_rows_by_the_user(
    staff_user_client, staff_user, item, location
):
    token = token_of(
        upload(staff_user_client, STOCK, "sku,location,quantity\nSKU-1001,WALK-IN,4\n")
    )

    response = confirm(staff_user_client, STOCK, token)

    assert response.status_code == 302
    assert response.url == changelist_url(STOCK)
    record = StockRecord.objects.get(item=item, location=location)
    assert record.quantity == Decimal("4")
    movement = StockMovement.objects.get(stock_record=record)
    assert movement.kind == MovementKind.COUNT
    assert movement.source == MovementSource.ADMIN
    assert movement.created_by == staff_user
    assert movement.quantity_delta == Decimal("4")
    assert_ledger_balances()
    assert messages_of(response)[0][0] == "success"


def test_confirming_a_count_of_existing_stock_writes_the_difference(staff_user_client, stocked):
    token = token_of(
        upload(staff_user_client, STOCK, "sku,location,quantity\nSKU-1001,WALK-IN,7\n")
    )

    confirm(staff_user_client, STOCK, token)

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("7")
    count = stocked.movements.get(kind=MovementKind.COUNT)
    assert (count.quantity_delta, count.source) == (Decimal("-3"), MovementSource.ADMIN)
    assert_ledger_balances()


def test_confirming_imports_usage_history(staff_user_client, item, location):
    text = "date,sku,quantity,location\n2026-01-01,SKU-1001,5,\n2026-01-01,SKU-1001,3,WALK-IN\n"
    token = token_of(upload(staff_user_client, USAGE, text))

    response = confirm(staff_user_client, USAGE, token)

    assert response.url == changelist_url(USAGE)
    assert set(DailyUsage.objects.values_list("location__code", "quantity")) == {
        (None, Decimal("5")),
        ("WALK-IN", Decimal("3")),
    }


def test_confirming_skips_bad_rows_with_a_warning(staff_user_client):
    token = token_of(upload(staff_user_client, ITEMS, ITEMS_CSV, filename="items.csv"))

    response = confirm(staff_user_client, ITEMS, token)

    assert set(Item.objects.values_list("sku", flat=True)) == {"SKU-2001", "SKU-2003"}
    assert messages_of(response) == [
        (
            "warning",
            "Imported items.csv: 2 inserted, 0 updated, 0 unchanged; "
            "skipped 1 row with errors (line 3).",
        )
    ]


def test_an_atomic_import_with_bad_rows_writes_nothing(staff_user_client, upload_dir):
    token = token_of(upload(staff_user_client, ITEMS, ITEMS_CSV, atomic=True, filename="i.csv"))

    response = confirm(staff_user_client, ITEMS, token)

    assert response.url == changelist_url(ITEMS)
    assert not Item.objects.exists()
    assert messages_of(response) == [
        (
            "error",
            "Nothing imported from i.csv: 1 of 3 rows have errors and the import was all rows "
            "or none.",
        )
    ]
    assert pending_files(upload_dir) == []


def test_the_uploaded_file_is_deleted_after_confirming(staff_user_client, upload_dir):
    token = token_of(upload(staff_user_client, ITEMS, ITEMS_CSV))
    assert len(pending_files(upload_dir)) == 1

    confirm(staff_user_client, ITEMS, token)

    assert pending_files(upload_dir) == []
    assert not staff_user_client.session.get(admin_imports.SESSION_KEY)


def test_the_import_uses_the_file_as_uploaded_at_the_preview(staff_user_client):
    # A second upload in between (say, another tab) replaces the first: its token is void.
    first = token_of(upload(staff_user_client, ITEMS, "sku,name\nSKU-2001,Rice\n"))
    second = token_of(upload(staff_user_client, ITEMS, "sku,name\nSKU-2002,Oil\n"))

    refused = confirm(staff_user_client, ITEMS, first)
    confirm(staff_user_client, ITEMS, second)

    assert refused.url == import_url(ITEMS)
    assert list(Item.objects.values_list("sku", flat=True)) == ["SKU-2002"]


def test_a_token_is_confirmed_once(staff_user_client):
    token = token_of(upload(staff_user_client, ITEMS, "sku,name\nSKU-2001,Rice\n"))
    confirm(staff_user_client, ITEMS, token)
    Item.objects.all().delete()

    response = confirm(staff_user_client, ITEMS, token)

    assert response.url == import_url(ITEMS)
    assert not Item.objects.exists()
    assert messages_of(response)[-1][0] == "error"


def test_an_unknown_token_is_refused_with_a_message(staff_user_client):
    response = confirm(staff_user_client, ITEMS, "not-a-token")

    assert response.status_code == 302
    assert response.url == import_url(ITEMS)
    assert messages_of(response) == [
        (
            "error",
            "This import is unknown, expired or already done: nothing was imported. "
            "Upload the file again.",
        )
    ]


def test_an_expired_upload_cannot_be_confirmed(staff_user_client, monkeypatch, upload_dir):
    token = token_of(upload(staff_user_client, ITEMS, ITEMS_CSV))
    monkeypatch.setattr(admin_imports, "PENDING_SECONDS", -1)

    response = confirm(staff_user_client, ITEMS, token)

    assert response.url == import_url(ITEMS)
    assert not Item.objects.exists()
    assert pending_files(upload_dir) == []


def test_another_users_token_cannot_be_confirmed(staff_user_client, upload_dir):
    token = token_of(upload(staff_user_client, ITEMS, ITEMS_CSV))
    other = Client()
    other.force_login(user_with_role("admin", email="other-admin@example.com", is_staff=True))

    response = confirm(other, ITEMS, token)

    assert response.url == import_url(ITEMS)
    assert messages_of(response)[0][0] == "error"
    assert not Item.objects.exists()
    assert len(pending_files(upload_dir)) == 1  # still the uploader's to confirm


def test_a_token_of_one_import_page_cannot_be_confirmed_on_another(staff_user_client, item):
    token = token_of(upload(staff_user_client, ITEMS, "sku,name\nSKU-2001,Rice\n"))

    response = confirm(staff_user_client, STOCK, token)

    assert response.url == import_url(STOCK)
    assert not Item.objects.filter(sku="SKU-2001").exists()


def test_cancelling_deletes_the_upload_and_writes_nothing(staff_user_client, upload_dir):
    token = token_of(upload(staff_user_client, ITEMS, ITEMS_CSV))

    response = staff_user_client.post(import_url(ITEMS), {"step": "cancel", "token": token})

    assert response.url == changelist_url(ITEMS)
    assert pending_files(upload_dir) == []
    assert not Item.objects.exists()


def test_uploads_left_unconfirmed_are_swept_by_the_next_upload(
    staff_user_client, monkeypatch, upload_dir
):
    upload(staff_user_client, ITEMS, ITEMS_CSV)
    stale = upload_dir / pending_files(upload_dir)[0]
    os.utime(stale, (0, 0))

    upload(staff_user_client, STOCK, "sku,location,quantity\n")

    assert not stale.exists()
    assert len(pending_files(upload_dir)) == 1


# --- the services' rules hold through the admin ---------------------------------------------


def test_staff_cannot_deactivate_items_by_import(staff_user_client):
    item = ItemFactory(sku="SKU-3001")
    token = token_of(upload(staff_user_client, ITEMS, "sku,active\nSKU-3001,false\n"))

    confirm(staff_user_client, ITEMS, token)

    item.refresh_from_db()
    assert item.active is True


def test_admins_can_deactivate_items_by_import(admin_user_client):
    item = ItemFactory(sku="SKU-3001")
    token = token_of(upload(admin_user_client, ITEMS, "sku,active\nSKU-3001,false\n"))

    confirm(admin_user_client, ITEMS, token)

    item.refresh_from_db()
    assert item.active is False


def test_stock_counts_into_an_inactive_location_are_refused(staff_user_client, item):
    LocationFactory(code="OLD", active=False)

    response = upload(staff_user_client, STOCK, "sku,location,quantity\nSKU-1001,OLD,2\n")

    assert "Location OLD is inactive" in response.content.decode()


def test_the_stock_preview_lists_new_locations_and_creates_none(staff_user_client, item):
    response = upload(staff_user_client, STOCK, "sku,location,quantity\nSKU-1001,SHELF-B,2\n")

    assert response.context["extra"] == [("Created locations", "SHELF-B")]
    assert '<th scope="row">Created locations</th><td>SHELF-B</td>' in response.content.decode()
    assert not Location.objects.exists()


def test_confirming_stock_counts_at_new_locations_creates_them_and_says_so(
    staff_user_client, staff_user, item
):
    token = token_of(
        upload(
            staff_user_client,
            STOCK,
            "sku,location,quantity\nSKU-1001,SHELF-B,2\nSKU-1001,SHELF-A,1\n",
            filename="count.csv",
        )
    )

    response = confirm(staff_user_client, STOCK, token)

    assert messages_of(response) == [
        (
            "success",
            "Imported count.csv: 2 rows, 2 inserted, 0 updated, 0 unchanged; "
            "created locations: SHELF-A, SHELF-B.",
        )
    ]
    entry = LogEntry.objects.get_for_object(Location.objects.get(code="SHELF-A")).get()
    assert (entry.actor, entry.additional_data) == (staff_user, {"via": "admin"})


# --- the usage admin ------------------------------------------------------------------------


def test_usage_is_listed_read_only(admin_user_client, item, location):
    DailyUsage.objects.create(item=item, location=location, date="2026-01-02", quantity=3)
    usage = DailyUsage.objects.create(item=item, date="2026-01-02", quantity=5)

    listing = admin_user_client.get(changelist_url(USAGE), {"q": "sku-1001"})
    change = admin_user_client.post(
        reverse(f"admin:{USAGE}_change", args=[usage.pk]), {"quantity": "9"}
    )

    body = listing.content.decode()
    assert "WALK-IN" in body
    assert "(all locations)" in body
    assert listing.context["cl"].result_count == 2
    assert admin_user_client.get(reverse(f"admin:{USAGE}_add")).status_code == 403
    assert change.status_code == 403
    usage.refresh_from_db()
    assert usage.quantity == Decimal("5")


def test_stock_changes_since_the_preview_are_counted_at_the_confirmation(
    staff_user_client, stocked, location
):
    token = token_of(
        upload(staff_user_client, STOCK, "sku,location,quantity\nSKU-1001,WALK-IN,10\n")
    )
    stock_services.stock_receive(item=stocked.item, location=location, quantity=Decimal("2"))

    response = confirm(staff_user_client, STOCK, token)

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("10")
    assert stocked.movements.get(kind=MovementKind.COUNT).quantity_delta == Decimal("-2")
    assert messages_of(response) == [
        ("success", "Imported data.csv: 1 row, 0 inserted, 1 updated, 0 unchanged.")
    ]


def test_a_confirmed_admin_import_is_in_the_audit_trail_as_the_signed_in_user(
    staff_user_client, staff_user
):
    preview = upload(staff_user_client, ITEMS, "sku,name\nSKU-2101,Audited rice\n")

    response = confirm(staff_user_client, ITEMS, token_of(preview))

    entry = LogEntry.objects.get_for_object(Item.objects.get(sku="SKU-2101")).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == staff_user
    assert entry.additional_data == {"via": "admin"}
    assert entry.cid == response["X-Request-ID"]
