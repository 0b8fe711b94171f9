"""`compare(old, new)`: what changed between two audit packages. Pure: it reads no file and keeps no state.

How things are matched across the two packages:

- components: by purl without version, qualifiers and subpath (`pkg:deb/debian/zlib1g`); qualifiers are
  left out because `distro=debian-12.12` becomes `debian-12.13` with every point release. Without a purl,
  by `<type>:<name>`. Only SBOMs not about another image count.
- vulnerabilities: the same id (or an alias of it) in the same package; within that, the same installed
  version first, then what is left in version order. A vulnerability whose package was upgraded and is
  still affected is therefore still open, with an `installed-version` change, not fixed and new again.
  Records in state `closed` (kept by the lifecycle for the record) count as gone.
- controls: by (catalog, control id). Evidence: by kind and path inside its input directory.
- summary verdicts: by topic, when both packages record them. POA&M items: by POA&M id (`V-<vulnerability id>`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import unquote

from evidence.diff.versions import compare_versions
from evidence.model import (
    AuditPackage,
    BaseImage,
    BaseImageDiff,
    Binding,
    ComponentChange,
    ComponentDiff,
    Control,
    ControlChange,
    ControlDiff,
    ControlResult,
    DiffComponent,
    DiffSummary,
    Evidence,
    EvidenceChange,
    EvidenceDiff,
    EvidenceFile,
    EvidenceKind,
    FieldChange,
    NewCause,
    NewVulnerability,
    OpenVulnerability,
    PackageDiff,
    PoamChange,
    PoamDiff,
    PoamEntry,
    PoamItem,
    PoamStatus,
    Provenance,
    ProvenanceDiff,
    RubricDiff,
    ScoreChange,
    Severity,
    SeverityCount,
    Side,
    SignatureDiff,
    Signer,
    Status,
    StatusChange,
    VerdictChange,
    VerdictDiff,
    Verification,
    VersionChange,
    Vulnerability,
    VulnerabilityChange,
    VulnerabilityDiff,
    VulnerabilityRecord,
    VulnerabilityState,
)

__all__ = ["compare", "component_key", "newly_in_kev", "package_name_key", "summarize"]

T = TypeVar("T")

FAILING = frozenset({Status.NOT_SATISFIED, Status.EVIDENCE_MISSING})
BASE_NAME_LABEL = "org.opencontainers.image.base.name"
BASE_DIGEST_LABEL = "org.opencontainers.image.base.digest"
_CASE_INSENSITIVE_TYPES = frozenset({"pypi", "deb", "npm", "apk", "golang", "github", "bitbucket", "composer"})
_PEP503 = re.compile(r"[-_.]+")
_NATURAL = re.compile(r"(\d+)")


def compare(old: AuditPackage, new: AuditPackage) -> PackageDiff:
    diff = PackageDiff(
        old=_side(old),
        new=_side(new),
        vulnerabilities=_vulnerabilities(old, new),
        components=_components(old, new),
        controls=_controls(old.controls, new.controls),
        signatures=_signatures(old, new),
        provenance=_provenance(old, new),
        base_image=_base_image(old, new),
        evidence=_evidence(old.evidence, new.evidence),
        rubric=_rubric(old, new),
        verdicts=_verdicts(old, new),
        poam=_poam(old.poam, new.poam),
    )
    return replace(diff, summary=summarize(diff))


# --- the summary: every count a rendering of the diff shows, decided here once ------------------------------


def newly_in_kev(diff: VulnerabilityDiff) -> list[tuple[Vulnerability, bool]]:
    """The open vulnerabilities in KEV that were not before: (the vulnerability, whether it is new to the
    package rather than newly listed). The one definition behind the summary's `new_kev` and `--fail-on new-kev`."""
    added = [(a.vulnerability, True) for a in diff.added if _open_in_kev(a.vulnerability)]
    listed = [(c.new, False) for c in diff.changed if _open_in_kev(c.new) and not c.old.kev]
    return added + listed


def suppressions_gained(diff: VulnerabilityDiff) -> list[Vulnerability]:
    """The vulnerabilities open in the old package and suppressed in the new one: the one definition behind the
    summary's `suppressions_gained` and `--fail-on suppression-gained`."""
    return [c.new for c in diff.changed if _is_open(c.old) and c.new.state is VulnerabilityState.SUPPRESSED]


def _open_in_kev(v: Vulnerability) -> bool:
    return _is_open(v) and v.kev


def summarize(diff: PackageDiff) -> DiffSummary:
    """The counts of `diff`, as it records them in `summary`; also how a diff read without one gets it."""
    v = diff.vulnerabilities
    by_severity = Counter(a.vulnerability.severity for a in v.added)
    versions = Counter(c.change for c in diff.components.changed)
    statuses = Counter(c.change for c in diff.controls.changed)
    suppressed = VulnerabilityState.SUPPRESSED
    return DiffSummary(
        new=len(v.added),
        new_by_severity=tuple(
            SeverityCount(severity=s, count=by_severity[s])
            for s in sorted(Severity, key=lambda s: s.rank, reverse=True)
            if by_severity[s]
        ),
        new_image_changed=sum(1 for a in v.added if a.cause is NewCause.IMAGE_CHANGED),
        new_newly_disclosed=sum(1 for a in v.added if a.cause is NewCause.NEWLY_DISCLOSED),
        new_kev=len(newly_in_kev(v)),
        fixed=len(v.removed),
        still_open=len(v.still_open),
        oldest_open_days=max((s.age_days for s in v.still_open), default=None),
        severity_changes=sum(1 for c in v.changed if "severity" in c.aspects),
        suppressions_gained=len(suppressions_gained(v)),
        suppressions_lost=sum(1 for c in v.changed if c.old.state is suppressed and _is_open(c.new)),
        upgraded=versions[VersionChange.UPGRADED],
        downgraded=versions[VersionChange.DOWNGRADED],
        versions_changed=versions[VersionChange.CHANGED],
        regressions=statuses[StatusChange.REGRESSION],
        improvements=statuses[StatusChange.IMPROVEMENT],
        status_changes=statuses[StatusChange.CHANGED],
        poam_opened=len(diff.poam.opened),
        poam_closed=len(diff.poam.closed),
        poam_changed=len(diff.poam.changed),
    )


def _is_open(v: Vulnerability) -> bool:
    return v.state is VulnerabilityState.OPEN


def _side(pkg: AuditPackage) -> Side:
    s = pkg.subject
    return Side(
        reference=s.reference,
        name=s.name,
        digest=s.digest,
        release=s.release,
        profile=pkg.profile,
        assessed_at=pkg.assessed_at,
        tool_version=pkg.tool.version,
    )


def _used(evidence: Iterable[Evidence]) -> list[Evidence]:
    """Evidence about another image is in the package, but never counts."""
    return [e for e in evidence if e.binding is not Binding.MISMATCH]


def _sorted_unique(items: Iterable[T], key: Callable[[T], tuple[str, ...]]) -> tuple[T, ...]:
    return tuple(sorted({key(i): i for i in items}.values(), key=key))


# --- components -----------------------------------------------------------------------------------


def package_name_key(name: str) -> str:
    """How package names compare: case and runs of `-`, `_`, `.` do not matter (`Jinja2` is `jinja2`)."""
    return _PEP503.sub("-", name).lower()


def component_key(purl: str | None, component_type: str | None, name: str) -> str:
    """`pkg:<type>/<namespace>/<name>` of the purl, or `<type>:<name>` without one."""
    if purl and purl.startswith("pkg:"):
        body = purl[4:].split("#", 1)[0].split("?", 1)[0]
        head, at, _version = body.rpartition("@")
        path = head if at and "/" in head else body
        purl_type, _, rest = path.partition("/")
        purl_type = purl_type.lower()
        rest = unquote(rest.strip("/"))
        if purl_type == "pypi":
            rest = package_name_key(rest)
        elif purl_type in _CASE_INSENSITIVE_TYPES:
            rest = rest.lower()
        if purl_type and rest:
            return f"pkg:{purl_type}/{rest}"
    return f"{(component_type or 'unknown').lower()}:{name}"


def _purl_type(key: str) -> str | None:
    return key[4:].split("/", 1)[0] if key.startswith("pkg:") else None


def _component_views(pkg: AuditPackage) -> dict[str, dict[str, DiffComponent]]:
    """key -> version ("" when none) -> component, from the SBOMs that count."""
    found: dict[str, dict[str, DiffComponent]] = defaultdict(dict)
    for item in _used(pkg.evidence):
        if item.kind is not EvidenceKind.SBOM:
            continue
        for c in item.components:
            key = component_key(c.purl, c.type, c.name)
            view = DiffComponent(key=key, name=c.name, version=c.version, purl=c.purl, type=c.type)
            versions = found[key]
            current = versions.get(c.version or "")
            if current is None or _component_order(view) < _component_order(current):
                versions[c.version or ""] = view
    return found


def _component_order(c: DiffComponent) -> tuple[str, ...]:
    return (c.key, c.version or "", c.purl or "", c.name, c.type or "")


def _version_change(purl_type: str | None, old: str | None, new: str | None) -> VersionChange:
    order = compare_versions(purl_type, old, new) if old and new else None
    if order is None or order == 0:
        return VersionChange.CHANGED
    return VersionChange.UPGRADED if order < 0 else VersionChange.DOWNGRADED


def _components(old: AuditPackage, new: AuditPackage) -> ComponentDiff:
    before, after = _component_views(old), _component_views(new)
    added: list[DiffComponent] = []
    removed: list[DiffComponent] = []
    changed: list[ComponentChange] = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key, {}), after.get(key, {})
        gone = [was[v] for v in sorted(was.keys() - now.keys())]
        came = [now[v] for v in sorted(now.keys() - was.keys())]
        if len(gone) == 1 and len(came) == 1:
            o, n = gone[0], came[0]
            changed.append(
                ComponentChange(
                    key=key,
                    name=n.name,
                    old_version=o.version,
                    new_version=n.version,
                    change=_version_change(_purl_type(key), o.version, n.version),
                    old_purl=o.purl,
                    new_purl=n.purl,
                )
            )
        else:
            removed.extend(gone)
            added.extend(came)
    return ComponentDiff(
        added=tuple(sorted(added, key=_component_order)),
        removed=tuple(sorted(removed, key=_component_order)),
        changed=tuple(changed),
    )


# --- vulnerabilities --------------------------------------------------------------------------------


def _vulnerability(record: VulnerabilityRecord) -> Vulnerability:
    suppression = None
    if record.suppression is not None:
        statement = record.suppression.statement
        why = statement.justification or statement.impact_statement
        suppression = f"VEX {statement.status}" + (f": {why}" if why else "")
    deviation = None
    if record.deviation is not None:
        d = record.deviation
        deviation = f"{d.id} ({d.type}, {d.status})"
    return Vulnerability(
        id=record.id,
        aliases=tuple(sorted(record.aliases)),
        package=record.package,
        installed_version=record.installed_version,
        fixed_versions=record.fixed_versions,
        severity=record.severity,
        state=record.state,
        suppression=suppression,
        deviation=deviation,
        kev=record.kev,
        title=record.title,
    )


def _record_order(record: VulnerabilityRecord) -> tuple[str, ...]:
    return (record.installed_version or "", record.id, *sorted(record.aliases))


def _view_order(v: Vulnerability) -> tuple[int, str, str, str]:
    return (-v.severity.rank, v.id, package_name_key(v.package), v.installed_version or "")


def _groups(
    old: Sequence[VulnerabilityRecord], new: Sequence[VulnerabilityRecord]
) -> dict[tuple[str, str], tuple[list[VulnerabilityRecord], list[VulnerabilityRecord]]]:
    """(package, the smallest name of a set of ids linked by aliases) -> the records of each side."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(node: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def names(record: VulnerabilityRecord) -> list[tuple[str, str]]:
        package = package_name_key(record.package)
        return [(package, name) for name in (record.id, *record.aliases)]

    for record in (*old, *new):
        first, *others = names(record)
        for other in others:
            a, b = find(first), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)  # the smallest name is the root: the same on either side
    groups: dict[tuple[str, str], tuple[list[VulnerabilityRecord], list[VulnerabilityRecord]]] = defaultdict(
        lambda: ([], [])
    )
    for side, records in ((0, old), (1, new)):
        for record in records:
            groups[find(names(record)[0])][side].append(record)
    return groups


def _pair(
    old: list[VulnerabilityRecord], new: list[VulnerabilityRecord]
) -> tuple[list[tuple[VulnerabilityRecord, VulnerabilityRecord]], list[VulnerabilityRecord], list[VulnerabilityRecord]]:
    """Pairs with the same installed version first, then the rest in version order; and what is left."""
    old, new = sorted(old, key=_record_order), sorted(new, key=_record_order)
    pairs: list[tuple[VulnerabilityRecord, VulnerabilityRecord]] = []
    rest_old: list[VulnerabilityRecord] = []
    rest_new: list[VulnerabilityRecord] = []
    for version in sorted({r.installed_version or "" for r in (*old, *new)}):
        was = [r for r in old if (r.installed_version or "") == version]
        now = [r for r in new if (r.installed_version or "") == version]
        pairs.extend(zip(was, now, strict=False))
        rest_old.extend(was[len(now) :])
        rest_new.extend(now[len(was) :])
    pairs.extend(zip(rest_old, rest_new, strict=False))
    return pairs, rest_old[len(rest_new) :], rest_new[len(rest_old) :]


def _aspects(old: Vulnerability, new: Vulnerability) -> tuple[str, ...]:
    differs = {
        "severity": old.severity != new.severity,
        "state": old.state != new.state,
        "suppression": old.suppression != new.suppression,
        "deviation": old.deviation != new.deviation,
        "kev": old.kev != new.kev,
        "installed-version": old.installed_version != new.installed_version,
    }
    return tuple(name for name, yes in differs.items() if yes)


def _present(pkg: AuditPackage, records: Iterable[VulnerabilityRecord]) -> set[tuple[str, str]]:
    """(package, version) pairs the package shows installed: its SBOM components and its scan findings."""
    found = {(package_name_key(r.package), r.installed_version or "") for r in records}
    for versions in _component_views(pkg).values():
        found.update((package_name_key(c.name), c.version or "") for c in versions.values())
    return found


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _vulnerabilities(old: AuditPackage, new: AuditPackage) -> VulnerabilityDiff:
    live_old = [r for r in old.vulnerabilities if r.state is not VulnerabilityState.CLOSED]
    live_new = [r for r in new.vulnerabilities if r.state is not VulnerabilityState.CLOSED]
    present_before = _present(old, live_old)
    added: list[NewVulnerability] = []
    removed: list[Vulnerability] = []
    changed: list[VulnerabilityChange] = []
    still_open: list[OpenVulnerability] = []
    for was, now in _groups(live_old, live_new).values():
        pairs, gone, came = _pair(was, now)
        removed.extend(_vulnerability(r) for r in gone)
        for r in came:
            before = (package_name_key(r.package), r.installed_version or "") in present_before
            cause = NewCause.NEWLY_DISCLOSED if before else NewCause.IMAGE_CHANGED
            added.append(NewVulnerability(vulnerability=_vulnerability(r), cause=cause))
        for o, n in pairs:
            vo, vn = _vulnerability(o), _vulnerability(n)
            aspects = _aspects(vo, vn)
            if aspects:
                changed.append(VulnerabilityChange(old=vo, new=vn, aspects=aspects))
            if o.state is VulnerabilityState.OPEN and n.state is VulnerabilityState.OPEN:
                known = [_utc(t) for t in (o.first_detected, n.first_detected) if t is not None]
                since = min([*known, _utc(old.assessed_at)])
                age = max(0, (_utc(new.assessed_at) - since).days)
                still_open.append(OpenVulnerability(vulnerability=vn, open_since=since, age_days=age))
    return VulnerabilityDiff(
        added=tuple(sorted(added, key=lambda a: (*_view_order(a.vulnerability), a.cause.value))),
        removed=tuple(sorted(removed, key=_view_order)),
        changed=tuple(sorted(changed, key=lambda c: (_view_order(c.new), _view_order(c.old)))),
        still_open=tuple(sorted(still_open, key=lambda s: _view_order(s.vulnerability))),
    )


# --- controls ---------------------------------------------------------------------------------------


def _natural(text: str) -> tuple[tuple[int, str], ...]:
    """`4.1.10` after `4.1.9`."""
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in _NATURAL.split(text) if part)


def _status_change(old: Status, new: Status) -> StatusChange:
    if old not in FAILING and new in FAILING:
        return StatusChange.REGRESSION
    if old in FAILING and new not in FAILING:
        return StatusChange.IMPROVEMENT
    return StatusChange.CHANGED


def _verdict(control: ControlResult) -> tuple[Status, bool]:
    """What a change of verdict is: its status, and for a satisfied control whether it is satisfied only in part."""
    return control.status, control.partly_satisfied


def _controls(old: Iterable[ControlResult], new: Iterable[ControlResult]) -> ControlDiff:
    before = {(c.catalog, c.control_id): c for c in old}
    after = {(c.catalog, c.control_id): c for c in new}
    order = sorted(before.keys() | after.keys(), key=lambda k: (k[0], _natural(k[1]), k[1]))

    def view(c: ControlResult) -> Control:
        return Control(catalog=c.catalog, control_id=c.control_id, title=c.title, status=c.status)

    added = tuple(view(after[k]) for k in order if k not in before)
    removed = tuple(view(before[k]) for k in order if k not in after)
    changed = tuple(
        ControlChange(
            catalog=k[0],
            control_id=k[1],
            title=after[k].title,
            old_status=before[k].status,
            new_status=after[k].status,
            change=_status_change(before[k].status, after[k].status),
            old_scope=before[k].scope,
            new_scope=after[k].scope,
        )
        for k in order
        if k in before and k in after and _verdict(before[k]) != _verdict(after[k])
    )
    return ControlDiff(added=added, removed=removed, changed=changed)


# --- signatures and provenance ----------------------------------------------------------------------


def _signer_order(s: Signer) -> tuple[str, ...]:
    return (s.key_id or "", s.identity or "", s.issuer or "")


def _signers(pkg: AuditPackage) -> tuple[Signer, ...]:
    """The signers of the verified signatures, and of those that verify only with a key found in the evidence
    (untrusted, yet who signed: a release signed by another key is still a change of signer)."""
    signers = [
        Signer(
            key_id=e.signature.key_id,
            identity=e.signature.identity,
            issuer=e.signature.issuer,
            key_from_evidence=e.signature.key_from_evidence,
        )
        for e in _used(pkg.evidence)
        if e.signature is not None and (e.signature.status is Verification.VERIFIED or e.signature.key_from_evidence)
    ]
    return _sorted_unique(signers, _signer_order)


def _signatures(old: AuditPackage, new: AuditPackage) -> SignatureDiff:
    before, after = _signers(old), _signers(new)
    return SignatureDiff(
        old=before,
        new=after,
        added=tuple(s for s in after if s not in before),
        removed=tuple(s for s in before if s not in after),
    )


def _field_changes(old: object | None, new: object | None, fields: Sequence[str]) -> tuple[FieldChange, ...]:
    changes = []
    for name in fields:
        was, now = getattr(old, name, None), getattr(new, name, None)
        if was != now:
            changes.append(FieldChange(field=name, old=was, new=now))
    return tuple(changes)


def _joined(values: Iterable[str | None]) -> str | None:
    return ", ".join(sorted({v for v in values if v})) or None


def _provenance_view(pkg: AuditPackage) -> Provenance | None:
    facts = [e.provenance for e in _used(pkg.evidence) if e.provenance is not None]
    if not facts:
        return None
    return Provenance(
        builder_id=_joined(f.builder_id for f in facts),
        source_repository=_joined(f.source_repository for f in facts),
        source_revision=_joined(f.source_revision for f in facts),
    )


PROVENANCE_FIELDS = ("builder_id", "source_repository", "source_revision")
BASE_IMAGE_FIELDS = ("name", "version", "digest")


def _provenance(old: AuditPackage, new: AuditPackage) -> ProvenanceDiff:
    before, after = _provenance_view(old), _provenance_view(new)
    return ProvenanceDiff(old=before, new=after, changed=_field_changes(before, after, PROVENANCE_FIELDS))


# --- base image -------------------------------------------------------------------------------------


def parse_image_reference(reference: str) -> BaseImage:
    """`docker.io/library/python:3.12-slim@sha256:<hex>` -> name `python`, version `3.12-slim`, digest."""
    text, _, digest = reference.strip().partition("@")
    slash = text.rfind("/")
    colon = text.rfind(":")
    name, version = (text[:colon], text[colon + 1 :]) if colon > slash else (text, "")
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if name.startswith(prefix):
            name = name.removeprefix(prefix).removeprefix("library/")
            break
    return BaseImage(name=name or None, version=version or None, digest=digest or None)


def _base_image_view(pkg: AuditPackage) -> BaseImage | None:
    """From the image config labels, else the Dockerfile's last FROM, else the provenance's resolved images."""
    used = _used(pkg.evidence)
    candidates: list[BaseImage] = []
    for e in used:
        if e.image_config is not None and e.image_config.labels.get(BASE_NAME_LABEL):
            labelled = parse_image_reference(e.image_config.labels[BASE_NAME_LABEL])
            digest = e.image_config.labels.get(BASE_DIGEST_LABEL) or labelled.digest
            candidates.append(BaseImage(name=labelled.name, version=labelled.version, digest=digest))
    candidates.extend(
        parse_image_reference(e.dockerfile.base_images[-1].value)
        for e in used
        if e.dockerfile is not None and e.dockerfile.base_images
    )
    resolved = [parse_image_reference(b.value) for e in used if e.provenance for b in e.provenance.base_images]
    if not candidates and not resolved:
        return None
    name = next((c.name for c in (*candidates, *resolved) if c.name), None)
    version = next((c.version for c in (*candidates, *resolved) if c.version), None)
    digest = next((c.digest for c in candidates if c.digest), None)
    if digest is None:
        digest = next((r.digest for r in resolved if r.digest and r.name == name), None)
    if digest is None and len({r.digest for r in resolved if r.digest}) == 1:
        digest = next(r.digest for r in resolved if r.digest)
    return BaseImage(name=name, version=version, digest=digest)


def _base_image(old: AuditPackage, new: AuditPackage) -> BaseImageDiff:
    before, after = _base_image_view(old), _base_image_view(new)
    return BaseImageDiff(old=before, new=after, changed=_field_changes(before, after, BASE_IMAGE_FIELDS))


# --- evidence ---------------------------------------------------------------------------------------


def evidence_key(path: str) -> str:
    """The path inside its input directory: `webapp-1.4.0/trivy.json` and `webapp-1.3.0/trivy.json` match."""
    _, slash, rest = path.partition("/")
    return rest if slash and rest else path


def _evidence(old: Iterable[Evidence], new: Iterable[Evidence]) -> EvidenceDiff:
    groups: dict[tuple[EvidenceKind, str], tuple[list[Evidence], list[Evidence]]] = defaultdict(lambda: ([], []))
    for side, items in ((0, old), (1, new)):
        for e in items:
            groups[e.kind, evidence_key(e.path)][side].append(e)

    def view(e: Evidence) -> EvidenceFile:
        return EvidenceFile(kind=e.kind, key=evidence_key(e.path), path=e.path, sha256=e.sha256, format=e.format)

    added: list[EvidenceFile] = []
    removed: list[EvidenceFile] = []
    changed: list[EvidenceChange] = []
    for (kind, key), (before, after) in sorted(groups.items()):
        was = sorted(before, key=lambda e: (e.path, e.sha256))
        now = sorted(after, key=lambda e: (e.path, e.sha256))
        for o, n in zip(was, now, strict=False):
            if o.sha256 != n.sha256:
                changed.append(
                    EvidenceChange(
                        kind=kind, key=key, old_path=o.path, new_path=n.path, old_sha256=o.sha256, new_sha256=n.sha256
                    )
                )
        removed.extend(view(e) for e in was[len(now) :])
        added.extend(view(e) for e in now[len(was) :])
    kinds_before = {k for (k, _), (was, _) in groups.items() if was}
    kinds_after = {k for (k, _), (_, now) in groups.items() if now}
    return EvidenceDiff(
        added=tuple(added),
        removed=tuple(removed),
        changed=tuple(changed),
        missing_kinds=tuple(sorted(kinds_before - kinds_after)),
        new_kinds=tuple(sorted(kinds_after - kinds_before)),
    )


# --- base-image rubric ------------------------------------------------------------------------------


def _rubric(old: AuditPackage, new: AuditPackage) -> RubricDiff:
    before = {r.criterion: r.score for r in old.rubric}
    after = {r.criterion: r.score for r in new.rubric}
    changed = tuple(
        ScoreChange(criterion=c, old_score=before.get(c), new_score=after.get(c))
        for c in sorted(before.keys() | after.keys())
        if before.get(c) != after.get(c)
    )
    return RubricDiff(
        old_grade=old.rubric_grade,
        new_grade=new.rubric_grade,
        old_total=sum(before.values()) if old.rubric else None,
        new_total=sum(after.values()) if new.rubric else None,
        changed=changed,
    )


# --- summary verdicts and POA&M ---------------------------------------------------------------------


def _verdicts(old: AuditPackage, new: AuditPackage) -> VerdictDiff:
    if old.summary is None or new.summary is None:
        return VerdictDiff()
    before = {v.topic: v for v in old.summary.verdicts}
    changed = tuple(
        VerdictChange(
            topic=v.topic,
            old_status=before[v.topic].status,
            new_status=v.status,
            old_outcome=before[v.topic].outcome,
            new_outcome=v.outcome,
            change=_status_change(before[v.topic].status, v.status),
        )
        for v in new.summary.verdicts
        if v.topic in before and (before[v.topic].status, before[v.topic].outcome) != (v.status, v.outcome)
    )
    return VerdictDiff(changed=changed)


def _poam_entry(item: PoamItem) -> PoamEntry:
    return PoamEntry(
        poam_id=item.poam_id,
        vulnerability=item.vulnerability,
        status=item.status,
        risk_status=item.risk_status,
        severity=item.severity,
        due=item.due,
        overdue=item.overdue,
        packages=item.packages,
    )


def _poam_aspects(old: PoamEntry, new: PoamEntry) -> tuple[str, ...]:
    differs = {
        "risk-status": old.risk_status != new.risk_status,
        "due": old.due != new.due,
        "overdue": old.overdue != new.overdue,
        "severity": old.severity != new.severity,
    }
    return tuple(name for name, yes in differs.items() if yes)


def _poam(old: Sequence[PoamItem], new: Sequence[PoamItem]) -> PoamDiff:
    before = {i.poam_id: _poam_entry(i) for i in old}
    after = {i.poam_id: _poam_entry(i) for i in new}
    opened: list[PoamEntry] = []
    closed: list[PoamEntry] = []
    changed: list[PoamChange] = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        was_open = was is not None and was.status is PoamStatus.OPEN
        now_open = now is not None and now.status is PoamStatus.OPEN
        if now is not None and now_open and not was_open:
            opened.append(now)
        elif was is not None and was_open and not now_open:
            closed.append(now or was)
        elif was is not None and now is not None and (aspects := _poam_aspects(was, now)):
            changed.append(PoamChange(old=was, new=now, aspects=aspects))
    return PoamDiff(opened=tuple(opened), closed=tuple(closed), changed=tuple(changed))
