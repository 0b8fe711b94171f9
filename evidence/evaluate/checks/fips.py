"""FIPS 140-3: validated cryptographic modules, recognized from SBOM components and image config facts.

What these checks can see: SBOM components (names, versions, purls, and `file` entries such as
`.../ossl-modules/fips.so` or `.../fipsmodule.cnf` when the SBOM tool lists files), and the image
config's environment variable *names* and labels. What they cannot see: the contents of
`openssl.cnf` or `fipsmodule.cnf`, environment variable values (the image config collector keeps
names only, as values may be secrets), Go build settings (`GOFIPS140`, `DefaultGODEBUG`, which SBOM
tools keep in properties this release does not read), `java.security`, and the host's kernel FIPS
flag. So "FIPS mode configured" is only ever shown by a package that makes FIPS the default (an
OpenSSL configuration package such as `openssl-config-fipshardened`); everything short of that is
reported as FIPS-capable only.

Verdicts of `fips.validated_module`:
- satisfied: a module whose version maps to a certificate that is Active at the assessment time, and
  evidence that FIPS mode is configured for it;
- not-satisfied, "Partial (FIPS-capable only)": a module is present, but its certificate is not
  Active (FIPS 140-2 after its sunset, historical, in process, unknown), or FIPS mode is not shown;
- not-satisfied, "None": no FIPS module recognized;
- evidence-missing: no SBOM.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from evidence.catalog.schema import CertificateStatus, FipsModuleSpec
from evidence.evaluate.checks.base import (
    Context,
    check,
    configs,
    listing,
    missing,
    name_version,
    purl_parts,
    refs,
    sboms,
)
from evidence.evaluate.vulnerabilities import ref
from evidence.model import Component, Evidence, EvidenceKind, EvidenceRef, Outcome, Status

# Packages whose only job is to make the OpenSSL FIPS provider the default (default_properties = fips=yes).
FIPS_DEFAULT_CONFIG_PACKAGES = frozenset({"openssl-config-fipshardened"})
# Environment variables whose presence asks for FIPS mode; their values are not in the evidence.
FIPS_MODE_ENV = ("OPENSSL_FORCE_FIPS_MODE", "OPENSSL_FIPS", "LIBGCRYPT_FORCE_FIPS_MODE", "GOFIPS140", "GODEBUG")
CRYPTO_POLICY_PACKAGES = frozenset({"crypto-policies"})
_VERSION_SEPARATORS = ("-", "+", "~", "_")
_NOT_SEEN = "Not in the evidence: openssl.cnf contents, environment values, Go build settings and the host's FIPS flag."

# Language packages that carry their own cryptographic implementation next to the system's module.
BUNDLED_CRYPTO = {
    "pypi": frozenset({"cryptography", "pycryptodome", "pycryptodomex", "pynacl", "m2crypto"}),
    "npm": frozenset({"node-forge", "crypto-js", "tweetnacl", "sjcl"}),
    "maven": frozenset(
        {"org.bouncycastle/bcprov-jdk18on", "org.bouncycastle/bcprov-jdk15on", "org.bouncycastle/bcprov-jdk15to18"}
    ),
    "golang": frozenset({"golang.org/x/crypto"}),
    "gem": frozenset({"rbnacl"}),
}
OPENSSL_LIBRARIES = frozenset({"openssl", "libssl3", "libssl1.1", "openssl-libs", "libcrypto3", "libssl3t64"})


@dataclass(frozen=True, slots=True)
class Found:
    """A component recognized as a FIPS module family, and the table entry its version maps to (if any)."""

    evidence: Evidence
    component: Component
    module: FipsModuleSpec | None  # None: the family is known, this version is not in the table
    family: str


def _names(component: Component) -> set[str]:
    names = {component.name.lower()}
    _, purl_name = purl_parts(component.purl)
    if purl_name:
        names.add(purl_name.lower())
        names.add(purl_name.lower().replace("/", ":"))
    return names


def _version_matches(version: str | None, wanted: tuple[str, ...]) -> bool:
    if not wanted:
        return True
    if not version:
        return False
    text = version.strip().lower()
    return any(text == w.lower() or text.startswith(tuple(w.lower() + s for s in _VERSION_SEPARATORS)) for w in wanted)


def recognize(ctx: Context) -> list[Found]:
    modules = [(m, {n.lower() for n in m.match.names}) for m in ctx.fips_modules]
    known = set().union(*(names for _, names in modules))
    found = []
    for item in sboms(ctx):
        for component in item.components:
            names = _names(component)
            if names.isdisjoint(known):
                continue
            candidates = [m for m, module_names in modules if not names.isdisjoint(module_names)]
            exact = next((m for m in candidates if _version_matches(component.version, m.match.versions)), None)
            found.append(Found(item, component, exact, (exact or candidates[0]).family))
    return found


def certificate_status(module: FipsModuleSpec, today: date) -> CertificateStatus:
    """The module's status on the assessment day: an Active certificate past its sunset is historical."""
    if module.status is CertificateStatus.ACTIVE and module.sunset is not None and today > module.sunset:
        return CertificateStatus.HISTORICAL
    return module.status


def _file_components(ctx: Context, suffix: str) -> list[tuple[Evidence, Component]]:
    return [(s, c) for s in sboms(ctx) for c in s.components if c.name.replace("\\", "/").endswith(suffix)]


@dataclass(frozen=True, slots=True)
class ModeSignals:
    default_config: list[tuple[Evidence, Component]]  # a package that makes FIPS the OpenSSL default
    install_config: list[tuple[Evidence, Component]]  # fipsmodule.cnf files
    provider_files: list[tuple[Evidence, Component]]  # ossl-modules/fips.so files
    crypto_policies: list[tuple[Evidence, Component]]
    env: list[tuple[Evidence, str]]


def mode_signals(ctx: Context) -> ModeSignals:
    components = [(s, c) for s in sboms(ctx) for c in s.components]
    env = [
        (item, name)
        for item in configs(ctx)
        for name in (item.image_config.env_names if item.image_config else ())
        if name in FIPS_MODE_ENV
    ]
    return ModeSignals(
        default_config=[(s, c) for s, c in components if c.name.lower() in FIPS_DEFAULT_CONFIG_PACKAGES],
        install_config=_file_components(ctx, "/fipsmodule.cnf"),
        provider_files=_file_components(ctx, "/ossl-modules/fips.so"),
        crypto_policies=[(s, c) for s, c in components if c.name.lower() in CRYPTO_POLICY_PACKAGES],
        env=env,
    )


def _describe(found: Found, today: date) -> str:
    label = name_version(found.component.name, found.component.version)
    module = found.module
    if module is None:
        return f"{label}: a {found.family} FIPS module family, but this version is not in the reference table"
    if module.certificate is None:
        return f"{label}: {module.module} has no certificate in the reference table ({module.status})"
    status = certificate_status(module, today)
    return f"{label}: {module.module}, FIPS {module.standard} certificate #{module.certificate}, {status} on {today}"


def _mode_configured(found: Found, signals: ModeSignals) -> bool:
    return found.family == "openssl" and bool(signals.default_config)


@check("fips.validated_module")
def validated_module(ctx: Context) -> Outcome:
    items = sboms(ctx)
    if not items:
        return missing("SBOM listing the components of the image", ctx, EvidenceKind.SBOM)
    today = ctx.now.date()
    found = recognize(ctx)
    signals = mode_signals(ctx)
    cited: list[EvidenceRef] = [ref(f.evidence, f.component.location) for f in found]
    cited += [ref(s, c.location) for s, c in signals.default_config + signals.install_config + signals.provider_files]
    cited += [ref(s, c.location) for s, c in signals.crypto_policies]
    cited += [ref(i) for i, _ in signals.env]
    described = [_describe(f, today) for f in found]
    validated = [
        f
        for f in found
        if f.module and f.module.certificate and certificate_status(f.module, today) is CertificateStatus.ACTIVE
    ]
    in_mode = [f for f in validated if _mode_configured(f, signals)]
    if in_mode:
        config = ", ".join(c.name for _, c in signals.default_config)
        return Outcome(
            status=Status.SATISFIED,
            evidence=tuple(dict.fromkeys(cited)),
            reason=f"Validated module configured for FIPS mode: {_describe(in_mode[0], today)}; FIPS made the "
            f"default by {config}. Modules seen: {listing(described)}.",
        )
    hints = []
    if signals.provider_files:
        hints.append(f"OpenSSL FIPS provider file {signals.provider_files[0][1].name}")
    if signals.install_config:
        hints.append(
            f"module configuration {signals.install_config[0][1].name} (installed, but nothing shows FIPS made "
            "the default)"
        )
    if signals.crypto_policies:
        hints.append(
            "RHEL/UBI crypto-policies (system FIPS mode follows the host's kernel flag, which image evidence "
            "cannot show)"
        )
    if signals.env:
        names = sorted({name for _, name in signals.env})
        hints.append(f"environment variable(s) {', '.join(names)} set (values not recorded)")
    if found or hints:
        why = []
        if validated:
            why.append("no evidence that FIPS mode is configured for the validated module")
        elif found:
            why.append("no module maps to a certificate that is Active on the assessment date")
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(dict.fromkeys(cited)),
            reason="Partial (FIPS-capable only): "
            + "; ".join(why + ([f"modules: {listing(described)}"] if described else []) + hints)
            + f". {_NOT_SEEN}",
        )
    count = sum(len(s.components) for s in items)
    return Outcome(
        status=Status.NOT_SATISFIED,
        evidence=refs(items),
        reason=f"No FIPS 140 module: none from the reference table among the {count} SBOM components, and no FIPS "
        f"provider file or configuration listed. {_NOT_SEEN}",
    )


@check("fips.no_bundled_crypto")
def no_bundled_crypto(ctx: Context) -> Outcome:
    items = sboms(ctx)
    if not items:
        return missing("SBOM listing the components of the image", ctx, EvidenceKind.SBOM)
    bundled: list[tuple[Evidence, Component]] = []
    openssl_versions: dict[str, list[tuple[Evidence, Component]]] = {}
    for item in items:
        for component in item.components:
            kind, purl_name = purl_parts(component.purl)
            if kind in BUNDLED_CRYPTO and (purl_name or component.name).lower() in BUNDLED_CRYPTO[kind]:
                bundled.append((item, component))
            elif component.name.lower() in OPENSSL_LIBRARIES and component.version:
                openssl_versions.setdefault(component.version.split("-", 1)[0], []).append((item, component))
    if len(openssl_versions) > 1:
        bundled += [pair for pairs in openssl_versions.values() for pair in pairs]
    if bundled:
        shown = sorted({name_version(c.name, c.version) for _, c in bundled})
        return Outcome(
            status=Status.NOT_SATISFIED,
            evidence=tuple(ref(s, c.location) for s, c in bundled),
            reason="Cryptography outside the system's module: "
            f"{listing(shown)}. These packages carry their own implementation (or a second OpenSSL); whether the "
            "application calls them cannot be seen in image evidence.",
        )
    return Outcome(
        status=Status.SATISFIED,
        evidence=refs(items),
        reason="No language package bundling its own cryptography, and at most one OpenSSL version, among the "
        f"{sum(len(s.components) for s in items)} SBOM components.",
    )
