"""Join the parts of a long report.pdf, typeset separately, into one tagged PDF.

Each part is a complete tagged PDF from Typst (`evidence.render.pdf`). Joining keeps what makes the result one
accessible document: the parts' structure trees become one (their elements under one Document element, the
parent tree renumbered, element ids made unique per part and table header references with them), the outlines
are chained, the links one part makes to another (`fromline-xref:ID`, a URI only the join reads) point at the
page and place of their target, and the running header and footer (typeset once for every page, as the
"furniture" document) are drawn on each page as pagination artifacts.

pikepdf (qpdf) does the PDF object work: copying objects between documents with their references kept, and
writing the result with deterministic ids.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from evidence.errors import RenderError

if TYPE_CHECKING:
    import pikepdf

__all__ = ["XREF", "Anchor", "join_parts", "page_count"]

XREF = "fromline-xref:"
Anchor = tuple[int, float, float]  # page index in the joined document, x and y from the page's top left, in pt
RUNNING = "/FromlineRunning"  # the XObject name of the running header and footer on each page
_NPAGES = re.compile(rb"<xmpTPg:NPages>\d+</xmpTPg:NPages>")


def _pikepdf() -> Any:
    try:
        import pikepdf  # noqa: PLC0415 - needed by the long reports only
    except ImportError as exc:
        raise RenderError(f"cannot write report.pdf: the pikepdf package is not installed ({exc})") from exc
    return pikepdf


def page_count(pdf: bytes) -> int:
    with _pikepdf().open(io.BytesIO(pdf)) as document:
        return len(document.pages)


def _number_tree(node: Any) -> Iterator[tuple[int, Any]]:
    if "/Nums" in node:
        nums = node.Nums
        for index in range(0, len(nums), 2):
            yield int(nums[index]), nums[index + 1]
    for kid in node.get("/Kids", ()):
        yield from _number_tree(kid)


def _elements(pikepdf: Any, node: Any) -> Iterator[pikepdf.Dictionary]:
    stack = list(node) if isinstance(node, pikepdf.Array) else [node]
    while stack:
        element = stack.pop()
        if not isinstance(element, pikepdf.Dictionary) or element.get("/Type") == "/OBJR":
            continue
        if "/S" in element:
            yield element
        kids = element.get("/K")
        if isinstance(kids, pikepdf.Array):
            stack.extend(kids)
        elif isinstance(kids, pikepdf.Dictionary):
            stack.append(kids)


def _ids(pikepdf: Any, tree: pikepdf.Dictionary, prefix: str) -> list[tuple[str, Any]]:
    """The elements that have an id, by id. Ids are unique in one part only (Typst numbers its tables from one in
    each), so they get `prefix`, and so do the table cells' /Headers that name them. The id tree is made from the
    elements themselves: Typst's holds copies of them."""
    found: list[tuple[str, Any]] = []
    for element in _elements(pikepdf, tree.K):
        if "/ID" in element:
            name = prefix + str(element.ID)
            if prefix:
                element.ID = pikepdf.String(name)
            if element.is_indirect:
                found.append((name, element))
        attributes = element.get("/A")
        if not prefix or attributes is None:
            continue
        listed = isinstance(attributes, pikepdf.Array)
        renamed, changed = [], False
        for attribute in attributes if listed else [attributes]:
            if isinstance(attribute, pikepdf.Dictionary) and "/Headers" in attribute:
                headers = pikepdf.Array([pikepdf.String(prefix + str(h)) for h in attribute.Headers])
                attribute = pikepdf.Dictionary({**dict(attribute.items()), "/Headers": headers})  # noqa: PLW2901
                changed = True
            renamed.append(attribute)
        if changed:
            element.A = pikepdf.Array(renamed) if listed else renamed[0]
    return found


def _document(pikepdf: Any, tree: pikepdf.Dictionary) -> Any:
    kids = tree.K
    if isinstance(kids, pikepdf.Array):
        if len(kids) != 1:
            raise RenderError("cannot write report.pdf: a part's structure tree has no single Document element")
        kids = kids[0]
    return kids


def _indirect(document: pikepdf.Pdf, value: pikepdf.Object) -> pikepdf.Object:
    return value if value.is_indirect else document.make_indirect(value)


class _Joined:
    def __init__(self, pikepdf: Any, first: bytes) -> None:
        self.pikepdf = pikepdf
        self.pdf = pikepdf.open(io.BytesIO(first))
        self.tree = self.pdf.Root.StructTreeRoot
        self.document = _document(pikepdf, self.tree)
        if not isinstance(self.document.K, pikepdf.Array):
            self.document.K = pikepdf.Array([self.document.K])
        self.nums: list[Any] = []
        for key, value in _number_tree(self.tree.ParentTree):
            self.nums += [key, value]
        self.next_key = int(self.tree.get("/ParentTreeNextKey", 0))
        self.ids = _ids(pikepdf, self.tree, "")
        if "/Outlines" not in self.pdf.Root:
            self.pdf.Root.Outlines = self.pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines, Count=0))
        self.outlines = self.pdf.Root.Outlines

    def append(self, data: bytes, prefix: str) -> None:
        pikepdf, pdf = self.pikepdf, self.pdf
        other = pikepdf.open(io.BytesIO(data))
        tree = other.Root.StructTreeRoot
        offset = self.next_key
        for page in other.pages:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annotation in page.obj.get("/Annots", ()):
                if "/StructParent" in annotation:
                    annotation.StructParent = int(annotation.StructParent) + offset
        ids = _ids(pikepdf, tree, prefix)
        pdf.pages.extend(other.pages)
        document = _document(pikepdf, tree)
        kids = document.K if isinstance(document.K, pikepdf.Array) else [document.K]
        for kid in kids:
            copied = pdf.copy_foreign(_indirect(other, kid)) if isinstance(kid, pikepdf.Dictionary) else kid
            if isinstance(copied, pikepdf.Dictionary):
                copied.P = self.document
            self.document.K.append(copied)
        for key, value in _number_tree(tree.ParentTree):
            self.nums += [key + offset, pdf.copy_foreign(_indirect(other, value))]
        self.next_key = offset + int(tree.get("/ParentTreeNextKey", 0))
        self.ids += [(name, pdf.copy_foreign(element)) for name, element in ids]
        if "/RoleMap" in tree:
            role_map = self.tree.get("/RoleMap") or pikepdf.Dictionary()
            for role, standard in tree.RoleMap.items():
                role_map[role] = standard
            self.tree.RoleMap = role_map
        self._chain_outline(other)
        self._detach(other)

    def _detach(self, source: pikepdf.Pdf) -> None:
        """Give the streams copied from `source` their own (still encoded) data, and close it: qpdf reads a
        copied stream's data from its source only when writing, so every part would stay in memory till then.
        (copy_foreign of an object already copied is that copy.)"""
        pikepdf = self.pikepdf
        for original in source.objects:
            if isinstance(original, pikepdf.Stream):
                copy = self.pdf.copy_foreign(original)
                copy.write(copy.read_raw_bytes(), filter=copy.get("/Filter"), decode_parms=copy.get("/DecodeParms"))
        source.close()

    def _chain_outline(self, other: pikepdf.Pdf) -> None:
        source = other.Root.get("/Outlines")
        if source is None or "/First" not in source:
            return
        first = self.pdf.copy_foreign(source.First)
        item, last = first, first
        while item is not None:
            item.Parent = self.outlines
            last = item
            item = item.get("/Next")
        if "/Last" in self.outlines:
            self.outlines.Last.Next = first
            first.Prev = self.outlines.Last
        else:
            self.outlines.First = first
        self.outlines.Last = last
        self.outlines.Count = int(self.outlines.get("/Count", 0)) + int(source.get("/Count", 0))

    def point_links(self, anchors: Mapping[str, Anchor]) -> None:
        pikepdf = self.pikepdf
        pages = self.pdf.pages
        for page in pages:
            for annotation in page.obj.get("/Annots", ()):
                action = annotation.get("/A")
                if action is None or action.get("/S") != "/URI" or not str(action.URI).startswith(XREF):
                    continue
                target = str(action.URI)[len(XREF) :]
                if target not in anchors:
                    raise RenderError(f"cannot write report.pdf: a link points at {target!r}, which no part holds")
                index, x, y = anchors[target]
                height = float(pages[index].mediabox[3])
                del annotation["/A"]
                annotation.Dest = pikepdf.Array([pages[index].obj, pikepdf.Name.XYZ, x, height - y, 0])
                annotation.Contents = pikepdf.String(f"page {index + 1}")  # as Typst describes a link in a document

    def draw_furniture(self, furniture: bytes) -> None:
        pikepdf = self.pikepdf
        source = pikepdf.open(io.BytesIO(furniture))
        if len(source.pages) != len(self.pdf.pages):
            raise RenderError(
                f"cannot write report.pdf: {len(source.pages)} running headers for {len(self.pdf.pages)} pages"
            )
        for page, running in zip(self.pdf.pages, source.pages, strict=True):
            form = self.pdf.copy_foreign(running.as_form_xobject())
            # A fixed name, not add_resource's random one: the same inputs give the same bytes.
            name = page.add_resource(form, pikepdf.Name.XObject, name=RUNNING, replace_existing=False)
            page.contents_add(pikepdf.Stream(self.pdf, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(self.pdf, b"Q\nq /Artifact BMC " + str(name).encode() + b" Do EMC Q\n"))
        self._detach(source)

    def save(self) -> bytes:
        pikepdf = self.pikepdf
        self.tree.ParentTree = self.pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(self.nums)))
        self.tree.ParentTreeNextKey = self.next_key
        if self.ids:
            names: list[Any] = []
            for name, element in sorted(self.ids, key=lambda item: item[0].encode()):
                names += [pikepdf.String(name), element]
            self.tree.IDTree = self.pdf.make_indirect(pikepdf.Dictionary(Names=pikepdf.Array(names)))
        metadata = self.pdf.Root.get("/Metadata")
        if metadata is not None:
            count = b"<xmpTPg:NPages>%d</xmpTPg:NPages>" % len(self.pdf.pages)
            metadata.write(_NPAGES.sub(count, metadata.read_bytes()))
        out = io.BytesIO()
        self.pdf.save(
            out,
            deterministic_id=True,
            compress_streams=True,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            fix_metadata_version=False,
        )
        self.pdf.close()
        return out.getvalue()


def join_parts(parts: list[bytes], furniture: bytes, anchors: Mapping[str, Anchor]) -> bytes:
    """One tagged PDF of `parts` in order, with the running header and footer of `furniture` (one page for
    each page of the parts) drawn on every page, and the links between parts pointed at `anchors`."""
    joined = _Joined(_pikepdf(), parts[0])
    for index, part in enumerate(parts[1:], start=1):
        joined.append(part, prefix=f"p{index}-")
    joined.point_links(anchors)
    joined.draw_furniture(furniture)
    return joined.save()
