"""Catalogs, profiles and templates are package data; a missing one is a broken installation (exit 4)."""

from __future__ import annotations

import shutil
from importlib import resources as importlib_resources
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import SAMPLES

from evidence import resources
from evidence.catalog import available_catalogs, available_profiles, load_profile
from evidence.catalog.loader import BUNDLED_CATALOGS, BUNDLED_PROFILES, REFERENCE_TABLES, _fips_modules
from evidence.cli import main
from evidence.errors import ExitCode
from evidence.render._jinja import template
from evidence.resources import ResourceError, packaged_file, packaged_names

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from importlib.resources.abc import Traversable


def test_bundled_catalogs_profiles_and_templates_are_found_as_package_data() -> None:
    assert "nist-800-190" in available_catalogs()
    assert "fips-modules" not in available_catalogs()
    assert {"default", "fedramp-moderate", "dod"} <= set(available_profiles())
    assert packaged_names("templates", ".j2")
    assert packaged_file("templates", "report.css").read_text(encoding="utf-8")


def test_a_missing_packaged_file_is_a_resource_error_with_exit_code_4() -> None:
    with pytest.raises(ResourceError) as caught:
        packaged_file("controls", "no-such-catalog.yaml")
    assert caught.value.exit_code == ExitCode.OUTPUT_FAILURE
    assert int(caught.value.exit_code) == 4
    assert "controls/no-such-catalog.yaml is missing from the installed fromline package" in str(caught.value)
    with pytest.raises(ResourceError, match=r"templates/no-such\.html\.j2"):
        template("no-such.html.j2")


def test_the_bundled_lists_name_exactly_the_packaged_files() -> None:
    assert sorted([*BUNDLED_CATALOGS, *REFERENCE_TABLES]) == packaged_names("controls", ".yaml")
    assert list(BUNDLED_PROFILES) == packaged_names("controls/profiles", ".yaml")


@pytest.fixture
def empty_installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Resources resolve into an empty folder, as in a wheel built without its package data."""

    def folder(name: str) -> Traversable:
        return tmp_path.joinpath(*name.split("/"))

    monkeypatch.setattr(resources, "_folder", folder)


@pytest.mark.usefixtures("empty_installation")
@pytest.mark.parametrize(
    "argv",
    [
        ["controls", "list"],
        ["controls", "list", "--profile", "default"],
    ],
)
def test_commands_exit_4_naming_the_missing_resource(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == ExitCode.OUTPUT_FAILURE
    err = capsys.readouterr().err
    assert "missing from the installed fromline package" in err
    assert "Traceback" not in err


SAMPLE = SAMPLES / "webapp-1.4.0"
SAMPLE_IMAGE = "registry.example.com/webapp@sha256:443eebbdc163dfdc0d40e185574019e4bfbe4eac2b13b7257d91f53c990ff80f"


@pytest.fixture
def installation_without(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """A copy of the packaged files with one of them deleted."""
    copy = tmp_path / "installed"
    for name in ("controls", "templates"):
        shutil.copytree(Path(str(importlib_resources.files("evidence").joinpath(name))), copy / name)

    def folder(name: str) -> Traversable:
        return copy.joinpath(*name.split("/"))

    monkeypatch.setattr(resources, "_folder", folder)
    monkeypatch.chdir(tmp_path)  # a package a regression might write lands here
    _fips_modules.cache_clear()  # the table is read once per process: read it from this installation
    yield lambda relative: (copy / relative).unlink()
    _fips_modules.cache_clear()


@pytest.mark.parametrize(
    ("missing", "argv"),
    [
        ("controls/profiles/default.yaml", ["controls", "list", "--profile", "default"]),
        ("controls/nist-800-190.yaml", ["controls", "list"]),
        ("controls/nist-800-190.yaml", ["controls", "show", "4.1.1"]),
        ("controls/fips-modules.yaml", ["package", str(SAMPLE), "--image", SAMPLE_IMAGE, "--out", "never-written"]),
    ],
)
def test_one_missing_bundled_file_exits_4_not_3(
    missing: str,
    argv: list[str],
    installation_without: Callable[[str], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    installation_without(missing)
    assert main(argv) == ExitCode.OUTPUT_FAILURE
    err = capsys.readouterr().err
    assert f"{missing} is missing from the installed fromline package" in err


@pytest.mark.usefixtures("empty_installation")
def test_an_unknown_profile_is_not_reported_when_the_profiles_are_missing() -> None:
    with pytest.raises(ResourceError, match="controls/profiles"):
        load_profile("default")
