"""One error root for everything a user can cause, and the documented exit codes."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Exit codes of the `fromline` command, documented in `--help` and the README."""

    OK = 0
    CONTROLS_NOT_SATISFIED = 1
    USAGE = 2
    BAD_INPUT = 3
    OUTPUT_FAILURE = 4
    REGISTRY = 5  # fromline pull, package --pull: the registry could not give what was asked
    INTERRUPTED = 130  # Ctrl-C (SIGINT, 128 + 2): the run stops, its partial output removed
    PIPE_CLOSED = 141  # what a shell reports for a command ended by SIGPIPE (128 + 13), as `| head` does
    TERMINATED = 143  # SIGTERM (128 + 15), what a CI timeout sends: as for Ctrl-C


class EvidenceError(Exception):
    """Root of every error the user can fix; `cli.main` catches it in one place."""

    exit_code: ExitCode = ExitCode.BAD_INPUT
    # A file with several problems (a catalog, a boundary file): the first line, and each problem, which the
    # command line prints on lines of their own. Empty: `diagnostics()` is the one line.
    headline: str = ""
    problem_lines: tuple[str, ...] = ()

    def diagnostics(self) -> str:
        """Return the one-line message shown to the user."""
        return str(self)


class InputError(EvidenceError):
    """An evidence file that cannot be used: names the file and the problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        # The path as the command line named it (`/dev/zero`, `scans/a/trivy.json`), where `path` is the name the
        # package shows (`zero`, `trivy.json`): the message on the terminal names the file the user can find.
        self.given: str | None = None
        super().__init__(f"{self.path}: {problem}")

    def diagnostics(self) -> str:
        return f"{self.given or self.path}: {self.problem}"

    def as_given(self, given: str) -> InputError:
        """This error, naming the file by the path given on the command line; returned for `raise`."""
        if given and given != self.path:
            self.given = given
        return self


class BindError(InputError):
    """A `--bind` path that names no evidence file read, or a file that names other image digests."""

    exit_code = ExitCode.USAGE


class CatalogError(EvidenceError):
    """A control catalog or profile that is not valid."""


class RegistryError(EvidenceError):
    """The registry could not be reached, refused access, lacks what was asked, or answered with something else."""

    exit_code = ExitCode.REGISTRY


class RenderError(EvidenceError):
    """A renderer or the package writer could not produce its output."""

    exit_code = ExitCode.OUTPUT_FAILURE
