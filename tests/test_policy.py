"""`fromline policy`: admission policies for five engines, read back as policies that verify signatures, and counted
for the controls that ask for admission enforcement."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from admission_schemas import connaisseur_errors, documents_errors
from conftest import SAMPLES, sample_package_args

from evidence.admission import CANNOT, ENGINES
from evidence.cli import main

KEY = SAMPLES / "keys" / "webapp.pub"


def _identity_policy(tmp_path: Path) -> Path:
    path = tmp_path / "identity-policy.yaml"
    path.write_text(
        "version: 1\n"
        "rules:\n"
        '  - images: ["registry.example.com/*"]\n'
        f"    keys: [{{path: {KEY}}}]\n"
        "    identities:\n"
        "      - issuer: https://token.actions.githubusercontent.com\n"
        "        subject_regexp: ^https://github.com/example/.*$\n"
        "    attestations: [slsa-provenance, vulnerability-scan, sbom]\n"
    )
    return path


def _written(tmp_path: Path, engine: str, *args: str) -> tuple[Path, list[Any]]:
    out = tmp_path / f"{engine}.yaml"
    assert main(["policy", "--format", engine, *args, "--output", str(out), "--profile", "fedramp-moderate"]) == 0
    text = out.read_text()
    assert all(f"# Cannot express: {line}." in text for line in CANNOT[engine])
    return out, [d for d in yaml.safe_load_all(text) if d is not None]


@pytest.mark.parametrize("engine", ENGINES)
def test_each_engine_is_read_back_as_a_policy_that_verifies_signatures(
    engine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, documents = _written(tmp_path, engine, "--policy", str(_identity_policy(tmp_path)))
    assert documents
    assert main(["inspect", str(out), "--json"]) == 0
    (read,) = orjson.loads(capsys.readouterr().out)
    assert read["kind"] == "admission-policy"
    assert read["counts"]["policies"] >= 1
    again = tmp_path / "again"
    again.mkdir()
    assert out.read_bytes() == _written(again, engine, "--policy", str(_identity_policy(tmp_path)))[0].read_bytes()


def test_kyverno_states_every_requirement(tmp_path: Path) -> None:
    _, (policy,) = _written(tmp_path, "kyverno", "--policy", str(_identity_policy(tmp_path)))
    assert policy["spec"]["validationFailureAction"] == "Enforce"
    rules = {rule["name"]: rule for rule in policy["spec"]["rules"]}
    assert rules["images-by-digest"]["validate"]["pattern"]["spec"]["containers"] == [{"image": "*@sha256:*"}]
    (verify,) = rules["verify-signatures-1"]["verifyImages"]
    assert verify["imageReferences"] == ["registry.example.com/*"]
    assert verify["verifyDigest"] is True
    entries = verify["attestors"][0]["entries"]
    assert entries[0]["keys"]["publicKeys"] == KEY.read_text().strip() + "\n"
    assert entries[1]["keyless"]["subjectRegExp"] == "^https://github.com/example/.*$"
    attestations = {a["type"]: a for a in verify["attestations"]}
    assert set(attestations) == {
        "https://slsa.dev/provenance/v1",
        "https://cosign.sigstore.dev/attestation/vuln/v1",
        "https://cyclonedx.org/bom",
    }
    scan = attestations["https://cosign.sigstore.dev/attestation/vuln/v1"]["conditions"][0]["all"]
    assert scan[0] == {
        "key": "{{ time_since('','{{metadata.scanFinishedOn}}','') }}",
        "operator": "LessThanOrEquals",
        "value": "720h",  # the profile's 30-day scan age
    }
    assert "Severity=='CRITICAL' && FixedVersion" in scan[1]["key"]
    assert "'-720h'" in scan[1]["key"]  # FedRAMP Moderate's Critical remediation time


def test_a_package_with_the_generated_policy_satisfies_admission_enforcement(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(SAMPLES / "webapp-1.4.0", evidence)
    _written(tmp_path, "kyverno", "--key", str(KEY))
    shutil.copy(tmp_path / "kyverno.yaml", evidence / "admission-policy.yaml")
    args = sample_package_args("1.4.0", tmp_path / "out")
    args[1] = str(evidence)
    assert main([*args, "-q"]) == 0
    audit = orjson.loads((tmp_path / "out" / "audit.json").read_bytes())
    outcomes = [
        check
        for control in audit["controls"]
        for check in control["checks"]
        if check["check"] == "admission.enforces_signatures"
    ]
    assert outcomes
    assert all(o["status"] == "satisfied" for o in outcomes)
    assert "kyverno ClusterPolicy fromline-verify-images (enforce)" in outcomes[0]["reason"]


def test_without_keys_or_identities_it_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "--format", "kyverno"]) == 2
    assert "give --policy or --key" in capsys.readouterr().err


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("signers", ["policy", "keys"])
def test_each_output_is_valid_for_its_engines_schema(engine: str, signers: str, tmp_path: Path) -> None:
    """Against the engines' own CRD schemas (tests/data/admission-schemas, SOURCES.md), and for Connaisseur, which
    publishes none, the checks written from its configuration types."""
    given = ["--policy", str(_identity_policy(tmp_path))] if signers == "policy" else ["--key", str(KEY)]
    _, documents = _written(tmp_path, engine, *given)
    errors = connaisseur_errors(documents[0]) if engine == "connaisseur" else documents_errors(documents)
    assert errors == []
