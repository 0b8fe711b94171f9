"""Frozen records passed between the stages: collect, verify, bind, evaluate, render; and the records of a diff.

Everything here is plain data, and this module imports nothing from the project. `audit.json` is these records
serialized (see `render/canonical.py`), and `load_package` reads them back, so the canonical file is lossless by
construction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Status(StrEnum):
    """The verdict on one control or one check."""

    SATISFIED = "satisfied"
    NOT_SATISFIED = "not-satisfied"
    NOT_APPLICABLE = "not-applicable"
    MANUAL = "manual"
    EVIDENCE_MISSING = "evidence-missing"
    # Outside what image evidence can show (host, orchestrator, network, registry operation): `responsible`
    # names the layer that must show it. Not "not-applicable", which says the requirement does not apply.
    NOT_ASSESSED = "not-assessed"


class Scope(StrEnum):
    """How far image evidence reaches for a control: all of it, part of it (the rest is named), or none."""

    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"


class Layer(StrEnum):
    """The layer of the system responsible for what an image cannot show."""

    HOST = "host"
    ORCHESTRATOR = "orchestrator"
    NETWORK = "network"
    REGISTRY = "registry"
    PIPELINE = "pipeline"  # the build and release pipeline: its gates, builders and settings
    INHERITED = "inherited"  # provided by the cloud service provider or platform the system inherits from


class EvidenceKind(StrEnum):
    SBOM = "sbom"
    VULNERABILITY_SCAN = "vulnerability-scan"
    VEX = "vex"
    SIGNATURE = "signature"
    DETACHED_SIGNATURE = "detached-signature"
    PUBLIC_KEY = "public-key"
    PROVENANCE = "provenance"
    DOCKERFILE = "dockerfile"
    IMAGE_CONFIG = "image-config"
    IMAGE_MANIFEST = "image-manifest"
    IMAGE_INDEX = "image-index"
    KUBERNETES_WORKLOAD = "kubernetes-workload"
    ADMISSION_POLICY = "admission-policy"
    UPDATE_AUTOMATION = "update-automation"
    # An in-toto attestation whose predicate Fromline does not read (a custom predicate type, a cosign vulnerability
    # attestation without a scan result): its subjects and signature are checked, its predicate decides no control.
    ATTESTATION = "attestation"


class Binding(StrEnum):
    """How an evidence file relates to the image being assessed."""

    MATCH = "match"  # the file names the assessed image digest
    MISMATCH = "mismatch"  # the file names other digests only: not used for verdicts
    UNBOUND = "unbound"  # the file names no digest at all (a Dockerfile, a key)
    # The file names no digest, and the user stated that it describes the image (`--bind`): used for what it
    # says, never as a digest match (signatures, provenance and the SBOM summary verdict need one).
    ASSERTED = "asserted"


class DetectionSource(StrEnum):
    """Where a finding's first detection date comes from, best first."""

    CARRIED = "carried"  # a previous package recorded it: a new release does not restart the clock
    SCAN = "scan"  # the earliest supplied scan that reports it: without history, each release restarts it
    PUBLISHED = "published"  # no scan records when it ran: the advisory's publication date, the earliest it can be
    ASSESSED = "assessed"  # neither: the assessment time


class VulnerabilityState(StrEnum):
    """Where a vulnerability record stands (see docs/audit-json.md)."""

    OPEN = "open"
    SUPPRESSED = "suppressed"  # a VEX statement or an approved false positive says it is not a risk
    CLOSED = "closed"  # reported by the previous package and no longer found


class Attribution(StrEnum):
    """Who has to fix a finding: the base image's vendor, or the team that built the image."""

    BASE_IMAGE = "base-image"
    APPLICATION = "application"
    UNKNOWN = "unknown"


class DeviationType(StrEnum):
    RISK_ADJUSTMENT = "risk-adjustment"
    FALSE_POSITIVE = "false-positive"
    OPERATIONAL_REQUIREMENT = "operational-requirement"
    VENDOR_DEPENDENCY = "vendor-dependency"


class DeviationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"


class SkipCategory(StrEnum):
    """Why collection did not use a file."""

    UNREADABLE = "unreadable"  # not a regular file, over the size limit, or the read failed
    UNRECOGNIZED = "unrecognized"  # no collector knows its format
    MALFORMED = "malformed"  # a known format, but broken: it cannot be read
    NOT_READ = "not-read"  # recognized, but holds nothing this tool reads (e.g. a Docker schema 1 manifest)
    UNKNOWN = "unknown"  # recorded by a schema 1.0 package, which kept no category


class Verification(StrEnum):
    VERIFIED = "verified"
    FAILED = "failed"
    UNVERIFIABLE = "unverifiable"
    UNCHECKED = "unchecked"  # collected, and the verification step has not run: never a verdict


NOT_CHECKED_REASON = "not checked: the signature verification step has not run"


class SignatureMethod(StrEnum):
    """Which signature a file carries, and so which verification runs; the value is the label shown."""

    COSIGN_KEY_PAIR = "cosign key pair (simple signing)"  # a simple-signing payload and a detached signature
    DSSE = "DSSE"  # an in-toto attestation in a DSSE envelope
    SIGSTORE_MESSAGE = "sigstore bundle (message signature)"
    SIGSTORE_DSSE = "sigstore bundle (DSSE)"
    COSIGN_MANIFEST = "cosign signature manifest"  # an OCI manifest whose layers carry cosign signatures
    COSIGN_VERIFY = "cosign verify"  # `cosign verify` output: a tool's claim, recorded and not re-verified
    # containers/image (podman, skopeo): a cosign payload and its signature annotations in one blob
    CONTAINERS_SIGSTORE = "containers/image sigstore signature"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NEGLIGIBLE = "negligible"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, text: str | None) -> Severity:
        """Map a scanner's severity word to ours; anything unknown stays unknown."""
        if not text:
            return cls.UNKNOWN
        word = text.strip().lower()
        word = {
            "moderate": "medium",
            "important": "high",
            "info": "negligible",
            "informational": "negligible",
            "none": "negligible",
        }.get(word, word)
        try:
            return cls(word)
        except ValueError:
            return cls.UNKNOWN


_SEVERITY_RANK = {
    Severity.CRITICAL: 5,
    Severity.HIGH: 4,
    Severity.MEDIUM: 3,
    Severity.LOW: 2,
    Severity.NEGLIGIBLE: 1,
    Severity.UNKNOWN: 0,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Located:
    """A fact found at a place in a file: a JSON pointer (`/a/0/b`) or `line N`."""

    value: str
    location: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Component:
    name: str
    version: str | None = None
    purl: str | None = None
    type: str | None = None
    licenses: tuple[str, ...] = ()
    supplier: str | None = None
    hashes: dict[str, str] = field(default_factory=dict)
    layer: str | None = None
    ref: str | None = None
    depends_on: tuple[str, ...] = ()
    location: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Cvss:
    source: str
    version: str | None = None
    vector: str | None = None
    score: float | None = None


class RatingSource(StrEnum):
    """Where a vulnerability's original risk rating comes from, in FedRAMP's order: the CVSSv3 base score NVD
    gives, else NVD's CVSSv2 base score, else the scanner's own severity."""

    NVD_CVSS3 = "nvd-cvss3"
    NVD_CVSS2 = "nvd-cvss2"
    SCANNER = "scanner"
    CATALOG = "catalog"  # a control's POA&M item: the category its catalog gives (DISA CAT I, II, III)
    UNRATED = "unrated"  # a control's POA&M item whose catalog gives no rating: moderate until the assessor rates it


class WeaknessSource(StrEnum):
    """What found the weakness a POA&M item tracks."""

    SCAN = "scan"  # a vulnerability scanner's finding
    CONTROL = "control"  # a control this assessment found not satisfied


@dataclass(frozen=True, slots=True, kw_only=True)
class VulnerabilityFinding:
    """One scanner's report of one vulnerability in one package."""

    id: str
    aliases: tuple[str, ...] = ()
    package: str
    installed_version: str | None = None
    purl: str | None = None
    package_type: str | None = None
    fixed_versions: tuple[str, ...] = ()
    severity: Severity = Severity.UNKNOWN
    severities: dict[str, Severity] = field(default_factory=dict)  # source (nvd, ghsa, debian...) -> severity
    cvss: tuple[Cvss, ...] = ()
    title: str | None = None
    description: str | None = None
    published: datetime | None = None
    data_source: str | None = None
    layer: str | None = None
    epss: float | None = None  # probability, 0..1, as the scanner reported it
    epss_percentile: float | None = None
    kev: bool = False  # the scanner says it is in CISA's Known Exploited Vulnerabilities catalog
    location: str = ""
    cvss_problems: tuple[str, ...] = ()  # CVSS scores outside 0-10 and vectors that do not parse, dropped from cvss


class DetectionCategory(StrEnum):
    MISCONFIGURATION = "misconfiguration"
    SECRET = "secret"  # noqa: S105 - the name of a kind of finding, not a password


@dataclass(frozen=True, slots=True, kw_only=True)
class Detection:
    """A scanner result that is not a package vulnerability: a misconfiguration or an exposed secret."""

    category: DetectionCategory
    id: str
    title: str | None = None
    severity: Severity = Severity.UNKNOWN
    target: str | None = None  # the file or layer it was found in
    message: str | None = None  # never the secret itself
    location: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class VexStatement:
    vulnerability: str
    aliases: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    status: str
    justification: str | None = None
    impact_statement: str | None = None
    action_statement: str | None = None
    timestamp: datetime | None = None
    author: str | None = None
    location: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureFacts:
    """The signature a file carries, what it was verified against, and the outcome.

    Collectors record what they found and leave the status unchecked; `evidence.verify.verify` decides it.
    """

    method: SignatureMethod
    status: Verification = Verification.UNCHECKED
    reason: str = NOT_CHECKED_REASON
    signed_digest: str | None = None  # the image digest inside the signed payload
    docker_reference: str | None = None
    key_id: str | None = None  # "sha256:<hex>" of the public key's DER SubjectPublicKeyInfo
    key_path: str | None = None
    key_algorithm: str | None = None
    signature_path: str | None = None
    payload_path: str | None = None
    identity: str | None = None  # keyless: the certificate's subject alternative name
    issuer: str | None = None  # keyless: the OIDC issuer in the certificate
    log_index: int | None = None  # transparency log entry
    integrated_time: datetime | None = None
    asserted_by: str | None = None  # set when a tool's claim was recorded, not re-verified (e.g. "cosign verify")
    # The signature verifies with key_id, a key found among the inputs that the user did not name as a trust anchor:
    # the key says who signed, not that the signer is trusted (the status is unverifiable or failed).
    key_from_evidence: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvenanceFacts:
    statement_type: str
    predicate_type: str
    builder_id: str | None = None
    build_type: str | None = None
    source_repository: str | None = None
    source_revision: str | None = None
    base_images: tuple[Located, ...] = ()  # resolved dependencies that are images, "name@sha256:..."
    started_on: datetime | None = None
    finished_on: datetime | None = None
    build_files: tuple[Located, ...] = ()  # "sha256:<hex>" of resolved dependencies that are files, not images


@dataclass(frozen=True, slots=True, kw_only=True)
class DockerfileFacts:
    base_images: tuple[Located, ...] = ()  # FROM references, external images only
    unpinned_base_images: tuple[Located, ...] = ()  # FROM references without @sha256
    final_user: Located | None = None
    healthcheck: Located | None = None
    remote_adds: tuple[Located, ...] = ()
    secret_variables: tuple[Located, ...] = ()  # ENV/ARG names that look like secrets; never their values
    exposed_ports: tuple[Located, ...] = ()
    final_stage_instructions: int = 0  # instructions after the final FROM, and in the stages it builds FROM
    local_adds: tuple[Located, ...] = ()  # ADD sources that are not URLs: ADD unpacks them when they are tar archives
    run_commands: tuple[Located, ...] = ()  # every stage's RUN instructions as written, heredoc bodies included


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEntry:
    """One step of an image config's history; the steps that are not `empty_layer` made the layers, in order."""

    created_by: str | None = None
    empty_layer: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageConfigFacts:
    image_id: str | None = None
    repo_digests: tuple[str, ...] = ()
    repo_tags: tuple[str, ...] = ()
    created: datetime | None = None
    user: str | None = None
    exposed_ports: tuple[str, ...] = ()
    env_names: tuple[str, ...] = ()  # names only: values may be secrets
    secret_env: tuple[Located, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    healthcheck: bool = False
    volumes: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    history_entries: tuple[HistoryEntry, ...] = ()  # every history step, in order, with its empty_layer flag
    history_location: str = ""  # JSON pointer to the history array: "/history" (OCI), "/Metadata/ImageConfig/history"
    layers: tuple[str, ...] = ()  # diff ids, base first: OCI rootfs.diff_ids, docker inspect RootFS.Layers
    architecture: str | None = None
    os: str | None = None
    size: int | None = None  # bytes, uncompressed, as docker inspect's `Size` gives it; an OCI config has none
    config_location: str = ""  # JSON pointer to the config object: "/0/Config" (docker inspect), "/config" (OCI)
    created_location: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatformManifest:
    digest: str
    platform: str | None = None  # "linux/amd64", "linux/arm64/v8"
    media_type: str | None = None
    location: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestFacts:
    """An OCI or Docker image manifest or index."""

    media_type: str | None = None
    digest: str  # sha256 of the file's bytes: the manifest's own digest when the file is byte-exact
    config_digest: str | None = None
    layers: tuple[str, ...] = ()
    platforms: tuple[PlatformManifest, ...] = ()  # an index's platform manifests
    subject: str | None = None  # the manifest this one refers to (signatures, attestations)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerFacts:
    name: str
    image: str
    image_digest: str | None = None  # when the image is referenced by digest
    run_as_non_root: bool | None = None  # None: not set (pod level included)
    run_as_user: int | None = None
    privileged: bool | None = None
    allow_privilege_escalation: bool | None = None
    read_only_root_filesystem: bool | None = None
    capabilities_drop: tuple[str, ...] = ()
    capabilities_add: tuple[str, ...] = ()
    location: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkloadFacts:
    kind: str  # Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob
    name: str
    namespace: str | None = None
    containers: tuple[ContainerFacts, ...] = ()
    location: str = ""  # "document N" of a multi-document YAML file


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyFacts:
    """An admission policy that verifies image signatures or attestations."""

    engine: str  # kyverno, sigstore-policy-controller, connaisseur, ratify, portieris, gatekeeper
    kind: str
    name: str
    action: str = "unknown"  # enforce, audit, unknown
    image_patterns: tuple[str, ...] = ()
    verifies: tuple[str, ...] = ()  # "signature", or "attestation:<predicate type>"
    keys: tuple[str, ...] = ()  # key references or "sha256:<spki>" of inline PEM keys
    identities: tuple[str, ...] = ()  # "<issuer> <subject>" of keyless identities
    location: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanFilter:
    """A setting a scan records that hid findings from its report: an ignore rule, a fix-state or severity filter,
    an excluded path, a suppression the scanner applied. A scan with one does not show everything it found.

    `setting` is named as the tool names it (`only-fixed`, `ignore`, `--ignore-unfixed`, `severityThreshold`);
    `value` is what it was set to, and `location` the JSON pointer to it in the file.
    """

    setting: str
    value: str
    location: str = ""

    @property
    def text(self) -> str:
        return f"{self.setting}: {self.value}"


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateAutomationFacts:
    tool: str  # renovate, dependabot
    ecosystems: tuple[str, ...] = ()
    updates_base_images: bool = False  # covers Dockerfiles / docker images
    pins_digests: bool = False  # keeps base images pinned by digest and bumps the digest
    location: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """One input file, what it is, what it is about, and what it says."""

    id: str  # "ev-" + the first 12 hex digits of sha256(path + content sha256)
    path: str
    sha256: str
    size: int
    kind: EvidenceKind
    format: str
    format_version: str | None = None
    tool: str | None = None
    tool_version: str | None = None
    subjects: tuple[str, ...] = ()  # image digests ("sha256:<hex>") the file claims to describe
    binding: Binding = Binding.UNBOUND
    collected_at: datetime | None = None  # when the producing tool made it, as the file says
    database_updated: datetime | None = None  # a scanner's vulnerability database time
    envelope: str | None = None  # how the content arrived: "DSSE envelope", "sigstore bundle v0.3", ...
    predicate_type: str | None = None  # for an attestation: the in-toto predicate type
    components: tuple[Component, ...] = ()
    vulnerabilities: tuple[VulnerabilityFinding, ...] = ()
    statements: tuple[VexStatement, ...] = ()
    # The signature over this file's claim and its verification: a cosign payload's image signature, or the
    # DSSE envelope of an attestation (None for an attestation that came without an envelope).
    signature: SignatureFacts | None = None
    provenance: ProvenanceFacts | None = None
    dockerfile: DockerfileFacts | None = None
    image_config: ImageConfigFacts | None = None
    detections: tuple[Detection, ...] = ()
    manifest: ManifestFacts | None = None
    workloads: tuple[WorkloadFacts, ...] = ()
    policies: tuple[PolicyFacts, ...] = ()
    update_automation: UpdateAutomationFacts | None = None
    stored_as: str | None = None  # the copy inside the package: "evidence/<safe relative path>"
    expires: datetime | None = None  # collected_at plus the profile's maximum age for this kind
    stale: bool = False  # older than the profile's maximum age at the assessment time
    # An ATTESTATION: why its predicate is not read (a predicate type Fromline does not read, a vulnerability
    # attestation without a Trivy or Grype result), so that nobody takes it for the evidence it is not.
    predicate_not_read: str | None = None
    scan_filters: tuple[ScanFilter, ...] = ()  # a scan's settings that hid findings from its report
    # A file that names no image (a Dockerfile) is bound to it when a verified provenance of the image records
    # the file's digest among the build's dependencies: the provenance's evidence id.
    named_by: str | None = None
    # An SBOM that also reports vulnerability findings (a CycloneDX document from a scanner): it is used as a
    # vulnerability scan too. Set by collection when a finding is more than the document's own VEX statement.
    also_scan: bool = False

    def serves_as(self, kind: EvidenceKind) -> bool:
        """Whether this evidence is used as `kind`: its own kind, and a vulnerability scan for `also_scan`."""
        return self.kind is kind or (kind is EvidenceKind.VULNERABILITY_SCAN and self.also_scan)


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    path: str
    reason: str
    category: SkipCategory = SkipCategory.UNKNOWN


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceSet:
    """What collection produced: the evidence read, the files not used with the reason, and the bytes read.

    `contents` maps each `Evidence.id` to the exact bytes collection read, so no later step reads an input again.
    """

    items: tuple[Evidence, ...]
    skipped: tuple[Skipped, ...] = ()
    # Evidence.id -> the exact bytes read: later stages (verification, the package's evidence/ copies) use these,
    # so no input is read twice.
    contents: Mapping[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    # The path as given on the command line (or below a directory given), which the package does not record:
    # `given` by Evidence.id, `skipped_given` in the order of `skipped`. `inspect` lists files by it.
    given: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    skipped_given: tuple[str, ...] = field(default=(), repr=False, compare=False)
    # Evidence.id -> the text of a file read by its byte-order mark (UTF-16...), as UTF-8: what verification reads
    # of it, as the collectors did (a bundle or an envelope is JSON, whatever encoding a shell saved it in).
    decoded: Mapping[str, bytes] = field(default_factory=dict, repr=False, compare=False)


_IMAGE_BY_DIGEST = re.compile(r"^(?P<name>[^@\s]+)@(?P<digest>sha256:[0-9a-f]{64})$")


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageRef:
    reference: str  # as given: "registry.example.com/webapp@sha256:<hex>"
    name: str  # "registry.example.com/webapp"
    digest: str  # "sha256:<hex>"
    release: str | None = None

    @classmethod
    def parse(cls, text: str, release: str | None = None) -> ImageRef:
        """`NAME@sha256:<64 hex digits>`; `ValueError` for anything else (a tag is not an identity)."""
        match = _IMAGE_BY_DIGEST.match(text.strip())
        if not match:
            raise ValueError(f"an image must be given as REF@sha256:<64 hex digits>, got {text!r}")
        return cls(reference=text.strip(), name=match["name"], digest=match["digest"], release=release)


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceRef:
    evidence_id: str
    path: str
    sha256: str
    location: str | None = None  # JSON pointer or line within the file


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What one check concluded, and the evidence that decided it.

    `not_shown` names the part of what the check asks that its evidence did not show (its outcome then covers
    only part); `responsible` names the layer that must show it when the status is not-assessed.
    """

    status: Status
    reason: str
    evidence: tuple[EvidenceRef, ...] = ()
    not_shown: str | None = None
    responsible: Layer | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    check: str
    status: Status
    reason: str
    evidence: tuple[EvidenceRef, ...] = ()
    not_shown: str | None = None
    responsible: Layer | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlResult:
    catalog: str
    control_id: str
    title: str
    status: Status
    reason: str
    nist_800_53: tuple[str, ...] = ()
    scope: Scope = Scope.FULL  # how far this verdict reaches: partial when part of the control was not shown
    checks: tuple[CheckResult, ...] = ()
    evidence: tuple[EvidenceRef, ...] = ()
    not_shown: str | None = None  # with scope partial: the part of the control this verdict does not cover
    responsible: Layer | None = None  # with status not-assessed: the layer that must show it
    # DISA identifiers, as the catalog publishes them (empty for other catalogs).
    cci: tuple[str, ...] = ()  # Control Correlation Identifiers
    vuln_id: str | None = None  # the SRG rule's Vuln ID (V-233233)
    category: str | None = None  # the SRG rule's severity category: CAT I, CAT II or CAT III
    ia_control: str | None = None  # the control as the DISA source names it (often rev4, "CM-7 a")

    @property
    def partly_satisfied(self) -> bool:
        """Satisfied for the part image evidence shows, and no more."""
        return self.status is Status.SATISFIED and self.scope is not Scope.FULL


@dataclass(frozen=True, slots=True, kw_only=True)
class Suppression:
    statement: VexStatement
    evidence: EvidenceRef
    # Why the statement is trusted: "policy author <author>" (the identity policy lists its author) or "verified
    # signer <key or identity>" (its attestation's signature verified against a trust anchor); None: not trusted,
    # so a `not_affected` only proposes a deviation (`VulnerabilityRecord.vex_proposal`).
    trusted_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Deviation:
    """A FedRAMP deviation request (or vendor dependency) from the --deviations file."""

    id: str
    type: DeviationType
    vulnerability: str
    package: str | None = None
    status: DeviationStatus = DeviationStatus.APPROVED
    justification: str
    approver: str | None = None
    requested: date | None = None
    approved: date | None = None
    expires: date | None = None
    adjusted_severity: Severity | None = None  # risk-adjustment
    vendor_product: str | None = None  # vendor-dependency
    last_vendor_check_in: date | None = None  # vendor-dependency
    auto_approved: bool = False
    point_of_contact: str | None = None  # the POA&M "Point of Contact" for this finding, over --poc
    resources_required: str | None = None  # the POA&M "Resources Required"
    source: str = ""  # the deviations file and the entry's place in it


@dataclass(frozen=True, slots=True, kw_only=True)
class DueChange:
    """A move of a finding's due date, for the POA&M "Milestone Changes": when, from what to what, and why."""

    on: date  # the approval date of the deviation that moved it, else the assessment day
    old: date | None  # None: there was no due date (a negligible finding)
    new: date | None
    reason: str  # "risk adjustment DR-1 was approved by ..., rating it low"

    @property
    def text(self) -> str:
        def day(d: date | None) -> str:
            return d.isoformat() if d else "none"

        return f"{self.on.isoformat()}: due date moved from {day(self.old)} to {day(self.new)} because {self.reason}"


@dataclass(frozen=True, slots=True, kw_only=True)
class VulnerabilityRecord:
    """One vulnerability in one package version, as all scanners of the image reported it."""

    id: str
    aliases: tuple[str, ...] = ()
    package: str
    installed_version: str | None = None
    purl: str | None = None
    fixed_versions: tuple[str, ...] = ()
    severity: Severity = Severity.UNKNOWN  # the original risk rating, from `rating_source` (`evaluate.rating`)
    scanner_severity: Severity | None = None  # the highest any scanner gave (None in packages before schema 1.3)
    severities: dict[str, Severity] = field(default_factory=dict)  # scanner -> severity
    cvss: tuple[Cvss, ...] = ()
    rating_source: RatingSource = RatingSource.SCANNER
    rating_cvss: Cvss | None = None  # the NVD entry the rating comes from, with the base score it was rated by
    rating_computed: bool = False  # that score was computed from the entry's vector: the scanners gave none
    title: str | None = None
    scanners: tuple[str, ...] = ()
    state: VulnerabilityState = VulnerabilityState.OPEN
    suppression: Suppression | None = None
    evidence: tuple[EvidenceRef, ...] = ()
    vex: Suppression | None = None  # the VEX statement that applies, whatever its status
    vex_unjustified: bool = False  # a not_affected with neither justification nor impact statement: not applied
    # A justified `not_affected` from an author or signer nobody trusts: the deviation it proposes (a false positive
    # or a risk adjustment), pending until the deviations file approves one; the record stays open.
    vex_proposal: DeviationType | None = None
    kev: bool = False  # in CISA's KEV catalog (--kev) or so flagged by a scanner
    kev_due: date | None = None  # the catalog's dueDate
    epss: float | None = None
    epss_percentile: float | None = None
    attribution: Attribution = Attribution.UNKNOWN
    attribution_reason: str = ""
    first_detected: datetime | None = None  # carried forward from the previous package: a re-scan keeps the clock
    detection_source: DetectionSource | None = None  # where first_detected comes from
    published: datetime | None = None  # the advisory's earliest publication date the scans give
    due: datetime | None = None  # remediation deadline: profile SLA by severity, or the KEV due date if earlier
    sla_days: int | None = None
    overdue: bool = False  # open and past `due` at the assessment time
    vendor_due: datetime | None = None  # base-image findings: first_detected plus the vendor's SLA
    closed_at: datetime | None = None  # state closed: the assessment that no longer found it
    deviation: Deviation | None = None  # the deviation request that applies (not expired, not withdrawn)
    deviation_flags: tuple[str, ...] = ()
    # Each move of `due` away from the profile's date for the original rating: an approved risk adjustment, the KEV
    # due date, an approved operational requirement's expiry; in the order they apply.
    due_changes: tuple[DueChange, ...] = ()
    disagreements: tuple[str, ...] = ()  # where the scanners differ: found by one only, different severities
    cvss_problems: tuple[str, ...] = ()  # the scanners' CVSS entries dropped as out of range or unparsable


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogInfo:
    id: str
    title: str
    version: str
    source: str  # file name of the catalog YAML
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolInfo:
    name: str
    version: str


RUBRIC_CATALOG = "base-image-rubric"  # its controls are graded criteria, not findings against SP 800-53
DISA_CATALOG = "disa-container"  # assessed, the package also holds the DoD exports (eMASS POA&M, CKLB checklist)


@dataclass(frozen=True, slots=True, kw_only=True)
class RubricScore:
    """One criterion of the secure base-image rubric: 0 to 4 points, and why."""

    criterion: str  # the rubric catalog's control title, e.g. "Minimization"
    score: int  # 0..4
    reason: str
    evidence: tuple[EvidenceRef, ...] = ()
    gate_failed: bool = False  # a hard gate failed: the grade is F whatever the total


class SummaryTopic(StrEnum):
    """A headline of the summary: each is the outcome of one check (`SUMMARY_CHECKS` in `evaluate.summary`)."""

    SIGNATURE = "signature"
    PROVENANCE = "provenance"
    SBOM = "sbom"


@dataclass(frozen=True, slots=True, kw_only=True)
class SummaryVerdict:
    """One line of every summary (report, workbook, OSCAL): a check's outcome, decided once in evaluation."""

    topic: SummaryTopic
    check: str  # the check whose outcome this is, e.g. "signature.verified": controls that run it agree
    status: Status
    outcome: str  # the words every renderer shows: "Verified", "Failed", "Not verified", "Missing", ...
    reason: str
    evidence: tuple[EvidenceRef, ...] = ()


class RequirementStatus(StrEnum):
    """How far this assessment's catalog controls meet one NIST SP 800-53 control they map to."""

    SATISFIED = "satisfied"  # every catalog control mapped to it is satisfied, in full scope
    PARTIAL = "partial"  # every one is satisfied, some only for the part image evidence shows
    NOT_SATISFIED = "not-satisfied"  # at least one is not satisfied
    UNDECIDED = "undecided"  # otherwise: evidence missing or manual review, for at least one


@dataclass(frozen=True, slots=True, kw_only=True)
class RequirementVerdict:
    """The assessment's verdict on one SP 800-53 control, from the catalog controls mapped to it."""

    requirement: str  # as the catalogs write it: "SI-7(15)"
    status: RequirementStatus
    controls: tuple[str, ...] = ()  # "<catalog>:<control id>" of each applicable catalog control mapped to it


class CountGroup(StrEnum):
    """A group of vulnerability records counted by severity in the summaries."""

    OPEN = "open"
    OPEN_FIXABLE = "open-fixable"  # open, with a fixed version known
    OPEN_OVERDUE = "open-overdue"  # open and past its remediation deadline
    OPEN_KEV = "open-kev"  # open and in CISA's KEV catalog
    SUPPRESSED = "suppressed"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True, kw_only=True)
class SeverityCounts:
    group: CountGroup
    counts: dict[Severity, int] = field(default_factory=dict)  # every severity, highest first
    total: int = 0


class AgeBucket(StrEnum):
    """How long an open finding has been known at the assessment time: days since its first detection."""

    UP_TO_30 = "0-30"
    UP_TO_90 = "31-90"
    UP_TO_180 = "91-180"
    OVER_180 = "over-180"
    UNKNOWN = "unknown"  # no first detection date


@dataclass(frozen=True, slots=True, kw_only=True)
class AgeCounts:
    """Open vulnerability records of one age, counted by severity."""

    age: AgeBucket
    counts: dict[Severity, int] = field(default_factory=dict)  # every severity, highest first
    total: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlCounts:
    catalog: str
    counts: dict[Status, int] = field(default_factory=dict)  # every status, in `Status` order
    total: int = 0
    partial: int = 0  # of the satisfied controls, those satisfied only for the part image evidence shows


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """What every summary shows, decided and counted once in evaluation; renderers only look it up."""

    verdicts: tuple[SummaryVerdict, ...] = ()  # one per `SummaryTopic`, in its order
    controls: tuple[ControlCounts, ...] = ()  # one per catalog, in the package's catalog order
    vulnerabilities: tuple[SeverityCounts, ...] = ()  # one per `CountGroup`, in its order
    evidence_files: int = 0
    skipped_files: int = 0
    mismatched_evidence: tuple[str, ...] = ()  # ids of evidence that names other images only: used for nothing
    poam_open: int = 0
    poam_closed: int = 0
    requirements: tuple[RequirementVerdict, ...] = ()  # per SP 800-53 control, in first-mapped order
    rubric_points: int = 0  # the base-image rubric's total, of rubric_max_points; both 0 without the rubric
    rubric_max_points: int = 0
    rubric_gate_failed: bool = False
    open_by_age: tuple[AgeCounts, ...] = ()  # one per `AgeBucket`, in its order
    not_assessed: dict[Layer, int] = field(default_factory=dict)  # not-assessed controls by responsible layer

    def verdict(self, topic: SummaryTopic) -> SummaryVerdict | None:
        return next((v for v in self.verdicts if v.topic is topic), None)

    def vulnerability_counts(self, group: CountGroup) -> SeverityCounts:
        return next((c for c in self.vulnerabilities if c.group is group), SeverityCounts(group=group))


class PoamStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class RiskStatus(StrEnum):
    """The OSCAL risk status of a POA&M item."""

    OPEN = "open"
    INVESTIGATING = "investigating"  # a VEX under_investigation applies
    DEVIATION_REQUESTED = "deviation-requested"
    DEVIATION_APPROVED = "deviation-approved"
    CLOSED = "closed"


class DeviationAnswer(StrEnum):
    """FedRAMP's answer in a POA&M deviation column."""

    YES = "Yes"
    NO = "No"
    PENDING = "Pending"


@dataclass(frozen=True, slots=True, kw_only=True)
class PoamItem:
    """One POA&M item: every record of one vulnerability id, decided once in evaluation (`evaluate.poam`)."""

    poam_id: str  # "V-<vulnerability id>": stable across releases of the image
    vulnerability: str
    ids: tuple[str, ...] = ()  # the id and every alias, sorted
    status: PoamStatus
    risk_status: RiskStatus
    title: str
    packages: tuple[str, ...] = ()  # "<package> <installed version>" of the records it covers
    scanners: tuple[str, ...] = ()
    fixed_versions: tuple[str, ...] = ()
    severity: Severity  # the original risk rating
    adjusted_severity: Severity | None = None  # an approved risk adjustment's
    scanner_severity: Severity | None = None  # the highest any scanner gave, shown beside the rating
    rating_source: RatingSource = RatingSource.SCANNER  # of the record the item's rating comes from
    rating_cvss: Cvss | None = None
    rating_computed: bool = False
    first_detected: datetime | None = None
    detection_source: DetectionSource | None = None  # of the record whose detection is the item's
    due: datetime | None = None  # the scheduled completion date, kept once closed: a late closure shows
    overdue: bool = False
    kev: bool = False
    kev_due: date | None = None
    status_date: datetime  # when the item last changed: the assessment time while open
    deviation: Deviation | None = None
    risk_adjustment: DeviationAnswer = DeviationAnswer.NO
    false_positive: DeviationAnswer = DeviationAnswer.NO
    operational_requirement: DeviationAnswer = DeviationAnswer.NO
    vendor_dependency: DeviationAnswer = DeviationAnswer.NO
    vendor_product: str | None = None  # the POA&M "Vendor Dependent Product Name", with a vendor dependency
    milestone_changes: tuple[DueChange, ...] = ()  # the open records' `due_changes`: the POA&M "Milestone Changes"
    remediation_plan: str
    flags: tuple[str, ...] = ()
    disagreements: tuple[str, ...] = ()
    records: tuple[int, ...] = ()  # positions in `AuditPackage.vulnerabilities`: the open records while open
    source: WeaknessSource = WeaknessSource.SCAN
    controls: tuple[str, ...] = ("RA-5", "SI-2")  # the SP 800-53 controls the weakness is against
    control: str | None = None  # source control: "<catalog>:<control id>" of the control not satisfied

    @property
    def is_open(self) -> bool:
        return self.status is PoamStatus.OPEN

    @property
    def closed_late(self) -> bool:
        """Closed after its scheduled completion date."""
        return not self.is_open and self.due is not None and self.status_date > self.due

    @property
    def cves(self) -> tuple[str, ...]:
        return tuple(i for i in self.ids if i.upper().startswith("CVE-"))


class ImpactLevel(StrEnum):
    """The system's FIPS 199 security categorization, which sets its FedRAMP baseline."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


@dataclass(frozen=True, slots=True, kw_only=True)
class Party:
    """A person or an organization the package names: the assessor, the system's point of contact."""

    name: str
    email: str | None = None
    organization: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemInfo:
    """The information system the image serves, as the user names it (`--system-name` and friends)."""

    name: str
    id: str | None = None  # the FedRAMP package id or the agency's system id
    impact: ImpactLevel | None = None
    csp: str | None = None  # the cloud service provider, or the organization that runs the system


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustAnchors:
    """What the user named, outside the evidence, to trust signers by: evaluation reads it to say when a missing
    anchor is why a signature does not count. Keys found among the inputs are never anchors."""

    key_ids: tuple[str, ...] = ()  # keys named with --key or in the identity policy
    policy: bool = False  # an identity policy was given (its keys and keyless identities)
    vex_authors: tuple[str, ...] = ()  # VEX authors the identity policy trusts (`vex_authors`), matched exactly

    @property
    def given(self) -> bool:
        return bool(self.key_ids) or self.policy


@dataclass(frozen=True, slots=True, kw_only=True)
class AssessmentContext:
    """Who assessed what, for the report's and OSCAL's front matter: given by the user, never read from evidence.
    Nothing here decides a verdict."""

    system: SystemInfo | None = None
    assessor: Party | None = None
    point_of_contact: Party | None = None  # of the POA&M items
    ssp_href: str | None = None  # the system security plan the POA&M imports
    ap_href: str | None = None  # the assessment plan the assessment results import
    trust_anchors: TrustAnchors = field(default_factory=TrustAnchors)  # what signers were trusted by


class LifecycleInputKind(StrEnum):
    KEV = "kev"  # CISA's Known Exploited Vulnerabilities catalog (--kev)
    EPSS = "epss"  # FIRST's EPSS scores (--epss)
    DEVIATIONS = "deviations"  # the deviation requests (--deviations)


@dataclass(frozen=True, slots=True, kw_only=True)
class LifecycleInput:
    """A file beside the evidence that decided deadlines and POA&M columns, copied into the package."""

    kind: LifecycleInputKind
    path: str  # as given on the command line
    sha256: str
    size: int
    stored_as: str  # the copy inside the package: "lifecycle/kev.json", "lifecycle/epss.csv", ...
    version: str | None = None  # the KEV catalogVersion; the EPSS model version
    released: str | None = None  # the KEV dateReleased; the EPSS score date, as the file gives it


AUDIT_SCHEMA_VERSION = "1.3"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditPackage:
    """The complete result of one assessment; `audit.json` is this, serialized."""

    schema_version: str = AUDIT_SCHEMA_VERSION
    tool: ToolInfo
    subject: ImageRef
    profile: str
    assessed_at: datetime
    catalogs: tuple[CatalogInfo, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    controls: tuple[ControlResult, ...] = ()
    vulnerabilities: tuple[VulnerabilityRecord, ...] = ()
    rubric: tuple[RubricScore, ...] = ()  # the base-image rubric, when the profile includes it
    rubric_grade: str | None = None  # A, B, C, D or F
    summary: Summary | None = None  # None only in a package built by hand; a 1.0 package gets it at load
    poam: tuple[PoamItem, ...] = ()
    changes: PackageDiff | None = None  # what changed since the previous package (--previous)
    context: AssessmentContext = field(default_factory=AssessmentContext)
    lifecycle_inputs: tuple[LifecycleInput, ...] = ()  # the KEV, EPSS and deviations files used
    # sha256 -> the bytes of each evidence and lifecycle file, kept for the package's copies of them. Not part
    # of audit.json: a package read back from one has none.
    contents: Mapping[str, bytes] = field(default_factory=dict, repr=False, compare=False)


# --- the records of a diff between two audit packages (see docs/diff-json.md) -----------------------------------
#
# `diff.json` is a `PackageDiff` serialized, and `AuditPackage.changes` holds one. Severities, states, statuses,
# kinds and topics are the package's enums; diff.json shows their values (`"critical"`, `"not-satisfied"`).

DIFF_SCHEMA_VERSION = "1.2"


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
    severity: Severity
    state: VulnerabilityState  # open or suppressed: closed records are not compared
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
class DiffComponent:
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
    added: tuple[DiffComponent, ...] = ()
    removed: tuple[DiffComponent, ...] = ()
    changed: tuple[ComponentChange, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Control:
    catalog: str
    control_id: str
    title: str
    status: Status


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlChange:
    """A control whose status, or whose scope of a satisfied verdict, differs between the packages."""

    catalog: str
    control_id: str
    title: str
    old_status: Status
    new_status: Status
    change: StatusChange
    old_scope: Scope = Scope.FULL
    new_scope: Scope = Scope.FULL

    @property
    def old_label(self) -> str:
        return verdict_label(self.old_status, self.old_scope)

    @property
    def new_label(self) -> str:
        return verdict_label(self.new_status, self.new_scope)


def verdict_label(status: Status, scope: Scope) -> str:
    """A status as plain text, a satisfied one of partial scope marked as such."""
    return f"{status} (partial scope)" if status is Status.SATISFIED and scope is not Scope.FULL else str(status)


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlDiff:
    added: tuple[Control, ...] = ()
    removed: tuple[Control, ...] = ()
    changed: tuple[ControlChange, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Signer:
    """Who signed, as a verified signature shows it: a key, or a keyless identity and its issuer. A signature that
    verifies only with a key found in the evidence names its signer too, marked so (the key is not trusted); the
    mark is not part of who signed, so trusting a key does not count as a change of signer."""

    key_id: str | None = None
    identity: str | None = None
    issuer: str | None = None
    key_from_evidence: bool = field(default=False, compare=False)

    @property
    def trust_note(self) -> str:
        """What a listing of the signer adds when its key is not trusted."""
        return " (key found in the evidence, not a trust anchor)" if self.key_from_evidence else ""


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
    kind: EvidenceKind
    key: str  # the path inside its input directory: how files of two releases are matched
    path: str
    sha256: str
    format: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceChange:
    kind: EvidenceKind
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
    missing_kinds: tuple[EvidenceKind, ...] = ()  # kinds of evidence the old package had and the new one lacks
    new_kinds: tuple[EvidenceKind, ...] = ()


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

    topic: SummaryTopic
    old_status: Status
    new_status: Status
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
    status: PoamStatus
    risk_status: RiskStatus
    severity: Severity
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
class SeverityCount:
    severity: Severity
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DiffSummary:
    """The counts every rendering of a diff shows, decided once by `compare` and recorded with the diff."""

    new: int
    new_by_severity: tuple[SeverityCount, ...] = ()  # highest severity first, counts above zero only
    new_image_changed: int
    new_newly_disclosed: int
    new_kev: int  # open and in KEV, and not before: new ones, and ones newly listed (`--fail-on new-kev`)
    fixed: int
    still_open: int
    oldest_open_days: int | None = None
    severity_changes: int
    suppressions_gained: int  # open before, suppressed now (VEX or deviation)
    suppressions_lost: int
    upgraded: int
    downgraded: int
    versions_changed: int
    regressions: int
    improvements: int
    status_changes: int  # neither regression nor improvement
    poam_opened: int
    poam_closed: int
    poam_changed: int


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
    # None only in a diff built by hand; one read from a package written without it gets it at load
    summary: DiffSummary | None = None

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
