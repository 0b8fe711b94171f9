"""The authorization boundary: one package for every image of a system (`fromline boundary`).

Read the boundary file (`config`), assess or copy each image's package (`assess`, in parallel processes), roll
the system up once (`rollup`), and write the boundary package (`render`), all or nothing like an image package:

    DIR/audit.json          the system, its images (each by its package folder and audit.json digest), the roll-up
    DIR/images/<slug>/      each image's package: its audit.json, its evidence, its manifest
    DIR/oscal/              assessment results (a result per image), component definition (a component per
                            image) and POA&M (one for the system), UUIDs unique across the system
    DIR/workbook.xlsx       the roll-up: summary, images, controls with a column per image, POA&M items
    DIR/poam.xlsx           one POA&M for the system, FedRAMP's template layout
    DIR/inventory.xlsx      one inventory row per image; ports and protocols; base images
    DIR/report.html, .pdf   the system summary, then a section per image
    DIR/diff.json, diff.md  with --previous: what changed since last month's package (`diff`)
    DIR/manifest.json
"""

from __future__ import annotations

import functools
import gc
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

import orjson

from evidence.boundary.assess import (
    IMAGES_DIR,
    PULLED_DIR,
    assess_images,
    boundary_audit,
    image_processes,
    previous_images,
)
from evidence.boundary.config import Boundary, BoundaryError, load_boundary
from evidence.boundary.rollup import BoundaryPackage, roll_up
from evidence.cycles import no_cycle_collection
from evidence.errors import InputError, RenderError
from evidence.registry import PullOptions

__all__ = ["BoundaryError", "BoundaryFormat", "build_boundary", "load_boundary"]


class BoundaryFormat(StrEnum):
    AUDIT_JSON = "audit-json"  # always written
    OSCAL_ASSESSMENT_RESULTS = "oscal-ar"
    OSCAL_COMPONENT_DEFINITION = "oscal-cd"
    OSCAL_POAM = "oscal-poam"
    XLSX = "workbook-xlsx"
    POAM_XLSX = "poam-xlsx"
    INVENTORY_XLSX = "inventory-xlsx"
    HTML = "html"
    PDF = "pdf"


OSCAL_MODELS = {  # the OSCAL formats and their models
    BoundaryFormat.OSCAL_ASSESSMENT_RESULTS: "assessment-results",
    BoundaryFormat.OSCAL_COMPONENT_DEFINITION: "component-definition",
    BoundaryFormat.OSCAL_POAM: "poam",
}
OSCAL_FORMATS = frozenset(OSCAL_MODELS)
FILENAMES = {
    BoundaryFormat.AUDIT_JSON: "audit.json",
    BoundaryFormat.OSCAL_ASSESSMENT_RESULTS: "oscal/assessment-results.json",
    BoundaryFormat.OSCAL_COMPONENT_DEFINITION: "oscal/component-definition.json",
    BoundaryFormat.OSCAL_POAM: "oscal/poam.json",
    BoundaryFormat.XLSX: "workbook.xlsx",
    BoundaryFormat.POAM_XLSX: "poam.xlsx",
    BoundaryFormat.INVENTORY_XLSX: "inventory.xlsx",
    BoundaryFormat.HTML: "report.html",
    BoundaryFormat.PDF: "report.pdf",
}


FRAGMENTS = ".oscal-images"  # the images' OSCAL documents, under the staging folder, until the system's are written


def _submit_oscal(
    pool: ProcessPoolExecutor,
    package: BoundaryPackage,
    formats: list[BoundaryFormat],
    staging: Path,
    show: Callable[[str], None],
) -> list[Future[str | None]]:
    """Have the pool's processes write the system's OSCAL documents of `formats` into `staging`, from the images'
    documents in its fragments folder; each one's problem, if any, when done."""
    from evidence.boundary import oscal  # noqa: PLC0415
    from evidence.oscal_versions import DEFAULT_OSCAL_VERSION  # noqa: PLC0415

    (staging / "oscal").mkdir(exist_ok=True)
    view = oscal.SystemView.of(package)
    submitted = []
    for fmt in formats:
        show(f"rendering {FILENAMES[fmt]}")
        model, target = OSCAL_MODELS[fmt], staging / FILENAMES[fmt]
        submitted.append(
            pool.submit(oscal.write_document, model, view, DEFAULT_OSCAL_VERSION, staging / FRAGMENTS, target)
        )
    return submitted


def _replaced(out: Path) -> dict[str, tuple[str, Path]]:
    """The reuse keys of the boundary package at `out`, if one is there: slug -> (key, its image folder)."""
    try:
        document = boundary_audit(out)
    except InputError:
        return {}
    found = {}
    for image in document.get("images", []):
        if isinstance(image, dict) and isinstance(image.get("reuse_key"), str) and isinstance(image.get("slug"), str):
            found[image["slug"]] = (image["reuse_key"], out / IMAGES_DIR / image["slug"])
    return found


def build_boundary(  # noqa: PLR0913 - one run's options, keyword-only
    boundary: Boundary,
    out: Path,
    *,
    moment: datetime,
    jobs: int,
    formats: Sequence[BoundaryFormat] = tuple(BoundaryFormat),
    previous: Path | None = None,
    progress: Callable[[str], None] | None = None,
    pull_options: PullOptions | None = None,
) -> BoundaryPackage:
    """Assess the boundary's images and write its package into `out`, all or nothing; the package's content."""
    from evidence.boundary import render  # noqa: PLC0415 - renderers import the workbook and report code
    from evidence.boundary.diff import boundary_diff, diff_markdown  # noqa: PLC0415
    from evidence.oscal_versions import DEFAULT_OSCAL_VERSION  # noqa: PLC0415
    from evidence.render import Hashed, recorded_hashes, write_staged  # noqa: PLC0415
    from evidence.render.pdf import html_to_pdf  # noqa: PLC0415

    show = progress or (lambda _message: None)
    if previous is not None:
        boundary_audit(previous)  # checked before anything is assessed
    replaced = _replaced(out)
    built: list[BoundaryPackage] = []

    def fill(staging: Path, processes: tuple[ProcessPoolExecutor, int]) -> Hashed:
        # Every image's OSCAL documents are written as its package is read, into a folder the package does not keep.
        fragments = staging / FRAGMENTS
        with no_cycle_collection():  # the images' facts: hundreds of thousands of containers, no cycle
            images = assess_images(
                boundary,
                staging,
                processes=processes,
                moment=moment,
                replaced=replaced,
                previous=previous,
                progress=progress,
                fragments=(DEFAULT_OSCAL_VERSION, fragments) if any(f in OSCAL_FORMATS for f in formats) else None,
                pull_options=pull_options,
            )
            gc.freeze()  # they live until the package is written: the collector, running again, need not walk them
        shutil.rmtree(staging / PULLED_DIR, ignore_errors=True)  # each image package holds what it read of it
        # Every image package was written in this run or checked against its manifest (a listed or reused one):
        # its files are listed as its manifest records them, not read again.
        known: Hashed = {}
        for image in images:
            known |= recorded_hashes(staging / IMAGES_DIR / image.slug, f"{IMAGES_DIR}/{image.slug}/")
        with no_cycle_collection():
            package = roll_up(boundary, images, moment, previous_images(previous) if previous else None)
            gc.freeze()
        built.append(package)
        html = functools.cache(lambda: render.report_html(package))  # one rendering for the HTML and the PDF
        writers: dict[BoundaryFormat, Callable[[BinaryIO], object]] = {
            BoundaryFormat.AUDIT_JSON: lambda out: out.write(render.audit_json(package)),
            BoundaryFormat.XLSX: lambda out: out.write(render.workbook_xlsx(package)),
            BoundaryFormat.POAM_XLSX: lambda out: out.write(render.poam_xlsx(package)),
            BoundaryFormat.INVENTORY_XLSX: lambda out: out.write(render.inventory_xlsx(package)),
            BoundaryFormat.HTML: lambda out: out.write(html().encode("utf-8")),
            BoundaryFormat.PDF: lambda out: out.write(html_to_pdf(html())),
        }

        def write(fmt: BoundaryFormat) -> None:
            show(f"rendering {FILENAMES[fmt]}")
            target = staging / FILENAMES[fmt]
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as stream:
                writers[fmt](stream)

        # The OSCAL documents, mostly the images' fragments copied in, are written by the pool's processes while
        # this one writes the rest.
        oscal_written = _submit_oscal(processes[0], package, [f for f in formats if f in OSCAL_FORMATS], staging, show)
        rest = (f for f in formats if f not in OSCAL_FORMATS and f is not BoundaryFormat.AUDIT_JSON)
        for fmt in (BoundaryFormat.AUDIT_JSON, *rest):
            write(fmt)
        for written in oscal_written:
            if (problem := written.result()) is not None:
                raise RenderError(problem)
        shutil.rmtree(fragments, ignore_errors=True)
        if previous is not None:
            show("rendering diff.json, diff.md")
            changes = boundary_diff(previous, staging)
            (staging / "diff.json").write_bytes(orjson.dumps(changes, option=orjson.OPT_INDENT_2) + b"\n")
            (staging / "diff.md").write_text(diff_markdown(changes), encoding="utf-8")
        return known

    frozen = gc.get_freeze_count()
    try:
        with image_processes(jobs, len(boundary.images)) as processes:
            write_staged(out, lambda staging: fill(staging, processes))
    finally:
        if not frozen:  # what fill froze goes back to the collector (what another caller froze stays so)
            gc.unfreeze()
    return built[0]
