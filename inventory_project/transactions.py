"""Service transactions: a savepoint where a caller may go on after a failure, none elsewhere.

A service runs in `transaction.atomic()`: called inside a caller's transaction it opens a
savepoint, so a refusal undoes the service's writes and leaves the caller free to go on. That
costs two statements (`SAVEPOINT`, `RELEASE`) of every call. A caller that stops at the first
failure anyway (an API request: one operation, all or nothing) says so with `all_or_nothing`,
inside which the services' `atomic_step` opens no savepoint: a failure ends the whole
transaction, as it would have ended it regardless.
"""

import threading
from contextlib import contextmanager

from django.db import transaction

_state = threading.local()


@contextmanager
def all_or_nothing():
    """A transaction that ends at its first failure: the services inside open no savepoints."""
    with transaction.atomic():
        outer = getattr(_state, "all_or_nothing", False)
        _state.all_or_nothing = True
        try:
            yield
        finally:
            _state.all_or_nothing = outer


def atomic_step():
    """`transaction.atomic()` of a service: a savepoint when nested, unless all or nothing."""
    return transaction.atomic(savepoint=not getattr(_state, "all_or_nothing", False))
