"""What the boundary's roll-up and renderers need of one image's package, taken once as the package is read.

A boundary holds hundreds of images; their whole packages (every component and scanner finding) do not fit in
memory together, and the system files need only this much of each: the verdicts, the POA&M items and their rows,
the inventory rows, the counts, the base image and the ports. The package stays on disk in `images/<slug>/`, and
its OSCAL documents are written as it is read (`oscal.write_fragments`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from evidence.lifecycle.poam import asset_identifier, utc_day
from evidence.model import (
    Attribution,
    AuditPackage,
    Binding,
    ControlResult,
    CountGroup,
    DeviationAnswer,
    ImageRef,
    PoamItem,
    Severity,
    Status,
    VulnerabilityState,
)
from evidence.render._recorded import recorded_summary
from evidence.render.inventory_xlsx import inventory_rows
from evidence.render.poam_xlsx import poam_row
from evidence.render.xlsx import Row

__all__ = ["SEVERITIES", "ControlFacts", "ImageFacts", "ItemFacts", "image_facts"]

SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.NEGLIGIBLE, Severity.UNKNOWN)


class ItemFacts(NamedTuple):
    """What the roll-up needs of one of the image's POA&M items (a tuple: hundreds of thousands cross from the
    worker processes)."""

    poam_id: str
    first_detected: date | None  # the UTC day of the original detection
    is_open: bool
    severity: Severity  # as adjusted by an approved risk adjustment, else as rated
    overdue: bool
    pending: tuple[str, ...]  # the deviations requested and not yet approved, as the POA&M names them
    request: str | None  # the deviation request's id; None when a VEX statement proposes it


class ControlFacts(NamedTuple):
    catalog: str
    control_id: str
    title: str
    status: Status
    partly_satisfied: bool
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageFacts:
    subject: ImageRef
    profile: str
    assessed_at: datetime
    controls: tuple[ControlFacts, ...]
    poam: tuple[ItemFacts, ...]
    rubric_grade: str | None
    asset_identifier: str
    counts: dict[str, Any]  # controls by status, open findings by severity, overdue, rubric grade
    poam_rows: dict[tuple[str, date | None], Row] = field(default_factory=dict)  # (item id, detection day) -> row
    inventory_rows: tuple[Row, ...] = ()
    base_image: str | None = None
    open_base_findings: int = 0
    ports: tuple[tuple[str, str, str], ...] = ()  # (port, protocol, declared in)
    names_its_digest: bool = False  # some evidence is bound to the image by its digest
    audit_sha256: str = ""  # of the image package's audit.json, as the boundary's audit.json names it


def _counts(pkg: AuditPackage) -> dict[str, Any]:
    summary = recorded_summary(pkg, "audit.json")
    open_counts = summary.vulnerability_counts(CountGroup.OPEN)
    return {
        "controls": {s.value: sum(row.counts.get(s, 0) for row in summary.controls) for s in Status},
        "satisfied_in_part": sum(row.partial for row in summary.controls),  # of the satisfied
        "open_findings": {s.value: open_counts.counts.get(s, 0) for s in SEVERITIES},
        "open_total": open_counts.total,
        "overdue": sum(1 for item in pkg.poam if item.is_open and item.overdue),
        "rubric_grade": pkg.rubric_grade,
    }


def base_image(pkg: AuditPackage) -> str | None:
    """The base image the image names: its Dockerfile's final FROM, else its OCI base-image labels."""
    for e in pkg.evidence:
        if e.dockerfile is not None and e.binding in (Binding.MATCH, Binding.ASSERTED) and e.dockerfile.base_images:
            return e.dockerfile.base_images[-1].value
    for e in pkg.evidence:
        config = e.image_config
        if config is not None and e.binding is Binding.MATCH and "org.opencontainers.image.base.name" in config.labels:
            digest = config.labels.get("org.opencontainers.image.base.digest")
            return config.labels["org.opencontainers.image.base.name"] + (f"@{digest}" if digest else "")
    return None


def _ports(pkg: AuditPackage) -> tuple[tuple[str, str, str], ...]:
    found: dict[tuple[str, str], str] = {}
    for e in pkg.evidence:
        if e.binding not in (Binding.MATCH, Binding.ASSERTED):
            continue
        sources = [(p, "image config") for p in e.image_config.exposed_ports] if e.image_config is not None else []
        if e.dockerfile is not None:
            sources += [(p.value, "Dockerfile") for p in e.dockerfile.exposed_ports]
        for text, source in sources:
            for word in text.split():
                port, _, protocol = word.partition("/")
                found.setdefault((port, (protocol or "tcp").lower()), source)
    return tuple((port, protocol, source) for (port, protocol), source in found.items())


def _item(item: PoamItem) -> ItemFacts:
    answers = {
        "false positive": item.false_positive,
        "risk adjustment": item.risk_adjustment,
        "operational requirement": item.operational_requirement,
        "vendor dependency": item.vendor_dependency,
    }
    return ItemFacts(
        poam_id=item.poam_id,
        first_detected=utc_day(item.first_detected),
        is_open=item.is_open,
        severity=item.adjusted_severity or item.severity,
        overdue=item.overdue,
        pending=tuple(kind for kind, answer in answers.items() if answer is DeviationAnswer.PENDING),
        request=item.deviation.id if item.deviation is not None else None,
    )


def _control(control: ControlResult) -> ControlFacts:
    return ControlFacts(
        catalog=control.catalog,
        control_id=control.control_id,
        title=control.title,
        status=control.status,
        partly_satisfied=control.partly_satisfied,
        reason=control.reason,
    )


def image_facts(pkg: AuditPackage, audit_sha256: str = "") -> ImageFacts:
    return ImageFacts(
        audit_sha256=audit_sha256,
        subject=pkg.subject,
        profile=pkg.profile,
        assessed_at=pkg.assessed_at,
        controls=tuple(_control(control) for control in pkg.controls),
        poam=tuple(_item(item) for item in pkg.poam),
        rubric_grade=pkg.rubric_grade,
        asset_identifier=asset_identifier(pkg),
        counts=_counts(pkg),
        poam_rows={(item.poam_id, utc_day(item.first_detected)): poam_row(pkg, item) for item in pkg.poam},
        inventory_rows=inventory_rows(pkg),
        base_image=base_image(pkg),
        open_base_findings=sum(
            1
            for record in pkg.vulnerabilities
            if record.state is VulnerabilityState.OPEN and record.attribution is Attribution.BASE_IMAGE
        ),
        ports=_ports(pkg),
        names_its_digest=any(e.binding is Binding.MATCH for e in pkg.evidence),
    )
