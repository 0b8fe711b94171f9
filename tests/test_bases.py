"""`fromline bases`: candidates scored side by side, gated, weighted by the workload, ranked, and rendered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import SAMPLES
from fake_registry import FakeRegistry, serving
from image_content import public_pem, signed_image, signing_key
from openpyxl import load_workbook

from evidence.bases import CRITERIA
from evidence.cli import main
from evidence.errors import ExitCode

TIMESTAMP = "2026-12-04T00:00:00Z"
KEYS = ["--key", str(SAMPLES / "keys" / "platform.pub"), "--key", str(SAMPLES / "keys" / "backend.pub")]
WEBAPP = "registry.example.com/webapp@sha256:443eebbdc163dfdc0d40e185574019e4bfbe4eac2b13b7257d91f53c990ff80f"


def _candidates(tmp_path: Path, name: str = "webapp", **extra: object) -> Path:
    entry: dict[str, object] = {
        "name": name,
        "image": WEBAPP,
        "evidence": str(SAMPLES / "webapp-1.4.0"),
        "history": [str(SAMPLES / "webapp-1.3.0")],
        "key": str(SAMPLES / "keys" / "webapp.pub"),
        **extra,
    }
    path = tmp_path / "candidates.yaml"
    path.write_bytes(orjson.dumps({"version": 1, "candidates": [entry]}))  # JSON is YAML
    return path


def _bases(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["bases", *args, "--format", "json", "--timestamp", TIMESTAMP, "-q"]) == 0
    result: dict[str, Any] = orjson.loads(capsys.readouterr().out)
    return result


def test_candidates_in_rank_order_with_every_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = _bases(
        capsys,
        str(_candidates(tmp_path, sla_days={"critical": 30})),
        str(SAMPLES / "boundary" / "proxy-3.2.0"),
        str(SAMPLES / "boundary" / "api-2.1.0"),
        *KEYS,
    )
    candidates = result["candidates"]
    assert [c["rank"] for c in candidates] == [1, 2, 3]
    for candidate in candidates:
        assert set(candidate["scores"]) == set(CRITERIA)
        assert all(0 <= s <= 4 for s in candidate["scores"].values())
        assert all(candidate["reasons"][c] for c in CRITERIA)
        assert candidate["grade"] in {"A", "B", "C", "D", "F"}
        assert isinstance(candidate["gates_failed"], list)
        assert candidate["why"]
    excluded = [c for c in candidates if c["gates_failed"]]
    kept = [c for c in candidates if not c["gates_failed"]]
    assert candidates == kept + excluded  # a failed gate ranks last
    assert all(c["grade"] == "F" for c in excluded)
    assert candidates[1]["tie_broken_by"] is not None
    assert result["inputs"] == {
        "workload": "other",
        "runtime": None,
        "compliance": "default",
        "patching_capacity": "medium",
        "lock_in_tolerance": "medium",
    }


def test_patch_latency_measured_between_digests_caps_the_stated_sla(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (webapp,) = _bases(capsys, str(_candidates(tmp_path, sla_days={"critical": 7})))["candidates"]
    assert webapp["patch_latency_days"] > 7
    assert "gone from" in webapp["patch_latency"]
    assert webapp["scores"]["patch_sla"] <= 2
    assert any("older than the SLA (7 days)" in g for g in webapp["gates_failed"])
    (alone,) = _bases(capsys, str(_candidates(tmp_path, history=[])))["candidates"]
    assert alone["patch_latency_days"] is None
    assert alone["patch_latency"].startswith("One digest")


def test_gates_and_weights_follow_the_workload(capsys: pytest.CaptureFixture[str]) -> None:
    proxy = str(SAMPLES / "boundary" / "proxy-3.2.0")
    (unsigned,) = _bases(capsys, proxy)["candidates"]  # no key given: nothing verifies
    assert unsigned["scores"]["signing"] == 1  # present, not verified
    assert any(g.startswith("unsigned") for g in unsigned["gates_failed"])
    result = _bases(
        capsys, proxy, *KEYS, "--workload", "python", "--patching-capacity", "low", "--lock-in-tolerance", "low"
    )
    (gated,) = result["candidates"]
    assert any("runtime" in g for g in gated["gates_failed"])  # an nginx base holds no Python
    assert "low patching capacity and no stated vendor SLA" in gated["gates_failed"]
    assert result["weights"]["patch_sla"] == 2
    assert result["weights"]["provenance"] == 1.5
    static = _bases(capsys, proxy, *KEYS, "--workload", "static")
    assert static["weights"]["minimization"] == 2
    assert static["candidates"][0]["gates_failed"] == []


def test_every_format_escapes_what_evidence_and_files_say(tmp_path: Path) -> None:
    hostile = "=cmd|' /C calc'!A0 <script>alert(1)</script> | **x**"
    candidates = str(_candidates(tmp_path, name=hostile))
    for fmt in ("markdown", "html", "xlsx", "json"):
        out = tmp_path / f"bases.{fmt}"
        assert main(["bases", candidates, "--format", fmt, "--output", str(out), "--timestamp", TIMESTAMP, "-q"]) == 0
    markdown = (tmp_path / "bases.markdown").read_text()
    assert "<script>" not in markdown
    assert "\\|" in markdown
    html = (tmp_path / "bases.html").read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    sheet = load_workbook(tmp_path / "bases.xlsx")["Candidates"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert any(cell.value == hostile for cell in cells)
    assert all(cell.data_type != "f" for cell in cells)  # a string, never a formula
    assert orjson.loads((tmp_path / "bases.json").read_bytes())["candidates"][0]["name"] == hostile


def test_a_candidate_pulled_by_tag_is_resolved_and_excluded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = signing_key()
    (tmp_path / "key.pub").write_bytes(public_pem(key))
    content = signed_image("team/base", key)
    with serving(FakeRegistry(content=content)) as registry:
        result = _bases(
            capsys,
            f"{registry.host}/team/base:1.0.0",
            "--pull",
            "--insecure-registry",
            registry.host,
            "--key",
            str(tmp_path / "key.pub"),
        )
    (candidate,) = result["candidates"]
    assert candidate["digest"] == content.digest
    assert candidate["scores"]["signing"] >= 3
    assert any(g.startswith("pulled by tag") for g in candidate["gates_failed"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"version": 1, "candidates": [{"name": "x"}]}, "needs `name` and `image`"),
        ({"version": 2, "candidates": []}, "version: 1"),
        ({"version": 1, "candidates": [{"name": "x", "image": WEBAPP, "evidence": "gone"}]}, "does not exist"),
    ],
)
def test_a_bad_candidates_file_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: object, message: str
) -> None:
    path = tmp_path / "candidates.yaml"
    path.write_bytes(orjson.dumps(content))
    assert main(["bases", str(path)]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_progress_on_a_terminal_never_reaches_standard_output(tmp_path: Path) -> None:
    """With stderr a terminal and stdout a pipe, the progress line goes to the terminal only, and the JSON on
    standard output is whole."""
    import os  # noqa: PLC0415
    import pty  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    main_fd, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "evidence", "bases", str(_candidates(tmp_path)), "--format", "json"],
            stdout=subprocess.PIPE,
            stderr=terminal,
            check=False,
            timeout=120,
        )
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main_fd)
    assert done.returncode == 0
    assert orjson.loads(done.stdout)["candidates"][0]["name"] == "webapp"
    assert b"fromline: " in shown  # the progress line, on the terminal


def test_the_sample_candidates_ranked_for_a_static_workload(capsys: pytest.CaptureFixture[str]) -> None:
    result = _bases(
        capsys, str(SAMPLES / "bases" / "candidates.yaml"), "--workload", "static", "--compliance", "fedramp-moderate"
    )
    ranked = {c["name"]: c for c in result["candidates"]}
    assert [c["name"] for c in result["candidates"]] == [
        "hardened-vendor",
        "distroless-static",
        "debian-12-slim",
        "debian-12",
    ]
    vendor = ranked["hardened-vendor"]
    assert vendor["patch_latency_days"] < 2
    assert vendor["scores"]["patch_sla"] == 4
    assert vendor["compliance_ok"] is True  # no HEALTHCHECK is asked of a base
    assert ranked["distroless-static"]["tie_broken_by"] == "compliance posture"
    assert all(c["size_bytes"] for c in result["candidates"])  # every sample's docker inspect gives its size
    assert "32.6 MB" in vendor["why"]
    assert any(g.startswith("unsigned") for g in ranked["debian-12"]["gates_failed"])
