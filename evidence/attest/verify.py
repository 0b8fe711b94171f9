"""Verify a package offline: every file against `manifest.json`, and the signed statement when asked.

Files are compared by SHA-256 and size with the manifest: a file listed and absent is missing, a file present
and not listed is added (the signature files excepted), a file whose bytes differ is changed. With a public key,
the DSSE envelope `package.intoto.json` must carry a signature by that key over its statement; with an identity
and issuer, the sigstore bundle `package.sigstore.json` must verify against the Sigstore trusted root (the one
shipped in the sigstore library, or a given `trusted_root.json`) and name that identity. A verified statement is
then the reference as well: every file, `manifest.json` included, must be one of its subjects with the same
SHA-256, so a manifest rewritten to match changed files is found out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from evidence.attest.statement import (
    BUNDLE_FILE,
    ENVELOPE_FILE,
    FileDigest,
    MalformedError,
    package_files,
    parse_manifest,
    statement_subjects,
)
from evidence.errors import InputError
from evidence.render import MANIFEST
from evidence.verify.crypto import verifies
from evidence.verify.dsse import IN_TOTO_PAYLOAD_TYPE, envelope_from, loads, pae

if TYPE_CHECKING:
    from pathlib import Path

    from evidence.verify.interface import LoadedKey, TrustRoot

__all__ = ["FileProblem", "Identity", "PackageVerification", "verify_package"]

MAX_SIGNATURE_FILE = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """A keyless signer: the certificate's subject alternative name and the OIDC issuer."""

    subject: str | None  # exactly; or
    subject_regexp: str | None = None  # a regular expression it must match
    issuer: str
    trust_root: TrustRoot | None = None  # None: the production instance
    trusted_root_path: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FileProblem:
    problem: str  # "missing", "added", "changed"
    path: str
    detail: str = ""


@dataclass(slots=True, kw_only=True)
class PackageVerification:
    package: Path
    files_checked: int = 0
    problems: list[FileProblem] = field(default_factory=list)
    signature_checked: bool = False
    signature_verified: bool = False
    signature_reason: str = "no --key or --identity was given"

    @property
    def ok(self) -> bool:
        return not self.problems and (self.signature_verified or not self.signature_checked)

    def add(self, problem: str, path: str, detail: str = "") -> None:
        if not any(p.problem == problem and p.path == path for p in self.problems):
            self.problems.append(FileProblem(problem=problem, path=path, detail=detail))


def _short(digest: str) -> str:
    return digest[:16] + "…"


def _compare(
    result: PackageVerification, found: dict[str, FileDigest], expected: dict[str, FileDigest], source: str
) -> None:
    for path, want in expected.items():
        have = found.get(path)
        if have is None:
            result.add("missing", path, f"listed in {source}")
        elif have.sha256 != want.sha256:
            result.add("changed", path, f"sha256 {_short(have.sha256)}, {source} has {_short(want.sha256)}")
        elif want.size is not None and have.size != want.size:
            result.add("changed", path, f"{have.size} bytes, {source} has {want.size}")
    for path in found:
        if path not in expected:
            result.add("added", path, f"not in {source}")


def verify_package(
    package: Path, *, key: LoadedKey | None = None, identity: Identity | None = None
) -> PackageVerification:
    """Check the package; `InputError` only when it cannot be read at all (exit 3)."""
    if not package.is_dir():
        raise InputError(package, "is not a package directory")
    result = PackageVerification(package=package)
    try:
        found = package_files(package)
    except OSError as e:
        raise InputError(package, f"cannot be read: {e.strerror}") from e
    result.files_checked = len(found)
    if key is not None or identity is not None:
        result.signature_checked = True
        subjects = _signed_subjects(package, result, key, identity)
        if subjects is not None:
            _compare(result, found, subjects, "the signed statement")
    _check_manifest(package, result, found)
    return result


def _signed_subjects(
    package: Path, result: PackageVerification, key: LoadedKey | None, identity: Identity | None
) -> dict[str, FileDigest] | None:
    payload = _verified_payload(package, result, key, identity)
    if payload is None:
        return None
    try:
        return statement_subjects(payload)
    except MalformedError as e:
        result.signature_verified = False
        result.signature_reason = f"{result.signature_reason}, but {e}"
        return None


def _check_manifest(package: Path, result: PackageVerification, found: dict[str, FileDigest]) -> None:
    """Compare with `manifest.json`; without a signature to fall back on, a package without one is unreadable."""
    manifest_path = package / MANIFEST
    try:
        manifest = parse_manifest(manifest_path.read_bytes())
    except FileNotFoundError as e:
        if not result.signature_checked:
            raise InputError(package, f"is not a Fromline package: it has no {MANIFEST}") from e
        result.add("missing", MANIFEST)
        return
    except OSError as e:
        raise InputError(manifest_path, f"cannot be read: {e.strerror}") from e
    except MalformedError as e:
        if not result.signature_checked:
            raise InputError(manifest_path, str(e)) from e
        result.add("changed", MANIFEST, str(e))
        return
    _compare(result, {p: d for p, d in found.items() if p != MANIFEST}, manifest, MANIFEST)


def _verified_payload(
    package: Path, result: PackageVerification, key: LoadedKey | None, identity: Identity | None
) -> bytes | None:
    """The signed statement's bytes when the signature verifies; otherwise None, with the reason recorded."""
    name = ENVELOPE_FILE if key is not None else BUNDLE_FILE
    path = package / name
    try:
        if path.stat().st_size > MAX_SIGNATURE_FILE:
            result.signature_reason = f"{name} is over {MAX_SIGNATURE_FILE} bytes"
            return None
        data = path.read_bytes()
    except FileNotFoundError:
        result.signature_reason = f"{name} is missing: the package was not signed" + (
            " with a key" if key is not None else " keylessly"
        )
        return None
    except OSError as e:
        raise InputError(path, f"cannot be read: {e.strerror}") from e
    payload = _envelope_payload(data, key) if key is not None else _bundle_payload(data, identity)
    if isinstance(payload, str):
        result.signature_reason = f"{name}: {payload}"
        return None
    result.signature_verified = True
    if key is not None:
        result.signature_reason = f"{key.algorithm} DSSE signature in {name} verified with {key.path} ({key.key_id})"
    else:
        assert identity is not None  # noqa: S101 - one of key and identity is given
        signer = identity.subject or f"/{identity.subject_regexp}/"
        result.signature_reason = (
            f"sigstore bundle {name} verified offline, signed by {signer} (issuer {identity.issuer})"
        )
    return payload


def _read_envelope(data: bytes) -> tuple[bytes, list[bytes]] | str:
    """The payload and signatures of an in-toto DSSE envelope, or what is wrong with it."""
    envelope = envelope_from(loads(data))
    if envelope is None:
        return "not a DSSE envelope (JSON with a payload type, a base64 payload and signatures)"
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE:
        return f"the envelope's payload type is {envelope.payload_type!r}, not {IN_TOTO_PAYLOAD_TYPE}"
    return envelope.payload, [signature for _, signature in envelope.signatures if signature]


def _envelope_payload(data: bytes, key: LoadedKey) -> bytes | str:
    """The envelope's payload when one of its signatures verifies with `key`, else why not."""
    envelope = _read_envelope(data)
    if isinstance(envelope, str):
        return envelope
    payload, signatures = envelope
    encoded = pae(IN_TOTO_PAYLOAD_TYPE, payload)
    if any(verifies(key.key, signature, encoded) for signature in signatures):
        return payload
    return f"no signature in the envelope verifies with {key.path} ({key.algorithm}, {key.key_id})"


def _bundle_payload(data: bytes, identity: Identity | None) -> bytes | str:
    """The bundle's DSSE payload when the bundle verifies offline and names `identity`, else why not."""
    assert identity is not None  # noqa: S101 - one of key and identity is given
    from evidence.model import Verification  # noqa: PLC0415
    from evidence.verify.interface import TrustRoot, VerificationContext  # noqa: PLC0415
    from evidence.verify.keyless import verify_bundle  # noqa: PLC0415 - loads sigstore
    from evidence.verify.policy import IdentityPolicy, IdentityRule, Rule  # noqa: PLC0415

    rule = IdentityRule(issuer=identity.issuer, subject=identity.subject, subject_regexp=identity.subject_regexp)
    policy = IdentityPolicy(path="--identity/--issuer", rules=(Rule(identities=(rule,)),), keys=())
    context = VerificationContext(
        policy=policy,
        trust_root=identity.trust_root or TrustRoot.PRODUCTION,
        trusted_root_path=identity.trusted_root_path,
    )
    outcome = verify_bundle(data, context)
    if outcome.status is not Verification.VERIFIED:
        return outcome.reason
    bundle = loads(data)
    envelope = envelope_from(bundle.get("dsseEnvelope")) if isinstance(bundle, dict) else None
    if envelope is None:
        return "the bundle verifies but holds no DSSE envelope with an in-toto statement"
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE:
        return f"the bundle's payload type is {envelope.payload_type!r}, not {IN_TOTO_PAYLOAD_TYPE}"
    return envelope.payload
