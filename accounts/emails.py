"""What one e-mail address is: the stored form of an address, and the key that identifies it.

An address is stored as typed, made canonical: Unicode NFKC (fullwidth and compatibility letters
become the plain ones) and lower case, as logins are case-insensitive.

Two addresses that look alike are one identity. The key of an address is a hash of its
*skeleton* in the sense of Unicode TR39: its NFKC case-folded form with invisible format
characters dropped and every character replaced by the prototype it can be confused with
(dotless `ı` and Cyrillic `і` are `i`, Cyrillic `а` is `a`, `m` is `rn`). The table of
look-alikes is the Unicode consortium's confusables.txt, as shipped by `confusable_homoglyphs`.

The key is what the user lookup, the failed-login counters and the check at creation compare,
so every spelling of an address reaches one account and counts on one counter, and a new account
whose address looks like an existing one is refused.
"""

import hashlib
import unicodedata
from functools import lru_cache


def normalize_email(address: str) -> str:
    """The stored form of an address: stripped, NFKC, lower case."""
    return unicodedata.normalize("NFKC", address.strip()).lower()


@lru_cache(maxsize=4096)
def _prototype(char: str) -> str:
    """The TR39 prototype of one character (the character itself when it has none).

    The library lists, for each character, the characters it can be confused with, in both
    directions of confusables.txt. There a source maps to one prototype and a prototype is never
    a source, so a character with one look-alike is a source of that prototype, unless the two
    are a lone pair (each lists only the other): then the smaller code point stands for both.
    """
    # Imported on first use: loading the table costs every process start about 25 ms.
    from confusable_homoglyphs import confusables

    found = confusables.is_confusable(char, greedy=True)
    if not found or len(found[0]["homoglyphs"]) != 1:
        return char
    other = found[0]["homoglyphs"][0]["c"]
    if len(other) > 1:  # prototypes may be sequences; sources are single characters
        return other
    back = confusables.is_confusable(other, greedy=True)
    if back and len(back[0]["homoglyphs"]) == 1:
        return min(char, other)
    return other


def _unicode_domain(address: str) -> str:
    """The address with its domain's punycode labels (`xn--...`) as the letters they encode."""
    local, at, domain = address.rpartition("@")
    if not at or "xn--" not in domain.lower():
        return address
    try:
        return f"{local}@{domain.lower().encode('ascii').decode('idna')}"
    except UnicodeError:  # not valid punycode: compared as written
        return address


def email_skeleton(address: str) -> str:
    """The form two look-alike addresses share (case-insensitive TR39 skeleton)."""
    text = unicodedata.normalize("NFKC", _unicode_domain(address.strip())).casefold()
    # A prototype may itself fold (`0` has the prototype `O`): map until nothing changes.
    for _round in range(4):
        text = unicodedata.normalize("NFD", text)
        mapped = "".join(
            _prototype(char) for char in text if unicodedata.category(char) != "Cf"
        ).casefold()
        mapped = unicodedata.normalize("NFD", mapped)
        if mapped == text:
            break
        text = mapped
    return text


def email_key(address: str) -> str:
    """The identity of an address: a SHA-256 of its skeleton (no address sits in a cache key)."""
    return hashlib.sha256(email_skeleton(address).encode()).hexdigest()
