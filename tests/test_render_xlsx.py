"""The Excel workbook: layout, values, and that no input text ever becomes a formula."""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
import subprocess
import sys
import zipfile
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from conftest import DIGEST, NOW, libreoffice_csv

from evidence.errors import RenderError
from evidence.evaluate import derive_recorded
from evidence.model import AuditPackage, Binding, Component, ControlResult, Status
from evidence.render.interface import Renderer
from evidence.render.xlsx import SHEETS, Workbook, _wrapped_lines, cell_text

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
HYPERLINK = '=HYPERLINK("http://x")'
DDE = "@cmd|' /C calc'!A0"

HEADERS = {
    "Controls": (
        "Catalog", "Control", "Title", "Status", "Reason", "NIST 800-53", "CCI", "Vuln ID", "CAT",
        "IA control (DISA)", "Scope", "Not shown by image evidence", "Responsible layer", "Checks", "Evidence",
    ),
    "Vulnerabilities": (
        "ID", "Aliases", "Package", "Installed version", "Fixed versions", "Severity", "Severity by scanner",
        "Rating basis", "CVSS score", "CVSS vector", "CVSS source", "Title", "Scanners", "State", "VEX status",
        "VEX justification", "VEX author", "VEX file", "Evidence", "KEV", "KEV due date", "EPSS",
        "EPSS percentile", "Attribution", "Attribution reason", "First detected (UTC)", "SLA days", "Due (UTC)",
        "Overdue", "Closed at (UTC)", "Deviation", "Deviation flags", "Disagreements",
        "CVSS problems",
    ),
    "Components": ("Name", "Version", "Type", "purl", "Licenses", "Supplier", "Layer", "Source file", "Location"),
    "Evidence": (
        "Path", "Kind", "Format", "Format version", "Tool", "Tool version", "SHA-256", "Size (bytes)", "Subjects",
        "Binding", "Bound by (verified provenance)", "Collected at (UTC)", "Verification", "Verification reason",
        "Predicate type", "Predicate not read", "Scan filters (hide findings)",
    ),
}  # fmt: skip


def render(pkg: AuditPackage) -> bytes:
    out = io.BytesIO()
    Workbook().render(pkg, out)
    return out.getvalue()


def load(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def rows(ws: Any) -> list[tuple[Any, ...]]:
    return list(ws.iter_rows(values_only=True))


def column(ws: Any, header: str) -> list[Any]:
    """The values under `header` in row 1, down to the first empty row."""
    index = [c.value for c in ws[1]].index(header)
    values = []
    for row in ws.iter_rows(min_row=2, values_only=True):
        if all(v is None for v in row):
            break
        values.append(row[index])
    return values


def labelled(ws: Any, label: str) -> tuple[Any, ...]:
    """The first row whose first cell is `label` (the Summary sheet is label, value, detail)."""
    return next(r for r in rows(ws) if r[0] == label)


def cells_with(book: Any, text: str) -> list[Any]:
    return [c for ws in book for row in ws.iter_rows() for c in row if c.value == text]


def sheet_xml(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")}


@pytest.fixture
def hand_package(hand_package: AuditPackage) -> AuditPackage:
    """The conftest package, with the summary and POA&M items evaluation records (renderers only look them up)."""
    return derive_recorded(hand_package)


@pytest.fixture
def data(hand_package: AuditPackage) -> bytes:
    return render(hand_package)


@pytest.fixture
def book(data: bytes) -> Any:
    return load(data)


def test_is_a_renderer() -> None:
    renderer: Renderer = Workbook()
    assert renderer.filename == "workbook.xlsx"


def test_sheets_in_order(book: Any) -> None:
    assert book.sheetnames == list(SHEETS) == ["Summary", "Controls", "Vulnerabilities", "Components", "Evidence"]
    assert book.active.title == "Summary"


@pytest.mark.parametrize("name", list(HEADERS))
def test_data_sheets_have_a_styled_frozen_filtered_header(book: Any, name: str) -> None:
    ws = book[name]
    header = HEADERS[name]
    assert tuple(c.value for c in ws[1]) == header
    for cell in ws[1]:
        assert cell.font.bold
        assert cell.fill.fill_type == "solid"
    assert ws.freeze_panes == "A2"
    last_column = openpyxl.utils.get_column_letter(len(header))
    expected_rows = {"Controls": 7, "Vulnerabilities": 3, "Components": 3, "Evidence": 6}[name]
    assert ws.auto_filter.ref == f"A1:{last_column}{expected_rows}"
    for letter in (openpyxl.utils.get_column_letter(i) for i in range(1, len(header) + 1)):
        assert 6 <= ws.column_dimensions[letter].width <= 74


def test_summary(book: Any) -> None:
    ws = book["Summary"]
    assert ws.freeze_panes is None
    assert labelled(ws, "Image reference")[1] == f"registry.example.com/webapp@{DIGEST}"
    assert labelled(ws, "Digest")[1] == DIGEST
    assert labelled(ws, "Release")[1] == "1.4.0"
    assert labelled(ws, "Profile")[1] == "default"
    assert labelled(ws, "Assessed at (UTC)")[1] == "2026-11-20T12:00:00Z"
    assert labelled(ws, "Tool")[1] == "fromline 0.1.0"
    assert labelled(ws, "Status")[1:3] == ("nist-800-190", "Total")
    for status in Status:
        assert labelled(ws, status.value)[1:3] == (1, 1)
    assert labelled(ws, "of which satisfied (partial scope)")[1:3] == (1, 1)
    assert labelled(ws, "Severity")[1:6] == ("Open", "Suppressed", "Closed", "Open, overdue", "Open, in KEV")
    assert labelled(ws, "critical")[1:3] == (1, 0)
    assert labelled(ws, "low")[1:3] == (0, 1)
    assert labelled(ws, "Evidence")[1:5] == ("Verdict", "Status", "Reason", "Evidence cited")
    signature = labelled(ws, "Signature")
    assert signature[1:3] == ("Verified", "satisfied")
    assert signature[3].startswith("signature.verified: Image signature verified")
    assert "in/payload.json" in signature[4]
    assert labelled(ws, "Provenance")[1:3] == ("Missing", "evidence-missing")
    assert labelled(ws, "SBOM")[1:3] == ("Bound to the image", "satisfied")
    assert labelled(ws, "Evidence about other images (not used)")[1] == 1


def test_controls(book: Any) -> None:
    ws = book["Controls"]
    assert column(ws, "Control") == ["4.1.1", "4.1.5", "4.1.3", "4.2.3", "4.3.1", "4.6"]
    # a control satisfied for part of its scope never reads as plain "satisfied", even in a filtered column
    assert column(ws, "Status") == [
        "not-satisfied",
        "satisfied (partial scope)",
        "evidence-missing",
        "manual",
        "not-assessed",
        "not-applicable",
    ]
    assert column(ws, "NIST 800-53")[:2] == ["RA-5, SI-2", "CM-14, SI-7(15)"]
    assert column(ws, "Scope") == ["full", "partial", "full", "none", "none", "none"]
    assert column(ws, "Not shown by image evidence")[1] == "that the orchestrator verifies signatures at admission"
    assert column(ws, "Responsible layer")[4] == "orchestrator"
    assert column(ws, "Checks")[0] == "vulnscan.no_fixable_critical_high: not-satisfied"
    assert column(ws, "Evidence")[:3] == [
        "in/trivy.json [sha256:222222222222] /Results/0",
        "in/payload.json [sha256:444444444444]",
        None,
    ]
    assert ws["D2"].fill.fill_type == "solid"  # statuses are colored


def test_vulnerabilities(book: Any) -> None:
    ws = book["Vulnerabilities"]
    assert column(ws, "ID") == ["CVE-2024-5535", "CVE-2023-0001"]
    assert column(ws, "CVSS score") == [9.1, None]
    assert column(ws, "CVSS vector")[0] == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H"
    assert column(ws, "Severity by scanner") == ["trivy: critical", "grype: low"]
    assert column(ws, "State") == ["open", "suppressed"]
    assert column(ws, "VEX status") == [None, "not_affected"]
    assert column(ws, "VEX justification") == [None, "vulnerable_code_not_in_execute_path"]
    assert column(ws, "VEX author") == [None, "Sec Team"]
    assert column(ws, "VEX file") == [None, "in/openvex.json [sha256:333333333333] /statements/0"]


def test_components_come_from_bound_sboms_only(hand_package: AuditPackage) -> None:
    ws = load(render(hand_package))["Components"]
    assert column(ws, "Name") == ["openssl", HYPERLINK]
    assert column(ws, "Source file") == ["in/sbom.cdx.json"] * 2
    assert column(ws, "purl")[0] == "pkg:deb/debian/openssl@3.0.11-1~deb12u2"

    sbom = hand_package.evidence[0]
    other = dataclasses.replace(sbom, path="in/other.cdx.json", binding=Binding.MISMATCH,
                                components=(Component(name="not-this-image"),))  # fmt: skip
    pkg = dataclasses.replace(hand_package, evidence=(*hand_package.evidence, other))
    assert column(load(render(pkg))["Components"], "Name") == ["openssl", HYPERLINK]


def test_evidence_and_skipped(book: Any) -> None:
    ws = book["Evidence"]
    assert column(ws, "Path")[:5] == [
        "in/sbom.cdx.json", "in/trivy.json", "in/openvex.json", "in/payload.json", "in/grype-other.json",
    ]  # fmt: skip
    assert column(ws, "Size (bytes)")[0] == 100
    assert column(ws, "Collected at (UTC)")[0] == "2026-11-20T12:00:00Z"  # dates are text
    assert column(ws, "Binding")[4] == "mismatch"
    assert column(ws, "Verification")[3] == "verified"
    assert column(ws, "Verification reason")[3] == "ECDSA P-256 signature verified with cosign.pub"
    table = rows(ws)
    title = next(i for i, r in enumerate(table) if r[0] == "Skipped files (1)")
    assert table[title - 1] == (None,) * len(HEADERS["Evidence"])
    assert table[title + 1][:2] == ("Path", "Reason")
    assert table[title + 2][:2] == ("in/notes.txt", "not a recognized evidence format")


def test_injection_strings_are_text_with_their_exact_value(book: Any) -> None:
    for text in (HYPERLINK, DDE):
        (cell,) = cells_with(book, text)
        assert cell.data_type == "s"
        assert cell.quotePrefix
    (plain,) = cells_with(book, "<script>alert(1)</script>")
    assert plain.data_type == "s"
    assert not plain.quotePrefix


def test_no_formula_anywhere_in_the_xml(data: bytes) -> None:
    found = set()
    for name, xml in sheet_xml(data).items():
        assert b"<f>" not in xml
        assert b"<f " not in xml
        root = ET.fromstring(xml)  # noqa: S314 - our own output
        assert root.find(f".//{MAIN}f") is None, name
        for c in root.iter(f"{MAIN}c"):
            text = "".join(t.text or "" for t in c.iter(f"{MAIN}t"))
            if text in (HYPERLINK, DDE):
                assert c.get("t") in ("s", "inlineStr")
                found.add(text)
    assert found == {HYPERLINK, DDE}


TRICKY = [
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "=cmd|' /C calc'!A0",
    "#N/A",
    "#DIV/0!",
    "007",
    "1e5",
    "TRUE",
    "2026-01-01",
    " leading and trailing ",
    "line\nbreak",
]


def test_tricky_text_round_trips_exactly(hand_package: AuditPackage) -> None:
    controls = tuple(
        ControlResult(catalog="c", control_id=f"x-{i}", title=text, status=Status.MANUAL, reason=text)
        for i, text in enumerate(TRICKY)
    )
    book = load(render(dataclasses.replace(hand_package, controls=controls)))
    ws = book["Controls"]
    assert column(ws, "Title") == TRICKY
    for row in ws.iter_rows(min_row=2, min_col=3, max_col=3):
        assert row[0].data_type == "s"
        assert bool(row[0].quotePrefix) == row[0].value.startswith(("=", "+", "-", "@", "\t"))


def test_text_a_cell_cannot_hold() -> None:
    assert cell_text("a\x00b\x0bc\x1fd\ud800e\uffff") == "a\\x00b\\x0bc\\x1fd\\ud800e\ufffd"
    assert cell_text("tab\tcr\rlf\n") == "tab\tcr\\rlf\n"
    assert cell_text("\u202egnp.exe\x1b[31m\x85") == "\\u202egnp.exe\\x1b[31m\\x85"
    long = cell_text("x" * 40_000)
    assert len(long) == 32_767
    assert long.endswith(" … [cut: 40,000 characters; in full in audit.json]")


def test_control_characters_and_long_text_do_not_break_the_render(hand_package: AuditPackage) -> None:
    control = dataclasses.replace(hand_package.controls[0], reason="bell\x07" + "y" * 40_000)
    book = load(render(dataclasses.replace(hand_package, controls=(control,))))
    reason = column(book["Controls"], "Reason")[0]
    assert reason.startswith("bell\\x07yyy")
    assert len(reason) == 32_767


def test_long_text_wraps_and_grows_its_row(hand_package: AuditPackage) -> None:
    reason = "a reason of many words " * 10
    control = dataclasses.replace(hand_package.controls[0], reason=reason)
    ws = load(render(dataclasses.replace(hand_package, controls=(control,))))["Controls"]
    assert ws["E2"].value == reason
    assert ws["E2"].alignment.wrap_text
    assert ws.column_dimensions["E"].width == 74
    assert ws.row_dimensions[2].height >= 45
    assert not ws["B2"].alignment.wrap_text


def test_wrapped_line_estimate() -> None:
    assert _wrapped_lines("", 10) == 1
    assert _wrapped_lines("short", 10) == 1
    assert _wrapped_lines("x" * 25, 10) == 3
    assert _wrapped_lines("aaaa bbbb cccc", 10) == 2
    # after the slash, the long word does not fit the first line and is cut in two
    assert _wrapped_lines("registry.example.com/webapp@" + DIGEST, 71) == 3


def test_an_empty_package(hand_package: AuditPackage) -> None:
    pkg = AuditPackage(tool=hand_package.tool, subject=hand_package.subject, profile="default", assessed_at=NOW)
    book = load(render(derive_recorded(pkg)))
    for name, header in HEADERS.items():
        ws = book[name]
        assert tuple(c.value for c in ws[1]) == header
        assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}1"
    summary = book["Summary"]
    for label in ("Signature", "Provenance", "SBOM"):
        assert labelled(summary, label)[1:3] == ("Missing", "evidence-missing")
    assert labelled(summary, "Evidence about other images (not used)")[1] == 0


def test_workbook_properties_are_pinned(book: Any) -> None:
    assert book.properties.creator == "fromline"
    assert book.properties.created == NOW.replace(tzinfo=None)
    assert book.properties.modified == NOW.replace(tzinfo=None)


def test_a_naive_or_non_utc_time_is_written_as_utc(hand_package: AuditPackage) -> None:
    eastern = NOW.astimezone(timezone(timedelta(hours=-5)))
    assert eastern.hour == 7
    for assessed in (NOW.replace(tzinfo=None), eastern):
        book = load(render(dataclasses.replace(hand_package, assessed_at=assessed)))
        assert labelled(book["Summary"], "Assessed at (UTC)")[1] == "2026-11-20T12:00:00Z"
        assert book.properties.modified == NOW.replace(tzinfo=None)


def test_same_package_same_sheets(hand_package: AuditPackage) -> None:
    with zipfile.ZipFile(io.BytesIO(render(hand_package))) as a, zipfile.ZipFile(io.BytesIO(render(hand_package))) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name


def test_a_failing_output_is_a_render_error(hand_package: AuditPackage) -> None:
    class Full(io.BytesIO):
        def write(self, _: Any) -> int:
            raise OSError(28, "No space left on device")

    with pytest.raises(RenderError, match=r"workbook\.xlsx"):
        Workbook().render(hand_package, Full())


def test_openpyxl_is_imported_only_when_rendering() -> None:
    code = "import sys, evidence.render.xlsx; sys.exit('openpyxl' in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_reads_the_injection_strings_as_text(
    data: bytes, hand_package: AuditPackage, tmp_path: Path
) -> None:
    source = tmp_path / "workbook.xlsx"
    source.write_bytes(data)
    libreoffice_csv(source, tmp_path)
    with (tmp_path / "workbook-Components.csv").open(encoding="utf-8", newline="") as f:
        components = list(csv.reader(f))
    assert components[2][0] == HYPERLINK
    with (tmp_path / "workbook-Vulnerabilities.csv").open(encoding="utf-8", newline="") as f:
        vulnerabilities = list(csv.reader(f))
    assert vulnerabilities[2][2] == DDE
    with (tmp_path / "workbook-Controls.csv").open(encoding="utf-8", newline="") as f:
        assert [r[1] for r in csv.reader(f)][1:] == [c.control_id for c in hand_package.controls]
