"""Assess every image of a boundary: each in a process of its own, at most `jobs` at once, into an image package.

An `image` entry is assessed from its evidence as `fromline package` would, into `images/<slug>/` (its audit.json
and a copy of its evidence); a `package` entry's directory is checked against its manifest and copied as it is.
An image whose inputs and options have not changed since the package being replaced reuses that assessment: the
key is the SHA-256 of Fromline's version, the options, the assessment time and every input file's bytes (the time
is part of it because due dates and overdue items depend on it: a new month is a new assessment).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson

from evidence import __version__
from evidence.boundary.config import Boundary, BoundaryError, ImageEntry
from evidence.boundary.facts import ImageFacts, image_facts
from evidence.cycles import no_cycle_collection
from evidence.errors import EvidenceError, InputError
from evidence.model import AssessmentContext, AuditPackage
from evidence.registry import PullOptions
from evidence.render import safe_relative_path

__all__ = [
    "AssessedImage",
    "PreviousImage",
    "assess_images",
    "image_processes",
    "image_slug",
    "match_previous",
    "previous_images",
]

IMAGES_DIR = "images"
PULLED_DIR = ".pulled"  # under the staging folder: what `pull: true` images' registries hold, until assessed
AUDIT_JSON = "audit.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class AssessedImage:
    entry: ImageEntry
    slug: str  # its folder under images/
    key: str | None  # the reuse key of an assessed image; None for a package given in the boundary file
    reused: bool
    facts: ImageFacts  # what the system files need of its package (the package stays on disk)
    continues: str | None = None  # with --previous: the digest of last month's image this one continues


def image_slug(name: str, digest: str) -> str:
    """`webapp-443eebbdc163`: the image name's last part and the digest's first 12 hex digits, safe as a folder."""
    last = safe_relative_path(name.rsplit("/", 1)[-1]).replace("/", "_")
    return f"{last}-{digest.removeprefix('sha256:')[:12]}"


def _files(paths: Sequence[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return found


def _reuse_key(boundary: Boundary, entry: ImageEntry, moment: datetime, previous: Path | None) -> str:
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    add("fromline", __version__.encode())
    add("image", (entry.image.reference if entry.image else "").encode())
    add("release", (entry.release or "").encode())
    add("profile", entry.profile.encode())
    add("time", moment.isoformat().encode())
    add("system", repr(boundary.system).encode())
    for label, paths in (
        ("key", [*boundary.keys, *entry.keys]),
        ("policy", [boundary.policy] if boundary.policy else []),
        ("root", [boundary.trusted_root] if boundary.trusted_root else []),
        ("profile-file", [Path(entry.profile)] if Path(entry.profile).suffix in (".yaml", ".yml") else []),
        ("previous", [previous / AUDIT_JSON] if previous else []),  # the image's own package of last month
    ):
        for path in paths:
            add(label, path.read_bytes())
    for path in _files(entry.evidence):
        add("evidence", path.name.encode())
        add("bytes", path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Job:
    """What a worker process needs to assess one image: plain values, picklable."""

    entry: ImageEntry
    boundary: Boundary
    moment: datetime
    out: Path
    previous: Path | None
    fragments: tuple[str, Path] | None  # the OSCAL version and folder of the image's OSCAL documents, if wanted


def _facts(pkg: AuditPackage, folder: Path, fragments: tuple[str, Path] | None) -> ImageFacts:
    """The facts of the image package in `folder` (written in this run, or checked against its manifest), and
    (with `fragments`) its OSCAL documents made for the system, written: the package is in memory once for both."""
    from evidence.boundary.oscal import write_fragments  # noqa: PLC0415 - in the worker
    from evidence.render import recorded_hashes  # noqa: PLC0415

    if fragments is not None:
        write_fragments(pkg, folder.name, *fragments)
    return image_facts(pkg, recorded_hashes(folder, "")[AUDIT_JSON][0])


def _assess_one(job: _Job) -> str | ImageFacts:
    """Assess and write one image package; its facts, or the error message. (An exception with arguments of its
    own does not cross a process boundary intact, so the message does.)"""
    from evidence.cli.verification import verification_context  # noqa: PLC0415 - in the worker process
    from evidence.pipeline import LifecycleFiles, assess, write_package  # noqa: PLC0415
    from evidence.render import Format, as_written  # noqa: PLC0415

    entry = job.entry
    if entry.image is None:
        return "names no image"
    options = argparse.Namespace(
        policy=job.boundary.policy,
        key=[*job.boundary.keys, *entry.keys],
        artifact=[],
        trusted_root=job.boundary.trusted_root,
        staging=False,
    )
    # An image's assessment makes hundreds of thousands of containers, and no cycle.
    with no_cycle_collection():
        try:
            image = entry.image
            if entry.release is not None:
                image = type(image).parse(image.reference, entry.release)
            pkg = assess(
                list(entry.evidence),
                image=image,
                profile=entry.profile,
                verification=verification_context(options, image=image.name),
                lifecycle=LifecycleFiles(previous=job.previous) if job.previous else None,
                now=job.moment,
                assessment=AssessmentContext(system=job.boundary.system),
            )
            write_package(pkg, job.out, formats=[Format.AUDIT_JSON])
            return _facts(as_written(pkg), job.out, job.fragments)
        except EvidenceError as exc:
            return exc.diagnostics()


def boundary_audit(path: Path) -> dict[str, Any]:
    """The audit.json of a boundary package (its directory, or the file); `InputError` naming it otherwise."""
    audit = path / AUDIT_JSON if path.is_dir() else path
    try:
        document = orjson.loads(audit.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InputError(audit, f"cannot be read as a boundary package's audit.json: {exc}") from exc
    if not isinstance(document, dict) or not str(document.get("schema_version", "")).startswith("boundary-"):
        raise InputError(audit, "is not a boundary package's audit.json")
    return document


def previous_images(previous: Path | None) -> list[PreviousImage]:
    """(name, digest, package folder) of each image of last month's boundary package."""
    if previous is None:
        return []
    document = boundary_audit(previous)
    found = []
    for image in document.get("images", []):
        folder = previous / str(image.get("package", ""))
        if (folder / AUDIT_JSON).is_file():
            found.append((str(image.get("name")), str(image.get("digest")), folder))
    return found


PreviousImage = tuple[str, str, Path]  # name, digest and package folder of an image of last month's boundary


def match_previous(
    previous: list[PreviousImage], current: list[tuple[str, str]]
) -> dict[tuple[str, str], PreviousImage]:
    """Which of last month's image packages each image of this month continues: the one with the same digest, else
    the one with the same name when each month has exactly one image of that name (a new release of it). An image
    without one is new to the boundary; its detection dates start now."""
    by_digest = {image[1]: image for image in previous}
    previous_names = Counter(name for name, _, _ in previous)
    current_names = Counter(name for name, _ in current)
    by_name = {image[0]: image for image in previous if previous_names[image[0]] == 1}
    matched: dict[tuple[str, str], PreviousImage] = {}
    for name, digest in current:
        if digest in by_digest:
            matched[name, digest] = by_digest[digest]
        elif current_names[name] == 1 and name in by_name:
            matched[name, digest] = by_name[name]
    return matched


def _copy_package(source: Path, target: Path) -> str | None:
    """Copy a package given in the boundary file into the boundary package once it passes its manifest; the
    problem otherwise."""
    from evidence.attest.verify import verify_package  # noqa: PLC0415

    checked = verify_package(source)
    if not checked.ok:
        first = checked.problems[0]
        return f"the package fails its manifest: {first.path} {first.problem} ({first.detail})"
    shutil.copytree(source, target)
    return None


_HEAD = 1 << 16  # audit.json names its subject within its first few hundred bytes


def _subject(audit: Path) -> tuple[str, str]:
    """The name and digest a package's audit.json names, from the top-level members before it (hundreds of
    packages are listed; each is read whole later, in a worker, once). A file whose subject is not found that way
    is read whole here, for the error that names its problem."""
    try:
        with audit.open("rb") as stream:
            head = stream.read(_HEAD).decode("utf-8", "ignore")
        subject = _top_level_member(head, "subject")
        name, digest = (subject.get("name"), subject.get("digest")) if isinstance(subject, dict) else (None, None)
        if isinstance(name, str) and isinstance(digest, str):
            return name, digest
    except OSError:
        pass
    from evidence.pipeline import load_package  # noqa: PLC0415

    loaded = load_package(audit).subject
    return loaded.name, loaded.digest


def _top_level_member(text: str, key: str) -> Any:
    """The value of `key` in the JSON object `text` starts (text may be cut short), walking its members in order;
    None when it is not among the members that `text` holds whole."""
    decoder = json.JSONDecoder()
    at = _skip(text, 0)
    if text[at : at + 1] != "{":
        return None
    at += 1
    try:
        while True:
            name, at = decoder.raw_decode(text, _skip(text, at))
            at = _skip(text, at)
            if text[at : at + 1] != ":":
                return None
            value, at = decoder.raw_decode(text, _skip(text, at + 1))
            if name == key:
                return value
            at = _skip(text, at)
            if text[at : at + 1] != ",":
                return None
            at += 1
    except json.JSONDecodeError:
        return None


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


def _pulled(
    boundary: Boundary,
    kept: list[tuple[ImageEntry, str, PreviousImage | None]],
    moment: datetime,
    pulling: tuple[Path, PullOptions],
) -> list[tuple[ImageEntry, str, PreviousImage | None]]:
    """`kept` with the pulled folder of each `pull: true` image among its evidence; every registry's problem at once."""
    from evidence.registry import pull  # noqa: PLC0415 - only boundaries that pull

    folder, options = pulling

    def one(entry: ImageEntry, slug: str) -> ImageEntry | str:
        if not entry.pull or entry.image is None:
            return entry
        target = folder / slug
        try:
            pull(entry.image.reference, target, moment, options)
        except EvidenceError as exc:
            return f"line {entry.line}: {exc.diagnostics()}"
        return dataclasses.replace(entry, evidence=(*entry.evidence, target))

    with ThreadPoolExecutor(max_workers=4) as threads:  # the registry's answers are waited for, not computed
        done = list(threads.map(one, [entry for entry, _, _ in kept], [slug for _, slug, _ in kept]))
    problems = [d for d in done if isinstance(d, str)]
    if problems:
        raise BoundaryError(boundary.path, problems)
    return [(d, slug, last) for d, (_, slug, last) in zip(done, kept, strict=True) if not isinstance(d, str)]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Planned:
    entry: ImageEntry
    slug: str
    key: str | None
    previous: Path | None  # the image package of last month this image continues
    continues: str | None  # that image's digest


def _plan(
    boundary: Boundary, moment: datetime, previous: Path | None, pulling: tuple[Path, PullOptions]
) -> list[_Planned]:
    """Each entry's slug, reuse key and last month's package; an image listed twice (by digest, packages
    included) is an error. An image with `pull: true` has what its registry holds pulled first (into the folder
    `pulling` names, with its options), as part of its evidence: its key covers what was pulled."""

    subjects: list[tuple[ImageEntry, str, str]] = []
    for entry in boundary.images:
        if entry.image is not None:
            subjects.append((entry, entry.image.name, entry.image.digest))
        elif entry.package is not None:
            subjects.append((entry, *_subject(entry.package / AUDIT_JSON)))
        else:  # the boundary file's reader never gives one
            raise BoundaryError(boundary.path, [f"line {entry.line}: names neither an image nor a package"])
    continued = match_previous(previous_images(previous), [(name, digest) for _, name, digest in subjects])
    first: dict[str, ImageEntry] = {}  # by digest: one image under two names is still one image
    kept: list[tuple[ImageEntry, str, PreviousImage | None]] = []
    problems = []
    for entry, name, digest in subjects:
        if digest in first:
            problems.append(f"line {entry.line}: the image is listed twice (first at line {first[digest].line})")
            continue
        first[digest] = entry
        kept.append((entry, image_slug(name, digest), continued.get((name, digest))))
    if problems:
        raise BoundaryError(boundary.path, problems)
    if any(entry.pull for entry, _, _ in kept):
        kept = _pulled(boundary, kept, moment, pulling)

    def key(entry: ImageEntry, last: PreviousImage | None) -> str | None:
        return _reuse_key(boundary, entry, moment, last[2] if last else None) if entry.image is not None else None

    # Every input file is read and hashed for the keys: in threads, which reading and hashing let run.
    with ThreadPoolExecutor(max_workers=4) as threads:
        keys = list(threads.map(key, [entry for entry, _, _ in kept], [last for _, _, last in kept]))
    return [
        _Planned(entry=entry, slug=slug, key=k, previous=last[2] if last else None, continues=last[1] if last else None)
        for (entry, slug, last), k in zip(kept, keys, strict=True)
    ]


@contextlib.contextmanager
def image_processes(jobs: int, images: int) -> Iterator[tuple[ProcessPoolExecutor, int]]:
    """A pool of at most `jobs` processes (no more than `images`) and its size: each starts and imports the
    assessment at once, while this process plans. It assesses and reads the images, then writes the system's OSCAL
    documents."""
    workers = max(1, min(jobs, images))
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        for _ in range(workers):
            pool.submit(_ready)
        yield pool, workers


def assess_images(  # noqa: PLR0913 - one boundary run's options
    boundary: Boundary,
    staging: Path,
    *,
    processes: tuple[ProcessPoolExecutor, int],
    moment: datetime,
    replaced: dict[str, tuple[str, Path]] | None = None,
    previous: Path | None = None,
    progress: Callable[[str], None] | None = None,
    fragments: tuple[str, Path] | None = None,
    pull_options: PullOptions | None = None,
) -> list[AssessedImage]:
    """Assess or copy every image of `boundary` into `staging/images/`, in the boundary file's order, in the
    `processes` of `image_processes`; an image with `pull: true` is pulled into `staging/.pulled/` first.

    `replaced` maps a slug to the reuse key and folder of the image in the package this run replaces; `previous`
    is last month's boundary package, whose image packages carry detection dates forward; with `fragments` (an
    OSCAL version and a folder), each image's OSCAL documents are written there as its package is read."""
    show = progress or (lambda _message: None)
    root = staging / IMAGES_DIR
    root.mkdir(parents=True, exist_ok=True)
    return _assess_all(
        boundary,
        root,
        processes,
        moment=moment,
        replaced=replaced,
        previous=previous,
        show=show,
        fragments=fragments,
        pulling=(staging / PULLED_DIR, pull_options or PullOptions()),
    )


def _intact(package: Path) -> bool:
    """Whether an image package of the package being replaced still passes its own manifest: one that does not
    (a file changed or gone since) is assessed again rather than reused."""
    from evidence.attest.verify import verify_package  # noqa: PLC0415

    return package.is_dir() and verify_package(package).ok


def _ready() -> None:
    import evidence.boundary.oscal  # noqa: PLC0415 - in a worker, before its first image
    import evidence.cli.verification  # noqa: PLC0415
    import evidence.pipeline  # noqa: F401, PLC0415


def _assess_all(  # noqa: PLR0913 - one boundary run's options
    boundary: Boundary,
    root: Path,
    processes: tuple[ProcessPoolExecutor, int],  # the pool and its size
    *,
    moment: datetime,
    replaced: dict[str, tuple[str, Path]] | None,
    previous: Path | None,
    show: Callable[[str], None],
    fragments: tuple[str, Path] | None,
    pulling: tuple[Path, PullOptions],
) -> list[AssessedImage]:
    planned = _plan(boundary, moment, previous, pulling)
    reused: set[str] = set()
    jobs_to_run: list[_Job] = []
    copies: list[tuple[ImageEntry, Path, Path]] = []  # a package given in the boundary file: entry, from, to
    for plan in planned:
        target = root / plan.slug
        old = (replaced or {}).get(plan.slug)
        if plan.entry.package is not None:
            copies.append((plan.entry, plan.entry.package, target))
        elif old is not None and old[0] == plan.key and _intact(old[1]):
            shutil.copytree(old[1], target)
            reused.add(plan.slug)
        else:
            jobs_to_run.append(
                _Job(
                    entry=plan.entry,
                    boundary=dataclasses.replace(boundary, images=()),  # a job carries its own entry only
                    moment=moment,
                    out=target,
                    previous=plan.previous,
                    fragments=fragments,
                )
            )
    if fragments is not None:
        fragments[1].mkdir(parents=True, exist_ok=True)
    pool, size = processes
    show(f"assessing {len(jobs_to_run)} image(s), {len(reused)} reused, with {size} process(es)")
    reads: list[tuple[ImageEntry, Path | None, Path]] = list(copies)
    reads += [(plan.entry, None, root / plan.slug) for plan in planned if plan.slug in reused]
    facts = _run(boundary, pool, jobs_to_run, reads, fragments, show=show)
    return _assessed(boundary, planned, root, reused, facts)


def _read_one(source: Path | None, target: Path, fragments: tuple[str, Path] | None) -> str | ImageFacts:
    """In a worker process: the facts (and OSCAL documents) of a package this run did not assess, copied from
    `source` first when it is a package given in the boundary file; the problem otherwise."""
    from evidence.pipeline import load_package  # noqa: PLC0415 - in the worker

    if source is not None and (problem := _copy_package(source, target)) is not None:
        return problem
    try:
        with no_cycle_collection():
            return _facts(load_package(target / AUDIT_JSON), target, fragments)
    except EvidenceError as exc:
        return exc.diagnostics()


def _run(  # noqa: PLR0913 - the boundary, the pool, what to do in it, and where to say how far it got
    boundary: Boundary,
    pool: ProcessPoolExecutor,
    jobs_to_run: list[_Job],
    reads: list[tuple[ImageEntry, Path | None, Path]],
    fragments: tuple[str, Path] | None,
    *,
    show: Callable[[str], None],
) -> dict[str, ImageFacts]:
    """Assess `jobs_to_run` and read the packages of `reads` (entry, the package to copy if any, its folder), in
    the pool's processes: every image's facts by slug (every image's whole package at once would not fit in
    memory; its facts do)."""
    # The packages to read first: they are quick, and a bad one fails the run early.
    tasks: list[tuple[ImageEntry, Path, str, Future[str | ImageFacts]]] = [
        (entry, target, str(source or target.name), pool.submit(_read_one, source, target, fragments))
        for entry, source, target in reads
    ]
    tasks += [(job.entry, job.out, job.out.name, pool.submit(_assess_one, job)) for job in jobs_to_run]
    found: dict[str, ImageFacts] = {}
    failures = []
    texts: dict[str, str] = {}  # one copy of each text of the images' POA&M rows: most are the same in every image
    for number, (entry, target, shown, future) in enumerate(tasks, start=1):
        result = future.result()
        show(f"{number} of {len(tasks)} images assessed or read")
        if isinstance(result, str):
            failures.append(f"line {entry.line}: {shown}: {result}")
        else:
            rows = result.poam_rows
            for key, row in rows.items():
                rows[key] = tuple(texts.setdefault(cell, cell) if isinstance(cell, str) else cell for cell in row)
            found[target.name] = result
    if failures:
        raise BoundaryError(boundary.path, failures)
    return found


def _assessed(
    boundary: Boundary, planned: list[_Planned], root: Path, reused: set[str], every: dict[str, ImageFacts]
) -> list[AssessedImage]:
    """Each planned image with its facts, in the boundary file's order; an image whose evidence does not name its
    digest, or whose package is of another digest, is an error."""
    assessed = []
    unnamed = []
    for plan in planned:
        facts = every[plan.slug]
        entry = plan.entry
        if image_slug(facts.subject.name, facts.subject.digest) != plan.slug:
            raise InputError(root / plan.slug, f"holds the package of {facts.subject.reference}, not of {plan.slug}")
        if not facts.names_its_digest:
            unnamed.append(f"line {entry.line}: no evidence of {plan.slug} names its digest {facts.subject.digest}")
        assessed.append(
            AssessedImage(
                entry=entry,
                slug=plan.slug,
                key=plan.key,
                reused=plan.slug in reused,
                facts=facts,
                continues=plan.continues,
            )
        )
    if unnamed:
        raise BoundaryError(boundary.path, unnamed)
    return assessed


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
