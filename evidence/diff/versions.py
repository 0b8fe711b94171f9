"""Ordering two versions of one package: Debian rules for deb, PEP 440 for pypi, dotted numbers otherwise.

Every function returns a negative number, zero or a positive number, like a C comparison, or None when
the two versions cannot be ordered (a diff then says "changed", never guesses "upgraded").
"""

from __future__ import annotations

import re

__all__ = ["compare_versions", "dpkg_compare", "generic_compare"]

_EPOCH = re.compile(r"^(\d+):")
_TOKENS = re.compile(r"\d+|[A-Za-z]+")


def compare_versions(purl_type: str | None, old: str, new: str) -> int | None:
    if old == new:
        return 0
    if purl_type == "deb":
        return dpkg_compare(old, new)
    if purl_type == "pypi":
        return _pep440_compare(old, new)
    return generic_compare(old, new)


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


# --- Debian: deb-version(7), as dpkg compares ------------------------------------------------------


def _split_debian(version: str) -> tuple[int, str, str] | None:
    """(epoch, upstream version, Debian revision); None when the epoch is not a number."""
    epoch = 0
    if ":" in version:
        match = _EPOCH.match(version)
        if not match:
            return None
        epoch = int(match[1])
        version = version[match.end() :]
    upstream, dash, revision = version.rpartition("-")
    if not dash:
        upstream, revision = version, ""
    if not upstream:
        return None
    return epoch, upstream, revision


def _order(char: str) -> int:
    """dpkg's weight of one character of a non-digit part: `~` before everything, even the end."""
    if not char or char.isdigit():
        return 0
    if char.isascii() and char.isalpha():
        return ord(char)
    if char == "~":
        return -1
    return ord(char) + 256


def _is_digit(text: str, index: int) -> bool:
    return index < len(text) and "0" <= text[index] <= "9"


def _char(text: str, index: int) -> str:
    return text[index] if index < len(text) else ""


def _verrevcmp(a: str, b: str) -> int:
    """Compare an upstream version or a revision: alternating non-digit and digit parts."""
    i = j = 0
    while i < len(a) or j < len(b):
        while (i < len(a) and not _is_digit(a, i)) or (j < len(b) and not _is_digit(b, j)):
            ac, bc = _order(_char(a, i)), _order(_char(b, j))
            if ac != bc:
                return ac - bc
            i, j = i + 1, j + 1
        i, j, order = _compare_numbers(a, i, b, j)
        if order:
            return order
    return 0


def _compare_numbers(a: str, i: int, b: str, j: int) -> tuple[int, int, int]:
    """Compare the digit runs at a[i:] and b[j:] as numbers; return where each ends and the order."""
    while _char(a, i) == "0":
        i += 1
    while _char(b, j) == "0":
        j += 1
    first_diff = 0
    while _is_digit(a, i) and _is_digit(b, j):
        if not first_diff:
            first_diff = ord(a[i]) - ord(b[j])
        i, j = i + 1, j + 1
    if _is_digit(a, i):
        return i, j, 1
    if _is_digit(b, j):
        return i, j, -1
    return i, j, first_diff


def dpkg_compare(old: str, new: str) -> int | None:
    """Order two Debian versions `[epoch:]upstream[-revision]` as dpkg does."""
    left, right = _split_debian(old.strip()), _split_debian(new.strip())
    if left is None or right is None:
        return None
    if left[0] != right[0]:
        return _sign(left[0] - right[0])
    return _sign(_verrevcmp(left[1], right[1]) or _verrevcmp(left[2], right[2]))


# --- Python: PEP 440 --------------------------------------------------------------------------------


def _pep440_compare(old: str, new: str) -> int | None:
    from packaging.version import InvalidVersion, Version  # noqa: PLC0415 - only diff needs it

    try:
        left, right = Version(old), Version(new)
    except InvalidVersion:
        return generic_compare(old, new)
    return (left > right) - (left < right)


# --- anything else ------------------------------------------------------------------------------------


def generic_compare(old: str, new: str) -> int | None:
    """Dotted numbers compare as numbers (`1.10` after `1.9`); any difference in words cannot be ordered.

    `1.2` is before `1.2.1`; `1.2` and `1.2rc1`, or `1.0-alpha` and `1.0-beta`, are only "different".
    """
    if old == new:
        return 0
    left, right = _TOKENS.findall(old), _TOKENS.findall(new)
    for a, b in zip(left, right, strict=False):
        if a.isdigit() and b.isdigit():
            if int(a) != int(b):
                return _sign(int(a) - int(b))
        elif a != b:
            return None
    if len(left) == len(right):
        return None  # the same numbers and words, written differently ("1.0" and "1-0")
    extra = (left if len(left) > len(right) else right)[min(len(left), len(right)) :]
    if not all(token.isdigit() for token in extra) or all(int(token) == 0 for token in extra):
        return None  # a word after the common part ("1.2rc1"), or only zeros ("1.2.0")
    return _sign(len(left) - len(right))
