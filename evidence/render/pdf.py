"""`report.pdf`: the HTML report, typeset by Typst.

The report's HTML is rendered once (`report.render_html`, shared with `report.html`), read into plain data
(`typeset.report_tree`) and laid out by the packaged template `templates/report.typ`, which plays the part of
report.css. Typst was chosen over WeasyPrint by measurement (`make bench` prints both): a 2,000-row table takes
WeasyPrint about 9 s and Typst under 1 s on the same machine, and WeasyPrint's time and memory grow faster than
the rows. The PDF is tagged (structure tree, table headers, reading order), as Section 508 deliverables must be.

Typst compiles in a private temporary directory that holds only the template and its data, so a document can read
nothing else; the data is JSON, printed as text and never evaluated. Fonts: DejaVu Sans where the system has it
(Debian's fonts-dejavu-core, installed with the system dependencies), else the fonts built into Typst; system fonts
are otherwise ignored, so the output depends on the inputs only. The document date is the assessment time.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from evidence.errors import RenderError
from evidence.render.pdf_join import Anchor, join_parts, page_count
from evidence.render.report import render_html
from evidence.render.typeset import Node, ReportTree, report_tree, split_parts
from evidence.resources import TEMPLATES, packaged_file

if TYPE_CHECKING:
    from evidence.model import AuditPackage

__all__ = ["PdfReport", "html_to_pdf"]

TEMPLATE = "report.typ"
# Where distributions keep DejaVu Sans; the first that exists is given to Typst.
FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu
    "/usr/share/fonts/dejavu-sans-fonts",  # Fedora
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",  # Arch
)


def _check_typst() -> None:
    """Typst runs in the worker processes: here it is only looked for, not imported (the parent never needs it)."""
    if importlib.util.find_spec("typst") is None:
        raise RenderError("cannot write report.pdf: the typst package is not installed")


def _font_paths() -> list[str]:
    return [path for path in FONT_DIRS if Path(path, "DejaVuSans.ttf").is_file()][:1]


def _created(value: str) -> list[int]:
    """The assessment time as [year, month, day, hour, minute, second] in UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise RenderError(f"cannot write report.pdf: the report's creation time {value!r} is not a date") from exc
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    return [moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second]


PART_CELLS = 3_000  # table cells per part: a worker of about 130 MiB (make bench)
JOBS = 2  # parts typeset at once
WORKER = Path(__file__).with_name("typst_worker.py")


def _ids(node: Node) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        element = stack.pop()
        if "id" in element[1]:
            found.append(element[1]["id"])
        stack.extend(child for child in element[2:] if isinstance(child, list))
    return sorted(found)


class _Typesetter:
    """Runs `typst_worker.py` on documents, at most JOBS at a time, each in a folder of its own under `root`."""

    def __init__(self, root: Path, tree: ReportTree) -> None:
        self.root = root
        self.source = packaged_file(TEMPLATES, TEMPLATE).read_bytes()
        self.common = {
            "title": tree.title.strip(),
            "created": _created(tree.created or "1970-01-01T00:00:00Z"),
            "running": tree.running,
        }
        self.fonts = _font_paths()
        self.started = 0

    def run(self, jobs: dict[str, dict[str, Any]]) -> dict[str, tuple[bytes, dict[str, Any]]]:
        """Typeset each job (its name, and the data the template reads besides the common strings): its PDF and
        the anchors it reports (for a part)."""
        waiting = list(jobs.items())
        running: list[tuple[str, Path, subprocess.Popen[bytes]]] = []
        done: dict[str, tuple[bytes, dict[str, Any]]] = {}
        try:
            while waiting or running:
                while waiting and len(running) < JOBS:
                    name, data = waiting.pop(0)
                    running.append((name, *self._start(name, data)))
                name, folder, process = running.pop(0)
                done[name] = self._finish(folder, process)
        finally:
            for _, _, process in running:
                process.kill()
                process.wait()
        return done

    def _start(self, name: str, data: dict[str, Any]) -> tuple[Path, subprocess.Popen[bytes]]:
        self.started += 1
        folder = self.root / f"{self.started}-{name}"
        folder.mkdir()
        (folder / TEMPLATE).write_bytes(self.source)
        (folder / "report.json").write_bytes(orjson.dumps({**self.common, **data}))
        command = [sys.executable, str(WORKER), str(folder), *self.fonts]
        if data.get("mode") == "part":
            command.append("--anchors")
        with (folder / "stderr").open("wb") as stderr:
            process = subprocess.Popen(  # noqa: S603 - this interpreter, on the packaged worker and a folder made here
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr
            )
        return folder, process

    def _finish(self, folder: Path, process: subprocess.Popen[bytes]) -> tuple[bytes, dict[str, Any]]:
        code = process.wait()
        if code != 0:
            message = (folder / "stderr").read_text(encoding="utf-8", errors="replace").strip()[:2000]
            raise RenderError(f"cannot write report.pdf: Typst failed: {message or f'exit code {code}'}")
        anchors = folder / "anchors.json"
        return (folder / "report.pdf").read_bytes(), orjson.loads(anchors.read_bytes()) if anchors.exists() else {}


def _points(value: object) -> float:
    return float(str(value).removesuffix("pt"))


def html_to_pdf(html: str, *, part_cells: int = PART_CELLS) -> bytes:
    """Typeset the report's HTML (as `report.render_html` writes it) into a tagged PDF.

    A report of more than `part_cells` table cells is typeset in parts, each in a process of its own, and joined
    (`pdf_join`): Typst's memory grows with the cells of a document, and is returned only when its process ends."""
    _check_typst()
    tree = report_tree(html)
    parts = split_parts(tree.body, part_cells)
    folder = Path(tempfile.mkdtemp(prefix="fromline-pdf-"))
    try:
        typesetter = _Typesetter(folder, tree)
        if len(parts) == 1:
            whole = {"mode": "whole", "ids": dict.fromkeys(sorted(tree.ids), True), "body": tree.body}
            del tree, parts
            return typesetter.run({"whole": whole})["whole"][0]
        del tree
        return _in_parts(typesetter, parts)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _in_parts(typesetter: _Typesetter, parts: list[Node]) -> bytes:
    ids = [_ids(part) for part in parts]
    everywhere = [anchor for own in ids for anchor in own]

    def part(index: int, pages: dict[str, int]) -> dict[str, Any]:
        own = set(ids[index])
        return {
            "mode": "part",
            "ids": dict.fromkeys(ids[index], True),
            "xrefs": {anchor: True for anchor in everywhere if anchor not in own},
            "anchors": ids[index],
            "pages": pages,
            "body": parts[index],
        }

    first = typesetter.run({f"part-{i}": part(i, {}) for i in range(len(parts))})
    counts = [page_count(first[f"part-{i}"][0]) for i in range(len(parts))]
    anchors: dict[str, Anchor] = {}
    offset = 0
    for index, count in enumerate(counts):
        for anchor, where in first[f"part-{index}"][1].items():
            anchors[anchor] = (offset + int(where["page"]) - 1, _points(where["x"]), _points(where["y"]))
        offset += count
    pages = {anchor: where[0] + 1 for anchor, where in anchors.items()}
    # The contents pages get their page numbers now that every part is laid out; their length does not change.
    with_contents = [i for i, body in enumerate(parts) if any(c[0] == "nav" for c in body[2:] if isinstance(c, list))]
    again = typesetter.run(
        {"furniture": {"mode": "furniture", "ids": {}, "count": offset, "body": ["body", {}]}}
        | {f"part-{i}": part(i, pages) for i in with_contents}
    )
    pdfs = [again.get(f"part-{i}", first[f"part-{i}"])[0] for i in range(len(parts))]
    parts.clear()  # the report's tree: joining needs the memory
    del first
    for index in with_contents:
        if page_count(pdfs[index]) != counts[index]:
            raise RenderError("cannot write report.pdf: the table of contents changed length with its page numbers")
    return join_parts(pdfs, again["furniture"][0], anchors)


class PdfReport:
    """`report.pdf`: the same document as `report.html`, paginated for print and signature."""

    filename = "report.pdf"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(html_to_pdf(render_html(pkg)))
