"""Cache keys of item responses (the v20 names) and the groups that make them stale."""

ITEMS_ALL = "items:all:all"
ITEMS_ACTIVE = "items:all:active"
ITEMS_GROUP = "items"


def item_detail_key(sku: str) -> str:
    return f"items:sku:{sku}"
