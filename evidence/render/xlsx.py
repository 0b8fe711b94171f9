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
32,767-character cell limit is cut with a visible marker. `audit.json` stays the
lossless record.

openpyxl is imported inside `render` only: it costs about a quarter of a second,
and the command line must start fast.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, BinaryIO, TypeAlias

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
from evidence.render._zip import normalize_zip
from evidence.visible import cut, visible

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["Workbook", "write_workbook"]

CellValue: TypeAlias = str | int | float | date | None  # a date is an Excel date, shown yyyy-mm-dd
Row: TypeAlias = tuple[CellValue, ...]
# openpyxl ships no type information: its worksheets, cells and styles are this, and stay in `_Writer`.
Xl: TypeAlias = Any

SHEETS = ("Summary", "Controls", "Vulnerabilities", "Components", "Evidence")

# A cell's text may start a formula when it starts with one of these.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 cannot carry (and openpyxl refuses): C0 controls but tab, LF and CR;
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
    """The workbook's content, sheet by sheet, before any openpyxl is involved."""
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


# --- writing it with openpyxl ------------------------------------------------------------------


def cell_text(value: str) -> str:
    """The text a cell can hold: active characters escaped, XML-illegal ones replaced, the length capped."""
    text = _NOT_XML.sub("\ufffd", visible(value, keep="\n\t"))
    return cut(text, _CELL_LIMIT)


def _wrapped_lines(line: str, width: int) -> int:
    """About how many lines a spreadsheet shows `line` on, wrapped at `width` characters.

    A word that does not fit goes to the next line; one longer than a line is cut. Spreadsheets
    also break after a slash, which URLs and image references have many of.
    """
    lines, used = 1, 0
    for word in _WORDS.findall(line):
        if used and used + len(word) > width:
            lines, used = lines + 1, 0
        size = len(word)
        while size > width:
            lines, size = lines + 1, size - width
        used += size
    return lines


class _Writer:
    """Puts `Sheet`s into an openpyxl workbook. openpyxl is untyped: its objects stay `Any` in here."""

    def __init__(self, styles: Xl) -> None:
        self.styles = styles
        self.bold = styles.Font(bold=True)
        self.header_fill = styles.PatternFill(fill_type="solid", start_color=_HEADER_FILL, end_color=_HEADER_FILL)
        self.section_fill = styles.PatternFill(fill_type="solid", start_color=_SECTION_FILL, end_color=_SECTION_FILL)
        self.header_border = styles.Border(bottom=styles.Side(style="thin"))
        # (horizontal, wrapped) -> alignment; the Summary sheet aligns its numbers left, as text.
        self.alignments = {
            (horizontal, wrap): styles.Alignment(horizontal=horizontal, vertical="top", wrap_text=wrap or None)
            for horizontal in (None, "left")
            for wrap in (False, True)
        }
        self._fills: dict[str, Xl] = {}

    def fill(self, color: str) -> Xl:
        if color not in self._fills:
            self._fills[color] = self.styles.PatternFill(fill_type="solid", start_color=color, end_color=color)
        return self._fills[color]

    def put(self, ws: Xl, row: int, column: int, value: CellValue, *, left: bool = False) -> Xl:
        """Write one value. Text is always a string cell, whatever it starts with."""
        cell = ws.cell(row=row, column=column)
        if value is None or value == "":
            return cell
        if isinstance(value, str):
            text = cell_text(value)
            cell.value = text  # openpyxl guesses "f" for "=...", "e" for "#N/A": both undone here
            cell.data_type = "s"
            if text.startswith(_FORMULA_STARTS):
                cell.quotePrefix = True
        elif isinstance(value, float) and not math.isfinite(value):
            cell.value = str(value)
            cell.data_type = "s"
        elif isinstance(value, date):  # a datetime too: only its day is shown
            cell.value = value
            cell.number_format = "yyyy-mm-dd"
        else:
            cell.value = value
        cell.alignment = self.alignments["left" if left else None, False]
        return cell

    def header(self, ws: Xl, row: int, headers: Sequence[str], *, left: bool) -> None:
        for column, text in enumerate(headers, start=1):
            cell = self.put(ws, row, column, text, left=left)
            cell.font = self.bold
            cell.fill = self.header_fill
            cell.border = self.header_border

    def table(self, ws: Xl, first_row: int, table: Table, *, show_headers: bool = True, left: bool = False) -> int:
        """Write a table from `first_row`; returns the last row written."""
        row = first_row
        if show_headers:
            self.header(ws, row, table.headers, left=left)
            row += 1
        filled = {table.headers.index(name) for name in table.fills}
        palette = {**_STATUS_FILLS, **_SEVERITY_FILLS}
        for values in table.rows:
            for index, value in enumerate(values):
                cell = self.put(ws, row, index + 1, value, left=left)
                if index in filled and isinstance(value, str) and value in palette:
                    cell.fill = self.fill(palette[value])
                if not show_headers and index == 0:
                    cell.font = self.bold
            row += 1
        return row - 1

    def sheet(self, ws: Xl, sheet: Sheet) -> None:
        last = self.header_block(ws, sheet.header_block)  # the last row written
        if sheet.table is not None:
            first = sheet.header_row
            last = self.table(ws, first, sheet.table)
            ws.freeze_panes = f"A{first + 1}"
            ws.auto_filter.ref = f"A{first}:{self.column_letter(len(sheet.table.headers))}{last}"
            ws.print_title_rows = f"{first}:{first}"
        for section in sheet.sections:
            title_row = last + 2 if last else 1  # a blank row between blocks
            title = self.put(ws, title_row, 1, section.title, left=True)
            title.font = self.bold
            title.fill = self.section_fill
            left = sheet.table is None  # a sheet of blocks only (Summary) reads as a form, not a grid
            last = self.table(ws, title_row + 1, section.table, show_headers=section.show_headers, left=left)
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        self.widths(ws, first_row=2 if sheet.header_block else 1)  # a block's title overflows, as a title does

    def header_block(self, ws: Xl, rows: tuple[Row, ...]) -> int:
        """Write the rows above the main table, the first in bold; returns the last row written."""
        for row, values in enumerate(rows, start=1):
            for column, value in enumerate(values, start=1):
                cell = self.put(ws, row, column, value, left=True)
                if row == 1:
                    cell.font = self.bold
        return len(rows)

    def widths(self, ws: Xl, first_row: int = 1) -> None:
        """Size each column to its longest line from `first_row` on, capped; wrap the columns with longer or
        multi-line text."""
        longest: dict[int, int] = {}
        wrapped: set[int] = set()
        for cells in ws.iter_rows(min_row=first_row):
            for cell in cells:
                if cell.value is None:
                    continue
                lines = str(cell.value).split("\n")
                size = max(len(line) for line in lines)
                longest[cell.column] = max(longest.get(cell.column, 0), size)
                if len(lines) > 1 or size > _MAX_WIDTH:
                    wrapped.add(cell.column)
        widths = {column: max(_MIN_WIDTH, min(size, _MAX_WIDTH) + 2) for column, size in longest.items()}
        for column, width in widths.items():
            ws.column_dimensions[self.column_letter(column)].width = width
        self.wrap(ws, {column: widths[column] for column in wrapped}, first_row)

    def wrap(self, ws: Xl, widths: dict[int, int], first_row: int = 1) -> None:
        """Wrap these columns, and grow their rows: LibreOffice does not do it for wrapped text on opening."""
        lines: dict[int, int] = {}
        for column, width in sorted(widths.items()):
            per_line = max(1, width - 3)
            for cells in ws.iter_rows(min_row=first_row, min_col=column, max_col=column):
                for cell in cells:
                    if cell.value is None:
                        continue
                    cell.alignment = self.alignments[cell.alignment.horizontal, True]
                    count = sum(_wrapped_lines(text, per_line) for text in str(cell.value).split("\n"))
                    lines[cell.row] = max(lines.get(cell.row, 1), count)
        for row, count in lines.items():
            if count > 1:
                ws.row_dimensions[row].height = min(_LINE_HEIGHT * count + _ROW_PADDING, _MAX_ROW_HEIGHT)

    def column_letter(self, index: int) -> str:
        return str(self.styles.get_column_letter(index))


@dataclass(frozen=True, slots=True)
class _Openpyxl:
    """The parts of openpyxl used here, imported on first use."""

    Font: Any
    PatternFill: Any
    Border: Any
    Side: Any
    Alignment: Any
    get_column_letter: Any


def _write(pkg: AuditPackage, content: Sequence[Sheet], title: str = "Audit workbook") -> bytes:
    # Imported here, not at the top: openpyxl takes ~0.25 s to import and the CLI must start fast.
    from zipfile import ZIP_DEFLATED, ZipFile  # noqa: PLC0415

    from openpyxl import Workbook as OpenpyxlWorkbook  # noqa: PLC0415
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415
    from openpyxl.writer.excel import ExcelWriter  # noqa: PLC0415

    writer = _Writer(_Openpyxl(Font, PatternFill, Border, Side, Alignment, get_column_letter))
    book = OpenpyxlWorkbook()
    book.remove(book.active)
    for sheet in content:
        for part in split_sheet(sheet):
            writer.sheet(book.create_sheet(part.name), part)
    book.active = 0

    assessed = pkg.assessed_at if pkg.assessed_at.tzinfo else pkg.assessed_at.replace(tzinfo=UTC)
    stamp = assessed.astimezone(UTC).replace(tzinfo=None)  # openpyxl wants naive UTC
    book.properties.creator = "fromline"
    book.properties.lastModifiedBy = "fromline"
    book.properties.title = cell_text(f"{title}: {pkg.subject.reference}")
    book.properties.created = stamp
    book.properties.modified = stamp

    # Not `book.save()`: openpyxl's save stamps `modified` with the wall clock.
    buffer = io.BytesIO()
    with ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(book, archive).write_data()
    return normalize_zip(buffer.getvalue(), stamp)  # openpyxl stamps each zip entry with the wall clock


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
    except ImportError as e:
        raise RenderError(f"{filename}: openpyxl is not installed ({e})") from e
    except (ValueError, TypeError, KeyError) as e:
        raise RenderError(f"{filename}: cannot write the workbook: {e}") from e
    try:
        out.write(data)
    except OSError as e:
        raise RenderError(f"{filename}: cannot write: {e}") from e
