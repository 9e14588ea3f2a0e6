"""Planned promotions: the model, its services, the batch loader, the runs, admin and roles."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.roles import ROLE_PERMISSIONS, Role, lowest_role_with
from forecasting import engine, promotions, services
from forecasting.history import demand_matrix, promotion_matrix
from forecasting.models import DailyUsage, ItemForecast, Promotion
from inventory_project.service_errors import ServiceError
from tests.conftest import user_with_role
from tests.factories import ItemFactory
from tests.forecasting.support import use_small_runs

pytestmark = pytest.mark.django_db

END = date(2024, 6, 30)
DAYS = 168
HORIZON = 14
HOLDOUT = 14


@pytest.fixture(autouse=True)
def _small_runs(settings):
    use_small_runs(settings, days=DAYS, horizon=HORIZON, holdout=HOLDOUT, batch_size=50, folds=2)


def day(offset: int) -> date:
    """The day `offset` days after END (negative: before it)."""
    return END + timedelta(days=offset)


def promote(item, first: int, last: int) -> Promotion:
    return promotions.promotion_create(item=item, first_day=day(first), last_day=day(last))


def item_with_promotions(promoted_days: list[tuple[int, int]], **fields):
    """An item selling 10 a day, 30 on the promoted days of its history (offsets from END)."""
    item = ItemFactory(**fields)
    values = dict.fromkeys(range(-DAYS + 1, 1), 10.0)
    for first, last in promoted_days:
        promote(item, first, last)
        for offset in range(first, min(last, 0) + 1):
            values[offset] = 30.0
    DailyUsage.objects.bulk_create(
        DailyUsage(item=item, date=day(offset), quantity=Decimal(str(value)))
        for offset, value in values.items()
    )
    return item


# Five week-long promotions in the history, none in the holdout.
PAST = [(-150, -144), (-120, -114), (-90, -84), (-60, -54), (-40, -34)]


# --- model and services -----------------------------------------------------------------------


def test_a_promotion_ending_before_it_starts_fails_model_validation():
    promotion = Promotion(item=ItemFactory(), first_day=day(5), last_day=day(4))

    with pytest.raises(ValidationError) as error:
        promotion.full_clean()

    assert "last_day" in error.value.message_dict


def test_a_one_day_promotion_is_valid():
    promotion = Promotion(item=ItemFactory(), first_day=day(5), last_day=day(5))

    promotion.full_clean()


def test_the_database_refuses_a_promotion_ending_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        Promotion.objects.create(item=ItemFactory(), first_day=day(5), last_day=day(4))


def test_the_service_refuses_a_promotion_ending_before_it_starts_and_saves_nothing():
    with pytest.raises(ServiceError) as error:
        promotions.promotion_create(item=ItemFactory(), first_day=day(5), last_day=day(4))

    assert (error.value.code, error.value.field) == ("invalid_promotion", "last_day")
    assert not Promotion.objects.exists()


def test_the_service_changes_a_promotions_days():
    promotion = promote(ItemFactory(), 1, 3)

    promotions.promotion_update(promotion=promotion, first_day=day(2), last_day=day(9), note="x")

    promotion.refresh_from_db()
    assert (promotion.first_day, promotion.last_day, promotion.note) == (day(2), day(9), "x")


# --- loading a batch --------------------------------------------------------------------------


def test_the_loader_marks_each_items_promoted_days_within_the_range():
    first, second, plain = ItemFactory(), ItemFactory(), ItemFactory()
    promote(first, -20, -1)  # starts before the range
    promote(second, 2, 3)
    promote(second, 8, 30)  # ends after it

    matrix = promotion_matrix([plain.pk, first.pk, second.pk], start=day(0), days=10)

    assert matrix.tolist() == [
        [False] * 10,
        [False] * 10,
        [False, False, True, True, False, False, False, False, True, True],
    ]


@pytest.mark.parametrize("items", [2, 20])
def test_the_loader_reads_a_batch_in_one_query_however_many_items(django_assert_num_queries, items):
    batch = [ItemFactory() for _ in range(items)]
    for item in batch:
        promote(item, 1, 3)

    with django_assert_num_queries(1):
        matrix = promotion_matrix([item.pk for item in batch], start=day(0), days=10)

    assert matrix.sum() == 3 * items


# --- the runs ---------------------------------------------------------------------------------


def test_a_planned_promotion_raises_the_stored_forecast_on_its_days():
    planned = item_with_promotions([*PAST, (3, 5)])
    unplanned = item_with_promotions(PAST)

    run = services.run_forecast(history_end=END)

    with_plan = ItemForecast.objects.get(run=run, item=planned).points["mean"]
    without = ItemForecast.objects.get(run=run, item=unplanned).points["mean"]
    raised = [i for i in range(HORIZON) if with_plan[i] > without[i] + 1e-9]
    assert raised == [2, 3, 4]  # the horizon starts on day(1)
    assert with_plan[3] > 2 * without[3]


def test_past_promotions_do_not_inflate_the_stored_forecast():
    item = item_with_promotions(PAST)

    run = services.run_forecast(history_end=END)

    mean = ItemForecast.objects.get(run=run, item=item).points["mean"]
    assert mean == pytest.approx([10.0] * HORIZON, rel=0.05)


def test_a_run_without_promotions_stores_what_the_engine_gives_without_them():
    item = item_with_promotions([])
    y = demand_matrix([item.pk], end=END, days=DAYS)[0]

    run = services.run_forecast(history_end=END)

    expected = engine.forecast_item(y, horizon=HORIZON, holdout=HOLDOUT).mean
    stored = ItemForecast.objects.get(run=run, item=item).points["mean"]
    assert stored == [round(float(v), 3) for v in expected]


def test_the_retrain_chooses_with_promotions_taken_out():
    item_with_promotions(PAST)

    run = services.run_retrain(history_end=END)

    assert run.status == run.Status.SUCCEEDED
    assert run.items_done == 1


# --- admin and roles --------------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    client.force_login(user_with_role("staff", email="planner@example.com", is_staff=True))
    return client


def test_the_promotion_list_loads_with_its_filters(staff_client):
    today = timezone.localdate()
    for sku, first in (("PROMO-1", 3), ("PROMO-2", -20)):
        promotions.promotion_create(
            item=ItemFactory(sku=sku),
            first_day=today + timedelta(days=first),
            last_day=today + timedelta(days=first + 6),
        )

    response = staff_client.get(
        reverse("admin:forecasting_promotion_changelist"), {"timing": "upcoming"}
    )

    assert response.status_code == 200
    assert [p.item.sku for p in response.context["cl"].result_list] == ["PROMO-1"]


def test_the_promotion_list_finds_an_exact_sku(staff_client):
    promote(ItemFactory(sku="PROMO-1"), 1, 7)
    promote(ItemFactory(sku="PROMO-10"), 1, 7)

    response = staff_client.get(reverse("admin:forecasting_promotion_changelist"), {"q": "PROMO-1"})

    assert response.status_code == 200
    assert [p.item.sku for p in response.context["cl"].result_list] == ["PROMO-1"]


def test_the_promotion_add_page_loads(staff_client):
    response = staff_client.get(reverse("admin:forecasting_promotion_add"))

    assert response.status_code == 200


def test_staff_plan_a_promotion_in_the_admin(staff_client):
    item = ItemFactory()

    response = staff_client.post(
        reverse("admin:forecasting_promotion_add"),
        {"item": item.pk, "first_day": "2024-07-04", "last_day": "2024-07-06", "note": "Summer"},
    )

    assert response.status_code == 302
    assert Promotion.objects.get().note == "Summer"


def test_a_promotions_item_cannot_be_changed_in_the_admin(staff_client):
    # Saving the form must never claim to move a promotion it leaves where it was.
    promotion = promote(ItemFactory(sku="PROMO-A"), 1, 7)
    other = ItemFactory(sku="PROMO-B")
    url = reverse("admin:forecasting_promotion_change", args=[promotion.pk])

    page = staff_client.get(url)
    response = staff_client.post(
        url,
        {"item": other.pk, "first_day": "2024-07-04", "last_day": "2024-07-06", "note": "Moved?"},
    )

    assert "item" not in page.context["adminform"].form.fields
    assert response.status_code == 302
    promotion.refresh_from_db()
    assert (promotion.item.sku, promotion.note) == ("PROMO-A", "Moved?")


def test_the_admin_refuses_a_promotion_ending_before_it_starts(staff_client):
    response = staff_client.post(
        reverse("admin:forecasting_promotion_add"),
        {"item": ItemFactory().pk, "first_day": "2024-07-06", "last_day": "2024-07-04"},
    )

    assert response.status_code == 200
    assert "last_day" in response.context["adminform"].form.errors
    assert not Promotion.objects.exists()


@pytest.mark.parametrize("action", ["add", "change", "delete"])
def test_staff_is_the_least_role_that_may_plan_promotions(action):
    assert lowest_role_with(f"forecasting.{action}_promotion") == Role.STAFF


def test_viewers_may_see_promotions():
    assert "forecasting.view_promotion" in ROLE_PERMISSIONS[Role.VIEWER]
