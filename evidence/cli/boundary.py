"""`fromline boundary`: one package for every image of an authorization boundary."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evidence.cli.options import (
    EXIT_CODES,
    add_common,
    output_directory,
    parse_format_list,
    parse_timestamp,
    progress,
    stop_progress,
    terminal_lines,
)
from evidence.cli.pull import add_registry_options, registry_options

# The boundary package's outputs, named here so that --help need not import the boundary code.
BOUNDARY_FORMATS = ("oscal-ar", "oscal-cd", "oscal-poam", "workbook-xlsx", "poam-xlsx", "inventory-xlsx", "html", "pdf")
FORMAT_GROUPS = {
    "xlsx": ("workbook-xlsx", "poam-xlsx", "inventory-xlsx"),
    "oscal": ("oscal-ar", "oscal-cd", "oscal-poam"),
}


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "boundary",
        help="assess every image of an authorization boundary into one system package",
        description="Read a boundary file (the system and its images, see the README), assess each image from its "
        "evidence (or read the package `fromline package` wrote for it), and write one package for the system: "
        "audit.json with the roll-up, each image's package under images/, the OSCAL assessment results, component "
        "definition and POA&M of the system, poam.xlsx (one POA&M for the system), "
        "inventory.xlsx, report.html, report.pdf and manifest.json.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("boundary", type=Path, metavar="BOUNDARY.yaml", help="the boundary file")
    parser.add_argument(
        "--out", required=True, type=output_directory, metavar="OUTDIR", help="package directory to write"
    )
    parser.add_argument(
        "--previous",
        type=Path,
        metavar="DIR",
        help="last month's boundary package: each image's detection dates are carried from its package there",
    )
    parser.add_argument(
        "--timestamp",
        metavar="ISO8601",
        help="assessment time (default: SOURCE_DATE_EPOCH if set, else now); the same inputs and timestamp give "
        "the same files, and an image whose inputs and options are unchanged reuses its assessment",
    )
    parser.add_argument(
        "--jobs", type=int, metavar="N", help="images assessed at once, each in a process (default: the cores)"
    )
    parser.add_argument(
        "--formats",
        metavar="LIST",
        help="the outputs besides audit.json, comma-separated: "
        + ", ".join(BOUNDARY_FORMATS)
        + ", or the groups oscal and xlsx (default: all)",
    )
    parser.add_argument(
        "--zip", action="store_true", help="also write the package as OUTDIR.zip (reproducible, like every file)"
    )
    add_registry_options(parser.add_argument_group("registry access (images with pull: true)"))
    add_common(parser)
    parser.set_defaults(run=run)


def parse_formats(text: str | None) -> list[str]:
    return parse_format_list(text, BOUNDARY_FORMATS, FORMAT_GROUPS)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        now = parse_timestamp(args.timestamp)
        formats = parse_formats(args.formats)
    except argparse.ArgumentTypeError as e:
        parser.error(str(e))
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be 1 or more")

    from evidence.boundary import BoundaryFormat, build_boundary, load_boundary  # noqa: PLC0415
    from evidence.boundary.assess import default_jobs  # noqa: PLC0415
    from evidence.render import write_package_zip  # noqa: PLC0415

    show = progress(quiet=args.quiet)
    boundary = load_boundary(args.boundary)
    moment = now
    package = build_boundary(
        boundary,
        args.out,
        moment=moment,
        jobs=args.jobs or default_jobs(),
        formats=[BoundaryFormat(f) for f in formats],
        previous=args.previous,
        progress=show,
        pull_options=registry_options(args),
    )
    if args.zip:
        root = args.out.resolve()
        write_package_zip(root, root.with_name(f"{root.name}.zip"), moment)
    stop_progress()
    if not args.quiet:
        reused = sum(1 for image in package.images if image.reused)
        from_packages = sum(1 for image in package.images if image.entry.package is not None)
        open_items = sum(1 for item in package.items if item.open)
        lines = [
            f"Boundary package for {boundary.system.name} written to {args.out}",
            f"  images:      {len(package.images)} ({reused} reused, {from_packages} read from packages)",
            f"  POA&M items: {open_items} open, {len(package.items) - open_items} closed, {package.overdue} overdue",
        ]
        print(terminal_lines(lines))
    return 0
