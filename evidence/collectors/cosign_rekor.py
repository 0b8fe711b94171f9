"""cosign's Rekor bundle: the `dev.sigstore.cosign/bundle` annotation value of a keyless `cosign sign`.

`{"SignedEntryTimestamp": base64, "Payload": {"body": base64 entry, "integratedTime", "logIndex", "logID": hex}}`:
the transparency log entry Rekor made for a signature, and its signed promise to include it. It is signature
material with no subjects of its own; `evidence.verify.cosign_keyless` checks it with the simple-signing payload,
the detached signature and the Fulcio certificate it names.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson

from evidence.collectors._util import expect_object, require_string
from evidence.collectors.interface import CollectorError, Document
from evidence.model import Evidence, EvidenceKind

REKOR_BUNDLE_FORMAT = "cosign Rekor bundle"
_LOG_ID_HEX_LENGTH = 64  # SHA-256 of the log's public key
_MAX_JSON_INTEGER = 2**53 - 1  # the canonical JSON the signed entry timestamp covers holds no larger integer


@dataclass(frozen=True, slots=True, kw_only=True)
class RekorBundle:
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


def _is_rekor_bundle(obj: object) -> bool:
    return isinstance(obj, dict) and "SignedEntryTimestamp" in obj and isinstance(obj.get("Payload"), dict)


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _count(value: object, path: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_JSON_INTEGER:
        raise CollectorError(path, f"{where} is not a non-negative integer up to 2^53 - 1")
    return value


def read_rekor_bundle(doc: Document) -> RekorBundle:
    """The bundle's parts; `CollectorError` naming the place of the first broken one."""
    return rekor_bundle_from(doc.json(), doc.path)


def rekor_bundle_from(obj: object, path: str) -> RekorBundle:
    """The parts of a parsed bundle (a file's, or a manifest layer's annotation); `CollectorError` naming `path`
    and the place of the first broken one."""
    if not isinstance(obj, dict) or not _is_rekor_bundle(obj):
        raise CollectorError(path, "not a cosign Rekor bundle (SignedEntryTimestamp and Payload)")
    promise = _b64(require_string(obj["SignedEntryTimestamp"], path, "/SignedEntryTimestamp"))
    if not promise:
        raise CollectorError(path, "/SignedEntryTimestamp is not base64")
    payload = expect_object(obj["Payload"], path, "/Payload")
    body = _b64(require_string(payload.get("body"), path, "/Payload/body"))
    if body is None:
        raise CollectorError(path, "/Payload/body is not base64")
    try:
        entry: Any = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise CollectorError(path, "/Payload/body does not decode to JSON") from e
    if not isinstance(entry, dict) or not isinstance(entry.get("kind"), str):
        raise CollectorError(path, "/Payload/body does not decode to a Rekor entry (no kind)")
    log_id = require_string(payload.get("logID"), path, "/Payload/logID")
    try:
        log_id_bytes = bytes.fromhex(log_id)
    except ValueError as e:
        raise CollectorError(path, "/Payload/logID is not hexadecimal") from e
    if len(log_id) != _LOG_ID_HEX_LENGTH:
        raise CollectorError(path, "/Payload/logID is not a SHA-256 key id")
    return RekorBundle(
        signed_entry_timestamp=promise,
        body=body,
        integrated_time=_count(payload.get("integratedTime"), path, "/Payload/integratedTime"),
        log_index=_count(payload.get("logIndex"), path, "/Payload/logIndex"),
        log_id=log_id_bytes,
    )


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
        signature=_b64(signature) if isinstance(signature, str) else None,
        public_key=_b64(public_key) if isinstance(public_key, str) else None,
    )


class CosignRekorBundle:
    """The `dev.sigstore.cosign/bundle` value, as `cosign verify` prints it under `optional.Bundle`."""

    name = "cosign-rekor-bundle"

    def sniff(self, doc: Document) -> bool:
        return _is_rekor_bundle(doc.json())

    def parse(self, doc: Document) -> Evidence:
        bundle = read_rekor_bundle(doc)
        kind = orjson.loads(bundle.body)["kind"]
        return doc.evidence(kind=EvidenceKind.DETACHED_SIGNATURE, format=REKOR_BUNDLE_FORMAT, envelope=f"Rekor {kind}")
