"""Failed controls are POA&M items: every risk of the assessment, not only the scanners' findings, has one, with
its own SP 800-53 controls, its catalog as weakness source, and a rating from its catalog or marked unrated."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import SAMPLE_KEY, SAMPLE_TIMESTAMP, SAMPLES, poam_rows, sample_image
from openpyxl import load_workbook

from evidence.cli import main
from evidence.evaluate.poam import FINDING_CHECKS
from evidence.render.oscal import nist_control_id

RELEASE = "1.4.0"


def _audit(package: Path) -> dict[str, Any]:
    audit: dict[str, Any] = orjson.loads((package / "audit.json").read_bytes())
    return audit


def _risks(audit: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        c
        for c in audit["controls"]
        if c["status"] == "not-satisfied" and c["catalog"] != "base-image-rubric" and not _failed_by_findings_only(c)
    ]


def _failed_by_findings_only(control: dict[str, Any]) -> bool:
    failing = {k["check"] for k in control["checks"] if k["status"] == "not-satisfied"}
    return bool(failing) and failing <= FINDING_CHECKS


@pytest.mark.parametrize("profile", ["fedramp-moderate", "dod", "fedramp-high"])
def test_each_failed_control_has_one_item_with_its_own_controls(
    sample_package: Callable[..., Path], profile: str
) -> None:
    audit = _audit(sample_package(RELEASE, profile))
    items = {i["control"]: i for i in audit["poam"] if i["source"] == "control"}
    risks = _risks(audit)
    assert risks
    assert sorted(items) == sorted(f"{c['catalog']}:{c['control_id']}" for c in risks)
    for control in risks:
        item = items[f"{control['catalog']}:{control['control_id']}"]
        assert item["poam_id"] == f"C-{control['catalog']}-{control['control_id']}"
        assert item["controls"] == control["nist_800_53"]
        assert item["status"] == "open"
        assert item["title"] == control["title"]
        assert item["due"] is not None
    scans = [i for i in audit["poam"] if i["source"] == "scan"]
    assert all(i["controls"] == ["RA-5", "SI-2"] for i in scans)


def test_a_control_failed_only_by_open_findings_is_left_to_their_items(sample_package: Callable[..., Path]) -> None:
    audit = _audit(sample_package(RELEASE, "fedramp-moderate"))
    image_vulnerabilities = next(c for c in audit["controls"] if c["control_id"] == "4.1.1")
    assert image_vulnerabilities["status"] == "not-satisfied"
    assert not any(i["control"] == "nist-800-190:4.1.1" for i in audit["poam"])


def test_ratings_come_from_the_catalog_or_say_they_are_unrated(sample_package: Callable[..., Path]) -> None:
    audit = _audit(sample_package(RELEASE, "dod"))
    items = {i["control"]: i for i in audit["poam"] if i["source"] == "control"}
    srg = items["disa-container:SRG-APP-000635-CTR-001405"]  # CAT I in the catalog
    assert (srg["severity"], srg["rating_source"]) == ("high", "catalog")
    guide = items["disa-container:2.9"]  # the guide's sections carry no category
    assert (guide["severity"], guide["rating_source"]) == ("medium", "unrated")


def test_the_poam_workbook_and_oscal_carry_the_control_items(sample_package: Callable[..., Path]) -> None:
    package = sample_package(RELEASE, "fedramp-moderate")
    audit = _audit(package)
    items = [i for i in audit["poam"] if i["source"] == "control"]
    book = load_workbook(package / "poam.xlsx")
    by_id = {r["POAM ID"]: r for r in poam_rows(book["Open POA&M Items"])}
    for item in items:
        row = by_id[item["poam_id"]]
        assert row["Controls"] == ", ".join(item["controls"])
        assert row["Weakness Source Identifier"] == item["vulnerability"]
        assert "Original risk rating from" in row["Comments"]
    poam = orjson.loads((package / "oscal" / "poam.json").read_bytes())["plan-of-action-and-milestones"]
    risks = {next(p["value"] for p in r["props"] if p["name"] == "poam-id"): r for r in poam["risks"]}
    observations = {o["uuid"] for o in poam["observations"]}
    for item in items:
        risk = risks[item["poam_id"]]
        impacted = [p["value"] for p in risk["props"] if p["name"] == "impacted-control-id"]
        assert impacted == list(dict.fromkeys(nist_control_id(c) for c in item["controls"]))
        assert {o["observation-uuid"] for o in risk["related-observations"]} <= observations


def test_a_control_still_failing_keeps_its_first_detection(tmp_path: Path) -> None:
    def package(release: str, out: Path, *extra: str) -> None:
        args = ["package", str(SAMPLES / f"webapp-{release}"), "--image", sample_image(release), "--release",
                release, "--key", str(SAMPLE_KEY), "--profile", "fedramp-moderate", "--out", str(out), "--quiet",
                *extra]  # fmt: skip
        assert main(args) == 0

    older = tmp_path / "old"
    package("1.3.0", older, "--timestamp", "2026-10-01T12:00:00Z")
    newer = tmp_path / "new"
    package(RELEASE, newer, "--timestamp", SAMPLE_TIMESTAMP, "--previous", str(older))
    before = {i["poam_id"]: i for i in _audit(older)["poam"] if i["source"] == "control"}
    after = {i["poam_id"]: i for i in _audit(newer)["poam"] if i["source"] == "control"}
    kept = set(before) & set(after)
    assert kept
    for poam_id in kept:
        assert after[poam_id]["first_detected"] == before[poam_id]["first_detected"] == "2026-10-01T12:00:00Z"


def test_in_the_assessment_results_a_failed_controls_finding_links_to_its_risk(
    sample_package: Callable[..., Path],
) -> None:
    package = sample_package(RELEASE, "fedramp-moderate")
    items = {i["poam_id"]: i for i in _audit(package)["poam"] if i["source"] == "control"}
    doc = orjson.loads((package / "oscal" / "assessment-results.json").read_bytes())["assessment-results"]
    (result,) = doc["results"]
    risks = {r["uuid"]: r for r in result["risks"]}
    linked: dict[str, list[dict[str, str]]] = {}
    for finding in result["findings"]:
        for link in finding.get("related-risks", []):
            risk = risks[link["risk-uuid"]]
            poam_id = next((p["value"] for p in risk.get("props", []) if p["name"] == "poam-id"), "")
            if poam_id in items:
                linked[poam_id] = finding["target"]["props"]
    assert sorted(linked) == sorted(items)
    for poam_id, target in linked.items():
        control = {p["name"]: p["value"] for p in target}
        assert items[poam_id]["control"] == f"{control['catalog']}:{control['control-id']}"
