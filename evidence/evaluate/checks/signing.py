"""Signatures, build provenance and signed attestations."""

from __future__ import annotations

import fnmatch

from evidence.evaluate.checks.base import Context, check, listing, missing, refs
from evidence.evaluate.vulnerabilities import ref
from evidence.model import Evidence, EvidenceKind, Layer, Outcome, Status, Verification

NO_TRUST_ANCHOR = "No trust anchor was given (--key, or an identity policy with --policy)"
NO_TRUST_ANCHOR_REASON = f"{NO_TRUST_ANCHOR}, so no signature can count as verified. "


def missing_anchor(ctx: Context, items: list[Evidence]) -> str:
    """The missing trust anchor, as the first words of a reason, when the user named none and a signature among
    `items` is unverifiable: then no signature could count as verified, whatever the evidence holds."""
    anchors = ctx.trust_anchors
    if anchors is None or anchors.given:
        return ""
    if not any(e.signature and e.signature.status is Verification.UNVERIFIABLE for e in items):
        return ""
    return NO_TRUST_ANCHOR_REASON


def image_signatures(ctx: Context) -> list[Evidence]:
    return [e for e in ctx.usable(EvidenceKind.SIGNATURE, digest=True) if e.signature]


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
    found = [e for e in ctx.usable(EvidenceKind.PROVENANCE, digest=True) if e.provenance]
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


# Attestations a signature can cover, besides the image itself; ATTESTATION is one whose predicate is not read.
ATTESTATION_KINDS = (
    EvidenceKind.SBOM,
    EvidenceKind.PROVENANCE,
    EvidenceKind.VEX,
    EvidenceKind.VULNERABILITY_SCAN,
    EvidenceKind.ATTESTATION,
)


def signed_attestations(ctx: Context) -> list[Evidence]:
    """Evidence about the image that arrived with its own signature (a DSSE envelope or a bundle)."""
    return [e for kind in ATTESTATION_KINDS for e in ctx.usable(kind, digest=True) if e.signature is not None]


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
    unsigned = [e.path for kind in ATTESTATION_KINDS for e in ctx.usable(kind, digest=True) if e.signature is None]
    note = f" Unsigned evidence (nothing to validate): {', '.join(unsigned)}." if unsigned else ""
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs(signed),
        reason=f"Every signed artifact verifies: {', '.join(e.path for e in signed)}.{note}",
    )


@check("policy.required_attestations")
def policy_required_attestations(ctx: Context) -> Outcome:
    """Every attestation type the identity policy requires is present, bound to the image and verified."""
    from evidence.verify.policy import (  # noqa: PLC0415 - only with a policy
        ImageRules,
        attestation_matches,
        missing_attestations,
        predicate_type_of,
    )

    if not ctx.required_attestations:
        why = "no identity policy was given" if ctx.required_attestations is None else "the policy requires none"
        return Outcome(status=Status.NOT_APPLICABLE, reason=f"No attestation types are required: {why}.")
    gaps = missing_attestations(ctx.evidence, ImageRules(attestations=ctx.required_attestations))
    if gaps:
        return Outcome(status=Status.NOT_SATISFIED, reason="Required by the identity policy: " + "; ".join(gaps) + ".")
    supplied = [
        e
        for kind in ATTESTATION_KINDS
        for e in ctx.usable(kind, digest=True)
        if e.signature
        and e.signature.status is Verification.VERIFIED
        and any(attestation_matches(required, predicate_type_of(e)) for required in ctx.required_attestations)
    ]
    unread = [f"{e.path} ({e.predicate_not_read})" for e in supplied if e.predicate_not_read]
    note = f" Predicates not read, so they decide no other control: {'; '.join(unread)}." if unread else ""
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs(supplied),
        reason=f"Every attestation type the identity policy requires is verified: "
        f"{', '.join(ctx.required_attestations)}.{note}",
    )


@check("provenance.trusted_builder")
def provenance_trusted_builder(ctx: Context) -> Outcome:
    """The verified provenance names a builder the profile trusts (`rubric.trusted_builders`)."""
    found = [e for e in ctx.usable(EvidenceKind.PROVENANCE, digest=True) if e.provenance]
    verified = [e for e in found if e.signature and e.signature.status is Verification.VERIFIED]
    if not verified:
        return provenance_verified(ctx)  # the provenance's own outcome says why it cannot name a trusted builder
    builders = {e.provenance.builder_id or "an unnamed builder": e for e in verified if e.provenance}
    trusted = set(ctx.params.rubric.trusted_builders)
    if not trusted:
        return Outcome(
            status=Status.MANUAL,
            evidence=refs(verified),
            reason=f"The provenance names the builder {listing(sorted(builders))}, and the profile names no "
            "trusted builders (rubric.trusted_builders): an assessor must judge the builder.",
        )
    accepted = sorted(trusted & builders.keys())
    if not accepted:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=refs(verified),
            reason=f"The provenance's builder {listing(sorted(builders))} is not among the profile's trusted "
            f"builders ({listing(sorted(trusted))}).",
        )
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs([builders[b] for b in accepted]),
        reason=f"Verified provenance from a trusted builder: {listing(accepted)}.",
    )


def _covers(pattern: str, image: str) -> bool:
    return fnmatch.fnmatchcase(image, pattern) or fnmatch.fnmatchcase(image.partition("@")[0], pattern)


@check("admission.enforces_signatures")
def admission_enforces_signatures(ctx: Context) -> Outcome:
    """The platform refuses this image unless its signature verifies: an admission policy among the evidence that
    enforces signature verification for the image's name. Whether the policy is deployed is a cluster fact."""
    policies = [
        (item, policy)
        for item in ctx.usable(EvidenceKind.ADMISSION_POLICY)
        for policy in item.policies
        if "signature" in policy.verifies and any(_covers(p, ctx.image.reference) for p in policy.image_patterns)
    ]
    if not policies:
        others = len(ctx.usable(EvidenceKind.ADMISSION_POLICY))
        seen = (
            f" ({others} admission policy file(s) supplied, none verifying signatures of this image)" if others else ""
        )
        return Outcome(
            status=Status.NOT_ASSESSED,
            responsible=Layer.ORCHESTRATOR,
            reason=f"That the platform admits this image only with a verified signature is an admission-control "
            f"setting of the cluster; no admission policy covering {ctx.image.name} was supplied{seen}.",
        )
    enforcing = [(i, p) for i, p in policies if p.action == "enforce"]
    named = listing([f"{p.engine} {p.kind} {p.name} ({p.action})" for _, p in policies])
    if not enforcing:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(ref(i, p.location or None) for i, p in policies),
            reason=f"Admission policies covering this image verify signatures without enforcing them: {named}.",
        )
    return Outcome(
        status=Status.SATISFIED,
        evidence=tuple(ref(i, p.location or None) for i, p in enforcing),
        reason=f"An admission policy enforces signature verification for this image: {named}.",
        not_shown="That the policy is deployed and active in the production cluster: the file shows its content, "
        "not its deployment.",
    )
