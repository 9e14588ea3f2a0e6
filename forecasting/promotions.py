"""Planned promotions of items: create, change and delete (the admin and the API call these).

A promotion is an item's specials, event or price promotion from its first day to its last,
both included, entered ahead of time. The forecasts read them per batch of items
(`forecasting.history.promotion_matrix`): past promotions teach the engine the item's effect,
future ones raise the forecast on their days.
"""

from datetime import date

from forecasting.error_codes import ForecastErrorCode
from forecasting.models import Promotion
from inventory_project.service_errors import ServiceError
from inventory_project.text_length import check_length, max_length
from items.models import Item

NOTE_MAX_LENGTH = max_length(Promotion, "note")


def _validate(*, first_day: date, last_day: date, note: str) -> None:
    if last_day < first_day:
        raise ServiceError(
            "The last day cannot be before the first day.",
            code=ForecastErrorCode.INVALID_PROMOTION,
            field="last_day",
        )
    check_length(
        note, field="note", limit=NOTE_MAX_LENGTH, code=ForecastErrorCode.INVALID_PROMOTION
    )


def promotion_create(*, item: Item, first_day: date, last_day: date, note: str = "") -> Promotion:
    note = note.strip()
    _validate(first_day=first_day, last_day=last_day, note=note)
    return Promotion.objects.create(item=item, first_day=first_day, last_day=last_day, note=note)


def promotion_update(
    *, promotion: Promotion, first_day: date, last_day: date, note: str = ""
) -> Promotion:
    note = note.strip()
    _validate(first_day=first_day, last_day=last_day, note=note)
    promotion.first_day, promotion.last_day, promotion.note = first_day, last_day, note
    promotion.save(update_fields=["first_day", "last_day", "note", "updated_at"])
    return promotion


def promotion_delete(*, promotion: Promotion) -> None:
    promotion.delete()
