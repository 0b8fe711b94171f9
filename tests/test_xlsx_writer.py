"""How every workbook is written, read back as a spreadsheet reads it: the same bytes whatever the clock, each
value a cell of its type and format, text never a formula nor one of Excel's escapes, and the sheet's layout
(widths, wraps, row heights, frozen header, filter, print setup)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import time
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from conftest import libreoffice_csv

from evidence.evaluate import derive_recorded
from evidence.model import AuditPackage
from evidence.render.emass_poam import EmassPoamWorkbook
from evidence.render.inventory_xlsx import InventoryWorkbook
from evidence.render.poam_xlsx import PoamWorkbook
from evidence.render.xlsx import (
    _NOT_XML,
    Section,
    Sheet,
    Table,
    Workbook,
    cell_text,
    split_sheet,
    write_workbook,
)
from evidence.visible import _ACTIVE

RENDERERS = (Workbook(), PoamWorkbook(), InventoryWorkbook(), EmassPoamWorkbook())
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
XLSXWRITER_ENTRY_TIME = (1980, 1, 31, 0, 0, 0)  # XlsxWriter gives every entry this time, whatever the clock
FORMULA_LIKE = ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1")


@pytest.fixture
def hand_package(hand_package: AuditPackage) -> AuditPackage:
    return derive_recorded(hand_package)


def rendered(renderer: Any, pkg: AuditPackage) -> bytes:
    out = io.BytesIO()
    renderer.render(pkg, out)
    return out.getvalue()


def written(*sheets: Sheet, pkg: AuditPackage) -> bytes:
    out = io.BytesIO()
    write_workbook(pkg, sheets, out, filename="test.xlsx")
    return out.getvalue()


@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda r: r.filename)
def test_every_workbook_opens_with_its_sheets_and_title(renderer: Any, hand_package: AuditPackage) -> None:
    book = openpyxl.load_workbook(io.BytesIO(rendered(renderer, hand_package)))
    assert book.sheetnames
    assert hand_package.subject.reference in book.properties.title
    assert book.properties.created == hand_package.assessed_at.astimezone(UTC).replace(tzinfo=None)
    assert book.properties.modified == book.properties.created


@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda r: r.filename)
def test_the_same_package_gives_the_same_bytes_whatever_the_clock(
    renderer: Any, hand_package: AuditPackage, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = rendered(renderer, hand_package)
    later = time.time() + 3 * 365 * 86_400
    local = time.localtime
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "localtime", lambda seconds=None: local(later if seconds is None else seconds))
    assert rendered(renderer, hand_package) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {XLSXWRITER_ENTRY_TIME}


def test_text_that_starts_like_a_formula_is_text_wherever_it_is_written(hand_package: AuditPackage) -> None:
    block = (("=title",), ("Label", "=block value"))
    table = Table(("Text",), tuple((text,) for text in FORMULA_LIKE))
    section = Section("=section title", Table(("=header",), (("=below",),)))
    data = written(Sheet("Sheet", table, sections=(section,), header_block=block), pkg=hand_package)
    cells = [c for row in openpyxl.load_workbook(io.BytesIO(data))["Sheet"].iter_rows() for c in row]
    texts = {c.value: c for c in cells if c.value is not None}
    for text in (*FORMULA_LIKE, "=title", "=block value", "=section title", "=header", "=below"):
        assert texts[text].data_type == "s", text
        assert texts[text].quotePrefix, text
    assert not texts["Label"].quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


def test_excel_escapes_in_text_stay_text(hand_package: AuditPackage) -> None:
    # Excel would show "_x202E_" as U+202E, a right-to-left override: its underscore is escaped as Excel escapes it.
    texts = ("pkg_x202E_gnp.exe", "_x005F_x0041_", "_x005F_x202E_", "_x41_ and _xyz_", "snake_x_case")
    data = written(Sheet("Sheet", Table(("Text",), tuple((t,) for t in texts))), pkg=hand_package)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    stored = [t.text for t in ET.fromstring(xml).iter(f"{MAIN}t")][1:]  # noqa: S314 - our own output
    assert stored == [
        "pkg_x005F_x202E_gnp.exe",
        "_x005F_x005F_x005F_x0041_",
        "_x005F_x005F_x005F_x202E_",
        "_x41_ and _xyz_",
        "snake_x_case",
    ]
    excel_reads = [re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), text or "") for text in stored]
    assert excel_reads == list(texts)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_shows_text_with_excel_escapes_as_written(hand_package: AuditPackage, tmp_path: Path) -> None:
    texts = ["pkg_x202E_gnp.exe", "_x005F_x0041_", "=1+1", "<r><t>x</t></r>"]
    source = tmp_path / "escapes.xlsx"
    source.write_bytes(written(Sheet("S", Table(("Text",), tuple((t,) for t in texts))), pkg=hand_package))
    libreoffice_csv(source, tmp_path)
    with (tmp_path / "escapes-S.csv").open(encoding="utf-8", newline="") as f:
        assert [row[0] for row in csv.reader(f)][1:] == texts


def test_values_are_cells_of_their_type(hand_package: AuditPackage) -> None:
    day, moment = date(2026, 11, 20), datetime(2026, 11, 20, 18, tzinfo=UTC)
    values = ("text", 7, 2.5, float("nan"), day, moment, None, "")
    data = written(Sheet("Sheet", Table(tuple(f"c{n}" for n in range(len(values))), (values,))), pkg=hand_package)
    ws = openpyxl.load_workbook(io.BytesIO(data))["Sheet"]
    row = [ws.cell(row=2, column=n + 1) for n in range(len(values))]
    naive = moment.replace(tzinfo=None)  # openpyxl reads a date back as a naive time
    expected = ["text", 7, 2.5, "nan", naive.replace(hour=0), naive, None, None]
    assert [c.value for c in row] == expected
    assert [c.data_type for c in row[:4]] == ["s", "n", "n", "s"]
    assert all(c.is_date and c.number_format == "yyyy-mm-dd" for c in row[4:6])
    header = ws.cell(row=1, column=1)
    assert header.font.b
    assert header.fill.fgColor.rgb == "FFD9E1F2"
    assert header.border.bottom.style == "thin"


def test_text_that_looks_like_markup_is_text(hand_package: AuditPackage) -> None:
    # XlsxWriter would write text shaped like its own rich-string XML unescaped: it stays text here.
    texts = ("<r><t>x</t></r>", '<r></t></is></c><c r="B2"><f>1+1</f></c><c><is><t></r>', "<b>&amp;</b>")
    data = written(Sheet("Sheet", Table(("Text",), tuple((t,) for t in texts))), pkg=hand_package)
    ws = openpyxl.load_workbook(io.BytesIO(data))["Sheet"]
    assert [ws.cell(row=n, column=1).value for n in (2, 3, 4)] == list(texts)
    assert ws.max_column == 1
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


def test_dates_are_excel_dates_in_utc(hand_package: AuditPackage) -> None:
    values = (
        date(1900, 3, 1),
        date(2026, 11, 20),
        datetime(2026, 11, 20, 18, tzinfo=UTC),
        datetime(2026, 11, 20, 13, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 11, 20, 18),  # noqa: DTZ001 - a naive time is UTC
    )
    data = written(Sheet("Sheet", Table(tuple(f"c{n}" for n in range(len(values))), (values,))), pkg=hand_package)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    serials = [v.text for v in ET.fromstring(xml).iter(f"{MAIN}v")]  # noqa: S314 - our own output
    assert serials == ["61", "46346", "46346.75", "46346.75", "46346.75"]


def test_the_layout_is_the_sheet_model(hand_package: AuditPackage) -> None:
    block = (("Title of the form, longer than any column",), ("Label", "value"), ())
    long_text = "word " * 30
    table = Table(
        ("Name", "Status", "Notes"),
        (("a", "satisfied", long_text), ("b", "not-satisfied", "one\ntwo")),
        fills=("Status",),
    )
    sheet = Sheet("Sheet", table, sections=(Section("Totals", Table(("Count",), ((2,),))),), header_block=block)
    ws = openpyxl.load_workbook(io.BytesIO(written(sheet, pkg=hand_package)))["Sheet"]
    assert ws.freeze_panes == "A5"
    assert ws.auto_filter.ref == "A4:C6"
    assert ws.print_title_rows == "$4:$4"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth in {None, 1}  # one page wide: 1 is the default, which XlsxWriter leaves out
    assert ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # Widths in characters: the longest line below the title, plus two; capped, and longer text wraps.
    assert [ws.column_dimensions[c].width for c in "ABC"] == [8, 15, 74]  # "Totals", "not-satisfied", capped
    assert ws["A1"].font.b
    assert not ws["A2"].font.b
    assert ws["A1"].alignment.horizontal == "left"
    assert ws["A4"].value == "Name"
    assert ws["A4"].font.b
    assert ws["A4"].fill.fgColor.rgb == "FFD9E1F2"
    assert ws["B5"].fill.fgColor.rgb == "FFC6EFCE"
    assert ws["B6"].fill.fgColor.rgb == "FFFFC7CE"
    assert [ws[c].alignment.wrap_text for c in ("A5", "C5", "C6")] == [None, True, True]
    assert ws["C5"].alignment.vertical == "top"
    # 150 characters wrapped at 71: three lines and the padding; a height is kept in whole pixels (0.75 points).
    assert ws.row_dimensions[5].height == pytest.approx(15 * 3 + 4, abs=0.75)
    assert ws.row_dimensions[6].height == pytest.approx(15 * 2 + 4, abs=0.75)
    assert ws["A8"].value == "Totals"
    assert ws["A8"].fill.fgColor.rgb == "FFBDD7EE"
    assert (ws["A9"].value, ws["A10"].value) == ("Count", 2)


def test_a_table_longer_than_a_sheet_is_split_with_its_header_and_filter(hand_package: AuditPackage) -> None:
    block = (("Title",), ("Label", "value"))
    table = Table(("N",), tuple((n,) for n in range(10)))
    sheet = Sheet("Components", table, sections=(Section("After", Table(("X",), (("x",),))),), header_block=block)
    parts = split_sheet(sheet, max_rows=8)
    out = io.BytesIO()
    write_workbook(hand_package, parts, out, filename="test.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["Components", "Components (2)", "Components (3)"]
    numbers = []
    for name in book.sheetnames[:2]:
        ws = book[name]
        assert [ws["A1"].value, ws["A2"].value, ws["A3"].value] == ["Title", "Label", "N"]
        assert ws.freeze_panes == "A4"
        numbers += [row[0] for row in ws.iter_rows(min_row=4, values_only=True)]
    assert numbers == list(range(10))
    assert book["Components (3)"]["A1"].value == "After"


def test_text_with_nothing_to_escape_is_exactly_the_printable_text() -> None:
    # cell_text skips its escapes for printable text: so every character they act on must be unprintable.
    every_character = "".join(map(chr, range(0x110000)))
    acted_on = {m[0] for pattern in (_ACTIVE, _NOT_XML) for m in pattern.finditer(every_character)}
    assert acted_on
    assert [c for c in acted_on if c.isprintable()] == []
    assert cell_text("plain text, ünïcode, 日本語") == "plain text, ünïcode, 日本語"
