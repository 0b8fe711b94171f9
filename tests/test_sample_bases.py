"""The sample base-image candidates under samples/bases/: every file names its candidate's digest, the signatures
verify with the keys candidates.yaml names, the rubric tells the candidates apart, and the hardened vendor's two
digests show a patch latency. That the files are exactly what samples/make_samples.py writes is checked, with the
other samples, by tests/test_sample_boundary.py."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
import yaml
from conftest import SAMPLES

from evidence.cli import main

BASES = SAMPLES / "bases"
TIMESTAMP = "2026-12-04T00:00:00Z"


def candidates() -> list[dict[str, Any]]:
    doc = yaml.safe_load((BASES / "candidates.yaml").read_text(encoding="utf-8"))
    assert doc["version"] == 1
    return list(doc["candidates"])


def digest_of(folder: str) -> str:
    """The manifest digest the folder's grype report names."""
    report = orjson.loads((BASES / folder / "grype.json").read_bytes())
    return str(report["source"]["target"]["manifestDigest"])


def folders() -> list[tuple[str, str, str | None]]:
    """(evidence folder, image reference, key) of every digest: the candidates' and their history's."""
    return [
        (folder.rstrip("/"), f"{c['image'].split('@')[0]}@{digest_of(folder)}", c.get("key"))
        for c in candidates()
        for folder in [*c.get("history", []), c["evidence"]]
    ]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text[:19] + "+00:00")


@pytest.fixture(scope="module")
def audits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """audit.json of `fromline package` of each folder, with the cis profile (which scores the rubric)."""
    out: dict[str, dict[str, Any]] = {}
    for folder, image, key in folders():
        target = tmp_path_factory.mktemp(folder) / "package"
        args = ["package", str(BASES / folder), "--image", image, "--profile", "cis", "--timestamp", TIMESTAMP]
        args += ["--out", str(target), "--quiet"]
        if key:
            args += ["--key", str(BASES / key)]
        assert main(args) == 0, folder
        out[folder] = orjson.loads((target / "audit.json").read_bytes())
    return out


def scores(audit: dict[str, Any]) -> dict[str, int]:
    return {r["criterion"]: r["score"] for r in audit["rubric"]}


def test_candidates_yaml_lists_four_kinds_and_the_vendors_history() -> None:
    listed = {c["name"]: c for c in candidates()}
    assert {name: c["kind"] for name, c in listed.items()} == {
        "debian-12": "distro",
        "debian-12-slim": "minimal-distro",
        "distroless-static": "distroless",
        "hardened-vendor": "hardened",
    }
    vendor = listed["hardened-vendor"]
    assert vendor["evidence"] == "hardened-vendor-2026.12/"
    assert vendor["history"] == ["hardened-vendor-2026.11/"]
    assert vendor["sla_days"] == {"critical": 2, "high": 7}
    assert "key" not in listed["debian-12"]  # unsigned
    for c in candidates():
        assert c["image"].endswith("@" + digest_of(c["evidence"]))
        if "key" in c:
            assert (BASES / c["key"]).is_file()  # paths are relative to the candidates file
            assert not (BASES / c["key"]).resolve().is_relative_to(BASES)  # the keys are outside the evidence


@pytest.mark.parametrize(("folder", "image"), [(f, i) for f, i, _ in folders()])
def test_every_file_names_its_candidates_digest(folder: str, image: str) -> None:
    digest = image.split("@")[1]
    files = sorted(p for p in (BASES / folder).iterdir() if p.suffix != ".sig")
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.name.endswith(".intoto.json"):
            text = base64.b64decode(orjson.loads(text)["payload"]).decode()
        assert digest.removeprefix("sha256:") in text, path.name


def test_the_signatures_verify_with_the_named_keys(audits: dict[str, dict[str, Any]]) -> None:
    for folder, _, key in folders():
        signed = [e for e in audits[folder]["evidence"] if e.get("signature")]
        if key is None:
            assert signed == [], folder
            continue
        statuses = {e["path"].split("/")[-1]: e["signature"]["status"] for e in signed}
        expected = {"cosign-payload.json"}
        if folder != "debian-12-slim":
            expected.add("provenance.intoto.json")
        if folder.startswith("hardened-vendor"):
            expected |= {"sbom.intoto.json", "openvex.intoto.json"}
        assert statuses == dict.fromkeys(expected, "verified"), folder


def test_the_rubric_tells_the_candidates_apart(audits: dict[str, dict[str, Any]]) -> None:
    debian, slim = scores(audits["debian-12"]), scores(audits["debian-12-slim"])
    distroless, vendor = scores(audits["distroless-static"]), scores(audits["hardened-vendor-2026.12"])
    # shell and package manager, or neither
    assert debian["Minimization"] == slim["Minimization"] == 2
    assert distroless["Minimization"] == vendor["Minimization"] == 3
    assert debian["Signing"] == 0  # unsigned: a failed gate
    assert audits["debian-12"]["rubric_grade"] == "F"
    assert slim["Signing"] == distroless["Signing"] == vendor["Signing"] == 3
    assert (debian["Provenance and SLSA level"], slim["Provenance and SLSA level"]) == (0, 0)
    assert distroless["Provenance and SLSA level"] == 2  # built from scratch: no base image digest to record
    assert vendor["Provenance and SLSA level"] == 3
    assert vendor["SBOM and VEX"] == 4
    assert debian["SBOM and VEX"] == 2
    assert debian["Patch SLA"] == 0  # expat's Critical fixes, older than 30 days
    assert vendor["Compliance posture"] == distroless["Compliance posture"] == 1  # no HEALTHCHECK in a base
    assert debian["Compliance posture"] == 0  # runs as root
    totals = [sum(s.values()) for s in (debian, slim, distroless, vendor)]
    assert totals == sorted(set(totals))  # debian-12 lowest, the vendor highest, no two alike


def test_the_vendors_later_digest_was_built_within_its_sla_after_its_scan_listed_a_fix() -> None:
    earlier = orjson.loads((BASES / "hardened-vendor-2026.11" / "trivy.json").read_bytes())
    later = orjson.loads((BASES / "hardened-vendor-2026.12" / "trivy.json").read_bytes())

    def fixable(report: dict[str, Any]) -> dict[str, str]:
        return {
            v["VulnerabilityID"]: v["FixedVersion"]
            for r in report["Results"]
            for v in r["Vulnerabilities"]
            if v.get("FixedVersion") and v["Severity"] in {"CRITICAL", "HIGH"}
        }

    assert fixable(earlier) == {"CVE-2023-6246": "2.36-9+deb12u4", "CVE-2023-6779": "2.36-9+deb12u4"}
    assert fixable(later) == {}
    built = parse_time(later["Metadata"]["ImageConfig"]["created"])
    latency = built - parse_time(earlier["CreatedAt"])
    assert timedelta(days=1, hours=20) <= latency <= timedelta(days=2)  # within the stated 2-day SLA
