"""A refresh token works once: its first use mints a new pair, every other use is refused.

The parallel case needs concurrent connections and real row locks, so it runs on PostgreSQL
only; each worker thread opens its own database connection and closes it when done.
"""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.tokens import tokens_for_user
from tests.conftest import user_with_role
from tests.helpers import postgres_only

REFRESH = "/api/auth/refresh"
WORKERS = 8
# A safety net so a deadlock fails the test instead of hanging CI; never reached when it passes.
JOIN_TIMEOUT_SECONDS = 120


def _refresh(client: APIClient, raw: str):
    return client.post(REFRESH, {"refresh": raw}, format="json")


@pytest.mark.django_db
def test_a_refresh_token_used_a_second_time_is_refused_and_mints_nothing(anon_client):
    raw = str(tokens_for_user(user_with_role("staff", email="once@example.com")))
    assert _refresh(anon_client, raw).status_code == 200
    outstanding = OutstandingToken.objects.count()

    again = _refresh(anon_client, raw)

    assert again.status_code == 401
    assert again.json() == {
        "success": False,
        "error": "The token is invalid or expired; sign in again.",
        "code": "token_not_valid",
    }
    assert OutstandingToken.objects.count() == outstanding


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_refresh_token_sent_eight_times_at_once_works_exactly_once():
    raw = str(tokens_for_user(user_with_role("staff", email="race@example.com")))
    barrier = threading.Barrier(WORKERS)
    answers: list = [None] * WORKERS

    def worker(index: int) -> None:
        try:
            barrier.wait()
            answers[index] = _refresh(APIClient(), raw)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "workers still running: deadlock?"

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [401] * (WORKERS - 1)
    losers = [answer.json() for answer in answers if answer.status_code == 401]
    assert {loser["code"] for loser in losers} == {"token_not_valid"}
    winner = next(answer.json()["data"] for answer in answers if answer.status_code == 200)
    # The one new refresh token works (once); nothing else was minted.
    assert OutstandingToken.objects.count() == 2
    assert BlacklistedToken.objects.count() == 1
    assert _refresh(APIClient(), winner["refresh"]).status_code == 200
