"""`fromline package`: collect, evaluate, render."""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence.cli.assessment import add_assessment_options, assessment_context
from evidence.cli.options import (
    EXIT_CODES,
    add_common,
    output_directory,
    parse_format_list,
    parse_image,
    parse_timestamp,
    progress,
    stop_progress,
    terminal_lines,
)
from evidence.cli.pull import add_registry_options, registry_options
from evidence.cli.verification import add_verification_options, verification_context
from evidence.errors import BindError, ExitCode, RenderError
from evidence.oscal_versions import DEFAULT_OSCAL_VERSION, OSCAL_VERSIONS

# The package's outputs (evidence.render.Format), named here so that --help need not import the renderers.
PACKAGE_FORMATS = (
    "oscal-ar",
    "oscal-cd",
    "oscal-poam",
    "html",
    "pdf",
    "xlsx",
    "poam-xlsx",
    "inventory-xlsx",
    "diff-json",
    "diff-markdown",
    "emass-poam",
    "cklb",
    "sarif",
    "openvex",
    "cdx-vex",
    "hdf",
)
EVERY_DEFAULT = "default"  # in --formats: every output that applies, as when --formats is not given
PACKAGE_FORMAT_GROUPS = {
    "oscal": ("oscal-ar", "oscal-cd", "oscal-poam"),
    "xlsx": ("xlsx", "poam-xlsx", "inventory-xlsx"),
    "diff": ("diff-json", "diff-markdown"),
    "dod": ("emass-poam", "cklb"),
    "vex": ("openvex", "cdx-vex"),
}
LAYOUT_PREFIX = "oci:"  # as evidence.registry names it; not imported here, to keep --help instant

if TYPE_CHECKING:
    from evidence.model import AuditPackage, ImageRef, Status
    from evidence.pipeline import LifecycleFiles

# Values of `Status`, named here so that --help need not import the model (`parse_fail_on` turns them into statuses).
FAIL_ON_CHOICES = ("not-satisfied", "evidence-missing")


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
    parser.add_argument(
        "inputs",
        nargs="*",
        type=Path,
        metavar="INPUT",
        help="evidence files or directories; oci:PATH reads what an OCI image layout holds about the image, offline",
    )
    parser.add_argument("--image", required=True, metavar="REF@sha256:DIGEST", help="the image assessed, by digest")
    parser.add_argument(
        "--pull",
        action="store_true",
        help="also read what the image's registry holds about its digest (as `fromline pull` does) into the "
        "package's evidence",
    )
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
    parser.add_argument(
        "--out", required=True, type=output_directory, metavar="OUTDIR", help="package directory to write"
    )
    parser.add_argument(
        "--formats",
        metavar="LIST",
        help="the outputs besides audit.json and manifest.json, comma-separated: "
        + ", ".join(PACKAGE_FORMATS)
        + ", the groups "
        + ", ".join(PACKAGE_FORMAT_GROUPS)
        + f", or {EVERY_DEFAULT}: what is written without --formats, every one that applies but sarif, openvex, "
        f"cdx-vex and hdf, which are written only when named ({EVERY_DEFAULT},sarif adds SARIF); the diff files "
        "need --previous, the DoD exports the DISA catalog",
    )
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
        "--bind",
        action="append",
        default=[],
        type=Path,
        metavar="PATH",
        help="an input file that names no image digest (a Snyk or SARIF scan) and that you state describes this "
        "image: used for what it says, recorded as asserted, never counted as a digest match (repeatable)",
    )
    parser.add_argument(
        "--oscal-version",
        choices=OSCAL_VERSIONS,
        default=DEFAULT_OSCAL_VERSION,
        help=f"the OSCAL version the OSCAL documents declare and follow (default {DEFAULT_OSCAL_VERSION}; 1.1.2 for "
        "tools that read only OSCAL 1.1, such as older compliance-trestle releases)",
    )
    parser.add_argument(
        "--fail-on",
        metavar="STATUSES",
        default="",
        help=f"exit 1 when any control has one of these statuses (comma-separated: {', '.join(FAIL_ON_CHOICES)})",
    )
    add_lifecycle_options(parser)
    add_verification_options(parser)
    add_assessment_options(parser)
    add_registry_options(parser.add_argument_group("registry access (--pull)"))
    add_common(parser)
    parser.set_defaults(run=run)


def parse_fail_on(text: str) -> set[Status]:
    from evidence.model import Status  # noqa: PLC0415 - the model is not needed for --help

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
        names = (*PACKAGE_FORMATS, EVERY_DEFAULT)
        chosen = parse_format_list(args.formats, names, PACKAGE_FORMAT_GROUPS) if args.formats else None
        assessment = assessment_context(args)
    except argparse.ArgumentTypeError as e:
        parser.error(str(e))

    if not args.inputs and not args.pull:
        parser.error("give evidence files or directories, oci:PATH, or --pull")

    show = progress(quiet=args.quiet)
    with pulled_inputs(args, image, now, show) as inputs:
        return _package(args, parser, image=image, parsed=(now, fail_on, assessment, chosen), inputs=inputs, show=show)


def _package(  # noqa: PLR0913 - the command line, parsed
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    *,
    image: ImageRef,
    parsed: tuple[datetime, set[Status], Any, list[str] | None],
    inputs: list[Path],
    show: Callable[[str], None],
) -> int:
    from evidence.pipeline import assess, write_package  # noqa: PLC0415

    now, fail_on, assessment, chosen = parsed
    try:
        pkg = assess(
            inputs,
            image=image,
            profile=args.profile,
            catalogs=args.catalog,
            verification=verification_context(args, image=image.name),
            lifecycle=lifecycle_files(args),
            now=now,
            keep_going=args.keep_going,
            progress=show,
            bind=args.bind,
            assessment=assessment,
        )
    except BindError as e:
        parser.error(str(e))
    formats = None
    if chosen is not None:
        from evidence.render import OPT_IN_FORMATS, Format, formats_for  # noqa: PLC0415

        defaults = formats_for(pkg)
        named = [name for name in chosen if name != EVERY_DEFAULT]
        applicable = [*defaults, *OPT_IN_FORMATS]  # an opt-in format applies to every package
        missing = [name for name in named if Format(name) not in applicable]
        if missing:
            parser.error(
                f"--formats: {', '.join(missing)} do not apply (the diff needs --previous, the DoD exports "
                "the DISA catalog)"
            )
        every = defaults if EVERY_DEFAULT in chosen else []
        formats = list(dict.fromkeys([Format.AUDIT_JSON, *every, *(Format(name) for name in named)]))
    written = write_package(
        pkg, args.out, formats=formats, zip=args.zip, progress=show, oscal_version=args.oscal_version
    )
    stop_progress()
    if not args.quiet:
        print(summary(pkg, args.out, written))
    failing = [c for c in pkg.controls if c.status in fail_on]
    return ExitCode.CONTROLS_NOT_SATISFIED if failing else ExitCode.OK


@contextlib.contextmanager
def pulled_inputs(
    args: argparse.Namespace, image: ImageRef, now: datetime, show: Callable[[str], None]
) -> Iterator[list[Path]]:
    """The inputs, each `oci:PATH` read from its OCI image layout and, with --pull, what the registry holds, into a
    folder of its own that lasts as long as the run (the package keeps a copy of every file in its evidence)."""
    inputs = [p for p in args.inputs if not str(p).startswith(LAYOUT_PREFIX)]
    layouts = [str(p) for p in args.inputs if str(p).startswith(LAYOUT_PREFIX)]
    if not layouts and not args.pull:
        yield inputs
        return
    from evidence.registry import pull  # noqa: PLC0415

    options = registry_options(args)
    with tempfile.TemporaryDirectory(prefix="fromline-pull-") as folder:
        for number, layout in enumerate(layouts, start=1):
            target = Path(folder) / ("oci-layout" if len(layouts) == 1 else f"oci-layout-{number}")
            show(f"reading {layout}")
            pull(f"{layout}@{image.digest}", target, now, options)
            inputs.append(target)
        if args.pull:
            show(f"pulling {image.reference}")
            pull(image.reference, Path(folder) / "registry", now, options)
            inputs.append(Path(folder) / "registry")
        yield inputs


def lifecycle_files(args: argparse.Namespace) -> LifecycleFiles:
    """--kev, --epss, --deviations and --previous, as `package` and `diff` take them."""
    from evidence.pipeline import LifecycleFiles  # noqa: PLC0415

    return LifecycleFiles(kev=args.kev, epss=args.epss, deviations=args.deviations, previous=args.previous)


def add_lifecycle_options(parser: argparse.ArgumentParser, *, previous: bool = True) -> None:
    lifecycle = parser.add_argument_group("vulnerability lifecycle (POA&M)")
    lifecycle.add_argument("--kev", type=Path, metavar="FILE", help="CISA KEV catalog JSON (as CISA publishes it)")
    lifecycle.add_argument("--epss", type=Path, metavar="FILE", help="FIRST EPSS scores CSV, plain or gzip")
    lifecycle.add_argument(
        "--deviations", type=Path, metavar="FILE", help="deviation requests YAML (see docs/deviations.md)"
    )
    if previous:
        lifecycle.add_argument(
            "--previous",
            type=Path,
            metavar="DIR",
            help="the previous release's package: first detection dates carry forward, fixed findings close, and "
            "diff.json, diff.md and the report's last chapter say what changed since it",
        )
    else:
        lifecycle.set_defaults(previous=None)


def summary(pkg: AuditPackage, out: Path, written: list[Path]) -> str:
    """The console summary: the counts evaluation recorded, looked up like every other renderer does."""
    from evidence.model import CountGroup, Status  # noqa: PLC0415 - the model is not needed for --help

    recorded = pkg.summary
    if recorded is None:
        raise RenderError(f"{out}: the package has no recorded summary")
    statuses: Counter[Status] = Counter()
    for catalog in recorded.controls:
        statuses.update(catalog.counts)
    controls = ", ".join(f"{statuses[s]} {s.value.replace('-', ' ')}" for s in Status if statuses[s])
    open_counts = recorded.vulnerability_counts(CountGroup.OPEN)
    severities = ", ".join(f"{n} {s}" for s, n in open_counts.counts.items() if n)
    suppressed = recorded.vulnerability_counts(CountGroup.SUPPRESSED).total
    closed = recorded.vulnerability_counts(CountGroup.CLOSED).total
    overdue = recorded.vulnerability_counts(CountGroup.OPEN_OVERDUE).total
    release = f" (release {pkg.subject.release})" if pkg.subject.release else ""
    lines = [
        f"Audit package for {pkg.subject.reference}{release} written to {out}",
        f"  controls:        {controls}",
        f"  vulnerabilities: {open_counts.total} open"
        + (f" ({severities})" if severities else "")
        + f", {suppressed} suppressed (VEX or false positive)"
        + (f", {overdue} overdue" if overdue else "")
        + (f", {closed} closed (no longer found)" if closed else ""),
        (
            f"  evidence:        {recorded.evidence_files} file(s) read, {len(recorded.mismatched_evidence)} about "
            f"another image, {recorded.skipped_files} skipped"
        ),
    ]
    width = max(len(p.name) for p in written)
    lines += [f"  {p.name:<{width}}  {p}" for p in written]
    return terminal_lines(lines)
