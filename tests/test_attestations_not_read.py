"""Attestations whose predicate Fromline does not read: recognized, verified, bound, and required by the identity
policy like any other; never taken for the evidence they are not (a vulnerability attestation without a result is
not a scan); shown in every output.

Signing keys are trust anchors given outside the evidence (the verification context, `--key`), never files among
the inputs.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import (
    CORPUS,
    NOW,
    SAMPLE_KEY,
    SAMPLE_TIMESTAMP,
    SAMPLES,
    SamplePackages,
    collect_verify_bind,
    sample_image,
)
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from evidence.catalog.schema import Parameters
from evidence.cli import main
from evidence.diff.compare import compare
from evidence.diff.render import code, render_markdown
from evidence.evaluate.checks import CHECKS
from evidence.evaluate.checks.base import Context
from evidence.evaluate.vulnerabilities import build_records
from evidence.model import Binding, Evidence, EvidenceKind, ImageRef, SignatureMethod, Status, Verification
from evidence.render.canonical import dumps, load_package
from evidence.render.xlsx import evidence_table
from evidence.verify.dsse import pae
from evidence.verify.interface import TrustRoot, VerificationContext
from evidence.verify.keys import load_key_file
from evidence.verify.policy import load_policy

COSIGN_GENERIC = "https://cosign.sigstore.dev/attestation/v1"
COSIGN_VULN = "https://cosign.sigstore.dev/attestation/vuln/v1"
COSIGN_BUNDLE = CORPUS / "signatures" / "cosign-oci-attestation-v0.3-dsse.sigstore.json"
VULN_ATTESTATION = CORPUS / "provenance" / "cosign-vuln-attestation.dsse.json"
GITHUB_OAUTH = "https://github.com/login/oauth"
DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32

pytestmark = pytest.mark.usefixtures("offline")


def statement(predicate_type: str, digest: str = DIGEST) -> dict[str, Any]:
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.example.com/webapp", "digest": {"sha256": digest.removeprefix("sha256:")}}],
        "predicateType": predicate_type,
        "predicate": {"Data": "release checklist passed", "Timestamp": "2026-11-19T08:00:00Z"},
    }


def signed_envelope(key: ec.EllipticCurvePrivateKey, body: dict[str, Any]) -> dict[str, Any]:
    payload = json.dumps(body).encode()
    payload_type = "application/vnd.in-toto+json"
    signature = key.sign(pae(payload_type, payload), ec.ECDSA(hashes.SHA256()))
    return {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": "", "sig": base64.b64encode(signature).decode()}],
    }


def write_public_key(key: ec.EllipticCurvePrivateKey, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    path.write_bytes(pem)
    return path


def context(*items: Evidence, required: tuple[str, ...] | None = None, digest: str = DIGEST) -> Context:
    return Context(
        image=ImageRef.parse(f"registry.example.com/webapp@{digest}"),
        now=NOW,
        params=Parameters(),
        evidence=items,
        vulnerabilities=build_records(items, digest),
        required_attestations=required,
    )


@pytest.fixture
def signer(tmp_path: Path) -> tuple[ec.EllipticCurvePrivateKey, Path]:
    """A signing key, and its public key in a folder that is not among the inputs (a trust anchor)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key, write_public_key(key, tmp_path / "anchors" / "release.pub")


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    return folder


def only_item(folder: Path, verification: VerificationContext | None, digest: str = DIGEST) -> Evidence:
    result = collect_verify_bind([folder], image_digest=digest, verification=verification)
    assert result.skipped == ()
    (item,) = result.items
    return item


# --- a DSSE envelope of cosign's generic predicate, signed with a key given as a trust anchor ---------------------


def test_signed_generic_attestation_verifies_with_the_anchor_key(
    inputs: Path, signer: tuple[ec.EllipticCurvePrivateKey, Path]
) -> None:
    key, public = signer
    (inputs / "checklist.intoto.json").write_text(json.dumps(signed_envelope(key, statement(COSIGN_GENERIC))))
    anchor = load_key_file(public)
    item = only_item(inputs, VerificationContext(keys=(anchor,)))
    assert (item.kind, item.predicate_type, item.subjects) == (EvidenceKind.ATTESTATION, COSIGN_GENERIC, (DIGEST,))
    assert (item.format, item.envelope, item.binding) == ("in-toto attestation", "DSSE envelope", Binding.MATCH)
    assert item.predicate_not_read is not None
    assert f"does not read predicate type {COSIGN_GENERIC}" in item.predicate_not_read
    assert item.signature is not None
    assert item.signature.method is SignatureMethod.DSSE
    assert item.signature.status is Verification.VERIFIED, item.signature.reason
    assert (item.signature.key_id, item.signature.signed_digest) == (anchor.key_id, DIGEST)


def test_tampered_generic_attestation_fails(inputs: Path, signer: tuple[ec.EllipticCurvePrivateKey, Path]) -> None:
    key, public = signer
    envelope = signed_envelope(key, statement(COSIGN_GENERIC))
    tampered = statement(COSIGN_GENERIC)
    tampered["predicate"]["Data"] = "release checklist skipped"
    envelope["payload"] = base64.b64encode(json.dumps(tampered).encode()).decode()
    (inputs / "checklist.intoto.json").write_text(json.dumps(envelope))
    item = only_item(inputs, VerificationContext(keys=(load_key_file(public),)))
    assert item.signature is not None
    assert item.signature.status is Verification.FAILED
    assert "does not verify" in item.signature.reason


def test_generic_attestation_without_an_anchor_is_unverifiable(
    inputs: Path, signer: tuple[ec.EllipticCurvePrivateKey, Path]
) -> None:
    key, _ = signer
    (inputs / "checklist.intoto.json").write_text(json.dumps(signed_envelope(key, statement(COSIGN_GENERIC))))
    item = only_item(inputs, VerificationContext())
    assert item.signature is not None
    assert item.signature.status is Verification.UNVERIFIABLE
    assert item.signature.reason == "no public key was supplied to verify the DSSE envelope signature"


# --- the identity policy's required attestation types --------------------------------------------------------------


def test_policy_requiring_the_predicate_type_uri_is_satisfied_only_by_a_verified_bound_attestation(
    inputs: Path, signer: tuple[ec.EllipticCurvePrivateKey, Path]
) -> None:
    key, public = signer
    anchor = VerificationContext(keys=(load_key_file(public),))
    (inputs / "checklist.intoto.json").write_text(json.dumps(signed_envelope(key, statement(COSIGN_GENERIC))))
    verified = only_item(inputs, anchor)
    unverifiable = only_item(inputs, VerificationContext())
    required = (COSIGN_GENERIC,)
    check = CHECKS["policy.required_attestations"]

    outcome = check(context(verified, required=required))
    assert outcome.status is Status.SATISFIED, outcome.reason
    assert [r.evidence_id for r in outcome.evidence] == [verified.id]
    assert COSIGN_GENERIC in outcome.reason
    assert "checklist.intoto.json" in outcome.reason  # the predicate not read is named, with why

    outcome = check(context(unverifiable, required=required))
    assert outcome.status is Status.NOT_SATISFIED
    assert f"{COSIGN_GENERIC}: 1 attestation(s) supplied, none verified" in outcome.reason

    (inputs / "checklist.intoto.json").write_text(json.dumps(signed_envelope(key, statement(COSIGN_GENERIC, OTHER))))
    elsewhere = only_item(inputs, anchor)
    assert elsewhere.binding is Binding.MISMATCH
    outcome = check(context(elsewhere, required=required))
    assert outcome.status is Status.NOT_SATISFIED
    assert f"{COSIGN_GENERIC}: no attestation of this type was supplied" in outcome.reason


def test_a_failing_generic_attestation_fails_the_signed_artifacts_check(
    inputs: Path, signer: tuple[ec.EllipticCurvePrivateKey, Path]
) -> None:
    key, _ = signer
    other = ec.generate_private_key(ec.SECP256R1())
    (inputs / "checklist.intoto.json").write_text(json.dumps(signed_envelope(key, statement(COSIGN_GENERIC))))
    wrong_anchor = load_key_file(write_public_key(other, inputs.parent / "anchors" / "other.pub"))
    item = only_item(inputs, VerificationContext(keys=(wrong_anchor,)))
    outcome = CHECKS["attestations.verified"](context(item))
    assert outcome.status is Status.NOT_SATISFIED
    assert "checklist.intoto.json" in outcome.reason


def _identity_policy(folder: Path, subject: str) -> VerificationContext:
    path = folder / "policy.yaml"
    rule = {"identities": [{"issuer": GITHUB_OAUTH, "subject": subject}], "attestations": [COSIGN_GENERIC]}
    path.write_text(yaml.safe_dump({"version": 1, "rules": [rule]}))
    return VerificationContext(trust_root=TrustRoot.PRODUCTION, policy=load_policy(path))


def test_corpus_cosign_bundle_of_the_generic_predicate_is_verified_and_satisfies_the_policy(tmp_path: Path) -> None:
    payload = json.loads(base64.b64decode(json.loads(COSIGN_BUNDLE.read_bytes())["dsseEnvelope"]["payload"]))
    assert payload["predicateType"] == COSIGN_GENERIC
    digest = "sha256:" + payload["subject"][0]["digest"]["sha256"]
    verification = _identity_policy(tmp_path, "cody@soyland.com")
    result = collect_verify_bind([COSIGN_BUNDLE], image_digest=digest, verification=verification)
    (item,) = result.items
    assert (item.kind, item.predicate_type, item.binding) == (EvidenceKind.ATTESTATION, COSIGN_GENERIC, Binding.MATCH)
    assert item.signature is not None
    assert item.signature.method is SignatureMethod.SIGSTORE_DSSE
    assert item.signature.status is Verification.VERIFIED, item.signature.reason
    assert (item.signature.identity, item.signature.issuer) == ("cody@soyland.com", GITHUB_OAUTH)
    policy = verification.rules
    assert policy is not None
    outcome = CHECKS["policy.required_attestations"](context(item, required=policy.attestations, digest=digest))
    assert outcome.status is Status.SATISFIED, outcome.reason

    stranger = _identity_policy(tmp_path, "someone@example.com")
    (item,) = collect_verify_bind([COSIGN_BUNDLE], image_digest=digest, verification=stranger).items
    assert item.signature is not None
    assert item.signature.status is Verification.FAILED
    outcome = CHECKS["policy.required_attestations"](context(item, required=(COSIGN_GENERIC,), digest=digest))
    assert outcome.status is Status.NOT_SATISFIED
    assert "none verified" in outcome.reason


# --- a vulnerability attestation without a result is never a scan --------------------------------------------------


def test_corpus_vulnerability_attestation_without_a_result_is_no_scan() -> None:
    payload = json.loads(base64.b64decode(json.loads(VULN_ATTESTATION.read_bytes())["payload"]))
    assert payload["predicate"]["scanner"]["result"] is None
    digest = "sha256:" + payload["subject"][0]["digest"]["sha256"]
    (item,) = collect_verify_bind([VULN_ATTESTATION], image_digest=digest).items
    assert (item.kind, item.predicate_type, item.binding) == (EvidenceKind.ATTESTATION, COSIGN_VULN, Binding.MATCH)
    ctx = context(item, digest=digest)
    assert ctx.vulnerabilities == ()
    for name in ("vulnscan.present", "vulnscan.fresh"):
        outcome = CHECKS[name](ctx)
        assert outcome.status is Status.EVIDENCE_MISSING, (name, outcome.reason)
        assert outcome.evidence == ()


def test_verified_vulnerability_attestation_without_a_result_meets_the_policy_type_and_says_it_is_no_scan(
    inputs: Path, signer: tuple[ec.EllipticCurvePrivateKey, Path]
) -> None:
    key, public = signer
    body = statement(COSIGN_VULN)
    body["predicate"] = {"scanner": {"uri": "pkg:github/aquasecurity/trivy", "version": "0.50.0", "result": None}}
    (inputs / "vuln.intoto.json").write_text(json.dumps(signed_envelope(key, body)))
    item = only_item(inputs, VerificationContext(keys=(load_key_file(public),)))
    assert item.kind is EvidenceKind.ATTESTATION
    assert item.signature is not None
    assert item.signature.status is Verification.VERIFIED
    outcome = CHECKS["policy.required_attestations"](context(item, required=("vulnerability-scan",)))
    assert outcome.status is Status.SATISFIED, outcome.reason
    assert "not counted as a scan" in outcome.reason
    assert CHECKS["vulnscan.present"](context(item)).status is Status.EVIDENCE_MISSING


# --- a sigstore bundle whose DSSE payload is not in-toto ------------------------------------------------------------


def _bundle_with_payload(payload_type: str, payload: bytes) -> bytes:
    bundle = json.loads(COSIGN_BUNDLE.read_bytes())
    bundle["dsseEnvelope"]["payloadType"] = payload_type
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(payload).decode()
    return json.dumps(bundle).encode()


def test_bundle_of_another_payload_type_is_skipped_and_says_its_signature_is_not_checked(tmp_path: Path) -> None:
    (tmp_path / "other.sigstore.json").write_bytes(_bundle_with_payload("application/vnd.example+json", b"{}"))
    result = collect_verify_bind([tmp_path], image_digest=DIGEST)
    assert result.items == ()
    (skipped,) = result.skipped
    assert "application/vnd.example+json payload, not an in-toto statement" in skipped.reason
    assert "its signature is not checked" in skipped.reason


def test_bundle_that_says_in_toto_and_holds_something_else_is_broken(tmp_path: Path) -> None:
    (tmp_path / "broken.sigstore.json").write_bytes(_bundle_with_payload("application/vnd.in-toto+json", b"[1]"))
    result = collect_verify_bind([tmp_path], image_digest=DIGEST, keep_going=True)
    (skipped,) = result.skipped
    assert skipped.category.value == "malformed"
    assert "should hold an in-toto statement" in skipped.reason


# --- every output: audit.json, report, workbook, OSCAL, inspect, diff -----------------------------------------------


@pytest.fixture
def attested_package(
    tmp_path: Path, signer: tuple[ec.EllipticCurvePrivateKey, Path]
) -> tuple[Path, Evidence, dict[str, Any]]:
    """The 1.4.0 sample with a signed attestation of cosign's generic predicate, assessed with the attestation's
    key and a policy that requires its predicate type."""
    key, public = signer
    folder = tmp_path / "webapp-1.4.0"  # the sample's own name, so the diff matches its files
    shutil.copytree(SAMPLES / "webapp-1.4.0", folder)
    image = sample_image("1.4.0")
    body = statement(COSIGN_GENERIC, image.split("@", 1)[1])
    (folder / "checklist.intoto.json").write_text(json.dumps(signed_envelope(key, body)))
    policy = tmp_path / "policy.yaml"
    rule = {"keys": [{"path": str(SAMPLE_KEY)}, {"path": str(public)}]}
    policy.write_text(yaml.safe_dump({"version": 1, "rules": [{**rule, "attestations": [COSIGN_GENERIC]}]}))
    out = tmp_path / "package"
    args = ["package", str(folder), "--image", image, "--release", "1.4.0", "--timestamp", SAMPLE_TIMESTAMP]
    assert main([*args, "--out", str(out), "--policy", str(policy), "--key", str(public), "--quiet"]) == 0
    pkg = load_package(out / "audit.json")
    (item,) = (e for e in pkg.evidence if e.kind is EvidenceKind.ATTESTATION)
    return out, item, {"image": image, "folder": folder, "public": public}


def test_package_records_verifies_and_uses_the_attestation(
    attested_package: tuple[Path, Evidence, dict[str, Any]],
) -> None:
    out, item, _ = attested_package
    assert (item.path, item.predicate_type) == ("webapp-1.4.0/checklist.intoto.json", COSIGN_GENERIC)
    assert item.signature is not None
    assert item.signature.status is Verification.VERIFIED, item.signature.reason
    assert item.predicate_not_read is not None
    pkg = load_package(out / "audit.json")
    assert dumps(pkg) == (out / "audit.json").read_bytes()  # the new kind and field read back losslessly
    checks = [c for control in pkg.controls for c in control.checks if c.check == "policy.required_attestations"]
    assert checks
    assert all(c.status is Status.SATISFIED for c in checks), [c.reason for c in checks]
    assert all(item.id in {r.evidence_id for r in c.evidence} for c in checks)


def test_report_workbook_and_oscal_show_the_attestation(
    attested_package: tuple[Path, Evidence, dict[str, Any]],
) -> None:
    out, item, _ = attested_package
    html = (out / "report.html").read_text()
    assert "Attestation (predicate not read)" in html
    assert f'<th scope="row">Predicate type</th><td class="mono wrap">{COSIGN_GENERIC}</td>' in html
    assert "Predicate not read" in html
    signature = '<th scope="row">Signature</th><td class="wrap"><span class="badge ver-verified">Verified</span>'
    assert signature in html
    table = evidence_table(load_package(out / "audit.json"))
    (row,) = (r for r in table.rows if r[0] == item.path)
    by_header = dict(zip(table.headers, row, strict=True))
    assert (by_header["Kind"], by_header["Verification"]) == ("attestation", "verified")
    assert (by_header["Predicate type"], by_header["Predicate not read"]) == (COSIGN_GENERIC, item.predicate_not_read)
    results = json.loads((out / "oscal" / "assessment-results.json").read_text())
    observations = results["assessment-results"]["results"][0]["observations"]
    (observation,) = (o for o in observations if any(p["value"] == item.id for p in o.get("props", [])))
    props = {p["name"]: p["value"] for p in observation["props"]}
    assert (props["kind"], props["predicate-type"]) == ("attestation", COSIGN_GENERIC)
    assert (
        f"In-toto attestation of predicate type {COSIGN_GENERIC}; its predicate is not read"
        in (observation["description"])
    )
    assert "Signature: verified." in observation["description"]


def test_inspect_names_the_predicate_and_why_it_is_not_read(
    attested_package: tuple[Path, Evidence, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, item, given = attested_package
    target = given["folder"] / "checklist.intoto.json"
    assert main(["inspect", str(target), "--key", str(given["public"]), "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert (entry["kind"], entry["predicate_type"]) == ("attestation", COSIGN_GENERIC)
    assert entry["predicate_not_read"] == item.predicate_not_read
    assert entry["verification"]["status"] == "verified"
    assert main(["inspect", str(target)]) == 0
    text = capsys.readouterr().out
    assert f"  predicate type: {COSIGN_GENERIC}\n" in text
    assert f"  predicate not read: {item.predicate_not_read}\n" in text


def test_diff_lists_the_new_attestation(
    attested_package: tuple[Path, Evidence, dict[str, Any]], sample_package: SamplePackages
) -> None:
    out, item, _ = attested_package
    diff = compare(load_package(sample_package("1.4.0") / "audit.json"), load_package(out / "audit.json"))
    assert [(e.kind, e.path) for e in diff.evidence.added] == [(EvidenceKind.ATTESTATION, item.path)]
    assert EvidenceKind.ATTESTATION in diff.evidence.new_kinds
    assert f"added attestation {code(item.path)}" in render_markdown(diff)


def test_round_trip_keeps_a_package_written_before_the_field(
    attested_package: tuple[Path, Evidence, dict[str, Any]], tmp_path: Path
) -> None:
    out, item, _ = attested_package
    raw = json.loads((out / "audit.json").read_bytes())
    for evidence in raw["evidence"]:
        evidence.pop("predicate_not_read", None)
    older = tmp_path / "older.json"
    older.write_text(json.dumps(raw))
    (read,) = (e for e in load_package(older).evidence if e.id == item.id)
    assert (read.kind, read.predicate_not_read) == (EvidenceKind.ATTESTATION, None)
