"""Deviation requests from the --deviations YAML file (format: docs/deviations.md).

Each entry becomes a `Deviation`. Every problem in the file is reported at once, with the
entry's place in it, in one `InputError` that names the file.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from evidence.errors import InputError
from evidence.model import Deviation, DeviationStatus, DeviationType, Severity

DEVIATION_TYPES = tuple(t.value for t in DeviationType)
_MAX_PROBLEMS = 10


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeviationSpec(_Strict):
    id: str = Field(min_length=1)
    type: DeviationType
    vulnerability: str = Field(min_length=1)
    package: str | None = None
    status: DeviationStatus = DeviationStatus.APPROVED
    justification: str = Field(min_length=1)
    approver: str | None = None
    requested: date | None = None
    approved: date | None = None
    expires: date | None = None
    adjusted_severity: Literal["critical", "high", "medium", "low"] | None = None
    vendor_product: str | None = None
    last_vendor_check_in: date | None = None
    auto_approved: bool = False
    point_of_contact: str | None = Field(default=None, min_length=1)
    resources_required: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        needs_approval = self.type is not DeviationType.VENDOR_DEPENDENCY
        if needs_approval and self.status is DeviationStatus.APPROVED and not (self.approver and self.approved):
            raise ValueError("an approved deviation request names its approver and its approval date (approved)")
        if self.type is DeviationType.RISK_ADJUSTMENT and self.adjusted_severity is None:
            raise ValueError("a risk adjustment gives the adjusted_severity")
        if self.type is not DeviationType.RISK_ADJUSTMENT and self.adjusted_severity is not None:
            raise ValueError("adjusted_severity belongs to a risk adjustment only")
        if self.expires and self.approved and self.expires < self.approved:
            raise ValueError("expires is before approved")
        return self


class DeviationsFile(_Strict):
    deviations: tuple[DeviationSpec, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        counts = Counter(d.id for d in self.deviations)
        dupes = sorted(i for i, n in counts.items() if n > 1)
        if dupes:
            raise ValueError(f"duplicate deviation ids: {', '.join(dupes)}")
        return self


def read_deviations(path: Path) -> tuple[Deviation, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(path, f"cannot be read: {e.strerror}") from e
    except UnicodeDecodeError as e:
        raise InputError(path, f"not UTF-8 text: {e}") from e
    return parse_deviations(text, str(path))


def parse_deviations(text: str, source: str) -> tuple[Deviation, ...]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise InputError(source, f"not valid YAML: {e}") from e
    try:
        parsed = DeviationsFile.model_validate(data)
    except ValidationError as e:
        problems = [_problem(err) for err in e.errors()]
        more = f" (and {len(problems) - _MAX_PROBLEMS} more)" if len(problems) > _MAX_PROBLEMS else ""
        raise InputError(source, f"{e.error_count()} problem(s): " + "; ".join(problems[:_MAX_PROBLEMS]) + more) from e
    return tuple(
        Deviation(
            id=d.id,
            type=d.type,
            vulnerability=d.vulnerability,
            package=d.package,
            status=d.status,
            justification=d.justification.strip(),
            approver=d.approver,
            requested=d.requested,
            approved=d.approved,
            expires=d.expires,
            adjusted_severity=Severity(d.adjusted_severity) if d.adjusted_severity else None,
            vendor_product=d.vendor_product,
            last_vendor_check_in=d.last_vendor_check_in,
            auto_approved=d.auto_approved,
            point_of_contact=d.point_of_contact.strip() if d.point_of_contact else None,
            resources_required=d.resources_required.strip() if d.resources_required else None,
            source=f"{source} /deviations/{i}",
        )
        for i, d in enumerate(parsed.deviations)
    )


def _problem(error: ErrorDetails) -> str:
    where = "/" + "/".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}"
