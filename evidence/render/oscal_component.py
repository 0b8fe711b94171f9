"""OSCAL Component Definition (1.2.3, or 1.1.2 on request): the image as a component, and how it meets SP 800-53
requirements. Metadata as in `oscal.py` (published date; `prepared-by` and `prepared-for` when named).

One component of type `software`: the assessed image, by digest. One control implementation whose
source is the NIST SP 800-53 rev5 catalog, with one implemented requirement per 800-53 control that an
evaluated catalog control maps to (not-assessed and not-applicable controls and the base-image rubric
excluded). Each requirement says which catalog controls evidence it, their verdicts, scope and checks, and
links the evidence files (back-matter resources with their SHA-256). A requirement's prop `fromline-summary`
is `satisfied` only when every catalog control behind it is satisfied in full scope, and `partial` when some
are satisfied only for the part image evidence shows.

Built once as plain data with the helpers of `render/oscal.py` and serialized with sorted keys; every id is a UUID
v5 of the inputs.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from evidence.errors import RenderError
from evidence.model import AuditPackage, ControlResult, EvidenceRef, RequirementVerdict
from evidence.render._recorded import recorded_summary
from evidence.render.oscal import (
    OSCAL_VERSION,
    Ids,
    checked_version,
    compact,
    document_bytes,
    front_matter,
    href,
    in_schema_range,
    md,
    nist_control_id,
    prop,
    props,
    system_props,
    timestamp,
    title,
    token,
)

__all__ = ["NIST_800_53_REV5", "OscalComponentDefinition", "component_definition_document"]

_FILE = "oscal/component-definition.json"
NIST_800_53_REV5 = (
    "https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-53/rev5/json/"
    "NIST_SP-800-53_rev5_catalog.json"
)
Json = dict[str, Any]


class OscalComponentDefinition:
    """Renders `oscal/component-definition.json`."""

    filename = _FILE

    def __init__(self, oscal_version: str = OSCAL_VERSION) -> None:
        self.oscal_version = checked_version(oscal_version, _FILE)

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(render_bytes(pkg, self.oscal_version))


def render_bytes(pkg: AuditPackage, oscal_version: str = OSCAL_VERSION) -> bytes:
    return document_bytes(_Builder(pkg, oscal_version).document, _FILE)


def component_definition_document(pkg: AuditPackage, oscal_version: str = OSCAL_VERSION) -> Json:
    """The image's document as data, for a boundary's system document to merge."""
    return _Builder(pkg, oscal_version).document()


_CD_ROLES = ("prepared-by", "prepared-for")


class _Builder:
    def __init__(self, pkg: AuditPackage, oscal_version: str = OSCAL_VERSION) -> None:
        self.pkg = pkg
        self.oscal_version = oscal_version
        self.ids = Ids()
        if not in_schema_range(pkg.assessed_at):
            raise RenderError(f"{_FILE}: assessed_at {pkg.assessed_at} is outside the years OSCAL accepts")
        self.assessed_at = timestamp(pkg.assessed_at)
        self.digest = " ".join(pkg.subject.digest.split())
        scope = f"{self.digest}@{self.assessed_at}"
        self.document_uuid = self.ids(f"{scope}/component-definition")
        self.component_uuid = self.ids(f"{self.digest}/component/image")
        self.implementation_uuid = self.ids(f"{scope}/control-implementation/sp800-53r5")
        self.evidence = {e.id: e for e in reversed(pkg.evidence)}
        self.resource_uuid = {eid: self.ids(f"{self.digest}/resource/{eid}") for eid in self.evidence}
        self.catalog_titles = {c.id: c.title for c in pkg.catalogs}

    def document(self) -> Json:
        pkg = self.pkg
        release = " ".join((pkg.subject.release or "").split())
        name = " ".join(pkg.subject.name.split()) or self.digest
        metadata = compact(
            {
                "title": title(md(f"Component definition for {name}" + (f" {release}" if release else "")), "Image"),
                "published": self.assessed_at,
                "last-modified": self.assessed_at,
                "version": release or self.digest or "unversioned",
                "oscal-version": self.oscal_version,
                "props": props(
                    prop("generator", pkg.tool.name),
                    prop("generator-version", pkg.tool.version),
                    prop("image-digest", pkg.subject.digest),
                    prop("profile", pkg.profile),
                    *system_props(pkg.context),
                ),
                **front_matter(pkg.context, _CD_ROLES),
            }
        )
        resources = [self.resource(eid) for eid in self.evidence]
        return {
            "component-definition": compact(
                {
                    "uuid": self.document_uuid,
                    "metadata": metadata,
                    "components": [self.component()],
                    "back-matter": {"resources": resources} if resources else None,
                }
            )
        }

    def resource(self, evidence_id: str) -> Json:
        ev = self.evidence[evidence_id]
        rlink = compact(
            {
                "href": href(f"../{ev.stored_as}" if ev.stored_as else ev.path),
                "hashes": [{"algorithm": "SHA-256", "value": ev.sha256}] if ev.sha256 else None,
            }
        )
        return compact(
            {
                "uuid": self.resource_uuid[evidence_id],
                "title": title(md(ev.path), "Evidence file"),
                "description": f"Evidence file ({md(ev.kind.value)}, {md(ev.format)}), {ev.size} bytes.",
                "rlinks": [rlink],
            }
        )

    def component(self) -> Json:
        pkg = self.pkg
        subject = pkg.subject
        requirements = self.requirements()
        implementations = (
            [
                {
                    "uuid": self.implementation_uuid,
                    "source": NIST_800_53_REV5,
                    "description": "The NIST SP 800-53 rev5 controls that the evaluated catalog controls map to, "
                    "with the verdicts and evidence from this assessment.",
                    "props": props(*(prop("catalog", c.id) for c in pkg.catalogs)),
                    "implemented-requirements": requirements,
                }
            ]
            if requirements
            else None
        )
        return compact(
            {
                "uuid": self.component_uuid,
                "type": "software",
                "title": title(md(f"Container image {subject.name}"), "Container image"),
                "description": f"The container image {md(subject.reference)}, identified by its digest.",
                "purpose": "Runs the application; assessed from its security evidence.",
                "props": props(
                    prop("image-reference", subject.reference),
                    prop("image-digest", subject.digest),
                    prop("image-release", subject.release),
                ),
                "control-implementations": implementations,
            }
        )

    def requirements(self) -> list[Json]:
        """One implemented requirement per SP 800-53 control, with the verdict evaluation recorded for it."""
        controls = {f"{c.catalog}:{c.control_id}": c for c in self.pkg.controls}
        requirements: dict[str, tuple[RequirementVerdict, list[ControlResult]]] = {}
        for verdict in recorded_summary(self.pkg, _FILE).requirements:
            control_id = nist_control_id(verdict.requirement)
            if control_id:
                requirements[control_id] = (verdict, [controls[key] for key in verdict.controls])
        return [self.requirement(cid, verdict, group) for cid, (verdict, group) in requirements.items()]

    def requirement(self, control_id: str, verdict: RequirementVerdict, controls: list[ControlResult]) -> Json:
        lines = [
            f"- {md(self.label(c))}: {c.status.value}"
            + (", partial scope" if c.partly_satisfied else "")
            + (f" (checks: {', '.join(md(k.check) for k in c.checks)})" if c.checks else " (decided by a person)")
            + f". {md(c.reason)}"
            + (f" Not shown by image evidence: {md(c.not_shown)}" if c.partly_satisfied and c.not_shown else "")
            for c in controls
        ]
        refs: dict[str, EvidenceRef] = {}
        for c in controls:
            for r in (*c.evidence, *(r for k in c.checks for r in k.evidence)):
                refs.setdefault(r.evidence_id, r)
        summary_props: list[Json | None] = [prop("fromline-summary", verdict.status.value)]
        for c in controls:
            group = token(f"{c.catalog}-{c.control_id}")
            summary_props += [
                prop("catalog-control", f"{c.catalog} {c.control_id}", group=group),
                prop("fromline-status", c.status.value, group=group),
                prop("scope", c.scope.value, group=group),
                *(prop("check", k.check, group=group) for k in c.checks),
            ]
        links = [
            {"href": f"#{self.resource_uuid[eid]}", "rel": "reference", "text": md(r.path)}
            for eid, r in refs.items()
            if eid in self.resource_uuid
        ]
        return compact(
            {
                "uuid": self.ids(f"{self.digest}/implemented-requirement/{control_id}"),
                "control-id": control_id,
                "description": f"Evidenced by {len(controls)} catalog control(s) of this assessment:\n\n"
                + "\n".join(lines),
                "props": props(*summary_props),
                "links": links or None,
            }
        )

    def label(self, control: ControlResult) -> str:
        catalog = self.catalog_titles.get(control.catalog, control.catalog)
        return f"{catalog}, {control.control_id}: {control.title}"
