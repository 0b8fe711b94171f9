"""The shape of our own catalog and profile YAML: strict, every error reported at once."""

from __future__ import annotations

import re
from collections import Counter
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

NIST_800_53_ID = re.compile(r"^[A-Z]{2}-\d{1,2}(\(\d{1,2}\))?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ControlSpec(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    scope: Literal["full", "partial", "none"]
    guidance: str | None = None
    nist_800_53: tuple[str, ...] = Field(min_length=1)
    checks: tuple[str, ...] = ()
    status: Literal["manual", "not-applicable"] | None = None
    reason: str | None = None
    manual_part: str | None = None

    @model_validator(mode="after")
    def _decided_somehow(self) -> Self:
        bad = [c for c in self.nist_800_53 if not NIST_800_53_ID.match(c)]
        if bad:
            raise ValueError(f"not NIST SP 800-53 control ids (like RA-5 or SI-7(15)): {', '.join(bad)}")
        if self.checks and self.status:
            raise ValueError("a control has either checks or a status (manual, not-applicable), not both")
        if not self.checks and not (self.status and self.reason):
            raise ValueError("a control without checks needs a status (manual or not-applicable) and a reason")
        return self


class CatalogSpec(_Strict):
    catalog: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    version: str
    controls: tuple[ControlSpec, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        if not self.controls:
            raise ValueError("a catalog needs at least one control")
        counts = Counter(c.id for c in self.controls)
        dupes = sorted(i for i, n in counts.items() if n > 1)
        if dupes:
            raise ValueError(f"duplicate control ids: {', '.join(dupes)}")
        return self


class Parameters(_Strict):
    max_scan_age_days: int = Field(default=30, ge=1)
    gate_severity: Literal["critical", "high", "medium", "low"] = "high"
    max_image_age_days: int = Field(default=90, ge=1)


class ProfileSpec(_Strict):
    profile: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    catalogs: tuple[str, ...] = Field(min_length=1)
    parameters: Parameters = Parameters()
