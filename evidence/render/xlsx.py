"""The Excel workbook of the package: one sheet to read, four to sort and filter.

Sheets, in order: Summary, Controls, Vulnerabilities, Components, Evidence; then Changes when the
package was made with `--previous`.

Every string in an `AuditPackage` may come from a file an attacker wrote, and a
spreadsheet cell whose text starts with `=` is a formula to openpyxl, Excel and
LibreOffice alike. So every string cell is written with the string type set
explicitly (`t="inlineStr"`, never an `<f>` element), and text starting with a
character a spreadsheet reads as the start of a formula also gets the
`quotePrefix` style, so that editing the cell keeps it text. The text itself is
never changed, with three exceptions: control, bidirectional and invisible
characters are shown as escapes (`evidence.visible`; line breaks and tabs stay),
the non-characters XML 1.0 cannot carry become U+FFFD, and text past the
32,767-character cell limit is cut with a visible marker. Text that Excel would
read as one of its own character escapes (`_x202E_`) is stored escaped, so that
Excel shows it as written. `audit.json` stays the lossless record.

The workbook is written as SpreadsheetML directly (see "writing it", below), one sheet at a time, each
streamed into its zip entry.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import TYPE_CHECKING, BinaryIO, TypeAlias
from zipfile import ZIP64_LIMIT, ZipFile

from evidence.diff.render import change_rows, recorded_diff_summary
from evidence.errors import RenderError
from evidence.lifecycle.poam import record_rating_basis
from evidence.model import (
    AuditPackage,
    Binding,
    ControlResult,
    CountGroup,
    Cvss,
    Evidence,
    EvidenceKind,
    EvidenceRef,
    PackageDiff,
    Scope,
    Severity,
    Status,
    Summary,
    SummaryTopic,
    VulnerabilityRecord,
    verdict_label,
)
from evidence.render._recorded import recorded_summary
from evidence.render._zip import zip_entry, zip_time
from evidence.visible import cut, visible

if TYPE_CHECKING:
    from collections.abc import Generator, Iterable, Iterator, Sequence

__all__ = ["Workbook", "write_workbook"]

CellValue: TypeAlias = str | int | float | date | None  # a date is an Excel date, shown yyyy-mm-dd
Row: TypeAlias = tuple[CellValue, ...]

SHEETS = ("Summary", "Controls", "Vulnerabilities", "Components", "Evidence")

# A cell's text may start a formula when it starts with one of these.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 cannot carry (and spreadsheets refuse): C0 controls but tab, LF and CR;
# lone surrogates; the two non-characters U+FFFE and U+FFFF. All but the last two are escaped before.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_WORDS = re.compile(r"[^\s/]*[\s/]+|[^\s/]+")  # a word and the spaces or slash after it
_CELL_LIMIT = 32_767
SHEET_ROWS = 1_048_576  # the most rows a sheet holds, in Excel and LibreOffice alike
_SHEET_NAME_LIMIT = 31

_MIN_WIDTH = 6
_LINE_HEIGHT = 15  # points, one line of the default 11-point font
_MAX_ROW_HEIGHT = 409  # points, the most a spreadsheet row can be
_ROW_PADDING = 4  # points: fonts other than Calibri (LibreOffice's fallbacks) set lines a little taller
_MAX_WIDTH = 72  # characters, enough for "sha256:<hex>"; longer text wraps
_HEADER_FILL = "D9E1F2"
_SECTION_FILL = "BDD7EE"
PARTLY_SATISFIED = verdict_label(Status.SATISFIED, Scope.PARTIAL)
_STATUS_FILLS = {
    Status.SATISFIED.value: "C6EFCE",
    Status.NOT_SATISFIED.value: "FFC7CE",
    Status.EVIDENCE_MISSING.value: "FFEB9C",
    Status.MANUAL.value: "DDEBF7",
    Status.NOT_APPLICABLE.value: "EDEDED",
    Status.NOT_ASSESSED.value: "EDEDED",
    PARTLY_SATISFIED: "E2EFDA",
}
_SEVERITY_FILLS = {
    Severity.CRITICAL.value: "FF9999",
    Severity.HIGH.value: "FFC7CE",
    Severity.MEDIUM.value: "FFEB9C",
    Severity.LOW.value: "DDEBF7",
}


# --- the content, as plain data ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Table:
    """A header row and data rows; `fills` names the columns colored by their value."""

    headers: tuple[str, ...]
    rows: tuple[Row, ...]
    fills: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Section:
    """A titled block of the Summary sheet, or a second table below a data sheet's main one."""

    title: str
    table: Table
    show_headers: bool = True


@dataclass(frozen=True, slots=True)
class Sheet:
    name: str
    table: Table | None = None  # the main table: header row 1 (below the header block), frozen, filtered
    sections: tuple[Section, ...] = ()  # below it, after a blank row
    # Rows above the main table, as a template lays out its title and form fields (FedRAMP's POA&M: the
    # table's header on row 5; eMASS's: on row 7); the first row is the sheet's title, in bold.
    header_block: tuple[Row, ...] = ()

    @property
    def header_row(self) -> int:
        """The row of the main table's header."""
        return len(self.header_block) + 1


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 text in UTC (`Z`); a naive time is taken to be UTC already."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _lines(values: Iterable[str]) -> str:
    return "\n".join(values)


def _ref(ref: EvidenceRef) -> str:
    text = f"{ref.path} [sha256:{ref.sha256[:12]}]"
    return f"{text} {ref.location}" if ref.location else text


def _refs(refs: Iterable[EvidenceRef]) -> str:
    return _lines(_ref(r) for r in refs)


def _highest_cvss(scores: Sequence[Cvss]) -> Cvss | None:
    scored = [c for c in scores if c.score is not None]
    if scored:
        return max(scored, key=lambda c: c.score or 0.0)  # max keeps the first of equals
    return next((c for c in scores if c.vector), None)


def _verification(ev: Evidence) -> tuple[str | None, str | None]:
    if ev.signature is not None:
        return ev.signature.status.value, ev.signature.reason
    if ev.provenance is not None or ev.predicate_type is not None:
        return "unsigned", "the statement came without a signature envelope"
    return None, None


def control_status(control: ControlResult) -> str:
    """The Status cell: a control satisfied only for the part image evidence shows says so in the cell itself,
    so that filtering the column on "satisfied" never lists it."""
    return verdict_label(control.status, control.scope)


def controls_table(pkg: AuditPackage) -> Table:
    rows = tuple(
        (
            c.catalog,
            c.control_id,
            c.title,
            control_status(c),
            c.reason,
            ", ".join(c.nist_800_53),
            ", ".join(c.cci),
            c.vuln_id,
            c.category,
            c.ia_control,
            c.scope.value,
            c.not_shown,
            c.responsible.value if c.responsible else None,
            _lines(f"{k.check}: {k.status.value}" for k in c.checks),
            _refs(c.evidence),
        )
        for c in pkg.controls
    )
    headers = (
        "Catalog",
        "Control",
        "Title",
        "Status",
        "Reason",
        "NIST 800-53",
        "CCI",
        "Vuln ID",
        "CAT",
        "IA control (DISA)",
        "Scope",
        "Not shown by image evidence",
        "Responsible layer",
        "Checks",
        "Evidence",
    )
    return Table(headers, rows, fills=("Status",))


def _vulnerability_row(v: VulnerabilityRecord) -> Row:
    cvss = _highest_cvss(v.cvss)
    vex = v.suppression.statement if v.suppression else None
    return (
        v.id,
        ", ".join(v.aliases),
        v.package,
        v.installed_version,
        ", ".join(v.fixed_versions),
        v.severity.value,
        _lines(f"{scanner}: {sev.value}" for scanner, sev in v.severities.items()),
        record_rating_basis(v),
        cvss.score if cvss else None,
        cvss.vector if cvss else None,
        cvss.source if cvss else None,
        v.title,
        ", ".join(v.scanners),
        v.state,
        vex.status if vex else None,
        vex.justification if vex else None,
        vex.author if vex else None,
        _ref(v.suppression.evidence) if v.suppression else None,
        _refs(v.evidence),
        "yes" if v.kev else "no",
        v.kev_due.isoformat() if v.kev_due else None,
        v.epss,
        v.epss_percentile,
        v.attribution,
        v.attribution_reason or None,
        iso(v.first_detected),
        v.sla_days,
        iso(v.due),
        "yes" if v.overdue else "no",
        iso(v.closed_at),
        f"{v.deviation.type} {v.deviation.id} ({v.deviation.status})" if v.deviation else None,
        _lines(v.deviation_flags),
        _lines(v.disagreements),
        _lines(v.cvss_problems),
    )


def vulnerabilities_table(pkg: AuditPackage) -> Table:
    headers = (
        "ID", "Aliases", "Package", "Installed version", "Fixed versions", "Severity", "Severity by scanner",
        "Rating basis", "CVSS score", "CVSS vector", "CVSS source", "Title", "Scanners", "State", "VEX status",
        "VEX justification", "VEX author", "VEX file", "Evidence", "KEV", "KEV due date", "EPSS",
        "EPSS percentile", "Attribution", "Attribution reason", "First detected (UTC)", "SLA days", "Due (UTC)",
        "Overdue", "Closed at (UTC)", "Deviation", "Deviation flags", "Disagreements",
        "CVSS problems",
    )  # fmt: skip
    return Table(headers, tuple(_vulnerability_row(v) for v in pkg.vulnerabilities), fills=("Severity",))


def disagreements_section(pkg: AuditPackage) -> Section:
    """Where the scanners differ: a finding only one reported, or different severities."""
    rows = tuple((v.id, v.package, v.installed_version, d) for v in pkg.vulnerabilities for d in v.disagreements)
    headers = ("ID", "Package", "Installed version", "Disagreement")
    return Section(f"Scanner disagreements ({len(rows)})", Table(headers, rows))


def bound_sboms(pkg: AuditPackage) -> list[Evidence]:
    return [e for e in pkg.evidence if e.kind is EvidenceKind.SBOM and e.binding is Binding.MATCH]


def components_table(pkg: AuditPackage) -> Table:
    rows = tuple(
        (
            c.name,
            c.version,
            c.type,
            c.purl,
            ", ".join(c.licenses),
            c.supplier,
            c.layer,
            e.path,
            c.location,
        )
        for e in bound_sboms(pkg)
        for c in e.components
    )
    headers = ("Name", "Version", "Type", "purl", "Licenses", "Supplier", "Layer", "Source file", "Location")
    return Table(headers, rows)


def evidence_table(pkg: AuditPackage) -> Table:
    paths = {e.id: e.path for e in pkg.evidence}
    rows = tuple(
        (
            e.path,
            f"{e.kind.value}, {EvidenceKind.VULNERABILITY_SCAN.value}" if e.also_scan else e.kind.value,
            e.format,
            e.format_version,
            e.tool,
            e.tool_version,
            e.sha256,
            e.size,
            _lines(e.subjects),
            e.binding.value,
            paths.get(e.named_by, e.named_by) if e.named_by else None,
            iso(e.collected_at),
            *_verification(e),
            e.predicate_type,
            e.predicate_not_read,
            _lines(f"{f.text} ({f.location})" for f in e.scan_filters),
        )
        for e in pkg.evidence
    )
    headers = (
        "Path", "Kind", "Format", "Format version", "Tool", "Tool version", "SHA-256", "Size (bytes)",
        "Subjects", "Binding", "Bound by (verified provenance)", "Collected at (UTC)", "Verification",
        "Verification reason", "Predicate type", "Predicate not read", "Scan filters (hide findings)",
    )  # fmt: skip
    return Table(headers, rows)


def skipped_section(pkg: AuditPackage) -> Section:
    rows = tuple((s.path, s.reason) for s in pkg.skipped)
    return Section(f"Skipped files ({len(rows)})", Table(("Path", "Reason"), rows))


_VERDICT_LABELS = {
    SummaryTopic.SIGNATURE: "Signature",
    SummaryTopic.PROVENANCE: "Provenance",
    SummaryTopic.SBOM: "SBOM",
}
_COUNT_COLUMNS = (
    (CountGroup.OPEN, "Open"),
    (CountGroup.SUPPRESSED, "Suppressed"),
    (CountGroup.CLOSED, "Closed"),
    (CountGroup.OPEN_OVERDUE, "Open, overdue"),
    (CountGroup.OPEN_KEV, "Open, in KEV"),
)


def verdict_rows(summary: Summary) -> tuple[Row, ...]:
    """The recorded verdicts: topic, the recorded words, the check's status and reason, the evidence cited."""
    return tuple(
        (_VERDICT_LABELS[v.topic], v.outcome, v.status.value, f"{v.check}: {v.reason}", _refs(v.evidence))
        for v in summary.verdicts
    )


def summary_sections(pkg: AuditPackage) -> tuple[Section, ...]:
    summary = recorded_summary(pkg, Workbook.filename)
    s = pkg.subject
    assessment = (
        ("Image reference", s.reference),
        ("Image name", s.name),
        ("Digest", s.digest),
        ("Release", s.release),
        ("Profile", pkg.profile),
        ("Assessed at (UTC)", iso(pkg.assessed_at)),
        ("Tool", f"{pkg.tool.name} {pkg.tool.version}"),
        ("Audit schema version", pkg.schema_version),
        *(("Catalog", f"{c.id} {c.version}: {c.title}") for c in pkg.catalogs),
        ("Evidence files", summary.evidence_files),
        ("Skipped files", summary.skipped_files),
        ("Evidence about other images (not used)", len(summary.mismatched_evidence)),
        ("POA&M items open", summary.poam_open),
        ("POA&M items closed", summary.poam_closed),
    )

    catalogs = [row.catalog for row in summary.controls]
    control_rows: list[Row] = [
        (
            st.value,
            *(row.counts.get(st, 0) for row in summary.controls),
            sum(r.counts.get(st, 0) for r in summary.controls),
        )
        for st in Status
    ]
    control_rows.insert(
        1,
        (
            f"of which {PARTLY_SATISFIED}",
            *(row.partial for row in summary.controls),
            sum(r.partial for r in summary.controls),
        ),
    )
    control_rows.append(("Total", *(row.total for row in summary.controls), sum(r.total for r in summary.controls)))

    severities = sorted(Severity, key=lambda sev: -sev.rank)
    groups = [summary.vulnerability_counts(group) for group, _ in _COUNT_COLUMNS]
    vuln_rows: list[Row] = [(sev.value, *(g.counts.get(sev, 0) for g in groups)) for sev in severities]
    vuln_rows.append(("Total", *(g.total for g in groups)))

    return (
        Section("Assessment", Table(("Field", "Value"), assessment), show_headers=False),
        Section(
            "Controls by catalog and status",
            Table(("Status", *catalogs, "Total"), tuple(control_rows), fills=("Status",)),
        ),
        Section(
            "Vulnerabilities by severity",
            Table(("Severity", *(label for _, label in _COUNT_COLUMNS)), tuple(vuln_rows), fills=("Severity",)),
        ),
        Section(
            "Verification",
            Table(
                ("Evidence", "Verdict", "Status", "Reason", "Evidence cited"), verdict_rows(summary), fills=("Status",)
            ),
        ),
        *rubric_sections(pkg),
    )


def rubric_sections(pkg: AuditPackage) -> tuple[Section, ...]:
    """The base-image rubric, when the profile included it: the grade, then each criterion's score."""
    if not pkg.rubric:
        return ()
    summary = recorded_summary(pkg, Workbook.filename)
    gates = [s.criterion for s in pkg.rubric if s.gate_failed]
    grade = f"{pkg.rubric_grade} ({summary.rubric_points} of {summary.rubric_max_points} points"
    grade += f"; gate failed: {', '.join(gates)})" if gates else ")"
    rows: list[Row] = [("Grade", grade, None, None)]
    rows += [
        (s.criterion, f"{s.score}/4", "yes" if s.gate_failed else "no", f"{s.reason}\n{_refs(s.evidence)}".strip())
        for s in pkg.rubric
    ]
    return (
        Section(
            "Secure base-image rubric", Table(("Criterion", "Score", "Gate failed", "Why and evidence"), tuple(rows))
        ),
    )


def sheets(pkg: AuditPackage) -> tuple[Sheet, ...]:
    """The workbook's content, sheet by sheet, before any of it is written."""
    return (
        Sheet("Summary", sections=summary_sections(pkg)),
        Sheet("Controls", controls_table(pkg)),
        Sheet("Vulnerabilities", vulnerabilities_table(pkg), sections=(disagreements_section(pkg),)),
        Sheet("Components", components_table(pkg)),
        Sheet("Evidence", evidence_table(pkg), sections=(skipped_section(pkg),)),
        *(
            (Sheet("Changes", changes_table(pkg.changes), sections=(change_counts_section(pkg.changes),)),)
            if pkg.changes is not None
            else ()
        ),
    )


def changes_table(diff: PackageDiff) -> Table:
    """The Changes sheet of a package made with --previous: one row per change since that package."""
    headers = ("Area", "Change", "Item", "Before", "After", "Detail")
    return Table(headers, tuple(change_rows(diff)))


_CHANGE_COUNTS = (
    ("new", "New vulnerabilities"),
    ("new_image_changed", "New because the image changed"),
    ("new_newly_disclosed", "New because newly disclosed"),
    ("new_kev", "Open vulnerabilities newly in KEV"),
    ("fixed", "Fixed vulnerabilities"),
    ("still_open", "Still open"),
    ("oldest_open_days", "Oldest still open (days)"),
    ("severity_changes", "Severity changes"),
    ("suppressions_gained", "Suppressions gained"),
    ("suppressions_lost", "Suppressions lost"),
    ("upgraded", "Components upgraded"),
    ("downgraded", "Components downgraded"),
    ("versions_changed", "Component versions changed, unordered"),
    ("regressions", "Control regressions"),
    ("improvements", "Control improvements"),
    ("status_changes", "Other control status changes"),
    ("poam_opened", "POA&M items opened"),
    ("poam_closed", "POA&M items closed"),
    ("poam_changed", "POA&M items changed"),
)


def change_counts_section(diff: PackageDiff) -> Section:
    """The diff's recorded summary, below the Changes sheet's rows."""
    s = recorded_diff_summary(diff)
    rows: list[Row] = [(label, _count_text(getattr(s, name))) for name, label in _CHANGE_COUNTS]
    rows[1:1] = [(f"New {x.severity}", str(x.count)) for x in s.new_by_severity]
    return Section("Summary of changes", Table(("Count", "Value"), tuple(rows)))


def split_sheet(sheet: Sheet, max_rows: int | None = None) -> tuple[Sheet, ...]:
    """`sheet`, or, when it has more rows than a sheet holds, its main table spread over sheets named
    `Components`, `Components (2)`, ..., each with the header row; the sections below the last that has room."""
    most = max_rows or SHEET_ROWS
    table = sheet.table
    above = sheet.header_row  # the header block and the header row, on every part
    below = sum(2 + section.show_headers + len(section.table.rows) for section in sheet.sections)
    if table is None or above + len(table.rows) + below <= most:
        return (sheet,)
    per_sheet = most - above
    chunks = [table.rows[start : start + per_sheet] for start in range(0, len(table.rows), per_sheet)] or [()]
    parts = [
        Sheet(_part_name(sheet.name, n), Table(table.headers, rows, table.fills), header_block=sheet.header_block)
        for n, rows in enumerate(chunks, 1)
    ]
    if above + len(chunks[-1]) + below <= most:
        parts[-1] = Sheet(parts[-1].name, parts[-1].table, sheet.sections, sheet.header_block)
    elif sheet.sections:
        parts.append(Sheet(_part_name(sheet.name, len(parts) + 1), sections=sheet.sections))
    return tuple(parts)


def _part_name(name: str, number: int) -> str:
    suffix = f" ({number})" if number > 1 else ""
    return name[: _SHEET_NAME_LIMIT - len(suffix)] + suffix


def _count_text(value: int | None) -> str:
    return "none" if value is None else str(value)


# --- writing it: SpreadsheetML, streamed into the zip ------------------------------------------
#
# Written by hand rather than with openpyxl: at 10,000 findings openpyxl takes seconds per workbook (its write-only
# mode too, without lxml), where every output but the PDF must fit in ten together. Each sheet is read twice: once
# to size its columns (which decides which cells wrap and how tall their rows are), once to write its XML straight
# into the zip entry. Every entry gets the assessment time as it is written, in name order: the same package and
# timestamp give the same bytes, with nothing rewritten afterwards.


def cell_text(value: str) -> str:
    """The text a cell can hold: active characters escaped, XML-illegal ones replaced, the length capped."""
    if value.isprintable():  # most text: nothing to escape or replace (every such character is unprintable)
        return cut(value, _CELL_LIMIT)
    text = _NOT_XML.sub("\ufffd", visible(value, keep="\n\t"))
    return cut(text, _CELL_LIMIT)


def _wrapped_lines(line: str, width: int) -> int:
    """About how many lines a spreadsheet shows `line` on, wrapped at `width` characters.

    A word that does not fit goes to the next line; one longer than a line is cut. Spreadsheets
    also break after a slash, which URLs and image references have many of.
    """
    if len(line) <= width:
        return 1
    lines, used = 1, 0
    for word in _WORDS.findall(line):
        if used and used + len(word) > width:
            lines, used = lines + 1, 0
        size = len(word)
        while size > width:
            lines, size = lines + 1, size - width
        used += size
    return lines


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)  # day 0 of Excel's 1900 date system, past its leap-year slip
_DATE_FORMAT = 164  # the first number format id a workbook may define
_ROWS_PER_WRITE = 1000
_CELL_MARKUP = 200  # bytes around a cell's value, its row's share included
_MOST_BYTES_PER_CHARACTER = 5  # "&" written as "&amp;"; no character takes more than 4 bytes of UTF-8


class _Kind(Enum):
    """What a row of a sheet is, which decides its cells' font and fill."""

    PLAIN = "plain"
    HEADER = "header"  # bold on the header fill, a line below
    SECTION_TITLE = "section title"  # bold on the section fill
    BLOCK_TITLE = "block title"  # the header block's first row: bold
    LABELLED = "labelled"  # a form's row (a table without headers): its first cell, the label, bold


# Each cell's style is one of a fixed table (`cellXfs`): a role (font, fill and border, below) times four
# yes-or-no variants: aligned left, wrapped, quote prefix (text a spreadsheet would read as a formula), date.
# The table is the same in every workbook and written before the sheets; a cell's style is arithmetic.
_PALETTE = tuple(dict.fromkeys((*_STATUS_FILLS.values(), *_SEVERITY_FILLS.values())))
_PLAIN, _BOLD, _HEADER, _SECTION = 0, 1, 2, 3
_FILLED_ROLES = {value: 4 + _PALETTE.index(color) for value, color in {**_STATUS_FILLS, **_SEVERITY_FILLS}.items()}
# Role: (bold, fill id, bottom border, named style). Fills 0 and 1 are the two every workbook starts with.
_ROLES = (
    (False, 0, False, 0),
    (True, 0, False, 3),
    (True, 2, True, 1),
    (True, 3, False, 2),
    *((False, 4 + n, False, 0) for n in range(len(_PALETTE))),
)
_NAMED_STYLES = (  # name, bold, fill id, bottom border; the first is the workbook's default
    ("Normal", False, 0, False),
    ("Fromline header", True, 2, True),
    ("Fromline section title", True, 3, False),
    ("Fromline label", True, 0, False),
)
_LEFT, _WRAP, _QUOTE, _DATE = 8, 4, 2, 1
_DEFAULT_STYLE = ' builtinId="0"'
_ALIGN_LEFT = ' horizontal="left"'
_WRAP_TEXT = ' wrapText="1"'
_QUOTE_PREFIX = ' quotePrefix="1"'
_TAB_SELECTED = ' tabSelected="1"'


def _font(*, bold: bool) -> str:
    return f'<font>{"<b/>" if bold else ""}<sz val="11"/><name val="Calibri"/><family val="2"/></font>'


def _solid(color: str) -> str:
    colors = f'<fgColor rgb="FF{color}"/><bgColor rgb="FF{color}"/>'
    return f'<fill><patternFill patternType="solid">{colors}</patternFill></fill>'


def _style_attributes(bold: bool, fill: int, border: bool) -> str:
    return f'fontId="{int(bold)}" fillId="{fill}" borderId="{int(border)}"'


def _styles_xml() -> str:
    fills = [
        '<fill><patternFill patternType="none"/></fill>',
        '<fill><patternFill patternType="gray125"/></fill>',
        _solid(_HEADER_FILL),
        _solid(_SECTION_FILL),
        *(_solid(color) for color in _PALETTE),
    ]
    borders = (
        "<border><left/><right/><top/><bottom/><diagonal/></border>",
        '<border><left/><right/><top/><bottom style="thin"/><diagonal/></border>',
    )
    named = "".join(f'<xf numFmtId="0" {_style_attributes(*style[1:])}/>' for style in _NAMED_STYLES)
    cell_styles = "".join(
        f'<cellStyle name="{name}" xfId="{n}"{_DEFAULT_STYLE if n == 0 else ""}/>'
        for n, (name, *_) in enumerate(_NAMED_STYLES)
    )
    xfs = []
    for bold, fill, border, named_style in _ROLES:
        for variant in range(16):
            number_format = _DATE_FORMAT if variant & _DATE else 0
            horizontal = _ALIGN_LEFT if variant & _LEFT else ""
            wrap = _WRAP_TEXT if variant & _WRAP else ""
            quote = _QUOTE_PREFIX if variant & _QUOTE else ""
            xfs.append(
                f'<xf numFmtId="{number_format}" {_style_attributes(bold, fill, border)} xfId="{named_style}"{quote}'
                f' applyNumberFormat="{int(bool(number_format))}" applyFont="1" applyFill="1" applyBorder="1"'
                f' applyAlignment="1"><alignment{horizontal} vertical="top"{wrap}/></xf>'
            )
    return (
        f'{_XML_DECLARATION}<styleSheet xmlns="{_MAIN}">'
        f'<numFmts count="1"><numFmt numFmtId="{_DATE_FORMAT}" formatCode="yyyy-mm-dd"/></numFmts>'
        f'<fonts count="2">{_font(bold=False)}{_font(bold=True)}</fonts>'
        f'<fills count="{len(fills)}">{"".join(fills)}</fills>'
        f'<borders count="{len(borders)}">{"".join(borders)}</borders>'
        f'<cellStyleXfs count="{len(_NAMED_STYLES)}">{named}</cellStyleXfs>'
        f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        f'<cellStyles count="{len(_NAMED_STYLES)}">{cell_styles}</cellStyles>'
        "</styleSheet>"
    )


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Excel reads `_x`, four hex digits and `_` in a cell's text as the character of that code (ECMA-376's ST_Xstring),
# so the printable "_x202E_" would show as the right-to-left override `evidence.visible` escapes. Escaping the
# underscore the same way (`_x005F_`) keeps such text as it was written.
_EXCEL_ESCAPE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")


def _cell_string(text: str) -> str:
    """Cell text as the XML of an inline string: markup and Excel's own escapes escaped."""
    if "_x" in text:
        text = _EXCEL_ESCAPE.sub("_x005F_", text)
    return _xml_text(text)


def _xml_attribute(text: str) -> str:
    return _xml_text(text).replace('"', "&quot;")


def _column_letter(index: int) -> str:
    """The letters of the 1-based column `index`: A, ..., Z, AA, ..."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _quoted_sheet(name: str) -> str:
    """The sheet's name as a formula (a defined name) refers to it."""
    return "'" + name.replace("'", "''") + "'"


def _excel_day(value: date) -> str:
    """A date or time as Excel's serial number: days since its epoch, the time of day as a fraction."""
    if isinstance(value, datetime):  # a naive time is taken to be UTC, as everywhere in the package
        elapsed = (value if value.tzinfo else value.replace(tzinfo=UTC)) - _EXCEL_EPOCH
        return repr(elapsed.days + elapsed.seconds / 86_400) if elapsed.seconds else str(elapsed.days)
    return str((value - _EXCEL_EPOCH.date()).days)


@dataclass(frozen=True, slots=True)
class _Line:
    """A row of a sheet where it goes, its values as the cells will hold them."""

    number: int
    values: Row
    kind: _Kind
    left: bool  # aligned left: the header block, and the blocks of a sheet without a main table (Summary)
    filled: frozenset[int] = frozenset()  # the columns colored by their value


def _placed(sheet: Sheet) -> Iterator[_Line]:
    """Every row of `sheet` in order, as the spreadsheet shows it: the header block, the main table from its
    header row, then each section below a blank row, titled."""
    for number, values in enumerate(sheet.header_block, start=1):
        yield _Line(number, values, _Kind.BLOCK_TITLE if number == 1 else _Kind.PLAIN, left=True)
    last = len(sheet.header_block)  # the last row placed
    if sheet.table is not None:
        last = yield from _table_lines(sheet.header_row, sheet.table, show_headers=True, left=False)
    for section in sheet.sections:
        title_row = last + 2 if last else 1
        yield _Line(title_row, (section.title,), _Kind.SECTION_TITLE, left=True)
        last = yield from _table_lines(
            title_row + 1, section.table, show_headers=section.show_headers, left=sheet.table is None
        )


def _table_lines(first_row: int, table: Table, *, show_headers: bool, left: bool) -> Generator[_Line, None, int]:
    """The table's rows from `first_row`; returns the last row it takes."""
    row = first_row
    if show_headers:
        yield _Line(row, table.headers, _Kind.HEADER, left)
        row += 1
    filled = frozenset(table.headers.index(name) for name in table.fills)
    kind = _Kind.PLAIN if show_headers else _Kind.LABELLED
    for values in table.rows:
        yield _Line(row, values, kind, left, filled)
        row += 1
    return row - 1


def _cell_value(value: CellValue) -> CellValue:
    """What a cell holds for `value`: text made safe to hold, nothing for empty text."""
    if isinstance(value, str):
        return cell_text(value) if value else None
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


@dataclass(slots=True)
class _Layout:
    """A sheet's rows ready to write, and what sizing its columns needs: the longest line of each column from
    the first sized row (a header block's title overflows, as a title does), and the columns to wrap."""

    lines: list[_Line]
    longest: dict[int, int]
    wrapped: set[int]
    last_row: int
    last_column: int
    most_bytes: int  # at most this many bytes of XML: whether the zip entry needs zip64


def _lay_out(sheet: Sheet) -> _Layout:
    """The sheet's rows with their cells' values, measured: the first of the two reads of a sheet."""
    first_sized = 2 if sheet.header_block else 1
    lines: list[_Line] = []
    longest: dict[int, int] = {}
    wrapped: set[int] = set()
    last_row = last_column = 1
    most_bytes = 1024
    for line in _placed(sheet):
        values = tuple(map(_cell_value, line.values))
        lines.append(_Line(line.number, values, line.kind, line.left, line.filled))
        for column, value in enumerate(values):
            if value is None:
                continue
            last_row, last_column = line.number, max(last_column, column + 1)
            text = value if isinstance(value, str) else str(value)
            most_bytes += _CELL_MARKUP + _MOST_BYTES_PER_CHARACTER * len(text)
            if line.number < first_sized:
                continue
            if "\n" in text:
                size = max(len(part) for part in text.split("\n"))
                wrapped.add(column)
            else:
                size = len(text)
                if size > _MAX_WIDTH:
                    wrapped.add(column)
            if size > longest.get(column, 0):
                longest[column] = size
    return _Layout(lines, longest, wrapped, last_row, last_column, most_bytes)


def _widths(layout: _Layout) -> dict[int, int]:
    """Each column's width in characters: its longest line, capped; longer text wraps."""
    return {column: max(_MIN_WIDTH, min(size, _MAX_WIDTH) + 2) for column, size in sorted(layout.longest.items())}


def _role(line: _Line, column: int, value: CellValue) -> int:
    """The cell's role in the style table: its font, fill and border."""
    kind = line.kind
    if kind is _Kind.PLAIN or (kind is _Kind.LABELLED and column > 0):
        return _FILLED_ROLES.get(value, _PLAIN) if column in line.filled and isinstance(value, str) else _PLAIN
    if kind is _Kind.HEADER:
        return _HEADER
    if kind is _Kind.SECTION_TITLE:
        return _SECTION
    return _BOLD  # the header block's title, a form's label


def _row_xml(line: _Line, letters: Sequence[str], per_line: dict[int, int], first_sized: int) -> str:
    """One `<row>`: each value a cell of its type and style; a wrapped cell grows the row to its lines."""
    number = str(line.number)
    sized = line.number >= first_sized
    left = _LEFT if line.left else 0
    cells = []
    lines_shown = 1
    for column, value in enumerate(line.values):
        if value is None:
            continue
        style = _role(line, column, value) * 16 + left
        wraps_at = per_line.get(column) if sized else None
        if wraps_at is not None:
            style += _WRAP
        cells.append(_cell_xml(letters[column] + number, style, value))
        if wraps_at is not None:
            text = value if isinstance(value, str) else str(value)
            shown = sum(_wrapped_lines(part, wraps_at) for part in text.split("\n"))
            lines_shown = max(lines_shown, shown)
    if not cells:
        return ""
    height = ""
    if lines_shown > 1:
        height = f' ht="{min(_LINE_HEIGHT * lines_shown + _ROW_PADDING, _MAX_ROW_HEIGHT)}" customHeight="1"'
    return f'<row r="{number}"{height}>{"".join(cells)}</row>'


def _cell_xml(reference: str, style: int, value: str | float | date) -> str:
    """A cell: text always an inline string (never a formula, whatever it starts with), numbers and dates as
    numbers, a date in the date format."""
    if isinstance(value, str):
        if value.startswith(_FORMULA_STARTS):
            style += _QUOTE
        text = _cell_string(value)
        return f'<c r="{reference}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{reference}" s="{style}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, date):
        return f'<c r="{reference}" s="{style + _DATE}"><v>{_excel_day(value)}</v></c>'
    return f'<c r="{reference}" s="{style}"><v>{value!r}</v></c>'


def _sheet_xml(sheet: Sheet, layout: _Layout, *, selected: bool) -> Iterator[str]:
    """The worksheet's XML, in pieces of up to `_ROWS_PER_WRITE` rows."""
    widths = _widths(layout)
    table = sheet.table
    view = f'<sheetView workbookViewId="0"{_TAB_SELECTED if selected else ""}>'
    if table is not None:
        below = f"A{sheet.header_row + 1}"
        view += (
            f'<pane ySplit="{sheet.header_row}" topLeftCell="{below}" activePane="bottomLeft" state="frozen"/>'
            f'<selection pane="bottomLeft" activeCell="{below}" sqref="{below}"/>'
        )
    columns = "".join(
        f'<col min="{column + 1}" max="{column + 1}" width="{width}" customWidth="1"/>'
        for column, width in widths.items()
    )
    yield (
        f'{_XML_DECLARATION}<worksheet xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{_column_letter(layout.last_column)}{layout.last_row}"/>'
        f'<sheetViews>{view}</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        f"{f'<cols>{columns}</cols>' if columns else ''}<sheetData>"
    )
    letters = [_column_letter(n) for n in range(1, layout.last_column + 1)]
    per_line = {column: max(1, widths[column] - 3) for column in layout.wrapped}
    first_sized = 2 if sheet.header_block else 1
    rows: list[str] = []
    for line in layout.lines:
        rows.append(_row_xml(line, letters, per_line, first_sized))
        if len(rows) == _ROWS_PER_WRITE:
            yield "".join(rows)
            rows.clear()
    yield "".join(rows) + "</sheetData>"
    if table is not None:
        yield f'<autoFilter ref="{_filter_range(sheet, table)}"/>'
    yield (
        '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
        '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/></worksheet>'
    )


def _filter_range(sheet: Sheet, table: Table, *, absolute: bool = False) -> str:
    """The main table's cells, from its header row: what its filter buttons sort and filter."""
    mark = "$" if absolute else ""
    first, last = sheet.header_row, sheet.header_row + len(table.rows)
    return f"{mark}A{mark}{first}:{mark}{_column_letter(len(table.headers))}{mark}{last}"


_WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_OFFICE_DOCUMENT = f"{_RELATIONSHIPS}/officeDocument"


def _content_types(sheet_count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{_WORKSHEET_TYPE}"/>'
        for n in range(1, sheet_count + 1)
    )
    return (
        f'{_XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml"'
        ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{sheets}"
        '<Override PartName="/xl/styles.xml"'
        ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml"'
        ' ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml"'
        ' ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        "</Types>"
    )


def _relationships(targets: Sequence[tuple[str, str]]) -> str:
    """A relationships part: each (type, target) as rId1, rId2, ..."""
    listed = "".join(
        f'<Relationship Id="rId{n}" Type="{kind}" Target="{target}"/>' for n, (kind, target) in enumerate(targets, 1)
    )
    return f'{_XML_DECLARATION}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">{listed}</Relationships>'


def _workbook_xml(parts: Sequence[Sheet]) -> str:
    sheets = "".join(
        f'<sheet name="{_xml_attribute(part.name)}" sheetId="{n}" r:id="rId{n}"/>' for n, part in enumerate(parts, 1)
    )
    names = []
    for index, part in enumerate(parts):
        if part.table is None:
            continue
        sheet = _xml_text(_quoted_sheet(part.name))
        cells = _filter_range(part, part.table, absolute=True)
        header = f"${part.header_row}:${part.header_row}"
        names.append(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">{sheet}!{cells}</definedName>'
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">{sheet}!{header}</definedName>'
        )
    defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
    return (
        f'{_XML_DECLARATION}<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">'
        f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets>{defined}</workbook>'
    )


def _core_properties(title: str, stamp: datetime) -> str:
    """Who made the workbook and when: the assessment time, never the clock, so that it is reproducible."""
    moment = f'xsi:type="dcterms:W3CDTF">{stamp:%Y-%m-%dT%H:%M:%SZ}'
    return (
        f"{_XML_DECLARATION}"
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{_xml_text(cell_text(title))}</dc:title><dc:creator>fromline</dc:creator>"
        f"<cp:lastModifiedBy>fromline</cp:lastModifiedBy>"
        f"<dcterms:created {moment}</dcterms:created><dcterms:modified {moment}</dcterms:modified>"
        "</cp:coreProperties>"
    )


def _app_properties() -> str:
    return (
        f'{_XML_DECLARATION}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Application>fromline</Application></Properties>"
    )


def _write(pkg: AuditPackage, content: Sequence[Sheet], title: str = "Audit workbook") -> bytes:
    parts = [part for sheet in content for part in split_sheet(sheet)]
    assessed = pkg.assessed_at if pkg.assessed_at.tzinfo else pkg.assessed_at.replace(tzinfo=UTC)
    stamp = assessed.astimezone(UTC).replace(tzinfo=None)
    worksheets = {f"xl/worksheets/sheet{n}.xml": part for n, part in enumerate(parts, 1)}
    documents = {
        "[Content_Types].xml": _content_types(len(parts)),
        "_rels/.rels": _relationships(
            [
                (_OFFICE_DOCUMENT, "xl/workbook.xml"),
                (f"{_PACKAGE_RELATIONSHIPS}/metadata/core-properties", "docProps/core.xml"),
                (f"{_RELATIONSHIPS}/extended-properties", "docProps/app.xml"),
            ]
        ),
        "docProps/app.xml": _app_properties(),
        "docProps/core.xml": _core_properties(f"{title}: {pkg.subject.reference}", stamp),
        "xl/_rels/workbook.xml.rels": _relationships(
            [(f"{_RELATIONSHIPS}/worksheet", name.removeprefix("xl/")) for name in worksheets]
            + [(f"{_RELATIONSHIPS}/styles", "styles.xml")]
        ),
        "xl/styles.xml": _styles_xml(),
        "xl/workbook.xml": _workbook_xml(parts),
    }
    when = zip_time(stamp)
    buffer = io.BytesIO()
    with ZipFile(buffer, "w", allowZip64=True) as archive:
        for name in sorted(documents.keys() | worksheets.keys()):
            if name in documents:
                archive.writestr(zip_entry(name, when), documents[name].encode())
                continue
            part = worksheets[name]
            layout = _lay_out(part)
            selected = part is parts[0]
            with archive.open(zip_entry(name, when), "w", force_zip64=layout.most_bytes > ZIP64_LIMIT) as stream:
                for piece in _sheet_xml(part, layout, selected=selected):
                    stream.write(piece.encode())
    return buffer.getvalue()


class Workbook:
    """Renders `workbook.xlsx`: Summary, Controls, Vulnerabilities, Components, Evidence."""

    filename = "workbook.xlsx"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        write_workbook(pkg, sheets(pkg), out, filename=self.filename)


def write_workbook(
    pkg: AuditPackage, content: Sequence[Sheet], out: BinaryIO, *, filename: str, title: str = "Audit workbook"
) -> None:
    """Write the sheets as one workbook to `out`; a failure is a `RenderError` naming the file."""
    try:
        data = _write(pkg, content, title)
    except (ValueError, TypeError, KeyError) as e:
        raise RenderError(f"{filename}: cannot write the workbook: {e}") from e
    try:
        out.write(data)
    except OSError as e:
        raise RenderError(f"{filename}: cannot write: {e}") from e
