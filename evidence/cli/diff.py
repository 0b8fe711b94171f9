"""`fromline diff OLD NEW`: what changed between two releases, for a pull request and for the audit file."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence.cli.options import (
    STOPPED_HELP,
    add_common,
    output_file,
    parse_image,
    parse_timestamp,
    progress,
    stop_progress,
    terminal_lines,
)
from evidence.cli.package import add_lifecycle_options, lifecycle_files
from evidence.cli.verification import add_verification_options, verification_context
from evidence.diff.conditions import CONDITION_MEANINGS
from evidence.errors import ExitCode, InputError, RenderError

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from evidence.model import AuditPackage, ImageRef, PackageDiff

FORMATS = ("markdown", "json", "html")
AUDIT_JSON = "audit.json"

DIFF_EXIT_CODES = f"""\
exit codes:
  0  done, and no --fail-on condition holds
  1  a --fail-on condition holds (each is named on stderr)
  2  usage error
  3  bad input: a package or evidence file that cannot be used
  4  output failure
{STOPPED_HELP}
"""


def _conditions_help() -> str:
    return "\n".join(f"  {name:<19} {meaning}" for name, meaning in CONDITION_MEANINGS.items())


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "diff",
        help="show what changed between two releases' packages",
        description="Compare two audit packages (or evidence directories, evaluated first): vulnerabilities new, "
        "fixed and still open, components, controls, signer, provenance, base image and evidence. OLD and NEW "
        "are each a package directory (or its audit.json), or an evidence directory with --old-image / "
        "--new-image, assessed exactly as `fromline package` assesses it: the same profile, catalogs, signature "
        "verification and lifecycle options apply, and NEW is assessed with OLD as its previous package.",
        epilog=f"--fail-on conditions:\n{_conditions_help()}\n\n{DIFF_EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("old", type=Path, metavar="OLD", help="the previous release: package or evidence directory")
    parser.add_argument("new", type=Path, metavar="NEW", help="this release: package or evidence directory")
    parser.add_argument(
        "--old-image", metavar="REF@sha256:DIGEST", help="evaluate OLD as evidence of this image (no audit.json)"
    )
    parser.add_argument(
        "--new-image", metavar="REF@sha256:DIGEST", help="evaluate NEW as evidence of this image (no audit.json)"
    )
    parser.add_argument("--profile", default="default", metavar="NAME", help="profile for evidence directories")
    parser.add_argument(
        "--catalog",
        action="append",
        default=[],
        metavar="PATH",
        help="a catalog YAML file to evaluate besides the profile's catalogs, for evidence directories (repeatable)",
    )
    parser.add_argument(
        "--timestamp", metavar="ISO8601", help="assessment time for evidence directories (default: as package)"
    )
    parser.add_argument("--format", choices=FORMATS, default="markdown", help="output format (default: markdown)")
    parser.add_argument(
        "--output", "-o", type=output_file, metavar="FILE", help="write here (default or -: standard output)"
    )
    parser.add_argument(
        "--fail-on",
        metavar="CONDITIONS",
        default="",
        help="exit 1 when any of these holds (comma-separated; listed below)",
    )
    add_lifecycle_options(parser, previous=False)
    add_verification_options(parser)
    add_common(parser)
    parser.set_defaults(run=run)


def parse_fail_on(text: str) -> list[str]:
    wanted = list(dict.fromkeys(w.strip() for w in text.split(",") if w.strip()))
    unknown = [w for w in wanted if w not in CONDITION_MEANINGS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"--fail-on takes {', '.join(CONDITION_MEANINGS)}; unknown: {', '.join(unknown)}"
        )
    return wanted


def _image(text: str | None, option: str) -> ImageRef | None:
    if text is None:
        return None
    try:
        return parse_image(text)
    except argparse.ArgumentTypeError as e:
        raise argparse.ArgumentTypeError(str(e).replace("--image", option)) from e


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        fail_on = parse_fail_on(args.fail_on)
        old_image = _image(args.old_image, "--old-image")
        new_image = _image(args.new_image, "--new-image")
        now = parse_timestamp(args.timestamp)
        for side, path, image in (("OLD", args.old, old_image), ("NEW", args.new, new_image)):
            _check_side(side, path, image)
    except argparse.ArgumentTypeError as e:
        parser.error(str(e))

    from evidence.boundary.diff import is_boundary_package  # noqa: PLC0415 - keep --help instant

    if is_boundary_package(args.old) or is_boundary_package(args.new):
        return _boundary_diff(args, parser, fail_on)

    from evidence.diff.compare import compare  # noqa: PLC0415
    from evidence.diff.gate import holding  # noqa: PLC0415

    show = progress(quiet=args.quiet)
    old = _load(args, args.old, old_image, now, show)
    # NEW is assessed with OLD as its previous package, as `package --previous` would: first detections carry over.
    new = _load(args, args.new, new_image, now, show, previous=old)
    diff = compare(old, new)
    stop_progress()
    _write(diff_text(diff, args.format), args.output)
    held = holding(diff, fail_on)
    for name, facts in held.items():
        shown = "; ".join(facts[:5]) + (f"; and {len(facts) - 5} more" if len(facts) > 5 else "")
        print(terminal_lines([f"fromline: --fail-on {name} holds: {shown}"]), file=sys.stderr)
    return ExitCode.CONTROLS_NOT_SATISFIED if held else ExitCode.OK


def _boundary_diff(args: argparse.Namespace, parser: argparse.ArgumentParser, fail_on: object) -> int:
    """Two boundary packages: their images matched as ConMon matches them, each pair compared (markdown or json)."""
    import orjson  # noqa: PLC0415

    from evidence.boundary.diff import boundary_diff, diff_markdown, is_boundary_package  # noqa: PLC0415

    if not (is_boundary_package(args.old) and is_boundary_package(args.new)):
        parser.error("OLD and NEW must both be boundary packages, or both image packages or evidence")
    if args.format == "html" or fail_on or args.old_image or args.new_image:
        parser.error("a diff of two boundary packages takes --format markdown or json, and no --fail-on or --*-image")
    old = args.old if args.old.is_dir() else args.old.parent
    new = args.new if args.new.is_dir() else args.new.parent
    changes = boundary_diff(old, new)
    data = (
        diff_markdown(changes).encode("utf-8")
        if args.format == "markdown"
        else orjson.dumps(changes, option=orjson.OPT_INDENT_2) + b"\n"
    )
    _write(data, args.output)
    return ExitCode.OK


def _check_side(side: str, path: Path, image: ImageRef | None) -> None:
    """A package needs no image; an evidence directory needs one: a usage error either way, before any work."""
    option = f"--{side.lower()}-image"
    is_package = path.is_file() or (path / AUDIT_JSON).is_file()
    if image is not None and is_package:
        raise argparse.ArgumentTypeError(f"{side} {path} is a package (it has {AUDIT_JSON}); {option} is for evidence")
    if image is None and path.is_dir() and not is_package:
        raise argparse.ArgumentTypeError(
            f"{side} {path} has no {AUDIT_JSON}: give {option} REF@sha256:DIGEST to evaluate it as evidence"
        )


def _load(  # noqa: PLR0913 - one side of the comparison, and what assessing it needs
    args: argparse.Namespace,
    path: Path,
    image: ImageRef | None,
    now: datetime,
    show: Callable[[str], None],
    *,
    previous: AuditPackage | None = None,
) -> AuditPackage:
    """A package as recorded, or an evidence directory assessed exactly as `fromline package` would assess it."""
    from evidence.render.canonical import load_package  # noqa: PLC0415

    if image is None:
        if not path.exists():
            raise InputError(path, "no such package directory or file")
        return load_package(path if path.is_file() else path / AUDIT_JSON)

    from evidence.pipeline import assess  # noqa: PLC0415

    show(f"evaluating the evidence in {path}")
    files = dataclasses.replace(lifecycle_files(args), previous=previous)
    return assess(
        [path],
        image=image,
        profile=args.profile,
        catalogs=args.catalog,
        verification=verification_context(args, image=image.name),
        lifecycle=files,
        now=now,
        progress=show,
    )


def diff_text(diff: PackageDiff, fmt: str) -> bytes:
    from evidence.diff.render import render_html, render_json, render_markdown  # noqa: PLC0415

    if fmt == "json":
        return render_json(diff)
    if fmt == "html":
        return render_html(diff).encode("utf-8")
    return render_markdown(diff).encode("utf-8")


def _write(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    from evidence.render import replace_file  # noqa: PLC0415 - keep --help instant

    try:
        replace_file(output, lambda out: out.write(data))
    except OSError as e:
        raise RenderError(f"{output}: cannot write the diff: {e.strerror or e}") from e
