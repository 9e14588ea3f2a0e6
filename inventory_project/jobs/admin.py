"""The platform's pages in the admin: job runs (read only) and the watchdog's alerts.

An operator sees every run of every job (status, trigger, duration, result, error, host) and
the open alerts, and resolves an alert once it has been dealt with; nothing else is editable.
"""

from django.contrib import admin, messages
from django.utils.translation import ngettext

from inventory_project.admin_helpers import ReadOnlyAdmin, format_duration
from inventory_project.jobs.models import Alert, JobRun
from inventory_project.jobs.runner import resolve_alerts


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("name", "status", "trigger", "started_at", "duration", "host")
    list_filter = ("name", "status", "trigger")
    date_hierarchy = "started_at"
    fields = (
        "name",
        "status",
        "trigger",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "duration",
        "host",
        "pid",
        "result",
        "error",
    )

    @admin.display(description="duration", ordering="duration_seconds")
    def duration(self, run: JobRun) -> str:
        return format_duration(run.duration_seconds)


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("kind", "message", "created_at", "resolved_at")
    list_filter = (OpenFilter, "kind")
    fields = ("kind", "message", "details", "created_at", "resolved_at")
    actions = ["resolve"]

    def has_resolve_permission(self, request):
        return request.user.has_perm("inventory_project.change_alert")

    @admin.action(description="Resolve the selected alerts", permissions=["resolve"])
    def resolve(self, request, queryset):
        resolved = resolve_alerts(alerts=queryset)
        self.message_user(
            request,
            ngettext("%d alert resolved.", "%d alerts resolved.", resolved) % resolved,
            messages.SUCCESS,
        )
