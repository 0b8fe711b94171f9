"""A long report.pdf is typeset in parts and joined: the joined PDF must read as one tagged document."""

from __future__ import annotations

import html as html_text
import io
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import SamplePackages
from pypdf import PdfReader

from evidence.errors import RenderError
from evidence.render import pdf
from evidence.render.pdf_join import XREF
from evidence.render.typeset import Node, report_tree, split_parts

WORD = re.compile(r"[A-Za-z][\w.-]*")
PART_CELLS = 150  # the sample's report has about a thousand table cells: this makes about ten parts


@pytest.fixture(scope="module")
def html(sample_package: SamplePackages) -> str:
    """The sample image's report, as `fromline package` wrote it."""
    return (sample_package() / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def whole(html: str) -> bytes:
    return pdf.html_to_pdf(html)


@pytest.fixture(scope="module")
def joined(html: str) -> bytes:
    return pdf.html_to_pdf(html, part_cells=PART_CELLS)


def texts(node: Node) -> list[str]:
    """The text of `node` in order, without what a continued table repeats (caption and header)."""
    found: list[str] = []
    continued = node[0] == "table" and "continued" in node[1].get("class", "").split()
    for child in node[2:]:
        if continued and isinstance(child, list) and child[0] in ("caption", "thead"):
            continue
        found.extend(texts(child) if isinstance(child, list) else [child])
    return found


def ids(node: Node) -> list[str]:
    found = [node[1]["id"]] if "id" in node[1] else []
    for child in node[2:]:
        if isinstance(child, list):
            found += ids(child)
    return found


def cells(node: Node) -> int:
    return (node[0] in ("td", "th")) + sum(cells(c) for c in node[2:] if isinstance(c, list))


# ---------------------------------------------------------------- splitting the tree


def test_split_keeps_every_text_and_id_once_in_order(html: str) -> None:
    body = report_tree(html).body
    parts = split_parts(body, PART_CELLS)
    assert len(parts) > 3
    joined_texts = [t for part in parts for t in texts(part)]
    assert joined_texts == texts(body)
    assert [i for part in parts for i in ids(part)] == ids(body)
    assert [c[0] for c in parts[0][2:] if isinstance(c, list)] == ["section", "nav"]  # cover and contents alone
    for part in parts[1:]:
        assert cells(part) <= PART_CELLS or len(part) == 3  # over the budget only as one piece that cannot split


def test_split_keeps_a_tail_row_with_its_head_and_repeats_the_table_frame() -> None:
    head = ["thead", {}, ["tr", {}, ["th", {}, "A"], ["th", {}, "B"]]]
    rows: list[Any] = []
    for n in range(6):
        rows.append(["tr", {"class": "head"}, ["td", {}, f"h{n}"], ["td", {}, "x"]])
        rows.append(["tr", {"class": "tail"}, ["td", {}, f"t{n}"], ["td", {}, "y"]])
    table = ["table", {"class": "grid", "id": "t"}, ["caption", {}, "Things"], head, ["tbody", {}, *rows]]
    body: Node = ["body", {}, ["section", {"id": "s"}, ["h2", {}, "Title"], table]]
    parts = split_parts(body, 10)
    tables = [n for part in parts for n in _all(part) if n[0] == "table"]
    assert len(tables) > 2
    for index, piece in enumerate(tables):
        assert piece[2] == (["caption", {}, "Things"] if index == 0 else ["caption", {}, "Things", " (continued)"])
        assert piece[3] == head
        body_rows = piece[4][2:]
        assert body_rows[0][2][2].startswith("h")
        assert [r[2][2][1:] for r in body_rows[::2]] == [r[2][2][1:] for r in body_rows[1::2]]  # h3 with t3
    assert [i for part in parts for i in ids(part)] == ["s", "t"]


def _all(node: Node) -> list[Node]:
    found = [node]
    for child in node[2:]:
        if isinstance(child, list):
            found += _all(child)
    return found


# ---------------------------------------------------------------- the joined PDF


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def words(data: bytes, running: dict[str, str]) -> Counter[str]:
    """The words of the pages' text, without their running header and footer."""
    text = " ".join(page_texts(data))
    for furniture in running.values():
        text = text.replace(furniture, " ")
    text = re.sub(r"Page \d+ of \d+", " ", text)
    return Counter(w for w in WORD.findall(text) if w != "continued")


@pytest.mark.slow
def test_the_joined_pdf_holds_the_same_words_as_the_whole(whole: bytes, joined: bytes, html: str) -> None:
    assert len(PdfReader(io.BytesIO(joined)).pages) > len(PdfReader(io.BytesIO(whole)).pages)  # parts start pages
    tree = report_tree(html)
    joined_words, whole_words = words(joined, tree.running), words(whole, tree.running)
    assert set(joined_words) == set(whole_words)
    # A table's header row repeats on each page it spans, and parts break pages elsewhere: those words are
    # counted apart.
    repeated = {w for head in _all(tree.body) if head[0] == "thead" for w in WORD.findall(" ".join(texts(head)))}
    assert {w: n for w, n in joined_words.items() if w not in repeated} == {
        w: n for w, n in whole_words.items() if w not in repeated
    }


@pytest.mark.slow
def test_every_page_has_its_running_header_and_footer(joined: bytes, html: str) -> None:
    running = report_tree(html).running
    pages = page_texts(joined)
    for number, text in enumerate(pages, start=1):
        lines = text.splitlines()  # the header and footer are drawn last, over the page
        assert lines[-1] == f"{running['run-time']} Page {number} of {len(pages)}"
        assert (lines[-2] == running["run-image"]) is (number > 1)
    with pikepdf.open(io.BytesIO(joined)) as document:
        for page in document.pages:
            content = b"".join(s.read_bytes() for s in _streams(page.obj.Contents))
            assert b"/Artifact BMC /FromlineRunning Do EMC" in content


def _streams(contents: Any) -> list[Any]:
    return list(contents) if isinstance(contents, pikepdf.Array) else [contents]


@pytest.mark.slow
def test_the_contents_page_numbers_and_links_point_at_the_chapters(joined: bytes) -> None:
    pages = page_texts(joined)
    contents = pages[1]
    chapters = re.findall(r"^(\d \S[^.\n]*?) \.+ ?(\d+)$", contents, flags=re.MULTILINE)
    assert len(chapters) >= 7
    with pikepdf.open(io.BytesIO(joined)) as document:
        index = {page.obj.objgen: n for n, page in enumerate(document.pages)}
        toc_links = [a for a in document.pages[1].obj.get("/Annots", ()) if a.get("/Subtype") == "/Link"]
        targets = sorted({index[link.Dest[0].objgen] + 1 for link in toc_links})  # a link may be several boxes
        assert targets == sorted({int(number) for _, number in chapters})
        for title, number in chapters:
            assert title in pages[int(number) - 1]
        assert {str(link.Contents) for link in toc_links} == {f"page {n}" for n in targets}
        for page in document.pages:
            for annotation in page.obj.get("/Annots", ()):
                action = annotation.get("/A")
                assert action is None or not str(action.get("/URI", "")).startswith(XREF)
                if "/Dest" in annotation:
                    assert annotation.Dest[0].objgen in index


@pytest.mark.slow
def test_the_structure_tree_is_one_consistent_tree(joined: bytes) -> None:
    with pikepdf.open(io.BytesIO(joined)) as document:
        pages = {page.obj.objgen for page in document.pages}
        tree = document.Root.StructTreeRoot
        assert bool(document.Root.MarkInfo.Marked)
        (top,) = tree.K if isinstance(tree.K, pikepdf.Array) else [tree.K]
        assert top.S == "/Document"
        nums = tree.ParentTree.Nums
        keys = [int(nums[i]) for i in range(0, len(nums), 2)]
        assert len(keys) == len(set(keys))
        assert max(keys) < int(tree.ParentTreeNextKey)
        for page in document.pages:
            assert int(page.obj.StructParents) in keys
            for annotation in page.obj.get("/Annots", ()):
                if annotation.get("/Subtype") == "/Link":
                    assert int(annotation.StructParent) in keys
        names = tree.IDTree.Names
        id_names = [str(names[i]) for i in range(0, len(names), 2)]
        id_tree = {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}
        assert id_names == sorted(id_names)
        assert len(id_names) == len(set(id_names))
        headers: set[str] = set()
        ids_seen: list[str] = []
        elements = 0
        stack = [(top, tree)]
        while stack:
            element, parent = stack.pop()
            if not isinstance(element, pikepdf.Dictionary) or "/S" not in element:
                continue  # a marked-content or object reference
            elements += 1
            assert element.P.objgen == parent.objgen
            if "/ID" in element:
                ids_seen.append(str(element.ID))
                assert id_tree[str(element.ID)].objgen == element.objgen  # the tree names the element itself
            if "/Pg" in element:
                assert element.Pg.objgen in pages
            for attribute in _list(element.get("/A")):
                if isinstance(attribute, pikepdf.Dictionary) and "/Headers" in attribute:
                    headers.update(str(h) for h in attribute.Headers)
            stack += [(kid, element) for kid in _list(element.get("/K"))]
        assert elements > 1000
        assert headers
        assert headers <= set(id_names)
        assert sorted(ids_seen) == id_names
        outline = document.open_outline()
        assert len(outline.root) >= 7
        assert {str(item.title).split(" ", 1)[0] for item in outline.root} >= {str(n) for n in range(1, 8)}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, pikepdf.Array) else [value]


@pytest.mark.slow
def test_the_same_report_gives_the_same_bytes(html: str, joined: bytes) -> None:
    assert pdf.html_to_pdf(html, part_cells=PART_CELLS) == joined


def test_a_typst_error_in_a_worker_is_a_render_error(html: str, monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def read_bytes(self) -> bytes:
            return b"#let broken = ("

    monkeypatch.setattr(pdf, "packaged_file", lambda *_: Broken())
    with pytest.raises(RenderError, match="Typst failed"):
        pdf.html_to_pdf(html, part_cells=PART_CELLS)


def test_the_worker_runs_without_fromline_on_its_path() -> None:
    source = Path(pdf.WORKER).read_text(encoding="utf-8")
    assert "evidence" not in re.findall(r"^(?:from|import) (\w+)", source, flags=re.MULTILINE)


# ---------------------------------------------------------------- long tokens wrap in their cells

PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(PDFTOTEXT is None, reason="poppler-utils (pdftotext) is not installed")
BASE = "python:3.12-slim-bookworm@sha256:3b8e1f0c7d2a94e6b5f0c1d8a7e3b29f6c4d0e8a1b7f5c3e9d2a6b0f4c8e1d73"
# The boundary report's table of base images: a reference with its digest in a third of the page's width.
BASES = f"""<!DOCTYPE html><html lang="en"><head><title>Bases</title></head><body>
<table class="grid"><thead><tr><th scope="col">Base image</th><th scope="col">Images built on it</th>
<th scope="col">Open base-image findings</th></tr></thead>
<tbody><tr><td class="mono wrap">{BASE}</td><td>registry.example.com/webapp 1.4.0</td><td class="num">54</td></tr>
</tbody></table></body></html>"""

Box = tuple[int, float, float, float, float, str]  # page, x min, y min, x max, y max, word


def placed_words(data: bytes, folder: Path) -> list[Box]:
    """Every word of the PDF with its box, as poppler's text extraction sees them."""
    path = folder / "placed.pdf"
    path.write_bytes(data)
    assert PDFTOTEXT is not None
    xhtml = subprocess.run([PDFTOTEXT, "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    found: list[Box] = []
    for number, page in enumerate(xhtml.split("<page ")[1:], start=1):
        for match in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page
        ):
            x0, y0, x1, y1 = (float(v) for v in match.groups()[:4])
            found.append((number, x0, y0, x1, y1, html_text.unescape(match.group(5))))
    return found


def overlapping(words: list[Box]) -> list[tuple[int, str, str]]:
    """Pairs of words drawn over each other: a word that ran out of its cell into the next column."""
    found = []
    ordered = sorted(words)
    for index, (page, _, y0, x1, y1, text) in enumerate(ordered):
        for other in ordered[index + 1 :]:
            if other[0] != page or other[1] >= x1 - 0.5:
                break
            if min(y1, other[4]) - max(y0, other[2]) > 2:  # on the same line, not only touching
                found.append((page, text, other[5]))
    return found


@needs_pdftotext
def test_a_digest_wraps_in_its_cell_and_copies_as_itself(tmp_path: Path) -> None:
    data = pdf.html_to_pdf(BASES)
    words = placed_words(data, tmp_path)
    assert overlapping(words) == []
    built_on = next(w for w in words if w[5].startswith("registry.example.com"))
    reference = [w for w in words if w[1] < built_on[1] and w[5] not in ("Base", "image")]
    assert len({w[2] for w in reference}) > 1  # on several lines
    assert max(w[3] for w in reference) < built_on[1]  # all left of the next column
    assert "".join(w[5] for w in sorted(reference, key=lambda w: (w[2], w[1]))) == BASE
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert BASE in text.replace("\n", "")  # copied from the PDF: the digest, and no zero-width characters


@pytest.mark.slow
@needs_pdftotext
def test_no_word_of_the_report_runs_into_another(whole: bytes, tmp_path: Path) -> None:
    assert overlapping(placed_words(whole, tmp_path)) == []
