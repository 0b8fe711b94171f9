"""The candidates of `fromline bases`, as given, and each one's assessment.

A candidate is given as:
- a candidates file (YAML; `version: 1`, `candidates:` a list of `name`, `image` (`NAME@sha256:...`),
  `kind` (a free description: distro, distroless...), `evidence` (folders or files) or `package` (a package
  folder), `history` (earlier digests' evidence folders or
  packages, oldest first), `sla_days` (the vendor's stated SLA: `critical`, `high`, ... in days) and `keys`;
  paths relative to the file);
- a package folder (`fromline package` wrote it: its audit.json is read, its stated SLA unknown);
- an evidence folder, whose image is the digest its files name most often (its name from the image config's
  repository digests, else the folder's name);
- with `--pull`, an image reference: by digest, or by tag (resolved to the digest the registry serves now, and
  then excluded by the pulled-by-tag gate).
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence.bases import RUBRIC_CATALOG, Candidate, CandidateResult, Workload, rank, score_candidate
from evidence.errors import InputError

if TYPE_CHECKING:
    from evidence.model import AuditPackage
    from evidence.registry import PullOptions

__all__ = ["Assessment", "assess_candidates", "read_candidates"]

_CANDIDATE_KEYS = {"name", "image", "kind", "evidence", "package", "history", "sla_days", "keys", "key"}
_SEVERITIES = ("critical", "high", "medium", "low")


def read_candidates(specs: list[str], *, pull: bool) -> list[Candidate]:
    found: list[Candidate] = []
    for spec in specs:
        path = Path(spec)
        if path.suffix in (".yaml", ".yml") and path.is_file():
            found += _candidates_file(path)
        elif path.is_dir() and (path / "audit.json").is_file():
            found.append(Candidate(name=path.resolve().name, reference="", package=path))
        elif path.is_dir():
            found.append(_evidence_folder(path))
        elif pull and ("@" in spec or ":" in spec.rsplit("/", 1)[-1]):
            found.append(Candidate(name=spec.rsplit("/", 1)[-1].split("@")[0], reference=spec, by_tag="@" not in spec))
        else:
            raise InputError(
                spec, "is not a candidates file, a package, an evidence folder, or (with --pull) an image reference"
            )
    names = Counter(c.name for c in found)
    twice = sorted(n for n, count in names.items() if count > 1)
    if twice:
        raise InputError(specs[0], f"candidates named twice: {', '.join(twice)} (give earlier digests as `history`)")
    if not found:
        raise InputError("bases", "no candidate given")
    return found


def _candidates_file(path: Path) -> list[Candidate]:
    import yaml  # noqa: PLC0415

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as e:
        raise InputError(path, f"cannot be read as YAML: {e}") from e
    if (
        not isinstance(document, dict)
        or document.get("version") != 1
        or not isinstance(document.get("candidates"), list)
    ):
        raise InputError(path, "must be a mapping with `version: 1` and a `candidates` list")
    base = path.parent
    problems: list[str] = []
    found = []
    for number, entry in enumerate(document["candidates"], start=1):
        where = f"candidates[{number}]"
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("name"), str)
            or not isinstance(entry.get("image"), str)
        ):
            problems.append(f"{where}: needs `name` and `image` (NAME@sha256:...)")
            continue
        unknown = set(entry) - _CANDIDATE_KEYS
        if unknown:
            problems.append(f"{where}: unknown keys {', '.join(sorted(unknown))}")
        sla = entry.get("sla_days") or {}
        if not isinstance(sla, dict) or not all(
            k in _SEVERITIES and isinstance(v, int) and v >= 0 for k, v in sla.items()
        ):
            problems.append(f"{where}.sla_days: days (0 or more) by severity ({', '.join(_SEVERITIES)})")
            sla = {}
        paths = {
            key: _paths(base, entry.get(key), f"{where}.{key}", problems) for key in ("evidence", "history", "keys")
        }
        keys = paths["keys"] + _paths(base, entry.get("key"), f"{where}.key", problems)
        package = _paths(base, entry.get("package"), f"{where}.package", problems)
        if bool(paths["evidence"]) == bool(package):
            problems.append(f"{where}: give either `evidence` or `package`")
        found.append(
            Candidate(
                name=entry["name"],
                reference=entry["image"],
                evidence=paths["evidence"],
                package=package[0] if package else None,
                history=paths["history"],
                sla_days=dict(sla),
                keys=keys,
                kind=str(entry["kind"]) if entry.get("kind") is not None else None,
            )
        )
    if problems:
        raise InputError(path, "; ".join(problems))
    return found


def _paths(base: Path, value: object, where: str, problems: list[str]) -> tuple[Path, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if not isinstance(item, str):
            problems.append(f"{where}: paths must be strings")
            continue
        path = (base / item) if not Path(item).is_absolute() else Path(item)
        if not path.exists():
            problems.append(f"{where}: {item} does not exist")
        found.append(path)
    return tuple(found)


def _evidence_folder(path: Path) -> Candidate:
    """The image of an evidence folder: the digest its files name most often."""
    from evidence.collectors import collect  # noqa: PLC0415

    items = collect([path], keep_going=True).items
    named = Counter(d for e in items for d in set(e.subjects))
    if not named:
        raise InputError(path, "names no image digest; give it in a candidates file (`image: NAME@sha256:...`)")
    ranked = named.most_common(2)
    if len(ranked) == 2 and ranked[0][1] == ranked[1][1]:
        raise InputError(path, f"names {ranked[0][0]} and {ranked[1][0]} as often; give the image in a candidates file")
    digest = ranked[0][0]
    name = next(
        (r.split("@")[0] for e in items if e.image_config for r in e.image_config.repo_digests if r.endswith(digest)),
        path.resolve().name,
    )
    return Candidate(name=path.resolve().name, reference=f"{name}@{digest}", evidence=(path,))


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessment:
    workload: Workload
    results: list[CandidateResult]  # in rank order
    assessed_at: datetime
    weights: dict[str, float]


def assess_candidates(  # noqa: PLR0913 - the candidates, the workload, and how to assess them
    candidates: list[Candidate],
    workload: Workload,
    *,
    moment: datetime,
    verification: argparse.Namespace,
    pull: PullOptions | None,
    show: Callable[[str], None],
) -> Assessment:
    """Assess every candidate's digests and rank the candidates."""
    results = []
    with _pulled(candidates, moment, pull) as ready:
        for candidate in ready:
            show(f"assessing {candidate.name}")
            results.append(_score(candidate, workload, moment, verification))
    return Assessment(
        workload=workload, results=rank(results, workload), assessed_at=moment, weights=workload.weights()
    )


def _score(
    candidate: Candidate, workload: Workload, moment: datetime, verification: argparse.Namespace
) -> CandidateResult:
    """One candidate assessed in the compliance environment's profile, with the rubric and its stated SLA."""
    from evidence.catalog import Profile, load_profile  # noqa: PLC0415

    profile = load_profile(workload.profile)
    sla = candidate.sla_days.get("critical")
    rubric = profile.parameters.rubric.model_copy(update={"vendor_sla_days": sla, "base_image": True})
    adjusted = Profile(
        name=profile.name,
        title=profile.title,
        catalogs=tuple(dict.fromkeys([*profile.catalogs, RUBRIC_CATALOG])),
        parameters=profile.parameters.model_copy(update={"rubric": rubric}),
        strict=profile.strict,
    )

    def assessed(package: Path | None, evidence: tuple[Path, ...]) -> AuditPackage:
        return _assessed(candidate, package, evidence, profile=adjusted, moment=moment, verification=verification)

    latest = assessed(candidate.package, candidate.evidence)
    history = [assessed(p if (p / "audit.json").is_file() else None, (p,)) for p in candidate.history]
    return score_candidate(candidate, latest, history, workload, adjusted.parameters)


def _assessed(  # noqa: PLR0913 - the candidate, which of its digests, and how to assess it
    candidate: Candidate,
    package: Path | None,
    evidence: tuple[Path, ...],
    *,
    profile: Any,
    moment: datetime,
    verification: argparse.Namespace,
) -> AuditPackage:
    from evidence.cli.verification import verification_context  # noqa: PLC0415
    from evidence.pipeline import assess  # noqa: PLC0415
    from evidence.render.canonical import load_package  # noqa: PLC0415

    if package is not None:
        return load_package(package / "audit.json")
    reference = candidate.reference
    if evidence and evidence[0] not in candidate.evidence:  # an earlier digest: its own folder names its digest
        reference = _evidence_folder(evidence[0]).reference
    options = argparse.Namespace(**{**vars(verification), "key": [*verification.key, *candidate.keys]})
    return assess(
        evidence,
        image=reference,
        profile=profile,
        verification=verification_context(options, image=reference.split("@")[0]),
        now=moment,
        keep_going=True,
    )


@contextmanager
def _pulled(candidates: list[Candidate], moment: datetime, options: PullOptions | None) -> Iterator[list[Candidate]]:
    """The candidates, those given as an image reference pulled (a tag resolved to its digest first)."""
    if not any(not c.evidence and c.package is None for c in candidates):
        yield candidates
        return
    from evidence.registry import PullOptions, pull, resolve_tag  # noqa: PLC0415

    options = options or PullOptions()
    with tempfile.TemporaryDirectory(prefix="fromline-bases-") as folder:
        ready = []
        for number, candidate in enumerate(candidates):
            if candidate.evidence or candidate.package is not None:
                ready.append(candidate)
                continue
            reference = resolve_tag(candidate.reference, options) if candidate.by_tag else candidate.reference
            target = Path(folder) / f"{number}"
            pull(reference, target, moment, options)
            ready.append(Candidate(**{**_fields(candidate), "evidence": (target,), "reference": reference}))
        yield ready


def _fields(candidate: Candidate) -> dict[str, Any]:
    return {name: getattr(candidate, name) for name in candidate.__dataclass_fields__}
