"""Keyless signatures: sigstore bundles (v0.1 to v0.3) verified offline with the `sigstore` library.

The trust root is the public-good production or staging trusted root that ships inside the sigstore
distribution, or a `trusted_root.json` the user gives. sigstore's own `Verifier.production(offline=True)`
is not used: it copies the trusted root into the user's cache directory first. Here the file is read where
it is installed and nothing is written anywhere.

sigstore's verifier checks the certificate chain to Fulcio at the signing time, the SCT, the transparency log
inclusion proof and signed checkpoint, the inclusion promise (SET) when present, that the signing time lies in
the certificate's validity, the signature, and that the log entry matches the bundle. It runs with a policy
that accepts any certificate; the identity is then checked against the user's policy with sigstore's policy
classes, so that a wrong identity and a broken signature get different reasons. DSSE bundles logged as
intoto/0.0.2 entries, which sigstore 4.5 refuses, go through `intoto_entry`: the same checks, with sigstore's
own functions, each failure naming its step. A v0.1 bundle whose inclusion proof has no checkpoint (as published
for CPython releases), which sigstore 4.5 refuses to load, is checked on its signed entry timestamp as cosign's
keyless signatures are (`cosign_keyless`).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from evidence.model import Verification
from evidence.verify.interface import TrustRoot, VerificationContext, VerificationInputError
from evidence.verify.intoto_entry import ENTRY_KIND as INTOTO_ENTRY_KIND
from evidence.verify.sigstore_internals import embedded_trusted_root

if TYPE_CHECKING:
    from sigstore.models import Bundle, TrustedRoot
    from sigstore.verify.policy import VerificationPolicy

    from evidence.verify.policy import ImageRules

# The folders, inside the sigstore package, that hold each public-good instance's embedded trusted root.
_EMBEDDED = {
    TrustRoot.PRODUCTION: "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev",
    TrustRoot.STAGING: "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev",
}
_ISSUER_V1_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")  # raw bytes
_ISSUER_V2_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")  # DER UTF8String
_OTHERNAME_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.7")
# sigstore-python 4.5's refusal of every log entry whose inclusion proof has no checkpoint, v0.1 bundles included.
NO_CHECKPOINT = "entry must contain inclusion proof, with checkpoint"
# Log entry kinds sigstore-python 4.5 can check a DSSE bundle against.
_DSSE_ENTRY_KINDS = frozenset({("dsse", "0.0.1"), ("hashedrekord", "0.0.2")})


@dataclass(frozen=True, slots=True, kw_only=True)
class KeylessResult:
    status: Verification
    reason: str
    identity: str | None = None
    issuer: str | None = None
    log_index: int | None = None
    integrated_time: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Artifact:
    path: str
    data: bytes


# --- the trust root ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _trusted_root(choice: TrustRoot, path: Path | None) -> TrustedRoot:
    from sigstore.errors import Error  # noqa: PLC0415 - sigstore is heavy; load it when a bundle is verified
    from sigstore.models import TrustedRoot  # noqa: PLC0415

    if choice is TrustRoot.FILE:
        if path is None:
            raise ValueError("TrustRoot.FILE without a path")
        try:
            return TrustedRoot.from_file(str(path))
        except OSError as e:
            raise VerificationInputError(path, f"trusted root cannot be read: {e.strerror}") from e
        except (Error, ValueError) as e:
            raise VerificationInputError(path, f"not a Sigstore trusted_root.json: {_first_line(e)}") from e
    with embedded_trusted_root(_EMBEDDED[choice]) as file:
        return TrustedRoot.from_file(str(file))


def load_trusted_root(context: VerificationContext) -> TrustedRoot:
    """The context's trusted root, read once; `VerificationInputError` when a given file cannot be used."""
    return _trusted_root(context.trust_root, context.trusted_root_path)


# --- certificate identity ---------------------------------------------------------------------------------------


def _der_utf8(raw: bytes) -> str | None:
    """The text of a DER UTF8String (tag 0x0c, short or long length)."""
    if len(raw) < 2 or raw[0] != 0x0C:
        return None
    length, at = raw[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, at = int.from_bytes(raw[2 : 2 + count], "big"), 2 + count
    body = raw[at : at + length]
    return body.decode("utf-8", "replace") if len(body) == length else None


def certificate_identities(cert: x509.Certificate) -> list[str]:
    """The subject alternative names Fulcio puts an identity in: email, URI, and its own other name."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names: list[str] = list(san.get_values_for_type(x509.RFC822Name))
    names += san.get_values_for_type(x509.UniformResourceIdentifier)
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id == _OTHERNAME_OID:
            text = _der_utf8(other.value)
            if text is not None:
                names.append(text)
    return names


def certificate_issuer(cert: x509.Certificate) -> str | None:
    """The OIDC issuer Fulcio recorded in the certificate."""
    for oid, decode in ((_ISSUER_V2_OID, _der_utf8), (_ISSUER_V1_OID, _raw_text)):
        try:
            ext = cert.extensions.get_extension_for_oid(oid).value
        except x509.ExtensionNotFound:
            continue
        if isinstance(ext, x509.UnrecognizedExtension):
            text = decode(ext.value)
            if text:
                return text
    return None


def _raw_text(raw: bytes) -> str | None:
    return raw.decode("utf-8", "replace") or None


class _RegexIdentity:
    """A sigstore verification policy: the issuer is exactly this, and a SAN fully matches this expression."""

    def __init__(self, *, pattern: str, issuer: str) -> None:
        self._pattern = pattern
        self._issuer = issuer

    def verify(self, cert: x509.Certificate) -> None:
        import re  # noqa: PLC0415

        from sigstore.errors import VerificationError  # noqa: PLC0415

        if certificate_issuer(cert) != self._issuer:
            raise VerificationError(f"certificate issuer is not {self._issuer}")
        if not any(re.fullmatch(self._pattern, name) for name in certificate_identities(cert)):
            raise VerificationError(f"no subject alternative name matches /{self._pattern}/")


class _IdentityCheckedAfterwards:
    """Accepts every certificate: the identity is checked against the user's policy once the rest verified."""

    def verify(self, cert: x509.Certificate) -> None:  # noqa: ARG002 - the protocol's signature
        return None


def identity_policy(rules: ImageRules) -> VerificationPolicy:
    """The policy's accepted identities as one sigstore policy (any of them)."""
    from sigstore.verify.policy import AnyOf, Identity  # noqa: PLC0415

    children: list[VerificationPolicy] = []
    for rule in rules.identities:
        if rule.subject is not None:
            children.append(Identity(identity=rule.subject, issuer=rule.issuer))
        elif rule.subject_regexp is not None:
            children.append(_RegexIdentity(pattern=rule.subject_regexp, issuer=rule.issuer))
    return AnyOf(children)


# --- verification -----------------------------------------------------------------------------------------------


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedSignature:
    """Who signed and where the log put it, as the bundle says: reported whatever the outcome."""

    identity: str | None = None
    issuer: str | None = None
    log_index: int | None = None
    integrated_time: datetime | None = None
    entry_kind: str | None = None  # named in the reason when the entry was checked outside sigstore's verifier

    def result(self, status: Verification, reason: str) -> KeylessResult:
        return KeylessResult(
            status=status,
            reason=reason,
            identity=self.identity,
            issuer=self.issuer,
            log_index=self.log_index,
            integrated_time=self.integrated_time,
        )


@dataclass(frozen=True, slots=True)
class _LogEntry:
    kind: str | None
    version: str | None
    log_index: int | None
    integrated_time: datetime | None
    dsse: bool = False  # the bundle holds a DSSE envelope, not a message signature


def _log_entry(data: bytes) -> _LogEntry:
    """The first transparency log entry's kind and position, and whether the bundle is DSSE, read leniently."""
    try:
        obj: Any = orjson.loads(data)
    except orjson.JSONDecodeError:
        return _LogEntry(None, None, None, None)
    material = obj.get("verificationMaterial") if isinstance(obj, dict) else None
    entries = material.get("tlogEntries") if isinstance(material, dict) else None
    entry: dict[str, Any] = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else {}
    kind_version = entry.get("kindVersion")
    kind = kind_version.get("kind") if isinstance(kind_version, dict) else None
    version = kind_version.get("version") if isinstance(kind_version, dict) else None
    return _LogEntry(
        kind if isinstance(kind, str) else None,
        version if isinstance(version, str) else None,
        _int(entry.get("logIndex")),
        epoch_seconds(entry.get("integratedTime")),
        isinstance(obj, dict) and obj.get("dsseEnvelope") is not None,
    )


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def epoch_seconds(value: object) -> datetime | None:
    seconds = _int(value)
    if seconds is None or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def message_digest(data: bytes) -> bytes | None:
    """The SHA-256 digest a message-signature bundle records, or None."""
    try:
        obj: Any = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    signature = obj.get("messageSignature") if isinstance(obj, dict) else None
    digest = signature.get("messageDigest") if isinstance(signature, dict) else None
    if not isinstance(digest, dict) or digest.get("algorithm") != "SHA2_256":
        return None
    value = digest.get("digest")
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def _failure_reason(error: BaseException, context: VerificationContext, artifact: Artifact | None) -> str:
    from sigstore.errors import CertValidationError  # noqa: PLC0415

    text = _first_line(error)
    if isinstance(error, CertValidationError):
        hint = ""
        if context.trust_root is TrustRoot.PRODUCTION:
            hint = " (if it was signed on Sigstore's staging instance, verify with --staging)"
        return (
            f"the signing certificate does not chain to a Fulcio certificate authority of {context.trust_root_name} "
            f"at the signing time: {text}{hint}"
        )
    if text == "Bundle message digest mismatch":
        shown = artifact.path if artifact else "the artifact"
        return f"{shown} does not match the digest signed in the bundle"
    if text == "Signature is invalid for input":
        return "the signature does not verify with the signing certificate's key over " + (
            artifact.path if artifact else "the digest recorded in the bundle"
        )
    if text.startswith("invalid signing cert: expired at time of signing"):
        return "the signing certificate was not valid at the signing time recorded by the transparency log"
    if text.startswith("invalid log entry"):
        return f"the transparency log entry does not verify against {context.trust_root_name}: {text}"
    return f"verification failed: {text}"


def verify_bundle(data: bytes, context: VerificationContext, *, artifact: Artifact | None = None) -> KeylessResult:
    """Verify a sigstore bundle (JSON bytes) offline.

    A DSSE bundle is verified on its own. A message-signature bundle is verified over `artifact` when given,
    else over the SHA-256 digest the bundle records (the artifact itself is then not checked).
    """
    from sigstore.errors import Error  # noqa: PLC0415
    from sigstore.hashes import Hashed  # noqa: PLC0415
    from sigstore.models import Bundle, IncompatibleEntry, InvalidBundle  # noqa: PLC0415
    from sigstore.verify import Verifier  # noqa: PLC0415
    from sigstore_models.common.v1 import HashAlgorithm  # noqa: PLC0415

    entry = _log_entry(data)
    logged = LoggedSignature(log_index=entry.log_index, integrated_time=entry.integrated_time)
    try:
        bundle = Bundle.from_json(data)
    except IncompatibleEntry as e:
        return logged.result(
            Verification.UNVERIFIABLE,
            f"the bundle's transparency log entry is of a version sigstore 4.5 cannot verify: {_first_line(e)}",
        )
    except (InvalidBundle, ValueError) as e:
        return _refused_bundle(_first_line(e), data, context, artifact, logged)
    cert = bundle.signing_certificate
    names = certificate_identities(cert)
    signer = dataclasses.replace(logged, identity=names[0] if names else None, issuer=certificate_issuer(cert))
    is_dsse = entry.dsse
    if is_dsse and (entry.kind, entry.version) not in _DSSE_ENTRY_KINDS:
        return _dsse_entry_outcome(bundle, entry, context, signer)
    verifier = Verifier(trusted_root=load_trusted_root(context))
    try:
        if is_dsse:
            verifier.verify_dsse(bundle, _IdentityCheckedAfterwards())
        else:
            digest = message_digest(data)
            if artifact is not None:
                verifier.verify_artifact(artifact.data, bundle, _IdentityCheckedAfterwards())
            elif digest is not None:
                hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=digest)
                verifier.verify_artifact(hashed, bundle, _IdentityCheckedAfterwards())
            else:
                return signer.result(
                    Verification.UNVERIFIABLE,
                    "the bundle records no SHA-256 message digest and the signed artifact was not supplied "
                    "(--artifact)",
                )
    except (Error, ValueError) as e:
        return signer.result(Verification.FAILED, _failure_reason(e, context, artifact))
    return identity_outcome(cert, context, artifact, is_dsse=is_dsse, signer=signer)


def _refused_bundle(
    problem: str, data: bytes, context: VerificationContext, artifact: Artifact | None, logged: LoggedSignature
) -> KeylessResult:
    """A bundle sigstore will not load: one whose log entry lacks a checkpoint goes the signed-entry-timestamp way."""
    if problem != NO_CHECKPOINT:
        return KeylessResult(status=Verification.FAILED, reason=f"not a valid sigstore bundle: {problem}")
    # Imported here: cosign_keyless builds on this module.
    from evidence.verify.cosign_keyless import verify_bundle_without_checkpoint  # noqa: PLC0415

    return verify_bundle_without_checkpoint(orjson.loads(data), context, artifact, logged)


def _dsse_entry_outcome(
    bundle: Bundle, entry: _LogEntry, context: VerificationContext, signer: LoggedSignature
) -> KeylessResult:
    """A DSSE bundle whose log entry sigstore 4.5 does not check it against. An intoto/0.0.2 entry is checked
    step by step with sigstore's functions, then the identity against the policy as for any other bundle."""
    from evidence.verify.intoto_entry import STEP_CHAIN, EntryCheckError, verify_intoto_bundle  # noqa: PLC0415

    if (entry.kind, entry.version) != INTOTO_ENTRY_KIND:
        return signer.result(
            Verification.UNVERIFIABLE,
            f"the transparency log entry is of kind {entry.kind}/{entry.version}; sigstore-python 4.5 verifies DSSE "
            "bundles only against dsse/0.0.1 and hashedrekord/0.0.2 entries (and Fromline adds intoto/0.0.2), so "
            "neither the log entry nor the envelope was checked",
        )
    try:
        verify_intoto_bundle(bundle, load_trusted_root(context))
    except EntryCheckError as e:
        detail = e.detail
        if e.step == STEP_CHAIN:
            hint = ""
            if context.trust_root is TrustRoot.PRODUCTION:
                hint = " (if it was signed on Sigstore's staging instance, verify with --staging)"
            detail = (
                f"the signing certificate does not chain to a Fulcio certificate authority of "
                f"{context.trust_root_name} at the signing time: {detail}{hint}"
            )
        return signer.result(Verification.FAILED, f"intoto/0.0.2 log entry bundle, {e.step} check failed: {detail}")
    logged = dataclasses.replace(signer, entry_kind="intoto/0.0.2")
    return identity_outcome(bundle.signing_certificate, context, None, is_dsse=True, signer=logged)


def identity_outcome(
    cert: x509.Certificate,
    context: VerificationContext,
    artifact: Artifact | None,
    *,
    is_dsse: bool,
    signer: LoggedSignature,
) -> KeylessResult:
    from sigstore.errors import VerificationError  # noqa: PLC0415

    who = f"{signer.identity or 'an unnamed identity'} (issuer {signer.issuer or 'unknown'})"
    position = f"log index {signer.log_index}" if signer.log_index is not None else "no log index"
    when = f", integrated {signer.integrated_time:%Y-%m-%dT%H:%M:%SZ}" if signer.integrated_time else ""
    logged_as = f" (logged as an {signer.entry_kind} entry)" if signer.entry_kind else ""
    what = f"DSSE envelope{logged_as}" if is_dsse else f"signature over {artifact.path}" if artifact else "signature"
    scope = "" if is_dsse or artifact else " over the digest recorded in the bundle (the artifact was not supplied)"
    checked = f"{what}{scope} verifies against {context.trust_root_name} ({position}{when}), signed by {who}"
    rules = context.rules
    if rules is None:
        return signer.result(
            Verification.UNVERIFIABLE,
            f"{checked}; no identity policy was given (--policy), so the signer is not accepted",
        )
    if not rules.identities:
        return signer.result(
            Verification.FAILED,
            f"{checked}, an identity the policy does not accept (it names no keyless identity for this image)",
        )
    try:
        identity_policy(rules).verify(cert)
    except VerificationError:
        accepted = "; ".join(rule.describe() for rule in rules.identities)
        return signer.result(
            Verification.FAILED, f"{checked}, an identity the policy does not accept (it accepts {accepted})"
        )
    return signer.result(Verification.VERIFIED, f"{checked}, an identity the policy accepts")
