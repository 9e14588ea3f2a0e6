"""The daily forecast report e-mail: what the latest forecast run found, and what to do about it.

`build_forecast_report` gathers the sections from the selectors (run summary with the accuracy
trend, high-variance items, reorder suggestions, stock alerts, system health), draws a chart of
history and forecast for the worst items, and renders `forecasting/report.html` and `report.txt`.
`send_forecast_report` sends it as one HTML e-mail with a plain-text part and the charts inline
(`cid:` references), through Django's e-mail framework (`EMAIL_*` settings).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from forecasting import charts, selectors
from forecasting.models import ForecastRun, ItemForecast
from inventory.models import StockRecord
from inventory.selectors import low_stock_items
from inventory_project import cache as response_cache
from inventory_project.jobs import last_runs
from inventory_project.models import JobRun

# Runs of the accuracy trend, charts drawn, and days of history each chart shows.
TREND_RUNS = 7
CHART_ITEMS = 3
CHART_HISTORY_DAYS = 56
# Failed job and forecast runs younger than this count as recent failures.
FAILURE_WINDOW = timedelta(days=1)


class ReportError(Exception):
    """The report cannot be built (no succeeded forecast run yet)."""


@dataclass
class ReportChart:
    """One inline chart: its Content-ID (without the angle brackets) and PNG bytes."""

    content_id: str
    sku: str
    png: bytes


@dataclass
class Report:
    """A rendered report, ready to send or to write to a file."""

    subject: str
    context: dict
    html: str
    text: str
    charts: list[ReportChart] = field(default_factory=list)

    def standalone_html(self) -> str:
        """The HTML with the charts embedded as data URIs, for a file read outside the e-mail."""
        html = self.html
        for chart in self.charts:
            html = html.replace(f"cid:{chart.content_id}", charts.png_data_uri(chart.png))
        return html


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 2)


def _run_summary(run: ForecastRun) -> dict:
    # The run's health compares the pooled WAPE x 100 with MAPE_THRESHOLD; so does the report.
    recent = list(
        ForecastRun.objects.filter(
            kind=ForecastRun.Kind.FORECAST,
            status=ForecastRun.Status.SUCCEEDED,
            started_at__lte=run.started_at,
        ).order_by("-started_at", "-id")[:TREND_RUNS]
    )
    trend = [
        {
            "date": timezone.localdate(r.started_at),
            "accuracy": _percent(r.average_wape),
            "health": r.health,
        }
        for r in reversed(recent)
    ]
    known = [point["accuracy"] for point in trend if point["accuracy"] is not None]
    change = round(known[-1] - known[0], 2) if len(known) > 1 else None
    return {
        "run": run,
        "date": timezone.localdate(run.started_at),
        "items": run.items_done,
        "items_total": run.items_total,
        "duration_seconds": run.duration_seconds,
        "accuracy": _percent(run.average_wape),
        "average_item_mape": run.average_item_mape,
        "threshold": settings.MAPE_THRESHOLD,
        "health": run.health,
        "health_label": run.get_health_display(),
        "trend": trend,
        # Positive: the error grew over the trend's runs (worse); negative: it shrank.
        "trend_change": change,
    }


def _high_variance(run: ForecastRun) -> tuple[list[ItemForecast], int]:
    flagged = (
        ItemForecast.objects.filter(run=run, is_high_variance=True)
        .select_related("item")
        .order_by("-item_mape", "item__sku")
    )
    return list(flagged[: settings.MAX_HIGH_VARIANCE_ITEMS_IN_REPORT]), flagged.count()


def _stock_alerts(today: date) -> dict:
    below_par = list(
        low_stock_items()
        .order_by("name", "id")
        .values("sku", "name", "uom", "on_hand", "par_level")
    )
    expiring = list(
        StockRecord.objects.filter(
            quantity__gt=0, expires_at__lte=today + timedelta(days=settings.REPORT_EXPIRING_DAYS)
        )
        .order_by("expires_at", "item__sku", "location__code")
        .values("item__sku", "item__name", "location__code", "lot", "quantity", "expires_at")
    )
    for lot in expiring:
        lot["expired"] = lot["expires_at"] < today
    return {"below_par": below_par, "expiring": expiring}


def _system_health(now) -> dict:
    since = now - FAILURE_WINDOW
    failures = list(
        JobRun.objects.filter(
            started_at__gte=since, status__in=[JobRun.Status.FAILED, JobRun.Status.DEAD]
        )
        .order_by("-started_at")
        .values("name", "status", "started_at", "error")
    )
    failed_forecasts = ForecastRun.objects.filter(
        Q(status=ForecastRun.Status.FAILED), started_at__gte=since
    ).count()
    stats = response_cache.statistics()
    return {
        "jobs": sorted(last_runs().values(), key=lambda job: job["name"]),
        "cache_backend": stats["backend"],
        "cache_hit_rate": _percent(stats["hit_rate"]),
        "failures": failures,
        "failed_forecast_runs": failed_forecasts,
    }


def _worst_items(run: ForecastRun, flagged: list[ItemForecast]) -> list[ItemForecast]:
    if flagged:
        return flagged[:CHART_ITEMS]
    # No item flagged: chart the largest errors instead, so the report always shows the weakest.
    return list(
        ItemForecast.objects.filter(run=run, item_mape__isnull=False)
        .select_related("item")
        .order_by("-item_mape", "item__sku")[:CHART_ITEMS]
    )


def _charts(worst: list[ItemForecast]) -> list[ReportChart]:
    drawn = []
    for forecast in worst:
        history = selectors.demand_history(
            item_id=forecast.item_id,
            end=forecast.horizon_start - timedelta(days=1),
            days=CHART_HISTORY_DAYS,
        )
        png = charts.forecast_chart_png(
            history=history,
            forecast=selectors.forecast_series(forecast),
            title=f"{forecast.item.sku} · {forecast.item.name} ({forecast.model})",
        )
        drawn.append(
            ReportChart(
                content_id=f"chart-{forecast.pk}@forecast-report", sku=forecast.item.sku, png=png
            )
        )
    return drawn


def build_forecast_report(*, run: ForecastRun | None = None, today: date | None = None) -> Report:
    """The report of `run` (default: the latest succeeded daily run); ReportError without one."""
    run = run or selectors.latest_run()
    if run is None:
        raise ReportError(
            "No succeeded forecast run yet: run `manage.py forecast` before sending the report."
        )
    today = today or timezone.localdate()
    summary = _run_summary(run)
    flagged, flagged_total = _high_variance(run)
    drawn = _charts(_worst_items(run, flagged))
    context = {
        "summary": summary,
        "high_variance": flagged,
        "high_variance_total": flagged_total,
        "reorders": selectors.reorder_suggestions(today=today),
        "alerts": _stock_alerts(today),
        "system": _system_health(timezone.now()),
        "charts": drawn,
        "today": today,
    }
    subject = (
        f"Forecast report {summary['date']:%Y-%m-%d}: {summary['health_label'].split(' (')[0]}"
        f", {flagged_total} high-variance item{'s' if flagged_total != 1 else ''}"
    )
    context["subject"] = subject
    return Report(
        subject=subject,
        context=context,
        html=render_to_string("forecasting/report.html", context),
        text=render_to_string("forecasting/report.txt", context),
        charts=drawn,
    )


def report_message(report: Report, *, recipients: list[str], connection=None):
    """The e-mail of a report: the text body, the HTML alternative, the charts inline."""
    message = EmailMultiAlternatives(
        subject=report.subject, body=report.text, to=recipients, connection=connection
    )
    message.attach_alternative(report.html, "text/html")
    # "related": the images belong to the HTML part, so mail clients show them in it, not as
    # attachments.
    message.mixed_subtype = "related"
    for chart in report.charts:
        image = MIMEImage(chart.png, "png")
        image.add_header("Content-ID", f"<{chart.content_id}>")
        image.add_header("Content-Disposition", "inline", filename=f"{chart.sku}.png")
        message.attach(image)
    return message


def send_forecast_report(
    *,
    recipients: list[str],
    connection=None,
    run: ForecastRun | None = None,
    today: date | None = None,
) -> int:
    """Build the report and send it to `recipients`; the number of messages sent (0 or 1).

    One connection, opened once and reused for the whole send (a caller may pass its own to
    share it with other mail).
    """
    report = build_forecast_report(run=run, today=today)
    if connection is not None:
        # The caller's connection: it opened it and closes it.
        return report_message(report, recipients=recipients, connection=connection).send()
    with get_connection() as connection:
        return report_message(report, recipients=recipients, connection=connection).send()
