"""`audit.json`: the canonical, versioned, lossless record of an assessment (see docs/audit-json.md)."""

from __future__ import annotations

from dataclasses import fields, replace
from functools import cache
from typing import TYPE_CHECKING, BinaryIO

import orjson

from evidence.errors import InputError
from evidence.model import AUDIT_SCHEMA_VERSION, AuditPackage

if TYPE_CHECKING:
    from pathlib import Path

    from pydantic import TypeAdapter

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS
_NOT_RECORDED = frozenset({"contents"})  # the evidence bytes: copied into evidence/, not into audit.json
# Schema versions written before evaluation recorded the summary and the POA&M items: both are derived on load
# from what the package recorded, by evaluation's own functions (docs/audit-json.md, "Reading schema 1.0").
_WITHOUT_SUMMARY = frozenset({"1.0"})


def dumps(pkg: AuditPackage) -> bytes:
    record = {f.name: getattr(pkg, f.name) for f in fields(pkg) if f.name not in _NOT_RECORDED}
    return orjson.dumps(record, option=_OPTIONS) + b"\n"


class CanonicalJson:
    filename = "audit.json"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(dumps(pkg))


@cache
def _adapter() -> TypeAdapter[AuditPackage]:
    from pydantic import TypeAdapter  # noqa: PLC0415 - only diff and re-render need to read packages back

    return TypeAdapter(AuditPackage)


def load_package(path: Path) -> AuditPackage:
    """Read an `audit.json` back into the records it was written from; a schema 1.0 package gets its summary
    and POA&M items derived from its records, as evaluation would have recorded them, and `changes` written
    without its summary gets it from `compare`'s own count."""
    from pydantic import ValidationError  # noqa: PLC0415

    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(path, f"cannot be read: {e.strerror}") from e
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise InputError(path, f"not valid JSON: {e}") from e
    version = raw.get("schema_version") if isinstance(raw, dict) else None
    if not isinstance(version, str) or version.split(".")[0] != AUDIT_SCHEMA_VERSION.split(".")[0]:
        raise InputError(path, f"not a Fromline audit.json of schema {AUDIT_SCHEMA_VERSION} (found {version!r})")
    try:
        pkg = _adapter().validate_python(raw)
    except ValidationError as e:
        first = e.errors()[0]
        where = "/".join(str(p) for p in first["loc"])
        raise InputError(path, f"invalid audit.json at {where}: {first['msg']}") from e
    if pkg.changes is not None and pkg.changes.summary is None:
        # `changes` written before the diff recorded its summary: the counts come from compare's own function.
        from evidence.diff.compare import summarize  # noqa: PLC0415 - only packages made with --previous

        pkg = replace(pkg, changes=replace(pkg.changes, summary=summarize(pkg.changes)))
    if version in _WITHOUT_SUMMARY:
        from evidence.evaluate import derive_recorded  # noqa: PLC0415 - only old packages need evaluation

        return derive_recorded(pkg)
    return pkg
