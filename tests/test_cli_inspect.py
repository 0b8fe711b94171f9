"""`fromline inspect`, driven in-process."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from conftest import CORPUS, SAMPLE_KEY, SAMPLES

from evidence.cli import main

KEYS = {"path", "kind", "format", "format_version", "tool", "tool_version", "subjects", "counts"}


def inspect_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]]]:
    code = main(["inspect", "--json", *args])
    return code, orjson.loads(capsys.readouterr().out)


def test_inspect_samples_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, entries = inspect_json(capsys, str(SAMPLES / "webapp-1.4.0"), "--key", str(SAMPLE_KEY))
    assert code == 0
    by_name = {str(e["path"]).split("/")[-1]: e for e in entries}
    assert set(by_name) == {p.name for p in (SAMPLES / "webapp-1.4.0").iterdir()}
    for entry in entries:
        assert set(entry) >= KEYS
    sbom = by_name["sbom.cdx.json"]
    components = orjson.loads((SAMPLES / "webapp-1.4.0" / "sbom.cdx.json").read_bytes())["components"]
    assert sbom["kind"] == "sbom"
    assert sbom["counts"] == {"components": len(components)}
    vex = by_name["openvex.json"]
    statements = orjson.loads((SAMPLES / "webapp-1.4.0" / "openvex.json").read_bytes())["statements"]
    assert vex["counts"] == {"statements": len(statements)}
    payload = by_name["cosign-payload.json"]
    assert payload["verification"]["status"] == "verified"  # type: ignore[index]
    assert payload["verification"]["key_id"].startswith("sha256:")  # type: ignore[index]
    assert payload["verification"]["key_path"] == SAMPLE_KEY.name  # type: ignore[index]


def test_inspect_lists_unusable_files_with_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "trivy.json").write_text('{"SchemaVersion": 1, "ArtifactName": "x", "Results": []}')
    code, entries = inspect_json(capsys, str(tmp_path))
    assert code == 3
    reasons = {str(e["path"]).split("/")[-1]: e.get("skipped_reason") for e in entries}
    assert reasons["notes.txt"] == "not a recognized evidence format"
    assert "not supported" in str(reasons["trivy.json"])


def test_inspect_text(capsys: pytest.CaptureFixture[str]) -> None:
    trivy = CORPUS / "trivy-json" / "alpine-3.10.2-image.trivy-dev.json"
    assert main(["inspect", str(trivy)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{trivy}\n")  # the path as given, not its base name
    assert "kind: vulnerability-scan; format: Trivy JSON 2" in out


def test_inspect_verifies_a_keyless_bundle_with_policy_and_artifact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = CORPUS / "signatures" / "sigstore-bundle-v0.1-messagesig.bundle.txt.sigstore.json"
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\nrules:\n  - identities:\n      - {issuer: 'https://github.com/login/oauth', subject: a@tny.town}\n"
    )
    args = [str(bundle), "--staging", "--artifact", str(CORPUS / "signatures" / "bundle.txt")]
    code, entries = inspect_json(capsys, *args, "--policy", str(policy))
    assert code == 0
    (entry,) = entries
    assert entry["verification"]["status"] == "verified"  # type: ignore[index]
    assert entry["verification"]["identity"] == "a@tny.town"  # type: ignore[index]
    _, entries = inspect_json(capsys, *args)
    assert entries[0]["verification"]["status"] == "unverifiable"  # type: ignore[index]


@pytest.mark.parametrize(
    ("flags", "status"),
    [
        (
            ["--certificate-identity", "a@tny.town", "--certificate-oidc-issuer", "https://github.com/login/oauth"],
            "verified",
        ),
        (
            [
                "--certificate-identity-regexp",
                r".*@tny\.town",
                "--certificate-oidc-issuer",
                "https://github.com/login/oauth",
            ],
            "verified",
        ),
        (
            ["--certificate-identity", "b@tny.town", "--certificate-oidc-issuer", "https://github.com/login/oauth"],
            "failed",
        ),
    ],
)
def test_cosign_style_identity_flags(capsys: pytest.CaptureFixture[str], flags: list[str], status: str) -> None:
    bundle = CORPUS / "signatures" / "sigstore-bundle-v0.1-messagesig.bundle.txt.sigstore.json"
    args = [str(bundle), "--staging", "--artifact", str(CORPUS / "signatures" / "bundle.txt"), *flags]
    code, entries = inspect_json(capsys, *args)
    assert code == 0
    assert entries[0]["verification"]["status"] == status  # type: ignore[index]


def test_an_identity_without_its_issuer_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    bundle = CORPUS / "signatures" / "sigstore-bundle-v0.1-messagesig.bundle.txt.sigstore.json"
    assert main(["inspect", str(bundle), "--certificate-identity", "a@tny.town"]) == 3
    assert "--certificate-oidc-issuer" in capsys.readouterr().err


def test_verify_takes_cosign_spellings(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["verify", str(tmp_path), "--certificate-identity", "a@tny.town"]) == 2
    assert "--issuer go together" in capsys.readouterr().err
    regexp = ["verify", str(tmp_path), "--certificate-identity-regexp", ".*", "--certificate-oidc-issuer", "https://x"]
    assert main(regexp) == 1  # the folder is no signed package
    assert "not signed keylessly" in capsys.readouterr().out  # taken as keyless verification
