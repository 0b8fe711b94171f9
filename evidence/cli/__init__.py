"""The `fromline` command. Only this package prints or chooses an exit code.

Each command is a module with `register(commands)`, which adds its subparser and sets `run`; `main`
parses, dispatches, and turns every `EvidenceError` into one line on stderr and its exit code.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import TYPE_CHECKING

from evidence import __version__
from evidence.cli import controls, diff, inspect, package, sign, verify
from evidence.cli.options import EXIT_CODES, Parser
from evidence.errors import EvidenceError

if TYPE_CHECKING:
    from types import ModuleType

COMMANDS: tuple[ModuleType, ...] = (package, inspect, controls, diff, sign, verify)

# File names and problems can come from input files: control characters (a newline would forge a second
# message), bidirectional overrides and lone surrogates are shown escaped, so an error stays one honest line.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ud800-\udfff]")


def one_line(message: str) -> str:
    """The message with every unprintable or direction-changing character as a visible escape (`\\n`, `\\u202e`)."""
    return _UNPRINTABLE.sub(lambda m: m[0].encode("unicode_escape", "backslashreplace").decode("ascii"), message)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="fromline",
        description="Turn the security evidence of a container image into an audit package.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fromline {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args, parser)
    except EvidenceError as e:
        if getattr(args, "verbose", False):
            raise
        print(f"fromline: error: {one_line(e.diagnostics())}", file=sys.stderr)
        return e.exit_code
    return code
