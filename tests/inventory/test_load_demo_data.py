"""`manage.py load_demo_data`: a year of kitchen history whose ledger balances, loaded once."""

import io
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from forecasting.engine import DemandClass, classify
from forecasting.history import item_histories
from forecasting.models import ForecastRun
from forecasting.services import run_forecast
from inventory import demo_data
from inventory.models import Location, MovementKind, MovementSource, StockMovement, StockRecord
from inventory.selectors import low_stock_items
from items.models import Item
from tests.helpers import assert_ledger_balances

V20_SEED_SKUS = {"SKU-1001", "SKU-1002", "SKU-2001", "SKU-3001", "SKU-4001", "SKU-5001"}
TODAY = date(2025, 6, 15)


def load(*args) -> str:
    out = io.StringIO()
    call_command("load_demo_data", *args, stdout=out)
    return out.getvalue()


def snapshot() -> tuple:
    return (
        list(Item.objects.order_by("pk").values()),
        list(Location.objects.order_by("pk").values()),
        list(StockRecord.objects.order_by("pk").values()),
        StockMovement.objects.count(),
    )


@pytest.fixture(scope="module")
def plan():
    return demo_data.build_demo_plan(seed=demo_data.DEFAULT_SEED, today=TODAY)


# --- loading it -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_loads_items_locations_stock_and_a_year_of_movements():
    output = load()

    assert set(Item.objects.values_list("sku", flat=True)) >= V20_SEED_SKUS
    assert 55 <= Item.objects.count() <= 70
    assert Location.objects.count() >= 4
    assert StockRecord.objects.count() >= Item.objects.count()
    assert StockMovement.objects.count() > 20_000
    first = StockMovement.objects.order_by("created_at").first().created_at
    last = StockMovement.objects.order_by("created_at").last().created_at
    assert timedelta(days=360) < last - first <= timedelta(days=365)
    assert last < timezone.now()
    assert f"{len(demo_data.ITEMS)} items" in output
    assert f"{StockMovement.objects.count()} movements" in output


@pytest.mark.django_db
def test_every_record_equals_its_ledger_and_each_row_carries_the_running_total():
    load()

    assert_ledger_balances()
    running = defaultdict(Decimal)
    for movement in StockMovement.objects.order_by("created_at", "id").iterator():
        running[movement.stock_record_id] += movement.quantity_delta
        assert movement.quantity_after == running[movement.stock_record_id], movement.pk
        assert movement.quantity_after >= 0
    assert StockMovement.objects.exclude(source=MovementSource.COMMAND).count() == 0


@pytest.mark.django_db
def test_running_it_again_changes_nothing():
    load()
    before = snapshot()

    output = load()

    assert snapshot() == before
    assert "already loaded" in output


@pytest.mark.django_db
def test_the_database_matches_the_plan_for_its_seed_and_day():
    result = demo_data.load_demo_data(seed=7, today=TODAY)
    expected = demo_data.build_demo_plan(seed=7, today=TODAY, tz=timezone.get_current_timezone())

    stored = {
        (r.item.sku, r.location.code, r.lot): r.quantity
        for r in StockRecord.objects.select_related("item", "location")
    }
    assert stored == {(r.sku, r.location, r.lot): r.quantity for r in expected.records}
    assert result.movements == expected.movement_count == StockMovement.objects.count()


# --- what the data looks like (the plan, no database) ----------------------------------------


def test_the_same_seed_gives_the_same_data(plan):
    again = demo_data.build_demo_plan(seed=demo_data.DEFAULT_SEED, today=TODAY)

    assert again == plan


def test_another_seed_gives_other_data(plan):
    other = demo_data.build_demo_plan(seed=demo_data.DEFAULT_SEED + 1, today=TODAY)

    assert [r.quantity for r in other.records] != [r.quantity for r in plan.records]


def test_usage_is_busier_on_fridays_and_saturdays(plan):
    used = defaultdict(Decimal)
    for record in plan.records:
        for movement in record.movements:
            if movement.kind == MovementKind.ISSUE:
                used[movement.created_at.weekday()] -= movement.quantity_delta

    weekend = min(used[4], used[5])
    assert all(weekend > used[day] for day in (0, 1, 2, 3, 6))


def test_intermittent_items_have_days_without_use(plan):
    porcini = next(r for r in plan.records if r.sku == "SKU-4782")
    days_used = {m.created_at.date() for m in porcini.movements if m.kind == MovementKind.ISSUE}

    assert 0 < len(days_used) < demo_data.HISTORY_DAYS / 4


def test_deliveries_are_receipts_and_restocks_are_paired_transfers(plan):
    movements = [m for r in plan.records for m in r.movements]
    transfers = defaultdict(list)
    for movement in movements:
        if movement.kind == MovementKind.TRANSFER:
            transfers[movement.transfer_id].append(movement.quantity_delta)

    assert sum(m.kind == MovementKind.RECEIPT for m in movements) > 1000
    assert transfers
    assert all(len(legs) == 2 and sum(legs) == 0 for legs in transfers.values())


@pytest.mark.django_db
def test_it_leaves_items_below_par_out_of_stock_and_never_stocked():
    demo_data.load_demo_data(today=TODAY)

    low = set(low_stock_items().values_list("sku", flat=True))
    never_stocked = set(Item.objects.filter(stock_records=None).values_list("sku", flat=True))
    out = set(StockRecord.objects.filter(quantity=0).values_list("item__sku", flat=True))
    assert len(never_stocked) == 2
    assert never_stocked < low
    assert out & low
    assert low - never_stocked - out


def test_some_lots_expire_in_the_next_days_and_one_has_expired(plan):
    in_stock = [r for r in plan.records if r.quantity > 0 and r.expires_at]

    assert any(TODAY <= r.expires_at <= TODAY + timedelta(days=3) for r in in_stock)
    assert any(r.expires_at < TODAY for r in in_stock)
    assert any(r.lot for r in plan.records)


# --- what the forecaster sees ----------------------------------------------------------------


@pytest.fixture
def demo_classes(db) -> dict[str, object]:
    """The demand class of each demo item with a history, as the forecaster classifies it."""
    demo_data.load_demo_data(today=TODAY)
    items = list(Item.objects.order_by("pk").values_list("pk", "sku"))
    end = TODAY - timedelta(days=1)
    histories = item_histories([pk for pk, _ in items], end=end, days=demo_data.HISTORY_DAYS)
    return {
        sku: classify(history)
        for (_, sku), history in zip(items, histories, strict=True)
        if len(history)
    }


def test_the_history_holds_items_of_each_of_the_four_demand_classes(demo_classes):
    found = {c.demand_class for c in demo_classes.values()}

    assert {
        DemandClass.SMOOTH,
        DemandClass.ERRATIC,
        DemandClass.INTERMITTENT,
        DemandClass.LUMPY,
    } <= found


def test_a_staple_issued_every_day_of_the_year_is_smooth(plan, demo_classes):
    chicken = next(r for r in plan.records if r.sku == "SKU-1001" and r.location == "WALK-IN")
    days_used = {m.created_at.date() for m in chicken.movements if m.kind == MovementKind.ISSUE}

    assert len(days_used) == demo_data.HISTORY_DAYS
    assert demo_classes["SKU-1001"].demand_class == DemandClass.SMOOTH


def test_items_launched_recently_have_too_little_history(demo_classes):
    recent = [spec.sku for spec in demo_data.ITEMS if spec.launched_days_ago]

    assert len(recent) >= 2
    assert all(demo_classes[sku].demand_class == DemandClass.INSUFFICIENT for sku in recent)


@pytest.mark.django_db
def test_a_forecast_on_fresh_demo_data_is_healthy():
    demo_data.load_demo_data()

    run = run_forecast(n_jobs=1)

    assert run.status == ForecastRun.Status.SUCCEEDED
    assert run.health == ForecastRun.Health.PASSING, run.class_accuracy
