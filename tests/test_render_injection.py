"""No injection: attacker-controlled text from evidence files is inert in every file of the package.

The samples are changed the way an attacker could change them: package names, versions, titles and
descriptions of a Trivy report, the OpenVEX author, and evidence file names carry HTML, script, CSS and
spreadsheet formulas and Typst markup. One package is built from them; then
the HTML, the PDF, every workbook, the OSCAL documents and a Markdown diff are checked.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import REPO, SAMPLES
from markdown_it import MarkdownIt
from openpyxl import load_workbook
from pypdf import PdfReader

from evidence.cli import main
from evidence.diff.compare import compare
from evidence.diff.render import render_markdown
from evidence.render import _jinja, pdf
from evidence.render.canonical import load_package
from evidence.resources import packaged_file

SAMPLE = SAMPLES / "webapp-1.4.0"
DIGEST = orjson.loads((SAMPLE / "cosign-payload.json").read_bytes())["critical"]["image"]["docker-manifest-digest"]
GOLDEN = REPO / "tests" / "golden" / "webapp-1.4.0.audit.json"

HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</style><style>body{background:url(file:///etc/passwd)}</style>",
    "url(file:///etc/passwd)",
    '=HYPERLINK("http://evil","x")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    '#read("/etc/passwd")',  # Typst markup: report.pdf prints the evidence as text, never evaluates it
    '#panic("typst") $x^2$ *b* _i_ <lbl> @lbl \\ `raw`',
)
# Evidence file names: no `/`, but `..`, a newline, a bidirectional override, markup and a formula.
HOSTILE_NAMES = {
    "openvex.json": '"><img src=x onerror=alert(1)>.json',
    "image-inspect.json": "=cmd|' C calc'!A0.json",
    "Dockerfile": "x..\u202eelifrekcoD\n",  # not starting with a dot: hidden files are not read
}
FORBIDDEN_TAGS = {"script", "img", "iframe", "object", "embed", "link", "base", "form", "meta-refresh", "foreignobject"}
# The report's own charts are the only SVG: one <svg> per <figure class="chart">, drawn with these elements only.
CHART_TAGS = {"svg", "title", "rect", "text", "line"}
WORKBOOKS = ("workbook.xlsx", "poam.xlsx", "inventory.xlsx")


def _hostile_evidence(folder: Path) -> Path:
    evidence = folder / "webapp-1.4.0"
    shutil.copytree(SAMPLE, evidence)
    trivy = orjson.loads((evidence / "trivy.json").read_bytes())
    vulnerabilities = [v for r in trivy["Results"] for v in r.get("Vulnerabilities") or []]
    for text, vulnerability in zip(HOSTILE, vulnerabilities, strict=False):
        vulnerability.update(PkgName=text, InstalledVersion=text, Title=text, Description=text)
    (evidence / "trivy.json").write_bytes(orjson.dumps(trivy))
    vex = orjson.loads((evidence / "openvex.json").read_bytes())
    vex["author"] = HOSTILE[0]
    (evidence / "openvex.json").write_bytes(orjson.dumps(vex))
    for name, hostile in HOSTILE_NAMES.items():
        (evidence / name).rename(evidence / hostile)
    return evidence


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    evidence = _hostile_evidence(folder)
    out = folder / "pkg"
    code = main(
        [
            "package",
            str(evidence),
            "--image",
            f"registry.example.com/webapp@{DIGEST}",
            "--timestamp",
            "2026-11-20T12:00:00Z",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    return out


class _Elements(HTMLParser):
    """Every element and attribute of an HTML document, the text of its <style> elements, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in_style = False
        self._in_svg = False
        self.svg_tags: set[str] = set()  # the elements inside the charts' <svg> elements

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_svg = self._in_svg or tag == "svg"
        if self._in_svg:
            self.svg_tags.add(tag)
        self._in_style = tag == "style"
        if self._in_style:
            self.styles.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._in_svg = False
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles[-1] += data
        else:
            self.text.append(data)


def assert_inert_html(html: str, *, stylesheet: bool) -> str:
    """No element or attribute came from the input; returns the document's text."""
    parsed = _Elements()
    parsed.feed(html)
    parsed.close()
    tags = [tag for tag, _ in parsed.tags]
    assert not FORBIDDEN_TAGS & set(tags)
    assert tags.count("svg") == html.count('<figure class="chart">')
    assert parsed.svg_tags <= CHART_TAGS
    for tag, attrs in parsed.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert not re.search(r"javascript:|file:|https?:", value or "", re.IGNORECASE), (tag, name, value)
    expected_styles = [packaged_file("templates", "report.css").read_text(encoding="utf-8")] if stylesheet else []
    assert [s.strip() for s in parsed.styles] == [s.strip() for s in expected_styles]
    return "".join(parsed.text)


def test_html_shows_hostile_text_as_text(built: Path) -> None:
    out = built
    html = (out / "report.html").read_text(encoding="utf-8")
    text = assert_inert_html(html, stylesheet=True)
    for hostile in HOSTILE:
        assert hostile.strip() in text, hostile
    assert HOSTILE_NAMES["openvex.json"] in text
    # The Dockerfile's name reaches the report with its override and line break shown, never acting.
    assert "x..\\u202eelifrekcoD\\n" in text
    assert not {"\u202e", "\r", "\x00", "\x1b"} & set(html)


def test_pdf_fetches_nothing_and_shows_hostile_text(built: Path) -> None:
    out = built
    text = "".join(page.extract_text() for page in PdfReader(out / "report.pdf").pages)
    flat = re.sub(r"\s+", "", text)
    for hostile in HOSTILE:
        assert re.sub(r"\s+", "", hostile) in flat, hostile


def test_pdf_renderer_reads_no_file_and_runs_no_markup(tmp_path: Path) -> None:
    """Typst sees the report as data in a folder of its own: an image, a stylesheet or Typst markup in the HTML's
    text is neither fetched nor evaluated."""
    secret = tmp_path / "secret.txt"
    secret.write_text("do-not-print-this")
    html = (
        '<html><head><meta name="dcterms.created" content="2026-11-20T12:00:00Z"><title>t</title></head><body>'
        f'<img src="file://{secret}"><p style="background:url(http://evil/x)">#read("{secret}")</p>'
        f'<p>#image("{secret}") #include "{secret}"</p></body></html>'
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.html_to_pdf(html))).pages)
    assert "do-not-print-this" not in text
    assert f'#read("{secret}")' in text


def _cells(path: Path) -> list[Any]:
    workbook = load_workbook(path)
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    return [c.value for c in cells]


@pytest.mark.parametrize("name", WORKBOOKS)
def test_workbook_cells_hold_no_control_or_bidirectional_character(built: Path, name: str) -> None:
    out = built
    texts = [v for v in _cells(out / name) if isinstance(v, str)]
    active = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
    assert [t for t in texts if active.search(t)] == []
    if name == "workbook.xlsx":  # the one that lists the evidence files
        assert any("\\u202eelifrekcoD" in t for t in texts)


@pytest.mark.parametrize("name", WORKBOOKS)
def test_workbooks_store_hostile_text_as_strings(built: Path, name: str) -> None:
    out = built
    with zipfile.ZipFile(out / name) as archive:
        for member in archive.namelist():
            if member.startswith("xl/worksheets/"):
                xml = archive.read(member)
                assert b"<f>" not in xml
                assert b"<f " not in xml
                assert not re.search(rb"<c [^>]*t=\"(?:str|e)\"", xml), member
    workbook = load_workbook(out / name)
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    # text, numbers, and dates (the POA&M's) in date-formatted cells: nothing else
    odd = [c.coordinate for c in cells if c.value is not None and not isinstance(c.value, str | int | float | datetime)]
    assert odd == []
    assert all(c.is_date for c in cells if isinstance(c.value, datetime))


def _as_read_back(text: str) -> str:
    # A carriage return is shown as the escape `\r` (evidence.visible; tabs and line feeds stay); the cell is
    # still a string cell with the quote prefix, and audit.json keeps the exact text.
    return text.replace("\r", "\\r")


def test_main_workbook_keeps_the_exact_strings(built: Path) -> None:
    out = built
    values = {v for v in _cells(out / "workbook.xlsx") if isinstance(v, str)}
    for hostile in HOSTILE:
        assert _as_read_back(hostile) in values, hostile
    assert "webapp-1.4.0/" + HOSTILE_NAMES["image-inspect.json"] in values
    assert "webapp-1.4.0/x..\\u202eelifrekcoD\n" in values  # a cell may break lines; the override is shown


def test_poam_workbook_keeps_the_exact_strings(built: Path) -> None:
    out = built
    text = "\n".join(v for v in _cells(out / "poam.xlsx") if isinstance(v, str))
    for hostile in HOSTILE:
        assert _as_read_back(hostile) in text, hostile


def _markup_fields(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [
            text
            for key, child in value.items()
            for text in ([child] if key in ("title", "description", "remarks") and isinstance(child, str) else [])
            + _markup_fields(child)
        ]
    if isinstance(value, list):
        return [text for child in value for text in _markup_fields(child)]
    return []


def assert_inert_markdown(text: str) -> str:
    return assert_inert_html(MarkdownIt("commonmark").render(text), stylesheet=False)


@pytest.mark.parametrize("name", ["assessment-results.json", "poam.json", "component-definition.json"])
def test_oscal_markup_is_inert(built: Path, name: str) -> None:
    out = built
    document = orjson.loads((out / "oscal" / name).read_bytes())
    fields = _markup_fields(document)
    assert fields
    rendered = "".join(assert_inert_markdown(field) for field in fields)
    if name != "component-definition.json":  # the component definition names controls, not findings
        assert HOSTILE[0] in rendered


def test_markdown_diff_is_inert(built: Path) -> None:
    out = built
    markdown = render_markdown(compare(load_package(GOLDEN), load_package(out / "audit.json")))
    text = assert_inert_markdown(markdown)
    assert HOSTILE[0] in text
    assert "<script>" not in MarkdownIt("commonmark").render(markdown)


def test_evidence_copies_never_escape_the_package(built: Path) -> None:
    out = built
    package = out.resolve()
    copies = [p for p in (out / "evidence").rglob("*") if p.is_file()]
    assert len(copies) == len(list(SAMPLE.iterdir()))
    for copy in copies:
        assert copy.resolve().is_relative_to(package / "evidence")
        assert re.fullmatch(r"[A-Za-z0-9._/-]+", copy.relative_to(out).as_posix())
        assert not any(part.strip(".") == "" for part in copy.relative_to(out).parts)
    pkg = load_package(out / "audit.json")
    shown = {e.path for e in pkg.evidence}
    assert {f"webapp-1.4.0/{name}" for name in HOSTILE_NAMES.values()} <= shown


def test_every_template_autoescapes_with_strict_undefined() -> None:
    from jinja2 import StrictUndefined  # noqa: PLC0415

    env = _jinja.environment()
    assert env.undefined is StrictUndefined
    templates = env.list_templates(extensions=["j2"])
    assert templates
    autoescape = env.autoescape
    assert callable(autoescape)
    for name in templates:
        assert autoescape(name) is True, name
        assert env.get_template(name).environment is env
    assert autoescape(None) is True  # a template made from a string escapes too
    assert str(env.from_string("{{ x }}").render(x="<b>")) == "&lt;b&gt;"
