"""What the POA&M renderers share: FedRAMP's rating words and what a rating rests on, the asset id, an item's
records and control.

The items themselves are decided in evaluation (`evidence.evaluate.poam`) and recorded in `AuditPackage.poam`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from evidence.model import (
    AuditPackage,
    ControlResult,
    Cvss,
    DetectionSource,
    PoamItem,
    RatingSource,
    Severity,
    VulnerabilityRecord,
)

# The POA&M template's rating words (its Original and Adjusted Risk Rating lists hold High, Moderate and Low; the
# FedRAMP risk facet the same in lower case): a critical finding is rated High there, and keeps its 30-day deadline.
FEDRAMP_RATING = {
    Severity.CRITICAL: "High",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Moderate",
    Severity.LOW: "Low",
    Severity.NEGLIGIBLE: "Low",
    Severity.UNKNOWN: "High",
}


DETECTION_SOURCES = {
    DetectionSource.CARRIED: "carried from the previous package",
    DetectionSource.SCAN: "this assessment's scans (no earlier package given: a new release restarts it)",
    DetectionSource.PUBLISHED: "the advisory's publication (the scans record no time)",
    DetectionSource.ASSESSED: "the assessment time (no scan time or publication date given)",
}


def detection_words(source: DetectionSource | None) -> str:
    """Where an original detection date comes from, in words."""
    return DETECTION_SOURCES[source] if source is not None else "not recorded"


_NO_OFFSET = timedelta(0)


def utc_day(moment: datetime | date | None) -> date | None:
    """The UTC day of a moment (a naive time is taken as UTC); a day stays as it is."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None or moment.utcoffset() == _NO_OFFSET:
            return moment.date()
        return moment.astimezone(UTC).date()
    return moment


def asset_identifier(pkg: AuditPackage) -> str:
    """The image's inventory id, the same in the POA&M and the inventory: `name:release@digest`."""
    s = pkg.subject
    return f"{s.name}:{s.release}@{s.digest}" if s.release else f"{s.name}@{s.digest}"


def item_control(pkg: AuditPackage, item: PoamItem) -> ControlResult | None:
    """The control not satisfied that a control's item tracks; None for a vulnerability's item."""
    if item.control is None:
        return None
    return next((c for c in pkg.controls if f"{c.catalog}:{c.control_id}" == item.control), None)


def item_records(pkg: AuditPackage, item: PoamItem) -> tuple[VulnerabilityRecord, ...]:
    """The vulnerability records an item covers, looked up by their recorded positions."""
    return tuple(pkg.vulnerabilities[i] for i in item.records if 0 <= i < len(pkg.vulnerabilities))


def rating(severity: Severity | None) -> str:
    return FEDRAMP_RATING[severity] if severity is not None else ""


def rating_basis(source: RatingSource, cvss: Cvss | None, *, computed: bool, scanner_severity: Severity | None) -> str:
    """What the original risk rating rests on, with the scanners' own rating beside it, in words:
    `NVD CVSS 3.1 base score 9.8; the scanners rated it low`."""
    if source is RatingSource.CATALOG:
        return "the control's category in its catalog (DISA CAT I high, CAT II moderate, CAT III low)"
    if source is RatingSource.UNRATED:
        return "no rating: the control's catalog gives none, so it is moderate until the assessor rates it"
    scanner = f"the scanners rated it {scanner_severity.value}" if scanner_severity is not None else ""
    if source is RatingSource.SCANNER or cvss is None or cvss.score is None:
        return "the scanner's severity (NVD gives no CVSS v3 or v2 base score)"
    basis = f"NVD CVSS {cvss.version or source.value[-1]} base score {cvss.score:.1f}"
    if computed:
        basis += f", computed from {cvss.vector}"
    return f"{basis}; {scanner}" if scanner else basis


def rating_short(record: VulnerabilityRecord) -> str:
    """The rating's source in a few words, for a narrow column beside the scanners' severities."""
    cvss = record.rating_cvss
    if record.rating_source is RatingSource.SCANNER or cvss is None or cvss.score is None:
        return "scanner"
    return f"NVD CVSS {cvss.version or record.rating_source.value[-1]} {cvss.score:.1f}" + (
        " (from its vector)" if record.rating_computed else ""
    )


def record_rating_basis(record: VulnerabilityRecord) -> str:
    r = record
    return rating_basis(r.rating_source, r.rating_cvss, computed=r.rating_computed, scanner_severity=r.scanner_severity)


def item_rating_basis(item: PoamItem) -> str:
    return rating_basis(
        item.rating_source, item.rating_cvss, computed=item.rating_computed, scanner_severity=item.scanner_severity
    )
