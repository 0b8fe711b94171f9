"""OSCAL Assessment Results (1.2.3, or 1.1.2 on request): the package as a machine-readable assessment for GRC tools.

Mapping, in short (the README of the package explains it for auditors):

- Metadata: the `published` and `last-modified` time is the assessment time; the roles `prepared-by` (the
  assessor's organization, else the assessor), `prepared-for` and `cloud-service-provider` (`--csp`) and `assessor`
  (`--assessor`) with their parties and responsible parties, only for whom the user named (`front_matter`); the
  system (`--system-name`, `--system-id`, `--impact`) as props.
- `import-ap` is the assessment plan named with `--ap`; without it, a back-matter resource that describes the
  implicit plan (OSCAL requires an `import-ap`, and `#uuid` of a back-matter resource is its way to say "here").
- One result. The assessed controls are the satisfied, not-satisfied, evidence-missing and manual ones:
  `reviewed-controls` selects the NIST SP 800-53 controls they map to (`SI-7(15)` becomes `si-7.15`), and by its
  catalog id any that maps to none; a prop per catalog control keeps the catalog's own ids.
- One observation per evidence file (method TEST), linked to a back-matter resource that names the
  file and its SHA-256 and links to its copy in the package (`../evidence/...`); `expires` is when the
  profile's maximum age for its kind runs out. An evidence file no verdict used is of type `discovery` (`finding`
  in OSCAL 1.1, which has no `discovery`). Manual controls get an observation with method EXAMINE that says what a
  person must check.
- One finding per assessed control. The target is an `objective-id` built from the catalog and control id; it
  resolves to a local objective in `local-definitions/objectives-and-methods` when the control maps to an 800-53
  control. Evidence-missing is `not-satisfied` with reason `other` and the prop `fromline-status`; so is manual
  (not shown satisfied until a person examines it), its finding related to the observation of what to check.
- A control satisfied only for the part image evidence shows (scope partial) is a finding with state
  `not-satisfied`, reason `other` and implementation status `partial`, and its remarks name the part not shown:
  it never rolls up to "satisfied" for the SP 800-53 controls it maps to. The prop `fromline-status` keeps
  `satisfied`, and `scope` says `partial`.
- DISA identifiers of a control are props on its finding, observation and objective: `cci` in DISA's CCI
  namespace (`http://cyber.mil/cci`), and `disa-vuln-id`, `disa-category` (CAT I, II, III) and `disa-ia-control`
  in the Fromline namespace.
- Not-assessed controls (outside what an image can show) and not-applicable ones were not assessed: they get no
  finding and are not among the reviewed controls; they are props and remarks on the result, a not-assessed one
  with the layer responsible for it.
- The base-image rubric is not a control framework: each criterion is an observation with the props
  `rubric-criterion` and `rubric-score`, never a finding or a reviewed 800-53 control; the grade is a
  result prop `rubric-grade`.
- One risk per vulnerability record: `open` when open, `closed` with the VEX statement quoted when
  suppressed.

Every id is a UUID v5 of names made from the inputs, so the same package gives the same bytes.
Strings from the inputs are data: titles are collapsed to one line, Markdown and HTML
metacharacters in markup fields are escaped, and prop values are trimmed to OSCAL's string type.
The document is built once as JSON-ready data (OSCAL keys, no null, no empty array) and serialized as it is, keys
sorted; the tests validate every document they write against NIST's JSON schema of its OSCAL version.
"""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, BinaryIO
from urllib.parse import quote

import orjson

from evidence.cycles import no_cycle_collection
from evidence.errors import RenderError
from evidence.lifecycle.poam import item_rating_basis, record_rating_basis
from evidence.model import (
    RUBRIC_CATALOG,
    AssessmentContext,
    AuditPackage,
    Binding,
    ControlResult,
    CountGroup,
    Evidence,
    EvidenceKind,
    EvidenceRef,
    ImageRef,
    Party,
    PoamItem,
    RubricScore,
    Status,
    Summary,
    VulnerabilityRecord,
    VulnerabilityState,
)
from evidence.oscal_versions import DEFAULT_OSCAL_VERSION, OSCAL_VERSIONS, discovery_type
from evidence.render._recorded import recorded_summary

__all__ = [
    "DISA_CCI_NS",
    "FROMLINE_NS",
    "OSCAL_VERSION",
    "UUID_NAMESPACE",
    "OscalAssessmentResults",
    "assessment_results_document",
    "name_uuid",
    "object_uuid",
    "uuid_scope",
]

OSCAL_VERSION = DEFAULT_OSCAL_VERSION
FROMLINE_NS = "https://fromline.dev/ns/oscal"
# DISA's system URI for Control Correlation Identifiers, as XCCDF `ident` elements of STIGs and SRGs name it.
DISA_CCI_NS = "http://cyber.mil/cci"
UUID_NAMESPACE = uuid.UUID("babce88d-6c18-5361-99a4-0dead95a7976")  # uuid5(NAMESPACE_URL, FROMLINE_NS)

Json = dict[str, Any]

_FILE = "oscal/assessment-results.json"
_COUNTED = (CountGroup.OPEN, CountGroup.OPEN_OVERDUE, CountGroup.OPEN_KEV, CountGroup.SUPPRESSED)
# The controls this assessment assessed: each gets a finding and is among the reviewed controls. A manual one is
# assessed by a person, and its finding says so; a not-assessed one (outside the image's reach) and a not-applicable
# one were not assessed at all.
_FINDING_STATUSES = (Status.SATISFIED, Status.NOT_SATISFIED, Status.EVIDENCE_MISSING, Status.MANUAL)
_MD_ESCAPED = str.maketrans({c: "\\" + c for c in "\\`*_[]<>&|~!#"})  # Markdown and HTML metacharacters
_TOKEN_BAD = re.compile(r"[^A-Za-z0-9._-]")
_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")
_ENHANCEMENT = re.compile(r"\(\s*([A-Za-z0-9]+)\s*\)")
# What a URI reference may hold as it is (RFC 3986 reserved and unreserved characters, and `%` of an escape).
_URI_SAFE = ":/?#[]@!$&'()*+,;=-._~%"


class OscalAssessmentResults:
    """Renders `oscal/assessment-results.json`."""

    filename = _FILE

    def __init__(self, oscal_version: str = OSCAL_VERSION) -> None:
        self.oscal_version = checked_version(oscal_version, _FILE)

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(render_bytes(pkg, self.oscal_version))


def render_bytes(pkg: AuditPackage, oscal_version: str = OSCAL_VERSION) -> bytes:
    return document_bytes(_Builder(pkg, oscal_version).document, _FILE)


def assessment_results_document(pkg: AuditPackage, oscal_version: str = OSCAL_VERSION) -> Json:
    """The image's document as data, for a boundary's system document to merge."""
    return _Builder(pkg, oscal_version).document()


def checked_version(oscal_version: str, filename: str) -> str:
    if oscal_version not in OSCAL_VERSIONS:
        raise RenderError(f"{filename}: OSCAL version {oscal_version} is not one of {', '.join(OSCAL_VERSIONS)}")
    return oscal_version


def image_component(subject: ImageRef, component_uuid: str, *extra_props: Json | None) -> Json:
    """The assessed image as an OSCAL system component."""
    return {
        "uuid": component_uuid,
        "type": "software",
        "title": title(md(f"Container image {subject.name}"), "Container image"),
        "description": f"The container image under assessment: {md(subject.reference)}.",
        "props": props(
            prop("image-reference", subject.reference),
            prop("image-name", subject.name),
            prop("image-digest", subject.digest),
            prop("image-release", subject.release),
            *extra_props,
        ),
        "status": {"state": "other", "remarks": "A container image assessed before or after release."},
    }


def document_bytes(build: Callable[[], Json], filename: str) -> bytes:
    """The bytes of the OSCAL document `build()` makes (with the cycle collector paused: see `evidence.cycles`),
    keys sorted, two-space indent, final newline."""
    with no_cycle_collection():
        data = build()
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError as e:
        raise RenderError(f"{filename}: cannot serialize the OSCAL document: {e}") from e


# --- text hygiene -------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Replace what JSON cannot carry (lone surrogates) and drop NUL."""
    if not text.isascii():  # ASCII holds no surrogate: most text skips the round trip through UTF-8
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "")


# The text helpers are cached: a document asks them of the same package names, ids and times thousands of times.
@functools.lru_cache(maxsize=1 << 14)
def one_line(text: str) -> str:
    # Printable text holds no line break, tab, NUL or lone surrogate: only its spaces can need folding.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(_clean(text).split())


@functools.lru_cache(maxsize=1 << 14)
def md(text: str) -> str:
    """Input text inside a markup field: one line, with Markdown and HTML metacharacters escaped."""
    return one_line(text).translate(_MD_ESCAPED)


_NAMESPACE_BYTES = UUID_NAMESPACE.bytes
_SCOPE: ContextVar[str] = ContextVar("fromline_oscal_uuid_scope", default="")


@contextmanager
def uuid_scope(scope: str) -> Iterator[None]:
    """Within it, the documents built name their own objects' UUIDs under `scope` (`boundary/<image folder>/`): an
    image's documents inside a boundary's, whose UUIDs must be unique across the system. The UUIDs of parties and
    assessment tools, which the system's documents list once, are not scoped."""
    token = _SCOPE.set(scope)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def object_uuid(name: str) -> str:
    """The UUID of an object of this document, named `name`: within `uuid_scope`, under its scope."""
    return name_uuid(_SCOPE.get() + name)


def name_uuid(name: str) -> str:
    """`uuid.uuid5(UUID_NAMESPACE, name)` as text, computed directly: documents name thousands of objects so."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode()).digest()[:16])  # noqa: S324 - RFC 4122 v5
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def title(text: str, fallback: str) -> str:
    """A markup-line value: never empty, never more than one line."""
    return text if text.strip() else fallback


def token(text: str) -> str:
    """An OSCAL token (NCName) made from arbitrary text."""
    token = _TOKEN_BAD.sub("_", one_line(text))
    if not token or not (token[0].isascii() and (token[0].isalpha() or token[0] == "_")):
        token = "_" + token
    return token


def control_risk_words(item: PoamItem) -> Json:
    """The title, description and statement of the risk a control not satisfied is, in both OSCAL documents."""
    return {
        "title": title(md(f"{item.vulnerability}: {item.title}"), "Control not satisfied"),
        "description": md(item.title) or "A control not satisfied.",
        "statement": f"The assessment found {md(item.vulnerability)} not satisfied (original risk rating "
        f"{item.severity.value}, from {md(item_rating_basis(item))}).",
    }


@functools.lru_cache(maxsize=1 << 12)
def nist_control_id(control: str) -> str | None:
    """`SI-7(15)` -> `si-7.15`, `RA-5` -> `ra-5`; None when the text is not a usable control id."""
    text = _ENHANCEMENT.sub(r".\1", one_line(control)).lower().replace(" ", "")
    return text if _TOKEN.match(text) else None


def href(path: str) -> str:
    """A relative path as a URI reference: percent-encoded, never read as a scheme or an authority."""
    href = quote(_clean(path), safe="/")
    if href.startswith("//"):
        href = "." + href
    return href or "."


@functools.lru_cache(maxsize=1 << 12)
def timestamp(value: datetime) -> str:
    """UTC with a `Z`; a naive time is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


def in_schema_range(value: datetime) -> bool:
    """OSCAL's date-time pattern only admits the years 1900 to 2999."""
    return 1900 <= value.astimezone(UTC).year <= 2999 if value.tzinfo else 1900 <= value.year <= 2999


def prop(
    name: str, value: object, *, remarks: str | None = None, group: str | None = None, ns: str = FROMLINE_NS
) -> Json | None:
    """A prop in the Fromline namespace (or `ns`), or None when the value is empty."""
    text = one_line(str(value)) if value is not None else ""
    if not text:
        return None
    prop: Json = {"name": name, "ns": ns, "value": text}
    if remarks:
        prop["remarks"] = remarks
    if group:
        prop["group"] = group
    return prop


def props(*items: Json | None) -> list[Json] | None:
    kept = [p for p in items if p is not None]
    return kept or None


def compact(obj: Json) -> Json:
    """Drop None and empty lists: OSCAL forbids null and requires at least one item in every array."""
    return {k: v for k, v in obj.items() if v is not None and (v.__class__ is not list or v)}


# --- front matter: who prepared the document, for whom ----------------------------------------------------

ROLE_TITLES = {
    "prepared-by": "Prepared by",
    "prepared-for": "Prepared for",
    "assessor": "Assessor",
    "cloud-service-provider": "Cloud service provider",
    "point-of-contact": "POA&M point of contact",
}


def uri_reference(text: str) -> str:
    """A user-given href (`--ssp`, `--ap`) as a URI reference: what a URI cannot hold percent-encoded."""
    return quote(_clean(text.strip()), safe=_URI_SAFE) or "."


def _party_uuid(kind: str, *names: str) -> str:
    """The same person or organization has the same UUID in every document."""
    return name_uuid("/".join(("party", kind, *names)))


def _organization(name: str | None) -> Json | None:
    text = one_line(name or "")
    return {"uuid": _party_uuid("organization", text), "type": "organization", "name": text} if text else None


def email_address(text: str) -> str:
    """An address with its domain in lower case (a domain is case-insensitive), as mail tools normalize it."""
    local, at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}" if at else text


def _person(party: Party | None) -> list[Json]:
    """A person, and the organization they are a member of when one is named: both are parties."""
    name = one_line(party.name) if party else ""
    if not party or not name:
        return []
    email = one_line(party.email or "")
    organization = _organization(party.organization)
    person = compact(
        {
            "uuid": _party_uuid("person", name, email),
            "type": "person",
            "name": name,
            "email-addresses": [email_address(email)] if email else None,
            "member-of-organizations": [organization["uuid"]] if organization else None,
        }
    )
    return [person, organization] if organization else [person]


def front_matter(context: AssessmentContext, roles: tuple[str, ...]) -> Json:
    """The metadata's `roles`, `parties` and `responsible-parties` for these roles (keys of `ROLE_TITLES`), from
    what the user stated (`--assessor`, `--assessor-org`, `--csp`, `--poc`): only the roles someone was named for,
    never a party made up. The assessor's organization prepared the document when named, else the assessor."""
    assessor = _person(context.assessor)
    csp = [o for o in (_organization(context.system.csp if context.system else None),) if o]
    holders = {
        "prepared-by": assessor[::-1],  # the organization first when there is one
        "prepared-for": csp,
        "assessor": assessor,
        "cloud-service-provider": csp,
        "point-of-contact": _person(context.point_of_contact),
    }
    parties: dict[str, Json] = {}
    responsible: list[Json] = []
    for role in roles:
        named = holders[role]
        if not named:
            continue
        for party in named:
            parties.setdefault(party["uuid"], party)
        responsible.append({"role-id": role, "party-uuids": [named[0]["uuid"]]})
    return compact(
        {
            "roles": [{"id": r["role-id"], "title": ROLE_TITLES[r["role-id"]]} for r in responsible],
            "parties": list(parties.values()),
            "responsible-parties": responsible,
        }
    )


def system_props(context: AssessmentContext) -> list[Json | None]:
    """The system the image serves, as the user named it, for a document's metadata."""
    system = context.system
    if system is None:
        return []
    return [
        prop("system-name", system.name),
        prop("system-id", system.id),
        prop("impact-level", system.impact.value if system.impact else None),
        prop("cloud-service-provider", system.csp),
    ]


# --- the document -------------------------------------------------------------------------------


class Ids:
    """UUID v5 from names; a repeated name (duplicate inputs) still gets a distinct id."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._last: dict[str, int] = {}  # the suffix a name last got, so that its next repeat starts there

    def __call__(self, name: str) -> str:
        n = self._last.get(name, 1)
        candidate = name if n == 1 else f"{name}#{n}"
        while candidate in self._seen:
            n += 1
            candidate = f"{name}#{n}"
        self._seen.add(candidate)
        self._last[name] = n
        return object_uuid(candidate)


_AR_ROLES = ("prepared-by", "prepared-for", "assessor", "cloud-service-provider")


class _Builder:
    def __init__(self, pkg: AuditPackage, oscal_version: str = OSCAL_VERSION) -> None:
        self.pkg = pkg
        self.oscal_version = oscal_version
        self.ids = Ids()
        self.digest = one_line(pkg.subject.digest)
        if not in_schema_range(pkg.assessed_at):
            raise RenderError(f"{_FILE}: assessed_at {pkg.assessed_at} is outside the years OSCAL accepts")
        self.assessed_at = timestamp(pkg.assessed_at)
        scope = f"{self.digest}@{self.assessed_at}"
        self.document_uuid = self.ids(f"{scope}/assessment-results")
        self.result_uuid = self.ids(f"{scope}/result")
        self.plan_uuid = self.ids(f"{scope}/resource/assessment-plan")
        tool = f"tool/{pkg.tool.name}/{pkg.tool.version}"
        self.tool_uuid = self.ids(tool)
        self.platform_uuid = self.ids(f"{tool}/platform")
        self.image_uuid = self.ids(f"{self.digest}/component/image")
        self.resource_uuid: dict[str, str] = {}
        self.observation_uuid: dict[str, str] = {}
        for ev in pkg.evidence:
            if ev.id not in self.observation_uuid:
                self.resource_uuid[ev.id] = self.ids(f"{self.digest}/resource/{ev.id}")
                self.observation_uuid[ev.id] = self.ids(f"{self.digest}/observation/{ev.id}")
        self.evidence_by_id = {ev.id: ev for ev in reversed(pkg.evidence)}
        self.catalog_titles = {c.id: c.title for c in pkg.catalogs}
        # The rubric's criteria are graded, not assessed against SP 800-53: observations only, no findings.
        self.assessed = tuple(c for c in pkg.controls if c.catalog != RUBRIC_CATALOG)
        self.decided = {r.evidence_id for c in pkg.controls for r in self.control_refs(c)}
        self.manual_uuid = {
            id(c): self.ids(f"{self.digest}/observation/manual/{c.catalog}/{c.control_id}")
            for c in self.assessed
            if c.status is Status.MANUAL
        }
        self.risk_uuid: dict[int, str] = {
            i: self.ids(f"{self.digest}/risk/{v.id}/{v.package}/{v.installed_version or ''}/{v.purl or ''}")
            for i, v in enumerate(pkg.vulnerabilities)
        }
        # A control not satisfied is a risk too, tracked by its own POA&M item: its finding links to it.
        self.control_items = {i.control: i for i in pkg.poam if i.control is not None}
        self.control_risk_uuid = {
            key: self.ids(f"{self.digest}/risk/control/{item.poam_id}") for key, item in self.control_items.items()
        }
        # The open vulnerabilities each evidence file reports, in package order: a finding whose control read a scan
        # relates the risks of that scan's open vulnerabilities.
        self.open_by_evidence: dict[str, list[int]] = {}
        for i, v in enumerate(pkg.vulnerabilities):
            if v.state == VulnerabilityState.OPEN:
                for evidence_id in dict.fromkeys(r.evidence_id for r in v.evidence):
                    self.open_by_evidence.setdefault(evidence_id, []).append(i)
        self._origins = [{"actors": [{"type": "tool", "actor-uuid": self.tool_uuid}]}]
        self._image_subject = [
            {"subject-uuid": self.image_uuid, "type": "component", "title": md(pkg.subject.reference)}
        ]

    # -- helpers

    # The same origin and subject serve every observation and risk: built once, serialized where they appear.
    def origins(self) -> list[Json]:
        return self._origins

    def image_subject(self) -> list[Json]:
        return self._image_subject

    def control_label(self, control: ControlResult) -> str:
        catalog = self.catalog_titles.get(control.catalog, control.catalog)
        return title(md(f"{catalog}, {control.control_id}: {control.title}"), "Control")

    def related_observations(self, refs: tuple[EvidenceRef, ...]) -> list[Json] | None:
        uuids = dict.fromkeys(
            self.observation_uuid[r.evidence_id] for r in refs if r.evidence_id in self.observation_uuid
        )
        return [{"observation-uuid": u} for u in uuids] or None

    @staticmethod
    def control_refs(control: ControlResult) -> tuple[EvidenceRef, ...]:
        refs = list(control.evidence)
        for check in control.checks:
            refs.extend(check.evidence)
        return tuple(refs)

    @staticmethod
    def control_props(control: ControlResult, *, verdict: bool = True) -> list[Json | None]:
        return [
            prop("catalog", control.catalog),
            prop("control-id", control.control_id),
            prop("fromline-status", control.status.value) if verdict else None,
            prop("scope", control.scope.value),
            prop("responsible-layer", control.responsible.value if control.responsible else None),
            *(prop("nist-800-53", nist_control_id(c) or c) for c in control.nist_800_53),
            *(prop("cci", c, ns=DISA_CCI_NS) for c in control.cci),
            prop("disa-vuln-id", control.vuln_id),
            prop("disa-category", control.category),
            prop("disa-ia-control", control.ia_control),
        ]

    # -- top level

    def document(self) -> Json:
        pkg = self.pkg
        objectives = [o for o in (self.local_objective(c) for c in self.assessed if c.status in _FINDING_STATUSES) if o]
        local = compact({"objectives-and-methods": objectives})
        release = one_line(pkg.subject.release or "")
        name = one_line(pkg.subject.name) or self.digest
        doc_title = f"Assessment results for {name}" + (f" release {release}" if release else f" at {self.digest}")
        ar = compact(
            {
                "uuid": self.document_uuid,
                "metadata": compact(
                    {
                        "title": title(md(doc_title), "Assessment results"),
                        "published": self.assessed_at,
                        "last-modified": self.assessed_at,
                        "version": release or self.digest or "unversioned",
                        "oscal-version": self.oscal_version,
                        "props": props(
                            prop("generator", pkg.tool.name),
                            prop("generator-version", pkg.tool.version),
                            prop("image-reference", pkg.subject.reference),
                            prop("image-digest", pkg.subject.digest),
                            prop("audit-schema-version", pkg.schema_version),
                            *system_props(pkg.context),
                        ),
                        **front_matter(pkg.context, _AR_ROLES),
                        "remarks": "Generated by "
                        + md(f"{pkg.tool.name} {pkg.tool.version}")
                        + " from container-image security evidence.",
                    }
                ),
                "import-ap": self.import_ap(),
                "local-definitions": local or None,
                "results": [self.result()],
                "back-matter": {"resources": resources} if (resources := self.resources()) else None,
            }
        )
        return {"assessment-results": ar}

    def import_ap(self) -> Json:
        """The assessment plan named with `--ap`; else the implicit plan, a back-matter resource that says so."""
        if self.pkg.context.ap_href:
            return {"href": uri_reference(self.pkg.context.ap_href)}
        return {
            "href": f"#{self.plan_uuid}",
            "remarks": "No separate assessment plan exists: the plan is implicit and described by the "
            "back-matter resource this reference points to.",
        }

    def resources(self) -> list[Json]:
        pkg = self.pkg
        catalogs = ", ".join(md(f"{c.title} ({c.id}, version {c.version})") for c in pkg.catalogs) or "no catalog"
        plan: Json = compact(
            {
                "uuid": self.plan_uuid,
                "title": "Implicit assessment plan",
                "description": (
                    "There is no OSCAL assessment plan for this assessment. The plan is implicit: "
                    + md(f"{pkg.tool.name} {pkg.tool.version}")
                    + f" evaluated the controls of {catalogs} under the profile {md(pkg.profile) or 'default'} "
                    "against the evidence files listed in this back-matter, for the container image "
                    + md(pkg.subject.reference)
                    + "."
                ),
                "props": props(
                    prop("profile", pkg.profile),
                    *(prop("catalog", c.id, group=token(c.id)) for c in pkg.catalogs),
                    *(prop("catalog-version", c.version, group=token(c.id)) for c in pkg.catalogs),
                    *(prop("catalog-source", c.source, group=token(c.id)) for c in pkg.catalogs),
                    *(prop("catalog-sha256", c.sha256, group=token(c.id)) for c in pkg.catalogs),
                ),
            }
        )
        out = [] if pkg.context.ap_href else [plan]
        for ev in pkg.evidence:
            if self.evidence_by_id.get(ev.id) is not ev:
                continue
            digest = one_line(ev.sha256)
            rlink = compact(
                {
                    # The copy inside the package, relative to this file; the input path when none was kept.
                    "href": href(f"../{ev.stored_as}" if ev.stored_as else ev.path),
                    "media-type": "application/json" if ev.path.lower().endswith(".json") else None,
                    "hashes": [{"algorithm": "SHA-256", "value": digest}] if digest else None,
                }
            )
            out.append(
                compact(
                    {
                        "uuid": self.resource_uuid[ev.id],
                        "title": title(md(ev.path), "Evidence file"),
                        "description": f"Evidence file ({md(ev.kind.value)}, {md(ev.format)}), {ev.size} bytes.",
                        "props": self.evidence_props(ev),
                        "rlinks": [rlink],
                    }
                )
            )
        return out

    def result(self) -> Json:
        pkg = self.pkg
        summary = recorded_summary(pkg, _FILE)
        by_status = {s: sum(row.counts.get(s, 0) for row in summary.controls) for s in Status}
        counts = ", ".join(f"{n} {s.value}" for s, n in sorted(by_status.items()) if n) or "no controls"
        open_risks = summary.vulnerability_counts(CountGroup.OPEN).total
        not_applicable = [c for c in pkg.controls if c.status is Status.NOT_APPLICABLE]
        not_assessed = [c for c in self.assessed if c.status is Status.NOT_ASSESSED]
        remarks = [
            f"- Not assessed (responsible: {c.responsible.value if c.responsible else 'not stated'}): "
            f"{self.control_label(c)}. {md(c.reason)}"
            for c in not_assessed
        ]
        remarks += [f"- Not applicable: {self.control_label(c)}. {md(c.reason)}" for c in not_applicable]
        remarks += [f"- Skipped file {md(s.path)}: {md(s.reason)}" for s in pkg.skipped]
        observations = [self.evidence_observation(ev) for ev in pkg.evidence if self.evidence_by_id.get(ev.id) is ev]
        observations += [self.manual_observation(c) for c in self.assessed if c.status is Status.MANUAL]
        observations += [self.rubric_observation(s) for s in pkg.rubric]
        return compact(
            {
                "uuid": self.result_uuid,
                "title": title(md(f"Assessment of {pkg.subject.reference}"), "Assessment"),
                "description": (
                    f"Automated assessment of the container image {md(pkg.subject.reference)} "
                    f"from {len(pkg.evidence)} evidence files. Controls: {counts}. "
                    f"Open vulnerabilities: {open_risks}."
                ),
                "start": self.assessed_at,
                "props": props(
                    prop("profile", pkg.profile),
                    *(prop("catalog", c.id) for c in pkg.catalogs),
                    prop("rubric-grade", pkg.rubric_grade),
                    *self.summary_props(summary),
                    *(
                        prop(
                            "not-assessed-control",
                            f"{c.catalog} {c.control_id}",
                            remarks=md(f"Responsible layer: {c.responsible.value if c.responsible else 'not stated'}. ")
                            + md(c.reason),
                        )
                        for c in not_assessed
                    ),
                    *(
                        prop("not-applicable-control", f"{c.catalog} {c.control_id}", remarks=md(c.reason) or None)
                        for c in not_applicable
                    ),
                    *(prop("skipped-file", s.path, remarks=md(s.reason) or None) for s in pkg.skipped),
                ),
                "local-definitions": self.local_definitions(),
                "reviewed-controls": self.reviewed_controls(),
                "observations": observations,
                "risks": [
                    *(self.risk(i, v) for i, v in enumerate(pkg.vulnerabilities)),
                    *(self.control_risk(key, item) for key, item in self.control_items.items()),
                ]
                or None,
                "findings": [self.finding(c) for c in self.assessed if c.status in _FINDING_STATUSES],
                "remarks": "\n".join(remarks) or None,
            }
        )

    @staticmethod
    def summary_props(summary: Summary) -> list[Json | None]:
        """The recorded summary verdicts and counts, as evaluation decided them."""
        verdicts = [
            prop(
                f"summary-{v.topic.value}", v.status.value, remarks=md(f"{v.outcome}: {v.reason}"), group=v.topic.value
            )
            for v in summary.verdicts
        ]
        counts = [
            prop(f"vulnerabilities-{c.group.value}", c.total) for c in summary.vulnerabilities if c.group in _COUNTED
        ]
        return [*verdicts, *counts, prop("poam-open-items", summary.poam_open)]

    def local_definitions(self) -> Json:
        pkg = self.pkg
        image = image_component(pkg.subject, self.image_uuid)
        tool = {
            "uuid": self.tool_uuid,
            "type": "software",
            "title": title(md(f"{pkg.tool.name} {pkg.tool.version}"), "Assessment tool"),
            "description": "The tool that read the evidence files and evaluated the controls.",
            "props": props(prop("tool-name", pkg.tool.name), prop("tool-version", pkg.tool.version)),
            "status": {"state": "operational"},
        }
        return {
            "components": [compact(image)],
            "assessment-assets": {
                "components": [compact(tool)],
                "assessment-platforms": [
                    {
                        "uuid": self.platform_uuid,
                        "title": title(md(pkg.tool.name), "Assessment platform"),
                        "uses-components": [{"component-uuid": self.tool_uuid}],
                    }
                ],
            },
        }

    def reviewed_controls(self) -> Json:
        ids: dict[str, None] = {}
        control_props: list[Json | None] = []
        for c in self.assessed:
            if c.status not in _FINDING_STATUSES:
                continue
            mapped = [nist_control_id(n) for n in c.nist_800_53]
            ids.update(dict.fromkeys(m for m in mapped if m))
            control_props.append(
                prop(
                    "catalog-control",
                    f"{c.catalog} {c.control_id}",
                    remarks=(
                        f"{self.control_label(c)}: {c.status.value}; NIST SP 800-53: "
                        + (", ".join(md(n) for n in c.nist_800_53) or "none")
                    ),
                )
            )
        unmapped = [self.target_id(c) for c in self.assessed if c.status in _FINDING_STATUSES and not c.nist_800_53]
        if ids or unmapped:
            selection: Json = {
                "description": "The NIST SP 800-53 Rev. 5 controls that the assessed catalog controls map to"
                + (", and by their catalog ids the assessed catalog controls that map to none." if unmapped else "."),
                "include-controls": [{"control-id": i} for i in (*ids, *unmapped)],
            }
        else:
            selection = {
                "description": "No control was assessed. OSCAL requires a selection: this one selects all the "
                "controls of the assessment plan, of which none was assessed here.",
                "include-all": {},
            }
        selection["props"] = props(*control_props)
        return {
            "description": "Catalog controls evaluated from image evidence, with their NIST SP 800-53 mappings.",
            "control-selections": [compact(selection)],
        }

    def local_objective(self, control: ControlResult) -> Json | None:
        mapped = [m for m in (nist_control_id(n) for n in control.nist_800_53) if m]
        if not mapped:
            return None
        return {
            "control-id": mapped[0],
            "description": f"{self.control_label(control)}, mapped to NIST SP 800-53 "
            + ", ".join(md(n) for n in control.nist_800_53)
            + ".",
            "props": props(*self.control_props(control, verdict=False)),
            "parts": [
                {
                    "id": self.target_id(control),
                    "name": "assessment-objective",
                    "title": self.control_label(control),
                    "prose": f"Determine whether the image meets {self.control_label(control)}.",
                }
            ],
        }

    @staticmethod
    def target_id(control: ControlResult) -> str:
        return token(f"{control.catalog}_{control.control_id}")

    # -- observations

    def evidence_props(self, ev: Evidence) -> list[Json] | None:
        return props(
            prop("evidence-id", ev.id),
            prop("path", ev.path),
            prop("sha256", ev.sha256),
            prop("size", ev.size),
            prop("kind", ev.kind.value),
            prop("format", ev.format),
            prop("format-version", ev.format_version),
            prop("tool", ev.tool),
            prop("tool-version", ev.tool_version),
            prop("binding", ev.binding.value),
            prop("stored-as", ev.stored_as),
            prop("freshness", ("stale" if ev.stale else "current") if ev.expires else None),
            *(prop("subject-digest", s) for s in ev.subjects),
            prop("predicate-type", ev.predicate_type),
        )

    def evidence_observation(self, ev: Evidence) -> Json:
        collected = ev.collected_at if ev.collected_at and in_schema_range(ev.collected_at) else None
        tool = " ".join(t for t in (ev.tool, ev.tool_version) if t)
        return compact(
            {
                "uuid": self.observation_uuid[ev.id],
                "title": title(md(f"Evidence {ev.path}"), "Evidence"),
                "description": _describe(ev),
                "props": self.evidence_props(ev),
                "methods": ["TEST"],
                "types": ["control-objective"] if ev.id in self.decided else [discovery_type(self.oscal_version)],
                "origins": self.origins(),
                "subjects": self.image_subject(),
                "relevant-evidence": [
                    {
                        "href": f"#{self.resource_uuid[ev.id]}",
                        "description": f"{md(ev.path)} (SHA-256 {md(ev.sha256)})"
                        + (f", produced by {md(tool)}" if tool else ""),
                        "props": props(prop("path", ev.path), prop("sha256", ev.sha256)),
                    }
                ],
                "collected": timestamp(collected) if collected else self.assessed_at,
                "expires": timestamp(ev.expires) if ev.expires and in_schema_range(ev.expires) else None,
            }
        )

    def rubric_observation(self, score: RubricScore) -> Json:
        """One criterion of the base-image rubric: its score and why, never a finding against SP 800-53."""
        return compact(
            {
                "uuid": self.ids(f"{self.digest}/observation/rubric/{score.criterion}"),
                "title": title(md(f"Base-image rubric: {score.criterion}"), "Base-image rubric criterion"),
                "description": f"Scored {score.score} of 4. {md(score.reason)}"
                + (" A hard gate failed." if score.gate_failed else ""),
                "props": props(
                    prop("rubric-criterion", score.criterion),
                    prop("rubric-score", score.score),
                    prop("rubric-gate-failed", "true" if score.gate_failed else "false"),
                    prop("rubric-grade", self.pkg.rubric_grade),
                ),
                "methods": ["TEST"],
                "types": ["control-objective"],
                "origins": self.origins(),
                "subjects": self.image_subject(),
                "relevant-evidence": [
                    {
                        "href": f"#{self.resource_uuid[r.evidence_id]}",
                        "description": f"{md(r.path)} (SHA-256 {md(r.sha256)})"
                        + (f" at {md(r.location)}" if r.location else ""),
                    }
                    for r in score.evidence
                    if r.evidence_id in self.resource_uuid
                ]
                or None,
                "collected": self.assessed_at,
            }
        )

    def manual_observation(self, control: ControlResult) -> Json:
        return compact(
            {
                "uuid": self.manual_uuid[id(control)],
                "title": title(f"Manual check: {self.control_label(control)}", "Manual check"),
                "description": (
                    f"Image evidence cannot decide {self.control_label(control)}. A person must check: "
                    f"{md(control.reason) or 'the control as the catalog states it'}."
                ),
                "props": props(*self.control_props(control)),
                "methods": ["EXAMINE"],
                "types": ["control-objective"],
                "subjects": self.image_subject(),
                "collected": self.assessed_at,
                "remarks": "No verdict was recorded: this control awaits a manual assessment.",
            }
        )

    # -- findings and risks

    def finding(self, control: ControlResult) -> Json:
        missing = control.status is Status.EVIDENCE_MISSING
        manual = control.status is Status.MANUAL
        partly = control.partly_satisfied
        state = "satisfied" if control.status is Status.SATISFIED and not partly else "not-satisfied"
        reason = "other" if missing or partly or manual else ("pass" if control.status is Status.SATISFIED else "fail")
        if manual:
            remarks: str | None = (
                "Manual: image evidence cannot decide this control, so it is not shown satisfied until a person "
                "has examined it (see the related observation for what to check)."
            )
        elif missing:
            remarks = "Evidence missing: the evidence needed to decide this control was not supplied."
        elif partly:
            remarks = "Satisfied only for the part image evidence shows, so not satisfied as a whole. Not shown: " + md(
                control.not_shown or "the rest of the control"
            )
        else:
            remarks = None
        checks = [f"- {md(c.check)}: {c.status.value}. {md(c.reason)}" for c in control.checks]
        description = md(control.reason) or control.status.value
        if control.not_shown:
            description += f"\n\nNot shown by image evidence: {md(control.not_shown)}"
        if checks:
            description += "\n\nChecks:\n\n" + "\n".join(checks)
        refs = self.control_refs(control)
        scans = {r.evidence_id for r in refs if self._is_scan(r.evidence_id)}
        related = sorted({i for scan in scans for i in self.open_by_evidence.get(scan, ())})
        risks = [{"risk-uuid": self.risk_uuid[i]} for i in related]
        key = f"{control.catalog}:{control.control_id}"
        if key in self.control_risk_uuid:
            risks.insert(0, {"risk-uuid": self.control_risk_uuid[key]})
        return compact(
            {
                "uuid": self.ids(f"{self.digest}/finding/{control.catalog}/{control.control_id}"),
                "title": self.control_label(control),
                "description": description,
                "props": props(*self.control_props(control)),
                "origins": self.origins(),
                "target": compact(
                    {
                        "type": "objective-id",
                        "target-id": self.target_id(control),
                        "title": self.control_label(control),
                        "props": props(prop("catalog", control.catalog), prop("control-id", control.control_id)),
                        "status": compact({"state": state, "reason": reason, "remarks": remarks}),
                        "implementation-status": {"state": "partial"} if partly else None,
                    }
                ),
                "related-observations": (
                    [{"observation-uuid": self.manual_uuid[id(control)]}] if manual else self.related_observations(refs)
                ),
                "related-risks": risks,
            }
        )

    def _is_scan(self, evidence_id: str) -> bool:
        ev = self.evidence_by_id.get(evidence_id)
        return ev is not None and ev.serves_as(EvidenceKind.VULNERABILITY_SCAN)

    def control_risk(self, key: str, item: PoamItem) -> Json:
        """The risk of a control not satisfied, as its POA&M item records it (id, rating, due date)."""
        due = item.due if item.due and in_schema_range(item.due) else None
        return compact(
            {
                "uuid": self.control_risk_uuid[key],
                **control_risk_words(item),
                "props": props(
                    prop("poam-id", item.poam_id),
                    prop("rating-source", item.rating_source.value),
                    *(prop("sp800-53", c) for c in item.controls),
                ),
                "status": item.risk_status.value,
                "deadline": timestamp(due) if due else None,
            }
        )

    def risk(self, index: int, v: VulnerabilityRecord) -> Json:
        is_open = v.state == VulnerabilityState.OPEN
        package = " ".join(p for p in (v.package, v.installed_version) if p)
        fixed = ", ".join(md(f) for f in v.fixed_versions)
        scanners = ", ".join(md(s) for s in v.scanners) or "the vulnerability scan"
        rating_basis = md(record_rating_basis(v))
        refs = list(v.evidence)
        remarks = None
        if v.suppression is not None:
            refs.append(v.suppression.evidence)
            s = v.suppression.statement
            quoted = [
                f"VEX status {md(s.status)}",
                f"justification {md(s.justification)}" if s.justification else "",
                f"impact statement: {md(s.impact_statement)}" if s.impact_statement else "",
                f"action statement: {md(s.action_statement)}" if s.action_statement else "",
                f"by {md(s.author)}" if s.author else "",
                f"at {timestamp(s.timestamp)}" if s.timestamp else "",
            ]
            where = md(v.suppression.evidence.path) + (
                f" at {md(v.suppression.evidence.location)}" if v.suppression.evidence.location else ""
            )
            remarks = f"Suppressed by the VEX statement in {where}: " + "; ".join(q for q in quoted if q) + "."
        elif not is_open:
            remarks = f"State: {md(v.state)}."
        cvss_props: list[Json | None] = []
        for c in v.cvss:
            group = token(f"cvss-{c.source}-{c.version or ''}")
            cvss_props += [
                prop("cvss-source", c.source, group=group),
                prop("cvss-version", c.version, group=group),
                prop("cvss-score", c.score, group=group),
                prop("cvss-vector", c.vector, group=group),
            ]
        return compact(
            {
                "uuid": self.risk_uuid[index],
                "title": title(md(f"{v.id} in {package}"), "Vulnerability"),
                "description": md(v.title or "") or f"{md(v.id)} reported by {scanners}.",
                "statement": (
                    f"The image contains {md(package)}; {scanners} reported it as affected by {md(v.id)} "
                    f"(original risk rating {v.severity.value}, from {rating_basis}). "
                    + (f"Fixed in: {fixed}." if fixed else "No fixed version is known.")
                ),
                "props": props(
                    prop("vulnerability-id", v.id),
                    *(prop("alias", a) for a in v.aliases),
                    prop("severity", v.severity.value),
                    prop("rating-source", v.rating_source.value, remarks=rating_basis),
                    prop("rating-cvss-score", v.rating_cvss.score if v.rating_cvss else None),
                    prop("rating-cvss-vector", v.rating_cvss.vector if v.rating_cvss else None),
                    *(prop("scanner-severity", sev.value, remarks=md(s) or None) for s, sev in v.severities.items()),
                    prop("package", v.package),
                    prop("version", v.installed_version),
                    prop("purl", v.purl),
                    *(prop("fixed-version", f) for f in v.fixed_versions),
                    *(prop("scanner", s) for s in v.scanners),
                    prop("state", v.state),
                    prop("suppressed-by", v.suppression.evidence.path if v.suppression else None),
                    *cvss_props,
                    *(prop("cvss-problem", problem) for problem in v.cvss_problems),
                ),
                "status": "open" if is_open else "closed",
                "origins": self.origins(),
                "characterizations": [
                    {
                        "origin": self.origins()[0],
                        "facets": [{"name": "severity", "system": FROMLINE_NS, "value": v.severity.value}],
                    }
                ],
                "mitigating-factors": (
                    [
                        {
                            "uuid": self.ids(f"{self.risk_uuid[index]}/mitigating-factor"),
                            "description": remarks,
                            "subjects": self.image_subject(),
                        }
                    ]
                    if remarks
                    else None
                ),
                "related-observations": self.related_observations(tuple(refs)),
            }
        )


def _describe(ev: Evidence) -> str:
    """What the evidence file says, in a sentence or two; input strings escaped."""
    binding = {
        Binding.MATCH: "It names the assessed image digest.",
        Binding.MISMATCH: "It names other image digests only, so it was not used for any verdict.",
        Binding.UNBOUND: "It names no image digest.",
        Binding.ASSERTED: "It names no image digest; the user asserted (--bind) that it describes the assessed "
        "image, so it is used for what it says but never as a digest match.",
    }[ev.binding]
    what = f"{md(ev.format)} file ({ev.kind.value})"
    match ev.kind:
        case EvidenceKind.SBOM:
            detail = f"It lists {len(ev.components)} components." + (
                f" It reports {len(ev.vulnerabilities)} vulnerability findings and is read as a vulnerability scan too."
                if ev.also_scan
                else ""
            )
        case EvidenceKind.VULNERABILITY_SCAN:
            detail = f"It reports {len(ev.vulnerabilities)} vulnerability findings."
        case EvidenceKind.VEX:
            detail = f"It holds {len(ev.statements)} VEX statements."
        case EvidenceKind.SIGNATURE | EvidenceKind.DETACHED_SIGNATURE if ev.signature is not None:
            s = ev.signature
            detail = f"Signature ({md(s.method)}): {s.status.value}. {md(s.reason)}"
        case EvidenceKind.PROVENANCE if ev.provenance is not None:
            p = ev.provenance
            detail = f"Provenance statement of type {md(p.predicate_type)}" + (
                f", built by {md(p.builder_id)}." if p.builder_id else "."
            )
            if ev.signature is not None:
                detail += f" Signature: {ev.signature.status.value}. {md(ev.signature.reason)}"
        case EvidenceKind.DOCKERFILE if ev.dockerfile is not None:
            d = ev.dockerfile
            detail = (
                f"It uses {len(d.base_images)} external base images, {len(d.unpinned_base_images)} of them "
                "not pinned by digest."
            )
        case EvidenceKind.IMAGE_CONFIG if ev.image_config is not None:
            user = ev.image_config.user
            detail = f"The image runs as user {md(user)}." if user else "The image sets no user."
        case EvidenceKind.ATTESTATION:
            detail = (
                f"In-toto attestation of predicate type {md(ev.predicate_type or 'not stated')}; its predicate is not "
                f"read: {md(ev.predicate_not_read or 'not stated')}. "
            ) + (
                f"Signature: {ev.signature.status.value}. {md(ev.signature.reason)}"
                if ev.signature is not None
                else "It came without a signature envelope."
            )
        case _:
            detail = ""
    return " ".join(t for t in (f"{what}.", detail, binding) if t)
