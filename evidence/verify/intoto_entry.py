"""DSSE sigstore bundles logged by Rekor as `intoto` 0.0.2 entries (npm, slsa-github-generator v2), offline.

sigstore-python 4.5 parses these bundles but refuses to verify them: it trusts a log entry's integrated time
only for dsse/hashedrekord 0.0.1 entries, and checks a DSSE envelope only against dsse/0.0.1 and
hashedrekord/0.0.2 entry bodies. Everything else it does applies unchanged, so this module runs the same
checks in the same order with sigstore's own functions (certificate chain, SCT, Merkle inclusion proof,
signed checkpoint, signed entry timestamp, DSSE signature) and adds only what the entry kind needs: reading
the signing time from the entry, and comparing the entry's body with the envelope and the certificate.

Rekor's intoto/0.0.2 body keeps the envelope without its payload: the payload's SHA-256 (`payloadHash`), the
payload type, and each signature with the signer's PEM certificate, both base64-encoded (the signature a
second time, over the envelope's own base64 text). Its `hash` covers the envelope as Rekor serialized it,
which cannot be recomputed from the bundle, so it is not compared.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

import evidence.verify.sigstore_internals as internals

if TYPE_CHECKING:
    from sigstore.models import Bundle, TrustedRoot
    from sigstore.verify import Verifier

    from evidence.verify.sigstore_internals import BundleEnvelope, LoggedContent, LoggedEnvelope, SigningTime

ENTRY_KIND = ("intoto", "0.0.2")

STEP_ROOT = "trusted root"
STEP_TIME = "signing time"
STEP_CHAIN = "certificate chain"
STEP_SCT = "certificate transparency (SCT)"
STEP_PROFILE = "certificate key usage"
STEP_INCLUSION = "log inclusion proof"
STEP_CHECKPOINT = "log checkpoint"
STEP_SET = "signed entry timestamp (SET)"
STEP_VALIDITY = "certificate validity at the signing time"
STEP_SIGNATURE = "DSSE signature"
STEP_BODY = "log entry body"


class EntryCheckError(Exception):
    """One verification step failed; `step` names it."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail


def _text(error: BaseException) -> str:
    text = " ".join(str(part) for part in error.args).strip() if error.args else ""
    return text.splitlines()[0] if text else type(error).__name__


def verify_intoto_bundle(bundle: Bundle, trusted_root: TrustedRoot) -> None:
    """Verify a parsed DSSE bundle whose log entry is intoto/0.0.2; `EntryCheckError` naming the failed step.

    The identity in the certificate is not checked here: the caller checks it against its policy afterwards.
    """
    from sigstore.errors import Error  # noqa: PLC0415 - sigstore is heavy
    from sigstore.verify import Verifier  # noqa: PLC0415

    entry = bundle.log_entry
    fields = internals.log_entry_fields(entry)
    kind_version = (fields.kind, fields.version)
    if kind_version != ENTRY_KIND:
        raise EntryCheckError(STEP_BODY, f"the bundle's log entry is {'/'.join(kind_version)}, not intoto/0.0.2")
    cert = bundle.signing_certificate
    try:
        verifier = Verifier(trusted_root=trusted_root)
    except Error as e:
        raise EntryCheckError(STEP_ROOT, f"the trusted root cannot be used: {_text(e)}") from e

    times = _signing_times(verifier, trusted_root, bundle)
    chain: list[x509.Certificate] = []
    for time in times:
        chain = chain_at(verifier, cert, time)
    check_sct(cert, chain, trusted_root)
    check_key_usage(cert)

    try:
        internals.verify_inclusion_proof(entry)
    except Error as e:
        raise EntryCheckError(STEP_INCLUSION, _text(e)) from e
    try:
        internals.verify_checkpoint(trusted_root, entry)
    except Error as e:
        raise EntryCheckError(STEP_CHECKPOINT, _text(e)) from e
    if fields.has_inclusion_promise and fields.integrated_time:
        try:
            internals.verify_entry_set(trusted_root, entry)
        except Error as e:
            raise EntryCheckError(STEP_SET, _text(e)) from e

    for time in times:
        if not cert.not_valid_before_utc <= time.time <= cert.not_valid_after_utc:
            raise EntryCheckError(
                STEP_VALIDITY,
                f"signed at {time.time:%Y-%m-%dT%H:%M:%SZ} ({time.source.value}), outside the certificate's validity "
                f"{cert.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ} to {cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ}",
            )

    _check_signature(bundle)
    check_entry_body(bundle)


def _signing_times(verifier: Verifier, trusted_root: TrustedRoot, bundle: Bundle) -> list[SigningTime]:
    """The verified signing times, as sigstore establishes them, with the entry's integrated time accepted
    for this entry kind too: RFC 3161 timestamps that verify, and the integrated time when a SET binds it
    (the SET itself is checked with the log entry)."""
    from sigstore.errors import Error  # noqa: PLC0415

    times: list[SigningTime] = []
    if bundle.verification_material.timestamp_verification_data:
        if not trusted_root.get_timestamp_authorities():
            raise EntryCheckError(
                STEP_TIME, "the bundle carries RFC 3161 timestamps and the trusted root has no timestamp authority"
            )
        try:
            times += internals.timestamp_authority_times(verifier, bundle)
        except Error as e:
            raise EntryCheckError(STEP_TIME, _text(e)) from e
    entry = internals.log_entry_fields(bundle.log_entry)
    if entry.integrated_time and entry.has_inclusion_promise:
        try:
            at = datetime.fromtimestamp(entry.integrated_time, tz=UTC)
        except (OverflowError, OSError, ValueError) as e:
            raise EntryCheckError(STEP_TIME, f"the integrated time {entry.integrated_time} is not a date") from e
        times.append(internals.transparency_log_time(at))
    if not times:
        raise EntryCheckError(
            STEP_TIME, "no verified signing time: no signed entry timestamp and no verified RFC 3161 timestamp"
        )
    return times


def chain_at(verifier: Verifier, cert: x509.Certificate, time: SigningTime) -> list[x509.Certificate]:
    from sigstore.errors import Error  # noqa: PLC0415

    try:
        # sigstore's path validation against the trusted root's Fulcio CAs, at the given time.
        return internals.chain_at_time(verifier, cert, time)
    except Error as e:
        raise EntryCheckError(STEP_CHAIN, _text(e)) from e


def check_sct(cert: x509.Certificate, chain: list[x509.Certificate], trusted_root: TrustedRoot) -> None:
    from sigstore.errors import Error  # noqa: PLC0415

    try:
        internals.verify_sct(cert, chain, trusted_root)
    except Error as e:
        raise EntryCheckError(STEP_SCT, _text(e)) from e


def check_key_usage(cert: x509.Certificate) -> None:
    """Sigstore's certificate profile: a digital-signature key for code signing."""
    from cryptography.x509.oid import ExtendedKeyUsageOID  # noqa: PLC0415

    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        extended = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound as e:
        raise EntryCheckError(STEP_PROFILE, "the certificate has no key usage or extended key usage") from e
    if not usage.digital_signature:
        raise EntryCheckError(STEP_PROFILE, "the certificate's key usage is not digital signature")
    if ExtendedKeyUsageOID.CODE_SIGNING not in extended:
        raise EntryCheckError(STEP_PROFILE, "the certificate's extended key usage does not include code signing")


def _check_signature(bundle: Bundle) -> None:
    from sigstore.errors import Error  # noqa: PLC0415

    try:
        envelope = internals.bundle_dsse_envelope(bundle)
    except Error as e:
        raise EntryCheckError(STEP_SIGNATURE, _text(e)) from e
    if envelope is None:
        raise EntryCheckError(STEP_SIGNATURE, "the bundle holds no DSSE envelope")
    key = bundle.signing_certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise EntryCheckError(STEP_SIGNATURE, f"the certificate's key is {type(key).__name__}, not ECDSA")
    try:
        internals.verify_dsse_signature(key, envelope)
    except Error as e:
        raise EntryCheckError(STEP_SIGNATURE, _text(e)) from e


def _base64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise EntryCheckError(STEP_BODY, f"{what} is not base64") from e


def check_entry_body(bundle: Bundle) -> None:
    """The intoto/0.0.2 entry body records this bundle's envelope: payload hash and type, every signature,
    and the signing certificate. `EntryCheckError` (step "log entry body") when any of them differs."""
    inner_envelope = internals.bundle_inner_dsse_envelope(bundle)
    if inner_envelope is None:
        raise EntryCheckError(STEP_BODY, "the bundle holds no DSSE envelope")
    content = _entry_content(bundle)
    _check_payload(content, inner_envelope)
    _check_signatures(content.envelope, inner_envelope, bundle.signing_certificate)


def _entry_content(bundle: Bundle) -> LoggedContent:
    from pydantic import ValidationError  # noqa: PLC0415

    entry = internals.log_entry_fields(bundle.log_entry)
    try:
        api_version, content = internals.intoto_v002_content(entry.canonicalized_body)
    except ValidationError as e:
        raise EntryCheckError(STEP_BODY, f"not an intoto entry: {e.errors()[0]['msg']}") from e
    if api_version != entry.version or content is None:
        raise EntryCheckError(
            STEP_BODY, f"the body is an intoto/{api_version} entry, the bundle says {entry.kind}/{entry.version}"
        )
    return content


def _check_payload(content: LoggedContent, envelope: BundleEnvelope) -> None:
    payload_hash = content.payload_hash
    if payload_hash is None or not internals.is_sha256(payload_hash.algorithm):
        raise EntryCheckError(STEP_BODY, "the entry records no SHA-256 payload hash")
    if payload_hash.value != hashlib.sha256(envelope.payload).hexdigest():
        raise EntryCheckError(STEP_BODY, "the entry's payload hash is not the SHA-256 of the envelope's payload")
    logged = content.envelope
    if logged.payload is not None and _base64(logged.payload, "the entry's payload") != envelope.payload:
        raise EntryCheckError(STEP_BODY, "the entry's payload is not the envelope's payload")
    if logged.payload_type != envelope.payload_type:
        raise EntryCheckError(
            STEP_BODY,
            f"the entry's payload type {logged.payload_type!r} is not the envelope's {envelope.payload_type!r}",
        )


def _check_signatures(logged: LoggedEnvelope, envelope: BundleEnvelope, cert: x509.Certificate) -> None:
    """Each recorded signature is the envelope's, in order, with the bundle's certificate as its key. Rekor
    base64-encodes the envelope's (base64) signature text once more."""
    if len(logged.signatures) != len(envelope.signatures):
        raise EntryCheckError(
            STEP_BODY,
            f"the entry records {len(logged.signatures)} signature(s), the envelope carries {len(envelope.signatures)}",
        )
    certificate = cert.public_bytes(Encoding.DER)
    for recorded, signature in zip(logged.signatures, envelope.signatures, strict=True):
        sig_text = _base64(recorded.sig, "a recorded signature").decode("ascii", "replace")
        if _base64(sig_text, "a recorded signature") != signature.sig:
            raise EntryCheckError(STEP_BODY, "the entry's signature is not the envelope's signature")
        if _pem_certificate(recorded.public_key) != certificate:
            raise EntryCheckError(STEP_BODY, "the entry's certificate is not the bundle's signing certificate")


def _pem_certificate(text: str) -> bytes | None:
    """The DER bytes of the base64-encoded PEM certificate an entry records, or None."""
    pem = _base64(text, "a signature's public key")
    try:
        return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
    except ValueError:
        return None
