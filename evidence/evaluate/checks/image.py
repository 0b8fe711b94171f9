"""Image configuration, Dockerfile and build history: user, health check, ports, volumes, age, base image,
ADD and RUN practices."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from evidence.evaluate.checks.base import (
    Context,
    authenticated_provenance,
    build_files,
    check,
    config_ref,
    configs,
    dockerfiles,
    listing,
    missing,
    refs,
)
from evidence.evaluate.vulnerabilities import ref
from evidence.model import Binding, Evidence, EvidenceKind, Layer, Outcome, Status, Verification

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
# Names of the tar archives ADD unpacks (Docker unpacks any local tar archive, plain or gzip, bzip2 or xz
# compressed, whatever its name; these are the names that say so).
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".tzst")
SSH_PORT = 22

# Build-step patterns: RUN lines of a Dockerfile, and the steps an image history records.
_PACKAGE_INDEX_UPDATE = re.compile(
    r"\b(?:apt-get|apt|apk|aptitude)\s+(?:-\S+\s+)*update\b|\b(?:yum|dnf|microdnf)\s+(?:-\S+\s+)*makecache\b"
    r"|\bzypper\s+(?:-\S+\s+)*(?:refresh|ref)\b"
)
_PACKAGE_INSTALL = re.compile(r"\b(?:install|add|upgrade|dist-upgrade)\b")
_VERIFICATION_BYPASS = re.compile(
    r"--allow-unauthenticated|--nogpgcheck|--no-gpg-checks|gpgcheck\s*=\s*0|--allow-untrusted|--trusted-host"
    r"|\[trusted=yes\]|--force-yes"
)
_PIPE_TO_SHELL = re.compile(r"\b(?:curl|wget)\b[^|;&\n]*\|\s*(?:sudo\s+)?(?:ba|da|z|k)?sh\b")


@check("config.non_root_user")
def non_root_user(ctx: Context) -> Outcome:
    for item in configs(ctx):
        assert item.image_config is not None  # noqa: S101
        user = (item.image_config.user or "").strip()
        name = user.split(":", 1)[0]
        if name in ROOT_USERS:
            shown = f"'{user}'" if user else "not set (defaults to root)"
            return Outcome(
                status=Status.NOT_SATISFIED,
                reason=f"The image config user is {shown}.",
                evidence=(config_ref(item, "User"),),
            )
        return Outcome(
            status=Status.SATISFIED,
            reason=f"The image config runs as user '{user}'.",
            evidence=(config_ref(item, "User"),),
        )
    for item in dockerfiles(ctx):
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
    return missing("image config or Dockerfile", ctx, EvidenceKind.IMAGE_CONFIG)


@check("config.healthcheck")
def healthcheck(ctx: Context) -> Outcome:
    for item in configs(ctx):
        assert item.image_config is not None  # noqa: S101
        status = Status.SATISFIED if item.image_config.healthcheck else Status.NOT_SATISFIED
        word = "defines" if item.image_config.healthcheck else "defines no"
        return Outcome(
            status=status, reason=f"The image config {word} HEALTHCHECK.", evidence=(config_ref(item, "Healthcheck"),)
        )
    for item in dockerfiles(ctx):
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
    return missing("image config or Dockerfile", ctx, EvidenceKind.IMAGE_CONFIG)


@check("dockerfile.no_remote_add")
def no_remote_add(ctx: Context) -> Outcome:
    files = dockerfiles(ctx)
    if not files:
        return missing("Dockerfile", ctx, EvidenceKind.DOCKERFILE)
    found = [(item, add) for item in files for add in (item.dockerfile.remote_adds if item.dockerfile else ())]
    if found:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(ref(i, a.location) for i, a in found),
            reason=f"ADD fetches remote content: {listing([f'{a.value} ({a.location})' for _, a in found])}.",
        )
    return Outcome(status=Status.SATISFIED, reason="No ADD instruction fetches a remote URL.", evidence=refs(files))


def _is_archive(source: str) -> bool:
    return source.lower().endswith(ARCHIVE_SUFFIXES)


@check("dockerfile.no_add")
def no_add(ctx: Context) -> Outcome:
    """CIS 4.9: COPY rather than ADD; ADD fetches URLs and unpacks local tar archives."""
    files = dockerfiles(ctx)
    if not files:
        return missing("Dockerfile", ctx, EvidenceKind.DOCKERFILE)
    found: list[tuple[Evidence, str, str]] = []
    for item in files:
        assert item.dockerfile is not None  # noqa: S101
        found += [(item, f"{a.value} (remote URL, {a.location})", a.location) for a in item.dockerfile.remote_adds]
        for a in item.dockerfile.local_adds:
            what = "a tar archive, which ADD unpacks" if _is_archive(a.value) else "a local file; COPY would do"
            found.append((item, f"{a.value} ({what}, {a.location})", a.location))
    if found:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(ref(i, where) for i, _, where in found),
            reason=f"ADD is used where COPY is expected: {listing([text for _, text, _ in found])}.",
        )
    return Outcome(status=Status.SATISFIED, evidence=refs(files), reason="No ADD instruction: files are copied.")


@check("dockerfile.no_unpacking_add")
def no_unpacking_add(ctx: Context) -> Outcome:
    """DISA 2.4: no ADD of an archive, whose content ADD unpacks into the image unseen."""
    files = dockerfiles(ctx)
    if not files:
        return missing("Dockerfile", ctx, EvidenceKind.DOCKERFILE)
    adds = [(i, a) for i in files for a in (i.dockerfile.local_adds if i.dockerfile else ())]
    archives = [(i, a) for i, a in adds if _is_archive(a.value)]
    if archives:
        shown = listing([f"{a.value} ({a.location})" for _, a in archives])
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(ref(i, a.location) for i, a in archives),
            reason=f"ADD unpacks archives into the image: {shown}.",
        )
    others = [f"{a.value} ({a.location})" for _, a in adds]
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs(files),
        reason="No ADD of a file named as a tar archive.",
        not_shown=(
            f"Whether the local files added with ADD ({listing(others)}) are tar archives, which ADD unpacks "
            "whatever their names: the Dockerfile does not show their content."
            if others
            else None
        ),
    )


@check("config.no_secret_env")
def no_secret_env(ctx: Context) -> Outcome:
    config_items, dockerfile_items = configs(ctx), dockerfiles(ctx)
    if not config_items and not dockerfile_items:
        return missing("image config or Dockerfile", ctx, EvidenceKind.IMAGE_CONFIG)
    found = [(i, s) for i in config_items for s in (i.image_config.secret_env if i.image_config else ())]
    found += [(i, s) for i in dockerfile_items for s in (i.dockerfile.secret_variables if i.dockerfile else ())]
    if found:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(ref(i, s.location) for i, s in found),
            reason="Secret-like variables are set in the image: "
            f"{listing([f'{s.value} ({i.path} {s.location})' for i, s in found])}.",
        )
    # The absence is shown by the image config and the Dockerfiles bound to the image. With neither, the Dockerfiles
    # supplied are cited, and evaluation finds that they name no image.
    sources = [("image config Env", config_items), ("Dockerfile ENV/ARG", build_files(ctx))]
    if not any(items for _, items in sources):
        sources = [("Dockerfile ENV/ARG", dockerfile_items)]
    looked = " and ".join(w for w, items in sources if items)
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs([i for _, items in sources for i in items]),
        reason=f"No secret-like variable names with values in the {looked}.",
        not_shown="Secrets under other variable names, in build arguments passed at build time, and in the files of "
        "the image's layers: only a secret scan of the image shows those.",
    )


@check("config.exposed_ports_unprivileged")
def exposed_ports(ctx: Context) -> Outcome:
    sources: list[tuple[Evidence, list[str]]] = [
        (i, list(i.image_config.exposed_ports)) for i in configs(ctx) if i.image_config
    ]
    if not sources:
        sources = [(i, [p.value for p in i.dockerfile.exposed_ports]) for i in dockerfiles(ctx) if i.dockerfile]
    if not sources:
        return missing("image config or Dockerfile", ctx, EvidenceKind.IMAGE_CONFIG)
    item, ports = sources[0]
    bad = [p for p in ports if (n := _port_number(p)) is not None and (n < 1024 or n in REMOTE_ADMIN_PORTS)]
    if bad:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=(ref(item),),
            reason=f"Privileged or remote-administration ports exposed: {listing(bad)}.",
        )
    shown = listing(ports) if ports else "none"
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
    config_items = configs(ctx)
    if not config_items:
        return missing("image config", ctx, EvidenceKind.IMAGE_CONFIG)
    item = config_items[0]
    assert item.image_config is not None  # noqa: S101
    bad = [v for v in item.image_config.volumes if v.rstrip("/") in SENSITIVE_VOLUMES or v == "/"]
    if bad:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=(config_ref(item, "Volumes"),),
            reason=f"Volumes declared on sensitive paths: {listing(bad)}.",
        )
    vols = listing(list(item.image_config.volumes)) if item.image_config.volumes else "none"
    return Outcome(
        status=Status.NOT_ASSESSED,
        responsible=Layer.ORCHESTRATOR,
        evidence=(config_ref(item, "Volumes"),),
        reason=f"The image declares no VOLUME on a sensitive host path (declared: {vols}); which host directories "
        "a container mounts is set by the workload at deployment, which image evidence does not show.",
    )


@check("config.image_age")
def image_age(ctx: Context) -> Outcome:
    dated = [i for i in configs(ctx) if i.image_config and i.image_config.created]
    if not dated:
        return missing("image config with a creation time", ctx, EvidenceKind.IMAGE_CONFIG)
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


@check("base_image.pinned")
def base_image_pinned(ctx: Context) -> Outcome:
    """Base images pinned by digest. Any Dockerfile with an unpinned FROM fails it; a pin is shown by evidence about
    this image first (a bound Dockerfile, the provenance, a base-image label), a Dockerfile that names no image last."""
    files = dockerfiles(ctx)
    for item in files:
        assert item.dockerfile is not None  # noqa: S101
        unpinned = item.dockerfile.unpinned_base_images
        if unpinned:
            return Outcome(
                status=Status.NOT_SATISFIED,
                evidence=tuple(ref(item, u.location) for u in unpinned),
                reason=f"Base images not pinned by digest: {listing([f'{u.value} ({u.location})' for u in unpinned])}.",
            )
    bound_files = build_files(ctx)
    if bound_files:
        return _pinned_in(bound_files)
    provenance = [e for e in authenticated_provenance(ctx) if e.provenance and e.provenance.base_images]
    if provenance:
        prov = provenance[0].provenance
        assert prov is not None  # noqa: S101
        return Outcome(
            status=Status.SATISFIED,
            evidence=(ref(provenance[0], prov.base_images[0].location),),
            reason=f"The build provenance records the base image by digest: {prov.base_images[0].value}.",
        )
    for item in configs(ctx):
        digest = item.image_config.labels.get("org.opencontainers.image.base.digest") if item.image_config else None
        if digest:
            return Outcome(
                status=Status.SATISFIED,
                evidence=(config_ref(item, "Labels"),),
                reason=f"The image label org.opencontainers.image.base.digest records {digest}.",
            )
    if files:
        return _pinned_in(files)
    return missing("Dockerfile, provenance or base-image label", ctx, EvidenceKind.DOCKERFILE)


def _pinned_in(files: list[Evidence]) -> Outcome:
    bases = list(dict.fromkeys(b.value for i in files if i.dockerfile for b in i.dockerfile.base_images))
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs(files),
        reason=f"Every external FROM is pinned by digest: {listing(bases) or 'FROM scratch only'}.",
    )


@check("config.no_ssh_port")
def no_ssh_port(ctx: Context) -> Outcome:
    sources: list[tuple[Evidence, list[str]]] = [
        (i, list(i.image_config.exposed_ports)) for i in configs(ctx) if i.image_config
    ]
    if not sources:
        sources = [(i, [p.value for p in i.dockerfile.exposed_ports]) for i in dockerfiles(ctx) if i.dockerfile]
    if not sources:
        return missing("image config or Dockerfile", ctx, EvidenceKind.IMAGE_CONFIG)
    item, ports = sources[0]
    if any(_port_number(p) == SSH_PORT for p in ports):
        return Outcome(status=Status.NOT_SATISFIED, evidence=(ref(item),), reason="The image exposes port 22 (SSH).")
    return Outcome(status=Status.SATISFIED, evidence=(ref(item),), reason="The image does not expose port 22 (SSH).")


def base_image_references(ctx: Context) -> list[tuple[Evidence, str, str | None]]:
    """Every base image reference the evidence names: (evidence, reference, location)."""
    found: list[tuple[Evidence, str, str | None]] = []
    for item in dockerfiles(ctx):
        assert item.dockerfile is not None  # noqa: S101
        found += [(item, b.value, b.location) for b in item.dockerfile.base_images]
    for item in authenticated_provenance(ctx):
        if item.provenance:
            found += [(item, b.value, b.location) for b in item.provenance.base_images]
    for item in configs(ctx):
        name = item.image_config.labels.get("org.opencontainers.image.base.name") if item.image_config else None
        if name:
            found.append((item, name, config_ref(item, "Labels").location))
    return found


def _base_digests(ctx: Context) -> dict[str, tuple[Evidence, str, str | None]]:
    """The digests the evidence names for the base image, each with where it is named."""
    found: dict[str, tuple[Evidence, str, str | None]] = {}
    for item, reference, location in base_image_references(ctx):
        _, _, digest = reference.partition("@")
        if digest.startswith("sha256:"):
            found.setdefault(digest, (item, reference, location))
    for item in configs(ctx):
        label = item.image_config.labels.get("org.opencontainers.image.base.digest") if item.image_config else None
        if label and label.startswith("sha256:"):
            found.setdefault(label, (item, label, config_ref(item, "Labels").location))
    return found


@check("base_image.signed")
def base_image_signed(ctx: Context) -> Outcome:
    """DISA 2.10: the base image's own signature verifies against a trust anchor the user named."""
    bases = _base_digests(ctx)
    if not bases:
        return missing(
            "base image digest (a digest-pinned FROM, provenance or base-image label)", ctx, EvidenceKind.DOCKERFILE
        )
    signatures = [
        e
        for e in ctx.evidence
        if e.kind is EvidenceKind.SIGNATURE
        and e.binding is not Binding.MATCH  # a signature of the assessed image itself signs no base image
        and e.signature is not None
        and e.signature.signed_digest in bases
    ]
    verified = [e for e in signatures if e.signature and e.signature.status is Verification.VERIFIED]
    if verified:
        sig = verified[0].signature
        assert sig is not None  # noqa: S101
        return Outcome(
            status=Status.SATISFIED,
            evidence=(*refs(verified), *(ref(i, where) for i, _, where in bases.values())),
            reason=f"The base image {bases[sig.signed_digest or ''][1]} is signed: {sig.reason}",
        )
    named = listing([reference for _, reference, _ in bases.values()])
    where = tuple(ref(i, loc) for i, _, loc in bases.values())
    if signatures:
        why = "; ".join(f"{e.path}: {e.signature.reason}" for e in signatures if e.signature)
        failed = any(e.signature and e.signature.status is Verification.FAILED for e in signatures)
        return Outcome(
            status=Status.NOT_SATISFIED if failed else Status.EVIDENCE_MISSING,
            evidence=(*refs(signatures), *where),
            reason=f"The base image's signature is not verified: {why}",
        )
    return Outcome(
        status=Status.EVIDENCE_MISSING,
        evidence=where,
        reason=f"No signature of the base image {named} was supplied; a digest pin names the base image, it does "
        "not show that its publisher signed it.",
    )


def _registry(reference: str) -> str:
    """The registry host of an image reference; Docker Hub for a reference without one."""
    first = reference.split("/", 1)[0]
    if "/" in reference and ("." in first or ":" in first or first == "localhost"):
        return first.lower()
    return "docker.io"


@check("base_image.approved_registry")
def base_image_approved_registry(ctx: Context) -> Outcome:
    approved = tuple(r.lower().rstrip("/") for r in ctx.params.approved_base_registries)
    if not approved:
        return Outcome(
            status=Status.MANUAL,
            reason="The profile names no approved base-image registries (approved_base_registries), so an "
            "assessor must judge whether the base image comes from an approved source.",
        )
    found = base_image_references(ctx)
    if not found:
        return missing("Dockerfile, provenance or base-image label", ctx, EvidenceKind.DOCKERFILE)
    outside = [(i, name, at) for i, name, at in found if _registry(name) not in approved]
    if outside:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(ref(i, at) for i, _, at in outside),
            reason=f"Base images from registries not approved ({', '.join(approved)}): "
            f"{listing(sorted({name for _, name, _ in outside}))}.",
        )
    return Outcome(
        status=Status.SATISFIED,
        evidence=tuple(ref(i, at) for i, _, at in found),
        reason=f"Every base image comes from an approved registry ({', '.join(approved)}): "
        f"{listing(sorted({name for _, name, _ in found}))}.",
    )


@dataclass(frozen=True, slots=True)
class _BuildSteps:
    """The build steps one evidence file shows: an image history, or a Dockerfile's RUN lines."""

    evidence: Evidence
    steps: tuple[tuple[str, str | None], ...]  # (the command, where it is in the file)
    from_history: bool  # an image history (every step of the image) rather than a Dockerfile (this build's)

    @property
    def described(self) -> str:
        what = "step(s) in the image history" if self.from_history else "RUN line(s) of the Dockerfile"
        return f"{len(self.steps)} {what} {self.evidence.path}"


def _histories(ctx: Context) -> list[_BuildSteps]:
    """The build history of the image, as image configs record it and as Trivy copies it into its scan
    (`Metadata.ImageConfig.history`), from files bound to the image. The steps the classic builder marks
    `#(nop)`, which ran no command, are left out."""
    scans = [e for e in ctx.usable(EvidenceKind.VULNERABILITY_SCAN, bound=True) if e.image_config]
    found = []
    for item in [*configs(ctx), *scans]:
        facts = item.image_config
        assert facts is not None  # noqa: S101
        base = facts.history_location or "/history"
        if facts.history_entries:
            steps = [(h.created_by or "", f"{base}/{i}") for i, h in enumerate(facts.history_entries)]
        else:
            steps = [(text, base) for text in facts.history]
        if steps:
            kept = tuple((text, at) for text, at in steps if text and "#(nop)" not in text)
            found.append(_BuildSteps(item, kept, from_history=True))
    return found


def _run_lines(files: list[Evidence]) -> list[_BuildSteps]:
    return [
        _BuildSteps(item, tuple((r.value, r.location) for r in item.dockerfile.run_commands), from_history=False)
        for item in files
        if item.dockerfile is not None
    ]


def _build_step_check(ctx: Context, matches: Callable[[str], bool], found_text: str, clean_text: str) -> Outcome:
    """A build practice, from every step the evidence shows the image was built with: the image history (bound
    image configs, Trivy scans) and the RUN lines of the Dockerfile bound to the image. A history shows the base
    image's steps too, a Dockerfile only this build's: a verdict on RUN lines alone says so. A step found in a stale
    file's history still fails (a digest's history does not change); a stale file shows no absence. Without a bound
    source, the Dockerfiles supplied are read, and evaluation says they are not shown to describe the image."""
    histories = _histories(ctx)
    bound = build_files(ctx)
    run_lines = _run_lines(bound if histories or bound else dockerfiles(ctx))
    found = [(source, step, at) for source in [*histories, *run_lines] for step, at in source.steps if matches(step)]
    if found:
        shown = list(dict.fromkeys(" ".join(step.split())[:120] for _, step, _ in found))
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(dict.fromkeys(ref(source.evidence, at) for source, _, at in found)),
            reason=f"{found_text}: {listing(shown)}.",
        )
    current = [h for h in histories if not h.evidence.stale]
    stale = [h.evidence.path for h in histories if h.evidence.stale]
    note = f" The image history in {listing(stale)} is not counted: the file is stale." if stale else ""
    sources = [*current, *run_lines]
    if not sources:
        outcome = missing(
            "image history (an OCI image config, or a Trivy scan with Metadata.ImageConfig.history) or Dockerfile "
            "with its RUN instructions",
            ctx,
            EvidenceKind.IMAGE_CONFIG,
            EvidenceKind.VULNERABILITY_SCAN,
        )
        return Outcome(status=outcome.status, reason=outcome.reason + note)
    looked = "; ".join(source.described for source in sources)
    caveat = " A squashed history hides earlier steps." if current else ""
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs([source.evidence for source in sources]),
        reason=f"{clean_text} ({looked}).{caveat}{note}",
        not_shown=None
        if current
        else "The build steps of the base image: a Dockerfile shows this build's RUN lines only, the image history "
        "(an OCI image config, or a Trivy scan's Metadata.ImageConfig.history) shows every step.",
    )


def _updates_alone(step: str) -> bool:
    return bool(_PACKAGE_INDEX_UPDATE.search(step)) and not _PACKAGE_INSTALL.search(step)


@check("history.no_update_alone")
def no_update_alone(ctx: Context) -> Outcome:
    return _build_step_check(
        ctx,
        _updates_alone,
        "Build steps update the package index without installing in the same step",
        "No build step updates the package index on its own",
    )


@check("history.no_unverified_packages")
def no_unverified_packages(ctx: Context) -> Outcome:
    return _build_step_check(
        ctx,
        lambda step: bool(_VERIFICATION_BYPASS.search(step)),
        "Build steps turn off package signature or origin verification",
        "No build step turns off package signature or origin verification",
    )


@check("history.no_pipe_to_shell")
def no_pipe_to_shell(ctx: Context) -> Outcome:
    return _build_step_check(
        ctx,
        lambda step: bool(_PIPE_TO_SHELL.search(step)),
        "Build steps pipe a download into a shell",
        "No build step pipes a download into a shell",
    )
