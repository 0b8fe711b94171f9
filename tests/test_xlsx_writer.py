"""How every workbook is written: parts that agree with each other, the same bytes whatever the clock, each
value a cell of its type, and the zip64 decision made before a sheet is streamed."""

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
    _column_letter,
    _excel_day,
    _lay_out,
    _sheet_xml,
    cell_text,
    write_workbook,
)
from evidence.visible import _ACTIVE

RENDERERS = (Workbook(), PoamWorkbook(), InventoryWorkbook(), EmassPoamWorkbook())
CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
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
def test_every_part_is_well_formed_typed_and_related(renderer: Any, hand_package: AuditPackage) -> None:
    with zipfile.ZipFile(io.BytesIO(rendered(renderer, hand_package))) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    trees = {name: ET.fromstring(xml) for name, xml in parts.items()}  # noqa: S314 - our own output
    types = trees.pop("[Content_Types].xml")
    overridden = {o.get("PartName", "").lstrip("/") for o in types.iter(f"{CONTENT_TYPES}Override")}
    assert overridden == {name for name in trees if not name.endswith(".rels")}
    for name, tree in trees.items():
        if not name.endswith(".rels"):
            continue
        folder = name.split("_rels/")[0]  # a part's relationships name targets from the part's folder
        for relationship in tree.iter(f"{RELATIONSHIPS}Relationship"):
            target = relationship.get("Target", "")
            assert folder + target in parts, (name, target)


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
        assert {info.date_time for info in archive.infolist()} == {(2026, 11, 20, 12, 0, 0)}


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
        assert b"<f" not in archive.read("xl/worksheets/sheet1.xml")


def test_excel_escapes_in_text_stay_text(hand_package: AuditPackage) -> None:
    # Excel would show "_x202E_" as U+202E, a right-to-left override: its underscore is escaped as Excel escapes it.
    texts = ("pkg_x202E_gnp.exe", "_x005F_x0041_", "_x41_ and _xyz_", "snake_x_case")
    data = written(Sheet("Sheet", Table(("Text",), tuple((t,) for t in texts))), pkg=hand_package)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    stored = [t.text for t in ET.fromstring(xml).iter(f"{MAIN}t")][1:]  # noqa: S314 - our own output
    assert stored == ["pkg_x005F_x202E_gnp.exe", "_x005F_x005F_x005F_x0041_", "_x41_ and _xyz_", "snake_x_case"]
    excel_reads = [re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), text or "") for text in stored]
    assert excel_reads == list(texts)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_shows_text_with_excel_escapes_as_written(hand_package: AuditPackage, tmp_path: Path) -> None:
    texts = ["pkg_x202E_gnp.exe", "_x005F_x0041_", "=1+1"]
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
    assert ws.cell(row=1, column=1).style == "Fromline header"


def test_column_letters() -> None:
    assert [_column_letter(n) for n in (1, 26, 27, 34, 52, 53, 702, 703, 16_384)] == [
        "A", "Z", "AA", "AH", "AZ", "BA", "ZZ", "AAA", "XFD"
    ]  # fmt: skip


def test_dates_are_excel_serial_days() -> None:
    assert _excel_day(date(1900, 3, 1)) == "61"
    assert _excel_day(date(2026, 11, 20)) == "46346"
    assert _excel_day(datetime(2026, 11, 20, 18, tzinfo=UTC)) == "46346.75"
    assert _excel_day(datetime(2026, 11, 20, 13, tzinfo=timezone(timedelta(hours=-5)))) == "46346.75"
    assert _excel_day(datetime(2026, 11, 20, 18)) == "46346.75"  # noqa: DTZ001 - a naive time is UTC


def test_a_sheet_never_writes_more_bytes_than_its_layout_allows_for() -> None:
    # The bound decides, before the sheet is streamed, whether its zip entry needs zip64.
    worst = "&<>" * 300 + "\U0001f600" * 200 + "日本語" * 100
    table = Table(("A", "B", "C"), ((worst, 1.5, date(2026, 1, 1)), ("=x\ny", None, worst), ("&", "<", ">")))
    sheet = Sheet("S", table, sections=(Section("T", Table(("é",), ((worst,),))),), header_block=(("&",),))
    layout = _lay_out(sheet)
    size = sum(len(piece.encode()) for piece in _sheet_xml(sheet, layout, selected=True))
    assert size <= layout.most_bytes


def test_text_with_nothing_to_escape_is_exactly_the_printable_text() -> None:
    # cell_text skips its escapes for printable text: so every character they act on must be unprintable.
    every_character = "".join(map(chr, range(0x110000)))
    acted_on = {m[0] for pattern in (_ACTIVE, _NOT_XML) for m in pattern.finditer(every_character)}
    assert acted_on
    assert [c for c in acted_on if c.isprintable()] == []
    assert cell_text("plain text, ünïcode, 日本語") == "plain text, ünïcode, 日本語"
