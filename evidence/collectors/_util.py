"""Small helpers shared by collectors: digests, timestamps, JSON pointers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")
_FRACTION_RE = re.compile(r"(\.\d{1,6})\d*")


def digests_in(text: str | None) -> list[str]:
    """Every `sha256:<hex>` digest in a string such as `repo@sha256:...`."""
    return DIGEST_RE.findall(text or "")


def parse_time(value: Any) -> datetime | None:
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
    return moment.astimezone(UTC)


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) to a value, for `location` fields."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def text_or_none(value: Any) -> str | None:
    """A non-empty string, or None."""
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None
