"""The summary every renderer shows: verdicts taken from check outcomes, counts counted once.

A summary verdict is the outcome of one named check, the same `Outcome` the controls that run that check
got (see `evaluate`), so the report, the workbooks, OSCAL and the controls cannot disagree. The words a
renderer shows ("Verified", "Missing") are chosen here too, from the status and whether evidence was cited.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from evidence.evaluate.checks import CHECKS, Context
from evidence.evaluate.checks.rubric import MAX_POINTS
from evidence.evaluate.checks.sbom import sbom_bound
from evidence.model import (
    RUBRIC_CATALOG,
    AgeBucket,
    AgeCounts,
    AuditPackage,
    Binding,
    ControlCounts,
    ControlResult,
    CountGroup,
    Layer,
    Outcome,
    RequirementStatus,
    RequirementVerdict,
    Severity,
    SeverityCounts,
    Status,
    Summary,
    SummaryTopic,
    SummaryVerdict,
    VulnerabilityRecord,
    VulnerabilityState,
)

__all__ = ["SEVERITY_ORDER", "SUMMARY_CHECKS", "summarize", "summary_check"]

# The check whose outcome is each topic's verdict. `sbom.bound` decides no control, so it is not in CHECKS
# (every check there belongs to a catalog control); the others are the controls' own checks.
SUMMARY_CHECKS: dict[SummaryTopic, str] = {
    SummaryTopic.SIGNATURE: "signature.verified",
    SummaryTopic.PROVENANCE: "provenance.verified",
    SummaryTopic.SBOM: "sbom.bound",
}
_SUMMARY_ONLY: dict[str, Callable[[Context], Outcome]] = {"sbom.bound": sbom_bound}
SEVERITY_ORDER = tuple(sorted(Severity, key=lambda s: s.rank, reverse=True))

_UNDECIDING = frozenset({Status.NOT_APPLICABLE, Status.NOT_ASSESSED})
_SATISFIED_WORDS = {SummaryTopic.SBOM: "Bound to the image"}
_UNPROVEN_WORDS = {SummaryTopic.SBOM: "Not bound to the image"}


def summary_check(name: str) -> Callable[[Context], Outcome]:
    """The check function of a summary topic's check name."""
    return _SUMMARY_ONLY.get(name) or CHECKS[name]


def _outcome_words(topic: SummaryTopic, outcome: Outcome, stale: set[str]) -> str:
    if outcome.status is Status.SATISFIED:
        return _SATISFIED_WORDS.get(topic, "Verified")
    if outcome.status is Status.NOT_SATISFIED:
        return "Stale evidence" if any(r.evidence_id in stale for r in outcome.evidence) else "Failed"
    if outcome.status is Status.EVIDENCE_MISSING:
        return _UNPROVEN_WORDS.get(topic, "Not verified") if outcome.evidence else "Missing"
    if outcome.status is Status.MANUAL:
        return "Manual review"
    if outcome.status is Status.NOT_ASSESSED:
        return "Not assessed"
    return "Not applicable"


def _verdict(topic: SummaryTopic, outcome: Outcome, stale: set[str]) -> SummaryVerdict:
    return SummaryVerdict(
        topic=topic,
        check=SUMMARY_CHECKS[topic],
        status=outcome.status,
        outcome=_outcome_words(topic, outcome, stale),
        reason=outcome.reason,
        evidence=outcome.evidence,
    )


def _severity_counts(group: CountGroup, records: list[VulnerabilityRecord]) -> SeverityCounts:
    counter = Counter(r.severity for r in records)
    return SeverityCounts(group=group, counts={s: counter[s] for s in SEVERITY_ORDER}, total=len(records))


_AGE_LIMITS = ((30, AgeBucket.UP_TO_30), (90, AgeBucket.UP_TO_90), (180, AgeBucket.UP_TO_180))


def _age(record: VulnerabilityRecord, now: datetime) -> AgeBucket:
    if record.first_detected is None:
        return AgeBucket.UNKNOWN
    days = (now - record.first_detected).days
    return next((bucket for limit, bucket in _AGE_LIMITS if days <= limit), AgeBucket.OVER_180)


def _open_by_age(records: tuple[VulnerabilityRecord, ...], now: datetime) -> tuple[AgeCounts, ...]:
    counter = Counter((_age(r, now), r.severity) for r in records if r.state == VulnerabilityState.OPEN)
    rows = []
    for age in AgeBucket:
        counts = {s: counter[age, s] for s in SEVERITY_ORDER}
        rows.append(AgeCounts(age=age, counts=counts, total=sum(counts.values())))
    return tuple(rows)


def _not_assessed(controls: Sequence[ControlResult]) -> dict[Layer, int]:
    counter = Counter(c.responsible for c in controls if c.status is Status.NOT_ASSESSED and c.responsible)
    return {layer: counter[layer] for layer in Layer if counter[layer]}


def _vulnerability_counts(records: tuple[VulnerabilityRecord, ...]) -> tuple[SeverityCounts, ...]:
    open_records = [r for r in records if r.state == VulnerabilityState.OPEN]
    groups = {
        CountGroup.OPEN: open_records,
        CountGroup.OPEN_FIXABLE: [r for r in open_records if r.fixed_versions],
        CountGroup.OPEN_OVERDUE: [r for r in open_records if r.overdue],
        CountGroup.OPEN_KEV: [r for r in open_records if r.kev],
        CountGroup.SUPPRESSED: [r for r in records if r.state == VulnerabilityState.SUPPRESSED],
        CountGroup.CLOSED: [r for r in records if r.state == VulnerabilityState.CLOSED],
    }
    return tuple(_severity_counts(group, groups[group]) for group in CountGroup)


def _control_counts(pkg: AuditPackage) -> tuple[ControlCounts, ...]:
    catalogs = list(dict.fromkeys([c.id for c in pkg.catalogs] + [c.catalog for c in pkg.controls]))
    counter = Counter((c.catalog, c.status) for c in pkg.controls)
    partial = Counter(c.catalog for c in pkg.controls if c.partly_satisfied)
    rows = []
    for catalog in catalogs:
        counts = {s: counter[catalog, s] for s in Status}
        rows.append(ControlCounts(catalog=catalog, counts=counts, total=sum(counts.values()), partial=partial[catalog]))
    return tuple(rows)


def summarize(pkg: AuditPackage, outcomes: Mapping[str, Outcome]) -> Summary:
    """The package's summary: `outcomes` holds each `SUMMARY_CHECKS` check's outcome; `pkg.poam` is decided."""
    stale = {e.id for e in pkg.evidence if e.stale}
    return Summary(
        verdicts=tuple(_verdict(t, outcomes[SUMMARY_CHECKS[t]], stale) for t in SummaryTopic),
        controls=_control_counts(pkg),
        vulnerabilities=_vulnerability_counts(pkg.vulnerabilities),
        evidence_files=len(pkg.evidence),
        skipped_files=len(pkg.skipped),
        mismatched_evidence=tuple(e.id for e in pkg.evidence if e.binding is Binding.MISMATCH),
        poam_open=sum(1 for i in pkg.poam if i.is_open),
        poam_closed=sum(1 for i in pkg.poam if not i.is_open),
        requirements=_requirements(pkg.controls),
        rubric_points=sum(r.score for r in pkg.rubric),
        rubric_max_points=MAX_POINTS * len(pkg.rubric),
        rubric_gate_failed=any(r.gate_failed for r in pkg.rubric),
        open_by_age=_open_by_age(pkg.vulnerabilities, pkg.assessed_at),
        not_assessed=_not_assessed(pkg.controls),
    )


def _requirements(controls: Sequence[ControlResult]) -> tuple[RequirementVerdict, ...]:
    """Each SP 800-53 control the assessed catalog controls map to (the rubric's criteria are grades, not
    findings; not-applicable and not-assessed controls decide nothing), with one verdict: satisfied only when
    every catalog control mapped to it is satisfied in full scope, partial when some are satisfied only in part."""
    mapped: dict[str, tuple[str, list[ControlResult]]] = {}
    for control in controls:
        if control.catalog == RUBRIC_CATALOG or control.status in _UNDECIDING:
            continue
        for requirement in control.nist_800_53:
            key = "".join(requirement.split()).upper()  # "SI-7 (15)" and "SI-7(15)" are one control
            mapped.setdefault(key, (requirement, []))[1].append(control)
    verdicts = []
    for requirement, group in mapped.values():
        statuses = {c.status for c in group}
        if statuses == {Status.SATISFIED}:
            partly = any(c.partly_satisfied for c in group)
            status = RequirementStatus.PARTIAL if partly else RequirementStatus.SATISFIED
        elif Status.NOT_SATISFIED in statuses:
            status = RequirementStatus.NOT_SATISFIED
        else:
            status = RequirementStatus.UNDECIDED
        ids = tuple(f"{c.catalog}:{c.control_id}" for c in group)
        verdicts.append(RequirementVerdict(requirement=requirement, status=status, controls=ids))
    return tuple(verdicts)
