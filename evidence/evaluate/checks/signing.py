"""Signatures, build provenance and signed attestations."""

from __future__ import annotations

from evidence.evaluate.checks.base import Context, check, missing, refs
from evidence.model import Evidence, EvidenceKind, Outcome, Status, Verification

NO_TRUST_ANCHOR = "No trust anchor was given (--key, or an identity policy with --policy)"


def missing_anchor(ctx: Context, items: list[Evidence]) -> str:
    """The missing trust anchor, as the first words of a reason, when the user named none and a signature among
    `items` is unverifiable: then no signature could count as verified, whatever the evidence holds."""
    anchors = ctx.trust_anchors
    if anchors is None or anchors.given:
        return ""
    if not any(e.signature and e.signature.status is Verification.UNVERIFIABLE for e in items):
        return ""
    return f"{NO_TRUST_ANCHOR}, so no signature can count as verified. "


def image_signatures(ctx: Context) -> list[Evidence]:
    return [e for e in ctx.usable(EvidenceKind.SIGNATURE, bound=True) if e.signature]


def verified_image_signatures(ctx: Context) -> list[Evidence]:
    return [
        e
        for e in image_signatures(ctx)
        if e.signature and e.signature.status is Verification.VERIFIED and e.signature.signed_digest == ctx.image.digest
    ]


@check("signature.verified")
def signature_verified(ctx: Context) -> Outcome:
    signatures = image_signatures(ctx)
    verified = verified_image_signatures(ctx)
    if verified:
        sig = verified[0].signature
        assert sig is not None  # noqa: S101
        return Outcome(
            status=Status.SATISFIED, evidence=refs(verified), reason=f"Image signature verified: {sig.reason}"
        )
    failed = [e for e in signatures if e.signature and e.signature.status is Verification.FAILED]
    if failed:
        reasons = "; ".join(f"{e.path}: {e.signature.reason}" for e in failed if e.signature)
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=refs(failed),
            reason=f"The image signature does not verify: {reasons}",
        )
    if signatures:
        reasons = "; ".join(f"{e.path}: {e.signature.reason}" for e in signatures if e.signature)
        return Outcome(
            status=Status.EVIDENCE_MISSING,
            evidence=refs(signatures),
            reason=f"{missing_anchor(ctx, signatures)}A signature is present but could not be verified: {reasons}",
        )
    return missing("image signature", ctx, EvidenceKind.SIGNATURE)


@check("provenance.verified")
def provenance_verified(ctx: Context) -> Outcome:
    found = [e for e in ctx.usable(EvidenceKind.PROVENANCE, bound=True) if e.provenance]
    verified = [e for e in found if e.signature and e.signature.status is Verification.VERIFIED]
    if verified:
        prov = verified[0].provenance
        assert prov is not None  # noqa: S101
        source = f"{prov.source_repository or 'unknown source'}@{prov.source_revision or 'unknown revision'}"
        return Outcome(
            status=Status.SATISFIED,
            evidence=refs(verified),
            reason=f"Signed build provenance verified: built by {prov.builder_id or 'unknown builder'} from {source}.",
        )
    if found:
        why = []
        for e in found:
            sig = e.signature
            why.append(f"{e.path}: {sig.reason if sig else 'an unsigned in-toto statement'}")
        failed = any(e.signature and e.signature.status is Verification.FAILED for e in found)
        return Outcome(
            status=Status.NOT_SATISFIED if failed else Status.EVIDENCE_MISSING,
            evidence=refs(found),
            reason=f"{missing_anchor(ctx, found)}Build provenance is present but not verified: {'; '.join(why)}",
        )
    return missing("build provenance attestation", ctx, EvidenceKind.PROVENANCE)


# Attestations a signature can cover, besides the image itself.
ATTESTATION_KINDS = (EvidenceKind.SBOM, EvidenceKind.PROVENANCE, EvidenceKind.VEX, EvidenceKind.VULNERABILITY_SCAN)


def signed_attestations(ctx: Context) -> list[Evidence]:
    """Evidence about the image that arrived with its own signature (a DSSE envelope or a bundle)."""
    return [e for kind in ATTESTATION_KINDS for e in ctx.usable(kind, bound=True) if e.signature is not None]


@check("attestations.verified")
def attestations_verified(ctx: Context) -> Outcome:
    """Every signed artifact about the image verifies: the image signature and each signed attestation."""
    signed = image_signatures(ctx) + signed_attestations(ctx)
    if not signed:
        return missing("signature or signed attestation", ctx, EvidenceKind.SIGNATURE)
    failed = [e for e in signed if e.signature and e.signature.status is Verification.FAILED]
    if failed:
        why = "; ".join(f"{e.path}: {e.signature.reason}" for e in failed if e.signature)
        return Outcome(status=Status.NOT_SATISFIED, evidence=refs(failed), reason=f"Signatures that fail: {why}")
    if not verified_image_signatures(ctx):
        return Outcome(
            status=Status.EVIDENCE_MISSING,
            evidence=refs(signed),
            reason=f"{missing_anchor(ctx, signed)}No verified signature over the image digest was supplied; signed "
            "attestations alone do not validate the image.",
        )
    unverified = [e for e in signed if e.signature and e.signature.status is not Verification.VERIFIED]
    if unverified:
        why = "; ".join(f"{e.path}: {e.signature.reason}" for e in unverified if e.signature)
        return Outcome(
            status=Status.EVIDENCE_MISSING,
            evidence=refs(unverified),
            reason=f"{missing_anchor(ctx, unverified)}Signed artifacts that could not be verified: {why}",
        )
    unsigned = [e.path for kind in ATTESTATION_KINDS for e in ctx.usable(kind, bound=True) if e.signature is None]
    note = f" Unsigned evidence (nothing to validate): {', '.join(unsigned)}." if unsigned else ""
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs(signed),
        reason=f"Every signed artifact verifies: {', '.join(e.path for e in signed)}.{note}",
    )


@check("policy.required_attestations")
def policy_required_attestations(ctx: Context) -> Outcome:
    """Every attestation type the identity policy requires is present, bound to the image and verified."""
    from evidence.verify.policy import ImageRules, missing_attestations  # noqa: PLC0415 - only with a policy

    if not ctx.required_attestations:
        why = "no identity policy was given" if ctx.required_attestations is None else "the policy requires none"
        return Outcome(status=Status.NOT_APPLICABLE, reason=f"No attestation types are required: {why}.")
    gaps = missing_attestations(ctx.evidence, ImageRules(attestations=ctx.required_attestations))
    if gaps:
        return Outcome(status=Status.NOT_SATISFIED, reason="Required by the identity policy: " + "; ".join(gaps) + ".")
    supplied = [
        e
        for e in ctx.usable(EvidenceKind.PROVENANCE, bound=True)
        + ctx.usable(EvidenceKind.SBOM, bound=True)
        + ctx.usable(EvidenceKind.VULNERABILITY_SCAN, bound=True)
        + ctx.usable(EvidenceKind.VEX, bound=True)
        if e.predicate_type and e.signature and e.signature.status is Verification.VERIFIED
    ]
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs(supplied),
        reason=f"Every attestation type the identity policy requires is verified: "
        f"{', '.join(ctx.required_attestations)}.",
    )
