"""POA&M items: one per unique vulnerability of the image, as FedRAMP asks (never grouping several into one).

An item gathers every record of one vulnerability id (the packages it is in). It is open while any of its
records is open; otherwise it is closed: fixed (no longer found), or not a risk (a VEX `not_affected` or
`fixed`, an approved false positive). Items of negligible severity are left out: FedRAMP tracks Low and above.
Evaluation records the items in `AuditPackage.poam`; the renderers (OSCAL POA&M, the POA&M workbook, the
report) and `diff` read them there, so they agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from evidence.evaluate.vulnerabilities import vex_proposal_pending
from evidence.lifecycle.sla import LATEST
from evidence.model import (
    Attribution,
    Deviation,
    DeviationAnswer,
    DeviationStatus,
    DeviationType,
    PoamItem,
    PoamStatus,
    RiskStatus,
    Severity,
    VulnerabilityRecord,
    VulnerabilityState,
)

__all__ = ["poam_items"]

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
        severity=max((r.severity for r in chosen), key=lambda s: s.rank),
        adjusted_severity=max(adjusted, key=lambda s: s.rank) if adjusted else None,
        first_detected=min((_utc(r.first_detected) for r in records if r.first_detected), default=None),
        due=min((_utc(r.due) for _, r in live if r.due), default=None),
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
    items.sort(key=lambda i: (not i.is_open, i.due or LATEST, -i.severity.rank, i.vulnerability))
    return tuple(items)
