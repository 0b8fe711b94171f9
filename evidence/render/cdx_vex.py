"""`vex.cdx.json`: the vulnerability records as a CycloneDX 1.6 BOM with VEX analyses.

The BOM describes the image (`metadata.component`, a container whose bom-ref is its `pkg:oci` purl) and lists each
vulnerable package once as a component (bom-ref its purl, else `fromline:component:<name>@<version>`). Each
vulnerability record is one `vulnerabilities[]` entry whose `affects[].ref` is that component, with its rating
(Fromline's severity, and the CVSS score and vector it was rated by) and an `analysis`:

- suppressed by a trusted VEX statement: `not_affected` (`resolved` for a `fixed` statement), the justification
  in CycloneDX's words (OpenVEX's five labels mapped to the nearest: `vulnerable_code_not_present` and
  `component_not_present` to `code_not_present`, `vulnerable_code_not_in_execute_path` to `code_not_reachable`,
  `vulnerable_code_cannot_be_controlled_by_adversary` to `requires_environment`,
  `inline_mitigations_already_exist` to `protected_by_mitigating_control`; the label itself stays in `detail`);
- suppressed by an approved false-positive deviation: `false_positive`;
- open: `exploitable`, response `update` when a fixed version is known, the fix in `detail`;
- closed (no longer found): `resolved`.

The serial number is a `urn:uuid:` made from the image digest and the assessment time; the timestamp is the
assessment time.
"""

from __future__ import annotations

from typing import BinaryIO

from evidence.model import AuditPackage, Severity, VulnerabilityRecord, VulnerabilityState
from evidence.render.ecosystem import Json, dump, fix_text, image_purl, moment, suppressed_by, text
from evidence.render.oscal import name_uuid

__all__ = ["CDX_SPEC_VERSION", "CycloneDxVex", "cyclonedx_vex"]

CDX_SPEC_VERSION = "1.6"
_SEVERITY = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "high",
    Severity.MEDIUM: "medium",
    Severity.LOW: "low",
    Severity.NEGLIGIBLE: "info",
    Severity.UNKNOWN: "unknown",
}
_JUSTIFICATION = {
    "component_not_present": "code_not_present",
    "vulnerable_code_not_present": "code_not_present",
    "vulnerable_code_not_in_execute_path": "code_not_reachable",
    "vulnerable_code_cannot_be_controlled_by_adversary": "requires_environment",
    "inline_mitigations_already_exist": "protected_by_mitigating_control",
}
_CVSS_METHOD = {"2.0": "CVSSv2", "3.0": "CVSSv3", "3.1": "CVSSv31", "4.0": "CVSSv4"}


def component_ref(record: VulnerabilityRecord) -> str:
    """The bom-ref of the record's package: its purl, else a name of ours."""
    if record.purl:
        return text(record.purl)
    return text(f"fromline:component:{record.package}@{record.installed_version or ''}")


def _component(record: VulnerabilityRecord) -> Json:
    component: Json = {"type": "library", "bom-ref": component_ref(record), "name": text(record.package)}
    if record.installed_version:
        component["version"] = text(record.installed_version)
    if record.purl:
        component["purl"] = text(record.purl)
    return component


def _ratings(record: VulnerabilityRecord) -> list[Json]:
    rating: Json = {"source": {"name": "Fromline"}, "severity": _SEVERITY[record.severity], "method": "other"}
    cvss = record.rating_cvss
    if cvss is not None and cvss.score is not None:
        rating["score"] = cvss.score
        rating["method"] = _CVSS_METHOD.get(cvss.version or "", "other")
        if cvss.vector:
            rating["vector"] = text(cvss.vector)
    return [rating]


def _analysis(record: VulnerabilityRecord) -> Json:
    why = suppressed_by(record)
    if why is not None:
        if why.by == "deviation":
            return {"state": "false_positive", "detail": text(f"{why.source}: {why.statement}")}
        if why.status == "fixed":
            return {"state": "resolved", "detail": text(f"{why.source}: {why.statement}")}
        analysis: Json = {"state": "not_affected"}
        label = f" (OpenVEX justification {why.justification})" if why.justification else ""
        if why.justification:
            analysis["justification"] = _JUSTIFICATION[why.justification]
        analysis["detail"] = text(f"{why.source}{label}: {why.statement}")
        return analysis
    if record.state is VulnerabilityState.CLOSED:
        return {"state": "resolved", "detail": "Reported by the previous assessment, not found by this one's scans."}
    analysis = {"state": "exploitable", "detail": fix_text(record)}
    if record.fixed_versions:
        analysis["response"] = ["update"]
    return analysis


def cyclonedx_vex(pkg: AuditPackage) -> Json:
    """The CycloneDX VEX BOM of `pkg`'s vulnerability records."""
    stamp = moment(pkg.assessed_at)
    image = image_purl(pkg.subject)
    components: dict[str, Json] = {}
    vulnerabilities = []
    for n, record in enumerate(pkg.vulnerabilities):
        ref = component_ref(record)
        components.setdefault(ref, _component(record))
        entry: Json = {
            "bom-ref": f"fromline:vulnerability:{n}",
            "id": text(record.id),
            "ratings": _ratings(record),
            "analysis": _analysis(record),
            "affects": [{"ref": ref}],
        }
        if record.title:
            entry["description"] = text(record.title)
        if record.fixed_versions:
            entry["recommendation"] = fix_text(record)
        aliases = [a for a in dict.fromkeys(record.aliases) if a != record.id]
        if aliases:
            entry["properties"] = [{"name": "fromline:alias", "value": text(a)} for a in aliases]
        vulnerabilities.append(entry)
    return {
        "bomFormat": "CycloneDX",
        "specVersion": CDX_SPEC_VERSION,
        "serialNumber": f"urn:uuid:{name_uuid(f'cdx-vex/{pkg.subject.digest}/{stamp}')}",
        "version": 1,
        "metadata": {
            "timestamp": stamp,
            "tools": {"components": [{"type": "application", "name": pkg.tool.name, "version": pkg.tool.version}]},
            "component": {
                "type": "container",
                "bom-ref": image,
                "name": pkg.subject.name,
                "version": pkg.subject.digest,
                "purl": image,
            },
        },
        "components": list(components.values()),
        "vulnerabilities": vulnerabilities,
    }


class CycloneDxVex:
    filename = "vex.cdx.json"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(dump(cyclonedx_vex(pkg)))
