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

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from evidence.errors import RenderError
from evidence.render.report import render_html
from evidence.render.typeset import report_tree
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


def _typst() -> Any:
    try:
        import typst  # noqa: PLC0415 - needed by this renderer only
    except ImportError as exc:
        raise RenderError(f"cannot write report.pdf: the typst package is not installed ({exc})") from exc
    return typst


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


def html_to_pdf(html: str) -> bytes:
    """Typeset the report's HTML (as `report.render_html` writes it) into a tagged PDF."""
    typst = _typst()
    tree = report_tree(html)
    data = orjson.dumps(
        {
            "title": tree.title.strip(),
            "created": _created(tree.created or "1970-01-01T00:00:00Z"),
            "running": tree.running,
            "ids": dict.fromkeys(sorted(tree.ids), True),  # a dictionary: Typst looks a key up, but scans an array
            "body": tree.body,
        }
    )
    del tree  # the tree is in `data` now; Typst's layout needs the memory
    folder = Path(tempfile.mkdtemp(prefix="fromline-pdf-"))
    try:
        source = packaged_file(TEMPLATES, TEMPLATE).read_bytes()
        (folder / TEMPLATE).write_bytes(source)
        (folder / "report.json").write_bytes(data)
        try:
            pdf = typst.compile(
                str(folder / TEMPLATE), root=str(folder), font_paths=_font_paths(), ignore_system_fonts=True
            )
        except RuntimeError as exc:
            raise RenderError(f"cannot write report.pdf: Typst failed: {str(exc)[:2000]}") from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not isinstance(pdf, bytes):
        raise RenderError("cannot write report.pdf: Typst returned no PDF")
    return pdf


class PdfReport:
    """`report.pdf`: the same document as `report.html`, paginated for print and signature."""

    filename = "report.pdf"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(html_to_pdf(render_html(pkg)))
