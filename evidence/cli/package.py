"""`fromline package`: collect, evaluate, render."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

from evidence.cli.options import EXIT_CODES, add_common, parse_image, parse_timestamp, progress
from evidence.errors import ExitCode
from evidence.model import AuditPackage, Binding, Status

FAIL_ON_CHOICES = (Status.NOT_SATISFIED, Status.EVIDENCE_MISSING)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "package",
        help="collect evidence, evaluate the controls, write the audit package",
        description="Collect the evidence files (format detected from content), evaluate the profile's control "
        "catalogs, and write the audit package: audit.json, OSCAL assessment results, report.pdf, "
        "report.html, workbook.xlsx and manifest.json.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="evidence files or directories")
    parser.add_argument("--image", required=True, metavar="REF@sha256:DIGEST", help="the image assessed, by digest")
    parser.add_argument("--release", metavar="VERSION", help="the release this image is, e.g. 1.4.0")
    parser.add_argument("--profile", default="default", metavar="NAME", help="profile name or YAML file")
    parser.add_argument(
        "--timestamp",
        metavar="ISO8601",
        help="assessment time (default: SOURCE_DATE_EPOCH if set, else now); the same inputs and "
        "timestamp give the same audit.json and OSCAL bytes",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="OUTDIR", help="package directory to write")
    parser.add_argument(
        "--fail-on",
        metavar="STATUSES",
        default="",
        help=f"exit 1 when any control has one of these statuses (comma-separated: {', '.join(FAIL_ON_CHOICES)})",
    )
    add_common(parser)
    parser.set_defaults(run=run)


def parse_fail_on(text: str) -> set[Status]:
    wanted = {w.strip() for w in text.split(",") if w.strip()}
    unknown = wanted - set(FAIL_ON_CHOICES)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"--fail-on takes {', '.join(FAIL_ON_CHOICES)}; unknown: {', '.join(sorted(unknown))}"
        )
    return {Status(w) for w in wanted}


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        image = parse_image(args.image, args.release)
        now = parse_timestamp(args.timestamp)
        fail_on = parse_fail_on(args.fail_on)
    except argparse.ArgumentTypeError as e:
        parser.error(str(e))

    from evidence.catalog import load_catalog, load_profile  # noqa: PLC0415 - keep --help instant
    from evidence.collectors import collect  # noqa: PLC0415
    from evidence.evaluate import CHECKS, evaluate  # noqa: PLC0415
    from evidence.render import Format, write_package  # noqa: PLC0415

    show = progress(quiet=args.quiet)
    profile = load_profile(args.profile)
    catalogs = [load_catalog(name, CHECKS) for name in profile.catalogs]
    show(f"collecting evidence from {len(args.inputs)} input(s)")
    collected = collect(args.inputs, image_digest=image.digest)
    show(f"evaluating {sum(len(c.controls) for c in catalogs)} controls against {len(collected.items)} file(s)")
    pkg = evaluate(catalogs, profile, collected, image=image, now=now)
    written = write_package(pkg, args.out, list(Format), progress=show)
    if not args.quiet:
        print(summary(pkg, args.out, written))
    failing = [c for c in pkg.controls if c.status in fail_on]
    return ExitCode.CONTROLS_NOT_SATISFIED if failing else ExitCode.OK


def summary(pkg: AuditPackage, out: Path, written: list[Path]) -> str:
    statuses = Counter(c.status for c in pkg.controls)
    controls = ", ".join(f"{statuses[s]} {s.value.replace('-', ' ')}" for s in Status if statuses[s])
    open_vulns = [v for v in pkg.vulnerabilities if v.state == "open"]
    by_severity = Counter(v.severity for v in open_vulns)
    severities = ", ".join(f"{n} {s}" for s, n in sorted(by_severity.items(), key=lambda i: -i[0].rank))
    suppressed = len(pkg.vulnerabilities) - len(open_vulns)
    mismatched = sum(1 for e in pkg.evidence if e.binding is Binding.MISMATCH)
    release = f" (release {pkg.subject.release})" if pkg.subject.release else ""
    lines = [
        f"Audit package for {pkg.subject.reference}{release} written to {out}",
        f"  controls:        {controls}",
        f"  vulnerabilities: {len(open_vulns)} open"
        + (f" ({severities})" if severities else "")
        + f", {suppressed} suppressed by VEX",
        (
            f"  evidence:        {len(pkg.evidence)} file(s) read, {mismatched} about another image, "
            f"{len(pkg.skipped)} skipped"
        ),
    ]
    width = max(len(p.name) for p in written)
    lines += [f"  {p.name:<{width}}  {p}" for p in written]
    return "\n".join(lines)
