"""The vulnerability lifecycle: KEV and EPSS, deviations, patch SLAs, attribution, carry-forward between releases.

Everything here is pure: readers take the paths or bytes they are given, and nothing is fetched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from evidence.errors import InputError
from evidence.lifecycle.carry import carry_forward
from evidence.lifecycle.deviations import parse_deviations
from evidence.lifecycle.epss import EpssScores, parse_epss_bytes, read_epss
from evidence.lifecycle.kev import KevCatalog, parse_kev, read_kev
from evidence.model import AuditPackage, Deviation, LifecycleInput, LifecycleInputKind

__all__ = [
    "LIFECYCLE_DIR",
    "EpssScores",
    "KevCatalog",
    "LifecycleInputs",
    "carry_forward",
    "read_epss",
    "read_kev",
    "read_lifecycle_files",
]

LIFECYCLE_DIR = "lifecycle"  # where the package keeps its copies of the KEV, EPSS and deviations files


@dataclass(frozen=True, slots=True, kw_only=True)
class LifecycleInputs:
    """What the user gave beside the evidence: --kev, --epss, --deviations, --previous."""

    kev: KevCatalog | None = None
    epss: EpssScores | None = None
    deviations: tuple[Deviation, ...] = ()
    previous: AuditPackage | None = None
    sources: tuple[LifecycleInput, ...] = ()  # the files these came from, when read from files
    contents: Mapping[str, bytes] = field(default_factory=dict, repr=False)  # sha256 -> the bytes of each source


def read_lifecycle_files(
    *,
    kev: Path | None = None,
    epss: Path | None = None,
    deviations: Path | None = None,
    wanted: Iterable[str] | None = None,
    previous: AuditPackage | None = None,
) -> LifecycleInputs:
    """Each file read once: its bytes parsed, hashed and kept for the package's copy (`lifecycle/`).
    EPSS keeps the scores of the `wanted` vulnerabilities only."""
    sources: list[LifecycleInput] = []
    contents: dict[str, bytes] = {}

    def keep(kind: LifecycleInputKind, path: Path, data: bytes, name: str, **facts: str | None) -> None:
        digest = hashlib.sha256(data).hexdigest()
        stored = f"{LIFECYCLE_DIR}/{name}"
        sources.append(
            LifecycleInput(kind=kind, path=str(path), sha256=digest, size=len(data), stored_as=stored, **facts)
        )
        contents[digest] = data

    catalog = scores = None
    requests: tuple[Deviation, ...] = ()
    if kev is not None:
        data = _read(kev)
        catalog = parse_kev(data, str(kev))
        released = catalog.released.isoformat() if catalog.released else None
        keep(LifecycleInputKind.KEV, kev, data, "kev.json", version=catalog.version, released=released)
    if epss is not None:
        data = _read(epss)
        scores = parse_epss_bytes(data, str(epss), wanted)
        name = "epss.csv.gz" if data[:2] == b"\x1f\x8b" else "epss.csv"
        keep(LifecycleInputKind.EPSS, epss, data, name, version=scores.model_version, released=scores.score_date)
    if deviations is not None:
        data = _read(deviations)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(deviations, f"not UTF-8 text: {e}") from e
        requests = parse_deviations(text, str(deviations))
        keep(LifecycleInputKind.DEVIATIONS, deviations, data, "deviations.yaml")
    return LifecycleInputs(
        kev=catalog,
        epss=scores,
        deviations=requests,
        previous=previous,
        sources=tuple(sources),
        contents=contents,
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise InputError(path, f"cannot be read: {e.strerror}") from e
