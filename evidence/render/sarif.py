"""`fromline.sarif`: the package's findings as SARIF 2.1.0 (OASIS), for GitHub code scanning and SARIF viewers.

One run, tool driver `fromline`. A rule for each control whose verdict is not-satisfied or evidence-missing (id
`<catalog>/<control id>`, its title as the short description, the verdict's reason as help, its NIST SP 800-53
controls as properties) and for each vulnerability id reported as open or suppressed; a result for each of them.
Controls satisfied, not applicable, manual or not assessed are no finding in the image and have no result;
closed vulnerabilities (no longer found) have none either.

Levels: a control's result is `error`; a vulnerability's follows its severity (critical and high `error`, medium
and unknown `warning`, low and negligible `note`). A suppressed vulnerability stays a result, with a suppression
of kind `external` whose justification is the VEX statement or deviation that suppressed it.

Every result has a physical location, as GitHub code scanning requires: the Dockerfile line for a control decided
by the Dockerfile (the evidence path as given, relative; the line as a region), else the image reference. Its
`partialFingerprints` are hashes of the rule, the image name and the package, so the same finding in a later
run, or a later build of the image, is the same alert.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import quote

from evidence.model import (
    AuditPackage,
    ControlResult,
    EvidenceKind,
    EvidenceRef,
    Severity,
    Status,
    VulnerabilityRecord,
    VulnerabilityState,
)
from evidence.render import safe_relative_path
from evidence.render.ecosystem import Json, dump, fingerprint, fix_text, moment, suppressed_by, text

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "Sarif", "sarif"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT = "fromlineFinding/v1"
# Controls whose verdict is a finding in the image: missing evidence is never a pass.
FINDING_STATUSES = (Status.NOT_SATISFIED, Status.EVIDENCE_MISSING)
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.UNKNOWN: "warning",
    Severity.LOW: "note",
    Severity.NEGLIGIBLE: "note",
}
# GitHub's `security-severity` for a severity without a CVSS score: within the band GitHub gives that severity.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: 9.5,
    Severity.HIGH: 8.0,
    Severity.MEDIUM: 5.5,
    Severity.LOW: 2.0,
    Severity.NEGLIGIBLE: 0.0,
    Severity.UNKNOWN: 5.5,
}


def _line(location: str | None) -> int | None:
    """`line N` (how the Dockerfile collector places a fact) as N; None for a JSON pointer or nothing."""
    if location is None or not location.startswith("line "):
        return None
    number = location.removeprefix("line ").strip()
    return int(number) if number.isdigit() and int(number) > 0 else None


class _Builder:
    def __init__(self, pkg: AuditPackage) -> None:
        self.pkg = pkg
        self.by_id = {e.id: e for e in pkg.evidence}

    def uri(self, ref: EvidenceRef) -> str:
        """The evidence file as a relative URI: its path as given when that is relative, else its copy's name."""
        path = ref.path
        if path.startswith("/") or ":" in path.partition("/")[0] or ".." in path.split("/") or "\\" in path:
            item = self.by_id.get(ref.evidence_id)
            path = item.stored_as if item is not None and item.stored_as else safe_relative_path(path)
        return quote(path, safe="/")

    def image_location(self) -> Json:
        return {"physicalLocation": {"artifactLocation": {"uri": quote(self.pkg.subject.reference, safe="/:@")}}}

    def dockerfile_refs(self, control: ControlResult) -> Iterable[EvidenceRef]:
        """The control's Dockerfile evidence, that of its failing checks first."""
        failing = [c for c in control.checks if c.status in FINDING_STATUSES]
        others = [c for c in control.checks if c.status not in FINDING_STATUSES]
        for refs in (*(c.evidence for c in failing), control.evidence, *(c.evidence for c in others)):
            for ref in refs:
                item = self.by_id.get(ref.evidence_id)
                if item is not None and item.kind is EvidenceKind.DOCKERFILE:
                    yield ref

    def control_location(self, control: ControlResult) -> Json:
        refs = list(self.dockerfile_refs(control))
        if not refs:
            return self.image_location()
        ref = next((r for r in refs if _line(r.location) is not None), refs[0])
        physical: Json = {"artifactLocation": {"uri": self.uri(ref)}}
        line = _line(ref.location)
        if line is not None:
            physical["region"] = {"startLine": line}
        return {"physicalLocation": physical}

    def control_rule(self, control: ControlResult) -> Json:
        return {
            "id": f"{control.catalog}/{control.control_id}",
            "name": f"{control.catalog} {control.control_id}",
            "shortDescription": {"text": text(control.title) or control.control_id},
            "help": {"text": text(control.reason) or control.status.value},
            "properties": {
                "nist-800-53": list(control.nist_800_53),
                "tags": ["compliance", control.catalog, *control.nist_800_53],
            },
        }

    def control_result(self, control: ControlResult, index: int) -> Json:
        rule = f"{control.catalog}/{control.control_id}"
        words = "evidence missing" if control.status is Status.EVIDENCE_MISSING else "not satisfied"
        message = f"{control.catalog} {control.control_id} ({control.title}) is {words}: {control.reason}"
        if control.not_shown:
            message += f" Not shown by image evidence: {control.not_shown}"
        return {
            "ruleId": rule,
            "ruleIndex": index,
            "level": "error",
            "kind": "fail",
            "message": {"text": text(message)},
            "locations": [self.control_location(control)],
            "partialFingerprints": {FINGERPRINT: fingerprint("control", rule, self.pkg.subject.name)},
            "properties": {"status": control.status.value, "scope": control.scope.value},
        }

    def vulnerability_rule(self, records: list[VulnerabilityRecord]) -> Json:
        first = records[0]
        title = next((r.title for r in records if r.title), None)
        worst = max(records, key=lambda r: r.severity.rank).severity
        scores = [r.rating_cvss.score for r in records if r.rating_cvss is not None and r.rating_cvss.score is not None]
        score = max(scores) if scores else _SECURITY_SEVERITY[worst]
        packages = sorted({r.package for r in records})
        return {
            "id": first.id,
            "shortDescription": {"text": text(title or first.id)},
            "help": {"text": text(f"{first.id} in {', '.join(packages)}: see each result for the fix.")},
            "properties": {
                "security-severity": f"{score:.1f}",
                "tags": ["security", "vulnerability", worst.value],
                "aliases": [text(a) for a in first.aliases],
            },
        }

    def vulnerability_result(self, record: VulnerabilityRecord, index: int) -> Json:
        version = f" {record.installed_version}" if record.installed_version else ""
        title = f": {record.title}" if record.title else ""
        message = f"{record.id} in {record.package}{version} ({record.severity.value}){title}. {fix_text(record)}"
        location = self.image_location()
        logical: Json = {"name": text(record.package), "kind": "module"}
        if record.purl:
            logical["fullyQualifiedName"] = text(record.purl)
        location["logicalLocations"] = [logical]
        result: Json = {
            "ruleId": record.id,
            "ruleIndex": index,
            "level": _LEVEL[record.severity],
            "kind": "fail",
            "message": {"text": text(message)},
            "locations": [location],
            "partialFingerprints": {
                FINGERPRINT: fingerprint(
                    "vulnerability", record.id, self.pkg.subject.name, record.package, record.installed_version or ""
                )
            },
            "properties": {"state": record.state.value, "severity": record.severity.value},
        }
        if record.purl:
            result["properties"]["purl"] = text(record.purl)
        why = suppressed_by(record)
        if why is not None:
            result["suppressions"] = [
                {"kind": "external", "status": "accepted", "justification": f"{why.source}: {why.statement}"}
            ]
        return result

    def run_properties(self) -> Json:
        pkg = self.pkg
        properties: Json = {"image": pkg.subject.reference, "profile": text(pkg.profile)}
        if pkg.subject.release:
            properties["release"] = text(pkg.subject.release)
        properties["assessedAt"] = moment(pkg.assessed_at)
        return properties

    def document(self) -> Json:
        controls = [c for c in self.pkg.controls if c.status in FINDING_STATUSES]
        rules = [self.control_rule(c) for c in controls]
        results = [self.control_result(c, i) for i, c in enumerate(controls)]
        shown = [r for r in self.pkg.vulnerabilities if r.state is not VulnerabilityState.CLOSED]
        by_id: dict[str, list[VulnerabilityRecord]] = {}
        for record in shown:
            by_id.setdefault(record.id, []).append(record)
        index = {vuln: len(rules) + n for n, vuln in enumerate(by_id)}
        rules += [self.vulnerability_rule(records) for records in by_id.values()]
        results += [self.vulnerability_result(r, index[r.id]) for r in shown]
        pkg = self.pkg
        return {
            "$schema": SARIF_SCHEMA,
            "version": SARIF_VERSION,
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": pkg.tool.name,
                            "version": pkg.tool.version,
                            "rules": rules,
                        }
                    },
                    "invocations": [{"executionSuccessful": True, "endTimeUtc": moment(pkg.assessed_at)}],
                    "results": results,
                    "properties": self.run_properties(),
                }
            ],
        }


def sarif(pkg: AuditPackage) -> Json:
    """The SARIF log of `pkg`."""
    return _Builder(pkg).document()


class Sarif:
    filename = "fromline.sarif"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(dump(sarif(pkg)))
