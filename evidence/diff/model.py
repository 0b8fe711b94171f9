"""The records of a diff between two audit packages: plain, frozen, sorted data (see docs/diff-json.md).

`diff.json` is a `PackageDiff` serialized, and `AuditPackage.changes` holds one, so this module imports
nothing from the project: `evidence.model` imports it. Severities and statuses are kept as their string
values (`"critical"`, `"not-satisfied"`) for that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

DIFF_SCHEMA_VERSION = "1.1"


class NewCause(StrEnum):
    """Why a vulnerability is in the new package and not in the old one."""

    IMAGE_CHANGED = "image-changed"  # its package, or that version of it, is new in the image
    NEWLY_DISCLOSED = "newly-disclosed"  # the same package version was already there


class VersionChange(StrEnum):
    UPGRADED = "upgraded"
    DOWNGRADED = "downgraded"
    CHANGED = "changed"  # the versions differ but cannot be ordered


class StatusChange(StrEnum):
    REGRESSION = "regression"  # now not-satisfied or evidence-missing, before neither
    IMPROVEMENT = "improvement"  # before not-satisfied or evidence-missing, now neither
    CHANGED = "changed"  # any other change of status


@dataclass(frozen=True, slots=True, kw_only=True)
class Side:
    """Which package a side of the diff is."""

    reference: str
    name: str
    digest: str
    release: str | None = None
    profile: str
    assessed_at: datetime
    tool_version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldChange:
    field: str
    old: str | None = None
    new: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Vulnerability:
    id: str
    aliases: tuple[str, ...] = ()
    package: str
    installed_version: str | None = None
    fixed_versions: tuple[str, ...] = ()
    severity: str  # a Severity value
    state: str  # open, suppressed
    suppression: str | None = None  # "VEX not_affected: <justification>"
    deviation: str | None = None  # "<id> (<type>, <status>)"
    kev: bool = False
    title: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NewVulnerability:
    vulnerability: Vulnerability
    cause: NewCause


@dataclass(frozen=True, slots=True, kw_only=True)
class VulnerabilityChange:
    """The same vulnerability in the same package, in both packages, with what differs."""

    old: Vulnerability
    new: Vulnerability
    aspects: tuple[str, ...]  # severity, state, suppression, deviation, kev, installed-version


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenVulnerability:
    vulnerability: Vulnerability
    open_since: datetime  # its first detection when recorded, else the old package's assessment time
    age_days: int  # from open_since to the new package's assessment time


@dataclass(frozen=True, slots=True, kw_only=True)
class VulnerabilityDiff:
    added: tuple[NewVulnerability, ...] = ()
    removed: tuple[Vulnerability, ...] = ()  # fixed: no longer reported
    changed: tuple[VulnerabilityChange, ...] = ()
    still_open: tuple[OpenVulnerability, ...] = ()  # open in both; not a change


@dataclass(frozen=True, slots=True, kw_only=True)
class Component:
    key: str  # the purl without version, qualifiers and subpath; else "<type>:<name>"
    name: str
    version: str | None = None
    purl: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentChange:
    key: str
    name: str
    old_version: str | None = None
    new_version: str | None = None
    change: VersionChange
    old_purl: str | None = None
    new_purl: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentDiff:
    added: tuple[Component, ...] = ()
    removed: tuple[Component, ...] = ()
    changed: tuple[ComponentChange, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Control:
    catalog: str
    control_id: str
    title: str
    status: str  # a Status value


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlChange:
    catalog: str
    control_id: str
    title: str
    old_status: str
    new_status: str
    change: StatusChange


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlDiff:
    added: tuple[Control, ...] = ()
    removed: tuple[Control, ...] = ()
    changed: tuple[ControlChange, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Signer:
    """Who signed, as a verified signature shows it: a key, or a keyless identity and its issuer."""

    key_id: str | None = None
    identity: str | None = None
    issuer: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureDiff:
    old: tuple[Signer, ...] = ()  # the signers of the verified signatures of each side
    new: tuple[Signer, ...] = ()
    added: tuple[Signer, ...] = ()
    removed: tuple[Signer, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Provenance:
    builder_id: str | None = None
    source_repository: str | None = None
    source_revision: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvenanceDiff:
    old: Provenance | None = None
    new: Provenance | None = None
    changed: tuple[FieldChange, ...] = ()  # fields builder_id, source_repository, source_revision


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseImage:
    name: str | None = None  # without docker.io/library/
    version: str | None = None  # the tag
    digest: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseImageDiff:
    old: BaseImage | None = None
    new: BaseImage | None = None
    changed: tuple[FieldChange, ...] = ()  # fields name, version, digest


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceFile:
    kind: str
    key: str  # the path inside its input directory: how files of two releases are matched
    path: str
    sha256: str
    format: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceChange:
    kind: str
    key: str
    old_path: str
    new_path: str
    old_sha256: str
    new_sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceDiff:
    added: tuple[EvidenceFile, ...] = ()
    removed: tuple[EvidenceFile, ...] = ()
    changed: tuple[EvidenceChange, ...] = ()  # same kind and key, other content
    missing_kinds: tuple[str, ...] = ()  # kinds of evidence the old package had and the new one lacks
    new_kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreChange:
    criterion: str
    old_score: int | None = None  # None: the criterion was not scored on that side
    new_score: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RubricDiff:
    """The base-image rubric: grade, total points, and the criteria whose score changed."""

    old_grade: str | None = None
    new_grade: str | None = None
    old_total: int | None = None  # None: no rubric on that side
    new_total: int | None = None
    changed: tuple[ScoreChange, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class VerdictChange:
    """A summary verdict (signature, provenance, SBOM) whose recorded status changed."""

    topic: str  # a SummaryTopic value
    old_status: str  # a Status value
    new_status: str
    old_outcome: str  # the recorded words, "Verified", "Missing", ...
    new_outcome: str
    change: StatusChange


@dataclass(frozen=True, slots=True, kw_only=True)
class VerdictDiff:
    changed: tuple[VerdictChange, ...] = ()  # only topics both packages record


@dataclass(frozen=True, slots=True, kw_only=True)
class PoamEntry:
    """A POA&M item as one package recorded it."""

    poam_id: str
    vulnerability: str
    status: str  # open, closed
    risk_status: str  # open, investigating, deviation-requested, deviation-approved, closed
    severity: str  # a Severity value
    due: datetime | None = None
    overdue: bool = False
    packages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PoamChange:
    """The same POA&M item, open in both packages or closed in both, with what differs."""

    old: PoamEntry
    new: PoamEntry
    aspects: tuple[str, ...]  # risk-status, due, overdue, severity


@dataclass(frozen=True, slots=True, kw_only=True)
class PoamDiff:
    opened: tuple[PoamEntry, ...] = ()  # open now; not in the old package, or closed there (reopened)
    closed: tuple[PoamEntry, ...] = ()  # open before: the new entry, closed; the old one when no longer listed
    changed: tuple[PoamChange, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageDiff:
    """What changed from `old` to `new`; `still_open` aside, every list holds only changes."""

    schema_version: str = DIFF_SCHEMA_VERSION
    old: Side
    new: Side
    vulnerabilities: VulnerabilityDiff = VulnerabilityDiff()
    components: ComponentDiff = ComponentDiff()
    controls: ControlDiff = ControlDiff()
    signatures: SignatureDiff = SignatureDiff()
    provenance: ProvenanceDiff = ProvenanceDiff()
    base_image: BaseImageDiff = BaseImageDiff()
    evidence: EvidenceDiff = EvidenceDiff()
    rubric: RubricDiff = RubricDiff()
    verdicts: VerdictDiff = VerdictDiff()
    poam: PoamDiff = PoamDiff()

    def is_empty(self) -> bool:
        v, c, k, s, e = self.vulnerabilities, self.components, self.controls, self.signatures, self.evidence
        return not (
            v.added or v.removed or v.changed
            or c.added or c.removed or c.changed
            or k.added or k.removed or k.changed
            or s.added or s.removed
            or self.provenance.changed
            or self.base_image.changed
            or e.added or e.removed or e.changed or e.missing_kinds or e.new_kinds
            or self.rubric.changed or self.rubric.old_grade != self.rubric.new_grade
            or self.verdicts.changed
            or self.poam.opened or self.poam.closed or self.poam.changed
        )  # fmt: skip
