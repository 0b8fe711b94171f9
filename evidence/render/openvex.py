"""`vex.openvex.json`: what the assessment knows of each vulnerability, as an OpenVEX 0.2.0 document.

Author `Fromline (assessment of <image>)`, timestamp the assessment time, `@id` a `urn:uuid:` made from the image
digest and that time (the same package gives the same bytes). One statement per vulnerability record:

- suppressed by a trusted VEX statement: that statement's status (`not_affected`, or `fixed`), its justification
  label and its impact statement, the statement's author and file in `status_notes`;
- suppressed by an approved false-positive deviation: `not_affected`, the deviation's justification as the impact
  statement (the justification label of a VEX statement the deviation approves, when there is one);
- open: `affected`, the fix as the action statement (the fixed versions, or that none is known); a deviation or a
  VEX statement that does not suppress it is named in `status_notes`;
- closed (reported by the previous package, not found by this assessment's scans): `fixed`, which `status_notes`
  says rests on that.

Each statement's product is the image (`pkg:oci/<name>@<digest>?repository_url=...`), the vulnerable package's
purl its subcomponent (a record without a purl names its package in `status_notes`).
"""

from __future__ import annotations

from typing import BinaryIO

from evidence.model import AuditPackage, VulnerabilityRecord, VulnerabilityState
from evidence.render.ecosystem import (
    Json,
    assessment_of,
    dump,
    fix_text,
    image_purl,
    moment,
    suppressed_by,
    text,
)
from evidence.render.oscal import name_uuid

__all__ = ["OPENVEX_CONTEXT", "OpenVex", "openvex"]

OPENVEX_CONTEXT = "https://openvex.dev/ns/v0.2.0"


def _not_suppressing(record: VulnerabilityRecord) -> list[str]:
    """Notes on what applies to an open finding without suppressing it."""
    notes = []
    if record.deviation is not None:
        d = record.deviation
        notes.append(f"Deviation {d.id} ({d.type.value}, {d.status.value}) applies: {d.justification}")
    if record.vex is not None:
        s = record.vex.statement
        said = f"VEX statement by {s.author or 'an unnamed author'} says {s.status}"
        said += f" ({s.justification})" if s.justification else ""
        said += f": {s.impact_statement}" if s.impact_statement else ""
        said += f". Action: {s.action_statement}" if s.action_statement else ""
        if record.vex.trusted_by is None and s.status == "not_affected":
            said += " (not trusted: a proposed deviation until approved)"
        notes.append(said)
    return notes


def _statement(pkg: AuditPackage, record: VulnerabilityRecord, product: str) -> Json:
    vulnerability: Json = {"name": text(record.id)}
    aliases = [text(a) for a in dict.fromkeys(record.aliases) if a != record.id]
    if aliases:
        vulnerability["aliases"] = aliases
    if record.title:
        vulnerability["description"] = text(record.title)
    component: Json = {"@id": product, "identifiers": {"purl": product}}
    notes: list[str] = []
    if record.purl:
        component["subcomponents"] = [{"@id": text(record.purl), "identifiers": {"purl": text(record.purl)}}]
    else:
        version = f" {record.installed_version}" if record.installed_version else ""
        notes.append(f"Package {record.package}{version} (no package URL known).")
    statement: Json = {
        "vulnerability": vulnerability,
        "timestamp": moment(pkg.assessed_at),
        "products": [component],
    }
    why = suppressed_by(record)
    if why is not None:
        statement["status"] = why.status
        if why.justification:
            statement["justification"] = why.justification
        if why.status == "not_affected":
            statement["impact_statement"] = why.statement
        notes.append(f"Suppressed by the {why.source}: {why.statement}")
    elif record.state is VulnerabilityState.CLOSED:
        statement["status"] = "fixed"
        notes.append("Reported by the previous assessment and not found by this assessment's scans of the image.")
    else:
        statement["status"] = "affected"
        statement["action_statement"] = fix_text(record)
        statement["action_statement_timestamp"] = moment(pkg.assessed_at)
        notes += _not_suppressing(record)
    if notes:
        statement["status_notes"] = text(" ".join(notes))
    return statement


def openvex(pkg: AuditPackage) -> Json:
    """The OpenVEX document of `pkg`'s vulnerability records."""
    product = image_purl(pkg.subject)
    stamp = moment(pkg.assessed_at)
    return {
        "@context": OPENVEX_CONTEXT,
        "@id": f"urn:uuid:{name_uuid(f'openvex/{pkg.subject.digest}/{stamp}')}",
        "author": assessment_of(pkg),
        "role": "assessor",
        "timestamp": stamp,
        "version": 1,
        "tooling": f"{pkg.tool.name} {pkg.tool.version}",
        "statements": [_statement(pkg, r, product) for r in pkg.vulnerabilities],
    }


class OpenVex:
    filename = "vex.openvex.json"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(dump(openvex(pkg)))
