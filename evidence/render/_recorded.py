"""What the renderers look up: the summary evaluation recorded. They never decide a verdict or count one."""

from __future__ import annotations

from evidence.errors import RenderError
from evidence.model import AuditPackage, Summary, SummaryTopic, SummaryVerdict

__all__ = ["recorded_summary", "recorded_verdict"]


def recorded_summary(pkg: AuditPackage, filename: str) -> Summary:
    """The summary evaluation recorded; a package without one (built by hand) cannot be rendered."""
    if pkg.summary is None:
        raise RenderError(f"{filename}: the package records no summary: make it with `evidence.evaluate.evaluate`")
    return pkg.summary


def recorded_verdict(pkg: AuditPackage, topic: SummaryTopic, filename: str) -> SummaryVerdict:
    verdict = recorded_summary(pkg, filename).verdict(topic)
    if verdict is None:
        raise RenderError(f"{filename}: the package's summary records no {topic.value} verdict")
    return verdict
