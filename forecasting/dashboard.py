"""The forecasting panel of the admin's front page: what to order, and whether to trust it.

Registered with `inventory_project.admin_site.dashboard_panel` when the admin loads (imported by
`forecasting.admin`): how many items to order, how many of those are due today or earlier (each
a link to the reorder page), and the latest forecast's health in a plain sentence.
"""

from django.urls import reverse
from django.utils import timezone

from forecasting.report import health_sentence
from forecasting.selectors import latest_run, reorder_suggestions
from inventory_project.admin_site import Figure, Panel, dashboard_panel


@dashboard_panel
def forecast_panel(request) -> Panel | None:
    if not request.user.has_perm("forecasting.view_itemforecast"):
        return None
    run = latest_run()
    today = timezone.localdate()
    suggestions = reorder_suggestions() if run is not None else []
    due = sum(1 for row in suggestions if row["order_by"] and row["order_by"] <= today)
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
        Figure("to order in all", len(suggestions), reorder),
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
