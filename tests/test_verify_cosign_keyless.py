"""cosign's legacy keyless signatures (payload, signature, Fulcio certificate, Rekor bundle), verified offline.

Network disabled, HOME (and the XDG folders) pointed at an empty directory that must stay empty. The signer and
the log position are read here from the certificate (with `cryptography`) and from the Rekor bundle file.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CORPUS, collect_verify_bind
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ObjectIdentifier

from evidence.collectors.cosign_rekor import CosignRekorBundle
from evidence.collectors.interface import CollectorError, Document
from evidence.model import EvidenceKind, SignatureFacts, Verification
from evidence.verify.cosign_keyless import STEP_SIGNATURE, check_cosign_keyless
from evidence.verify.interface import TrustRoot, VerificationContext
from evidence.verify.intoto_entry import STEP_CHAIN, STEP_SET, EntryCheckError
from evidence.verify.keys import load_key_file
from evidence.verify.material import read_rekor_bundle
from evidence.verify.policy import load_policy

SIG_DIR = CORPUS / "signatures"
PAYLOAD = "cosign-simple-signing-payload.json"
SIGNATURE = "cosign-simple-signing-payload.sig.b64"
CERTIFICATE = "cosign-simple-signing-fulcio-cert.pem"
REKOR_BUNDLE = "cosign-rekor-bundle-set.json"
FILES = (PAYLOAD, SIGNATURE, CERTIFICATE, REKOR_BUNDLE)
ISSUER_V1_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
DIGEST = json.loads((SIG_DIR / PAYLOAD).read_bytes())["critical"]["image"]["docker-manifest-digest"]


pytestmark = pytest.mark.usefixtures("offline")


def certificate() -> x509.Certificate:
    return x509.load_pem_x509_certificate((SIG_DIR / CERTIFICATE).read_bytes())


def signer() -> tuple[str, str]:
    """The certificate's email name and its OIDC issuer (Fulcio's v1 extension, raw text)."""
    cert = certificate()
    (email,) = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.RFC822Name
    )
    issuer = cert.extensions.get_extension_for_oid(ISSUER_V1_OID).value
    assert isinstance(issuer, x509.UnrecognizedExtension)
    return email, issuer.value.decode()


def rekor_bundle() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SIG_DIR / REKOR_BUNDLE).read_bytes())
    return loaded


def body_of(bundle: dict[str, Any]) -> bytes:
    return base64.b64decode(bundle["Payload"]["body"])


def write_inputs(folder: Path, *, skip: tuple[str, ...] = (), changed: dict[str, bytes] | None = None) -> Path:
    """The four corpus files in `folder/inputs`, some left out or changed (by file name)."""
    inputs = folder / "inputs"
    inputs.mkdir()
    for name in FILES:
        if name not in skip:
            (inputs / name).write_bytes((changed or {}).get(name, (SIG_DIR / name).read_bytes()))
    return inputs


def context(folder: Path, subject: str | None = None, issuer: str | None = None, **extra: Any) -> VerificationContext:
    if subject is None:
        return VerificationContext(**extra)
    path = folder / "policy.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "rules": [{"identities": [{"issuer": issuer, "subject": subject}]}]}))
    return VerificationContext(policy=load_policy(path), **extra)


def payload_facts(inputs: Path, verification: VerificationContext) -> SignatureFacts:
    items = collect_verify_bind([inputs], image_digest=DIGEST, verification=verification).items
    (payload,) = [item for item in items if item.path.endswith(PAYLOAD)]
    assert payload.signature is not None
    return payload.signature


def matching(folder: Path) -> VerificationContext:
    return context(folder, *signer())


# --- the Rekor bundle file ---------------------------------------------------------------------------------------


def corpus_doc(path: Path) -> Document:
    return Document(path=path.relative_to(CORPUS).as_posix(), data=path.read_bytes())


def test_only_the_rekor_bundle_is_recognized() -> None:
    # counted independently: JSON objects in the corpus with the two top-level keys cosign writes
    expected = []
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file()):
        try:
            obj = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(obj, dict) and {"SignedEntryTimestamp", "Payload"} <= obj.keys():
            expected.append(path)
    assert [p.name for p in expected] == [REKOR_BUNDLE]
    claimed = [p for p in sorted(CORPUS.rglob("*")) if p.is_file() and CosignRekorBundle().sniff(corpus_doc(p))]
    assert claimed == expected


def test_the_rekor_bundle_is_signature_material_without_subjects() -> None:
    item = CosignRekorBundle().parse(corpus_doc(SIG_DIR / REKOR_BUNDLE))
    kind = json.loads(body_of(rekor_bundle()))["kind"]
    assert (item.kind, item.format, item.envelope, item.subjects, item.signature) == (
        EvidenceKind.DETACHED_SIGNATURE,
        "cosign Rekor bundle",
        f"Rekor {kind}",
        (),
        None,
    )


BROKEN: dict[str, Callable[[dict[str, Any]], None]] = {
    "/SignedEntryTimestamp": lambda b: b.update(SignedEntryTimestamp=7),
    "/SignedEntryTimestamp is not base64": lambda b: b.update(SignedEntryTimestamp="not base64!"),
    "/Payload/body is not base64": lambda b: b["Payload"].update(body="%%%"),
    "/Payload/body does not decode to JSON": lambda b: b["Payload"].update(body=base64.b64encode(b"{x").decode()),
    "no kind": lambda b: b["Payload"].update(body=base64.b64encode(b"[1]").decode()),
    "/Payload/integratedTime": lambda b: b["Payload"].update(integratedTime="1670870899"),
    "/Payload/logIndex is not a non-negative integer up to": lambda b: b["Payload"].update(logIndex=2**53),
    "/Payload/logIndex": lambda b: b["Payload"].update(logIndex=True),
    "/Payload/logID is not hexadecimal": lambda b: b["Payload"].update(logID="zz" * 32),
    "/Payload/logID is not a SHA-256": lambda b: b["Payload"].update(logID="c0d2"),
    "/Payload": lambda b: b.update(Payload=[]),
}


@pytest.mark.parametrize("message", BROKEN)
def test_a_broken_rekor_bundle_is_a_collector_error(message: str) -> None:
    bundle = rekor_bundle()
    BROKEN[message](bundle)
    doc = Document(path="set.json", data=json.dumps(bundle).encode())
    if not CosignRekorBundle().sniff(doc):
        assert message == "/Payload"  # a Payload that is not an object is not this format
        return
    with pytest.raises(CollectorError, match=rf"set\.json.*{message}"):
        CosignRekorBundle().parse(doc)


# --- verification -------------------------------------------------------------------------------------------------


def test_the_corpus_signature_verifies_keylessly_with_its_real_identity(tmp_path: Path) -> None:
    identity, issuer = signer()
    facts = payload_facts(write_inputs(tmp_path), matching(tmp_path))
    logged = rekor_bundle()["Payload"]
    assert (facts.status, facts.identity, facts.issuer) == (Verification.VERIFIED, identity, issuer)
    assert facts.log_index == logged["logIndex"]
    assert facts.integrated_time == datetime.fromtimestamp(logged["integratedTime"], tz=UTC)
    assert facts.key_id is None  # judged by identity, not by the certificate's key
    assert "the Sigstore production trusted root" in facts.reason
    assert "an identity the policy accepts" in facts.reason
    assert "inputs/cosign-rekor-bundle-set.json" in facts.reason


def test_it_was_signed_on_the_production_instance_not_staging(tmp_path: Path) -> None:
    identity, issuer = signer()
    facts = payload_facts(write_inputs(tmp_path), context(tmp_path, identity, issuer, trust_root=TrustRoot.STAGING))
    assert facts.status is Verification.FAILED
    assert "certificate chain check failed" in facts.reason
    assert "the Sigstore staging trusted root" in facts.reason


def test_without_a_policy_the_signer_is_named_but_not_accepted(tmp_path: Path) -> None:
    identity, issuer = signer()
    facts = payload_facts(write_inputs(tmp_path), context(tmp_path))
    assert facts.status is Verification.UNVERIFIABLE
    assert f"signed by {identity} (issuer {issuer})" in facts.reason
    assert "no identity policy was given" in facts.reason
    assert (facts.identity, facts.issuer) == (identity, issuer)


@pytest.mark.parametrize("wrong", ["subject", "issuer"])
def test_a_wrong_identity_or_issuer_fails(tmp_path: Path, wrong: str) -> None:
    identity, issuer = signer()
    if wrong == "subject":
        identity = "someone@example.com"
    else:
        issuer = "https://accounts.google.com"
    facts = payload_facts(write_inputs(tmp_path), context(tmp_path, identity, issuer))
    assert facts.status is Verification.FAILED
    assert "an identity the policy does not accept" in facts.reason


def test_the_certificate_given_as_a_key_is_matched_by_its_key(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path, skip=(CERTIFICATE,))
    key = load_key_file(SIG_DIR / CERTIFICATE, "cert.pem")
    identity, issuer = signer()
    facts = payload_facts(inputs, context(tmp_path, identity, issuer, keys=(key,)))
    assert (facts.status, facts.identity) == (Verification.VERIFIED, identity)


def test_without_the_rekor_bundle_the_certificate_is_a_plain_key(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path, skip=(REKOR_BUNDLE,))
    # among the inputs only, the certificate's key is not a trust anchor: the signature is not verified
    facts = payload_facts(inputs, context(tmp_path))
    assert (facts.status, facts.key_from_evidence) == (Verification.UNVERIFIABLE, True)
    assert "found in the evidence, which is not a trust anchor" in facts.reason
    assert facts.key_path is not None
    assert facts.key_path.endswith(CERTIFICATE)
    # named as a key too, it is one, and only a key: no identity comes from it
    facts = payload_facts(inputs, context(tmp_path, keys=(load_key_file(inputs / CERTIFICATE, CERTIFICATE),)))
    assert facts.status is Verification.VERIFIED
    assert facts.reason.startswith("ECDSA P-256 signature ")
    assert facts.key_path == CERTIFICATE
    assert facts.identity is None


# --- one-byte changes -------------------------------------------------------------------------------------------


def flip(data: bytes, at: int) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def replaced(name: str, data: bytes) -> dict[str, bytes]:
    return {name: data}


def with_bundle(change: Callable[[dict[str, Any]], None]) -> dict[str, bytes]:
    bundle = rekor_bundle()
    change(bundle)
    return replaced(REKOR_BUNDLE, json.dumps(bundle).encode())


def changed_set(bundle: dict[str, Any]) -> None:
    raw = base64.b64decode(bundle["SignedEntryTimestamp"])
    bundle["SignedEntryTimestamp"] = base64.b64encode(flip(raw, len(raw) - 1)).decode()


def changed_body(marker: bytes) -> Callable[[dict[str, Any]], None]:
    def change(bundle: dict[str, Any]) -> None:
        body = body_of(bundle)
        bundle["Payload"]["body"] = base64.b64encode(flip(body, body.index(marker) + len(marker) - 1)).decode()

    return change


def changed_certificate(marker: bytes | None) -> dict[str, bytes]:
    der = certificate().public_bytes(Encoding.DER)
    at = len(der) - 1 if marker is None else der.index(marker)
    changed = x509.load_der_x509_certificate(flip(der, at))
    return replaced(CERTIFICATE, changed.public_bytes(Encoding.PEM))


def changes() -> dict[str, tuple[dict[str, bytes], str]]:
    payload = (SIG_DIR / PAYLOAD).read_bytes()
    signature = base64.b64decode((SIG_DIR / SIGNATURE).read_bytes())
    value = json.loads(body_of(rekor_bundle()))["spec"]["data"]["hash"]["value"].encode()
    return {
        "payload": (
            replaced(PAYLOAD, flip(payload, payload.index(b"alpine"))),
            "signature does not verify with any supplied public key",
        ),
        "signature": (
            replaced(SIGNATURE, base64.b64encode(flip(signature, len(signature) - 1))),
            "signature does not verify with any supplied public key",
        ),
        "signed entry timestamp": (with_bundle(changed_set), "signed entry timestamp (SET) check failed"),
        "body hash": (with_bundle(changed_body(value)), "logs this signature over another SHA-256"),
        "body version": (with_bundle(changed_body(b'"apiVersion":"0.0.')), "signed entry timestamp (SET) check failed"),
        "certificate signature": (changed_certificate(None), "with another certificate than"),
        "certificate email": (changed_certificate(b"mitr@redhat.com"), "with another certificate than"),
    }


@pytest.mark.parametrize("case", changes())
def test_a_one_byte_change_fails(tmp_path: Path, case: str) -> None:
    files, expected = changes()[case]
    facts = payload_facts(write_inputs(tmp_path, changed=files), matching(tmp_path))
    assert facts.status is Verification.FAILED, facts.reason
    assert expected in facts.reason


# --- each check on its own, with the pairing bypassed ---------------------------------------------------------


def direct_inputs() -> tuple[bytes, bytes, x509.Certificate, dict[str, Any]]:
    signature = base64.b64decode((SIG_DIR / SIGNATURE).read_bytes())
    return (SIG_DIR / PAYLOAD).read_bytes(), signature, certificate(), rekor_bundle()


def check(payload: bytes, signature: bytes, cert: x509.Certificate, bundle: dict[str, Any]) -> None:
    doc = Document(path="set.json", data=json.dumps(bundle).encode())
    check_cosign_keyless(payload, signature, cert, read_rekor_bundle(doc.data), VerificationContext())


def test_the_untouched_materials_pass_every_check() -> None:
    check(*direct_inputs())


def test_each_check_catches_its_own_change() -> None:
    payload, signature, cert, bundle = direct_inputs()
    der = cert.public_bytes(Encoding.DER)
    forged = x509.load_der_x509_certificate(flip(der, der.index(b"mitr@redhat.com")))
    failures: dict[str, str] = {}
    attempts: dict[str, Callable[[], None]] = {
        "certificate": lambda: check(payload, signature, forged, bundle),
        "payload": lambda: check(flip(payload, 10), signature, cert, bundle),
        "signature": lambda: check(payload, flip(signature, len(signature) - 1), cert, bundle),
        "log index": lambda: check(
            payload, signature, cert, {**bundle, "Payload": {**bundle["Payload"], "logIndex": 1}}
        ),
    }
    for name, attempt in attempts.items():
        with pytest.raises(EntryCheckError) as caught:
            attempt()
        failures[name] = caught.value.step
    assert failures == {
        "certificate": STEP_CHAIN,
        "payload": STEP_SIGNATURE,
        "signature": STEP_SIGNATURE,
        "log index": STEP_SET,
    }


# --- the same materials as a cosign OCI signature manifest's layer annotations ---------------------------------

MANIFEST = "signature-manifest.json"


def signature_manifest(bundle_text: str) -> bytes:
    payload = (SIG_DIR / PAYLOAD).read_bytes()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "size": 2,
            "digest": "sha256:" + hashlib.sha256(b"{}").hexdigest(),
        },
        "layers": [
            {
                "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                "size": len(payload),
                "digest": "sha256:" + hashlib.sha256(payload).hexdigest(),
                "annotations": {
                    "dev.cosignproject.cosign/signature": (SIG_DIR / SIGNATURE).read_text().strip(),
                    "dev.sigstore.cosign/certificate": (SIG_DIR / CERTIFICATE).read_text(),
                    "dev.sigstore.cosign/bundle": bundle_text,
                },
            }
        ],
    }
    return json.dumps(manifest).encode()


def manifest_facts(folder: Path, verification: VerificationContext, bundle_text: str | None = None) -> SignatureFacts:
    inputs = folder / "inputs"
    inputs.mkdir()
    (inputs / PAYLOAD).write_bytes((SIG_DIR / PAYLOAD).read_bytes())
    (inputs / MANIFEST).write_bytes(signature_manifest(bundle_text or (SIG_DIR / REKOR_BUNDLE).read_text()))
    items = collect_verify_bind([inputs], image_digest=DIGEST, verification=verification).items
    (manifest,) = [item for item in items if item.path.endswith(MANIFEST)]
    assert manifest.signature is not None
    return manifest.signature


def test_a_signature_manifest_verifies_keylessly_with_its_real_identity(tmp_path: Path) -> None:
    identity, issuer = signer()
    facts = manifest_facts(tmp_path, matching(tmp_path))
    logged = rekor_bundle()["Payload"]
    assert (facts.status, facts.identity, facts.issuer) == (Verification.VERIFIED, identity, issuer), facts.reason
    assert facts.log_index == logged["logIndex"]
    assert facts.integrated_time == datetime.fromtimestamp(logged["integratedTime"], tz=UTC)
    assert facts.signed_digest == DIGEST
    assert facts.key_id is None
    assert facts.payload_path is not None
    assert facts.payload_path.endswith(PAYLOAD)
    assert "an identity the policy accepts" in facts.reason
    assert "does not verify keylessly" not in facts.reason


def test_a_signature_manifest_without_a_policy_names_its_signer(tmp_path: Path) -> None:
    identity, issuer = signer()
    facts = manifest_facts(tmp_path, context(tmp_path))
    assert facts.status is Verification.UNVERIFIABLE
    assert f"signed by {identity} (issuer {issuer})" in facts.reason


def test_a_signature_manifest_with_a_wrong_identity_fails(tmp_path: Path) -> None:
    _, issuer = signer()
    facts = manifest_facts(tmp_path, context(tmp_path, "someone@example.com", issuer))
    assert facts.status is Verification.FAILED
    assert "an identity the policy does not accept" in facts.reason


def test_a_one_byte_change_to_the_manifest_bundle_set_fails(tmp_path: Path) -> None:
    bundle = rekor_bundle()
    changed_set(bundle)
    facts = manifest_facts(tmp_path, matching(tmp_path), json.dumps(bundle))
    assert facts.status is Verification.FAILED
    assert "signed entry timestamp (SET) check failed" in facts.reason
