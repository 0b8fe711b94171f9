"""`emass-poam.xlsx`: the POA&M in the layout of eMASS's POA&M spreadsheet, for DoD systems.

Format source: the POA&M export that eMASS (the DoD's Enterprise Mission Assurance Support Service) imports back,
as the open tools that write and read it lay it out: a header block (date exported, exported by, system name,
points of contact), then the column row on row 7 and one row per item from row 8 (Vulnerator's "eMASS-Importable
POA&M" report, C-PAT's POA&M import and export). The allowed values (Status Ongoing; Raw Severity I, II, III;
Severity Very Low to Very High) and the 2,000-character limits are those of the eMASS REST API's POA&M fields, as
MITRE's eMASSer documents them; the CCI column is that API's `cci` field. See the README, "DoD exports".

One row per DISA control the assessment found not satisfied (its CCIs, Vuln ID and category), and one per open
POA&M item (one unique vulnerability of the image, as evaluation recorded it in `AuditPackage.poam`). Columns
that need a person's judgement or knowledge of the system (office, resources, threat relevance, likelihood,
impact, residual risk) are left empty: nothing in image evidence says them. Cells are written the way `xlsx.py`
writes them: every string is a string cell, never a formula.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import BinaryIO

from evidence.lifecycle.poam import asset_identifier, utc_day
from evidence.model import DISA_CATALOG, AuditPackage, ControlResult, PoamItem, Severity, Status, WeaknessSource
from evidence.render.xlsx import Row, Sheet, Table, iso, write_workbook
from evidence.visible import cut

__all__ = ["EMASS_COLUMNS", "EmassPoamWorkbook"]

EMASS_COLUMNS = (
    "POA&M Item ID",
    "Control Vulnerability Description",
    "Security Control Number (NC/NA controls only)",
    "CCI",
    "Office/Org",
    "Security Checks",
    "Resources Required",
    "Scheduled Completion Date",
    "Milestone with Completion Dates",
    "Milestone Changes",
    "Source Identifying Vulnerability",
    "Status",
    "Comments",
    "Raw Severity",
    "Devices Affected",
    "Mitigations",
    "Predisposing Conditions",
    "Severity",
    "Relevance of Threat",
    "Threat Description",
    "Likelihood",
    "Impact",
    "Impact Description",
    "Residual Risk Level",
    "Recommendations",
    "Resulting Residual Risk after Proposed Mitigations",
)
SHEET = "POA&M"
EMASS_TEXT_LIMIT = 2000  # eMASS refuses a description, source, comment or milestone longer than this
ONGOING = "Ongoing"  # eMASS's status of an open item
# DISA's category (CAT) of a rule, and of a vulnerability by its severity, as eMASS's Raw Severity (I, II, III)
# and Severity (Very Low to Very High). An unknown severity counts as high, as FedRAMP's rating does.
RAW_SEVERITY = {"CAT I": "I", "CAT II": "II", "CAT III": "III"}
CATEGORY_SEVERITY = {"CAT I": "High", "CAT II": "Moderate", "CAT III": "Low"}
VULNERABILITY_RAW_SEVERITY = {
    Severity.CRITICAL: "I",
    Severity.HIGH: "I",
    Severity.UNKNOWN: "I",
    Severity.MEDIUM: "II",
    Severity.LOW: "III",
    Severity.NEGLIGIBLE: "III",
}
VULNERABILITY_SEVERITY = {
    Severity.CRITICAL: "Very High",
    Severity.HIGH: "High",
    Severity.UNKNOWN: "High",
    Severity.MEDIUM: "Moderate",
    Severity.LOW: "Low",
    Severity.NEGLIGIBLE: "Very Low",
}


def _day(moment: datetime | date | None) -> str | None:
    """eMASS's date text, MM/DD/YYYY."""
    if moment is None:
        return None
    day = utc_day(moment)
    return day.strftime("%m/%d/%Y") if day else None


def _text(value: str) -> str:
    return cut(value, EMASS_TEXT_LIMIT)


def failed_controls(pkg: AuditPackage) -> tuple[ControlResult, ...]:
    """The DISA controls the assessment found not satisfied: each is a weakness of the image."""
    return tuple(c for c in pkg.controls if c.catalog == DISA_CATALOG and c.status is Status.NOT_SATISFIED)


def _source(pkg: AuditPackage) -> str:
    catalog = next((c for c in pkg.catalogs if c.id == DISA_CATALOG), None)
    named = f"{catalog.title} ({catalog.version})" if catalog else DISA_CATALOG
    return f"{pkg.tool.name} {pkg.tool.version} assessment of image evidence against {named}"


def _row(**cells: str | None) -> Row:
    """A row from its filled cells, named by column (`Control Vulnerability Description` as
    `control_vulnerability_description`); every other column empty."""
    keys = [_key(column) for column in EMASS_COLUMNS]
    unknown = sorted(set(cells) - set(keys))
    if unknown:
        raise KeyError(f"not columns of the eMASS POA&M: {', '.join(unknown)}")
    return tuple(cells.get(key) for key in keys)


def _key(column: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in column.split(" (", 1)[0].lower()).strip("_")


def control_row(pkg: AuditPackage, control: ControlResult) -> Row:
    item = next((i for i in pkg.poam if i.control == f"{control.catalog}:{control.control_id}"), None)
    refs = "; ".join(dict.fromkeys(f"{r.path} (sha256:{r.sha256[:12]})" for r in control.evidence))
    comments = [f"Assessed {iso(pkg.assessed_at)}.", *(f"{c.check}: {c.status.value}" for c in control.checks)]
    if control.not_shown:
        comments.append(f"Not shown by image evidence: {control.not_shown}")
    if refs:
        comments.append(f"Evidence: {refs}")
    # The SRG rule's Vuln ID and SRG id; a guide requirement, which has no Vuln ID, by the catalog and section.
    checks = (
        f"{control.vuln_id}, {control.control_id}" if control.vuln_id else f"{control.catalog} {control.control_id}"
    )
    return _row(
        control_vulnerability_description=_text(f"{control.control_id} {control.title}: {control.reason}"),
        security_control_number=", ".join(control.nist_800_53),
        cci=", ".join(control.cci),
        scheduled_completion_date=_day(item.due) if item is not None else None,
        security_checks=checks,
        source_identifying_vulnerability=_text(_source(pkg)),
        status=ONGOING,
        comments=_text("\n".join(comments)),
        raw_severity=RAW_SEVERITY.get(control.category or ""),
        devices_affected=asset_identifier(pkg),
        severity=CATEGORY_SEVERITY.get(control.category or ""),
    )


def vulnerability_row(pkg: AuditPackage, item: PoamItem) -> Row:
    fixed = f" Fixed in {', '.join(item.fixed_versions)}." if item.fixed_versions else " No fixed version is known."
    detectors = ", ".join(item.scanners) or "vulnerability scan"
    comments = [f"Original detection {_day(item.first_detected) or 'not recorded'}; POA&M id {item.poam_id}."]
    comments += [f"In CISA's KEV catalog, due {_day(item.kev_due) or 'not stated'}."] if item.kev else []
    comments += ["Overdue at the assessment time."] if item.overdue else []
    comments += [f"Flag: {f}" for f in item.flags]
    return _row(
        control_vulnerability_description=_text(
            f"{item.vulnerability} in {', '.join(item.packages)}: {item.title}.{fixed}"
        ),
        security_control_number=", ".join(item.controls),
        security_checks=", ".join(item.ids),
        scheduled_completion_date=_day(item.due),
        milestone_with_completion_dates=_text(f"{item.remediation_plan} {_day(item.due)}") if item.due else None,
        source_identifying_vulnerability=_text(
            f"{detectors} scan of the image, read by {pkg.tool.name} {pkg.tool.version}"
        ),
        status=ONGOING,
        comments=_text("\n".join(comments)),
        raw_severity=VULNERABILITY_RAW_SEVERITY[item.severity],
        devices_affected=asset_identifier(pkg),
        severity=VULNERABILITY_SEVERITY[item.severity],
        recommendations=_text(item.remediation_plan),
    )


def header_block(pkg: AuditPackage) -> tuple[Row, ...]:
    """The template's header block: what image evidence tells, and empty fields for what it does not."""
    release = f" {pkg.subject.release}" if pkg.subject.release else ""
    return (
        ("Date Exported:", _day(pkg.assessed_at), "System Type:", None),
        ("Exported By:", f"{pkg.tool.name} {pkg.tool.version}", "OMB Project ID:", None),
        ("DoD Component:", None, "POC Name:", None),
        ("System / Project Name:", f"{pkg.subject.name}{release}", "POC Phone:", None),
        ("DoD IT Registration No:", None, "POC Email:", None),
    )


def sheets(pkg: AuditPackage) -> tuple[Sheet, ...]:
    rows = [control_row(pkg, c) for c in failed_controls(pkg)]
    rows += [vulnerability_row(pkg, i) for i in pkg.poam if i.is_open and i.source is WeaknessSource.SCAN]
    # The form's rows, then a blank row: eMASS's columns sit on row 7.
    return (Sheet(SHEET, Table(EMASS_COLUMNS, tuple(rows)), header_block=(*header_block(pkg), ())),)


class EmassPoamWorkbook:
    """Renders `emass-poam.xlsx`: failed DISA controls and open vulnerabilities, in eMASS's POA&M columns."""

    filename = "emass-poam.xlsx"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        write_workbook(pkg, sheets(pkg), out, filename=self.filename, title="eMASS POA&M")
