from __future__ import annotations

import dataclasses
import io
import re
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from conftest import DIGEST, NOW

from evidence.errors import RenderError
from evidence.evaluate import derive_recorded
from evidence.model import AuditPackage, EvidenceKind, EvidenceRef, ImageRef, Skipped, ToolInfo, VexStatement
from evidence.render import _jinja
from evidence.render.interface import Renderer
from evidence.render.pdf import PdfReport
from evidence.render.report import HtmlReport, render_html

SECTION_HEADINGS = (
    "Container image security assessment",
    "Contents",
    "1 Executive summary",
    "Controls by status",
    "Vulnerabilities by severity",
    "Image integrity",
    "Evidence about other images",
    "2 Scope, method and limitations",
    "3 Control matrix",
    "4 Control details",
    "5 Vulnerabilities",
    "6 Plan of action and milestones",
    "7 Evidence index",
    "8 Skipped files",
)

SCRIPT = "<script>alert(1)</script>"
EVIL = '"><img src=x onerror=alert(1)>javascript:alert(2)</style>'


def hostile(pkg: AuditPackage) -> AuditPackage:
    """The hand package with attacker text in every field the report prints, ids included."""
    control = dataclasses.replace(
        pkg.controls[0],
        control_id=EVIL,
        title=SCRIPT,
        reason=SCRIPT,
        catalog=EVIL,
        nist_800_53=(SCRIPT,),
        not_shown=SCRIPT,
    )
    evidence = [
        dataclasses.replace(e, id=EVIL if n == 0 else e.id, path=SCRIPT + e.path, format=SCRIPT, tool=SCRIPT)
        for n, e in enumerate(pkg.evidence)
    ]
    statement = VexStatement(
        vulnerability="CVE-2023-0001", status=SCRIPT, justification=SCRIPT, author=EVIL, impact_statement=SCRIPT
    )
    suppression = dataclasses.replace(
        pkg.vulnerabilities[1].suppression,  # type: ignore[type-var]
        statement=statement,
        evidence=EvidenceRef(evidence_id=EVIL, path=SCRIPT, sha256="3" * 64, location=EVIL),
    )
    vuln = dataclasses.replace(
        pkg.vulnerabilities[1], id=EVIL, package=SCRIPT, purl="pkg:npm/" + SCRIPT, suppression=suppression
    )
    changed = dataclasses.replace(
        pkg,
        profile=SCRIPT,
        subject=dataclasses.replace(pkg.subject, name=SCRIPT, release=EVIL, reference=EVIL),
        controls=(control, *pkg.controls[1:]),
        evidence=tuple(evidence),
        vulnerabilities=(pkg.vulnerabilities[0], vuln),
        skipped=(Skipped(path=EVIL, reason=SCRIPT),),
    )
    return derive_recorded(changed)


@pytest.fixture
def hand_package(hand_package: AuditPackage) -> AuditPackage:
    """The conftest package, with the summary and POA&M items evaluation records (renderers only look them up)."""
    return derive_recorded(hand_package)


def normalized(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------- HTML


def test_html_has_every_section_control_and_the_digest(hand_package: AuditPackage) -> None:
    html = render_html(hand_package)
    for heading in SECTION_HEADINGS:
        assert heading in html, heading
    for control in hand_package.controls:
        assert control.control_id in html
        assert control.title in html
    assert DIGEST in html
    assert hand_package.subject.reference in html
    for evidence in hand_package.evidence:
        assert evidence.sha256 in html  # full digest in the evidence index
        assert evidence.path in html
    assert "CVE-2024-5535" in html
    assert "CVE-2023-0001" in html
    assert "vulnerable_code_not_in_execute_path" in html  # the VEX justification of the suppressed one
    assert "Sec Team" in html
    assert "in/notes.txt" in html
    assert "not a recognized evidence format" in html
    assert "2026-11-20 12:00:00 UTC" in html


def test_html_verdicts_are_worded(hand_package: AuditPackage) -> None:
    html = render_html(hand_package)
    assert "Verified with key" in html
    assert "sha256:" + "cd" * 32 in html
    assert f"No build provenance attestation for {DIGEST} was supplied" in html  # the check's reason
    assert "2 components" in html
    assert "It names the assessed image digest." in html
    # The grype scan of another image is called out, with the digest it does name.
    assert "not used for any verdict" in html
    assert "sha256:" + "ef" * 32 in html


def test_html_escapes_script(hand_package: AuditPackage) -> None:
    html = render_html(hostile(hand_package))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html
    assert "<img" not in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html  # inert text, not markup
    # The hand package's own quote characters come out as entities.
    assert "&#39; /C calc&#39;!A0" in render_html(hand_package)


def test_input_never_reaches_urls_ids_or_styles(hand_package: AuditPackage) -> None:
    html = render_html(hostile(hand_package))
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs
    assert all(re.fullmatch(r"#[a-z]+(-[0-9]+)?", h) for h in hrefs), hrefs
    ids = re.findall(r'\bid="([^"]*)"', html)
    assert all(re.fullmatch(r"[a-z]+(-[0-9]+)?", i) for i in ids), ids
    assert len(ids) == len(set(ids))
    classes = " ".join(re.findall(r'class="([^"]*)"', html))
    assert re.fullmatch(r"[a-z0-9 -]*", classes), classes
    assert "style=" not in html
    assert html.count("<style>") == 1
    assert html.count("</style>") == 1
    style = html[html.index("<style>") : html.index("</style>")]
    assert "alert" not in style
    assert "script" not in style


def test_html_is_standalone(hand_package: AuditPackage) -> None:
    html = render_html(hand_package)
    assert html.startswith("<!DOCTYPE html>")
    lowered = html.lower()
    for needle in ("<link", "src=", "url(", "@import", "http://", "https://", "<script"):
        assert needle not in lowered, needle
    assert '<meta name="dcterms.created" content="2026-11-20T12:00:00Z">' in html


def test_html_report_is_a_renderer_and_deterministic(hand_package: AuditPackage) -> None:
    renderer: Renderer = HtmlReport()
    assert renderer.filename == "report.html"
    first, second = io.BytesIO(), io.BytesIO()
    renderer.render(hand_package, first)
    renderer.render(hand_package, second)
    assert first.getvalue() == second.getvalue()
    assert first.getvalue().decode("utf-8") == render_html(hand_package)


def test_empty_package_renders() -> None:
    pkg = AuditPackage(
        tool=ToolInfo(name="fromline", version="0.1.0"),
        subject=ImageRef(reference=f"example/app@{DIGEST}", name="example/app", digest=DIGEST),
        profile="default",
        assessed_at=NOW,
    )
    html = render_html(derive_recorded(pkg))
    assert "No controls were assessed." in html
    assert f"No image signature for {DIGEST} was supplied." in html
    assert "No input files were skipped." in html
    assert "release not stated" in html


# ---------------------------------------------------------------- filters


def test_dates_are_shown_in_utc() -> None:
    eastern = timezone(timedelta(hours=-5))
    assert _jinja.utc(datetime(2026, 11, 20, 7, 0, tzinfo=eastern)) == "2026-11-20 12:00:00 UTC"
    assert _jinja.utc(datetime(2026, 11, 20, 12, 0)) == "2026-11-20 12:00:00 UTC"  # noqa: DTZ001
    assert _jinja.utc(None) == "not stated"
    assert _jinja.w3c(datetime(2026, 11, 20, 12, 0, tzinfo=UTC)) == "2026-11-20T12:00:00Z"


def test_short_digest() -> None:
    assert _jinja.short("sha256:" + "ab" * 32) == "abababababab"
    assert _jinja.short("1" * 64) == "111111111111"
    assert _jinja.short(None) == "not stated"


def test_every_evidence_kind_has_a_label() -> None:
    labels = [_jinja.kind_label(kind) for kind in EvidenceKind]
    assert all(label != kind.value for label, kind in zip(labels, EvidenceKind, strict=True)), labels
    assert len(set(labels)) == len(labels)


def test_environment_escapes_and_is_strict() -> None:
    env = _jinja.environment()
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    with pytest.raises(Exception, match="undefined"):
        env.from_string("{{ missing }}").render()
    assert env.get_template("report.html.j2").environment is env


# ---------------------------------------------------------------- PDF


def test_missing_typst_is_a_render_error(hand_package: AuditPackage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "typst", None)  # makes `import typst` raise ImportError
    with pytest.raises(RenderError, match="typst package is not installed"):
        PdfReport().render(hand_package, io.BytesIO())


@pytest.mark.slow
def test_pdf_report(hand_package: AuditPackage) -> None:
    from pypdf import PdfReader  # noqa: PLC0415

    renderer: Renderer = PdfReport()
    assert renderer.filename == "report.pdf"
    out = io.BytesIO()
    renderer.render(hand_package, out)
    data = out.getvalue()
    assert data.startswith(b"%PDF-1.7")

    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = normalized(text)
    for control in hand_package.controls:
        assert control.control_id in text
    assert normalized(DIGEST) in flat
    assert "Evidence index" in text
    assert "Executive summary" in text
    assert "CVE-2024-5535" in text
    assert "Page 1 of" in text
    assert hand_package.subject.name in reader.pages[1].extract_text()  # the running header, from page 2 on

    root: Any = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])  # a tagged PDF (Section 508): structure tree, tables with headers
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en"

    metadata = reader.metadata
    assert metadata is not None
    assert metadata.title is not None
    assert metadata.title.startswith("Container image security assessment")
    assert metadata.creation_date == NOW
    assert metadata.modification_date == NOW


def test_the_report_html_is_rendered_once_for_the_html_and_the_pdf(
    hand_package: AuditPackage, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evidence.render import report  # noqa: PLC0415

    contexts: list[AuditPackage] = []
    real = report._context

    def counted(pkg: AuditPackage) -> dict[str, object]:
        contexts.append(pkg)
        return real(pkg)

    monkeypatch.setattr(report, "_context", counted)
    monkeypatch.setattr(report, "_last_rendered", [])
    first = report.render_html(hand_package)
    assert report.render_html(hand_package) is first
    assert len(contexts) == 1
    other = dataclasses.replace(hand_package)
    assert report.render_html(other) == first  # an equal package is rendered again, never mistaken for another
    assert len(contexts) == 2
