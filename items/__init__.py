"""Items: the item master, one row per SKU."""
