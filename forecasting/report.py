"""The daily forecast report e-mail: what to do today, then what the latest forecast run found.

`build_forecast_report` gathers the sections and renders `forecasting/report.html` and
`report.txt`. The first screen speaks to the kitchen manager in plain words, most urgent first:
what to order (the reorder suggestions, each with a one-phrase reason), what is running low
(below par or out of stock, with days of cover; lots expiring soon), and what looks wrong (items
hard to predict, a failing forecast, failed jobs, items used but not forecast). The statistics
follow under "Forecast statistics": the run summary with the accuracy trend (one row per day),
the high-variance items with charts of the worst, and system health.
`send_forecast_report` sends it as one HTML e-mail with a plain-text part and the charts inline
(`cid:` references), through Django's e-mail framework (`EMAIL_*` settings).

Every section is read in a fixed number of queries, however many items there are.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber, TruncDate
from django.template.loader import render_to_string
from django.utils import timezone

from forecasting import charts, selectors
from forecasting.models import DailyUsage, ForecastRun, ItemForecast
from inventory.models import MovementKind, StockMovement, StockRecord
from inventory.selectors import low_stock_items
from inventory_project.http import response_cache
from inventory_project.jobs.models import JobRun
from inventory_project.jobs.runner import last_runs
from items.models import Item

# Days of the accuracy trend (each day's latest run), charts drawn, days of history a chart shows.
TREND_RUNS = 7
CHART_ITEMS = 3
CHART_HISTORY_DAYS = 56
# Failed job and forecast runs younger than this count as recent failures.
FAILURE_WINDOW = timedelta(days=1)
# "What looks wrong" names this many items of a kind, then says how many more there are.
WRONG_ITEMS_NAMED = 3
# An active item with demand in this many days before the report and no forecast is reported.
UNFORECAST_DEMAND_DAYS = 28
# The suggestion's figures are rounded to three decimals: a target this close to the forecast's
# need is the forecast's, not the item's own level.
LEVEL_TOLERANCE = Decimal("0.002")


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


def _daily_trend(run: ForecastRun) -> list[dict]:
    """Each day's latest succeeded daily run, over the last TREND_RUNS days that had one.

    Up to `run`, oldest first, in one query: the runs are numbered within their (local) day,
    newest first, and the first of each day kept.
    """
    day = TruncDate("started_at", tzinfo=timezone.get_current_timezone())
    latest_of_day = (
        ForecastRun.objects.filter(
            kind=ForecastRun.Kind.FORECAST,
            status=ForecastRun.Status.SUCCEEDED,
            started_at__lte=run.started_at,
        )
        .annotate(
            day=day,
            rank_in_day=Window(
                RowNumber(), partition_by=[day], order_by=[F("started_at").desc(), F("id").desc()]
            ),
        )
        .filter(rank_in_day=1)
        .order_by("-started_at", "-id")
        .values("id", "day", "average_wape", "health")[:TREND_RUNS]
    )
    return [
        {
            "date": point["day"],
            "run": point["id"],
            "accuracy": _percent(point["average_wape"]),
            "health": point["health"],
        }
        for point in reversed(list(latest_of_day))
    ]


def _run_summary(run: ForecastRun) -> dict:
    # Health compares each group's pooled WAPE with the 28-day baseline's on the same holdout and
    # with MAPE_THRESHOLD (see the settings); the report shows both beside the run's own.
    trend = _daily_trend(run)
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
        "baseline_accuracy": _percent(run.baseline_wape),
        "threshold": settings.MAPE_THRESHOLD,
        "classes": [
            {
                "demand_class": demand_class,
                "items": group.get("items"),
                "accuracy": _percent(group.get("wape")),
                "baseline_accuracy": _percent(group.get("baseline_wape")),
                "failing": bool(group.get("failing")),
            }
            for demand_class, group in sorted((run.class_accuracy or {}).items())
        ],
        "health": run.health,
        "health_label": run.get_health_display(),
        "trend": trend,
        # Positive: the error grew from the trend's first day to its last (worse); negative:
        # it shrank.
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
            quantity__gt=0, expires_at__lte=today + timedelta(days=settings.EXPIRY_WARNING_DAYS)
        )
        .order_by("expires_at", "item__sku", "location__code")
        .values(
            "item__sku",
            "item__name",
            "item__uom",
            "location__code",
            "lot",
            "quantity",
            "expires_at",
        )
    )
    for lot in expiring:
        lot["expired"] = lot["expires_at"] < today
    return {"below_par": below_par, "expiring": expiring}


# --- the first screen: what a kitchen manager does with the forecast today -------------------


def _number(value: Decimal | float, places: int) -> str:
    """`value` rounded to `places` decimals, without trailing zeros: 28.53, 205, 0.75."""
    rounded = round(Decimal(str(value)), places)
    text = f"{rounded:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _amount(value: Decimal | float, uom: str, places: int = 3) -> str:
    return f"{_number(value, places)} {uom}"


def _forecast_amount(value: float, uom: str) -> str:
    # A forecast is a guess: whole units for items counted in each, else one decimal.
    return _amount(value, uom, 0 if uom == selectors.WHOLE_UNITS_UOM else 1)


def _forecast_means(run: ForecastRun, skus: set[str]) -> dict[str, list[float]]:
    """The daily forecast mean of each of `skus` in `run`, by SKU: one query."""
    if not skus:
        return {}
    rows = ItemForecast.objects.filter(run=run, item__sku__in=skus).values_list(
        "item__sku", "points"
    )
    return {sku: list(points.get("mean") or []) for sku, points in rows}


def _order_lines(reorders: list[dict], means: dict[str, list[float]], today: date) -> list[dict]:
    """The reorder suggestions in plain words, the most urgent first.

    Urgency: the last day to order, then the fewest days of cover (an item with no forecast
    demand last), then the SKU.
    """
    days = settings.REORDER_LEAD_TIME_DAYS + settings.REORDER_REVIEW_DAYS
    lines = []
    for row in reorders:
        uom = row["uom"]
        mean = means.get(row["sku"], [])[:days]
        # In decimals, as the suggestion's own sums are, so equal sums compare equal.
        demand = sum((Decimal(str(value)) for value in mean), Decimal(0))
        stock = "out of stock" if row["on_hand"] <= 0 else f"{_amount(row['on_hand'], uom)} on hand"
        if demand > 0:
            why = (
                f"forecast {_forecast_amount(demand, uom)} over the next {len(mean)} "
                f"day{'s' if len(mean) != 1 else ''}, {stock}"
            )
        else:
            why = f"{stock}, no use forecast"
        # The quantity fills up to the item's own level (reorder maximum or par) when that is
        # above what the forecast needs: say so, or the quantity looks too large for the
        # forecast.
        forecast_need = demand + row["safety_stock"]
        if len(mean) == days and row["target_level"] - forecast_need > LEVEL_TOLERANCE:
            why += f"; fills it up to {_amount(row['target_level'], uom)}"
        lines.append(
            {
                "sku": row["sku"],
                "name": row["name"],
                "quantity": _amount(row["suggested_quantity"], uom),
                "order_by": row["order_by"],
                "order_today": row["order_by"] is not None and row["order_by"] <= today,
                "why": why,
                "days_of_cover": row["days_of_cover"],
            }
        )
    lines.sort(
        key=lambda line: (
            line["order_by"] or date.max,
            line["days_of_cover"] if line["days_of_cover"] is not None else float("inf"),
            line["sku"],
        )
    )
    return lines


def _low_lines(
    below_par: list[dict], means: dict[str, list[float]], ordered: set[str]
) -> list[dict]:
    """Items below par or out of stock in plain words, the most urgent first.

    Out of stock first, then the fewest days of cover (on hand / the forecast daily mean, where
    there is a forecast), then the name.
    """
    lines = []
    for item in below_par:
        uom, on_hand = item["uom"], item["on_hand"]
        mean = means.get(item["sku"], [])
        daily = sum(mean) / len(mean) if mean else 0
        out = on_hand <= 0
        cover = None if out or daily <= 0 else round(float(on_hand) / daily, 1)
        if out:
            status = f"out of stock, par {_amount(item['par_level'], uom)}"
        else:
            status = f"{_amount(on_hand, uom)} left, par {_amount(item['par_level'], uom)}"
            if cover is not None and cover < 1:
                status += ", enough for less than a day"
            elif cover is not None:
                status += f", enough for about {_number(cover, 1)} day{'s' if cover != 1 else ''}"
        lines.append(
            {
                "sku": item["sku"],
                "name": item["name"],
                "status": status,
                "out_of_stock": out,
                "days_of_cover": cover,
                "on_order_list": item["sku"] in ordered,
            }
        )
    lines.sort(
        key=lambda line: (
            not line["out_of_stock"],
            line["days_of_cover"] if line["days_of_cover"] is not None else float("inf"),
            line["name"],
        )
    )
    return lines


def _expiring_lines(expiring: list[dict], today: date) -> list[dict]:
    lines = []
    for lot in expiring:
        expires = lot["expires_at"]
        if expires < today:
            when = f"expired {expires:%a} {expires.day} {expires:%b}"
        elif expires == today:
            when = "expires today"
        else:
            when = f"expires {expires:%a} {expires.day} {expires:%b}"
        where = lot["location__code"] + (f", lot {lot['lot']}" if lot["lot"] else "")
        lines.append(
            {
                "sku": lot["item__sku"],
                "name": lot["item__name"],
                "quantity": _amount(lot["quantity"], lot["item__uom"]),
                "where": where,
                "when": when,
                "expired": lot["expired"],
            }
        )
    return lines


def _unforecast_demand(run: ForecastRun, today: date) -> tuple[list[str], int]:
    """Active items used lately that `run` has no forecast of: the first names, and how many.

    "Lately": the last UNFORECAST_DEMAND_DAYS days. Such items can never be suggested for
    ordering.
    """
    since = today - timedelta(days=UNFORECAST_DEMAND_DAYS)
    since_moment = timezone.make_aware(datetime.combine(since, time.min))
    issued = StockMovement.objects.filter(
        # A reversal (an issue row putting stock back) is not use.
        item=OuterRef("pk"),
        kind=MovementKind.ISSUE,
        quantity_delta__lt=0,
        created_at__gte=since_moment,
    )
    used = DailyUsage.objects.filter(item=OuterRef("pk"), date__gte=since, quantity__gt=0)
    forecast = ItemForecast.objects.filter(item=OuterRef("pk"), run=run)
    missing = (
        Item.objects.filter(active=True)
        .filter(Exists(issued) | Exists(used))
        .exclude(Exists(forecast))
        .order_by("name", "id")
    )
    names = list(missing.values_list("name", flat=True)[:WRONG_ITEMS_NAMED])
    total = len(names) if len(names) < WRONG_ITEMS_NAMED else missing.count()
    return names, total


def _more(count: int, what: str) -> str:
    return f"{count} more {what}{'s' if count != 1 else ''}"


FAILING_ADVICE = (
    ": treat the order quantities as a rough guide, and see the forecast statistics below."
)


def health_sentence(run: ForecastRun | None, *, passing: bool = True) -> str:
    """The forecast's health in one plain sentence (ending in "." unless it is failing).

    Failing means worse on the last weeks than a plain four-week average would have been, for
    the classes that failed; "" for a passing run unless `passing`.
    """
    if run is None:
        return "No forecast has run yet."
    accuracy = _percent(run.average_wape)
    baseline = _percent(run.baseline_wape)
    against = "" if baseline is None else f" against {_number(baseline, 0)}%"
    if run.health == ForecastRun.Health.FAILING:
        groups = (run.class_accuracy or {}).items()
        failing = sorted(demand_class for demand_class, group in groups if group.get("failing"))
        which = f" for {' and '.join(failing)} items" if failing else ""
        return (
            f"The forecast{which} did worse on the last weeks than a plain four-week average "
            f"would have (off by {_number(accuracy, 0)}%{against})"
        )
    if run.health == ForecastRun.Health.UNKNOWN:
        return "The forecast could not be checked against past use yet (too little history)."
    if not passing or accuracy is None:
        return ""
    return (
        f"The forecast is doing its job: off by {_number(accuracy, 0)}% on the last weeks"
        f"{against.replace(' against', ', against')} for a plain four-week average."
    )


def _wrong_sentences(
    *,
    run: ForecastRun,
    flagged: list[ItemForecast],
    flagged_total: int,
    system: dict,
    unforecast: tuple[list[str], int],
    today: date,
) -> list[str]:
    """What looks wrong, as short plain sentences; none when nothing does."""
    sentences = []
    health = health_sentence(run, passing=False)
    if health:
        sentences.append(f"{health}{FAILING_ADVICE if run.health == run.Health.FAILING else ''}")
    age = (today - run.history_end).days - 1
    if age > 0:
        sentences.append(
            f"The forecast is {age} day{'s' if age != 1 else ''} old (it knows use up to "
            f"{run.history_end:%Y-%m-%d}): the daily forecast may not be running."
        )
    for forecast in flagged[:WRONG_ITEMS_NAMED]:
        error = f" (error {_number(forecast.item_mape, 0)}%)" if forecast.item_mape else ""
        sentences.append(f"Orders for {forecast.item.name} are hard to predict this week{error}.")
    if flagged_total > WRONG_ITEMS_NAMED:
        more = flagged_total - WRONG_ITEMS_NAMED
        sentences.append(
            f"{_more(more, 'item')} {'are' if more != 1 else 'is'} hard to predict: see the "
            "forecast statistics below."
        )
    by_job: dict[str, list[dict]] = {}
    for failure in system["failures"]:
        by_job.setdefault(failure["name"], []).append(failure)
    for name, failures in sorted(by_job.items()):
        last = timezone.localtime(failures[0]["started_at"])
        times = f"{len(failures)} times" if len(failures) > 1 else "once"
        sentences.append(
            f"The job {name} failed {times} in the last day (last at {last:%H:%M on %d %b})."
        )
    if system["failed_forecast_runs"]:
        count = system["failed_forecast_runs"]
        sentences.append(
            f"{count} forecast run{'s' if count != 1 else ''} failed in the last day; this "
            f"report uses the last one that succeeded (run #{run.pk})."
        )
    names, total = unforecast
    if names:
        listed = ", ".join(names)
        more = f" and {_more(total - len(names), 'item')}" if total > len(names) else ""
        sentences.append(
            f"{listed}{more} {'were' if total != 1 else 'was'} used in the last "
            f"{UNFORECAST_DEMAND_DAYS} days but {'have' if total != 1 else 'has'} no forecast, "
            "so the report cannot suggest ordering "
            f"{'them' if total != 1 else 'it'}."
        )
    return sentences


def _first_screen(
    *,
    run: ForecastRun,
    reorders: list[dict],
    alerts: dict,
    flagged: list[ItemForecast],
    flagged_total: int,
    system: dict,
    today: date,
) -> dict:
    ordered = {row["sku"] for row in reorders}
    means = _forecast_means(run, ordered | {item["sku"] for item in alerts["below_par"]})
    return {
        "to_order": _order_lines(reorders, means, today),
        "running_low": _low_lines(alerts["below_par"], means, ordered),
        "expiring": _expiring_lines(alerts["expiring"], today),
        "looks_wrong": _wrong_sentences(
            run=run,
            flagged=flagged,
            flagged_total=flagged_total,
            system=system,
            unforecast=_unforecast_demand(run, today),
            today=today,
        ),
    }


def _subject(summary: dict, manager: dict) -> str:
    to_order, low = len(manager["to_order"]), len(manager["running_low"])
    order = (
        f"{to_order} item{'s' if to_order != 1 else ''} to order"
        if to_order
        else "Nothing to order"
    )
    running_low = f"{low} running low" if low else "nothing running low"
    health = summary["health_label"].split(" (")[0]
    return f"{order}, {running_low} — forecast report {summary['date']:%Y-%m-%d}: {health}"


# --- the statistics -----------------------------------------------------------------------------


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
    reorders = selectors.reorder_suggestions(today=today)
    alerts = _stock_alerts(today)
    system = _system_health(timezone.now())
    manager = _first_screen(
        run=run,
        reorders=reorders,
        alerts=alerts,
        flagged=flagged,
        flagged_total=flagged_total,
        system=system,
        today=today,
    )
    drawn = _charts(_worst_items(run, flagged))
    subject = _subject(summary, manager)
    context = {
        "subject": subject,
        "manager": manager,
        "summary": summary,
        "high_variance": flagged,
        "high_variance_total": flagged_total,
        "reorders": reorders,
        "alerts": alerts,
        "system": system,
        "charts": drawn,
        "today": today,
    }
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
