"""The human-readable report: one standalone HTML file, also the source of the PDF.

The template gets the package itself plus a few views of it: the recorded summary (verdicts and counts), and
the evidence each verdict cites. It decides nothing: every verdict and count shown here was recorded by
evaluation in `AuditPackage.summary` and `AuditPackage.poam`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import BinaryIO

from evidence.diff.render import html_context
from evidence.lifecycle.poam import asset_identifier, item_records
from evidence.model import (
    AgeBucket,
    AuditPackage,
    Binding,
    CountGroup,
    DeviationAnswer,
    Evidence,
    EvidenceKind,
    PoamItem,
    Severity,
    Status,
    Summary,
    SummaryTopic,
    Verification,
    VulnerabilityRecord,
    VulnerabilityState,
    WeaknessSource,
)
from evidence.render._jinja import (
    PARTLY_SATISFIED_CLASS,
    PARTLY_SATISFIED_LABEL,
    status_class,
    status_label,
    stylesheet,
    template,
)
from evidence.render._recorded import recorded_summary, recorded_verdict
from evidence.render.charts import Bar, Segment, stacked_bars, stacked_columns

__all__ = ["REPORT_TITLE", "HtmlReport", "render_html"]

REPORT_TITLE = "Container image security assessment"
TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"

# The columns of the status summary: the outcomes an assessor acts on first. Satisfied controls are counted in
# two columns, full and partial scope, so a partly shown control never counts as plainly satisfied.


@dataclass(frozen=True, slots=True)
class CountColumn:
    label: str
    css_class: str  # from the fixed tables of `_jinja`, never from input


COUNT_COLUMNS = (
    CountColumn(status_label(Status.NOT_SATISFIED), status_class(Status.NOT_SATISFIED)),
    CountColumn(status_label(Status.EVIDENCE_MISSING), status_class(Status.EVIDENCE_MISSING)),
    CountColumn(status_label(Status.MANUAL), status_class(Status.MANUAL)),
    CountColumn(status_label(Status.SATISFIED), status_class(Status.SATISFIED)),
    CountColumn(PARTLY_SATISFIED_LABEL, PARTLY_SATISFIED_CLASS),
    CountColumn(status_label(Status.NOT_ASSESSED), status_class(Status.NOT_ASSESSED)),
    CountColumn(status_label(Status.NOT_APPLICABLE), status_class(Status.NOT_APPLICABLE)),
)
SEVERITY_ORDER = tuple(sorted(Severity, key=lambda s: s.rank, reverse=True))
# The charts' colours, in COUNT_COLUMNS and SEVERITY_ORDER: the badges' border colours of report.css.
_STATUS_COLOURS = ("#b42318", "#b7791f", "#3b6aa0", "#2f7d45", "#7a9a2f", "#8a8a8a", "#c8c8c8")
_SEVERITY_COLOURS = {
    Severity.CRITICAL: "#7a1a12",
    Severity.HIGH: "#b42318",
    Severity.MEDIUM: "#b7791f",
    Severity.LOW: "#3b6aa0",
    Severity.NEGLIGIBLE: "#8a8a8a",
    Severity.UNKNOWN: "#c8c8c8",
}
AGE_LABELS = {
    AgeBucket.UP_TO_30: "0-30 days",
    AgeBucket.UP_TO_90: "31-90 days",
    AgeBucket.UP_TO_180: "91-180 days",
    AgeBucket.OVER_180: "over 180 days",
    AgeBucket.UNKNOWN: "date unknown",
}
# The rows of the vulnerability summary: the recorded count groups, with our words for them.
SEVERITY_ROWS = (
    (CountGroup.OPEN, "Open"),
    (CountGroup.OPEN_FIXABLE, "Open, fix available"),
    (CountGroup.SUPPRESSED, "Suppressed (VEX, false positive)"),
)
_TONES = {Status.SATISFIED: "good", Status.NOT_SATISFIED: "bad", Status.NOT_APPLICABLE: "good"}


@dataclass(frozen=True, slots=True)
class CatalogCounts:
    catalog: str
    title: str
    counts: tuple[int, ...]  # in COUNT_COLUMNS
    total: int


@dataclass(frozen=True, slots=True)
class SeverityCounts:
    label: str
    counts: tuple[int, ...]  # in SEVERITY_ORDER
    total: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """One line of the executive summary: the recorded verdict, a tone from its status, and the evidence cited."""

    outcome: str  # the recorded words: "Verified", "Failed", "Missing", ...
    tone: str  # "good", "bad", "warn": a CSS class from this module, never from input
    reason: str
    evidence: tuple[Evidence, ...]


def _verdict(pkg: AuditPackage, topic: SummaryTopic) -> Verdict:
    recorded = recorded_verdict(pkg, topic, HtmlReport.filename)
    by_id = {e.id: e for e in reversed(pkg.evidence)}
    cited = [by_id[i] for i in dict.fromkeys(r.evidence_id for r in recorded.evidence) if i in by_id]
    return Verdict(recorded.outcome, _TONES.get(recorded.status, "warn"), recorded.reason, tuple(cited))


def _catalog_counts(pkg: AuditPackage, summary: Summary) -> list[CatalogCounts]:
    titles = {c.id: c.title for c in pkg.catalogs}
    return [
        CatalogCounts(
            catalog=row.catalog,
            title=titles.get(row.catalog, ""),
            counts=(
                row.counts.get(Status.NOT_SATISFIED, 0),
                row.counts.get(Status.EVIDENCE_MISSING, 0),
                row.counts.get(Status.MANUAL, 0),
                row.counts.get(Status.SATISFIED, 0) - row.partial,
                row.partial,
                row.counts.get(Status.NOT_ASSESSED, 0),
                row.counts.get(Status.NOT_APPLICABLE, 0),
            ),
            total=row.total,
        )
        for row in summary.controls
    ]


def _severity_rows(summary: Summary) -> list[SeverityCounts]:
    rows = []
    for group, label in SEVERITY_ROWS:
        counted = summary.vulnerability_counts(group)
        rows.append(SeverityCounts(label, tuple(counted.counts.get(s, 0) for s in SEVERITY_ORDER), counted.total))
    return rows


def _age_rows(summary: Summary) -> list[SeverityCounts]:
    return [
        SeverityCounts(AGE_LABELS[row.age], tuple(row.counts.get(s, 0) for s in SEVERITY_ORDER), row.total)
        for row in summary.open_by_age
    ]


def _status_chart(rows: list[CatalogCounts]) -> object:
    if not any(row.total for row in rows):
        return None
    bars = [
        Bar(
            row.catalog,
            tuple(
                Segment(c.label, colour, n)
                for c, colour, n in zip(COUNT_COLUMNS, _STATUS_COLOURS, row.counts, strict=True)
            ),
        )
        for row in rows
        if row.total
    ]
    return stacked_bars(bars, "Controls by status, per catalog: the numbers are in the table above")


def _age_chart(rows: list[SeverityCounts]) -> object:
    if not any(row.total for row in rows):
        return None
    bars = [
        Bar(
            row.label,
            tuple(
                Segment(s.value.capitalize(), _SEVERITY_COLOURS[s], n)
                for s, n in zip(SEVERITY_ORDER, row.counts, strict=True)
            ),
        )
        for row in rows
    ]
    return stacked_columns(
        bars, "Open findings by days since first detection and severity: the numbers are in the table above"
    )


def _vulnerability_order(record: VulnerabilityRecord) -> tuple[bool, int, str, str, str]:
    is_open = record.state == VulnerabilityState.OPEN
    return (not is_open, -record.severity.rank, record.id, record.package, record.installed_version or "")


_MATTERS = frozenset({Severity.CRITICAL, Severity.HIGH})


def _matters(item: PoamItem) -> bool:
    """An open POA&M item the risk exposure table shows: critical or high, in KEV, overdue, or with a deviation."""
    requested = item.deviation is not None or DeviationAnswer.PENDING in (item.false_positive, item.risk_adjustment)
    return (item.adjusted_severity or item.severity) in _MATTERS or item.kev or item.overdue or requested


def _evidence_kinds(pkg: AuditPackage) -> list[tuple[EvidenceKind, int]]:
    counts = Counter(e.kind for e in pkg.evidence)
    return [(kind, counts[kind]) for kind in EvidenceKind if counts[kind]]


def _finding_rows(pkg: AuditPackage) -> list[tuple[VulnerabilityRecord, PoamItem | None]]:
    """Each vulnerability record with the POA&M item that covers it, open records first, by severity."""
    item_at = {position: item for item in pkg.poam for position in item.records}
    rows = [(record, item_at.get(position)) for position, record in enumerate(pkg.vulnerabilities)]
    return sorted(rows, key=lambda row: _vulnerability_order(row[0]))


def _context(pkg: AuditPackage) -> dict[str, object]:
    summary = recorded_summary(pkg, HtmlReport.filename)
    mismatched = set(summary.mismatched_evidence)
    open_scan_items = [i for i in pkg.poam if i.is_open and i.source is WeaknessSource.SCAN]
    catalog_counts, age_rows = _catalog_counts(pkg, summary), _age_rows(summary)
    return {
        "title": REPORT_TITLE,
        "pkg": pkg,
        "summary": summary,
        "css": stylesheet(STYLESHEET),
        "changes": html_context(pkg.changes) if pkg.changes is not None else None,
        "count_columns": COUNT_COLUMNS,
        "severity_order": SEVERITY_ORDER,
        "catalog_titles": {c.id: c.title for c in pkg.catalogs},
        "catalog_counts": catalog_counts,
        "control_total": sum(row.total for row in summary.controls),
        "severity_rows": _severity_rows(summary),
        "age_rows": age_rows,
        "status_chart": _status_chart(catalog_counts),
        "age_chart": _age_chart(age_rows),
        "risk_controls": [c for c in pkg.controls if c.status is Status.NOT_SATISFIED],
        "risk_items": [i for i in open_scan_items if _matters(i)],
        "other_open": sum(1 for i in open_scan_items if not _matters(i)),
        "control_items": {i.control: i for i in pkg.poam if i.control is not None},
        "evidence_kinds": _evidence_kinds(pkg),
        "status_totals": {s.value: sum(row.counts.get(s, 0) for row in summary.controls) for s in Status},
        "partial_total": sum(row.partial for row in summary.controls),
        "unverified_signatures": [
            e for e in pkg.evidence if e.signature is not None and e.signature.status is not Verification.VERIFIED
        ],
        "filtered_scans": [e for e in pkg.evidence if e.scan_filters],
        "stale_evidence": [e for e in pkg.evidence if e.stale],
        "control_anchor": {(c.catalog, c.control_id): f"control-{n}" for n, c in enumerate(pkg.controls, start=1)},
        "vulnerability_counts": {g.value: summary.vulnerability_counts(g).total for g in CountGroup},
        "vulnerabilities": _finding_rows(pkg),
        "poam_items": pkg.poam,
        "poam_records": {item.poam_id: item_records(pkg, item) for item in pkg.poam},
        "asset_identifier": asset_identifier(pkg),
        "disagreements": [r for r in sorted(pkg.vulnerabilities, key=_vulnerability_order) if r.disagreements],
        "signature_verdict": _verdict(pkg, SummaryTopic.SIGNATURE),
        "provenance_verdict": _verdict(pkg, SummaryTopic.PROVENANCE),
        "sbom_verdict": _verdict(pkg, SummaryTopic.SBOM),
        "mismatches": [e for e in pkg.evidence if e.id in mismatched],
        "unbound_scans": [
            e for e in pkg.evidence if e.serves_as(EvidenceKind.VULNERABILITY_SCAN) and e.binding is Binding.UNBOUND
        ],
        "asserted": [e for e in pkg.evidence if e.binding is Binding.ASSERTED],
        # Anchors are built from positions, never from ids found in the input.
        "evidence_anchor": {e.id: f"ev-{n}" for n, e in enumerate(pkg.evidence, start=1)},
        "evidence_paths": {e.id: e.path for e in pkg.evidence},
    }


# The last package's HTML: a package writes report.html and report.pdf from the same text, rendered once.
_last_rendered: list[tuple[AuditPackage, str]] = []


def render_html(pkg: AuditPackage) -> str:
    """The report as one standalone HTML document; the PDF renderer prints this same text."""
    if _last_rendered and _last_rendered[0][0] is pkg:
        return _last_rendered[0][1]
    html = template(TEMPLATE).render(_context(pkg))
    _last_rendered[:] = [(pkg, html)]
    return html


class HtmlReport:
    """`report.html`: the report for a browser, with its stylesheet inlined and no external references."""

    filename = "report.html"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(render_html(pkg).encode("utf-8"))
