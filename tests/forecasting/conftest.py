"""Fixtures of the forecasting tests (helpers that are not fixtures live in `support`)."""

import pytest


@pytest.fixture
def reorder_settings(settings):
    """Reorder suggestions with a 2-day lead time and a 7-day review, as the tests count them."""
    settings.REORDER_LEAD_TIME_DAYS = 2
    settings.REORDER_REVIEW_DAYS = 7
