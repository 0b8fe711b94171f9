"""SBOM: what the image contains that it should not."""

from __future__ import annotations

import re

from evidence.evaluate.checks.base import Context, check, is_os_package, listing, missing, name_version, refs, sboms
from evidence.evaluate.vulnerabilities import ref
from evidence.model import Binding, Component, Evidence, EvidenceKind, Outcome, Status

REMOTE_ADMIN_PACKAGES = frozenset(
    {"openssh-server", "openssh", "dropbear", "telnetd", "inetutils-telnetd", "tightvncserver"}
)
SHELLS = frozenset({"bash", "dash", "busybox", "busybox-binsh", "ash", "zsh", "ksh", "mksh", "tcsh"})
PACKAGE_MANAGERS = frozenset(
    {"apk-tools", "dpkg", "apt", "rpm", "dnf", "yum", "microdnf", "tdnf", "zypper", "libzypp", "opkg", "pacman"}
)
# Tools a production image does not need: compilers and debuggers, privilege and network utilities.
_DEVELOPMENT_TOOL = re.compile(
    r"^(?:gcc|g\+\+|cpp|clang|llvm|make|binutils|build-essential|gdb|strace|ltrace|musl-dev|libc6-dev|glibc-devel)"
    r"(?:-\d+(?:\.\d+)*)?$"
)
ADMIN_TOOLS = frozenset(
    {
        "sudo",
        "doas",
        "netcat",
        "netcat-openbsd",
        "netcat-traditional",
        "nmap-ncat",
        "ncat",
        "socat",
        "telnet",
        "tcpdump",
    }
)


def os_packages_named(components: list[Component], names: frozenset[str]) -> list[Component]:
    return [c for c in components if c.name.lower() in names and is_os_package(c)]


def development_tools(components: list[Component]) -> list[Component]:
    return [c for c in components if is_os_package(c) and _DEVELOPMENT_TOOL.match(c.name.lower())]


def _shell_and_manager(components: list[Component], *, shell_word: str, manager_word: str) -> str:
    """The shells and package managers among the components, as "<shell> (bash); <manager> (dpkg)", or ""."""
    shells = sorted({c.name for c in os_packages_named(components, SHELLS)})
    managers = sorted({c.name for c in os_packages_named(components, PACKAGE_MANAGERS)})
    found = ((shell_word, shells), (manager_word, managers))
    return "; ".join(f"{word} ({', '.join(names)})" for word, names in found if names)


@check("sbom.no_remote_admin_tools")
def no_remote_admin_tools(ctx: Context) -> Outcome:
    sboms = [s for s in ctx.usable(EvidenceKind.SBOM, bound=True) if s.components]
    if not sboms:
        return missing("SBOM listing the components of the image", ctx, EvidenceKind.SBOM)
    found = [(s, c) for s in sboms for c in s.components if c.name.lower() in REMOTE_ADMIN_PACKAGES]
    if found:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(ref(s, c.location) for s, c in found),
            reason=f"Remote-administration software in the image: "
            f"{listing(sorted({name_version(c.name, c.version) for _, c in found}))}.",
        )
    count = sum(len(s.components) for s in sboms)
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs(sboms),
        reason=f"None of the {count} SBOM components is an SSH, telnet or VNC server.",
    )


@check("sbom.no_unnecessary_packages")
def no_unnecessary_packages(ctx: Context) -> Outcome:
    items = sboms(ctx)
    if not items:
        return missing("SBOM listing the components of the image", ctx, EvidenceKind.SBOM)
    found = [
        (s, c)
        for s in items
        for c in [
            *development_tools(list(s.components)),
            *os_packages_named(list(s.components), ADMIN_TOOLS | REMOTE_ADMIN_PACKAGES),
        ]
    ]
    everything = [c for s in items for c in s.components]
    present = _shell_and_manager(everything, shell_word="shell present", manager_word="package manager present")
    note = f" Also noted, not failed: {present}." if present else " No shell and no package manager."
    kept = f"That the image needs no shell or package manager at run time: {present}." if present else None
    if found:
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(ref(s, c.location) for s, c in found),
            reason="Development, privilege or network tools in the image: "
            f"{listing(sorted({name_version(c.name, c.version) for _, c in found}))}.{note}",
        )
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs(items),
        reason=f"No compiler, debugger, sudo, netcat, telnet or SSH server among the {len(everything)} SBOM "
        f"components.{note}",
        not_shown=kept,
    )


@check("sbom.minimal")
def minimal(ctx: Context) -> Outcome:
    """800-190 4.1.2: minimal base layers. A shell or a package manager left in the image is named as the part of
    the control the image does not meet, so the control is satisfied in part at most."""
    items = sboms(ctx)
    if not items:
        return missing("SBOM listing the components of the image", ctx, EvidenceKind.SBOM)
    everything = [c for s in items for c in s.components]
    kept = _shell_and_manager(everything, shell_word="a shell", manager_word="a package manager")
    if not kept:
        return Outcome(
            status=Status.SATISFIED,
            evidence=refs(items),
            reason=f"No shell and no package manager among the {len(everything)} SBOM components.",
        )
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs(items),
        reason=f"The SBOM lists the image's {len(everything)} components; it keeps {kept}.",
        not_shown=f"A minimal image: the image keeps {kept}, which a minimal production image leaves out.",
    )


def _not_bound_because(sbom: Evidence) -> str:
    if sbom.binding is Binding.MATCH:
        return "lists no components"
    if sbom.binding is Binding.ASSERTED:
        return "names no image digest; asserted by the user (--bind) to describe the image, which binds nothing"
    return "names no image digest"


def sbom_bound(ctx: Context) -> Outcome:
    """An SBOM that names the image digest and lists its components: the summary's SBOM verdict.

    Not registered in `CHECKS`: it decides no catalog control, only the summary (`evaluate.summary`). An SBOM the
    user asserts describes the image (`--bind`) is not bound to it: only a digest binds.
    """
    bound = [s for s in ctx.usable(EvidenceKind.SBOM, digest=True) if s.components]
    if bound:
        count = sum(len(s.components) for s in bound)
        return Outcome(
            status=Status.SATISFIED,
            evidence=refs(bound),
            reason=f"{len(bound)} SBOM(s) name the image digest and list {count} components: "
            f"{listing([s.path for s in bound])}.",
        )
    unproven = ctx.usable(EvidenceKind.SBOM)
    if unproven:
        why = "; ".join(f"{s.path}: " + _not_bound_because(s) for s in unproven)
        return Outcome(
            status=Status.EVIDENCE_MISSING,
            evidence=refs(unproven),
            reason=f"An SBOM is present but does not show what the image contains: {why}.",
        )
    return missing("SBOM", ctx, EvidenceKind.SBOM)
