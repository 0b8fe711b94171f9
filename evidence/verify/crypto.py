"""The crypto primitives: public keys, their ids and algorithms, detached signatures, signature checks.

Only `cryptography` is used; nothing is fetched. Collectors use `decode_signature` and `load_public_key` to
recognize signature and key files; every check of a signature is made in this package.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from evidence.verify.interface import LoadedKey

_MAX_SIGNATURE_FILE = 4096
_B64_LINE_RE = re.compile(rb"[A-Za-z0-9+/]+={0,2}")
_PEM_RE = re.compile(rb"-----BEGIN (PUBLIC KEY|CERTIFICATE)-----\r?\n.*?-----END \1-----", re.DOTALL)
_RSA_SIGNATURE_SIZES = frozenset({256, 384, 512})  # 2048-, 3072- and 4096-bit keys
_EC_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
    "secp521r1": hashes.SHA512,
}
_EC_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


# --- detached signatures ----------------------------------------------------------------------------------------


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


# --- public keys ------------------------------------------------------------------------------------------------


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


# --- checks -----------------------------------------------------------------------------------------------------


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


def loaded_key(path: str, key: PublicKeyTypes) -> LoadedKey:
    """A public key with where it came from, its id and its algorithm."""
    return LoadedKey(path=path, key=key, key_id=key_id(key), algorithm=key_algorithm(key))
