"""The forecast pages of the admin in words staff understand: plain labels, the latest run first,
durations rounded."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from forecasting.models import ForecastRun, ItemForecast
from inventory_project.admin_helpers import format_duration
from inventory_project.jobs.models import JobRun
from tests.conftest import user_with_role
from tests.factories import ItemFactory
from tests.forecasting import support

pytestmark = pytest.mark.django_db

FORECASTS = "admin:forecasting_itemforecast_changelist"


@pytest.fixture
def staff(client):
    client.force_login(user_with_role("staff", email="words@example.com"))
    return client


@pytest.fixture
def two_runs():
    """An older and a newer run, each forecasting the same two items."""
    items = [ItemFactory(sku=f"W-{n}") for n in range(2)]
    older = support.succeeded_run(horizon=7)
    older.history_end -= timedelta(days=7)
    older.started_at -= timedelta(days=7)
    older.save()
    newer = support.succeeded_run(horizon=7)
    for run in (older, newer):
        for item in items:
            support.flat_forecast(run, item, mean=2, horizon=7, adi=1.5, cv2=0.2, wape=0.25)
    return older, newer


def listed(page) -> list[ItemForecast]:
    assert page.status_code == 200
    return list(page.context["cl"].result_list)


def test_the_item_forecast_list_shows_the_latest_run_by_default(staff, two_runs):
    _older, newer = two_runs

    rows = listed(staff.get(reverse(FORECASTS)))

    assert {row.run_id for row in rows} == {newer.pk}
    assert len(rows) == 2


def test_every_run_or_an_older_one_can_still_be_listed(staff, two_runs):
    older, _newer = two_runs

    everything = listed(staff.get(reverse(FORECASTS), {"run": "all"}))
    the_older = listed(staff.get(reverse(FORECASTS), {"run": str(older.pk)}))

    assert len(everything) == 4
    assert {row.run_id for row in the_older} == {older.pk}


def test_without_a_run_the_list_is_empty_not_every_row(staff):
    support.flat_forecast(
        ForecastRun.objects.create(
            kind=ForecastRun.Kind.FORECAST,
            status=ForecastRun.Status.FAILED,
            history_end=timezone.localdate(),
        ),
        ItemFactory(),
        mean=1,
        horizon=7,
    )

    assert listed(staff.get(reverse(FORECASTS))) == []


def test_the_forecast_page_says_what_each_measure_means(staff, two_runs):
    _older, newer = two_runs
    forecast = newer.item_forecasts.first()

    page = staff.get(reverse("admin:forecasting_itemforecast_change", args=[forecast.pk]))

    text = page.content.decode()
    for label in (
        "How regular (ADI)",
        "How steady (CV²)",
        "Error against last week (MASE)",
        "Big misses against yesterday (RMSSE)",
        "Demand pattern",
    ):
        assert label in text
    assert "Average days between days it is used" in text
    assert "under 1 means the forecast did better than that" in text


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (None, "-"),
        (0.2, "under 1 s"),
        (12.4, "12 s"),
        (185.2, "3 min 05 s"),
        (7441, "2 h 04 min"),
    ],
)
def test_a_duration_is_said_rounded(seconds, said):
    assert format_duration(seconds) == said


def test_the_job_run_list_shows_durations_rounded(client):
    client.force_login(user_with_role("admin", email="jobs-words@example.com"))
    JobRun.objects.create(name="maintenance", status="succeeded", duration_seconds=185.23456)

    page = client.get(reverse("admin:inventory_project_jobrun_changelist"))

    assert "3 min 05 s" in page.content.decode()
    assert "185.23456" not in page.content.decode()
