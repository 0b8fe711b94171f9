from __future__ import annotations

from pathlib import Path

import pytest

from evidence.catalog import load_catalog, load_profile
from evidence.catalog.loader import available_catalogs
from evidence.catalog.schema import NIST_800_53_ID
from evidence.errors import CatalogError
from evidence.evaluate import CHECKS

CATALOGS = available_catalogs()


@pytest.mark.parametrize("name", CATALOGS)
def test_catalog_lint(name: str) -> None:
    catalog = load_catalog(name, CHECKS)
    ids = [c.id for c in catalog.controls]
    assert len(ids) == len(set(ids))
    for control in catalog.controls:
        assert control.nist_800_53, control.id
        assert all(NIST_800_53_ID.match(m) for m in control.nist_800_53), control.id
        assert control.checks or (control.status and control.reason), control.id
        assert all(c in CHECKS for c in control.checks), control.id


def test_nist_800_190_has_every_countermeasure() -> None:
    catalog = load_catalog("nist-800-190", CHECKS)
    expected = [f"4.1.{i}" for i in range(1, 6)] + [f"4.2.{i}" for i in range(1, 4)]
    expected += [f"4.3.{i}" for i in range(1, 6)] + [f"4.4.{i}" for i in range(1, 6)]
    expected += [f"4.5.{i}" for i in range(1, 6)] + ["4.6"]
    assert [c.id for c in catalog.controls] == expected


def test_every_check_is_used_by_some_catalog() -> None:
    used = {name for n in CATALOGS for c in load_catalog(n, CHECKS).controls for name in c.checks}
    assert used == set(CHECKS)


def test_all_catalog_errors_reported_at_once(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "catalog: mine\ntitle: t\nversion: '1'\ncontrols:\n"
        "  - {id: A, title: a, scope: full, nist_800_53: [RA5], checks: [vulnscan.present]}\n"
        "  - {id: B, title: b, scope: sideways, nist_800_53: [RA-5], status: manual, reason: r}\n"
        "  - {id: C, title: c, scope: full, nist_800_53: [RA-5], surprise: 1, checks: [vulnscan.present]}\n"
    )
    with pytest.raises(CatalogError) as caught:
        load_catalog(str(bad), CHECKS)
    message = str(caught.value)
    assert "bad.yaml: 3 problem(s)" in message
    assert "control A" in message
    assert "RA5" in message
    assert "control B.scope" in message
    assert "control C.surprise" in message


def test_unknown_check_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "c.yaml"
    bad.write_text(
        "catalog: mine\ntitle: t\nversion: '1'\ncontrols:\n"
        "  - {id: A, title: a, scope: full, nist_800_53: [RA-5], checks: [no.such.check]}\n"
    )
    with pytest.raises(CatalogError, match=r"control A: unknown check no\.such\.check"):
        load_catalog(str(bad), CHECKS)


def test_unknown_profile_lists_the_available_ones() -> None:
    with pytest.raises(CatalogError, match=r"available: cis, default, dod, fedramp-high"):
        load_profile("nope")


def test_default_profile() -> None:
    profile = load_profile("default")
    assert profile.catalogs == ("nist-800-190",)
    assert profile.parameters.max_scan_age_days == 30


def test_controls_validate_stops_at_the_first_bad_file_with_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evidence.cli import main  # noqa: PLC0415

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        'catalog: bad\ntitle: Bad\nversion: "1"\ncontrols:\n  - id: X1\n    title: x\n    checks: [no.such.check]\n'
    )
    good = Path(__file__).parents[1] / "evidence" / "controls" / "nist-800-190.yaml"
    profile = Path(__file__).parents[1] / "evidence" / "controls" / "profiles" / "fedramp-moderate.yaml"
    assert main(["controls", "validate", str(good), str(profile)]) == 0
    out = capsys.readouterr().out
    assert "valid catalog nist-800-190" in out
    assert "valid profile fedramp-moderate (4 catalogs)" in out
    assert main(["controls", "validate", str(good), str(bad), str(profile)]) == 3
    captured = capsys.readouterr()
    assert "valid catalog nist-800-190" in captured.out
    assert "profile" not in captured.out  # stopped at the bad file
    assert "unknown check no.such.check" in captured.err
    assert "scope: Field required" in captured.err  # every problem of the file


def test_the_pre_commit_hook_runs_controls_validate() -> None:
    import yaml  # noqa: PLC0415

    hooks = yaml.safe_load((Path(__file__).parents[1] / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["entry"] == "fromline controls validate"
    assert hook["language"] == "python"


def test_each_problem_of_a_file_is_a_line_and_none_can_forge_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evidence.cli import main  # noqa: PLC0415

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        'catalog: bad\ntitle: Bad\nversion: "1"\ncontrols:\n'
        '  - id: "X1\\nfromline: error: forged"\n    title: x\n    checks: [no.such.check]\n'
    )
    assert main(["controls", "validate", str(bad)]) == 3
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == f"fromline: error: {bad}: 3 problem(s):"
    assert len(lines) == 4
    assert sum(line.startswith("fromline: error:") for line in lines) == 1  # the id's newline is shown escaped
    assert any("X1\\nfromline: error: forged" in line for line in lines[1:])
