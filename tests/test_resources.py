"""Catalogs, profiles and templates are package data; a missing one is a broken installation (exit 4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from evidence import resources
from evidence.catalog import available_catalogs, available_profiles, load_profile
from evidence.cli import main
from evidence.errors import ExitCode
from evidence.render._jinja import template
from evidence.resources import ResourceError, packaged_file, packaged_names

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable
    from pathlib import Path


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


@pytest.mark.usefixtures("empty_installation")
def test_an_unknown_profile_is_not_reported_when_the_profiles_are_missing() -> None:
    with pytest.raises(ResourceError, match="controls/profiles"):
        load_profile("default")
