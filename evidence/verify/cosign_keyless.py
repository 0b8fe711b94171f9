"""cosign's legacy keyless signatures: simple-signing payload, detached signature, Fulcio certificate, Rekor bundle.

cosign's `dev.sigstore.cosign/bundle` holds the hashedrekord 0.0.1 log entry and its signed entry timestamp
(SET), but no inclusion proof. sigstore-python 4.5 will not load a log entry without an inclusion proof, not even
in a v0.1 bundle, so the checks it makes for a v0.1 bundle are run here with its own functions, in its order:
the signing time is the integrated time the SET binds; certificate chain to Fulcio at that time, SCT, code-signing
key usage; the SET with the trusted root's Rekor key; the signing time inside the certificate's validity; the
signature over the payload; and the entry body against the payload, signature and certificate. Only the Merkle
inclusion proof is missing, as it is for cosign itself: the SET is Rekor's signed promise of inclusion.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import Encoding

from evidence.model import Evidence, EvidenceKind, SignatureFacts, SignatureMethod, Verification
from evidence.verify.crypto import decode_signature, key_id
from evidence.verify.interface import TrustRoot, VerificationContext
from evidence.verify.intoto_entry import (
    STEP_BODY,
    STEP_CHAIN,
    STEP_ROOT,
    STEP_SET,
    STEP_TIME,
    STEP_VALIDITY,
    EntryCheckError,
    chain_at,
    check_key_usage,
    check_sct,
)
from evidence.verify.keyless import (
    Artifact,
    KeylessResult,
    LoggedSignature,
    certificate_identities,
    certificate_issuer,
    epoch_seconds,
    identity_outcome,
    load_trusted_root,
)
from evidence.verify.material import MaterialError, RekorBundle, logged_signature, read_rekor_bundle, strict_base64
from evidence.verify.sigstore_internals import transparency_log_time, verify_signed_entry_timestamp

ENTRY_KIND = ("hashedrekord", "0.0.1")
STEP_SIGNATURE = "signature"


def _certificate(pem: bytes | None) -> x509.Certificate | None:
    if pem is None:
        return None
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        return None


def _check_body(bundle: RekorBundle, digest: bytes, signature: bytes, cert: x509.Certificate) -> None:
    """The entry logs this signature, over this payload's SHA-256, with this certificate."""
    logged = logged_signature(bundle.body)
    if (logged.kind, logged.api_version) != ENTRY_KIND:
        raise EntryCheckError(STEP_BODY, f"the entry is {logged.kind}/{logged.api_version}, not hashedrekord/0.0.1")
    if logged.sha256 != digest.hex():
        raise EntryCheckError(STEP_BODY, "the entry's SHA-256 is not the payload's")
    if logged.signature != signature:
        raise EntryCheckError(STEP_BODY, "the entry's signature is not the detached signature")
    logged_cert = _certificate(logged.public_key)
    if logged_cert is None or logged_cert.public_bytes(Encoding.DER) != cert.public_bytes(Encoding.DER):
        raise EntryCheckError(STEP_BODY, "the entry's certificate is not the signing certificate")


def _check_set(bundle: RekorBundle, context: VerificationContext) -> None:
    import rfc8785  # noqa: PLC0415 - sigstore's canonical JSON; loaded with sigstore
    from sigstore.errors import Error  # noqa: PLC0415

    # The same canonical entry sigstore's TransparencyLogEntry._encode_canonical signs over.
    canonical = rfc8785.dumps(
        {
            "body": base64.b64encode(bundle.body).decode(),
            "integratedTime": bundle.integrated_time,
            "logID": bundle.log_id.hex(),
            "logIndex": bundle.log_index,
        }
    )
    try:
        verify_signed_entry_timestamp(
            load_trusted_root(context), bundle.log_id, bundle.signed_entry_timestamp, canonical
        )
    except Error as e:
        raise EntryCheckError(STEP_SET, str(e).splitlines()[0] if str(e) else type(e).__name__) from e


def _check_signature(digest: bytes, signature: bytes, cert: x509.Certificate) -> None:
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise EntryCheckError(STEP_SIGNATURE, f"the certificate's key is {type(key).__name__}, not ECDSA")
    try:
        # As sigstore's verify_artifact: ECDSA over the payload's SHA-256.
        key.verify(signature, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except InvalidSignature as e:
        raise EntryCheckError(STEP_SIGNATURE, "the signature does not verify with the certificate's key") from e


def check_cosign_keyless(
    payload: bytes, signature: bytes, cert: x509.Certificate, bundle: RekorBundle, context: VerificationContext
) -> None:
    """Every check but the identity; `EntryCheckError` naming the failed step."""
    check_signed_entry_timestamp_path(hashlib.sha256(payload).digest(), signature, cert, bundle, context)


def check_signed_entry_timestamp_path(
    digest: bytes, signature: bytes, cert: x509.Certificate, bundle: RekorBundle, context: VerificationContext
) -> None:
    """Every check but the identity of a signature over a SHA-256 `digest`, logged in a hashedrekord 0.0.1 entry
    whose signed entry timestamp stands for its inclusion; `EntryCheckError` naming the failed step."""
    from sigstore.errors import Error  # noqa: PLC0415
    from sigstore.verify import Verifier  # noqa: PLC0415

    try:
        at = datetime.fromtimestamp(bundle.integrated_time, tz=UTC)
    except (OverflowError, OSError, ValueError) as e:
        raise EntryCheckError(STEP_TIME, f"the integrated time {bundle.integrated_time} is not a date") from e
    if bundle.integrated_time <= 0:
        raise EntryCheckError(STEP_TIME, "the entry has no integrated time")
    time = transparency_log_time(at)
    trusted_root = load_trusted_root(context)
    try:
        verifier = Verifier(trusted_root=trusted_root)
    except Error as e:
        raise EntryCheckError(STEP_ROOT, f"the trusted root cannot be used: {e}") from e
    chain = chain_at(verifier, cert, time)
    check_sct(cert, chain, trusted_root)
    check_key_usage(cert)
    _check_set(bundle, context)
    if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
        raise EntryCheckError(
            STEP_VALIDITY,
            f"signed at {at:%Y-%m-%dT%H:%M:%SZ} (integrated time), outside the certificate's validity "
            f"{cert.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ} to {cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ}",
        )
    _check_signature(digest, signature, cert)
    _check_body(bundle, digest, signature, cert)


def verify_cosign_keyless(
    payload: Artifact, signature: bytes, cert: x509.Certificate, bundle: RekorBundle, context: VerificationContext
) -> KeylessResult:
    """The checks, then the certificate's identity against the policy as for a sigstore bundle."""
    names = certificate_identities(cert)
    signer = LoggedSignature(
        identity=names[0] if names else None,
        issuer=certificate_issuer(cert),
        log_index=bundle.log_index,
        integrated_time=epoch_seconds(bundle.integrated_time),
    )
    try:
        check_cosign_keyless(payload.data, signature, cert, bundle, context)
    except EntryCheckError as e:
        return signer.result(Verification.FAILED, f"{e.step} check failed: {_chain_hint(e, context)}")
    return identity_outcome(cert, context, payload, is_dsse=False, signer=signer)


# --- pairing in the verification step --------------------------------------------------------------------------


def rekor_bundles(items: Sequence[Evidence], files: Mapping[str, bytes]) -> list[tuple[str, RekorBundle]]:
    """(path, bundle) of each cosign Rekor bundle among the signature material, found by its content."""
    found: list[tuple[str, RekorBundle]] = []
    for item in items:
        data = files.get(item.path)
        if item.kind is not EvidenceKind.DETACHED_SIGNATURE or data is None:
            continue
        try:
            found.append((item.path, read_rekor_bundle(data)))
        except MaterialError:
            continue
    return found


def with_rekor_bundle(
    facts: SignatureFacts,
    files: Mapping[str, bytes],
    bundles: list[tuple[str, RekorBundle]],
    context: VerificationContext,
) -> SignatureFacts:
    """A cosign payload verified with a key, and a Rekor bundle logging its signature or payload: verified as a
    keyless signature instead. Without such a bundle the key-pair outcome stands."""
    payload_path, signature_path = facts.payload_path or "", facts.signature_path or ""
    if (
        facts.method is not SignatureMethod.COSIGN_KEY_PAIR
        or facts.status is not Verification.VERIFIED
        or payload_path not in files
        or signature_path not in files
    ):
        return facts
    payload = files[payload_path]
    signature = decode_signature(files[signature_path])
    digest = hashlib.sha256(payload).hexdigest()
    related: list[tuple[str, RekorBundle]] = []
    for path, bundle in bundles:
        logged = logged_signature(bundle.body)
        if logged.signature == signature or logged.sha256 == digest:
            related.append((path, bundle))
    if signature is None or not related:
        return facts
    key_file = files.get(facts.key_path or "")
    supplied = _certificate(key_file) if key_file is not None else None
    mismatches: list[str] = []
    for path, bundle in related:
        logged = logged_signature(bundle.body)
        logged_cert = _certificate(logged.public_key)
        problem = _mismatch(logged.signature == signature, logged.sha256 == digest, logged_cert, supplied, facts)
        if problem is not None:
            mismatches.append(f"{path} {problem}")
            continue
        assert logged_cert is not None  # noqa: S101 - _mismatch reports a missing certificate
        result = verify_cosign_keyless(
            Artifact(path=payload_path, data=payload), signature, logged_cert, bundle, context
        )
        return dataclasses.replace(
            facts,
            status=result.status,
            reason=f"cosign keyless signature {facts.signature_path}, logged in the Rekor bundle {path} (signed entry "
            f"timestamp, no inclusion proof): {result.reason}",
            key_id=None,  # the certificate's identity is what the policy judges, not its key
            identity=result.identity,
            issuer=result.issuer,
            log_index=result.log_index,
            integrated_time=result.integrated_time,
        )
    return dataclasses.replace(
        facts,
        status=Verification.FAILED,
        reason=f"signature {facts.signature_path} verifies with {facts.key_path}, but the Rekor bundle "
        f"{'; '.join(mismatches)}",
        key_id=None,
    )


def _mismatch(
    same_signature: bool,
    same_payload: bool,
    logged_cert: x509.Certificate | None,
    supplied: x509.Certificate | None,
    facts: SignatureFacts,
) -> str | None:
    if not same_signature:
        return "logs another signature over this payload"
    if not same_payload:
        return "logs this signature over another SHA-256 than this payload's"
    if logged_cert is None:
        return "logs this signature with no readable certificate"
    if supplied is not None and supplied.public_bytes(Encoding.DER) != logged_cert.public_bytes(Encoding.DER):
        return f"logs this signature with another certificate than {facts.key_path}"
    if supplied is None and key_id(logged_cert.public_key()) != facts.key_id:
        return f"logs this signature with a certificate whose key is not {facts.key_path}"
    return None


# --- sigstore bundles v0.1 with an inclusion promise and no checkpoint -------------------------------------------

BUNDLE_V01 = "application/vnd.dev.sigstore.bundle+json;version=0.1"
_MAX_INTEGER_DIGITS = 16  # 2^53, the largest integer the signed entry timestamp's canonical JSON holds, has 16
_PROMISE_PATH = "sigstore bundle v0.1 without a checkpoint, checked on its signed entry timestamp"


@dataclass(frozen=True, slots=True, kw_only=True)
class PromisedSignature:
    """A v0.1 message-signature bundle's material: what the signed-entry-timestamp path checks."""

    certificate: x509.Certificate
    signature: bytes
    digest: bytes | None  # the SHA-256 the bundle records, when it records one
    entry: RekorBundle


def _field(obj: object, *keys: str | int) -> object:
    for key in keys:
        if isinstance(key, int):
            obj = obj[key] if isinstance(obj, list) and len(obj) > key else None
        else:
            obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _base64_field(obj: object, *keys: str | int) -> bytes:
    value = _field(obj, *keys)
    raw = strict_base64(value) if isinstance(value, str) else None
    if not raw:
        raise MaterialError(f"/{'/'.join(str(k) for k in keys)} is not base64 data")
    return raw


def _integer_field(obj: object, *keys: str | int) -> int:
    value = _field(obj, *keys)
    if isinstance(value, str) and value.isdigit() and len(value) <= _MAX_INTEGER_DIGITS:
        return int(value)
    raise MaterialError(f"/{'/'.join(str(k) for k in keys)} is not a whole number")


def _signing_certificate(obj: object) -> x509.Certificate:
    """A v0.1 bundle's signing certificate, the first of its chain; `MaterialError`."""
    raw = _base64_field(obj, "verificationMaterial", "x509CertificateChain", "certificates", 0, "rawBytes")
    try:
        return x509.load_der_x509_certificate(raw)
    except ValueError as e:
        raise MaterialError("the signing certificate is not a DER X.509 certificate") from e


def read_promised_signature(obj: object) -> PromisedSignature:
    """The certificate, signature, digest and log entry of a v0.1 message-signature bundle; `MaterialError`."""
    entry = ("verificationMaterial", "tlogEntries", 0)
    cert = _signing_certificate(obj)
    digest: bytes | None = None
    if _field(obj, "messageSignature", "messageDigest", "algorithm") == "SHA2_256":
        digest = _base64_field(obj, "messageSignature", "messageDigest", "digest")
    return PromisedSignature(
        certificate=cert,
        signature=_base64_field(obj, "messageSignature", "signature"),
        digest=digest,
        entry=RekorBundle(
            signed_entry_timestamp=_base64_field(obj, *entry, "inclusionPromise", "signedEntryTimestamp"),
            body=_base64_field(obj, *entry, "canonicalizedBody"),
            integrated_time=_integer_field(obj, *entry, "integratedTime"),
            log_index=_integer_field(obj, *entry, "logIndex"),
            log_id=_base64_field(obj, *entry, "logId", "keyId"),
        ),
    )


def verify_bundle_without_checkpoint(
    obj: object, context: VerificationContext, artifact: Artifact | None, logged: LoggedSignature
) -> KeylessResult:
    """A bundle sigstore 4.5 refuses for want of a checkpoint. A v0.1 message-signature bundle with an inclusion
    promise (as published for CPython releases) is valid: the signed entry timestamp is the log's signed promise
    of inclusion, and its unsigned inclusion proof is not relied on. It is checked as cosign's keyless signatures
    are. Any other such bundle is unverifiable: nothing here shows it was changed, only that it cannot be checked."""
    entry = _field(obj, "verificationMaterial", "tlogEntries", 0)
    kind = (_field(entry, "kindVersion", "kind"), _field(entry, "kindVersion", "version"))
    media_type = _field(obj, "mediaType")
    try:
        cert = _signing_certificate(obj)
    except MaterialError:
        pass  # named as the problem below when it matters
    else:
        names = certificate_identities(cert)
        logged = dataclasses.replace(logged, identity=names[0] if names else None, issuer=certificate_issuer(cert))
    try:
        promised, problem = read_promised_signature(obj), ""
    except MaterialError as e:
        promised, problem = None, e.problem
    cannot = "the transparency log entry's inclusion proof has no signed checkpoint (sigstore-python 4.5 refuses it)"
    who = f"; signed, the certificate says, by {logged.identity} (issuer {logged.issuer})" if logged.identity else ""
    if media_type != BUNDLE_V01 or _field(entry, "inclusionPromise") is None:
        return logged.result(
            Verification.UNVERIFIABLE,
            f"{cannot}, and only a bundle of version 0.1 with an inclusion promise can be checked without one: this "
            f"is {media_type if isinstance(media_type, str) else 'an unnamed media type'}"
            f"{'' if _field(entry, 'inclusionPromise') else ' without an inclusion promise'}{who}",
        )
    if _field(obj, "messageSignature") is None or kind != ENTRY_KIND or promised is None:
        what = f"{kind[0]}/{kind[1]} log entry" if _field(obj, "messageSignature") is None else problem
        return logged.result(
            Verification.UNVERIFIABLE,
            f"{cannot}; Fromline checks such a v0.1 bundle on its signed entry timestamp only for a message "
            f"signature in a hashedrekord/0.0.1 entry, not this one ({what}){who}",
        )
    digest = promised.digest
    if artifact is not None:
        supplied = hashlib.sha256(artifact.data).digest()
        if digest is not None and digest != supplied:
            return logged.result(Verification.FAILED, f"{artifact.path} does not match the digest signed in the bundle")
        digest = supplied
    if digest is None:
        return logged.result(
            Verification.UNVERIFIABLE,
            f"{cannot}; the bundle records no SHA-256 message digest and the signed artifact was not supplied "
            f"(--artifact){who}",
        )
    try:
        check_signed_entry_timestamp_path(digest, promised.signature, promised.certificate, promised.entry, context)
    except EntryCheckError as e:
        return logged.result(Verification.FAILED, f"{_PROMISE_PATH}: {e.step} check failed: {_chain_hint(e, context)}")
    result = identity_outcome(promised.certificate, context, artifact, is_dsse=False, signer=logged)
    return dataclasses.replace(result, reason=f"{_PROMISE_PATH} (its inclusion proof is not signed): {result.reason}")


def _chain_hint(error: EntryCheckError, context: VerificationContext) -> str:
    if error.step != STEP_CHAIN:
        return error.detail
    hint = " (if it was signed on Sigstore's staging instance, verify with --staging)"
    return (
        f"the signing certificate does not chain to a Fulcio certificate authority of {context.trust_root_name} at "
        f"the signing time: {error.detail}{hint if context.trust_root is TrustRoot.PRODUCTION else ''}"
    )
