"""POA&M items: one per unique vulnerability of the image, as FedRAMP asks (never grouping several into one).

An item gathers every record of one vulnerability id (the packages it is in). It is open while any of its
records is open; otherwise it is closed: fixed (no longer found), or not a risk (a VEX `not_affected` or
`fixed`, an approved false positive). Items of negligible severity are left out: FedRAMP tracks Low and above.
The renderers (OSCAL POA&M, the POA&M workbook, the report) all read these items, so they agree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from evidence.model import AuditPackage, Deviation, Severity, VulnerabilityRecord

SCAN_CONTROLS = ("RA-5", "SI-2")
FEDRAMP_RATING = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Moderate",
    Severity.LOW: "Low",
    Severity.NEGLIGIBLE: "Low",
    Severity.UNKNOWN: "High",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PoamItem:
    poam_id: str  # "V-<vulnerability id>": stable across releases of the image
    vulnerability: str
    ids: tuple[str, ...]  # the id and every alias, sorted
    records: tuple[VulnerabilityRecord, ...]
    is_open: bool
    severity: Severity
    adjusted_severity: Severity | None
    first_detected: datetime | None
    due: datetime | None
    overdue: bool
    kev: bool
    kev_due: date | None
    status_date: datetime
    deviation: Deviation | None

    @property
    def cves(self) -> tuple[str, ...]:
        return tuple(i for i in self.ids if i.upper().startswith("CVE-"))

    @property
    def title(self) -> str:
        return next((r.title for r in self.records if r.title), None) or self.vulnerability

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(" ".join(p for p in (r.package, r.installed_version) if p) for r in self.records))

    @property
    def scanners(self) -> tuple[str, ...]:
        return tuple(sorted({s for r in self.records for s in r.scanners}))

    @property
    def fixed_versions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v for r in self.records for v in r.fixed_versions))

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for r in self.records for f in r.deviation_flags))

    @property
    def disagreements(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(
                f"{r.package} {r.installed_version or ''}: {d}" for r in self.records for d in r.disagreements
            )
        )


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _status_date(records: list[VulnerabilityRecord], is_open: bool, assessed_at: datetime) -> datetime:
    """When the item last changed: now while open; else when it was closed, suppressed or accepted."""
    if is_open:
        return assessed_at
    moments = [r.closed_at for r in records if r.closed_at]
    moments += [
        r.suppression.statement.timestamp for r in records if r.suppression and r.suppression.statement.timestamp
    ]
    return max((_utc(m) for m in moments), default=_utc(assessed_at))


def poam_items(pkg: AuditPackage) -> tuple[PoamItem, ...]:
    """The package's POA&M items: open ones first by due date, then closed ones; severity negligible left out."""
    groups: dict[str, list[VulnerabilityRecord]] = defaultdict(list)
    for record in pkg.vulnerabilities:
        groups[record.id].append(record)
    items = []
    for vulnerability, records in groups.items():
        severity = max((r.severity for r in records), key=lambda s: s.rank)
        if severity is Severity.NEGLIGIBLE:
            continue
        live = [r for r in records if r.state == "open"]
        is_open = bool(live)
        chosen = live or records
        deviations = [r.deviation for r in chosen if r.deviation is not None]
        adjusted = [
            d.adjusted_severity
            for d in deviations
            if d.type == "risk-adjustment" and d.status == "approved" and d.adjusted_severity
        ]
        dues = [_utc(r.due) for r in live if r.due]
        detected = [_utc(r.first_detected) for r in records if r.first_detected]
        kev_dues = [r.kev_due for r in records if r.kev_due]
        items.append(
            PoamItem(
                poam_id=f"V-{vulnerability}",
                vulnerability=vulnerability,
                ids=tuple(sorted({vulnerability, *(a for r in records for a in r.aliases)})),
                records=tuple(chosen),
                is_open=is_open,
                severity=max((r.severity for r in chosen), key=lambda s: s.rank),
                adjusted_severity=max(adjusted, key=lambda s: s.rank) if adjusted else None,
                first_detected=min(detected, default=None),
                due=min(dues, default=None),
                overdue=any(r.overdue for r in live),
                kev=any(r.kev for r in records),
                kev_due=min(kev_dues, default=None),
                status_date=_status_date(chosen, is_open, pkg.assessed_at),
                deviation=deviations[0] if deviations else None,
            )
        )
    far = datetime.max.replace(tzinfo=UTC)
    items.sort(key=lambda i: (not i.is_open, i.due or far, -i.severity.rank, i.vulnerability))
    return tuple(items)


def asset_identifier(pkg: AuditPackage) -> str:
    """The image's inventory id, the same in the POA&M and the inventory: `name:release@digest`."""
    s = pkg.subject
    return f"{s.name}:{s.release}@{s.digest}" if s.release else f"{s.name}@{s.digest}"


def yes_no_pending(item: PoamItem, deviation_type: str) -> str:
    d = item.deviation
    if d is None or d.type != deviation_type:
        return "No"
    return "Yes" if d.status == "approved" else "Pending"


def false_positive(item: PoamItem) -> str:
    """Yes for an approved false positive or a VEX `not_affected` that closed the item; Pending while requested."""
    if any(r.suppression and r.suppression.statement.status == "not_affected" for r in item.records):
        return "Yes"
    return yes_no_pending(item, "false-positive")


def remediation_plan(item: PoamItem) -> str:
    base = [r for r in item.records if r.attribution == "base-image"]
    if item.fixed_versions:
        plan = f"Upgrade {', '.join(item.packages)} to {', '.join(item.fixed_versions)}"
        plan += " by rebuilding on an updated base image" if base else " and rebuild the image"
        return plan + "; deploy the rebuilt image."
    if base:
        return "No fixed version is known: track the base image vendor's fix, then rebuild on the fixed base image."
    return "No fixed version is known: track the upstream fix, mitigate meanwhile, then rebuild the image."


def rating(severity: Severity | None) -> str:
    return FEDRAMP_RATING[severity] if severity is not None else ""
