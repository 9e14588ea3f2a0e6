"""The ledger's indexes and its API filters match: each filter has an index, each index a filter.

Each index costs every ledger write (an import appends a row per changed stock record), so one
no filter uses is a cost without a use; a filter without one reads the whole ledger.
"""

from inventory.filters import MovementFilter
from inventory.models import StockMovement

# Filters that read the ledger without an index of their own. `lot` has none: an index would
# cost every ledger write, and whether lot lookups are worth it is open (see the note in
# `StockMovement.Meta`). A filter added here is a decision, not an oversight.
UNINDEXED_FILTERS = {"lot"}


def _column(field_name: str) -> str:
    """The ledger column a filter's `field_name` starts from (`item__sku` -> `item_id`)."""
    return StockMovement._meta.get_field(field_name.split("__")[0]).column


def _leading_columns() -> set[str]:
    """Columns that lead an index of the ledger: declared indexes, keys and unique fields."""
    meta = StockMovement._meta
    leading = {meta.get_field(index.fields[0].lstrip("-")).column for index in meta.indexes}
    leading |= {f.column for f in meta.concrete_fields if f.db_index or f.unique}
    return leading


def test_every_ledger_filter_the_api_offers_has_an_index_but_the_named_exceptions():
    filters = MovementFilter.base_filters
    columns = {name: _column(f.field_name) for name, f in filters.items()}

    unindexed = {name for name, column in columns.items() if column not in _leading_columns()}

    assert unindexed == UNINDEXED_FILTERS


def test_every_declared_ledger_index_serves_a_filter_the_api_offers():
    filtered = {_column(f.field_name) for f in MovementFilter.base_filters.values()}
    meta = StockMovement._meta

    leading = {index.name: meta.get_field(index.fields[0]).column for index in meta.indexes}

    assert {name for name, column in leading.items() if column not in filtered} == set()
