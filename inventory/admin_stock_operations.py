"""Stock operations as admin forms: receive, issue, transfer and adjust, over `inventory.services`.

Staff record a delivery as "received 12", not as a new total worked out by hand: each operation
is a small form on a stock record's page (and "Receive stock" on an item's page, into any
location and lot), and each calls the same service as the API, with source "admin" and the
signed-in user, so the ledger, the audit trail and the cache invalidation are the API's.

- Only a user who may move stock (`inventory.move_stock`) sees the buttons or opens the forms;
  anyone else gets 403 on the page and on a forced POST, and nothing is written.
- A refusal of the service (too little on hand, an inactive location, a reason missing) is shown
  on the form in the service's words; the transaction rolls back, so nothing is written.
- A form is done once: it carries a one-time key, claimed (`IdempotentRequest`) in the same
  transaction as the stock change, so a double click or a resent form moves the stock once.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from inventory import services
from inventory.models import Location, MovementSource, StockRecord
from inventory_project.api.models import IdempotentRequest
from inventory_project.service_errors import ServiceError
from items.models import QUANTITY_DIGITS, QUANTITY_PLACES, Item

MOVE_STOCK_PERMISSION = "inventory.move_stock"
_FORM_KEY_PREFIX = "admin-form:"


def _quantity_field(label: str, help_text: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=QUANTITY_DIGITS,
        decimal_places=QUANTITY_PLACES,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "autofocus": True}),
    )


def _reason_field(*, required: bool = False) -> forms.CharField:
    return forms.CharField(
        required=required,
        max_length=services.REASON_MAX_LENGTH,
        help_text="Written to the ledger." if not required else "Why: written to the ledger.",
    )


def _active_locations():
    return Location.objects.filter(active=True).order_by("code")


class StockOperationForm(forms.Form):
    """What every operation's form has: the one-time key that makes a resent form a no-op."""

    form_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, record: StockRecord | None = None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("form_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.record = record


class ReceiveForm(StockOperationForm):
    quantity = _quantity_field("Quantity received", "How much came in, in the item's unit.")
    expires_at = forms.DateField(
        required=False,
        label="Expires on",
        help_text="Optional: the lot's expiry date.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = _reason_field()


class ReceiveIntoLocationForm(ReceiveForm):
    """Receiving from an item's page: the location (and lot) are chosen, not given."""

    location = forms.ModelChoiceField(queryset=Location.objects.none(), empty_label=None)
    lot = forms.CharField(required=False, max_length=StockRecord._meta.get_field("lot").max_length)
    field_order = ("location", "lot", "quantity", "expires_at", "reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = _active_locations()


class IssueForm(StockOperationForm):
    quantity = _quantity_field("Quantity issued", "How much went out, in the item's unit.")
    reason = _reason_field()


class TransferForm(StockOperationForm):
    to_location = forms.ModelChoiceField(
        queryset=Location.objects.none(), label="To location", empty_label=None
    )
    quantity = _quantity_field("Quantity moved", "How much moves to the other location.")
    reason = _reason_field()
    field_order = ("to_location", "quantity", "reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        locations = _active_locations()
        if self.record is not None:
            locations = locations.exclude(pk=self.record.location_id)
        self.fields["to_location"].queryset = locations


class AdjustForm(StockOperationForm):
    quantity_delta = forms.DecimalField(
        label="Change",
        max_digits=QUANTITY_DIGITS,
        decimal_places=QUANTITY_PLACES,
        help_text="Positive adds stock, negative removes it (e.g. -2 for two broken).",
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "autofocus": True}),
    )
    reason = _reason_field(required=True)


@dataclass(frozen=True)
class StockOperation:
    name: str
    title: str
    button: str
    form_class: type[StockOperationForm]
    # (item, location, lot, cleaned form data, provenance) -> the sentence shown once it is done
    perform: Callable[..., str]
    # The form's field for the amount, and whether it may be negative (an adjustment's may).
    quantity_field: str = "quantity"
    signed: bool = False


def _on_hand_sentence(item: Item, location: Location, movement) -> str:
    """What is on hand where `movement` left it, from the ledger row itself (no second read)."""
    where = f"{location.code}{f' (lot {movement.lot})' if movement.lot else ''}"
    return f"On hand at {where}: {services.format_quantity(movement.quantity_after)} {item.uom}."


def _amount(quantity: Decimal, item: Item) -> str:
    return f"{services.format_quantity(quantity)} {item.uom} of {item.name} ({item.sku})"


def _receive(item, location, lot, data, provenance) -> str:
    movement = services.stock_receive(
        item=item,
        location=location,
        lot=lot,
        quantity=data["quantity"],
        expires_at=data.get("expires_at"),
        reason=data.get("reason", ""),
        **provenance,
    )
    on_hand = _on_hand_sentence(item, location, movement)
    return f"Received {_amount(data['quantity'], item)}. {on_hand}"


def _issue(item, location, lot, data, provenance) -> str:
    movement = services.stock_issue(
        item=item,
        location=location,
        lot=lot,
        quantity=data["quantity"],
        reason=data.get("reason", ""),
        **provenance,
    )
    on_hand = _on_hand_sentence(item, location, movement)
    return f"Issued {_amount(data['quantity'], item)}. {on_hand}"


def _transfer(item, location, lot, data, provenance) -> str:
    to_location = data["to_location"]
    transfer = services.stock_transfer(
        item=item,
        from_location=location,
        to_location=to_location,
        lot=lot,
        quantity=data["quantity"],
        reason=data.get("reason", ""),
        **provenance,
    )
    return (
        f"Moved {_amount(data['quantity'], item)} from {location.code} to {to_location.code}. "
        f"{_on_hand_sentence(item, location, transfer.outgoing)} "
        f"{_on_hand_sentence(item, to_location, transfer.incoming)}"
    )


def _adjust(item, location, lot, data, provenance) -> str:
    movement = services.stock_adjust(
        item=item,
        location=location,
        lot=lot,
        quantity_delta=data["quantity_delta"],
        reason=data["reason"],
        **provenance,
    )
    delta = data["quantity_delta"]
    on_hand = _on_hand_sentence(item, location, movement)
    return (
        f"Adjusted {item.name} ({item.sku}) by {'+' if delta > 0 else ''}"
        f"{services.format_quantity(delta)} {item.uom}. {on_hand}"
    )


OPERATIONS = {
    operation.name: operation
    for operation in (
        StockOperation("receive", "Receive stock", "Receive", ReceiveForm, _receive),
        StockOperation("issue", "Issue stock", "Issue", IssueForm, _issue),
        StockOperation("transfer", "Move to another location", "Move", TransferForm, _transfer),
        StockOperation(
            "adjust", "Adjust stock", "Adjust", AdjustForm, _adjust, "quantity_delta", signed=True
        ),
    )
}
RECEIVE_INTO_LOCATION = StockOperation(
    "receive", "Receive stock", "Receive", ReceiveIntoLocationForm, _receive
)


def claim_form_key(user, key: uuid.UUID, form_name: str) -> bool:
    """Claim a form's one-time key in the current transaction; False if it was claimed before.

    Claimed in the transaction of the form's writes, the key is taken exactly when they commit:
    a refused form (rolled back) can be corrected and sent again with the same key.
    """
    _request, created = IdempotentRequest.objects.get_or_create(
        user_id=user.pk,
        key=f"{_FORM_KEY_PREFIX}{key}",
        defaults={"route": f"admin:{form_name}", "fingerprint": "", "status_code": 302},
    )
    return created


def may_move_stock(request) -> bool:
    return request.user.has_perm(MOVE_STOCK_PERMISSION)


class StockOperationsAdminMixin:
    """ModelAdmin mixin: the operation pages of a stock record (or, for items, receive)."""

    stock_operation_template = "admin/inventory/stock_operation.html"

    def stock_operation_urls(self, route: str, view) -> list:
        opts = self.model._meta
        return [
            path(
                f"<path:object_id>/{route}/<str:operation>/",
                self.admin_site.admin_view(view),
                name=f"{opts.app_label}_{opts.model_name}_stock_operation",
            )
        ]

    @staticmethod
    def _perform(request, form, operation: StockOperation, item: Item, record) -> bool:
        """Do the operation of a valid form; False (and the refusal on the form) if refused."""
        data = form.cleaned_data
        location = record.location if record else data["location"]
        lot = record.lot if record else data.get("lot", "")
        provenance = {"performed_by": request.user, "source": MovementSource.ADMIN}
        try:
            with transaction.atomic():
                if not claim_form_key(request.user, data["form_key"], operation.name):
                    messages.info(request, "This form was already sent; nothing more was done.")
                    return True
                done = operation.perform(item, location, lot, data, provenance)
        except ServiceError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message)
            return False
        messages.success(request, done)
        return True

    def run_stock_operation(
        self,
        request,
        *,
        operation: StockOperation,
        item: Item,
        record: StockRecord | None,
        done_url: str,
        context: dict,
    ):
        if not may_move_stock(request):
            raise PermissionDenied
        if request.method == "POST":
            form = operation.form_class(request.POST, record=record)
            if form.is_valid() and self._perform(request, form, operation, item, record):
                return HttpResponseRedirect(done_url)
        else:
            form = operation.form_class(record=record)
        return TemplateResponse(
            request,
            self.stock_operation_template,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": operation.title,
                "operation": operation,
                "form": form,
                "item": item,
                "record": record,
                "on_hand": services.format_quantity(record.quantity) if record else "",
                "cancel_url": done_url,
                **context,
            },
        )


def stock_operation(name: str) -> StockOperation:
    try:
        return OPERATIONS[name]
    except KeyError:
        raise Http404(f"No stock operation {name!r}.") from None


def stock_operation_links(record_id) -> list[tuple[str, str]]:
    """(label, url) of each operation of a stock record, for buttons and inline links."""
    return [
        (
            operation.button,
            reverse(
                "admin:inventory_stockrecord_stock_operation",
                args=[record_id, operation.name],
            ),
        )
        for operation in OPERATIONS.values()
    ]


def get_record_or_404(object_id) -> StockRecord:
    return get_object_or_404(StockRecord.objects.select_related("item", "location"), pk=object_id)
