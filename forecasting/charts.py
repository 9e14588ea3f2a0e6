"""Charts of an item's forecast for the admin, drawn with matplotlib into an inline PNG.

The figure is drawn off-screen (the Agg canvas, no pyplot and its global state), so drawing is
safe in any worker thread and needs no display. matplotlib is imported on first use: only the
admin's forecast page needs it.
"""

import base64
import io
from datetime import date

HISTORY_COLOR = "#4a4a4a"
FORECAST_COLOR = "#1f77b4"


def forecast_chart_png(*, history: list[dict], forecast: list[dict], title: str = "") -> bytes:
    """Daily demand, then the forecast mean with its 95% and 80% bands, as PNG bytes.

    `history` is `[{date, demand}]` and `forecast` `[{date, mean, lo80, hi80, lo95, hi95}]`, as
    `forecasting.selectors.demand_history` and `forecast_series` give them.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 3.6), dpi=96, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if history:
        axes.plot(
            [row["date"] for row in history],
            [row["demand"] for row in history],
            color=HISTORY_COLOR,
            linewidth=1,
            label="demand",
        )
    if forecast:
        days: list[date] = [row["date"] for row in forecast]
        axes.fill_between(
            days,
            [row["lo95"] for row in forecast],
            [row["hi95"] for row in forecast],
            color=FORECAST_COLOR,
            alpha=0.15,
            linewidth=0,
            label="95% interval",
        )
        axes.fill_between(
            days,
            [row["lo80"] for row in forecast],
            [row["hi80"] for row in forecast],
            color=FORECAST_COLOR,
            alpha=0.3,
            linewidth=0,
            label="80% interval",
        )
        axes.plot(days, [row["mean"] for row in forecast], color=FORECAST_COLOR, label="forecast")
        axes.axvline(days[0], color="#999999", linestyle=":", linewidth=1)
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.set_ylim(bottom=0)
    axes.set_ylabel("units per day")
    axes.grid(alpha=0.3)
    if title:
        # The title holds an item's name as typed: `$` in it is text, not the start of maths.
        axes.set_title(title, loc="left", fontsize=10, parse_math=False)
    if history or forecast:
        # Above the plot, beside the title: inside it would hide the peaks.
        axes.legend(
            loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=4, fontsize=8, frameon=False
        )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
