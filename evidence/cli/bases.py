"""`fromline bases`: candidate base images scored side by side for a workload."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from evidence.cli.options import add_common, exit_codes, output_file, parse_timestamp, progress, stop_progress
from evidence.cli.pull import add_registry_options, registry_options
from evidence.cli.verification import add_verification_options
from evidence.errors import ExitCode

FORMAT_CHOICES = ("markdown", "html", "xlsx", "json")  # evidence.bases.render.FORMATS, named here for --help


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "bases",
        help="score candidate base images side by side for a workload, with hard gates and a ranking",
        description="Assess each candidate base image (a candidates file, a package, an evidence folder, or with "
        "--pull an image reference) on the secure base-image rubric's six criteria, each scored 0 to 4 with its "
        "reason: minimization, provenance, signing, patch SLA (the vendor's stated SLA, and the latency measured "
        "between successive digests of one candidate), SBOM and VEX, compliance posture. Hard gates exclude a "
        "candidate (unsigned, no SBOM, a Critical fix older than the SLA, pulled by tag, the workload's runtime "
        "missing, low patching capacity without a stated SLA). The workload's five inputs set gates and weights "
        "and are printed with the result; candidates are ranked by compliance posture, then patch SLA, then size.",
        epilog=exit_codes(None, registry=True),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "candidates", nargs="+", metavar="CANDIDATE", help="candidates file, package, evidence folder, or image"
    )
    inputs = parser.add_argument_group("the workload (a YAML file of the same keys, or these flags, which win)")
    inputs.add_argument("--workload-file", type=Path, metavar="FILE", help="YAML: workload, runtime, compliance, ...")
    inputs.add_argument(
        "--workload", choices=("static", "go", "jvm", "python", "node", "other"), help="the workload's kind"
    )
    inputs.add_argument(
        "--runtime", metavar="NAME", help="the language runtime it needs from its base (python3, openjdk)"
    )
    inputs.add_argument("--compliance", dest="profile", metavar="PROFILE", help="the compliance environment: a profile")
    inputs.add_argument("--patching-capacity", choices=("low", "medium", "high"), help="how much patching you can do")
    inputs.add_argument("--lock-in-tolerance", choices=("low", "medium", "high"), help="tolerance for vendor lock-in")
    parser.add_argument("--format", choices=FORMAT_CHOICES, default="markdown", help="output format (default markdown)")
    parser.add_argument("--output", type=output_file, metavar="FILE", help="write here (default: standard output)")
    parser.add_argument("--pull", action="store_true", help="a candidate may be an image reference, pulled first")
    parser.add_argument(
        "--timestamp", metavar="ISO8601", help="assessment time (default: SOURCE_DATE_EPOCH if set, else now)"
    )
    add_verification_options(parser)
    add_registry_options(parser.add_argument_group("registry access (--pull)"))
    add_common(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        moment = parse_timestamp(args.timestamp)
    except argparse.ArgumentTypeError as e:
        parser.error(str(e))
    if args.format == "xlsx" and args.output is None:
        parser.error("--format xlsx needs --output FILE: a workbook is not written to standard output")
    from evidence.bases import workload_from  # noqa: PLC0415 - keep --help instant
    from evidence.bases.candidates import assess_candidates, read_candidates  # noqa: PLC0415
    from evidence.bases.render import render  # noqa: PLC0415
    from evidence.render import replace_file  # noqa: PLC0415

    workload = workload_from(args)
    candidates = read_candidates(args.candidates, pull=args.pull)
    assessment = assess_candidates(
        candidates,
        workload,
        moment=moment,
        verification=args,
        pull=registry_options(args) if args.pull else None,
        show=progress(quiet=args.quiet),
    )
    data = render(assessment, args.format)
    stop_progress()
    if args.output is None:
        sys.stdout.buffer.write(data)
    else:
        replace_file(args.output, lambda out: out.write(data))
    return ExitCode.OK
