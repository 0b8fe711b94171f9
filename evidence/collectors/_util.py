"""Small helpers shared by collectors: digests, timestamps, JSON pointers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from evidence.collectors.interface import CollectorError

DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")
_FRACTION_RE = re.compile(r"(\.\d{1,6})\d*")


def digests_in(text: str | None) -> list[str]:
    """Every `sha256:<hex>` digest in a string such as `repo@sha256:...`."""
    return DIGEST_RE.findall(text or "")


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 timestamp as an aware UTC datetime; None when absent or unreadable.

    Go tools write up to nine fractional digits and `Z`; Python keeps six.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = _FRACTION_RE.sub(r"\1", value.strip().replace("Z", "+00:00").replace("z", "+00:00"), count=1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset that crosses the calendar's edge
        return None


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) to a value, for `location` fields."""
    if not parts:
        return ""
    # Built once per record of large files: an index needs no escaping, and a list beats a generator here.
    return "/" + "/".join([str(p) if type(p) is int else str(p).replace("~", "~0").replace("/", "~1") for p in parts])


def text_or_none(value: object) -> str | None:
    """A non-empty string, or None."""
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def digests_in_reference(text: str | None) -> list[str]:
    """Every digest in an image reference or a purl, where the `:` may be escaped as `%3A`."""
    return digests_in(re.sub("%3a", ":", text or "", flags=re.IGNORECASE))


# Checked reads of parsed JSON. Input files can be hostile, so every value is checked before use
# and a wrong type becomes a CollectorError naming the JSON pointer, never a TypeError.


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _wrong(path: str, where: str, expected: str, value: object) -> CollectorError:
    return CollectorError(path, f"{where or '/'} should be {expected}, found {json_type(value)}")


def expect_object(value: object, path: str, where: str, *, optional: bool = False) -> dict[str, Any]:
    """A JSON object; with `optional`, null or absent reads as empty."""
    if optional and value is None:
        return {}
    if not isinstance(value, dict):
        raise _wrong(path, where, "an object", value)
    return value


def expect_array(value: object, path: str, where: str) -> list[Any]:
    """A JSON array; null or absent reads as empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _wrong(path, where, "an array", value)
    return value


def expect_string(value: object, path: str, where: str) -> str | None:
    """A string, kept as-is; null, absent or blank reads as None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _wrong(path, where, "a string", value)
    return value if value.strip() else None


def require_string(value: object, path: str, where: str) -> str:
    """A string that must be present and not blank."""
    text = expect_string(value, path, where)
    if text is None:
        raise CollectorError(path, f"{where or '/'} is required but {'empty' if value == '' else 'missing'}")
    return text


def expect_strings(value: object, path: str, where: str) -> list[str]:
    """An array of strings, blanks dropped; null or absent reads as empty."""
    if isinstance(value, list):  # the usual case, strings none of them blank: one pass, no pointer per item
        kept = [v for v in value if type(v) is str and v and not v.isspace()]
        if len(kept) == len(value):
            return kept
    texts = (expect_string(v, path, f"{where}/{i}") for i, v in enumerate(expect_array(value, path, where)))
    return [text for text in texts if text is not None]


def string_at(fields: dict[str, Any], key: str, path: str, where: str) -> str | None:
    """`expect_string` of `fields[key]`; the pointer is built only for the message, as this runs per field."""
    value = fields.get(key)
    if isinstance(value, str) and value and not value.isspace():
        return value
    return expect_string(value, path, f"{where}/{key}")


def array_at(fields: dict[str, Any], key: str, path: str, where: str) -> list[Any]:
    """`expect_array` of `fields[key]`."""
    value = fields.get(key)
    return value if isinstance(value, list) else expect_array(value, path, f"{where}/{key}")


def expect_number(value: object, path: str, where: str) -> float | None:
    """A number; null or absent reads as None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong(path, where, "a number", value)
    return float(value)


_SECRET_NAME_RE = re.compile(
    r"PASSWORD|PASSWD|SECRET|(?:^|_)TOKENS?(?:$|_)|AUTH_?TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL"
)
_SECRET_REFERENCE_RE = re.compile(r"_(?:FILE|PATH|DIR)$")


def is_secret_name(name: str) -> bool:
    """A variable name that suggests its value is a secret (`DB_PASSWORD`, `NPM_TOKEN`, `AWS_SECRET_ACCESS_KEY`).

    Names that only point at where a secret lives (`POSTGRES_PASSWORD_FILE`) are not secrets themselves.
    """
    upper = re.sub(r"[^A-Z0-9]+", "_", name.upper())
    return bool(_SECRET_NAME_RE.search(upper)) and not _SECRET_REFERENCE_RE.search(upper)


def expect_bool(value: object, path: str, where: str) -> bool | None:
    """A boolean; null or absent reads as None."""
    if value is None or isinstance(value, bool):
        return value
    raise _wrong(path, where, "a boolean", value)
