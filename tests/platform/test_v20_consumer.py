"""The API as a v20 consumer calls it: whatever it sends in `Accept` or `format`, and with a token
the API refuses, it gets the JSON envelope with a stable code, as v20 answered."""

import pytest

from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("accept", ["text/plain", "application/xml", "text/html"])
def test_a_type_the_api_does_not_render_in_accept_still_gets_the_json_envelope(
    viewer_client, accept
):
    ItemFactory(sku="SKU-1001", name="Flour")

    response = viewer_client.get("/api/items", HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["data"][0]["sku"] == "SKU-1001"


def test_a_format_parameter_the_api_does_not_render_still_gets_the_json_list(viewer_client):
    ItemFactory(sku="SKU-1001", name="Flour")

    response = viewer_client.get("/api/items", {"format": "csv"})

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_a_failure_answers_json_whatever_accept_says(viewer_client):
    response = viewer_client.get("/api/items/SKU-NOPE", HTTP_ACCEPT="text/html")

    assert response.status_code == 404
    assert response.json()["code"] == "item_not_found"


def test_a_token_the_api_refuses_answers_401_with_its_own_code_and_sentence(anon_client):
    response = anon_client.get("/api/items", HTTP_AUTHORIZATION="Bearer not-a-token")

    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "token_not_valid"
    assert body["error"] == "The token is invalid or expired; sign in again."
    assert set(body) == {"success", "error", "code"}
