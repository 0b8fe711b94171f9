"""Render: each renderer turns an `AuditPackage` into one package file; `write_package` writes them all."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import assert_never

import orjson

from evidence.errors import RenderError
from evidence.model import AuditPackage
from evidence.render.interface import Renderer

__all__ = ["Format", "RenderError", "Renderer", "make_renderer", "write_package"]

MANIFEST = "manifest.json"


class Format(StrEnum):
    AUDIT_JSON = "audit-json"
    OSCAL_ASSESSMENT_RESULTS = "oscal-ar"
    HTML = "html"
    PDF = "pdf"
    XLSX = "xlsx"


def make_renderer(fmt: Format) -> Renderer:
    # Imports are local so that a command needing one format never pays for the others.
    match fmt:
        case Format.AUDIT_JSON:
            from evidence.render.canonical import CanonicalJson  # noqa: PLC0415

            return CanonicalJson()
        case Format.OSCAL_ASSESSMENT_RESULTS:
            from evidence.render.oscal import OscalAssessmentResults  # noqa: PLC0415

            return OscalAssessmentResults()
        case Format.HTML:
            from evidence.render.report import HtmlReport  # noqa: PLC0415

            return HtmlReport()
        case Format.PDF:
            from evidence.render.pdf import PdfReport  # noqa: PLC0415

            return PdfReport()
        case Format.XLSX:
            from evidence.render.xlsx import Workbook  # noqa: PLC0415

            return Workbook()
        case _:
            assert_never(fmt)


def manifest(root: Path) -> bytes:
    """sha256 and size of every file under `root` except the manifest itself, sorted by path."""
    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel == MANIFEST:
            continue
        data = path.read_bytes()
        files.append({"path": rel, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
    return orjson.dumps({"manifest_version": "1.0", "files": files}, option=orjson.OPT_INDENT_2) + b"\n"


def write_package(
    pkg: AuditPackage, out_dir: Path, formats: list[Format], *, progress: Callable[[str], None] | None = None
) -> list[Path]:
    """Write every format into a temporary directory, then move it into place: all or nothing."""
    _check_replaceable(out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    except OSError as e:
        raise RenderError(f"{out_dir}: cannot create the output directory: {e.strerror}") from e
    try:
        written = []
        for fmt in formats:
            renderer = make_renderer(fmt)
            if progress:
                progress(f"rendering {renderer.filename}")
            target = staging / renderer.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                renderer.render(pkg, out)
            written.append(out_dir / renderer.filename)
        (staging / MANIFEST).write_bytes(manifest(staging))
        _swap_into_place(staging, out_dir)
    except OSError as e:
        raise RenderError(f"{out_dir}: cannot write the package: {e.strerror or e}") from e
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return [*written, out_dir / MANIFEST]


def _check_replaceable(out_dir: Path) -> None:
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise RenderError(f"{out_dir}: exists and is not a directory")
    if any(out_dir.iterdir()) and not (out_dir / MANIFEST).is_file():
        raise RenderError(f"{out_dir}: exists, is not empty and is not a Fromline package; refusing to replace it")


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    staging.chmod(0o755)
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except OSError:
        old.rename(out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)
