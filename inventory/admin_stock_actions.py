"""Stock operations on selected stock records: admin actions with a quantity for each record.

Select records in the stock list, choose "Receive", "Issue", "Move" or "Adjust": a sheet lists
them with a field each (blank = leave that record alone) and the operation's other fields once
(a reason, a destination). Sending it applies each line through the same operation as the
single-record form (`inventory.admin_stock_operations`), all in one transaction: a refused line
is marked with the service's words and nothing at all is written. The sheet carries a one-time
key, so sending it twice moves the stock once. Only users who may move stock see the actions.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.response import TemplateResponse

from inventory.admin_stock_operations import (
    OPERATIONS,
    StockOperation,
    claim_form_key,
    may_move_stock,
)
from inventory.admin_stock_take import sheet_lines
from inventory.models import MovementSource
from inventory_project.service_errors import ServiceError

# A sheet is typed by a person: a few hundred lines at most, and the POST stays within
# DATA_UPLOAD_MAX_NUMBER_FIELDS.
MAX_SELECTED_RECORDS = 200


class _LineRefused(Exception):
    """A line's service refused it: roll back every line of the sheet."""


def _shared_form(operation: StockOperation, data=None):
    """The operation's form without its quantity: the fields the sheet's lines share."""
    form = operation.form_class(data)
    del form.fields[operation.quantity_field]
    return form


def _apply(request, operation: StockOperation, form, lines) -> int:
    provenance = {"performed_by": request.user, "source": MovementSource.ADMIN}
    done = 0
    for line in lines:
        if line.counted is None:
            continue
        record = line.record
        data = {**form.cleaned_data, operation.quantity_field: line.counted}
        try:
            operation.perform(record.item, record.location, record.lot, data, provenance)
        except ServiceError as error:
            line.error = error.message
            raise _LineRefused from error
        done += 1
    return done


def _send(request, operation: StockOperation, form, lines) -> str | None:
    """Apply a valid sheet: None once done (or done before), else the error to show."""
    if all(line.counted is None for line in lines):
        return "Type a quantity for at least one stock record."
    key = form.cleaned_data["form_key"]
    try:
        with transaction.atomic():
            if not claim_form_key(request.user, key, operation.name):
                messages.info(request, "This sheet was already sent; nothing was redone.")
                return None
            done = _apply(request, operation, form, lines)
    except _LineRefused:
        return "A line was refused (marked below); nothing was written."
    messages.success(request, f"{operation.title}: {done} stock record(s) changed.")
    return None


def _sheet_response(modeladmin, request, operation, records, form, lines, error: str):
    return TemplateResponse(
        request,
        "admin/inventory/stock_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "opts": modeladmin.model._meta,
            "title": f"{operation.title}: {len(records)} stock record(s)",
            "operation": operation,
            "action_name": f"{operation.name}_selected",
            "form": form,
            "lines": lines,
            "error": error,
        },
    )


def _run(modeladmin, request, queryset, operation: StockOperation):
    if not may_move_stock(request):
        raise PermissionDenied
    records = list(
        queryset.select_related("item", "location").order_by(
            "item__name", "location__code", "lot", "pk"
        )[: MAX_SELECTED_RECORDS + 1]
    )
    if len(records) > MAX_SELECTED_RECORDS:
        messages.error(request, f"Select at most {MAX_SELECTED_RECORDS} stock records at once.")
        return None
    sent = request.POST if "apply" in request.POST else None
    form = _shared_form(operation, sent)
    lines = sheet_lines(records, sent, signed=operation.signed)
    error = ""
    if sent is not None:
        if form.is_valid() and not any(line.error for line in lines):
            error = _send(request, operation, form, lines)
            if error is None:
                return None
        else:
            error = "Correct the marked fields; nothing was written."
    return _sheet_response(modeladmin, request, operation, records, form, lines, error)


def _action(operation: StockOperation):
    def action(modeladmin, request, queryset):
        return _run(modeladmin, request, queryset, operation)

    action.__name__ = f"{operation.name}_selected"
    return admin.action(
        description=f"{operation.button} selected stock records…", permissions=["move_stock"]
    )(action)


STOCK_ACTIONS = tuple(_action(operation) for operation in OPERATIONS.values())
