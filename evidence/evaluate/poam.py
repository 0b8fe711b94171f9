"""POA&M items: one per unique vulnerability of the image, as FedRAMP asks (never grouping several into one), and
one per control the assessment found not satisfied (FedRAMP wants an item for every risk of the assessment).

An item gathers every record of one vulnerability id (the packages it is in). It is open while any of its
records is open; otherwise it is closed: fixed (no longer found), or not a risk (a VEX `not_affected` or
`fixed`, an approved false positive). Items of negligible severity are left out: FedRAMP tracks Low and above.
An item's original risk rating is its highest record's (`evaluate.rating`), with that record's rating source and
the scanners' own severity beside it. A closed item keeps its original detection and scheduled completion dates,
so an assessor sees when it closed against when it was due.
A control's item carries the control's own SP 800-53 controls and is rated by its catalog's category where it
gives one (DISA CAT I high, CAT II moderate, CAT III low), else moderate and marked unrated for the assessor to
rate. Its detection date is carried from the previous package's item of the same control, else this assessment.
A control that fails only because of open findings (`FINDING_CHECKS`) gets no item: the findings' items are its
risks. The base-image rubric grades candidates; its criteria are not risks of the system.
Evaluation records the items in `AuditPackage.poam`; the renderers (OSCAL POA&M, the POA&M workbook, the
report) and `diff` read them there, so they agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from evidence.evaluate.vulnerabilities import vex_proposal_pending
from evidence.lifecycle.sla import LATEST, SlaPolicy, deadline, is_overdue
from evidence.model import (
    RUBRIC_CATALOG,
    Attribution,
    ControlResult,
    DetectionSource,
    Deviation,
    DeviationAnswer,
    DeviationStatus,
    DeviationType,
    PoamItem,
    PoamStatus,
    RatingSource,
    RiskStatus,
    Severity,
    Status,
    VulnerabilityRecord,
    VulnerabilityState,
    WeaknessSource,
)

__all__ = ["FINDING_CHECKS", "ControlRisk", "control_items", "ordered", "poam_items"]

_NOT_AFFECTED = "not_affected"
_UNDER_INVESTIGATION = "under_investigation"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _status_date(records: Sequence[VulnerabilityRecord], *, is_open: bool, assessed_at: datetime) -> datetime:
    """When the item last changed: now while open; else when it was closed, suppressed or accepted."""
    if is_open:
        return assessed_at
    moments = [r.closed_at for r in records if r.closed_at]
    moments += [
        r.suppression.statement.timestamp for r in records if r.suppression and r.suppression.statement.timestamp
    ]
    return max((_utc(m) for m in moments), default=_utc(assessed_at))


def _answer(deviation: Deviation | None, kind: DeviationType) -> DeviationAnswer:
    if deviation is None or deviation.type != kind:
        return DeviationAnswer.NO
    if kind == DeviationType.VENDOR_DEPENDENCY:  # tracked, not approved: FedRAMP asks no approval for it
        return DeviationAnswer.YES
    return DeviationAnswer.YES if deviation.status == DeviationStatus.APPROVED else DeviationAnswer.PENDING


def _proposed(
    records: Sequence[VulnerabilityRecord], deviation: Deviation | None, kind: DeviationType
) -> DeviationAnswer:
    """The deviations file's answer; Pending where none is given and an untrusted VEX proposes this kind."""
    answer = _answer(deviation, kind)
    if answer is DeviationAnswer.NO and any(vex_proposal_pending(r) and r.vex_proposal == kind for r in records):
        return DeviationAnswer.PENDING
    return answer


def _false_positive(records: Sequence[VulnerabilityRecord], deviation: Deviation | None) -> DeviationAnswer:
    """Yes for an approved false positive or a trusted VEX `not_affected` that closed the item; Pending while
    requested, or proposed by an untrusted VEX."""
    if any(r.suppression and r.suppression.statement.status == _NOT_AFFECTED for r in records):
        return DeviationAnswer.YES
    return _proposed(records, deviation, DeviationType.FALSE_POSITIVE)


def _vendor_dependency(
    deviation: Deviation | None, packages: Sequence[str], *, no_fix: bool
) -> tuple[DeviationAnswer, str | None]:
    """Yes, with the product, for a vendor dependency in the deviations file, or for an open item no scanner
    knows a fixed version of: the fix waits on the package's supplier (the distribution, or the upstream project)."""
    if deviation is not None and deviation.type == DeviationType.VENDOR_DEPENDENCY:
        return DeviationAnswer.YES, deviation.vendor_product or ", ".join(packages)
    if no_fix:
        return DeviationAnswer.YES, ", ".join(packages)
    return DeviationAnswer.NO, None


def _risk_status(records: Sequence[VulnerabilityRecord], *, is_open: bool, deviation: Deviation | None) -> RiskStatus:
    if not is_open:
        return RiskStatus.CLOSED
    if deviation is not None and deviation.type != DeviationType.VENDOR_DEPENDENCY:
        approved = deviation.status == DeviationStatus.APPROVED
        return RiskStatus.DEVIATION_APPROVED if approved else RiskStatus.DEVIATION_REQUESTED
    if any(vex_proposal_pending(r) for r in records):
        return RiskStatus.DEVIATION_REQUESTED
    if any(r.vex and r.vex.statement.status == _UNDER_INVESTIGATION for r in records):
        return RiskStatus.INVESTIGATING
    return RiskStatus.OPEN


def _remediation_plan(records: Sequence[VulnerabilityRecord], packages: Sequence[str], fixed: Sequence[str]) -> str:
    base = any(r.attribution is Attribution.BASE_IMAGE for r in records)
    if fixed:
        plan = f"Upgrade {', '.join(packages)} to {', '.join(fixed)}"
        plan += " by rebuilding on an updated base image" if base else " and rebuild the image"
        return plan + "; deploy the rebuilt image."
    if base:
        return "No fixed version is known: track the base image vendor's fix, then rebuild on the fixed base image."
    return "No fixed version is known: track the upstream fix, mitigate meanwhile, then rebuild the image."


def _item(vulnerability: str, indexed: list[tuple[int, VulnerabilityRecord]], assessed_at: datetime) -> PoamItem:
    records = [r for _, r in indexed]
    live = [(i, r) for i, r in indexed if r.state == VulnerabilityState.OPEN]
    is_open = bool(live)
    chosen_indexed = live or indexed
    chosen = [r for _, r in chosen_indexed]
    deviations = [r.deviation for r in chosen if r.deviation is not None]
    deviation = deviations[0] if deviations else None
    adjusted = [
        d.adjusted_severity
        for d in deviations
        if d.type == DeviationType.RISK_ADJUSTMENT and d.status == DeviationStatus.APPROVED and d.adjusted_severity
    ]
    rated = max(chosen, key=lambda r: (r.severity.rank, r.rating_cvss.score if r.rating_cvss else -1.0))
    dated = [r for r in records if r.first_detected]
    earliest = min(dated, key=lambda r: _utc(r.first_detected or LATEST)) if dated else None
    scanner_severities = [r.scanner_severity for r in chosen if r.scanner_severity is not None]
    packages = tuple(dict.fromkeys(" ".join(p for p in (r.package, r.installed_version) if p) for r in chosen))
    fixed = tuple(dict.fromkeys(v for r in chosen for v in r.fixed_versions))
    vendor_dependency, vendor_product = _vendor_dependency(deviation, packages, no_fix=is_open and not fixed)
    return PoamItem(
        poam_id=f"V-{vulnerability}",
        vulnerability=vulnerability,
        ids=tuple(sorted({vulnerability, *(a for r in records for a in r.aliases)})),
        status=PoamStatus.OPEN if is_open else PoamStatus.CLOSED,
        risk_status=_risk_status(chosen, is_open=is_open, deviation=deviation),
        title=next((r.title for r in chosen if r.title), None) or vulnerability,
        packages=packages,
        scanners=tuple(sorted({s for r in chosen for s in r.scanners})),
        fixed_versions=fixed,
        severity=rated.severity,
        adjusted_severity=max(adjusted, key=lambda s: s.rank) if adjusted else None,
        scanner_severity=max(scanner_severities, key=lambda s: s.rank) if scanner_severities else None,
        rating_source=rated.rating_source,
        rating_cvss=rated.rating_cvss,
        rating_computed=rated.rating_computed,
        first_detected=_utc(earliest.first_detected) if earliest and earliest.first_detected else None,
        detection_source=earliest.detection_source if earliest else None,
        due=min((_utc(r.due) for r in chosen if r.due), default=None),
        overdue=any(r.overdue for _, r in live),
        kev=any(r.kev for r in records),
        kev_due=min((r.kev_due for r in records if r.kev_due), default=None),
        status_date=_status_date(chosen, is_open=is_open, assessed_at=assessed_at),
        deviation=deviation,
        risk_adjustment=_proposed(chosen, deviation, DeviationType.RISK_ADJUSTMENT),
        false_positive=_false_positive(chosen, deviation),
        operational_requirement=_answer(deviation, DeviationType.OPERATIONAL_REQUIREMENT),
        vendor_dependency=vendor_dependency,
        vendor_product=vendor_product,
        milestone_changes=tuple(dict.fromkeys(c for _, r in live for c in r.due_changes)),
        remediation_plan=_remediation_plan(chosen, packages, fixed),
        flags=tuple(dict.fromkeys(f for r in chosen for f in r.deviation_flags)),
        disagreements=tuple(
            dict.fromkeys(f"{r.package} {r.installed_version or ''}: {d}" for r in chosen for d in r.disagreements)
        ),
        records=tuple(i for i, _ in chosen_indexed),
    )


def poam_items(vulnerabilities: Sequence[VulnerabilityRecord], assessed_at: datetime) -> tuple[PoamItem, ...]:
    """The POA&M items of these records: open ones first by due date, then closed ones; negligible left out.

    `PoamItem.records` are positions in `vulnerabilities`: pass the package's own tuple.
    """
    groups: dict[str, list[tuple[int, VulnerabilityRecord]]] = defaultdict(list)
    for index, record in enumerate(vulnerabilities):
        groups[record.id].append((index, record))
    items = [
        _item(vulnerability, indexed, assessed_at)
        for vulnerability, indexed in groups.items()
        if max((r.severity for _, r in indexed), key=lambda s: s.rank) is not Severity.NEGLIGIBLE
    ]
    return ordered(items)


def ordered(items: Sequence[PoamItem]) -> tuple[PoamItem, ...]:
    """Open items first, by due date, highest rating first on a day; then closed ones."""
    return tuple(sorted(items, key=lambda i: (not i.is_open, i.due or LATEST, -i.severity.rank, i.poam_id)))


# Checks that fail because of open vulnerability findings: the findings' own items track those risks.
FINDING_CHECKS = frozenset({"vulnscan.no_fixable_at_gate", "vulnscan.remediation_sla"})
_CATEGORY_RATING = {"CAT I": Severity.HIGH, "CAT II": Severity.MEDIUM, "CAT III": Severity.LOW}


@dataclass(frozen=True, slots=True)
class ControlRisk:
    """What a catalog says of a control that a POA&M item needs: its category and its guidance."""

    category: str | None = None  # DISA's CAT I, II or III
    guidance: str | None = None


def _is_risk(control: ControlResult) -> bool:
    if control.status is not Status.NOT_SATISFIED or control.catalog == RUBRIC_CATALOG:
        return False
    failing = {c.check for c in control.checks if c.status is Status.NOT_SATISFIED}
    return not failing or not failing <= FINDING_CHECKS


def control_items(
    controls: Sequence[ControlResult],
    risks: Mapping[tuple[str, str], ControlRisk],
    *,
    previous: Sequence[PoamItem] = (),
    now: datetime,
    sla: SlaPolicy,
) -> tuple[PoamItem, ...]:
    """One open item per control not satisfied (`_is_risk`), in the package's control order."""
    carried = {item.poam_id: item.first_detected for item in previous if item.first_detected is not None}
    items = []
    for control in filter(_is_risk, controls):
        risk = risks.get((control.catalog, control.control_id), ControlRisk())
        severity = _CATEGORY_RATING.get(risk.category or "", Severity.MEDIUM)
        poam_id = f"C-{control.catalog}-{control.control_id}"
        known = carried.get(poam_id)
        first = _utc(known or now)
        due = deadline(first, severity, sla).due
        plan = risk.guidance or f"Make the image meet the control: {control.reason}"
        items.append(
            PoamItem(
                poam_id=poam_id,
                vulnerability=f"{control.catalog} {control.control_id}",
                status=PoamStatus.OPEN,
                risk_status=RiskStatus.OPEN,
                title=control.title,
                severity=severity,
                rating_source=RatingSource.CATALOG if risk.category in _CATEGORY_RATING else RatingSource.UNRATED,
                first_detected=first,
                detection_source=DetectionSource.CARRIED if known else DetectionSource.ASSESSED,
                due=due,
                overdue=is_overdue(due, _utc(now)),
                status_date=_utc(now),
                remediation_plan=plan,
                source=WeaknessSource.CONTROL,
                controls=control.nist_800_53,
                control=f"{control.catalog}:{control.control_id}",
            )
        )
    return tuple(items)
