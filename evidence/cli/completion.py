"""`fromline completion SHELL`: the shell code that gives `fromline` tab completion in bash, zsh or fish.

The code comes from argcomplete: the shell calls `fromline` back with `_ARGCOMPLETE` set, and `complete`
answers from the same argparse parser the command runs with, so completions never drift from the options.
"""

from __future__ import annotations

import argparse
from typing import Any

from evidence.cli.options import PLAIN_EXIT_CODES
from evidence.errors import ExitCode

SHELLS = ("bash", "zsh", "fish")
PROGRAM = "fromline"

INSTALL_HELP = """\
install:
  bash  fromline completion bash > ~/.local/share/bash-completion/completions/fromline
  zsh   fromline completion zsh > "${fpath[1]}/_fromline"   (or: eval "$(fromline completion zsh)" in ~/.zshrc)
  fish  fromline completion fish > ~/.config/fish/completions/fromline.fish
"""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "completion",
        help="print the shell code for tab completion (bash, zsh, fish)",
        description="Print the code that makes your shell complete fromline's commands, options and files. "
        "Load it once per session with eval, or install it where your shell looks for completions.",
        epilog=f"{INSTALL_HELP}\n{PLAIN_EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("shell", choices=SHELLS, metavar="SHELL", help=f"one of {', '.join(SHELLS)}")
    parser.set_defaults(run=run)


def shell_code(shell: str) -> str:
    from argcomplete.shell_integration import shellcode  # noqa: PLC0415 - only this command needs it

    return shellcode([PROGRAM], shell=shell)


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer a completion request from the shell code (`_ARGCOMPLETE` is set) and end the process."""
    import argcomplete  # noqa: PLC0415

    argcomplete.autocomplete(parser)


def run(args: argparse.Namespace, _parser: argparse.ArgumentParser) -> int:
    print(shell_code(args.shell), end="")
    return ExitCode.OK
