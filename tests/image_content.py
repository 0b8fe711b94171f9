"""An image and what is attached to it, made by the tests, to be written as an OCI image layout or pushed to a
registry: the image's manifest and config, a cosign `.sig` attachment signed with a test key, an `.att`
attachment (a DSSE envelope of an SLSA provenance statement, signed with the same key), and referrers by the tag
schema that hold real files of the corpus (a sigstore bundle and an SBOM)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
EMPTY = "application/vnd.oci.empty.v1+json"
SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE = "application/vnd.dsse.envelope.v1+json"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BUNDLE = CORPUS / "signatures" / "sigstore-bundle-v0.3-messagesig.bundle_v3.txt.sigstore.json"
SBOM = CORPUS / "cyclonedx" / "alpine-latest-image.cdx-1.4.syft-0.58.0.json"


def digest_of(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def canonical(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


@dataclass
class ImageContent:
    repository: str
    blobs: dict[str, bytes] = field(default_factory=dict)  # digest -> bytes
    manifests: list[tuple[str | None, bytes, str]] = field(default_factory=list)  # (tag, bytes, media type)
    digest: str = ""  # the image's manifest
    payload: bytes = b""  # the cosign simple-signing payload
    signature: str = ""  # its signature, base64
    envelope: bytes = b""  # the .att DSSE envelope

    def blob(self, data: bytes, media_type: str) -> dict[str, object]:
        digest = digest_of(data)
        self.blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def manifest(self, document: dict[str, object], tag: str | None = None) -> dict[str, object]:
        data = canonical(document)
        media_type = str(document["mediaType"])
        self.manifests.append((tag, data, media_type))
        descriptor: dict[str, object] = {"mediaType": media_type, "digest": digest_of(data), "size": len(data)}
        if "artifactType" in document:
            descriptor["artifactType"] = document["artifactType"]
        return descriptor


def signing_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def signed_image(repository: str, key: ec.EllipticCurvePrivateKey, *, layer: bytes = b"") -> ImageContent:
    """An image (one layer: `layer`, or an empty tar) with its cosign signature, attestation and two referrers."""
    content = ImageContent(repository=repository)
    tar = layer or bytes(1024)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"User": "65532", "ExposedPorts": {"8080/tcp": {}}, "Entrypoint": ["/app"]},
        "rootfs": {"type": "layers", "diff_ids": [digest_of(tar)]},
    }
    image = content.manifest(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": content.blob(canonical(config), OCI_CONFIG),
            "layers": [content.blob(tar, "application/vnd.oci.image.layer.v1.tar")],
        },
        tag="1.0.0",
    )
    attach(content, str(image["digest"]), int(str(image["size"])), key)
    return content


def attach(
    content: ImageContent,
    digest: str,
    size: int,
    key: ec.EllipticCurvePrivateKey,
    extra: tuple[tuple[str, bytes], ...] = (),
) -> ImageContent:
    """To the image `digest` (its manifest `size` bytes): a cosign signature (`.sig`) and SLSA provenance
    attestation (`.att`) signed with `key`, and referrers by the tag schema holding the corpus's sigstore bundle and
    SBOM, and `extra` (artifact type, bytes) files."""
    repository = content.repository
    content.digest = digest
    hex_digest = digest.removeprefix("sha256:")
    content.payload = canonical(
        {
            "critical": {
                "identity": {"docker-reference": repository},
                "image": {"docker-manifest-digest": digest},
                "type": "cosign container image signature",
            },
            "optional": None,
        }
    )
    content.signature = _sign(key, content.payload)
    layer_descriptor = content.blob(content.payload, SIMPLE_SIGNING)
    layer_descriptor["annotations"] = {"dev.cosignproject.cosign/signature": content.signature}
    content.manifest(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": content.blob(b"{}", OCI_CONFIG),
            "layers": [layer_descriptor],
        },
        tag=f"sha256-{hex_digest}.sig",
    )

    statement = canonical(
        {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": repository, "digest": {"sha256": hex_digest}}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {
                "buildDefinition": {
                    "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                    "externalParameters": {"workflow": {"repository": "https://github.com/example/app"}},
                },
                "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}},
            },
        }
    )
    payload_type = "application/vnd.in-toto+json"
    pae = b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type.encode(), len(statement), statement)
    content.envelope = canonical(
        {
            "payloadType": payload_type,
            "payload": base64.b64encode(statement).decode(),
            "signatures": [{"sig": _sign(key, pae)}],
        }
    )
    attestation_layer = content.blob(content.envelope, DSSE)
    attestation_layer["annotations"] = {
        "dev.cosignproject.cosign/signature": "",
        "predicateType": "https://slsa.dev/provenance/v1",
    }
    content.manifest(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": content.blob(b"{}", OCI_CONFIG),
            "layers": [attestation_layer],
        },
        tag=f"sha256-{hex_digest}.att",
    )

    referrers = []
    files = (
        ("application/vnd.dev.sigstore.bundle.v0.3+json", BUNDLE.read_bytes()),
        ("application/vnd.cyclonedx+json", SBOM.read_bytes()),
        *extra,
    )
    for artifact_type, data in files:
        referrers.append(
            content.manifest(
                {
                    "schemaVersion": 2,
                    "mediaType": OCI_MANIFEST,
                    "artifactType": artifact_type,
                    "config": content.blob(b"{}", EMPTY),
                    "layers": [content.blob(data, artifact_type)],
                    "subject": {"mediaType": OCI_MANIFEST, "digest": digest, "size": size},
                }
            )
        )
    content.manifest({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": referrers}, tag=f"sha256-{hex_digest}")
    return content


def write_layout(content: ImageContent, root: Path) -> Path:
    """`content` as an OCI image layout: every blob and manifest under blobs/sha256, tags in index.json."""
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    entries = []
    for digest, data in content.blobs.items():
        (blobs / digest.removeprefix("sha256:")).write_bytes(data)
    for tag, data, media_type in content.manifests:
        digest = digest_of(data)
        (blobs / digest.removeprefix("sha256:")).write_bytes(data)
        entry: dict[str, object] = {"mediaType": media_type, "digest": digest, "size": len(data)}
        if tag is not None:
            entry["annotations"] = {"org.opencontainers.image.ref.name": tag}
        entries.append(entry)
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (root / "index.json").write_bytes(canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}))
    return root
