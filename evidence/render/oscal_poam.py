"""OSCAL 1.2.3 Plan of Action and Milestones: the image's vulnerabilities as POA&M items for GRC tools.

Mapping, in short:

- `system-id` is the image digest (there is no OSCAL SSP to import); `local-definitions` holds the image as a
  component and the scanners as tool components under `assessment-assets`.
- One observation per vulnerability record (one package version), method TEST, type discovery: its origin is the
  scanners that reported it (the "Weakness Detector Source"), `collected` is the original detection date, and its
  relevant evidence is the scan file (a back-matter resource with its SHA-256).
- One risk and one poam-item per unique vulnerability (`evidence.lifecycle.poam`). The risk carries the status
  (open, investigating, deviation-requested, deviation-approved, closed), the scheduled completion date as
  `deadline` and as a milestone of the planned remediation, the severity as facets (FedRAMP `risk` facet with
  `state` initial, and adjusted for an approved risk adjustment), and FedRAMP's deviation props. The poam-item
  carries the FedRAMP `POAM-ID` prop and relates the observations and the risk.

The poam-item and risk ids are UUID v5 of the image name and the vulnerability id, so the same vulnerability of the
same image keeps its ids across releases, as OSCAL asks. Text hygiene and validation follow `oscal.py`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, BinaryIO

import orjson

from evidence.errors import RenderError
from evidence.lifecycle.poam import (
    PoamItem,
    asset_identifier,
    false_positive,
    poam_items,
    rating,
    remediation_plan,
    yes_no_pending,
)
from evidence.model import AuditPackage, Evidence, VulnerabilityRecord
from evidence.render.oscal import (
    FROMLINE_NS,
    OSCAL_VERSION,
    UUID_NAMESPACE,
    _compact,
    _href,
    _in_schema_range,
    _md,
    _one_line,
    _prop,
    _props,
    _timestamp,
    _title,
)

__all__ = ["FEDRAMP_NS", "OscalPoam"]

FEDRAMP_NS = "https://fedramp.gov/ns/oscal"  # FedRAMP extension props
FEDRAMP_FACET_SYSTEM = "http://fedramp.gov/ns/oscal"  # FedRAMP facet system, http as FedRAMP writes it
_FILE = "oscal/poam.json"
_DEVIATION_PROPS = ("risk-adjustment", "false-positive", "operational-requirement", "vendor-dependency")

Json = dict[str, Any]


class OscalPoam:
    """Renders `oscal/poam.json`."""

    filename = _FILE

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(render_bytes(pkg))


def render_bytes(pkg: AuditPackage) -> bytes:
    from oscal_bindings.v1 import PlanOfActionAndMilestonesDocument  # noqa: PLC0415
    from pydantic import ValidationError  # noqa: PLC0415

    data = _Builder(pkg).document()
    try:
        doc = PlanOfActionAndMilestonesDocument.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = "/".join(str(p) for p in first["loc"])
        raise RenderError(
            f"{_FILE}: the OSCAL document is not valid at {where}: {first['msg']} ({e.error_count()} errors)"
        ) from e
    dumped = doc.model_dump(mode="json", by_alias=True, exclude_none=True)
    try:
        return orjson.dumps(dumped, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    except orjson.JSONEncodeError as e:
        raise RenderError(f"{_FILE}: cannot serialize the OSCAL document: {e}") from e


def _uuid(name: str) -> str:
    return str(uuid.uuid5(UUID_NAMESPACE, name))


def _risk_status(item: PoamItem) -> str:
    if not item.is_open:
        return "closed"
    d = item.deviation
    if d is not None and d.type != "vendor-dependency":
        return "deviation-approved" if d.status == "approved" else "deviation-requested"
    if any(r.vex and r.vex.statement.status == "under_investigation" for r in item.records):
        return "investigating"
    return "open"


class _Builder:
    def __init__(self, pkg: AuditPackage) -> None:
        self.pkg = pkg
        if not _in_schema_range(pkg.assessed_at):
            raise RenderError(f"{_FILE}: assessed_at {pkg.assessed_at} is outside the years OSCAL accepts")
        self.assessed_at = _timestamp(pkg.assessed_at)
        self.digest = _one_line(pkg.subject.digest)
        self.image_class = _one_line(pkg.subject.name) or self.digest
        self.items = poam_items(pkg)
        self.evidence = {e.id: e for e in reversed(pkg.evidence)}
        self.image_uuid = _uuid(f"{self.digest}/component/image")
        self.tool_uuid = _uuid(f"tool/{pkg.tool.name}/{pkg.tool.version}")
        self.scanner_uuid = {
            s: _uuid(f"{self.digest}/scanner/{s}") for s in sorted({s for i in self.items for s in i.scanners})
        }
        self.observation_uuid: dict[int, str] = {}
        for item in self.items:
            for n, record in enumerate(item.records):
                key = f"{record.package}/{record.installed_version or ''}/{n}"
                self.observation_uuid[id(record)] = _uuid(f"{self.digest}@{self.assessed_at}/observation/{key}")
        cited = {r.evidence_id for i in self.items for rec in i.records for r in self._refs(rec)}
        self.resource_uuid = {e: _uuid(f"{self.digest}/resource/{e}") for e in sorted(cited) if e in self.evidence}

    @staticmethod
    def _refs(record: VulnerabilityRecord) -> list[Any]:
        refs = list(record.evidence)
        if record.vex is not None:
            refs.append(record.vex.evidence)
        return refs

    def document(self) -> Json:
        pkg = self.pkg
        release = _one_line(pkg.subject.release or "")
        title = f"Plan of action and milestones for {self.image_class}" + (f" release {release}" if release else "")
        open_items = sum(1 for i in self.items if i.is_open)
        poam = _compact(
            {
                "uuid": _uuid(f"{self.digest}@{self.assessed_at}/poam"),
                "metadata": _compact(
                    {
                        "title": _title(_md(title), "Plan of action and milestones"),
                        "last-modified": self.assessed_at,
                        "version": release or self.digest or "unversioned",
                        "oscal-version": OSCAL_VERSION,
                        "props": _props(
                            _prop("generator", pkg.tool.name),
                            _prop("generator-version", pkg.tool.version),
                            _prop("image-reference", pkg.subject.reference),
                            _prop("image-digest", pkg.subject.digest),
                            _prop("asset-identifier", asset_identifier(pkg)),
                            _prop("open-items", open_items),
                            _prop("closed-items", len(self.items) - open_items),
                        ),
                        "remarks": "Generated by "
                        + _md(f"{pkg.tool.name} {pkg.tool.version}")
                        + " from the vulnerability scans and VEX documents of the container image.",
                    }
                ),
                "system-id": {"identifier-type": f"{FROMLINE_NS}/image-digest", "id": self.digest or "unknown"},
                "local-definitions": self.local_definitions(),
                "observations": [self.observation(r) for i in self.items for r in i.records] or None,
                "risks": [self.risk(i) for i in self.items] or None,
                "poam-items": [self.poam_item(i) for i in self.items] or [self.empty_item()],
                "back-matter": {"resources": self.resources()} if self.resource_uuid else None,
            }
        )
        return {"plan-of-action-and-milestones": poam}

    def local_definitions(self) -> Json:
        pkg = self.pkg
        s = pkg.subject
        image = {
            "uuid": self.image_uuid,
            "type": "software",
            "title": _title(_md(f"Container image {s.name}"), "Container image"),
            "description": f"The container image under assessment: {_md(s.reference)}.",
            "props": _props(
                _prop("image-reference", s.reference),
                _prop("image-name", s.name),
                _prop("image-digest", s.digest),
                _prop("image-release", s.release),
                _prop("asset-identifier", asset_identifier(pkg)),
            ),
            "status": {"state": "other", "remarks": "A container image assessed before or after release."},
        }
        tools = [
            {
                "uuid": self.tool_uuid,
                "type": "software",
                "title": _title(_md(f"{pkg.tool.name} {pkg.tool.version}"), "Assessment tool"),
                "description": "The tool that merged the scanners' findings and wrote this POA&M.",
                "status": {"state": "operational"},
            }
        ]
        for name, tool_uuid in self.scanner_uuid.items():
            versions = sorted(
                {e.tool_version for e in self.pkg.evidence if (e.tool or e.format) == name and e.tool_version}
            )
            tools.append(
                _compact(
                    {
                        "uuid": tool_uuid,
                        "type": "software",
                        "title": _title(_md(" ".join([name, *versions])), "Scanner"),
                        "description": f"Vulnerability scanner {_md(name)}, whose reports are evidence files here.",
                        "props": _props(_prop("scanner", name), *(_prop("scanner-version", v) for v in versions)),
                        "status": {"state": "operational"},
                    }
                )
            )
        platform = {
            "uuid": _uuid(f"tool/{pkg.tool.name}/{pkg.tool.version}/platform"),
            "title": _title(_md(pkg.tool.name), "Assessment platform"),
            "uses-components": [{"component-uuid": t["uuid"]} for t in tools],
        }
        return {
            "components": [_compact(image)],
            "assessment-assets": {"components": tools, "assessment-platforms": [platform]},
        }

    def origins(self, scanners: tuple[str, ...]) -> list[Json]:
        actors = [{"type": "tool", "actor-uuid": self.scanner_uuid[s]} for s in scanners if s in self.scanner_uuid]
        return [{"actors": actors or [{"type": "tool", "actor-uuid": self.tool_uuid}]}]

    def subjects(self) -> list[Json]:
        return [{"subject-uuid": self.image_uuid, "type": "component", "title": _md(asset_identifier(self.pkg))}]

    def observation(self, record: VulnerabilityRecord) -> Json:
        package = " ".join(p for p in (record.package, record.installed_version) if p)
        evidence = []
        for ref in self._refs(record):
            if ref.evidence_id in self.resource_uuid:
                where = f" at {_md(ref.location)}" if ref.location else ""
                evidence.append(
                    {
                        "href": f"#{self.resource_uuid[ref.evidence_id]}",
                        "description": f"{_md(ref.path)}{where} (SHA-256 {_md(ref.sha256)})",
                    }
                )
        detected = record.first_detected if record.first_detected and _in_schema_range(record.first_detected) else None
        return _compact(
            {
                "uuid": self.observation_uuid[id(record)],
                "title": _title(_md(f"{record.id} in {package}"), "Vulnerability"),
                "description": (
                    f"{', '.join(_md(s) for s in record.scanners) or 'A scanner'} reported {_md(record.id)} in "
                    f"{_md(package)}. State: {_md(record.state)}."
                    + (
                        f" Disagreements: {'; '.join(_md(d) for d in record.disagreements)}."
                        if record.disagreements
                        else ""
                    )
                ),
                "props": _props(
                    _prop("vulnerability-id", record.id),
                    *(_prop("alias", a) for a in record.aliases),
                    _prop("package", record.package),
                    _prop("version", record.installed_version),
                    _prop("purl", record.purl),
                    _prop("state", record.state),
                    _prop("attribution", record.attribution, remarks=_md(record.attribution_reason) or None),
                    *(_prop("scanner", s) for s in record.scanners),
                ),
                "methods": ["TEST"],
                "types": ["discovery"],
                "origins": self.origins(record.scanners),
                "subjects": self.subjects(),
                "relevant-evidence": evidence or None,
                "collected": _timestamp(detected) if detected else self.assessed_at,
            }
        )

    def risk(self, item: PoamItem) -> Json:
        risk_uuid = _uuid(f"{self.image_class}/risk/{item.vulnerability}")
        packages = ", ".join(_md(p) for p in item.packages)
        fixed = ", ".join(_md(f) for f in item.fixed_versions)
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
        due = item.due if item.is_open and item.due and _in_schema_range(item.due) else None
        return _compact(
            {
                "uuid": risk_uuid,
                "title": _title(_md(f"{item.vulnerability} in {', '.join(item.packages)}"), "Vulnerability"),
                "description": _md(item.title) or f"{_md(item.vulnerability)}.",
                "statement": (
                    f"The image contains {packages}, reported affected by {_md(item.vulnerability)} "
                    f"(severity {item.severity.value}). "
                    + (f"Fixed in: {fixed}." if fixed else "No fixed version is known.")
                ),
                "props": _props(
                    {"name": "impacted-control-id", "ns": FEDRAMP_NS, "value": "ra-5"},
                    {"name": "impacted-control-id", "ns": FEDRAMP_NS, "value": "si-2"},
                    *self.deviation_props(item),
                    _prop("poam-id", item.poam_id),
                    *(_prop("cve", c) for c in item.cves),
                    _prop("kev", "yes" if item.kev else "no"),
                    _prop("kev-due-date", item.kev_due.isoformat() if item.kev_due else None),
                    _prop("overdue", "yes" if item.overdue else "no"),
                    _prop("first-detected", _timestamp(item.first_detected) if item.first_detected else None),
                    *(_prop("deviation-flag", f) for f in item.flags),
                ),
                "status": _risk_status(item),
                "origins": self.origins(item.scanners),
                "characterizations": [{"origin": self.origins(item.scanners)[0], "facets": facets}],
                "deadline": _timestamp(due) if due else None,
                "remediations": self.remediations(item, risk_uuid, due),
                "risk-log": self.risk_log(item, risk_uuid),
                "related-observations": [{"observation-uuid": self.observation_uuid[id(r)]} for r in item.records],
            }
        )

    def deviation_props(self, item: PoamItem) -> list[Json | None]:
        d = item.deviation
        if d is None:
            return []
        value = {"approved": "approved", "pending": "pending"}.get(d.status, "withdrawn")
        if d.type == "vendor-dependency":
            value = "tracking"
        return [{"name": d.type, "ns": FEDRAMP_NS, "value": value, "remarks": _md(d.justification) or None}]

    def remediations(self, item: PoamItem, risk_uuid: str, due: datetime | None) -> list[Json]:
        plan = remediation_plan(item)
        planned: Json = {
            "uuid": _uuid(f"{risk_uuid}/remediation/planned"),
            "lifecycle": "completed" if not item.is_open else "planned",
            "title": "Overall remediation plan",
            "description": _md(plan),
        }
        if due is not None:
            planned["tasks"] = [
                {
                    "uuid": _uuid(f"{risk_uuid}/milestone/scheduled-completion"),
                    "type": "milestone",
                    "title": "Scheduled completion",
                    "description": "The remediation deadline: the profile's days for the severity from the original "
                    "detection date, or the CISA KEV due date when earlier.",
                    "timing": {"on-date": {"date": _timestamp(due)}},
                }
            ]
        return [_compact(planned)]

    def risk_log(self, item: PoamItem, risk_uuid: str) -> Json | None:
        entries = []
        if item.first_detected and _in_schema_range(item.first_detected):
            entries.append(
                {
                    "uuid": _uuid(f"{risk_uuid}/log/detected"),
                    "title": "Original detection",
                    "start": _timestamp(item.first_detected),
                    "status-change": "open",
                }
            )
        if not item.is_open and _in_schema_range(item.status_date):
            entries.append(
                {
                    "uuid": _uuid(f"{risk_uuid}/log/closed"),
                    "title": "Closed",
                    "start": _timestamp(item.status_date),
                    "status-change": "closed",
                }
            )
        return {"entries": entries} if entries else None

    def poam_item(self, item: PoamItem) -> Json:
        remarks = [
            f"Asset: {_md(asset_identifier(self.pkg))}.",
            f"Overall remediation plan: {_md(remediation_plan(item))}",
        ]
        remarks += [f"Flag: {_md(f)}." for f in item.flags]
        remarks += [f"Scanner disagreement: {_md(d)}." for d in item.disagreements]
        return _compact(
            {
                "uuid": _uuid(f"{self.image_class}/poam-item/{item.vulnerability}"),
                "title": _title(_md(f"{item.vulnerability}: {item.title}"), "POA&M item"),
                "description": (
                    f"{_md(item.vulnerability)} in {', '.join(_md(p) for p in item.packages)}, "
                    f"{'open' if item.is_open else 'closed'}."
                ),
                "props": _props(
                    {"name": "POAM-ID", "ns": FEDRAMP_NS, "value": _one_line(item.poam_id)},
                    _prop("false-positive", false_positive(item)),
                    _prop("risk-adjustment", yes_no_pending(item, "risk-adjustment")),
                    _prop("operational-requirement", yes_no_pending(item, "operational-requirement")),
                    _prop("vendor-dependency", yes_no_pending(item, "vendor-dependency")),
                ),
                "origins": self.origins(item.scanners),
                "related-observations": [{"observation-uuid": self.observation_uuid[id(r)]} for r in item.records],
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
            digest = _one_line(ev.sha256)
            rlink = _compact(
                {
                    "href": _href(f"../{ev.stored_as}" if ev.stored_as else ev.path),
                    "media-type": "application/json" if ev.path.lower().endswith(".json") else None,
                    "hashes": [{"algorithm": "SHA-256", "value": digest}] if digest else None,
                }
            )
            out.append(
                {
                    "uuid": resource_uuid,
                    "title": _title(_md(ev.path), "Evidence file"),
                    "description": f"Evidence file ({_md(ev.kind.value)}, {_md(ev.format)}), {ev.size} bytes.",
                    "rlinks": [rlink],
                }
            )
        return out
