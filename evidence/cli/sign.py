"""`fromline sign`: sign a package's statement with a key, or keylessly through sigstore."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from evidence.cli.options import STOPPED_HELP, add_common, terminal_lines
from evidence.errors import ExitCode

EXIT_CODES = f"""\
exit codes:
  0  signed
  2  usage error
  3  the package does not match its manifest, or the key cannot be used
  4  the signature could not be made or written (keyless: sigstore could not be reached)
{STOPPED_HELP}
"""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "sign",
        help="sign a package: an in-toto statement over every file, in a DSSE envelope or sigstore bundle",
        description="Check that the package's files match its manifest, then sign an in-toto statement whose "
        "subjects are every file of the package (SHA-256) and whose predicate records the tool version, the "
        "image and the inputs. With --key the statement goes into a DSSE envelope, PACKAGE/package.intoto.json, "
        "signed offline. With an identity token it is signed keylessly through Sigstore (Fulcio and Rekor: "
        "this needs the network) into PACKAGE/package.sigstore.json.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("package", type=Path, metavar="PACKAGE", help="the package directory")
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--key", type=Path, metavar="KEY", help="PEM private key: ECDSA P-256/P-384, Ed25519 or RSA")
    how.add_argument(
        "--identity-token", metavar="TOKEN", help="keyless: an OIDC identity token (prefer --identity-token-env)"
    )
    how.add_argument(
        "--identity-token-env", metavar="VAR", help="keyless: the environment variable that holds the token"
    )
    parser.add_argument(
        "--key-password-env", metavar="VAR", help="the environment variable that holds an encrypted key's password"
    )
    parser.add_argument(
        "--staging", action="store_true", help="keyless: sign with Sigstore's staging instance (for trials)"
    )
    add_common(parser)
    parser.set_defaults(run=run)


def _from_environment(parser: argparse.ArgumentParser, option: str, name: str) -> str:
    value = os.environ.get(name)
    if not value:
        parser.error(f"{option} {name}: that environment variable is not set")
    return value


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.key_password_env and not args.key:
        parser.error("--key-password-env goes with --key")
    if args.staging and args.key:
        parser.error("--staging applies to keyless signing")

    from evidence.attest.sign import sign_with_identity_token, sign_with_key  # noqa: PLC0415 - keep --help instant

    if args.key:
        password = None
        if args.key_password_env:
            password = _from_environment(parser, "--key-password-env", args.key_password_env).encode()
        written, signer = sign_with_key(args.package, args.key, password)
    else:
        token = args.identity_token or _from_environment(parser, "--identity-token-env", args.identity_token_env)
        written, signer = sign_with_identity_token(args.package, token, staging=args.staging)
    if not args.quiet:
        print(terminal_lines([f"Signed {args.package} with {signer}: {written}"]))
    return ExitCode.OK
