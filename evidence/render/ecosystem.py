"""What the ecosystem outputs (SARIF, OpenVEX, CycloneDX VEX, Heimdall) say alike about a package's findings.

Each of them names the image, tells why a finding is suppressed, what fixes an open one and when the
assessment was made, in the same words; the formats differ only in where they put them. Text from the
inputs passes through `text`: characters that could act rather than be read are shown as escapes
(`evidence.visible`), and the JSON serializer escapes the rest, so evidence is always data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import orjson

from evidence.model import (
    AuditPackage,
    DeviationStatus,
    DeviationType,
    ImageRef,
    VulnerabilityRecord,
    VulnerabilityState,
)
from evidence.render.oscal import timestamp
from evidence.visible import visible

__all__ = [
    "OPENVEX_JUSTIFICATIONS",
    "Json",
    "Suppressed",
    "assessment_of",
    "dump",
    "fingerprint",
    "fix_text",
    "image_purl",
    "moment",
    "suppressed_by",
    "text",
]

Json = dict[str, Any]

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z
# OpenVEX 0.2.0's status justifications; CSAF's flags are the same words, and Fromline reads CycloneDX's in them.
OPENVEX_JUSTIFICATIONS = frozenset(
    {
        "component_not_present",
        "vulnerable_code_not_present",
        "vulnerable_code_not_in_execute_path",
        "vulnerable_code_cannot_be_controlled_by_adversary",
        "inline_mitigations_already_exist",
    }
)


def text(value: str | None) -> str:
    """Input text as data: line breaks and tabs kept, every other control or formatting character escaped."""
    return visible(value or "", keep="\n\t")


def dump(document: Json) -> bytes:
    """The document as indented JSON ending in a newline: the same document gives the same bytes."""
    return orjson.dumps(document, option=_OPTIONS) + b"\n"


def moment(when: datetime) -> str:
    """RFC 3339 in UTC with `Z`, to the second: what every one of these formats accepts as a date-time."""
    return timestamp(when.replace(microsecond=0))


def fingerprint(*parts: str) -> str:
    """A stable identifier of a finding made from its names: sha256 of the parts joined by NUL."""
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def image_purl(image: ImageRef) -> str:
    """The image as an OCI package URL: `pkg:oci/<name>@<digest>?repository_url=<registry and path>`."""
    name = image.name.rpartition("/")[2].lower()
    digest = quote(image.digest, safe="")
    return f"pkg:oci/{quote(name, safe='')}@{digest}?repository_url={quote(image.name, safe='/:')}"


def fix_text(record: VulnerabilityRecord) -> str:
    """What remediates an open finding: the upgrade to a fixed version, or that there is none yet."""
    installed = f" {record.installed_version}" if record.installed_version else ""
    if record.fixed_versions:
        versions = ", ".join(record.fixed_versions)
        return text(f"Upgrade {record.package}{installed} to a fixed version: {versions}.")
    return text(f"No fix available: no fixed version of {record.package}{installed} is known to the scanners.")


@dataclass(frozen=True, slots=True, kw_only=True)
class Suppressed:
    """Why a finding is suppressed, as every ecosystem output states it."""

    by: str  # "vex" (a trusted VEX statement) or "deviation" (an approved false positive)
    status: str  # the OpenVEX status the suppression amounts to: not_affected or fixed
    justification: str | None  # an OpenVEX justification label, when one is known
    statement: str  # the impact statement or the deviation's justification, as written
    source: str  # who said so, and where: the statement's author and file, or the deviation and its approver


def suppressed_by(record: VulnerabilityRecord) -> Suppressed | None:
    """The trusted VEX statement or approved false positive that suppressed `record`; None when it is not."""
    if record.state is not VulnerabilityState.SUPPRESSED:
        return None
    if record.suppression is not None:
        statement = record.suppression.statement
        where = record.suppression.evidence
        source = f"VEX statement by {statement.author or 'an unnamed author'} in {where.path}"
        source += f" at {where.location}" if where.location else ""
        source += f", trusted as {record.suppression.trusted_by}" if record.suppression.trusted_by else ""
        justification = statement.justification if statement.justification in OPENVEX_JUSTIFICATIONS else None
        words = statement.impact_statement or statement.justification or statement.status
        return Suppressed(
            by="vex",
            status="fixed" if statement.status == "fixed" else "not_affected",
            justification=justification,
            statement=text(words),
            source=text(source),
        )
    deviation = record.deviation
    if deviation is not None and deviation.type is DeviationType.FALSE_POSITIVE:
        approved = f" approved by {deviation.approver}" if deviation.approver else ""
        approved += f" on {deviation.approved.isoformat()}" if deviation.approved else ""
        if deviation.status is not DeviationStatus.APPROVED:
            approved = f" ({deviation.status.value})"
        proposal = record.vex.statement if record.vex is not None else None
        label = proposal.justification if proposal is not None and proposal.status == "not_affected" else None
        return Suppressed(
            by="deviation",
            status="not_affected",
            justification=label if label in OPENVEX_JUSTIFICATIONS else None,
            statement=text(deviation.justification),
            source=text(f"false-positive deviation {deviation.id}{approved}"),
        )
    # Suppressed by neither (a package built by hand): said so, never left without a statement.
    return Suppressed(
        by="unknown",
        status="not_affected",
        justification=None,
        statement="suppressed; the package records no statement or deviation that did it",
        source="not recorded",
    )


def assessment_of(pkg: AuditPackage) -> str:
    """`Fromline (assessment of <image reference>)`: the author of what these outputs state."""
    return text(f"Fromline (assessment of {pkg.subject.reference})")
