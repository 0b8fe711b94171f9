"""Vulnerability scans: presence, age, database age, the severity gate, remediation timelines, secrets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import wraps

from evidence.evaluate.checks.base import MAX_LISTED, Check, Context, check, listing, missing, refs
from evidence.evaluate.vulnerabilities import ref
from evidence.lifecycle.sla import add_days
from evidence.model import (
    DetectionCategory,
    DetectionSource,
    Evidence,
    EvidenceKind,
    Outcome,
    Severity,
    Status,
    VulnerabilityRecord,
    VulnerabilityState,
)

_DAY = 86400


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / _DAY


def hidden_findings(scans: list[Evidence], *, located: bool = True) -> str:
    """Each scan's recorded filters: `grype.json hides findings: only-fixed: true (/descriptor/...); ignore: ...`;
    without `located`, the settings without their places in the file."""
    described = []
    for scan in scans:
        shown = [f"{f.text} ({f.location})" if located else f.text for f in scan.scan_filters]
        more = f"; and {len(shown) - MAX_LISTED} more" if len(shown) > MAX_LISTED else ""
        described.append(f"{scan.path} hides findings: {'; '.join(shown[:MAX_LISTED])}{more}")
    return ". ".join(described)


def relies_on_complete_scans(*, scans_only: bool, located: bool = True) -> Callable[[Check], Check]:
    """A scan check that needs complete results: a scan whose filters hid findings never satisfies it alone.

    With a complete scan beside the filtered ones, the complete scans decide (with `scans_only`, the check sees only
    them; otherwise it sees every finding, the filtered scans' too, which can only add to what the complete ones
    show) and the reason names the filters. With filtered scans only, the check cannot be satisfied, and the reason
    and the evidence name each filter (with `located`, the reason gives each filter's place in its file too: the
    checks of scan times leave that to the checks of coverage and results, which share their controls).
    """

    def wrap(judge: Check) -> Check:
        @wraps(judge)
        def judged(ctx: Context) -> Outcome:
            scans = ctx.usable(EvidenceKind.VULNERABILITY_SCAN, bound=True)
            filtered = [s for s in scans if s.scan_filters]
            if not filtered:
                return judge(ctx)
            complete = [s for s in scans if not s.scan_filters]
            if complete:
                left_out = {s.id for s in filtered} if scans_only else set()
                outcome = judge(replace(ctx, evidence=tuple(e for e in ctx.evidence if e.id not in left_out)))
                deciding = f"{', '.join(s.path for s in complete)} decide{'s' if len(complete) == 1 else ''}"
                hidden = hidden_findings(filtered, located=located)
                cited = outcome.evidence
                if outcome.status is Status.SATISFIED:  # what the complete scans show decides it
                    cited = tuple(r for r in cited if r.evidence_id not in {s.id for s in filtered})
                return replace(outcome, reason=f"{outcome.reason} {hidden}. {deciding}.", evidence=cited)
            outcome = judge(ctx)
            settings = tuple(ref(s, f.location) for s in filtered for f in s.scan_filters)
            return Outcome(
                status=Status.NOT_SATISFIED if outcome.status is Status.SATISFIED else outcome.status,
                reason=f"No scan of the image is complete: {hidden_findings(filtered, located=located)}. "
                f"Of what the scans show: {outcome.reason}",
                evidence=tuple(dict.fromkeys(outcome.evidence + settings)),
            )

        return judged

    return wrap


@check("vulnscan.present")
@relies_on_complete_scans(scans_only=True)
def scan_present(ctx: Context) -> Outcome:
    scans = ctx.usable(EvidenceKind.VULNERABILITY_SCAN, bound=True)
    if not scans:
        return missing("vulnerability scan naming the image digest", ctx, EvidenceKind.VULNERABILITY_SCAN)
    tools = sorted({f"{s.tool or s.format} {s.tool_version or ''}".strip() for s in scans})
    return Outcome(status=Status.SATISFIED, reason=f"Scanned by {', '.join(tools)}.", evidence=refs(scans))


@check("vulnscan.fresh")
@relies_on_complete_scans(scans_only=True, located=False)
def scan_fresh(ctx: Context) -> Outcome:
    scans = ctx.usable(EvidenceKind.VULNERABILITY_SCAN, bound=True)
    dated = [s for s in scans if s.collected_at is not None]
    if not dated:
        if scans:
            return Outcome(status=Status.EVIDENCE_MISSING, reason="No scan records when it ran.", evidence=refs(scans))
        return missing("vulnerability scan naming the image digest", ctx, EvidenceKind.VULNERABILITY_SCAN)
    newest = max(dated, key=lambda s: s.collected_at)  # type: ignore[arg-type,return-value]
    assert newest.collected_at is not None  # noqa: S101 - narrowed by the filter above
    age = _days(ctx.now, newest.collected_at)
    limit = ctx.params.max_scan_age_days
    when = newest.collected_at.strftime("%Y-%m-%d")
    if age < 0:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=(ref(newest),),
            reason=f"The newest scan ({when}) is dated after the assessment time.",
        )
    status = Status.SATISFIED if age <= limit else Status.NOT_SATISFIED
    return Outcome(
        status=status,
        evidence=(ref(newest),),
        reason=f"Newest scan ran {when}, {age:.0f} day(s) before the assessment (limit {limit}).",
    )


@check("vulnscan.database_current")
@relies_on_complete_scans(scans_only=True, located=False)
def database_current(ctx: Context) -> Outcome:
    """FedRAMP: the scanner's vulnerability database was updated within the month before the scan."""
    scans = ctx.usable(EvidenceKind.VULNERABILITY_SCAN, bound=True)
    if not scans:
        return missing("vulnerability scan naming the image digest", ctx, EvidenceKind.VULNERABILITY_SCAN)
    limit = ctx.params.max_database_age_days
    dated = [s for s in scans if s.database_updated is not None and s.collected_at is not None]
    if not dated:
        return Outcome(
            status=Status.EVIDENCE_MISSING,
            evidence=refs(scans),
            reason="No scan records both when it ran and when its vulnerability database was last updated.",
        )
    old: list[str] = []
    current: list[str] = []
    for scan in dated:
        assert scan.database_updated is not None  # noqa: S101 - narrowed by the filter above
        assert scan.collected_at is not None  # noqa: S101
        age = _days(scan.collected_at, scan.database_updated)
        text = f"{scan.path}: database of {scan.database_updated:%Y-%m-%d}, {age:.0f} day(s) before the scan"
        (old if age > limit else current).append(text)
    if old:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=refs(dated),
            reason=f"Vulnerability database older than {limit} day(s) at scan time: {listing(old)}.",
        )
    undated = [s.path for s in scans if s not in dated]
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs(dated),
        reason=f"Vulnerability database current at scan time (limit {limit} days): {listing(current)}.",
        not_shown=(
            f"The database currency of {listing(undated)}, which does not record when its vulnerability database "
            "was updated."
            if undated
            else None
        ),
    )


@check("vulnscan.no_fixable_at_gate")
@relies_on_complete_scans(scans_only=False)
def no_fixable_at_gate(ctx: Context) -> Outcome:
    scans = ctx.usable(EvidenceKind.VULNERABILITY_SCAN, bound=True)
    if not scans:
        return missing("vulnerability scan naming the image digest", ctx, EvidenceKind.VULNERABILITY_SCAN)
    gate = Severity(ctx.params.gate_severity)
    over = [
        v
        for v in ctx.vulnerabilities
        if v.state == VulnerabilityState.OPEN and v.severity.rank >= gate.rank and v.fixed_versions
    ]
    suppressed = sum(1 for v in ctx.vulnerabilities if v.state == VulnerabilityState.SUPPRESSED)
    note = (
        f" {suppressed} finding(s) suppressed by trusted VEX statements or approved false positives are not counted."
        if suppressed
        else ""
    )
    proposed = sum(1 for v in ctx.vulnerabilities if v.state == VulnerabilityState.OPEN and v.vex_proposal)
    if proposed:
        note += (
            f" {proposed} open finding(s) that a VEX statement from an untrusted source calls not affected are "
            "counted: a proposed deviation, pending approval."
        )
    if over:
        names = [f"{v.id} ({v.severity}, {v.package} {v.installed_version or ''})".replace(" )", ")") for v in over]
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(r for v in over for r in v.evidence),
            reason=f"{len(over)} open {gate}-or-worse vulnerabilit{'y' if len(over) == 1 else 'ies'} "
            f"with a fix available: {listing(names)}.{note}",
        )
    open_count = sum(1 for v in ctx.vulnerabilities if v.state == VulnerabilityState.OPEN)
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs(scans),
        reason=f"No open {gate}-or-worse vulnerability has a fix available "
        f"({open_count} open finding(s) in all).{note}",
    )


def first_seen(ctx: Context, record: VulnerabilityRecord) -> datetime | None:
    """When the vulnerability was first detected, as far as the evidence shows.

    A first-detection time carried by the record (from earlier packages) wins; otherwise the earliest
    supplied scan that reports it, which is the latest the discovery can have been.
    """
    carried = getattr(record, "first_detected", None)
    if isinstance(carried, datetime):
        return carried
    by_id = {e.id: e for e in ctx.evidence}
    times = [
        item.collected_at
        for r in record.evidence
        if (item := by_id.get(r.evidence_id)) is not None and item.collected_at is not None
    ]
    return min(times) if times else None


def _published(record: VulnerabilityRecord) -> str:
    return f"published {record.published.date().isoformat()}" if record.published else "no publication date given"


def _within_for_certain(record: VulnerabilityRecord, days: int, now: datetime) -> bool:
    """Within the timeline whenever it was discovered: by the history a previous package carries, or because even
    from the advisory's publication, the earliest any detection can be, the timeline has not run out."""
    if record.detection_source is DetectionSource.CARRIED:
        return True
    return record.published is not None and now <= add_days(record.published, days)


@check("vulnscan.remediation_sla")
@relies_on_complete_scans(scans_only=False)
def remediation_sla(ctx: Context) -> Outcome:
    """Open vulnerabilities past the profile's remediation timeline for their severity."""
    scans = ctx.usable(EvidenceKind.VULNERABILITY_SCAN, bound=True)
    if not scans:
        return missing("vulnerability scan naming the image digest", ctx, EvidenceKind.VULNERABILITY_SCAN)
    sla = ctx.params.sla_days
    overdue: list[tuple[VulnerabilityRecord, int, int]] = []
    resettable: list[tuple[VulnerabilityRecord, int]] = []
    undated = 0
    for record in ctx.vulnerabilities:
        days = sla.for_severity(record.severity.value)
        if record.state != VulnerabilityState.OPEN or days is None:
            continue
        seen = first_seen(ctx, record)
        if seen is None:
            undated += 1
            continue
        age = int(_days(ctx.now, seen))
        if add_days(seen, days) < ctx.now:
            overdue.append((record, age, days))
        elif not _within_for_certain(record, days, ctx.now):
            resettable.append((record, days))
    limits = f"critical {sla.critical}, high {sla.high}, medium {sla.medium}, low {sla.low} days"
    clock = (
        "Detection is dated by the earliest supplied scan that reports each vulnerability (or the first "
        "detection carried from earlier packages); a detection in a scan not supplied is not seen."
    )
    if overdue:
        shown = [f"{v.id} ({v.severity}, {v.package}, {age} days, limit {days})" for v, age, days in overdue]
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(r for v, _, _ in overdue for r in v.evidence),
            reason=f"{len(overdue)} open vulnerabilit{'y is' if len(overdue) == 1 else 'ies are'} past the "
            f"remediation timeline ({limits}): {listing(shown)}. {clock}",
        )
    if undated:
        return Outcome(
            status=Status.EVIDENCE_MISSING,
            evidence=refs(scans),
            reason=f"{undated} open vulnerabilit{'y' if undated == 1 else 'ies'} cannot be dated: no scan "
            "reporting it records when it ran.",
        )
    if resettable:
        shown = [f"{v.id} ({v.severity}, {v.package}, {_published(v)}, limit {days} days)" for v, days in resettable]
        return Outcome(
            status=Status.EVIDENCE_MISSING,
            evidence=refs(scans),  # the findings are named in the reason: citing each would fill pages
            reason=f"{len(resettable)} open vulnerabilit{'y is' if len(resettable) == 1 else 'ies are'} within the "
            f"remediation timeline only by a clock this assessment's scans start: no previous package records an "
            f"earlier detection, and the advisory was published longer ago than the timeline (or gives no date), "
            f"so a new release would restart the clock: {listing(shown)}. Give the previous release's package "
            "(--previous) to carry the first detection.",
        )
    open_count = sum(1 for v in ctx.vulnerabilities if v.state == VulnerabilityState.OPEN)
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs(scans),
        reason=f"None of the {open_count} open vulnerabilities is past the remediation timeline ({limits}). {clock}",
    )


@check("secrets.no_detections")
def no_secret_detections(ctx: Context) -> Outcome:
    scans = ctx.usable(EvidenceKind.VULNERABILITY_SCAN, bound=True)
    if not scans:
        return missing("scan naming the image digest", ctx, EvidenceKind.VULNERABILITY_SCAN)
    found = [(s, d) for s in scans for d in s.detections if d.category is DetectionCategory.SECRET]
    if found:
        shown = [f"{d.title or d.id} in {d.target or s.path}" for s, d in found]
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(ref(s, d.location) for s, d in found),
            reason=f"{len(found)} exposed secret(s) reported: {listing(shown)}.",
        )
    names = listing([s.path for s in scans])
    return Outcome(
        status=Status.EVIDENCE_MISSING,
        evidence=refs(scans),
        reason=f"No secret scan of the image was supplied: the scans supplied ({names}) report no secret, and none "
        "records that its secret detection ran (Trivy writes secret results only when it finds one), so they "
        "cannot show that the image holds none.",
    )
