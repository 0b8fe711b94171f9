"""The report's HTML read back as data for the PDF: text as a browser shows it, the running strings out of the
flow, the charts' SVG kept whole, and the ids links may point to."""

from __future__ import annotations

from evidence.render.typeset import report_tree

HTML = """<!DOCTYPE html><html lang="en"><head><title>Report: x</title>
<meta name="dcterms.created" content="2026-11-20T12:00:00+00:00"><style>p { color: red }</style></head>
<body>
<section id="cover"><div class="running" aria-hidden="true"><span class="run-image">webapp, release 1.4.0</span>
  <span class="run-time">Assessed 2026-11-20</span></div>
  <p class="small">  Verified   with key
     <span class="mono">sha256:ab</span> (cosign.pub).<br>
     From  <a href="#ev-1">x.json</a>.  </p>
</section>
<table class="grid"><tbody>
  <tr id="ev-1"><td>1</td><td colspan="2">&lt;script&gt; &amp; #read("/etc/passwd")</td></tr>
</tbody></table>
<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" role="img"><title>a &amp; b</title>
<rect width="1"/></svg></figure>
</body></html>"""


def test_text_is_collapsed_and_trimmed_as_a_browser_shows_it() -> None:
    tree = report_tree(HTML)
    section = tree.body[2]
    paragraph = section[2]
    assert paragraph[:2] == ["p", {"class": "small"}]
    assert paragraph[2:] == [
        "Verified with key ",
        ["span", {"class": "mono"}, "sha256:ab"],
        " (cosign.pub).",
        ["br", {}],
        "From ",
        ["a", {"href": "#ev-1"}, "x.json"],
        ".",
    ]


def test_markup_in_text_stays_text_and_attributes_are_filtered() -> None:
    tree = report_tree(HTML)
    table = tree.body[3]
    row = table[2][2]
    assert row[:2] == ["tr", {"id": "ev-1"}]
    cell = row[3]
    assert cell[:2] == ["td", {"colspan": "2"}]
    assert "".join(c for c in cell[2:] if isinstance(c, str)) == '<script> & #read("/etc/passwd")'
    assert all(c == ["wbr", {}] for c in cell[2:] if not isinstance(c, str))  # the long token's break opportunities


def test_running_strings_title_date_and_ids() -> None:
    tree = report_tree(HTML)
    assert tree.title == "Report: x"
    assert tree.created == "2026-11-20T12:00:00+00:00"
    assert tree.running == {"run-image": "webapp, release 1.4.0", "run-time": "Assessed 2026-11-20"}
    assert tree.ids == {"cover", "ev-1"}
    assert "webapp, release" not in str(tree.body)  # the running strings are not in the flow


def test_chart_svg_is_kept_whole_and_escaped() -> None:
    figure = report_tree(HTML).body[4]
    svg = figure[2]
    assert svg[0] == "svg"
    assert svg[2] == (
        '<svg xmlns="http://www.w3.org/2000/svg" role="img"><title>a &amp; b</title>\n<rect width="1"></rect></svg>'
    )


DIGEST = "python:3.12-slim-bookworm@sha256:3b8e1f0c7d2a94e6b5f0c1d8a7e3b29f6c4d0e8a1b7f5c3e9d2a6b0f4c8e1d73"


def _cell(text: str) -> list[object]:
    """The children of a table cell holding `text`, as `report_tree` reads it."""
    html = f'<html><body><table><tbody><tr><td class="mono wrap">{text}</td></tr></tbody></table></body></html>'
    children: list[object] = report_tree(html).body[2][2][2][2][2:]
    return children


def test_a_long_token_gets_break_opportunities_and_keeps_its_text() -> None:
    children = _cell(f"Pinned: {DIGEST}.")
    pieces = [c for c in children if isinstance(c, str)]
    assert "".join(pieces) == f"Pinned: {DIGEST}."  # nothing added to the text
    assert all(c == ["wbr", {}] for c in children if not isinstance(c, str))
    assert children[1::2] == [["wbr", {}]] * (len(children) // 2)  # a break between every two pieces
    digest_pieces = pieces[1:]
    assert len(digest_pieces) >= 64 // 8
    assert max(len(p) for p in digest_pieces) <= 2 * 8  # the hex is cut, not only its separators
    assert "@sha256:" in digest_pieces  # a line breaks before the `@`, after the `:`
    assert digest_pieces[-1].endswith("73.")  # the full stop stays with the token


def test_words_numbers_and_short_tokens_keep_whole() -> None:
    for text in (
        "Internationalization responsibilities counterintelligence",
        "released 2026-11-20T12:00:00Z as version 3.12.1-r0",
        "sha256:ab cosign.pub",
    ):
        assert _cell(text) == [text]
    assert _cell("/usr/lib/x86_64-linux-gnu/libssl.so.3")[0] == "/usr/"  # a leading slash stays with its name


def test_prose_breaks_only_tokens_too_long_for_its_line() -> None:
    prose = "Signed by registry.example.com/webapp (cosign.pub), see webapp-1.4.0/image-inspect.json."
    body = report_tree(f"<html><body><p>{prose}</p><p>{DIGEST}</p></body></html>").body
    assert body[2][2:] == [prose]
    assert ["wbr", {}] in body[3]


def test_chart_svg_gets_no_break_opportunities() -> None:
    svg = f'<svg xmlns="http://www.w3.org/2000/svg"><title>{DIGEST}</title></svg>'
    tree = report_tree(f"<html><body><figure>{svg}</figure></body></html>")
    assert DIGEST in tree.body[2][2][2]
