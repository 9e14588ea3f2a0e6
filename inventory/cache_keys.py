"""Cache keys of inventory responses (the v20 names) and the groups that make them stale."""

SUMMARY = "inventory:summary:v1"
STOCK_GROUP = "stock"
