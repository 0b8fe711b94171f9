"""Text from input files never acts on a terminal, a report, a workbook or a pull-request comment.

Hostile inputs are generated here: a Trivy JSON whose tool version holds ANSI escapes (a colour, a terminal
title change) and a carriage return, and evidence files whose names hold a line break that forges a
`fromline:` line and the right-to-left override that makes `\u202egnp.exe` read as "exe.png". Every output
shows those characters as escapes; `audit.json` alone keeps the exact text.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import orjson
import pytest
from conftest import SAMPLE_TIMESTAMP, SAMPLES, sample_image
from openpyxl import load_workbook

from evidence.cli import main
from evidence.visible import visible

RELEASE = "1.4.0"
TOOL_VERSION = "0.59.0\x1b]0;pwned\x07\x1b[2K\r\x1b[32mverified"
FORGED_NAME = "a\nfromline: done, 0 errors\n\u202egnp.exe.json"
SCAN_NAME = "scan\u202egnp.json"
# What may never reach an output as itself: C0 (but line feed and tab, where a format keeps them), DEL, C1, and the
# bidirectional formatting characters.
ACTIVE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def test_visible_escapes_every_active_character_and_keeps_the_rest() -> None:
    assert visible("plain ascii, ünïcödé, 漢字, emoji 🙂") == "plain ascii, ünïcödé, 漢字, emoji 🙂"
    assert visible("\x00\x07\x1b\x7f\x85\x9f") == "\\x00\\x07\\x1b\\x7f\\x85\\x9f"
    assert visible("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert visible("a\nb\rc\td", keep="\n\t") == "a\nb\\rc\td"
    bidi = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    assert visible(bidi) == "\\u061c\\u200e\\u200f\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069"
    assert visible("\u200b\u2028\ufeff\udcff") == "\\u200b\\u2028\\ufeff\\udcff"
    assert visible("\u202egnp.exe") == "\\u202egnp.exe"


def _hostile_evidence(folder: Path) -> Path:
    evidence = folder / "evidence"
    shutil.copytree(SAMPLES / f"webapp-{RELEASE}", evidence)
    trivy = orjson.loads((evidence / "trivy.json").read_bytes())
    trivy["Trivy"] = {"Version": TOOL_VERSION}
    (evidence / "trivy.json").unlink()
    (evidence / SCAN_NAME).write_bytes(orjson.dumps(trivy))
    (evidence / "grype.json").rename(evidence / FORGED_NAME)
    return evidence


def _assert_shown_not_acting(text: str, *, keep: str = "") -> None:
    assert not [c for c in ACTIVE.findall(text) if c not in keep], text[:2000]
    assert "\\u202egnp" in text
    assert "\\x1b]0;pwned\\x07" in text


def test_inspect_text_forges_no_line_and_sends_no_escape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evidence = _hostile_evidence(tmp_path)
    assert main(["inspect", str(evidence / SCAN_NAME), str(evidence / FORGED_NAME)]) == 0
    out = capsys.readouterr().out
    _assert_shown_not_acting(out, keep="\n")
    assert "tool: trivy 0.59.0\\x1b]0;pwned\\x07\\x1b[2K\\r\\x1b[32mverified" in out
    assert "a\\nfromline: done, 0 errors\\n\\u202egnp.exe.json" in out
    # every line is ours: a path line, or an indented fact
    assert not [line for line in out.splitlines() if line.startswith("fromline")]
    # --json keeps the exact text, JSON-escaped
    assert main(["inspect", "--json", str(evidence / SCAN_NAME)]) == 0
    assert orjson.loads(capsys.readouterr().out)[0]["tool_version"] == TOOL_VERSION


def test_error_messages_show_the_path_as_given_and_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "trivy.json").write_bytes(b'{"SchemaVersion": 2, "ArtifactName": "x", "Results": 3}')
    shutil.copy(SAMPLES / f"webapp-{RELEASE}" / "trivy.json", tmp_path / "a" / "trivy.json")
    hostile = tmp_path / "b" / FORGED_NAME
    (tmp_path / "b" / "trivy.json").rename(hostile)
    image = sample_image(RELEASE)
    args = ["package", "--image", image, "--out", str(tmp_path / "out")]
    assert main([*args, str(tmp_path / "a" / "trivy.json"), str(hostile)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"fromline: error: {tmp_path}/b/a\\nfromline: done, 0 errors\\n\\u202egnp.exe.json: ")
    assert main([*args, "/dev/zero"]) == 3
    assert capsys.readouterr().err == "fromline: error: /dev/zero: is not a regular file\n"
    assert main([*args, str(tmp_path)]) == 3  # found below a directory given: named below it, as given
    assert f"fromline: error: {tmp_path}/b/a\\nfromline" in capsys.readouterr().err


@pytest.fixture(scope="module")
def hostile_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("visible")
    evidence = _hostile_evidence(folder)
    out = folder / "out"
    image = sample_image(RELEASE)
    args = ["package", str(evidence), "--image", image, "--timestamp", SAMPLE_TIMESTAMP, "--out", str(out), "-q"]
    assert main(args) == 0
    return out


def test_package_report_html_shows_escapes(hostile_package: Path) -> None:
    html = (hostile_package / "report.html").read_text(encoding="utf-8")
    _assert_shown_not_acting(html, keep="\n")
    assert "evidence/a\\nfromline: done, 0 errors\\n\\u202egnp.exe.json" in html


def test_package_workbook_cells_show_escapes(hostile_package: Path) -> None:
    book = load_workbook(hostile_package / "workbook.xlsx")
    cells = [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    _assert_shown_not_acting("\n".join(cells), keep="\n\t")
    assert any("evidence/scan\\u202egnp.json" in cell for cell in cells)


def test_package_audit_json_keeps_the_exact_text(hostile_package: Path) -> None:
    audit = orjson.loads((hostile_package / "audit.json").read_bytes())
    paths = {e["path"] for e in audit["evidence"]}
    assert f"evidence/{SCAN_NAME}" in paths
    assert f"evidence/{FORGED_NAME}" in paths
    assert TOOL_VERSION in {e.get("tool_version") for e in audit["evidence"]}


def test_diff_markdown_shows_escapes(hostile_package: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evidence = hostile_package.parent / "evidence"
    sbom = orjson.loads((evidence / "sbom.cdx.json").read_bytes())
    sbom["components"][0]["name"] = "\u202egnp.exe\x1b]0;pwned\x07"
    (evidence / "sbom.cdx.json").write_bytes(orjson.dumps(sbom))
    image = sample_image(RELEASE)
    assert (
        main(["diff", str(hostile_package), str(evidence), "--new-image", image, "--timestamp", SAMPLE_TIMESTAMP]) == 0
    )
    markdown = capsys.readouterr().out
    _assert_shown_not_acting(markdown, keep="\n")


def test_a_file_name_that_is_not_utf8_is_shown_with_escapes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    name = os.fsdecode(b"scan\xff.json")  # the byte 0xff is not UTF-8: Python holds it as a lone surrogate
    (folder / name).write_bytes((SAMPLES / f"webapp-{RELEASE}" / "trivy.json").read_bytes())
    assert main(["inspect", str(folder / name)]) == 0
    assert capsys.readouterr().out.startswith(f"{folder}/scan\\xff.json\n")
    out = tmp_path / "out"
    image = sample_image(RELEASE)
    assert (
        main(["package", str(folder), "--image", image, "--timestamp", SAMPLE_TIMESTAMP, "--out", str(out), "-q"]) == 0
    )
    audit = orjson.loads((out / "audit.json").read_bytes())
    assert [e["path"] for e in audit["evidence"]] == ["evidence/scan\\xff.json"]
