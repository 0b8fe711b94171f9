"""`fromline policy`: admission policies that enforce what the audit checks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from evidence.cli.options import PLAIN_EXIT_CODES, add_common, output_file
from evidence.errors import ExitCode

ENGINE_CHOICES = ("kyverno", "policy-controller", "gatekeeper", "connaisseur", "ratify")  # evidence.admission.ENGINES


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "policy",
        help="write the admission policies that enforce what the audit checks (Kyverno, policy-controller, ...)",
        description="From the identity policy (--policy: which images, keys, keyless identities and attestations) "
        "or --key (every image signed by these keys), and the profile (attestation ages, the Critical SLA, "
        "approved registries), write the admission policies of one engine: images by digest only, a signature by "
        "the accepted keys or identities, the required attestations with their maximum age, no Critical "
        "vulnerability with a fix older than the SLA (Kyverno), the approved registries. What an engine cannot "
        "express is written at the top of the output and in the README. Given back to `fromline package` among the "
        "evidence, an enforcing policy counts for the controls that ask for admission enforcement.",
        epilog=PLAIN_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--format", choices=ENGINE_CHOICES, required=True, help="the admission engine")
    parser.add_argument("--profile", default="default", metavar="NAME", help="profile name or YAML file")
    parser.add_argument("--policy", type=Path, metavar="FILE", help="identity policy (docs/identity-policy.md)")
    parser.add_argument("--key", action="append", default=[], type=Path, metavar="PUB", help="a PEM public key")
    parser.add_argument("--output", type=output_file, metavar="FILE", help="write here (default: standard output)")
    add_common(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.policy is None and not args.key:
        parser.error("give --policy or --key: the policies need the keys or identities to accept")
    from evidence.admission import admission_inputs, render_policies  # noqa: PLC0415 - keep --help instant
    from evidence.render import replace_file  # noqa: PLC0415

    text = render_policies(admission_inputs(args.policy, args.key, args.profile), args.format).encode("utf-8")
    if args.output is None:
        sys.stdout.buffer.write(text)
    else:
        replace_file(args.output, lambda out: out.write(text))
    return ExitCode.OK
