"""Option parsing shared by the commands: image references, timestamps, exit codes, progress."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from evidence.visible import visible

if TYPE_CHECKING:
    from evidence.model import ImageRef

# The exit codes of a command stopped from outside, the same for every command.
STOPPED_HELP = (
    "  130  interrupted (Ctrl-C, SIGINT): partial output is removed; one line on stderr\n"
    "  141  standard output was closed early by its reader (as by `| head`); the command stops, silently\n"
    "  143  terminated (SIGTERM, as a CI timeout sends): partial output is removed; one line on stderr"
)


REGISTRY_HELP = (
    "  5  registry (pull, --pull, pull: true): unreachable, refused access, lacks the digest, or\n"
    "     answered with something else than was asked\n"
)


def exit_codes(one: str | None, *, registry: bool = False) -> str:
    """The exit codes a command's --help lists; `one` says what 1 means, for the commands that return it;
    `registry` adds 5, for the commands that can read from a registry."""
    one = f"  1  {one}\n" if one else ""
    return (
        "exit codes:\n  0  done\n" + one + "  2  usage error\n"
        "  3  bad input: an evidence file, catalog or profile that cannot be used\n"
        "  4  render or output failure: the package could not be written; or a broken\n"
        "     installation (a bundled catalog, profile or template is missing)\n"
        + (REGISTRY_HELP if registry else "")
        + f"{STOPPED_HELP}\n"
    )


EXIT_CODES = exit_codes("controls not satisfied (only when --fail-on asks for it)", registry=True)  # package
PLAIN_EXIT_CODES = exit_codes(None)  # commands that never return 1
TOP_EXIT_CODES = exit_codes(
    "package --fail-on: controls not satisfied; diff --fail-on: a condition holds; verify: the package does\n"
    "     not verify",
    registry=True,
)

# Where a command writes one file, or reads evidence, this name means standard output or standard input.
STANDARD_STREAM = "-"


class UsageError(Exception):
    """A command line that cannot be run: `main` prints the usage and the message, and returns exit code 2."""

    def __init__(self, prog: str, usage: str, message: str) -> None:
        self.prog = prog
        self.usage = usage
        self.message = message
        super().__init__(f"{prog}: error: {message}")


class Parser(argparse.ArgumentParser):
    """argparse whose errors, from parsing or from a command's own checks, end as exit code 2 returned by `main`."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.prog, self.format_usage(), message)


def output_file(text: str) -> Path | None:
    """An `--output` value: `-` is standard output (None); `./-` is a file named `-`."""
    return None if text == STANDARD_STREAM else Path(text)


def output_directory(text: str) -> Path:
    """An `--out` value: a package is a directory, so `-` (standard output) is refused; `./-` is a folder named `-`."""
    if text == STANDARD_STREAM:
        raise argparse.ArgumentTypeError("--out names the package directory; a package cannot go to standard output")
    return Path(text)


def parse_image(text: str, release: str | None = None) -> ImageRef:
    from evidence.model import ImageRef  # noqa: PLC0415 - the model is not needed for --help

    try:
        return ImageRef.parse(text, release)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--image must be REF@sha256:<64 hex digits>, got {text!r}") from None


# The years an assessment time may name: deadlines counted from it stay far inside the calendar (year 9999).
TIMESTAMP_YEARS = range(1900, 3000)


def parse_timestamp(text: str | None) -> datetime:
    """`--timestamp`, else SOURCE_DATE_EPOCH, else now; always UTC, in the years 1900 to 2999."""
    first, last = TIMESTAMP_YEARS[0], TIMESTAMP_YEARS[-1]
    if text:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"--timestamp is not an ISO 8601 time: {text!r}") from e
        if moment.year not in TIMESTAMP_YEARS:
            raise argparse.ArgumentTypeError(f"--timestamp must be in the years {first} to {last}: {text!r}")
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        if not epoch.isdigit():
            raise argparse.ArgumentTypeError(f"SOURCE_DATE_EPOCH is not a whole number of seconds: {epoch!r}")
        if int(epoch) >= datetime(last + 1, 1, 1, tzinfo=UTC).timestamp():
            raise argparse.ArgumentTypeError(f"SOURCE_DATE_EPOCH must be before the year {last + 1}: {epoch!r}")
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


_LIVE: list[Any] = []  # the progress line on the terminal, while one is shown


def progress(*, quiet: bool) -> Callable[[str], None]:
    """What the run is doing, on one line of stderr that each message replaces (rich's spinner and text), when
    stderr is a terminal: the stage, the file being read, the images assessed. Silent otherwise, or with --quiet.
    The line is removed by `stop_progress`, which a command calls before it prints its result."""
    if quiet or not sys.stderr.isatty():
        return lambda _message: None
    from rich.console import Console  # noqa: PLC0415 - only on a terminal
    from rich.live import Live  # noqa: PLC0415
    from rich.spinner import Spinner  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    spinner = Spinner("dots")

    def show(message: str) -> None:
        spinner.update(text=Text(f"fromline: {visible(message)}"))  # Text: nothing in it read as markup
        if not _LIVE:
            # Nothing else is redirected: standard output stays what it is (a pipe, a file), never the terminal's.
            live = Live(
                spinner, console=Console(stderr=True), transient=True, redirect_stdout=False, redirect_stderr=False
            )
            live.start()
            _LIVE.append(live)

    return show


def stop_progress() -> None:
    """Remove the progress line, if one is shown: before a command prints, and when it ends."""
    while _LIVE:
        _LIVE.pop().stop()


def terminal_lines(lines: Iterable[str]) -> str:
    """Lines for a terminal: each is one line, whatever input text it holds (see `evidence.visible`)."""
    return "\n".join(visible(line) for line in lines)


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    parser.add_argument("--verbose", "-v", action="store_true", help="show tracebacks of errors")


def parse_format_list(text: str | None, names: tuple[str, ...], groups: Mapping[str, tuple[str, ...]]) -> list[str]:
    """A `--formats` value: names and group names, comma-separated, in the order given without repeats; all of
    `names` when not given. `ArgumentTypeError` naming the unknown ones."""
    if text is None:
        return list(names)
    wanted: list[str] = []
    for word in (w.strip() for w in text.split(",")):
        if not word:
            continue
        expanded = groups.get(word, (word,))
        unknown = [n for n in expanded if n not in names]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"--formats takes {', '.join(names)}, or {' or '.join(groups)}; unknown: {', '.join(unknown)}"
            )
        wanted += [n for n in expanded if n not in wanted]
    return wanted
