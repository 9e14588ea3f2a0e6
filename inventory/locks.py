"""Row locks on stock records, always taken in primary-key order so two transfers never deadlock."""

from django.db import transaction

from inventory.models import StockRecord


def lock_stock_records(*record_ids: int) -> dict[int, StockRecord]:
    """Lock the given stock records (SELECT ... FOR UPDATE) and return them by id.

    Must run inside a transaction. On SQLite, which has no row locks, the IMMEDIATE transaction
    mode configured in settings serializes writers instead.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_stock_records() must be called inside transaction.atomic().")
    records = (
        StockRecord.objects.select_for_update(of=("self",))
        .select_related("item", "location")
        .filter(pk__in=record_ids)
        .order_by("pk")
    )
    return {record.pk: record for record in records}
