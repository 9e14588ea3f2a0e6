"""The audit trail: one entry per change of an item, a location or a user, through every source.

API, admin, CSV import (API, admin and command) and commands each leave an entry with who, the
field deltas, the request id and the source; a refused or dry-run change leaves none.
"""

import getpass
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from accounts.models import User
from accounts.services import user_set_password
from inventory.models import Location
from inventory_project.audit import HIDDEN, command_audit_context
from items.models import Item
from tests.conftest import client_for, user_with_role
from tests.factories import ItemFactory
from tests.helpers import postgres_only
from tests.items.test_admin import changeform_data
from tests.platform.csvio.support import ITEMS_HEADER, ITEMS_IMPORT, post_csv

pytestmark = pytest.mark.django_db


def entries_for(obj) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(obj).order_by("id"))


def last_entry_for(obj) -> LogEntry:
    return entries_for(obj)[-1]


def test_api_item_change_records_who_the_delta_the_request_id_and_the_source(staff_client):
    item = ItemFactory(sku="SKU-1", name="Flour", par_level=Decimal("2"))

    response = staff_client.patch(
        "/api/items/SKU-1", {"name": "Rye flour", "par_level": "5"}, format="json"
    )

    assert response.status_code == 200
    entry = last_entry_for(item)
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.changes == {"name": ["Flour", "Rye flour"], "par_level": ["2.000", "5.000"]}
    assert entry.actor_email == "staff@example.com"
    assert entry.cid == response["X-Request-ID"]
    assert entry.additional_data["via"] == "api"


def test_api_item_change_names_the_token_user_as_actor(db):
    staff = user_with_role("staff", email="cook@example.com")
    item = ItemFactory(sku="SKU-2", name="Salt")

    client_for(staff).patch("/api/items/SKU-2", {"name": "Sea salt"}, format="json")

    entry = last_entry_for(item)
    assert (entry.actor_id, entry.actor_email) == (staff.pk, "cook@example.com")


def test_api_item_create_records_every_given_field(api_client):
    response = api_client.post(
        "/api/items", {"sku": "SKU-3001", "name": "Butter", "uom": "kg"}, format="json"
    )

    item = Item.objects.get(sku="SKU-3001")
    entry = last_entry_for(item)
    assert entry.action == LogEntry.Action.CREATE
    assert entry.changes["sku"] == ["None", "SKU-3001"]
    assert entry.changes["name"] == ["None", "Butter"]
    assert entry.cid == response["X-Request-ID"]


def test_api_location_create_is_audited(api_client):
    response = api_client.post("/api/locations", {"code": "DRY-1", "name": "Dry"}, format="json")

    assert response.status_code == 201
    entry = last_entry_for(Location.objects.get(code="DRY-1"))
    assert entry.action == LogEntry.Action.CREATE
    assert entry.changes["code"] == ["None", "DRY-1"]
    assert entry.actor.email == "api-admin@example.com"


def test_request_id_sent_by_the_caller_is_the_audit_correlation_id(staff_client):
    item = ItemFactory(sku="SKU-4", name="Oats")

    staff_client.patch(
        "/api/items/SKU-4", {"name": "Rolled oats"}, format="json", HTTP_X_REQUEST_ID="trace-42"
    )

    assert last_entry_for(item).cid == "trace-42"


def test_denied_api_change_records_nothing(viewer_client):
    item = ItemFactory(sku="SKU-5", name="Rice")
    before = LogEntry.objects.count()

    response = viewer_client.patch("/api/items/SKU-5", {"name": "Brown rice"}, format="json")

    assert response.status_code == 403
    assert LogEntry.objects.count() == before
    item.refresh_from_db()
    assert item.name == "Rice"


def test_admin_item_change_records_the_signed_in_user_and_the_admin_source(
    admin_client, admin_user
):
    item = ItemFactory(sku="SKU-6", name="Cumin", category="Spices")
    data = changeform_data(admin_client.get(reverse("admin:items_item_change", args=[item.pk])))
    data["name"] = "Ground cumin"

    response = admin_client.post(reverse("admin:items_item_change", args=[item.pk]), data)

    assert response.status_code == 302
    entry = last_entry_for(item)
    assert entry.changes == {"name": ["Cumin", "Ground cumin"]}
    assert entry.actor == admin_user
    assert entry.additional_data["via"] == "admin"
    assert entry.cid == response["X-Request-ID"]


def test_admin_role_change_records_the_group_membership(admin_client, admin_user):
    user = user_with_role("viewer", email="someone@example.com")
    page = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    form = page.context["adminform"].form
    data = {
        name: form[name].value()
        for name in form.fields
        if form[name].value() not in (None, False, "")
    }
    data["groups"] = [Group.objects.get(name="staff").pk]
    data["is_active"] = "on"
    data["is_staff"] = "on"

    response = admin_client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)

    assert response.status_code == 302, response.context["adminform"].errors
    changes = [e.changes for e in entries_for(user) if "groups" in e.changes]
    assert {"type": "m2m", "operation": "add", "objects": ["staff"]} in [
        c["groups"] for c in changes
    ]
    assert {"type": "m2m", "operation": "delete", "objects": ["viewer"]} in [
        c["groups"] for c in changes
    ]
    assert last_entry_for(user).actor == admin_user


def test_admin_user_delete_is_audited(admin_client):
    user = user_with_role("viewer", email="leaver@example.com")
    pk = user.pk

    admin_client.post(reverse("admin:accounts_user_delete", args=[pk]), {"post": "yes"})

    assert not User.objects.filter(pk=pk).exists()
    entry = LogEntry.objects.filter(object_id=pk, action=LogEntry.Action.DELETE).get()
    assert entry.object_repr == "leaver@example.com"
    assert entry.additional_data["via"] == "admin"


def test_new_password_is_audited_without_its_hash(db):
    user = user_with_role("viewer", email="pw@example.com")

    user_set_password(user=user, password="a-much-better-passphrase-91")

    entry = last_entry_for(user)
    assert entry.changes == {"password": [HIDDEN, HIDDEN]}
    assert user.password not in str(entry.changes)


def test_signing_in_is_not_a_change_of_the_user(anon_client):
    user = user_with_role("viewer", email="login@example.com", password="pw-for-login-1")
    before = len(entries_for(user))

    response = anon_client.post(
        "/api/auth/login",
        {"email": "login@example.com", "password": "pw-for-login-1"},
        format="json",
    )

    assert response.status_code == 200
    assert len(entries_for(user)) == before


def test_api_csv_import_records_created_and_updated_items_with_deltas(staff_client):
    old = ItemFactory(sku="SKU-10", name="Old name", category="Dry")
    body = f"{ITEMS_HEADER}\nSKU-10,New name,Dry,,,,,\nSKU-11,Fresh item,Veg,kg,,,,\n"

    response = post_csv(staff_client, ITEMS_IMPORT, body)

    assert response.status_code == 200, response.json()
    update = last_entry_for(old)
    assert update.action == LogEntry.Action.UPDATE
    assert update.changes == {"name": ["Old name", "New name"]}
    created = Item.objects.get(sku="SKU-11")
    create = last_entry_for(created)
    assert create.action == LogEntry.Action.CREATE
    assert create.changes["name"] == ["None", "Fresh item"]
    assert create.changes["id"] == ["None", str(created.pk)]
    assert create.object_repr == str(created)
    for entry in (update, create):
        assert entry.actor_email == "staff@example.com"
        assert entry.cid == response["X-Request-ID"]
        assert entry.additional_data == {"via": "api"}


def test_unchanged_import_rows_record_nothing(staff_client):
    ItemFactory(sku="SKU-12", name="Same", category="Dry", uom="ea")
    before = LogEntry.objects.count()

    post_csv(staff_client, ITEMS_IMPORT, f"{ITEMS_HEADER}\nSKU-12,Same,Dry,ea,,,,\n")

    assert LogEntry.objects.count() == before


def test_dry_run_import_records_nothing(staff_client):
    before = LogEntry.objects.count()

    response = post_csv(
        staff_client, ITEMS_IMPORT, f"{ITEMS_HEADER}\nSKU-13,Maybe,Dry,,,,,\n", query="dry_run=true"
    )

    assert response.json()["data"]["inserted"] == 1
    assert LogEntry.objects.count() == before


def test_refused_atomic_import_records_nothing(staff_client):
    before = LogEntry.objects.count()
    body = f"{ITEMS_HEADER}\nSKU-14,Good,Dry,,,,,\nSKU-15,,Dry,,,,,\n"

    response = post_csv(staff_client, ITEMS_IMPORT, body, query="atomic=true")

    assert response.status_code == 400
    assert LogEntry.objects.count() == before


def test_import_command_records_its_user_and_the_command(db, tmp_path):
    staff = user_with_role("staff", email="importer@example.com")
    path = tmp_path / "items.csv"
    path.write_text(f"{ITEMS_HEADER}\nSKU-20,From cron,Dry,,,,,\n")

    with command_audit_context("import_items"):
        call_command("import_items", str(path), user="importer@example.com", no_progress=True)

    entry = last_entry_for(Item.objects.get(sku="SKU-20"))
    assert entry.actor == staff
    assert entry.additional_data == {"via": "command:import_items", "os_user": getpass.getuser()}
    assert entry.cid  # one id for the whole run


def test_command_changes_record_the_command_and_the_operating_system_user(db):
    with command_audit_context("create_demo_users"):
        call_command("create_demo_users", force=True, verbosity=0)

    entry = last_entry_for(User.objects.get(email="staff@local"))
    assert entry.additional_data["via"] == "command:create_demo_users"
    assert entry.additional_data["os_user"] == getpass.getuser()
    assert entry.actor is None


def test_changes_outside_any_request_or_command_are_marked_system(db):
    item = ItemFactory(sku="SKU-30", name="Yeast")

    assert last_entry_for(item).additional_data == {"via": "system"}


def test_admin_history_page_shows_changes_from_every_source(admin_client, staff_client):
    item = ItemFactory(sku="SKU-40", name="Basil")
    staff_client.patch("/api/items/SKU-40", {"name": "Thai basil"}, format="json")

    response = admin_client.get(reverse("admin:items_item_history", args=[item.pk]))

    assert response.status_code == 200
    assert "Thai basil" in response.content.decode()


def test_admin_history_of_a_missing_object_redirects(admin_client):
    response = admin_client.get(reverse("admin:items_item_history", args=[999999]))

    assert response.status_code == 302


def test_audit_entries_cannot_be_deleted_in_the_admin(admin_client):
    entry = last_entry_for(ItemFactory(sku="SKU-41", name="Dill"))

    admin_client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"})

    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_audit_admin_search_works_with_this_user_model(admin_client):
    ItemFactory(sku="SKU-42", name="Sage")

    response = admin_client.get(reverse("admin:auditlog_logentry_changelist"), {"q": "Sage"})

    assert response.status_code == 200
    assert "SKU-42" in response.content.decode()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_manage_py_audits_any_command_as_that_command():
    # Django's own createsuperuser has no hook of ours: manage.py itself opens the context.
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "DJANGO_SUPERUSER_PASSWORD": "a-long-enough-passphrase-77",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--no-input", "--email", "root@ex.com"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    entry = last_entry_for(User.objects.get(email="root@ex.com"))
    assert entry.action == LogEntry.Action.CREATE
    assert entry.additional_data == {"via": "command:createsuperuser", "os_user": getpass.getuser()}
    assert entry.cid  # the run's id


def test_an_import_records_amounts_as_the_api_does(staff_client):
    item = ItemFactory(sku="SKU-50", name="Leeks", reorder_min=Decimal("5"))
    post_csv(staff_client, ITEMS_IMPORT, "sku,reorder_min\nSKU-50,7\n")
    by_import = last_entry_for(item).changes

    staff_client.patch("/api/items/SKU-50", {"reorder_min": "8"}, format="json")

    assert by_import == {"reorder_min": ["5.000", "7.000"]}
    assert last_entry_for(item).changes == {"reorder_min": ["7.000", "8.000"]}
