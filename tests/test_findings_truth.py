"""Findings are never dropped silently: evidence a reader could misread is refused or flagged, and every
scan that is read counts where it should (issue 14)."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
from conftest import CORPUS, DIGEST, SAMPLE_TIMESTAMP

from evidence.cli import main
from evidence.collectors import collect
from evidence.collectors.interface import Document
from evidence.model import SkipCategory

TRIVY_JSON = CORPUS / "trivy-json" / "alpine-3.10.2-image.trivy-dev.json"
IMAGE = f"registry.example.com/x@{DIGEST}"


def _package(inputs: list[Path], out: Path, *extra: str) -> int:
    argv = ["package", *map(str, inputs), "--image", IMAGE, "--timestamp", SAMPLE_TIMESTAMP, "--out", str(out)]
    return main([*argv, "--quiet", *extra])


# --- duplicate keys -----------------------------------------------------------------------------------------


def test_a_second_results_key_after_the_real_one_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real = TRIVY_JSON.read_bytes().rstrip()
    assert orjson.loads(real)["Results"]  # the real scan has findings the second key would hide
    hostile = tmp_path / "trivy.json"
    hostile.write_bytes(real[:-1] + b', "Results": []}')
    assert _package([hostile], tmp_path / "out") == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("fromline: error: ")
    assert "trivy.json: has the key 'Results' twice" in err
    assert "'Results' twice" in err
    assert "at /Results" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("data", "key", "pointer"),
    [
        (b'{"a": {"b": [1, {"c": 1, "c": 2}]}}', "c", "/a/b/1/c"),
        (b'[{"x": 1}, {"y/z": {"k~": 1, "k~": 1}}]', "k~", "/1/y~1z/k~0"),
        (b'{"a": 1, "a": 1}', "a", "/a"),
    ],
)
def test_a_duplicate_key_anywhere_is_found_with_its_pointer(data: bytes, key: str, pointer: str) -> None:
    found = Document(path="x.json", data=data).duplicate_key()
    assert found is not None
    assert (found.key, found.pointer) == (key, pointer)


def test_equal_keys_in_different_objects_are_not_duplicates() -> None:
    assert Document(path="x.json", data=b'{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}').duplicate_key() is None
    assert Document(path="x.json", data=TRIVY_JSON.read_bytes()).duplicate_key() is None


def test_keep_going_lists_a_duplicate_key_file_as_malformed(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    real = TRIVY_JSON.read_bytes().rstrip()
    (folder / "trivy.json").write_bytes(real[:-1] + b', "Results": []}')
    collected = collect([folder], keep_going=True)
    assert collected.items == ()
    (skipped,) = collected.skipped
    assert skipped.category is SkipCategory.MALFORMED
    assert "'Results' twice" in skipped.reason


def test_the_duplicate_check_is_linear() -> None:
    def seconds(count: int) -> float:
        vulnerability = {"VulnerabilityID": "CVE-2020-1", "PkgName": "p", "Severity": "HIGH", "Title": "x" * 200}
        data = orjson.dumps(
            {"SchemaVersion": 2, "Results": [{"Target": "t", "Vulnerabilities": [vulnerability] * count}]}
        )
        doc = Document(path="x.json", data=data)
        doc.json()
        started = time.perf_counter()
        assert doc.duplicate_key() is None
        return time.perf_counter() - started

    small, large = seconds(20_000), seconds(160_000)  # about 6 MB and 50 MB
    assert large < 3.0
    assert large < 8 * small * 3  # eight times the input, well under a quadratic 64 times the time
