"""Error codes of the forecasting domain."""

from enum import StrEnum


class ForecastErrorCode(StrEnum):
    NOT_FOUND = "forecast_not_found"
    INVALID_LEAD_TIME = "invalid_lead_time"
    INVALID_PROMOTION = "invalid_promotion"
