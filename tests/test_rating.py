"""The original risk rating, FedRAMP's: NVD's CVSSv3 base score, else NVD's CVSSv2, else the scanner's severity;
decided once in evaluation, recorded with its source, and shown beside the scanners' own severity."""

from __future__ import annotations

import dataclasses
import io
from datetime import timedelta
from pathlib import Path

import openpyxl
import orjson
import pytest
from conftest import DIGEST, NOW, SamplePackages, as_day, collect_verify_bind, corpus_files, poam_rows
from test_lifecycle import scan

from evidence.collectors.cvss import checked
from evidence.evaluate.rating import is_nvd, rate, v2_severity, v3_severity
from evidence.evaluate.vulnerabilities import build_records
from evidence.lifecycle.poam import rating
from evidence.model import (
    Binding,
    Cvss,
    EvidenceKind,
    RatingSource,
    Severity,
    VulnerabilityFinding,
    VulnerabilityRecord,
)
from evidence.render.canonical import load_package

CRITICAL_V3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
MEDIUM_V3 = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"  # 5.5
HIGH_V2 = "AV:N/AC:L/Au:N/C:P/I:P/A:P"  # 7.5


def _finding(severity: Severity, *cvss: Cvss) -> VulnerabilityFinding:
    return checked(
        VulnerabilityFinding(id="CVE-2026-0001", package="pkg", installed_version="1.0", severity=severity, cvss=cvss)
    )


def _record(severity: Severity, *cvss: Cvss) -> VulnerabilityRecord:
    (record,) = build_records([scan(1, "trivy", _finding(severity, *cvss))], DIGEST, now=NOW)
    return record


# --- the rule -------------------------------------------------------------------------------------


def test_nvd_cvss3_rates_over_the_scanner_severity_and_sets_the_deadline() -> None:
    record = _record(Severity.LOW, Cvss(source="nvd", version="3.1", vector=CRITICAL_V3, score=9.8))
    assert (record.severity, record.scanner_severity, record.rating_source) == (
        Severity.CRITICAL,
        Severity.LOW,
        RatingSource.NVD_CVSS3,
    )
    assert record.rating_cvss is not None
    assert record.rating_cvss.score == 9.8
    assert not record.rating_computed
    assert record.sla_days == 30
    assert record.due == NOW - timedelta(days=1) + timedelta(days=30)


def test_a_vector_without_a_score_is_scored_by_the_cvss_library() -> None:
    record = _record(Severity.LOW, Cvss(source="nvd@nist.gov", version="3.1", vector=MEDIUM_V3))
    assert (record.severity, record.rating_source, record.rating_computed) == (
        Severity.MEDIUM,
        RatingSource.NVD_CVSS3,
        True,
    )
    assert record.rating_cvss == Cvss(source="nvd@nist.gov", version="3.1", vector=MEDIUM_V3, score=5.5)
    assert record.sla_days == 90
    v2 = rate([Cvss(source="nvd", version="2.0", vector=f"({HIGH_V2})")], Severity.LOW)
    assert (v2.severity, v2.source, v2.computed) == (Severity.HIGH, RatingSource.NVD_CVSS2, True)
    assert v2.cvss is not None
    assert v2.cvss.score == 7.5
    prefixed = rate([Cvss(source="nvd", version="2.0", vector=f"CVSS:2.0/{HIGH_V2}")], Severity.LOW)
    assert (prefixed.severity, prefixed.source, prefixed.problems) == (Severity.HIGH, RatingSource.NVD_CVSS2, ())
    # CycloneDX writes v3 vectors without their prefix, the rating method naming the version
    bare = rate([Cvss(source="NVD", version="3.1", vector=CRITICAL_V3.removeprefix("CVSS:3.1/"))], Severity.LOW)
    assert (bare.severity, bare.computed) == (Severity.CRITICAL, True)


def test_fedramp_order_nvd_v3_then_nvd_v2_then_the_scanner() -> None:
    vendor = Cvss(source="redhat", version="3.1", vector=MEDIUM_V3, score=5.5)
    nvd_v2 = Cvss(source="nvd", version="2.0", vector=HIGH_V2, score=7.5)
    nvd_v3 = Cvss(source="nvd", version="3.1", vector=MEDIUM_V3, score=5.5)
    nvd_v4 = Cvss(source="nvd", version="4.0", score=9.3)
    assert rate([vendor, nvd_v2, nvd_v3], Severity.CRITICAL).source is RatingSource.NVD_CVSS3
    assert rate([vendor, nvd_v2, nvd_v3], Severity.CRITICAL).severity is Severity.MEDIUM
    assert rate([vendor, nvd_v2], Severity.LOW).severity is Severity.HIGH  # CVSSv2 has no critical
    assert rate([vendor, nvd_v2], Severity.LOW).source is RatingSource.NVD_CVSS2
    # a vendor's CVSS and NVD's CVSS v4 are not the original risk rating: the scanner's severity is
    scanner = rate([vendor, nvd_v4], Severity.HIGH)
    assert (scanner.severity, scanner.source, scanner.cvss) == (Severity.HIGH, RatingSource.SCANNER, None)
    # two NVD scores of one version (scanner databases of different ages): the higher counts
    older = Cvss(source="nvd@nist.gov", version="3.1", vector=MEDIUM_V3, score=5.5)
    newer = Cvss(source="nvd", version="3.1", vector=CRITICAL_V3, score=9.8)
    assert rate([older, newer], Severity.LOW).severity is Severity.CRITICAL
    assert rate([newer, older], Severity.LOW).cvss == newer


@pytest.mark.parametrize(
    ("source", "nvd"),
    [("nvd", True), ("NVD", True), ("nvd@nist.gov", True), ("nvd:cpe", True), ("ghsa", False), ("redhat", False)],
)
def test_nvd_is_recognized_as_each_scanner_names_it(source: str, nvd: bool) -> None:
    assert is_nvd(source) is nvd


@pytest.mark.parametrize(
    ("score", "v3", "v2"),
    [
        (10.0, Severity.CRITICAL, Severity.HIGH),
        (9.0, Severity.CRITICAL, Severity.HIGH),
        (8.9, Severity.HIGH, Severity.HIGH),
        (7.0, Severity.HIGH, Severity.HIGH),
        (6.9, Severity.MEDIUM, Severity.MEDIUM),
        (4.0, Severity.MEDIUM, Severity.MEDIUM),
        (3.9, Severity.LOW, Severity.LOW),
        (0.1, Severity.LOW, Severity.LOW),
        (0.0, Severity.NEGLIGIBLE, Severity.LOW),
    ],
)
def test_scores_map_to_each_version_s_scale(score: float, v3: Severity, v2: Severity) -> None:
    assert (v3_severity(score), v2_severity(score)) == (v3, v2)


def test_an_out_of_range_score_never_rates_falls_back_and_is_flagged() -> None:
    bad = Cvss(source="nvd", version="3.1", score=98.0)
    record = _record(Severity.LOW, bad, Cvss(source="nvd", version="2.0", vector=HIGH_V2, score=7.5))
    assert (record.severity, record.rating_source) == (Severity.HIGH, RatingSource.NVD_CVSS2)
    assert record.cvss_problems == ("CVSS score 98.0 from nvd is outside 0-10: not used",)
    alone = _record(Severity.LOW, bad)
    assert (alone.severity, alone.rating_source, alone.rating_cvss) == (Severity.LOW, RatingSource.SCANNER, None)
    assert alone.cvss_problems == ("CVSS score 98.0 from nvd is outside 0-10: not used",)


def test_a_vector_the_library_refuses_is_flagged_and_not_used() -> None:
    # parses as a CVSS vector (every base metric, valid values) but names a version the library does not score
    odd = Cvss(source="nvd", version="3.1", vector="CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    result = rate([odd], Severity.MEDIUM)
    assert (result.severity, result.source) == (Severity.MEDIUM, RatingSource.SCANNER)
    assert len(result.problems) == 1
    assert "cannot be scored" in result.problems[0]


# --- the samples ----------------------------------------------------------------------------------


def test_cve_2019_1010022_of_the_sample_is_rated_critical_from_nvd_and_due_in_30_days(
    sample_package: SamplePackages,
) -> None:
    out = sample_package("1.4.0")
    pkg = load_package(out / "audit.json")
    libc = [r for r in pkg.vulnerabilities if r.id == "CVE-2019-1010022"]
    assert {r.package for r in libc} == {"libc-bin", "libc6"}
    for record in libc:
        assert (record.severity, record.scanner_severity, record.rating_source) == (
            Severity.CRITICAL,
            Severity.LOW,
            RatingSource.NVD_CVSS3,
        )
        assert record.rating_cvss is not None
        assert (record.rating_cvss.score, record.rating_cvss.vector) == (
            9.8,
            CRITICAL_V3,
        )
        assert record.first_detected is not None
        assert (record.sla_days, record.due) == (30, record.first_detected + timedelta(days=30))
    item = next(i for i in pkg.poam if i.vulnerability == "CVE-2019-1010022")
    assert (item.severity, item.scanner_severity, item.rating_source) == (
        Severity.CRITICAL,
        Severity.LOW,
        RatingSource.NVD_CVSS3,
    )
    book = openpyxl.load_workbook(io.BytesIO((out / "poam.xlsx").read_bytes()))
    rows = poam_rows(book["Open POA&M Items"])
    row = next(r for r in rows if r["POAM ID"] == "V-CVE-2019-1010022")
    assert row["Original Risk Rating"] == rating(Severity.CRITICAL) == "High"  # the template has no Critical
    assert item.due is not None
    assert item.due == libc[0].due
    assert row["Scheduled Completion Date"] == as_day(item.due)
    assert str(row["Comments"]).startswith(
        "Original risk rating from NVD CVSS 3.1 base score 9.8; the scanners rated it low"
    )
    poam = orjson.loads((out / "oscal" / "poam.json").read_bytes())["plan-of-action-and-milestones"]
    risk = next(r for r in poam["risks"] if r["title"].startswith("CVE-2019-1010022 "))
    props = {p["name"]: p["value"] for p in risk["props"]}
    assert (props["rating-source"], props["rating-cvss-score"], props["scanner-severity"]) == (
        "nvd-cvss3",
        "9.8",
        "low",
    )
    facets = risk["characterizations"][0]["facets"]
    shown = [{k: f[k] for k in ("name", "system", "value")} for f in facets]
    assert {"name": "risk", "system": "http://fedramp.gov/ns/oscal", "value": "high"} in shown  # FedRAMP's highest
    assert {"name": "severity", "system": "https://fromline.dev/ns/oscal", "value": "critical"} in shown
    report = (out / "report.html").read_text(encoding="utf-8")
    # The finding is critical: the risk exposure table gives it in full, its rating's source and each scanner's
    cells = report.split('<td class="mono wrap">V-CVE-2019-1010022</td>', 1)[1].split("</tr>", 1)[0]
    assert "rating: NVD CVSS 3.1 9.8" in cells
    assert "trivy: low" in cells


def test_sample_ratings_differ_from_the_scanners_only_where_nvd_says_so(sample_package: SamplePackages) -> None:
    pkg = load_package(sample_package("1.4.0") / "audit.json")
    changed = sorted(
        (r.id, r.package, r.scanner_severity, r.severity)
        for r in pkg.vulnerabilities
        if r.severity != r.scanner_severity
    )
    assert changed == [
        ("CVE-2017-18018", "coreutils", Severity.LOW, Severity.MEDIUM),  # NVD 4.7
        ("CVE-2019-1010022", "libc-bin", Severity.LOW, Severity.CRITICAL),  # NVD 9.8
        ("CVE-2019-1010022", "libc6", Severity.LOW, Severity.CRITICAL),
    ]
    assert all(
        r.rating_source is RatingSource.NVD_CVSS3 for r in pkg.vulnerabilities if r.severity != r.scanner_severity
    )


# --- the corpus -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    corpus_files("trivy-json") + corpus_files("grype-json") + corpus_files("snyk-container-json"),
    ids=lambda p: p.name,
)
def test_real_scans_are_rated_by_the_rule(path: Path) -> None:
    items = [
        dataclasses.replace(e, binding=Binding.ASSERTED)
        for e in collect_verify_bind([path], image_digest=DIGEST).items
        if e.kind is EvidenceKind.VULNERABILITY_SCAN
    ]
    records = build_records(items, DIGEST, now=NOW)
    assert records, path
    for record in records:
        nvd3 = [c.score for c in record.cvss if is_nvd(c.source) and (c.version or "").startswith("3") and c.score]
        if nvd3:
            assert (record.rating_source, record.severity) == (RatingSource.NVD_CVSS3, v3_severity(max(nvd3)))
        elif record.rating_source is RatingSource.SCANNER:
            assert record.severity is record.scanner_severity
        assert record.due is not None or record.severity is Severity.NEGLIGIBLE
