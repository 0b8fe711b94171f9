"""What the POA&M renderers share: FedRAMP's rating words, the scan controls, the asset id, an item's records.

The items themselves are decided in evaluation (`evidence.evaluate.poam`) and recorded in `AuditPackage.poam`.
"""

from __future__ import annotations

from evidence.model import AuditPackage, PoamItem, Severity, VulnerabilityRecord

SCAN_CONTROLS = ("RA-5", "SI-2")
FEDRAMP_RATING = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Moderate",
    Severity.LOW: "Low",
    Severity.NEGLIGIBLE: "Low",
    Severity.UNKNOWN: "High",
}


def asset_identifier(pkg: AuditPackage) -> str:
    """The image's inventory id, the same in the POA&M and the inventory: `name:release@digest`."""
    s = pkg.subject
    return f"{s.name}:{s.release}@{s.digest}" if s.release else f"{s.name}@{s.digest}"


def item_records(pkg: AuditPackage, item: PoamItem) -> tuple[VulnerabilityRecord, ...]:
    """The vulnerability records an item covers, looked up by their recorded positions."""
    return tuple(pkg.vulnerabilities[i] for i in item.records if 0 <= i < len(pkg.vulnerabilities))


def rating(severity: Severity | None) -> str:
    return FEDRAMP_RATING[severity] if severity is not None else ""
