"""Every use of a private name of the `sigstore` library (and of its `rekor_types`), each with why it is needed.

sigstore-python 4.5 verifies what its public `Verifier` accepts; Fromline also verifies what it refuses (DSSE
bundles logged as intoto/0.0.2 entries, cosign's legacy keyless signatures without an inclusion proof) by running
the same checks with sigstore's own functions, in sigstore's order. Those functions are private, so they are
reached only through this module. `PRIVATE_NAMES` lists each one with the parameters used here, and
`tests/test_sigstore_internals.py` checks them against the installed sigstore: an upgrade that moves or changes
one fails that test, naming it, before any verification is trusted. sigstore is loaded when first called.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TypeAlias

    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    from rekor_types._internal import intoto
    from sigstore._internal.timestamp import TimestampVerificationResult
    from sigstore._internal.trust import CTKeyring, RekorKeyring
    from sigstore.dsse import Envelope
    from sigstore.models import Bundle, TransparencyLogEntry, TrustedRoot
    from sigstore.verify import Verifier
    from sigstore_models import intoto as models_intoto

    # The private types other modules annotate with, for the type checker only.
    LoggedContent: TypeAlias = intoto.Content1  # an intoto 0.0.2 entry body's content
    LoggedEnvelope: TypeAlias = intoto.Envelope  # the envelope that content records
    SigningTime: TypeAlias = TimestampVerificationResult
    BundleEnvelope: TypeAlias = models_intoto.Envelope  # a bundle's DSSE envelope, as sigstore-models reads it

__all__ = [
    "PRIVATE_NAMES",
    "LogEntryFields",
    "PrivateName",
    "bundle_dsse_envelope",
    "bundle_inner_dsse_envelope",
    "chain_at_time",
    "embedded_trusted_root",
    "intoto_v002_content",
    "is_sha256",
    "log_entry_fields",
    "timestamp_authority_times",
    "transparency_log_time",
    "verify_checkpoint",
    "verify_dsse_signature",
    "verify_entry_set",
    "verify_inclusion_proof",
    "verify_sct",
    "verify_signed_entry_timestamp",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PrivateName:
    """A private name this module uses: where it is, and the parameters it is called with (None: not called)."""

    module: str
    name: str  # dotted within the module: "Verifier._verify_chain_at_time"
    parameters: tuple[str, ...] | None = None


PRIVATE_NAMES: tuple[PrivateName, ...] = (
    PrivateName(module="sigstore._store", name="__path__"),  # a folder of data: the embedded trusted roots
    PrivateName(module="sigstore._internal.trust", name="KeyringPurpose.VERIFY"),
    PrivateName(module="sigstore._utils", name="KeyID"),
    PrivateName(module="sigstore._internal.timestamp", name="TimestampSource.TRANSPARENCY_SERVICE"),
    PrivateName(
        module="sigstore._internal.timestamp", name="TimestampVerificationResult", parameters=("source", "time")
    ),
    PrivateName(module="sigstore._internal.merkle", name="verify_merkle_inclusion", parameters=("entry",)),
    PrivateName(
        module="sigstore._internal.rekor.checkpoint", name="verify_checkpoint", parameters=("rekor_keyring", "entry")
    ),
    PrivateName(module="sigstore._internal.sct", name="verify_sct", parameters=("cert", "chain", "ct_keyring")),
    PrivateName(module="sigstore.dsse", name="_verify", parameters=("key", "evp")),
    PrivateName(
        module="sigstore.verify",
        name="Verifier._verify_chain_at_time",
        parameters=("self", "certificate", "timestamp_result"),
    ),
    PrivateName(module="sigstore.verify", name="Verifier._verify_timestamp_authority", parameters=("self", "bundle")),
    PrivateName(module="sigstore.models", name="TransparencyLogEntry._verify_set", parameters=("self", "keyring")),
    PrivateName(module="sigstore.models", name="TransparencyLogEntry.__init__", parameters=("self", "inner")),
    PrivateName(module="sigstore.models", name="Bundle.__init__", parameters=("self", "inner")),
    PrivateName(module="sigstore.models", name="Bundle._dsse_envelope"),
    PrivateName(module="rekor_types._internal.intoto", name="IntotoV002Schema"),
    PrivateName(module="rekor_types._internal.intoto", name="Algorithm.SHA256"),
)


# --- the trust root ---------------------------------------------------------------------------------------------


def embedded_trusted_root(instance: str) -> AbstractContextManager[Path]:
    """The trusted_root.json sigstore ships for a public-good instance (its folder name in `sigstore._store`).

    Private: sigstore reaches these files only through TUF (`ClientTrustConfig.production(offline=True)`), which
    first copies them into the user's cache directory; reading the installed file writes nothing.
    """
    return resources.as_file(resources.files("sigstore._store").joinpath(instance, "trusted_root.json"))


def _keyrings(trusted_root: TrustedRoot) -> tuple[RekorKeyring, CTKeyring]:
    """The trusted root's Rekor and certificate transparency keys, for verifying."""
    # Private: the public TrustedRoot.rekor_keyring and ct_keyring take a purpose enum sigstore keeps internal.
    from sigstore._internal.trust import KeyringPurpose  # noqa: PLC0415

    return trusted_root.rekor_keyring(KeyringPurpose.VERIFY), trusted_root.ct_keyring(KeyringPurpose.VERIFY)


# --- signing time -----------------------------------------------------------------------------------------------


def transparency_log_time(at: datetime) -> SigningTime:
    """A signing time the transparency log attests (its integrated time), as sigstore's checks take it."""
    # Private: sigstore's chain check takes its own record of where a signing time came from.
    from sigstore._internal.timestamp import TimestampSource, TimestampVerificationResult  # noqa: PLC0415

    return TimestampVerificationResult(source=TimestampSource.TRANSPARENCY_SERVICE, time=at)


def timestamp_authority_times(verifier: Verifier, bundle: Bundle) -> list[SigningTime]:
    """The bundle's RFC 3161 timestamps that verify against the verifier's trusted root."""
    # Private: the step of Verifier.verify_dsse that checks timestamps, which has no public entry point.
    return verifier._verify_timestamp_authority(bundle)  # noqa: SLF001


def chain_at_time(verifier: Verifier, cert: x509.Certificate, time: SigningTime) -> list[x509.Certificate]:
    """The certificate's chain to the trusted root's Fulcio CAs at the signing time; sigstore's `Error` if none."""
    # Private: sigstore's path validation at a given time, the step of its verify_* methods that builds the chain.
    return verifier._verify_chain_at_time(cert, time)  # noqa: SLF001


# --- certificate transparency and the log -----------------------------------------------------------------------


def verify_sct(cert: x509.Certificate, chain: list[x509.Certificate], trusted_root: TrustedRoot) -> None:
    """The certificate's signed certificate timestamp, with the trusted root's CT keys; sigstore's `Error` if not."""
    # Private: sigstore's SCT check, run by its verify_* methods and not exposed on its own.
    from sigstore._internal.sct import verify_sct as sigstore_verify_sct  # noqa: PLC0415

    sigstore_verify_sct(cert, chain, _keyrings(trusted_root)[1])


def verify_inclusion_proof(entry: TransparencyLogEntry) -> None:
    """The entry's Merkle inclusion proof; sigstore's `Error` if it does not hold."""
    # Private: sigstore's inclusion proof check, which TransparencyLogEntry._verify runs with the rest.
    from sigstore._internal.merkle import verify_merkle_inclusion  # noqa: PLC0415

    verify_merkle_inclusion(entry)


def verify_checkpoint(trusted_root: TrustedRoot, entry: TransparencyLogEntry) -> None:
    """The entry's signed checkpoint, with the trusted root's Rekor keys; sigstore's `Error` if not."""
    # Private: sigstore's checkpoint check, run with the inclusion proof and not exposed on its own.
    from sigstore._internal.rekor.checkpoint import verify_checkpoint as sigstore_verify_checkpoint  # noqa: PLC0415

    sigstore_verify_checkpoint(_keyrings(trusted_root)[0], entry)


def verify_entry_set(trusted_root: TrustedRoot, entry: TransparencyLogEntry) -> None:
    """The entry's signed entry timestamp (inclusion promise) over its canonical form; sigstore's `Error` if not."""
    # Private: sigstore's SET check over the RFC 8785 form of the entry it builds itself.
    entry._verify_set(_keyrings(trusted_root)[0])  # noqa: SLF001


def verify_signed_entry_timestamp(trusted_root: TrustedRoot, log_id: bytes, signature: bytes, data: bytes) -> None:
    """A signed entry timestamp by the log `log_id` over `data` (canonical JSON); sigstore's `Error` if not."""
    # Private: the keyring of a log is looked up by sigstore's KeyID type.
    from sigstore._utils import KeyID  # noqa: PLC0415

    _keyrings(trusted_root)[0].verify(key_id=KeyID(log_id), signature=signature, data=data)


@dataclass(frozen=True, slots=True, kw_only=True)
class LogEntryFields:
    """What sigstore read from a bundle's transparency log entry."""

    kind: str
    version: str
    integrated_time: int | None
    has_inclusion_promise: bool
    canonicalized_body: bytes


def log_entry_fields(entry: TransparencyLogEntry) -> LogEntryFields:
    # Private: TransparencyLogEntry exposes none of its fields; they are on the sigstore-models record it wraps.
    inner = entry._inner  # noqa: SLF001
    return LogEntryFields(
        kind=inner.kind_version.kind,
        version=inner.kind_version.version,
        integrated_time=inner.integrated_time,
        has_inclusion_promise=inner.inclusion_promise is not None,
        canonicalized_body=inner.canonicalized_body,
    )


# --- DSSE -------------------------------------------------------------------------------------------------------


def bundle_dsse_envelope(bundle: Bundle) -> Envelope | None:
    """The bundle's DSSE envelope as sigstore's signature check takes it."""
    # Private: Bundle has no public accessor for its envelope.
    return bundle._dsse_envelope  # noqa: SLF001


def bundle_inner_dsse_envelope(bundle: Bundle) -> BundleEnvelope | None:
    """The bundle's DSSE envelope as the sigstore-models record: payload, payload type and every signature."""
    # Private: Bundle keeps the parsed sigstore-models bundle as `_inner`; sigstore's Envelope shows one signature.
    return bundle._inner.dsse_envelope  # noqa: SLF001


def verify_dsse_signature(key: ec.EllipticCurvePublicKey, envelope: Envelope) -> None:
    """The envelope's signature over its pre-authentication encoding; sigstore's `Error` if not."""
    # Private: sigstore's DSSE signature check, run by Verifier.verify_dsse after checks this entry kind fails.
    from sigstore import dsse  # noqa: PLC0415

    dsse._verify(key, envelope)  # noqa: SLF001


def intoto_v002_content(canonicalized_body: bytes) -> tuple[str, LoggedContent | None]:
    """The entry body's API version, and its content when it is an intoto 0.0.2 entry; `ValueError` (pydantic's
    `ValidationError`) when the body is not an intoto entry at all."""
    from rekor_types import Intoto  # noqa: PLC0415

    # Private: rekor_types (pinned by sigstore) names its entry versions only in its `_internal` modules.
    from rekor_types._internal.intoto import IntotoV002Schema  # noqa: PLC0415

    body = Intoto.model_validate_json(canonicalized_body)
    spec = body.spec.root
    return body.api_version, spec.content if isinstance(spec, IntotoV002Schema) else None


def is_sha256(algorithm: object) -> bool:
    """Whether an intoto entry's hash algorithm is SHA-256."""
    # Private: the algorithm enum of rekor_types' intoto entry is in its `_internal` module.
    from rekor_types._internal.intoto import Algorithm  # noqa: PLC0415

    return algorithm is Algorithm.SHA256
