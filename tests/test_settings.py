"""Settings a CI gives every time: flags, then FROMLINE_* environment variables, then the configuration file."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from conftest import SAMPLES, sample_image

from evidence.cli import main

IMAGE = sample_image("1.4.0")


def _package(tmp_path: Path, *args: str) -> dict[str, object]:
    out = tmp_path / "out"
    command = ["package", str(SAMPLES / "webapp-1.4.0"), "--image", IMAGE, "--out", str(out), "-q", *args]
    assert main([*command, "--timestamp", "2026-12-01T00:00:00Z"]) == 0
    audit: dict[str, object] = orjson.loads((out / "audit.json").read_bytes())
    return audit


def test_the_file_then_the_environment_then_the_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "team.pub").write_bytes((SAMPLES / "keys" / "webapp.pub").read_bytes())
    config = tmp_path / "ci" / "fromline.yaml"
    config.parent.mkdir()
    config.write_text("version: 1\nprofile: fedramp-moderate\nkey: [../keys/team.pub]\npoc: Pat Doe\n")
    monkeypatch.delenv("FROMLINE_PROFILE", raising=False)
    audit = _package(tmp_path, "--config", str(config))
    assert audit["profile"] == "fedramp-moderate"
    assert "team.pub" in orjson.dumps(audit).decode()  # the key named relative to the file verified the signature
    monkeypatch.setenv("FROMLINE_PROFILE", "fedramp-high")
    assert _package(tmp_path, "--config", str(config))["profile"] == "fedramp-high"  # the environment wins
    assert _package(tmp_path, "--config", str(config), "--profile", "default")["profile"] == "default"  # the flag
    monkeypatch.chdir(config.parent)  # fromline.yaml in the working directory is read without --config
    monkeypatch.delenv("FROMLINE_PROFILE")
    assert _package(tmp_path)["profile"] == "fedramp-moderate"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("version: 1\nprofle: x\n", "unknown settings: profle"),
        ("version: 1\nkey: {a: b}\n", "key must be a list of strings"),
        ("version: 1\nimpact: huge\n", "impact must be one of"),
    ],
)
def test_a_bad_configuration_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    config = tmp_path / "fromline.yaml"
    config.write_text(content)
    command = ["package", str(SAMPLES / "webapp-1.4.0"), "--image", IMAGE, "--out", str(tmp_path / "out")]
    assert main(["--config", str(config), *command]) == 3
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
