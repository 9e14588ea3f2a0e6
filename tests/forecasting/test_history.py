"""Daily demand history: ledger issues per item-day, replaced by imported usage where it exists."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from forecasting.history import demand_matrix, first_record_days, item_histories, last_history_day
from forecasting.models import DailyUsage
from inventory import services as stock_services
from inventory.models import MovementKind, MovementSource, StockMovement, StockRecord
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

END = date(2024, 6, 30)


def _movement(item, location, *, kind, delta, when: datetime) -> StockMovement:
    """A ledger row at a chosen moment (the services always stamp the current time)."""
    record, _created = StockRecord.objects.get_or_create(item=item, location=location, lot="")
    return StockMovement.objects.create(
        stock_record=record,
        item=item,
        location=location,
        kind=kind,
        quantity_delta=Decimal(delta),
        quantity_after=Decimal(0),
        created_at=when,
        source=MovementSource.SYSTEM,
    )


def _issue(item, location, quantity, when: datetime) -> StockMovement:
    return _movement(item, location, kind=MovementKind.ISSUE, delta=-quantity, when=when)


def _noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def test_issues_at_several_locations_are_summed_per_day(item, location, other_location):
    _issue(item, location, 3, _noon(END))
    _issue(item, other_location, 2, _noon(END))
    _issue(item, location, 1, _noon(END - timedelta(days=1)))
    _issue(item, other_location, Decimal("0.5"), _noon(END - timedelta(days=1)))

    matrix = demand_matrix([item.pk], end=END, days=2)

    assert matrix.tolist() == [[1.5, 5.0]]


def test_issues_made_through_the_service_are_demand_today(item, location):
    stock_services.stock_receive(item=item, location=location, quantity=Decimal("10"))
    stock_services.stock_issue(item=item, location=location, quantity=Decimal("4"))

    matrix = demand_matrix([item.pk], end=timezone.localdate(), days=1)

    assert matrix.tolist() == [[4.0]]


def test_receipts_counts_adjustments_and_transfers_are_not_demand(item, location, other_location):
    stock_services.stock_receive(item=item, location=location, quantity=Decimal("10"))
    stock_services.stock_count(item=item, location=location, counted_quantity=Decimal("7"))
    stock_services.stock_adjust(
        item=item, location=location, quantity_delta=Decimal("-2"), reason="Broken jar"
    )
    stock_services.stock_transfer(
        item=item, from_location=location, to_location=other_location, quantity=Decimal("1")
    )

    matrix = demand_matrix([item.pk], end=timezone.localdate(), days=1)

    assert StockMovement.objects.filter(item=item).count() == 5
    assert matrix.tolist() == [[0.0]]


def test_usage_replaces_the_ledger_on_the_days_it_covers(item, location):
    _issue(item, location, 3, _noon(END))
    _issue(item, location, 4, _noon(END - timedelta(days=1)))
    DailyUsage.objects.create(item=item, date=END, quantity=Decimal("10"))

    matrix = demand_matrix([item.pk], end=END, days=2)

    assert matrix.tolist() == [[4.0, 10.0]]


def test_usage_at_several_locations_is_summed(item, location, other_location):
    DailyUsage.objects.create(item=item, location=location, date=END, quantity=Decimal("2"))
    DailyUsage.objects.create(item=item, location=other_location, date=END, quantity=Decimal("3"))

    matrix = demand_matrix([item.pk], end=END, days=1)

    assert matrix.tolist() == [[5.0]]


def test_zero_usage_replaces_ledger_issues_with_zero(item, location):
    _issue(item, location, 3, _noon(END))
    DailyUsage.objects.create(item=item, date=END, quantity=Decimal("0"))

    matrix = demand_matrix([item.pk], end=END, days=1)

    assert matrix.tolist() == [[0.0]]


def test_days_without_demand_are_zero(item, location):
    _issue(item, location, 2, _noon(END - timedelta(days=2)))

    matrix = demand_matrix([item.pk], end=END, days=5)

    assert matrix.tolist() == [[0.0, 0.0, 2.0, 0.0, 0.0]]


def test_only_the_window_of_days_up_to_the_end_is_read(item, location):
    start = END - timedelta(days=2)
    _issue(item, location, 1, _noon(start - timedelta(days=1)))
    _issue(item, location, 2, _noon(start))
    _issue(item, location, 3, _noon(END))
    _issue(item, location, 4, _noon(END + timedelta(days=1)))
    DailyUsage.objects.create(item=item, date=start - timedelta(days=1), quantity=Decimal("9"))
    DailyUsage.objects.create(item=item, date=END + timedelta(days=1), quantity=Decimal("9"))

    matrix = demand_matrix([item.pk], end=END, days=3)

    assert matrix.tolist() == [[2.0, 0.0, 3.0]]


def test_rows_follow_the_order_of_the_given_item_ids(location):
    first, second, third = ItemFactory(), ItemFactory(), ItemFactory()
    _issue(first, location, 1, _noon(END))
    _issue(second, location, 2, _noon(END))
    _issue(third, location, 3, _noon(END))

    matrix = demand_matrix([third.pk, first.pk, second.pk], end=END, days=1)

    assert matrix.tolist() == [[3.0], [1.0], [2.0]]


def test_an_item_without_any_history_is_a_row_of_zeros(item, location):
    other = ItemFactory()
    _issue(item, location, 1, _noon(END))

    matrix = demand_matrix([other.pk, item.pk], end=END, days=2)

    assert matrix.tolist() == [[0.0, 0.0], [0.0, 1.0]]


def test_no_items_is_an_empty_matrix():
    assert demand_matrix([], end=END, days=7).shape == (0, 7)


def test_demand_is_never_negative(item, location):
    # A correction booked as a negative issue (a positive delta) must not make demand negative.
    _movement(item, location, kind=MovementKind.ISSUE, delta=5, when=_noon(END))

    matrix = demand_matrix([item.pk], end=END, days=1)

    assert matrix.tolist() == [[0.0]]


def test_a_movement_just_before_local_midnight_counts_on_its_local_day(settings, item, location):
    settings.TIME_ZONE = "America/New_York"
    new_york = ZoneInfo("America/New_York")
    # 23:30 in New York on 10 June is already 11 June in UTC; 00:15 on 11 June is too.
    _issue(item, location, 2, datetime(2024, 6, 10, 23, 30, tzinfo=new_york))
    _issue(item, location, 5, datetime(2024, 6, 11, 0, 15, tzinfo=new_york))

    matrix = demand_matrix([item.pk], end=date(2024, 6, 11), days=2)

    assert matrix.tolist() == [[2.0, 5.0]]


def test_a_movement_late_on_the_last_local_day_is_inside_the_window(settings, item, location):
    settings.TIME_ZONE = "America/New_York"
    new_york = ZoneInfo("America/New_York")
    _issue(item, location, 2, datetime(2024, 6, 10, 23, 30, tzinfo=new_york))
    _issue(item, location, 7, datetime(2024, 6, 9, 23, 59, tzinfo=new_york))

    matrix = demand_matrix([item.pk], end=date(2024, 6, 10), days=1)

    assert matrix.tolist() == [[2.0]]


def test_the_last_history_day_is_yesterday_in_the_server_time_zone():
    assert last_history_day() == timezone.localdate() - timedelta(days=1)


# --- an item's history starts at its first record ---------------------------------------------


def test_an_items_history_starts_at_its_first_ledger_movement(item, location):
    receipt_day = END - timedelta(days=9)
    _movement(item, location, kind=MovementKind.RECEIPT, delta=20, when=_noon(receipt_day))
    _issue(item, location, 4, _noon(END - timedelta(days=5)))

    [history] = item_histories([item.pk], end=END, days=365)

    assert len(history) == 10  # the receipt day to END, not 365 days of zeros
    assert history.tolist() == [0, 0, 0, 0, 4, 0, 0, 0, 0, 0]


def test_an_items_history_starts_at_its_first_usage_row_when_that_is_earlier(item, location):
    DailyUsage.objects.create(item=item, date=END - timedelta(days=29), quantity=Decimal(3))
    _movement(item, location, kind=MovementKind.RECEIPT, delta=20, when=_noon(END))

    [history] = item_histories([item.pk], end=END, days=365)

    assert len(history) == 30
    assert history[0] == 3


def test_a_history_never_reaches_back_beyond_the_window(item, location):
    _movement(
        item, location, kind=MovementKind.RECEIPT, delta=20, when=_noon(END - timedelta(days=400))
    )

    [history] = item_histories([item.pk], end=END, days=100)

    assert len(history) == 100


def test_an_item_without_records_or_first_recorded_after_the_end_has_an_empty_history(
    item, location
):
    later = ItemFactory()
    _movement(
        later, location, kind=MovementKind.RECEIPT, delta=5, when=_noon(END + timedelta(days=2))
    )

    histories = item_histories([item.pk, later.pk], end=END, days=30)

    assert [len(h) for h in histories] == [0, 0]


def test_first_record_days_take_two_queries_for_any_number_of_items(
    location, django_assert_num_queries
):
    items = ItemFactory.create_batch(5)
    for item in items:
        _movement(item, location, kind=MovementKind.RECEIPT, delta=1, when=_noon(END))

    with django_assert_num_queries(2):
        first = first_record_days([item.pk for item in items])

    assert first == {item.pk: END for item in items}


def test_waste_is_not_demand(stocked):
    stock_services.stock_waste(
        item=stocked.item, location=stocked.location, quantity=Decimal(3), reason="Spoiled"
    )

    matrix = demand_matrix([stocked.item.pk], end=timezone.localdate(), days=1)

    assert matrix.tolist() == [[0.0]]


def test_a_reversed_issue_is_not_demand_on_its_day(stocked):
    issue = stock_services.stock_issue(
        item=stocked.item, location=stocked.location, quantity=Decimal(4)
    )
    stock_services.stock_issue_reverse(movement=issue, reason="Wrong item")

    matrix = demand_matrix([stocked.item.pk], end=timezone.localdate(), days=1)

    assert matrix.tolist() == [[0.0]]


def test_a_partial_reversal_nets_the_issue_partially(stocked):
    issue = stock_services.stock_issue(
        item=stocked.item, location=stocked.location, quantity=Decimal(4)
    )
    stock_services.stock_issue_reverse(movement=issue, quantity=Decimal(1), reason="Miscounted")

    matrix = demand_matrix([stocked.item.pk], end=timezone.localdate(), days=1)

    assert matrix.tolist() == [[3.0]]


def test_a_reversal_booked_days_later_nets_on_the_original_day(stocked):
    today = timezone.localdate()
    issue = _issue(stocked.item, stocked.location, 4, _noon(today - timedelta(days=3)))
    stock_services.stock_issue_reverse(movement=issue, reason="Wrong item")

    matrix = demand_matrix([stocked.item.pk], end=today, days=4)

    assert matrix.tolist() == [[0.0, 0.0, 0.0, 0.0]]


def test_a_reversal_booked_after_the_history_ends_still_nets_within_it(stocked):
    issue = _issue(stocked.item, stocked.location, 4, _noon(END))
    stock_services.stock_issue_reverse(movement=issue, quantity=Decimal(1), reason="Miscounted")

    matrix = demand_matrix([stocked.item.pk], end=END, days=1)

    assert matrix.tolist() == [[3.0]]
