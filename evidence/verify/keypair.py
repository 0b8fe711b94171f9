"""Key-pair signatures: cosign payloads with detached signatures, and DSSE envelopes, checked with public keys.

`link_signatures` tries each detached signature with each public key over each payload's exact bytes, and each
DSSE envelope signature over the envelope's pre-authentication encoding. Only `cryptography` is used.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography import x509

from evidence.model import Evidence, EvidenceKind, SignatureFacts, SignatureMethod, Verification
from evidence.verify.crypto import decode_signature, load_public_key, loaded_key, verifies
from evidence.verify.dsse import Envelope, pae, read_envelopes
from evidence.verify.interface import LoadedKey
from evidence.verify.keyless import certificate_identities, certificate_issuer

_DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")
UNSIGNED_REASON = "the DSSE envelope carries no signature"


def input_keys(items: Sequence[Evidence], files: Mapping[str, bytes]) -> list[LoadedKey]:
    """The public keys and certificates among the inputs; `files` maps a path to the bytes collected."""
    keys: list[LoadedKey] = []
    for item in items:
        data = files.get(item.path)
        if item.kind is not EvidenceKind.PUBLIC_KEY or data is None:
            continue
        try:
            key, _ = load_public_key(data)
        except ValueError:
            continue
        keys.append(loaded_key(item.path, key))
    return keys


def _signatures(items: Sequence[Evidence], files: Mapping[str, bytes]) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for item in items:
        data = files.get(item.path)
        if item.kind is EvidenceKind.DETACHED_SIGNATURE and data is not None:
            raw = decode_signature(data)
            if raw is not None:
                found.append((item.path, raw))
    return found


def _key_list(keys: list[LoadedKey]) -> str:
    return ", ".join(k.path for k in keys)


def verified_with(facts: SignatureFacts, key: LoadedKey, signature_path: str | None, reason: str) -> SignatureFacts:
    """Verified with `key`, the signature in `signature_path` (None: where `facts` says); trust is decided later."""
    return dataclasses.replace(
        facts,
        status=Verification.VERIFIED,
        reason=reason,
        key_id=key.key_id,
        key_path=key.path,
        key_algorithm=key.algorithm,
        signature_path=signature_path or facts.signature_path,
    )


def _link_payload(
    facts: SignatureFacts,
    matches: list[tuple[str, LoadedKey]],
    signatures: list[tuple[str, bytes]],
    claimed: set[str],
    keys: list[LoadedKey],
) -> SignatureFacts:
    if matches:
        rank = {k.key_id: i for i, k in enumerate(keys)}  # the user's keys come first: a trusted match wins
        signature_path, key = min(matches, key=lambda match: rank[match[1].key_id])
        if facts.signed_digest is None or not _DIGEST_RE.fullmatch(facts.signed_digest):
            return dataclasses.replace(
                verified_with(facts, key, signature_path, ""),
                status=Verification.FAILED,
                reason=f"signature {signature_path} verifies with {key.path}, but the signed docker-manifest-digest "
                "is not a well-formed sha256 digest",
            )
        return verified_with(
            facts, key, signature_path, f"{key.algorithm} signature {signature_path} verified with {key.path}"
        )
    return _unverified_payload(facts, signatures, claimed, keys)


def _unverified_payload(
    facts: SignatureFacts, signatures: list[tuple[str, bytes]], claimed: set[str], keys: list[LoadedKey]
) -> SignatureFacts:
    unclaimed = [path for path, _ in signatures if path not in claimed]
    unverifiable = dataclasses.replace(facts, status=Verification.UNVERIFIABLE)
    if not signatures:
        return dataclasses.replace(unverifiable, reason="no detached signature was supplied for this payload")
    if not unclaimed:
        return dataclasses.replace(
            unverifiable,
            reason="the supplied detached signatures verify other payloads; none was supplied for this one",
        )
    if not keys:
        return dataclasses.replace(
            unverifiable,
            reason="no public key was supplied to verify the detached signature",
            signature_path=unclaimed[0],
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


def envelope_key(envelope: Envelope, keys: list[LoadedKey]) -> LoadedKey | None:
    """The first key, in the order given (the user's first), that verifies any of the envelope's signatures."""
    encoded = pae(envelope.payload_type, envelope.payload)
    signatures = [signature for _, signature in envelope.signatures if signature is not None]
    return next((k for k in keys if any(verifies(k.key, s, encoded) for s in signatures)), None)


@dataclass(frozen=True, slots=True)
class EmbeddedCertificate:
    """What a certificate inside a DSSE envelope shows: `note` names it ("" when there is none), `broken` when the
    envelope's signature does not verify with the key of its own certificate (the envelope was changed)."""

    note: str = ""
    broken: bool = False


def embedded_certificate(envelope: Envelope) -> EmbeddedCertificate:
    """A Fulcio certificate beside the envelope's signature (slsa-github-generator's `signatures[].cert`) names who
    signed, and its key checks the signature; but a bare envelope has no transparency log entry, so nothing shows
    the signature was made within the certificate's minutes of validity: the signer is never verified from it."""
    if not envelope.certificates:
        return EmbeddedCertificate()
    try:
        cert = x509.load_pem_x509_certificate(envelope.certificates[0].encode())
    except ValueError:
        return EmbeddedCertificate(note="the DSSE envelope carries a certificate that is not PEM; nothing verified it")
    names = certificate_identities(cert)
    who = (
        f"a Fulcio certificate for {names[0] if names else 'an unnamed identity'} "
        f"(issuer {certificate_issuer(cert) or 'unknown'})"
    )
    encoded = pae(envelope.payload_type, envelope.payload)
    key = cert.public_key()
    if not any(s is not None and verifies(key, s, encoded) for _, s in envelope.signatures):
        return EmbeddedCertificate(
            note=f"the envelope's signature does not verify with the key of its own certificate, {who}", broken=True
        )
    return EmbeddedCertificate(
        note=f"the DSSE envelope is signed with the key of {who}, which it carries; it holds no transparency log "
        "entry, so the signing time cannot be shown inside the certificate's validity offline and the signer is "
        "not verified (supply the sigstore bundle of this attestation)"
    )


def _unsigned(envelopes: Sequence[Envelope | None]) -> str | None:
    """Why the envelopes cannot be verified before any key is tried: one is unreadable or carries no signature."""
    if not envelopes or any(e is None for e in envelopes):
        return "the file does not hold a readable DSSE envelope on every line"
    unsigned = next((e for e in envelopes if e is not None and not e.signatures), None)
    if unsigned is None:
        return None
    if unsigned.line is not None and len(envelopes) > 1:
        return f"the DSSE envelope on line {unsigned.line} carries no signature"
    return UNSIGNED_REASON


def _link_dsse(item: Evidence, data: bytes, keys: list[LoadedKey]) -> Evidence:
    """Verified only when every envelope in the file (one per line of a JSON-lines file) verifies."""
    facts = item.signature
    if facts is None:
        return item
    envelopes = read_envelopes(data)
    unsigned = _unsigned(envelopes)
    if unsigned is not None:
        new = dataclasses.replace(facts, status=Verification.UNVERIFIABLE, reason=unsigned)
        return dataclasses.replace(item, signature=new)
    found: list[LoadedKey] = []
    for number, envelope in enumerate(envelopes, start=1):
        assert envelope is not None  # noqa: S101 - _unsigned checked every one
        key = envelope_key(envelope, keys)
        if key is None:
            which = f" {number} of {len(envelopes)}" if len(envelopes) > 1 else ""
            certified = embedded_certificate(envelope)
            if certified.broken:
                new = dataclasses.replace(
                    facts, status=Verification.FAILED, reason=f"DSSE envelope{which}: {certified.note}"
                )
                return dataclasses.replace(item, signature=new)
            if not keys:
                reason = certified.note or "no public key was supplied to verify the DSSE envelope signature"
                new = dataclasses.replace(facts, status=Verification.UNVERIFIABLE, reason=reason)
                return dataclasses.replace(item, signature=new)
            new = dataclasses.replace(
                facts,
                status=Verification.FAILED,
                reason=f"DSSE envelope{which} signature does not verify with any supplied public key: "
                f"{_key_list(keys)}{'; ' + certified.note if certified.note else ''}",
                signature_path=item.path,
            )
            return dataclasses.replace(item, signature=new)
        found.append(key)
    paths = ", ".join(dict.fromkeys(k.path for k in found))
    what = "DSSE envelope signature" if len(envelopes) == 1 else f"all {len(envelopes)} DSSE envelope signatures"
    # The file is recorded with the last of its keys in the order given (the user's first): when one envelope
    # needed a key among the inputs, that key is the one the verification step judges.
    rank = {k.key_id: i for i, k in enumerate(keys)}
    recorded = max(found, key=lambda k: rank[k.key_id])
    reason = f"{recorded.algorithm} {what} verified with {paths}"
    return dataclasses.replace(item, signature=verified_with(facts, recorded, item.path, reason))


def is_cosign_payload(item: Evidence) -> bool:
    return (
        item.kind is EvidenceKind.SIGNATURE
        and item.signature is not None
        and item.signature.method is SignatureMethod.COSIGN_KEY_PAIR
    )


def _is_dsse(item: Evidence) -> bool:
    return item.signature is not None and item.signature.method is SignatureMethod.DSSE


def link_signatures(
    items: Sequence[Evidence], files: Mapping[str, bytes], extra_keys: Sequence[LoadedKey] = ()
) -> list[Evidence]:
    """Link payloads and envelopes with the supplied signatures and keys; a new list, same order.

    `files` maps a path to the bytes collected. The keys are `extra_keys` (named with `--key` or in the identity
    policy), tried first, then those among the inputs. This is the cryptography only: a signature linked with a key
    among the inputs is `verified` here, and `evidence.verify.verify` decides whether that key is trusted. Items
    that carry no key-pair signature are returned as they are.
    """
    keys = list(extra_keys)
    known = {k.key_id for k in keys}
    keys += [k for k in input_keys(items, files) if k.key_id not in known]
    signatures = _signatures(items, files)
    matches: dict[str, list[tuple[str, LoadedKey]]] = {}
    claimed: set[str] = set()
    for item in items:
        data = files.get(item.path)
        if not is_cosign_payload(item) or data is None:
            continue
        found = matches.setdefault(item.path, [])
        for signature_path, signature in signatures:
            key = next((k for k in keys if verifies(k.key, signature, data)), None)
            if key is not None:
                found.append((signature_path, key))
                claimed.add(signature_path)
    linked: list[Evidence] = []
    for item in items:
        data = files.get(item.path)
        if data is not None and item.signature is not None and is_cosign_payload(item):
            facts = _link_payload(item.signature, matches.get(item.path, []), signatures, claimed, keys)
            linked.append(dataclasses.replace(item, signature=facts))
        elif data is not None and _is_dsse(item):
            linked.append(_link_dsse(item, data, keys))
        else:
            linked.append(item)
    return linked
