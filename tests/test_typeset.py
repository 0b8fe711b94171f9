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
    assert row[3] == ["td", {"colspan": "2"}, '<script> & #read("/etc/passwd")']


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
