"""A Fulcio certificate carried inside a DSSE envelope (`signatures[].cert`, as slsa-github-generator's
`.intoto.jsonl` has it) is named in the reason, and never makes the signer verified: a bare envelope holds no
transparency log entry, so nothing offline shows the signature was made while the certificate was valid.

No such envelope is in the corpus. The inputs are the corpus's slsa-github-generator DSSE envelope with a
certificate added: the corpus's real Fulcio certificate (whose key did not make that signature), and a
certificate made here in Fulcio's shape whose key signs the envelope again.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, collect_verify_bind
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

from evidence.model import SignatureFacts, Verification
from evidence.verify.dsse import pae
from evidence.verify.interface import VerificationContext
from evidence.verify.keys import load_key_file

ENVELOPE = CORPUS / "provenance" / "slsa-github-generator-container-slsa-v0.2.dsse.json"
FULCIO_PEM = (CORPUS / "signatures" / "cosign-simple-signing-fulcio-cert.pem").read_text()
WORKFLOW = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v1.2.0"
ACTIONS = "https://token.actions.githubusercontent.com"
ISSUER_V1_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")

pytestmark = pytest.mark.usefixtures("offline")


def envelope() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(ENVELOPE.read_text())
    return loaded


def fulcio_shaped() -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(tz=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sigstore.dev")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(minutes=10))
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(WORKFLOW)]), critical=True)
        .add_extension(x509.UnrecognizedExtension(ISSUER_V1_OID, ACTIONS.encode()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


def facts_of(path: Path, context: VerificationContext | None = None) -> SignatureFacts:
    (item,) = collect_verify_bind([path], image_digest=None, verification=context).items
    assert item.signature is not None
    return item.signature


def test_a_certificate_whose_key_signs_the_envelope_is_named_and_the_signer_unverified(tmp_path: Path) -> None:
    key, pem = fulcio_shaped()
    signed = envelope()
    body = base64.b64decode(signed["payload"])
    signature = key.sign(pae(signed["payloadType"], body), ec.ECDSA(hashes.SHA256()))
    signed["signatures"] = [{"keyid": "", "sig": base64.b64encode(signature).decode(), "cert": pem}]
    path = tmp_path / "attestation.intoto.jsonl"
    path.write_text(json.dumps(signed) + "\n")
    facts = facts_of(path)
    assert facts.status is Verification.UNVERIFIABLE
    assert f"signed with the key of a Fulcio certificate for {WORKFLOW} (issuer {ACTIONS})" in facts.reason
    assert "no transparency log entry" in facts.reason
    assert facts.identity is None  # named in the reason, not recorded as a verified signer
    other = tmp_path / "other.pub"
    other.write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with_key = facts_of(path, VerificationContext(keys=(load_key_file(other),)))
    assert with_key.status is Verification.FAILED
    assert "does not verify with any supplied public key" in with_key.reason
    assert f"a Fulcio certificate for {WORKFLOW}" in with_key.reason


def test_a_certificate_whose_key_did_not_sign_the_envelope_fails(tmp_path: Path) -> None:
    changed = envelope()
    changed["signatures"][0]["cert"] = FULCIO_PEM
    path = tmp_path / "attestation.intoto.jsonl"
    path.write_text(json.dumps(changed) + "\n")
    facts = facts_of(path)
    assert facts.status is Verification.FAILED
    assert "does not verify with the key of its own certificate, a Fulcio certificate for " in facts.reason


def test_an_envelope_without_a_certificate_reads_as_before(tmp_path: Path) -> None:
    path = tmp_path / "attestation.dsse.json"
    path.write_bytes(ENVELOPE.read_bytes())
    facts = facts_of(path)
    assert facts.status is Verification.UNVERIFIABLE
    assert facts.reason == "no public key was supplied to verify the DSSE envelope signature"
