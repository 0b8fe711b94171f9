"""`fromline package`: collect, evaluate, render."""

from __future__ import annotations

import argparse
import dataclasses
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence.cli.options import EXIT_CODES, add_common, parse_image, parse_timestamp, progress
from evidence.cli.verification import add_verification_options, verification_context
from evidence.errors import ExitCode
from evidence.model import AuditPackage, Binding, EvidenceSet, Status

if TYPE_CHECKING:
    from evidence.lifecycle import LifecycleInputs

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
        "--catalog",
        action="append",
        default=[],
        metavar="PATH",
        help="a catalog YAML file to evaluate besides the profile's catalogs (repeatable)",
    )
    parser.add_argument(
        "--timestamp",
        metavar="ISO8601",
        help="assessment time (default: SOURCE_DATE_EPOCH if set, else now); the same inputs and "
        "timestamp give the same audit.json and OSCAL bytes",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="OUTDIR", help="package directory to write")
    parser.add_argument(
        "--zip", action="store_true", help="also write the package as OUTDIR.zip (reproducible, like every file)"
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="list unusable evidence files in the package as skipped, with the reason, instead of stopping; "
        "the verdicts that needed them say evidence-missing",
    )
    parser.add_argument(
        "--fail-on",
        metavar="STATUSES",
        default="",
        help=f"exit 1 when any control has one of these statuses (comma-separated: {', '.join(FAIL_ON_CHOICES)})",
    )
    lifecycle = parser.add_argument_group("vulnerability lifecycle (POA&M)")
    lifecycle.add_argument("--kev", type=Path, metavar="FILE", help="CISA KEV catalog JSON (as CISA publishes it)")
    lifecycle.add_argument("--epss", type=Path, metavar="FILE", help="FIRST EPSS scores CSV, plain or gzip")
    lifecycle.add_argument(
        "--deviations", type=Path, metavar="FILE", help="deviation requests YAML (see docs/deviations.md)"
    )
    lifecycle.add_argument(
        "--previous",
        type=Path,
        metavar="DIR",
        help="the previous release's package: first detection dates carry forward, fixed findings close, and "
        "diff.json, diff.md and the report's last chapter say what changed since it",
    )
    add_verification_options(parser)
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

    from evidence.catalog import load_catalogs, load_profile  # noqa: PLC0415 - keep --help instant
    from evidence.collectors import bind, collect  # noqa: PLC0415
    from evidence.diff.compare import compare  # noqa: PLC0415
    from evidence.evaluate import CHECKS, evaluate  # noqa: PLC0415
    from evidence.render import formats_for, write_package, write_package_zip  # noqa: PLC0415
    from evidence.verify import verify  # noqa: PLC0415

    show = progress(quiet=args.quiet)
    profile = load_profile(args.profile)
    catalogs = load_catalogs([*profile.catalogs, *args.catalog], CHECKS)
    show(f"collecting evidence from {len(args.inputs)} input(s)")
    verification = verification_context(args, image=image.name)
    collected = bind(verify(collect(args.inputs, keep_going=args.keep_going), verification), image.digest)
    show(f"evaluating {sum(len(c.controls) for c in catalogs)} controls against {len(collected.items)} file(s)")
    lifecycle = lifecycle_inputs(args, collected)
    rules = verification.rules
    required = rules.attestations if rules is not None else None
    pkg = evaluate(
        catalogs, profile, collected, image=image, now=now, lifecycle=lifecycle, required_attestations=required
    )
    if lifecycle.previous is not None:
        pkg = dataclasses.replace(pkg, changes=compare(lifecycle.previous, pkg))
    evidence_files = read_evidence_files(collected, pkg)
    written = write_package(pkg, args.out, formats_for(pkg), progress=show, evidence_files=evidence_files)
    if args.zip:
        out = args.out.resolve()
        written.append(write_package_zip(out, out.with_name(f"{out.name}.zip"), pkg.assessed_at))
    if not args.quiet:
        print(summary(pkg, args.out, written))
    failing = [c for c in pkg.controls if c.status in fail_on]
    return ExitCode.CONTROLS_NOT_SATISFIED if failing else ExitCode.OK


def read_evidence_files(collected: EvidenceSet, pkg: AuditPackage) -> dict[str, bytes]:
    """sha256 -> bytes of every evidence file in the package: the bytes collection read, not read again."""
    return {item.sha256: collected.contents[item.id] for item in pkg.evidence}


def lifecycle_inputs(args: argparse.Namespace, collected: EvidenceSet) -> LifecycleInputs:
    """Read --kev, --epss, --deviations and --previous; EPSS keeps only the CVEs the evidence names."""
    from evidence.lifecycle import LifecycleInputs, read_epss, read_kev  # noqa: PLC0415
    from evidence.lifecycle.deviations import read_deviations  # noqa: PLC0415
    from evidence.render.canonical import load_package  # noqa: PLC0415

    wanted = {n for e in collected.items for f in e.vulnerabilities for n in (f.id, *f.aliases)}
    return LifecycleInputs(
        kev=read_kev(args.kev) if args.kev else None,
        epss=read_epss(args.epss, wanted) if args.epss else None,
        deviations=read_deviations(args.deviations) if args.deviations else (),
        previous=load_package(args.previous / "audit.json") if args.previous else None,
    )


def summary(pkg: AuditPackage, out: Path, written: list[Path]) -> str:
    statuses = Counter(c.status for c in pkg.controls)
    controls = ", ".join(f"{statuses[s]} {s.value.replace('-', ' ')}" for s in Status if statuses[s])
    open_vulns = [v for v in pkg.vulnerabilities if v.state == "open"]
    by_severity = Counter(v.severity for v in open_vulns)
    severities = ", ".join(f"{n} {s}" for s, n in sorted(by_severity.items(), key=lambda i: -i[0].rank))
    suppressed = sum(1 for v in pkg.vulnerabilities if v.state == "suppressed")
    closed = sum(1 for v in pkg.vulnerabilities if v.state == "closed")
    overdue = sum(1 for v in open_vulns if v.overdue)
    mismatched = sum(1 for e in pkg.evidence if e.binding is Binding.MISMATCH)
    release = f" (release {pkg.subject.release})" if pkg.subject.release else ""
    lines = [
        f"Audit package for {pkg.subject.reference}{release} written to {out}",
        f"  controls:        {controls}",
        f"  vulnerabilities: {len(open_vulns)} open"
        + (f" ({severities})" if severities else "")
        + f", {suppressed} suppressed (VEX or false positive)"
        + (f", {overdue} overdue" if overdue else "")
        + (f", {closed} closed (no longer found)" if closed else ""),
        (
            f"  evidence:        {len(pkg.evidence)} file(s) read, {mismatched} about another image, "
            f"{len(pkg.skipped)} skipped"
        ),
    ]
    width = max(len(p.name) for p in written)
    lines += [f"  {p.name:<{width}}  {p}" for p in written]
    return "\n".join(lines)
