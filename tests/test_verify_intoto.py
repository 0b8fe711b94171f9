"""DSSE sigstore bundles logged as Rekor intoto/0.0.2 entries, verified offline step by step.

Network disabled, HOME (and the XDG folders) pointed at an empty directory that must stay empty. Each bundle's
signer is read here from its certificate with `cryptography`, not with the code under test.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CORPUS
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ObjectIdentifier

from evidence.model import Verification
from evidence.verify.interface import TrustRoot, VerificationContext
from evidence.verify.intoto_entry import STEP_BODY, EntryCheckError, check_entry_body
from evidence.verify.keyless import verify_bundle
from evidence.verify.policy import load_policy

PROV_DIR = CORPUS / "provenance"
GITHUB_ACTIONS = "https://token.actions.githubusercontent.com"
ISSUER_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")

BUNDLES = {
    "npm v0.1": PROV_DIR / "npm-sigstore-js-2.0.0-slsa-v1.sigstore-bundle-v0.1.json",
    "slsa-github-generator v0.2": PROV_DIR / "slsa-github-generator-container-based-slsa-v1.sigstore-bundle-v0.2.json",
}
# The signers, as their certificates name them (checked against the certificates in test_the_signers).
SIGNERS = {
    "npm v0.1": "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
    "slsa-github-generator v0.2": (
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
        "builder_container-based_slsa3.yml@refs/tags/v2.1.0"
    ),
}


pytestmark = pytest.mark.usefixtures("offline")


def raw(case: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(BUNDLES[case].read_text())
    return loaded


def entry_of(bundle: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = bundle["verificationMaterial"]["tlogEntries"][0]
    return entry


def certificate(bundle: dict[str, Any]) -> x509.Certificate:
    der = base64.b64decode(bundle["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"])
    return x509.load_der_x509_certificate(der)


def signer_of(bundle: dict[str, Any]) -> tuple[list[str], str]:
    """The certificate's URI names and its OIDC issuer (Fulcio's v1 extension, raw text)."""
    cert = certificate(bundle)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    issuer = cert.extensions.get_extension_for_oid(ISSUER_OID).value
    assert isinstance(issuer, x509.UnrecognizedExtension)
    return names.get_values_for_type(x509.UniformResourceIdentifier), issuer.value.decode()


def context_for(folder: Path, subject: str, issuer: str = GITHUB_ACTIONS, **extra: Any) -> VerificationContext:
    path = folder / "policy.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "rules": [{"identities": [{"issuer": issuer, "subject": subject}]}]}))
    return VerificationContext(policy=load_policy(path), **extra)


def verify(folder: Path, case: str, bundle: dict[str, Any], **extra: Any) -> tuple[Verification, str]:
    result = verify_bundle(json.dumps(bundle).encode(), context_for(folder, SIGNERS[case], **extra))
    return result.status, result.reason


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def flip_base64(text: str, at: int) -> str:
    data = base64.b64decode(text)
    return base64.b64encode(flip(data, at % len(data))).decode()


# --- the corpus bundles verify ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(BUNDLES))
def test_the_signers(case: str) -> None:
    bundle = raw(case)
    assert entry_of(bundle)["kindVersion"] == {"kind": "intoto", "version": "0.0.2"}
    assert signer_of(bundle) == ([SIGNERS[case]], GITHUB_ACTIONS)


@pytest.mark.parametrize("case", sorted(BUNDLES))
def test_corpus_bundle_verifies_with_its_identity(tmp_path: Path, case: str) -> None:
    bundle = raw(case)
    (identity,), issuer = signer_of(bundle)
    result = verify_bundle(BUNDLES[case].read_bytes(), context_for(tmp_path, identity, issuer))
    assert result.status is Verification.VERIFIED, result.reason
    assert (result.identity, result.issuer) == (identity, issuer)
    entry = entry_of(bundle)
    assert result.log_index == int(entry["logIndex"])
    assert result.integrated_time == datetime.fromtimestamp(int(entry["integratedTime"]), tz=UTC)
    assert result.reason.startswith("DSSE envelope (logged as an intoto/0.0.2 entry) verifies against the Sigstore ")
    assert result.reason.endswith("an identity the policy accepts")


@pytest.mark.parametrize("case", sorted(BUNDLES))
def test_sigstore_alone_refuses_these_entries(case: str) -> None:
    """Why the glue exists: if a sigstore release verifies these itself, the glue can go."""
    from sigstore.errors import VerificationError  # noqa: PLC0415
    from sigstore.models import Bundle  # noqa: PLC0415
    from sigstore.verify import Verifier  # noqa: PLC0415
    from sigstore.verify.policy import UnsafeNoOp  # noqa: PLC0415

    from evidence.verify.keyless import load_trusted_root  # noqa: PLC0415

    verifier = Verifier(trusted_root=load_trusted_root(VerificationContext()))
    with pytest.raises(VerificationError, match="Integrated time only supported"):
        verifier.verify_dsse(Bundle.from_json(BUNDLES[case].read_bytes()), UnsafeNoOp())


# --- the same bundles, changed ----------------------------------------------------------------------------------


def change_payload(bundle: dict[str, Any]) -> None:
    envelope = bundle["dsseEnvelope"]
    envelope["payload"] = flip_base64(envelope["payload"], len(base64.b64decode(envelope["payload"])) // 2)


def change_signature(bundle: dict[str, Any]) -> None:
    signature = bundle["dsseEnvelope"]["signatures"][0]
    signature["sig"] = flip_base64(signature["sig"], -2)


def change_body(bundle: dict[str, Any]) -> None:
    entry = entry_of(bundle)
    body = base64.b64decode(entry["canonicalizedBody"])
    entry["canonicalizedBody"] = base64.b64encode(flip(body, body.index(b'"payloadHash"') + 40)).decode()


def change_set(bundle: dict[str, Any]) -> None:
    promise = entry_of(bundle)["inclusionPromise"]
    promise["signedEntryTimestamp"] = flip_base64(promise["signedEntryTimestamp"], -3)


def change_integrated_time(bundle: dict[str, Any]) -> None:
    entry_of(bundle)["integratedTime"] = str(int(entry_of(bundle)["integratedTime"]) + 1)


def change_log_index(bundle: dict[str, Any]) -> None:
    entry_of(bundle)["logIndex"] = str(int(entry_of(bundle)["logIndex"]) + 1)


def change_proof_hash(bundle: dict[str, Any]) -> None:
    proof = entry_of(bundle)["inclusionProof"]
    proof["hashes"][0] = flip_base64(proof["hashes"][0], 5)


def change_root_hash(bundle: dict[str, Any]) -> None:
    proof = entry_of(bundle)["inclusionProof"]
    proof["rootHash"] = flip_base64(proof["rootHash"], 5)


def change_checkpoint_signature(bundle: dict[str, Any]) -> None:
    checkpoint = entry_of(bundle)["inclusionProof"]["checkpoint"]
    note, _, signature_line = checkpoint["envelope"].rstrip("\n").rpartition("\n")
    prefix, _, signature = signature_line.rpartition(" ")
    checkpoint["envelope"] = f"{note}\n{prefix} {flip_base64(signature, -3)}\n"


def change_certificate(bundle: dict[str, Any]) -> None:
    holder = bundle["verificationMaterial"]["x509CertificateChain"]["certificates"][0]
    holder["rawBytes"] = flip_base64(holder["rawBytes"], -2)  # inside the issuer's signature: still parses


CHANGES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "payload": (change_payload, "DSSE signature check failed: DSSE: invalid signature"),
    "envelope signature": (change_signature, "DSSE signature check failed: DSSE: invalid signature"),
    "canonicalized body": (change_body, "log inclusion proof check failed: inclusion proof contains invalid root hash"),
    "signed entry timestamp": (change_set, "signed entry timestamp (SET) check failed: SET: invalid inclusion promise"),
    "integrated time": (change_integrated_time, "signed entry timestamp (SET) check failed"),
    "log index": (change_log_index, "signed entry timestamp (SET) check failed"),
    "inclusion proof hash": (change_proof_hash, "log inclusion proof check failed"),
    "inclusion proof root hash": (change_root_hash, "log inclusion proof check failed"),
    "checkpoint signature": (change_checkpoint_signature, "log checkpoint check failed: checkpoint: invalid signature"),
    "certificate": (change_certificate, "certificate chain check failed: the signing certificate does not chain"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
@pytest.mark.parametrize("case", sorted(BUNDLES))
def test_changed_by_one_byte_fails_at_its_step(tmp_path: Path, case: str, change: str) -> None:
    bundle = raw(case)
    apply, expected = CHANGES[change]
    apply(bundle)
    assert bundle != raw(case)
    status, reason = verify(tmp_path, case, bundle)
    assert status is Verification.FAILED
    assert reason.startswith("intoto/0.0.2 log entry bundle, " + expected), reason


@pytest.mark.parametrize("case", sorted(BUNDLES))
def test_wrong_identity_or_issuer_fails(tmp_path: Path, case: str) -> None:
    bundle = raw(case)
    result = verify_bundle(json.dumps(bundle).encode(), context_for(tmp_path, SIGNERS[case] + "x"))
    assert result.status is Verification.FAILED
    assert "verifies against the Sigstore production trusted root" in result.reason
    assert "an identity the policy does not accept" in result.reason
    assert result.identity == SIGNERS[case]
    other = "https://github.com/login/oauth"
    status, reason = verify(tmp_path, case, bundle, issuer=other)
    assert status is Verification.FAILED
    assert f"issuer {other}" in reason


@pytest.mark.parametrize("case", sorted(BUNDLES))
def test_without_a_policy_is_unverifiable(case: str) -> None:
    result = verify_bundle(BUNDLES[case].read_bytes(), VerificationContext())
    assert result.status is Verification.UNVERIFIABLE
    assert "no identity policy was given" in result.reason
    assert result.identity == SIGNERS[case]


@pytest.mark.parametrize("case", sorted(BUNDLES))
def test_the_staging_trust_root_fails(tmp_path: Path, case: str) -> None:
    status, reason = verify(tmp_path, case, raw(case), trust_root=TrustRoot.STAGING)
    assert status is Verification.FAILED
    assert reason.startswith(
        "intoto/0.0.2 log entry bundle, certificate chain check failed: the signing certificate does not chain to "
        "a Fulcio certificate authority of the Sigstore staging trusted root at the signing time"
    )


def test_other_dsse_entry_kinds_stay_unverifiable(tmp_path: Path) -> None:
    bundle = raw("npm v0.1")
    entry_of(bundle)["kindVersion"]["version"] = "0.0.1"
    status, reason = verify(tmp_path, "npm v0.1", bundle)
    assert status is Verification.UNVERIFIABLE
    assert "of kind intoto/0.0.1" in reason
    # a dsse/0.0.1 bundle relabelled as intoto/0.0.2 has a body of the wrong kind
    bundle = raw("npm v0.1")
    body = json.loads(base64.b64decode(entry_of(bundle)["canonicalizedBody"]))
    body["kind"] = "dsse"
    entry_of(bundle)["canonicalizedBody"] = base64.b64encode(json.dumps(body).encode()).decode()
    assert verify(tmp_path, "npm v0.1", bundle)[0] is Verification.FAILED


# --- the entry body against the bundle --------------------------------------------------------------------------
# A changed body no longer verifies in the log, so the body check is reached only by a log entry that is in the
# log but describes another envelope; it is exercised here directly.


def body_check(bundle: dict[str, Any]) -> None:
    from sigstore.models import Bundle  # noqa: PLC0415

    check_entry_body(Bundle.from_json(json.dumps(bundle).encode()))


def with_body(case: str, edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    bundle = raw(case)
    entry = entry_of(bundle)
    body = json.loads(base64.b64decode(entry["canonicalizedBody"]))
    edit(body["spec"]["content"])
    entry["canonicalizedBody"] = base64.b64encode(json.dumps(body).encode()).decode()
    return bundle


def other_certificate_pem(content: dict[str, Any]) -> None:
    other = certificate(raw("slsa-github-generator v0.2"))
    content["envelope"]["signatures"][0]["publicKey"] = base64.b64encode(other.public_bytes(Encoding.PEM)).decode()


def changed_recorded_signature(content: dict[str, Any]) -> None:
    recorded = content["envelope"]["signatures"][0]
    envelope_text = base64.b64decode(recorded["sig"]).decode()  # Rekor encodes the envelope's base64 text again
    recorded["sig"] = base64.b64encode(flip_base64(envelope_text, -2).encode()).decode()


def second_signature(content: dict[str, Any]) -> None:
    signatures = content["envelope"]["signatures"]
    signatures.append(copy.deepcopy(signatures[0]))


BODY_CHANGES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "payload hash": (
        lambda c: c["payloadHash"].update(value="0" * 64),
        "the entry's payload hash is not the SHA-256 of the envelope's payload",
    ),
    "payload hash algorithm missing": (lambda c: c.pop("payloadHash"), "the entry records no SHA-256 payload hash"),
    "payload type": (
        lambda c: c["envelope"].update(payloadType="text/plain"),
        "the entry's payload type 'text/plain' is not the envelope's 'application/vnd.in-toto+json'",
    ),
    "signature": (changed_recorded_signature, "the entry's signature is not the envelope's signature"),
    "certificate": (other_certificate_pem, "the entry's certificate is not the bundle's signing certificate"),
    "signature count": (second_signature, "the entry records 2 signature(s), the envelope carries 1"),
    "not base64": (
        lambda c: c["envelope"]["signatures"][0].update(sig="not base64!"),
        "a recorded signature is not base64",
    ),
}


@pytest.mark.parametrize("change", sorted(BODY_CHANGES))
def test_entry_body_that_disagrees_with_the_bundle(change: str) -> None:
    body_check(raw("npm v0.1"))  # unchanged: agrees
    edit, message = BODY_CHANGES[change]
    with pytest.raises(EntryCheckError) as caught:
        body_check(with_body("npm v0.1", edit))
    assert (caught.value.step, caught.value.detail) == (STEP_BODY, message)


def test_entry_body_checks_the_envelope_it_was_given() -> None:
    # the slsa bundle's own body against the npm bundle's envelope and certificate
    bundle = raw("npm v0.1")
    entry_of(bundle)["canonicalizedBody"] = entry_of(raw("slsa-github-generator v0.2"))["canonicalizedBody"]
    with pytest.raises(EntryCheckError, match="payload hash"):
        body_check(bundle)


@pytest.mark.parametrize("case", sorted(BUNDLES))
def test_an_authentic_entry_for_another_envelope_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """With the log checks made to pass, as they would for a genuine entry that records another envelope,
    the body comparison is what refuses the bundle."""
    import sigstore._internal.merkle  # noqa: PLC0415
    import sigstore._internal.rekor.checkpoint  # noqa: PLC0415
    from sigstore.models import TransparencyLogEntry  # noqa: PLC0415

    monkeypatch.setattr(sigstore._internal.merkle, "verify_merkle_inclusion", lambda *_: None)
    monkeypatch.setattr(sigstore._internal.rekor.checkpoint, "verify_checkpoint", lambda *_: None)
    monkeypatch.setattr(TransparencyLogEntry, "_verify_set", lambda *_: None)
    assert verify(tmp_path, case, raw(case))[0] is Verification.VERIFIED
    status, reason = verify(tmp_path, case, with_body(case, lambda c: c["payloadHash"].update(value="0" * 64)))
    assert status is Verification.FAILED
    assert reason == (
        "intoto/0.0.2 log entry bundle, log entry body check failed: the entry's payload hash is not the SHA-256 of "
        "the envelope's payload"
    )


def test_an_integrated_time_that_is_no_date_fails(tmp_path: Path) -> None:
    bundle = raw("npm v0.1")
    entry_of(bundle)["integratedTime"] = str(2**64 - 1)
    status, reason = verify(tmp_path, "npm v0.1", bundle)
    assert status is Verification.FAILED
    assert reason.startswith("intoto/0.0.2 log entry bundle, signing time check failed"), reason
