"""The original risk rating of a vulnerability, as FedRAMP defines it, decided once here for every renderer.

FedRAMP (Rev5 vulnerability scanning requirements; POA&M "Original Risk Rating") takes the CVSSv3 base score NVD
gives, else NVD's CVSSv2 base score, else the scanner's own rating. Distribution trackers' severities, which
Trivy reports first for OS packages, are vendor ratings: the scanner's rating is only the last resort. The CVSS
entries come from the scans themselves (Trivy's `CVSS.nvd`, Grype's `nvd:cpe` and related NVD records, Snyk's
`NVD` assigner, CycloneDX ratings whose source is NVD); collection has already dropped scores outside 0-10 and
vectors that do not parse (`collectors.cvss`). A vector without a score is scored with the `cvss` library (Red
Hat Product Security's implementation of the FIRST specifications). Scores map to words by each version's own
scale: v3 9.0-10.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low, 0.0 none; v2 (NVD's scale, which has
no critical) 7.0-10.0 high, 4.0-6.9 medium, 0.0-3.9 low.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from cvss import CVSS2, CVSS3, CVSSError

from evidence.model import Cvss, RatingSource, Severity

__all__ = ["Rating", "is_nvd", "rate", "v2_severity", "v3_severity"]

# How scanners name NVD as a CVSS source: Trivy `nvd`, Grype `nvd@nist.gov` or its `nvd:cpe` namespace, Snyk `NVD`.
_NVD_NAMES = frozenset({"nvd", "nvd@nist.gov", "national vulnerability database"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Rating:
    severity: Severity
    source: RatingSource
    cvss: Cvss | None = None  # the entry rated by, its score filled in when computed from the vector
    computed: bool = False
    problems: tuple[str, ...] = ()  # NVD vectors the library refused, so not used


def is_nvd(source: str) -> bool:
    name = source.strip().lower()
    return name in _NVD_NAMES or name.startswith("nvd:")


def v3_severity(score: float) -> Severity:
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW if score > 0.0 else Severity.NEGLIGIBLE


def v2_severity(score: float) -> Severity:
    if score >= 7.0:
        return Severity.HIGH
    return Severity.MEDIUM if score >= 4.0 else Severity.LOW


def _major(entry: Cvss) -> str | None:
    vector = (entry.vector or "").strip().strip("()")
    if vector.startswith("CVSS:"):
        return vector[5:6]
    return (entry.version or "")[:1] or ("2" if vector else None)


def _computed(entry: Cvss, major: str) -> float:
    """The base score of the entry's vector; raises `CVSSError` (or `ValueError`) when the library refuses it."""
    vector = (entry.vector or "").strip().strip("()")
    if major == "3":
        if not vector.startswith("CVSS:"):  # CycloneDX gives v3 vectors without their prefix, the method says 3.x
            vector = f"CVSS:{entry.version or '3.1'}/{vector}"
        return float(CVSS3(vector).base_score)
    return float(CVSS2(vector.removeprefix("CVSS:2.0/")).base_score)  # the library reads v2 without a prefix


def _scored(entries: Iterable[Cvss], major: str) -> tuple[list[tuple[float, bool, Cvss]], list[str]]:
    """(score, computed, entry) of each usable NVD entry of a major version, and the vectors that were refused."""
    scored: list[tuple[float, bool, Cvss]] = []
    problems: list[str] = []
    for entry in entries:
        if not is_nvd(entry.source) or _major(entry) != major:
            continue
        if entry.score is not None:
            scored.append((entry.score, False, entry))
            continue
        try:
            score = _computed(entry, major)
        except (CVSSError, ValueError) as e:
            problems.append(f"CVSS vector {entry.vector!r} from {entry.source} cannot be scored ({e}): not used")
            continue
        scored.append((score, True, dataclasses.replace(entry, score=score)))
    return scored, problems


def rate(cvss: Iterable[Cvss], scanner_severity: Severity) -> Rating:
    """The original risk rating: NVD's CVSSv3, else NVD's CVSSv2, else the scanner's severity.

    Where the scanners carry several NVD scores of one version (their databases differ in age), the highest
    counts: the rating must not be lowered by a stale copy. A given score is preferred to one computed from a
    vector of the same score.
    """
    entries = sorted(set(cvss), key=lambda c: (c.source, c.version or "", c.vector or "", c.score or 0.0))
    problems: list[str] = []
    for major, source, scale in (
        ("3", RatingSource.NVD_CVSS3, v3_severity),
        ("2", RatingSource.NVD_CVSS2, v2_severity),
    ):
        scored, refused = _scored(entries, major)
        problems += refused
        if scored:
            score, computed, entry = max(scored, key=lambda s: (s[0], not s[1]))
            return Rating(severity=scale(score), source=source, cvss=entry, computed=computed, problems=tuple(problems))
    return Rating(severity=scanner_severity, source=RatingSource.SCANNER, problems=tuple(problems))
