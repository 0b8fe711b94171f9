"""The Excel workbook of the package: one sheet to read, four to sort and filter.

Sheets, in order: Summary, Controls, Vulnerabilities, Components, Evidence; then Changes when the
package was made with `--previous`.

Every string in an `AuditPackage` may come from a file an attacker wrote, and a
spreadsheet cell whose text starts with `=` is a formula to openpyxl, Excel and
LibreOffice alike. So every string cell is written as a string (XlsxWriter's
`write_string`, an inline string, never a formula), and text starting with a
character a spreadsheet reads as the start of a formula also gets the
quote prefix, so that editing the cell keeps it text. The text itself is
never changed, with three exceptions: control, bidirectional and invisible
characters are shown as escapes (`evidence.visible`; line breaks and tabs stay),
the non-characters XML 1.0 cannot carry become U+FFFD, and text past the
32,767-character cell limit is cut with a visible marker. Text that Excel would
read as one of its own character escapes (`_x202E_`) is stored escaped, so that
Excel shows it as written. `audit.json` stays the lossless record.

The workbook is written with XlsxWriter (see "writing it", below), one sheet at a time, its rows streamed.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, BinaryIO, TypeAlias

from xlsxwriter import Workbook as XlsxWorkbook
from xlsxwriter.exceptions import XlsxWriterException
from xlsxwriter.worksheet import Worksheet as XlsxWorksheet

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
from evidence.visible import cut, visible

if TYPE_CHECKING:
    from collections.abc import Generator, Iterable, Iterator, Sequence

__all__ = ["Workbook", "write_sheets", "write_workbook"]

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


# --- writing it: XlsxWriter, rows streamed ---------------------------------------------------------------------
#
# XlsxWriter in its constant_memory mode: each row goes to a temporary file as it is written, so the XML of a sheet of
# a million rows never sits in memory, and the zip is written once, reproducible as it is (`make bench` times it
# beside openpyxl's write-only mode with the same cells: about the same).
# Each sheet is read twice: once to size its columns (which decides which cells wrap and how tall their rows are),
# once to write its rows. Text is only ever written with `write_string`, never guessed into a formula, a number or a
# link. XlsxWriter gives every zip entry the same fixed time in 1980 and the workbook the creation time set here (the
# assessment time): the same package and timestamp give the same bytes.


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


class _Kind(Enum):
    """What a row of a sheet is, which decides its cells' font and fill."""

    PLAIN = "plain"
    HEADER = "header"  # bold on the header fill, a line below
    SECTION_TITLE = "section title"  # bold on the section fill
    BLOCK_TITLE = "block title"  # the header block's first row: bold
    LABELLED = "labelled"  # a form's row (a table without headers): its first cell, the label, bold


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


def _lay_out(sheet: Sheet) -> _Layout:
    """The sheet's rows with their cells' values, measured: the first of the two reads of a sheet."""
    first_sized = 2 if sheet.header_block else 1
    lines: list[_Line] = []
    longest: dict[int, int] = {}
    wrapped: set[int] = set()
    for line in _placed(sheet):
        values = tuple(map(_cell_value, line.values))
        lines.append(_Line(line.number, values, line.kind, line.left, line.filled))
        if line.number < first_sized:
            continue
        for column, value in enumerate(values):
            if value is None:
                continue
            text = value if isinstance(value, str) else str(value)
            if "\n" in text:
                size = max(len(part) for part in text.split("\n"))
                wrapped.add(column)
            else:
                size = len(text)
                if size > _MAX_WIDTH:
                    wrapped.add(column)
            if size > longest.get(column, 0):
                longest[column] = size
    return _Layout(lines, longest, wrapped)


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


# Excel reads `_x`, four hex digits and `_` in a cell's text as the character of that code (ECMA-376's ST_Xstring),
# so the printable "_x202E_" would show as the right-to-left override `evidence.visible` escapes. Escaping the
# underscore the same way (`_x005F_`) keeps such text as it was written. XlsxWriter escapes such text too, but not
# an escape whose first underscore ends the one before ("_x005F_x202E_", which Excel would show as "_x005F" and the
# override): every such underscore is escaped here.
_EXCEL_ESCAPE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")


class _TextWorksheet(XlsxWorksheet):  # type: ignore[misc]  # XlsxWriter ships no type information
    """XlsxWriter's worksheet, its constant_memory string cells made exact for any text.

    Both overrides are of XlsxWriter's private hooks for its inline strings; tests/test_xlsx_writer.py checks
    what Excel and LibreOffice read back, so a change in XlsxWriter shows there."""

    @staticmethod
    def _escape_control_characters(text: str) -> str:
        # Control characters never reach a cell (`cell_text` shows them as escapes): Excel's own escapes are all
        # there is to escape.
        return _EXCEL_ESCAPE.sub("_x005F_", text) if "_x" in text else text

    def _xml_rich_inline_string(self, text: str, attributes: list[tuple[str, object]]) -> None:
        # XlsxWriter writes a string that starts with "<r>" and ends with "</r>" as the XML of a rich string, unescaped;
        # nothing here writes rich strings, so such text is text like any other, escaped.
        self._xml_inline_string(text, preserve=False, attributes=attributes)


# A cell's format: its role (font, fill and border) and four yes-or-no variants: aligned left, wrapped, the quote
# prefix (text a spreadsheet would read as a formula stays text when edited), a date (shown yyyy-mm-dd). A plain
# tuple, not a dataclass: it is looked up for every cell.
_Style: TypeAlias = tuple[int, bool, bool, bool, bool]


# A cell's role: plain, bold, header, section title, or plain on the fill of its value (a status or a severity).
_PLAIN, _BOLD, _HEADER, _SECTION = 0, 1, 2, 3
_PALETTE = tuple(dict.fromkeys((*_STATUS_FILLS.values(), *_SEVERITY_FILLS.values())))
_FILLED_ROLES = {value: 4 + _PALETTE.index(color) for value, color in {**_STATUS_FILLS, **_SEVERITY_FILLS}.items()}
_ROLE_FILLS = (None, None, _HEADER_FILL, _SECTION_FILL, *_PALETTE)
_PIXELS_PER_CHARACTER = 7  # of the default font: XlsxWriter keeps widths in pixels, and stores pixels / 7


class _Formats:
    """The workbook's formats, each made on first use. XlsxWriter writes no named cell styles (the "Fromline
    header" style and the like of earlier workbooks): a header is a format like any other."""

    def __init__(self, book: XlsxWorkbook) -> None:
        self._book = book
        self._made: dict[_Style, Any] = {}

    def __getitem__(self, style: _Style) -> Any:
        made = self._made.get(style)
        if made is None:
            made = self._made[style] = self._book.add_format(_format_properties(*style))
        return made


def _format_properties(role: int, left: bool, wrap: bool, quote: bool, day: bool) -> dict[str, object]:
    """A `_Style` as XlsxWriter's format properties; every cell is aligned to the top."""
    properties: dict[str, object] = {"valign": "top"}
    if role in (_BOLD, _HEADER, _SECTION):
        properties["bold"] = True
    fill = _ROLE_FILLS[role]
    if fill is not None:
        properties |= {"pattern": 1, "bg_color": f"#{fill}"}
    if role == _HEADER:
        properties["bottom"] = 1
    if left:
        properties["align"] = "left"
    if wrap:
        properties["text_wrap"] = True
    if quote:
        properties["quote_prefix"] = True
    if day:
        properties["num_format"] = "yyyy-mm-dd"
    return properties


def _utc_naive(moment: datetime) -> datetime:
    """`moment` in UTC without its zone, as XlsxWriter takes it; a naive time is taken to be UTC already."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _write_row(ws: Any, formats: _Formats, line: _Line, per_line: dict[int, int], first_sized: int) -> None:
    """One row: each value a cell of its type and format; a wrapped cell grows the row to its lines."""
    row = line.number - 1
    sized = line.number >= first_sized
    lines_shown = 1
    for column, value in enumerate(line.values):
        if value is None:
            continue
        wraps_at = per_line.get(column) if sized else None
        role, wrap = _role(line, column, value), wraps_at is not None
        if isinstance(value, str):
            quote = value.startswith(_FORMULA_STARTS)
            ws.write_string(row, column, value, formats[role, line.left, wrap, quote, False])
        elif isinstance(value, bool):
            ws.write_boolean(row, column, value, formats[role, line.left, wrap, False, False])
        elif isinstance(value, date):
            shown = _utc_naive(value) if isinstance(value, datetime) else value
            ws.write_datetime(row, column, shown, formats[role, line.left, wrap, False, True])
        else:
            ws.write_number(row, column, value, formats[role, line.left, wrap, False, False])
        if wraps_at is not None:
            text = value if isinstance(value, str) else str(value)
            lines_shown = max(lines_shown, sum(_wrapped_lines(part, wraps_at) for part in text.split("\n")))
    if lines_shown > 1:
        ws.set_row(row, min(_LINE_HEIGHT * lines_shown + _ROW_PADDING, _MAX_ROW_HEIGHT))


def _write_sheet(book: XlsxWorkbook, formats: _Formats, sheet: Sheet) -> None:
    ws = book.add_worksheet(sheet.name, worksheet_class=_TextWorksheet)
    layout = _lay_out(sheet)
    widths = _widths(layout)
    for column, width in widths.items():  # the width stored is the width in characters, as openpyxl stores it
        ws.set_column_pixels(column, column, width * _PIXELS_PER_CHARACTER)
    per_line = {column: max(1, widths[column] - 3) for column in layout.wrapped}
    first_sized = 2 if sheet.header_block else 1
    for line in layout.lines:
        _write_row(ws, formats, line, per_line, first_sized)
    table = sheet.table
    if table is not None:
        header = sheet.header_row - 1  # XlsxWriter counts rows and columns from 0
        ws.freeze_panes(header + 1, 0)
        ws.autofilter(header, 0, header + len(table.rows), len(table.headers) - 1)
        ws.repeat_rows(header)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def _write(content: Sequence[Sheet], out: BinaryIO, title: str, when: datetime) -> None:
    parts = [part for sheet in content for part in split_sheet(sheet)]
    assessed = when if when.tzinfo else when.replace(tzinfo=UTC)
    # constant_memory streams rows to temporary files, which in_memory would turn off; use_zip64 only takes effect
    # for an entry past 4 GB.
    book = XlsxWorkbook(out, {"constant_memory": True, "in_memory": False, "use_zip64": True})
    book.set_properties(
        {
            "title": cell_text(title),
            "author": "fromline",
            "created": _utc_naive(assessed),  # never the clock: the workbook is reproducible
        }
    )
    formats = _Formats(book)
    for part in parts:
        _write_sheet(book, formats, part)
    book.close()


class Workbook:
    """Renders `workbook.xlsx`: Summary, Controls, Vulnerabilities, Components, Evidence."""

    filename = "workbook.xlsx"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        write_workbook(pkg, sheets(pkg), out, filename=self.filename)


def write_workbook(
    pkg: AuditPackage, content: Sequence[Sheet], out: BinaryIO, *, filename: str, title: str = "Audit workbook"
) -> None:
    """Write the sheets as one workbook to `out`; a failure is a `RenderError` naming the file."""
    write_sheets(content, out, filename=filename, title=f"{title}: {pkg.subject.reference}", when=pkg.assessed_at)


def write_sheets(content: Sequence[Sheet], out: BinaryIO, *, filename: str, title: str, when: datetime) -> None:
    """Write the sheets as one workbook titled `title`, created `when`; a failure is a `RenderError`."""
    buffer = io.BytesIO()
    try:
        _write(content, buffer, title, when)
    except (ValueError, TypeError, KeyError, XlsxWriterException) as e:
        raise RenderError(f"{filename}: cannot write the workbook: {e}") from e
    try:
        out.write(buffer.getvalue())
    except OSError as e:
        raise RenderError(f"{filename}: cannot write: {e}") from e
