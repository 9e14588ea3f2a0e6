"""The rule every code that names a thing obeys (a SKU, a location code, a lot), and free text's.

Codes travel as URL path segments, CSV cells and admin labels, so a code must look like what it
is: no `/`, not `.` or `..` (a URL would resolve them away), and no character that does not show
or that moves text around it — controls, zero-width and bidi formatting characters, line and
paragraph separators, private-use and unassigned code points. A code that broke the rule could
be stored twice under names that look alike, or hide what it says in a report.

Codes stored before the rule existed stay as they are: the rule is checked where a code is
created, never where one is looked up.
"""

import unicodedata

# Cc: C0 and C1 controls; Cf: format (zero-width space and joiners, bidi overrides and isolates,
# the BOM, the soft hyphen); Zl, Zp: line and paragraph separators; Co: private use;
# Cn: unassigned; Cs: lone surrogates (JSON can carry them, UTF-8 cannot store them).
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"})
RESERVED_CODES = frozenset({".", ".."})


def code_problem(value: str, *, label: str = "code") -> str | None:
    """Why `value` cannot be a code (a sentence starting with `label`), or None if it can.

    Emptiness and length are the caller's to check: their messages differ per field.
    """
    if value in RESERVED_CODES:
        return f"{label} may not be '.' or '..'."
    if "/" in value:
        return f"{label} may not contain '/' or control characters."
    return invisible_character_problem(value, label=label)


def invisible_character_problem(value: str, *, label: str) -> str | None:
    """Why `value` cannot name a thing: a character that does not show (the categories above)."""
    # isprintable() is False for every refused category (and for spaces other than U+0020,
    # which are allowed): in C, so the usual value costs one call.
    if not value.isprintable():
        for char in value:
            if unicodedata.category(char) in REFUSED_CATEGORIES:
                return (
                    f"{label} may not contain invisible or control characters "
                    f"(U+{ord(char):04X} {unicodedata.name(char, 'unnamed')})."
                )
    return None


# Text that is read, not matched (a name, a category) may hold line breaks and tabs, and the
# format characters some scripts need (the zero-width non-joiner of Persian); the other
# controls are refused: they do not show, and a spreadsheet (XML) cannot hold them.
_TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r")


def control_character_problem(value: str, *, label: str) -> str | None:
    """Why `value` cannot be stored as text: a control character other than a tab or line break."""
    if not value.isprintable():
        for char in value:
            if unicodedata.category(char) == "Cc" and char not in _TEXT_CONTROLS_ALLOWED:
                return (
                    f"{label} may not contain control characters "
                    f"(U+{ord(char):04X} {unicodedata.name(char, 'control')})."
                )
    return None


def storable_text(value: str) -> bool:
    """Whether a database can hold `value`.

    No NUL (PostgreSQL refuses it in text) and no lone surrogate (JSON can carry one, UTF-8
    cannot encode it): either is a client's error, never a server's.
    """
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
