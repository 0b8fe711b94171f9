"""Collectors for signatures, keys, provenance, Dockerfiles and image configs; offline signature verification."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, collect_verify_bind
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.collectors.cosign import CosignPayload, DetachedSignature, PublicKey
from evidence.collectors.dockerfile import INSTRUCTIONS, Dockerfile
from evidence.collectors.image_config import DockerInspect
from evidence.collectors.interface import CollectorError, Document
from evidence.collectors.provenance import InTotoAttestation, image_name
from evidence.model import NOT_CHECKED_REASON, Binding, Evidence, EvidenceKind, Located, SignatureMethod, Verification
from evidence.verify.dsse import pae as dsse_pae
from evidence.verify.interface import VerificationContext
from evidence.verify.keypair import link_signatures
from evidence.verify.keys import load_key_file

DIGEST = "sha256:" + "ab" * 32
OTHER_DIGEST = "sha256:" + "cd" * 32
MINE = (InTotoAttestation(), CosignPayload(), DockerInspect(), PublicKey(), DetachedSignature(), Dockerfile())

SIG_DIR = CORPUS / "signatures"
PROV_DIR = CORPUS / "provenance"
OCI_DIR = CORPUS / "oci"
PAYLOAD = SIG_DIR / "cosign-simple-signing-payload.json"
PAYLOAD_SIG = SIG_DIR / "cosign-simple-signing-payload.sig.b64"
FULCIO_CERT = SIG_DIR / "cosign-simple-signing-fulcio-cert.pem"
SLSA_DSSE = PROV_DIR / "slsa-github-generator-container-slsa-v0.2.dsse.json"
SLSA_DSSE_SUBJECT = "sha256:234e2c830c2fb31ac5671789d22adfe44d30c3ee831d01beae5e237841a13122"
COSIGN_ATT_MANIFEST = OCI_DIR / "ghcr-example-package-cosign-att.oci-manifest.json"


def corpus_doc(path: Path) -> Document:
    return Document(path=path.relative_to(CORPUS).as_posix(), data=path.read_bytes())


def parse(doc: Document) -> Evidence:
    claimed = [c for c in MINE if c.sniff(doc)]
    assert claimed, f"{doc.path} not recognized"
    return claimed[0].parse(doc)


def run(*docs: Document) -> dict[str, Evidence]:
    """Parse and link in-memory documents, as `collect` does; results by path."""
    items = [parse(d) for d in docs]
    linked = link_signatures(items, {d.path: d.data for d in docs})
    assert [e.path for e in linked] == [e.path for e in items]
    return {e.path: e for e in linked}


def spki_id(key: PublicKeyTypes) -> str:
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def sign(private: PrivateKeyTypes, data: bytes, *, pss: bool = False) -> bytes:
    if isinstance(private, ec.EllipticCurvePrivateKey):
        algorithm = hashes.SHA384() if private.curve.name == "secp384r1" else hashes.SHA256()
        return private.sign(data, ec.ECDSA(algorithm))
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return private.sign(data)
    assert isinstance(private, rsa.RSAPrivateKey)
    if pss:
        scheme = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)
        return private.sign(data, scheme, hashes.SHA256())
    return private.sign(data, padding.PKCS1v15(), hashes.SHA256())


def pem(private: PrivateKeyTypes) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


KEY_MAKERS: dict[str, tuple[Callable[[], PrivateKeyTypes], str, bool]] = {
    "ecdsa-p256": (lambda: ec.generate_private_key(ec.SECP256R1()), "ECDSA P-256", False),
    "ecdsa-p384": (lambda: ec.generate_private_key(ec.SECP384R1()), "ECDSA P-384", False),
    "ed25519": (ed25519.Ed25519PrivateKey.generate, "Ed25519", False),
    "rsa-pkcs1v15": (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "RSA-2048", False),
    "rsa-pss": (lambda: rsa.generate_private_key(public_exponent=65537, key_size=3072), "RSA-3072", True),
}


def cosign_payload(digest: str = DIGEST, reference: str = "registry.example.com/webapp") -> bytes:
    body = {
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": None,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def write_signed(
    folder: Path, private: PrivateKeyTypes, *, pss: bool = False, payload: bytes | None = None
) -> tuple[bytes, bytes]:
    """payload.json, payload.sig (base64) and cosign.pub in a folder; returns the payload and signature."""
    folder.mkdir(parents=True, exist_ok=True)
    body = payload if payload is not None else cosign_payload()
    signature = sign(private, body, pss=pss)
    (folder / "payload.json").write_bytes(body)
    (folder / "payload.sig").write_bytes(base64.b64encode(signature))
    (folder / "cosign.pub").write_bytes(pem(private))
    return body, signature


def trusting(*keys: Path) -> VerificationContext:
    """The key files named as trust anchors, as `--key` names them; each is among the inputs too, shown by the
    same `<folder>/<file>` path, so a verified signature records the path it would have had anyway."""
    return VerificationContext(keys=tuple(load_key_file(k, f"{k.parent.name}/{k.name}") for k in keys))


def by_name(items: tuple[Evidence, ...], name: str) -> Evidence:
    return next(e for e in items if e.path.endswith("/" + name))


# --- the real cosign payload, signature and Fulcio certificate ---------------------------------------------------


def test_corpus_cosign_payload_facts() -> None:
    item = parse(corpus_doc(PAYLOAD))
    assert item.kind is EvidenceKind.SIGNATURE
    assert item.format == "cosign simple signing"
    digest = "sha256:fa93b01658e3a5a1686dc3ae55f170d8de487006fb53a28efcd12ab0710a2e5f"
    assert item.subjects == (digest,)
    assert item.signature is not None
    assert item.signature.method is SignatureMethod.COSIGN_KEY_PAIR
    assert item.signature.status is Verification.UNCHECKED  # collection records the signature, verify decides
    assert item.signature.reason == NOT_CHECKED_REASON
    assert item.signature.signed_digest == digest
    assert item.signature.docker_reference == "192.168.64.2:5000/test-repo-2100826901021538654/alpine"
    assert item.signature.payload_path == "signatures/cosign-simple-signing-payload.json"


def test_corpus_signature_and_certificate_are_recognized() -> None:
    sig = parse(corpus_doc(PAYLOAD_SIG))
    assert (sig.kind, sig.format, sig.subjects) == (EvidenceKind.DETACHED_SIGNATURE, "base64 signature", ())
    cert = parse(corpus_doc(FULCIO_CERT))
    assert (cert.kind, cert.format, cert.subjects) == (EvidenceKind.PUBLIC_KEY, "PEM certificate", ())
    assert cert.signature is None


def test_corpus_fulcio_certificate_verifies_the_payload() -> None:
    linked = run(corpus_doc(PAYLOAD), corpus_doc(PAYLOAD_SIG), corpus_doc(FULCIO_CERT))
    facts = linked["signatures/cosign-simple-signing-payload.json"].signature
    assert facts is not None
    assert facts.status is Verification.VERIFIED
    cert = x509.load_pem_x509_certificate(FULCIO_CERT.read_bytes())
    assert facts.key_id == spki_id(cert.public_key())
    assert facts.key_algorithm == "ECDSA P-256"
    assert facts.key_path == "signatures/cosign-simple-signing-fulcio-cert.pem"
    assert facts.signature_path == "signatures/cosign-simple-signing-payload.sig.b64"
    assert "signatures/cosign-simple-signing-fulcio-cert.pem" in facts.reason
    # the other files are listed unchanged
    assert linked["signatures/cosign-simple-signing-payload.sig.b64"].kind is EvidenceKind.DETACHED_SIGNATURE
    assert linked["signatures/cosign-simple-signing-fulcio-cert.pem"].kind is EvidenceKind.PUBLIC_KEY


def test_corpus_payload_changed_by_one_byte_fails() -> None:
    data = PAYLOAD.read_bytes().replace(b"a2e5f", b"a2e5e")
    assert data != PAYLOAD.read_bytes()
    tampered = Document(path="signatures/cosign-simple-signing-payload.json", data=data)
    facts = run(tampered, corpus_doc(PAYLOAD_SIG), corpus_doc(FULCIO_CERT))[tampered.path].signature
    assert facts is not None
    assert facts.status is Verification.FAILED
    assert facts.reason == (
        "signature does not verify with any supplied public key: signatures/cosign-simple-signing-fulcio-cert.pem"
    )


def test_corpus_payload_without_key_or_signature_is_unverifiable() -> None:
    facts = run(corpus_doc(PAYLOAD), corpus_doc(PAYLOAD_SIG))[PAYLOAD.relative_to(CORPUS).as_posix()].signature
    assert facts is not None
    assert facts.status is Verification.UNVERIFIABLE
    assert "no public key" in facts.reason
    facts = run(corpus_doc(PAYLOAD), corpus_doc(FULCIO_CERT))[PAYLOAD.relative_to(CORPUS).as_posix()].signature
    assert facts is not None
    assert facts.status is Verification.UNVERIFIABLE
    assert "no detached signature" in facts.reason


def test_corpus_cosign_files_through_collect(tmp_path: Path) -> None:
    for source in (PAYLOAD, PAYLOAD_SIG, FULCIO_CERT):
        shutil.copy(source, tmp_path / source.name)
    digest = "sha256:fa93b01658e3a5a1686dc3ae55f170d8de487006fb53a28efcd12ab0710a2e5f"
    result = collect_verify_bind([tmp_path], image_digest=digest, verification=trusting(tmp_path / FULCIO_CERT.name))
    assert {e.kind for e in result.items} == {
        EvidenceKind.SIGNATURE,
        EvidenceKind.DETACHED_SIGNATURE,
        EvidenceKind.PUBLIC_KEY,
    }
    assert result.skipped == ()
    payload = by_name(result.items, PAYLOAD.name)
    assert payload.binding is Binding.MATCH
    assert payload.signature is not None
    assert payload.signature.status is Verification.VERIFIED
    assert by_name(result.items, FULCIO_CERT.name).binding is Binding.UNBOUND


# --- generated keys: cosign key-pair signing ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KEY_MAKERS))
def test_generated_key_verifies_payload(tmp_path: Path, kind: str) -> None:
    make, algorithm, pss = KEY_MAKERS[kind]
    private = make()
    write_signed(tmp_path, private, pss=pss)
    result = collect_verify_bind([tmp_path], image_digest=DIGEST, verification=trusting(tmp_path / "cosign.pub"))
    payload = by_name(result.items, "payload.json")
    assert payload.binding is Binding.MATCH
    facts = payload.signature
    assert facts is not None
    assert facts.status is Verification.VERIFIED, facts.reason
    assert facts.key_id == spki_id(private.public_key())
    assert facts.key_algorithm == algorithm
    assert facts.key_path == f"{tmp_path.name}/cosign.pub"
    assert facts.signature_path == f"{tmp_path.name}/payload.sig"
    assert facts.payload_path == f"{tmp_path.name}/payload.json"
    assert facts.reason == f"{algorithm} signature {tmp_path.name}/payload.sig verified with {tmp_path.name}/cosign.pub"
    assert by_name(result.items, "payload.sig").kind is EvidenceKind.DETACHED_SIGNATURE
    assert by_name(result.items, "cosign.pub").format == "PEM public key"


@pytest.mark.parametrize("kind", sorted(KEY_MAKERS))
def test_generated_signature_with_another_key_fails(tmp_path: Path, kind: str) -> None:
    make, _, pss = KEY_MAKERS[kind]
    write_signed(tmp_path, make(), pss=pss)
    (tmp_path / "cosign.pub").write_bytes(pem(make()))
    facts = by_name(collect_verify_bind([tmp_path], image_digest=DIGEST).items, "payload.json").signature
    assert facts is not None
    assert facts.status is Verification.FAILED
    assert facts.reason == f"signature does not verify with any supplied public key: {tmp_path.name}/cosign.pub"
    assert facts.signature_path == f"{tmp_path.name}/payload.sig"
    assert facts.key_id is None


@pytest.mark.parametrize("kind", sorted(KEY_MAKERS))
def test_generated_payload_changed_by_one_byte_fails(tmp_path: Path, kind: str) -> None:
    make, _, pss = KEY_MAKERS[kind]
    body, _ = write_signed(tmp_path, make(), pss=pss)
    changed = body.replace(b"webapp", b"webapq")
    assert len(changed) == len(body)
    (tmp_path / "payload.json").write_bytes(changed)
    facts = by_name(collect_verify_bind([tmp_path], image_digest=DIGEST).items, "payload.json").signature
    assert facts is not None
    assert facts.status is Verification.FAILED


@pytest.mark.parametrize("kind", sorted(KEY_MAKERS))
def test_generated_signature_without_key_is_unverifiable(tmp_path: Path, kind: str) -> None:
    make, _, pss = KEY_MAKERS[kind]
    write_signed(tmp_path, make(), pss=pss)
    (tmp_path / "cosign.pub").unlink()
    facts = by_name(collect_verify_bind([tmp_path], image_digest=DIGEST).items, "payload.json").signature
    assert facts is not None
    assert facts.status is Verification.UNVERIFIABLE
    assert facts.reason == "no public key was supplied to verify the detached signature"


def test_certificate_key_verifies_payload(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "signer.example.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(private, hashes.SHA256())
    )
    write_signed(tmp_path, private)
    (tmp_path / "cosign.pub").unlink()
    (tmp_path / "signer.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    result = collect_verify_bind([tmp_path], image_digest=DIGEST, verification=trusting(tmp_path / "signer.crt"))
    assert by_name(result.items, "signer.crt").format == "PEM certificate"
    facts = by_name(result.items, "payload.json").signature
    assert facts is not None
    assert facts.status is Verification.VERIFIED
    assert facts.key_id == spki_id(private.public_key())


def test_raw_r_s_ecdsa_signature_verifies(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    _, der = write_signed(tmp_path, private)
    r, s = decode_dss_signature(der)
    (tmp_path / "payload.sig").write_bytes(base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")))
    facts = by_name(
        collect_verify_bind([tmp_path], image_digest=DIGEST, verification=trusting(tmp_path / "cosign.pub")).items,
        "payload.json",
    ).signature
    assert facts is not None
    assert facts.status is Verification.VERIFIED


def test_malformed_signed_digest_fails_even_when_signature_verifies(tmp_path: Path) -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    write_signed(tmp_path, private, payload=cosign_payload(digest="sha256:NOT-A-DIGEST"))
    payload = by_name(collect_verify_bind([tmp_path], image_digest=DIGEST).items, "payload.json")
    assert payload.subjects == ()
    assert payload.binding is Binding.UNBOUND
    assert payload.signature is not None
    assert payload.signature.status is Verification.FAILED
    assert "not a well-formed sha256 digest" in payload.signature.reason
    assert payload.signature.key_id == spki_id(private.public_key())


def test_two_payloads_each_with_its_own_signature(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    first, second = cosign_payload(DIGEST), cosign_payload(OTHER_DIGEST)
    (tmp_path / "a.json").write_bytes(first)
    (tmp_path / "a.sig").write_bytes(base64.b64encode(sign(private, first)))
    (tmp_path / "b.json").write_bytes(second)
    (tmp_path / "b.sig").write_bytes(base64.b64encode(sign(private, second)))
    (tmp_path / "c.json").write_bytes(cosign_payload("sha256:" + "ef" * 32))  # signed by nobody
    (tmp_path / "cosign.pub").write_bytes(pem(private))
    items = collect_verify_bind([tmp_path], image_digest=DIGEST, verification=trusting(tmp_path / "cosign.pub")).items
    a, b, c = (by_name(items, n).signature for n in ("a.json", "b.json", "c.json"))
    assert a is not None
    assert b is not None
    assert c is not None
    assert (a.status, a.signature_path) == (Verification.VERIFIED, f"{tmp_path.name}/a.sig")
    assert (b.status, b.signature_path) == (Verification.VERIFIED, f"{tmp_path.name}/b.sig")
    assert c.status is Verification.UNVERIFIABLE
    assert "verify other payloads" in c.reason
    assert by_name(items, "b.json").binding is Binding.MISMATCH


def test_payload_alone_is_unverifiable() -> None:
    doc = Document(path="payload.json", data=cosign_payload())
    facts = run(doc)["payload.json"].signature
    assert facts is not None
    assert facts.status is Verification.UNVERIFIABLE
    assert facts.reason == "no detached signature was supplied for this payload"


def test_link_returns_new_list_and_leaves_input_alone() -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    body = cosign_payload()
    docs = [
        Document(path="p.json", data=body),
        Document(path="p.sig", data=base64.b64encode(sign(private, body))),
        Document(path="k.pub", data=pem(private)),
    ]
    items = [parse(d) for d in docs]
    linked = link_signatures(items, {d.path: d.data for d in docs})
    assert linked is not items
    assert items[0].signature is not None
    assert items[0].signature.status is Verification.UNCHECKED
    assert linked[0].signature is not None
    assert linked[0].signature.status is Verification.VERIFIED
    assert linked[1:] == items[1:]


# --- generated keys: DSSE envelopes ------------------------------------------------------------------------------


def slsa_v1_statement(builder: str = "https://github.com/actions/runner/github-hosted") -> dict[str, Any]:
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.example.com/webapp", "digest": {"sha256": DIGEST.removeprefix("sha256:")}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {
                    "workflow": {
                        "ref": "refs/heads/main",
                        "repository": "https://github.com/example/webapp",
                        "path": ".github/workflows/release.yml",
                    }
                },
                "resolvedDependencies": [
                    {
                        "uri": "git+https://github.com/example/webapp@refs/heads/main",
                        "digest": {"gitCommit": "0123456789abcdef0123456789abcdef01234567"},
                    },
                    {
                        "uri": "pkg:docker/debian@12-slim?platform=linux%2Famd64",
                        "digest": {"sha256": "12" * 32},
                    },
                    {"uri": "https://example.com/tool.tar.gz", "digest": {"sha256": "34" * 32}},
                ],
            },
            "runDetails": {
                "builder": {"id": builder},
                "metadata": {
                    "invocationId": "https://github.com/example/webapp/actions/runs/1/attempts/1",
                    "startedOn": "2026-11-20T10:00:00.123456789Z",
                    "finishedOn": "2026-11-20T10:05:00Z",
                },
            },
        },
    }


def envelope(private: PrivateKeyTypes, statement: dict[str, Any], *, pss: bool = False, keyid: str = "") -> bytes:
    body = json.dumps(statement).encode()
    payload_type = "application/vnd.in-toto+json"
    signature = sign(private, dsse_pae(payload_type, body), pss=pss)
    return json.dumps(
        {
            "payloadType": payload_type,
            "payload": base64.b64encode(body).decode(),
            "signatures": [{"keyid": keyid, "sig": base64.b64encode(signature).decode()}],
        }
    ).encode()


def test_dsse_pae_matches_the_specification() -> None:
    assert dsse_pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


@pytest.mark.parametrize("kind", sorted(KEY_MAKERS))
def test_generated_dsse_envelope_verifies(tmp_path: Path, kind: str) -> None:
    make, algorithm, pss = KEY_MAKERS[kind]
    private = make()
    (tmp_path / "provenance.json").write_bytes(envelope(private, slsa_v1_statement(), pss=pss))
    (tmp_path / "cosign.pub").write_bytes(pem(private))
    item = by_name(
        collect_verify_bind([tmp_path], image_digest=DIGEST, verification=trusting(tmp_path / "cosign.pub")).items,
        "provenance.json",
    )
    assert item.kind is EvidenceKind.PROVENANCE
    assert (item.format, item.envelope) == ("SLSA provenance", "DSSE envelope")
    assert item.binding is Binding.MATCH
    assert item.provenance is not None
    facts = item.signature
    assert facts is not None
    assert facts.method == "DSSE"
    assert facts.status is Verification.VERIFIED, facts.reason
    assert facts.key_id == spki_id(private.public_key())
    assert facts.key_algorithm == algorithm
    assert facts.key_path == f"{tmp_path.name}/cosign.pub"
    assert facts.signature_path == f"{tmp_path.name}/provenance.json"
    assert facts.signed_digest == DIGEST
    assert f"{tmp_path.name}/cosign.pub" in facts.reason


@pytest.mark.parametrize("kind", sorted(KEY_MAKERS))
def test_generated_dsse_envelope_with_another_key_fails(tmp_path: Path, kind: str) -> None:
    make, _, pss = KEY_MAKERS[kind]
    (tmp_path / "provenance.json").write_bytes(envelope(make(), slsa_v1_statement(), pss=pss, keyid="abc"))
    (tmp_path / "cosign.pub").write_bytes(pem(make()))
    item = by_name(collect_verify_bind([tmp_path], image_digest=DIGEST).items, "provenance.json")
    assert item.provenance is not None
    assert item.signature is not None
    assert item.signature.status is Verification.FAILED
    assert item.signature.reason == (
        f"DSSE envelope signature does not verify with any supplied public key: {tmp_path.name}/cosign.pub"
    )


@pytest.mark.parametrize("kind", sorted(KEY_MAKERS))
def test_generated_dsse_envelope_changed_by_one_byte_fails(tmp_path: Path, kind: str) -> None:
    make, _, pss = KEY_MAKERS[kind]
    private = make()
    signed = json.loads(envelope(private, slsa_v1_statement(), pss=pss))
    body = base64.b64decode(signed["payload"]).replace(b"github-hosted", b"github-hostee")
    signed["payload"] = base64.b64encode(body).decode()
    (tmp_path / "provenance.json").write_text(json.dumps(signed))
    (tmp_path / "cosign.pub").write_bytes(pem(private))
    item = by_name(collect_verify_bind([tmp_path], image_digest=DIGEST).items, "provenance.json")
    assert item.provenance is not None
    assert item.provenance.builder_id == "https://github.com/actions/runner/github-hostee"
    assert item.signature is not None
    assert item.signature.status is Verification.FAILED


def test_generated_dsse_envelope_without_key_is_unverifiable(tmp_path: Path) -> None:
    (tmp_path / "provenance.json").write_bytes(envelope(ec.generate_private_key(ec.SECP256R1()), slsa_v1_statement()))
    item = by_name(collect_verify_bind([tmp_path], image_digest=DIGEST).items, "provenance.json")
    assert item.provenance is not None
    assert item.signature is not None
    assert item.signature.status is Verification.UNVERIFIABLE
    assert "no public key" in item.signature.reason


def test_unsigned_dsse_envelope_is_unverifiable() -> None:
    body = json.dumps(slsa_v1_statement()).encode()
    doc = Document(
        path="p.json",
        data=json.dumps(
            {
                "payloadType": "application/vnd.in-toto+json",
                "payload": base64.b64encode(body).decode(),
                "signatures": [],
            }
        ).encode(),
    )
    key = ed25519.Ed25519PrivateKey.generate()
    item = run(doc, Document(path="k.pub", data=pem(key)))["p.json"]
    assert item.provenance is not None
    assert item.signature is not None
    assert item.signature.status is Verification.UNVERIFIABLE
    assert item.signature.reason == "the DSSE envelope carries no signature"


def test_generated_slsa_v1_facts() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    item = parse(Document(path="p.json", data=envelope(key, slsa_v1_statement())))
    prov = item.provenance
    assert prov is not None
    assert (item.format_version, item.predicate_type) == ("1.0", "https://slsa.dev/provenance/v1")
    assert prov.statement_type == "https://in-toto.io/Statement/v1"
    assert prov.builder_id == "https://github.com/actions/runner/github-hosted"
    assert prov.build_type == "https://actions.github.io/buildtypes/workflow/v1"
    assert prov.source_repository == "https://github.com/example/webapp"
    assert prov.source_revision == "0123456789abcdef0123456789abcdef01234567"
    assert prov.base_images == (
        Located(
            value="debian@sha256:" + "12" * 32, location="/payload/predicate/buildDefinition/resolvedDependencies/1"
        ),
    )
    assert prov.started_on == datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=UTC)
    assert prov.finished_on == datetime(2026, 11, 20, 10, 5, tzinfo=UTC)
    assert item.collected_at == prov.finished_on
    assert item.subjects == (DIGEST,)


# --- provenance from the corpus ----------------------------------------------------------------------------------


def test_corpus_slsa_v1_container_based_statement() -> None:
    item = parse(corpus_doc(PROV_DIR / "container-based-build-slsa-v1.statement.json"))
    assert item.kind is EvidenceKind.PROVENANCE
    assert (item.format, item.envelope) == ("SLSA provenance", "in-toto statement")
    assert item.predicate_type == "https://slsa.dev/provenance/v1.0"
    assert item.subjects == ("sha256:975a0582b8c9607f3f20a6b8cfef01b25823e68c5c3658e6e1ccaaced2a3255d",)
    prov = item.provenance
    assert prov is not None
    assert prov.statement_type == "https://in-toto.io/Statement/v0.1"
    assert prov.builder_id is None  # this draft predicate has no runDetails
    assert prov.build_type == "https://slsa.dev/container-based-build/v0.1?draft"
    assert prov.source_repository == "git+https://github.com/slsa-framework/slsa-github-generator@refs/heads/main"
    assert prov.source_revision == "cf5804b5c6f1a4b2a0b03401a487dfdfbe3a5f00"
    assert prov.base_images == ()  # the builder image is a parameter, not a resolved dependency
    assert item.signature is None
    assert item.collected_at is None


def test_corpus_buildkit_slsa_v02_statement() -> None:
    item = parse(corpus_doc(PROV_DIR / "buildkit-slsa-v0.2-statement-container-image.intoto.json"))
    assert (item.format, item.envelope) == ("SLSA provenance", "in-toto statement")
    assert (item.format_version, item.predicate_type) == ("0.2", "https://slsa.dev/provenance/v0.2")
    assert item.subjects == ("sha256:d1fc0de9c6a33e502c488221644de1736c53d8ddb59b0e41b4946fb26af50e69",)
    prov = item.provenance
    assert prov is not None
    assert prov.builder_id is None  # BuildKit writes an empty builder id
    assert prov.build_type == "https://mobyproject.org/buildkit@v1"
    assert prov.source_repository == (
        "https://github.com/slsa-framework/example-package.git#4d329c75e7ec1725f7c9ce917a8799d408d06be3"
    )
    assert prov.source_revision == "4d329c75e7ec1725f7c9ce917a8799d408d06be3"
    assert prov.base_images == (
        Located(
            value="golang@sha256:4746d26432a9117a5f58e95cb9f954ddf0de128e9d5816886514199316e4a2fb",
            location="/predicate/materials/0",
        ),
        Located(
            value="gcr.io/distroless/static@sha256:3f2b64ef97bd285e36132c684e6b2ae8f2723293d09aae046196cca64251acac",
            location="/predicate/materials/1",
        ),
    )
    assert prov.started_on == datetime(2025, 2, 25, 21, 57, 6, 800879, tzinfo=UTC)
    assert prov.finished_on == datetime(2025, 2, 25, 21, 57, 29, 660495, tzinfo=UTC)
    assert item.collected_at == prov.finished_on
    assert item.signature is None


def test_corpus_npm_slsa_v02_statement() -> None:
    item = parse(corpus_doc(PROV_DIR / "npm-sigstore-js-1.3.0-slsa-v0.2.statement.json"))
    assert item.subjects == ()  # the only subject digest is sha512
    prov = item.provenance
    assert prov is not None
    assert prov.builder_id == "https://github.com/actions/runner"
    assert prov.build_type == "https://github.com/npm/cli/gha/v2"
    assert prov.source_repository == "git+https://github.com/sigstore/sigstore-js@refs/heads/main"
    assert prov.source_revision == "dae8bd8eb433a4147b4655c00fe73e0f22bc0fb1"
    assert prov.base_images == ()
    assert prov.started_on is None


def test_corpus_slsa_github_generator_dsse_envelope() -> None:
    item = parse(corpus_doc(SLSA_DSSE))
    assert (item.format, item.envelope) == ("SLSA provenance", "DSSE envelope")
    assert item.predicate_type == "https://slsa.dev/provenance/v0.2"
    assert item.subjects == (SLSA_DSSE_SUBJECT,)
    prov = item.provenance
    assert prov is not None
    assert prov.builder_id == (
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml"
        "@refs/tags/v2.1.0"
    )
    assert prov.build_type == "https://github.com/slsa-framework/slsa-github-generator/container@v1"
    assert prov.source_repository == "git+https://github.com/slsa-framework/example-package@refs/heads/main"
    assert prov.source_revision == "4d329c75e7ec1725f7c9ce917a8799d408d06be3"
    assert item.signature is not None
    assert item.signature.status is Verification.UNCHECKED
    assert item.signature.signed_digest == item.subjects[0]
    checked = run(corpus_doc(SLSA_DSSE))[item.path].signature
    assert checked is not None
    assert checked.status is Verification.UNVERIFIABLE


def _attestation_certificate() -> bytes:
    """The Fulcio certificate cosign stored beside this envelope in the registry (an OCI layer annotation)."""
    manifest = json.loads(COSIGN_ATT_MANIFEST.read_text())
    (layer,) = [
        layer
        for layer in manifest["layers"]
        if layer["digest"] == "sha256:" + hashlib.sha256(SLSA_DSSE.read_bytes()).hexdigest()
    ]
    cert: str = layer["annotations"]["dev.sigstore.cosign/certificate"]
    return cert.encode()


def test_corpus_dsse_envelope_verifies_with_its_fulcio_certificate(tmp_path: Path) -> None:
    cert = _attestation_certificate()
    linked = run(corpus_doc(SLSA_DSSE), Document(path="attestation-cert.pem", data=cert))
    attestation = linked[SLSA_DSSE.relative_to(CORPUS).as_posix()]
    assert attestation.provenance is not None
    facts = attestation.signature
    assert facts is not None
    assert facts.status is Verification.VERIFIED
    assert facts.key_id == spki_id(x509.load_pem_x509_certificate(cert).public_key())
    assert facts.key_algorithm == "ECDSA P-256"
    # the same envelope on each line of a JSON-lines file: every line is verified
    line = json.dumps(json.loads(SLSA_DSSE.read_bytes()))
    lines = line + "\n\n" + line + "\n"
    (tmp_path / "attestation.intoto.jsonl").write_text(lines)
    (tmp_path / "attestation-cert.pem").write_bytes(cert)
    item = by_name(
        collect_verify_bind(
            [tmp_path], image_digest=SLSA_DSSE_SUBJECT, verification=trusting(tmp_path / "attestation-cert.pem")
        ).items,
        "attestation.intoto.jsonl",
    )
    assert item.binding is Binding.MATCH
    assert item.provenance is not None
    assert item.signature is not None
    assert item.signature.status is Verification.VERIFIED
    assert item.signature.reason == (
        f"ECDSA P-256 all 2 DSSE envelope signatures verified with {tmp_path.name}/attestation-cert.pem"
    )


def test_corpus_dsse_envelope_with_an_unrelated_certificate_fails() -> None:
    linked = run(corpus_doc(SLSA_DSSE), corpus_doc(FULCIO_CERT))
    item = linked[SLSA_DSSE.relative_to(CORPUS).as_posix()]
    assert item.provenance is not None
    assert item.signature is not None
    assert item.signature.status is Verification.FAILED
    assert "signatures/cosign-simple-signing-fulcio-cert.pem" in item.signature.reason


@pytest.mark.parametrize(
    "name", ["centos-7-cyclonedx-attestation.dsse.intoto.jsonl", "cosign-vuln-attestation.dsse.json"]
)
def test_corpus_non_provenance_attestations_are_claimed(name: str) -> None:
    # read since attestations of SBOMs and scans are (tests/test_collectors_attestations_platform.py)
    doc = corpus_doc(PROV_DIR / name)
    assert [c.name for c in MINE if c.sniff(doc)] == ["in-toto"]


EXPECTED_CLAIMS = {
    "oci/ghcr-example-package-linux-amd64.oci-image-config.json": "docker-inspect",
    "oci/go-stream-client-latest.docker-image-inspect.json": "docker-inspect",
    "provenance/buildkit-slsa-v0.2-statement-container-image.intoto.json": "in-toto",
    "provenance/centos-7-cyclonedx-attestation.dsse.intoto.jsonl": "in-toto",
    "provenance/cosign-vuln-attestation.dsse.json": "in-toto",
    "provenance/container-based-build-slsa-v1.statement.json": "in-toto",
    "provenance/npm-sigstore-js-1.3.0-slsa-v0.2.statement.json": "in-toto",
    "provenance/slsa-github-generator-container-slsa-v0.2.dsse.json": "in-toto",
    "signatures/cosign-simple-signing-fulcio-cert.pem": "public-key",
    "signatures/cosign-simple-signing-payload.json": "cosign-payload",
    "signatures/cosign-simple-signing-payload.sig.b64": "detached-signature",
}


def test_each_corpus_file_is_claimed_by_the_expected_collector_only() -> None:
    claims: dict[str, list[str]] = {}
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file()):
        doc = corpus_doc(path)
        names = [c.name for c in MINE if c.sniff(doc)]
        if names:
            claims[doc.path] = names
    assert claims == {path: [name] for path, name in EXPECTED_CLAIMS.items()}


# --- image configuration -----------------------------------------------------------------------------------------


def test_corpus_docker_inspect() -> None:
    item = parse(corpus_doc(OCI_DIR / "go-stream-client-latest.docker-image-inspect.json"))
    assert (item.kind, item.format) == (EvidenceKind.IMAGE_CONFIG, "docker inspect")
    assert item.subjects == ()  # RepoDigests is empty; the Id is a config digest, not a subject
    facts = item.image_config
    assert facts is not None
    assert facts.image_id == "sha256:1ee5934abde98bde8d1a11878afd05b637ebed272f2bb2bfe14a717757ef8fff"
    assert facts.repo_tags == ("gsantomaggio/go-stream-client:latest",)
    assert facts.repo_digests == ()
    assert facts.created == datetime(2021, 4, 4, 21, 17, 1, 510292, tzinfo=UTC)
    assert facts.user is None
    assert facts.env_names == ("PATH",)
    assert facts.secret_env == ()
    assert facts.labels == {}
    assert facts.healthcheck is False
    assert facts.exposed_ports == ()
    assert facts.volumes == ()
    assert facts.history == ()
    assert (facts.architecture, facts.os) == ("amd64", "linux")


def test_corpus_oci_image_config() -> None:
    item = parse(corpus_doc(OCI_DIR / "ghcr-example-package-linux-amd64.oci-image-config.json"))
    assert (item.kind, item.format) == (EvidenceKind.IMAGE_CONFIG, "OCI image config")
    assert item.subjects == ()
    facts = item.image_config
    assert facts is not None
    assert facts.image_id is None
    assert facts.user == "0"
    assert facts.env_names == ("PATH", "SSL_CERT_FILE")
    assert len(facts.labels) == 8
    assert facts.labels["org.opencontainers.image.revision"] == "4d329c75e7ec1725f7c9ce917a8799d408d06be3"
    assert facts.history == ("COPY /app/app /app # buildkit", 'ENTRYPOINT ["/app"]')  # 13 entries, 2 with created_by
    assert facts.created == datetime(2025, 2, 25, 21, 57, 29, 579251, tzinfo=UTC)
    assert item.collected_at == facts.created
    assert (facts.architecture, facts.os) == ("amd64", "linux")


def inspect_entry(**config: Any) -> dict[str, Any]:
    return {
        "Id": "sha256:" + "99" * 32,
        "RepoTags": ["registry.example.com/webapp:1.4.0"],
        "RepoDigests": [f"registry.example.com/webapp@{DIGEST}", f"mirror.example.com/webapp@{DIGEST}"],
        "Created": "2026-11-20T09:00:00.5Z",
        "Architecture": "arm64",
        "Os": "linux",
        "Config": config,
    }


def test_docker_inspect_subjects_are_repo_digests_not_the_id() -> None:
    entry = inspect_entry(
        User="app:app",
        ExposedPorts={"8080/tcp": {}, "9090/tcp": {}},
        Env=["PATH=/usr/bin", "DB_PASSWORD=hunter2", "API_TOKEN=", "GPG_KEY_FILE=/run/key", "LANG=C.UTF-8"],
        Labels={"org.opencontainers.image.version": "1.4.0", "odd": 3},
        Healthcheck={"Test": ["CMD-SHELL", "curl -f http://localhost:8080/healthz || exit 1"]},
        Volumes={"/data": {}},
    )
    item = parse(Document(path="inspect.json", data=json.dumps([entry]).encode()))
    assert item.subjects == (DIGEST,)
    facts = item.image_config
    assert facts is not None
    assert facts.image_id == "sha256:" + "99" * 32
    assert facts.repo_digests == tuple(entry["RepoDigests"])
    assert facts.user == "app:app"
    assert facts.exposed_ports == ("8080/tcp", "9090/tcp")
    assert facts.env_names == ("PATH", "DB_PASSWORD", "API_TOKEN", "GPG_KEY_FILE", "LANG")
    assert facts.secret_env == (Located(value="DB_PASSWORD", location="/0/Config/Env/1"),)
    assert facts.labels == {"org.opencontainers.image.version": "1.4.0"}
    assert facts.healthcheck is True
    assert facts.volumes == ("/data",)
    assert "hunter2" not in repr(item)
    # the same entry as a bare object
    single = parse(Document(path="inspect.json", data=json.dumps(entry).encode()))
    assert single.image_config is not None
    assert single.image_config.secret_env == (Located(value="DB_PASSWORD", location="/Config/Env/1"),)


def test_docker_inspect_healthcheck_none_and_many_images() -> None:
    item = parse(Document(path="i.json", data=json.dumps([inspect_entry(Healthcheck={"Test": ["NONE"]})]).encode()))
    assert item.image_config is not None
    assert item.image_config.healthcheck is False
    two = Document(path="i.json", data=json.dumps([inspect_entry(), inspect_entry()]).encode())
    with pytest.raises(CollectorError, match="2 images"):
        parse(two)


# --- Dockerfiles -------------------------------------------------------------------------------------------------

PINNED = "sha256:" + "c0" * 32

GOOD_DOCKERFILE = f"""\
# syntax=docker/dockerfile:1.7
# Build the service, then copy it into a distroless image.
ARG GO_VERSION=1.22
ARG RUNTIME=gcr.io/distroless/static-debian12:nonroot@{PINNED}

FROM --platform=$BUILDPLATFORM golang:${{GO_VERSION}}-bookworm@{PINNED} AS build
WORKDIR /src
ARG NPM_TOKEN
ENV GOFLAGS=-mod=vendor \\
    CGO_ENABLED=0
COPY go.mod go.sum ./
RUN <<EOF
set -e
# a heredoc body is shell, not Dockerfile
FROM evil.example.com/miner:latest
USER root
EOF
RUN go build -trimpath -o /out/app ./cmd/app && \\
    # comments inside a continuation are dropped
    strip /out/app
HEALTHCHECK CMD ["true"]
EXPOSE 6060

FROM build AS test
RUN go test ./...

FROM ${{RUNTIME}}
COPY --from=build /out/app /app
USER 65532:65532
EXPOSE 8080/tcp 9090
HEALTHCHECK --interval=30s --timeout=3s \\
  CMD ["/app", "healthz"]
ENTRYPOINT ["/app"]
"""

BAD_DOCKERFILE = """\
FROM ubuntu:22.04
LABEL maintainer="ops@example.com"
ARG GITHUB_TOKEN=ghp_0123456789abcdef
ENV DB_PASSWORD=hunter2 API_KEY="s3cr3t value" LOG_LEVEL=debug
ENV AWS_SECRET_ACCESS_KEY wJalrXUtnFEMI/K7MDENG
ENV TOKEN_COPY=$GITHUB_TOKEN PASSWORD_REF=${GITHUB_TOKEN} EMPTY_SECRET=
ENV POSTGRES_PASSWORD_FILE=/run/secrets/db TOKENIZERS_PARALLELISM=false
ADD https://example.com/releases/tool-1.2.tar.gz /opt/
ADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 \\
    http://example.com/other.tar.gz /opt/
ADD git@github.com:example/private.git /src
ADD ["https://example.com/a b.txt", "/data/"]
ADD vendor.tar.gz /vendor/
RUN apt-get update && apt-get install -y curl
USER root
HEALTHCHECK NONE
EXPOSE 22
CMD ["/usr/sbin/sshd", "-D"]
"""


def dockerfile(text: str, path: str = "Dockerfile") -> Evidence:
    doc = Document(path=path, data=text.encode())
    assert Dockerfile().sniff(doc), text
    item = Dockerfile().parse(doc)
    assert (item.kind, item.format, item.subjects) == (EvidenceKind.DOCKERFILE, "Dockerfile", ())
    return item


def test_dockerfile_satisfying_multi_stage() -> None:
    facts = dockerfile(GOOD_DOCKERFILE).dockerfile
    assert facts is not None
    assert facts.base_images == (
        Located(value=f"golang:1.22-bookworm@{PINNED}", location="line 6"),
        Located(value=f"gcr.io/distroless/static-debian12:nonroot@{PINNED}", location="line 27"),
    )
    assert facts.unpinned_base_images == ()
    assert facts.final_user == Located(value="65532:65532", location="line 29")
    assert facts.healthcheck == Located(
        value='--interval=30s --timeout=3s   CMD ["/app", "healthz"]', location="line 31"
    )
    assert facts.remote_adds == ()
    assert facts.secret_variables == ()  # NPM_TOKEN is declared without a value
    assert facts.exposed_ports == (
        Located(value="8080/tcp", location="line 30"),
        Located(value="9090", location="line 30"),
    )


def test_dockerfile_failing_facts() -> None:
    item = dockerfile(BAD_DOCKERFILE)
    facts = item.dockerfile
    assert facts is not None
    assert facts.base_images == (Located(value="ubuntu:22.04", location="line 1"),)
    assert facts.unpinned_base_images == facts.base_images
    assert facts.final_user == Located(value="root", location="line 15")
    assert facts.healthcheck is None
    assert facts.remote_adds == (
        Located(value="https://example.com/releases/tool-1.2.tar.gz", location="line 8"),
        Located(value="http://example.com/other.tar.gz", location="line 9"),
        Located(value="git@github.com:example/private.git", location="line 11"),
        Located(value="https://example.com/a b.txt", location="line 12"),
    )
    assert facts.secret_variables == (
        Located(value="GITHUB_TOKEN", location="line 3"),
        Located(value="DB_PASSWORD", location="line 4"),
        Located(value="API_KEY", location="line 4"),
        Located(value="AWS_SECRET_ACCESS_KEY", location="line 5"),
    )
    assert facts.exposed_ports == (Located(value="22", location="line 17"),)
    for secret in ("ghp_0123456789abcdef", "hunter2", "s3cr3t", "wJalrXUtnFEMI"):
        assert secret not in repr(item)


def test_dockerfile_user_and_healthcheck_come_from_the_final_stage_and_its_parents() -> None:
    inherited = dockerfile("FROM alpine:3.20 AS base\nUSER app\nHEALTHCHECK CMD true\nEXPOSE 80\nFROM base\nRUN true\n")
    facts = inherited.dockerfile
    assert facts is not None
    assert facts.base_images == (Located(value="alpine:3.20", location="line 1"),)  # `base` is a stage
    assert facts.final_user == Located(value="app", location="line 2")
    assert facts.healthcheck == Located(value="CMD true", location="line 3")
    assert facts.exposed_ports == (Located(value="80", location="line 4"),)
    overridden = dockerfile(
        "FROM alpine:3.20 AS base\nUSER app\nHEALTHCHECK CMD true\nFROM base\nUSER 0\nHEALTHCHECK NONE\n"
    )
    assert overridden.dockerfile is not None
    assert overridden.dockerfile.final_user == Located(value="0", location="line 5")
    assert overridden.dockerfile.healthcheck is None
    unrelated = dockerfile("FROM alpine:3.20 AS build\nUSER app\nHEALTHCHECK CMD true\nFROM debian:12\nRUN true\n")
    assert unrelated.dockerfile is not None
    assert unrelated.dockerfile.final_user is None
    assert unrelated.dockerfile.healthcheck is None


def test_dockerfile_scratch_and_unresolved_arg() -> None:
    scratch = dockerfile('FROM scratch\nCOPY app /app\nENTRYPOINT ["/app"]\n')
    assert scratch.dockerfile is not None
    assert scratch.dockerfile.base_images == ()
    unresolved = dockerfile("ARG BASE\nFROM $BASE AS final\nRUN true\n")
    assert unresolved.dockerfile is not None
    assert unresolved.dockerfile.unpinned_base_images == (Located(value="$BASE", location="line 2"),)
    defaulted = dockerfile("ARG TAG\nFROM python:${TAG:-3.12-slim}\n")
    assert defaulted.dockerfile is not None
    assert defaulted.dockerfile.base_images == (Located(value="python:3.12-slim", location="line 2"),)


def test_dockerfile_stage_names_are_case_insensitive_and_arg_defaults_chain() -> None:
    text = "ARG REG=registry.example.com\nARG IMG=${REG}/base:1\nFROM ${IMG} AS Builder\nFROM builder\n"
    facts = dockerfile(text).dockerfile
    assert facts is not None
    assert facts.base_images == (Located(value="registry.example.com/base:1", location="line 3"),)


def test_dockerfile_escape_directive_and_lowercase_keywords() -> None:
    text = (
        "# escape=`\nfrom mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "env SECRET_KEY=abc `\n    OTHER=1\nuser ContainerUser\n"
    )
    facts = dockerfile(text).dockerfile
    assert facts is not None
    assert facts.secret_variables == (Located(value="SECRET_KEY", location="line 3"),)
    assert facts.final_user == Located(value="ContainerUser", location="line 5")


def test_dockerfile_user_from_a_variable() -> None:
    facts = dockerfile("FROM alpine:3.20\nARG APP_USER=svc\nUSER ${APP_USER}\n").dockerfile
    assert facts is not None
    assert facts.final_user == Located(value="svc", location="line 3")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "#!/bin/sh\nset -e\necho hello\n",
        "From here on, the build uses alpine.\nIt is small.\n",
        "FROM alpine:3.20\nthis is not an instruction\n",
        "RUN apk add curl\nFROM alpine\n",
        "ARG ONLY=1\n",
        "FROM\n",
        "apiVersion: v1\nkind: Pod\n",
        '{"FROM": "alpine"}',
        "FROM: someone@example.com\nSubject: hello\n",
    ],
)
def test_dockerfile_sniff_rejects_other_text(text: str) -> None:
    assert not Dockerfile().sniff(Document(path="x", data=text.encode()))


def test_dockerfile_sniff_rejects_binary_and_bad_utf8() -> None:
    assert not Dockerfile().sniff(Document(path="x", data=b"FROM alpine\n\x00\x01"))
    assert not Dockerfile().sniff(Document(path="x", data=b"FROM alpine\nRUN echo \xff\n"))


# --- strict sniffing and hostile input ---------------------------------------------------------------------------


def test_detached_signature_sniff_is_strict() -> None:
    sniff = DetachedSignature().sniff
    p256 = ec.generate_private_key(ec.SECP256R1())
    p384 = ec.generate_private_key(ec.SECP384R1())
    assert sniff(Document(path="s", data=base64.b64encode(p256.sign(b"x", ec.ECDSA(hashes.SHA256()))) + b"\n"))
    assert sniff(Document(path="s", data=base64.b64encode(p384.sign(b"x", ec.ECDSA(hashes.SHA384())))))
    assert sniff(Document(path="s", data=base64.b64encode(bytes(64))))
    assert sniff(Document(path="s", data=base64.b64encode(bytes(256))))
    for not_a_signature in (
        b"hello world",
        b"aGVsbG8gd29ybGQ=",  # base64 of text
        base64.b64encode(b"\x30" + bytes(69)),  # DER-like prefix but not a SEQUENCE of two INTEGERs
        base64.b64encode(bytes(70)),
        base64.b64encode(bytes(32)) + b"\n" + base64.b64encode(bytes(32)),  # two lines
        b"",
        b"-----BEGIN PUBLIC KEY-----",
    ):
        assert not sniff(Document(path="s", data=not_a_signature)), not_a_signature


def test_public_key_that_cannot_be_loaded_is_a_collector_error() -> None:
    doc = Document(path="broken.pub", data=b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    assert PublicKey().sniff(doc)
    with pytest.raises(CollectorError, match=r"broken\.pub"):
        PublicKey().parse(doc)


def test_public_key_after_leading_text_and_sniff_ignores_json() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    doc = Document(path="k.pem", data=b"Ed25519 key for release signing\n" + pem(key))
    assert PublicKey().sniff(doc)
    assert PublicKey().parse(doc).format == "PEM public key"
    embedded = json.dumps({"key": pem(key).decode()}).encode()
    assert not PublicKey().sniff(Document(path="k.json", data=embedded))


def _variants(value: Any, depth: int = 0) -> list[Any]:
    """Copies of a JSON value with one member replaced by a value of each wrong type."""
    if depth > 4:
        return []
    out: list[Any] = []
    wrong: list[Any] = [None, 7, "text", [], {}, [1, "x", None], True]
    if isinstance(value, dict):
        for key, member in value.items():
            out.extend({**value, key: w} for w in wrong)
            out.extend({**value, key: v} for v in _variants(member, depth + 1))
    elif isinstance(value, list):
        for i, member in enumerate(value[:3]):
            out.extend([*value[:i], w, *value[i + 1 :]] for w in wrong)
            out.extend([*value[:i], v, *value[i + 1 :]] for v in _variants(member, depth + 1))
    return out


def _decoded_statement(envelope_doc: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = json.loads(base64.b64decode(envelope_doc["payload"]))
    return statement


@pytest.mark.parametrize(
    "path",
    [
        PAYLOAD,
        OCI_DIR / "go-stream-client-latest.docker-image-inspect.json",
        OCI_DIR / "ghcr-example-package-linux-amd64.oci-image-config.json",
        PROV_DIR / "buildkit-slsa-v0.2-statement-container-image.intoto.json",
        PROV_DIR / "container-based-build-slsa-v1.statement.json",
    ],
    ids=lambda p: p.name,
)
def test_hostile_types_raise_only_collector_errors(path: Path) -> None:
    original = json.loads(path.read_bytes())
    variants = _variants(original)
    assert len(variants) > 40
    errors: list[CollectorError] = []
    for variant in variants:
        doc = Document(path="hostile.json", data=json.dumps(variant).encode())
        for collector in MINE:
            if collector.sniff(doc):
                try:
                    collector.parse(doc)
                except CollectorError as e:
                    errors.append(e)
    assert errors
    assert all(e.path == "hostile.json" for e in errors)


def test_hostile_envelope_payloads_raise_only_collector_errors() -> None:
    outer = json.loads(SLSA_DSSE.read_bytes())
    statement = _decoded_statement(outer)
    statement["predicate"]["invocation"]["environment"] = {}  # keep the variant count small
    for variant in _variants(statement):
        payload = base64.b64encode(json.dumps(variant).encode()).decode()
        doc = Document(path="hostile.json", data=json.dumps({**outer, "payload": payload}).encode())
        collector = InTotoAttestation()
        if collector.sniff(doc):
            try:
                item = collector.parse(doc)
            except CollectorError:
                continue
            run_result = link_signatures([item], {doc.path: doc.data})
            assert run_result[0].path == "hostile.json"
    for signatures in (None, "x", [None], [{"sig": 5}], [{"sig": "!!notbase64"}], [{"keyid": 3, "sig": ""}]):
        doc = Document(path="s.json", data=json.dumps({**outer, "signatures": signatures}).encode())
        if InTotoAttestation().sniff(doc):
            item = InTotoAttestation().parse(doc)
            key = Document(path="k.pub", data=pem(ed25519.Ed25519PrivateKey.generate()))
            linked = link_signatures([item, PublicKey().parse(key)], {doc.path: doc.data, key.path: key.data})
            assert linked[0].provenance is not None
            assert linked[0].signature is not None
            assert linked[0].signature.status is not Verification.VERIFIED


def test_broken_cosign_payload_is_a_collector_error() -> None:
    for critical in (
        {"type": "cosign container image signature"},
        {"type": "cosign container image signature", "image": []},
        {"type": "cosign container image signature", "image": {"docker-manifest-digest": 5}},
        {"type": "cosign container image signature", "image": {}, "identity": "x"},
    ):
        doc = Document(path="p.json", data=json.dumps({"critical": critical}).encode())
        assert CosignPayload().sniff(doc)
        with pytest.raises(CollectorError):
            CosignPayload().parse(doc)


def test_broken_provenance_is_a_collector_error() -> None:
    good = slsa_v1_statement()
    broken: list[dict[str, Any]] = [
        {**good, "predicate": []},
        {**good, "subject": [{"name": "x", "digest": {"sha256": "not-hex"}}]},
        {**good, "predicate": {**good["predicate"], "buildDefinition": {"resolvedDependencies": {}}}},
    ]
    for statement in broken:
        doc = Document(path="p.json", data=json.dumps(statement).encode())
        assert InTotoAttestation().sniff(doc)
        with pytest.raises(CollectorError, match=r"p\.json"):
            InTotoAttestation().parse(doc)


@pytest.mark.parametrize(
    ("uri", "name"),
    [
        ("pkg:docker/golang@1.21?digest=sha256:" + "ab" * 32 + "&platform=linux%2Famd64", "golang"),
        ("pkg:docker/gcr.io/distroless/static?digest=sha256:" + "ab" * 32, "gcr.io/distroless/static"),
        (
            "pkg:oci/debian@sha256%3A" + "ab" * 32 + "?repository_url=docker.io/library/debian",
            "docker.io/library/debian",
        ),
        ("docker.io/library/alpine@sha256:" + "ab" * 32, "docker.io/library/alpine"),
        ("ghcr.io/example/app:1.2", "ghcr.io/example/app"),
        ("localhost:5000/app@sha256:" + "ab" * 32, "localhost:5000/app"),
        ("oci://registry.example.com/team/base", "registry.example.com/team/base"),
        ("bash@sha256:" + "ab" * 32, "bash"),
        ("alpine", None),
        ("https://github.com/example/app.git#" + "1" * 40, None),
        ("git+https://github.com/example/app@refs/heads/main", None),
        ("https://example.com/tool.tar.gz", None),
    ],
)
def test_image_name_recognizes_image_references(uri: str, name: str | None) -> None:
    assert image_name(uri) == name


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_sniff_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    doc = Document(path="x", data=data)
    for collector in MINE:
        if collector.sniff(doc):
            try:
                collector.parse(doc)
            except CollectorError as e:
                assert e.path == "x"  # noqa: PT017


_DOCKERFILE_WORDS = st.text(alphabet=st.sampled_from(list("ab1 =$:{}-@/<>\\`#\"'[],\t")), max_size=25)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([*sorted(INSTRUCTIONS), "FROM", "FROM", "EOF", "#"]), _DOCKERFILE_WORDS)))
def test_dockerfile_reader_never_raises(lines: list[tuple[str, str]]) -> None:
    text = "".join(f"{keyword} {words}\n" for keyword, words in lines)
    doc = Document(path="Dockerfile", data=text.encode())
    if Dockerfile().sniff(doc):
        assert Dockerfile().parse(doc).dockerfile is not None
