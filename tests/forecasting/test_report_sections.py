"""The forecast report's sections, from runs and forecasts written by hand.

The first screen speaks to a kitchen manager (what to order, what is running low, what looks
wrong), the statistics follow; the accuracy trend has one row per day. Every figure here can be
checked on paper: lead time 2 days, review 7 days, a flat forecast over a 14-day horizon.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forecasting.models import DailyUsage, ForecastRun, ItemForecast
from forecasting.report import TREND_RUNS, build_forecast_report
from inventory import services as stock_services
from inventory_project.jobs.models import JobRun
from tests.factories import ItemFactory, LocationFactory
from tests.forecasting import support

pytestmark = pytest.mark.django_db

HORIZON = 14


@pytest.fixture(autouse=True)
def _report_settings(settings):
    settings.REORDER_LEAD_TIME_DAYS = 2
    settings.REORDER_REVIEW_DAYS = 7
    settings.MAPE_THRESHOLD = 20.0


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def location():
    return LocationFactory(code="WALK-IN")


def at(day, hour: int) -> datetime:
    """`hour` o'clock on `day`, in the server's time zone."""
    return timezone.make_aware(datetime.combine(day, time(hour)))


def make_run(
    day, hour: int = 2, *, wape: float = 0.1, health: str = "passing", **fields
) -> ForecastRun:
    """A succeeded daily run started at `hour` on `day`, with history up to the day before."""
    return ForecastRun.objects.create(
        **fields,
        kind=ForecastRun.Kind.FORECAST,
        status=ForecastRun.Status.SUCCEEDED,
        started_at=at(day, hour),
        history_end=day - timedelta(days=1),
        average_wape=wape,
        health=health,
        config={"horizon_days": HORIZON},
    )


@pytest.fixture
def run(today) -> ForecastRun:
    return make_run(today)


def forecast(run, item, *, mean: float, hi95: float | None = None, **fields) -> ItemForecast:
    """A flat forecast of `mean` a day (95% upper bound `hi95`, default the mean)."""
    return support.flat_forecast(run, item, mean=mean, hi95=hi95, horizon=HORIZON, **fields)


item_with_stock = support.item_with_stock


def section(text: str, heading: str) -> list[str]:
    """The lines of the text part's section under `heading`, up to the next blank line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start + 1 : end]


# --- the first screen ---------------------------------------------------------------------------


def test_the_text_part_opens_with_what_to_order_and_the_quantity_of_an_item_below_its_reorder_point(
    run, location
):
    # Reorder point: 2 days x 5 + safety (2 x 6 - 2 x 5) = 12; 3 on hand is below it.
    # Target 12 + 7 days x 5 = 47, so order 44; 45 kg is the forecast over the 2 + 7 days.
    item = item_with_stock(location, 3, name="Chicken thighs", uom="kg")
    forecast(run, item, mean=5, hi95=6)

    report = build_forecast_report(run=run)

    subject, blank, heading, *rest = report.text.splitlines()
    assert heading == "WHAT TO ORDER (1)"
    assert rest[0] == f"- Chicken thighs ({item.sku}): order 44 kg today"
    assert rest[1].strip() == "forecast 45 kg over the next 9 days, 3 kg on hand"


def test_what_to_order_lists_the_most_urgent_first(run, location):
    # Both are below the reorder point 12; 1 on hand runs out before 11 on hand does.
    later = item_with_stock(location, 11, name="Later")
    sooner = item_with_stock(location, 1, name="Sooner")
    forecast(run, later, mean=5, hi95=6)
    forecast(run, sooner, mean=5, hi95=6)

    lines = build_forecast_report(run=run).context["manager"]["to_order"]

    assert [line["name"] for line in lines] == ["Sooner", "Later"]


def test_an_item_filled_up_to_its_own_level_says_so(run, location):
    # The forecast needs 47 (see above); the item's reorder maximum of 80 is more.
    item = item_with_stock(location, 3, name="Flour", uom="kg", reorder_max=80)
    forecast(run, item, mean=5, hi95=6)

    (line,) = build_forecast_report(run=run).context["manager"]["to_order"]

    assert line["quantity"] == "77 kg"
    assert line["why"].endswith("; fills it up to 80 kg")


def test_nothing_to_order_is_said_in_both_parts(run, location):
    forecast(run, item_with_stock(location, 500), mean=5, hi95=6)

    report = build_forecast_report(run=run)

    assert section(report.text, "WHAT TO ORDER") == ["Nothing needs ordering."]
    assert "Nothing needs ordering." in report.html


def test_running_low_gives_an_items_days_of_cover(run, location):
    # 4 on hand at a forecast 2 a day: 2 days; par 10.
    item = item_with_stock(location, 4, name="Cream", uom="L", par_level=10)
    forecast(run, item, mean=2)

    report = build_forecast_report(run=run)

    assert (
        f"- Cream ({item.sku}): 4 L left, par 10 L, enough for about 2 days"
        in section(report.text, "RUNNING LOW")[0]
    )


def test_an_out_of_stock_item_is_listed_first_as_out_of_stock(run, location):
    forecast(run, item_with_stock(location, 4, name="Almost", par_level=10), mean=2)
    forecast(run, item_with_stock(location, 0, name="Gone", par_level=10), mean=2)

    lines = build_forecast_report(run=run).context["manager"]["running_low"]

    assert [(line["name"], line["out_of_stock"]) for line in lines] == [
        ("Gone", True),
        ("Almost", False),
    ]


def test_nothing_running_low_is_said_in_both_parts(run, location):
    forecast(run, item_with_stock(location, 500, par_level=10), mean=1)

    report = build_forecast_report(run=run)

    assert section(report.text, "RUNNING LOW")[0] == "Nothing is running low."
    assert "Nothing is running low." in report.html


def test_a_lot_expiring_soon_is_listed_under_running_low(run, location, today):
    item = ItemFactory(name="Mozzarella", uom="kg", par_level=0)
    stock_services.stock_receive(
        item=item, location=location, quantity=Decimal("2.5"), lot="L1", expires_at=today
    )
    forecast(run, item, mean=0.1)

    (line,) = build_forecast_report(run=run).context["manager"]["expiring"]

    assert (line["name"], line["quantity"], line["where"], line["when"]) == (
        "Mozzarella",
        "2.5 kg",
        "WALK-IN, lot L1",
        "expires today",
    )


def test_nothing_looks_wrong_is_said_when_nothing_does(run, location):
    forecast(run, item_with_stock(location, 500), mean=1)

    report = build_forecast_report(run=run)

    assert report.context["manager"]["looks_wrong"] == []
    assert section(report.text, "WHAT LOOKS WRONG") == ["Nothing looks wrong."]
    assert "Nothing looks wrong." in report.html


def test_a_hard_to_predict_item_is_named_with_its_error(run, location):
    item = item_with_stock(location, 500, name="Truffle oil")
    forecast(run, item, mean=1, item_mape=152.4, is_high_variance=True)

    wrong = build_forecast_report(run=run).context["manager"]["looks_wrong"]

    assert "Orders for Truffle oil are hard to predict this week (error 152%)." in wrong


def test_a_failing_forecast_is_said_in_plain_words(today, location):
    run = make_run(
        today,
        wape=0.35,
        health=ForecastRun.Health.FAILING,
        baseline_wape=0.25,
        class_accuracy={
            "smooth": {"items": 9, "wape": 0.2, "baseline_wape": 0.21, "failing": False},
            "lumpy": {"items": 6, "wape": 0.9, "baseline_wape": 0.6, "failing": True},
        },
    )
    forecast(run, item_with_stock(location, 500), mean=1)

    (sentence,) = build_forecast_report(run=run).context["manager"]["looks_wrong"]

    assert sentence.startswith(
        "The forecast for lumpy items did worse on the last weeks than a plain four-week "
        "average would have (off by 35% against 25%)"
    )


def test_a_job_failed_in_the_last_day_is_said(run, location):
    forecast(run, item_with_stock(location, 500), mean=1)
    JobRun.objects.create(name="maintenance", status=JobRun.Status.FAILED, error="boom")

    (sentence,) = build_forecast_report(run=run).context["manager"]["looks_wrong"]

    assert sentence.startswith("The job maintenance failed once in the last day")


def test_an_item_used_lately_without_a_forecast_is_said(run, location, today):
    forecast(run, item_with_stock(location, 500), mean=1)
    unforecast = ItemFactory(name="New oat milk")
    DailyUsage.objects.create(item=unforecast, date=today - timedelta(days=1), quantity=3)

    (sentence,) = build_forecast_report(run=run).context["manager"]["looks_wrong"]

    assert sentence.startswith("New oat milk was used in the last 28 days but has no forecast")


def test_the_statistics_come_after_the_manager_sections_in_the_text(run, location):
    forecast(run, item_with_stock(location, 3), mean=5, hi95=6)

    text = build_forecast_report(run=run).text

    headings = [
        "WHAT TO ORDER",
        "RUNNING LOW",
        "WHAT LOOKS WRONG",
        "FORECAST STATISTICS",
        "RUN SUMMARY",
        "HIGH-VARIANCE ITEMS",
        "SYSTEM HEALTH",
    ]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)


def test_the_statistics_come_after_the_manager_sections_in_the_html(run, location):
    forecast(run, item_with_stock(location, 3), mean=5, hi95=6)

    html = build_forecast_report(run=run).html

    headings = [
        "What to order",
        "Running low",
        "What looks wrong",
        "Forecast statistics",
        "Run summary",
        "High-variance items",
        "System health",
    ]
    positions = [html.index(f">{heading}") for heading in headings]
    assert positions == sorted(positions)


def test_the_subject_leads_with_what_to_order_and_ends_with_the_health(run, location, today):
    forecast(run, item_with_stock(location, 3, par_level=10), mean=5, hi95=6)

    subject = build_forecast_report(run=run).subject

    assert subject == f"1 item to order, 1 running low — forecast report {today:%Y-%m-%d}: Passing"


def test_an_item_name_with_a_script_tag_is_escaped_in_the_html(run, location):
    name = '<script>alert("x")</script>'
    item = item_with_stock(location, 3, name=name, par_level=10)
    forecast(run, item, mean=5, hi95=6, item_mape=99.0, is_high_variance=True)

    report = build_forecast_report(run=run)

    assert len(report.context["manager"]["to_order"]) == 1
    assert "<script" not in report.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in report.html


# --- the accuracy trend -------------------------------------------------------------------------


def test_the_trend_has_one_row_per_day_with_the_days_latest_run(today):
    make_run(today - timedelta(days=1), 2, wape=0.30)
    make_run(today, 2, wape=0.25)
    latest = make_run(today, 9, wape=0.20)

    trend = build_forecast_report(run=latest).context["summary"]["trend"]

    assert [(point["date"], point["accuracy"]) for point in trend] == [
        (today - timedelta(days=1), 30.0),
        (today, 20.0),
    ]


def test_the_trend_change_compares_the_first_and_last_day(today):
    make_run(today - timedelta(days=2), wape=0.30)
    make_run(today - timedelta(days=1), wape=0.10)
    make_run(today, 2, wape=0.40)
    latest = make_run(today, 9, wape=0.25)

    summary = build_forecast_report(run=latest).context["summary"]

    assert summary["trend_change"] == -5.0


def test_the_trend_covers_the_last_days_that_had_a_run_skipping_days_without(today):
    # Runs every other day, two a day: the trend goes back over the gaps, a row a day.
    days = [today - timedelta(days=2 * n) for n in range(TREND_RUNS + 2)]
    for day in days:
        make_run(day, 2)
        make_run(day, 9)

    trend = build_forecast_report(run=make_run(today, 10)).context["summary"]["trend"]

    assert [point["date"] for point in trend] == sorted(days[:TREND_RUNS])


def test_the_trend_ends_at_the_reported_run(today):
    reported = make_run(today - timedelta(days=1), wape=0.30)
    make_run(today, wape=0.10)

    trend = build_forecast_report(run=reported).context["summary"]["trend"]

    assert [point["date"] for point in trend] == [today - timedelta(days=1)]


def test_the_trend_groups_runs_by_the_servers_local_day(settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    timezone.deactivate()
    local_today = timezone.localdate()
    # 08:00 and 20:00 in Auckland (UTC+12 or +13) fall on two different days in UTC.
    make_run(local_today, 8, wape=0.30)
    latest = make_run(local_today, 20, wape=0.20)

    trend = build_forecast_report(run=latest).context["summary"]["trend"]

    assert [(point["date"], point["accuracy"]) for point in trend] == [(local_today, 20.0)]


# --- cost ---------------------------------------------------------------------------------------


def report_queries(run) -> int:
    with CaptureQueriesContext(connection) as queries:
        build_forecast_report(run=run)
    return len(queries)


def add_items(run, location, count: int) -> None:
    """`count` items in every section: to order, below par, expiring, hard to predict."""
    for _ in range(count):
        item = ItemFactory(par_level=10, reorder_min=0, reorder_max=0)
        stock_services.stock_receive(
            item=item,
            location=location,
            quantity=Decimal(3),
            lot="L1",
            expires_at=timezone.localdate(),
        )
        forecast(run, item, mean=5, hi95=6, item_mape=90.0, is_high_variance=True)


def test_the_report_reads_as_many_queries_for_50_items_as_for_5(run, location):
    add_items(run, location, 5)
    few = report_queries(run)
    add_items(run, location, 45)

    many = report_queries(run)

    assert len(build_forecast_report(run=run).context["manager"]["to_order"]) == 50
    assert many == few


def test_the_statistics_show_each_classs_error_beside_v20s(today, location):
    run = make_run(
        today,
        wape=0.35,
        health=ForecastRun.Health.FAILING,
        baseline_wape=0.25,
        class_accuracy={
            "lumpy": {"items": 6, "wape": 0.9, "baseline_wape": 0.6, "failing": True},
        },
    )
    forecast(run, item_with_stock(location, 500), mean=1)

    report = build_forecast_report(run=run)

    assert "v20's forecast on the same days 25.00%" in report.text
    assert "lumpy (6 items): 90.00% against 60.00% FAILING" in report.text
    assert "Lumpy (6)" in report.html
