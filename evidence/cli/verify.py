"""`fromline verify`: check a package offline against its manifest and, when asked, its signature."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence.cli.options import STOPPED_HELP, add_common, terminal_lines
from evidence.errors import ExitCode

if TYPE_CHECKING:
    from evidence.attest.verify import PackageVerification

EXIT_CODES = f"""\
exit codes:
  0  every file matches the manifest (and the signed statement), and the signature verifies when asked
  1  a file is missing, added or changed, or the signature does not verify
  2  usage error
  3  the package, key or trusted root cannot be read
{STOPPED_HELP}
"""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "verify",
        help="check a package's files against its manifest and verify its signature, offline",
        description="Recompute the SHA-256 and size of every file of the package and compare them with "
        "manifest.json, naming each missing, added or changed file. With --key, the DSSE envelope "
        "package.intoto.json must be signed by that public key; with --identity and --issuer, the sigstore "
        "bundle package.sigstore.json must verify against the Sigstore trusted root and name that identity. "
        "A verified statement is also compared with every file, manifest.json included. Nothing is fetched.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("package", type=Path, metavar="PACKAGE", help="the package directory")
    how = parser.add_mutually_exclusive_group()
    how.add_argument(
        "--key", type=Path, metavar="PUB", help="PEM public key (or certificate) the package was signed with"
    )
    how.add_argument(
        "--identity",
        "--certificate-identity",
        metavar="SAN",
        help="keyless: the signer's identity (certificate SAN), exactly",
    )
    how.add_argument(
        "--certificate-identity-regexp",
        dest="identity_regexp",
        metavar="REGEXP",
        help="keyless: a regular expression the signer's identity must match (as cosign takes it)",
    )
    parser.add_argument(
        "--issuer", "--certificate-oidc-issuer", metavar="URL", help="keyless: the OIDC issuer of the identity, exactly"
    )
    roots = parser.add_mutually_exclusive_group()
    roots.add_argument(
        "--trusted-root", type=Path, metavar="FILE", help="keyless: a Sigstore trusted_root.json to verify against"
    )
    roots.add_argument(
        "--staging", action="store_true", help="keyless: Sigstore's staging instance instead of production"
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    add_common(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import orjson  # noqa: PLC0415 - keep --help instant

    keyless = args.identity is not None or args.identity_regexp is not None
    if keyless != (args.issuer is not None):
        parser.error("--identity (or --certificate-identity-regexp) and --issuer go together")
    if (args.trusted_root or args.staging) and not keyless:
        parser.error("--trusted-root and --staging apply to keyless verification (--identity, --issuer)")

    from evidence.attest.verify import Identity, verify_package  # noqa: PLC0415 - keep --help instant
    from evidence.verify.interface import TrustRoot  # noqa: PLC0415
    from evidence.verify.keys import load_key_file  # noqa: PLC0415

    key = load_key_file(args.key) if args.key else None
    identity = None
    if keyless:
        root = TrustRoot.FILE if args.trusted_root else TrustRoot.STAGING if args.staging else TrustRoot.PRODUCTION
        identity = Identity(
            subject=args.identity,
            subject_regexp=args.identity_regexp,
            issuer=args.issuer,
            trust_root=root,
            trusted_root_path=args.trusted_root,
        )
    result = verify_package(args.package, key=key, identity=identity)
    if args.json:
        print(orjson.dumps(as_json(result), option=orjson.OPT_INDENT_2).decode())
    elif not args.quiet or not result.ok:
        print(as_text(result))
    return ExitCode.OK if result.ok else ExitCode.CONTROLS_NOT_SATISFIED


def as_json(result: PackageVerification) -> dict[str, Any]:
    return {
        "package": str(result.package),
        "ok": result.ok,
        "files_checked": result.files_checked,
        "problems": [{"problem": p.problem, "path": p.path, "detail": p.detail} for p in result.problems],
        "signature": {
            "checked": result.signature_checked,
            "verified": result.signature_verified,
            "reason": result.signature_reason,
        },
    }


def as_text(result: PackageVerification) -> str:
    lines = [f"Package {result.package}: {result.files_checked} file(s) checked"]
    lines += [
        f"  {p.problem + ':':<9} {p.path}" + (f" ({p.detail})" if p.detail else "")
        for p in sorted(result.problems, key=lambda p: (p.path, p.problem))
    ]
    verdict = "verified" if result.signature_verified else "FAILED" if result.signature_checked else "not checked"
    lines.append(f"  signature: {verdict}: {result.signature_reason}")
    if result.ok:
        lines.append("OK: every file is as recorded" + (" and signed" if result.signature_checked else ""))
    else:
        failures = [f"{len(result.problems)} file problem(s)"] if result.problems else []
        if result.signature_checked and not result.signature_verified:
            failures.append("signature not verified")
        lines.append("FAILED: " + ", ".join(failures))
    return terminal_lines(lines)
