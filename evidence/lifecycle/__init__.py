"""The vulnerability lifecycle: KEV and EPSS, deviations, patch SLAs, attribution, carry-forward between releases.

Everything here is pure: readers take the paths or bytes they are given, and nothing is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass

from evidence.lifecycle.carry import carry_forward
from evidence.lifecycle.epss import EpssScores, read_epss
from evidence.lifecycle.kev import KevCatalog, read_kev
from evidence.model import AuditPackage, Deviation

__all__ = ["EpssScores", "KevCatalog", "LifecycleInputs", "carry_forward", "read_epss", "read_kev"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LifecycleInputs:
    """What the user gave beside the evidence: --kev, --epss, --deviations, --previous."""

    kev: KevCatalog | None = None
    epss: EpssScores | None = None
    deviations: tuple[Deviation, ...] = ()
    previous: AuditPackage | None = None
