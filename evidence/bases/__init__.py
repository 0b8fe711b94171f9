"""`fromline bases`: candidate base images scored side by side, on the secure base-image rubric, for a workload.

Each candidate's latest digest is assessed as `fromline package` would (the profile of the compliance
environment, with the base-image rubric), and its six criteria are the rubric's scores, each with its reason.
Three things are added that one image cannot show:
- the vendor's stated patch SLA, a parameter of the candidate, which the patch SLA criterion is judged against;
- the patch latency measured between successive digests of one candidate: for each fixable Critical or High
  finding of a digest that the next digest no longer has, the days from the earlier digest's scan (which showed
  the fix available) to the later digest's creation. It is an upper bound on the vendor's latency from that scan,
  not from the fix's release, which the evidence does not date. A measured latency over the stated SLA caps the
  criterion at 2 points;
- hard gates, which exclude a candidate whatever its scores (see `GATES`), and the workload's five inputs, which
  set gates and weights.

The ranking follows practice: candidates without a failed gate first; among them those that satisfy the
compliance posture (its criterion at the profile's pass score or above), then by patch SLA (points, then the
stated SLA, shorter first), then by size (packages in the SBOM, fewer first), then by the weighted total. Each
candidate says why it stands where it does, and which criterion broke its tie with the one above it.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from evidence.errors import InputError

if TYPE_CHECKING:
    from evidence.catalog.schema import Parameters
    from evidence.model import AuditPackage, RubricScore

__all__ = [
    "CRITERIA",
    "Candidate",
    "CandidateResult",
    "Level",
    "Workload",
    "WorkloadKind",
    "rank",
    "score_candidate",
]

CRITERIA = ("minimization", "provenance", "signing", "patch_sla", "sbom_vex", "compliance")
_BY_TITLE = {
    "Minimization": "minimization",
    "Provenance and SLSA level": "provenance",
    "Signing": "signing",
    "Patch SLA": "patch_sla",
    "SBOM and VEX": "sbom_vex",
    "Compliance posture": "compliance",
}
RUBRIC_CATALOG = "base-image-rubric"
_CAPPED_BY_LATENCY = 2
_UNVERIFIED = 1  # the signing criterion's points for a signature present but not verified
_LANGUAGE_RUNTIMES = {  # the SBOM component names that show a runtime of each interpreted workload kind
    "python": ("python3", "python", "libpython3"),
    "jvm": ("openjdk", "temurin", "java", "jre", "jdk", "corretto"),
    "node": ("nodejs", "node"),
}


class WorkloadKind(StrEnum):
    STATIC = "static"  # a static binary: nothing of the base is needed at run time
    GO = "go"
    JVM = "jvm"
    PYTHON = "python"
    NODE = "node"
    OTHER = "other"


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True, kw_only=True)
class Workload:
    """The five inputs the choice depends on."""

    kind: WorkloadKind = WorkloadKind.OTHER
    runtime: str | None = None  # the language runtime the workload needs from its base ("python3.12", "openjdk-17")
    profile: str = "default"  # the compliance environment
    patching_capacity: Level = Level.MEDIUM  # how much patching the team can do itself
    lock_in_tolerance: Level = Level.MEDIUM  # how much dependence on one vendor's images is acceptable

    def weights(self) -> dict[str, float]:
        """Each criterion's weight in the weighted total: 1, raised where the workload makes it matter more."""
        weights = dict.fromkeys(CRITERIA, 1.0)
        if self.kind in (WorkloadKind.STATIC, WorkloadKind.GO):
            weights["minimization"] = 2.0  # nothing of the base runs: every package is only attack surface
        if self.patching_capacity is Level.LOW:
            weights["patch_sla"] = 2.0  # the team relies on the vendor's fixes
            weights["sbom_vex"] = 1.5  # and on its statements of what does not apply
        if self.lock_in_tolerance is Level.LOW:
            weights["provenance"] = 1.5  # a base one can rebuild from source is one to leave
        return weights

    def as_json(self) -> dict[str, object]:
        return {
            "workload": self.kind.value,
            "runtime": self.runtime,
            "compliance": self.profile,
            "patching_capacity": self.patching_capacity.value,
            "lock_in_tolerance": self.lock_in_tolerance.value,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    name: str
    reference: str  # NAME@sha256:... of the latest digest, or NAME:TAG as given when pulled by tag
    evidence: tuple[Path, ...] = ()  # the latest digest's evidence (files or folders)
    package: Path | None = None  # or its package, built by `fromline package`
    history: tuple[Path, ...] = ()  # earlier digests' evidence folders or packages, oldest first
    sla_days: dict[str, int] = field(default_factory=dict)  # the vendor's stated SLA: severity -> days
    keys: tuple[Path, ...] = ()
    by_tag: bool = False  # given as a tag, resolved to a digest when pulled
    kind: str | None = None  # as the candidates file describes it: "distro", "distroless", ...


@dataclass(frozen=True, slots=True, kw_only=True)
class CriterionResult:
    score: int
    reason: str
    weight: float = 1.0


@dataclass(slots=True, kw_only=True)
class CandidateResult:
    name: str
    kind: str | None
    reference: str
    digest: str
    scores: dict[str, CriterionResult]
    gates_failed: list[str]
    grade: str
    critical: int  # open findings at the assessment time
    high: int
    fixable: int  # open findings with a fixed version
    packages: int | None  # components of the SBOM bound to the digest; None without one
    size_bytes: int | None  # the image's size, uncompressed, where its docker inspect output gives it
    vendor: str | None  # the image config's org.opencontainers.image.vendor label
    sla_days: dict[str, int]
    latency_days: float | None  # measured between successive digests; None with one digest or none fixed
    latency_reason: str
    compliance_ok: bool
    weighted: float
    rank: int = 0
    why: str = ""
    tie_broken_by: str | None = None  # the criterion that put it below the candidate above it, when they were close


GATES = (
    "unsigned: no signature of the digest verifies with the keys or identities given (none, or none trusted)",
    "no SBOM bound to the digest",
    "a Critical vulnerability with a fix whose advisory is older than the SLA",
    "pulled by tag: a tag can be moved to another image; pin the digest",
    "the workload's runtime is not in the base",
    "low patching capacity and no stated vendor SLA",
)


def criterion_scores(rubric: tuple[RubricScore, ...] | list[RubricScore]) -> dict[str, CriterionResult]:
    found = {
        _BY_TITLE[s.criterion]: CriterionResult(score=s.score, reason=s.reason)
        for s in rubric
        if s.criterion in _BY_TITLE
    }
    missing = [c for c in CRITERIA if c not in found]
    if missing:
        raise InputError("rubric", f"the assessment has no rubric score for {', '.join(missing)}")
    return {c: found[c] for c in CRITERIA}


def _latency(history: list[AuditPackage], latest: AuditPackage) -> tuple[float | None, str]:
    """The longest observed latency between successive digests, and how it was measured."""
    from evidence.model import Severity, VulnerabilityState  # noqa: PLC0415

    digests = [*history, latest]
    if len(digests) < 2:
        return None, "One digest: no patch latency can be measured (give earlier digests of the candidate)."
    worst: tuple[float, str, str] | None = None
    for earlier, later in itertools.pairwise(digests):
        scanned = _scan_time(earlier)
        created = _created(later)
        if scanned is None or created is None:
            continue
        still = {(v.id, v.package) for v in later.vulnerabilities if v.state is VulnerabilityState.OPEN}
        for v in earlier.vulnerabilities:
            if (
                v.state is VulnerabilityState.OPEN
                and v.fixed_versions
                and v.severity in (Severity.CRITICAL, Severity.HIGH)
                and (v.id, v.package) not in still
            ):
                days = max(0.0, (created - scanned).total_seconds() / 86400)
                if worst is None or days > worst[0]:
                    worst = (days, v.id, later.subject.digest)
    if worst is None:
        return None, "No fixable Critical or High finding of an earlier digest was fixed in a later one."
    days, cve, digest = worst
    return days, (
        f"{cve}: fixable in the scan of an earlier digest, gone from {digest[:19]}..., created {days:.1f} days after "
        "that scan (an upper bound from when the fix was seen available)."
    )


def _scan_time(pkg: AuditPackage) -> datetime | None:
    from evidence.model import Binding, EvidenceKind  # noqa: PLC0415

    times = [
        e.collected_at
        for e in pkg.evidence
        if e.kind is EvidenceKind.VULNERABILITY_SCAN and e.binding is Binding.MATCH and e.collected_at is not None
    ]
    return min(times) if times else None


def _created(pkg: AuditPackage) -> datetime | None:
    from evidence.model import Binding  # noqa: PLC0415

    for e in pkg.evidence:
        if e.image_config is not None and e.binding is Binding.MATCH and e.image_config.created is not None:
            return e.image_config.created
    return None


def _size(pkg: AuditPackage) -> int | None:
    from evidence.model import Binding  # noqa: PLC0415

    sizes = [e.image_config.size for e in pkg.evidence if e.image_config is not None and e.binding is Binding.MATCH]
    return next((s for s in sizes if s is not None), None)


def _vendor(pkg: AuditPackage) -> str | None:
    for e in pkg.evidence:
        if e.image_config is not None and "org.opencontainers.image.vendor" in e.image_config.labels:
            return e.image_config.labels["org.opencontainers.image.vendor"]
    return None


def _components(pkg: AuditPackage) -> list[str]:
    from evidence.model import Binding, EvidenceKind  # noqa: PLC0415

    names: set[str] = set()
    found = False
    for e in pkg.evidence:
        if e.kind is EvidenceKind.SBOM and e.binding is Binding.MATCH:
            found = True
            names |= {c.name for c in e.components if c.type not in ("file", "operating-system")}
    return sorted(names) if found else []


def score_candidate(
    candidate: Candidate,
    latest: AuditPackage,
    history: list[AuditPackage],
    workload: Workload,
    parameters: Parameters,
) -> CandidateResult:
    """The candidate's scores, gates and facts, from its latest digest's package and its earlier ones, assessed with
    the profile `parameters` (its Critical remediation time, where the vendor states none, and its pass score)."""
    from evidence.evaluate.checks.rubric import grade  # noqa: PLC0415
    from evidence.model import RubricScore, Severity, VulnerabilityState  # noqa: PLC0415

    scores = criterion_scores(latest.rubric)
    latency, latency_reason = _latency(history, latest)
    stated = candidate.sla_days.get("critical")
    critical_sla = stated if stated is not None else parameters.sla_days.critical
    if (
        latency is not None
        and stated is not None
        and latency > stated
        and scores["patch_sla"].score > _CAPPED_BY_LATENCY
    ):
        scores["patch_sla"] = CriterionResult(
            score=_CAPPED_BY_LATENCY,
            reason=f"{scores['patch_sla'].reason} Measured between digests: {latency:.1f} days, over the stated "
            f"{stated}-day SLA, so at most {_CAPPED_BY_LATENCY} points.",
        )
    weights = workload.weights()
    scores = {c: dataclasses.replace(r, weight=weights[c]) for c, r in scores.items()}

    open_records = [v for v in latest.vulnerabilities if v.state is VulnerabilityState.OPEN]
    gates: list[str] = []
    if candidate.by_tag:
        gates.append(GATES[3])
    if scores["signing"].score <= _UNVERIFIED:
        gates.append(GATES[0])
    if scores["sbom_vex"].score == 0:
        gates.append(GATES[1])
    late = sorted(
        {
            v.id
            for v in open_records
            if v.severity is Severity.CRITICAL
            and v.fixed_versions
            and v.published is not None
            and (latest.assessed_at - v.published).days > critical_sla
        }
    )
    if late:
        gates.append(f"{GATES[2]} ({critical_sla} days): {', '.join(late[:5])}{' ...' if len(late) > 5 else ''}")
    components = _components(latest)
    if workload.runtime or workload.kind.value in _LANGUAGE_RUNTIMES:
        wanted = (workload.runtime,) if workload.runtime else _LANGUAGE_RUNTIMES[workload.kind.value]
        if wanted and not any(name.startswith(w.split("-")[0]) for name in components for w in wanted if w):
            gates.append(f"{GATES[4]}: {workload.runtime or workload.kind.value} is not among its SBOM's components")
    if workload.patching_capacity is Level.LOW and not candidate.sla_days:
        gates.append(GATES[5])
    rubric = [
        RubricScore(criterion=c, score=r.score, reason=r.reason, gate_failed=bool(gates)) for c, r in scores.items()
    ]
    return CandidateResult(
        name=candidate.name,
        kind=candidate.kind,
        reference=candidate.reference if candidate.by_tag else latest.subject.reference,
        digest=latest.subject.digest,
        scores=scores,
        gates_failed=gates,
        grade=grade(rubric),
        critical=sum(1 for v in open_records if v.severity is Severity.CRITICAL),
        high=sum(1 for v in open_records if v.severity is Severity.HIGH),
        fixable=sum(1 for v in open_records if v.fixed_versions),
        packages=len(components) if components else None,
        size_bytes=_size(latest),
        vendor=_vendor(latest),
        sla_days=dict(candidate.sla_days),
        latency_days=latency,
        latency_reason=latency_reason,
        compliance_ok=scores["compliance"].score >= parameters.rubric.pass_score,
        weighted=sum(r.score * r.weight for r in scores.values()),
    )


def _key(result: CandidateResult, lock_in: Level, by_bytes: bool) -> tuple[object, ...]:
    stated = result.sla_days.get("critical")
    size = result.size_bytes if by_bytes else result.packages
    return (
        bool(result.gates_failed),
        not result.compliance_ok,
        -result.scores["patch_sla"].score,
        stated if stated is not None else 10**6,
        size if size is not None else 10**15,
        -result.weighted,
        lock_in is Level.LOW and result.vendor is not None,
        result.name,
    )


_KEY_WORDS = (
    "a failed gate",
    "compliance posture",
    "patch SLA points",
    "the stated patch SLA",
    "size",
    "the weighted total",
    "vendor lock-in",
    "name",
)


def rank(results: list[CandidateResult], workload: Workload) -> list[CandidateResult]:
    """`results` in rank order, each with its rank, why it stands there, and what broke its tie. Size is in bytes
    where every candidate's evidence gives it (docker inspect), else packages in the SBOM: never one candidate's
    bytes against another's package count."""
    by_bytes = all(r.size_bytes is not None for r in results)
    lock_in = workload.lock_in_tolerance
    ordered = sorted(results, key=lambda r: _key(r, lock_in, by_bytes))
    for number, result in enumerate(ordered, start=1):
        result.rank = number
        result.why = _why(result, by_bytes)
        if number > 1:
            above, mine = _key(ordered[number - 2], lock_in, by_bytes), _key(result, lock_in, by_bytes)
            result.tie_broken_by = next(
                (_KEY_WORDS[i] for i, (a, b) in enumerate(zip(above, mine, strict=True)) if a != b), None
            )
    return ordered


def _why(result: CandidateResult, by_bytes: bool) -> str:
    if result.gates_failed:
        return "Excluded: " + "; ".join(result.gates_failed) + "."
    if by_bytes and result.size_bytes is not None:
        size = f"{result.size_bytes / 1e6:.1f} MB"
    elif result.packages is not None:
        size = f"{result.packages} packages"
    else:
        size = "size unknown (no SBOM)"
    parts = [
        "satisfies the compliance posture" if result.compliance_ok else "does not satisfy the compliance posture",
        f"patch SLA {result.scores['patch_sla'].score}/4"
        + (f" (stated {result.sla_days['critical']} days for Critical)" if "critical" in result.sla_days else ""),
        size,
    ]
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def workload_from(args: argparse.Namespace) -> Workload:
    """The workload from the command line (and a YAML file of the same keys, which the flags override)."""
    values: dict[str, object] = {}
    if getattr(args, "workload_file", None):
        values |= _workload_file(args.workload_file)
    for name in ("workload", "runtime", "profile", "patching_capacity", "lock_in_tolerance"):
        given = getattr(args, name, None)
        if given is not None:
            values[name] = given
    try:
        return Workload(
            kind=WorkloadKind(str(values.get("workload", WorkloadKind.OTHER.value))),
            runtime=str(values["runtime"]) if values.get("runtime") else None,
            profile=str(values.get("profile", "default")),
            patching_capacity=Level(str(values.get("patching_capacity", Level.MEDIUM.value))),
            lock_in_tolerance=Level(str(values.get("lock_in_tolerance", Level.MEDIUM.value))),
        )
    except ValueError as e:
        raise InputError(getattr(args, "workload_file", None) or "the workload", str(e)) from e


def _workload_file(path: Path) -> dict[str, object]:
    import yaml  # noqa: PLC0415

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as e:
        raise InputError(path, f"cannot be read as YAML: {e}") from e
    allowed = {"workload", "runtime", "compliance", "patching_capacity", "lock_in_tolerance"}
    if not isinstance(document, dict) or not set(document) <= allowed:
        raise InputError(path, f"must be a mapping of {', '.join(sorted(allowed))}")
    values = {k: v for k, v in document.items() if v is not None}
    if "compliance" in values:
        values["profile"] = values.pop("compliance")
    return values
