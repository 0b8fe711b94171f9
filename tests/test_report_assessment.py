"""The report as an assessment report: who assessed which system, the scope, the method and its limits, the risk
exposure table and the charts; a cover on one page and no page left mostly blank, for every profile."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import SAMPLE_KEY, SAMPLE_TIMESTAMP, SAMPLES, sample_image
from pypdf import PdfReader

from evidence.catalog.loader import BUNDLED_PROFILES
from evidence.cli import main
from evidence.errors import ExitCode
from evidence.evaluate.summary import _open_by_age
from evidence.model import AgeBucket, Severity, VulnerabilityRecord, VulnerabilityState
from evidence.render.charts import Bar, Segment, stacked_bars, stacked_columns
from evidence.resources import TEMPLATES, packaged_file

RELEASE = "1.4.0"
CONTEXT = [
    "--system-name", "Example Cloud", "--system-id", "F1234567890", "--impact", "moderate", "--csp", "Example Corp",
    "--assessor", "Ada Assessor <ada@3pao.example>", "--assessor-org", "Example 3PAO",
    "--poc", "Pat Owner <pat@example.com>", "--ssp", "https://example.com/ssp.json", "--ap", "ap.json",
]  # fmt: skip


def _package(out: Path, *extra: str, key: bool = True) -> list[str]:
    keys = ["--key", str(SAMPLE_KEY)] if key else []
    return ["package", str(SAMPLES / f"webapp-{RELEASE}"), "--image", sample_image(RELEASE), "--release", RELEASE,
            "--timestamp", SAMPLE_TIMESTAMP, *keys, "--out", str(out), "--quiet", *extra]  # fmt: skip


@pytest.fixture(scope="module")
def stated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stated") / "package"
    assert main(_package(out, "--profile", "fedramp-moderate", *CONTEXT)) == 0
    return out


def test_the_context_is_recorded_as_given(stated: Path) -> None:
    context = orjson.loads((stated / "audit.json").read_bytes())["context"]
    assert context["system"] == {
        "name": "Example Cloud",
        "id": "F1234567890",
        "impact": "moderate",
        "csp": "Example Corp",
    }
    assert context["assessor"] == {"name": "Ada Assessor", "email": "ada@3pao.example", "organization": "Example 3PAO"}
    assert context["point_of_contact"] == {"name": "Pat Owner", "email": "pat@example.com", "organization": None}
    assert (context["ssp_href"], context["ap_href"]) == ("https://example.com/ssp.json", "ap.json")
    assert context["trust_anchors"]["key_ids"]
    assert context["trust_anchors"]["policy"] is False


def test_the_report_names_system_assessor_scope_method_and_limits(stated: Path) -> None:
    html = (stated / "report.html").read_text(encoding="utf-8")
    chapter = " ".join(html[html.index('id="scope"') : html.index('id="matrix"')].split())
    for text in ("Example Cloud", "F1234567890", "moderate", "Example Corp", "Ada Assessor, Example 3PAO",
                 "&lt;ada@3pao.example&gt;", "Pat Owner", "https://example.com/ssp.json", "Method", "Limitations",
                 "Trusted here: 1 key", "not assessed", "for the host"):  # fmt: skip
        assert text in chapter, text


def test_without_a_context_the_report_says_what_is_not_stated(sample_package: Callable[..., Path]) -> None:
    html = (sample_package(RELEASE) / "report.html").read_text(encoding="utf-8")
    assert 'not stated (<span class="mono">--system-name</span>)' in html
    assert 'not stated (<span class="mono">--assessor</span>): an automated assessment by fromline' in html


def test_without_trust_anchors_the_method_says_no_signature_counts(tmp_path: Path) -> None:
    assert main(_package(tmp_path / "package", key=False)) == 0
    html = " ".join((tmp_path / "package" / "report.html").read_text(encoding="utf-8").split())
    assert "<strong>No trust anchor was named</strong>, so no signature counts as verified." in html


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--impact", "high"], "--impact describes the system: give --system-name too"),
        (["--system-id", "X", "--csp", "Y"], "--system-id, --csp describe the system: give --system-name too"),
        (["--assessor-org", "3PAO"], "--assessor-org needs --assessor"),
        (["--assessor", "<nobody>"], "--assessor takes 'Name' or 'Name <email>', not '<nobody>'"),
        (["--poc", "Pat <pat>"], "--poc takes 'Name' or 'Name <email>'"),
        # not an address OSCAL's `email` format takes: refused here, never written into the OSCAL metadata
        (["--poc", "Pat <pat..doe@example.com>"], "--poc takes 'Name' or 'Name <email>'"),
        (["--assessor", "Ada <ada lovelace@example.com>"], "--assessor takes 'Name' or 'Name <email>'"),
        (["--assessor", "Ada <ada@3pao@example>"], "--assessor takes 'Name' or 'Name <email>'"),
    ],
)
def test_context_options_that_do_not_fit_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    assert main(_package(tmp_path / "package", *options)) == ExitCode.USAGE
    assert message in capsys.readouterr().err
    assert not (tmp_path / "package").exists()


def test_the_risk_exposure_table_lists_failed_controls_and_findings_that_matter(stated: Path) -> None:
    audit = orjson.loads((stated / "audit.json").read_bytes())
    html = (stated / "report.html").read_text(encoding="utf-8")
    risks = " ".join(html[html.index('id="risks"') : html.index('id="scope"')].split())
    failed = [c for c in audit["controls"] if c["status"] == "not-satisfied"]
    assert failed
    for control in failed:
        assert f">{control['control_id']}</a>" in risks
    scans = [i for i in audit["poam"] if i["status"] == "open" and i["source"] == "scan"]
    requested = ("Pending", "Yes")  # a deviation asked for, by a request or by a VEX statement
    listed = [
        i for i in scans if i["severity"] in ("critical", "high") or i["deviation"] or i["false_positive"] in requested
    ]
    assert listed
    for item in listed:
        assert item["poam_id"] in risks
    quiet = [i for i in audit["poam"] if i["status"] == "open" and i["severity"] == "low" and not i["kev"]]
    assert not any(f">{i['poam_id']}<" in risks for i in quiet if not i["overdue"] and not i["deviation"])
    assert f"The other {len(scans) - len(listed)} open" in risks
    for item in (i for i in audit["poam"] if i["source"] == "control"):
        assert item["poam_id"] in risks  # beside its control


def test_the_charts_are_labelled_images_with_the_numbers_of_their_tables(stated: Path) -> None:
    html = (stated / "report.html").read_text(encoding="utf-8")
    charts = re.findall(r"<svg [^>]*role=\"img\"[^>]*><title>([^<]+)</title>", html)
    assert charts == [
        "Controls by status, per catalog: the numbers are in the table above",
        "Open findings by days since first detection and severity: the numbers are in the table above",
    ]


def test_chart_text_is_escaped() -> None:
    hostile = "<script>x</script>\u202e&"
    bar = Bar(hostile, (Segment("Critical", "#000", 2), Segment("Low", "#111", 0)))
    for chart in (stacked_bars([bar], "t"), stacked_columns([bar], "t")):
        assert "<script>" not in chart
        assert "&lt;script&gt;" in chart
        assert "\u202e" not in chart


def _record(days: int | None, severity: Severity, state: VulnerabilityState) -> VulnerabilityRecord:
    from conftest import NOW  # noqa: PLC0415

    first = None if days is None else NOW - timedelta(days=days)
    return VulnerabilityRecord(id="CVE-1", package="p", severity=severity, state=state, first_detected=first)


def test_open_findings_are_counted_by_age_at_the_assessment_time() -> None:
    from conftest import NOW  # noqa: PLC0415

    records = (
        _record(0, Severity.CRITICAL, VulnerabilityState.OPEN),
        _record(30, Severity.HIGH, VulnerabilityState.OPEN),
        _record(31, Severity.HIGH, VulnerabilityState.OPEN),
        _record(180, Severity.LOW, VulnerabilityState.OPEN),
        _record(181, Severity.LOW, VulnerabilityState.OPEN),
        _record(None, Severity.MEDIUM, VulnerabilityState.OPEN),
        _record(400, Severity.LOW, VulnerabilityState.SUPPRESSED),
    )
    rows = {row.age: row for row in _open_by_age(records, NOW)}
    assert list(rows) == list(AgeBucket)
    assert {age: row.total for age, row in rows.items()} == {
        AgeBucket.UP_TO_30: 2, AgeBucket.UP_TO_90: 1, AgeBucket.UP_TO_180: 1, AgeBucket.OVER_180: 1,
        AgeBucket.UNKNOWN: 1,
    }  # fmt: skip
    assert rows[AgeBucket.UP_TO_30].counts[Severity.HIGH] == 1


def test_table_text_is_at_least_8_points() -> None:
    css = packaged_file(TEMPLATES, "report.css").read_text(encoding="utf-8")
    body = re.sub(r"@page\s*\{(?:[^{}]|\{[^{}]*\})*\}", "", css)  # the running header and footer are not tables
    sizes = [float(n) for n in re.findall(r"font-size:\s*([\d.]+)pt", body)]
    assert sizes
    assert min(sizes) >= 8


_FOOTER = 70  # PDF points from the bottom: the running footer sits below this


def _lowest_text(page: Any) -> float:
    heights: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            heights.append(tm[5] * cm[3] + cm[5])

    page.extract_text(visitor_text=visit)
    return min((h for h in heights if h > _FOOTER), default=float(page.mediabox.height))


@pytest.mark.parametrize("profile", BUNDLED_PROFILES)
def test_one_page_cover_and_no_page_mostly_blank(sample_package: Callable[..., Path], profile: str) -> None:
    pages = PdfReader(sample_package(RELEASE, profile) / "report.pdf").pages
    cover = " ".join(pages[0].extract_text().split())
    assert "ASSESSMENT REPORT" in cover
    assert "Controls that image evidence cannot decide are marked for manual review." in cover  # its last words
    assert "Contents" in pages[1].extract_text().split("\n")[:2]  # after the running header
    middle = float(pages[0].mediabox.height) / 2
    blank = [n for n, page in enumerate(pages[:-1], start=1) if _lowest_text(page) > middle]
    assert not blank, f"pages whose text ends above the middle: {blank}"
