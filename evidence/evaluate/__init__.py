"""Evaluate: run each catalog's checks over the evidence and combine them into control verdicts."""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from evidence import __version__
from evidence.catalog import Catalog, ControlSpec, Profile, load_fips_modules
from evidence.catalog.schema import Parameters
from evidence.evaluate.checks import CHECKS, Context
from evidence.evaluate.checks.rubric import SCORERS, grade, rubric_score
from evidence.evaluate.poam import ControlRisk, control_items, ordered, poam_items
from evidence.evaluate.summary import SUMMARY_CHECKS, summarize, summary_check
from evidence.evaluate.vulnerabilities import build_records
from evidence.lifecycle import LifecycleInputs
from evidence.lifecycle.sla import SlaPolicy, add_days
from evidence.model import (
    RUBRIC_CATALOG,
    AuditPackage,
    Binding,
    CatalogInfo,
    CheckResult,
    ControlResult,
    Evidence,
    EvidenceKind,
    EvidenceRef,
    EvidenceSet,
    ImageRef,
    Outcome,
    RubricScore,
    Scope,
    Status,
    ToolInfo,
    TrustAnchors,
)

__all__ = ["CHECKS", "derive_recorded", "evaluate", "mark_freshness"]


def evaluate(  # noqa: PLR0913 - keyword-only inputs of one assessment
    catalogs: Sequence[Catalog],
    profile: Profile,
    collected: EvidenceSet,
    *,
    image: ImageRef,
    now: datetime,
    lifecycle: LifecycleInputs | None = None,
    required_attestations: tuple[str, ...] | None = None,
    trust_anchors: TrustAnchors | None = None,
) -> AuditPackage:
    evidence = mark_freshness(collected.items, profile.parameters.max_age_days, now)
    params = profile.parameters
    sla = SlaPolicy(days=params.sla_days.model_dump(), vendor_days=params.rubric.vendor_sla_days)
    records = build_records(
        evidence,
        image.digest,
        now=now,
        sla=sla,
        lifecycle=lifecycle,
        vex_authors=trust_anchors.vex_authors if trust_anchors else (),
    )
    ctx = Context(
        image=image,
        now=now,
        params=profile.parameters,
        evidence=evidence,
        vulnerabilities=records,
        fips_modules=load_fips_modules(),
        required_attestations=required_attestations,
        assessed_checks=frozenset(name for c in catalogs for spec in c.controls for name in spec.checks),
        trust_anchors=trust_anchors,
    )
    outcomes: dict[str, Outcome] = {}  # each check runs once: controls and the summary share its outcome
    results = [
        strictly(decide(c.id, spec, ctx, outcomes), strict=profile.strict) for c in catalogs for spec in c.controls
    ]
    rubric = score_rubric(catalogs, ctx)
    pkg = AuditPackage(
        tool=ToolInfo(name="fromline", version=__version__),
        subject=image,
        profile=profile.name,
        assessed_at=now,
        catalogs=tuple(
            CatalogInfo(id=c.id, title=c.title, version=c.version, source=c.source, sha256=c.sha256) for c in catalogs
        ),
        evidence=evidence,
        skipped=collected.skipped,
        controls=tuple(results),
        vulnerabilities=records,
        rubric=rubric,
        rubric_grade=grade(rubric) if rubric else None,
        poam=ordered(
            (
                *poam_items(records, now),
                *control_items(
                    results,
                    {
                        (c.id, spec.id): ControlRisk(spec.severity, spec.guidance)
                        for c in catalogs
                        for spec in c.controls
                    },
                    previous=lifecycle.previous.poam
                    if lifecycle is not None and lifecycle.previous is not None
                    else (),
                    now=now,
                    sla=sla,
                ),
            )
        ),
        lifecycle_inputs=lifecycle.sources if lifecycle is not None else (),
    )
    for name in SUMMARY_CHECKS.values():
        _run_check(name, ctx, outcomes)
    return replace(pkg, summary=summarize(pkg, outcomes))


def _run_check(name: str, ctx: Context, outcomes: MutableMapping[str, Outcome]) -> Outcome:
    """A check's outcome, stale evidence accounted for; run once per assessment and kept in `outcomes`."""
    if name not in outcomes:
        outcomes[name] = _with_staleness(_bound_or_missing(summary_check(name)(ctx), ctx), ctx)
    return outcomes[name]


# Evidence that names no image digest and relates to the image through what it says: VEX statements (by product
# and package), admission policies and workloads (by image name), update automation (by repository).
_RELATED_BY_CONTENT = frozenset(
    {
        EvidenceKind.VEX,
        EvidenceKind.ADMISSION_POLICY,
        EvidenceKind.KUBERNETES_WORKLOAD,
        EvidenceKind.UPDATE_AUTOMATION,
    }
)


def _bound_or_missing(outcome: Outcome, ctx: Context) -> Outcome:
    """A satisfied outcome must rest on evidence about this image: a file that names its digest (or is bound to it
    by a verified provenance), one that relates to it by content, or one the user asserts describes it (`--bind`),
    which the reason then says. Resting on nothing else, it is not shown."""
    if outcome.status is not Status.SATISFIED:
        return outcome
    by_id = {e.id: e for e in ctx.evidence}
    cited = [by_id[i] for i in dict.fromkeys(r.evidence_id for r in outcome.evidence) if i in by_id]
    if any(e.binding is Binding.MATCH or e.kind in _RELATED_BY_CONTENT for e in cited):
        return outcome
    asserted = [e.path for e in cited if e.binding is Binding.ASSERTED]
    if asserted:
        return replace(
            outcome,
            reason=f"{outcome.reason} Rests on {', '.join(asserted)}, which names no image digest: asserted by the "
            "user (--bind) to describe this image.",
        )
    if not cited:
        return replace(outcome, status=Status.EVIDENCE_MISSING, reason=f"{outcome.reason} No evidence was cited.")
    files = ", ".join(e.path for e in cited)
    return replace(
        outcome,
        status=Status.EVIDENCE_MISSING,
        reason=f"Not shown for {ctx.image.digest}: {files} names no image digest, and no verified provenance of "
        f"the image records its digest, so it is not shown to describe this image. It says: {outcome.reason}",
    )


def derive_recorded(pkg: AuditPackage) -> AuditPackage:
    """The POA&M items and the summary of a package recorded without them (schema 1.0), from its records.

    A summary check some control ran is taken from that control's recorded result, so the two agree;
    a check no control ran is run again over the recorded evidence, whose staleness is recorded too.
    """
    outcomes: dict[str, Outcome] = {
        check.check: Outcome(status=check.status, reason=check.reason, evidence=check.evidence)
        for control in reversed(pkg.controls)
        for check in control.checks
        if check.check in SUMMARY_CHECKS.values()
    }
    ctx = Context(
        image=pkg.subject,
        now=pkg.assessed_at,
        params=Parameters(),  # the summary checks read no parameter
        evidence=pkg.evidence,
        vulnerabilities=pkg.vulnerabilities,
    )
    for name in SUMMARY_CHECKS.values():
        _run_check(name, ctx, outcomes)
    derived = replace(pkg, poam=poam_items(pkg.vulnerabilities, pkg.assessed_at))
    return replace(derived, summary=summarize(derived, outcomes))


def decide(
    catalog: str, spec: ControlSpec, ctx: Context, outcomes: MutableMapping[str, Outcome] | None = None
) -> ControlResult:
    """A control is satisfied only when every one of its checks is; missing evidence is never a pass.

    A satisfied control claims only what its checks showed: its scope is partial, and the part not shown is
    named, when the catalog says image evidence reaches only part of it, or when a check showed only part, or
    when a check's subject is outside what the image evidence can show (not-assessed).
    """
    base = ControlResult(
        catalog=catalog,
        control_id=spec.id,
        title=spec.title,
        nist_800_53=spec.nist_800_53,
        scope=spec.scope,
        status=Status.MANUAL,
        reason="",
        not_shown=_clean(spec.not_shown),
        responsible=spec.responsible,
        cci=spec.cci,
        vuln_id=spec.vuln_id,
        category=spec.severity,
        ia_control=spec.ia_control,
    )
    if not spec.checks:
        assert spec.status is not None  # noqa: S101 - the catalog schema enforces it
        assert spec.reason is not None  # noqa: S101
        status = Status(spec.status)
        scope = Scope.NONE if status is Status.NOT_ASSESSED else spec.scope
        return replace(base, status=status, reason=spec.reason.strip(), scope=scope)
    checks = []
    known = {} if outcomes is None else outcomes
    for name in spec.checks:
        outcome = _run_check(name, ctx, known)
        checks.append(
            CheckResult(
                check=name,
                status=outcome.status,
                reason=outcome.reason,
                evidence=outcome.evidence,
                not_shown=outcome.not_shown,
                responsible=outcome.responsible,
            )
        )
    evidence: dict[tuple[str, str | None], EvidenceRef] = {}
    for result in checks:
        for item in result.evidence:
            evidence.setdefault((item.evidence_id, item.location), item)
    status = _combine(checks)
    unassessed = [c for c in checks if c.status is Status.NOT_ASSESSED]
    not_shown = [_clean(spec.not_shown)] + [c.not_shown for c in checks] + [c.reason for c in unassessed]
    gaps = " ".join(dict.fromkeys(text for text in not_shown if text)) or None
    if status is Status.NOT_ASSESSED:
        scope = Scope.NONE
    elif status is Status.SATISFIED:
        scope = Scope.PARTIAL if gaps or spec.scope is not Scope.FULL else Scope.FULL
    else:
        scope = spec.scope
    return replace(
        base,
        status=status,
        reason=_reason(checks),
        checks=tuple(checks),
        evidence=tuple(sorted(evidence.values(), key=lambda r: (r.path, r.location or ""))),
        scope=scope,
        not_shown=gaps if scope is Scope.PARTIAL else None,
        responsible=unassessed[0].responsible if status is Status.NOT_ASSESSED and unassessed else spec.responsible,
    )


def _clean(text: str | None) -> str | None:
    return " ".join(text.split()) if text else None


def mark_freshness(
    items: Sequence[Evidence], max_age_days: Mapping[EvidenceKind, int | None], now: datetime
) -> tuple[Evidence, ...]:
    """Set each item's expiry (collection time plus its kind's maximum age) and whether `now` is past it.

    Evidence of a kind without a maximum age, or that does not say when it was made, never goes stale.
    """
    marked = []
    for item in items:
        days = _kind_max_age(item, max_age_days)
        if days is None or item.collected_at is None:
            marked.append(item)
            continue
        expires = add_days(item.collected_at, days)
        marked.append(replace(item, expires=expires, stale=_utc(now) > _utc(expires)))
    return tuple(marked)


def _kind_max_age(item: Evidence, max_age_days: Mapping[EvidenceKind, int | None]) -> int | None:
    """The maximum age of an item's kind; an SBOM used as a scan too gets the stricter of the two."""
    ages = [max_age_days.get(kind) for kind in EvidenceKind if item.serves_as(kind)]
    known = [days for days in ages if days is not None]
    return min(known) if known else None


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _with_staleness(outcome: Outcome, ctx: Context) -> Outcome:
    """Stale evidence decides nothing: an outcome that cites it says so, and cannot be satisfied."""
    stale = {e.id: e for e in ctx.evidence if e.stale}
    cited = [stale[i] for i in dict.fromkeys(r.evidence_id for r in outcome.evidence) if i in stale]
    if not cited:
        return outcome
    notes = "; ".join(f"{e.path} collected {e.collected_at:%Y-%m-%d}, older than {_max_age(e)} days" for e in cited)
    status = Status.NOT_SATISFIED if outcome.status is Status.SATISFIED else outcome.status
    return replace(outcome, status=status, reason=f"{outcome.reason} Evidence is stale: {notes}.")


def _max_age(item: Evidence) -> int | None:
    """The maximum age that made an item stale, from its own record: `expires` is collection time plus it."""
    if item.expires is None or item.collected_at is None:
        return None
    return (item.expires - item.collected_at).days


# The first of these among a control's checks decides it: a failure over missing evidence over a person's review.
_PRECEDENCE = (Status.NOT_SATISFIED, Status.EVIDENCE_MISSING, Status.MANUAL)


def _combine(checks: Sequence[CheckResult]) -> Status:
    statuses = {c.status for c in checks} - {Status.NOT_APPLICABLE}  # a check whose premise does not hold
    if not statuses:
        return Status.NOT_APPLICABLE
    deciding = next((s for s in _PRECEDENCE if s in statuses), None)
    if deciding is not None:
        return deciding
    if statuses == {Status.NOT_ASSESSED}:
        return Status.NOT_ASSESSED
    # satisfied, perhaps beside checks outside the image's reach: satisfied for the part shown (scope partial)
    return Status.SATISFIED


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_REPEATABLE = 20  # sentences shorter than this ("Failed.") may repeat: they say nothing twice


def _without_repeats(reasons: Sequence[str]) -> str:
    """Check reasons joined into a control's: each a sentence that ends, and a sentence that several checks share
    (a missing trust anchor, stale evidence, an incomplete scan) said once."""
    said: set[str] = set()
    kept: list[str] = []
    for reason in reasons:
        text = reason.strip()
        if text and text[-1] not in ".!?":
            text += "."
        for sentence in _SENTENCE_BREAK.split(text):
            if len(sentence) >= _REPEATABLE and sentence in said:
                continue
            said.add(sentence)
            kept.append(sentence)
    return " ".join(kept)


def _reason(checks: Sequence[CheckResult]) -> str:
    deciding = [c for c in checks if c.status not in (Status.SATISFIED, Status.NOT_APPLICABLE, Status.NOT_ASSESSED)]
    if deciding:
        return _without_repeats([c.reason for c in deciding])
    passed = [c for c in checks if c.status is Status.SATISFIED]
    if not passed:  # no check's premise held, or none could be assessed from the image
        return " ".join(c.reason for c in checks)
    if len(passed) == 1:
        return passed[0].reason
    applicable = "" if len(passed) == len(checks) else " applicable"
    return f"All {len(passed)}{applicable} check(s) passed."


def strictly(result: ControlResult, *, strict: bool) -> ControlResult:
    """Under a strict profile, evidence-missing counts as not-satisfied, and the reason says so."""
    if not strict or result.status is not Status.EVIDENCE_MISSING:
        return result
    return replace(
        result,
        status=Status.NOT_SATISFIED,
        reason=f"Strict profile: missing evidence counts as not satisfied. {result.reason}",
    )


def score_rubric(catalogs: Sequence[Catalog], ctx: Context) -> tuple[RubricScore, ...]:
    """The base-image rubric's scores, one per criterion of the rubric catalog, when the profile includes it."""
    return tuple(
        rubric_score(spec.title, name, ctx)
        for catalog in catalogs
        if catalog.id == RUBRIC_CATALOG
        for spec in catalog.controls
        for name in spec.checks
        if name in SCORERS
    )
