"""cosign's Rekor bundle: the `dev.sigstore.cosign/bundle` annotation value of a keyless `cosign sign`.

`{"SignedEntryTimestamp": base64, "Payload": {"body": base64 entry, "integratedTime", "logIndex", "logID": hex}}`:
the transparency log entry Rekor made for a signature, and its signed promise to include it. It is signature
material with no subjects of its own; the verification step checks it with the simple-signing payload, the
detached signature and the Fulcio certificate it names (`evidence.verify.cosign_keyless`).
"""

from __future__ import annotations

import orjson

from evidence.collectors.interface import CollectorError, Document
from evidence.model import Evidence, EvidenceKind
from evidence.verify.material import MaterialError, is_rekor_bundle, rekor_bundle_from

REKOR_BUNDLE_FORMAT = "cosign Rekor bundle"


class CosignRekorBundle:
    """The `dev.sigstore.cosign/bundle` value, as `cosign verify` prints it under `optional.Bundle`."""

    name = "cosign-rekor-bundle"

    def sniff(self, doc: Document) -> bool:
        return is_rekor_bundle(doc.json())

    def parse(self, doc: Document) -> Evidence:
        try:
            bundle = rekor_bundle_from(doc.json())
        except MaterialError as e:
            raise CollectorError(doc.path, e.problem) from e
        kind = orjson.loads(bundle.body)["kind"]
        return doc.evidence(kind=EvidenceKind.DETACHED_SIGNATURE, format=REKOR_BUNDLE_FORMAT, envelope=f"Rekor {kind}")
