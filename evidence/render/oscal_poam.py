"""OSCAL Plan of Action and Milestones (1.2.3, or 1.1.2 on request): the image's vulnerabilities as POA&M items.

Mapping, in short:

- Metadata as in `oscal.py` (published date; roles, parties and responsible parties for whom the user named), with
  the role `point-of-contact` for `--poc`. `import-ssp` is the system security plan named with `--ssp`; `system-id`
  is the image digest either way. `local-definitions` holds the image as a component and the scanners as tool
  components under `assessment-assets`.
- One observation per vulnerability record (one package version), method TEST, type discovery: its origin is the
  scanners that reported it (the "Weakness Detector Source"), `collected` is the original detection date, and its
  relevant evidence is the scan file (a back-matter resource with its SHA-256). Its type is `discovery`
  (`finding` in OSCAL 1.1).
- One risk and one poam-item per POA&M item evaluation recorded (`AuditPackage.poam`). The risk carries the status
  (open, investigating, deviation-requested, deviation-approved, closed), the scheduled completion date as
  `deadline` and as a milestone of the planned remediation (kept once closed, so a late closure shows), the
  original risk rating as facets (FedRAMP `risk` facet with `state` initial, and adjusted for an approved risk
  adjustment) with props naming what it rests on and the scanners' own severity, and FedRAMP's deviation props
  (`fedramp_deviation_props`: `risk-adjustment`, `false-positive`, `operational-requirement` pending, approved or
  withdrawn, `vendor-dependency` tracking or resolved, in FedRAMP's namespace, each only when there is one).
  The poam-item carries the FedRAMP `POAM-ID` prop and relates the observations and the risk.

The poam-item and risk ids are UUID v5 of the image name and the vulnerability id, so the same vulnerability of the
same image keeps its ids across releases, as OSCAL asks. An observation's id names its record (vulnerability,
package, version), each defined once. Text hygiene and validation follow `oscal.py`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, BinaryIO

from evidence.errors import RenderError
from evidence.lifecycle.poam import asset_identifier, item_rating_basis, item_records, rating
from evidence.model import (
    AuditPackage,
    Deviation,
    DeviationAnswer,
    DeviationStatus,
    DeviationType,
    Evidence,
    PoamItem,
    VulnerabilityRecord,
)
from evidence.render._recorded import recorded_summary
from evidence.render.oscal import (
    FROMLINE_NS,
    OSCAL_VERSION,
    UUID_NAMESPACE,
    Ids,
    checked_version,
    compact,
    front_matter,
    href,
    image_component,
    in_schema_range,
    md,
    one_line,
    prop,
    props,
    system_props,
    timestamp,
    title,
    uri_reference,
    validated_bytes,
)
from evidence.render.oscal_versions import discovery_type

__all__ = ["FEDRAMP_NS", "OscalPoam"]

FEDRAMP_NS = "https://fedramp.gov/ns/oscal"  # FedRAMP extension props
FEDRAMP_FACET_SYSTEM = "http://fedramp.gov/ns/oscal"  # FedRAMP facet system, http as FedRAMP writes it
_FILE = "oscal/poam.json"
_POAM_ROLES = ("prepared-by", "prepared-for", "cloud-service-provider", "point-of-contact")

Json = dict[str, Any]


class OscalPoam:
    """Renders `oscal/poam.json`."""

    filename = _FILE

    def __init__(self, oscal_version: str = OSCAL_VERSION) -> None:
        self.oscal_version = checked_version(oscal_version, _FILE)

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(render_bytes(pkg, self.oscal_version))


def render_bytes(pkg: AuditPackage, oscal_version: str = OSCAL_VERSION) -> bytes:
    return validated_bytes("PlanOfActionAndMilestonesDocument", _Builder(pkg, oscal_version).document(), _FILE)


def fedramp_deviation_props(item: PoamItem) -> list[Json]:
    """FedRAMP's deviation props on a risk (`https://fedramp.gov/ns/oscal`), one for each kind there is something
    to say about: risk adjustment, false positive and operational requirement are `pending` or `approved` (or
    `withdrawn`), as the item's POA&M columns answer; a vendor dependency is `tracking` while the item is open and
    `resolved` once closed."""
    answers = {
        DeviationType.RISK_ADJUSTMENT: item.risk_adjustment,
        DeviationType.FALSE_POSITIVE: item.false_positive,
        DeviationType.OPERATIONAL_REQUIREMENT: item.operational_requirement,
        DeviationType.VENDOR_DEPENDENCY: item.vendor_dependency,
    }
    out = []
    for kind, answer in answers.items():
        request = item.deviation if item.deviation is not None and item.deviation.type == kind else None
        value = _deviation_state(kind, answer, request, is_open=item.is_open)
        if value is not None:
            justification = md(request.justification) if request is not None else ""
            out.append(compact({"name": kind.value, "ns": FEDRAMP_NS, "value": value, "remarks": justification}))
    return out


def _deviation_state(
    kind: DeviationType, answer: DeviationAnswer, request: Deviation | None, *, is_open: bool
) -> str | None:
    if request is not None and request.status is DeviationStatus.WITHDRAWN:
        return "withdrawn"
    if kind is DeviationType.VENDOR_DEPENDENCY:
        return ("tracking" if is_open else "resolved") if answer is not DeviationAnswer.NO or request else None
    return {DeviationAnswer.YES: "approved", DeviationAnswer.PENDING: "pending"}.get(answer)


def _uuid(name: str) -> str:
    return str(uuid.uuid5(UUID_NAMESPACE, name))


class _Builder:
    def __init__(self, pkg: AuditPackage, oscal_version: str = OSCAL_VERSION) -> None:
        self.pkg = pkg
        self.oscal_version = oscal_version
        if not in_schema_range(pkg.assessed_at):
            raise RenderError(f"{_FILE}: assessed_at {pkg.assessed_at} is outside the years OSCAL accepts")
        self.assessed_at = timestamp(pkg.assessed_at)
        self.digest = one_line(pkg.subject.digest)
        self.image_class = one_line(pkg.subject.name) or self.digest
        self.items = pkg.poam
        self.records = {item.poam_id: item_records(pkg, item) for item in self.items}
        self.evidence = {e.id: e for e in reversed(pkg.evidence)}
        self.image_uuid = _uuid(f"{self.digest}/component/image")
        self.tool_uuid = _uuid(f"tool/{pkg.tool.name}/{pkg.tool.version}")
        self.scanner_uuid = {
            s: _uuid(f"{self.digest}/scanner/{s}") for s in sorted({s for i in self.items for s in i.scanners})
        }
        self.observation_uuid: dict[int, str] = {}
        observation_ids = Ids()  # a record repeated in the inputs still gets its own id
        for item in self.items:
            for record in self.records[item.poam_id]:
                key = f"{self.digest}@{self.assessed_at}/observation/{record.id}/{record.package}"
                self.observation_uuid[id(record)] = observation_ids(f"{key}/{record.installed_version or ''}")
        cited = {r.evidence_id for rs in self.records.values() for rec in rs for r in self._refs(rec)}
        self.resource_uuid = {e: _uuid(f"{self.digest}/resource/{e}") for e in sorted(cited) if e in self.evidence}

    @staticmethod
    def _refs(record: VulnerabilityRecord) -> list[Any]:
        refs = list(record.evidence)
        if record.vex is not None:
            refs.append(record.vex.evidence)
        return refs

    def document(self) -> Json:
        pkg = self.pkg
        release = one_line(pkg.subject.release or "")
        doc_title = f"Plan of action and milestones for {self.image_class}" + (f" release {release}" if release else "")
        summary = recorded_summary(pkg, _FILE)
        poam = compact(
            {
                "uuid": _uuid(f"{self.digest}@{self.assessed_at}/poam"),
                "metadata": compact(
                    {
                        "title": title(md(doc_title), "Plan of action and milestones"),
                        "published": self.assessed_at,
                        "last-modified": self.assessed_at,
                        "version": release or self.digest or "unversioned",
                        "oscal-version": self.oscal_version,
                        "props": props(
                            prop("generator", pkg.tool.name),
                            prop("generator-version", pkg.tool.version),
                            prop("image-reference", pkg.subject.reference),
                            prop("image-digest", pkg.subject.digest),
                            prop("asset-identifier", asset_identifier(pkg)),
                            prop("open-items", summary.poam_open),
                            prop("closed-items", summary.poam_closed),
                            *system_props(pkg.context),
                        ),
                        **front_matter(pkg.context, _POAM_ROLES),
                        "remarks": "Generated by "
                        + md(f"{pkg.tool.name} {pkg.tool.version}")
                        + " from the vulnerability scans and VEX documents of the container image.",
                    }
                ),
                "import-ssp": {"href": uri_reference(pkg.context.ssp_href)} if pkg.context.ssp_href else None,
                "system-id": {"identifier-type": f"{FROMLINE_NS}/image-digest", "id": self.digest or "unknown"},
                "local-definitions": self.local_definitions(),
                "observations": [self.observation(r) for i in self.items for r in self.records[i.poam_id]] or None,
                "risks": [self.risk(i) for i in self.items] or None,
                "poam-items": [self.poam_item(i) for i in self.items] or [self.empty_item()],
                "back-matter": {"resources": self.resources()} if self.resource_uuid else None,
            }
        )
        return {"plan-of-action-and-milestones": poam}

    def local_definitions(self) -> Json:
        pkg = self.pkg
        image = image_component(pkg.subject, self.image_uuid, prop("asset-identifier", asset_identifier(pkg)))
        tools = [
            {
                "uuid": self.tool_uuid,
                "type": "software",
                "title": title(md(f"{pkg.tool.name} {pkg.tool.version}"), "Assessment tool"),
                "description": "The tool that merged the scanners' findings and wrote this POA&M.",
                "status": {"state": "operational"},
            }
        ]
        for name, tool_uuid in self.scanner_uuid.items():
            versions = sorted(
                {e.tool_version for e in self.pkg.evidence if (e.tool or e.format) == name and e.tool_version}
            )
            tools.append(
                compact(
                    {
                        "uuid": tool_uuid,
                        "type": "software",
                        "title": title(md(" ".join([name, *versions])), "Scanner"),
                        "description": f"Vulnerability scanner {md(name)}, whose reports are evidence files here.",
                        "props": props(prop("scanner", name), *(prop("scanner-version", v) for v in versions)),
                        "status": {"state": "operational"},
                    }
                )
            )
        platform = {
            "uuid": _uuid(f"tool/{pkg.tool.name}/{pkg.tool.version}/platform"),
            "title": title(md(pkg.tool.name), "Assessment platform"),
            "uses-components": [{"component-uuid": t["uuid"]} for t in tools],
        }
        return {
            "components": [compact(image)],
            "assessment-assets": {"components": tools, "assessment-platforms": [platform]},
        }

    def origins(self, scanners: tuple[str, ...]) -> list[Json]:
        actors = [{"type": "tool", "actor-uuid": self.scanner_uuid[s]} for s in scanners if s in self.scanner_uuid]
        return [{"actors": actors or [{"type": "tool", "actor-uuid": self.tool_uuid}]}]

    def subjects(self) -> list[Json]:
        return [{"subject-uuid": self.image_uuid, "type": "component", "title": md(asset_identifier(self.pkg))}]

    def observation(self, record: VulnerabilityRecord) -> Json:
        package = " ".join(p for p in (record.package, record.installed_version) if p)
        evidence = []
        for ref in self._refs(record):
            if ref.evidence_id in self.resource_uuid:
                where = f" at {md(ref.location)}" if ref.location else ""
                evidence.append(
                    {
                        "href": f"#{self.resource_uuid[ref.evidence_id]}",
                        "description": f"{md(ref.path)}{where} (SHA-256 {md(ref.sha256)})",
                    }
                )
        detected = record.first_detected if record.first_detected and in_schema_range(record.first_detected) else None
        return compact(
            {
                "uuid": self.observation_uuid[id(record)],
                "title": title(md(f"{record.id} in {package}"), "Vulnerability"),
                "description": (
                    f"{', '.join(md(s) for s in record.scanners) or 'A scanner'} reported {md(record.id)} in "
                    f"{md(package)}. State: {md(record.state)}."
                    + (
                        f" Disagreements: {'; '.join(md(d) for d in record.disagreements)}."
                        if record.disagreements
                        else ""
                    )
                ),
                "props": props(
                    prop("vulnerability-id", record.id),
                    *(prop("alias", a) for a in record.aliases),
                    prop("package", record.package),
                    prop("version", record.installed_version),
                    prop("purl", record.purl),
                    prop("state", record.state),
                    prop("attribution", record.attribution, remarks=md(record.attribution_reason) or None),
                    *(prop("scanner", s) for s in record.scanners),
                ),
                "methods": ["TEST"],
                "types": [discovery_type(self.oscal_version)],
                "origins": self.origins(record.scanners),
                "subjects": self.subjects(),
                "relevant-evidence": evidence or None,
                "collected": timestamp(detected) if detected else self.assessed_at,
            }
        )

    def risk(self, item: PoamItem) -> Json:
        risk_uuid = _uuid(f"{self.image_class}/risk/{item.vulnerability}")
        packages = ", ".join(md(p) for p in item.packages)
        fixed = ", ".join(md(f) for f in item.fixed_versions)
        facets: list[Json] = [
            {"name": "severity", "system": FROMLINE_NS, "value": item.severity.value},
            {
                "name": "risk",
                "system": FEDRAMP_FACET_SYSTEM,
                "value": rating(item.severity).lower(),
                "props": [{"name": "state", "value": "initial"}],
            },
        ]
        if item.adjusted_severity is not None:
            facets.append(
                {
                    "name": "risk",
                    "system": FEDRAMP_FACET_SYSTEM,
                    "value": rating(item.adjusted_severity).lower(),
                    "props": [{"name": "state", "value": "adjusted"}],
                }
            )
        due = item.due if item.due and in_schema_range(item.due) else None
        return compact(
            {
                "uuid": risk_uuid,
                "title": title(md(f"{item.vulnerability} in {', '.join(item.packages)}"), "Vulnerability"),
                "description": md(item.title) or f"{md(item.vulnerability)}.",
                "statement": (
                    f"The image contains {packages}, reported affected by {md(item.vulnerability)} "
                    f"(original risk rating {item.severity.value}, from {md(item_rating_basis(item))}). "
                    + (f"Fixed in: {fixed}." if fixed else "No fixed version is known.")
                ),
                "props": props(
                    {"name": "impacted-control-id", "ns": FEDRAMP_NS, "value": "ra-5"},
                    {"name": "impacted-control-id", "ns": FEDRAMP_NS, "value": "si-2"},
                    *fedramp_deviation_props(item),
                    prop("poam-id", item.poam_id),
                    prop("rating-source", item.rating_source.value, remarks=md(item_rating_basis(item))),
                    prop("rating-cvss-score", item.rating_cvss.score if item.rating_cvss else None),
                    prop("rating-cvss-vector", item.rating_cvss.vector if item.rating_cvss else None),
                    prop("scanner-severity", item.scanner_severity.value if item.scanner_severity else None),
                    *(prop("cve", c) for c in item.cves),
                    prop("kev", "yes" if item.kev else "no"),
                    prop("kev-due-date", item.kev_due.isoformat() if item.kev_due else None),
                    prop("overdue", "yes" if item.overdue else "no"),
                    prop("closed-late", "yes" if item.closed_late else None),
                    prop("first-detected", timestamp(item.first_detected) if item.first_detected else None),
                    *(prop("deviation-flag", f) for f in item.flags),
                ),
                "status": item.risk_status.value,
                "origins": self.origins(item.scanners),
                "characterizations": [{"origin": self.origins(item.scanners)[0], "facets": facets}],
                "deadline": timestamp(due) if due else None,
                "remediations": self.remediations(item, risk_uuid, due),
                "risk-log": self.risk_log(item, risk_uuid),
                "related-observations": self.related_observations(item),
            }
        )

    def related_observations(self, item: PoamItem) -> list[Json]:
        return [{"observation-uuid": self.observation_uuid[id(r)]} for r in self.records[item.poam_id]]

    def remediations(self, item: PoamItem, risk_uuid: str, due: datetime | None) -> list[Json]:
        plan = item.remediation_plan
        planned: Json = {
            "uuid": _uuid(f"{risk_uuid}/remediation/planned"),
            "lifecycle": "completed" if not item.is_open else "planned",
            "title": "Overall remediation plan",
            "description": md(plan),
        }
        if due is not None:
            planned["tasks"] = [
                {
                    "uuid": _uuid(f"{risk_uuid}/milestone/scheduled-completion"),
                    "type": "milestone",
                    "title": "Scheduled completion",
                    "description": "The remediation deadline: the profile's days for the severity from the original "
                    "detection date, or the CISA KEV due date when earlier.",
                    "timing": {"on-date": {"date": timestamp(due)}},
                }
            ]
        return [compact(planned)]

    def risk_log(self, item: PoamItem, risk_uuid: str) -> Json | None:
        entries = []
        if item.first_detected and in_schema_range(item.first_detected):
            entries.append(
                {
                    "uuid": _uuid(f"{risk_uuid}/log/detected"),
                    "title": "Original detection",
                    "start": timestamp(item.first_detected),
                    "status-change": "open",
                }
            )
        if not item.is_open and in_schema_range(item.status_date):
            entries.append(
                {
                    "uuid": _uuid(f"{risk_uuid}/log/closed"),
                    "title": "Closed",
                    "start": timestamp(item.status_date),
                    "status-change": "closed",
                }
            )
        return {"entries": entries} if entries else None

    def poam_item(self, item: PoamItem) -> Json:
        remarks = [
            f"Asset: {md(asset_identifier(self.pkg))}.",
            f"Overall remediation plan: {md(item.remediation_plan)}",
        ]
        remarks += [f"Flag: {md(f)}." for f in item.flags]
        remarks += [f"Scanner disagreement: {md(d)}." for d in item.disagreements]
        return compact(
            {
                "uuid": _uuid(f"{self.image_class}/poam-item/{item.vulnerability}"),
                "title": title(md(f"{item.vulnerability}: {item.title}"), "POA&M item"),
                "description": (
                    f"{md(item.vulnerability)} in {', '.join(md(p) for p in item.packages)}, "
                    f"{'open' if item.is_open else 'closed'}."
                ),
                "props": props(
                    {"name": "POAM-ID", "ns": FEDRAMP_NS, "value": one_line(item.poam_id)},
                    prop("false-positive", item.false_positive.value),
                    prop("risk-adjustment", item.risk_adjustment.value),
                    prop("operational-requirement", item.operational_requirement.value),
                    prop("vendor-dependency", item.vendor_dependency.value),
                ),
                "origins": self.origins(item.scanners),
                "related-observations": self.related_observations(item),
                "related-risks": [{"risk-uuid": _uuid(f"{self.image_class}/risk/{item.vulnerability}")}],
                "remarks": "\n\n".join(remarks),
            }
        )

    def empty_item(self) -> Json:
        return {
            "uuid": _uuid(f"{self.image_class}/poam-item/none"),
            "title": "No vulnerabilities",
            "description": "The scans bound to this image reported no vulnerability of Low severity or above. "
            "OSCAL requires at least one POA&M item; this one records that there is nothing to track.",
            "origins": [{"actors": [{"type": "tool", "actor-uuid": self.tool_uuid}]}],
        }

    def resources(self) -> list[Json]:
        out = []
        for evidence_id, resource_uuid in self.resource_uuid.items():
            ev: Evidence = self.evidence[evidence_id]
            digest = one_line(ev.sha256)
            rlink = compact(
                {
                    "href": href(f"../{ev.stored_as}" if ev.stored_as else ev.path),
                    "media-type": "application/json" if ev.path.lower().endswith(".json") else None,
                    "hashes": [{"algorithm": "SHA-256", "value": digest}] if digest else None,
                }
            )
            out.append(
                {
                    "uuid": resource_uuid,
                    "title": title(md(ev.path), "Evidence file"),
                    "description": f"Evidence file ({md(ev.kind.value)}, {md(ev.format)}), {ev.size} bytes.",
                    "rlinks": [rlink],
                }
            )
        return out
