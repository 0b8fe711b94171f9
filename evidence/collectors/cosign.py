"""cosign key-pair signing: the simple-signing payload, its detached signature, public keys; offline verification.

`link_signatures` runs after every file has been read: it tries each detached signature with each public key
over each payload's exact bytes, and each DSSE envelope signature over the envelope's pre-authentication
encoding. Only `cryptography` is used; nothing is fetched.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import re
from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from evidence.collectors._util import DIGEST_RE, expect_object, expect_string, require_string
from evidence.collectors.interface import CollectorError, Document
from evidence.collectors.provenance import DSSE_METHOD, Envelope, read_envelopes
from evidence.model import Evidence, EvidenceKind, SignatureFacts, Verification
from evidence.verify.interface import LoadedKey

COSIGN_TYPE = "cosign container image signature"
COSIGN_METHOD = "cosign key pair (simple signing)"
UNLINKED_REASON = "no detached signature and public key verified this payload"

_MAX_SIGNATURE_FILE = 4096
_MAX_KEY_FILE = 1024 * 1024
_B64_LINE_RE = re.compile(rb"[A-Za-z0-9+/]+={0,2}")
_PEM_RE = re.compile(rb"-----BEGIN (PUBLIC KEY|CERTIFICATE)-----\r?\n.*?-----END \1-----", re.DOTALL)
_PEM_START_RE = re.compile(rb"(?m)^-----BEGIN (?:PUBLIC KEY|CERTIFICATE)-----\s*$")
_RSA_SIGNATURE_SIZES = frozenset({256, 384, 512})  # 2048-, 3072- and 4096-bit keys
_EC_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
    "secp521r1": hashes.SHA512,
}
_EC_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


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
                method=COSIGN_METHOD,
                status=Verification.UNVERIFIABLE,
                reason=UNLINKED_REASON,
                signed_digest=digest,
                docker_reference=reference,
                payload_path=doc.path,
            ),
        )


# --- the detached signature -------------------------------------------------------------------------------------


def _der_length(raw: bytes, at: int) -> tuple[int, int] | None:
    """A DER length at `at`: (length, index after it); short form or one/two length bytes."""
    if at >= len(raw):
        return None
    first = raw[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    if count not in (1, 2) or at + 1 + count > len(raw):
        return None
    return int.from_bytes(raw[at + 1 : at + 1 + count], "big"), at + 1 + count


def _is_der_ecdsa(raw: bytes) -> bool:
    """A DER `SEQUENCE { INTEGER r, INTEGER s }` that fills the bytes exactly, as ECDSA signatures are."""
    if len(raw) < 8 or raw[0] != 0x30:
        return False
    head = _der_length(raw, 1)
    if head is None or head[0] + head[1] != len(raw):
        return False
    at = head[1]
    for _ in range(2):
        if at >= len(raw) or raw[at] != 0x02:
            return False
        part = _der_length(raw, at + 1)
        if part is None or not 1 <= part[0] <= 67:
            return False
        at = part[1] + part[0]
    return at == len(raw)


def decode_signature(data: bytes) -> bytes | None:
    """The signature bytes of a one-line base64 signature file, or None when the file is not one."""
    if len(data) > _MAX_SIGNATURE_FILE:
        return None
    text = data.removeprefix(b"\xef\xbb\xbf").strip()
    if not text or len(text) % 4 or not _B64_LINE_RE.fullmatch(text):
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) == 64 or len(raw) in _RSA_SIGNATURE_SIZES or _is_der_ecdsa(raw):
        return raw
    return None


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


def load_public_key(data: bytes) -> tuple[PublicKeyTypes, str]:
    """The public key in a PEM public key or certificate file, and the PEM label it came from.

    Raises ValueError when the file holds no loadable key.
    """
    match = _PEM_RE.search(data)
    if match is None:
        raise ValueError("no PEM public key or certificate block")
    label = match.group(1).decode()
    try:
        if label == "CERTIFICATE":
            return x509.load_pem_x509_certificate(match.group(0)).public_key(), label
        return serialization.load_pem_public_key(match.group(0)), label
    except UnsupportedAlgorithm as e:
        raise ValueError(f"unsupported key algorithm: {e}") from e


def key_id(key: PublicKeyTypes) -> str:
    """`sha256:` + hex SHA-256 of the key's DER SubjectPublicKeyInfo."""
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def key_algorithm(key: PublicKeyTypes) -> str:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"ECDSA {_EC_NAMES.get(key.curve.name, key.curve.name)}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    return type(key).__name__


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


# --- verification -----------------------------------------------------------------------------------------------


def verifies(key: PublicKeyTypes, signature: bytes, data: bytes) -> bool:
    """Whether `signature` over `data` verifies with `key`: ECDSA (curve hash), Ed25519/Ed448, RSA-SHA256."""
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            return _verifies_ecdsa(key, signature, data)
        if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, data)
            return True
        if isinstance(key, rsa.RSAPublicKey):
            return _verifies_rsa(key, signature, data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return False


def _verifies_ecdsa(key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    algorithm = _EC_HASHES.get(key.curve.name)
    if algorithm is None:
        return False
    candidates = [signature]
    size = (key.curve.key_size + 7) // 8
    if len(signature) == 2 * size:  # IEEE P1363 r || s, as some signers write it
        r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        candidates.append(encode_dss_signature(r, s))
    for candidate in candidates:
        try:
            key.verify(candidate, data, ec.ECDSA(algorithm()))
        except (InvalidSignature, ValueError):
            continue
        return True
    return False


def _verifies_rsa(key: rsa.RSAPublicKey, signature: bytes, data: bytes) -> bool:
    schemes: tuple[padding.AsymmetricPadding, ...] = (
        padding.PKCS1v15(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
    )
    for scheme in schemes:
        try:
            key.verify(signature, data, scheme, hashes.SHA256())
        except (InvalidSignature, ValueError):
            continue
        return True
    return False


def dsse_pae(payload_type: str, body: bytes) -> bytes:
    """The DSSE v1 pre-authentication encoding that envelope signatures cover."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(body), body)


def input_keys(items: list[Evidence], docs: dict[str, Document]) -> list[LoadedKey]:
    """The public keys and certificates among the inputs."""
    keys: list[LoadedKey] = []
    for item in items:
        doc = docs.get(item.path)
        if item.kind is not EvidenceKind.PUBLIC_KEY or doc is None:
            continue
        try:
            key, _ = load_public_key(doc.data)
        except ValueError:
            continue
        keys.append(LoadedKey(path=item.path, key=key, key_id=key_id(key), algorithm=key_algorithm(key)))
    return keys


def _signatures(items: list[Evidence], docs: dict[str, Document]) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for item in items:
        doc = docs.get(item.path)
        if item.kind is EvidenceKind.DETACHED_SIGNATURE and doc is not None:
            raw = decode_signature(doc.data)
            if raw is not None:
                found.append((item.path, raw))
    return found


def _key_list(keys: list[LoadedKey]) -> str:
    return ", ".join(k.path for k in keys)


def _verified(facts: SignatureFacts, key: LoadedKey, signature_path: str, reason: str) -> SignatureFacts:
    return dataclasses.replace(
        facts,
        status=Verification.VERIFIED,
        reason=reason,
        key_id=key.key_id,
        key_path=key.path,
        key_algorithm=key.algorithm,
        signature_path=signature_path,
    )


def _link_payload(
    facts: SignatureFacts,
    matches: list[tuple[str, LoadedKey]],
    signatures: list[tuple[str, bytes]],
    claimed: set[str],
    keys: list[LoadedKey],
) -> SignatureFacts:
    if matches:
        signature_path, key = matches[0]
        if facts.signed_digest is None or not DIGEST_RE.fullmatch(facts.signed_digest):
            return dataclasses.replace(
                _verified(facts, key, signature_path, ""),
                status=Verification.FAILED,
                reason=f"signature {signature_path} verifies with {key.path}, but the signed docker-manifest-digest "
                "is not a well-formed sha256 digest",
            )
        return _verified(
            facts, key, signature_path, f"{key.algorithm} signature {signature_path} verified with {key.path}"
        )
    return _unverified_payload(facts, signatures, claimed, keys)


def _unverified_payload(
    facts: SignatureFacts, signatures: list[tuple[str, bytes]], claimed: set[str], keys: list[LoadedKey]
) -> SignatureFacts:
    unclaimed = [path for path, _ in signatures if path not in claimed]
    if not signatures:
        return dataclasses.replace(facts, reason="no detached signature was supplied for this payload")
    if not unclaimed:
        return dataclasses.replace(
            facts, reason="the supplied detached signatures verify other payloads; none was supplied for this one"
        )
    if not keys:
        return dataclasses.replace(
            facts, reason="no public key was supplied to verify the detached signature", signature_path=unclaimed[0]
        )
    if len(unclaimed) == 1:
        return dataclasses.replace(
            facts,
            status=Verification.FAILED,
            reason=f"signature does not verify with any supplied public key: {_key_list(keys)}",
            signature_path=unclaimed[0],
        )
    return dataclasses.replace(
        facts,
        status=Verification.FAILED,
        reason=f"none of the {len(unclaimed)} detached signatures verifies with any supplied public key: "
        f"{_key_list(keys)}",
    )


def _dsse_key(envelope: Envelope, keys: list[LoadedKey]) -> LoadedKey | None:
    pae = dsse_pae(envelope.payload_type, envelope.payload)
    for _, signature in envelope.signatures:
        if signature is None:
            continue
        key = next((k for k in keys if verifies(k.key, signature, pae)), None)
        if key is not None:
            return key
    return None


def _link_dsse(item: Evidence, doc: Document, keys: list[LoadedKey]) -> Evidence:
    """Verified only when every envelope in the file (one per line of a JSON-lines file) verifies."""
    facts = item.signature
    if facts is None:
        return item
    envelopes = read_envelopes(doc)
    if not envelopes or any(e is None or not e.signatures for e in envelopes):
        return item
    found: list[LoadedKey] = []
    for number, envelope in enumerate(envelopes, start=1):
        assert envelope is not None  # noqa: S101 - checked above
        key = _dsse_key(envelope, keys)
        if key is None:
            if not keys:
                reason = "no public key was supplied to verify the DSSE envelope signature"
                return dataclasses.replace(item, signature=dataclasses.replace(facts, reason=reason))
            which = f" {number} of {len(envelopes)}" if len(envelopes) > 1 else ""
            new = dataclasses.replace(
                facts,
                status=Verification.FAILED,
                reason=f"DSSE envelope{which} signature does not verify with any supplied public key: "
                f"{_key_list(keys)}",
                signature_path=doc.path,
            )
            return dataclasses.replace(item, signature=new)
        found.append(key)
    paths = ", ".join(dict.fromkeys(k.path for k in found))
    what = "DSSE envelope signature" if len(envelopes) == 1 else f"all {len(envelopes)} DSSE envelope signatures"
    reason = f"{found[0].algorithm} {what} verified with {paths}"
    return dataclasses.replace(item, signature=_verified(facts, found[0], doc.path, reason))


def _is_cosign_payload(item: Evidence) -> bool:
    return item.kind is EvidenceKind.SIGNATURE and item.signature is not None and item.signature.method == COSIGN_METHOD


def _is_dsse(item: Evidence) -> bool:
    return item.signature is not None and item.signature.method == DSSE_METHOD


def link_signatures(
    items: list[Evidence], docs: dict[str, Document], extra_keys: Sequence[LoadedKey] = ()
) -> list[Evidence]:
    """Verify payloads and envelopes against the supplied signatures and keys; a new list, same order.

    The keys are those among the inputs and `extra_keys` (named with `--key` or in the identity policy).
    """
    keys = input_keys(items, docs)
    known = {k.key_id for k in keys}
    keys += [k for k in extra_keys if k.key_id not in known]
    signatures = _signatures(items, docs)
    matches: dict[str, list[tuple[str, LoadedKey]]] = {}
    claimed: set[str] = set()
    for item in items:
        doc = docs.get(item.path)
        if not _is_cosign_payload(item) or doc is None:
            continue
        found = matches.setdefault(item.path, [])
        for signature_path, signature in signatures:
            key = next((k for k in keys if verifies(k.key, signature, doc.data)), None)
            if key is not None:
                found.append((signature_path, key))
                claimed.add(signature_path)
    linked: list[Evidence] = []
    for item in items:
        doc = docs.get(item.path)
        if doc is not None and item.signature is not None and _is_cosign_payload(item):
            facts = _link_payload(item.signature, matches.get(item.path, []), signatures, claimed, keys)
            linked.append(dataclasses.replace(item, signature=facts))
        elif doc is not None and _is_dsse(item):
            linked.append(_link_dsse(item, doc, keys))
        else:
            linked.append(item)
    return linked
