"""Evaluate: run each catalog's checks over the evidence and combine them into control verdicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from evidence import __version__
from evidence.catalog import Catalog, ControlSpec, Profile
from evidence.evaluate.checks import CHECKS, Context
from evidence.evaluate.vulnerabilities import build_records
from evidence.model import (
    AuditPackage,
    CatalogInfo,
    CheckResult,
    ControlResult,
    EvidenceRef,
    EvidenceSet,
    ImageRef,
    Status,
    ToolInfo,
)

__all__ = ["CHECKS", "evaluate"]


def evaluate(
    catalogs: Sequence[Catalog], profile: Profile, collected: EvidenceSet, *, image: ImageRef, now: datetime
) -> AuditPackage:
    records = build_records(collected.items, image.digest)
    ctx = Context(image=image, now=now, params=profile.parameters, evidence=collected.items, vulnerabilities=records)
    results = [decide(catalog.id, spec, ctx) for catalog in catalogs for spec in catalog.controls]
    return AuditPackage(
        tool=ToolInfo(name="fromline", version=__version__),
        subject=image,
        profile=profile.name,
        assessed_at=now,
        catalogs=tuple(
            CatalogInfo(id=c.id, title=c.title, version=c.version, source=c.source, sha256=c.sha256) for c in catalogs
        ),
        evidence=collected.items,
        skipped=collected.skipped,
        controls=tuple(results),
        vulnerabilities=records,
    )


def decide(catalog: str, spec: ControlSpec, ctx: Context) -> ControlResult:
    """A control is satisfied only when every one of its checks is; missing evidence is never a pass."""
    base = ControlResult(
        catalog=catalog,
        control_id=spec.id,
        title=spec.title,
        nist_800_53=spec.nist_800_53,
        scope=spec.scope,
        status=Status.MANUAL,
        reason="",
    )
    if not spec.checks:
        assert spec.status is not None  # noqa: S101 - the catalog schema enforces it
        assert spec.reason is not None  # noqa: S101
        return replace(base, status=Status(spec.status), reason=spec.reason.strip())
    checks = []
    for name in spec.checks:
        outcome = CHECKS[name](ctx)
        checks.append(CheckResult(check=name, status=outcome.status, reason=outcome.reason, evidence=outcome.evidence))
    evidence: dict[tuple[str, str | None], EvidenceRef] = {}
    for result in checks:
        for item in result.evidence:
            evidence.setdefault((item.evidence_id, item.location), item)
    return replace(
        base,
        status=_combine(checks),
        reason=_reason(checks, spec),
        checks=tuple(checks),
        evidence=tuple(sorted(evidence.values(), key=lambda r: (r.path, r.location or ""))),
    )


def _combine(checks: Sequence[CheckResult]) -> Status:
    statuses = {c.status for c in checks}
    if Status.NOT_SATISFIED in statuses:
        return Status.NOT_SATISFIED
    if statuses == {Status.SATISFIED}:
        return Status.SATISFIED
    return Status.EVIDENCE_MISSING


def _reason(checks: Sequence[CheckResult], spec: ControlSpec) -> str:
    deciding = [c for c in checks if c.status is not Status.SATISFIED]
    if not deciding:
        text = f"All {len(checks)} check(s) passed." if len(checks) > 1 else checks[0].reason
        if spec.manual_part:
            text += f" Image evidence covers part of this control; not assessed here: {spec.manual_part.strip()}"
        return text
    return " ".join(c.reason for c in deciding)
