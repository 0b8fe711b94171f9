"""Sigstore bundles (v0.1 to v0.3), cosign OCI signature manifests, and `cosign verify --output json` output.

Reading only: the signatures are verified after collection, by `evidence.verify.verify`.

A bundle with a message signature is a SIGNATURE over the digest it records. A bundle with a DSSE envelope
around an in-toto statement is the attestation itself, read by `provenance.evidence_from_statement` (SLSA
provenance, SBOM, vulnerability scan, or an ATTESTATION whose predicate is not read) with locations under
`/dsseEnvelope/payload`: its signature is verified whatever the predicate.

A DSSE envelope whose payload type is not in-toto is skipped, with the reason, and its signature is not checked:
the payload names no subject Fromline reads, so it cannot be bound to an image and no verdict could use it. An
envelope that says it holds in-toto and does not is a broken file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from evidence.collectors._util import DIGEST_RE, expect_array, expect_object, expect_string, parse_time, require_string
from evidence.collectors.cosign import COSIGN_TYPE
from evidence.collectors.interface import CollectorError, Document, SkipFile
from evidence.collectors.provenance import STATEMENT_TYPES, evidence_from_statement
from evidence.model import Evidence, EvidenceKind, SignatureFacts, SignatureMethod
from evidence.verify.dsse import IN_TOTO_PAYLOAD_TYPE, envelope_from, loads
from evidence.verify.material import SIGNATURE_ANNOTATION, is_cosign_manifest, strict_base64

BUNDLE_MEDIA_PREFIX = "application/vnd.dev.sigstore.bundle"
BUNDLE_VERSIONS = {
    "application/vnd.dev.sigstore.bundle+json;version=0.1": "0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2": "0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.3": "0.3",
    "application/vnd.dev.sigstore.bundle.v0.3+json": "0.3",
}
_PAYLOAD_AT = "/dsseEnvelope/payload"


# --- sigstore bundles -------------------------------------------------------------------------------------------


def _statement(doc: Document, obj: dict[str, Any], payload_type: str) -> dict[str, Any]:
    """The in-toto statement inside a bundle's DSSE envelope; SkipFile for a payload of another type."""
    if payload_type != IN_TOTO_PAYLOAD_TYPE:
        raise SkipFile(
            doc.path,
            f"sigstore bundle whose DSSE envelope holds a {payload_type} payload, not an in-toto statement: it "
            "names no subject Fromline reads, so it is not read and its signature is not checked",
        )
    envelope = envelope_from(obj.get("dsseEnvelope"))
    statement = loads(envelope.payload) if envelope is not None else None
    if not isinstance(statement, dict) or statement.get("_type") not in STATEMENT_TYPES:
        raise CollectorError(
            doc.path, f"the DSSE envelope should hold an in-toto statement (payloadType {payload_type}), and does not"
        )
    return statement


def _is_bundle(obj: object) -> bool:
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("mediaType"), str)
        and obj["mediaType"].startswith(BUNDLE_MEDIA_PREFIX)
    )


def _statement_subjects(statement: dict[str, Any], path: str) -> tuple[str, ...]:
    found: list[str] = []
    for i, entry in enumerate(expect_array(statement.get("subject"), path, f"{_PAYLOAD_AT}/subject")):
        subject = expect_object(entry, path, f"{_PAYLOAD_AT}/subject/{i}")
        digest = expect_object(subject.get("digest"), path, f"{_PAYLOAD_AT}/subject/{i}/digest", optional=True)
        value = digest.get("sha256")
        if isinstance(value, str) and DIGEST_RE.fullmatch(f"sha256:{value.lower()}"):
            found.append(f"sha256:{value.lower()}")
    return tuple(dict.fromkeys(found))


class SigstoreBundle:
    """Sigstore bundles, cosign OCI signature manifests, and `cosign verify --output json` output."""

    name = "sigstore-bundle"

    def sniff(self, doc: Document) -> bool:
        obj = doc.json()
        return _is_bundle(obj) or is_cosign_manifest(obj) or _is_cosign_verify_output(obj)

    def parse(self, doc: Document) -> Evidence:
        obj = doc.json()
        if _is_bundle(obj):
            return self._bundle(doc, obj)
        if is_cosign_manifest(obj):
            return _cosign_manifest(doc, obj)
        if _is_cosign_verify_output(obj):
            return _cosign_verify_output(doc, obj)
        raise CollectorError(doc.path, "not a sigstore bundle, cosign signature manifest or cosign verify output")

    def _bundle(self, doc: Document, obj: dict[str, Any]) -> Evidence:
        media_type = obj["mediaType"]
        version = BUNDLE_VERSIONS.get(media_type)
        if version is None:
            raise CollectorError(
                doc.path, f"sigstore bundle media type {media_type} is recognized but not supported (0.1 to 0.3)"
            )
        expect_object(obj.get("verificationMaterial"), doc.path, "/verificationMaterial")
        has_message, has_dsse = "messageSignature" in obj, "dsseEnvelope" in obj
        if has_message == has_dsse:
            raise CollectorError(doc.path, "a sigstore bundle holds exactly one of messageSignature and dsseEnvelope")
        envelope = f"sigstore bundle v{version}"
        if has_message:
            return _message_bundle(doc, obj, version, envelope)
        dsse = expect_object(obj["dsseEnvelope"], doc.path, "/dsseEnvelope")
        payload_type = require_string(dsse.get("payloadType"), doc.path, "/dsseEnvelope/payloadType")
        return _attestation_bundle(doc, _statement(doc, obj, payload_type), envelope)


def _message_bundle(doc: Document, obj: dict[str, Any], version: str, envelope: str) -> Evidence:
    signature = expect_object(obj["messageSignature"], doc.path, "/messageSignature")
    require_string(signature.get("signature"), doc.path, "/messageSignature/signature")
    digest = expect_object(signature.get("messageDigest"), doc.path, "/messageSignature/messageDigest", optional=True)
    signed: str | None = None
    value = expect_string(digest.get("digest"), doc.path, "/messageSignature/messageDigest/digest")
    if digest.get("algorithm") == "SHA2_256" and value is not None:
        raw = strict_base64(value)
        if raw is None or len(raw) != 32:
            raise CollectorError(doc.path, "/messageSignature/messageDigest/digest is not a base64 SHA-256 digest")
        signed = "sha256:" + raw.hex()
    return doc.evidence(
        kind=EvidenceKind.SIGNATURE,
        format="sigstore bundle",
        format_version=version,
        envelope=envelope,
        subjects=(signed,) if signed else (),
        signature=SignatureFacts(
            method=SignatureMethod.SIGSTORE_MESSAGE,
            signed_digest=signed,
            signature_path=doc.path,
        ),
    )


def _attestation_bundle(doc: Document, statement: dict[str, Any], envelope: str) -> Evidence:
    subjects = _statement_subjects(statement, doc.path)
    facts = SignatureFacts(
        method=SignatureMethod.SIGSTORE_DSSE,
        signed_digest=subjects[0] if len(subjects) == 1 else None,
        signature_path=doc.path,
        payload_path=doc.path,
    )
    return evidence_from_statement(doc, statement, envelope=envelope, signature=facts, base_pointer=_PAYLOAD_AT)


# --- cosign OCI signature manifests -----------------------------------------------------------------------------


def _cosign_manifest(doc: Document, obj: dict[str, Any]) -> Evidence:
    layers = expect_array(obj.get("layers"), doc.path, "/layers")
    for i, entry in enumerate(layers):
        layer = expect_object(entry, doc.path, f"/layers/{i}")
        annotations = expect_object(layer.get("annotations"), doc.path, f"/layers/{i}/annotations", optional=True)
        if SIGNATURE_ANNOTATION not in annotations:
            continue
        expect_string(annotations[SIGNATURE_ANNOTATION], doc.path, f"/layers/{i}/annotations/{SIGNATURE_ANNOTATION}")
        digest = require_string(layer.get("digest"), doc.path, f"/layers/{i}/digest")
        if not DIGEST_RE.fullmatch(digest):
            raise CollectorError(doc.path, f"/layers/{i}/digest is not a sha256 digest")
    subject = expect_object(obj.get("subject"), doc.path, "/subject", optional=True)
    subject_digest = expect_string(subject.get("digest"), doc.path, "/subject/digest")
    subjects = (subject_digest,) if subject_digest and DIGEST_RE.fullmatch(subject_digest) else ()
    return doc.evidence(
        kind=EvidenceKind.SIGNATURE,
        format="cosign signature manifest",
        subjects=subjects,
        signature=SignatureFacts(
            method=SignatureMethod.COSIGN_MANIFEST,
            signature_path=doc.path,
        ),
    )


# --- cosign verify --output json --------------------------------------------------------------------------------


def _is_cosign_verify_output(obj: object) -> bool:
    return (
        isinstance(obj, list)
        and bool(obj)
        and all(
            isinstance(entry, dict)
            and isinstance(entry.get("critical"), dict)
            and entry["critical"].get("type") == COSIGN_TYPE
            for entry in obj
        )
    )


def _cosign_verify_output(doc: Document, entries: list[Any]) -> Evidence:
    digests: dict[str, None] = {}  # in the order first listed, each once: entries can number tens of thousands
    identity = issuer = None
    log_index: int | None = None
    integrated = None
    for i, entry in enumerate(entries):
        critical = expect_object(entry["critical"], doc.path, f"/{i}/critical")
        image = expect_object(critical.get("image"), doc.path, f"/{i}/critical/image")
        digest = require_string(
            image.get("docker-manifest-digest"), doc.path, f"/{i}/critical/image/docker-manifest-digest"
        ).strip()
        if DIGEST_RE.fullmatch(digest):
            digests[digest] = None
        optional = expect_object(entry.get("optional"), doc.path, f"/{i}/optional", optional=True)
        identity = identity or expect_string(optional.get("Subject"), doc.path, f"/{i}/optional/Subject")
        issuer = issuer or expect_string(optional.get("Issuer"), doc.path, f"/{i}/optional/Issuer")
        bundle = expect_object(optional.get("Bundle"), doc.path, f"/{i}/optional/Bundle", optional=True)
        payload = expect_object(bundle.get("Payload"), doc.path, f"/{i}/optional/Bundle/Payload", optional=True)
        index, when = payload.get("logIndex"), payload.get("integratedTime")
        if log_index is None and isinstance(index, int) and not isinstance(index, bool):
            log_index = index
        if integrated is None and isinstance(when, int) and not isinstance(when, bool) and when > 0:
            integrated = parse_time(_iso(when))
    return doc.evidence(
        kind=EvidenceKind.SIGNATURE,
        format="cosign verify output",
        subjects=tuple(digests),
        signature=SignatureFacts(
            method=SignatureMethod.COSIGN_VERIFY,
            signed_digest=next(iter(digests)) if len(digests) == 1 else None,
            identity=identity,
            issuer=issuer,
            log_index=log_index,
            integrated_time=integrated,
            asserted_by="cosign verify",
            payload_path=doc.path,
        ),
    )


def _iso(seconds: int) -> str:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return ""
