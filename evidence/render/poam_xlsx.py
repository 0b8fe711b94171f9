"""`poam.xlsx`: the POA&M in the layout of FedRAMP's Rev5 POA&M template, Open and Closed tabs.

Each tab is laid out as the template is: its header block (the title on row 1; CSP, System Name, Impact Level
and POA&M Date labelled on row 2 and given on row 3, blank where `--csp`, `--system-name` or `--impact` were not
given; row 4 empty) above the column row, row 5, and one row per POA&M item from row 6, as evaluation recorded
them (`AuditPackage.poam`). Tools that read the template by its layout (compliance-trestle's
`xlsx-to-oscal-poam`) read it so. The columns are the template's, in its order, with its header text (domain
reference §3.5). Cells are written the way `xlsx.py` writes them: every string is a string cell, never a
formula; dates are Excel dates (shown `2026-11-20`), so that they sort and filter as dates. The Original Risk Rating
is FedRAMP's (NVD's CVSSv3, else CVSSv2, else the scanner's); the template has no column for the scanner's own
severity, so the first line of Comments says what the rating rests on and what the scanners said. A closed item
keeps its original detection and scheduled completion dates.
"""

from __future__ import annotations

from datetime import datetime
from typing import BinaryIO

from evidence.lifecycle.citations import (
    cite,
    kev_citation,
    lifecycle_input,
    point_of_contact,
    resources_required,
)
from evidence.lifecycle.poam import (
    asset_identifier,
    detection_words,
    item_control,
    item_rating_basis,
    item_records,
    rating,
    utc_day,
)
from evidence.model import (
    AuditPackage,
    DeviationType,
    LifecycleInputKind,
    PoamItem,
    Severity,
    VulnerabilityRecord,
    WeaknessSource,
)
from evidence.render.xlsx import Row, Sheet, Table, write_workbook

__all__ = ["POAM_COLUMNS", "POAM_HEADER_ROW", "PoamWorkbook"]

POAM_TITLE = "Plan of Action and Milestones (POA&M)"
POAM_HEADER_ROW = 5  # the template's column row, below its header block

POAM_COLUMNS = (
    "POAM ID",
    "Controls",
    "Weakness Name",
    "Weakness Description",
    "Weakness Detector Source",
    "Weakness Source Identifier",
    "Asset Identifier",
    "Point of Contact",
    "Resources Required",
    "Overall Remediation Plan",
    "Original Detection Date",
    "Scheduled Completion Date",
    "Planned Milestones",
    "Milestone Changes",
    "Status Date",
    "Vendor Dependency",
    "Last Vendor Check-in Date",
    "Vendor Dependent Product Name",
    "Original Risk Rating",
    "Adjusted Risk Rating",
    "Risk Adjustment",
    "False Positive",
    "Operational Requirement",
    "Deviation Rationale",
    "Supporting Documents",
    "Comments",
    "Auto-Approve",
    "Binding Operational Directive 22-01 tracking",
    "Binding Operational Directive 22-01 Due Date",
    "CVE",
    "Service Name",
)


def _iso_day(moment: datetime | None) -> str | None:
    day = utc_day(moment)
    return day.isoformat() if day else None


def header_block(pkg: AuditPackage) -> tuple[Row, ...]:
    """The template's rows above the column row: the title, the labels, the system as the user named it."""
    system = pkg.context.system
    impact = system.impact.value.capitalize() if system and system.impact else None
    return (
        (POAM_TITLE,),
        ("CSP", "System Name", "Impact Level", "POA&M Date"),
        (system.csp if system else None, system.name if system else None, impact, utc_day(pkg.assessed_at)),
        (),
    )


def _detector(pkg: AuditPackage, records: tuple[VulnerabilityRecord, ...], item: PoamItem) -> str:
    cited = {r.evidence_id for rec in records for r in rec.evidence}
    tools = {" ".join(t for t in (e.tool or e.format, e.tool_version) if t) for e in pkg.evidence if e.id in cited}
    return ", ".join(sorted(tools)) or ", ".join(item.scanners)


def _rationale(records: tuple[VulnerabilityRecord, ...], item: PoamItem) -> str | None:
    if item.deviation is not None:
        return item.deviation.justification
    for r in records:
        vex = r.suppression or (r.vex if r.vex_proposal is not None else None)
        if vex is not None:
            s = vex.statement
            said = "; ".join(t for t in (s.justification, s.impact_statement) if t)
            author = s.author or "an unnamed author"
            trust = f"trusted as {vex.trusted_by}" if vex.trusted_by else "not trusted: proposed, pending approval"
            return f"VEX {s.status} by {author} ({trust}): {said}" if said else None
    return None


def _documents(pkg: AuditPackage, records: tuple[VulnerabilityRecord, ...], item: PoamItem) -> str:
    refs = [ref for r in records for ref in r.evidence]
    refs += [r.vex.evidence for r in records if r.vex is not None]
    paths = [f"{ref.path} (sha256:{ref.sha256[:12]})" for ref in refs]
    if item.deviation is not None:
        requests = lifecycle_input(pkg, LifecycleInputKind.DEVIATIONS)
        copy = f" ({requests.stored_as}, sha256:{requests.sha256[:12]})" if requests else ""
        paths.append(f"deviation request {item.deviation.id} in {item.deviation.source}{copy}")
    return "\n".join(dict.fromkeys(paths))


def _comments(pkg: AuditPackage, records: tuple[VulnerabilityRecord, ...], item: PoamItem) -> str:
    lines = [
        f"Original risk rating from {item_rating_basis(item)}",
        f"Original detection date from {detection_words(item.detection_source)}",
    ]
    if item.severity is Severity.CRITICAL:
        lines.insert(1, "Critical by its score: High is the template's highest rating; due as critical")
    for r in records:
        what = f"{r.package} {r.installed_version or ''}".strip()
        lines.append(f"{what}: {r.state}; attribution {r.attribution} ({r.attribution_reason})")
        if r.vex is not None:
            s = r.vex.statement
            detail = s.action_statement or s.impact_statement or s.justification
            lines.append(f"{what}: VEX {s.status}" + (f": {detail}" if detail else ""))
        if r.vex_unjustified:
            lines.append(f"{what}: VEX not_affected without justification or impact statement: not applied")
        if r.epss is not None:
            pct = f", percentile {r.epss_percentile:.3f}" if r.epss_percentile is not None else ""
            scores = lifecycle_input(pkg, LifecycleInputKind.EPSS)
            lines.append(f"{what}: EPSS {r.epss:.5f}{pct}" + (f", from the {cite(scores)}" if scores else ""))
    kev = kev_citation(pkg, item)
    if kev:
        lines.append(kev)
    lines += [f"Flag: {f}" for f in item.flags]
    lines += [f"Scanner disagreement: {d}" for d in item.disagreements]
    if item.overdue:
        lines.insert(0, "OVERDUE: past the scheduled completion date at the assessment time")
    if item.closed_late:
        lines.insert(0, "CLOSED LATE: closed after the scheduled completion date")
    return "\n".join(dict.fromkeys(lines))


def _milestones(item: PoamItem) -> str | None:
    steps = []
    if item.first_detected:
        steps.append(f"(1) {_iso_day(item.first_detected)}: identified by {', '.join(item.scanners)}")
    if item.due:
        steps.append(f"({len(steps) + 1}) {_iso_day(item.due)}: remediated and the rebuilt image deployed")
    return "\n".join(steps) or None


def _control_row(pkg: AuditPackage, item: PoamItem) -> Row:
    """A control not satisfied, in the same columns: the catalog is its weakness source."""
    control = item_control(pkg, item)
    reason = control.reason if control is not None else item.title
    cited = "\n".join(f"{r.path} (sha256:{r.sha256[:12]})" for r in (control.evidence if control else ()))
    catalog = next((c for c in pkg.catalogs if control is not None and c.id == control.catalog), None)
    detector = f"{pkg.tool.name} {pkg.tool.version}" + (f", {catalog.title}" if catalog else "")
    steps = [f"(1) {utc_day(item.first_detected)}: found not satisfied by the assessment"]
    if item.due:
        steps.append(f"(2) {utc_day(item.due)}: the control met, shown by a new assessment")
    comments = [
        f"Original risk rating from {item_rating_basis(item)}",
        f"Original detection date from {detection_words(item.detection_source)}",
    ]
    if item.overdue:
        comments.insert(0, "OVERDUE: past the scheduled completion date at the assessment time")
    return (
        item.poam_id,
        ", ".join(item.controls),
        item.title,
        reason,
        detector,
        item.vulnerability,
        asset_identifier(pkg),
        point_of_contact(pkg, item),
        resources_required(item),
        item.remediation_plan,
        utc_day(item.first_detected),
        utc_day(item.due),
        "\n".join(steps),
        _milestone_changes(item),
        utc_day(item.status_date),
        item.vendor_dependency.value,
        None,
        None,
        rating(item.severity),
        None,
        item.risk_adjustment.value,
        item.false_positive.value,
        item.operational_requirement.value,
        None,
        cited,
        "\n".join(comments),
        None,
        "No",
        None,
        None,
        pkg.subject.name,
    )


def _milestone_changes(item: PoamItem) -> str | None:
    return "\n".join(f"({n}) {change.text}" for n, change in enumerate(item.milestone_changes, start=1)) or None


def poam_row(pkg: AuditPackage, item: PoamItem) -> Row:
    if item.source is WeaknessSource.CONTROL:
        return _control_row(pkg, item)
    d = item.deviation
    vendor = d is not None and d.type == DeviationType.VENDOR_DEPENDENCY
    records = item_records(pkg, item)
    return (
        item.poam_id,
        ", ".join(item.controls),
        item.title,
        f"{item.vulnerability} in {', '.join(item.packages)}."
        + (f" Fixed in {', '.join(item.fixed_versions)}." if item.fixed_versions else " No fixed version is known."),
        _detector(pkg, records, item),
        ", ".join(item.ids),
        asset_identifier(pkg),
        point_of_contact(pkg, item),
        resources_required(item),
        item.remediation_plan,
        utc_day(item.first_detected),
        utc_day(item.due),
        _milestones(item),
        _milestone_changes(item),
        utc_day(item.status_date),
        item.vendor_dependency.value,
        utc_day(d.last_vendor_check_in) if vendor and d else None,
        item.vendor_product,
        rating(item.severity),
        rating(item.adjusted_severity) if item.adjusted_severity else None,
        item.risk_adjustment.value,
        item.false_positive.value,
        item.operational_requirement.value,
        _rationale(records, item),
        _documents(pkg, records, item),
        _comments(pkg, records, item),
        ("Yes" if d.auto_approved else "No") if d is not None and not vendor else None,
        "Yes" if item.kev else "No",
        utc_day(item.kev_due),
        ", ".join(item.cves) or None,
        pkg.subject.name,
    )


def sheets(pkg: AuditPackage) -> tuple[Sheet, ...]:
    items = pkg.poam
    open_rows = tuple(poam_row(pkg, i) for i in items if i.is_open)
    closed_rows = tuple(poam_row(pkg, i) for i in items if not i.is_open)
    block = header_block(pkg)
    return (
        Sheet("Open POA&M Items", Table(POAM_COLUMNS, open_rows), header_block=block),
        Sheet("Closed POA&M Items", Table(POAM_COLUMNS, closed_rows), header_block=block),
    )


class PoamWorkbook:
    """Renders `poam.xlsx`: Open POA&M Items and Closed POA&M Items, in FedRAMP's template columns."""

    filename = "poam.xlsx"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        write_workbook(pkg, sheets(pkg), out, filename=self.filename, title="POA&M")
