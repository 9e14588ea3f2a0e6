"""limit/offset paging and `?ordering=` on the list routes.

Without paging parameters the v20 lists answer whole (count = rows in data); with them one page
answers with the total count. The ledger is always paged. Orderings are total (id breaks ties),
so pages never repeat or skip rows; bad values are a 400 naming the parameter.
"""

from decimal import Decimal

import pytest

from inventory.services import stock_issue, stock_receive
from items.models import Item
from tests.factories import ItemFactory, LocationFactory

pytestmark = pytest.mark.django_db

LIST_ROUTES = ["/api/items", "/api/inventory", "/api/inventory/movements", "/api/locations"]
OPTIONALLY_PAGED_ROUTES = ["/api/items", "/api/inventory", "/api/locations"]


@pytest.fixture
def five_of_everything():
    """Five items, five locations, five stock rows and five ledger rows."""
    locations = LocationFactory.create_batch(5)
    for item, location in zip(ItemFactory.create_batch(5), locations, strict=True):
        stock_receive(item=item, location=location, quantity=Decimal(3))


def _pages(client, path, *, limit, **params):
    """Walk every page of `path`; return the rows in page order and the counts each page gave."""
    rows, counts, offset = [], [], 0
    while True:
        body = client.get(path, {**params, "limit": limit, "offset": offset}).json()
        counts.append(body["count"])
        rows.extend(body["data"])
        offset += limit
        if offset >= body["count"]:
            return rows, counts


# --- whole lists -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", OPTIONALLY_PAGED_ROUTES)
def test_without_paging_parameters_a_list_answers_whole_with_its_length_as_count(
    api_client, five_of_everything, path
):
    response = api_client.get(path)

    body = response.json()
    assert set(body) == {"success", "data", "count"}
    assert body["count"] == len(body["data"]) == 5


def test_a_whole_item_list_is_not_cut_at_the_default_page_size(api_client):
    ItemFactory.create_batch(101)

    response = api_client.get("/api/items")

    assert response.json()["count"] == len(response.json()["data"]) == 101


# --- pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_a_page_answers_its_rows_with_the_total_count(api_client, five_of_everything, path):
    response = api_client.get(path, {"limit": 2, "offset": 1})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data", "count", "limit", "offset"}
    assert len(body["data"]) == 2
    assert (body["count"], body["limit"], body["offset"]) == (5, 2, 1)


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_a_page_is_the_matching_slice_of_the_whole_list(api_client, five_of_everything, path):
    whole = api_client.get(path, {"limit": 100}).json()["data"]

    page = api_client.get(path, {"limit": 2, "offset": 2}).json()["data"]

    assert [row["id"] for row in page] == [row["id"] for row in whole[2:4]]


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_an_offset_alone_pages_with_the_default_limit(api_client, five_of_everything, path):
    response = api_client.get(path, {"offset": 3})

    body = response.json()
    assert len(body["data"]) == 2
    assert (body["count"], body["limit"], body["offset"]) == (5, 100, 3)


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_an_offset_past_the_end_answers_an_empty_page_with_the_total(
    api_client, five_of_everything, path
):
    response = api_client.get(path, {"limit": 10, "offset": 50})

    assert response.status_code == 200
    assert response.json()["data"] == []
    assert response.json()["count"] == 5


def test_the_largest_allowed_limit_is_accepted(api_client, five_of_everything):
    response = api_client.get("/api/items", {"limit": 1000})

    assert response.status_code == 200
    assert response.json()["count"] == 5


def test_a_page_counts_only_the_rows_the_filters_keep(api_client):
    ItemFactory.create_batch(4, category="Dairy")
    ItemFactory.create_batch(3, category="Dry")

    response = api_client.get("/api/items", {"category": "Dairy", "limit": 3})

    assert len(response.json()["data"]) == 3
    assert response.json()["count"] == 4


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=0", "limit"),
        ("limit=-5", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("limit=", "limit"),
        ("limit=1001", "limit"),
        ("limit=99999999999999999999999", "limit"),
        ("offset=-1", "offset"),
        ("offset=abc", "offset"),
        ("offset=1e3", "offset"),
        ("limit=10&offset=-1", "offset"),
    ],
)
@pytest.mark.parametrize("path", LIST_ROUTES)
def test_a_bad_paging_value_is_a_400_naming_the_parameter(
    api_client, five_of_everything, path, query, parameter
):
    response = api_client.get(f"{path}?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert parameter in body["details"]
    assert body["error"].startswith(f"{parameter}:")


# --- the ledger is always paged ----------------------------------------------------------------


@pytest.fixture
def hundred_and_one_movements(item, location):
    for _ in range(101):
        stock_receive(item=item, location=location, quantity=Decimal(1))


def test_the_ledger_answers_one_page_of_100_without_paging_parameters(
    api_client, hundred_and_one_movements
):
    response = api_client.get("/api/inventory/movements")

    body = response.json()
    assert len(body["data"]) == 100
    assert (body["count"], body["limit"], body["offset"]) == (101, 100, 0)


def test_the_ledgers_second_default_page_holds_the_oldest_row(
    api_client, hundred_and_one_movements
):
    response = api_client.get("/api/inventory/movements", {"offset": 100})

    data = response.json()["data"]
    assert len(data) == 1
    assert data[0]["quantity_after"] == 1


# --- stable paging over ties ------------------------------------------------------------------


@pytest.mark.parametrize("ordering", [None, "name", "-name", "category", "-par_level,name"])
def test_paging_over_tied_item_names_neither_repeats_nor_skips_rows(api_client, ordering):
    ItemFactory.create_batch(11, name="Same name", category="Same", par_level=Decimal(1))
    params = {"ordering": ordering} if ordering else {}

    rows, counts = _pages(api_client, "/api/items", limit=3, **params)

    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == 11
    assert set(ids) == set(Item.objects.values_list("id", flat=True))
    assert set(counts) == {11}
    assert ids == sorted(ids)  # the id breaks the ties


def test_paging_over_tied_ledger_rows_neither_repeats_nor_skips_rows(api_client, item, location):
    for _ in range(9):
        stock_receive(item=item, location=location, quantity=Decimal(1))

    rows, _counts = _pages(api_client, "/api/inventory/movements", limit=4, ordering="kind")

    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == 9


def test_paging_over_tied_stock_quantities_neither_repeats_nor_skips_rows(api_client, location):
    for item in ItemFactory.create_batch(8, name="Twin"):
        stock_receive(item=item, location=location, quantity=Decimal(2))

    rows, _counts = _pages(api_client, "/api/inventory", limit=3, ordering="quantity")

    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == 8


# --- ordering ----------------------------------------------------------------------------------


@pytest.fixture
def fruit():
    ItemFactory(sku="B-2", name="Banana", par_level=Decimal(3))
    ItemFactory(sku="C-3", name="Cherry", par_level=Decimal(1))
    ItemFactory(sku="A-1", name="Apple", par_level=Decimal(2))


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["Apple", "Banana", "Cherry"]),
        ("-name", ["Cherry", "Banana", "Apple"]),
        ("sku", ["Apple", "Banana", "Cherry"]),
        ("-sku", ["Cherry", "Banana", "Apple"]),
        ("par_level", ["Cherry", "Apple", "Banana"]),
        ("-par_level", ["Banana", "Apple", "Cherry"]),
        (" -name ", ["Cherry", "Banana", "Apple"]),
    ],
)
def test_the_item_list_orders_by_the_requested_field(api_client, fruit, ordering, expected):
    response = api_client.get("/api/items", {"ordering": ordering})

    assert [row["name"] for row in response.json()["data"]] == expected


def test_an_ordering_by_two_fields_sorts_by_the_second_within_ties(api_client):
    ItemFactory(sku="X-1", name="Pear", category="Fruit")
    ItemFactory(sku="X-2", name="Apple", category="Fruit")
    ItemFactory(sku="X-3", name="Kale", category="Greens")

    response = api_client.get("/api/items", {"ordering": "-category,name"})

    assert [row["sku"] for row in response.json()["data"]] == ["X-3", "X-2", "X-1"]


def test_the_stock_list_orders_by_quantity_descending(api_client, location):
    for quantity in ("2", "7.5", "0.25"):
        stock_receive(item=ItemFactory(), location=location, quantity=Decimal(quantity))

    response = api_client.get("/api/inventory", {"ordering": "-quantity"})

    assert [row["quantity"] for row in response.json()["data"]] == [7.5, 2, 0.25]


def test_the_ledger_orders_by_quantity_delta(api_client, item, location):
    stock_receive(item=item, location=location, quantity=Decimal(5))
    stock_issue(item=item, location=location, quantity=Decimal(2))
    stock_receive(item=item, location=location, quantity=Decimal(1))

    response = api_client.get("/api/inventory/movements", {"ordering": "quantity_delta"})

    assert [row["quantity_delta"] for row in response.json()["data"]] == [-2, 1, 5]


def test_the_location_list_orders_by_code_descending(api_client):
    for code in ("B", "C", "A"):
        LocationFactory(code=code)

    response = api_client.get("/api/locations", {"ordering": "-code"})

    assert [row["code"] for row in response.json()["data"]] == ["C", "B", "A"]


@pytest.mark.parametrize(
    ("path", "ordering"),
    [
        ("/api/items", "bogus"),
        ("/api/items", "-bogus"),
        ("/api/items", "name,bogus"),
        ("/api/items", "reorder_min"),
        ("/api/items", "password"),
        ("/api/items", "%00"),
        ("/api/inventory", "item__name"),
        ("/api/inventory", "item__category"),
        ("/api/inventory/movements", "created_by__password"),
        ("/api/inventory/movements", "reason"),
        ("/api/locations", "active"),
    ],
)
def test_an_unknown_ordering_field_is_a_400_naming_it(api_client, path, ordering):
    response = api_client.get(f"{path}?ordering={ordering}")

    assert response.status_code == 400
    body = response.json()
    assert "ordering" in body["details"]
    assert body["error"].startswith("ordering:")
    assert ordering.split(",")[-1].lstrip("-").replace("%00", "\x00") in body["error"]
