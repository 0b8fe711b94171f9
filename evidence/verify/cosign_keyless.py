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
from evidence.verify.material import MaterialError, RekorBundle, logged_signature, read_rekor_bundle
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


def _check_body(bundle: RekorBundle, payload: bytes, signature: bytes, cert: x509.Certificate) -> None:
    """The entry logs this signature, over this payload's SHA-256, with this certificate."""
    logged = logged_signature(bundle.body)
    if (logged.kind, logged.api_version) != ENTRY_KIND:
        raise EntryCheckError(STEP_BODY, f"the entry is {logged.kind}/{logged.api_version}, not hashedrekord/0.0.1")
    if logged.sha256 != hashlib.sha256(payload).hexdigest():
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


def _check_signature(payload: bytes, signature: bytes, cert: x509.Certificate) -> None:
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise EntryCheckError(STEP_SIGNATURE, f"the certificate's key is {type(key).__name__}, not ECDSA")
    try:
        # As sigstore's verify_artifact: ECDSA over the payload's SHA-256.
        key.verify(signature, hashlib.sha256(payload).digest(), ec.ECDSA(Prehashed(hashes.SHA256())))
    except InvalidSignature as e:
        raise EntryCheckError(STEP_SIGNATURE, "the signature does not verify with the certificate's key") from e


def check_cosign_keyless(
    payload: bytes, signature: bytes, cert: x509.Certificate, bundle: RekorBundle, context: VerificationContext
) -> None:
    """Every check but the identity; `EntryCheckError` naming the failed step."""
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
    _check_signature(payload, signature, cert)
    _check_body(bundle, payload, signature, cert)


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
        detail = e.detail
        if e.step == STEP_CHAIN:
            hint = " (if it was signed on Sigstore's staging instance, verify with --staging)"
            detail = (
                f"the signing certificate does not chain to a Fulcio certificate authority of "
                f"{context.trust_root_name} at the signing time: {detail}"
                f"{hint if context.trust_root is TrustRoot.PRODUCTION else ''}"
            )
        return signer.result(Verification.FAILED, f"{e.step} check failed: {detail}")
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
