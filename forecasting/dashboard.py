"""The forecasting panel of the admin's front page: what to order, and whether to trust it.

Registered with `inventory_project.admin_site.dashboard_panel` when the admin loads (imported by
`forecasting.admin`): how many items to order, how many of those are due today or earlier (each
a link to the reorder page), and the latest forecast's health in a plain sentence.
"""

from datetime import date

import orjson
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from forecasting.models import ForecastRun
from forecasting.report import health_sentence
from forecasting.selectors import latest_run, reorder_suggestions
from inventory.cached_responses import STOCK_GROUP
from inventory_project.admin_site import Figure, Panel, dashboard_panel
from inventory_project.http.response_cache import CachedEnvelope
from items.cached_responses import ITEMS_GROUP


def _count_orders(today: date) -> dict:
    suggestions = reorder_suggestions(today=today)
    due = sum(1 for row in suggestions if row["order_by"] and row["order_by"] <= today)
    return {"due": due, "to_order": len(suggestions)}


def _ordering_counts(run: ForecastRun, today: date) -> tuple[int, int]:
    """(due by today, to order in all), from the cache while nothing they depend on changed.

    They take every item's suggestion (200 ms for 10,000 items), so they are kept until stock or
    items change (those writes bump their groups), a new run or a new day (both in the key), or a
    change of the reorder settings (in the key too).
    """
    key = ":".join(
        str(part)
        for part in (
            "dashboard:ordering",
            run.pk,
            today,
            settings.REORDER_LEAD_TIME_DAYS,
            settings.REORDER_REVIEW_DAYS,
        )
    )
    envelope = CachedEnvelope(
        key, "CACHE_TTL_SUMMARY", lambda: _count_orders(today), groups=(ITEMS_GROUP, STOCK_GROUP)
    )
    counts = orjson.loads(envelope.response().content)
    return counts["due"], counts["to_order"]


@dashboard_panel
def forecast_panel(request) -> Panel | None:
    if not request.user.has_perm("forecasting.view_itemforecast"):
        return None
    run = latest_run()
    today = timezone.localdate()
    due, to_order = _ordering_counts(run, today) if run is not None else (0, 0)
    reorder = reverse("admin:forecasting_reorder")
    sentences = [health_sentence(run)]
    if run is not None:
        age = (today - run.history_end).days - 1
        if age > 0:
            sentences.append(
                f"It is {age} day{'s' if age != 1 else ''} old: the daily forecast may not be "
                "running."
            )
    figures = [
        Figure("to order by today", due, f"{reorder}?due=1", "alert"),
        Figure("to order in all", to_order, reorder),
    ]
    if run is not None:
        figures.append(
            Figure(
                "latest forecast",
                f"{run.get_health_display()}",
                reverse("admin:forecasting_forecastrun_change", args=[run.pk]),
                "alert" if run.health == run.Health.FAILING else "",
            )
        )
    return Panel(title="Ordering", order=30, figures=figures, sentences=sentences)
