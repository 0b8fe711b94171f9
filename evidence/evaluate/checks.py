"""Named checks: pure functions from the collected evidence to an `Outcome`.

A check never reads files. It sees only evidence that is about the assessed image (or names no
image at all, such as a Dockerfile); evidence about another digest never decides a verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from evidence.catalog.schema import Parameters
from evidence.evaluate.vulnerabilities import ref
from evidence.model import (
    Binding,
    Evidence,
    EvidenceKind,
    EvidenceRef,
    ImageRef,
    Outcome,
    Severity,
    Status,
    Verification,
    VulnerabilityRecord,
)

REMOTE_ADMIN_PACKAGES = frozenset(
    {"openssh-server", "openssh", "dropbear", "telnetd", "inetutils-telnetd", "tightvncserver"}
)
ROOT_USERS = frozenset({"", "root", "0"})
SENSITIVE_VOLUMES = frozenset(
    {
        "/",
        "/etc",
        "/proc",
        "/sys",
        "/dev",
        "/boot",
        "/root",
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/var/lib/docker",
    }
)
REMOTE_ADMIN_PORTS = frozenset({22, 23, 3389, 5900})
MAX_LISTED = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    image: ImageRef
    now: datetime
    params: Parameters
    evidence: tuple[Evidence, ...]
    vulnerabilities: tuple[VulnerabilityRecord, ...]

    def usable(self, kind: EvidenceKind, *, bound: bool = False) -> list[Evidence]:
        """Evidence of a kind about this image; with `bound`, only files that name its digest."""
        allowed = {Binding.MATCH} if bound else {Binding.MATCH, Binding.UNBOUND}
        return [e for e in self.evidence if e.kind is kind and e.binding in allowed]

    def mismatched(self, kind: EvidenceKind) -> list[Evidence]:
        return [e for e in self.evidence if e.kind is kind and e.binding is Binding.MISMATCH]


Check = Callable[[Context], Outcome]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS[name] = fn
        return fn

    return register


def _listing(values: list[str]) -> str:
    shown = ", ".join(values[:MAX_LISTED])
    return shown + (f" and {len(values) - MAX_LISTED} more" if len(values) > MAX_LISTED else "")


def _missing(what: str, ctx: Context, kind: EvidenceKind) -> Outcome:
    others = ctx.mismatched(kind)
    extra = f" ({len(others)} file(s) of that kind describe another image digest and were not used)" if others else ""
    return Outcome(status=Status.EVIDENCE_MISSING, reason=f"No {what} for {ctx.image.digest} was supplied{extra}.")


def _refs(items: list[Evidence]) -> tuple[EvidenceRef, ...]:
    return tuple(ref(e) for e in items)


# Vulnerability scans


@check("vulnscan.present")
def scan_present(ctx: Context) -> Outcome:
    scans = ctx.usable(EvidenceKind.VULNERABILITY_SCAN, bound=True)
    if not scans:
        return _missing("vulnerability scan naming the image digest", ctx, EvidenceKind.VULNERABILITY_SCAN)
    tools = sorted({f"{s.tool or s.format} {s.tool_version or ''}".strip() for s in scans})
    return Outcome(status=Status.SATISFIED, reason=f"Scanned by {', '.join(tools)}.", evidence=_refs(scans))


@check("vulnscan.fresh")
def scan_fresh(ctx: Context) -> Outcome:
    scans = ctx.usable(EvidenceKind.VULNERABILITY_SCAN, bound=True)
    dated = [s for s in scans if s.collected_at is not None]
    if not dated:
        if scans:
            return Outcome(status=Status.EVIDENCE_MISSING, reason="No scan records when it ran.", evidence=_refs(scans))
        return _missing("vulnerability scan naming the image digest", ctx, EvidenceKind.VULNERABILITY_SCAN)
    newest = max(dated, key=lambda s: s.collected_at)  # type: ignore[arg-type,return-value]
    assert newest.collected_at is not None  # noqa: S101 - narrowed by the filter above
    age = (ctx.now - newest.collected_at).total_seconds() / 86400
    limit = ctx.params.max_scan_age_days
    when = newest.collected_at.strftime("%Y-%m-%d")
    if age < 0:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=(ref(newest),),
            reason=f"The newest scan ({when}) is dated after the assessment time.",
        )
    status = Status.SATISFIED if age <= limit else Status.NOT_SATISFIED
    return Outcome(
        status=status,
        evidence=(ref(newest),),
        reason=f"Newest scan ran {when}, {age:.0f} day(s) before the assessment (limit {limit}).",
    )


@check("vulnscan.no_fixable_at_gate")
def no_fixable_at_gate(ctx: Context) -> Outcome:
    scans = ctx.usable(EvidenceKind.VULNERABILITY_SCAN, bound=True)
    if not scans:
        return _missing("vulnerability scan naming the image digest", ctx, EvidenceKind.VULNERABILITY_SCAN)
    gate = Severity(ctx.params.gate_severity)
    over = [v for v in ctx.vulnerabilities if v.state == "open" and v.severity.rank >= gate.rank and v.fixed_versions]
    suppressed = sum(1 for v in ctx.vulnerabilities if v.state == "suppressed")
    note = f" {suppressed} finding(s) suppressed by VEX statements are not counted." if suppressed else ""
    if over:
        names = [f"{v.id} ({v.severity}, {v.package} {v.installed_version or ''})".replace(" )", ")") for v in over]
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(r for v in over for r in v.evidence),
            reason=f"{len(over)} open {gate}-or-worse vulnerabilit{'y' if len(over) == 1 else 'ies'} "
            f"with a fix available: {_listing(names)}.{note}",
        )
    open_count = sum(1 for v in ctx.vulnerabilities if v.state == "open")
    return Outcome(
        status=Status.SATISFIED,
        evidence=_refs(scans),
        reason=f"No open {gate}-or-worse vulnerability has a fix available "
        f"({open_count} open finding(s) in all).{note}",
    )


# Image configuration and Dockerfile


def _config(ctx: Context) -> list[Evidence]:
    return [e for e in ctx.usable(EvidenceKind.IMAGE_CONFIG, bound=True) if e.image_config]


def _at(item: Evidence, field: str) -> EvidenceRef:
    """A reference to one field of an image config, at its real place in the file."""
    base = item.image_config.config_location if item.image_config else ""
    return ref(item, f"{base}/{field}" if base else None)


def _dockerfiles(ctx: Context) -> list[Evidence]:
    return [e for e in ctx.usable(EvidenceKind.DOCKERFILE) if e.dockerfile]


@check("config.non_root_user")
def non_root_user(ctx: Context) -> Outcome:
    for item in _config(ctx):
        assert item.image_config is not None  # noqa: S101
        user = (item.image_config.user or "").strip()
        name = user.split(":", 1)[0]
        if name in ROOT_USERS:
            shown = f"'{user}'" if user else "not set (defaults to root)"
            return Outcome(
                status=Status.NOT_SATISFIED,
                reason=f"The image config user is {shown}.",
                evidence=(_at(item, "User"),),
            )
        return Outcome(
            status=Status.SATISFIED,
            reason=f"The image config runs as user '{user}'.",
            evidence=(_at(item, "User"),),
        )
    for item in _dockerfiles(ctx):
        assert item.dockerfile is not None  # noqa: S101
        final = item.dockerfile.final_user
        if final is None or final.value.split(":", 1)[0] in ROOT_USERS:
            return Outcome(
                status=Status.NOT_SATISFIED,
                evidence=(ref(item, final.location if final else None),),
                reason="The Dockerfile's final stage sets no non-root USER (no image config supplied).",
            )
        return Outcome(
            status=Status.SATISFIED,
            evidence=(ref(item, final.location),),
            reason=f"The Dockerfile's final stage runs as USER '{final.value}' "
            "(from the Dockerfile; no image config supplied).",
        )
    return _missing("image config or Dockerfile", ctx, EvidenceKind.IMAGE_CONFIG)


@check("config.healthcheck")
def healthcheck(ctx: Context) -> Outcome:
    for item in _config(ctx):
        assert item.image_config is not None  # noqa: S101
        status = Status.SATISFIED if item.image_config.healthcheck else Status.NOT_SATISFIED
        word = "defines" if item.image_config.healthcheck else "defines no"
        return Outcome(
            status=status, reason=f"The image config {word} HEALTHCHECK.", evidence=(_at(item, "Healthcheck"),)
        )
    for item in _dockerfiles(ctx):
        assert item.dockerfile is not None  # noqa: S101
        found = item.dockerfile.healthcheck
        if found is None:
            return Outcome(
                status=Status.NOT_SATISFIED,
                evidence=(ref(item),),
                reason="The Dockerfile's final stage has no HEALTHCHECK (no image config supplied).",
            )
        return Outcome(
            status=Status.SATISFIED,
            evidence=(ref(item, found.location),),
            reason="The Dockerfile's final stage defines HEALTHCHECK (no image config supplied).",
        )
    return _missing("image config or Dockerfile", ctx, EvidenceKind.IMAGE_CONFIG)


@check("dockerfile.no_remote_add")
def no_remote_add(ctx: Context) -> Outcome:
    files = _dockerfiles(ctx)
    if not files:
        return _missing("Dockerfile", ctx, EvidenceKind.DOCKERFILE)
    found = [(item, add) for item in files for add in (item.dockerfile.remote_adds if item.dockerfile else ())]
    if found:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(ref(i, a.location) for i, a in found),
            reason=f"ADD fetches remote content: {_listing([f'{a.value} ({a.location})' for _, a in found])}.",
        )
    return Outcome(status=Status.SATISFIED, reason="No ADD instruction fetches a remote URL.", evidence=_refs(files))


@check("config.no_secret_env")
def no_secret_env(ctx: Context) -> Outcome:
    configs, dockerfiles = _config(ctx), _dockerfiles(ctx)
    if not configs and not dockerfiles:
        return _missing("image config or Dockerfile", ctx, EvidenceKind.IMAGE_CONFIG)
    found = [(i, s) for i in configs for s in (i.image_config.secret_env if i.image_config else ())]
    found += [(i, s) for i in dockerfiles for s in (i.dockerfile.secret_variables if i.dockerfile else ())]
    if found:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(ref(i, s.location) for i, s in found),
            reason="Secret-like variables are set in the image: "
            f"{_listing([f'{s.value} ({i.path} {s.location})' for i, s in found])}.",
        )
    looked = " and ".join(
        w for w, items in (("image config Env", configs), ("Dockerfile ENV/ARG", dockerfiles)) if items
    )
    return Outcome(
        status=Status.SATISFIED,
        evidence=_refs(configs + dockerfiles),
        reason=f"No secret-like variable names with values in the {looked}. "
        "Secrets inside layer files need a secret scan, which is not part of this check.",
    )


@check("config.exposed_ports_unprivileged")
def exposed_ports(ctx: Context) -> Outcome:
    sources: list[tuple[Evidence, list[str]]] = [
        (i, list(i.image_config.exposed_ports)) for i in _config(ctx) if i.image_config
    ]
    if not sources:
        sources = [(i, [p.value for p in i.dockerfile.exposed_ports]) for i in _dockerfiles(ctx) if i.dockerfile]
    if not sources:
        return _missing("image config or Dockerfile", ctx, EvidenceKind.IMAGE_CONFIG)
    item, ports = sources[0]
    bad = [p for p in ports if (n := _port_number(p)) is not None and (n < 1024 or n in REMOTE_ADMIN_PORTS)]
    if bad:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=(ref(item),),
            reason=f"Privileged or remote-administration ports exposed: {_listing(bad)}.",
        )
    shown = _listing(ports) if ports else "none"
    return Outcome(
        status=Status.SATISFIED,
        evidence=(ref(item),),
        reason=f"Exposed ports: {shown}; none is privileged or a remote-administration port.",
    )


def _port_number(port: str) -> int | None:
    head = port.split("/", 1)[0].split("-", 1)[0].strip()
    return int(head) if head.isdigit() else None


@check("config.no_sensitive_volumes")
def no_sensitive_volumes(ctx: Context) -> Outcome:
    configs = _config(ctx)
    if not configs:
        return _missing("image config", ctx, EvidenceKind.IMAGE_CONFIG)
    item = configs[0]
    assert item.image_config is not None  # noqa: S101
    bad = [v for v in item.image_config.volumes if v.rstrip("/") in SENSITIVE_VOLUMES or v == "/"]
    if bad:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=(_at(item, "Volumes"),),
            reason=f"Volumes declared on sensitive paths: {_listing(bad)}.",
        )
    vols = _listing(list(item.image_config.volumes)) if item.image_config.volumes else "none"
    return Outcome(
        status=Status.SATISFIED,
        evidence=(_at(item, "Volumes"),),
        reason=f"Declared volumes: {vols}; none is a sensitive host path.",
    )


@check("config.image_age")
def image_age(ctx: Context) -> Outcome:
    dated = [i for i in _config(ctx) if i.image_config and i.image_config.created]
    if not dated:
        return _missing("image config with a creation time", ctx, EvidenceKind.IMAGE_CONFIG)
    item = dated[0]
    assert item.image_config is not None  # noqa: S101
    assert item.image_config.created is not None  # noqa: S101
    age = (ctx.now - item.image_config.created).total_seconds() / 86400
    limit = ctx.params.max_image_age_days
    status = Status.SATISFIED if 0 <= age <= limit else Status.NOT_SATISFIED
    return Outcome(
        status=status,
        evidence=(ref(item, item.image_config.created_location or None),),
        reason=f"The image was built {item.image_config.created:%Y-%m-%d}, {age:.0f} day(s) before the "
        f"assessment (limit {limit}).",
    )


# SBOM


@check("sbom.no_remote_admin_tools")
def no_remote_admin_tools(ctx: Context) -> Outcome:
    sboms = [s for s in ctx.usable(EvidenceKind.SBOM, bound=True) if s.components]
    if not sboms:
        return _missing("SBOM listing the components of the image", ctx, EvidenceKind.SBOM)
    found = [(s, c) for s in sboms for c in s.components if c.name.lower() in REMOTE_ADMIN_PACKAGES]
    if found:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(ref(s, c.location) for s, c in found),
            reason=f"Remote-administration software in the image: "
            f"{_listing(sorted({_name_version(c.name, c.version) for _, c in found}))}.",
        )
    count = sum(len(s.components) for s in sboms)
    return Outcome(
        status=Status.SATISFIED,
        evidence=_refs(sboms),
        reason=f"None of the {count} SBOM components is an SSH, telnet or VNC server.",
    )


def _name_version(name: str, version: str | None) -> str:
    return f"{name} {version}" if version else name


# Signatures and provenance


@check("signature.verified")
def signature_verified(ctx: Context) -> Outcome:
    signatures = [e for e in ctx.usable(EvidenceKind.SIGNATURE, bound=True) if e.signature]
    verified = [
        e
        for e in signatures
        if e.signature and e.signature.status is Verification.VERIFIED and e.signature.signed_digest == ctx.image.digest
    ]
    if verified:
        sig = verified[0].signature
        assert sig is not None  # noqa: S101
        return Outcome(
            status=Status.SATISFIED, evidence=_refs(verified), reason=f"Image signature verified: {sig.reason}"
        )
    failed = [e for e in signatures if e.signature and e.signature.status is Verification.FAILED]
    if failed:
        reasons = "; ".join(f"{e.path}: {e.signature.reason}" for e in failed if e.signature)
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=_refs(failed),
            reason=f"The image signature does not verify: {reasons}",
        )
    if signatures:
        reasons = "; ".join(f"{e.path}: {e.signature.reason}" for e in signatures if e.signature)
        return Outcome(
            status=Status.EVIDENCE_MISSING,
            evidence=_refs(signatures),
            reason=f"A signature is present but could not be verified: {reasons}",
        )
    return _missing("image signature", ctx, EvidenceKind.SIGNATURE)


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
            evidence=_refs(verified),
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
            evidence=_refs(found),
            reason=f"Build provenance is present but not verified: {'; '.join(why)}",
        )
    return _missing("build provenance attestation", ctx, EvidenceKind.PROVENANCE)


@check("base_image.pinned")
def base_image_pinned(ctx: Context) -> Outcome:
    files = _dockerfiles(ctx)
    for item in files:
        assert item.dockerfile is not None  # noqa: S101
        unpinned = item.dockerfile.unpinned_base_images
        if unpinned:
            return Outcome(
                status=Status.NOT_SATISFIED,
                evidence=tuple(ref(item, u.location) for u in unpinned),
                reason=f"Base images not pinned by digest: "
                f"{_listing([f'{u.value} ({u.location})' for u in unpinned])}.",
            )
    if files:
        bases = [b.value for i in files if i.dockerfile for b in i.dockerfile.base_images]
        return Outcome(
            status=Status.SATISFIED,
            evidence=_refs(files),
            reason=f"Every external FROM is pinned by digest: {_listing(bases) or 'FROM scratch only'}.",
        )
    provenance = [
        e for e in ctx.usable(EvidenceKind.PROVENANCE, bound=True) if e.provenance and e.provenance.base_images
    ]
    if provenance:
        prov = provenance[0].provenance
        assert prov is not None  # noqa: S101
        return Outcome(
            status=Status.SATISFIED,
            evidence=(ref(provenance[0], prov.base_images[0].location),),
            reason=f"The build provenance records the base image by digest: {prov.base_images[0].value}.",
        )
    for item in _config(ctx):
        digest = item.image_config.labels.get("org.opencontainers.image.base.digest") if item.image_config else None
        if digest:
            return Outcome(
                status=Status.SATISFIED,
                evidence=(_at(item, "Labels"),),
                reason=f"The image label org.opencontainers.image.base.digest records {digest}.",
            )
    return _missing("Dockerfile, provenance or base-image label", ctx, EvidenceKind.DOCKERFILE)
