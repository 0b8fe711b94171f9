"""The `fromline` command. The only module that prints or chooses an exit code."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from evidence import __version__
from evidence.errors import EvidenceError, ExitCode
from evidence.model import AuditPackage, Binding, ImageRef, Status

IMAGE_RE = re.compile(r"^(?P<name>[^@\s]+)@(?P<digest>sha256:[0-9a-f]{64})$")
FAIL_ON_CHOICES = (Status.NOT_SATISFIED, Status.EVIDENCE_MISSING)

EXIT_CODES = """\
exit codes:
  0  done
  1  controls not satisfied (only when --fail-on asks for it)
  2  usage error
  3  bad input: an evidence file, catalog or profile that cannot be used
  4  render or output failure: the package could not be written
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fromline",
        description="Turn the security evidence of a container image into an audit package.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fromline {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    package = commands.add_parser(
        "package",
        help="collect evidence, evaluate the controls, write the audit package",
        description="Collect the evidence files (format detected from content), evaluate the profile's control "
        "catalogs, and write the audit package: audit.json, OSCAL assessment results, report.pdf, "
        "report.html, workbook.xlsx and manifest.json.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    package.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="evidence files or directories")
    package.add_argument("--image", required=True, metavar="REF@sha256:DIGEST", help="the image assessed, by digest")
    package.add_argument("--release", metavar="VERSION", help="the release this image is, e.g. 1.4.0")
    package.add_argument("--profile", default="default", metavar="NAME", help="profile name or YAML file")
    package.add_argument(
        "--timestamp",
        metavar="ISO8601",
        help="assessment time (default: SOURCE_DATE_EPOCH if set, else now); the same inputs and "
        "timestamp give the same audit.json and OSCAL bytes",
    )
    package.add_argument("--out", required=True, type=Path, metavar="OUTDIR", help="package directory to write")
    package.add_argument(
        "--fail-on",
        metavar="STATUSES",
        default="",
        help=f"exit 1 when any control has one of these statuses (comma-separated: {', '.join(FAIL_ON_CHOICES)})",
    )
    package.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    package.add_argument("--verbose", "-v", action="store_true", help="show tracebacks of errors")
    return parser


def parse_image(text: str) -> ImageRef:
    match = IMAGE_RE.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"--image must be REF@sha256:<64 hex digits>, got {text!r}")
    return ImageRef(reference=text.strip(), name=match["name"], digest=match["digest"])


def parse_timestamp(text: str | None) -> datetime:
    if text:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"--timestamp is not an ISO 8601 time: {text!r}") from e
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        if not epoch.isdigit():
            raise argparse.ArgumentTypeError(f"SOURCE_DATE_EPOCH is not a whole number of seconds: {epoch!r}")
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


def parse_fail_on(text: str) -> set[Status]:
    wanted = {w.strip() for w in text.split(",") if w.strip()}
    unknown = wanted - set(FAIL_ON_CHOICES)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"--fail-on takes {', '.join(FAIL_ON_CHOICES)}; unknown: {', '.join(sorted(unknown))}"
        )
    return {Status(w) for w in wanted}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _package(args, parser)
    except EvidenceError as e:
        if args.verbose:
            raise
        print(f"fromline: error: {e.diagnostics()}", file=sys.stderr)
        return e.exit_code


def _package(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        image = parse_image(args.image)
        image = ImageRef(reference=image.reference, name=image.name, digest=image.digest, release=args.release)
        now = parse_timestamp(args.timestamp)
        fail_on = parse_fail_on(args.fail_on)
    except argparse.ArgumentTypeError as e:
        parser.error(str(e))

    from evidence.catalog import load_catalog, load_profile  # noqa: PLC0415 - keep --help instant
    from evidence.collectors import collect  # noqa: PLC0415
    from evidence.evaluate import CHECKS, evaluate  # noqa: PLC0415
    from evidence.render import Format, write_package  # noqa: PLC0415

    show = _progress(quiet=args.quiet)
    profile = load_profile(args.profile)
    catalogs = [load_catalog(name, CHECKS) for name in profile.catalogs]
    show(f"collecting evidence from {len(args.inputs)} input(s)")
    collected = collect(args.inputs, image_digest=image.digest)
    show(f"evaluating {sum(len(c.controls) for c in catalogs)} controls against {len(collected.items)} file(s)")
    pkg = evaluate(catalogs, profile, collected, image=image, now=now)
    written = write_package(pkg, args.out, list(Format), progress=show)
    if not args.quiet:
        print(_summary(pkg, args.out, written))
    failing = [c for c in pkg.controls if c.status in fail_on]
    return ExitCode.CONTROLS_NOT_SATISFIED if failing else ExitCode.OK


def _progress(*, quiet: bool) -> Callable[[str], None]:
    if quiet or not sys.stderr.isatty():
        return lambda _message: None

    def show(message: str) -> None:
        print(f"fromline: {message}…", file=sys.stderr, flush=True)

    return show


def _summary(pkg: AuditPackage, out: Path, written: list[Path]) -> str:
    statuses = Counter(c.status for c in pkg.controls)
    controls = ", ".join(f"{statuses[s]} {s.value.replace('-', ' ')}" for s in Status if statuses[s])
    open_vulns = [v for v in pkg.vulnerabilities if v.state == "open"]
    by_severity = Counter(v.severity for v in open_vulns)
    severities = ", ".join(f"{n} {s}" for s, n in sorted(by_severity.items(), key=lambda i: -i[0].rank))
    suppressed = len(pkg.vulnerabilities) - len(open_vulns)
    mismatched = sum(1 for e in pkg.evidence if e.binding is Binding.MISMATCH)
    lines = [
        f"Audit package for {pkg.subject.reference}"
        + (f" (release {pkg.subject.release})" if pkg.subject.release else "")
        + f" written to {out}",
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
