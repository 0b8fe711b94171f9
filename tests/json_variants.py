"""Helpers for hostile-input tests: every place in a JSON document, and the document with one value replaced."""

from __future__ import annotations

from typing import Any

Where = tuple[str | int, ...]


def json_nodes(data: Any, where: Where = ()) -> list[Where]:
    """The path to every value of a parsed JSON document, the document itself first."""
    found = [where]
    if isinstance(data, dict):
        for key, value in data.items():
            found += json_nodes(value, (*where, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += json_nodes(value, (*where, i))
    return found


def json_replaced(data: Any, where: Where, value: Any) -> Any:
    """A copy of `data` with the value at `where` replaced by `value`."""
    if not where:
        return value
    head, rest = where[0], where[1:]
    if isinstance(data, dict):
        return {**data, str(head): json_replaced(data[str(head)], rest, value)}
    copied = list(data)
    copied[int(head)] = json_replaced(copied[int(head)], rest, value)
    return copied
