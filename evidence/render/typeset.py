"""The report's HTML as a tree of plain data, for the Typst template that prints it as `report.pdf`.

The PDF is the same document as `report.html`: the HTML is rendered once and read back here into nested
lists (`[tag, attributes, child, ...]`, text as strings, whitespace collapsed as a browser would), which
`templates/report.typ` lays out. Only the attributes the layout needs are kept: `class`, `id`, `href`,
`colspan`, `scope`. The evidence never becomes Typst markup: every string reaches Typst as a JSON string and
is printed as text.

Charts (inline SVG, written by `render.charts`) are kept as their SVG source, which Typst draws as an image.
The running header and footer are taken out of the flow and returned as `Running`.

A long token without a place to break it (an image reference with its digest, a purl, a URL, a hash) would run
out of its table cell into the next column: `report_tree` gives it break opportunities, as HTML's `<wbr>`
elements between pieces of its text (`["wbr", {}]`), which the template prints as an empty box. Nothing is added
to the text, so a digest copied from the PDF is the digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from typing import Any

__all__ = ["Node", "ReportTree", "report_tree", "split_parts"]

Node = list[Any]  # [tag, attributes, *children]; a child is a Node or a str

KEPT = ("class", "id", "href", "colspan", "scope")
VOID = frozenset({"br", "col", "meta", "img", "hr", "link", "input", "wbr"})
# Elements whose whitespace-only text is layout, not content.
CONTAINERS = frozenset(
    {"body", "section", "nav", "article", "table", "thead", "tbody", "tr", "colgroup", "ul", "ol", "figure", "div"}
)
_SPACE = re.compile(r"[ \t\n\r\f]+")

# Break opportunities: in a long token, at each run of the separators of identifiers, paths and URLs (`_pieces`),
# and within a long run of anything else when it holds a digit (hex, base64, a version) or is too long to be a
# word, every PIECE characters or so. Prose words are never broken. A token is long from LONG_IN_CELL characters
# in a table cell or in code (the classes of NARROW), whose columns may be narrow, and from LONG_IN_PROSE elsewhere,
# where a line holds about a hundred characters: "(cosign.pub)." in a paragraph keeps whole.
LONG_IN_CELL = 12
LONG_IN_PROSE = 40
PIECE = 8
SHORTEST_PIECE = 4
NARROW = frozenset({"mono", "wrap", "hash", "loc", "cid"})
_LONG_IN_CELL = re.compile(rf"\S{{{LONG_IN_CELL},}}")
_LONG_IN_PROSE = re.compile(rf"\S{{{LONG_IN_PROSE},}}")
_SEPARATED = re.compile(r"[^@:/._=&?#+~,;|-]+|[@:/._=&?#+~,;|-]+")
_SEPARATORS = frozenset("@:/._=&?#+~,;|-")
_BREAK_BEFORE = frozenset(".@_?#~")
_NUMBER_JOINS = frozenset(".,-:")


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


def _pieces(token: str) -> list[str]:
    """`token` cut where a line may break: at its separators, and in its long runs of anything else that are not
    words. As in URLs set in print, a line breaks before a dot, `@`, `_`, `?`, `#` or `~` (the next line shows it
    goes on), after the other separators."""
    pieces = [""]
    runs = _SEPARATED.findall(token)
    for index, run in enumerate(runs):
        if run[0] in _SEPARATORS:
            after = runs[index + 1] if index + 1 < len(runs) else ""
            # Not inside a number, version or time ("3.12", "2026-11-20", "12:00"); a hash after "sha256:" may
            # start with a digit.
            number = run in _NUMBER_JOINS and pieces[-1][-1:].isdigit() and after[:1].isdigit()
            breaks = not (number and len(after) < 2 * PIECE)
            # Not at either end ("/usr/lib" keeps its slash with "usr", "example.com." its full stop), nor after a
            # piece too short to be worth a line of its own ("V-CVE-", "x86_64").
            if run[0] in _BREAK_BEFORE:
                if breaks and len(pieces[-1]) >= SHORTEST_PIECE and after:
                    pieces.append("")
                pieces[-1] += run
            else:
                pieces[-1] += run
                if breaks and len(pieces[-1]) >= SHORTEST_PIECE and pieces[-1] != run:
                    pieces.append("")
            continue
        if len(run) >= 2 * PIECE and (len(run) >= 3 * PIECE or any(c.isdigit() for c in run)):
            count = -(-len(run) // PIECE)
            size = -(-len(run) // count)  # pieces of even length: no stub of one or two characters at the end
            cut = [run[i : i + size] for i in range(0, len(run), size)]
            pieces[-1] += cut[0]
            pieces.extend(cut[1:])
        else:
            pieces[-1] += run
    return [piece for piece in pieces if piece]


def _breakable(text: str, long: re.Pattern[str]) -> list[Any]:
    """`text` as itself, or as its pieces with a `wbr` between each where it holds a `long` token."""
    found: list[Any] = []
    start = 0
    for match in long.finditer(text):
        pieces = _pieces(match.group())
        if len(pieces) < 2:
            continue
        if found:
            found[-1] += text[start : match.start()] + pieces[0]
        else:
            found.append(text[: match.start()] + pieces[0])
        for piece in pieces[1:]:
            found.extend((["wbr", {}], piece))
        start = match.end()
    if not found:
        return [text]
    found[-1] += text[start:]
    return found


def _add_break_opportunities(node: Node, long: re.Pattern[str] = _LONG_IN_PROSE) -> None:
    if node[0] == "svg":
        return
    if node[0] in ("td", "th") or not NARROW.isdisjoint(node[1].get("class", "").split()):
        long = _LONG_IN_CELL
    children: list[Any] = []
    for child in node[2:]:
        if isinstance(child, str):
            children.extend(_breakable(child, long) if len(child) >= LONG_IN_CELL else (child,))
        else:
            _add_break_opportunities(child, long)
            children.append(child)
    node[2:] = children


def report_tree(html: str) -> ReportTree:
    """The body of the report's HTML as nested lists, with its title, creation time and running strings; a long
    token in its text has break opportunities (`wbr` elements)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    _trim(reader.tree.body)
    _add_break_opportunities(reader.tree.body)
    return reader.tree


def _cost(node: Node, costs: dict[int, int]) -> int:
    """Table cells in the subtree: what Typst's memory grows with (about 15 KB a cell, `make bench`)."""
    total = 1 if node[0] in ("td", "th") else 0
    for child in node[2:]:
        if isinstance(child, list):
            total += _cost(child, costs)
    costs[id(node)] = total
    return total


ATOMIC = frozenset({"tr", "td", "th", "svg", "li", "p", "caption", "thead", "colgroup", "h1", "h2", "h3"})


class _Packer:
    """Fills parts in document order. A node that does not fit in what is left of the current part is entered
    (a table row group by row group) and its pieces fill the part up; a piece that does not fit starts the next
    part, inside copies of its ancestors. The first copy of an element keeps its id; a table's later copies have
    its caption (with "(continued)"), columns and header again, and the class `continued`."""

    def __init__(self, body: Node, budget: int, costs: dict[int, int]) -> None:
        self.body = body
        self.budget = budget
        self.costs = costs
        self.parts: list[Node] = []
        self.copies: dict[int, Node] = {}  # an ancestor's copy in the current part, by id of the original
        self.copied: set[int] = set()  # ancestors copied in an earlier part
        self.spent = 0
        self.new_part()

    def new_part(self) -> None:
        if not self.parts or len(self.parts[-1]) > 2:
            self.parts.append([*self.body[:2]])
        self.copied.update(self.copies)
        self.copies = {}
        self.spent = 0

    def _container(self, path: list[Node]) -> Node:
        """The copy, in the current part, of the innermost element of `path` (made with its ancestors'
        copies when missing)."""
        parent = self.parts[-1]
        for ancestor in path:
            copy = self.copies.get(id(ancestor))
            if copy is None:
                copy = self._copy(ancestor)
                parent.append(copy)
                self.copies[id(ancestor)] = copy
            parent = copy[-1] if copy[0] == "table" else copy
        return parent

    def _copy(self, node: Node) -> Node:
        again = id(node) in self.copied
        attributes = {k: v for k, v in node[1].items() if k != "id"} if again else node[1]
        if node[0] != "table":
            return [node[0], attributes]
        if again:
            attributes = {**attributes, "class": f"{attributes.get('class', '')} continued".strip()}
        frame = [
            [*c, " (continued)"] if again and c[0] == "caption" else c
            for c in node[2:]
            if isinstance(c, list) and c[0] != "tbody"
        ]
        return ["table", attributes, *frame, ["tbody", {}]]

    def place(self, node: Any, path: list[Node]) -> None:
        cost = self.costs[id(node)] if isinstance(node, list) else 0
        if self.spent + cost <= self.budget or not isinstance(node, list) or node[0] in ATOMIC:
            if self.spent and self.spent + cost > self.budget:
                self.new_part()
            self._container(path).append(node)
            self.spent += cost
        elif node[0] == "table":
            frame = cost - sum(
                self.costs[id(part)] for part in node[2:] if isinstance(part, list) and part[0] == "tbody"
            )
            for group in _row_groups(node):
                rows = sum(self.costs[id(row)] for row in group)
                cost = rows if id(node) in self.copies else rows + frame  # the header again in each part
                if self.spent and self.spent + cost > self.budget:
                    self.new_part()
                    cost = rows + frame
                self._container([*path, node]).extend(group)
                self.spent += cost
        else:
            for child in node[2:]:
                self.place(child, [*path, node])


def _row_groups(table: Node) -> list[list[Node]]:
    """A table's body rows, a row of class `tail` with the row before it (the evidence index's pairs)."""
    groups: list[list[Node]] = []
    for part in table[2:]:
        if not (isinstance(part, list) and part[0] == "tbody"):
            continue
        for row in part[2:]:
            if not isinstance(row, list):
                continue
            if "tail" in row[1].get("class", "").split() and groups:
                groups[-1].append(row)
            else:
                groups.append([row])
    return groups


def split_parts(body: Node, budget: int) -> list[Node]:
    """The report's body as documents of about `budget` table cells each, in order: a long report is typeset in
    parts so that Typst's memory stays bounded (it keeps every laid-out cell until the document is done).

    A report within the budget is one part. Otherwise the cover and table of contents are a part of their own,
    so that the contents page numbers can be set once the other parts are laid out without changing its length,
    and the rest fills parts in order, a long table split between its rows. Nothing is dropped or reordered: the
    parts' bodies, read in order, hold the same text as `body`, besides what a continued table repeats."""
    costs: dict[int, int] = {}
    if _cost(body, costs) <= budget:
        return [body]
    packer = _Packer(body, budget, costs)
    for child in body[2:]:
        packer.place(child, [])
        if isinstance(child, list) and child[0] == "nav":
            packer.new_part()
    return [part for part in packer.parts if len(part) > 2]
