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
package, version), each defined once. Text hygiene and serialization follow `oscal.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any, BinaryIO

from evidence.errors import RenderError
from evidence.lifecycle.citations import describe, kev_citation, party_text, point_of_contact, resources_required
from evidence.lifecycle.poam import (
    asset_identifier,
    detection_words,
    item_control,
    item_rating_basis,
    item_records,
    rating,
)
from evidence.model import (
    AuditPackage,
    Deviation,
    DeviationAnswer,
    DeviationStatus,
    DeviationType,
    Evidence,
    LifecycleInputKind,
    PoamItem,
    Severity,
    VulnerabilityRecord,
    WeaknessSource,
)
from evidence.oscal_versions import discovery_type
from evidence.render._recorded import recorded_summary
from evidence.render.oscal import (
    FROMLINE_NS,
    OSCAL_VERSION,
    ROLE_TITLES,
    Ids,
    checked_version,
    compact,
    control_risk_words,
    document_bytes,
    front_matter,
    href,
    image_component,
    in_schema_range,
    md,
    name_uuid,
    nist_control_id,
    object_uuid,
    one_line,
    prop,
    props,
    system_props,
    timestamp,
    title,
    uri_reference,
)

__all__ = ["FEDRAMP_NS", "OscalPoam", "poam_document"]

FEDRAMP_NS = "https://fedramp.gov/ns/oscal"  # FedRAMP extension props
FEDRAMP_FACET_SYSTEM = "http://fedramp.gov/ns/oscal"  # FedRAMP facet system, http as FedRAMP writes it
_FILE = "oscal/poam.json"
_POAM_ROLES = ("prepared-by", "prepared-for", "cloud-service-provider", "point-of-contact")
_POC_ROLE = "point-of-contact"

Json = dict[str, Any]


def _risk_facet(severity: Severity, state: str) -> Json:
    """FedRAMP's risk facet: the rating's word, as the initial or the adjusted rating."""
    return {
        "name": "risk",
        "system": FEDRAMP_FACET_SYSTEM,
        "value": rating(severity).lower(),
        "props": [{"name": "state", "value": state}],
    }


class OscalPoam:
    """Renders `oscal/poam.json`."""

    filename = _FILE

    def __init__(self, oscal_version: str = OSCAL_VERSION) -> None:
        self.oscal_version = checked_version(oscal_version, _FILE)

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(render_bytes(pkg, self.oscal_version))


def render_bytes(pkg: AuditPackage, oscal_version: str = OSCAL_VERSION) -> bytes:
    return document_bytes(_Builder(pkg, oscal_version).document, _FILE)


def poam_document(pkg: AuditPackage, oscal_version: str = OSCAL_VERSION) -> Json:
    """The image's POA&M document as data, for a boundary's system POA&M to merge."""
    return _Builder(pkg, oscal_version).document()


def fedramp_deviation_props(item: PoamItem, supports: Mapping[DeviationType, str | None] | None = None) -> list[Json]:
    """FedRAMP's deviation props on a risk (`https://fedramp.gov/ns/oscal`), one for each kind there is something
    to say about: risk adjustment, false positive and operational requirement are `pending` or `approved` (or
    `withdrawn`), as the item's POA&M columns answer; a vendor dependency is `tracking` while the item is open and
    `resolved` once closed. A prop's remarks are the request's justification, else `supports` of its kind."""
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
            justification = md(request.justification) if request is not None else (supports or {}).get(kind)
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
        self.image_uuid = object_uuid(f"{self.digest}/component/image")
        self.tool_uuid = name_uuid(f"tool/{pkg.tool.name}/{pkg.tool.version}")  # the tools: listed once in a boundary
        self._subjects = [{"subject-uuid": self.image_uuid, "type": "component", "title": md(asset_identifier(pkg))}]
        self._origins: dict[tuple[str, ...], list[Json]] = {}
        self.scanner_uuid = {
            s: name_uuid(f"{self.digest}/scanner/{s}") for s in sorted({s for i in self.items for s in i.scanners})
        }
        self.observation_uuid: dict[int, str] = {}
        observation_ids = Ids()  # a record repeated in the inputs still gets its own id
        for item in self.items:
            for record in self.records[item.poam_id]:
                key = f"{self.digest}@{self.assessed_at}/observation/{record.id}/{record.package}"
                self.observation_uuid[id(record)] = observation_ids(f"{key}/{record.installed_version or ''}")
        self.controls = {i.poam_id: c for i in self.items if (c := item_control(pkg, i)) is not None}
        self.control_observation_uuid = {
            poam_id: object_uuid(f"{self.digest}@{self.assessed_at}/observation/control/{poam_id}")
            for poam_id in self.controls
        }
        self.risk_uuids = {
            i.poam_id: object_uuid(
                f"{self.image_class}/risk/{i.poam_id if i.source is WeaknessSource.CONTROL else i.vulnerability}"
            )
            for i in self.items
        }
        cited = {r.evidence_id for rs in self.records.values() for rec in rs for r in self._refs(rec)}
        cited |= {r.evidence_id for c in self.controls.values() for r in c.evidence}
        self.resource_uuid = {
            e: object_uuid(f"{self.digest}/resource/{e}") for e in sorted(cited) if e in self.evidence
        }
        self.lifecycle_uuid = {
            s.kind: object_uuid(f"{self.digest}/lifecycle/{s.kind}/{s.sha256}") for s in pkg.lifecycle_inputs
        }
        # Each point of contact named: the one of --poc is the metadata's party for that role, others are added.
        stated = party_text(pkg.context.point_of_contact)
        stated_uuid = next(
            (
                r["party-uuids"][0]
                for r in front_matter(pkg.context, ("point-of-contact",)).get("responsible-parties", [])
            ),
            None,
        )
        contacts = {contact for item in self.items if (contact := point_of_contact(pkg, item))}
        self.party_uuid = {
            contact: stated_uuid if contact == stated and stated_uuid else name_uuid(f"party/{contact}")
            for contact in sorted(contacts)
        }

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
                "uuid": object_uuid(f"{self.digest}@{self.assessed_at}/poam"),
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
                        **self.front_matter(),
                        "remarks": "Generated by "
                        + md(f"{pkg.tool.name} {pkg.tool.version}")
                        + " from the vulnerability scans and VEX documents of the container image.",
                    }
                ),
                "import-ssp": {"href": uri_reference(pkg.context.ssp_href)} if pkg.context.ssp_href else None,
                "system-id": {"identifier-type": f"{FROMLINE_NS}/image-digest", "id": self.digest or "unknown"},
                "local-definitions": self.local_definitions(),
                "observations": [
                    *(self.observation(r) for i in self.items for r in self.records[i.poam_id]),
                    *(self.control_observation(i) for i in self.items if i.poam_id in self.controls),
                ]
                or None,
                "risks": [self.risk(i) for i in self.items] or None,
                "poam-items": [self.poam_item(i) for i in self.items] or [self.empty_item()],
                "back-matter": {"resources": resources} if (resources := self.resources()) else None,
            }
        )
        return {"plan-of-action-and-milestones": poam}

    def front_matter(self) -> Json:
        """The metadata's roles and parties from what the user stated, and a party for each point of contact a
        deviation request names (the milestones it is responsible for point at it)."""
        matter = front_matter(self.pkg.context, _POAM_ROLES)
        parties = matter.setdefault("parties", [])
        known = {p["uuid"] for p in parties}
        for contact, party_uuid in self.party_uuid.items():
            if party_uuid not in known:
                parties.append({"uuid": party_uuid, "type": "person", "name": md(contact)})
        if self.party_uuid and not any(r["id"] == _POC_ROLE for r in matter.get("roles", [])):
            matter.setdefault("roles", []).append({"id": _POC_ROLE, "title": ROLE_TITLES[_POC_ROLE]})
        return {key: value for key, value in matter.items() if value}

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
            "uuid": name_uuid(f"tool/{pkg.tool.name}/{pkg.tool.version}/platform"),
            "title": title(md(pkg.tool.name), "Assessment platform"),
            "uses-components": [{"component-uuid": t["uuid"]} for t in tools],
        }
        return {
            "components": [compact(image)],
            "assessment-assets": {"components": tools, "assessment-platforms": [platform]},
        }

    def origins(self, scanners: tuple[str, ...]) -> list[Json]:
        """The scanners as origin actors; the same scanners share one origin list, serialized where it appears."""
        if scanners not in self._origins:
            actors = [{"type": "tool", "actor-uuid": self.scanner_uuid[s]} for s in scanners if s in self.scanner_uuid]
            self._origins[scanners] = [{"actors": actors or [{"type": "tool", "actor-uuid": self.tool_uuid}]}]
        return self._origins[scanners]

    def subjects(self) -> list[Json]:
        return self._subjects

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

    def control_observation(self, item: PoamItem) -> Json:
        control = self.controls[item.poam_id]
        evidence = [
            {
                "href": f"#{self.resource_uuid[ref.evidence_id]}",
                "description": f"{md(ref.path)} (SHA-256 {md(ref.sha256)})",
            }
            for ref in control.evidence
            if ref.evidence_id in self.resource_uuid
        ]
        return compact(
            {
                "uuid": self.control_observation_uuid[item.poam_id],
                "title": title(md(f"{control.catalog} {control.control_id} not satisfied"), "Control not satisfied"),
                "description": md(control.reason) or "The control is not satisfied.",
                "props": props(prop("catalog", control.catalog), prop("control-id", control.control_id)),
                "methods": ["EXAMINE", "TEST"],
                "types": ["finding"],
                "origins": self.origins(()),
                "subjects": self.subjects(),
                "relevant-evidence": evidence or None,
                "collected": self.assessed_at,
            }
        )

    def impacted_controls(self, item: PoamItem) -> list[Json]:
        ids = dict.fromkeys(i for c in item.controls if (i := nist_control_id(c)))
        return [{"name": "impacted-control-id", "ns": FEDRAMP_NS, "value": i} for i in ids]

    def risk(self, item: PoamItem) -> Json:
        if item.source is WeaknessSource.CONTROL:
            return self.control_risk(item)
        risk_uuid = self.risk_uuid(item)
        packages = ", ".join(md(p) for p in item.packages)
        fixed = ", ".join(md(f) for f in item.fixed_versions)
        facets: list[Json] = [
            {"name": "severity", "system": FROMLINE_NS, "value": item.severity.value},
            _risk_facet(item.severity, "initial"),
        ]
        if item.adjusted_severity is not None:
            facets.append(_risk_facet(item.adjusted_severity, "adjusted"))
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
                    *self.impacted_controls(item),
                    *self.deviation_props(item),
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
                    prop(
                        "first-detected-source",
                        item.detection_source.value if item.detection_source else None,
                        remarks=md(detection_words(item.detection_source)),
                    ),
                    *(prop("deviation-flag", f) for f in item.flags),
                ),
                "links": self.lifecycle_links(item),
                "status": item.risk_status.value,
                "origins": self.origins(item.scanners),
                "characterizations": [{"origin": self.origins(item.scanners)[0], "facets": facets}],
                "deadline": timestamp(due) if due else None,
                "remediations": self.remediations(item, risk_uuid, due),
                "risk-log": self.risk_log(item, risk_uuid),
                "related-observations": self.related_observations(item),
            }
        )

    def control_risk(self, item: PoamItem) -> Json:
        risk_uuid = self.risk_uuid(item)
        facet = _risk_facet(item.severity, "initial")
        due = item.due if item.due and in_schema_range(item.due) else None
        return compact(
            {
                "uuid": risk_uuid,
                **control_risk_words(item),
                "props": props(
                    *self.impacted_controls(item),
                    prop("poam-id", item.poam_id),
                    prop("weakness-source", item.source.value),
                    prop("rating-source", item.rating_source.value, remarks=md(item_rating_basis(item))),
                    prop("overdue", "yes" if item.overdue else "no"),
                    prop("first-detected", timestamp(item.first_detected) if item.first_detected else None),
                    prop(
                        "first-detected-source",
                        item.detection_source.value if item.detection_source else None,
                        remarks=md(detection_words(item.detection_source)),
                    ),
                ),
                "status": item.risk_status.value,
                "origins": self.origins(()),
                "characterizations": [{"origin": self.origins(())[0], "facets": [facet]}],
                "deadline": timestamp(due) if due else None,
                "remediations": self.remediations(item, risk_uuid, due),
                "risk-log": self.risk_log(item, risk_uuid),
                "related-observations": self.related_observations(item),
            }
        )

    def risk_uuid(self, item: PoamItem) -> str:
        return self.risk_uuids[item.poam_id]

    def related_observations(self, item: PoamItem) -> list[Json]:
        if item.poam_id in self.controls:
            return [{"observation-uuid": self.control_observation_uuid[item.poam_id]}]
        return [{"observation-uuid": self.observation_uuid[id(r)]} for r in self.records[item.poam_id]]

    def deviation_props(self, item: PoamItem) -> list[Json]:
        """FedRAMP's deviation props, with what supports each: the request's justification, else the VEX statement
        behind a false positive or risk adjustment, else the product waiting on its vendor."""
        vex = self.vex_rationale(item)
        vendor = f"No fixed version is known for {md(item.vendor_product or ', '.join(item.packages))}."
        supports = {
            DeviationType.FALSE_POSITIVE: vex,
            DeviationType.RISK_ADJUSTMENT: vex,
            DeviationType.VENDOR_DEPENDENCY: vendor,
        }
        return fedramp_deviation_props(item, supports)

    def vex_rationale(self, item: PoamItem) -> str | None:
        for record in self.records[item.poam_id]:
            vex = record.suppression or (record.vex if record.vex_proposal is not None else None)
            if vex is not None:
                s = vex.statement
                trust = f"trusted as {vex.trusted_by}" if vex.trusted_by else "not trusted: proposed, pending approval"
                said = "; ".join(t for t in (s.justification, s.impact_statement) if t)
                return md(f"VEX {s.status} by {s.author or 'an unnamed author'} ({trust}): {said}")
        return None

    def lifecycle_links(self, item: PoamItem) -> list[Json] | None:
        """Links to the KEV catalog behind a BOD 22-01 "Yes" and the deviation requests behind a deviation."""
        links = []
        for kind, cited in (
            (LifecycleInputKind.KEV, item.kev and item.kev_due is not None),
            (LifecycleInputKind.DEVIATIONS, item.deviation is not None),
        ):
            source = next((s for s in self.pkg.lifecycle_inputs if s.kind is kind), None)
            if cited and source is not None:
                links.append({"href": f"#{self.lifecycle_uuid[kind]}", "rel": "reference", "text": describe(source)})
        return links or None

    def remediations(self, item: PoamItem, risk_uuid: str, due: datetime | None) -> list[Json]:
        plan = item.remediation_plan
        planned: Json = {
            "uuid": object_uuid(f"{risk_uuid}/remediation/planned"),
            "lifecycle": "completed" if not item.is_open else "planned",
            "title": "Overall remediation plan",
            "description": md(plan),
        }
        resources = resources_required(item)
        if resources:
            planned["required-assets"] = [
                {"uuid": object_uuid(f"{risk_uuid}/remediation/resources"), "description": md(resources)}
            ]
        contact = point_of_contact(self.pkg, item)
        if due is not None:
            planned["tasks"] = [
                compact(
                    {
                        "uuid": object_uuid(f"{risk_uuid}/milestone/scheduled-completion"),
                        "type": "milestone",
                        "title": "Scheduled completion",
                        "description": "The remediation deadline: the profile's days for the severity from the "
                        "original detection date, or the CISA KEV due date when earlier."
                        + "".join(f" Changed {md(c.text)}." for c in item.milestone_changes),
                        "timing": {"on-date": {"date": timestamp(due)}},
                        "responsible-roles": (
                            [{"role-id": _POC_ROLE, "party-uuids": [self.party_uuid[contact]]}] if contact else None
                        ),
                    }
                )
            ]
        return [compact(planned)]

    def risk_log(self, item: PoamItem, risk_uuid: str) -> Json | None:
        entries = []
        if item.first_detected and in_schema_range(item.first_detected):
            entries.append(
                {
                    "uuid": object_uuid(f"{risk_uuid}/log/detected"),
                    "title": "Original detection",
                    "start": timestamp(item.first_detected),
                    "status-change": "open",
                }
            )
        for n, change in enumerate(item.milestone_changes, start=1):
            entries.append(
                {
                    "uuid": object_uuid(f"{risk_uuid}/log/milestone-change/{n}"),
                    "title": f"Milestone change ({n})",
                    "description": md(change.text),
                    "start": timestamp(datetime.combine(change.on, time(), tzinfo=UTC)),
                }
            )
        if not item.is_open and in_schema_range(item.status_date):
            entries.append(
                {
                    "uuid": object_uuid(f"{risk_uuid}/log/closed"),
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
        contact = point_of_contact(self.pkg, item)
        if contact:
            remarks.append(f"Point of contact: {md(contact)}.")
        kev = kev_citation(self.pkg, item)
        if kev:
            remarks.append(f"{md(kev)}.")
        remarks += [f"Flag: {md(f)}." for f in item.flags]
        remarks += [f"Scanner disagreement: {md(d)}." for d in item.disagreements]
        return compact(
            {
                "uuid": object_uuid(f"{self.image_class}/poam-item/{item.vulnerability}"),
                "title": title(md(f"{item.vulnerability}: {item.title}"), "POA&M item"),
                "description": (
                    f"{md(item.vulnerability)} in {', '.join(md(p) for p in item.packages)}, "
                    if item.packages
                    else f"{md(item.vulnerability)} not satisfied, "
                )
                + f"{'open' if item.is_open else 'closed'}.",
                "props": props(
                    {"name": "POAM-ID", "ns": FEDRAMP_NS, "value": one_line(item.poam_id)},
                    prop("false-positive", item.false_positive.value),
                    prop("risk-adjustment", item.risk_adjustment.value),
                    prop("operational-requirement", item.operational_requirement.value),
                    prop("vendor-dependency", item.vendor_dependency.value),
                ),
                "origins": self.origins(item.scanners),
                "related-observations": self.related_observations(item),
                "related-risks": [{"risk-uuid": self.risk_uuid(item)}],
                "remarks": "\n\n".join(remarks),
            }
        )

    def empty_item(self) -> Json:
        return {
            "uuid": object_uuid(f"{self.image_class}/poam-item/none"),
            "title": "No vulnerabilities",
            "description": "The scans bound to this image reported no vulnerability of Low severity or above. "
            "OSCAL requires at least one POA&M item; this one records that there is nothing to track.",
            "origins": [{"actors": [{"type": "tool", "actor-uuid": self.tool_uuid}]}],
        }

    def resources(self) -> list[Json]:
        out = []
        for source in self.pkg.lifecycle_inputs:
            released = f", released {md(source.released)}" if source.released else ""
            out.append(
                {
                    "uuid": self.lifecycle_uuid[source.kind],
                    "title": md(describe(source)),
                    "description": f"The {md(source.kind.value)} file given as {md(source.path)}{released}, "
                    f"{source.size} bytes; a copy is in the package.",
                    "rlinks": [
                        {
                            "href": href(f"../{source.stored_as}"),
                            "hashes": [{"algorithm": "SHA-256", "value": source.sha256}],
                        }
                    ],
                }
            )
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
