"""cosign key-pair signing: the simple-signing payload, its detached signature, public keys. Reading only.

The signatures are checked after collection, by `evidence.verify.verify`, with the payload's exact bytes.
"""

from __future__ import annotations

import re

from evidence.collectors._util import DIGEST_RE, expect_object, expect_string, require_string
from evidence.collectors.interface import CollectorError, Document
from evidence.model import Evidence, EvidenceKind, SignatureFacts, SignatureMethod
from evidence.verify.crypto import decode_signature, load_public_key

COSIGN_TYPE = "cosign container image signature"

_MAX_KEY_FILE = 1024 * 1024
_PEM_START_RE = re.compile(rb"(?m)^-----BEGIN (?:PUBLIC KEY|CERTIFICATE)-----\s*$")


# --- the simple-signing payload ---------------------------------------------------------------------------------


class CosignPayload:
    """The JSON document cosign signs: `critical.image.docker-manifest-digest` names the image."""

    name = "cosign-payload"

    def sniff(self, doc: Document) -> bool:
        obj = doc.json()
        if not isinstance(obj, dict):
            return False
        critical = obj.get("critical")
        return isinstance(critical, dict) and critical.get("type") == COSIGN_TYPE

    def parse(self, doc: Document) -> Evidence:
        if not self.sniff(doc):
            raise CollectorError(doc.path, "not a cosign simple-signing payload")
        critical = expect_object(doc.json()["critical"], doc.path, "/critical")
        image = expect_object(critical.get("image"), doc.path, "/critical/image")
        digest = require_string(
            image.get("docker-manifest-digest"), doc.path, "/critical/image/docker-manifest-digest"
        ).strip()
        identity = expect_object(critical.get("identity"), doc.path, "/critical/identity", optional=True)
        reference = expect_string(identity.get("docker-reference"), doc.path, "/critical/identity/docker-reference")
        return doc.evidence(
            kind=EvidenceKind.SIGNATURE,
            format="cosign simple signing",
            subjects=(digest,) if DIGEST_RE.fullmatch(digest) else (),
            signature=SignatureFacts(
                method=SignatureMethod.COSIGN_KEY_PAIR,
                signed_digest=digest,
                docker_reference=reference,
                payload_path=doc.path,
            ),
        )


# --- the detached signature -------------------------------------------------------------------------------------


class DetachedSignature:
    """A file holding one base64 signature (`cosign sign-blob` / `--output-signature`), nothing else."""

    name = "detached-signature"

    def sniff(self, doc: Document) -> bool:
        return decode_signature(doc.data) is not None

    def parse(self, doc: Document) -> Evidence:
        if decode_signature(doc.data) is None:
            raise CollectorError(doc.path, "not a base64 ECDSA, Ed25519 or RSA signature")
        return doc.evidence(kind=EvidenceKind.DETACHED_SIGNATURE, format="base64 signature")


# --- the public key ---------------------------------------------------------------------------------------------


class PublicKey:
    """A PEM public key (`cosign.pub`) or a PEM certificate whose key is used."""

    name = "public-key"

    def sniff(self, doc: Document) -> bool:
        return len(doc.data) <= _MAX_KEY_FILE and not doc.looks_like_json and bool(_PEM_START_RE.search(doc.data))

    def parse(self, doc: Document) -> Evidence:
        try:
            _, label = load_public_key(doc.data)
        except ValueError as e:
            raise CollectorError(doc.path, f"PEM file holds no readable public key: {e}") from e
        kind_format = "PEM certificate" if label == "CERTIFICATE" else "PEM public key"
        return doc.evidence(kind=EvidenceKind.PUBLIC_KEY, format=kind_format)
