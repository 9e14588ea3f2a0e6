"""The stock panels of the admin's front page: what needs doing today, and today's movements.

Registered with `inventory_project.admin_site.dashboard_panel` when the admin loads (imported by
`inventory.admin`). Each figure links to the admin list that shows exactly what it counts. The
30-day chart of issues and receipts is drawn here as inline SVG: no image library, nothing to
load, and it follows the admin's light or dark theme.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Case, Count, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from inventory.models import MovementKind, StockMovement, StockRecord
from inventory.selectors import (
    below_par_items,
    expired_lots,
    expiring_lots,
    on_hand_by_item,
    out_of_stock_items,
)
from inventory_project.admin_site import Figure, Panel, dashboard_panel
from items.models import Item

CHART_DAYS = 30
_CHART_KINDS = {MovementKind.RECEIPT: "received", MovementKind.ISSUE: "issued"}


def _url(name: str, **query) -> str:
    return f"{reverse(name)}?{urlencode(query)}" if query else reverse(name)


@dashboard_panel
def stock_panel(request) -> Panel | None:
    if not request.user.has_perm("inventory.view_stockrecord"):
        return None
    today = timezone.localdate()
    items = (
        Item.objects.filter(active=True)
        .annotate(on_hand=on_hand_by_item())
        .aggregate(
            out=Count("pk", filter=out_of_stock_items()),
            below_par=Count("pk", filter=below_par_items()),
        )
    )
    lots = StockRecord.objects.aggregate(
        expired=Count("pk", filter=expired_lots(today)),
        expiring=Count("pk", filter=expiring_lots(today)),
    )
    items_url, records_url = "admin:items_item_changelist", "admin:inventory_stockrecord_changelist"
    return Panel(
        title="Stock to see to",
        order=10,
        figures=[
            Figure("out of stock", items["out"], _url(items_url, stock="out"), "alert"),
            Figure("below par", items["below_par"], _url(items_url, stock="below_par"), "warn"),
            Figure("lots expired", lots["expired"], _url(records_url, expiry="expired"), "alert"),
            Figure(
                f"lots expiring within {settings.EXPIRY_WARNING_DAYS} days",
                lots["expiring"],
                _url(records_url, expiry="soon"),
                "warn",
            ),
        ],
    )


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _day_bounds(day: date) -> dict[str, str]:
    """The ledger list's own "Today" filter (DateFieldListFilter, local midnights) for `day`."""
    return {
        "created_at__gte": str(_midnight(day)),
        "created_at__lt": str(_midnight(day + timedelta(days=1))),
    }


@dashboard_panel
def movements_panel(request) -> Panel | None:
    if not request.user.has_perm("inventory.view_stockmovement"):
        return None
    today = timezone.localdate()
    days = [today - timedelta(days=CHART_DAYS - 1 - n) for n in range(CHART_DAYS)]
    # Each row's day as its index among the period's local midnights, compared in SQL: grouping
    # by a local date instead converts every row's time stamp (in Python, on SQLite).
    day_index = Case(
        *(
            When(created_at__lt=_midnight(day + timedelta(days=1)), then=Value(n))
            for n, day in enumerate(days)
        ),
        default=Value(len(days)),  # after today (a clock ahead of the database's): not shown
    )
    rows = (
        StockMovement.objects.filter(created_at__gte=_midnight(days[0]))
        .annotate(day_index=day_index)
        .values("day_index", "kind")
        .annotate(rows=Count("pk"), moved=Sum("quantity_delta"))
        .order_by()
    )
    today_counts: dict[str, int] = {}
    daily: dict[tuple[date, str], Decimal] = {}
    for row in rows:
        if row["day_index"] >= len(days):
            continue
        day = days[row["day_index"]]
        if day == today:
            today_counts[row["kind"]] = row["rows"]
        if row["kind"] in _CHART_KINDS:
            daily[(day, row["kind"])] = abs(row["moved"] or Decimal(0))
    ledger = "admin:inventory_stockmovement_changelist"
    figures = [
        Figure("movements today", sum(today_counts.values()), _url(ledger, **_day_bounds(today)))
    ]
    figures += [
        Figure(
            f"{label} today",
            today_counts.get(kind, 0),
            _url(ledger, kind__exact=kind, **_day_bounds(today)),
        )
        for kind, label in (
            (MovementKind.RECEIPT, "receipts"),
            (MovementKind.ISSUE, "issues"),
            (MovementKind.TRANSFER, "transfers"),
            (MovementKind.COUNT, "counts"),
        )
    ]
    return Panel(
        title="Movements",
        order=20,
        figures=figures,
        chart=movement_chart(days, daily),
    )


def movement_chart(days: list[date], daily: dict[tuple[date, str], Decimal]) -> str:
    """Bars of the quantity received and issued each day, as inline SVG with a title per bar.

    Quantities of different units are added as they are: the chart shows how busy each day
    was, not an amount of any one thing.
    """
    width, height, top, bottom = 600, 160, 10, 20
    slot = width / len(days)
    bar = slot * 0.4
    largest = max(daily.values(), default=Decimal(0)) or Decimal(1)
    bars = []
    for n, day in enumerate(days):
        for offset, (kind, label) in enumerate(_CHART_KINDS.items()):
            amount = daily.get((day, kind), Decimal(0))
            bar_height = float(amount / largest) * (height - top - bottom)
            bars.append(
                (
                    f"chart-{label}",
                    round(n * slot + slot * 0.1 + offset * bar, 1),
                    round(height - bottom - bar_height, 1),
                    round(bar, 1),
                    round(bar_height, 1),
                    f"{day:%a %d %b}: {amount.normalize():f} {label}",
                )
            )
    rects = format_html_join(
        "",
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
        bars,
    )
    return format_html(
        '<svg class="movement-chart" viewBox="0 0 {} {}" role="img" aria-label="{}">{}'
        '<text x="0" y="{}" class="chart-axis">{}</text>'
        '<text x="{}" y="{}" class="chart-axis" text-anchor="end">{}</text></svg>'
        '<p class="chart-legend"><span class="chart-received">&#9632;</span> received '
        '<span class="chart-issued">&#9632;</span> issued, each day of the last {} days</p>',
        width,
        height,
        f"Quantities received and issued each day of the last {len(days)} days",
        rects,
        height - 4,
        f"{days[0]:%d %b}",
        width,
        height - 4,
        f"{days[-1]:%d %b}",
        len(days),
    )
