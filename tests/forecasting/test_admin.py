"""Forecast runs, item forecasts and model choices in the admin: listed and shown, never edited."""

import base64
import re
from datetime import date

import pytest
from django.urls import reverse

from forecasting import services
from forecasting.models import ForecastRun, ItemForecast, ItemModelChoice
from tests.conftest import user_with_role
from tests.forecasting import support
from tests.forecasting.support import use_small_runs

pytestmark = pytest.mark.django_db

END = date(2024, 6, 30)
DAYS = 120
STEADY = [9.0, 11.0] * (DAYS // 2)
EVERY_THIRD_DAY = [0.0, 0.0, 5.0] * (DAYS // 3)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _small_runs(settings):
    use_small_runs(settings, days=DAYS, horizon=10, holdout=14)


def item_with_usage(values, **fields):
    return support.item_with_usage(values, end=END, **fields)


@pytest.fixture
def run():
    item_with_usage(STEADY, sku="SM-1")
    item_with_usage(EVERY_THIRD_DAY, sku="IN-1")
    return services.run_forecast(history_end=END, n_jobs=1, batch_size=2)


@pytest.fixture
def admin_user_client(client):
    client.force_login(user_with_role("admin", email="forecast-admin@example.com", is_staff=True))
    return client


def results(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_the_run_list_shows_the_runs(admin_user_client, run):
    response = admin_user_client.get(reverse("admin:forecasting_forecastrun_changelist"))

    assert results(response) == [run]
    assert "2 / 2" in response.content.decode()


def test_the_run_list_filters_by_kind(admin_user_client, run):
    url = reverse("admin:forecasting_forecastrun_changelist")

    response = admin_user_client.get(url, {"kind__exact": "retrain"})

    assert results(response) == []


def test_a_run_page_renders_read_only(admin_user_client, run):
    response = admin_user_client.get(reverse("admin:forecasting_forecastrun_change", args=[run.pk]))

    assert response.status_code == 200
    assert b'name="_save"' not in response.content


def test_the_item_forecast_list_shows_the_latest_items(admin_user_client, run):
    response = admin_user_client.get(reverse("admin:forecasting_itemforecast_changelist"))

    assert {forecast.item.sku for forecast in results(response)} == {"SM-1", "IN-1"}


def test_the_item_forecast_list_filters_high_variance_items(admin_user_client, run):
    ItemForecast.objects.filter(run=run).update(is_high_variance=False)
    ItemForecast.objects.filter(run=run, item__sku="IN-1").update(is_high_variance=True)
    url = reverse("admin:forecasting_itemforecast_changelist")

    flagged = results(admin_user_client.get(url, {"high_variance": "yes"}))
    others = results(admin_user_client.get(url, {"high_variance": "no"}))

    assert [forecast.item.sku for forecast in flagged] == ["IN-1"]
    assert [forecast.item.sku for forecast in others] == ["SM-1"]


def test_the_item_forecast_list_filters_by_demand_class(admin_user_client, run):
    url = reverse("admin:forecasting_itemforecast_changelist")

    response = admin_user_client.get(url, {"demand_class__exact": "intermittent"})

    assert [forecast.item.sku for forecast in results(response)] == ["IN-1"]


def test_the_item_forecast_list_finds_an_exact_sku(admin_user_client, run):
    url = reverse("admin:forecasting_itemforecast_changelist")

    response = admin_user_client.get(url, {"q": "SM-1"})

    assert [forecast.item.sku for forecast in results(response)] == ["SM-1"]


@pytest.mark.parametrize("items", [2, 12])
def test_the_item_forecast_list_takes_the_same_few_queries_for_any_number_of_items(
    admin_user_client, items, django_assert_max_num_queries
):
    for _ in range(items):
        item_with_usage(STEADY)
    services.run_forecast(history_end=END, n_jobs=1, batch_size=5)
    url = reverse("admin:forecasting_itemforecast_changelist")

    with django_assert_max_num_queries(12):
        assert len(results(admin_user_client.get(url))) == items


def _inline_png(response) -> bytes:
    match = re.search(rb'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', response.content)
    assert match is not None, "no inline PNG chart on the page"
    return base64.b64decode(match.group(1))


def test_an_item_forecast_page_shows_the_chart_as_an_inline_png(admin_user_client, run):
    forecast = ItemForecast.objects.get(run=run, item__sku="SM-1")

    response = admin_user_client.get(
        reverse("admin:forecasting_itemforecast_change", args=[forecast.pk])
    )

    assert response.status_code == 200
    assert _inline_png(response).startswith(PNG_SIGNATURE)
    assert b'name="_save"' not in response.content


def test_an_item_name_with_dollar_signs_is_charted_literally_on_its_forecast_page(
    admin_user_client, run
):
    forecast = ItemForecast.objects.get(run=run, item__sku="SM-1")
    forecast.item.name = r"Salt $x^$ 5 \frac"
    forecast.item.save(update_fields=["name"])

    response = admin_user_client.get(
        reverse("admin:forecasting_itemforecast_change", args=[forecast.pk])
    )

    assert response.status_code == 200
    assert _inline_png(response).startswith(PNG_SIGNATURE)


def test_the_model_choice_list_renders(admin_user_client, run):
    choice = ItemModelChoice.objects.create(
        item=ItemForecast.objects.get(run=run, item__sku="SM-1").item,
        model="ets",
        demand_class="smooth",
    )

    response = admin_user_client.get(reverse("admin:forecasting_itemmodelchoice_changelist"))

    assert results(response) == [choice]


@pytest.mark.parametrize("model", ["forecastrun", "itemforecast", "itemmodelchoice"])
def test_nothing_is_added_here(admin_user_client, model):
    response = admin_user_client.get(reverse(f"admin:forecasting_{model}_add"))

    assert response.status_code == 403


def test_a_forecast_run_cannot_be_deleted_here(admin_user_client, run):
    response = admin_user_client.post(
        reverse("admin:forecasting_forecastrun_delete", args=[run.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert ForecastRun.objects.filter(pk=run.pk).exists()
