"""GET /api/forecasts, /api/forecasts/runs and /api/forecasts/{sku}: the read side of forecasts."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from forecasting import services
from forecasting.models import ForecastRun, ItemForecast
from tests.conftest import client_for, user_with_role
from tests.factories import ItemFactory
from tests.forecasting import support
from tests.forecasting.support import use_small_runs

pytestmark = pytest.mark.django_db

END = date(2024, 6, 30)
DAYS = 120
HORIZON = 10
HOLDOUT = 14

STEADY = [9.0, 11.0] * (DAYS // 2)  # smooth
EVERY_THIRD_DAY = [0.0, 0.0, 5.0] * (DAYS // 3)  # intermittent: ADI 3, CV² 0


@pytest.fixture(autouse=True)
def _small_runs(settings):
    use_small_runs(settings, days=DAYS, horizon=HORIZON, holdout=HOLDOUT, batch_size=2)


def item_with_usage(values=STEADY, *, end=END, **fields):
    return support.item_with_usage(values, end=end, **fields)


def run_forecast(history_end=END) -> ForecastRun:
    return services.run_forecast(history_end=history_end, n_jobs=1, batch_size=2)


def data(response):
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    return body["data"]


def error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    return body


@pytest.fixture
def two_items():
    smooth = item_with_usage(STEADY, sku="SM-1", name="Milk", category="Dairy")
    sparse = item_with_usage(EVERY_THIRD_DAY, sku="IN-1", name="Saffron", category="Spices")
    return smooth, sparse


# --- the list ---------------------------------------------------------------------------------


def test_the_list_is_empty_before_the_first_run(api_client, two_items):
    response = api_client.get("/api/forecasts")

    assert data(response) == []
    assert response.json()["count"] == 0


def test_the_list_answers_the_latest_succeeded_run_only(api_client, two_items):
    run_forecast(history_end=END - timedelta(days=1))
    latest = run_forecast()
    ForecastRun.objects.create(kind=ForecastRun.Kind.FORECAST, history_end=END)  # running

    rows = data(api_client.get("/api/forecasts"))

    assert [row["sku"] for row in rows] == ["IN-1", "SM-1"]
    assert {row["run"] for row in rows} == {latest.pk}
    assert {row["horizon_start"] for row in rows} == {"2024-07-01"}


def test_a_list_row_carries_the_item_and_its_accuracy(api_client, two_items):
    run_forecast()

    row = next(r for r in data(api_client.get("/api/forecasts")) if r["sku"] == "SM-1")

    assert row["name"] == "Milk"
    assert row["category"] == "Dairy"
    assert row["demand_class"] == "smooth"
    assert row["item_mape"] == pytest.approx(row["wape"] * 100, abs=0.01)
    assert set(row) >= {"model", "mase", "rmsse", "is_high_variance", "high_variance_reason"}


def test_the_list_filters_by_demand_class(api_client, two_items):
    run_forecast()

    rows = data(api_client.get("/api/forecasts", {"demand_class": "intermittent"}))

    assert [row["sku"] for row in rows] == ["IN-1"]


def test_the_list_filters_by_category(api_client, two_items):
    run_forecast()

    rows = data(api_client.get("/api/forecasts", {"category": "Dairy"}))

    assert [row["sku"] for row in rows] == ["SM-1"]


@pytest.mark.parametrize(("value", "expected"), [("true", ["IN-1"]), ("false", ["SM-1"])])
def test_the_list_filters_by_high_variance(api_client, two_items, value, expected):
    run = run_forecast()
    ItemForecast.objects.filter(run=run).update(is_high_variance=False)
    ItemForecast.objects.filter(run=run, item__sku="IN-1").update(is_high_variance=True)

    rows = data(api_client.get("/api/forecasts", {"high_variance": value}))

    assert [row["sku"] for row in rows] == expected


def test_the_list_orders_by_wape_descending(api_client, two_items):
    run = run_forecast()
    ItemForecast.objects.filter(run=run, item__sku="SM-1").update(wape=0.9)
    ItemForecast.objects.filter(run=run, item__sku="IN-1").update(wape=0.1)

    rows = data(api_client.get("/api/forecasts", {"ordering": "-wape"}))

    assert [row["sku"] for row in rows] == ["SM-1", "IN-1"]


def test_the_list_pages_when_asked(api_client, two_items):
    run_forecast()

    response = api_client.get("/api/forecasts", {"limit": 1, "offset": 1})

    assert [row["sku"] for row in data(response)] == ["SM-1"]
    assert response.json()["count"] == 2


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"high_variance": "maybe"}, "high_variance"),
        ({"demand_class": "seasonal"}, "demand_class"),
        ({"ordering": "name"}, "ordering"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_a_bad_list_parameter_is_a_400_naming_it(api_client, two_items, params, parameter):
    body = error(api_client.get("/api/forecasts", params), 400)

    assert body["error"].startswith(f"{parameter}:")


@pytest.mark.parametrize("items", [2, 8])
def test_the_list_takes_the_same_few_queries_for_any_number_of_items(
    api_client, items, django_assert_max_num_queries
):
    for _ in range(items):
        item_with_usage()
    run_forecast()

    with django_assert_max_num_queries(4):
        rows = data(api_client.get("/api/forecasts"))

    assert len(rows) == items


# --- the detail -------------------------------------------------------------------------------


def test_the_detail_forecast_starts_the_day_after_the_last_history_day(api_client, two_items):
    run_forecast()

    detail = data(api_client.get("/api/forecasts/SM-1"))

    days = [point["date"] for point in detail["forecast"]]
    assert detail["horizon_start"] == days[0] == "2024-07-01"
    assert days == [str(date(2024, 7, 1) + timedelta(days=n)) for n in range(HORIZON)]


@pytest.mark.parametrize("sku", ["SM-1", "IN-1"])
def test_the_detail_intervals_nest_around_the_mean(api_client, two_items, sku):
    run_forecast()

    detail = data(api_client.get(f"/api/forecasts/{sku}"))

    for point in detail["forecast"]:
        assert (
            0 <= point["lo95"] <= point["lo80"] <= point["mean"] <= point["hi80"] <= point["hi95"]
        )


def test_the_detail_carries_the_item_model_accuracy_and_run(api_client, two_items):
    run = run_forecast()

    detail = data(api_client.get("/api/forecasts/SM-1"))

    assert detail["sku"] == "SM-1"
    assert detail["name"] == "Milk"
    assert detail["demand_class"] == "smooth"
    assert detail["run"] == run.pk
    assert detail["history_end"] == "2024-06-30"
    assert set(detail["accuracy"]) == {
        "item_mape",
        "mape_nonzero",
        "wape",
        "mase",
        "rmsse",
        "holdout_actual",
        "holdout_forecast",
    }
    assert detail["accuracy"]["holdout_actual"] == sum(STEADY[-HOLDOUT:])
    assert isinstance(detail["is_high_variance"], bool)


def test_the_detail_history_is_the_last_90_days_of_demand(api_client, two_items):
    run_forecast()

    history = data(api_client.get("/api/forecasts/IN-1"))["history"]

    assert len(history) == 90
    assert history[-1] == {"date": "2024-06-30", "demand": EVERY_THIRD_DAY[-1]}
    assert history[0]["date"] == "2024-04-02"
    assert [day["demand"] for day in history] == EVERY_THIRD_DAY[-90:]


def test_the_detail_history_length_follows_history_days(api_client, two_items):
    run_forecast()

    history = data(api_client.get("/api/forecasts/SM-1", {"history_days": 7}))["history"]

    assert [day["date"] for day in history] == [f"2024-06-{d}" for d in range(24, 31)]


@pytest.mark.parametrize("value", ["0", "x", str(DAYS + 1)])
def test_a_bad_history_days_is_a_400_naming_it(api_client, two_items, value):
    run_forecast()

    body = error(api_client.get("/api/forecasts/SM-1", {"history_days": value}), 400)

    assert body["error"].startswith("history_days:")


def test_the_detail_of_an_unknown_sku_is_a_404(api_client, two_items):
    run_forecast()

    body = error(api_client.get("/api/forecasts/NOPE-1"), 404)

    assert body["code"] == "item_not_found"


def test_the_detail_of_an_item_not_forecast_yet_is_a_404(api_client, two_items):
    run_forecast()
    ItemFactory(sku="NEW-1")

    body = error(api_client.get("/api/forecasts/NEW-1"), 404)

    assert body == {
        "success": False,
        "error": "No forecast for NEW-1 yet",
        "code": "forecast_not_found",
    }


def test_the_detail_before_any_run_is_a_404(api_client, two_items):
    error(api_client.get("/api/forecasts/SM-1"), 404)


# --- the runs ---------------------------------------------------------------------------------


def _run(kind, started_days_ago, **fields):
    return ForecastRun.objects.create(
        kind=kind,
        status=ForecastRun.Status.SUCCEEDED,
        history_end=END,
        started_at=timezone.now() - timedelta(days=started_days_ago),
        **fields,
    )


def test_the_runs_list_is_newest_first(api_client):
    oldest = _run(ForecastRun.Kind.FORECAST, 3)
    newest = _run(ForecastRun.Kind.FORECAST, 1)
    middle = _run(ForecastRun.Kind.RETRAIN, 2)

    rows = data(api_client.get("/api/forecasts/runs"))

    assert [row["id"] for row in rows] == [newest.pk, middle.pk, oldest.pk]


def test_the_runs_list_carries_a_real_runs_progress_and_health(api_client, two_items):
    run = run_forecast()

    row = data(api_client.get("/api/forecasts/runs"))[0]

    assert row["id"] == run.pk
    assert row["kind"] == "forecast"
    assert row["status"] == "succeeded"
    assert (row["items_done"], row["items_total"]) == (2, 2)
    assert row["health"] in {"passing", "failing"}
    assert row["average_wape"] is not None


def test_the_runs_list_filters_by_kind(api_client):
    _run(ForecastRun.Kind.FORECAST, 1)
    retrain = _run(ForecastRun.Kind.RETRAIN, 2)

    rows = data(api_client.get("/api/forecasts/runs", {"kind": "retrain"}))

    assert [row["id"] for row in rows] == [retrain.pk]


def test_a_bad_run_kind_is_a_400_naming_it(api_client):
    body = error(api_client.get("/api/forecasts/runs", {"kind": "hourly"}), 400)

    assert body["error"].startswith("kind:")


def test_the_runs_list_pages_when_asked(api_client):
    for days_ago in range(5):
        _run(ForecastRun.Kind.FORECAST, days_ago)

    response = api_client.get("/api/forecasts/runs", {"limit": 2})

    assert len(data(response)) == 2
    assert response.json()["count"] == 5


@pytest.mark.parametrize("runs", [2, 20])
def test_the_runs_list_takes_the_same_few_queries_for_any_number_of_runs(
    api_client, runs, django_assert_max_num_queries
):
    for days_ago in range(runs):
        _run(ForecastRun.Kind.FORECAST, days_ago)

    with django_assert_max_num_queries(3):
        assert len(data(api_client.get("/api/forecasts/runs"))) == runs


# --- who may read -----------------------------------------------------------------------------

READ_ROUTES = [
    "/api/forecasts",
    "/api/forecasts/runs",
    "/api/forecasts/SM-1",
    "/api/reorder-suggestions",
]


@pytest.mark.parametrize("path", READ_ROUTES)
def test_a_viewer_can_read_the_forecasts(two_items, path):
    run_forecast()
    viewer = client_for(user_with_role("viewer", email="forecast-viewer@example.com"))

    data(viewer.get(path))


@pytest.mark.parametrize("path", READ_ROUTES)
def test_anonymous_callers_get_401(anon_client, two_items, path):
    body = error(anon_client.get(path), 401)

    assert body["code"] == "not_authenticated"
