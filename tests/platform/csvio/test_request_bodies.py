"""Request bodies of the CSV import routes that are malformed or odd: each is a clear 4xx."""

import pytest

from items.models import Item
from tests.platform.csvio.support import STOCK_HEADER, STOCK_IMPORT

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary="])
def test_multipart_without_boundary_is_a_400_not_a_500(api_client, location, content_type):
    body = f"{STOCK_HEADER}\nSKU-1,WALK-IN,5\n".encode()

    response = api_client.generic("POST", STOCK_IMPORT, body, content_type=content_type)

    assert response.status_code == 400, response.content
    assert response.json()["success"] is False


def test_an_import_option_given_twice_is_refused_and_nothing_written(api_client, item):
    response = api_client.post(
        "/api/items/import?dry_run=true&dry_run=false",
        data=b"sku,name\nTWICE-1,Twice\n",
        content_type="text/csv",
    )

    assert response.status_code == 400, response.content
    assert response.json()["details"] == {"dry_run": ["Given more than once."]}
    assert not Item.objects.filter(sku="TWICE-1").exists()


def test_a_body_declared_in_another_charset_is_refused(api_client, item):
    response = api_client.post(
        "/api/items/import",
        data="sku,name\nCAFE-1,Café\n".encode("latin-1"),
        content_type="text/csv; charset=latin-1",
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_encoding"
    assert not Item.objects.filter(sku="CAFE-1").exists()


def test_a_chunked_body_is_411_not_an_empty_file(api_client, item):
    response = api_client.generic(
        "POST",
        "/api/items/import",
        b"",
        content_type="text/csv",
        HTTP_TRANSFER_ENCODING="chunked",
    )

    assert response.status_code == 411, response.content
    assert response.json()["code"] == "length_required"
