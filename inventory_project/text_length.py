"""The length of a text: its limit comes from the model's column, its check and sentence from here.

Every entry point that takes a text (a service, a CSV importer) checks it with `check_length`, so a
text one character too long is refused in the same words everywhere: "<field> is longer than
<limit> characters.". A CSV importer's `clean_row` may call it as it is: a `ServiceError` raised
there refuses the row, not the file (`inventory_project.csvio.engine`).
"""

from enum import StrEnum

from django.db import models

from inventory_project.service_errors import ServiceError


def max_length(model: type[models.Model], field: str) -> int:
    """The most characters `model.field` stores (its column's `max_length`)."""
    return model._meta.get_field(field).max_length


def check_length(
    value: str,
    *,
    field: str,
    limit: int,
    code: StrEnum | str = "invalid",
    label: str | None = None,
) -> str:
    """`value` unchanged if it has at most `limit` characters, else a `ServiceError`.

    The sentence names `label` (`field` unless given); the error carries `code` and `field`.
    """
    if len(value) > limit:
        raise ServiceError(
            f"{label or field} is longer than {limit} characters.", code=code, field=field
        )
    return value
