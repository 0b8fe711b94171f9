"""Render: each renderer turns an `AuditPackage` into one package file; `write_package` writes them all.

The package also holds a copy of every evidence file, under `evidence/` with a safe name (`stored_as`), so
that an assessor can check each verdict against the exact bytes it was made from, and of the KEV catalog, EPSS
scores and deviation requests that set its deadlines and POA&M columns, under `lifecycle/`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import BinaryIO, assert_never

import orjson

from evidence.errors import RenderError
from evidence.model import DISA_CATALOG, AuditPackage, Evidence
from evidence.oscal_versions import DEFAULT_OSCAL_VERSION
from evidence.render._zip import write_zip
from evidence.render.interface import Renderer

__all__ = [
    "CHANGES_FORMATS",
    "DOD_FORMATS",
    "EVIDENCE_DIR",
    "MANIFEST",
    "OPT_IN_FORMATS",
    "Format",
    "Hashed",
    "RenderError",
    "Renderer",
    "as_written",
    "formats_for",
    "make_renderer",
    "replace_file",
    "safe_relative_path",
    "stored_names",
    "write_package",
    "write_package_zip",
    "write_staged",
]

MANIFEST = "manifest.json"
EVIDENCE_DIR = "evidence"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_MAX_COMPONENT = 120


class Format(StrEnum):
    AUDIT_JSON = "audit-json"
    OSCAL_ASSESSMENT_RESULTS = "oscal-ar"
    OSCAL_COMPONENT_DEFINITION = "oscal-cd"
    HTML = "html"
    PDF = "pdf"
    XLSX = "xlsx"
    OSCAL_POAM = "oscal-poam"
    POAM_XLSX = "poam-xlsx"
    INVENTORY_XLSX = "inventory-xlsx"
    DIFF_JSON = "diff-json"  # only with --previous
    DIFF_MARKDOWN = "diff-markdown"  # only with --previous
    EMASS_POAM = "emass-poam"  # only when the DISA catalog was assessed
    STIG_CHECKLIST = "cklb"  # only when the DISA catalog was assessed
    SARIF = "sarif"  # opt-in: only when --formats names it
    OPENVEX = "openvex"  # opt-in
    CDX_VEX = "cdx-vex"  # opt-in
    HDF = "hdf"  # opt-in


# The formats that render `AuditPackage.changes`: written only when the package has a previous one.
CHANGES_FORMATS = frozenset({Format.DIFF_JSON, Format.DIFF_MARKDOWN})
# The DoD exports, of the DISA catalog's controls: written only when the profile (or --catalog) assessed it.
DOD_FORMATS = frozenset({Format.EMASS_POAM, Format.STIG_CHECKLIST})
# The outputs for other tools (code scanning, VEX consumers, Heimdall): written only when --formats names them.
OPT_IN_FORMATS = frozenset({Format.SARIF, Format.OPENVEX, Format.CDX_VEX, Format.HDF})


def formats_for(pkg: AuditPackage) -> list[Format]:
    """Every format but the opt-in ones, the diff files only when there is a diff, and the DoD exports only
    when the package assessed the DISA catalog."""
    disa = any(c.id == DISA_CATALOG for c in pkg.catalogs)
    return [
        f
        for f in Format
        if (pkg.changes is not None or f not in CHANGES_FORMATS)
        and (disa or f not in DOD_FORMATS)
        and f not in OPT_IN_FORMATS
    ]


def make_renderer(  # noqa: C901, PLR0911, PLR0912 - one case per format, checked exhaustive
    fmt: Format, *, oscal_version: str = DEFAULT_OSCAL_VERSION
) -> Renderer:
    """The renderer of `fmt`; the OSCAL ones declare `oscal_version` (one of `OSCAL_VERSIONS`)."""
    # Imports are local so that a command needing one format never pays for the others.
    match fmt:
        case Format.AUDIT_JSON:
            from evidence.render.canonical import CanonicalJson  # noqa: PLC0415

            return CanonicalJson()
        case Format.OSCAL_ASSESSMENT_RESULTS:
            from evidence.render.oscal import OscalAssessmentResults  # noqa: PLC0415

            return OscalAssessmentResults(oscal_version)
        case Format.OSCAL_COMPONENT_DEFINITION:
            from evidence.render.oscal_component import OscalComponentDefinition  # noqa: PLC0415

            return OscalComponentDefinition(oscal_version)
        case Format.HTML:
            from evidence.render.report import HtmlReport  # noqa: PLC0415

            return HtmlReport()
        case Format.PDF:
            from evidence.render.pdf import PdfReport  # noqa: PLC0415

            return PdfReport()
        case Format.XLSX:
            from evidence.render.xlsx import Workbook  # noqa: PLC0415

            return Workbook()
        case Format.OSCAL_POAM:
            from evidence.render.oscal_poam import OscalPoam  # noqa: PLC0415

            return OscalPoam(oscal_version)
        case Format.POAM_XLSX:
            from evidence.render.poam_xlsx import PoamWorkbook  # noqa: PLC0415

            return PoamWorkbook()
        case Format.INVENTORY_XLSX:
            from evidence.render.inventory_xlsx import InventoryWorkbook  # noqa: PLC0415

            return InventoryWorkbook()
        case Format.DIFF_JSON:
            from evidence.diff.render import DiffJson  # noqa: PLC0415

            return DiffJson()
        case Format.DIFF_MARKDOWN:
            from evidence.diff.render import DiffMarkdown  # noqa: PLC0415

            return DiffMarkdown()
        case Format.EMASS_POAM:
            from evidence.render.emass_poam import EmassPoamWorkbook  # noqa: PLC0415

            return EmassPoamWorkbook()
        case Format.STIG_CHECKLIST:
            from evidence.render.cklb import StigChecklist  # noqa: PLC0415

            return StigChecklist()
        case Format.SARIF:
            from evidence.render.sarif import Sarif  # noqa: PLC0415

            return Sarif()
        case Format.OPENVEX:
            from evidence.render.openvex import OpenVex  # noqa: PLC0415

            return OpenVex()
        case Format.CDX_VEX:
            from evidence.render.cdx_vex import CycloneDxVex  # noqa: PLC0415

            return CycloneDxVex()
        case Format.HDF:
            from evidence.render.hdf import Hdf  # noqa: PLC0415

            return Hdf()
        case _:
            assert_never(fmt)


Hashed = dict[str, tuple[str, int]]  # a file's path in a package -> its sha256 and size, known as it was written


def manifest(root: Path, known: Hashed | None = None) -> bytes:
    """sha256 and size of every file under `root` except the manifest itself, sorted by path; a file in `known`
    (written from bytes whose hash was already computed) is not read again."""
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - only when a package is written

    paths = [p for p in sorted(p for p in root.rglob("*") if p.is_file()) if p.relative_to(root).as_posix() != MANIFEST]

    def entry(path: Path) -> dict[str, object]:
        rel = path.relative_to(root).as_posix()
        if known is not None and rel in known:
            return {"path": rel, "sha256": known[rel][0], "size": known[rel][1]}
        with path.open("rb") as stream:  # in pieces: a boundary's OSCAL documents are hundreds of megabytes
            digest = hashlib.file_digest(stream, "sha256").hexdigest()
            size = stream.tell()
        return {"path": rel, "sha256": digest, "size": size}

    # Reading and hashing release the GIL: a boundary package holds a gigabyte and more in thousands of files.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        files = list(pool.map(entry, paths))
    return orjson.dumps({"manifest_version": "1.0", "files": files}, option=orjson.OPT_INDENT_2) + b"\n"


def recorded_hashes(package: Path, prefix: str) -> Hashed:
    """What the manifest of `package` records, each path under `prefix`: for a package written in this run or
    checked against its manifest, whose files need not be read again to be listed in an enclosing manifest."""
    document = orjson.loads((package / MANIFEST).read_bytes())
    return {prefix + entry["path"]: (entry["sha256"], entry["size"]) for entry in document["files"]}


def safe_relative_path(path: str) -> str:
    """A relative path made only of `[A-Za-z0-9._-]` components: never absolute, never `..`, never empty.

    Only `/` separates: an evidence path is always written with `/`, and a backslash is part of a name (a name
    that is not UTF-8 is shown with `\\xff` escapes), so it becomes `_` rather than a folder.
    """
    parts = []
    for raw in path.split("/"):
        part = _UNSAFE.sub("_", raw)[:_MAX_COMPONENT]
        if part in ("", "."):
            continue
        if part.strip(".") == "":  # "..", "...": never a step up
            part = "_" * len(part)
        parts.append(part)
    return "/".join(parts) or "_"


def _numbered(name: str, n: int) -> str:
    pure = PurePosixPath(name)
    return f"{pure.stem}-{n}{pure.suffix}"


def stored_names(evidence: Iterable[Evidence]) -> dict[str, str]:
    """Evidence id -> `evidence/<safe path>`, distinct even on a case-insensitive file system.

    Names are given in (path, sha256) order, so the same evidence always gets the same names. A file name
    already taken by a file or a folder, and a folder name already taken by a file, gets `-2`, `-3`...
    before its suffix.
    """
    files: set[str] = set()
    folders: set[str] = set()
    names: dict[str, str] = {}
    for item in sorted(evidence, key=lambda e: (e.path, e.sha256)):
        if item.id in names:
            continue
        parts = safe_relative_path(item.path).split("/")
        for index, original in enumerate(parts):
            last = index == len(parts) - 1
            n = 1
            while _taken("/".join(parts[: index + 1]).casefold(), files, folders if last else set()):
                n += 1
                parts[index] = _numbered(original, n)
        candidate = "/".join(parts)
        files.add(candidate.casefold())
        folders.update("/".join(parts[:i]).casefold() for i in range(1, len(parts)))
        names[item.id] = f"{EVIDENCE_DIR}/{candidate}"
    return names


def _taken(key: str, files: set[str], folders: set[str]) -> bool:
    return key in files or key in folders


def _with_stored_names(pkg: AuditPackage) -> AuditPackage:
    names = stored_names(pkg.evidence)
    return dataclasses.replace(pkg, evidence=tuple(dataclasses.replace(e, stored_as=names[e.id]) for e in pkg.evidence))


def as_written(pkg: AuditPackage) -> AuditPackage:
    """The package as `write_package` records it, and as its audit.json loads: each evidence file under its name in
    the package, the bytes left out."""
    return dataclasses.replace(_with_stored_names(pkg) if pkg.contents else pkg, contents={})


def _copy_evidence(pkg: AuditPackage, staging: Path) -> Hashed:
    """Each evidence file's copy under `evidence/`; their paths with the sha256 and size of what was written."""
    written: Hashed = {}
    for item in pkg.evidence:
        data = pkg.contents.get(item.sha256)
        if data is None or hashlib.sha256(data).hexdigest() != item.sha256:
            raise RenderError(f"{item.path}: the bytes read for this evidence file are not in the package")
        assert item.stored_as is not None  # noqa: S101 - set by _with_stored_names
        target = staging / item.stored_as
        if target.exists():  # the same path and content given twice
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written[item.stored_as] = (item.sha256, len(data))
    return written


def _copy_lifecycle_inputs(pkg: AuditPackage, staging: Path) -> None:
    """The KEV, EPSS and deviations files under `lifecycle/`, as `LifecycleInput.stored_as` names them."""
    for source in pkg.lifecycle_inputs:
        data = pkg.contents.get(source.sha256)
        if data is None or hashlib.sha256(data).hexdigest() != source.sha256:
            raise RenderError(f"{source.path}: the bytes read for this {source.kind} file are not in the package")
        target = staging / safe_relative_path(source.stored_as)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def write_package(  # noqa: PLR0913 - the package, where, and keyword-only options of how to write it
    pkg: AuditPackage,
    out_dir: Path,
    formats: list[Format],
    *,
    progress: Callable[[str], None] | None = None,
    zip: bool = False,  # noqa: A002 - the option's name on the command line
    oscal_version: str = DEFAULT_OSCAL_VERSION,
) -> list[Path]:
    """Write every format into a temporary directory, then move it into place: all or nothing.

    When the package holds the bytes of its evidence (`contents`, from collection), every evidence file is copied
    into `evidence/` and its `stored_as` names the copy in every file of the package; the lifecycle files go
    into `lifecycle/`. `zip` also writes the finished package as `OUTDIR.zip`. The OSCAL documents declare
    `oscal_version`.
    """
    written: list[Path] = []

    def fill(staging: Path) -> Hashed:
        nonlocal pkg
        known: Hashed = {}
        if pkg.contents:
            pkg = _with_stored_names(pkg)
            if progress:
                progress(f"copying {len(pkg.evidence)} evidence file(s)")
            known = _copy_evidence(pkg, staging)
            if pkg.evidence:
                written.append(out_dir / EVIDENCE_DIR)
            _copy_lifecycle_inputs(pkg, staging)
            written.extend(sorted({out_dir / PurePosixPath(s.stored_as).parts[0] for s in pkg.lifecycle_inputs}))
        for fmt in formats:
            renderer = make_renderer(fmt, oscal_version=oscal_version)
            if progress:
                progress(f"rendering {renderer.filename}")
            target = staging / renderer.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                renderer.render(pkg, out)
            written.append(out_dir / renderer.filename)
        return known

    write_staged(out_dir, fill)
    written.append(out_dir / MANIFEST)
    if zip:
        root = out_dir.resolve()
        written.append(write_package_zip(root, root.with_name(f"{root.name}.zip"), pkg.assessed_at))
    return written


def write_staged(
    out_dir: Path, fill: Callable[[Path], Hashed | None], *, marker: str = MANIFEST, what: str = "package"
) -> None:
    """Make a package directory all or nothing: `fill` writes its files into a private staging directory (and
    may return the hashes of those it wrote from bytes already hashed), then the manifest is written and the
    directory moved into place (an earlier package there is replaced only then).
    An `OSError` becomes a `RenderError` naming `out_dir`; on any error or signal the staging directory goes.

    With another `marker` than the manifest (the file that shows an existing directory is one Fromline wrote, and
    may be replaced), no manifest is written: `fill` writes its own record, and `what` names the directory."""
    _check_replaceable(out_dir, marker)
    # Named before it exists, so that a signal arriving just after it is made still finds it to remove.
    staging = out_dir.parent / f".{out_dir.name}.{secrets.token_hex(8)}"
    try:
        try:
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            staging.mkdir(mode=0o700)
        except OSError as e:
            raise RenderError(f"{out_dir}: cannot create the output directory: {e.strerror}") from e
        known = fill(staging)
        if marker == MANIFEST:
            (staging / MANIFEST).write_bytes(manifest(staging, known))
        _swap_into_place(staging, out_dir)
    except OSError as e:
        raise RenderError(f"{out_dir}: cannot write the {what}: {e.strerror or e}") from e
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def write_package_zip(package: Path, target: Path, when: datetime) -> Path:
    """The package directory as one reproducible zip, its files under a folder named like the package."""
    entries = {
        f"{package.name}/{path.relative_to(package).as_posix()}": path for path in package.rglob("*") if path.is_file()
    }
    if target.is_dir():
        raise RenderError(f"{target}: is a directory; cannot write the package zip there")
    try:
        replace_file(target, lambda out: write_zip(out, entries, when))
    except OSError as e:
        raise RenderError(f"{target}: cannot write the package zip: {e.strerror or e}") from e
    return target


def replace_file(target: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write next to the target, then rename: a reader sees the old file or the new one, never half of one.

    The partial file is removed on any error, and when a signal stops the run; an `OSError` is the caller's to word.
    """
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    partial = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        partial.chmod(0o644)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _check_replaceable(out_dir: Path, marker: str) -> None:
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise RenderError(f"{out_dir}: exists and is not a directory")
    if any(out_dir.iterdir()) and not (out_dir / marker).is_file():
        written_by = "a Fromline package" if marker == MANIFEST else f"what Fromline wrote (no {marker})"
        raise RenderError(f"{out_dir}: exists, is not empty and is not {written_by}; refusing to replace it")


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    staging.chmod(0o755)
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except BaseException:  # an error, or a signal stopping the run: the earlier package goes back
        old.rename(out_dir)
        raise
    try:
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:  # a signal stopping the run: the new package is in place, the old one still goes
        shutil.rmtree(old, ignore_errors=True)
        raise
