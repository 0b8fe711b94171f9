"""The shape of our own catalog, profile and reference-table YAML: strict, every error reported at once."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from evidence.model import EvidenceKind, Layer, Scope

NIST_800_53_ID = re.compile(r"^[A-Z]{2}-\d{1,2}(\(\d{1,2}\))?$")
CCI_ID = re.compile(r"^CCI-\d{6}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ControlSpec(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    scope: Scope
    guidance: str | None = None
    nist_800_53: tuple[str, ...] = Field(min_length=1)
    checks: tuple[str, ...] = ()
    # A control without checks: manual (a person decides), not-assessed (outside what an image can show; then
    # `responsible` names the layer), or not-applicable (a catalog that waives it, with the waiver as reason).
    status: Literal["manual", "not-assessed", "not-applicable"] | None = None
    reason: str | None = None
    responsible: Layer | None = None
    not_shown: str | None = None  # scope partial: the part of the control image evidence does not show
    # Source-specific identifiers, as published.
    assessment: Literal["Automated", "Manual"] | None = None  # CIS: the benchmark's own assessment status
    cci: tuple[str, ...] = ()  # DISA: Control Correlation Identifiers
    ia_control: str | None = None  # DISA: the control as the source names it (often rev4, e.g. "CM-5 (3)")
    vuln_id: str | None = None  # DISA SRG: the Vuln ID (V-233065)
    severity: Literal["CAT I", "CAT II", "CAT III"] | None = None  # DISA SRG category

    @model_validator(mode="after")
    def _decided_somehow(self) -> Self:
        bad = [c for c in self.nist_800_53 if not NIST_800_53_ID.match(c)]
        if bad:
            raise ValueError(f"not NIST SP 800-53 control ids (like RA-5 or SI-7(15)): {', '.join(bad)}")
        bad_cci = [c for c in self.cci if not CCI_ID.match(c)]
        if bad_cci:
            raise ValueError(f"not CCI ids (like CCI-000366): {', '.join(bad_cci)}")
        if self.checks and self.status:
            raise ValueError("a control has either checks or a status (manual, not-assessed, not-applicable), not both")
        if not self.checks and not (self.status and self.reason):
            raise ValueError(
                "a control without checks needs a status (manual, not-assessed or not-applicable) and a reason"
            )
        if (self.status == "not-assessed") != (self.responsible is not None):
            raise ValueError("a not-assessed control names the layer responsible for it (responsible), and only it")
        if self.checks and self.scope is Scope.PARTIAL and not self.not_shown:
            raise ValueError("a partial-scope control with checks names the part image evidence does not show")
        if self.scope is Scope.NONE and self.checks:
            raise ValueError("a control of scope none has no checks: image evidence cannot show any of it")
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


class SlaDays(_Strict):
    """Days allowed to remediate an open vulnerability, per severity (FedRAMP Rev5: 30, 30, 90, 180)."""

    critical: int = Field(default=30, ge=1)
    high: int = Field(default=30, ge=1)
    medium: int = Field(default=90, ge=1)
    low: int = Field(default=180, ge=1)

    def for_severity(self, severity: str) -> int | None:
        """The days for a severity word; None for negligible and unknown severities."""
        return {"critical": self.critical, "high": self.high, "medium": self.medium, "low": self.low}.get(severity)


class RubricParameters(_Strict):
    """Inputs of the secure base-image rubric that evidence files do not carry."""

    vendor_sla_days: int | None = Field(default=None, ge=0)  # the base image vendor's published Critical SLA
    trusted_builders: tuple[str, ...] = ()  # provenance builder ids accepted as hardened (SLSA Build L3)
    minimal_max_packages: int = Field(default=30, ge=1)  # at most this many packages counts as minimal
    distro_max_packages: int = Field(default=200, ge=1)  # more than this counts as a full distribution
    pass_score: int = Field(default=2, ge=0, le=4)  # a criterion scoring at least this is satisfied
    # FedRAMP and DoD want STIG and FIPS evidence: without both, compliance posture is capped at 2.
    require_stig_and_fips: bool = False
    # The image is a base image (`fromline bases` sets it): a HEALTHCHECK belongs to the application built on it,
    # so compliance posture does not ask for one.
    base_image: bool = False


class Parameters(_Strict):
    max_scan_age_days: int = Field(default=30, ge=1)
    gate_severity: Literal["critical", "high", "medium", "low"] = "high"
    max_image_age_days: int = Field(default=90, ge=1)
    sla_days: SlaDays = SlaDays()
    max_database_age_days: int = Field(default=30, ge=1)  # scanner database age at scan time
    approved_base_registries: tuple[str, ...] = ()  # e.g. registry1.dso.mil; empty: no allowlist configured
    rubric: RubricParameters = RubricParameters()
    # Days after collection that evidence of a kind counts as current; a kind not listed, or null, never goes
    # stale. Listed kinds merge over the defaults; a scan's limit follows max_scan_age_days unless set here.
    max_age_days: dict[EvidenceKind, Annotated[int, Field(ge=1)] | None] = Field(
        default_factory=dict, validate_default=True
    )

    @field_validator("max_age_days", mode="before")
    @classmethod
    def _over_default_ages(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, dict):
            return value
        scan_days = info.data.get("max_scan_age_days", 30)
        return {EvidenceKind.VULNERABILITY_SCAN.value: scan_days, "sbom": 90, "vex": 90, **value}


class ProfileSpec(_Strict):
    profile: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    catalogs: tuple[str, ...] = Field(min_length=1)
    strict: bool = False  # evidence-missing counts as not-satisfied
    parameters: Parameters = Parameters()


class FipsMatch(_Strict):
    """How an SBOM component is recognized as this module: by name, and by version prefix when given."""

    names: tuple[str, ...] = Field(min_length=1)  # component names (or purl names), compared case-insensitively
    versions: tuple[str, ...] = ()  # the module versions; a component version matches one or starts with it + "-"


class CertificateStatus(StrEnum):
    """A module's standing in NIST's Cryptographic Module Validation Program."""

    ACTIVE = "active"
    HISTORICAL = "historical"
    REVOKED = "revoked"
    IN_PROCESS = "in-process"
    UNKNOWN = "unknown"


VALIDATED = frozenset({CertificateStatus.ACTIVE, CertificateStatus.HISTORICAL, CertificateStatus.REVOKED})


class FipsModuleSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    module: str
    family: Literal["openssl", "go", "boringcrypto", "java", "system"]
    version: str | None = None
    certificate: str | None = Field(default=None, pattern=r"^\d+$")  # CMVP certificate number
    standard: Literal["140-2", "140-3"] | None = None
    status: CertificateStatus
    sunset: date | None = None  # after this date the certificate is historical
    note: str | None = None
    match: FipsMatch

    @model_validator(mode="after")
    def _validated_needs_a_certificate(self) -> Self:
        if self.status in VALIDATED and not (self.certificate and self.standard):
            raise ValueError(f"a {self.status} module needs its certificate number and standard")
        return self


class FipsModuleTable(_Strict):
    table: Literal["fips-modules"]
    title: str
    version: str
    modules: tuple[FipsModuleSpec, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        if not self.modules:
            raise ValueError("a module table needs at least one module")
        counts = Counter(m.id for m in self.modules)
        dupes = sorted(i for i, n in counts.items() if n > 1)
        if dupes:
            raise ValueError(f"duplicate module ids: {', '.join(dupes)}")
        return self
