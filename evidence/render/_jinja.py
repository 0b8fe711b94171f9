"""The one Jinja2 environment of the renderers, and the filters the templates use.

Every string in an `AuditPackage` comes from files an attacker may have written, so
the environment escapes everything (`select_autoescape` with every default on) and
fails on any undefined name (`StrictUndefined`). Filters return plain `str`, never
`Markup`: their output is escaped like any other value. Before escaping, every
printed string has its control, bidirectional and invisible characters shown as
escapes and is cut to `REPORT_LIMIT` characters with a marker (`finalize`, with
`evidence.visible`), so no template has to remember it.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, TemplateNotFound, select_autoescape
from markupsafe import Markup

from evidence.errors import RenderError
from evidence.lifecycle.poam import rating_short
from evidence.model import (
    Binding,
    ControlResult,
    EvidenceKind,
    NewCause,
    Scope,
    Severity,
    Status,
    Verification,
    VulnerabilityState,
)
from evidence.resources import TEMPLATES, ResourceError, packaged_file
from evidence.visible import cut, visible

__all__ = ["environment", "stylesheet", "template"]

_STATUS_LABELS = {
    Status.SATISFIED: "Satisfied",
    Status.NOT_SATISFIED: "Not satisfied",
    Status.NOT_APPLICABLE: "Not applicable",
    Status.MANUAL: "Manual review",
    Status.EVIDENCE_MISSING: "Evidence missing",
    Status.NOT_ASSESSED: "Not assessed",
}
PARTLY_SATISFIED_LABEL = "Satisfied (partial)"
PARTLY_SATISFIED_CLASS = "st-partial"

_SEVERITY_LABELS = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
    Severity.NEGLIGIBLE: "Negligible",
    Severity.UNKNOWN: "Unknown",
}

_BINDING_LABELS = {
    Binding.MATCH: "Match",
    Binding.MISMATCH: "Mismatch",
    Binding.UNBOUND: "No digest",
    Binding.ASSERTED: "Asserted (--bind)",
}

_VERIFICATION_LABELS = {
    Verification.VERIFIED: "Verified",
    Verification.FAILED: "Failed",
    Verification.UNVERIFIABLE: "Not verifiable",
    Verification.UNCHECKED: "Not checked",
}

_KIND_LABELS = {
    EvidenceKind.SBOM: "SBOM",
    EvidenceKind.VULNERABILITY_SCAN: "Vulnerability scan",
    EvidenceKind.VEX: "VEX",
    EvidenceKind.SIGNATURE: "Signature",
    EvidenceKind.DETACHED_SIGNATURE: "Detached signature",
    EvidenceKind.PUBLIC_KEY: "Public key",
    EvidenceKind.PROVENANCE: "Provenance",
    EvidenceKind.DOCKERFILE: "Dockerfile",
    EvidenceKind.IMAGE_CONFIG: "Image configuration",
    EvidenceKind.IMAGE_MANIFEST: "Image manifest",
    EvidenceKind.IMAGE_INDEX: "Image index",
    EvidenceKind.KUBERNETES_WORKLOAD: "Kubernetes workload",
    EvidenceKind.ADMISSION_POLICY: "Admission policy",
    EvidenceKind.UPDATE_AUTOMATION: "Update automation",
    EvidenceKind.ATTESTATION: "Attestation (predicate not read)",
}

_SCOPE_LABELS = {
    Scope.FULL: "Full: image evidence can decide the whole control.",
    Scope.PARTIAL: "Partial: image evidence shows only part of this control; the rest needs other evidence.",
    Scope.NONE: "None: image evidence cannot show this control.",
}

# CSS class names come from these fixed tables only, never from input text.
_STATUS_CLASSES = {status: "st-" + status.value for status in Status}
_SEVERITY_CLASSES = {severity: "sev-" + severity.value for severity in Severity}
_BINDING_CLASSES = {binding: "bind-" + binding.value for binding in Binding}
_VERIFICATION_CLASSES = {verification: "ver-" + verification.value for verification in Verification}

NOT_STATED = "not stated"

# One printed string of the report at most (a long package name or command, not a 100,000-character one: that
# costs the PDF minutes and the reader pages); `audit.json` keeps every string whole.
REPORT_LIMIT = 1_000
# Items of one evidence list (an in-toto statement's subjects) the report shows; `audit.json` keeps them all.
LISTED = 20


def _as_utc(moment: datetime) -> datetime:
    # A naive datetime is taken to be UTC already: the collectors store UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc(moment: datetime | None) -> str:
    """`2026-11-20 12:00:00 UTC`; seconds are kept because evidence times are compared."""
    if moment is None:
        return NOT_STATED
    return _as_utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


def utc_date(moment: datetime | None) -> str:
    """`2026-11-20`."""
    if moment is None:
        return NOT_STATED
    return _as_utc(moment).strftime("%Y-%m-%d")


def w3c(moment: datetime) -> str:
    """`2026-11-20T12:00:00Z`, for `dcterms.created` and friends."""
    return _as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def short(digest: str | None, length: int = 12) -> str:
    """The first `length` hex digits of a sha256 digest, with or without its `sha256:` prefix."""
    if not digest:
        return NOT_STATED
    _, _, hexpart = digest.rpartition(":")
    return hexpart[:length]


def status_label(status: Status) -> str:
    return _STATUS_LABELS.get(status, str(status))


def status_class(status: Status) -> str:
    return _STATUS_CLASSES.get(status, "st-unknown")


def control_status_label(control: ControlResult) -> str:
    """A control's status as shown: satisfied in part is never shown as plain satisfied."""
    return PARTLY_SATISFIED_LABEL if control.partly_satisfied else status_label(control.status)


def control_status_class(control: ControlResult) -> str:
    return PARTLY_SATISFIED_CLASS if control.partly_satisfied else status_class(control.status)


def severity_label(severity: Severity) -> str:
    return _SEVERITY_LABELS.get(severity, "Unknown")


def severity_class(severity: Severity) -> str:
    return _SEVERITY_CLASSES.get(severity, "sev-unknown")


def binding_label(binding: Binding) -> str:
    return _BINDING_LABELS.get(binding, str(binding))


def binding_class(binding: Binding) -> str:
    return _BINDING_CLASSES.get(binding, "bind-unbound")


def verification_label(verification: Verification) -> str:
    return _VERIFICATION_LABELS.get(verification, str(verification))


def verification_class(verification: Verification) -> str:
    return _VERIFICATION_CLASSES.get(verification, "ver-unverifiable")


def kind_label(kind: EvidenceKind) -> str:
    return _KIND_LABELS.get(kind, str(kind))


def scope_label(scope: Scope) -> str:
    return _SCOPE_LABELS.get(scope, str(scope))


def or_not_stated(value: str | None) -> str:
    return value or NOT_STATED


def with_version(name: str | None, version: str | None) -> str:
    """`trivy 0.56.2`, `trivy`, or `not stated`."""
    if not name:
        return NOT_STATED
    return f"{name} {version}" if version else name


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 component`, `3 components`."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def shown(value: object) -> object:
    """What `{{ value }}` prints: text with its active characters made visible and cut to `REPORT_LIMIT`
    characters; our own `Markup` as it is."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return cut(visible(value), REPORT_LIMIT)
    return value


@functools.cache
def environment() -> Environment:
    """The shared environment; built once, then reused by every renderer."""
    env = Environment(
        loader=PackageLoader("evidence", TEMPLATES),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "xml", "j2"),
            default_for_string=True,
            default=True,
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        finalize=shown,
    )
    env.filters.update(
        utc=utc,
        utc_date=utc_date,
        w3c=w3c,
        short=short,
        status_label=status_label,
        status_class=status_class,
        severity_label=severity_label,
        severity_class=severity_class,
        binding_label=binding_label,
        binding_class=binding_class,
        verification_label=verification_label,
        verification_class=verification_class,
        kind_label=kind_label,
        scope_label=scope_label,
        control_status_label=control_status_label,
        control_status_class=control_status_class,
        or_not_stated=or_not_stated,
        with_version=with_version,
        plural=plural,
        rating_short=rating_short,
    )
    # The enums the templates compare values with (`state is sameas VulnerabilityState.OPEN`), never their text.
    env.globals.update(
        Binding=Binding,
        EvidenceKind=EvidenceKind,
        NewCause=NewCause,
        Verification=Verification,
        VulnerabilityState=VulnerabilityState,
        LISTED=LISTED,
    )
    return env


def template(name: str) -> Template:
    """A packaged template; a missing one is a broken installation (`ResourceError`), not a traceback."""
    try:
        return environment().get_template(name)
    except TemplateNotFound as e:
        raise ResourceError(f"{TEMPLATES}/{e.name}") from e


@functools.cache
def stylesheet(name: str) -> Markup:
    """A packaged stylesheet, to be inlined into a <style> element; it is ours, so it may go in unescaped."""
    css = packaged_file(TEMPLATES, name).read_text(encoding="utf-8")
    if "</" in css:
        raise RenderError(f"{name} must not contain '</': it is inlined into a <style> element")
    return Markup(css)  # noqa: S704 - our own packaged file, checked above, no input reaches it
