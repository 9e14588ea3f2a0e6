"""SKUs that name routes of the API are refused."""

import pytest

pytestmark = pytest.mark.django_db


def test_sku_runs_is_refused_like_the_other_reserved_route_names(api_client):
    response = api_client.post("/api/items", {"sku": "runs", "name": "Tape"}, format="json")

    assert response.status_code == 400, response.content
