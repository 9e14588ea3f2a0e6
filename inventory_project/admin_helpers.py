"""Admin plumbing shared by the apps: read-only pages, service refusals as form errors, history.

A `ServiceError` that a service raises while the admin saves (a duplicate created concurrently, a
rule the form cannot check) is shown on the re-rendered form, never as a server error.
"""

from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError

from inventory_project.service_errors import ServiceError

# Attribute of the request that carries a service refusal into the second rendering of a form.
_SERVICE_ERROR_ATTR = "_admin_service_error"


class ReadOnlyAdmin:
    """ModelAdmin or inline mixin: rows that only a service or a job writes, shown and never edited.

    Whoever holds the view permission sees them; nobody, superusers included, adds, changes or
    deletes them here. Put it before the admin base class: `(ReadOnlyAdmin, admin.ModelAdmin)`.
    """

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ServiceErrorsAsFormErrors:
    """ModelAdmin mixin: show a `ServiceError` raised by `save_model` as an error of the form.

    The admin saves inside one transaction; when a service refuses, the exception rolls all of it
    back (ledger rows included), and the form is rendered again from the same POST with the
    service's message on the field it names (`service_error_fields` maps service argument names
    to form fields), or above the form when the field is not on it.
    """

    service_error_fields: dict[str, str] = {}

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as error:
            if request.method != "POST" or hasattr(request, _SERVICE_ERROR_ATTR):
                raise
            setattr(request, _SERVICE_ERROR_ATTR, error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, _SERVICE_ERROR_ATTR, None)
        if error is None:
            return form_class
        field = self.service_error_fields.get(error.field, error.field)

        class FormWithServiceError(form_class):
            def clean(self):
                cleaned_data = super().clean()
                self.add_error(field if field in self.fields else None, error.message)
                return cleaned_data

        FormWithServiceError.__name__ = form_class.__name__
        return FormWithServiceError


def service_validation_error(error: ServiceError) -> ValidationError:
    """A service's refusal as a form `ValidationError` on the field it names."""
    if error.field:
        return ValidationError({error.field: error.message}, code=error.code)
    return ValidationError(error.message, code=error.code)


def copy_saved_fields(target, saved) -> None:
    """Make the admin's unsaved instance `target` the row a service saved (`saved`).

    The admin goes on using its own instance after `save_model` (for the change message, the log
    entry and the redirect), so it must carry the primary key and the values as stored.
    """
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


class AuditHistoryAdminMixin(AuditlogHistoryAdminMixin):
    """ModelAdmin mixin: an object's "History" shows its audit trail, from every source.

    Django's own history lists only changes made in the admin; the audit trail also holds those
    made through the API, imports and commands, with the field deltas and the request id.
    """

    auditlog_history_per_page = 50

    def history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return self.auditlog_history_view(request, object_id, extra_context)


def format_duration(seconds: float | None) -> str:
    """A duration as people say it, rounded: "under 1 s", "12 s", "3 min 05 s", "2 h 04 min"."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    if whole < 1:
        return "under 1 s"
    if whole < 60:
        return f"{whole} s"
    minutes, second = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {second:02d} s"
    hours, minute = divmod(minutes, 60)
    return f"{hours} h {minute:02d} min"
