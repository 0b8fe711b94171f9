"""The command driven in-process on the bundled samples, and its error paths."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from conftest import SAMPLE_KEY, SAMPLE_TIMESTAMP, SAMPLES, SamplePackages, sample_package_args
from openpyxl import load_workbook
from pypdf import PdfReader
from test_render_oscal import assert_schema_valid

from evidence.cli import main
from evidence.model import Layer, Status
from evidence.render.canonical import dumps, load_package

RELEASE = "1.4.0"
SAMPLE = SAMPLES / f"webapp-{RELEASE}"
DIGEST = orjson.loads((SAMPLE / "cosign-payload.json").read_bytes())["critical"]["image"]["docker-manifest-digest"]
IMAGE = f"registry.example.com/webapp@{DIGEST}"
TIMESTAMP = SAMPLE_TIMESTAMP
GOLDEN = Path(__file__).parent / "golden" / f"webapp-{RELEASE}.audit.json"
FILES = [
    "audit.json",
    "inventory.xlsx",
    "manifest.json",
    "oscal/assessment-results.json",
    "oscal/component-definition.json",
    "oscal/poam.json",
    "poam.xlsx",
    "report.html",
    "report.pdf",
    "workbook.xlsx",
]


def package_args(out: Path, *extra: str) -> list[str]:
    return sample_package_args(RELEASE, out, *extra)


@pytest.fixture(scope="module")
def built(sample_package: SamplePackages) -> Path:
    """The sample package, built once per session (`package_args` at the sample timestamp): only read it."""
    return sample_package(RELEASE)


def test_package_has_every_file(built: Path) -> None:
    # Every sample file is evidence, copied under evidence/<input directory name>/ with its bytes unchanged.
    copies = {f"evidence/{SAMPLE.name}/{p.name}": p for p in SAMPLE.iterdir() if p.is_file()}
    expected = sorted([*FILES, *copies])
    assert sorted(p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file()) == expected
    for stored, source in copies.items():
        assert (built / stored).read_bytes() == source.read_bytes(), stored
    manifest = orjson.loads((built / "manifest.json").read_bytes())
    assert sorted(f["path"] for f in manifest["files"]) == [f for f in expected if f != "manifest.json"]
    for entry in manifest["files"]:
        assert (built / entry["path"]).stat().st_size == entry["size"]


def test_audit_json_matches_golden(built: Path) -> None:
    produced = (built / "audit.json").read_bytes()
    if os.environ.get("FROMLINE_UPDATE_GOLDEN"):
        GOLDEN.write_bytes(produced)
    assert produced == GOLDEN.read_bytes(), "audit.json changed: review, then `make golden`"


def test_audit_json_reads_back_losslessly(built: Path) -> None:
    pkg = load_package(built / "audit.json")
    assert pkg.subject.digest == DIGEST
    assert pkg.subject.release == RELEASE
    assert pkg.assessed_at.isoformat() == "2026-11-20T12:00:00+00:00"
    assert dumps(pkg) == (built / "audit.json").read_bytes()


def test_sample_verdicts(built: Path) -> None:
    pkg = load_package(built / "audit.json")
    by_id = {c.control_id: c for c in pkg.controls}
    # signed, with verified provenance, pinned; whether the base registry is approved needs a person here (the
    # default profile names no approved registries), and no admission policy was supplied
    untrusted_images = by_id["4.1.5"]
    assert untrusted_images.status is Status.MANUAL, untrusted_images.reason
    checks = {k.check: k.status for k in untrusted_images.checks}
    assert checks["signature.verified"] is Status.SATISFIED
    assert checks["provenance.verified"] is Status.SATISFIED
    assert checks["base_image.approved_registry"] is Status.MANUAL
    assert checks["admission.enforces_signatures"] is Status.NOT_ASSESSED
    assert by_id["4.1.1"].status is Status.NOT_SATISFIED, by_id["4.1.1"].reason
    assert by_id["4.3.1"].status is Status.NOT_ASSESSED
    assert by_id["4.3.1"].responsible is Layer.ORCHESTRATOR
    assert by_id["4.2.1"].status is Status.MANUAL
    # the sample's VEX is the team's own, unsigned, its author listed in no policy: it proposes, it does not close
    proposed = [v for v in pkg.vulnerabilities if v.vex_proposal is not None]
    assert {v.id for v in proposed} == {"CVE-2023-45853", "CVE-2025-47273"}
    assert all(v.state == "open" and v.vex and v.vex.trusted_by is None for v in proposed)
    assert not any(v.state == "suppressed" for v in pkg.vulnerabilities)
    for control in pkg.controls:
        if control.status in (Status.SATISFIED, Status.NOT_SATISFIED):
            assert control.evidence, f"{control.control_id} decided without evidence"


def test_oscal_of_the_samples_is_valid(built: Path) -> None:
    doc = orjson.loads((built / "oscal" / "assessment-results.json").read_bytes())
    assert_schema_valid(doc)
    (result,) = doc["assessment-results"]["results"]
    assert len(result["observations"]) >= 10


def test_same_inputs_and_timestamp_give_the_same_bytes_and_replace_a_package(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    shutil.copytree(built, out)  # a package an earlier run made, to be replaced
    (out / "report.html").write_text("an older report")
    assert main([*package_args(out), "--quiet"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again"]
    for name in ("audit.json", "oscal/assessment-results.json", "report.html"):
        assert (out / name).read_bytes() == (built / name).read_bytes(), name


def test_pdf_names_controls_and_digest(built: Path) -> None:
    text = " ".join(page.extract_text() for page in PdfReader(built / "report.pdf").pages)
    flat = "".join(text.split())
    for control_id in ("4.1.1", "4.1.5", "4.5.5", "4.6"):
        assert control_id in text
    assert DIGEST in flat


def test_workbook_cells(built: Path) -> None:
    book = load_workbook(built / "workbook.xlsx")
    assert book.sheetnames == ["Summary", "Controls", "Vulnerabilities", "Components", "Evidence"]
    controls = book["Controls"]
    ids = {row[1] for row in controls.iter_rows(min_row=2, values_only=True)}
    assert {"4.1.1", "4.1.5", "4.6"} <= ids


def test_fail_on_not_satisfied_exits_1_after_writing_and_summing_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*package_args(tmp_path / "p"), "--fail-on", "not-satisfied"]) == 1
    assert (tmp_path / "p" / "audit.json").is_file()
    out = capsys.readouterr().out
    assert "report.pdf" in out
    assert "oscal/assessment-results.json" in out.replace(os.sep, "/")
    assert f"release {RELEASE}" in out


def test_help_lists_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["package", "--help"]) == 0
    help_text = capsys.readouterr().out
    for line in ("0  done", "1  controls not satisfied", "2  usage error", "3  bad input", "4  render or output"):
        assert line in help_text


@pytest.mark.parametrize("command", ["inspect", "controls", "version", "completion"])
def test_commands_that_never_return_1_do_not_list_it(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    help_text = capsys.readouterr().out
    assert "0  done" in help_text
    assert "\n  1  " not in help_text


@pytest.mark.parametrize(
    "args",
    [
        ["package", "x", "--image", "webapp:latest", "--out", "o"],
        ["package", "x", "--image", IMAGE, "--out", "o", "--timestamp", "yesterday"],
        ["package", "x", "--image", IMAGE, "--out", "o", "--fail-on", "everything"],
        ["package", "x", "--out", "o"],
    ],
)
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert "error:" in capsys.readouterr().err


def test_unrecognized_named_file_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    out = tmp_path / "pkg"
    assert main(["package", str(notes), "--image", IMAGE, "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "notes.txt: not a recognized evidence format" in err
    assert "Traceback" not in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_failed_run_leaves_existing_package_untouched(built: Path, tmp_path: Path) -> None:
    existing = shutil.copytree(built, tmp_path / "packages" / "webapp")
    broken = tmp_path / "trivy.json"
    broken.write_text('{"SchemaVersion": 2, "ArtifactName": "x", "Results": 7}')
    before = {p: p.read_bytes() for p in existing.rglob("*") if p.is_file()}
    assert main(["package", str(broken), "--image", IMAGE, "--out", str(existing), "--quiet"]) == 3
    assert {p: p.read_bytes() for p in existing.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in existing.parent.iterdir()) == [existing.name]


def test_refuses_to_replace_a_directory_that_is_not_a_package(tmp_path: Path) -> None:
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    assert main([*package_args(precious), "--quiet"]) == 4
    assert (precious / "thesis.tex").read_text() == "years of work"


def test_help_is_light() -> None:
    heavy = "{'weasyprint', 'openpyxl', 'jinja2', 'pydantic', 'oscal_bindings', 'cryptography'}"
    code = f"import sys, evidence.cli; print(sorted({heavy} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_identity_policy_requiring_an_sbom_attestation_fails_4_1_5(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\nrules:\n  - keys: [{path: " + str(SAMPLE_KEY) + "}]\n    attestations: [slsa-provenance, sbom]\n"
    )
    out = tmp_path / "p"
    assert main([*package_args(out), "--quiet", "--policy", str(policy)]) == 0
    control = next(c for c in load_package(out / "audit.json").controls if c.control_id == "4.1.5")
    assert control.status is Status.NOT_SATISFIED
    assert "sbom: no attestation of this type was supplied" in control.reason
    assert "slsa-provenance" not in control.reason


def test_package_formats_choose_the_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main([*sample_package_args("1.4.0", out, "--formats", "oscal,poam-xlsx"), "-q"]) == 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and "evidence" not in p.parts)
    assert written == [
        "audit.json",
        "manifest.json",
        "oscal/assessment-results.json",
        "oscal/component-definition.json",
        "oscal/poam.json",
        "poam.xlsx",
    ]
    assert main([*sample_package_args("1.4.0", tmp_path / "diff", "--formats", "diff"), "-q"]) == 2
    assert "do not apply" in capsys.readouterr().err
    assert main([*sample_package_args("1.4.0", tmp_path / "x", "--formats", "pdf,docx")]) == 2
    assert "unknown: docx" in capsys.readouterr().err


def test_package_formats_default_adds_to_every_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main([*sample_package_args("1.4.0", out, "--formats", "default,sarif"), "-q"]) == 0
    written = {p.name for p in out.iterdir()}
    assert {"report.pdf", "workbook.xlsx", "poam.xlsx", "oscal", "fromline.sarif"} <= written
    assert "hdf.json" not in written  # an opt-in format is written only when named
