"""The verification step of `collect`: every signature and attestation checked once all files are read."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import PurePosixPath

from evidence.collectors.cosign import COSIGN_METHOD, dsse_pae, input_keys, link_signatures, verifies
from evidence.collectors.cosign_rekor import rekor_bundle_from
from evidence.collectors.interface import CollectorError, Document
from evidence.collectors.sigstore_bundle import (
    BUNDLE_ANNOTATION,
    CERTIFICATE_ANNOTATION,
    COSIGN_MANIFEST_METHOD,
    KEYLESS_DSSE_METHOD,
    KEYLESS_MESSAGE_METHOD,
    manifest_signatures,
)
from evidence.model import Evidence, SignatureFacts, Verification
from evidence.verify.cosign_keyless import rekor_bundles, verify_cosign_keyless, with_rekor_bundle
from evidence.verify.interface import LoadedKey, VerificationContext
from evidence.verify.keyless import Artifact, message_digest, verify_bundle
from evidence.verify.policy import ImageRules

_BUNDLE_SUFFIXES = (".sigstore.json", ".sigstore", ".bundle.json", ".bundle")


def verify_all(
    items: list[Evidence], docs: dict[str, Document], context: VerificationContext | None = None
) -> list[Evidence]:
    """Verify every signature and attestation; a new list in the same order.

    Key-pair signatures and DSSE envelopes are linked with the keys among the inputs and the context's keys;
    sigstore bundles are verified offline against the context's trust root; cosign signature manifests with
    the payloads among the inputs. With a policy, a signature made by a key or identity it does not accept fails.
    """
    context = context or VerificationContext()
    linked = link_signatures(items, docs, extra_keys=context.keys)
    known = {k.key_id for k in context.keys}
    keys = list(context.keys) + [k for k in input_keys(items, docs) if k.key_id not in known]
    payloads = {docs[e.path].sha256: (e, docs[e.path]) for e in items if _method(e) == COSIGN_METHOD and e.path in docs}
    rules = context.rules
    bundles = rekor_bundles(items, docs)
    out: list[Evidence] = []
    for item in linked:
        doc = docs.get(item.path)
        facts = item.signature
        if doc is None or facts is None:
            out.append(item)
            continue
        subjects = item.subjects
        if facts.method in (KEYLESS_MESSAGE_METHOD, KEYLESS_DSSE_METHOD):
            facts = _bundle(doc, facts, context, keys)
        elif facts.method == COSIGN_MANIFEST_METHOD:
            facts, signed = _manifest(doc, facts, context, keys, payloads)
            subjects = tuple(dict.fromkeys(subjects + signed))
        elif facts.method == COSIGN_METHOD and bundles:
            facts = with_rekor_bundle(facts, docs, bundles, context)
        if rules is not None:
            facts = _key_policy(facts, rules)
        out.append(dataclasses.replace(item, subjects=subjects, signature=facts))
    return out


def _method(item: Evidence) -> str | None:
    return item.signature.method if item.signature else None


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


def _artifact_for(doc: Document, context: VerificationContext) -> Artifact | None:
    """The supplied artifact of a message-signature bundle: the one with the signed digest, else the one the
    bundle is named after (`ARTIFACT.sigstore.json`, the sigstore convention), else none."""
    if not context.artifacts:
        return None
    digest = message_digest(doc.data)
    for path, data in sorted(context.artifacts.items()):
        if digest is not None and hashlib.sha256(data).digest() == digest:
            return Artifact(path=path, data=data)
    bundle_name = PurePosixPath(doc.path).name
    for path, data in sorted(context.artifacts.items()):
        name = PurePosixPath(path).name
        for suffix in _BUNDLE_SUFFIXES:
            tail = name + suffix
            if bundle_name == tail or (bundle_name.endswith(tail) and bundle_name[-len(tail) - 1] in ".-_"):
                return Artifact(path=path, data=data)
    return None


def _has_public_key(doc: Document) -> bool:
    obj = doc.json()
    material = obj.get("verificationMaterial") if isinstance(obj, dict) else None
    return isinstance(material, dict) and isinstance(material.get("publicKey"), dict)


def _bundle(
    doc: Document, facts: SignatureFacts, context: VerificationContext, keys: list[LoadedKey]
) -> SignatureFacts:
    if _has_public_key(doc):
        return _keyed_bundle(doc, facts, keys)
    artifact = _artifact_for(doc, context) if facts.method == KEYLESS_MESSAGE_METHOD else None
    result = verify_bundle(doc.data, context, artifact=artifact)
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


def _keyed_bundle(doc: Document, facts: SignatureFacts, keys: list[LoadedKey]) -> SignatureFacts:
    """A bundle signed with a key (no certificate): its DSSE envelope is checked with the supplied keys."""
    from evidence.collectors.provenance import read_envelope  # noqa: PLC0415

    obj = doc.json()
    envelope = read_envelope(Document(path=doc.path, data=_json_bytes(obj.get("dsseEnvelope"))))
    if facts.method != KEYLESS_DSSE_METHOD or envelope is None:
        return dataclasses.replace(
            facts,
            reason="a message signature made with a key (no certificate): not verified in this release; "
            "its transparency log entry is not checked either",
        )
    pae = dsse_pae(envelope.payload_type, envelope.payload)
    for _, signature in envelope.signatures:
        key = next((k for k in keys if signature is not None and verifies(k.key, signature, pae)), None)
        if key is not None:
            return dataclasses.replace(
                facts,
                status=Verification.VERIFIED,
                reason=f"{key.algorithm} DSSE envelope signature verified with {key.path} "
                "(a key-signed bundle: its transparency log entry is not checked)",
                key_id=key.key_id,
                key_path=key.path,
                key_algorithm=key.algorithm,
            )
    if not keys:
        return dataclasses.replace(facts, reason="the bundle is signed with a key, and no public key was supplied")
    return dataclasses.replace(
        facts,
        status=Verification.FAILED,
        reason=f"DSSE envelope signature does not verify with any supplied public key: "
        f"{', '.join(k.path for k in keys)}",
    )


def _json_bytes(value: object) -> bytes:
    import orjson  # noqa: PLC0415

    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return b""


# --- cosign signature manifests ---------------------------------------------------------------------------------


def _manifest(
    doc: Document,
    facts: SignatureFacts,
    context: VerificationContext,
    keys: list[LoadedKey],
    payloads: dict[str, tuple[Evidence, Document]],
) -> tuple[SignatureFacts, tuple[str, ...]]:
    """The first signed layer whose payload is among the inputs: keylessly with its certificate and Rekor bundle
    annotations, else with the supplied keys."""
    layers = manifest_signatures(doc)
    if all(signature is None for _, signature, _ in layers):
        return dataclasses.replace(
            facts,
            reason="the manifest's signature annotations are empty: an attestation manifest, whose signatures are "
            "in its DSSE envelope layers (verified where those layers are supplied)",
        ), ()
    annotations = _layer_annotations(doc)
    no_bundle = any(is_keyless and BUNDLE_ANNOTATION not in annotations[digest] for digest, _, is_keyless in layers)
    note = (
        "; the layer carries a Fulcio certificate but no Rekor bundle annotation, so it is not verified keylessly "
        "(supply the sigstore bundle instead)"
        if no_bundle
        else ""
    )
    failed: list[str] = []
    for digest, signature, _ in layers:
        payload, payload_doc = payloads.get(digest.removeprefix("sha256:"), (None, None))
        if signature is None or payload is None or payload_doc is None or payload.signature is None:
            continue
        signed = payload.signature.signed_digest
        if {CERTIFICATE_ANNOTATION, BUNDLE_ANNOTATION} <= annotations[digest].keys():
            outcome = _keyless_layer(
                dataclasses.replace(
                    facts,
                    signed_digest=signed,
                    docker_reference=payload.signature.docker_reference,
                    payload_path=payload.path,
                ),
                Artifact(path=payload.path, data=payload_doc.data),
                signature,
                annotations[digest],
                context,
            )
            return outcome, ((signed,) if signed and outcome.status is not Verification.FAILED else ())
        key = next((k for k in keys if verifies(k.key, signature, payload_doc.data)), None)
        if key is None:
            failed.append(payload.path)
            continue
        return dataclasses.replace(
            facts,
            status=Verification.VERIFIED,
            reason=f"{key.algorithm} signature in the manifest's layer {digest} verified with {key.path} over "
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
            facts, reason=f"no public key was supplied to verify the manifest's signature{note}"
        ), ()
    signed_layers = ", ".join(d for d, s, _ in layers if s is not None)
    return dataclasses.replace(facts, reason=f"the signed payload (layer {signed_layers}) was not supplied{note}"), ()


def _layer_annotations(doc: Document) -> dict[str, dict[str, object]]:
    """The annotations of each layer, by digest (the layers `manifest_signatures` lists have both)."""
    found: dict[str, dict[str, object]] = {}
    obj = doc.json()
    for layer in obj.get("layers", []) if isinstance(obj, dict) else []:
        if isinstance(layer, dict) and isinstance(layer.get("digest"), str):
            annotations = layer.get("annotations")
            found.setdefault(layer["digest"], annotations if isinstance(annotations, dict) else {})
    return found


def _keyless_layer(
    facts: SignatureFacts,
    payload: Artifact,
    signature: bytes,
    annotations: dict[str, object],
    context: VerificationContext,
) -> SignatureFacts:
    """A layer signed keylessly: its signature over the payload with its certificate and Rekor bundle annotations,
    then the certificate's identity against the policy; a broken annotation fails."""
    import orjson  # noqa: PLC0415
    from cryptography import x509  # noqa: PLC0415

    # the layer was matched to the payload by this digest
    where = f"the manifest's layer sha256:{hashlib.sha256(payload.data).hexdigest()}"
    pem, bundle_text = annotations[CERTIFICATE_ANNOTATION], annotations[BUNDLE_ANNOTATION]
    try:
        cert = x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else b"")
    except ValueError:
        return dataclasses.replace(
            facts, status=Verification.FAILED, reason=f"{where}: {CERTIFICATE_ANNOTATION} is not a PEM certificate"
        )
    try:
        parsed = orjson.loads(bundle_text) if isinstance(bundle_text, str) else None
        bundle = rekor_bundle_from(parsed, facts.signature_path or "")
    except (orjson.JSONDecodeError, CollectorError) as e:
        detail = e.problem if isinstance(e, CollectorError) else "not JSON"
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
