"""Benchmarks of the inventory backend (see bench/README.md); not imported by the app."""
