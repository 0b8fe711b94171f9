"""Remediation clocks that a new release cannot reset: each first detection says where it comes from (carried from a
previous package, this scan, the advisory's publication, the assessment time), and the remediation-timeline check
is satisfied only where the clock could not have been restarted."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import SAMPLE_KEY, SAMPLE_TIMESTAMP, SAMPLES, sample_image

from evidence.cli import main
from evidence.evaluate.checks.vulnscan import _within_for_certain
from evidence.model import DetectionSource, Severity, VulnerabilityRecord

RELEASE = "1.4.0"
SLA_CONTROLS = ("SRG-APP-000456-CTR-001125",)


def _audit(package: Path) -> dict[str, Any]:
    audit: dict[str, Any] = orjson.loads((package / "audit.json").read_bytes())
    return audit


def _package(evidence: Path, release: str, out: Path, *extra: str) -> Path:
    args = ["package", str(evidence), "--image", sample_image(release), "--release", release, "--key",
            str(SAMPLE_KEY), "--out", str(out), "--quiet", *extra]  # fmt: skip
    assert main(args) == 0
    return out


def test_without_history_the_clock_is_this_scan_and_says_so(sample_package: Callable[..., Path]) -> None:
    audit = _audit(sample_package(RELEASE))
    assert {v["detection_source"] for v in audit["vulnerabilities"]} == {"scan"}
    assert all(i["detection_source"] == "scan" for i in audit["poam"] if i["source"] == "scan")
    assert all(v["published"] for v in audit["vulnerabilities"] if v["id"].startswith("CVE-2019"))


def test_a_strict_profile_does_not_call_a_resettable_clock_satisfied(sample_package: Callable[..., Path]) -> None:
    audit = _audit(sample_package(RELEASE, "dod"))
    control = next(c for c in audit["controls"] if c["control_id"] == SLA_CONTROLS[0])
    assert control["status"] == "not-satisfied"
    assert control["reason"].startswith("Strict profile: missing evidence counts as not satisfied.")
    assert "only by a clock this assessment's scans start" in control["reason"]
    assert "CVE-2019-1010022 (critical, libc-bin, published 2019-07-15, limit 30 days)" in control["reason"]


def test_a_previous_package_carries_the_clock(tmp_path: Path) -> None:
    older = _package(SAMPLES / "webapp-1.3.0", "1.3.0", tmp_path / "old", "--timestamp", "2026-10-01T12:00:00Z",
                     "--profile", "dod")  # fmt: skip
    newer = _package(SAMPLES / f"webapp-{RELEASE}", RELEASE, tmp_path / "new", "--timestamp", SAMPLE_TIMESTAMP,
                     "--profile", "dod", "--previous", str(older))  # fmt: skip
    before = {(v["id"], v["package"]): v for v in _audit(older)["vulnerabilities"]}
    records = _audit(newer)["vulnerabilities"]
    carried = [v for v in records if v["detection_source"] == "carried"]
    assert carried
    for record in carried:
        assert record["first_detected"] == before[record["id"], record["package"]]["first_detected"]
    new = [v for v in records if (v["id"], v["package"]) not in before and v["state"] == "open"]
    assert all(v["detection_source"] == "scan" for v in new)
    control = next(c for c in _audit(newer)["controls"] if c["control_id"] == SLA_CONTROLS[0])
    assert "past the remediation timeline" in control["reason"]  # decided from history, not left open
    assert "only by a clock" not in control["reason"]


def test_a_scan_without_a_time_dates_by_the_advisory(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(SAMPLES / f"webapp-{RELEASE}", evidence)
    (evidence / "grype.json").unlink()
    trivy = orjson.loads((evidence / "trivy.json").read_bytes())
    del trivy["CreatedAt"]
    (evidence / "trivy.json").write_bytes(orjson.dumps(trivy))
    audit = _audit(_package(evidence, RELEASE, tmp_path / "package", "--timestamp", SAMPLE_TIMESTAMP))
    published = [v for v in audit["vulnerabilities"] if v["published"]]
    assert published
    for record in published:
        assert record["detection_source"] == "published"
        assert record["first_detected"] == record["published"]
    undated = [v for v in audit["vulnerabilities"] if not v["published"]]
    assert all(v["detection_source"] == "assessed" and v["first_detected"] == SAMPLE_TIMESTAMP for v in undated)


NOW = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("source", "published_days_ago", "certain"),
    [
        (DetectionSource.CARRIED, 400, True),  # history: the clock was not restarted
        (DetectionSource.SCAN, 10, True),  # even from publication, 30 days have not passed
        (DetectionSource.SCAN, 31, False),  # a detection before this scan may have been missed
        (DetectionSource.SCAN, None, False),
        (DetectionSource.ASSESSED, 5, True),
    ],
)
def test_within_the_timeline_for_certain_only_when_no_earlier_detection_could_change_it(
    source: DetectionSource, published_days_ago: int | None, certain: bool
) -> None:
    published = NOW - timedelta(days=published_days_ago) if published_days_ago is not None else None
    record = VulnerabilityRecord(
        id="CVE-1", package="p", severity=Severity.HIGH, detection_source=source, published=published
    )
    assert _within_for_certain(record, 30, NOW) is certain
