"""`checklist.cklb`: the DISA controls as a STIG Viewer 3 checklist (CKLB, JSON).

Format source: the checklists DISA STIG Viewer 3 writes (top level `title`, `id`, `stigs`, `active`, `mode`,
`has_path`, `target_data`; each STIG with its `rules`), with the field set and values of MITRE SAF's CKLB JSON
schema (`cklb_version` 1.0; rule `severity` one of `high`, `medium`, `low`, `unknown`; `status` one of
`not_a_finding`, `open`, `not_applicable`, `not_reviewed`). See the README, "DoD exports".

Two STIGs, as the DISA catalog holds two sources: the Container Platform SRG's rules (their Vuln ID as
`group_id`, their SRG id as `rule_version`, CAT I, II, III as high, medium, low) and the Container Image Creation
and Deployment Guide's requirements (their section as `group_id` and `rule_version`; the guide assigns no
category, so `unknown`). Each rule carries its CCIs, the verdict's reason and the evidence it cites
(`finding_details`), and what image evidence did not show (`comments`).

Status: `not_a_finding` only for a control satisfied in full; one satisfied for the part image evidence shows is
`not_reviewed`, the part not shown named, as are manual, evidence-missing and not-assessed controls, so a
checklist never claims more than was shown. Not satisfied is `open`, not applicable `not_applicable`.

Every UUID is a version 5 UUID of names made from the image digest, the assessment time and the control, so the
same package gives the same bytes. Text from the inputs is JSON data; characters that could act rather than be
read are shown as escapes (`evidence.visible`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO

import orjson

from evidence.errors import RenderError
from evidence.model import DISA_CATALOG, AuditPackage, ControlResult, Scope, Status
from evidence.render.oscal import UUID_NAMESPACE
from evidence.visible import visible

__all__ = ["CKLB_VERSION", "StigChecklist", "checklist"]

Json = dict[str, Any]

CKLB_VERSION = "1.0"
SEVERITY = {"CAT I": "high", "CAT II": "medium", "CAT III": "low"}
UNKNOWN_SEVERITY = "unknown"


@dataclass(frozen=True, slots=True)
class Benchmark:
    """One DISA source of the catalog's controls, as a STIG of the checklist."""

    stig_id: str
    stig_name: str
    display_name: str
    release_info: str


# The releases the bundled catalog transcribes (evidence/controls/disa-container.yaml).
SRG = Benchmark(
    stig_id="Container_Platform_SRG",
    stig_name="Container Platform Security Requirements Guide",
    display_name="Container Platform SRG",
    release_info="Release: 4 Benchmark Date: 28 Oct 2025",  # Version 2
)
GUIDE = Benchmark(
    stig_id="DevSecOps_Container_Image_Creation_and_Deployment_Guide",
    stig_name="DevSecOps Enterprise Container Image Creation and Deployment Guide",
    display_name="Container Image Creation and Deployment Guide",
    release_info="Release: 0.6 Benchmark Date: 02 Nov 2020",  # Version 2
)


def _text(value: str | None) -> str:
    return visible(value or "", keep="\n\t")


def _time(moment: datetime) -> str:
    """STIG Viewer's timestamps: UTC, milliseconds, `Z`."""
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def rule_status(control: ControlResult) -> str:
    """The checklist status of a control's verdict; never `not_a_finding` for a part of the control."""
    if control.status is Status.SATISFIED:
        return "not_a_finding" if control.scope is Scope.FULL else "not_reviewed"
    if control.status is Status.NOT_SATISFIED:
        return "open"
    if control.status is Status.NOT_APPLICABLE:
        return "not_applicable"
    return "not_reviewed"  # manual, evidence-missing, not-assessed: a person decides


def _finding_details(control: ControlResult) -> str:
    lines = [f"{control.status.value}: {control.reason}"]
    lines += [f"- {c.check}: {c.status.value}. {c.reason}" for c in control.checks]
    if control.evidence:
        lines.append("Evidence:")
        lines += [
            f"- {r.path} (sha256:{r.sha256})" + (f" at {r.location}" if r.location else "") for r in control.evidence
        ]
    return _text("\n".join(lines))


def _comments(pkg: AuditPackage, control: ControlResult) -> str:
    lines = [f"Assessed by {pkg.tool.name} {pkg.tool.version} from image evidence at {_time(pkg.assessed_at)}."]
    if control.status is Status.SATISFIED and control.scope is not Scope.FULL:
        lines.append("Satisfied only for the part image evidence shows: review the rest before closing.")
    if control.not_shown:
        lines.append(f"Not shown by image evidence: {control.not_shown}")
    if control.responsible:
        lines.append(f"Responsible layer: {control.responsible.value}.")
    if control.nist_800_53:
        lines.append(f"NIST SP 800-53 Rev. 5: {', '.join(control.nist_800_53)}.")
    return _text("\n".join(lines))


class _Builder:
    def __init__(self, pkg: AuditPackage) -> None:
        self.pkg = pkg
        self.stamp = _time(pkg.assessed_at)
        self.scope = f"{pkg.subject.digest}@{self.stamp}/cklb"

    def uuid(self, name: str) -> str:
        return str(uuid.uuid5(UUID_NAMESPACE, f"{self.scope}/{name}"))

    def rule(self, control: ControlResult, stig_uuid: str) -> Json:
        number = control.vuln_id.removeprefix("V-") if control.vuln_id else ""
        rule_id = f"SV-{number}" if number else ""
        group_id = control.vuln_id or control.control_id
        title = _text(control.title)
        return {
            "uuid": self.uuid(f"rule/{control.catalog}/{control.control_id}"),
            "stig_uuid": stig_uuid,
            "target_key": None,
            "stig_ref": None,
            "group_id": _text(group_id),
            "rule_id": _text(rule_id),
            "rule_id_src": _text(f"{rule_id}_rule" if rule_id else ""),
            "weight": "10.0",
            "classification": "Unclassified",
            "severity": SEVERITY.get(control.category or "", UNKNOWN_SEVERITY),
            "rule_version": _text(control.control_id),
            "group_title": _text(control.control_id if control.vuln_id else control.title),
            "rule_title": title,
            "fix_text": "",
            "false_positives": "",
            "false_negatives": "",
            "discussion": "",
            "check_content": "",
            "documentable": "false",
            "mitigations": "",
            "potential_impacts": "",
            "third_party_tools": "",
            "mitigation_control": "",
            "responsibility": "",
            "security_override_guidance": "",
            "ia_controls": _text(control.ia_control),
            "check_content_ref": None,
            "legacy_ids": [],
            "ccis": [_text(c) for c in control.cci],
            "group_tree": [{"id": _text(group_id), "title": _text(control.control_id), "description": ""}],
            "createdAt": self.stamp,
            "updatedAt": self.stamp,
            "STIGUuid": stig_uuid,
            "status": rule_status(control),
            "overrides": {},
            "comments": _comments(self.pkg, control),
            "finding_details": _finding_details(control),
        }

    def stig(self, benchmark: Benchmark, controls: list[ControlResult]) -> Json:
        stig_uuid = self.uuid(f"stig/{benchmark.stig_id}")
        return {
            "stig_name": benchmark.stig_name,
            "display_name": benchmark.display_name,
            "stig_id": benchmark.stig_id,
            "release_info": benchmark.release_info,
            "uuid": stig_uuid,
            "reference_identifier": "",
            "size": len(controls),
            "rules": [self.rule(c, stig_uuid) for c in controls],
        }

    def document(self) -> Json:
        pkg = self.pkg
        disa = [c for c in pkg.controls if c.catalog == DISA_CATALOG]
        sources = [(GUIDE, [c for c in disa if not c.vuln_id]), (SRG, [c for c in disa if c.vuln_id])]
        release = f" {pkg.subject.release}" if pkg.subject.release else ""
        return {
            "title": _text(f"{pkg.subject.name}{release}: DISA container image checklist"),
            "id": self.uuid("checklist"),
            "stigs": [self.stig(benchmark, controls) for benchmark, controls in sources if controls],
            "active": False,
            "mode": 2,
            "has_path": True,
            "target_data": {
                "target_type": "Computing",
                "host_name": _text(pkg.subject.name),
                "ip_address": "",
                "mac_address": "",
                "fqdn": "",
                "comments": _text(f"Container image {pkg.subject.reference} (digest {pkg.subject.digest}{release})"),
                "role": "None",
                "is_web_database": False,
                "technology_area": "",
                "web_db_site": "",
                "web_db_instance": "",
            },
            "cklb_version": CKLB_VERSION,
        }


def checklist(pkg: AuditPackage) -> Json:
    """The checklist of the package's DISA controls, as plain data."""
    return _Builder(pkg).document()


class StigChecklist:
    """Renders `checklist.cklb`: the DISA catalog's controls as a STIG Viewer 3 checklist."""

    filename = "checklist.cklb"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        try:
            data = orjson.dumps(checklist(pkg), option=orjson.OPT_INDENT_2) + b"\n"
        except orjson.JSONEncodeError as e:
            raise RenderError(f"{self.filename}: cannot serialize the checklist: {e}") from e
        try:
            out.write(data)
        except OSError as e:
            raise RenderError(f"{self.filename}: cannot write: {e}") from e
