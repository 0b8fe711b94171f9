"""Vulnerability records: one per (vulnerability, package, version) across scanners, with their lifecycle.

The steps, in order:

1. Merge: the findings of every scan bound to the image are grouped by package and installed version, then by
   vulnerability. Findings that share a CVE id are one vulnerability; a finding without a CVE id (a GHSA, a
   distribution advisory) joins the vulnerability that shares one of its ids. A record's identity is the set of
   its ids; its `id` is the CVE id when it has one, else the GHSA id, else the first id.
2. The original risk rating, FedRAMP's: NVD's CVSSv3 base score, else NVD's CVSSv2, else the highest severity a
   scanner gave (`evaluate.rating`); the scanners' own severities are kept beside it. Disagreements between
   scanners: found by one scanner only, or rated differently.
3. VEX: statements apply by vulnerability id and product (the image digest, the package's purl, or both: an
   OpenVEX product that is the image with package subcomponents). The latest applicable statement decides.
   A justified `not_affected` suppresses when its source is trusted (a verified VEX attestation, or an author the
   identity policy lists); from anyone else it only proposes a false positive or a risk adjustment, and the
   record stays open until the deviations file approves one (FedRAMP: VEX is the evidence for a deviation
   request, not its approval). `fixed` suppresses; `affected`, `under_investigation` and an unjustified
   `not_affected` keep the record open, and an unjustified `not_affected` is flagged.
4. KEV, EPSS (from --kev and --epss, or as a scanner reported them), and base-image attribution.
5. Deviations (--deviations): an approved false positive suppresses; an expired or withdrawn one does not apply.
6. First detection (the earliest scan that reported it, carried forward from --previous), deadline, overdue.
   A record that is not open keeps its deadline, so a closure after it shows; only an open one is overdue.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, date, datetime
from urllib.parse import unquote

from evidence.evaluate.rating import rate
from evidence.lifecycle import LifecycleInputs, carry_forward
from evidence.lifecycle.attribution import BaseImage, attribute, base_image_of
from evidence.lifecycle.sla import SlaPolicy, deadline, end_of_day, is_overdue, vendor_deadline
from evidence.model import (
    Attribution,
    Binding,
    DetectionSource,
    Deviation,
    DeviationStatus,
    DeviationType,
    DueChange,
    Evidence,
    EvidenceKind,
    EvidenceRef,
    Severity,
    Suppression,
    Verification,
    VexStatement,
    VulnerabilityFinding,
    VulnerabilityRecord,
    VulnerabilityState,
)

SUPPRESSING = {"not_affected", "fixed"}
NOT_AFFECTED = "not_affected"
# VEX justifications that say the vulnerability is there but mitigated: a proposed risk adjustment, not a false
# positive (OpenVEX and CSAF `inline_mitigations_already_exist`; CycloneDX's `protected_*` analyses).
MITIGATED_JUSTIFICATIONS = frozenset(
    {
        "inline_mitigations_already_exist",
        "protected_by_compiler",
        "protected_at_runtime",
        "protected_at_perimeter",
        "protected_by_mitigating_control",
    }
)
IMAGE_PURL_TYPES = {"oci", "docker"}
VENDOR_CHECK_IN_DAYS = 30  # FedRAMP: check in with the vendor at least monthly
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Found = tuple[Evidence, VulnerabilityFinding]


def ref(item: Evidence, location: str | None = None) -> EvidenceRef:
    return EvidenceRef(evidence_id=item.id, path=item.path, sha256=item.sha256, location=location or None)


def scanner_of(item: Evidence) -> str:
    return item.tool or item.format


_USED = frozenset({Binding.MATCH, Binding.ASSERTED})  # asserted: the user stated the scan describes the image


def build_records(  # noqa: PLR0913 - keyword-only options of one assessment
    evidence: Iterable[Evidence],
    image_digest: str,
    *,
    now: datetime | None = None,
    sla: SlaPolicy | None = None,
    lifecycle: LifecycleInputs | None = None,
    vex_authors: Collection[str] = (),
) -> tuple[VulnerabilityRecord, ...]:
    """The image's vulnerability records; deadlines and deviations need `now`, carry-forward a previous package.
    `vex_authors` are the VEX authors the identity policy trusts."""
    items = [e for e in evidence if e.binding is not Binding.MISMATCH]
    scans = [e for e in items if e.serves_as(EvidenceKind.VULNERABILITY_SCAN) and e.binding in _USED]
    statements = [(e, s) for e in items for s in e.statements]
    inputs = lifecycle or LifecycleInputs()
    all_scanners = sorted({scanner_of(e) for e in scans})
    base = base_image_of(items)
    layers = _sbom_layers(items)
    records = []
    for found in _group(scans):
        record = _merge(found, all_scanners, base, layers)
        record = _apply_vex(record, statements, image_digest, frozenset(vex_authors))
        record = _enrich(record, inputs)
        if now is not None:
            record = _apply_deviations(record, inputs.deviations, now)
        records.append(record)
    if inputs.previous is not None and now is not None:
        records = list(carry_forward(records, inputs.previous, now=now))
    if now is not None:
        policy = sla or SlaPolicy()
        records = [_deadline(r, policy, now) for r in records]
    records.sort(
        key=lambda r: (
            r.state == VulnerabilityState.CLOSED,
            -r.severity.rank,
            r.id,
            r.package,
            r.installed_version or "",
        )
    )
    return tuple(records)


def primary_id(finding: VulnerabilityFinding) -> str:
    """The CVE id when the finding has one (scanners differ in whether they lead with GHSA or CVE)."""
    return _primary([finding.id, *finding.aliases])


def _primary(ids: Iterable[str]) -> str:
    names = list(dict.fromkeys(ids))
    for prefix in ("CVE-", "GHSA-"):
        chosen = sorted(n for n in names if n.upper().startswith(prefix))
        if chosen:
            return chosen[0]
    return names[0]


# --- 1. merge ------------------------------------------------------------------------------------


def _ids(finding: VulnerabilityFinding) -> set[str]:
    return {n.strip().upper() for n in (finding.id, *finding.aliases) if n.strip()}


def _cves(finding: VulnerabilityFinding) -> set[str]:
    return {n for n in _ids(finding) if n.startswith("CVE-")}


def _group(scans: Sequence[Evidence]) -> list[list[Found]]:
    by_package: dict[tuple[str, str], list[Found]] = defaultdict(list)
    for item in scans:
        for finding in item.vulnerabilities:
            by_package[finding.package.lower(), finding.installed_version or ""].append((item, finding))
    groups: list[list[Found]] = []
    for found in by_package.values():
        groups.extend(_by_vulnerability(found))
    return groups


def _by_vulnerability(found: list[Found]) -> list[list[Found]]:
    """Findings of one package version, grouped: a shared CVE id joins; other ids only attach CVE-less findings.

    A distribution advisory (a DLA, an RHSA) covers several CVEs, so sharing one must not merge them.
    """
    clusters: list[tuple[set[str], set[str], list[Found]]] = []  # (CVE ids, all ids, findings)
    for pair in sorted((p for p in found if _cves(p[1])), key=lambda p: sorted(_cves(p[1]))):
        cves = _cves(pair[1])
        joined = [c for c in clusters if c[0] & cves]
        if not joined:
            clusters.append((set(cves), _ids(pair[1]), [pair]))
            continue
        first = joined[0]
        for other in joined[1:]:
            first[0].update(other[0])
            first[1].update(other[1])
            first[2].extend(other[2])
            clusters.remove(other)
        first[0].update(cves)
        first[1].update(_ids(pair[1]))
        first[2].append(pair)
    for pair in (p for p in found if not _cves(p[1])):
        ids = _ids(pair[1])
        target = next((c for c in clusters if c[1] & ids), None)
        if target is None:
            clusters.append((set(), set(ids), [pair]))
        else:
            target[1].update(ids)
            target[2].append(pair)
    return [c[2] for c in clusters]


def _sbom_layers(items: Sequence[Evidence]) -> dict[tuple[str, str], str]:
    """(package name, version) -> the layer a bound SBOM found it in."""
    layers: dict[tuple[str, str], str] = {}
    for e in items:
        if e.kind is EvidenceKind.SBOM and e.binding is Binding.MATCH:
            for c in e.components:
                if c.layer:
                    layers.setdefault((c.name.lower(), c.version or ""), c.layer)
    return layers


def _purl_type(purl: str | None) -> str | None:
    parsed = parse_purl(purl) if purl else None
    return parsed[0] if parsed else None


def _merge(
    found: list[Found], all_scanners: list[str], base: BaseImage, layers: dict[tuple[str, str], str]
) -> VulnerabilityRecord:
    first = found[0][1]
    names = [n for _, f in found for n in (f.id, *f.aliases)]
    primary = _primary(names)
    severities: dict[str, Severity] = {}
    for item, finding in found:
        scanner = scanner_of(item)
        if finding.severity.rank >= severities.get(scanner, Severity.UNKNOWN).rank:
            severities[scanner] = finding.severity
    aliases = sorted(set(names) - {primary})
    fixed = sorted({v for _, f in found for v in f.fixed_versions})
    cvss = tuple({(c.source, c.version, c.vector, c.score): c for _, f in found for c in f.cvss}.values())
    purl = next((f.purl for _, f in found if f.purl), None)
    layer = next((f.layer for _, f in found if f.layer), None) or layers.get(
        (first.package.lower(), first.installed_version or "")
    )
    package_type = _purl_type(purl) or next((f.package_type for _, f in found if f.package_type), None)
    attribution, reason = attribute(layer, package_type, base)
    epss = [f for _, f in found if f.epss is not None]
    collected = [i.collected_at for i, _ in found if i.collected_at is not None]
    published = min((f.published for _, f in found if f.published is not None), default=None)
    scanner_severity = max(severities.values(), key=lambda s: s.rank)
    rating = rate(cvss, scanner_severity)
    return VulnerabilityRecord(
        id=primary,
        aliases=tuple(aliases),
        package=first.package,
        installed_version=first.installed_version,
        purl=purl,
        fixed_versions=tuple(fixed),
        severity=rating.severity,
        scanner_severity=scanner_severity,
        severities=dict(sorted(severities.items())),
        cvss=cvss,
        rating_source=rating.source,
        rating_cvss=rating.cvss,
        rating_computed=rating.computed,
        title=next((f.title for _, f in found if f.title), None),
        scanners=tuple(sorted(severities)),
        evidence=tuple(sorted({ref(i, f.location) for i, f in found}, key=lambda r: (r.path, r.location or ""))),
        kev=any(f.kev for _, f in found),
        epss=max((f.epss for f in epss if f.epss is not None), default=None),
        epss_percentile=max((f.epss_percentile for f in epss if f.epss_percentile is not None), default=None),
        attribution=attribution,
        attribution_reason=reason,
        first_detected=min(collected, default=None) or published,
        detection_source=DetectionSource.SCAN if collected else DetectionSource.PUBLISHED if published else None,
        published=published,
        disagreements=_disagreements(severities, all_scanners),
        cvss_problems=tuple(dict.fromkeys([*(p for _, f in found for p in f.cvss_problems), *rating.problems])),
    )


def _disagreements(severities: dict[str, Severity], all_scanners: list[str]) -> tuple[str, ...]:
    if len(all_scanners) < 2:
        return ()
    notes = []
    missing = [s for s in all_scanners if s not in severities]
    if missing:
        notes.append(f"reported by {', '.join(sorted(severities))} only, not by {', '.join(missing)}")
    if len(set(severities.values())) > 1:
        notes.append("severity differs: " + ", ".join(f"{s} {sev.value}" for s, sev in sorted(severities.items())))
    return tuple(notes)


# --- 3. VEX --------------------------------------------------------------------------------------


def parse_purl(text: str) -> tuple[str, str, str, str | None] | None:
    """(type, namespace, name, version) of a package URL, qualifiers and subpath left out; None if not a purl.

    Type, namespace and name are compared case-insensitively, and PyPI names with `_` and `-` alike.
    """
    body = text.strip()
    if not body.lower().startswith("pkg:"):
        return None
    body = body[4:].lstrip("/").split("#", 1)[0].split("?", 1)[0]
    version = None
    at = body.rfind("@")
    if at > body.rfind("/"):
        body, version = body[:at], unquote(body[at + 1 :]) or None
    parts = [unquote(p) for p in body.split("/") if p]
    if len(parts) < 2:
        return None
    kind, name = parts[0].lower(), parts[-1].lower()
    if kind == "pypi":
        name = name.replace("_", "-").replace(".", "-")
    return kind, "/".join(parts[1:-1]).lower(), name, version


def _names(record: VulnerabilityRecord) -> set[str]:
    return {n.upper() for n in (record.id, *record.aliases)}


def _is_image(product: str, parsed: tuple[str, str, str, str | None] | None) -> bool:
    return (parsed[0] in IMAGE_PURL_TYPES) if parsed else "sha256:" in product.lower()


def _package_matches(parsed: tuple[str, str, str, str | None], record: VulnerabilityRecord) -> bool:
    mine = parse_purl(record.purl) if record.purl else None
    if mine is None:
        same_package = parsed[2] == record.package.lower()
        return same_package and parsed[3] in (None, record.installed_version)
    return parsed[:3] == mine[:3] and parsed[3] in (None, mine[3])


def applies(statement: VexStatement, record: VulnerabilityRecord, image_digest: str) -> bool:
    """Whether the statement is about this record: its vulnerability, and its image and/or package.

    Products that are images must include the assessed digest; products that are packages (an OpenVEX
    product's subcomponents among them) must include the record's package, compared on purl type,
    namespace, name and version (any version when the product names none).
    """
    if not ({n.upper() for n in (statement.vulnerability, *statement.aliases)} & _names(record)):
        return False
    image_hit: bool | None = None
    package_hit: bool | None = None
    for product in statement.products:
        text = unquote(product)
        parsed = parse_purl(product)
        if _is_image(text, parsed):
            image_hit = image_hit or image_digest.lower() in text.lower()
        elif parsed is not None:
            package_hit = package_hit or _package_matches(parsed, record)
    if image_hit is None and package_hit is None:
        return False
    return image_hit is not False and package_hit is not False


def vex_trusted_by(item: Evidence, statement: VexStatement, authors: Collection[str]) -> str | None:
    """Why a VEX statement is trusted: its attestation's signature verified against a trust anchor (a key or an
    identity the user named), or its author is one the identity policy lists, exactly; None when neither."""
    signature = item.signature
    if signature is not None and signature.status is Verification.VERIFIED and signature.asserted_by is None:
        if signature.identity:
            issuer = f" (issuer {signature.issuer})" if signature.issuer else ""
            return f"verified signer {signature.identity}{issuer}"
        if signature.key_id:
            return f"verified signer key {signature.key_id}"
    if statement.author is not None and statement.author in authors:
        return f"policy author {statement.author}"
    return None


def proposed_deviation(statement: VexStatement) -> DeviationType:
    """The deviation an untrusted `not_affected` asks for: a risk adjustment when its justification is a
    mitigation, else a false positive (the component or its vulnerable code is not there, or cannot be reached)."""
    if statement.justification in MITIGATED_JUSTIFICATIONS:
        return DeviationType.RISK_ADJUSTMENT
    return DeviationType.FALSE_POSITIVE


def _apply_vex(
    record: VulnerabilityRecord,
    statements: list[tuple[Evidence, VexStatement]],
    image_digest: str,
    authors: Collection[str],
) -> VulnerabilityRecord:
    relevant = [(item, s) for item, s in statements if applies(s, record, image_digest)]
    if not relevant:
        return record
    item, latest = max(relevant, key=lambda pair: pair[1].timestamp or _EPOCH)
    trusted_by = vex_trusted_by(item, latest, authors)
    applied = Suppression(statement=latest, evidence=ref(item, latest.location), trusted_by=trusted_by)
    unjustified = latest.status == NOT_AFFECTED and not (latest.justification or latest.impact_statement)
    if latest.status not in SUPPRESSING or unjustified:
        return dataclasses.replace(record, vex=applied, vex_unjustified=unjustified)
    if latest.status == NOT_AFFECTED and trusted_by is None:
        return dataclasses.replace(record, vex=applied, vex_proposal=proposed_deviation(latest))
    return dataclasses.replace(record, state=VulnerabilityState.SUPPRESSED, suppression=applied, vex=applied)


# --- 4. KEV, EPSS --------------------------------------------------------------------------------


def _enrich(record: VulnerabilityRecord, inputs: LifecycleInputs) -> VulnerabilityRecord:
    names = _names(record)
    if inputs.kev is not None and (entry := inputs.kev.get(names)) is not None:
        record = dataclasses.replace(record, kev=True, kev_due=entry.due_date)
    if inputs.epss is not None and (score := inputs.epss.get(sorted(names))) is not None:
        record = dataclasses.replace(record, epss=score.epss, epss_percentile=score.percentile)
    return record


# --- 5. deviations -------------------------------------------------------------------------------


def _deviation_matches(deviation: Deviation, record: VulnerabilityRecord) -> bool:
    if deviation.vulnerability.strip().upper() not in _names(record):
        return False
    return deviation.package is None or deviation.package.strip().lower() == record.package.lower()


def _apply_deviations(
    record: VulnerabilityRecord, deviations: Sequence[Deviation], now: datetime
) -> VulnerabilityRecord:
    today = _utc(now).date()
    flags: list[str] = []
    applied: Deviation | None = None
    for d in (d for d in deviations if _deviation_matches(d, record)):
        if d.status == DeviationStatus.WITHDRAWN:
            flags.append(f"{d.id} ({d.type}) is withdrawn: not applied")
        elif d.expires is not None and d.expires < today:
            flags.append(f"{d.id} ({d.type}) expired on {d.expires.isoformat()}: not applied")
        elif d.type == DeviationType.OPERATIONAL_REQUIREMENT and _rated_high(record):
            flags.append(
                f"{d.id} (operational-requirement) refused: FedRAMP does not approve an operational requirement "
                f"for a {original_rating(record).value} vulnerability (mitigate it instead): not applied"
            )
        elif applied is not None:
            flags.append(f"{d.id} ({d.type}) not applied: {applied.id} already applies")
        else:
            applied = d
    if applied is None:
        flags += _proposal_flags(record)
        return dataclasses.replace(record, deviation_flags=tuple(flags)) if flags else record
    flags += _deviation_flags(applied, today)
    flags += _proposal_flags(dataclasses.replace(record, deviation=applied))
    state = record.state
    approved = applied.status == DeviationStatus.APPROVED
    if applied.type == DeviationType.FALSE_POSITIVE and approved and state == VulnerabilityState.OPEN:
        state = VulnerabilityState.SUPPRESSED
    return dataclasses.replace(record, deviation=applied, deviation_flags=tuple(flags), state=state)


def vex_proposal_pending(record: VulnerabilityRecord) -> bool:
    """An untrusted VEX `not_affected` proposes a deviation that no false positive or risk adjustment in the
    deviations file answers yet."""
    settled = record.deviation is not None and record.deviation.type in _SETTLES_PROPOSAL
    return record.vex_proposal is not None and not settled


_SETTLES_PROPOSAL = frozenset({DeviationType.FALSE_POSITIVE, DeviationType.RISK_ADJUSTMENT})


def _proposal_flags(record: VulnerabilityRecord) -> list[str]:
    if not vex_proposal_pending(record) or record.vex is None:
        return []
    author = record.vex.statement.author or "an unnamed author"
    return [
        (
            f"VEX not_affected by {author}, neither a verified attestation nor an author the identity policy "
            f"lists: a proposed {record.vex_proposal}, pending approval in the deviations file"
        )
    ]


def _deviation_flags(applied: Deviation, today: date) -> list[str]:
    flags = []
    if applied.status == DeviationStatus.PENDING:
        flags.append(f"{applied.id} ({applied.type}) is pending approval")
    if applied.type == DeviationType.VENDOR_DEPENDENCY:
        check_in = applied.last_vendor_check_in
        if check_in is None or (today - check_in).days > VENDOR_CHECK_IN_DAYS:
            when = f"last on {check_in.isoformat()}" if check_in else "none recorded"
            flags.append(f"{applied.id}: vendor check-in older than {VENDOR_CHECK_IN_DAYS} days ({when})")
    return flags


# --- 6. deadlines --------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def original_rating(record: VulnerabilityRecord) -> Severity:
    """The record's original risk rating, which decides whether FedRAMP can approve an operational requirement."""
    return record.severity


def _rated_high(record: VulnerabilityRecord) -> bool:
    """High or critical; an unrated finding counts as high, as for its deadline."""
    rating = original_rating(record)
    return rating is Severity.UNKNOWN or rating.rank >= Severity.HIGH.rank


def effective_severity(record: VulnerabilityRecord) -> Severity:
    """The severity the deadline follows: an approved risk adjustment's, else the original risk rating."""
    d = record.deviation
    if d and d.type == DeviationType.RISK_ADJUSTMENT and d.status == DeviationStatus.APPROVED and d.adjusted_severity:
        return d.adjusted_severity
    return record.severity


def _deadline(record: VulnerabilityRecord, policy: SlaPolicy, now: datetime) -> VulnerabilityRecord:
    if record.state == VulnerabilityState.CLOSED:
        return record
    first = _utc(record.first_detected or now)
    source = record.detection_source if record.first_detected else DetectionSource.ASSESSED
    result = deadline(first, effective_severity(record), policy, record.kev_due)
    due = result.due
    d = record.deviation
    if d and d.type == DeviationType.OPERATIONAL_REQUIREMENT and d.status == DeviationStatus.APPROVED and d.expires:
        due = end_of_day(d.expires)  # an accepted risk is due for re-assessment when its approval expires
    vendor_due = vendor_deadline(first, policy) if record.attribution is Attribution.BASE_IMAGE else None
    overdue = record.state == VulnerabilityState.OPEN and is_overdue(due, _utc(now))
    return dataclasses.replace(
        record,
        first_detected=first,
        detection_source=source,
        due=due,
        sla_days=result.sla_days,
        overdue=overdue,
        vendor_due=vendor_due,
        due_changes=_due_changes(record, first, policy, _utc(now).date()),
    )


def _due_changes(record: VulnerabilityRecord, first: datetime, policy: SlaPolicy, today: date) -> tuple[DueChange, ...]:
    """How the deadline moved from the profile's date for the original rating, one step per reason, in the order
    `_deadline` applies them: an approved risk adjustment, the KEV due date, an operational requirement's expiry."""
    changes: list[DueChange] = []
    current = _day(deadline(first, original_rating(record), policy).due)

    def moved(on: date, to: datetime | None, reason: str) -> None:
        nonlocal current
        if _day(to) != current:
            changes.append(DueChange(on=on, old=current, new=_day(to), reason=reason))
            current = _day(to)

    d = record.deviation
    adjusted = effective_severity(record)
    if d is not None and adjusted is not original_rating(record):
        why = f"risk adjustment {d.id} was approved by {d.approver}, rating it {adjusted.value}"
        moved(d.approved or today, deadline(first, adjusted, policy).due, why)
    if record.kev_due is not None:
        kev = deadline(first, adjusted, policy, record.kev_due)
        moved(today, kev.due, f"it is in CISA's KEV catalog, due {record.kev_due.isoformat()} (BOD 22-01)")
    if d and d.type == DeviationType.OPERATIONAL_REQUIREMENT and d.status == DeviationStatus.APPROVED and d.expires:
        why = f"operational requirement {d.id} was approved by {d.approver} until {d.expires.isoformat()}"
        moved(d.approved or today, end_of_day(d.expires), why + ", when it is re-assessed")
    return tuple(changes)


def _day(moment: datetime | None) -> date | None:
    return _utc(moment).date() if moment is not None else None


__all__ = [
    "SUPPRESSING",
    "applies",
    "build_records",
    "effective_severity",
    "original_rating",
    "parse_purl",
    "primary_id",
    "proposed_deviation",
    "ref",
    "vex_proposal_pending",
    "vex_trusted_by",
]
