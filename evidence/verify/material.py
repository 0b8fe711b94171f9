"""Readers of signature material besides DSSE: cosign's Rekor bundle and the signed layers of a cosign manifest.

Pure parsing, no crypto and no collector: collectors use these to recognize and check the files, and the
verification step reads the same material again from the collected bytes.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson

SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate"
BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle"
_LOG_ID_HEX_LENGTH = 64  # SHA-256 of the log's public key
_MAX_JSON_INTEGER = 2**53 - 1  # the canonical JSON the signed entry timestamp covers holds no larger integer


class MaterialError(ValueError):
    """Signature material that cannot be read; `problem` names the JSON pointer and what is wrong there."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def strict_base64(text: str) -> bytes | None:
    """Standard base64 with padding, as cosign and Rekor write it; None when it is not."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


# --- cosign's Rekor bundle --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RekorBundle:
    """The `dev.sigstore.cosign/bundle` value: a Rekor entry and its signed entry timestamp (SET)."""

    signed_entry_timestamp: bytes
    body: bytes  # the canonicalized entry, decoded
    integrated_time: int
    log_index: int
    log_id: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedSignature:
    """What a hashedrekord 0.0.1 entry body records; None where the body does not say."""

    kind: str | None
    api_version: str | None
    sha256: str | None  # hex
    signature: bytes | None
    public_key: bytes | None  # the PEM the entry records (a certificate for keyless signing)


def is_rekor_bundle(obj: object) -> bool:
    return isinstance(obj, dict) and "SignedEntryTimestamp" in obj and isinstance(obj.get("Payload"), dict)


def _text(fields: dict[str, Any], key: str, where: str) -> str:
    value = fields.get(key)
    if isinstance(value, str) and value.strip():
        return value
    if value is None or value == "":
        raise MaterialError(f"{where} is required but {'empty' if value == '' else 'missing'}")
    raise MaterialError(f"{where} should be a non-empty string")


def _count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_JSON_INTEGER:
        raise MaterialError(f"{where} is not a non-negative integer up to 2^53 - 1")
    return value


def rekor_bundle_from(obj: object) -> RekorBundle:
    """The parts of a parsed bundle (a file's, or a manifest layer's annotation); `MaterialError` naming
    the place of the first broken one."""
    if not isinstance(obj, dict) or not is_rekor_bundle(obj):
        raise MaterialError("not a cosign Rekor bundle (SignedEntryTimestamp and Payload)")
    promise = strict_base64(_text(obj, "SignedEntryTimestamp", "/SignedEntryTimestamp"))
    if not promise:
        raise MaterialError("/SignedEntryTimestamp is not base64")
    payload: dict[str, Any] = obj["Payload"]
    body = strict_base64(_text(payload, "body", "/Payload/body"))
    if body is None:
        raise MaterialError("/Payload/body is not base64")
    try:
        entry: Any = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise MaterialError("/Payload/body does not decode to JSON") from e
    if not isinstance(entry, dict) or not isinstance(entry.get("kind"), str):
        raise MaterialError("/Payload/body does not decode to a Rekor entry (no kind)")
    log_id = _text(payload, "logID", "/Payload/logID")
    try:
        log_id_bytes = bytes.fromhex(log_id)
    except ValueError as e:
        raise MaterialError("/Payload/logID is not hexadecimal") from e
    if len(log_id) != _LOG_ID_HEX_LENGTH:
        raise MaterialError("/Payload/logID is not a SHA-256 key id")
    return RekorBundle(
        signed_entry_timestamp=promise,
        body=body,
        integrated_time=_count(payload.get("integratedTime"), "/Payload/integratedTime"),
        log_index=_count(payload.get("logIndex"), "/Payload/logIndex"),
        log_id=log_id_bytes,
    )


def read_rekor_bundle(data: bytes) -> RekorBundle:
    """The bundle in a file's bytes; `MaterialError` when it is not one or is broken."""
    try:
        obj = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as e:
        raise MaterialError("not JSON") from e
    return rekor_bundle_from(obj)


def _get(obj: object, *keys: str) -> object:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def logged_signature(body: bytes) -> LoggedSignature:
    """The signature, SHA-256 and public key a hashedrekord entry body records, read leniently."""
    try:
        entry: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        entry = None
    kind, version = _get(entry, "kind"), _get(entry, "apiVersion")
    algorithm, value = _get(entry, "spec", "data", "hash", "algorithm"), _get(entry, "spec", "data", "hash", "value")
    signature = _get(entry, "spec", "signature", "content")
    public_key = _get(entry, "spec", "signature", "publicKey", "content")
    return LoggedSignature(
        kind=kind if isinstance(kind, str) else None,
        api_version=version if isinstance(version, str) else None,
        sha256=value.lower() if algorithm == "sha256" and isinstance(value, str) else None,
        signature=strict_base64(signature) if isinstance(signature, str) else None,
        public_key=strict_base64(public_key) if isinstance(public_key, str) else None,
    )


# --- cosign OCI signature manifests -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedLayer:
    """A manifest layer annotated with a cosign signature: the digest of the payload it signs."""

    digest: str
    signature: bytes | None  # None when the annotation is empty (an attestation manifest) or not base64
    annotations: dict[str, object]

    @property
    def keyless(self) -> bool:
        return CERTIFICATE_ANNOTATION in self.annotations


def is_cosign_manifest(obj: object) -> bool:
    """An OCI manifest with a layer annotated `dev.cosignproject.cosign/signature` (empty for attestations)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("layers"), list):
        return False
    return any(
        isinstance(layer, dict)
        and isinstance(layer.get("annotations"), dict)
        and SIGNATURE_ANNOTATION in layer["annotations"]
        for layer in obj["layers"]
    )


def signed_layers(obj: object) -> list[SignedLayer]:
    """Each layer of a cosign manifest that carries a signature annotation, in order; read leniently."""
    found: list[SignedLayer] = []
    if not isinstance(obj, dict) or not is_cosign_manifest(obj):
        return found
    for layer in obj["layers"]:
        if not isinstance(layer, dict) or not isinstance(layer.get("annotations"), dict):
            continue
        annotations: dict[str, object] = layer["annotations"]
        value, digest = annotations.get(SIGNATURE_ANNOTATION), layer.get("digest")
        if SIGNATURE_ANNOTATION in annotations and isinstance(digest, str):
            raw = strict_base64(value) if isinstance(value, str) and value else None
            found.append(SignedLayer(digest=digest, signature=raw, annotations=annotations))
    return found


# --- containers/image sigstore signatures -----------------------------------------------------------------------

# How containers/image (podman, skopeo) stores a sigstore signature: this line, then one JSON object holding the
# signed payload (base64), its media type, and cosign's annotations (signature, certificate, Rekor bundle).
CONTAINERS_SIGSTORE_PREFIX = b"\x00sigstore-json\n"
SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainersSignature:
    """A containers/image sigstore signature: the payload it signs and cosign's annotations, all untrusted."""

    mime_type: str
    payload: bytes
    annotations: dict[str, str]


def is_containers_signature(data: bytes) -> bool:
    return data.startswith(CONTAINERS_SIGSTORE_PREFIX)


def read_containers_signature(data: bytes) -> ContainersSignature:
    """The blob's JSON object; `MaterialError` naming what is wrong."""
    try:
        obj = orjson.loads(data.removeprefix(CONTAINERS_SIGSTORE_PREFIX))
    except orjson.JSONDecodeError as e:
        raise MaterialError(f"the JSON after the sigstore-json line is not valid: {e}") from e
    if not isinstance(obj, dict):
        raise MaterialError("the JSON after the sigstore-json line should be an object")
    mime_type = _text(obj, "mimeType", "/mimeType")
    payload = strict_base64(_text(obj, "payload", "/payload"))
    if payload is None:
        raise MaterialError("/payload is not base64 data")
    annotations = obj.get("annotations", {})
    if not isinstance(annotations, dict) or not all(isinstance(v, str) for v in annotations.values()):
        raise MaterialError("/annotations should be an object of strings")
    return ContainersSignature(mime_type=mime_type, payload=payload, annotations=annotations)
