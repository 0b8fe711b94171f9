"""containers/image (podman, skopeo) sigstore signatures: a `\\x00sigstore-json` line, then one JSON object with the
signed payload, its media type and cosign's annotations. Reading only: `evidence.verify.verify` checks the
signature, keylessly with the certificate and Rekor bundle annotations when both are there, else with a key.

The payload is cosign's simple-signing JSON: the image digest it names is what the signature is about. Every
field is the signer's claim until the signature verifies.
"""

from __future__ import annotations

import orjson

from evidence.collectors._util import DIGEST_RE
from evidence.collectors.cosign import COSIGN_TYPE
from evidence.collectors.interface import CollectorError, Document
from evidence.model import Evidence, EvidenceKind, SignatureFacts, SignatureMethod
from evidence.verify.material import (
    SIMPLE_SIGNING_MEDIA_TYPE,
    MaterialError,
    is_containers_signature,
    read_containers_signature,
)

FORMAT = "containers/image sigstore signature"


class ContainersSigstoreSignature:
    """A signature as podman and skopeo store it (`\\x00sigstore-json` and JSON)."""

    name = "containers-sigstore-signature"

    def sniff(self, doc: Document) -> bool:
        return is_containers_signature(doc.data)

    def parse(self, doc: Document) -> Evidence:
        try:
            blob = read_containers_signature(doc.data)
        except MaterialError as e:
            raise CollectorError(doc.path, f"{FORMAT}: {e.problem}") from e
        if blob.mime_type != SIMPLE_SIGNING_MEDIA_TYPE:
            raise CollectorError(
                doc.path, f"{FORMAT} of payload type {blob.mime_type}: only {SIMPLE_SIGNING_MEDIA_TYPE} is read"
            )
        try:
            payload = orjson.loads(blob.payload)
        except orjson.JSONDecodeError as e:
            raise CollectorError(doc.path, f"{FORMAT}: /payload is not JSON: {e}") from e
        critical = payload.get("critical") if isinstance(payload, dict) else None
        if not isinstance(critical, dict) or critical.get("type") != COSIGN_TYPE:
            raise CollectorError(doc.path, f"{FORMAT}: /payload is not a cosign simple-signing payload")
        image, identity = critical.get("image"), critical.get("identity")
        digest = image.get("docker-manifest-digest") if isinstance(image, dict) else None
        reference = identity.get("docker-reference") if isinstance(identity, dict) else None
        signed = digest.strip() if isinstance(digest, str) and DIGEST_RE.fullmatch(digest.strip()) else None
        if signed is None:
            raise CollectorError(
                doc.path, f"{FORMAT}: /payload critical.image.docker-manifest-digest is not a sha256 digest"
            )
        return doc.evidence(
            kind=EvidenceKind.SIGNATURE,
            format=FORMAT,
            subjects=(signed,),
            signature=SignatureFacts(
                method=SignatureMethod.CONTAINERS_SIGSTORE,
                signed_digest=signed,
                docker_reference=reference if isinstance(reference, str) else None,
                signature_path=doc.path,
                payload_path=doc.path,
            ),
        )
