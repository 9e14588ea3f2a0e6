"""The forecast chart: user text in it is drawn as typed, never parsed as maths."""

from datetime import date, timedelta

import pytest

from forecasting.charts import forecast_chart_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "title",
    [r"Salt $x^$ 5 \frac", r"Salt $x^$ 5$ \frac", r"Sugar $\frac{1}{$ 2"],
)
def test_a_title_with_dollar_signs_and_tex_commands_is_drawn_without_error(title):
    start = date(2026, 11, 1)
    history = [{"date": start + timedelta(days=n), "demand": n % 7} for n in range(14)]

    png = forecast_chart_png(history=history, forecast=[], title=title)

    assert png.startswith(PNG_SIGNATURE)
