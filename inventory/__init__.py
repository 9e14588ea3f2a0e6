"""Inventory: locations, stock on hand and the append-only movement ledger."""
