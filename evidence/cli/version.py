"""`fromline version`: this tool's version, the Python running it, and the versions of the libraries it rests on."""

from __future__ import annotations

import argparse
import platform
from typing import Any

from evidence import __version__
from evidence.cli.options import PLAIN_EXIT_CODES
from evidence.errors import ExitCode

# The libraries whose version changes what a package says or how it looks: verification, PDF, workbooks,
# the model, templates, crypto. Read from the installed distributions' metadata; none of them is imported.
KEY_DEPENDENCIES = ("sigstore", "typst", "xlsxwriter", "pydantic", "jinja2", "cryptography")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "version",
        help="show the versions of fromline, Python and the key libraries",
        description="The version of fromline, of the Python that runs it, and of the libraries that decide what a "
        "package holds and how it looks (" + ", ".join(KEY_DEPENDENCIES) + "). Worth attaching to a bug report.",
        epilog=PLAIN_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def versions() -> dict[str, Any]:
    """`{"fromline": ..., "python": ..., "python_implementation": ..., "dependencies": {name: version or None}}`."""
    return {
        "fromline": __version__,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "dependencies": {name: _installed(name) for name in KEY_DEPENDENCIES},
    }


def _installed(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError  # noqa: PLC0415 - slow to import, and --help needs none
    from importlib.metadata import version as installed_version  # noqa: PLC0415

    try:
        return installed_version(name)
    except PackageNotFoundError:
        return None


def run(args: argparse.Namespace, _parser: argparse.ArgumentParser) -> int:
    import orjson  # noqa: PLC0415 - keep --help instant

    found = versions()
    if args.json:
        print(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode())
        return ExitCode.OK
    lines = [f"fromline {found['fromline']}", f"python {found['python']} ({found['python_implementation']})"]
    width = max(len(name) for name in KEY_DEPENDENCIES)
    lines += [f"  {name:<{width}}  {shown or 'not installed'}" for name, shown in found["dependencies"].items()]
    print("\n".join(lines))
    return ExitCode.OK
