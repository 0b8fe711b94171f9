"""The test suite's own guards: without the shared corpus it stops with one clear message instead of collecting
hundreds of parametrized cases empty, and an empty parameter set fails at collection."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def _pytest_in_a_clone(tmp_path: Path, test_text: str) -> subprocess.CompletedProcess[str]:
    """pytest in `tmp_path/clone`, with this project's pytest configuration and conftest and one test file."""
    clone = tmp_path / "clone"
    (clone / "tests").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "conftest.py", clone / "tests" / "conftest.py")
    shutil.copy(REPO / "pyproject.toml", clone / "pyproject.toml")
    (clone / "tests" / "test_one.py").write_text(test_text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "tests"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_a_missing_shared_corpus_stops_the_run_naming_the_path(tmp_path: Path) -> None:
    done = _pytest_in_a_clone(tmp_path, "def test_nothing() -> None:\n    pass\n")
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage error
    expected = tmp_path / "shared" / "corpus"
    assert f"ERROR: the shared test data is missing: expected {expected} and " in done.stderr
    assert "test_nothing" not in done.stdout + done.stderr


def test_an_empty_parameter_set_fails_at_collection(tmp_path: Path) -> None:
    (tmp_path / "shared" / "corpus").mkdir(parents=True)
    (tmp_path / "shared" / "oscal-schemas" / "1.2.3").mkdir(parents=True)
    test_text = (
        "import pytest\n\n@pytest.mark.parametrize('path', [])\ndef test_each(path: str) -> None:\n    assert path\n"
    )
    done = _pytest_in_a_clone(tmp_path, test_text)
    assert done.returncode == 2, done.stdout + done.stderr  # interrupted: an error during collection
    assert "Empty parameter set in 'test_each'" in done.stdout
