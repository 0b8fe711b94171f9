"""Sign a package: check it is intact, build its statement, sign it with a key or keylessly.

With a key, the statement goes into a DSSE envelope (`package.intoto.json`) signed with a PEM private
key: ECDSA P-256, P-384 or P-521 (with SHA-256, -384, -512), Ed25519, Ed448 or RSA (PKCS#1 v1.5 with
SHA-256). Nothing leaves the machine.

Keylessly, sigstore's `Signer` exchanges the user's OIDC identity token for a short-lived Fulcio
certificate and records the signature in the Rekor transparency log: this needs the network, and is
the only Fromline action that does. The bundle it returns is written to `package.sigstore.json` and is
verified later offline.
"""

from __future__ import annotations

import base64
from pathlib import Path

import orjson
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from evidence.attest.statement import (
    BUNDLE_FILE,
    ENVELOPE_FILE,
    build_statement,
    package_files,
    parse_manifest,
)
from evidence.errors import EvidenceError, ExitCode, InputError
from evidence.render import MANIFEST, replace_file
from evidence.render.canonical import load_package
from evidence.verify.crypto import key_algorithm, key_id
from evidence.verify.dsse import IN_TOTO_PAYLOAD_TYPE, pae

__all__ = ["SigningError", "load_private_key", "sign_with_identity_token", "sign_with_key", "statement_for"]

MAX_KEY_FILE = 1024 * 1024
_EC_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
    "secp521r1": hashes.SHA512,
}
_COSIGN_KEY_LABEL = b"ENCRYPTED SIGSTORE PRIVATE KEY"


class SigningError(EvidenceError):
    """The signature could not be made or written."""

    exit_code = ExitCode.OUTPUT_FAILURE


def statement_for(package: Path) -> bytes:
    """The statement over `package`, after checking that its files are exactly those of its manifest."""
    if not package.is_dir():
        raise InputError(package, "is not a package directory")
    manifest_path = package / MANIFEST
    try:
        manifest = parse_manifest(manifest_path.read_bytes())
    except OSError as e:
        raise InputError(manifest_path, f"cannot be read: {e.strerror}") from e
    except ValueError as e:
        raise InputError(manifest_path, str(e)) from e
    files = package_files(package)
    listed = {path: files.get(path) for path in manifest}
    problems = [f"{path} is missing" for path, found in listed.items() if found is None]
    problems += [f"{path} has changed" for path, found in listed.items() if found and found != manifest[path]]
    problems += [f"{path} is not in the manifest" for path in files if path not in manifest and path != MANIFEST]
    if problems:
        shown = "; ".join(problems[:5]) + (f" and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise InputError(package, f"does not match its manifest, refusing to sign it: {shown}")
    return build_statement(files, load_package(package / "audit.json"))


def load_private_key(path: Path, password: bytes | None) -> PrivateKeyTypes:
    """A PEM private key (PKCS#8, or traditional EC/RSA); `InputError` naming the file when it cannot be used."""
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise InputError(path, f"key file is over {MAX_KEY_FILE} bytes")
        data = path.read_bytes()
    except OSError as e:
        raise InputError(path, f"key file cannot be read: {e.strerror}") from e
    if _COSIGN_KEY_LABEL in data:
        raise InputError(
            path, "is a cosign-format encrypted key, which Fromline does not read: sign with a PEM (PKCS#8) private key"
        )
    try:
        return serialization.load_pem_private_key(data, password=password)
    except TypeError as e:  # the password is missing, or given for a key that has none
        if password is None:
            raise InputError(
                path, "is encrypted: name the environment variable that holds its password with --key-password-env"
            ) from e
        raise InputError(path, "is not encrypted, but a password was given") from e
    except ValueError as e:
        if password is not None and b"ENCRYPTED" in data:
            raise InputError(path, "cannot be decrypted with the given password") from e
        raise InputError(path, "is not a PEM private key") from e
    except UnsupportedAlgorithm as e:
        raise InputError(path, f"holds a key of an unsupported algorithm: {e}") from e


def _sign(key: PrivateKeyTypes, data: bytes, path: Path) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm = _EC_HASHES.get(key.curve.name)
        if algorithm is None:
            raise InputError(path, f"ECDSA curve {key.curve.name} is not supported (P-256, P-384, P-521 are)")
        return key.sign(data, ec.ECDSA(algorithm()))
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return key.sign(data)
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:  # NIST SP 800-131A: RSA below 2048 bits is disallowed
            raise InputError(path, f"RSA key of {key.key_size} bits is too short (2048 or more)")
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    raise InputError(path, f"{type(key).__name__} keys cannot sign (ECDSA, Ed25519, Ed448 or RSA can)")


def sign_with_key(package: Path, key_path: Path, password: bytes | None) -> tuple[Path, str]:
    """Write `package.intoto.json`; returns its path and a description of the key used."""
    statement = statement_for(package)
    key = load_private_key(key_path, password)
    signature = _sign(key, pae(IN_TOTO_PAYLOAD_TYPE, statement), key_path)
    public = key.public_key()
    ident = key_id(public)
    envelope = {
        "payloadType": IN_TOTO_PAYLOAD_TYPE,
        "payload": base64.b64encode(statement).decode("ascii"),
        "signatures": [{"keyid": ident, "sig": base64.b64encode(signature).decode("ascii")}],
    }
    target = package / ENVELOPE_FILE
    _write(target, orjson.dumps(envelope, option=orjson.OPT_INDENT_2) + b"\n")
    return target, f"{key_algorithm(public)} key {ident}"


def sign_with_identity_token(package: Path, token: str, *, staging: bool = False) -> tuple[Path, str]:
    """Sign keylessly through sigstore (network) and write `package.sigstore.json`."""
    statement = statement_for(package)
    from sigstore import dsse  # noqa: PLC0415 - sigstore is heavy and only this action needs its signer
    from sigstore.errors import Error  # noqa: PLC0415
    from sigstore.models import ClientTrustConfig  # noqa: PLC0415
    from sigstore.oidc import IdentityError, IdentityToken  # noqa: PLC0415
    from sigstore.sign import SigningContext  # noqa: PLC0415

    try:
        identity = IdentityToken(token)
    except IdentityError as e:
        raise InputError("--identity-token", f"not a usable OIDC identity token: {e}") from e
    try:
        config = ClientTrustConfig.staging() if staging else ClientTrustConfig.production()
        context = SigningContext.from_trust_config(config)
        with context.signer(identity, cache=False) as signer:
            bundle = signer.sign_dsse(dsse.Statement(statement))
    except (Error, OSError, ValueError) as e:  # requests' errors are OSErrors
        raise SigningError(f"{package}: keyless signing through sigstore failed: {e}") from e
    target = package / BUNDLE_FILE
    _write(target, bundle.to_json().encode() + b"\n")
    return target, f"identity {identity.identity} (issuer {identity.federated_issuer or identity.issuer})"


def _write(target: Path, data: bytes) -> None:
    """Write next to the target, then rename: a reader sees the old file or the new one, never half of one."""
    try:
        replace_file(target, lambda out: out.write(data))
    except OSError as e:
        raise SigningError(f"{target}: cannot write the signature: {e.strerror or e}") from e
