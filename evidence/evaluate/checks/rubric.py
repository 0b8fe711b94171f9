"""The secure base-image rubric: six criteria, 0 to 4 points each, with hard gates and a letter grade.

Each criterion is a check (`rubric.<criterion>`) whose outcome is its score: satisfied when the score
reaches the profile's `rubric.pass_score` and no gate failed, not-satisfied otherwise, and
evidence-missing when no evidence for the criterion was supplied (a score of 0). `evaluate` also
records the scores themselves (`AuditPackage.rubric`) and the grade.

Two tops are out of reach by construction, and the reasons say so: minimization cannot score 4,
because setuid files are not visible in an SBOM; compliance posture cannot score 4, because STIG
or OpenSCAP results are not read in this release.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from evidence.evaluate.checks.base import CHECKS, Context, check, configs, listing, refs, sboms
from evidence.evaluate.checks.sbom import (
    PACKAGE_MANAGERS,
    REMOTE_ADMIN_PACKAGES,
    SHELLS,
    development_tools,
    os_packages_named,
)
from evidence.evaluate.checks.signing import image_signatures, missing_anchor, verified_image_signatures
from evidence.evaluate.vulnerabilities import ref
from evidence.model import (
    Evidence,
    EvidenceKind,
    EvidenceRef,
    Outcome,
    RubricScore,
    Severity,
    Status,
    Verification,
    VulnerabilityRecord,
    VulnerabilityState,
)

__all__ = ["GRADE_BANDS", "SCORERS", "Score", "grade", "is_rubric_check", "rubric_score"]

MAX_POINTS = 4
# Letter bands over the total of six criteria (0..24); any failed gate is an F.
GRADE_BANDS = (("A", 21), ("B", 17), ("C", 12))
_FIXED_CLOCK_DAYS = 30  # a Critical fix older than this scores 0 whatever the vendor's SLA
_COMPLETE_SHARE = 0.95
_NOT_PACKAGES = frozenset({"file", "operating-system"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Score:
    points: int
    reason: str
    evidence: tuple[EvidenceRef, ...] = ()
    gate_failed: bool = False
    missing: bool = False  # no evidence for this criterion was supplied


Scorer = Callable[[Context], Score]
SCORERS: dict[str, Scorer] = {}


def _outcome(score: Score, ctx: Context) -> Outcome:
    threshold = ctx.params.rubric.pass_score
    if score.missing:
        status = Status.EVIDENCE_MISSING
    elif score.gate_failed or score.points < threshold:
        status = Status.NOT_SATISFIED
    else:
        status = Status.SATISFIED
    gate = " A hard gate failed: the grade is F." if score.gate_failed else ""
    return Outcome(
        status=status,
        evidence=score.evidence,
        reason=f"Score {score.points}/{MAX_POINTS} (satisfied from {threshold}): {score.reason}{gate}",
    )


def criterion(name: str) -> Callable[[Scorer], Scorer]:
    """Register a scorer, and the check that reports its score as an outcome."""

    def register(fn: Scorer) -> Scorer:
        SCORERS[name] = fn
        check(name)(lambda ctx: _outcome(fn(ctx), ctx))
        return fn

    return register


def rubric_score(title: str, check_name: str, ctx: Context) -> RubricScore:
    score = SCORERS[check_name](ctx)
    return RubricScore(
        criterion=title,
        score=score.points,
        reason=score.reason,
        evidence=score.evidence,
        gate_failed=score.gate_failed,
    )


def grade(scores: Sequence[RubricScore]) -> str:
    if any(s.gate_failed for s in scores):
        return "F"
    total = sum(s.score for s in scores)
    return next((letter for letter, floor in GRADE_BANDS if total >= floor), "D")


# R1


@criterion("rubric.minimization")
def minimization(ctx: Context) -> Score:  # noqa: PLR0911 - a scoring ladder, one return per rung
    items = sboms(ctx)
    if not items:
        return Score(points=0, reason="No SBOM of the image was supplied.", missing=True)
    components = [c for s in items for c in s.components]
    packages = [c for c in components if (c.type or "").lower() not in _NOT_PACKAGES]
    evidence = refs(items)
    sshd = os_packages_named(components, REMOTE_ADMIN_PACKAGES)
    if sshd:
        return Score(
            points=0,
            evidence=evidence,
            gate_failed=True,
            reason=f"An SSH or remote-administration server is installed: {', '.join(c.name for c in sshd)}.",
        )
    dev = development_tools(components) + os_packages_named(components, frozenset({"sudo", "doas"}))
    if dev:
        return Score(
            points=0,
            evidence=evidence,
            reason=f"Development or privilege tools are installed: {listing(sorted({c.name for c in dev}))}.",
        )
    shells = sorted({c.name for c in os_packages_named(components, SHELLS)})
    managers = sorted({c.name for c in os_packages_named(components, PACKAGE_MANAGERS)})
    count = len(packages)
    facts = (
        f"{count} package(s); shell: {', '.join(shells) or 'none'}; package manager: {', '.join(managers) or 'none'}"
    )
    if not shells and not managers:
        size = "minimal" if count <= ctx.params.rubric.minimal_max_packages else "not minimal by count"
        return Score(
            points=3,
            evidence=evidence,
            reason=f"{facts} ({size}). 4 points also need no setuid or setgid files, which an SBOM does not show.",
        )
    if not shells or not managers:
        return Score(points=3, evidence=evidence, reason=f"{facts}.")
    if count <= ctx.params.rubric.distro_max_packages:
        return Score(points=2, evidence=evidence, reason=f"{facts}: a minimal distribution with both.")
    return Score(points=1, evidence=evidence, reason=f"{facts}: a full general-purpose distribution.")


# R2


@criterion("rubric.provenance")
def provenance(ctx: Context) -> Score:
    found = [e for e in ctx.usable(EvidenceKind.PROVENANCE, digest=True) if e.provenance]
    verified = [e for e in found if e.signature and e.signature.status is Verification.VERIFIED]
    base = CHECKS["base_image.pinned"](ctx)
    base_known = base.status is Status.SATISFIED
    trusted = set(ctx.params.rubric.trusted_builders)
    if verified:
        builders = sorted({e.provenance.builder_id or "unknown builder" for e in verified if e.provenance})
        if trusted & set(builders):
            points, text = 4, f"verified SLSA provenance from a trusted hardened builder ({', '.join(builders)})"
        else:
            why = "none is in the profile's trusted builders" if trusted else "the profile names no trusted builders"
            points, text = 3, f"verified signed provenance (SLSA Build L2) from {', '.join(builders)}; {why}"
        evidence = refs(verified)
    elif found:
        why = "; ".join(f"{e.path}: {e.signature.reason if e.signature else 'an unsigned statement'}" for e in found)
        text = (
            "SLSA Build L1 at most: provenance is present, but no trust anchor authenticates it, so what it says "
            f"about the build is a claim ({why})"
        )
        points, evidence = 1, refs(found)
    else:
        labelled = [
            i
            for i in configs(ctx)
            if i.image_config
            and {"org.opencontainers.image.source", "org.opencontainers.image.revision"} <= set(i.image_config.labels)
        ]
        if not labelled:
            return Score(points=0, reason="No build provenance and no OCI source and revision labels.", missing=True)
        points, text, evidence = (
            1,
            "only the OCI source and revision labels record where the image came from",
            refs(labelled),
        )
    if not base_known and points > 2:
        return Score(points=2, evidence=evidence, reason=f"{text}; capped at 2: the base image digest is not known.")
    return Score(points=points, evidence=evidence, reason=f"{text}.")


# R3


def _attestation_signed(ctx: Context, kind: EvidenceKind) -> bool:
    # VEX documents often name products without the image digest; they apply when they name no other image.
    items = ctx.usable(kind, bound=kind is not EvidenceKind.VEX)
    return any(e.signature and e.signature.status is Verification.VERIFIED for e in items)


@criterion("rubric.signing")
def signing(ctx: Context) -> Score:
    signatures = image_signatures(ctx)
    verified = verified_image_signatures(ctx)
    if not signatures:
        return Score(
            points=0,
            gate_failed=True,
            missing=True,
            reason="No image signature was supplied: the image counts as unsigned.",
        )
    if not verified:
        failed = [e for e in signatures if e.signature and e.signature.status is Verification.FAILED]
        if failed:
            return Score(points=0, evidence=refs(failed), gate_failed=True, reason="The image signature fails.")
        why = "; ".join(f"{e.path}: {e.signature.reason}" for e in signatures if e.signature)
        return Score(
            points=1,
            evidence=refs(signatures),
            reason=f"{missing_anchor(ctx, signatures)}A signature is present but could not be verified: {why}.",
        )
    kinds = {EvidenceKind.SBOM: "SBOM", EvidenceKind.PROVENANCE: "provenance", EvidenceKind.VEX: "VEX"}
    unsigned = [label for kind, label in kinds.items() if not _attestation_signed(ctx, kind)]
    logged = any(e.signature and e.signature.log_index is not None for e in verified)
    if not unsigned and logged:
        return Score(
            points=4,
            evidence=refs(verified),
            reason="Image, SBOM, provenance and VEX signatures verify, with a transparency-log entry.",
        )
    missing_parts = [f"not signed and verified: {', '.join(unsigned)}" if unsigned else ""]
    missing_parts.append("" if logged else "no transparency-log entry recorded")
    return Score(
        points=3,
        evidence=refs(verified),
        reason="The image signature verifies; " + "; ".join(p for p in missing_parts if p) + ".",
    )


# R4


def _published(ctx: Context) -> dict[tuple[str, str], datetime]:
    """The earliest advisory date any bound scan gives for (vulnerability id or alias, package)."""
    dates: dict[tuple[str, str], datetime] = {}
    for scan in ctx.usable(EvidenceKind.VULNERABILITY_SCAN, bound=True):
        for finding in scan.vulnerabilities:
            if finding.published is None:
                continue
            for name in (finding.id, *finding.aliases):
                key = (name, finding.package)
                if key not in dates or finding.published < dates[key]:
                    dates[key] = finding.published
    return dates


def _kev_listed(ctx: Context) -> Callable[[VulnerabilityRecord], bool]:
    """Whether a record is in CISA's KEV catalog: marked so, or a scanner's finding of its package under one of
    its names is."""
    listed = {
        (f.package, name)
        for scan in ctx.usable(EvidenceKind.VULNERABILITY_SCAN, bound=True)
        for f in scan.vulnerabilities
        if f.kev
        for name in (f.id, *f.aliases)
    }
    return lambda record: (
        bool(getattr(record, "kev", False))
        or any((record.package, name) in listed for name in (record.id, *record.aliases))
    )


@criterion("rubric.patch_sla")
def patch_sla(ctx: Context) -> Score:  # noqa: PLR0911 - a scoring ladder, one return per rung
    scans = ctx.usable(EvidenceKind.VULNERABILITY_SCAN, bound=True)
    if not scans:
        return Score(points=0, reason="No vulnerability scan of the image was supplied.", missing=True)
    published = _published(ctx)
    fixable = [v for v in ctx.vulnerabilities if v.state == VulnerabilityState.OPEN and v.fixed_versions]

    def age(record: VulnerabilityRecord) -> float | None:
        dates = [published[k] for k in ((n, record.package) for n in (record.id, *record.aliases)) if k in published]
        return (ctx.now - min(dates)).total_seconds() / 86400 if dates else None

    evidence = refs(scans)
    in_kev = _kev_listed(ctx)
    kev = [v for v in fixable if in_kev(v)]
    if kev:
        return Score(
            points=0,
            evidence=tuple(r for v in kev for r in v.evidence),
            gate_failed=True,
            reason=f"Open vulnerabilities in CISA's KEV catalog with a fix available: {listing([v.id for v in kev])}.",
        )
    severe = [v for v in fixable if v.severity in {Severity.CRITICAL, Severity.HIGH}]
    critical_late = [
        v for v in severe if v.severity is Severity.CRITICAL and (a := age(v)) is not None and a > _FIXED_CLOCK_DAYS
    ]
    fedramp = CHECKS["vulnscan.remediation_sla"](ctx)
    if critical_late:
        overdue = {v.id for v in critical_late if v.overdue}
        within = [v.id for v in critical_late if v.id not in overdue]
        clocks = (
            f" The remediation timeline counts from first detection in this system's scans instead, and "
            f"{listing(within)} {'is' if len(within) == 1 else 'are'} still within it."
            if within
            else " They are past the remediation timeline too."
        )
        return Score(
            points=0,
            evidence=tuple(r for v in critical_late for r in v.evidence),
            reason=f"Critical vulnerabilities with a fix, advisories older than {_FIXED_CLOCK_DAYS} days: "
            f"{listing([v.id for v in critical_late])}. This criterion measures the vendor's fix latency from the "
            f"advisory date.{clocks}",
        )
    if fedramp.status is not Status.SATISFIED:
        return Score(points=1, evidence=fedramp.evidence or evidence, reason=f"Remediation timelines: {fedramp.reason}")
    vendor = ctx.params.rubric.vendor_sla_days
    undated = sum(1 for v in severe if age(v) is None)
    note = f" {undated} open Critical/High finding(s) have no advisory date and could not be aged." if undated else ""
    if vendor is None:
        return Score(
            points=2,
            evidence=evidence,
            reason="The profile's remediation timelines are met; the vendor's published patch SLA is not given "
            f"(rubric.vendor_sla_days), so 3 or 4 points cannot be judged.{note}",
        )
    late = [v.id for v in severe if (a := age(v)) is not None and a > vendor]
    if late:
        return Score(
            points=2,
            evidence=evidence,
            reason=f"Open Critical/High fixes older than the vendor SLA of {vendor} days: {listing(late)}.{note}",
        )
    points = 4 if vendor <= 7 else 3 if vendor <= 30 else 2
    return Score(
        points=points,
        evidence=evidence,
        reason=f"No open Critical/High fix is older than the vendor SLA of {vendor} days, no KEV entry.{note}",
    )


# R5


def _statements(ctx: Context) -> list[tuple[Evidence, str, set[str], str, bool]]:
    """(evidence, status, names, justification text, signed) of every VEX statement about the image."""
    out = []
    for item in ctx.usable(EvidenceKind.VEX):
        signed = bool(item.signature and item.signature.status is Verification.VERIFIED)
        for s in item.statements:
            justified = s.justification or s.impact_statement or ""
            out.append((item, s.status, {s.vulnerability, *s.aliases}, justified, signed))
    return out


@criterion("rubric.sbom_vex")
def sbom_vex(ctx: Context) -> Score:
    items = sboms(ctx)
    if not items:
        return Score(points=0, gate_failed=True, missing=True, reason="No SBOM bound to the image was supplied.")
    packages = [c for s in items for c in s.components if (c.type or "").lower() not in _NOT_PACKAGES]
    identified = sum(1 for c in packages if c.purl and c.version)
    share = identified / len(packages) if packages else 0.0
    sbom_text = f"{identified} of {len(packages)} components ({share:.0%}) have a purl and a version"
    evidence = list(refs(items))
    if share < _COMPLETE_SHARE:
        return Score(points=1, evidence=tuple(evidence), reason=f"SBOM incomplete: {sbom_text}.")
    statements = _statements(ctx)
    if not statements:
        return Score(points=2, evidence=tuple(evidence), reason=f"Complete SBOM ({sbom_text}); no VEX statements.")
    evidence += [ref(i) for i in dict.fromkeys(i for i, *_ in statements)]
    covered = set().union(*(names for _, _, names, _, _ in statements))
    open_records = [v for v in ctx.vulnerabilities if v.state == VulnerabilityState.OPEN]
    uncovered = [v.id for v in open_records if not ({v.id, *v.aliases} & covered)]
    unjustified = sum(1 for _, status, _, text, _ in statements if status == "not_affected" and not text)
    sbom_signed = any(s.signature and s.signature.status is Verification.VERIFIED for s in items)
    vex_signed = all(signed for *_, signed in statements)
    gaps = [
        "" if sbom_signed else "the SBOM is not a verified signed attestation",
        "" if vex_signed else "the VEX is not signed and verified",
        f"{len(uncovered)} open finding(s) have no VEX statement" if uncovered else "",
        f"{unjustified} not_affected statement(s) lack a justification" if unjustified else "",
    ]
    gaps = [g for g in gaps if g]
    if not gaps:
        return Score(
            points=4,
            evidence=tuple(evidence),
            reason=f"Signed SBOM ({sbom_text}) and signed VEX covering every open finding, each justified.",
        )
    return Score(points=3, evidence=tuple(evidence), reason=f"Complete SBOM ({sbom_text}) and VEX; {'; '.join(gaps)}.")


# R6

AUTOMATED_CHECKS = (
    "config.non_root_user",
    "config.healthcheck",
    "config.no_secret_env",
    "config.exposed_ports_unprivileged",
    "dockerfile.no_remote_add",
    "sbom.no_remote_admin_tools",
    "signature.verified",
)


FIPS_CHECKS = ("fips.validated_module", "fips.no_bundled_crypto")


@criterion("rubric.compliance")
def compliance(ctx: Context) -> Score:  # noqa: PLR0911 - a scoring ladder, one return per rung
    # A base image's health check is the application's to add: for a base, it is not asked for.
    skipped = {"config.healthcheck"} if ctx.params.rubric.base_image else set()
    results = {name: CHECKS[name](ctx) for name in AUTOMATED_CHECKS if name not in skipped}
    # the evidence of what held: an outcome that did not decide (a signature not verified) is not cited for a pass
    evidence = tuple(dict.fromkeys(r for o in results.values() if o.status is Status.SATISFIED for r in o.evidence))
    basics = tuple(
        n for n in ("config.non_root_user", "config.healthcheck", "config.no_secret_env") if n not in skipped
    )
    if all(results[n].status is Status.EVIDENCE_MISSING for n in basics):
        return Score(points=0, reason="No image config or Dockerfile was supplied.", missing=True)
    for name in ("config.non_root_user", "config.no_secret_env"):
        if results[name].status is Status.NOT_SATISFIED:
            return Score(points=0, evidence=results[name].evidence, reason=results[name].reason)
    failing = [n for n, o in results.items() if o.status is Status.NOT_SATISFIED]
    if failing:
        cited = tuple(dict.fromkeys(r for n in failing for r in results[n].evidence))
        return Score(points=1, evidence=cited, reason=f"Automated checks that fail: {', '.join(failing)}.")
    fips_results = {name: CHECKS[name](ctx) for name in FIPS_CHECKS}
    # a FIPS check that fails for a control of this assessment keeps this criterion below the pass score
    fips_failing = {
        n: o for n, o in fips_results.items() if o.status is Status.NOT_SATISFIED and n in ctx.assessed_checks
    }
    if fips_failing:
        return Score(
            points=1,
            evidence=tuple(dict.fromkeys(r for o in fips_failing.values() for r in o.evidence)),
            reason="FIPS 140-3 checks that fail: "
            + "; ".join(f"{name}: {outcome.reason}" for name, outcome in fips_failing.items()),
        )
    stig = "STIG or OpenSCAP results are not read in this release, so 4 points are out of reach"
    fips = fips_results["fips.validated_module"].status is Status.SATISFIED
    all_pass = all(o.status is Status.SATISFIED for o in results.values())
    if all_pass and fips:
        if ctx.params.rubric.require_stig_and_fips:
            return Score(
                points=2,
                evidence=evidence,
                reason=f"All automated checks pass and a validated FIPS module is configured; capped at 2: the "
                f"profile requires STIG evidence and {stig}.",
            )
        return Score(
            points=3,
            evidence=evidence,
            reason=f"All automated checks pass and a validated FIPS module is configured; {stig}.",
        )
    if all(results[n].status is Status.SATISFIED for n in basics):
        unknown = [n for n, o in results.items() if o.status is not Status.SATISFIED]
        rest = f"; not decided: {', '.join(unknown)}" if unknown else ""
        return Score(
            points=2,
            evidence=evidence,
            reason=f"Non-root{'' if skipped else ', health check'} and no secret variables, but no validated FIPS "
            f"module in FIPS mode and no hardening scan{rest}.",
        )
    unknown = [n for n in basics if results[n].status is not Status.SATISFIED]
    return Score(points=1, evidence=evidence, reason=f"Basic checks not decided: {', '.join(unknown)}.")


def is_rubric_check(name: str) -> bool:
    return name in SCORERS
