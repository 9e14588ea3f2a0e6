"""Idempotency-Key on stock operations: a retry gets the first answer, never a second change."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from inventory.models import StockMovement, StockRecord
from inventory_project.api.models import IdempotentRequest
from tests.conftest import client_for, user_with_role
from tests.helpers import assert_ledger_balances, postgres_only

pytestmark = pytest.mark.django_db

RECEIVE = "/api/inventory/receive"
ISSUE = "/api/inventory/issue"


def post(client, path, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(path, body, format="json", **headers)


@pytest.fixture
def body(item, location):
    return {"sku": item.sku, "location": location.code, "quantity": 3}


def test_a_retry_with_the_same_key_gets_the_first_answer_and_moves_nothing(staff_client, body):
    first = post(staff_client, RECEIVE, body, key="order-17-line-1")
    retry = post(staff_client, RECEIVE, body, key="order-17-line-1")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert StockMovement.objects.count() == 1
    assert StockRecord.objects.get().quantity == Decimal(3)


def test_a_retry_that_would_now_be_refused_gets_the_first_answer(staff_client, body):
    post(staff_client, RECEIVE, body)
    first = post(staff_client, ISSUE, body, key="use-it-all")  # takes the last of it

    retry = post(staff_client, ISSUE, body, key="use-it-all")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert StockMovement.objects.count() == 2
    assert StockRecord.objects.get().quantity == Decimal(0)


def test_without_a_key_each_post_is_a_change(staff_client, body):
    post(staff_client, RECEIVE, body)
    post(staff_client, RECEIVE, body)

    assert StockMovement.objects.count() == 2


def test_the_same_key_with_another_body_is_a_422_and_changes_nothing(staff_client, body):
    post(staff_client, RECEIVE, body, key="k-1")

    response = post(staff_client, RECEIVE, {**body, "quantity": 4}, key="k-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert StockMovement.objects.count() == 1


def test_the_same_key_on_another_route_is_a_422(staff_client, body):
    post(staff_client, RECEIVE, body, key="k-2")

    response = post(staff_client, ISSUE, body, key="k-2")

    assert response.status_code == 422
    assert StockMovement.objects.count() == 1


def test_keys_belong_to_their_user(staff_client, body):
    other = client_for(user_with_role("staff", email="other-cook@example.com"))

    post(staff_client, RECEIVE, body, key="shared")
    response = post(other, RECEIVE, body, key="shared")

    assert "Idempotent-Replayed" not in response
    assert StockMovement.objects.count() == 2


def test_a_refused_operation_does_not_use_up_its_key(staff_client, body):
    refused = post(staff_client, ISSUE, body, key="issue-1")
    post(staff_client, RECEIVE, body)

    retried = post(staff_client, ISSUE, body, key="issue-1")

    assert refused.status_code == 409
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert StockRecord.objects.get().quantity == Decimal(0)


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve"])
def test_a_malformed_key_is_a_400_and_changes_nothing(staff_client, body, key):
    response = post(staff_client, RECEIVE, body, key=key)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert not StockMovement.objects.exists()


def test_an_expired_key_is_a_new_operation(staff_client, body, settings):
    settings.IDEMPOTENCY_KEY_HOURS = 24
    post(staff_client, RECEIVE, body, key="daily-delivery")
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))

    again = post(staff_client, RECEIVE, body, key="daily-delivery")

    assert "Idempotent-Replayed" not in again
    assert StockMovement.objects.count() == 2
    assert IdempotentRequest.objects.count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_change_the_stock_once(item, location):
    # The second request waits on the key's unique index until the first commits.
    user = user_with_role("staff", email="racer@example.com")
    body = {"sku": item.sku, "location": location.code, "quantity": 3}
    answers = []

    def send():
        try:
            answers.append(post(client_for(user), RECEIVE, body, key="race-1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.content for a in answers}) == 1
    assert StockMovement.objects.count() == 1
    assert_ledger_balances()
