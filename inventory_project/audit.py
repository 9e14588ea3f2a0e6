"""The audit trail: who created, changed or deleted an item, a location or a user, and how.

django-auditlog records every save and delete of the models the apps register (and changes of
a user's role memberships) through model signals, one `LogEntry` a change, with the field
deltas. This module adds what the library leaves to the project:

- the actor of an API call: the user is only known once DRF has checked the bearer token, after
  every middleware ran, so the middleware hands auditlog a lazy actor read at write time;
- where a change came from (`via`: "api", "admin", "command:<name>" or "system"), the operating
  system user that ran a command, and the request id (stored as auditlog's correlation id, so an
  audit entry, the ledger rows and the log lines of one request share one id);
- the bulk paths (CSV imports), which write with set-based SQL and send no signals:
  `record_bulk_changes` writes their entries, in the same transaction and in one statement.

Stock quantities are not audited here: every change of a quantity already has its ledger row.
"""

import contextlib
import getpass
import json
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from inventory_project.csvio import bulk
from inventory_project.http.request_context import (
    client_address,
    get_request_id,
    new_request_id,
    reset_request_id,
    set_request_id,
)

HIDDEN = "(hidden)"

_via: ContextVar[str] = ContextVar("audit_via", default="system")
_os_user: ContextVar[str | None] = ContextVar("audit_os_user", default=None)
# Bulk entries are written without signals, so they cannot read auditlog's own context.
_actor: ContextVar[object | None] = ContextVar("audit_actor", default=None)
_remote_addr: ContextVar[str | None] = ContextVar("audit_remote_addr", default=None)
_active: ContextVar[dict | None] = ContextVar("audit_active", default=None)


def register(model: type[models.Model], *, exclude: Sequence[str] = (), **options) -> None:
    """Audit `model`: its own columns, except `exclude` (plus auditlog's `options`).

    Naming the columns keeps reverse relations (an item's stock records, say) out of the deltas.
    """
    from auditlog.registry import auditlog

    fields = [f.name for f in model._meta.concrete_fields if f.name not in exclude]
    auditlog.register(model, include_fields=fields, **options)


def mask_secret(value) -> str:
    """What a masked field (a password hash) shows in the trail: that it changed, nothing more."""
    return HIDDEN


def correlation_id() -> str | None:
    """The correlation id of audit entries: the request id of the work in progress."""
    return get_request_id() or None


def additional_data() -> dict:
    data = {"via": _via.get()}
    if _os_user.get():
        data["os_user"] = _os_user.get()
    return data


def _known_user(actor):
    """The actor if it is a signed-in user (a lazy one is resolved here), else None."""
    try:
        return actor if isinstance(actor, get_user_model()) else None
    except Exception:  # an unresolvable lazy actor: record the change without one
        return None


def fill_entry(sender, instance, **kwargs) -> None:
    """Give an entry about to be saved the actor, address and origin of the block it is in.

    Outside any block (a shell, a test) the entry is marked "system". This is what auditlog's
    `set_actor` does, but connected once (apps.py) instead of for each block: connecting and
    disconnecting a receiver empties Django's receiver cache, which cost every request (reads
    too, which write no entry) about a twentieth of its CPU.
    """
    context = _active.get()
    if context is None:
        if instance.additional_data is None:
            instance.additional_data = additional_data()
        return
    actor = _known_user(context["actor"])
    if actor is not None and instance.actor is None:
        instance.actor = actor
        instance.actor_email = getattr(actor, "email", None)
    instance.remote_addr = context["remote_addr"]
    instance.additional_data = additional_data()


@contextlib.contextmanager
def audit_context(
    *, via: str, actor=None, remote_addr: str | None = None, os_user: str | None = None
) -> Iterator[None]:
    """Attribute every audited change inside the block to `actor`, arriving through `via`.

    Blocks nest: an inner one (an import command naming its `--user` inside the run that
    manage.py opened) overrides `via`, and the actor and address when it names them.
    """
    outer = _active.get()
    if outer is not None:
        actor = actor if actor is not None else outer["actor"]
        remote_addr = remote_addr or outer["remote_addr"]
        os_user = os_user or _os_user.get()
    tokens = [
        (_via, _via.set(via)),
        (_actor, _actor.set(actor)),
        (_remote_addr, _remote_addr.set(remote_addr)),
        (_os_user, _os_user.set(os_user)),
    ]
    try:
        if outer is None:
            # `fill_entry` reads this very dict when an entry is saved; an inner block updates it.
            active = _active.set({"actor": actor, "remote_addr": remote_addr})
            try:
                yield
            finally:
                _active.reset(active)
        else:
            saved = {key: outer[key] for key in ("actor", "remote_addr")}
            outer.update(actor=actor, remote_addr=remote_addr)
            try:
                yield
            finally:
                outer.update(saved)
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


@contextlib.contextmanager
def command_audit_context(name: str, *, actor=None) -> Iterator[None]:
    """The audit context of a management command run (manage.py opens it for every command).

    The run gets a request id unless it has one, so its entries (and log lines) share an id.
    """
    try:
        os_user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        os_user = None
    token = set_request_id(get_request_id() or new_request_id())
    try:
        with audit_context(via=f"command:{name}", actor=actor, os_user=os_user):
            yield
    finally:
        reset_request_id(token)


class AuditMiddleware:
    """Open the audit context of each request: admin or API, the caller, their address.

    The actor is lazy: for API calls DRF authenticates the token inside the view and sets the
    user on the request then, long after this middleware ran.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        via = "admin" if request.path_info.startswith("/admin/") else "api"
        actor = SimpleLazyObject(lambda: getattr(request, "user", None))
        with audit_context(via=via, actor=actor, remote_addr=client_address(request)):
            return self.get_response(request)


@dataclass(frozen=True)
class BulkChange:
    """One row a bulk path created or updated: its key, its text, and the changed fields.

    `changes` maps a field name to (old, new); for a new row old is None.
    """

    pk: int
    text: str
    changes: dict[str, tuple[object, object]]


def _as_text(value) -> str:
    # The form auditlog's signal path stores (smart_str), so both paths read the same.
    return "None" if value is None else str(value)


def record_bulk_changes(
    model: type[models.Model], action: str, changes: Iterable[BulkChange]
) -> int:
    """Write one audit entry per change, as the signal path would, in one statement.

    Call it inside the transaction of the write, so the trail and the data commit together.
    """
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    actions = {"create": LogEntry.Action.CREATE, "update": LogEntry.Action.UPDATE}
    content_type = ContentType.objects.get_for_model(model)
    actor = _known_user(_actor.get())
    actor_id = actor.pk if actor is not None else None
    actor_email = getattr(actor, "email", None)
    now = timezone.now()
    cid = correlation_id()
    extra = json.dumps(additional_data())
    remote_addr = _remote_addr.get()
    rows = [
        (
            content_type.pk,
            str(change.pk),
            change.pk,
            change.text,
            actions[action],
            json.dumps({f: [_as_text(a), _as_text(b)] for f, (a, b) in change.changes.items()}),
            "",
            actor_id,
            actor_email,
            cid,
            remote_addr,
            now,
            extra,
        )
        for change in changes
    ]
    bulk.insert_rows(LogEntry, _BULK_COLUMNS, rows)
    return len(rows)


_BULK_COLUMNS: Sequence[str] = (
    "content_type",
    "object_pk",
    "object_id",
    "object_repr",
    "action",
    "changes",
    "changes_text",
    "actor",
    "actor_email",
    "cid",
    "remote_addr",
    "timestamp",
    "additional_data",
)
