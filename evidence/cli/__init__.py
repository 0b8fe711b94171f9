"""The `fromline` command. Only this package prints or chooses an exit code.

Each command is a module with `register(commands)`, which adds its subparser and sets `run`; `main`
parses, dispatches, and turns every `EvidenceError` into one line on stderr and its exit code, every usage
error into exit code 2, a standard output closed by its reader into a quiet exit, and SIGINT (Ctrl-C) or
SIGTERM into one line and exit code 130 or 143, after the writers have removed their partial output.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from evidence import __version__
from evidence.cli import (
    bases,
    boundary,
    completion,
    controls,
    diff,
    inspect,
    package,
    policy,
    pull,
    sign,
    verify,
    version,
)
from evidence.cli.options import TOP_EXIT_CODES, Parser, UsageError, stop_progress
from evidence.cli.settings import apply_settings, config_path
from evidence.errors import EvidenceError, ExitCode
from evidence.visible import visible

if TYPE_CHECKING:
    from types import FrameType, ModuleType

COMMANDS: tuple[ModuleType, ...] = (
    package,
    boundary,
    pull,
    bases,
    policy,
    inspect,
    controls,
    diff,
    sign,
    verify,
    version,
    completion,
)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="fromline",
        description="Turn the security evidence of a container image into an audit package.",
        epilog=TOP_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fromline {__version__}")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="settings a CI gives every time (profile, policy, keys, ...); default $FROMLINE_CONFIG, else "
        "./fromline.yaml; a flag wins over a FROMLINE_* environment variable, which wins over the file",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.register(commands)
    return parser


# Their --key is the package's signing key (a private one for `sign`), not a key that signs evidence: settings
# for the evidence do not apply to them.
UNSETTLED = frozenset({"sign", "verify"})


STOPPED_BY = {signal.SIGINT: ("interrupted", ExitCode.INTERRUPTED), signal.SIGTERM: ("terminated", ExitCode.TERMINATED)}


class Stopped(BaseException):
    """A signal ended the run.

    Not an `Exception`, so that no handler takes it for an error; every `finally` and `with` on the way up runs,
    and removes what the run had half written.
    """

    def __init__(self, signum: int) -> None:
        self.word, self.exit_code = STOPPED_BY[signal.Signals(signum)]
        super().__init__(self.word)


def _stop(signum: int, _frame: FrameType | None) -> None:
    for stopping in STOPPED_BY:  # a second signal must not interrupt the clean-up of the first
        signal.signal(stopping, signal.SIG_IGN)
    raise Stopped(signum)


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise `Stopped` while a command runs; the handlers before are back afterwards.

    A signal ignored when the command starts (SIGINT in a shell's background job, `nohup`) stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():  # only the main thread can take signals
        yield
        return
    before = {signum: signal.getsignal(signum) for signum in STOPPED_BY}
    before = {signum: handler for signum, handler in before.items() if handler not in (signal.SIG_IGN, None)}
    for signum in before:
        signal.signal(signum, _stop)
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit code is returned, never raised (`--help` and `--version` return 0)."""
    try:
        with _stopped_by_signals():
            code = _run(argv)
            sys.stdout.flush()  # inside the try: a closed pipe shows here, not at interpreter exit
    except (Stopped, KeyboardInterrupt) as stop:  # KeyboardInterrupt: Ctrl-C where `_stop` is not the handler
        stopped = stop if isinstance(stop, Stopped) else Stopped(signal.SIGINT)
        print(f"fromline: {stopped.word}", file=sys.stderr)
        return stopped.exit_code
    except BrokenPipeError:
        # The reader of standard output stopped (`fromline controls list | head -1`): stop quietly, as other
        # command-line tools do. Standard output points to the null device from here on, so that Python's own
        # flush at exit does not fail again and print "Exception ignored".
        _discard_standard_output()
        return ExitCode.PIPE_CLOSED
    return code


def _run(argv: list[str] | None) -> int:
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # a shell asks for completions: answer and exit (argcomplete loads only here)
        completion.complete(parser)
    try:
        config, words = config_path(list(sys.argv[1:] if argv is None else argv))
    except EvidenceError as e:
        print(_error_text(e), file=sys.stderr)
        return e.exit_code
    try:
        args = parser.parse_args(words)
    except SystemExit as stop:  # --help and --version print, then argparse exits 0; usage errors raise UsageError
        return stop.code if isinstance(stop.code, int) else ExitCode.OK
    except UsageError as e:
        return _usage_error(e)
    try:
        if args.command not in UNSETTLED:
            apply_settings(args, words, config)
        try:
            code: int = args.run(args, parser)
        finally:
            stop_progress()
    except UsageError as e:
        return _usage_error(e)
    except EvidenceError as e:
        if getattr(args, "verbose", False):
            raise
        print(_error_text(e), file=sys.stderr)
        return e.exit_code
    return code


def _error_text(error: EvidenceError) -> str:
    """`fromline: error: ...` on one line; a file's several problems each on a line of its own after it. Every
    line is escaped on its own (`visible`), so no text of an input can start a line."""
    if not error.problem_lines:
        return f"fromline: error: {visible(error.diagnostics())}"
    return "\n".join([f"fromline: error: {visible(error.headline)}", *(visible(p) for p in error.problem_lines)])


def _usage_error(error: UsageError) -> int:
    print(error.usage, end="", file=sys.stderr)
    print(f"{error.prog}: error: {visible(error.message)}", file=sys.stderr)
    return ExitCode.USAGE


def _discard_standard_output() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        with contextlib.suppress(OSError, ValueError):  # a standard output without a descriptor (replaced)
            os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
