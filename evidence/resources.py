"""The files that ship inside the package: control catalogs, profiles, the FIPS module table, report templates.

They are read through `importlib.resources`, so an installed wheel finds them from any directory. A packaged
file that is missing means a broken installation, never bad input: `ResourceError` exits 4.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from evidence.errors import EvidenceError, ExitCode

__all__ = ["CONTROLS", "PROFILES", "TEMPLATES", "ResourceError", "packaged_file", "packaged_names"]

CONTROLS = "controls"
PROFILES = "controls/profiles"
TEMPLATES = "templates"


class ResourceError(EvidenceError):
    """A file that should ship with Fromline is missing: the installation is broken."""

    exit_code = ExitCode.OUTPUT_FAILURE

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is missing from the installed fromline package; reinstall fromline")


def _folder(folder: str) -> Traversable:
    return resources.files("evidence").joinpath(*folder.split("/"))


def packaged_file(folder: str, name: str) -> Traversable:
    """One packaged file; `ResourceError` when it is not there."""
    file = _folder(folder).joinpath(name)
    if not file.is_file():
        raise ResourceError(f"{folder}/{name}")
    return file


def packaged_names(folder: str, suffix: str) -> list[str]:
    """The stems of the packaged files of `folder` ending in `suffix`, sorted; never empty."""
    directory = _folder(folder)
    if not directory.is_dir():
        raise ResourceError(f"{folder}/")
    names = sorted(p.name.removesuffix(suffix) for p in directory.iterdir() if p.name.endswith(suffix) and p.is_file())
    if not names:
        raise ResourceError(f"{folder}/*{suffix}")
    return names
