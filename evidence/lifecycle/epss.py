"""FIRST's EPSS scores, from the daily CSV FIRST publishes (plain or gzip), read line by line.

The file starts with a comment line `#model_version:<version>,score_date:<time>`, then the header
`cve,epss,percentile`, then one row per CVE. Only the CVEs asked for are kept, so the full feed
(a quarter of a million rows) never sits in memory.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from evidence.errors import InputError

HEADER = ("cve", "epss", "percentile")
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class EpssScore:
    epss: float  # probability of exploitation in the next 30 days, 0..1
    percentile: float  # 0..1


@dataclass(frozen=True, slots=True, kw_only=True)
class EpssScores:
    source: str
    model_version: str | None = None
    score_date: str | None = None
    scores: dict[str, EpssScore] = field(default_factory=dict)  # CVE id (upper case) -> score

    def get(self, ids: Iterable[str]) -> EpssScore | None:
        """The highest score among these ids (a record may carry more than one CVE)."""
        found = [self.scores[i.upper()] for i in ids if i.upper() in self.scores]
        return max(found, key=lambda s: s.epss) if found else None


def read_epss(path: Path, wanted: Iterable[str] | None = None) -> EpssScores:
    """Scores for the `wanted` CVE ids (all of them when None)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(path, f"cannot be read: {e.strerror or e}") from e
    return parse_epss_bytes(data, str(path), wanted)


def parse_epss_bytes(data: bytes, source: str, wanted: Iterable[str] | None = None) -> EpssScores:
    """The scores in a file's bytes, plain or gzip (the bytes are also what the package keeps a copy of)."""
    try:
        if data[:2] == _GZIP_MAGIC:
            with gzip.open(io.BytesIO(data), "rt", encoding="utf-8", newline="") as unzipped:
                return parse_epss(unzipped, source, wanted)
        with io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="") as text:
            return parse_epss(text, source, wanted)
    except OSError as e:  # a broken gzip stream (gzip.BadGzipFile)
        raise InputError(source, f"cannot be read: {e.strerror or e}") from e
    except (UnicodeDecodeError, EOFError) as e:
        raise InputError(source, f"not a FIRST EPSS CSV: {e}") from e


def parse_epss(lines: Iterable[str], source: str, wanted: Iterable[str] | None = None) -> EpssScores:
    keep = {w.upper() for w in wanted} if wanted is not None else None
    rows = _numbered(lines)
    model_version = score_date = None
    number, line = next(rows, (0, ""))
    if line.startswith("#"):
        meta = dict(part.split(":", 1) for part in line[1:].split(",") if ":" in part)
        model_version = meta.get("model_version", "").strip() or None
        score_date = meta.get("score_date", "").strip() or None
        number, line = next(rows, (0, ""))
    header = tuple(cell.strip().lower() for cell in line.split(","))
    if header[:3] != HEADER:
        where = f"line {number}" if number else "the file"
        raise InputError(source, f"not a FIRST EPSS CSV: {where} is not the header cve,epss,percentile")
    scores: dict[str, EpssScore] = {}
    for number, line in rows:
        cells = line.split(",")
        if len(cells) < 3:
            raise InputError(source, f"line {number}: expected cve,epss,percentile, found {line[:80]!r}")
        cve = cells[0].strip().upper()
        if keep is not None and cve not in keep:
            continue
        try:
            epss, percentile = float(cells[1]), float(cells[2])
        except ValueError:
            raise InputError(source, f"line {number}: epss and percentile must be numbers") from None
        if not (0.0 <= epss <= 1.0 and 0.0 <= percentile <= 1.0):
            raise InputError(source, f"line {number}: epss and percentile must be between 0 and 1")
        scores[cve] = EpssScore(epss=epss, percentile=percentile)
    return EpssScores(source=source, model_version=model_version, score_date=score_date, scores=scores)


def _numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers, line ends removed."""
    for number, line in enumerate(lines, start=1):
        text = line.rstrip("\r\n")
        if text.strip():
            yield number, text
