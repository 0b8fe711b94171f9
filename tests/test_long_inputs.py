"""Long evidence text is cut in the report and the workbooks, whole in `audit.json`.

Generated attacks on the sample evidence: a package name of 100,000 characters (it made WeasyPrint lay out for
over 15 minutes), an in-toto statement with hundreds of subjects, and sheets with more rows than a spreadsheet holds.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import orjson
import pytest
from conftest import SAMPLE_KEY, SAMPLE_TIMESTAMP, SAMPLES, sample_image
from openpyxl import load_workbook

from evidence.cli import main
from evidence.render import xlsx
from evidence.render._jinja import LISTED, REPORT_LIMIT
from evidence.render.xlsx import Section, Sheet, Table, split_sheet
from evidence.visible import cut

RELEASE = "1.4.0"
LONG_NAME = "libverylong" + "x" * 99_989
SUBJECTS = 300


def test_cut_keeps_short_text_and_marks_long_text() -> None:
    assert cut("short", 10) == "short"
    assert cut("x" * 10, 10) == "x" * 10
    long = cut("y" * 100_000, 1_000)
    assert len(long) == 1_000
    assert long.endswith(" … [cut: 100,000 characters; in full in audit.json]")
    assert long.startswith("y" * 900)
    assert cut("z" * 300, 200, full_in="diff.json").endswith("in full in diff.json]")


def _long_evidence(folder: Path) -> Path:
    evidence = folder / "evidence"
    shutil.copytree(SAMPLES / f"webapp-{RELEASE}", evidence)
    trivy = orjson.loads((evidence / "trivy.json").read_bytes())
    vulnerable = next(r for r in trivy["Results"] if r.get("Vulnerabilities"))
    vulnerable["Vulnerabilities"][0]["PkgName"] = LONG_NAME
    (evidence / "trivy.json").write_bytes(orjson.dumps(trivy))
    sbom = orjson.loads((evidence / "sbom.cdx.json").read_bytes())
    sbom["components"][1]["name"] = LONG_NAME
    (evidence / "sbom.cdx.json").write_bytes(orjson.dumps(sbom))
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": f"artifact-{n}", "digest": {"sha256": f"{n:064x}"}} for n in range(SUBJECTS)],
        "predicateType": "https://example.com/test-result/v1",
        "predicate": {"result": "passed"},
    }
    (evidence / "tests.intoto.json").write_bytes(orjson.dumps(statement))
    return evidence


@pytest.fixture(scope="module")
def long_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("long")
    out = folder / "package"
    args = ["package", str(_long_evidence(folder)), "--image", sample_image(RELEASE), "--release", RELEASE,
            "--timestamp", SAMPLE_TIMESTAMP, "--key", str(SAMPLE_KEY), "--out", str(out), "--quiet"]  # fmt: skip
    assert main(args) == 0
    return out


def test_audit_json_keeps_the_long_name_whole(long_package: Path) -> None:
    audit = (long_package / "audit.json").read_text(encoding="utf-8")
    assert f'"{LONG_NAME}"' in audit


def test_the_report_cuts_every_printed_string(long_package: Path) -> None:
    html = (long_package / "report.html").read_text(encoding="utf-8")
    assert "x" * REPORT_LIMIT not in html
    assert "[cut: 100,000 characters; in full in audit.json]" in html
    # The text between two tags is never longer than the limit (the inlined stylesheet is ours, not evidence).
    body = html[html.index("</style>") :]
    longest = max(len(text) for text in re.split(r"<[^>]+>", body))
    assert longest <= REPORT_LIMIT + 200  # the marker's HTML escapes and the text around a value


def test_the_report_lists_the_first_subjects_and_counts_the_rest(long_package: Path) -> None:
    html = (long_package / "report.html").read_text(encoding="utf-8")
    shown = {int(n, 16) for n in re.findall(r"sha256:([0-9a-f]{64})", html) if int(n, 16) < SUBJECTS}
    assert shown == set(range(LISTED))
    assert f"and {SUBJECTS - LISTED} more (all in audit.json)" in html
    audit = orjson.loads((long_package / "audit.json").read_bytes())
    recorded = next(e for e in audit["evidence"] if e["path"].endswith("tests.intoto.json"))
    assert len(recorded["subjects"]) == SUBJECTS


def test_workbook_cells_are_cut_with_a_marker(long_package: Path) -> None:
    book = load_workbook(long_package / "workbook.xlsx", read_only=True)
    texts = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert max(len(t) for t in texts) <= 32_767
    assert any(t.endswith("[cut: 100,000 characters; in full in audit.json]") for t in texts)


def test_split_sheet_leaves_a_sheet_that_fits_alone() -> None:
    sheet = Sheet("Components", Table(("Name",), (("a",), ("b",))))
    assert split_sheet(sheet, max_rows=3) == (sheet,)


def test_split_sheet_spreads_rows_over_sheets_with_headers_and_keeps_every_row() -> None:
    rows = tuple((f"c{n}",) for n in range(16))
    below = Section("Skipped", Table(("File",), (("x",),)))  # 4 rows: blank, title, header, one
    parts = split_sheet(Sheet("Components", Table(("Name",), rows), sections=(below,)), max_rows=8)
    assert [p.name for p in parts] == ["Components", "Components (2)", "Components (3)"]
    assert all(p.table is not None and p.table.headers == ("Name",) for p in parts)
    assert tuple(r for p in parts if p.table for r in p.table.rows) == rows
    assert [len(p.table.rows) for p in parts if p.table] == [7, 7, 2]
    assert [p.sections for p in parts] == [(), (), (below,)]


def test_each_part_of_a_split_sheet_keeps_its_header_block() -> None:
    rows = tuple((f"c{n}",) for n in range(7))
    block = (("Title",), ("Label",), ("Value",))  # with the header row: 4 rows above the data on every part
    parts = split_sheet(Sheet("Open", Table(("Name",), rows), header_block=block), max_rows=6)
    assert [len(p.table.rows) for p in parts if p.table] == [2, 2, 2, 1]
    assert all(p.header_block == block for p in parts)
    assert tuple(r for p in parts if p.table for r in p.table.rows) == rows


def test_sections_that_do_not_fit_get_their_own_sheet() -> None:
    rows = tuple((f"c{n}",) for n in range(6))
    below = Section("Skipped", Table(("File",), (("x",), ("y",))))
    parts = split_sheet(Sheet("Evidence", Table(("Name",), rows), sections=(below,)), max_rows=4)
    assert [p.name for p in parts] == ["Evidence", "Evidence (2)", "Evidence (3)"]
    assert parts[-1].table is None
    assert parts[-1].sections == (below,)


def test_a_long_sheet_name_stays_within_the_spreadsheet_limit() -> None:
    rows = tuple((str(n),) for n in range(5))
    parts = split_sheet(Sheet("N" * 31, Table(("Name",), rows)), max_rows=3)
    assert all(len(p.name) <= 31 for p in parts)
    assert len({p.name for p in parts}) == len(parts)


def test_a_package_with_more_components_than_a_sheet_holds_is_still_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A sheet of 100 rows stands in for 1,048,576: the same code path, without a million-row test.
    monkeypatch.setattr(xlsx, "SHEET_ROWS", 100)
    out = tmp_path / "package"
    args = ["package", str(SAMPLES / f"webapp-{RELEASE}"), "--image", sample_image(RELEASE), "--release", RELEASE,
            "--timestamp", SAMPLE_TIMESTAMP, "--key", str(SAMPLE_KEY), "--out", str(out), "--quiet"]  # fmt: skip
    assert main(args) == 0
    evidence = orjson.loads((out / "audit.json").read_bytes())["evidence"]
    components = sum(len(e["components"]) for e in evidence if e["kind"] == "sbom" and e["binding"] == "match")
    assert components > 99
    book = load_workbook(out / "workbook.xlsx", read_only=True)
    parts = [ws for ws in book.worksheets if ws.title.startswith("Components")]
    assert [ws.title for ws in parts][:2] == ["Components", "Components (2)"]
    assert all(ws.max_row <= 100 for ws in book.worksheets)
    headers = {next(ws.iter_rows(max_row=1, values_only=True)) for ws in parts}
    assert len(headers) == 1
    assert sum(ws.max_row - 1 for ws in parts) == components
