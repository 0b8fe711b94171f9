"""The human-readable report: one standalone HTML file, also the source of the PDF.

The template gets the package itself plus a few precomputed views (counts, the
evidence that bears on the signature, provenance and SBOM verdicts). It decides
nothing: every verdict shown here was made by the evaluator or the collectors.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from evidence.diff.render import html_context
from evidence.lifecycle.poam import asset_identifier, poam_items
from evidence.model import (
    AuditPackage,
    Binding,
    Evidence,
    EvidenceKind,
    ProvenanceFacts,
    Severity,
    SignatureFacts,
    Status,
    Verification,
    VulnerabilityRecord,
)
from evidence.render._jinja import stylesheet, template

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["REPORT_TITLE", "HtmlReport", "render_html"]

REPORT_TITLE = "Container image security assessment"
TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"

# Column order of the status summary: the outcomes an assessor acts on first.
STATUS_ORDER = (
    Status.NOT_SATISFIED,
    Status.EVIDENCE_MISSING,
    Status.MANUAL,
    Status.SATISFIED,
    Status.NOT_APPLICABLE,
)
SEVERITY_ORDER = tuple(sorted(Severity, key=lambda s: s.rank, reverse=True))

SIGNATURE_KINDS = (EvidenceKind.SIGNATURE, EvidenceKind.DETACHED_SIGNATURE)


@dataclass(frozen=True, slots=True)
class CatalogCounts:
    catalog: str
    title: str
    counts: tuple[int, ...]  # in STATUS_ORDER
    total: int


@dataclass(frozen=True, slots=True)
class SeverityCounts:
    label: str
    counts: tuple[int, ...]  # in SEVERITY_ORDER
    total: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """One line of the executive summary: a fixed word, a fixed tone, and the facts behind it."""

    outcome: str  # "Verified", "Failed", "Missing", ...
    tone: str  # "good", "bad", "warn": a CSS class from this module, never from input


@dataclass(frozen=True, slots=True)
class SignatureView:
    evidence: Evidence
    facts: SignatureFacts


@dataclass(frozen=True, slots=True)
class ProvenanceView:
    evidence: Evidence
    facts: ProvenanceFacts
    signature: SignatureFacts | None


def _catalog_counts(pkg: AuditPackage) -> list[CatalogCounts]:
    titles = {c.id: c.title for c in pkg.catalogs}
    order = [c.id for c in pkg.catalogs]
    order += sorted({c.catalog for c in pkg.controls} - set(order))
    rows = []
    for catalog in order:
        counter = Counter(c.status for c in pkg.controls if c.catalog == catalog)
        counts = tuple(counter[s] for s in STATUS_ORDER)
        rows.append(CatalogCounts(catalog=catalog, title=titles.get(catalog, ""), counts=counts, total=sum(counts)))
    return rows


def _severity_counts(label: str, records: Iterable[VulnerabilityRecord]) -> SeverityCounts:
    counter = Counter(r.severity for r in records)
    counts = tuple(counter[s] for s in SEVERITY_ORDER)
    return SeverityCounts(label=label, counts=counts, total=sum(counts))


def _vulnerability_order(record: VulnerabilityRecord) -> tuple[bool, int, str, str, str]:
    return (record.state != "open", -record.severity.rank, record.id, record.package, record.installed_version or "")


def _used(evidence: Evidence) -> bool:
    """Evidence about another image is listed but never counts towards a verdict."""
    return evidence.binding != Binding.MISMATCH


def _signature_verdict(views: list[SignatureView]) -> Verdict:
    outcomes = {v.facts.status for v in views}
    if Verification.VERIFIED in outcomes:
        return Verdict("Verified", "good")
    if Verification.FAILED in outcomes:
        return Verdict("Failed", "bad")
    if outcomes:
        return Verdict("Not verified", "warn")
    return Verdict("Missing", "bad")


def _provenance_verdict(views: list[ProvenanceView]) -> Verdict:
    outcomes = {v.signature.status if v.signature else None for v in views}
    if Verification.VERIFIED in outcomes:
        return Verdict("Verified", "good")
    if Verification.FAILED in outcomes:
        return Verdict("Signature failed", "bad")
    if outcomes:
        return Verdict("Not verified", "warn")
    return Verdict("Missing", "bad")


def _sbom_verdict(sboms: list[Evidence]) -> Verdict:
    if any(e.binding == Binding.MATCH for e in sboms):
        return Verdict("Bound to the image", "good")
    if sboms:
        return Verdict("Not bound to the image", "warn")
    return Verdict("Missing", "bad")


def _context(pkg: AuditPackage) -> dict[str, object]:
    used = [e for e in pkg.evidence if _used(e)]
    signatures = [SignatureView(e, e.signature) for e in used if e.kind in SIGNATURE_KINDS and e.signature]
    provenance = [ProvenanceView(e, e.provenance, e.signature) for e in used if e.provenance]
    sboms = [e for e in used if e.kind == EvidenceKind.SBOM]
    open_records = [r for r in pkg.vulnerabilities if r.state == "open"]
    return {
        "title": REPORT_TITLE,
        "pkg": pkg,
        "css": stylesheet(STYLESHEET),
        "changes": html_context(pkg.changes) if pkg.changes is not None else None,
        "status_order": STATUS_ORDER,
        "severity_order": SEVERITY_ORDER,
        "catalog_titles": {c.id: c.title for c in pkg.catalogs},
        "catalog_counts": _catalog_counts(pkg),
        "control_total": len(pkg.controls),
        "severity_rows": [
            _severity_counts("Open", open_records),
            _severity_counts("Open, fix available", [r for r in open_records if r.fixed_versions]),
            _severity_counts(
                "Suppressed (VEX, false positive)", [r for r in pkg.vulnerabilities if r.state == "suppressed"]
            ),
        ],
        "vulnerabilities": sorted(pkg.vulnerabilities, key=_vulnerability_order),
        "poam_items": poam_items(pkg),
        "asset_identifier": asset_identifier(pkg),
        "disagreements": [r for r in sorted(pkg.vulnerabilities, key=_vulnerability_order) if r.disagreements],
        "signatures": signatures,
        "signature_verdict": _signature_verdict(signatures),
        "provenance": provenance,
        "provenance_verdict": _provenance_verdict(provenance),
        "sboms": sboms,
        "sbom_verdict": _sbom_verdict(sboms),
        "mismatches": [e for e in pkg.evidence if e.binding == Binding.MISMATCH],
        # Anchors are built from positions, never from ids found in the input.
        "evidence_anchor": {e.id: f"ev-{n}" for n, e in enumerate(pkg.evidence, start=1)},
    }


def render_html(pkg: AuditPackage) -> str:
    """The report as one standalone HTML document; the PDF renderer prints this same text."""
    return template(TEMPLATE).render(_context(pkg))


class HtmlReport:
    """`report.html`: the report for a browser, with its stylesheet inlined and no external references."""

    filename = "report.html"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(render_html(pkg).encode("utf-8"))
