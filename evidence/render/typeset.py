"""The report's HTML as a tree of plain data, for the Typst template that prints it as `report.pdf`.

The PDF is the same document as `report.html`: the HTML is rendered once and read back here into nested
lists (`[tag, attributes, child, ...]`, text as strings, whitespace collapsed as a browser would), which
`templates/report.typ` lays out. Only the attributes the layout needs are kept: `class`, `id`, `href`,
`colspan`, `scope`. The evidence never becomes Typst markup: every string reaches Typst as a JSON string and
is printed as text.

Charts (inline SVG, written by `render.charts`) are kept as their SVG source, which Typst draws as an image.
The running header and footer are taken out of the flow and returned as `Running`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from typing import Any

__all__ = ["ReportTree", "report_tree"]

Node = list[Any]  # [tag, attributes, *children]; a child is a Node or a str

KEPT = ("class", "id", "href", "colspan", "scope")
VOID = frozenset({"br", "col", "meta", "img", "hr", "link", "input", "wbr"})
# Elements whose whitespace-only text is layout, not content.
CONTAINERS = frozenset(
    {"body", "section", "nav", "article", "table", "thead", "tbody", "tr", "colgroup", "ul", "ol", "figure", "div"}
)
_SPACE = re.compile(r"[ \t\n\r\f]+")


@dataclass
class ReportTree:
    body: Node
    title: str = ""
    created: str = ""  # the dcterms.created meta: the assessment time, W3C date-time
    running: dict[str, str] = field(default_factory=dict)  # class of a `.running` span -> its text
    ids: set[str] = field(default_factory=set)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tree = ReportTree(body=["body", {}])
        self.stack: list[Node] = []
        self.in_title = False
        self.svg: list[str] | None = None  # the SVG source being copied
        self.svg_depth = 0
        self.running_depth = 0
        self.running_class = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: C901, PLR0911
        if self.svg is not None:
            self.svg.append(f"<{tag}" + "".join(f' {k}="{escape(v or "")}"' for k, v in attrs) + ">")
            self.svg_depth += 1
            return
        attributes = {k: v or "" for k, v in attrs if k in KEPT}
        if tag == "title":
            self.in_title = True
            return
        if tag == "meta" and dict(attrs).get("name") == "dcterms.created":
            self.tree.created = dict(attrs).get("content") or ""
            return
        if tag == "body":
            self.stack = [self.tree.body]
            return
        if not self.stack:
            return
        if self.running_depth:
            self.running_depth += 1
            self.running_class = attributes.get("class", "")
            return
        if "running" in attributes.get("class", "").split():
            self.running_depth = 1
            return
        if tag == "svg":
            self.svg = ["<svg" + "".join(f' {k}="{escape(v or "")}"' for k, v in attrs) + ">"]
            self.svg_depth = 1
            return
        if "id" in attributes:
            self.tree.ids.add(attributes["id"])
        node: Node = [tag, attributes]
        self.stack[-1].append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        if self.svg is not None:
            self.svg.append(f"</{tag}>")
            self.svg_depth -= 1
            if self.svg_depth == 0:
                self.stack[-1].append(["svg", {}, "".join(self.svg)])
                self.svg = None
            return
        if tag == "title":
            self.in_title = False
            return
        if self.running_depth:
            self.running_depth -= 1
            self.running_class = ""
            return
        if tag in VOID or len(self.stack) <= 1:
            return
        # Pop to the matching element: the report's HTML is well formed, this only guards the reader.
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                _trim(self.stack[-1][-1] if self.stack[-1] and isinstance(self.stack[-1][-1], list) else [])
                return

    def handle_data(self, data: str) -> None:
        if self.svg is not None:
            self.svg.append(escape(data, quote=False))
            return
        if self.in_title:
            self.tree.title += data
            return
        if self.running_depth:
            if self.running_class:
                text = self.tree.running.get(self.running_class, "") + data
                self.tree.running[self.running_class] = _SPACE.sub(" ", text).strip()
            return
        if not self.stack:
            return
        parent = self.stack[-1]
        text = _SPACE.sub(" ", data)
        if text == " " and parent[0] in CONTAINERS:
            return
        if len(parent) > 2 and isinstance(parent[-1], str):
            parent[-1] += text
        else:
            parent.append(text)


def _trim(node: Node) -> None:
    """Strip the space a browser would not show: at the start and end of an element's text, and around line
    breaks."""
    if len(node) < 3:
        return
    children = node[2:]
    for i, child in enumerate(children):
        if isinstance(child, str):
            before = children[i - 1] if i else None
            after = children[i + 1] if i + 1 < len(children) else None
            text = child
            if i == 0 or (isinstance(before, list) and before[0] == "br"):
                text = text.lstrip()
            if after is None or (isinstance(after, list) and after[0] == "br"):
                text = text.rstrip()
            children[i] = text
    node[2:] = [c for c in children if c != ""]


def report_tree(html: str) -> ReportTree:
    """The body of the report's HTML as nested lists, with its title, creation time and running strings."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    _trim(reader.tree.body)
    return reader.tree
