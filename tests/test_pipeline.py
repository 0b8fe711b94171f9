"""The library API, called without the command line: `evidence.assess` and `evidence.write_package`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from conftest import SAMPLE_KEY, SAMPLES

import evidence
from evidence.cli import main
from evidence.model import Verification
from evidence.render import Format
from evidence.render.canonical import dumps
from evidence.verify.keys import load_key_file
from evidence.verify.policy import load_policy

TIMESTAMP = "2026-11-20T12:00:00Z"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def image_of(release: str) -> str:
    payload = orjson.loads((SAMPLES / f"webapp-{release}" / "cosign-payload.json").read_bytes())
    return f"registry.example.com/webapp@{payload['critical']['image']['docker-manifest-digest']}"


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A policy that trusts the samples' key and requires an SBOM attestation they do not have."""
    path = tmp_path_factory.mktemp("policy") / "policy.yaml"
    key = SAMPLE_KEY
    path.write_text(f"version: 1\nrules:\n  - keys: [{{path: {key}}}]\n    attestations: [slsa-provenance, sbom]\n")
    return path


def test_every_public_name_resolves() -> None:
    for name in evidence.__all__:
        assert getattr(evidence, name) is not None, name
    with pytest.raises(AttributeError):
        _ = evidence.no_such_name


def test_import_evidence_is_light() -> None:
    code = "import sys, evidence; print(sorted({'weasyprint', 'openpyxl', 'jinja2', 'pydantic'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_assess_and_write_package_give_what_the_command_gives(tmp_path: Path) -> None:
    sample = SAMPLES / "webapp-1.4.0"
    trusted = evidence.VerificationContext(keys=(load_key_file(SAMPLE_KEY, SAMPLE_KEY.name),))
    pkg = evidence.assess([sample], image=image_of("1.4.0"), profile="fedramp-moderate", verification=trusted, now=NOW)
    assert isinstance(pkg, evidence.AuditPackage)
    signed = next(e.signature for e in pkg.evidence if e.path.endswith("cosign-payload.json"))
    assert signed is not None
    assert (signed.status, signed.key_path) == (Verification.VERIFIED, "webapp.pub")
    assert pkg.subject.digest in image_of("1.4.0")
    assert {e.sha256 for e in pkg.evidence} == set(pkg.contents)
    written = evidence.write_package(pkg, tmp_path / "lib", formats=[Format.AUDIT_JSON])
    assert [p.name for p in written] == ["evidence", "audit.json", "manifest.json"]

    cli_out = tmp_path / "cli"
    args = ["package", str(sample), "--image", image_of("1.4.0"), "--profile", "fedramp-moderate"]
    args += ["--key", str(SAMPLE_KEY)]  # shown by its file name, as the library call names it
    assert main([*args, "--timestamp", TIMESTAMP, "--quiet", "--out", str(cli_out)]) == 0
    assert (tmp_path / "lib" / "audit.json").read_bytes() == (cli_out / "audit.json").read_bytes()
    for copy in (tmp_path / "lib" / "evidence").rglob("*"):
        if copy.is_file():
            assert copy.read_bytes() == (cli_out / copy.relative_to(tmp_path / "lib")).read_bytes()


def test_the_package_holds_the_bytes_collected_and_reads_no_input_again(tmp_path: Path) -> None:
    sample = tmp_path / "in"
    shutil.copytree(SAMPLES / "webapp-1.4.0", sample)
    original = (sample / "trivy.json").read_bytes()
    pkg = evidence.assess([sample], image=image_of("1.4.0"), now=NOW)
    shutil.rmtree(sample)  # whatever happens to the inputs now, the package is made from what was read
    evidence.write_package(pkg, tmp_path / "out", formats=[Format.AUDIT_JSON])
    written = evidence.load_package(tmp_path / "out" / "audit.json")
    trivy = next(e for e in written.evidence if e.path.endswith("trivy.json"))
    assert trivy.stored_as is not None
    assert (tmp_path / "out" / trivy.stored_as).read_bytes() == original
    assert "contents" not in orjson.loads((tmp_path / "out" / "audit.json").read_bytes())


def test_a_package_loaded_from_audit_json_is_written_without_evidence_copies(tmp_path: Path) -> None:
    pkg = evidence.assess([SAMPLES / "webapp-1.4.0"], image=image_of("1.4.0"), now=NOW)
    evidence.write_package(pkg, tmp_path / "first", formats=[Format.AUDIT_JSON])
    loaded = evidence.load_package(tmp_path / "first" / "audit.json")
    assert loaded.contents == {}
    evidence.write_package(loaded, tmp_path / "again", formats=[Format.AUDIT_JSON])
    assert not (tmp_path / "again" / "evidence").exists()


def test_verification_and_lifecycle_options_reach_the_verdicts(policy: Path) -> None:
    context = evidence.VerificationContext(policy=load_policy(policy))
    strict = evidence.assess([SAMPLES / "webapp-1.4.0"], image=image_of("1.4.0"), verification=context, now=NOW)
    plain = evidence.assess([SAMPLES / "webapp-1.4.0"], image=image_of("1.4.0"), now=NOW)

    def status(pkg: evidence.AuditPackage) -> str:
        return next(c.status for c in pkg.controls if c.control_id == "4.1.5")

    assert status(strict) == evidence.Status.NOT_SATISFIED
    assert status(plain) != status(strict)


def test_diff_of_evidence_directories_reaches_the_verdicts_package_reaches(policy: Path, tmp_path: Path) -> None:
    """`diff` on evidence takes package's options and assesses NEW with OLD as its previous package."""
    context = evidence.VerificationContext(policy=load_policy(policy))
    old = evidence.assess([SAMPLES / "webapp-1.3.0"], image=image_of("1.3.0"), verification=context, now=NOW)
    new = evidence.assess(
        [SAMPLES / "webapp-1.4.0"],
        image=image_of("1.4.0"),
        verification=context,
        lifecycle=evidence.LifecycleFiles(previous=old),
        now=NOW,
    )
    expected = orjson.loads(dumps(new))["changes"]

    out = tmp_path / "diff.json"
    argv = ["diff", str(SAMPLES / "webapp-1.3.0"), str(SAMPLES / "webapp-1.4.0"), "--format", "json"]
    argv += ["--old-image", image_of("1.3.0"), "--new-image", image_of("1.4.0"), "--timestamp", TIMESTAMP]
    assert main([*argv, "--policy", str(policy), "--output", str(out), "--quiet"]) == 0
    assert orjson.loads(out.read_bytes()) == expected

    without = tmp_path / "without.json"
    assert main([*argv, "--output", str(without), "--quiet"]) == 0
    assert orjson.loads(without.read_bytes()) != expected  # the policy made a difference, and diff applied it
