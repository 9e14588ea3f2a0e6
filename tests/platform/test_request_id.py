"""Every answer carries an X-Request-ID; a sane incoming one is kept and stamped on the ledger."""

import re

import pytest

from inventory.models import StockMovement

pytestmark = pytest.mark.django_db

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")
RECEIVE = {"sku": "SKU-1001", "location": "WALK-IN", "quantity": 1}


def _receive(client, **headers):
    return client.post("/api/inventory/receive", RECEIVE, format="json", headers=headers)


def test_an_answer_carries_a_fresh_request_id(api_client):
    response = api_client.get("/api/items")

    assert GENERATED_ID.match(response["X-Request-ID"])


def test_two_requests_get_different_request_ids(api_client):
    first = api_client.get("/api/items")
    second = api_client.get("/api/items")

    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/does-not-exist"), ("get", "/jobs/nope"), ("get", "/api/items/SKU-NOPE")],
)
def test_a_failure_carries_a_request_id_too(api_client, method, path):
    response = getattr(api_client, method)(path)

    assert response.status_code == 404
    assert GENERATED_ID.match(response["X-Request-ID"])


def test_an_unauthenticated_answer_carries_a_request_id(anon_client):
    response = anon_client.get("/api/items", headers={"X-Request-ID": "anon-1"})

    assert response.status_code == 401
    assert response["X-Request-ID"] == "anon-1"


@pytest.mark.parametrize(
    "request_id",
    ["abc-123", "0f8fad5b-d9cb-469f-a165-70867728950e", "trace:1.2_3", "R" * 64],
)
def test_a_sane_incoming_request_id_is_echoed(api_client, request_id):
    response = api_client.get("/api/items", headers={"X-Request-ID": request_id})

    assert response["X-Request-ID"] == request_id


def test_a_sane_incoming_request_id_lands_on_the_ledger_row(api_client, item, location):
    response = _receive(api_client, **{"X-Request-ID": "upstream-42"})

    assert response.status_code == 201
    assert StockMovement.objects.get().request_id == "upstream-42"
    assert response.json()["data"]["movement"]["request_id"] == "upstream-42"


def test_a_transfer_stamps_the_request_id_on_both_legs(api_client, stocked, other_location):
    api_client.post(
        "/api/inventory/transfer",
        {"sku": "SKU-1001", "from_location": "WALK-IN", "to_location": "FREEZER", "quantity": 1},
        format="json",
        headers={"X-Request-ID": "move-7"},
    )

    assert list(
        StockMovement.objects.filter(kind="transfer").values_list("request_id", flat=True)
    ) == [
        "move-7",
        "move-7",
    ]


def test_a_generated_request_id_lands_on_the_ledger_row(api_client, item, location):
    response = _receive(api_client)

    assert StockMovement.objects.get().request_id == response["X-Request-ID"]


def test_the_ledger_can_be_filtered_by_the_request_that_wrote_it(api_client, item, location):
    _receive(api_client, **{"X-Request-ID": "find-me"})
    _receive(api_client, **{"X-Request-ID": "not-me"})

    response = api_client.get("/api/inventory/movements", {"request_id": "find-me"})

    assert [row["request_id"] for row in response.json()["data"]] == ["find-me"]


INSANE_REQUEST_IDS = {
    "too-long": "R" * 65,
    "with-spaces": "abc def",
    "with-newline-inside": "abc\ndef",
    "with-trailing-newline": "abc\n",
    "with-carriage-return": "abc\rdef",
    "with-semicolon": "abc;rm -rf",
    "with-quotes": 'abc"def',
    "non-ascii": "abcä",
    "empty": "",
}


@pytest.mark.parametrize("request_id", INSANE_REQUEST_IDS.values(), ids=INSANE_REQUEST_IDS.keys())
def test_an_insane_incoming_request_id_is_replaced(api_client, request_id):
    response = api_client.get("/api/items", HTTP_X_REQUEST_ID=request_id)

    assert response.status_code == 200
    assert GENERATED_ID.match(response["X-Request-ID"])


@pytest.mark.parametrize("request_id", INSANE_REQUEST_IDS.values(), ids=INSANE_REQUEST_IDS.keys())
def test_an_insane_incoming_request_id_never_reaches_the_ledger(
    api_client, item, location, request_id
):
    response = api_client.post(
        "/api/inventory/receive", RECEIVE, format="json", HTTP_X_REQUEST_ID=request_id
    )

    assert response.status_code == 201
    stamped = StockMovement.objects.get().request_id
    assert GENERATED_ID.match(stamped)
    assert stamped == response["X-Request-ID"]
