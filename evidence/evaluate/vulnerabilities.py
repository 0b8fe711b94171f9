"""Vulnerability records: one per (vulnerability, package, version) across scanners, with VEX applied."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import unquote

from evidence.model import (
    Binding,
    Evidence,
    EvidenceKind,
    EvidenceRef,
    Severity,
    Suppression,
    VexStatement,
    VulnerabilityFinding,
    VulnerabilityRecord,
)

SUPPRESSING = {"not_affected", "fixed"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ref(item: Evidence, location: str | None = None) -> EvidenceRef:
    return EvidenceRef(evidence_id=item.id, path=item.path, sha256=item.sha256, location=location or None)


def build_records(evidence: Iterable[Evidence], image_digest: str) -> tuple[VulnerabilityRecord, ...]:
    """Merge the findings of every scan bound to the image, then apply VEX statements about it."""
    groups: dict[tuple[str, str, str], list[tuple[Evidence, VulnerabilityFinding]]] = defaultdict(list)
    statements: list[tuple[Evidence, VexStatement]] = []
    for item in evidence:
        if item.binding is Binding.MISMATCH:
            continue
        if item.kind is EvidenceKind.VULNERABILITY_SCAN and item.binding is Binding.MATCH:
            for finding in item.vulnerabilities:
                key = (primary_id(finding), finding.package, finding.installed_version or "")
                groups[key].append((item, finding))
        statements.extend((item, s) for s in item.statements)
    records = [_merge(found) for found in groups.values()]
    records = [_apply_vex(r, statements, image_digest) for r in records]
    records.sort(key=lambda r: (-r.severity.rank, r.id, r.package, r.installed_version or ""))
    return tuple(records)


def primary_id(finding: VulnerabilityFinding) -> str:
    """The CVE id when the finding has one (scanners differ in whether they lead with GHSA or CVE)."""
    return next((name for name in (finding.id, *finding.aliases) if name.startswith("CVE-")), finding.id)


def _merge(found: list[tuple[Evidence, VulnerabilityFinding]]) -> VulnerabilityRecord:
    first = found[0][1]
    primary = primary_id(first)
    severities: dict[str, Severity] = {}
    for item, finding in found:
        scanner = item.tool or item.format
        if finding.severity.rank >= severities.get(scanner, Severity.UNKNOWN).rank:
            severities[scanner] = finding.severity
    aliases = sorted({a for _, f in found for a in (f.id, *f.aliases)} - {primary})
    fixed = sorted({v for _, f in found for v in f.fixed_versions})
    cvss = tuple({(c.source, c.version, c.vector, c.score): c for _, f in found for c in f.cvss}.values())
    return VulnerabilityRecord(
        id=primary,
        aliases=tuple(aliases),
        package=first.package,
        installed_version=first.installed_version,
        purl=next((f.purl for _, f in found if f.purl), None),
        fixed_versions=tuple(fixed),
        severity=max(severities.values(), key=lambda s: s.rank),
        severities=dict(sorted(severities.items())),
        cvss=cvss,
        title=next((f.title for _, f in found if f.title), None),
        scanners=tuple(sorted(severities)),
        evidence=tuple(sorted({ref(i, f.location) for i, f in found}, key=lambda r: (r.path, r.location or ""))),
    )


def _names(record: VulnerabilityRecord) -> set[str]:
    return {record.id, *record.aliases}


def _product_matches(product: str, record: VulnerabilityRecord, image_digest: str) -> bool:
    product = unquote(product)
    if image_digest in product:
        return True
    if record.purl:
        return _purl_base(product) == _purl_base(unquote(record.purl))
    return False


def _purl_base(purl: str) -> str:
    """A purl without qualifiers or subpath: `pkg:pypi/jinja2@3.1.2`."""
    return purl.split("?", 1)[0].split("#", 1)[0].lower()


def _apply_vex(
    record: VulnerabilityRecord, statements: list[tuple[Evidence, VexStatement]], image_digest: str
) -> VulnerabilityRecord:
    names = _names(record)
    relevant = [
        (item, s)
        for item, s in statements
        if ({s.vulnerability, *s.aliases} & names)
        and any(_product_matches(p, record, image_digest) for p in s.products)
    ]
    if not relevant:
        return record
    item, latest = max(relevant, key=lambda pair: pair[1].timestamp or _EPOCH)
    justified = latest.status != "not_affected" or bool(latest.justification or latest.impact_statement)
    if latest.status not in SUPPRESSING or not justified:
        return record  # affected, under investigation, or an unjustified not_affected: stays open
    return dataclasses.replace(
        record, state="suppressed", suppression=Suppression(statement=latest, evidence=ref(item, latest.location))
    )
