"""Snyk container JSON, SARIF, Amazon Inspector, CycloneDX VEX, CSAF VEX, and Trivy/Grype's extra fields.

Expected counts are computed here by walking the files directly, never by calling the collectors; the
specific values were read from the files by hand.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import CORPUS, corpus_files
from json_variants import json_nodes, json_replaced

from evidence.collectors import COLLECTORS
from evidence.collectors.csaf import CsafVex
from evidence.collectors.cyclonedx import CycloneDxJson
from evidence.collectors.cyclonedx_xml import CycloneDxXml
from evidence.collectors.grype import GrypeJson
from evidence.collectors.inspector import InspectorFindings
from evidence.collectors.interface import Collector, CollectorError, Document
from evidence.collectors.sarif import Sarif, severity_from_score
from evidence.collectors.snyk import SnykContainerJson
from evidence.collectors.trivy import TrivyJson
from evidence.model import Cvss, DetectionCategory, Evidence, EvidenceKind, Severity

SNYK: Collector = SnykContainerJson()
SARIF: Collector = Sarif()
INSPECTOR: Collector = InspectorFindings()
CSAF: Collector = CsafVex()
CYCLONEDX: Collector = CycloneDxJson()
TRIVY: Collector = TrivyJson()
GRYPE: Collector = GrypeJson()

SNYK_FILES = corpus_files("snyk-container-json")
SARIF_FILES = corpus_files("sarif")
CYCLONEDX_VEX_FILES = corpus_files("vex/cyclonedx")
CSAF_FILES = corpus_files("vex/csaf")
OWNERS = {
    "snyk-container-json": "snyk-container-json",
    "sarif": "sarif",
    "vex/cyclonedx": "cyclonedx-json",
    "vex/csaf": "csaf-vex",
    "trivy-json": "trivy-json",
    "grype-json": "grype-json",
}
NEW = {"snyk-container-json", "sarif", "aws-inspector-findings", "csaf-vex"}
IMAGE = "sha256:" + "3f" * 32


def _doc(path: Path) -> Document:
    return Document(path=path.relative_to(CORPUS).as_posix(), data=path.read_bytes())


def _raw(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _parse(collector: Collector, path: Path) -> Evidence:
    doc = _doc(path)
    assert collector.sniff(doc)
    return collector.parse(doc)


def _made(data: Any, path: str = "made.json") -> Document:
    return Document(path=path, data=orjson.dumps(data))


def _resolve(data: Any, location: str) -> Any:
    for part in location.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


# --- every corpus file of these formats is claimed by exactly one collector, the right one ---

OWNED = [(folder, p) for folder in OWNERS for p in corpus_files(folder)]


@pytest.mark.parametrize(("folder", "path"), OWNED, ids=[p.name for _, p in OWNED])
def test_claimed_by_exactly_one_collector(folder: str, path: Path) -> None:
    doc = _doc(path)
    assert [c.name for c in COLLECTORS if c.sniff(doc)] == [OWNERS[folder]]


OTHERS = [
    p
    for p in CORPUS.rglob("*")
    if p.is_file()
    and p.suffix != ".md"
    and not any(p.is_relative_to(CORPUS / folder) for folder in ("snyk-container-json", "sarif", "vex/csaf"))
]


@pytest.mark.parametrize("path", sorted(OTHERS), ids=_ids(sorted(OTHERS)))
def test_new_collectors_claim_no_other_corpus_file(path: Path) -> None:
    doc = _doc(path)
    assert [c.name for c in COLLECTORS if c.name in NEW and c.sniff(doc)] == []


# --- Snyk container JSON ---


def _snyk_expected(raw: Any) -> set[tuple[str, str, str]]:
    keys = set()
    for project in raw if isinstance(raw, list) else [raw]:
        for target in [project, *project.get("applications", [])]:
            for v in target["vulnerabilities"]:
                cves = v.get("identifiers", {}).get("CVE", [])
                keys.add((cves[0] if cves else v["id"], v.get("packageName") or v["name"], v["version"]))
    return keys


@pytest.mark.parametrize("path", SNYK_FILES, ids=_ids(SNYK_FILES))
def test_snyk_corpus_counts(path: Path) -> None:
    raw = _raw(path)
    evidence = _parse(SNYK, path)
    assert (evidence.kind, evidence.format, evidence.tool) == (
        EvidenceKind.VULNERABILITY_SCAN,
        "Snyk container JSON",
        "snyk",
    )
    assert evidence.subjects == ()  # neither scan was of an image named by digest
    expected = _snyk_expected(raw)
    assert len(evidence.vulnerabilities) == len(expected)
    assert {(f.id, f.package, f.installed_version) for f in evidence.vulnerabilities} == expected
    for finding in evidence.vulnerabilities:
        entry = _resolve(raw, finding.location)
        assert entry["version"] == finding.installed_version
        assert finding.id == entry["id"] or entry["id"] in finding.aliases
        assert finding.severity == Severity(entry["severity"])


def test_snyk_finding_fields() -> None:
    evidence = _parse(SNYK, CORPUS / "snyk-container-json/juiceshop-debian-image.snyk-container-test.json")
    by_key = {(f.id, f.package): f for f in evidence.vulnerabilities}
    gcc = by_key[("CVE-2023-4039", "gcc-10")]
    assert gcc.aliases == ("SNYK-DEBIAN11-GCC10-5901313",)
    assert (gcc.installed_version, gcc.package_type, gcc.fixed_versions) == ("10.2.1-6", "deb", ())
    assert gcc.severity == Severity.LOW
    assert gcc.severities["nvd"] == Severity.MEDIUM
    assert gcc.severities["suse"] == Severity.HIGH
    assert gcc.cvss[0] == Cvss(
        source="snyk", version="3.1", vector="CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N", score=4.8
    )
    assert (gcc.epss, gcc.epss_percentile) == (0.00046, 0.14414)  # written as strings by Snyk
    assert gcc.published == datetime(2023, 9, 14, 0, 54, 21, 518198, tzinfo=UTC)
    assert gcc.data_source == "snyk"
    assert gcc.location == "/vulnerabilities/0"
    jwt = by_key[("CVE-2020-15084", "express-jwt")]
    assert jwt.aliases == ("SNYK-JS-EXPRESSJWT-575022", "GHSA-6g6m-m6h5-w9gf")  # CWE-285 is not a name
    assert (jwt.installed_version, jwt.fixed_versions, jwt.severity) == ("0.1.3", ("6.0.0",), Severity.HIGH)
    assert jwt.package_type == "npm"
    assert jwt.title == "Authorization Bypass"
    assert jwt.location == "/applications/0/vulnerabilities/0"
    # A vulnerability with no CVE keeps Snyk's id.
    alpine = _parse(SNYK, CORPUS / "snyk-container-json/alpine3.12.9-with-app-vulns.snyk-container-test.json")
    connect = next(f for f in alpine.vulnerabilities if f.package == "connect" and f.id.startswith("npm:"))
    assert (connect.id, connect.aliases) == ("npm:connect:20120107", ("SNYK-JS-CONNECT-10382",))
    # Three dependency paths to busybox 1.31.1-r21, one finding.
    assert [f.id for f in alpine.vulnerabilities if f.package == "busybox"] == ["CVE-2021-28831"]


def test_snyk_array_of_projects_and_digest_subject() -> None:
    raw = _raw(CORPUS / "snyk-container-json/alpine3.12.9-with-app-vulns.snyk-container-test.json")
    second = copy.deepcopy(raw)
    second["path"] = f"registry.example.com/app@{IMAGE}"
    del second["applications"]
    evidence = SNYK.parse(_made([raw, second]))
    assert evidence.subjects == (IMAGE,)
    # The second project repeats the first's busybox finding; it is kept once.
    assert len(evidence.vulnerabilities) == len(_snyk_expected([raw, second]))


# --- SARIF ---

SARIF_EXPECTED = {
    "alpine-3.10.2-image.trivy-dev.sarif.json": (
        "trivy",
        "dev",
        ("sha256:961769676411f082461f9ef46626dd7a2d1e2b2a38e6a44364bcbecf51e66dd4",),
    ),
    "grype-presenter-image-snapshot.sarif.json": ("grype", "0.0.0-dev", ()),
    "nginx-image.grype-0.63.0.sarif.json": (
        "grype",
        "0.63.0",
        ("sha256:13d22ec63300e16014d4a42aed735207a8b33c223cff19627dd3042e5a10a3a0",),
    ),
    "nginx-image.snyk-container.sarif.json": (
        "snyk",
        None,
        ("sha256:13d22ec63300e16014d4a42aed735207a8b33c223cff19627dd3042e5a10a3a0",),
    ),
}


def test_sarif_expectations_cover_every_file() -> None:
    assert sorted(SARIF_EXPECTED) == sorted(p.name for p in SARIF_FILES)


@pytest.mark.parametrize("path", SARIF_FILES, ids=_ids(SARIF_FILES))
def test_sarif_corpus_counts(path: Path) -> None:
    raw = _raw(path)
    evidence = _parse(SARIF, path)
    assert (evidence.kind, evidence.format, evidence.format_version) == (
        EvidenceKind.VULNERABILITY_SCAN,
        "SARIF",
        "2.1.0",
    )
    assert (evidence.tool, evidence.tool_version, evidence.subjects) == SARIF_EXPECTED[path.name]
    results = [r for run in raw["runs"] for r in run["results"]]
    # Every result in these four files is about a package vulnerability.
    assert (len(evidence.vulnerabilities), len(evidence.detections)) == (len(results), 0)
    for finding in evidence.vulnerabilities:
        result = _resolve(raw, finding.location)
        rule_id = result["ruleId"]
        assert finding.id == rule_id or rule_id.startswith(f"{finding.id}-") or rule_id in finding.aliases
        assert finding.package  # each of these tools names the package somewhere
        assert finding.installed_version


def _help_fact(rule: dict[str, Any], key: str) -> str:
    match = re.search(rf"^{key}: (.*)$", rule["help"]["text"], re.MULTILINE)
    assert match
    return match.group(1).strip()


def test_sarif_grype_reads_package_from_rule_help() -> None:
    path = CORPUS / "sarif/nginx-image.grype-0.63.0.sarif.json"
    raw = _raw(path)
    rules = {r["id"]: r for r in raw["runs"][0]["tool"]["driver"]["rules"]}
    evidence = _parse(SARIF, path)
    for finding in evidence.vulnerabilities:
        rule = rules[_resolve(raw, finding.location)["ruleId"]]
        assert finding.package == _help_fact(rule, "Package")
        assert finding.installed_version == _help_fact(rule, "Version")
        # Grype's own severity word, not security-severity (10.0 for CVE-2005-2541, which Debian rates low).
        assert finding.severity == Severity.parse(_help_fact(rule, "Severity"))
    first = evidence.vulnerabilities[0]
    assert (first.id, first.package, first.installed_version, first.package_type, first.severity) == (
        "CVE-2005-2541",
        "tar",
        "1.34+dfsg-1.2",
        "deb",
        Severity.LOW,
    )
    snapshot = _parse(SARIF, CORPUS / "sarif/grype-presenter-image-snapshot.sarif.json")
    one, two = snapshot.vulnerabilities
    assert (one.id, one.package, one.installed_version, one.fixed_versions, one.package_type) == (
        "CVE-1999-0001",
        "package-1",
        "1.1.1",
        ("1.2.1", "2.1.3", "3.4.0"),
        "rpm",
    )
    assert (one.severity, two.severity, two.fixed_versions) == (Severity.LOW, Severity.CRITICAL, ())


def test_sarif_trivy_reads_package_from_result_message() -> None:
    evidence = _parse(SARIF, CORPUS / "sarif/alpine-3.10.2-image.trivy-dev.sarif.json")
    assert [(f.id, f.package, f.installed_version, f.fixed_versions) for f in evidence.vulnerabilities] == [
        ("CVE-2019-1549", "libcrypto1.1", "1.1.1c-r0", ("1.1.1d-r0",)),
        ("CVE-2019-1551", "libcrypto1.1", "1.1.1c-r0", ("1.1.1d-r2",)),
        ("CVE-2019-1549", "libssl1.1", "1.1.1c-r0", ("1.1.1d-r0",)),
        ("CVE-2019-1551", "libssl1.1", "1.1.1c-r0", ("1.1.1d-r2",)),
    ]
    first = evidence.vulnerabilities[0]
    assert first.severity == Severity.MEDIUM
    assert first.title == "openssl: information disclosure in fork()"
    assert first.cvss == (
        Cvss(source="trivy", version="3.1", vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", score=5.3),
        Cvss(source="trivy", version="2.0", vector="AV:N/AC:L/Au:N/C:P/I:N/A:N", score=5.0),
    )
    assert first.location == "/runs/0/results/0"


def test_sarif_snyk_reads_package_from_full_description() -> None:
    path = CORPUS / "sarif/nginx-image.snyk-container.sarif.json"
    raw = _raw(path)
    evidence = _parse(SARIF, path)
    rules = {r["id"]: r for r in raw["runs"][0]["tool"]["driver"]["rules"]}
    for finding in evidence.vulnerabilities:
        rule = rules[_resolve(raw, finding.location)["ruleId"]]
        cve, package = rule["fullDescription"]["text"].split(" ", 1)
        name, _, version = package.rpartition("@")
        assert (finding.id, finding.aliases) == (cve.strip("()"), (rule["id"],))
        assert (finding.package, finding.installed_version) == (name.partition("/")[0], version)
        assert finding.severity == Severity.parse(rule["shortDescription"]["text"].split(" ")[0])
    apt = evidence.vulnerabilities[0]
    assert (apt.id, apt.package, apt.installed_version, apt.package_type) == ("CVE-2011-3374", "apt", "2.6.1", "deb")
    assert apt.aliases == ("SNYK-DEBIAN12-APT-1541449",)


def _sarif(results: list[dict[str, Any]], rules: list[dict[str, Any]], name: str = "Dockle") -> dict[str, Any]:
    return {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0-rtm.5.json",
        "runs": [{"tool": {"driver": {"name": name, "rules": rules}}, "results": results}],
    }


def test_sarif_dockle_checks_and_secrets_become_detections() -> None:
    leaked = "hunter2-DO-NOT-KEEP"
    log = _sarif(
        [
            {
                "ruleId": "CIS-DI-0001",
                "ruleIndex": 0,
                "level": "warning",
                "message": {"text": "Last user should not be root"},
            },
            {
                "ruleId": "CIS-DI-0010",
                "ruleIndex": 1,
                "level": "error",
                "message": {"text": f"Suspicious ENV key found : DB_PASSWORD on ENV DB_PASSWORD={leaked}"},
                "locations": [
                    {"physicalLocation": {"artifactLocation": {"uri": "/app/.env"}, "region": {"startLine": 3}}}
                ],
            },
            {"ruleId": "DKL-LI-0003", "ruleIndex": 2, "level": "note", "message": {"text": "Only put necessary files"}},
            {"ruleId": "CIS-DI-0005", "kind": "pass", "level": "none", "message": {"text": "passed"}},
        ],
        [
            {"id": "CIS-DI-0001", "shortDescription": {"text": "Create a user for the container"}},
            {
                "id": "CIS-DI-0010",
                "shortDescription": {"text": "Do not store credential in environment variables/files"},
            },
            {"id": "DKL-LI-0003", "shortDescription": {"text": "Only put necessary files"}},
            {"id": "CIS-DI-0005", "shortDescription": {"text": "Enable Content trust for Docker"}},
        ],
    )
    evidence = SARIF.parse(_made(log))
    assert evidence.tool == "dockle"
    assert evidence.vulnerabilities == ()
    user, credential, files = evidence.detections  # the passing check is not a detection
    assert (user.category, user.id, user.severity, user.title, user.message) == (
        DetectionCategory.MISCONFIGURATION,
        "CIS-DI-0001",
        Severity.MEDIUM,
        "Create a user for the container",
        "Last user should not be root",
    )
    assert (credential.category, credential.severity, credential.target) == (
        DetectionCategory.SECRET,
        Severity.HIGH,
        "/app/.env",
    )
    assert credential.message == "Do not store credential in environment variables/files at line 3"
    assert leaked not in repr(evidence)
    assert (files.severity, files.location) == (Severity.LOW, "/runs/0/results/2")


def test_sarif_severity_from_security_severity_and_level() -> None:
    rules = [
        {"id": "CVE-2024-0001", "properties": {"security-severity": "9.8", "tags": ["vulnerability"]}},
        {"id": "CVE-2024-0002", "properties": {"security-severity": "4.0"}},
        {"id": "GHSA-aaaa-bbbb-cccc", "defaultConfiguration": {"level": "error"}},
        {"id": "custom-vuln", "properties": {"tags": ["vulnerability"], "security-severity": "not a number"}},
    ]
    results = [{"ruleId": r["id"], "ruleIndex": i, "message": {"text": "found"}} for i, r in enumerate(rules)]
    evidence = SARIF.parse(_made(_sarif(results, rules, name="Some Scanner")))
    assert evidence.tool == "Some Scanner"
    assert [f.severity for f in evidence.vulnerabilities] == [
        Severity.CRITICAL,
        Severity.MEDIUM,
        Severity.HIGH,
        Severity.MEDIUM,  # no level anywhere: SARIF's default, warning
    ]
    # Where a tool names no package, the finding is kept and says so.
    assert {(f.package, f.installed_version) for f in evidence.vulnerabilities} == {("", None)}
    assert [severity_from_score(s) for s in (9.0, 8.9, 7.0, 6.9, 4.0, 3.9, 0.1, 0.0)] == [
        Severity.CRITICAL,
        Severity.HIGH,
        Severity.HIGH,
        Severity.MEDIUM,
        Severity.MEDIUM,
        Severity.LOW,
        Severity.LOW,
        Severity.NEGLIGIBLE,
    ]


def test_sarif_trivy_secret_and_misconfiguration() -> None:
    match = "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"
    rules = [
        {
            "id": "aws-access-key-id",
            "name": "Secret",
            "shortDescription": {"text": "AWS Access Key ID"},
            "properties": {"tags": ["secret", "security", "CRITICAL"], "security-severity": "9.5"},
        },
        {
            "id": "DS002",
            "name": "Misconfiguration",
            "shortDescription": {"text": "Image user should not be 'root'"},
            "properties": {"tags": ["misconfiguration", "security", "HIGH"], "security-severity": "8.0"},
        },
    ]
    results = [
        {
            "ruleId": "aws-access-key-id",
            "ruleIndex": 0,
            "level": "error",
            "message": {"text": f"Artifact: app\nType: \nSecret AWS Access Key ID\nSeverity: CRITICAL\nMatch: {match}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "app/.env"},
                        "region": {"startLine": 2, "endLine": 2},
                    }
                }
            ],
        },
        {
            "ruleId": "DS002",
            "ruleIndex": 1,
            "level": "error",
            "message": {"text": "Artifact: Dockerfile\nType: dockerfile\nSpecify at least 1 USER command"},
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": "Dockerfile"}, "region": {"startLine": 1}}}
            ],
        },
    ]
    evidence = SARIF.parse(_made(_sarif(results, rules, name="Trivy")))
    secret, misconfiguration = evidence.detections
    assert (secret.category, secret.id, secret.severity, secret.target) == (
        DetectionCategory.SECRET,
        "aws-access-key-id",
        Severity.CRITICAL,
        "app/.env",
    )
    assert secret.message == "AWS Access Key ID at line 2"
    assert "AKIA" not in repr(evidence)
    assert (misconfiguration.category, misconfiguration.severity) == (DetectionCategory.MISCONFIGURATION, Severity.HIGH)


def test_sarif_other_versions_recognized_but_unsupported() -> None:
    log = {"version": "2.0.0", "$schema": "http://json.schemastore.org/sarif-2.0.0", "runs": []}
    doc = _made(log)
    assert SARIF.sniff(doc)
    with pytest.raises(CollectorError, match=r"SARIF version '2\.0\.0' is recognized but not supported"):
        SARIF.parse(doc)


# --- Amazon Inspector (no corpus file: the fixture follows the documented Finding structure) ---


def _inspector_finding(**changes: Any) -> dict[str, Any]:
    finding: dict[str, Any] = {
        "awsAccountId": "123456789012",
        "description": "Issue summary: Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash.",
        "epss": {"score": 0.00091},
        "exploitAvailable": "NO",
        "findingArn": "arn:aws:inspector2:us-east-1:123456789012:finding/0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "firstObservedAt": "2024-02-02T09:15:27.512000+00:00",
        "fixAvailable": "YES",
        "inspectorScore": 5.5,
        "lastObservedAt": "2024-02-20T11:01:03.870000+00:00",
        "packageVulnerabilityDetails": {
            "cvss": [
                {
                    "baseScore": 5.5,
                    "scoringVector": "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H",
                    "source": "NVD",
                    "version": "3.1",
                }
            ],
            "referenceUrls": ["https://www.openssl.org/news/secadv/20240125.txt"],
            "relatedVulnerabilities": [],
            "source": "DEBIAN_CVE",
            "sourceUrl": "https://security-tracker.debian.org/tracker/CVE-2024-0727",
            "vendorCreatedAt": "2024-01-26T09:15:07+00:00",
            "vendorSeverity": "medium",
            "vendorUpdatedAt": "2024-02-08T10:15:13+00:00",
            "vulnerabilityId": "CVE-2024-0727",
            "vulnerablePackages": [
                {
                    "arch": "X86_64",
                    "epoch": 0,
                    "fixedInVersion": "0:3.0.13-1~deb12u1",
                    "name": "libssl3",
                    "packageManager": "OS",
                    "release": "1~deb12u1",
                    "remediation": "apt-get update && apt-get upgrade",
                    "sourceLayerHash": "sha256:" + "1a" * 32,
                    "version": "3.0.11",
                },
                {
                    "arch": "X86_64",
                    "epoch": 0,
                    "fixedInVersion": "0:3.0.13-1~deb12u1",
                    "name": "openssl",
                    "packageManager": "OS",
                    "release": "1~deb12u1",
                    "sourceLayerHash": "sha256:" + "1a" * 32,
                    "version": "3.0.11",
                },
            ],
        },
        "remediation": {"recommendation": {"text": "None Provided"}},
        "resources": [
            {
                "details": {
                    "awsEcrContainerImage": {
                        "architecture": "amd64",
                        "imageHash": IMAGE,
                        "imageTags": ["1.4.0"],
                        "platform": "DEBIAN_12",
                        "pushedAt": "2024-02-01T17:40:12+00:00",
                        "registry": "123456789012",
                        "repositoryName": "webapp",
                    }
                },
                "id": f"arn:aws:ecr:us-east-1:123456789012:repository/webapp/{IMAGE}",
                "partition": "aws",
                "region": "us-east-1",
                "type": "AWS_ECR_CONTAINER_IMAGE",
            }
        ],
        "severity": "MEDIUM",
        "status": "ACTIVE",
        "title": "CVE-2024-0727 - libssl3, openssl",
        "type": "PACKAGE_VULNERABILITY",
        "updatedAt": "2024-02-20T11:01:03.870000+00:00",
    }
    finding.update(changes)
    return finding


def _inspector_report() -> dict[str, Any]:
    second = _inspector_finding(
        findingArn="arn:aws:inspector2:us-east-1:123456789012:finding/aa" + "0" * 30,
        severity="HIGH",
        updatedAt="2024-02-21T08:00:00+00:00",
        title="CVE-2023-45853 - zlib1g",
        epss={"score": 0.0042},
    )
    details = second["packageVulnerabilityDetails"] = copy.deepcopy(second["packageVulnerabilityDetails"])
    details.update(
        vulnerabilityId="CVE-2023-45853",
        vendorSeverity="NOT_ASSIGNED",
        relatedVulnerabilities=["GHSA-9v7f-xw3h-5hf4"],
        vulnerablePackages=[
            {
                "name": "zlib1g",
                "version": "1.2.13.dfsg",
                "release": "1",
                "epoch": 1,
                "fixedInVersion": "NotAvailable",
                "packageManager": "OS",
            }
        ],
    )
    closed = _inspector_finding(status="CLOSED", updatedAt="2024-01-01T00:00:00+00:00")
    network = {
        k: v for k, v in _inspector_finding(type="NETWORK_REACHABILITY").items() if k != "packageVulnerabilityDetails"
    }
    return {"findings": [_inspector_finding(), second, closed, network]}


def test_inspector_findings() -> None:
    report = _inspector_report()
    evidence = INSPECTOR.parse(_made(report))
    assert (evidence.kind, evidence.format, evidence.tool) == (
        EvidenceKind.VULNERABILITY_SCAN,
        "Amazon Inspector findings",
        "amazon-inspector",
    )
    assert evidence.subjects == (IMAGE,)
    assert evidence.collected_at == datetime(2024, 2, 21, 8, 0, tzinfo=UTC)  # the latest updatedAt
    expected = sum(
        len(f["packageVulnerabilityDetails"]["vulnerablePackages"])
        for f in report["findings"]
        if "packageVulnerabilityDetails" in f and f["status"] != "CLOSED"
    )
    assert len(evidence.vulnerabilities) == expected == 3
    libssl, openssl, zlib = evidence.vulnerabilities
    assert (libssl.id, libssl.package, libssl.installed_version) == ("CVE-2024-0727", "libssl3", "3.0.11-1~deb12u1")
    assert (openssl.package, openssl.location) == (
        "openssl",
        "/findings/0/packageVulnerabilityDetails/vulnerablePackages/1",
    )
    assert libssl.fixed_versions == ("0:3.0.13-1~deb12u1",)
    assert (libssl.severity, libssl.severities) == (
        Severity.MEDIUM,
        {"inspector": Severity.MEDIUM, "debian_cve": Severity.MEDIUM},
    )
    assert libssl.cvss == (
        Cvss(source="NVD", version="3.1", vector="CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", score=5.5),
    )
    assert (libssl.epss, libssl.kev) == (0.00091, False)  # exploitAvailable is not KEV membership
    assert libssl.published == datetime(2024, 1, 26, 9, 15, 7, tzinfo=UTC)
    assert libssl.data_source == "https://security-tracker.debian.org/tracker/CVE-2024-0727"
    assert (libssl.package_type, libssl.layer) == ("os", "sha256:" + "1a" * 32)
    assert (zlib.installed_version, zlib.fixed_versions, zlib.severity) == ("1:1.2.13.dfsg-1", (), Severity.HIGH)
    assert (zlib.aliases, zlib.epss) == (("GHSA-9v7f-xw3h-5hf4",), 0.0042)


def test_inspector_epoch_timestamps_and_several_images() -> None:
    finding = _inspector_finding(updatedAt=1708426863.87)
    finding["packageVulnerabilityDetails"]["vendorCreatedAt"] = 1706260507
    evidence = INSPECTOR.parse(_made({"findings": [finding]}))
    assert evidence.collected_at == datetime(2024, 2, 20, 11, 1, 3, 870000, tzinfo=UTC)
    assert evidence.vulnerabilities[0].published == datetime(2024, 1, 26, 9, 15, 7, tzinfo=UTC)
    other = copy.deepcopy(_inspector_finding())
    other["resources"][0]["details"]["awsEcrContainerImage"]["imageHash"] = "sha256:" + "4e" * 32
    with pytest.raises(CollectorError, match="findings for 2 different images"):
        INSPECTOR.parse(_made({"findings": [_inspector_finding(), other]}))


# --- CycloneDX VEX ---


@pytest.mark.parametrize("path", CYCLONEDX_VEX_FILES, ids=_ids(CYCLONEDX_VEX_FILES))
def test_cyclonedx_vex_corpus_counts(path: Path) -> None:
    raw = _raw(path)
    evidence = _parse(CYCLONEDX, path)
    analysed = [v for v in raw.get("vulnerabilities", []) if v.get("analysis", {}).get("state")]
    assert len(evidence.statements) == len(analysed)
    vex_only = bool(analysed) and not raw.get("components")
    assert (evidence.kind, evidence.format) == (
        (EvidenceKind.VEX, "CycloneDX VEX") if vex_only else (EvidenceKind.SBOM, "CycloneDX JSON")
    )
    for statement in evidence.statements:
        entry = _resolve(raw, statement.location)
        assert statement.vulnerability == entry["id"]
        assert len(statement.products) >= 1


def test_cyclonedx_vex_statement_fields() -> None:
    (bom_examples,) = _parse(CYCLONEDX, CORPUS / "vex/cyclonedx/bom-examples-vex.cdx.json").statements
    assert bom_examples.vulnerability == "CVE-2020-25649"
    assert bom_examples.aliases == ("SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302",)
    assert bom_examples.products == ("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar",)
    assert (bom_examples.status, bom_examples.justification) == ("not_affected", "vulnerable_code_not_in_execute_path")
    assert bom_examples.impact_statement == (
        "CycloneDX justification: code_not_reachable; Automated dataflow analysis and manual code review indicates "
        "that the vulnerable code is not reachable, either directly or indirectly."
    )
    assert bom_examples.action_statement == "CycloneDX response: will_not_fix, update"
    (cisa,) = _parse(CYCLONEDX, CORPUS / "vex/cyclonedx/cisa-case1-not-affected.cdx-vex.json").statements
    # `product-ABC` is metadata.component, which has no purl: the ref stands for it.
    assert (cisa.products, cisa.justification) == (("product-ABC",), "vulnerable_code_not_present")
    assert cisa.timestamp == datetime(2022, 3, 3, tzinfo=UTC)  # the document's; the analysis has none
    trivy = _parse(CYCLONEDX, CORPUS / "vex/cyclonedx/trivy-testdata.cdx-vex.json").statements
    assert [(s.vulnerability, s.status, s.justification, s.impact_statement) for s in trivy] == [
        (
            "CVE-2021-44228",
            "not_affected",
            "vulnerable_code_not_in_execute_path",
            "CycloneDX justification: code_not_reachable",
        ),
        ("CVE-2022-27943", "not_affected", None, None),  # unjustified: the evaluator keeps the finding open
    ]
    assert trivy[1].products == ("pkg:deb/ubuntu/libstdc%2B%2B6@12.3.0-1ubuntu1~22.04?arch=amd64&distro=ubuntu-22.04",)


def _cdx_vex(analysis: dict[str, Any], **vulnerability: Any) -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {
            "timestamp": "2024-05-01T00:00:00Z",
            "authors": [{"name": "Product Security"}],
            "component": {"type": "container", "name": "webapp", "purl": f"pkg:oci/webapp@{IMAGE.replace(':', '%3A')}"},
        },
        "vulnerabilities": [
            {"id": "CVE-2024-1", "affects": [{"ref": "pkg:npm/lodash@4.17.20"}], "analysis": analysis, **vulnerability}
        ],
    }


@pytest.mark.parametrize(
    ("analysis", "status", "justification", "impact", "action"),
    [
        ({"state": "resolved"}, "fixed", None, None, None),
        ({"state": "resolved_with_pedigree"}, "fixed", None, "CycloneDX state: resolved_with_pedigree", None),
        ({"state": "in_triage"}, "under_investigation", None, None, None),
        (
            {"state": "false_positive", "detail": "not our lodash"},
            "not_affected",
            None,
            "CycloneDX state: false_positive; not our lodash",
            None,
        ),
        (
            {"state": "exploitable", "response": ["update"]},
            "affected",
            None,
            None,
            "CycloneDX response: update; Upgrade to 4.17.21",
        ),
        (
            {"state": "not_affected", "justification": "requires_dependency"},
            "not_affected",
            "component_not_present",
            "CycloneDX justification: requires_dependency",
            None,
        ),
        (
            {"state": "not_affected", "justification": "protected_at_perimeter"},
            "not_affected",
            "inline_mitigations_already_exist",
            "CycloneDX justification: protected_at_perimeter",
            None,
        ),
        (
            {"state": "not_affected", "justification": "requires_environment"},
            "not_affected",
            "vulnerable_code_cannot_be_controlled_by_adversary",
            "CycloneDX justification: requires_environment",
            None,
        ),
    ],
)
def test_cyclonedx_vex_mapping(
    analysis: dict[str, Any], status: str, justification: str | None, impact: str | None, action: str | None
) -> None:
    evidence = CYCLONEDX.parse(_made(_cdx_vex(analysis, recommendation="Upgrade to 4.17.21")))
    (statement,) = evidence.statements
    assert (statement.status, statement.justification, statement.impact_statement, statement.action_statement) == (
        status,
        justification,
        impact,
        action,
    )
    # The affected package, then the image the document is about, by purl and by digest.
    assert statement.products == ("pkg:npm/lodash@4.17.20", f"pkg:oci/webapp@{IMAGE.replace(':', '%3A')}", IMAGE)
    assert (statement.author, statement.timestamp) == ("Product Security", datetime(2024, 5, 1, tzinfo=UTC))
    assert evidence.kind == EvidenceKind.VEX


def test_cyclonedx_with_components_and_analysis_stays_sbom() -> None:
    bom = _cdx_vex(
        {"state": "not_affected", "justification": "code_not_present", "lastUpdated": "2024-06-01T00:00:00Z"}
    )
    bom["components"] = [{"type": "library", "name": "lodash", "version": "4.17.20", "purl": "pkg:npm/lodash@4.17.20"}]
    evidence = CYCLONEDX.parse(_made(bom))
    assert (evidence.kind, len(evidence.statements), len(evidence.vulnerabilities)) == (EvidenceKind.SBOM, 1, 1)
    assert evidence.statements[0].timestamp == datetime(2024, 6, 1, tzinfo=UTC)
    with pytest.raises(CollectorError, match="analysis state 'maybe' is not one CycloneDX defines"):
        CYCLONEDX.parse(_made(_cdx_vex({"state": "maybe"})))


def test_cyclonedx_xml_vex() -> None:
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">
  <metadata>
    <timestamp>2024-05-01T00:00:00Z</timestamp>
    <component type="container"><name>webapp</name><version>{IMAGE}</version></component>
  </metadata>
  <vulnerabilities>
    <vulnerability>
      <id>CVE-2021-44228</id>
      <analysis>
        <state>not_affected</state>
        <justification>code_not_reachable</justification>
        <responses><response>will_not_fix</response></responses>
        <detail>JndiLookup is removed.</detail>
      </analysis>
      <affects><target><ref>pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1</ref></target></affects>
    </vulnerability>
  </vulnerabilities>
</bom>""".encode()
    doc = Document(path="vex.cdx.xml", data=xml)
    evidence = CycloneDxXml().parse(doc)
    assert (evidence.kind, evidence.format, evidence.subjects) == (EvidenceKind.VEX, "CycloneDX XML VEX", (IMAGE,))
    (statement,) = evidence.statements
    assert statement.products == ("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", IMAGE)
    assert (statement.status, statement.justification) == ("not_affected", "vulnerable_code_not_in_execute_path")
    assert statement.impact_statement == "CycloneDX justification: code_not_reachable; JndiLookup is removed."
    assert statement.action_statement == "CycloneDX response: will_not_fix"


# --- CSAF VEX ---

_CSAF_STATUS = {
    "known_not_affected": "not_affected",
    "known_affected": "affected",
    "first_affected": "affected",
    "last_affected": "affected",
    "fixed": "fixed",
    "first_fixed": "fixed",
    "under_investigation": "under_investigation",
}


@pytest.mark.parametrize("path", CSAF_FILES, ids=_ids(CSAF_FILES))
def test_csaf_corpus_counts(path: Path) -> None:
    raw = _raw(path)
    evidence = _parse(CSAF, path)
    assert (evidence.kind, evidence.format, evidence.format_version) == (EvidenceKind.VEX, "CSAF VEX", "2.0")
    engine = raw["document"]["tracking"]["generator"]["engine"]
    assert (evidence.tool, evidence.tool_version) == (engine["name"], engine["version"])
    assert evidence.subjects == ()  # no product in these three is an image named by digest
    lists = {
        f"/vulnerabilities/{i}/product_status/{key}": ids
        for i, v in enumerate(raw["vulnerabilities"])
        for key, ids in v.get("product_status", {}).items()
        if key in _CSAF_STATUS and ids
    }
    assert {s.location for s in evidence.statements} == set(lists)
    for statement in evidence.statements:
        vulnerability = raw["vulnerabilities"][int(statement.location.split("/")[2])]
        assert statement.vulnerability == vulnerability["cve"]
        assert statement.status == _CSAF_STATUS[statement.location.rpartition("/")[2]]
        assert statement.author == raw["document"]["publisher"]["name"]
    for location, ids in lists.items():
        listed = [p for s in evidence.statements if s.location == location for p in s.products]
        assert len(listed) >= len(ids)


def test_csaf_statement_fields() -> None:
    (simple,) = _parse(CSAF, CORPUS / "vex/csaf/example-company-2022-EVD-UC-01-A-001.csaf-vex.json").statements
    assert simple.products == ("pkg:golang/github.com/aquasecurity/go-transitive@v4.0.0",)
    assert (simple.status, simple.justification) == ("not_affected", None)  # no flag: the threat says why
    assert simple.impact_statement == "vulnerable_code_not_in_execute_path"
    assert simple.timestamp == datetime(2022, 3, 3, 11, 0, tzinfo=UTC)
    (related,) = _parse(CSAF, CORPUS / "vex/csaf/example-relationships.csaf-vex.json").statements
    # The composite product is go-transitive as a component of go-direct1.
    assert related.products == (
        "pkg:golang/github.com/aquasecurity/go-transitive@v4.0.0",
        "pkg:golang/github.com/aquasecurity/go-direct1@v2.0.0",
    )
    assert related.justification == "vulnerable_code_cannot_be_controlled_by_adversary"
    assert related.timestamp == datetime(2024, 1, 4, 16, 17, 25, tzinfo=UTC)
    redhat = _parse(CSAF, CORPUS / "vex/csaf/redhat-RHSA-2023_1441-openssl.csaf-vex.json")
    affected, fixed = redhat.statements
    assert (affected.status, affected.products) == (
        "affected",
        ("pkg:rpm/redhat/openssl@1.1.1k-7.el8_6?arch=x86_64&epoch=1",),
    )
    assert (affected.action_statement or "").startswith("vendor_fix: For details on how to apply this update")
    raw = _raw(CORPUS / "vex/csaf/redhat-RHSA-2023_1441-openssl.csaf-vex.json")
    assert len(fixed.products) == len(raw["vulnerabilities"][0]["product_status"]["fixed"]) == 35
    assert fixed.products[0] == "pkg:rpm/redhat/openssl@1.1.1k-8.el8_6?arch=aarch64&epoch=1"
    assert "BaseOS-8.6.0.Z.EUS:openssl-1:1.1.1k-8.el8_6.ppc64le" in fixed.products  # no purl: the product id
    assert (redhat.tool, redhat.collected_at) == ("Red Hat SDEngine", datetime(2023, 3, 23, 11, 14, tzinfo=UTC))


def _csaf(vulnerabilities: list[dict[str, Any]], category: str = "csaf_vex", version: str = "2.0") -> dict[str, Any]:
    return {
        "document": {
            "category": category,
            "csaf_version": version,
            "publisher": {"category": "vendor", "name": "Example PSIRT", "namespace": "https://psirt.example.com"},
            "title": "t",
            "tracking": {
                "id": "X-1",
                "current_release_date": "2024-03-01T00:00:00Z",
                "status": "final",
                "version": "1",
            },
        },
        "product_tree": {
            "full_product_names": [
                {
                    "name": "webapp 1.4.0",
                    "product_id": "WEBAPP",
                    "product_identification_helper": {"purl": f"pkg:oci/webapp@{IMAGE.replace(':', '%3A')}"},
                },
                {"name": "libxml2", "product_id": "LIBXML2"},
            ],
            "product_groups": [{"group_id": "ALL", "product_ids": ["WEBAPP", "LIBXML2"]}],
        },
        "vulnerabilities": vulnerabilities,
    }


def test_csaf_groups_flags_and_image_subject() -> None:
    csaf = _csaf(
        [
            {
                "ids": [{"system_name": "GHSA", "text": "GHSA-xxxx-yyyy-zzzz"}],
                "product_status": {"known_not_affected": ["WEBAPP", "LIBXML2"], "under_investigation": ["LIBXML2"]},
                "flags": [{"label": "vulnerable_code_not_present", "group_ids": ["ALL"]}],
                "release_date": "2023-12-01T00:00:00Z",
            }
        ]
    )
    evidence = CSAF.parse(_made(csaf))
    assert evidence.subjects == (IMAGE,)
    not_affected, investigating = evidence.statements
    assert (not_affected.vulnerability, not_affected.justification) == (
        "GHSA-xxxx-yyyy-zzzz",
        "vulnerable_code_not_present",
    )
    assert not_affected.products == (f"pkg:oci/webapp@{IMAGE.replace(':', '%3A')}", "LIBXML2")
    assert (investigating.status, investigating.products) == ("under_investigation", ("LIBXML2",))
    assert not_affected.timestamp == datetime(2024, 3, 1, tzinfo=UTC)


def test_csaf_advisory_with_status_is_read_and_other_cases() -> None:
    advisory = _csaf(
        [{"cve": "CVE-2024-2", "product_status": {"fixed": ["LIBXML2"]}}], category="csaf_security_advisory"
    )
    assert [s.status for s in CSAF.parse(_made(advisory)).statements] == ["fixed"]
    for data, message in [
        (_csaf([], version="2.1"), "CSAF version '2.1' is recognized but not supported"),
        (_csaf([{"cve": "CVE-2024-3", "notes": []}], category="csaf_base"), "CSAF category 'csaf_base' is recognized"),
        (_csaf([{"product_status": {"fixed": ["LIBXML2"]}}]), "names no vulnerability"),
        (
            _csaf(
                [
                    {
                        "cve": "CVE-2024-4",
                        "product_status": {"known_not_affected": ["LIBXML2"]},
                        "flags": [{"label": "trust_me", "product_ids": ["LIBXML2"]}],
                    }
                ]
            ),
            "'trust_me' is not a CSAF 2.0 flag label",
        ),
    ]:
        doc = _made(data)
        assert CSAF.sniff(doc)
        with pytest.raises(CollectorError, match=message):
            CSAF.parse(doc)


# --- Trivy misconfigurations, secrets and vendor severities; Grype EPSS, KEV and database time ---


def test_trivy_vendor_severities() -> None:
    evidence = _parse(TRIVY, CORPUS / "trivy-json/alpine-3.10.2-image.trivy-dev.json")
    assert evidence.vulnerabilities[0].severities == {
        "amazon": Severity.MEDIUM,
        "nvd": Severity.MEDIUM,
        "oracle-oval": Severity.MEDIUM,
        "photon": Severity.MEDIUM,
        "redhat": Severity.LOW,
        "ubuntu": Severity.LOW,
    }
    assert evidence.database_updated is None  # Trivy JSON does not say


def test_trivy_corpus_has_no_detections() -> None:
    for path in corpus_files("trivy-json"):
        raw = _raw(path)
        expected = sum(len(r.get("Misconfigurations", [])) + len(r.get("Secrets", [])) for r in raw["Results"])
        assert len(_parse(TRIVY, path).detections) == expected == 0


def test_trivy_misconfigurations_and_secrets() -> None:
    secret_text = "ghp_" + "1234567890abcdefghij" * 2  # made up
    report = {
        "SchemaVersion": 2,
        "ArtifactName": "webapp:1.4.0",
        "ArtifactType": "container_image",
        "Results": [
            {
                "Target": "Dockerfile",
                "Class": "config",
                "Type": "dockerfile",
                "Misconfigurations": [
                    {
                        "Type": "Dockerfile Security Check",
                        "ID": "DS002",
                        "AVDID": "AVD-DS-0002",
                        "Title": "Image user should not be 'root'",
                        "Message": "Specify at least 1 USER command",
                        "Severity": "HIGH",
                        "Status": "FAIL",
                        "CauseMetadata": {"Provider": "Dockerfile", "StartLine": 1, "EndLine": 4},
                    },
                    {
                        "ID": "DS001",
                        "AVDID": "AVD-DS-0001",
                        "Title": "':latest' tag used",
                        "Severity": "MEDIUM",
                        "Status": "PASS",
                    },
                ],
            },
            {
                "Target": "/app/config.yaml",
                "Class": "secret",
                "Secrets": [
                    {
                        "RuleID": "github-pat",
                        "Category": "GitHub",
                        "Severity": "CRITICAL",
                        "Title": "GitHub Personal Access Token",
                        "StartLine": 7,
                        "EndLine": 7,
                        "Code": {"Lines": [{"Number": 7, "Content": f"token: {secret_text}"}]},
                        "Match": f"token: {secret_text}",
                    }
                ],
            },
        ],
    }
    evidence = TRIVY.parse(_made(report))
    misconfiguration, secret = evidence.detections  # the passed check is not a detection
    assert (misconfiguration.category, misconfiguration.id, misconfiguration.severity, misconfiguration.target) == (
        DetectionCategory.MISCONFIGURATION,
        "AVD-DS-0002",
        Severity.HIGH,
        "Dockerfile",
    )
    assert misconfiguration.message == "Specify at least 1 USER command (lines 1-4)"
    assert misconfiguration.location == "/Results/0/Misconfigurations/0"
    assert (secret.category, secret.id, secret.severity, secret.target) == (
        DetectionCategory.SECRET,
        "github-pat",
        Severity.CRITICAL,
        "/app/config.yaml",
    )
    assert secret.message == "GitHub Personal Access Token (GitHub) at line 7"
    assert secret_text not in repr(evidence)


def test_grype_epss_kev_severities_and_database_time() -> None:
    path = CORPUS / "grype-json/busybox-1.32.1-image.grype-0.94-epss.json"
    raw = _raw(path)
    evidence = _parse(GRYPE, path)
    with_epss = [m for m in raw["matches"] if m["vulnerability"].get("epss")]
    assert sum(1 for f in evidence.vulnerabilities if f.epss is not None) == len(with_epss) == 15
    for finding in evidence.vulnerabilities:
        (score,) = [e for e in _resolve(raw, finding.location)["vulnerability"]["epss"] if e["cve"] == finding.id]
        assert (finding.epss, finding.epss_percentile) == (score["epss"], score["percentile"])
        assert finding.kev is False  # `risk` is written for every match; no match is in KEV
    first = evidence.vulnerabilities[0]
    assert (first.id, first.epss, first.epss_percentile) == ("CVE-2022-28391", 0.0719, 0.91123)
    assert first.severities == {"nvd:cpe": Severity.HIGH}
    assert evidence.database_updated == datetime(2025, 6, 19, 4, 12, 38, tzinfo=UTC)  # descriptor.db.status.built

    snapshot = _parse(GRYPE, CORPUS / "grype-json/grype-presenter-image-snapshot.golden.json")
    assert [(f.id, f.kev, f.epss) for f in snapshot.vulnerabilities] == [
        ("CVE-1999-0001", False, 0.03),
        ("CVE-1999-0002", True, 0.08),
    ]
    assert snapshot.database_updated is None
    old = _parse(GRYPE, CORPUS / "grype-json/vulnerable-image-debian10-deb-python.grype-0.28.json")
    assert old.database_updated == datetime(2021, 12, 24, 8, 14, 2, tzinfo=UTC)  # descriptor.db.built
    assert old.vulnerabilities[0].severities == {"debian:10": Severity.NEGLIGIBLE, "nvd": Severity.LOW}
    rhel = _parse(GRYPE, CORPUS / "grype-json/xjoin-kafka-connect-strimzi-rhel8-image.grype-0.96.json")
    assert rhel.database_updated == datetime(2024, 2, 22, 1, 23, 26, tzinfo=UTC)


# --- hostile and unrecognized input ---


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"[]",
        b"{}",
        b'{"findings": []}',
        b'{"findings": [1]}',
        b'{"runs": []}',
        b'{"document": {"category": "csaf_vex"}}',
        b'{"vulnerabilities": [], "packageManager": "npm"}',
        b'[{"vulnerabilities": {}}]',
        b"not json",
    ],
)
def test_sniff_never_raises_and_declines_other_content(data: bytes) -> None:
    doc = Document(path="x", data=data)
    assert [c.name for c in (SNYK, SARIF, INSPECTOR, CSAF) if c.sniff(doc)] == []


_REPLACEMENTS: tuple[Any, ...] = (None, 7, "text", [], {}, True, 1e300)


HOSTILE = [
    *[(SNYK, p) for p in SNYK_FILES],
    *[(SARIF, p) for p in SARIF_FILES],
    *[(CSAF, p) for p in CSAF_FILES],
    *[(CYCLONEDX, p) for p in CYCLONEDX_VEX_FILES],
    *[(GRYPE, p) for p in corpus_files("grype-json")],
]


@pytest.mark.parametrize(("collector", "path"), HOSTILE, ids=[f"{c.name}-{p.name}" for c, p in HOSTILE])
def test_any_wrong_value_gives_collector_error_or_evidence(collector: Collector, path: Path) -> None:
    _mutate(collector, _raw(path))


def test_inspector_any_wrong_value_gives_collector_error_or_evidence() -> None:
    _mutate(INSPECTOR, _inspector_report(), every=1)


def test_trivy_detections_any_wrong_value() -> None:
    report = {
        "SchemaVersion": 2,
        "ArtifactName": "x",
        "Results": [
            {
                "Target": "Dockerfile",
                "Misconfigurations": [
                    {
                        "ID": "DS002",
                        "Severity": "HIGH",
                        "Status": "FAIL",
                        "CauseMetadata": {"StartLine": 1, "EndLine": 2},
                    }
                ],
                "Secrets": [{"RuleID": "r", "StartLine": 1, "EndLine": 1}],
                "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "PkgName": "p", "VendorSeverity": {"nvd": 3}}],
            }
        ],
    }
    _mutate(TRIVY, report, every=1)


def _mutate(collector: Collector, raw: Any, every: int | None = None) -> None:
    """A value of any other JSON type, anywhere, never escapes as another exception."""
    nodes = json_nodes(raw)
    for where in nodes[:: every or max(1, len(nodes) // 60)]:
        for value in _REPLACEMENTS:
            doc = Document(path="mutated.json", data=orjson.dumps(json_replaced(raw, where, value)))
            if not collector.sniff(doc):
                continue
            with contextlib.suppress(CollectorError):
                collector.parse(doc)
