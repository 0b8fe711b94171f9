"""Option parsing shared by the commands: image references, timestamps, exit codes, progress."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from evidence.errors import ExitCode
from evidence.model import ImageRef

EXIT_CODES = """\
exit codes:
  0  done
  1  controls not satisfied (only when --fail-on asks for it)
  2  usage error
  3  bad input: an evidence file, catalog or profile that cannot be used
  4  render or output failure: the package could not be written
"""


class Parser(argparse.ArgumentParser):
    """argparse, with the documented usage exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}\n")


def parse_image(text: str, release: str | None = None) -> ImageRef:
    try:
        return ImageRef.parse(text, release)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--image must be REF@sha256:<64 hex digits>, got {text!r}") from None


def parse_timestamp(text: str | None) -> datetime:
    """`--timestamp`, else SOURCE_DATE_EPOCH, else now; always UTC."""
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


def progress(*, quiet: bool) -> Callable[[str], None]:
    """Stage messages on stderr when it is a terminal; silent otherwise or with --quiet."""
    if quiet or not sys.stderr.isatty():
        return lambda _message: None

    def show(message: str) -> None:
        print(f"fromline: {message}…", file=sys.stderr, flush=True)

    return show


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    parser.add_argument("--verbose", "-v", action="store_true", help="show tracebacks of errors")
