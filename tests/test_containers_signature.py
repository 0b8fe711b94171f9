"""containers/image (podman, skopeo) sigstore signatures: `\\x00sigstore-json` and one JSON object.

The format is containers/image's (its `signature/sigstore` blob: mimeType, base64 payload, annotations). No such
blob is in the corpus, so each test input is built here in that format from real material: the keyless pieces are
containers/image's own cosign test data in the corpus (simple-signing payload, signature, Fulcio certificate,
Rekor bundle); key-signed blobs are signed here with a fresh key.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import yaml
from conftest import CORPUS, collect_verify_bind
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ObjectIdentifier

from evidence.cli import main
from evidence.model import EvidenceKind, SignatureFacts, SignatureMethod, Verification
from evidence.verify.interface import VerificationContext
from evidence.verify.keys import load_key_file
from evidence.verify.policy import load_policy

SIG_DIR = CORPUS / "signatures"
PAYLOAD = (SIG_DIR / "cosign-simple-signing-payload.json").read_bytes()
SIGNATURE = (SIG_DIR / "cosign-simple-signing-payload.sig.b64").read_text().strip()
CERTIFICATE = (SIG_DIR / "cosign-simple-signing-fulcio-cert.pem").read_text()
REKOR_BUNDLE = (SIG_DIR / "cosign-rekor-bundle-set.json").read_text()
DIGEST = json.loads(PAYLOAD)["critical"]["image"]["docker-manifest-digest"]
MIME = "application/vnd.dev.cosign.simplesigning.v1+json"

pytestmark = pytest.mark.usefixtures("offline")


def blob(payload: bytes = PAYLOAD, mime: str = MIME, **annotations: str) -> bytes:
    names = {
        "signature": "dev.cosignproject.cosign/signature",
        "certificate": "dev.sigstore.cosign/certificate",
        "bundle": "dev.sigstore.cosign/bundle",
    }
    body = {
        "mimeType": mime,
        "payload": base64.b64encode(payload).decode(),
        "annotations": {names[k]: v for k, v in annotations.items()},
    }
    return b"\x00sigstore-json\n" + json.dumps(body).encode()


def keyless(payload: bytes = PAYLOAD) -> bytes:
    return blob(payload, signature=SIGNATURE, certificate=CERTIFICATE, bundle=REKOR_BUNDLE)


def signer() -> tuple[str, str]:
    cert = x509.load_pem_x509_certificate(CERTIFICATE.encode())
    (email,) = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.RFC822Name
    )
    issuer = cert.extensions.get_extension_for_oid(ObjectIdentifier("1.3.6.1.4.1.57264.1.1")).value
    assert isinstance(issuer, x509.UnrecognizedExtension)
    return email, issuer.value.decode()


def policy_context(folder: Path, subject: str, issuer: str) -> VerificationContext:
    path = folder / "policy.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "rules": [{"identities": [{"issuer": issuer, "subject": subject}]}]}))
    return VerificationContext(policy=load_policy(path))


def facts_of(folder: Path, data: bytes, context: VerificationContext, *extra: tuple[str, bytes]) -> SignatureFacts:
    inputs = folder / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    (inputs / "signature-1").write_bytes(data)
    for name, content in extra:
        (inputs / name).write_bytes(content)
    items = collect_verify_bind([inputs], image_digest=DIGEST, verification=context).items
    (item,) = [i for i in items if i.path.endswith("signature-1")]
    assert item.kind is EvidenceKind.SIGNATURE
    assert item.subjects == (DIGEST,)
    assert item.signature is not None
    assert item.signature.method is SignatureMethod.CONTAINERS_SIGSTORE
    return item.signature


def test_a_keyless_signature_verifies_with_its_certificate_and_rekor_bundle(tmp_path: Path) -> None:
    email, issuer = signer()
    facts = facts_of(tmp_path, keyless(), policy_context(tmp_path, email, issuer))
    assert facts.status is Verification.VERIFIED, facts.reason
    assert facts.reason.startswith("cosign keyless signature in the containers/image signature over ")
    assert (facts.identity, facts.issuer) == (email, issuer)


def test_without_a_policy_the_signer_is_named_and_not_accepted(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, keyless(), VerificationContext())
    assert facts.status is Verification.UNVERIFIABLE
    assert "no identity policy was given" in facts.reason
    assert facts.identity == signer()[0]


def test_a_changed_payload_fails(tmp_path: Path) -> None:
    changed = PAYLOAD.replace(b"docker-reference", b"docker-referencf")
    email, issuer = signer()
    facts = facts_of(tmp_path, keyless(changed), policy_context(tmp_path, email, issuer))
    assert facts.status is Verification.FAILED
    assert "signature check failed" in facts.reason


def test_a_certificate_without_rekor_bundle_is_unverifiable_naming_the_identity(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, blob(signature=SIGNATURE, certificate=CERTIFICATE), VerificationContext())
    assert facts.status is Verification.UNVERIFIABLE
    email, issuer = signer()
    assert f"a Fulcio certificate for {email} (issuer {issuer}) but no dev.sigstore.cosign/bundle" in facts.reason


def test_no_signature_annotation_is_unverifiable(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, blob(), VerificationContext())
    assert facts.status is Verification.UNVERIFIABLE
    assert "no dev.cosignproject.cosign/signature annotation" in facts.reason


def _key_pair(folder: Path, name: str) -> tuple[ec.EllipticCurvePrivateKey, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    path = folder / name
    path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return key, path


def _key_signed(key: ec.EllipticCurvePrivateKey) -> bytes:
    return blob(signature=base64.b64encode(key.sign(PAYLOAD, ec.ECDSA(hashes.SHA256()))).decode())


def test_a_key_signed_signature_is_trusted_only_with_a_named_key(tmp_path: Path) -> None:
    key, public = _key_pair(tmp_path, "signer.pub")
    data = _key_signed(key)
    trusted = facts_of(tmp_path / "a", data, VerificationContext(keys=(load_key_file(public),)))
    assert trusted.status is Verification.VERIFIED, trusted.reason
    assert trusted.key_path == str(public)
    among_inputs = facts_of(tmp_path / "b", data, VerificationContext(), ("signer.pub", public.read_bytes()))
    assert among_inputs.status is Verification.UNVERIFIABLE
    assert among_inputs.key_from_evidence
    assert "not a trust anchor" in among_inputs.reason
    _, other = _key_pair(tmp_path, "other.pub")
    wrong = facts_of(tmp_path / "c", data, VerificationContext(keys=(load_key_file(other),)))
    assert wrong.status is Verification.FAILED
    assert "does not verify with any trusted public key" in wrong.reason
    alone = facts_of(tmp_path / "d", data, VerificationContext())
    assert alone.status is Verification.UNVERIFIABLE


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\x00sigstore-json\n{", "is not valid"),
        (b'\x00sigstore-json\n{"mimeType": "x", "payload": "e30="}', "payload type x"),
        (blob(b"{}"), "not a cosign simple-signing payload"),
        (b'\x00sigstore-json\n{"mimeType": "x", "payload": "%%%"}', "/payload is not base64"),
    ],
)
def test_a_broken_blob_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, problem: str
) -> None:
    path = tmp_path / "signature-1"
    path.write_bytes(data)
    assert main(["inspect", str(path)]) == 3
    out = capsys.readouterr().out
    assert "containers/image sigstore signature" in out
    assert problem in out


def test_inspect_names_the_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "signature-1"
    path.write_bytes(keyless())
    assert main(["inspect", "--json", str(path)]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert (entry["kind"], entry["format"], entry["subjects"]) == (
        "signature",
        "containers/image sigstore signature",
        [DIGEST],
    )
    assert entry["verification"]["status"] == "unverifiable"
