"""Trust anchors come only from outside the evidence: a key among the inputs says who signed, never that the signer
is trusted (issue 13)."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import orjson
import pytest
from conftest import NOW, SAMPLE_KEY, SAMPLES, collect_verify_bind, sample_image
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from test_collectors_signing_build import envelope, pem, sign, slsa_v1_statement, write_signed
from test_verify import signed_manifest

from evidence.cli import main
from evidence.diff.compare import compare
from evidence.diff.gate import holding
from evidence.evaluate.checks.signing import NO_TRUST_ANCHOR
from evidence.model import AuditPackage, Evidence, SignatureFacts, Status, SummaryTopic, Verification
from evidence.pipeline import assess
from evidence.render.report import render_html
from evidence.verify.dsse import pae
from evidence.verify.interface import VerificationContext
from evidence.verify.keys import load_key_file
from evidence.verify.policy import load_policy

DIGEST = "sha256:" + "ab" * 32
RELEASE = "1.4.0"
NOT_AN_ANCHOR = "found in the evidence, which is not a trust anchor"


def key_id(data: bytes) -> str:
    public = serialization.load_pem_public_key(data)
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def trusting(path: Path) -> VerificationContext:
    """The key file named as a trust anchor, as `--key` names it."""
    return VerificationContext(keys=(load_key_file(path, path.name),))


def facts_of(items: tuple[Evidence, ...], name: str) -> SignatureFacts:
    facts = next(e for e in items if e.path.endswith("/" + name)).signature
    assert facts is not None
    return facts


def assert_not_trusted(facts: SignatureFacts, key: bytes, key_path: str) -> None:
    """Unverifiable, naming the key found in the evidence that would have to be trusted, and keeping it."""
    assert facts.status is Verification.UNVERIFIABLE, facts.reason
    assert (facts.key_id, facts.key_path, facts.key_from_evidence) == (key_id(key), key_path, True)
    assert facts.reason == (
        f"verified with key {key_id(key)} ({key_path}) {NOT_AN_ANCHOR}; trust it with --key or the identity policy"
    )


# --- each kind of key-pair signature ------------------------------------------------------------------------------


def test_a_cosign_payload_signed_with_a_key_in_the_evidence_is_unverifiable(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    write_signed(tmp_path / "in", private)
    items = collect_verify_bind([tmp_path / "in"], image_digest=DIGEST).items
    assert_not_trusted(facts_of(items, "payload.json"), pem(private), "in/cosign.pub")
    # the same key file named with --key counts: trust is by key id
    items = collect_verify_bind(
        [tmp_path / "in"], image_digest=DIGEST, verification=trusting(tmp_path / "in" / "cosign.pub")
    ).items
    facts = facts_of(items, "payload.json")
    assert (facts.status, facts.key_path, facts.key_from_evidence) == (Verification.VERIFIED, "cosign.pub", False)


def test_a_dsse_envelope_signed_with_a_key_in_the_evidence_is_unverifiable(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "provenance.json").write_bytes(envelope(private, slsa_v1_statement()))
    (tmp_path / "in" / "signer.pub").write_bytes(pem(private))
    items = collect_verify_bind([tmp_path / "in"], image_digest=DIGEST).items
    assert_not_trusted(facts_of(items, "provenance.json"), pem(private), "in/signer.pub")


def test_a_key_signed_sigstore_bundle_with_its_key_in_the_evidence_is_unverifiable(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    bundle = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": "release"}, "tlogEntries": []},
        "dsseEnvelope": json.loads(envelope(private, slsa_v1_statement())),
    }
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "provenance.sigstore.json").write_text(json.dumps(bundle))
    (tmp_path / "in" / "release.pub").write_bytes(pem(private))
    items = collect_verify_bind([tmp_path / "in"], image_digest=DIGEST).items
    assert_not_trusted(facts_of(items, "provenance.sigstore.json"), pem(private), "in/release.pub")
    (tmp_path / "trusted.pub").write_bytes(pem(private))
    trusted = collect_verify_bind(
        [tmp_path / "in"], image_digest=DIGEST, verification=trusting(tmp_path / "trusted.pub")
    )
    assert facts_of(trusted.items, "provenance.sigstore.json").status is Verification.VERIFIED


def test_a_cosign_signature_manifest_with_its_key_in_the_evidence_is_unverifiable(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    signed_manifest(tmp_path / "in", private)
    (tmp_path / "in" / "cosign.pub").write_bytes(pem(private))
    items = collect_verify_bind([tmp_path / "in"], image_digest=DIGEST).items
    assert_not_trusted(facts_of(items, "manifest.json"), pem(private), "in/cosign.pub")


def test_inspect_says_the_key_was_found_in_the_evidence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    write_signed(tmp_path / "in", private)
    assert main(["inspect", "--json", str(tmp_path / "in")]) == 0
    entries = orjson.loads(capsys.readouterr().out)
    (verification,) = [e["verification"] for e in entries if e["path"].endswith("/payload.json")]
    assert verification["status"] == "unverifiable"
    assert (verification["key_id"], verification["key_path"]) == (key_id(pem(private)), "in/cosign.pub")
    assert verification["key_from_evidence"] is True
    assert main(["inspect", "--json", str(tmp_path / "in"), "--key", str(tmp_path / "in" / "cosign.pub")]) == 0
    entries = orjson.loads(capsys.readouterr().out)
    (verification,) = [e["verification"] for e in entries if e["path"].endswith("/payload.json")]
    assert (verification["status"], verification["key_path"]) == ("verified", "cosign.pub")
    assert verification["key_from_evidence"] is False


def test_a_signature_by_a_key_in_the_evidence_fails_when_other_keys_are_trusted(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    write_signed(tmp_path / "in", private)
    (tmp_path / "trusted.pub").write_bytes(pem(ec.generate_private_key(ec.SECP256R1())))
    items = collect_verify_bind([tmp_path / "in"], image_digest=DIGEST, verification=trusting(tmp_path / "trusted.pub"))
    facts = facts_of(items.items, "payload.json")
    assert facts.status is Verification.FAILED
    assert (facts.key_id, facts.key_from_evidence) == (key_id(pem(private)), True)
    assert facts.reason == (
        f"verified with key {key_id(pem(private))} (in/cosign.pub) {NOT_AN_ANCHOR}; "
        "it does not verify with any trusted key: trusted.pub"
    )


def test_a_signature_by_a_key_in_the_evidence_fails_under_a_policy_that_names_no_key(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    write_signed(tmp_path / "in", private)
    policy = tmp_path / "policy.yaml"
    rule = {"identities": [{"issuer": "https://token.actions.githubusercontent.com", "subject": "https://x/.*"}]}
    policy.write_text(json.dumps({"version": 1, "rules": [rule]}))
    context = VerificationContext(policy=load_policy(policy))
    facts = facts_of(
        collect_verify_bind([tmp_path / "in"], image_digest=DIGEST, verification=context).items, "payload.json"
    )
    assert (facts.status, facts.key_from_evidence) == (Verification.FAILED, True)
    assert facts.reason == (
        f"verified with key {key_id(pem(private))} (in/cosign.pub) {NOT_AN_ANCHOR}, and the identity policy names no "
        "such key"
    )


def two_signers(folder: Path) -> tuple[ec.EllipticCurvePrivateKey, ec.EllipticCurvePrivateKey]:
    """A key whose public half is left among the inputs, and one the user trusts, kept outside them."""
    in_evidence, trusted = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    folder.mkdir(parents=True)
    (folder / "cosign.pub").write_bytes(pem(in_evidence))
    (folder.parent / "trusted.pub").write_bytes(pem(trusted))
    return in_evidence, trusted


def test_a_trusted_signature_counts_beside_one_by_a_key_in_the_evidence(tmp_path: Path) -> None:
    in_evidence, trusted = two_signers(tmp_path / "in")
    context = trusting(tmp_path / "trusted.pub")
    # a payload with two detached signatures, the untrusted one first by name
    body = write_signed(tmp_path / "in", in_evidence)[0]
    (tmp_path / "in" / "second.sig").write_bytes(base64.b64encode(sign(trusted, body)))
    # a DSSE envelope with both signatures, the untrusted one first
    statement = json.loads(envelope(in_evidence, slsa_v1_statement()))
    payload = base64.b64decode(statement["payload"])
    extra = sign(trusted, pae(statement["payloadType"], payload))
    statement["signatures"].append({"keyid": "", "sig": base64.b64encode(extra).decode()})
    (tmp_path / "in" / "provenance.json").write_text(json.dumps(statement))
    items = collect_verify_bind([tmp_path / "in"], image_digest=DIGEST, verification=context).items
    for name in ("payload.json", "provenance.json"):
        facts = facts_of(items, name)
        assert (facts.status, facts.key_path, facts.key_from_evidence) == (Verification.VERIFIED, "trusted.pub", False)


def test_a_json_lines_file_with_one_envelope_by_a_key_in_the_evidence_is_not_verified(tmp_path: Path) -> None:
    in_evidence, trusted = two_signers(tmp_path / "in")
    lines = [envelope(trusted, slsa_v1_statement()), envelope(in_evidence, slsa_v1_statement())]
    (tmp_path / "in" / "provenance.intoto.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    items = collect_verify_bind([tmp_path / "in"], image_digest=DIGEST, verification=trusting(tmp_path / "trusted.pub"))
    facts = facts_of(items.items, "provenance.intoto.jsonl")
    assert (facts.status, facts.key_id, facts.key_from_evidence) == (
        Verification.FAILED,
        key_id(pem(in_evidence)),
        True,
    )
    # with the other key trusted too, every envelope verifies
    both = VerificationContext(
        keys=(*trusting(tmp_path / "trusted.pub").keys, load_key_file(tmp_path / "in" / "cosign.pub"))
    )
    facts = facts_of(
        collect_verify_bind([tmp_path / "in"], image_digest=DIGEST, verification=both).items, "provenance.intoto.jsonl"
    )
    assert facts.status is Verification.VERIFIED


def test_a_trusted_manifest_layer_counts_beside_one_by_a_key_in_the_evidence(tmp_path: Path) -> None:
    in_evidence, trusted = two_signers(tmp_path / "in")
    body = signed_manifest(tmp_path / "in", in_evidence)
    manifest = json.loads((tmp_path / "in" / "manifest.json").read_text())
    layer = json.loads(json.dumps(manifest["layers"][0]))
    layer["annotations"]["dev.cosignproject.cosign/signature"] = base64.b64encode(sign(trusted, body)).decode()
    manifest["layers"].append(layer)
    (tmp_path / "in" / "manifest.json").write_text(json.dumps(manifest))
    items = collect_verify_bind([tmp_path / "in"], image_digest=DIGEST, verification=trusting(tmp_path / "trusted.pub"))
    facts = facts_of(items.items, "manifest.json")
    assert (facts.status, facts.key_path, facts.key_from_evidence) == (Verification.VERIFIED, "trusted.pub", False)


def test_a_signature_no_key_verifies_keeps_its_outcome(tmp_path: Path) -> None:
    write_signed(tmp_path / "in", ec.generate_private_key(ec.SECP256R1()))
    (tmp_path / "in" / "cosign.pub").write_bytes(pem(ec.generate_private_key(ec.SECP256R1())))
    facts = facts_of(collect_verify_bind([tmp_path / "in"], image_digest=DIGEST).items, "payload.json")
    assert facts.status is Verification.FAILED
    assert (facts.key_id, facts.key_from_evidence) == (None, False)


# --- the samples ---------------------------------------------------------------------------------------------------


def test_the_sample_key_left_inside_the_evidence_folder_does_not_verify_the_sample(tmp_path: Path) -> None:
    folder = tmp_path / f"webapp-{RELEASE}"
    shutil.copytree(SAMPLES / folder.name, folder)
    shutil.copy(SAMPLE_KEY, folder / "cosign.pub")
    pkg = assess([folder], image=sample_image(RELEASE), now=NOW)
    key = SAMPLE_KEY.read_bytes()
    assert_not_trusted(facts_of(pkg.evidence, "cosign-payload.json"), key, f"{folder.name}/cosign.pub")
    assert_not_trusted(facts_of(pkg.evidence, "provenance.intoto.json"), key, f"{folder.name}/cosign.pub")
    assert all(e.signature.status is not Verification.VERIFIED for e in pkg.evidence if e.signature)
    html = " ".join(render_html(pkg).split())
    found = f"({folder.name}/cosign.pub), found in the evidence: not a trust anchor"
    assert f"Signed with key {key_id(key)}</span> {found}." in html.replace('<span class="mono wrap">', "")
    assert f"Attestation signed with key {key_id(key)}</span> {found}, so not verified." in html.replace(
        '<span class="mono wrap">', ""
    )
    assert "Verified with key" not in html
    trusted = assess([folder], image=sample_image(RELEASE), verification=trusting(SAMPLE_KEY), now=NOW)
    assert facts_of(trusted.evidence, "cosign-payload.json").status is Verification.VERIFIED
    assert facts_of(trusted.evidence, "provenance.intoto.json").status is Verification.VERIFIED


# --- the instance: the evidence re-signed with a key of the attacker's -------------------------------------


def resigned_sample(folder: Path) -> ec.EllipticCurvePrivateKey:
    """A copy of the 1.4.0 sample whose cosign.pub, cosign payload signature and provenance envelope are replaced
    with those of a new key."""
    shutil.copytree(SAMPLES / f"webapp-{RELEASE}", folder)
    private = ec.generate_private_key(ec.SECP256R1())
    (folder / "cosign.pub").write_bytes(pem(private))
    payload = (folder / "cosign-payload.json").read_bytes()
    (folder / "cosign-payload.sig").write_bytes(base64.b64encode(sign(private, payload)))
    provenance = orjson.loads((folder / "provenance.intoto.json").read_bytes())
    body = base64.b64decode(provenance["payload"])
    signature = sign(private, pae(provenance["payloadType"], body))
    provenance["signatures"] = [{"keyid": "", "sig": base64.b64encode(signature).decode()}]
    (folder / "provenance.intoto.json").write_bytes(orjson.dumps(provenance))
    return private


def every_reason(pkg: AuditPackage) -> list[str]:
    assert pkg.summary is not None
    reasons = [c.reason for c in pkg.controls] + [v.reason for v in pkg.summary.verdicts]
    reasons += [r.reason for c in pkg.controls for r in c.checks] + [s.reason for s in pkg.rubric]
    return reasons


@pytest.mark.parametrize("given", ["no key", "the sample key"])
def test_evidence_re_signed_by_another_key_proves_nothing_under_fedramp(tmp_path: Path, given: str) -> None:
    folder = tmp_path / f"webapp-{RELEASE}"
    private = resigned_sample(folder)
    context = trusting(SAMPLE_KEY) if given == "the sample key" else None
    pkg = assess([folder], image=sample_image(RELEASE), profile="fedramp-moderate", verification=context, now=NOW)
    controls = {(c.catalog, c.control_id): c for c in pkg.controls}
    assert controls["nist-800-190", "4.1.5"].status is Status.NOT_SATISFIED
    assert controls["fedramp-containers", "C-2"].status is Status.NOT_SATISFIED
    for reason in every_reason(pkg):
        assert "verified signed provenance" not in reason
        assert "Signed build provenance verified" not in reason
        assert "Image signature verified" not in reason
    assert pkg.summary is not None
    signature = pkg.summary.verdict(SummaryTopic.SIGNATURE)
    assert signature is not None
    assert signature.outcome != "Verified"
    assert signature.status is not Status.SATISFIED
    provenance = pkg.summary.verdict(SummaryTopic.PROVENANCE)
    assert provenance is not None
    assert provenance.status is not Status.SATISFIED
    facts = facts_of(pkg.evidence, "cosign-payload.json")
    assert (facts.key_id, facts.key_from_evidence) == (key_id(pem(private)), True)
    if context is None:  # the strict profile names the missing anchor as the reason
        assert facts.status is Verification.UNVERIFIABLE
        assert NO_TRUST_ANCHOR in controls["nist-800-190", "4.1.5"].reason
        assert NO_TRUST_ANCHOR in controls["fedramp-containers", "C-2"].reason
        assert controls["fedramp-containers", "C-2"].reason.startswith("Strict profile")
    else:  # signed, but not by the key the user trusts
        assert facts.status is Verification.FAILED
        assert NO_TRUST_ANCHOR not in controls["nist-800-190", "4.1.5"].reason


def test_the_missing_anchor_is_named_under_a_non_strict_profile(tmp_path: Path) -> None:
    folder = tmp_path / f"webapp-{RELEASE}"
    shutil.copytree(SAMPLES / folder.name, folder)
    pkg = assess([folder], image=sample_image(RELEASE), profile="cis", catalogs=["nist-800-190"], now=NOW)
    checks = {r.check: r for c in pkg.controls for r in c.checks}
    for name in ("signature.verified", "provenance.verified", "attestations.verified"):
        assert checks[name].status is Status.EVIDENCE_MISSING
        assert checks[name].reason.startswith(NO_TRUST_ANCHOR), checks[name].reason
    unverified = [s for s in pkg.rubric if "A signature is present but could not be verified" in s.reason]
    assert [s.score for s in unverified] == [1]
    assert unverified[0].reason.startswith(NO_TRUST_ANCHOR)
    trusted = assess([folder], image=sample_image(RELEASE), verification=trusting(SAMPLE_KEY), now=NOW)
    assert all(NO_TRUST_ANCHOR not in reason for reason in every_reason(trusted))


# --- a change of signer across releases ----------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["no key", "the sample key"])
def test_a_release_signed_by_another_key_is_a_signature_change(tmp_path: Path, given: str) -> None:
    old_folder = tmp_path / "old" / f"webapp-{RELEASE}"
    shutil.copytree(SAMPLES / old_folder.name, old_folder)
    shutil.copy(SAMPLE_KEY, old_folder / "cosign.pub")
    private = resigned_sample(tmp_path / "new" / f"webapp-{RELEASE}")
    context = trusting(SAMPLE_KEY) if given == "the sample key" else None
    image = sample_image(RELEASE)
    old = assess([old_folder], image=image, verification=context, now=NOW)
    new = assess([tmp_path / "new" / f"webapp-{RELEASE}"], image=image, verification=context, now=NOW)
    diff = compare(old, new)
    assert [s.key_id for s in diff.signatures.removed] == [key_id(SAMPLE_KEY.read_bytes())]
    assert [s.key_id for s in diff.signatures.added] == [key_id(pem(private))]
    assert [s.key_from_evidence for s in diff.signatures.added] == [True]
    assert [s.key_from_evidence for s in diff.signatures.removed] == [context is None]
    found = holding(diff, ["signature-change"])["signature-change"]
    assert f"signer added: {key_id(pem(private))} (key found in the evidence, not a trust anchor)" in found
    # the same signer on both sides, trusted on one only: not a change of signer
    same = compare(old, assess([old_folder], image=image, verification=trusting(SAMPLE_KEY), now=NOW))
    assert not same.signatures.added
    assert not same.signatures.removed
