"""What every check module builds on: the `Context` a check reads, the `CHECKS` registry and its `check`
decorator, and helpers shared by the check modules.

The registry fills as the check modules are imported; `evidence.evaluate.checks` imports them all, and Python
runs it before any of its modules, so `CHECKS` is complete wherever it is read.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from evidence.catalog.schema import FipsModuleSpec, Parameters
from evidence.evaluate.vulnerabilities import ref
from evidence.model import (
    Binding,
    Component,
    Evidence,
    EvidenceKind,
    EvidenceRef,
    ImageRef,
    Outcome,
    Status,
    TrustAnchors,
    Verification,
    VulnerabilityRecord,
)

MAX_LISTED = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    image: ImageRef
    now: datetime
    params: Parameters
    evidence: tuple[Evidence, ...]
    vulnerabilities: tuple[VulnerabilityRecord, ...]
    fips_modules: tuple[FipsModuleSpec, ...] = ()  # the reference table of controls/fips-modules.yaml
    required_attestations: tuple[str, ...] | None = None  # from the identity policy; None: no policy given
    assessed_checks: frozenset[str] = frozenset()  # every check a control of this assessment runs
    trust_anchors: TrustAnchors | None = None  # what the user trusts signers by; None: not told
    # Each check's outcome on this context, once: controls, the summary and the rubric ask the same checks.
    outcomes: dict[str, Outcome] = field(default_factory=dict, init=False, compare=False, hash=False, repr=False)

    def usable(self, kind: EvidenceKind, *, bound: bool = False, digest: bool = False) -> list[Evidence]:
        """Evidence of a kind about this image; with `bound`, only files that name its digest or that the user
        states describe it (`--bind`, asserted); with `digest`, only files that name its digest."""
        if digest:
            allowed = {Binding.MATCH}
        elif bound:
            allowed = {Binding.MATCH, Binding.ASSERTED}
        else:
            allowed = {Binding.MATCH, Binding.UNBOUND, Binding.ASSERTED}
        return [e for e in self.evidence if e.serves_as(kind) and e.binding in allowed]

    def mismatched(self, kind: EvidenceKind) -> list[Evidence]:
        return [e for e in self.evidence if e.serves_as(kind) and e.binding is Binding.MISMATCH]


Check = Callable[[Context], Outcome]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    """Register a check under `name`; a check is a function of its context alone, so its outcome is kept there."""

    def register(fn: Check) -> Check:
        @functools.wraps(fn)
        def once(ctx: Context) -> Outcome:
            if name not in ctx.outcomes:
                ctx.outcomes[name] = fn(ctx)
            return ctx.outcomes[name]

        CHECKS[name] = once
        return once

    return register


# Helpers shared by the check modules.


def listing(values: list[str]) -> str:
    shown = ", ".join(values[:MAX_LISTED])
    return shown + (f" and {len(values) - MAX_LISTED} more" if len(values) > MAX_LISTED else "")


def missing(what: str, ctx: Context, kind: EvidenceKind, *also: EvidenceKind) -> Outcome:
    others = {e.id for k in (kind, *also) for e in ctx.mismatched(k)}
    extra = f" ({len(others)} file(s) of that kind describe another image digest and were not used)" if others else ""
    return Outcome(status=Status.EVIDENCE_MISSING, reason=f"No {what} for {ctx.image.digest} was supplied{extra}.")


def refs(items: list[Evidence]) -> tuple[EvidenceRef, ...]:
    return tuple(ref(e) for e in items)


def name_version(name: str, version: str | None) -> str:
    return f"{name} {version}" if version else name


def configs(ctx: Context) -> list[Evidence]:
    """Image configs that name the assessed digest."""
    return [e for e in ctx.usable(EvidenceKind.IMAGE_CONFIG, bound=True) if e.image_config]


def config_ref(item: Evidence, field: str) -> EvidenceRef:
    """A reference to one field of an image config, at its real place in the file."""
    base = item.image_config.config_location if item.image_config else ""
    return ref(item, f"{base}/{field}" if base else None)


def dockerfiles(ctx: Context) -> list[Evidence]:
    return [e for e in ctx.usable(EvidenceKind.DOCKERFILE) if e.dockerfile]


def authenticated_provenance(ctx: Context) -> list[Evidence]:
    """Build provenance of the image whose signature verifies against a trust anchor: what it says about the build
    (the base image, the build files) counts as shown; unauthenticated provenance is a claim and shows nothing."""
    return [
        e
        for e in ctx.usable(EvidenceKind.PROVENANCE, digest=True)
        if e.provenance and e.signature and e.signature.status is Verification.VERIFIED
    ]


def build_files(ctx: Context) -> list[Evidence]:
    """Dockerfiles bound to the image (a verified provenance records their digest), or that the user states are its
    build file (`--bind`): what they say is about it."""
    return [e for e in dockerfiles(ctx) if e.binding in {Binding.MATCH, Binding.ASSERTED}]


def sboms(ctx: Context) -> list[Evidence]:
    """SBOMs that name the assessed digest and list components."""
    return [s for s in ctx.usable(EvidenceKind.SBOM, bound=True) if s.components]


@functools.lru_cache(maxsize=1 << 16)  # every check asks it of every component again
def purl_parts(purl: str | None) -> tuple[str | None, str | None]:
    """(type, name) of a package URL; the name keeps its namespace (`org.bouncycastle/bc-fips`)."""
    if not purl or not purl.startswith("pkg:"):
        return None, None
    body = purl[4:].split("#", 1)[0].split("?", 1)[0].rsplit("@", 1)[0]
    kind, _, name = body.partition("/")
    return kind.lower() or None, name or None


OS_PACKAGE_TYPES = frozenset({"deb", "apk", "rpm", "alpm"})


def is_os_package(component: Component) -> bool:
    """An operating-system package, or a component without a purl (whose ecosystem is unknown)."""
    kind, _ = purl_parts(component.purl)
    return kind is None or kind in OS_PACKAGE_TYPES
