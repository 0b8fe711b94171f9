"""Issue 15: VEX needs an approval path, and deviations as FedRAMP handles them.

A VEX `not_affected` suppresses only from a source the user trusts (a verified VEX attestation, an author the
identity policy lists); from anyone else it proposes a false positive or a risk adjustment, pending until the
deviations file approves one. An operational requirement on a high or critical finding is refused. Due-date moves
are Milestone Changes. Vendor Dependency follows from a fix nobody has released. The point of contact and resources
fill their columns. The KEV, EPSS and deviations files are copied into the package, hashed and cited.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import orjson
import pytest
from conftest import NOW, SAMPLE_KEY, SAMPLES, collect_verify_bind, poam_rows, sample_image, sample_package_args
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from evidence.cli import main
from evidence.evaluate.poam import poam_items
from evidence.evaluate.vulnerabilities import build_records
from evidence.lifecycle import LifecycleInputs
from evidence.lifecycle.deviations import parse_deviations
from evidence.model import (
    DeviationAnswer,
    DeviationType,
    Evidence,
    EvidenceKind,
    LifecycleInputKind,
    RiskStatus,
    VexStatement,
    VulnerabilityRecord,
    VulnerabilityState,
)
from evidence.render.canonical import load_package
from evidence.verify.dsse import pae
from evidence.verify.interface import VerificationContext, VerificationInputError
from evidence.verify.policy import load_policy

RELEASE = "1.4.0"
FOLDER = SAMPLES / f"webapp-{RELEASE}"
SAMPLE_DIGEST = sample_image(RELEASE).split("@", 1)[1]
VEX_AUTHOR = "Example Org Product Security <psirt@example.com>"  # the sample openvex.json's author
ZLIB = "CVE-2023-45853"  # critical, zlib1g; the sample VEX says not_affected (vulnerable_code_not_present)
H11 = "CVE-2025-43859"  # critical, h11, fixed in 0.16.0
URLLIB3 = "CVE-2025-50181"  # medium, urllib3, fixed in 2.5.0

POAM_HEADERS_USED = ("POAM ID", "Point of Contact", "Resources Required", "Milestone Changes", "Vendor Dependency")


def sample_evidence() -> list[Evidence]:
    return list(collect_verify_bind([FOLDER], image_digest=SAMPLE_DIGEST).items)


def records(deviations: str | None = None, **kwargs: Any) -> dict[str, VulnerabilityRecord]:
    lifecycle = LifecycleInputs(deviations=parse_deviations(deviations, "deviations.yaml") if deviations else ())
    built = build_records(sample_evidence(), SAMPLE_DIGEST, now=NOW, lifecycle=lifecycle, **kwargs)
    return {r.id: r for r in built}


# --- VEX: trusted, proposed, approved -------------------------------------------------------------


def test_the_teams_unsigned_vex_proposes_and_the_deviations_file_decides() -> None:
    zlib = records()[ZLIB]
    assert zlib.state is VulnerabilityState.OPEN
    assert zlib.vex_proposal is DeviationType.FALSE_POSITIVE
    assert zlib.vex is not None
    assert zlib.vex.trusted_by is None
    assert zlib.due is not None  # the clock keeps running
    assert any("a proposed false-positive, pending approval" in f for f in zlib.deviation_flags)

    approved = f"""\
deviations:
  - id: DR-9
    type: false-positive
    vulnerability: {ZLIB}
    justification: MiniZip is not built into zlib1g (see the VEX statement).
    approver: Jane Roe (AO)
    approved: 2026-11-19
"""
    zlib = records(approved)[ZLIB]
    assert zlib.state is VulnerabilityState.SUPPRESSED
    assert zlib.deviation is not None
    assert zlib.deviation.id == "DR-9"
    assert zlib.vex_proposal is DeviationType.FALSE_POSITIVE  # what the VEX asked for stays recorded
    assert not any("VEX" in f for f in zlib.deviation_flags)
    (item,) = poam_items((zlib,), NOW)
    assert (item.is_open, item.false_positive) == (False, DeviationAnswer.YES)

    pending = approved.replace("    approver: Jane Roe (AO)\n    approved: 2026-11-19\n", "    status: pending\n")
    zlib = records(pending)[ZLIB]
    assert zlib.state is VulnerabilityState.OPEN
    (item,) = poam_items((zlib,), NOW)
    assert (item.false_positive, item.risk_status) == (DeviationAnswer.PENDING, RiskStatus.DEVIATION_REQUESTED)
    assert zlib.deviation_flags == ("DR-9 (false-positive) is pending approval",)


def test_a_policy_author_is_trusted_exactly() -> None:
    zlib = records(vex_authors=(VEX_AUTHOR,))[ZLIB]
    assert zlib.state is VulnerabilityState.SUPPRESSED
    assert zlib.suppression is not None
    assert zlib.suppression.trusted_by == f"policy author {VEX_AUTHOR}"
    assert zlib.vex_proposal is None
    # another spelling of the author is another author
    assert records(vex_authors=("Example Org Product Security",))[ZLIB].state is VulnerabilityState.OPEN


@pytest.mark.parametrize(
    ("justification", "proposal", "column"),
    [
        ("inline_mitigations_already_exist", DeviationType.RISK_ADJUSTMENT, "risk_adjustment"),
        ("protected_at_perimeter", DeviationType.RISK_ADJUSTMENT, "risk_adjustment"),
        ("component_not_present", DeviationType.FALSE_POSITIVE, "false_positive"),
        ("vulnerable_code_cannot_be_controlled_by_adversary", DeviationType.FALSE_POSITIVE, "false_positive"),
    ],
)
def test_the_justification_decides_what_is_proposed(justification: str, proposal: DeviationType, column: str) -> None:
    evidence = sample_evidence()
    vex = next(e for e in evidence if e.kind is EvidenceKind.VEX)
    statement = next(s for s in vex.statements if s.vulnerability == H11)
    changed = VexStatement(
        vulnerability=H11,
        products=statement.products,
        status="not_affected",
        justification=justification,
        author="someone",
        timestamp=statement.timestamp,
    )
    vex = dataclasses.replace(vex, statements=(changed,))
    others = [e for e in evidence if e.kind is not EvidenceKind.VEX]
    (h11,) = [r for r in build_records([*others, vex], SAMPLE_DIGEST, now=NOW) if r.id == H11]
    assert (h11.state, h11.vex_proposal) == (VulnerabilityState.OPEN, proposal)
    (item,) = poam_items((h11,), NOW)
    assert getattr(item, column) is DeviationAnswer.PENDING
    other = "false_positive" if column == "risk_adjustment" else "risk_adjustment"
    assert getattr(item, other) is DeviationAnswer.NO


def _signed_vex_attestation(key: ec.EllipticCurvePrivateKey) -> bytes:
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.example.com/webapp", "digest": {"sha256": SAMPLE_DIGEST[7:]}}],
        "predicateType": "https://openvex.dev/ns/v0.2.0",
        "predicate": orjson.loads((FOLDER / "openvex.json").read_bytes()),
    }
    payload = json.dumps(statement).encode()
    payload_type = "application/vnd.in-toto+json"
    signature = key.sign(pae(payload_type, payload), ec.ECDSA(hashes.SHA256()))
    envelope = {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": "", "sig": base64.b64encode(signature).decode()}],
    }
    return json.dumps(envelope).encode()


def test_a_verified_vex_attestation_is_trusted_and_an_unverified_one_is_not(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    evidence = tmp_path / "evidence"
    shutil.copytree(FOLDER, evidence)
    (evidence / "openvex.json").unlink()
    (evidence / "vex.intoto.json").write_bytes(_signed_vex_attestation(key))
    vex_key = tmp_path / "vex-signer.pub"
    vex_key.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    common = ["package", str(evidence), "--image", sample_image(RELEASE), "--release", RELEASE]
    common += ["--timestamp", "2026-11-20T12:00:00Z", "--key", str(SAMPLE_KEY), "--quiet"]
    assert main([*common, "--key", str(vex_key), "--out", str(tmp_path / "trusted")]) in (0, 1)
    pkg = load_package(tmp_path / "trusted" / "audit.json")
    (vex,) = [e for e in pkg.evidence if e.kind is EvidenceKind.VEX]
    assert (vex.format, vex.predicate_type) == ("OpenVEX", "https://openvex.dev/ns/v0.2.0")
    zlib = next(r for r in pkg.vulnerabilities if r.id == ZLIB)
    assert zlib.state is VulnerabilityState.SUPPRESSED
    assert zlib.suppression is not None
    assert vex.signature is not None
    assert zlib.suppression.trusted_by == f"verified signer key {vex.signature.key_id}"
    assert zlib.suppression.evidence.location == "/payload/predicate/statements/1"

    # the same attestation, its signer not a trust anchor: not verified, so only a proposal
    assert main([*common, "--out", str(tmp_path / "untrusted")]) in (0, 1)
    pkg = load_package(tmp_path / "untrusted" / "audit.json")
    zlib = next(r for r in pkg.vulnerabilities if r.id == ZLIB)
    assert (zlib.state, zlib.vex_proposal) == (VulnerabilityState.OPEN, DeviationType.FALSE_POSITIVE)


# --- deviations as FedRAMP handles them ---------------------------------------------------------------


def test_an_operational_requirement_on_a_high_or_critical_finding_is_refused() -> None:
    text = f"""\
deviations:
  - id: OR-1
    type: operational-requirement
    vulnerability: {H11}
    justification: httpx needs h11 0.14.
    approver: Jane Roe (AO)
    approved: 2026-11-10
    expires: 2027-03-01
  - id: OR-2
    type: operational-requirement
    vulnerability: {URLLIB3}
    justification: the vendor SDK pins urllib3 2.2.
    approver: Jane Roe (AO)
    approved: 2026-11-10
    expires: 2027-03-01
"""
    found = records(text)
    h11 = found[H11]
    assert h11.deviation is None  # refused, not applied
    refused = (
        "OR-1 (operational-requirement) refused: FedRAMP does not approve an operational requirement for a critical "
        "vulnerability (mitigate it instead): not applied"
    )
    assert h11.deviation_flags == (refused,)
    assert h11.due is not None
    assert h11.due.date() == date(2026, 12, 19)  # the SLA date stands
    assert h11.due_changes == ()
    urllib3 = found[URLLIB3]
    assert urllib3.deviation is not None
    assert urllib3.deviation.id == "OR-2"
    assert urllib3.due is not None
    assert urllib3.due.date() == date(2027, 3, 1)
    (change,) = urllib3.due_changes
    assert change.text == (
        "2026-11-10: due date moved from 2027-02-17 to 2027-03-01 because operational requirement OR-2 was "
        "approved by Jane Roe (AO) until 2027-03-01, when it is re-assessed"
    )
    (item,) = poam_items((urllib3,), NOW)
    assert item.milestone_changes == (change,)
    assert item.operational_requirement is DeviationAnswer.YES


def test_a_risk_adjustment_moves_the_due_date_and_says_so() -> None:
    text = f"""\
deviations:
  - id: RA-1
    type: risk-adjustment
    vulnerability: {URLLIB3}
    adjusted_severity: low
    justification: one internal host; redirects are off.
    approver: Jane Roe (AO)
    approved: 2026-11-12
"""
    (change,) = records(text)[URLLIB3].due_changes
    assert (change.on, change.old, change.new) == (date(2026, 11, 12), date(2027, 2, 17), date(2027, 5, 18))
    assert "risk adjustment RA-1 was approved by Jane Roe (AO), rating it low" in change.reason


def test_vendor_dependency_when_no_scanner_knows_a_fix() -> None:
    items = {i.vulnerability: i for i in poam_items(tuple(records().values()), NOW)}
    assert all(
        (i.vendor_dependency is DeviationAnswer.YES) == (not i.fixed_versions) for i in items.values() if i.is_open
    )
    zlib = items[ZLIB]
    assert (zlib.vendor_dependency, zlib.vendor_product) == (DeviationAnswer.YES, "zlib1g 1:1.2.13.dfsg-1")
    assert (items[H11].vendor_dependency, items[H11].vendor_product) == (DeviationAnswer.NO, None)


# --- the package: point of contact, resources, lifecycle files copied and cited -----------------------------

KEV = {
    "title": "CISA Catalog of Known Exploited Vulnerabilities",
    "catalogVersion": "2026.11.18",
    "dateReleased": "2026-11-18T15:01:22.4013Z",
    "count": 1,
    "vulnerabilities": [
        {
            "cveID": H11,
            "vendorProject": "python-hyper",
            "product": "h11",
            "vulnerabilityName": "h11 Request Smuggling Vulnerability",
            "dateAdded": "2026-11-10",
            "requiredAction": "Apply mitigations per vendor instructions.",
            "dueDate": "2026-12-01",
            "knownRansomwareCampaignUse": "Unknown",
        }
    ],
}
EPSS = f"#model_version:v2025.03.14,score_date:2026-11-19T00:00:00Z\ncve,epss,percentile\n{H11},0.00312,0.54211\n"
DEVIATIONS = f"""\
deviations:
  - id: DR-1
    type: risk-adjustment
    vulnerability: {URLLIB3}
    adjusted_severity: low
    justification: urllib3 only calls one internal host; redirects are disabled.
    approver: Jane Roe (AO)
    approved: 2026-11-12
    point_of_contact: Sam Poe <sam@example.com>
    resources_required: Two days of platform team time.
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lifecycle")
    (folder / "kev.json").write_bytes(orjson.dumps(KEV))
    (folder / "epss.csv").write_text(EPSS, encoding="utf-8")
    (folder / "deviations.yml").write_text(DEVIATIONS, encoding="utf-8")
    out = folder / "package"
    args = sample_package_args(RELEASE, out, "--quiet", "--poc", "Pat Doe <pat@example.com>")
    args += ["--kev", str(folder / "kev.json"), "--epss", str(folder / "epss.csv")]
    args += ["--deviations", str(folder / "deviations.yml")]
    assert main(args) in (0, 1)
    return out


def test_lifecycle_files_are_copied_hashed_and_recorded(built: Path) -> None:
    pkg = load_package(built / "audit.json")
    sources = {s.kind: s for s in pkg.lifecycle_inputs}
    assert set(sources) == set(LifecycleInputKind)
    kev = sources[LifecycleInputKind.KEV]
    assert (kev.stored_as, kev.version, kev.released) == (
        "lifecycle/kev.json",
        "2026.11.18",
        "2026-11-18T15:01:22.401300+00:00",
    )
    epss = sources[LifecycleInputKind.EPSS]
    assert (epss.stored_as, epss.version, epss.released) == (
        "lifecycle/epss.csv",
        "v2025.03.14",
        "2026-11-19T00:00:00Z",
    )
    assert sources[LifecycleInputKind.DEVIATIONS].stored_as == "lifecycle/deviations.yaml"
    manifest = {f["path"]: f["sha256"] for f in orjson.loads((built / "manifest.json").read_bytes())["files"]}
    for source in sources.values():
        data = (built / source.stored_as).read_bytes()
        assert hashlib.sha256(data).hexdigest() == source.sha256 == manifest[source.stored_as]
        assert data == Path(source.path).read_bytes()


def _rows(built: Path, sheet: str) -> dict[str, dict[str, Any]]:
    ws = openpyxl.load_workbook(io.BytesIO((built / "poam.xlsx").read_bytes()))[sheet]
    return {r["POAM ID"]: r for r in poam_rows(ws)}


def test_the_poam_workbook_cites_points_of_contact_resources_and_milestone_changes(built: Path) -> None:
    pkg = load_package(built / "audit.json")
    kev = next(s for s in pkg.lifecycle_inputs if s.kind is LifecycleInputKind.KEV)
    rows = _rows(built, "Open POA&M Items")
    h11 = rows[f"V-{H11}"]
    assert h11["Binding Operational Directive 22-01 tracking"] == "Yes"
    assert "BOD 22-01: listed in the CISA KEV catalog 2026.11.18 (released " in h11["Comments"]
    assert f"lifecycle/kev.json, sha256 {kev.sha256})" in h11["Comments"]
    assert "EPSS 0.00312, percentile 0.542, from the FIRST EPSS scores v2025.03.14" in h11["Comments"]
    assert h11["Milestone Changes"] == (
        "(1) 2026-11-20: due date moved from 2026-12-19 to 2026-12-01 because it is in CISA's KEV catalog, due "
        "2026-12-01 (BOD 22-01)"
    )
    assert h11["Point of Contact"] == "Pat Doe <pat@example.com>"  # --poc
    assert h11["Resources Required"] is None
    urllib3 = rows[f"V-{URLLIB3}"]
    assert urllib3["Point of Contact"] == "Sam Poe <sam@example.com>"  # the deviation's, over --poc
    assert urllib3["Resources Required"] == "Two days of platform team time."
    assert urllib3["Milestone Changes"].startswith("(1) 2026-11-12: due date moved from 2027-02-17 to 2027-05-18")
    assert "lifecycle/deviations.yaml" in urllib3["Supporting Documents"]
    zlib = rows[f"V-{ZLIB}"]
    assert (zlib["Vendor Dependency"], zlib["Vendor Dependent Product Name"]) == ("Yes", "zlib1g 1:1.2.13.dfsg-1")


def test_oscal_poam_names_the_contact_and_cites_the_lifecycle_files(built: Path) -> None:
    poam = orjson.loads((built / "oscal" / "poam.json").read_bytes())["plan-of-action-and-milestones"]
    metadata = poam["metadata"]
    parties = {p["name"]: p for p in metadata["parties"]}
    # --poc is the metadata's point of contact, a person with an email; a deviation's own contact is named as given
    assert set(parties) == {"Pat Doe", "Sam Poe \\<sam@example.com\\>"}
    assert parties["Pat Doe"]["email-addresses"] == ["pat@example.com"]
    (responsible,) = metadata["responsible-parties"]
    assert responsible["party-uuids"] == [parties["Pat Doe"]["uuid"]]
    assert responsible["role-id"] in {r["id"] for r in metadata["roles"]}
    resources = {r["uuid"]: r for r in poam["back-matter"]["resources"]}
    kev = next(r for r in resources.values() if r["title"] == "CISA KEV catalog 2026.11.18")
    (rlink,) = kev["rlinks"]
    assert rlink["href"] == "../lifecycle/kev.json"
    assert rlink["hashes"][0]["value"] == hashlib.sha256((built / "lifecycle" / "kev.json").read_bytes()).hexdigest()
    risks = {r["title"].split(" ")[0]: r for r in poam["risks"]}
    h11 = risks[H11]
    assert any(link["href"] == f"#{kev['uuid']}" for link in h11["links"])
    assert any(e["title"].startswith("Milestone change") for e in h11["risk-log"]["entries"])
    urllib3 = risks[URLLIB3]
    planned = urllib3["remediations"][0]
    assert planned["required-assets"][0]["description"] == "Two days of platform team time."
    (task,) = planned["tasks"]
    assert task["responsible-roles"][0]["party-uuids"] == [parties["Sam Poe \\<sam@example.com\\>"]["uuid"]]
    zlib = risks[ZLIB]
    assert {p["name"]: p["value"] for p in zlib["props"] if p.get("ns") == "https://fedramp.gov/ns/oscal"} == {
        "impacted-control-id": "si-2",
        "false-positive": "pending",
        "vendor-dependency": "tracking",
    }


# --- the identity policy's vex_authors ----------------------------------------------------------------------


def test_the_policy_lists_vex_authors_per_image(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\nrules:\n"
        "  - vex_authors: [Distro Security Team]\n"
        "  - images: [registry.example.com/webapp]\n"
        f"    vex_authors: [{orjson.dumps(VEX_AUTHOR).decode()}, Distro Security Team]\n"
        "  - images: [registry.example.com/other]\n    vex_authors: [Someone Else]\n",
        encoding="utf-8",
    )
    loaded = load_policy(policy)
    assert loaded.for_image("registry.example.com/webapp:1.4.0").vex_authors == ("Distro Security Team", VEX_AUTHOR)
    context = VerificationContext(policy=loaded, image="registry.example.com/webapp")
    assert context.trust_anchors.vex_authors == ("Distro Security Team", VEX_AUTHOR)
    policy.write_text("version: 1\nrules:\n  - vex_authors: ['  ']\n", encoding="utf-8")
    with pytest.raises(VerificationInputError, match=r"rules/0/vex_authors: .*a VEX author is a non-empty string"):
        load_policy(policy)


def test_the_report_names_the_lifecycle_files_and_the_vex_rule(built: Path) -> None:
    pkg = load_package(built / "audit.json")
    html = " ".join((built / "report.html").read_text(encoding="utf-8").split())
    for source in pkg.lifecycle_inputs:
        assert source.stored_as in html
        assert source.sha256 in html
    assert "A VEX <em>not affected</em> closes a finding only from a verified VEX attestation" in html
    assert "false positive proposed by VEX (pending)" in html  # zlib1g in the risk exposure table
