"""The verification step, between collect and evaluate: every signature and attestation checked, offline."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import assert_never

import orjson

from evidence.model import Evidence, EvidenceKind, EvidenceSet, SignatureFacts, SignatureMethod, Verification
from evidence.verify.cosign_keyless import rekor_bundles, verify_cosign_keyless, with_rekor_bundle
from evidence.verify.crypto import verifies
from evidence.verify.dsse import envelope_from
from evidence.verify.interface import LoadedKey, VerificationContext
from evidence.verify.keyless import (
    Artifact,
    certificate_identities,
    certificate_issuer,
    message_digest,
    verify_bundle,
)
from evidence.verify.keypair import envelope_key, input_keys, is_cosign_payload, link_signatures, verified_with
from evidence.verify.material import (
    BUNDLE_ANNOTATION,
    CERTIFICATE_ANNOTATION,
    SIGNATURE_ANNOTATION,
    MaterialError,
    RekorBundle,
    read_containers_signature,
    rekor_bundle_from,
    signed_layers,
    strict_base64,
)
from evidence.verify.policy import ImageRules

ASSERTED_REASON = "asserted by cosign, not re-verified"
NOT_COLLECTED_REASON = "not verified: the bytes of this file were not kept by collection"
NO_CHECK_REASON = "not verified: no verification applies to this signature in this kind of file"
_BUNDLE_SUFFIXES = (".sigstore.json", ".sigstore", ".bundle.json", ".bundle")
_MATERIAL_KINDS = frozenset({EvidenceKind.PUBLIC_KEY, EvidenceKind.DETACHED_SIGNATURE})


def verify(collected: EvidenceSet, context: VerificationContext | None = None) -> EvidenceSet:
    """Every signature and attestation in `collected` checked: the same items in the same order, each signature's
    status and reason decided, and the subjects a verified cosign signature manifest signs added.

    The bytes checked are those collection kept (`EvidenceSet.contents`; of a file read by its byte-order mark, its
    text as UTF-8, `EvidenceSet.decoded`, but for a cosign payload, which is signed byte for byte); nothing is read
    again. Key-pair
    signatures and DSSE envelopes are checked with the keys the user trusts (the context's keys and its policy's)
    and with the keys among the inputs; sigstore bundles are verified offline against the context's trust root;
    cosign signature manifests with the payloads among the inputs. Only the user's keys are trust anchors: a
    signature that verifies only with a key among the inputs is unverifiable (failed when the user named keys or
    a policy it is not among), and keeps that key as the one that would have to be trusted. With a policy, a
    signature made by a key or identity it does not accept fails. The output of `cosign verify` is recorded as
    cosign's claim, not verified again.
    """
    files = {
        item.path: _bytes_checked(item, collected)
        for item in collected.items
        if item.id in collected.contents and (item.signature is not None or item.kind in _MATERIAL_KINDS)
    }
    items = [_reencoded(item, collected) for item in verify_items(collected.items, files, context)]
    return dataclasses.replace(collected, items=tuple(items))


def _reencoded(item: Evidence, collected: EvidenceSet) -> Evidence:
    facts = item.signature
    if facts is None or facts.status is not Verification.FAILED or item.id not in collected.decoded:
        return item
    if not is_cosign_payload(item):
        return item
    reason = (
        f"{facts.reason}; the file was re-encoded (it starts with a byte-order mark), so it is not the bytes signed"
    )
    return dataclasses.replace(item, signature=dataclasses.replace(facts, reason=reason))


def _bytes_checked(item: Evidence, collected: EvidenceSet) -> bytes:
    # A bundle, an envelope or a key is the same in any encoding, but a cosign payload is signed byte for byte:
    # re-encoded (a shell saved it as UTF-16), it is no longer what was signed, and is checked as it is.
    if is_cosign_payload(item):
        return collected.contents[item.id]
    return collected.decoded.get(item.id, collected.contents[item.id])


@dataclass(frozen=True, slots=True, kw_only=True)
class _Material:
    """What the signatures are checked with: the collected bytes by path, the keys (the user's trusted keys first,
    then those among the inputs), the cosign payloads by SHA-256, and the cosign Rekor bundles."""

    files: Mapping[str, bytes]
    anchors: list[LoadedKey]
    keys: list[LoadedKey]
    payloads: dict[str, tuple[Evidence, bytes]]
    bundles: list[tuple[str, RekorBundle]]


def verify_items(
    items: Sequence[Evidence], files: Mapping[str, bytes], context: VerificationContext | None = None
) -> list[Evidence]:
    """`verify` over items and their bytes by path; a new list in the same order."""
    context = context or VerificationContext()
    anchors = context.anchor_keys
    linked = link_signatures(items, files, extra_keys=anchors)
    known = {k.key_id for k in anchors}
    material = _Material(
        files=files,
        anchors=list(anchors),
        keys=list(anchors) + [k for k in input_keys(items, files) if k.key_id not in known],
        payloads={
            e.sha256: (e, files[e.path])
            for e in items
            if _method(e) is SignatureMethod.COSIGN_KEY_PAIR and e.path in files
        },
        bundles=rekor_bundles(items, files),
    )
    rules = context.rules
    out: list[Evidence] = []
    for item in linked:
        if item.signature is None:
            out.append(item)
            continue
        facts, signed = _decide(item, item.signature, material, context)
        if facts.status is Verification.UNCHECKED:  # material in a file no check applies to
            facts = dataclasses.replace(facts, status=Verification.UNVERIFIABLE, reason=NO_CHECK_REASON)
        facts = _anchored(facts, anchors, rules)
        if rules is not None:
            facts = _key_policy(facts, rules)
        subjects = tuple(dict.fromkeys(item.subjects + signed)) if signed else item.subjects
        out.append(dataclasses.replace(item, subjects=subjects, signature=facts))
    return out


def _decide(  # noqa: PLR0911 - one outcome per signature method
    item: Evidence, facts: SignatureFacts, material: _Material, context: VerificationContext
) -> tuple[SignatureFacts, tuple[str, ...]]:
    """The verification the signature's method calls for, and the digests it signs when that adds subjects."""
    data = material.files.get(item.path)
    if data is None:
        return dataclasses.replace(facts, status=Verification.UNVERIFIABLE, reason=NOT_COLLECTED_REASON), ()
    match facts.method:
        case SignatureMethod.SIGSTORE_MESSAGE | SignatureMethod.SIGSTORE_DSSE:
            return _bundle(item.path, data, facts, context, material.keys), ()
        case SignatureMethod.COSIGN_MANIFEST:
            return _manifest_trusted_first(data, facts, context, material)
        case SignatureMethod.COSIGN_KEY_PAIR if material.bundles:
            return with_rekor_bundle(facts, material.files, material.bundles, context), ()
        case SignatureMethod.COSIGN_KEY_PAIR | SignatureMethod.DSSE:  # linked with the keys already
            return facts, ()
        case SignatureMethod.COSIGN_VERIFY:
            return dataclasses.replace(facts, status=Verification.UNVERIFIABLE, reason=ASSERTED_REASON), ()
        case SignatureMethod.CONTAINERS_SIGSTORE:
            return _containers_signature(item.path, data, facts, context, material), ()
        case _:
            assert_never(facts.method)


def _method(item: Evidence) -> SignatureMethod | None:
    return item.signature.method if item.signature else None


def _anchored(facts: SignatureFacts, anchors: Sequence[LoadedKey], rules: ImageRules | None) -> SignatureFacts:
    """A signature verified with a key found among the inputs, not one the user trusts: unverifiable when the user
    named no key and no policy, else failed (it does not verify with what the user trusts). The key stays
    recorded, as the one that would have to be trusted."""
    if facts.status is not Verification.VERIFIED or facts.key_id is None:
        return facts
    if facts.key_id in {k.key_id for k in anchors}:
        return facts
    found = f"verified with key {facts.key_id} ({facts.key_path}) found in the evidence, which is not a trust anchor"
    untrusted = dataclasses.replace(facts, key_from_evidence=True)
    if anchors:
        return dataclasses.replace(
            untrusted,
            status=Verification.FAILED,
            reason=f"{found}; it does not verify with any trusted key: {', '.join(k.path for k in anchors)}",
        )
    if rules is not None:
        return dataclasses.replace(
            untrusted, status=Verification.FAILED, reason=f"{found}, and the identity policy names no such key"
        )
    return dataclasses.replace(
        untrusted,
        status=Verification.UNVERIFIABLE,
        reason=f"{found}; trust it with --key or the identity policy",
    )


def _key_policy(facts: SignatureFacts, rules: ImageRules) -> SignatureFacts:
    """A key-pair signature verified with a key the policy does not accept fails."""
    if facts.status is not Verification.VERIFIED or facts.key_id is None or rules.accepts_key(facts.key_id):
        return facts
    return dataclasses.replace(
        facts,
        status=Verification.FAILED,
        reason=f"{facts.reason}; verified with key {facts.key_path} ({facts.key_id}), which the policy does not accept",
    )


# --- sigstore bundles -------------------------------------------------------------------------------------------


def _artifact_for(bundle_path: str, bundle: bytes, context: VerificationContext) -> Artifact | None:
    """The supplied artifact of a message-signature bundle: the one with the signed digest, else the one the
    bundle is named after (`ARTIFACT.sigstore.json`, the sigstore convention), else none."""
    if not context.artifacts:
        return None
    digest = message_digest(bundle)
    for path, data in sorted(context.artifacts.items()):
        if digest is not None and hashlib.sha256(data).digest() == digest:
            return Artifact(path=path, data=data)
    bundle_name = PurePosixPath(bundle_path).name
    for path, data in sorted(context.artifacts.items()):
        name = PurePosixPath(path).name
        for suffix in _BUNDLE_SUFFIXES:
            tail = name + suffix
            if bundle_name == tail or (bundle_name.endswith(tail) and bundle_name[-len(tail) - 1] in ".-_"):
                return Artifact(path=path, data=data)
    return None


def _has_public_key(obj: object) -> bool:
    material = obj.get("verificationMaterial") if isinstance(obj, dict) else None
    return isinstance(material, dict) and isinstance(material.get("publicKey"), dict)


def _bundle(
    path: str, data: bytes, facts: SignatureFacts, context: VerificationContext, keys: list[LoadedKey]
) -> SignatureFacts:
    obj = _json(data)
    if _has_public_key(obj):
        return _keyed_bundle(obj, facts, keys)
    artifact = _artifact_for(path, data, context) if facts.method is SignatureMethod.SIGSTORE_MESSAGE else None
    result = verify_bundle(data, context, artifact=artifact)
    return dataclasses.replace(
        facts,
        status=result.status,
        reason=result.reason,
        identity=result.identity,
        issuer=result.issuer,
        log_index=result.log_index,
        integrated_time=result.integrated_time,
        payload_path=artifact.path if artifact else facts.payload_path,
    )


def _keyed_bundle(obj: object, facts: SignatureFacts, keys: list[LoadedKey]) -> SignatureFacts:
    """A bundle signed with a key (no certificate): its DSSE envelope is checked with the supplied keys."""
    envelope = envelope_from(obj.get("dsseEnvelope")) if isinstance(obj, dict) else None
    if facts.method is not SignatureMethod.SIGSTORE_DSSE or envelope is None:
        return dataclasses.replace(
            facts,
            status=Verification.UNVERIFIABLE,
            reason="a message signature made with a key (no certificate): not verified in this release; "
            "its transparency log entry is not checked either",
        )
    key = envelope_key(envelope, keys)
    if key is not None:
        return verified_with(
            facts,
            key,
            None,
            f"{key.algorithm} DSSE envelope signature verified with {key.path} "
            "(a key-signed bundle: its transparency log entry is not checked)",
        )
    if not keys:
        return dataclasses.replace(
            facts,
            status=Verification.UNVERIFIABLE,
            reason="the bundle is signed with a key, and no public key was supplied",
        )
    return dataclasses.replace(
        facts,
        status=Verification.FAILED,
        reason=f"DSSE envelope signature does not verify with any supplied public key: "
        f"{', '.join(k.path for k in keys)}",
    )


# --- containers/image sigstore signatures -----------------------------------------------------------------------


def _containers_signature(
    path: str, data: bytes, facts: SignatureFacts, context: VerificationContext, material: _Material
) -> SignatureFacts:
    """The payload in the blob, signed: keylessly when the certificate and Rekor bundle annotations are both there,
    else with the keys (the user's trusted keys, then those among the inputs, which `_anchored` does not trust)."""
    try:
        blob = read_containers_signature(data)
    except MaterialError as e:  # collection read it: only changed bytes get here
        return dataclasses.replace(facts, status=Verification.FAILED, reason=f"the signature blob is broken: {e}")
    payload = Artifact(path=f"{path} (its payload)", data=blob.payload)
    encoded = blob.annotations.get(SIGNATURE_ANNOTATION)
    signature = strict_base64(encoded) if encoded else None
    if signature is None:
        return dataclasses.replace(
            facts,
            status=Verification.UNVERIFIABLE,
            reason=f"the blob carries no {SIGNATURE_ANNOTATION} annotation with a base64 signature: nothing to verify",
        )
    annotations: dict[str, object] = dict(blob.annotations)
    if {CERTIFICATE_ANNOTATION, BUNDLE_ANNOTATION} <= annotations.keys():
        return _keyless_layer(facts, payload, signature, annotations, context, where="the containers/image signature")
    if CERTIFICATE_ANNOTATION in annotations:
        return dataclasses.replace(
            facts,
            status=Verification.UNVERIFIABLE,
            reason=f"the blob carries {_certificate_holder(blob.annotations[CERTIFICATE_ANNOTATION])} but no "
            f"{BUNDLE_ANNOTATION} annotation: without the log's signed entry timestamp the signing time inside the "
            "certificate's short validity cannot be shown offline, so the signature is not verified",
        )
    return _keyed_containers_signature(blob.payload, signature, facts, material)


def _certificate_holder(pem: str) -> str:
    """`a Fulcio certificate for SAN (issuer URL)`, named from the certificate, which nothing here verified."""
    from cryptography import x509  # noqa: PLC0415

    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return "a certificate that is not PEM"
    names = certificate_identities(cert)
    return (
        f"a Fulcio certificate for {names[0] if names else 'an unnamed identity'} "
        f"(issuer {certificate_issuer(cert) or 'unknown'})"
    )


def _keyed_containers_signature(
    payload: bytes, signature: bytes, facts: SignatureFacts, material: _Material
) -> SignatureFacts:
    key = next((k for k in material.keys if verifies(k.key, signature, payload)), None)
    if key is not None:
        return verified_with(
            facts,
            key,
            None,
            f"{key.algorithm} signature in the containers/image signature verified with {key.path} over its payload",
        )
    if material.anchors:
        return dataclasses.replace(
            facts,
            status=Verification.FAILED,
            reason="the containers/image signature does not verify with any trusted public key: "
            f"{', '.join(k.path for k in material.anchors)}",
        )
    return dataclasses.replace(
        facts,
        status=Verification.UNVERIFIABLE,
        reason="the containers/image signature is made with a key (no certificate), and no public key that verifies "
        "it was supplied (--key)",
    )


def _json(data: bytes) -> object:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


# --- cosign signature manifests ---------------------------------------------------------------------------------


def _manifest_trusted_first(
    data: bytes, facts: SignatureFacts, context: VerificationContext, material: _Material
) -> tuple[SignatureFacts, tuple[str, ...]]:
    """A layer signed by a trusted key wins over one signed by a key among the inputs, whatever their order."""
    trusted = _manifest(data, facts, context, material.anchors, material.payloads)
    if trusted[0].status is Verification.VERIFIED:
        return trusted
    return _manifest(data, facts, context, material.keys, material.payloads)


def _manifest(
    data: bytes,
    facts: SignatureFacts,
    context: VerificationContext,
    keys: list[LoadedKey],
    payloads: dict[str, tuple[Evidence, bytes]],
) -> tuple[SignatureFacts, tuple[str, ...]]:
    """The first signed layer whose payload is among the inputs: keylessly with its certificate and Rekor bundle
    annotations, else with the supplied keys."""
    layers = signed_layers(_json(data))
    unverifiable = dataclasses.replace(facts, status=Verification.UNVERIFIABLE)
    if all(layer.signature is None for layer in layers):
        return dataclasses.replace(
            unverifiable,
            reason="the manifest's signature annotations are empty: an attestation manifest, whose signatures are "
            "in its DSSE envelope layers (verified where those layers are supplied)",
        ), ()
    no_bundle = any(layer.keyless and BUNDLE_ANNOTATION not in layer.annotations for layer in layers)
    note = (
        "; the layer carries a Fulcio certificate but no Rekor bundle annotation, so it is not verified keylessly "
        "(supply the sigstore bundle instead)"
        if no_bundle
        else ""
    )
    failed: list[str] = []
    for layer in layers:
        payload, payload_data = payloads.get(layer.digest.removeprefix("sha256:"), (None, None))
        signature = layer.signature
        if signature is None or payload is None or payload_data is None or payload.signature is None:
            continue
        signed = payload.signature.signed_digest
        if {CERTIFICATE_ANNOTATION, BUNDLE_ANNOTATION} <= layer.annotations.keys():
            outcome = _keyless_layer(
                dataclasses.replace(
                    facts,
                    signed_digest=signed,
                    docker_reference=payload.signature.docker_reference,
                    payload_path=payload.path,
                ),
                Artifact(path=payload.path, data=payload_data),
                signature,
                layer.annotations,
                context,
                where=f"the manifest's layer {layer.digest}",
            )
            return outcome, ((signed,) if signed and outcome.status is not Verification.FAILED else ())
        key = next((k for k in keys if verifies(k.key, signature, payload_data)), None)
        if key is None:
            failed.append(payload.path)
            continue
        return dataclasses.replace(
            facts,
            status=Verification.VERIFIED,
            reason=f"{key.algorithm} signature in the manifest's layer {layer.digest} verified with {key.path} over "
            f"{payload.path}",
            signed_digest=signed,
            docker_reference=payload.signature.docker_reference,
            key_id=key.key_id,
            key_path=key.path,
            key_algorithm=key.algorithm,
            payload_path=payload.path,
        ), ((signed,) if signed else ())
    if failed and keys:
        return dataclasses.replace(
            facts,
            status=Verification.FAILED,
            reason=f"the manifest's signature over {', '.join(failed)} does not verify with any supplied public key: "
            f"{', '.join(k.path for k in keys)}{note}",
        ), ()
    if failed:
        return dataclasses.replace(
            unverifiable, reason=f"no public key was supplied to verify the manifest's signature{note}"
        ), ()
    signed_digests = ", ".join(layer.digest for layer in layers if layer.signature is not None)
    return dataclasses.replace(
        unverifiable, reason=f"the signed payload (layer {signed_digests}) was not supplied{note}"
    ), ()


def _keyless_layer(  # noqa: PLR0913 - the signature, what it signs, its annotations, and where it was found
    facts: SignatureFacts,
    payload: Artifact,
    signature: bytes,
    annotations: dict[str, object],
    context: VerificationContext,
    *,
    where: str,
) -> SignatureFacts:
    """A layer signed keylessly: its signature over the payload with its certificate and Rekor bundle annotations,
    then the certificate's identity against the policy; a broken annotation fails."""
    from cryptography import x509  # noqa: PLC0415

    pem, bundle_text = annotations[CERTIFICATE_ANNOTATION], annotations[BUNDLE_ANNOTATION]
    try:
        cert = x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else b"")
    except ValueError:
        return dataclasses.replace(
            facts, status=Verification.FAILED, reason=f"{where}: {CERTIFICATE_ANNOTATION} is not a PEM certificate"
        )
    try:
        parsed = orjson.loads(bundle_text) if isinstance(bundle_text, str) else None
        bundle = rekor_bundle_from(parsed)
    except (orjson.JSONDecodeError, MaterialError) as e:
        detail = e.problem if isinstance(e, MaterialError) else "not JSON"
        return dataclasses.replace(
            facts, status=Verification.FAILED, reason=f"{where}: {BUNDLE_ANNOTATION} is broken: {detail}"
        )
    result = verify_cosign_keyless(payload, signature, cert, bundle, context)
    return dataclasses.replace(
        facts,
        status=result.status,
        reason=f"cosign keyless signature in {where} over {payload.path}, with its certificate and Rekor bundle "
        f"annotations (signed entry timestamp, no inclusion proof): {result.reason}",
        identity=result.identity,
        issuer=result.issuer,
        log_index=result.log_index,
        integrated_time=result.integrated_time,
    )
