"""Adding a field to `Item`: every caller takes it from the model (README, "Adding a field ...").

Each test walks the fields of `items.models.Item` as Django reports them (`Item._meta`) and
checks one caller: the services, the CSV import and export, the API (rows, input, schema,
docs), the admin and the audit trail. A field added to the model is therefore checked everywhere
without touching this file, and a caller that does not take it fails here, naming the file to
touch. Lengths, defaults and choices are checked against the model field itself.
"""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from auditlog.registry import auditlog
from django.db import models
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from inventory_project.service_errors import ServiceError
from items.fields import CSV_COLUMNS
from items.item_csv import ItemImporter
from items.models import Item
from items.selectors import ITEM_COLUMNS
from items.serializers import ItemCreateSerializer, ItemSerializer, ItemWriteSerializer
from items.services import field_rule, item_create, item_update
from tests.platform.csvio.support import ITEMS_EXPORT, ITEMS_IMPORT, export_text, post_csv

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"
IDENTITY = "sku"
COLUMNS = [f.name for f in Item._meta.concrete_fields]  # every column, in the model's order
# What a caller may set: what Django calls editable, but the primary key and the SKU.
EDITABLE = [
    f.name
    for f in Item._meta.concrete_fields
    if f.editable and not f.primary_key and f.name != IDENTITY
]
STAMPS = [f.name for f in Item._meta.concrete_fields if getattr(f, "auto_now_add", False)] + [
    f.name for f in Item._meta.concrete_fields if getattr(f, "auto_now", False)
]
DEFAULTED = [name for name in EDITABLE if Item._meta.get_field(name).has_default()]
TEXTS = [
    name
    for name in EDITABLE
    if isinstance(Item._meta.get_field(name), models.CharField)
    and not Item._meta.get_field(name).choices
]
CHOICES = [name for name in EDITABLE if Item._meta.get_field(name).choices]


def model_field(name: str) -> models.Field:
    return Item._meta.get_field(name)


def other_value(name: str):
    """A valid value of the field `name` that is not its default (nor a new item's name)."""
    field = model_field(name)
    if field.choices:
        return [value for value, _label in field.flatchoices if value != field.get_default()][0]
    if isinstance(field, models.CharField):
        return f"other {name}"[: field.max_length]
    if isinstance(field, models.DecimalField):
        return Decimal(3)
    if isinstance(field, models.BooleanField):
        return not field.get_default()
    pytest.fail(
        f"tests/items/test_adding_a_field.py has no sample value for a {type(field).__name__} "
        f"({name!r}): add one to other_value."
    )


def as_cell(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


# --- the model ---------------------------------------------------------------------------------


def test_every_column_is_the_key_the_identity_an_editable_field_or_a_stamp():
    for field in Item._meta.concrete_fields:
        assert field.primary_key or field.name in (IDENTITY, *EDITABLE, *STAMPS), (
            f"Item.{field.name} is neither editable nor set by the clock: the services and the "
            "CSV import (items/services.py, items/item_csv.py) write only editable fields and "
            "stamps; decide who sets it there."
        )


# --- the services ------------------------------------------------------------------------------


def test_a_new_item_takes_every_editable_field_it_is_given():
    given = {name: other_value(name) for name in EDITABLE}

    item = item_create(sku="NEW-1", **given)

    stored = Item.objects.values(*EDITABLE).get(pk=item.pk)
    assert stored == given, "items/services.py (item_create) drops a field"


def test_a_new_item_takes_the_models_default_for_every_field_it_is_not_given():
    required = {name: other_value(name) for name in EDITABLE if name not in DEFAULTED}

    item = item_create(sku="NEW-1", **required)

    stored = Item.objects.values(*DEFAULTED).get(pk=item.pk)
    assert stored == {name: model_field(name).get_default() for name in DEFAULTED}


def test_an_update_changes_every_editable_field():
    item = item_create(sku="OLD-1", name="Old")
    given = {name: other_value(name) for name in EDITABLE}

    item_update(item=item, data=given)

    assert Item.objects.values(*EDITABLE).get(pk=item.pk) == given


@pytest.mark.parametrize("name", TEXTS)
def test_a_text_may_be_as_long_as_its_column_and_no_longer(name):
    limit = model_field(name).max_length
    item = item_create(sku="TXT-1", name="Text")

    item_update(item=item, data={name: "x" * limit})
    with pytest.raises(ServiceError) as refused:
        item_update(item=item, data={name: "x" * (limit + 1)})

    assert refused.value.message == f"{name} is longer than {limit} characters."
    assert refused.value.field == name


def test_a_field_rule_takes_length_default_and_choices_from_the_model_field():
    # A field Item does not have (yet): its rule comes from the model field alone.
    colour = models.CharField(
        max_length=5, choices=[("red", "Red"), ("green", "Green")], default="red", blank=True
    )
    colour.set_attributes_from_name("colour")
    rule = field_rule(colour)
    assert rule is not None

    assert rule(" red ") == "red"
    assert rule("green") == "green"
    assert rule("") == "red"
    with pytest.raises(ServiceError, match=r"^colour is longer than 5 characters\.$"):
        rule("purple")
    with pytest.raises(ServiceError, match=r"^colour must be one of: green, red\.$"):
        rule("blue")


# --- the CSV import and export -----------------------------------------------------------------


def test_the_csv_import_reads_every_editable_column():
    assert ItemImporter.required_columns == (IDENTITY,)
    assert tuple(ItemImporter.optional_columns) == tuple(EDITABLE), "items/item_csv.py"


def test_a_new_item_from_the_csv_takes_every_cell_and_the_models_defaults(api_client):
    given = {name: other_value(name) for name in EDITABLE}
    required = [name for name in EDITABLE if name not in DEFAULTED]
    rows = [
        ",".join([IDENTITY, *EDITABLE]),
        ",".join(["CSV-1", *(as_cell(given[name]) for name in EDITABLE)]),
        ",".join([IDENTITY, *required]),
        ",".join(["CSV-2", *(as_cell(given[name]) for name in required)]),
    ]

    post_csv(api_client, ITEMS_IMPORT, "\n".join(rows[:2]) + "\n")
    post_csv(api_client, ITEMS_IMPORT, "\n".join(rows[2:]) + "\n")

    assert Item.objects.values(*EDITABLE).get(sku="CSV-1") == given
    assert Item.objects.values(*DEFAULTED).get(sku="CSV-2") == {
        name: model_field(name).get_default() for name in DEFAULTED
    }


def test_the_csv_export_writes_every_editable_column(api_client):
    item_create(sku="EXP-1", name="Exported")

    header = next(csv.reader(io.StringIO(export_text(api_client.get(ITEMS_EXPORT)))))

    assert header == [IDENTITY, *EDITABLE], "items/item_csv.py (export_item_lines)"


# --- the API -----------------------------------------------------------------------------------


def test_an_item_row_of_the_api_has_every_column(api_client):
    item_create(sku="API-1", name="Rendered")

    listed = api_client.get("/api/items").json()["data"][0]
    one = api_client.get("/api/items/API-1").json()["data"]

    assert ITEM_COLUMNS.names == tuple(COLUMNS), "items/selectors.py (ITEM_COLUMNS)"
    assert list(listed) == list(one) == COLUMNS
    assert list(ItemSerializer().fields) == COLUMNS, "items/serializers.py (ItemSerializer)"


@pytest.mark.parametrize("serializer", [ItemWriteSerializer, ItemCreateSerializer])
def test_the_api_takes_every_editable_field_with_the_models_length_and_default(serializer):
    fields = serializer().fields

    assert [name for name in fields if name != IDENTITY] == EDITABLE, "items/serializers.py"
    for name in TEXTS:
        assert fields[name].max_length == model_field(name).max_length, name
    for name in CHOICES:
        assert list(fields[name].choices) == [v for v, _label in model_field(name).flatchoices]
    if serializer is ItemWriteSerializer:
        for name in DEFAULTED:
            assert fields[name].default == model_field(name).get_default(), name


def test_the_api_docs_show_the_items_csv_header():
    header = ",".join([IDENTITY, *EDITABLE])
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]

    assert f"`{header}`" in paths[f"{ITEMS_IMPORT}/"]["post"]["description"], "items/api.py"
    assert f"`{header}`" in paths[f"{ITEMS_EXPORT}/"]["get"]["description"], "items/api.py"


# --- the admin and the audit trail -------------------------------------------------------------


def _fieldset_fields(response) -> list[str]:
    return [
        name
        for fieldset in response.context["adminform"]
        for line in fieldset
        for field in line
        for name in [field.field["name"] if isinstance(field.field, dict) else field.field.name]
    ]


def test_the_admin_shows_every_field(admin_client):
    item = item_create(sku="ADM-1", name="Administered")

    add_page = admin_client.get(reverse("admin:items_item_add"))
    change_page = admin_client.get(reverse("admin:items_item_change", args=[item.pk]))

    assert sorted(_fieldset_fields(add_page)) == sorted([IDENTITY, *EDITABLE]), "items/admin.py"
    assert sorted(_fieldset_fields(change_page)) == sorted(COLUMNS[1:]), "items/admin.py"


def test_the_audit_trail_records_every_field_but_the_stamps():
    audited = auditlog.get_model_fields(Item)["include_fields"]

    assert sorted(audited) == sorted(set(COLUMNS) - set(STAMPS)), "items/apps.py"
    assert tuple(CSV_COLUMNS) == (IDENTITY, *EDITABLE)  # what the CSV import's entries record


# --- the docs ----------------------------------------------------------------------------------


def test_the_readme_lists_every_column_of_the_items_csv():
    row = next(line for line in README.read_text().splitlines() if line.startswith("| items |"))
    listed = [name.strip(" *") for name in row.split(" | ")[1].split(",")]

    assert listed == [IDENTITY, *EDITABLE], "README.md (CSV imports and exports: the items row)"
