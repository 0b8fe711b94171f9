"""Offline signature verification: sigstore bundles, key pairs, cosign manifests, the identity policy.

Every test runs with the network disabled and HOME (and the XDG folders) pointed at an empty directory that
must still be empty afterwards: verification fetches nothing and writes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sigstore
import yaml
from conftest import CORPUS, collect_verify_bind
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from evidence.cli import build_parser
from evidence.cli.verification import verification_context, verification_json
from evidence.collectors.interface import CollectorError, Document
from evidence.collectors.sigstore_bundle import BUNDLE_MEDIA_PREFIX, SigstoreBundle
from evidence.model import Binding, Evidence, EvidenceKind, SignatureMethod, Verification
from evidence.verify.apply import ASSERTED_REASON
from evidence.verify.interface import TrustRoot, VerificationContext, VerificationInputError
from evidence.verify.keyless import Artifact, verify_bundle
from evidence.verify.keys import load_key_file
from evidence.verify.policy import load_policy, missing_attestations

SIG_DIR = CORPUS / "signatures"
PROV_DIR = CORPUS / "provenance"
GITHUB_OAUTH = "https://github.com/login/oauth"
GITHUB_ACTIONS = "https://token.actions.githubusercontent.com"
DIGEST = "sha256:" + "ab" * 32

# Each bundle that sigstore 4.5 verifies: its instance and signer, read from its certificate with openssl.
VERIFIABLE: dict[str, tuple[Path, TrustRoot, str | None, str, str]] = {
    "v0.1 message": (
        SIG_DIR / "sigstore-bundle-v0.1-messagesig.bundle.txt.sigstore.json",
        TrustRoot.STAGING,
        "bundle.txt",
        "a@tny.town",
        GITHUB_OAUTH,
    ),
    "v0.2 message, GitHub wheel": (
        SIG_DIR / "sigstore-bundle-v0.2-messagesig-github-whl.sigstore.json",
        TrustRoot.PRODUCTION,
        None,  # the wheel is not in the corpus: verified over the digest in the bundle
        "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
        GITHUB_ACTIONS,
    ),
    "v0.3 message": (
        SIG_DIR / "sigstore-bundle-v0.3-messagesig.bundle_v3.txt.sigstore.json",
        TrustRoot.STAGING,
        "bundle_v3.txt",
        "william@yossarian.net",
        GITHUB_OAUTH,
    ),
    "v0.3 DSSE, cosign": (
        SIG_DIR / "cosign-oci-attestation-v0.3-dsse.sigstore.json",
        TrustRoot.PRODUCTION,
        None,
        "cody@soyland.com",
        GITHUB_OAUTH,
    ),
    "v0.3 DSSE, CycloneDX": (
        SIG_DIR / "ghcr-ringodev-demo-sbom-cyclonedx-attestation-v0.3.sigstore.json",
        TrustRoot.PRODUCTION,
        None,
        "thomas.grininger@ringodev.com",
        GITHUB_OAUTH,
    ),
}
# DSSE bundles logged as intoto/0.0.2 entries, which sigstore-python 4.5 does not verify (tests/test_verify_intoto.py).
INTOTO_ENTRIES: dict[str, tuple[Path, str]] = {
    "npm v0.1": (
        PROV_DIR / "npm-sigstore-js-2.0.0-slsa-v1.sigstore-bundle-v0.1.json",
        "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
    ),
    "slsa-github-generator v0.2": (
        PROV_DIR / "slsa-github-generator-container-based-slsa-v1.sigstore-bundle-v0.2.json",
        (
            "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
            "builder_container-based_slsa3.yml@refs/tags/v2.1.0"
        ),
    ),
}


pytestmark = pytest.mark.usefixtures("offline")


def policy_file(folder: Path, body: dict[str, Any]) -> Path:
    path = folder / "policy.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


def context_for(
    folder: Path, trust_root: TrustRoot, identities: list[dict[str, str]] | None, **extra: Any
) -> VerificationContext:
    policy = None
    if identities is not None:
        policy = load_policy(policy_file(folder, {"version": 1, "rules": [{"identities": identities}]}))
    return VerificationContext(trust_root=trust_root, policy=policy, **extra)


def log_entry(path: Path) -> tuple[int, datetime]:
    entry = json.loads(path.read_text())["verificationMaterial"]["tlogEntries"][0]
    return int(entry["logIndex"]), datetime.fromtimestamp(int(entry["integratedTime"]), tz=UTC)


def artifact(name: str | None) -> Artifact | None:
    return Artifact(path=name, data=(SIG_DIR / name).read_bytes()) if name else None


# --- the corpus bundles, verified -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(VERIFIABLE))
def test_corpus_bundle_verifies_with_its_identity(tmp_path: Path, case: str) -> None:
    path, root, artifact_name, identity, issuer = VERIFIABLE[case]
    context = context_for(tmp_path, root, [{"issuer": issuer, "subject": identity}])
    result = verify_bundle(path.read_bytes(), context, artifact=artifact(artifact_name))
    assert result.status is Verification.VERIFIED, result.reason
    assert (result.identity, result.issuer) == (identity, issuer)
    assert (result.log_index, result.integrated_time) == log_entry(path)
    assert f"Sigstore {root} trusted root" in result.reason
    assert "an identity the policy accepts" in result.reason
    if artifact_name is None and "message" in case:
        assert "the artifact was not supplied" in result.reason


@pytest.mark.parametrize("case", sorted(VERIFIABLE))
def test_corpus_bundle_with_a_regular_expression_identity(tmp_path: Path, case: str) -> None:
    path, root, artifact_name, identity, issuer = VERIFIABLE[case]
    pattern = ".*" + identity[len(identity) // 2 :].replace(".", r"\.")
    context = context_for(tmp_path, root, [{"issuer": issuer, "subject_regexp": pattern}])
    assert verify_bundle(path.read_bytes(), context, artifact=artifact(artifact_name)).status is Verification.VERIFIED
    context = context_for(tmp_path, root, [{"issuer": issuer, "subject_regexp": pattern[2:-1]}])  # must match fully
    assert verify_bundle(path.read_bytes(), context, artifact=artifact(artifact_name)).status is Verification.FAILED


@pytest.mark.parametrize("case", sorted(VERIFIABLE))
def test_corpus_bundle_with_a_wrong_identity_fails(tmp_path: Path, case: str) -> None:
    path, root, artifact_name, identity, issuer = VERIFIABLE[case]
    context = context_for(tmp_path, root, [{"issuer": issuer, "subject": identity + "x"}])
    result = verify_bundle(path.read_bytes(), context, artifact=artifact(artifact_name))
    assert result.status is Verification.FAILED
    assert "an identity the policy does not accept" in result.reason
    assert result.identity == identity


@pytest.mark.parametrize("case", sorted(VERIFIABLE))
def test_corpus_bundle_with_a_wrong_issuer_fails(tmp_path: Path, case: str) -> None:
    path, root, artifact_name, identity, issuer = VERIFIABLE[case]
    other = GITHUB_ACTIONS if issuer == GITHUB_OAUTH else GITHUB_OAUTH
    context = context_for(tmp_path, root, [{"issuer": other, "subject": identity}])
    result = verify_bundle(path.read_bytes(), context, artifact=artifact(artifact_name))
    assert result.status is Verification.FAILED
    assert f"issuer {other}" in result.reason


@pytest.mark.parametrize("case", sorted(VERIFIABLE))
def test_corpus_bundle_without_a_policy_is_unverifiable(tmp_path: Path, case: str) -> None:
    path, root, artifact_name, identity, _ = VERIFIABLE[case]
    result = verify_bundle(path.read_bytes(), context_for(tmp_path, root, None), artifact=artifact(artifact_name))
    assert result.status is Verification.UNVERIFIABLE
    assert "no identity policy was given" in result.reason
    assert result.identity == identity


@pytest.mark.parametrize("case", sorted(VERIFIABLE))
def test_corpus_bundle_against_the_other_instance_fails(tmp_path: Path, case: str) -> None:
    path, root, artifact_name, identity, issuer = VERIFIABLE[case]
    other = TrustRoot.PRODUCTION if root is TrustRoot.STAGING else TrustRoot.STAGING
    context = context_for(tmp_path, other, [{"issuer": issuer, "subject": identity}])
    result = verify_bundle(path.read_bytes(), context, artifact=artifact(artifact_name))
    assert result.status is Verification.FAILED
    assert "does not chain to a Fulcio certificate authority" in result.reason


def test_corpus_bundle_with_a_given_trusted_root_file(tmp_path: Path) -> None:
    path, _, name, identity, issuer = VERIFIABLE["v0.3 message"]
    staging = Path(sigstore.__file__).parent / "_store" / "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev"
    context = context_for(
        tmp_path,
        TrustRoot.FILE,
        [{"issuer": issuer, "subject": identity}],
        trusted_root_path=staging / "trusted_root.json",
    )
    result = verify_bundle(path.read_bytes(), context, artifact=artifact(name))
    assert result.status is Verification.VERIFIED
    assert f"the trusted root {staging / 'trusted_root.json'}" in result.reason


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


@pytest.mark.parametrize("case", ["v0.1 message", "v0.3 message"])
def test_corpus_artifact_changed_by_one_byte_fails(tmp_path: Path, case: str) -> None:
    path, root, name, identity, issuer = VERIFIABLE[case]
    assert name is not None
    data = (SIG_DIR / name).read_bytes()
    context = context_for(tmp_path, root, [{"issuer": issuer, "subject": identity}])
    result = verify_bundle(path.read_bytes(), context, artifact=Artifact(path=name, data=flip(data, 10)))
    assert result.status is Verification.FAILED
    assert result.reason == f"{name} does not match the digest signed in the bundle"


@pytest.mark.parametrize("case", sorted(VERIFIABLE))
def test_corpus_signature_changed_by_one_byte_fails(tmp_path: Path, case: str) -> None:
    path, root, name, identity, issuer = VERIFIABLE[case]
    bundle = json.loads(path.read_text())
    holder = bundle["dsseEnvelope"]["signatures"][0] if "dsseEnvelope" in bundle else bundle["messageSignature"]
    key = "sig" if "dsseEnvelope" in bundle else "signature"
    signature = base64.b64decode(holder[key])
    holder[key] = base64.b64encode(flip(signature, len(signature) - 2)).decode()
    context = context_for(tmp_path, root, [{"issuer": issuer, "subject": identity}])
    result = verify_bundle(json.dumps(bundle).encode(), context, artifact=artifact(name))
    assert result.status is Verification.FAILED, result.reason


@pytest.mark.parametrize("case", ["v0.3 DSSE, cosign", "v0.3 DSSE, CycloneDX"])
def test_corpus_dsse_payload_changed_by_one_byte_fails(tmp_path: Path, case: str) -> None:
    path, root, _, identity, issuer = VERIFIABLE[case]
    bundle = json.loads(path.read_text())
    payload = base64.b64decode(bundle["dsseEnvelope"]["payload"])
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(flip(payload, len(payload) // 2)).decode()
    context = context_for(tmp_path, root, [{"issuer": issuer, "subject": identity}])
    result = verify_bundle(json.dumps(bundle).encode(), context)
    assert result.status is Verification.FAILED, result.reason


def test_corpus_message_digest_changed_by_one_byte_fails(tmp_path: Path) -> None:
    path, root, _, identity, issuer = VERIFIABLE["v0.2 message, GitHub wheel"]
    bundle = json.loads(path.read_text())
    digest = base64.b64decode(bundle["messageSignature"]["messageDigest"]["digest"])
    bundle["messageSignature"]["messageDigest"]["digest"] = base64.b64encode(flip(digest, 0)).decode()
    context = context_for(tmp_path, root, [{"issuer": issuer, "subject": identity}])
    assert verify_bundle(json.dumps(bundle).encode(), context).status is Verification.FAILED


def test_broken_bundle_fails(tmp_path: Path) -> None:
    path, root, name, identity, issuer = VERIFIABLE["v0.3 message"]
    bundle = json.loads(path.read_text())
    bundle["verificationMaterial"]["certificate"]["rawBytes"] = base64.b64encode(b"not a certificate").decode()
    context = context_for(tmp_path, root, [{"issuer": issuer, "subject": identity}])
    result = verify_bundle(json.dumps(bundle).encode(), context, artifact=artifact(name))
    assert result.status is Verification.FAILED
    assert result.reason.startswith("not a valid sigstore bundle")


# --- the collector ----------------------------------------------------------------------------------------------


def corpus_bundles() -> list[Path]:
    found = []
    for path in sorted([*SIG_DIR.iterdir(), *PROV_DIR.iterdir()]):
        try:
            obj = json.loads(path.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(obj, dict) and str(obj.get("mediaType", "")).startswith(BUNDLE_MEDIA_PREFIX):
            found.append(path)
    return found


def corpus_doc(path: Path) -> Document:
    return Document(path=path.relative_to(CORPUS).as_posix(), data=path.read_bytes())


def test_every_corpus_bundle_is_recognized() -> None:
    bundles = corpus_bundles()
    assert len(bundles) == 7
    assert all(SigstoreBundle().sniff(corpus_doc(p)) for p in bundles)
    others = [p for p in [*SIG_DIR.iterdir(), *PROV_DIR.iterdir()] if p not in bundles]
    assert not any(SigstoreBundle().sniff(corpus_doc(p)) for p in others)


@pytest.mark.parametrize("path", [p for p in corpus_bundles() if "messageSignature" in json.loads(p.read_text())])
def test_corpus_message_bundle_facts(path: Path) -> None:
    item = SigstoreBundle().parse(corpus_doc(path))
    raw = json.loads(path.read_text())
    digest = "sha256:" + base64.b64decode(raw["messageSignature"]["messageDigest"]["digest"]).hex()
    version = raw["mediaType"].split("version=")[-1] if "version=" in raw["mediaType"] else "0.3"
    assert (item.kind, item.format, item.format_version) == (EvidenceKind.SIGNATURE, "sigstore bundle", version)
    assert item.envelope == f"sigstore bundle v{version}"
    assert item.subjects == (digest,)
    assert item.signature is not None
    assert (item.signature.method, item.signature.signed_digest) == (SignatureMethod.SIGSTORE_MESSAGE, digest)


def test_artifact_digests_match_their_bundles() -> None:
    for case in ("v0.1 message", "v0.3 message"):
        path, _, name, _, _ = VERIFIABLE[case]
        assert name is not None
        item = SigstoreBundle().parse(corpus_doc(path))
        assert item.subjects == ("sha256:" + hashlib.sha256((SIG_DIR / name).read_bytes()).hexdigest(),)


def test_corpus_dsse_bundles_become_their_attestation() -> None:
    sbom = SigstoreBundle().parse(corpus_doc(VERIFIABLE["v0.3 DSSE, CycloneDX"][0]))
    assert sbom.kind is EvidenceKind.SBOM
    assert sbom.predicate_type == "https://cyclonedx.org/bom"
    assert sbom.subjects == ("sha256:ea9c657ca44371fadd027510f2a1a68b799003294bf6a4827827971cc4390ad4",)
    assert sbom.envelope == "sigstore bundle v0.3"
    assert sbom.signature is not None
    assert sbom.signature.method is SignatureMethod.SIGSTORE_DSSE
    for path, _ in INTOTO_ENTRIES.values():
        provenance = SigstoreBundle().parse(corpus_doc(path))
        assert provenance.kind is EvidenceKind.PROVENANCE
        assert provenance.predicate_type == "https://slsa.dev/provenance/v1"
    # cosign's generic predicate is not read: the bundle is an attestation all the same, and its signature is checked
    cosign = SigstoreBundle().parse(corpus_doc(VERIFIABLE["v0.3 DSSE, cosign"][0]))
    assert (cosign.kind, cosign.predicate_type) == (
        EvidenceKind.ATTESTATION,
        "https://cosign.sigstore.dev/attestation/v1",
    )
    assert cosign.subjects == ("sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4",)
    assert cosign.envelope == "sigstore bundle v0.3"
    assert cosign.signature is not None
    assert (cosign.signature.method, cosign.signature.signed_digest) == (
        SignatureMethod.SIGSTORE_DSSE,
        cosign.subjects[0],
    )


def test_unsupported_bundle_version_and_broken_bundles() -> None:
    doc = Document(path="b.json", data=b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.4+json"}')
    assert SigstoreBundle().sniff(doc)
    with pytest.raises(CollectorError, match="recognized but not supported"):
        SigstoreBundle().parse(doc)
    for body in (
        {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": []},
        {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": {}},
        {
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {},
            "messageSignature": {"signature": 5},
        },
        {
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {},
            "messageSignature": {"signature": "AA==", "messageDigest": {"algorithm": "SHA2_256", "digest": "AA=="}},
        },
    ):
        with pytest.raises(CollectorError):
            SigstoreBundle().parse(Document(path="b.json", data=json.dumps(body).encode()))


def test_bundles_through_collect(tmp_path: Path) -> None:
    path, _, name, identity, issuer = VERIFIABLE["v0.3 message"]
    assert name is not None
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / path.name).write_bytes(path.read_bytes())
    digest = "sha256:" + hashlib.sha256((SIG_DIR / name).read_bytes()).hexdigest()
    policy = load_policy(
        policy_file(tmp_path, {"version": 1, "rules": [{"identities": [{"issuer": issuer, "subject": identity}]}]})
    )
    context = VerificationContext(
        trust_root=TrustRoot.STAGING, policy=policy, artifacts={name: (SIG_DIR / name).read_bytes()}
    )
    (item,) = collect_verify_bind([tmp_path / "in"], image_digest=digest, verification=context).items
    assert item.binding is Binding.MATCH
    assert item.signature is not None
    assert item.signature.status is Verification.VERIFIED, item.signature.reason
    assert item.signature.payload_path == name
    assert item.signature.identity == identity
    # the same artifact changed by one byte, paired with the bundle by its name
    changed = {name: flip((SIG_DIR / name).read_bytes(), 3)}
    context = VerificationContext(trust_root=TrustRoot.STAGING, policy=policy, artifacts=changed)
    (item,) = collect_verify_bind([tmp_path / "in"], image_digest=digest, verification=context).items
    assert item.signature is not None
    assert item.signature.status is Verification.FAILED
    assert item.signature.reason == f"{name} does not match the digest signed in the bundle"
    # without a context: production trust root, no policy
    (item,) = collect_verify_bind([tmp_path / "in"], image_digest=digest).items
    assert item.signature is not None
    assert item.signature.status is Verification.FAILED
    assert "--staging" in item.signature.reason


# --- cosign verify output and cosign signature manifests --------------------------------------------------------


def test_cosign_verify_output_is_asserted_not_verified(tmp_path: Path) -> None:
    payload = json.loads((SIG_DIR / "cosign-simple-signing-payload.json").read_text())
    payload["optional"] = {
        "Bundle": json.loads((SIG_DIR / "cosign-rekor-bundle-set.json").read_text()),
        "Issuer": GITHUB_OAUTH,
        "Subject": "mitr@redhat.com",
    }
    (tmp_path / "verify.json").write_text(json.dumps([payload]))
    digest = payload["critical"]["image"]["docker-manifest-digest"]
    (item,) = collect_verify_bind([tmp_path / "verify.json"], image_digest=digest).items
    assert (item.kind, item.format, item.subjects, item.binding) == (
        EvidenceKind.SIGNATURE,
        "cosign verify output",
        (digest,),
        Binding.MATCH,
    )
    facts = item.signature
    assert facts is not None
    assert (facts.status, facts.reason, facts.asserted_by) == (
        Verification.UNVERIFIABLE,
        ASSERTED_REASON,
        "cosign verify",
    )
    assert (facts.identity, facts.issuer, facts.log_index) == ("mitr@redhat.com", GITHUB_OAUTH, 8949589)
    assert facts.integrated_time == datetime.fromtimestamp(1670870899, tz=UTC)


def signed_manifest(folder: Path, private: ec.EllipticCurvePrivateKey) -> bytes:
    body = json.dumps(
        {
            "critical": {
                "identity": {"docker-reference": "registry.example.com/webapp"},
                "image": {"docker-manifest-digest": DIGEST},
                "type": "cosign container image signature",
            },
            "optional": None,
        }
    ).encode()
    signature = private.sign(body, ec.ECDSA(hashes.SHA256()))
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": "sha256:" + "0" * 64},
        "layers": [
            {
                "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                "size": len(body),
                "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
                "annotations": {"dev.cosignproject.cosign/signature": base64.b64encode(signature).decode()},
            }
        ],
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "payload.json").write_bytes(body)
    return body


def pem(private: ec.EllipticCurvePrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def manifest_item(items: tuple[Evidence, ...]) -> Evidence:
    return next(e for e in items if e.format == "cosign signature manifest")


def test_cosign_manifest_with_a_fresh_key(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    signed_manifest(tmp_path / "in", private)
    (tmp_path / "cosign.pub").write_bytes(pem(private))
    context = VerificationContext(keys=(load_key_file(tmp_path / "cosign.pub", "cosign.pub"),))
    item = manifest_item(collect_verify_bind([tmp_path / "in"], image_digest=DIGEST, verification=context).items)
    assert item.binding is Binding.MATCH
    assert item.signature is not None
    assert item.signature.status is Verification.VERIFIED, item.signature.reason
    assert (item.signature.signed_digest, item.signature.key_path) == (DIGEST, "cosign.pub")
    (tmp_path / "other.pub").write_bytes(pem(ec.generate_private_key(ec.SECP256R1())))
    context = VerificationContext(keys=(load_key_file(tmp_path / "other.pub", "other.pub"),))
    item = manifest_item(collect_verify_bind([tmp_path / "in"], image_digest=DIGEST, verification=context).items)
    assert item.signature is not None
    assert item.signature.status is Verification.FAILED
    # the payload changed by one byte no longer has the layer's digest: nothing to verify it over
    (tmp_path / "in" / "payload.json").write_bytes(flip((tmp_path / "in" / "payload.json").read_bytes(), 5))
    item = manifest_item(collect_verify_bind([tmp_path / "in"], image_digest=DIGEST, verification=context).items)
    assert item.signature is not None
    assert item.signature.status is Verification.UNVERIFIABLE
    assert "was not supplied" in item.signature.reason


def test_corpus_cosign_attestation_manifest() -> None:
    path = CORPUS / "oci" / "ghcr-example-package-cosign-att.oci-manifest.json"
    (item,) = collect_verify_bind([path], image_digest=DIGEST).items
    assert (item.kind, item.format) == (EvidenceKind.SIGNATURE, "cosign signature manifest")
    assert item.signature is not None
    assert item.signature.status is Verification.UNVERIFIABLE
    assert "attestation manifest" in item.signature.reason


# --- key pairs and the policy -----------------------------------------------------------------------------------


def write_payload(folder: Path, private: ec.EllipticCurvePrivateKey) -> None:
    body = json.dumps(
        {
            "critical": {
                "identity": {"docker-reference": "registry.example.com/webapp"},
                "image": {"docker-manifest-digest": DIGEST},
                "type": "cosign container image signature",
            },
            "optional": None,
        }
    ).encode()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "payload.json").write_bytes(body)
    (folder / "payload.sig").write_bytes(base64.b64encode(private.sign(body, ec.ECDSA(hashes.SHA256()))))


def payload_facts(folder: Path, context: VerificationContext) -> Verification:
    items = collect_verify_bind([folder], image_digest=DIGEST, verification=context).items
    facts = next(e for e in items if e.path.endswith("payload.json")).signature
    assert facts is not None
    return facts.status


def test_key_pair_signature_with_key_option_and_policy(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    write_payload(tmp_path / "in", private)
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "signer.pub").write_bytes(pem(private))
    (tmp_path / "keys" / "other.pub").write_bytes(pem(ec.generate_private_key(ec.SECP256R1())))
    signer = load_key_file(tmp_path / "keys" / "signer.pub")
    assert payload_facts(tmp_path / "in", VerificationContext(keys=(signer,))) is Verification.VERIFIED
    other = load_key_file(tmp_path / "keys" / "other.pub")
    assert payload_facts(tmp_path / "in", VerificationContext(keys=(other,))) is Verification.FAILED
    assert payload_facts(tmp_path / "in", VerificationContext()) is Verification.UNVERIFIABLE
    # the policy accepts the other key only: the signature verifies, but with a key the policy refuses
    refused = load_policy(policy_file(tmp_path, {"version": 1, "rules": [{"keys": [{"path": "keys/other.pub"}]}]}))
    context = VerificationContext(keys=(signer, *refused.loaded_keys), policy=refused)
    items = collect_verify_bind([tmp_path / "in"], image_digest=DIGEST, verification=context).items
    facts = next(e for e in items if e.path.endswith("payload.json")).signature
    assert facts is not None
    assert facts.status is Verification.FAILED
    assert facts.reason.endswith(f"verified with key {signer.path} ({signer.key_id}), which the policy does not accept")
    accepted = load_policy(policy_file(tmp_path, {"version": 1, "rules": [{"keys": [{"key_id": signer.key_id}]}]}))
    assert payload_facts(tmp_path / "in", VerificationContext(keys=(signer,), policy=accepted)) is Verification.VERIFIED


def test_policy_rules_are_picked_by_image(tmp_path: Path) -> None:
    body = {
        "version": 1,
        "rules": [
            {
                "images": ["registry.example.com/*"],
                "identities": [{"issuer": GITHUB_OAUTH, "subject": "a@example.com"}],
            },
            {"attestations": ["sbom"]},
        ],
    }
    policy = load_policy(policy_file(tmp_path, body))
    webapp = policy.for_image("registry.example.com/webapp:1.4.0")
    assert [r.subject for r in webapp.identities] == ["a@example.com"]
    assert webapp.attestations == ("sbom",)
    other = policy.for_image("ghcr.io/x/y@" + DIGEST)
    assert other.identities == ()
    assert other.attestations == ("sbom",)


def test_policy_errors_are_all_reported_at_once(tmp_path: Path) -> None:
    body = {
        "version": 1,
        "rules": [
            {
                "identities": [
                    {"issuer": GITHUB_OAUTH},
                    {"issuer": GITHUB_OAUTH, "subject_regexp": "(unclosed"},
                ],
                "keys": [{"path": "missing.pub"}],
                "attestations": ["sbom", "horoscope"],
                "colour": "blue",
            }
        ],
    }
    with pytest.raises(VerificationInputError) as caught:
        load_policy(policy_file(tmp_path, body))
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "policy.yaml"))
    assert "4 error(s)" in message, message
    for part in (
        "rules/0/identities/0: Value error, give exactly one of subject or subject_regexp",
        "rules/0/identities/1: Value error, subject_regexp is not a valid regular expression",
        "rules/0/attestations: Value error, unknown attestation type horoscope",
        "rules/0/colour: Extra inputs are not permitted",
    ):
        assert part in message
    # with the structure right, the key files are checked, all of them
    body["rules"] = [{"keys": [{"path": "missing.pub"}, {"path": "gone.pub"}]}]
    with pytest.raises(VerificationInputError, match=r"2 error\(s\).*missing\.pub.*gone\.pub"):
        load_policy(policy_file(tmp_path, body))
    (tmp_path / "policy.yaml").write_text("version: 1\nrules: [\n")
    with pytest.raises(VerificationInputError, match="not valid YAML at line"):
        load_policy(tmp_path / "policy.yaml")
    (tmp_path / "policy.yaml").write_text("version: 2\nrules: [{attestations: [sbom]}]\n")
    with pytest.raises(VerificationInputError, match="version"):
        load_policy(tmp_path / "policy.yaml")


def test_missing_attestations(tmp_path: Path) -> None:
    path, _, _, identity, issuer = VERIFIABLE["v0.3 DSSE, CycloneDX"]
    digest = "sha256:ea9c657ca44371fadd027510f2a1a68b799003294bf6a4827827971cc4390ad4"
    rule = {"identities": [{"issuer": issuer, "subject": identity}], "attestations": ["sbom", "slsa-provenance"]}
    policy = load_policy(policy_file(tmp_path, {"version": 1, "rules": [rule]}))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / path.name).write_bytes(path.read_bytes())
    (tmp_path / "in" / "prov.json").write_bytes(INTOTO_ENTRIES["npm v0.1"][0].read_bytes())
    context = VerificationContext(policy=policy)
    items = collect_verify_bind([tmp_path / "in"], image_digest=digest, verification=context).items
    assert missing_attestations(items, policy.for_image(None)) == [
        "slsa-provenance: no attestation of this type was supplied"  # the npm provenance names another digest
    ]
    unverified = collect_verify_bind([tmp_path / "in"], image_digest=digest).items
    (sbom_missing,) = missing_attestations(unverified, policy.for_image(None))[:1]
    assert sbom_missing.startswith("sbom: 1 attestation(s) supplied, none verified (in/")
    assert "no identity policy was given" in sbom_missing


# --- the command line -------------------------------------------------------------------------------------------


def test_command_line_options_build_the_context(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "k.pub").write_bytes(pem(private))
    (tmp_path / "a.txt").write_bytes(b"artifact")
    policy = policy_file(tmp_path, {"version": 1, "rules": [{"attestations": ["sbom"]}]})
    argv = ["package", "in", "--image", "r/x@" + DIGEST, "--out", "o", "--key", str(tmp_path / "k.pub")]
    argv += ["--artifact", str(tmp_path / "a.txt"), "--policy", str(policy), "--staging"]
    context = verification_context(build_parser().parse_args(argv), image="r/x")
    assert context.trust_root is TrustRoot.STAGING
    # shown by its file name, as evidence is: the package does not record where the assessor keeps files
    assert [k.path for k in context.keys] == ["k.pub"]
    assert context.artifacts == {str(tmp_path / "a.txt"): b"artifact"}
    assert context.rules is not None
    assert context.rules.attestations == ("sbom",)
    bad_root = tmp_path / "root.json"
    bad_root.write_text("{}")
    argv = ["package", "in", "--image", "r/x@" + DIGEST, "--out", "o", "--trusted-root", str(bad_root)]
    with pytest.raises(VerificationInputError, match=r"not a Sigstore trusted_root\.json"):
        verification_context(build_parser().parse_args(argv))


def test_verification_json() -> None:
    item = SigstoreBundle().parse(corpus_doc(VERIFIABLE["v0.3 message"][0]))
    assert item.signature is not None
    shown = verification_json(item.signature)
    assert shown is not None
    assert (shown["status"], shown["method"]) == ("unchecked", SignatureMethod.SIGSTORE_MESSAGE.value)
    assert verification_json(None) is None
