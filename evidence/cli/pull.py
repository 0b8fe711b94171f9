"""`fromline pull`: what a registry holds about an image digest, written as files Fromline reads."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evidence.cli.options import (
    STOPPED_HELP,
    add_common,
    output_directory,
    parse_timestamp,
    progress,
    stop_progress,
    terminal_lines,
)
from evidence.errors import ExitCode

EXIT_CODES = f"""\
exit codes:
  0  done
  2  usage error
  3  bad input: the OCI layout or a file it names cannot be read
  4  the folder could not be written
  5  registry: unreachable, refused access, lacks the digest, or answered with something
     else than was asked (a digest or media type that does not match)
{STOPPED_HELP}
"""


def add_registry_options(parser: argparse.ArgumentParser) -> None:
    """The options of registry access, shared by `pull` and `package --pull`."""
    parser.add_argument(
        "--platform", metavar="OS/ARCH[/VARIANT]", help="of an image index, pull that platform's manifests only"
    )
    parser.add_argument(
        "--registry-ca",
        type=Path,
        metavar="FILE",
        help="PEM certificate(s) of the CA the registry's TLS certificate must chain to (instead of the system's)",
    )
    parser.add_argument(
        "--insecure-registry",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="speak plain HTTP to this registry (repeatable); every other registry is HTTPS",
    )


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "pull",
        help="read what a registry holds about an image digest into a folder of evidence files",
        description="Read, from the image's registry, the manifest (and, for an index, its platform manifests), "
        "the image config, cosign's .sig/.att/.sbom attachments and the OCI 1.1 referrers of the digest (through "
        "the referrers API, else the referrers tag schema), checking every blob against its digest, and write "
        "them into OUTDIR with pull.json, which lists where each file came from. IMAGE may also be "
        "oci:PATH@sha256:... for an OCI image layout directory, read offline. Credentials come from the Docker "
        "config file ($DOCKER_CONFIG/config.json, ~/.docker/config.json: auths, credsStore, credHelpers); "
        "nothing is verified here: `fromline package` verifies what was pulled, offline.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("image", metavar="IMAGE@sha256:DIGEST", help="the image, by digest (or oci:PATH@sha256:...)")
    parser.add_argument("--out", required=True, type=output_directory, metavar="OUTDIR", help="folder to write")
    add_registry_options(parser)
    parser.add_argument(
        "--timestamp", metavar="ISO8601", help="the time pull.json records (default: SOURCE_DATE_EPOCH, else now)"
    )
    add_common(parser)
    parser.set_defaults(run=run)


def registry_options(args: argparse.Namespace) -> Any:
    from evidence.registry import PullOptions  # noqa: PLC0415 - keep --help instant

    return PullOptions(
        platform=args.platform,
        registry_ca=args.registry_ca,
        insecure_registries=frozenset(args.insecure_registry),
    )


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        moment = parse_timestamp(args.timestamp)
    except argparse.ArgumentTypeError as e:
        parser.error(str(e))
    from evidence.registry import pull  # noqa: PLC0415 - keep --help instant

    show = progress(quiet=args.quiet)
    show(f"pulling {args.image}")
    result = pull(args.image, args.out, moment, registry_options(args))
    stop_progress()
    if not args.quiet:
        kinds: dict[str, int] = {}
        for f in result.files:
            kinds[f.role] = kinds.get(f.role, 0) + 1
        lines = [f"Pulled {len(result.files)} file(s) about {result.subject} into {args.out}"]
        lines += [f"  {role}: {count}" for role, count in sorted(kinds.items())]
        lines.append(f"  referrers: {result.referrers_via}")
        print(terminal_lines(lines))
    return ExitCode.OK
