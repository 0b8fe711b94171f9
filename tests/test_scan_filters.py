"""Scans configured to hide findings (issue 13): what each format records, and what the scan controls make of it."""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import io
import json
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import orjson
import pytest
from conftest import CORPUS, DIGEST, NOW, SAMPLES, corpus_files, sample_image
from json_variants import json_nodes, json_replaced

import evidence
from evidence.catalog import load_profile
from evidence.collectors.grype import GrypeJson
from evidence.collectors.interface import Collector, CollectorError, Document
from evidence.collectors.provenance import InTotoAttestation
from evidence.collectors.sarif import Sarif
from evidence.collectors.snyk import SnykContainerJson
from evidence.collectors.trivy import TrivyJson
from evidence.evaluate.checks import CHECKS, Context
from evidence.evaluate.vulnerabilities import build_records
from evidence.model import (
    AuditPackage,
    Binding,
    Evidence,
    EvidenceKind,
    ImageRef,
    ScanFilter,
    Severity,
    Status,
    VulnerabilityFinding,
)
from evidence.render import Format
from evidence.render.report import render_html
from evidence.render.xlsx import Workbook

GRYPE_SAMPLE = SAMPLES / "webapp-1.4.0" / "grype.json"
CONFIGURATION = "/descriptor/configuration"
# The sample's fixable critical finding (h11, CVE-2025-43859), as Grype ids the match.
CRITICAL = "GHSA-vqfr-h8mv-ghfj"


def read(collector: Any, data: object, path: str = "scan.json") -> Evidence:
    doc = Document(path=path, data=json.dumps(data).encode())
    assert collector.sniff(doc)
    result: Evidence = collector.parse(doc)
    return result


def grype_sample() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(GRYPE_SAMPLE.read_bytes())
    return loaded


def configured(**settings: Any) -> dict[str, Any]:
    report = grype_sample()
    report["descriptor"]["configuration"].update(settings)
    return report


# --- what real scanner outputs record ---------------------------------------------------------------------------

SAMPLE_SCANS = [
    SAMPLES / f"webapp-{release}" / name for release in ("1.3.0", "1.4.0") for name in ("grype.json", "trivy.json")
]
SCANS: list[tuple[Collector, Path]] = [
    *[(GrypeJson(), p) for p in corpus_files("grype-json")],
    *[(TrivyJson(), p) for p in corpus_files("trivy-json")],
    *[(Sarif(), p) for p in corpus_files("sarif")],
    *[(SnykContainerJson(), p) for p in corpus_files("snyk-container-json")],
    *[(GrypeJson() if p.name == "grype.json" else TrivyJson(), p) for p in SAMPLE_SCANS],
]


@pytest.mark.parametrize(("collector", "path"), SCANS, ids=[f"{c.name}-{p.parent.name}-{p.name}" for c, p in SCANS])
def test_real_scans_record_no_filter(collector: Collector, path: Path) -> None:
    """None of the real outputs was made with a filter: the readers find none (and the Grype 0.94 ones carry
    Grype's own kernel-header rules, which are not counted)."""
    doc = Document(path=path.name, data=path.read_bytes())
    assert collector.sniff(doc)
    assert collector.parse(doc).scan_filters == ()


def test_grype_kernel_header_rules_are_in_real_reports_and_not_counted() -> None:
    for path in (GRYPE_SAMPLE, CORPUS / "grype-json/busybox-1.32.1-image.grype-0.94-epss.json"):
        rules = json.loads(path.read_bytes())["descriptor"]["configuration"]["ignore"]
        assert {r["package"]["name"] for r in rules} == {"kernel-headers", "linux(-.*)?-headers-.*", "linux-libc-dev"}
        assert {r["match-type"] for r in rules} == {"exact-indirect-match"}
    # The same package rule matching the kernel directly is a filter like any other.
    report = grype_sample()
    report["descriptor"]["configuration"]["ignore"][2]["match-type"] = ""
    (rule,) = read(GrypeJson(), report).scan_filters
    assert rule == ScanFilter(
        setting="ignore",
        value="package.name linux-libc-dev, package.type deb, package.upstream-name linux",
        location=f"{CONFIGURATION}/ignore/2",
    )


# --- Grype ------------------------------------------------------------------------------------------------------


def test_grype_only_fixed_and_the_rules_it_adds() -> None:
    report = configured(**{"only-fixed": True})
    rules = report["descriptor"]["configuration"]["ignore"]
    rules += [{"fix-state": s} for s in ("not-fixed", "wont-fix", "unknown")]  # what Grype adds for it
    rules.append({"vulnerability": CRITICAL, "reason": "accepted by the team", "package": {"name": "h11"}})
    assert read(GrypeJson(), report).scan_filters == (
        ScanFilter(setting="only-fixed", value="true", location=f"{CONFIGURATION}/only-fixed"),
        ScanFilter(
            setting="ignore",
            value=f"vulnerability {CRITICAL}, package.name h11, reason 'accepted by the team'",
            location=f"{CONFIGURATION}/ignore/6",
        ),
    )


def test_a_fix_state_rule_without_its_setting_is_shown_as_a_rule() -> None:
    report = grype_sample()
    report["descriptor"]["configuration"]["ignore"].append({"fix-state": "not-fixed"})
    (rule,) = read(GrypeJson(), report).scan_filters
    assert (rule.setting, rule.value, rule.location) == ("ignore", "fix-state not-fixed", f"{CONFIGURATION}/ignore/3")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"only-notfixed": True}, [("only-notfixed", "true", "/only-notfixed")]),
        ({"ignore-wontfix": "wont-fix,not-fixed"}, [("ignore-wontfix", "wont-fix,not-fixed", "/ignore-wontfix")]),
        ({"exclude": ["/usr/lib/**", ""]}, [("exclude", "/usr/lib/**", "/exclude/0")]),
        ({"vex-documents": ["vex.json"]}, [("vex-documents", "vex.json", "/vex-documents/0")]),
        ({"only-fixed": False, "only-notfixed": False, "ignore-wontfix": "", "fail-on-severity": "high"}, []),
        ({"show-suppressed": True, "by-cve": True, "search": {"scope": "all-layers"}}, []),
    ],
)
def test_grype_settings(settings: dict[str, Any], expected: list[tuple[str, str, str]]) -> None:
    found = read(GrypeJson(), configured(**settings)).scan_filters
    assert [(f.setting, f.value, f.location) for f in found] == [(s, v, CONFIGURATION + p) for s, v, p in expected]


def test_grype_vex_rules_count_with_vex_documents_only() -> None:
    vex_rules = [{"vex-status": "not_affected"}, {"vex-status": "fixed"}, {"vex-status": "affected"}]
    without = configured(ignore=vex_rules)
    assert read(GrypeJson(), without).scan_filters == ()  # no VEX document: the VEX step never ran
    with_documents = configured(ignore=vex_rules, **{"vex-documents": ["vex.json"]})
    assert [f.text for f in read(GrypeJson(), with_documents).scan_filters] == [
        "vex-documents: vex.json",
        "ignore: vex-status affected",  # not a rule Grype adds for the documents
    ]


def test_grype_rule_without_a_condition_hides_nothing() -> None:
    assert read(GrypeJson(), configured(ignore=[{"reason": "no condition"}, {}])).scan_filters == ()


def test_old_grype_configuration() -> None:
    path = CORPUS / "grype-json/vulnerable-image-debian10-deb-python.grype-0.28.json"
    report = json.loads(path.read_bytes())
    report["descriptor"]["configuration"]["only-fixed"] = True
    assert [f.text for f in read(GrypeJson(), report).scan_filters] == ["only-fixed: true"]


@pytest.mark.parametrize(
    ("settings", "where"),
    [
        ({"only-fixed": "true"}, "/only-fixed should be a boolean"),
        ({"exclude": "/usr"}, "/exclude should be an array"),
        ({"ignore": [7]}, "/ignore/0 should be an object"),
    ],
)
def test_grype_configuration_of_the_wrong_type_is_an_error(settings: dict[str, Any], where: str) -> None:
    with pytest.raises(CollectorError, match=CONFIGURATION + where):
        read(GrypeJson(), configured(**settings))


def test_grype_without_its_configuration_lists_the_matches_it_ignored() -> None:
    path = CORPUS / "grype-json/xjoin-kafka-connect-strimzi-rhel8-image.grype-0.96.json"
    report = json.loads(path.read_bytes())
    assert "configuration" not in report["descriptor"]  # not recorded
    match = report["matches"][0]
    kernel = {"package": {"name": "kernel-headers", "type": "rpm", "upstream-name": "kernel"}}
    report["ignoredMatches"] = [
        {**match, "appliedIgnoreRules": [{**kernel, "match-type": "exact-indirect-match"}]},
        {**match, "appliedIgnoreRules": [{"vulnerability": match["vulnerability"]["id"], "reason": "r"}]},
    ]
    (ignored,) = read(GrypeJson(), report).scan_filters
    artifact = f"{match['artifact']['name']} {match['artifact']['version']}"
    assert ignored == ScanFilter(
        setting="ignoredMatches",
        value=f"{match['vulnerability']['id']} in {artifact} (rule vulnerability {match['vulnerability']['id']})",
        location="/ignoredMatches/1",
    )


# --- Trivy ------------------------------------------------------------------------------------------------------


def test_trivy_lists_what_it_set_aside() -> None:
    report = json.loads((CORPUS / "trivy-json/alpine-3.10.2-image.trivy-dev.json").read_bytes())
    report["Results"][0]["ExperimentalModifiedFindings"] = [
        {
            "Type": "vulnerability",
            "Status": "ignored",
            "Statement": "",
            "Source": ".trivyignore",
            "Finding": {"VulnerabilityID": "CVE-2019-1549", "PkgName": "libcrypto1.1"},
        },
        {
            "Type": "vulnerability",
            "Status": "not_affected",
            "Statement": "vulnerable_code_not_in_execute_path",
            "Source": "openvex.json",
            "Finding": {"VulnerabilityID": "CVE-2019-1563", "PkgName": "libssl1.1"},
        },
    ]
    assert read(TrivyJson(), report).scan_filters == (
        ScanFilter(
            setting=".trivyignore",
            value="CVE-2019-1549 in libcrypto1.1 ignored",
            location="/Results/0/ExperimentalModifiedFindings/0",
        ),
        ScanFilter(
            setting="openvex.json",
            value="CVE-2019-1563 in libssl1.1 not_affected: vulnerable_code_not_in_execute_path",
            location="/Results/0/ExperimentalModifiedFindings/1",
        ),
    )


# --- SARIF ------------------------------------------------------------------------------------------------------


def sarif_with(name: str, invocation: dict[str, Any]) -> dict[str, Any]:
    log: dict[str, Any] = json.loads((CORPUS / "sarif" / name).read_bytes())
    log["runs"][0]["invocations"] = [{"executionSuccessful": True, **invocation}]
    return log


TRIVY_SARIF = "alpine-3.10.2-image.trivy-dev.sarif.json"
GRYPE_SARIF = "nginx-image.grype-0.63.0.sarif.json"
SNYK_SARIF = "nginx-image.snyk-container.sarif.json"


@pytest.mark.parametrize(
    ("name", "invocation", "expected"),
    [
        (
            TRIVY_SARIF,
            {"commandLine": "trivy image --ignore-unfixed --severity HIGH,CRITICAL -f sarif alpine:3.10"},
            [
                ("--ignore-unfixed", "true", "/runs/0/invocations/0/commandLine"),
                ("--severity", "HIGH,CRITICAL", "/runs/0/invocations/0/commandLine"),
            ],
        ),
        (
            TRIVY_SARIF,
            {"arguments": ["image", "--severity=UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL", "--ignorefile", ".trivyignore"]},
            [("--ignorefile", ".trivyignore", "/runs/0/invocations/0/arguments/2")],
        ),
        (TRIVY_SARIF, {"commandLine": "trivy image --ignore-unfixed=false alpine"}, []),
        (
            GRYPE_SARIF,
            {"commandLine": "grype nginx --only-fixed -o sarif --exclude '/usr/share/**'"},
            [
                ("--only-fixed", "true", "/runs/0/invocations/0/commandLine"),
                ("--exclude", "/usr/share/**", "/runs/0/invocations/0/commandLine"),
            ],
        ),
        (GRYPE_SARIF, {"commandLine": "grype nginx --ignore-unfixed"}, []),  # a Trivy flag, not Grype's
        (
            SNYK_SARIF,
            {"arguments": ["container", "test", "nginx", "--severity-threshold=high", "--sarif"]},
            [("--severity-threshold", "high", "/runs/0/invocations/0/arguments/3")],
        ),
        (SNYK_SARIF, {"commandLine": "snyk container test nginx --severity-threshold=low"}, []),
        (
            GRYPE_SARIF,
            {
                "ruleConfigurationOverrides": [
                    {"descriptor": {"id": "CVE-2023-1234-libc6"}, "configuration": {"enabled": False}},
                    {"descriptor": {"id": "CVE-2023-9999-zlib"}, "configuration": {"enabled": True}},
                ]
            },
            [
                (
                    "ruleConfigurationOverrides",
                    "CVE-2023-1234-libc6 disabled",
                    "/runs/0/invocations/0/ruleConfigurationOverrides/0/configuration/enabled",
                )
            ],
        ),
    ],
)
def test_sarif_invocations(name: str, invocation: dict[str, Any], expected: list[tuple[str, str, str]]) -> None:
    found = read(Sarif(), sarif_with(name, invocation)).scan_filters
    assert [(f.setting, f.value, f.location) for f in found] == expected


def test_sarif_suppressed_results_are_read_not_hidden() -> None:
    log = json.loads((CORPUS / "sarif" / GRYPE_SARIF).read_bytes())
    count = len(read(Sarif(), log).vulnerabilities)
    log["runs"][0]["results"][0]["suppressions"] = [{"kind": "external", "status": "accepted"}]
    scan = read(Sarif(), log)
    assert (len(scan.vulnerabilities), scan.scan_filters) == (count, ())


# --- Snyk -------------------------------------------------------------------------------------------------------


def test_snyk_threshold_and_policy_ignores() -> None:
    project = json.loads(
        (CORPUS / "snyk-container-json/alpine3.12.9-with-app-vulns.snyk-container-test.json").read_bytes()
    )
    project["severityThreshold"] = "high"
    project["filtered"]["ignore"] = [
        {
            "id": "SNYK-ALPINE312-OPENSSL-1075734",
            "packageName": "openssl",
            "version": "1.1.1k-r0",
            "filtered": {"ignored": [{"reason": "no fix yet", "expires": "2027-01-01T00:00:00.000Z"}]},
        }
    ]
    assert read(SnykContainerJson(), project).scan_filters == (
        ScanFilter(setting="severityThreshold", value="high", location="/severityThreshold"),
        ScanFilter(
            setting="filtered.ignore",
            value="SNYK-ALPINE312-OPENSSL-1075734 in openssl 1.1.1k-r0, reason 'no fix yet'",
            location="/filtered/ignore/0",
        ),
    )
    project["applications"][0]["filtered"] = {"ignore": [{"id": "SNYK-JS-1", "packageName": "lodash"}]}
    assert read(SnykContainerJson(), project).scan_filters[2:] == (
        ScanFilter(
            setting="filtered.ignore", value="SNYK-JS-1 in lodash", location="/applications/0/filtered/ignore/0"
        ),
    )
    project["applications"][0]["filtered"] = {"ignore": [], "patch": []}
    project["severityThreshold"] = "low"  # every severity: Snyk itself writes none then
    project["filtered"]["ignore"] = []
    assert read(SnykContainerJson(), [project]).scan_filters == ()


# --- a cosign vulnerability attestation wraps a report ---------------------------------------------------------


def test_vuln_attestation_keeps_the_report_filters_at_their_place() -> None:
    report = configured(**{"only-fixed": True})
    predicate = {"scanner": {"uri": "pkg:github/anchore/grype", "version": "0.94.0", "result": report}, "metadata": {}}
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.example.com/webapp", "digest": {"sha256": DIGEST.removeprefix("sha256:")}}],
        "predicateType": "https://cosign.sigstore.dev/attestation/vuln/v1",
        "predicate": predicate,
    }
    payload = base64.b64encode(json.dumps(statement).encode()).decode()
    envelope = {"payloadType": "application/vnd.in-toto+json", "payload": payload, "signatures": []}
    (only_fixed,) = read(InTotoAttestation(), envelope).scan_filters
    assert only_fixed == ScanFilter(
        setting="only-fixed",
        value="true",
        location=f"/payload/predicate/scanner/result{CONFIGURATION}/only-fixed",
    )


# --- hostile values in the places filters are read from -----------------------------------------------------


def _filter_places() -> list[tuple[Collector, Any, tuple[str, ...]]]:
    """Each format with filters recorded, and the part of the document that holds them."""
    grype = configured(**{"only-fixed": True, "exclude": ["/x"], "vex-documents": ["v.json"], "ignore-wontfix": "x"})
    grype["descriptor"]["configuration"]["ignore"].append({"vulnerability": "CVE-1", "package": {"name": "p"}})
    trivy = {
        "SchemaVersion": 2,
        "ArtifactName": "x",
        "Results": [
            {
                "Target": "t",
                "ExperimentalModifiedFindings": [
                    {"Status": "ignored", "Source": ".trivyignore", "Finding": {"VulnerabilityID": "CVE-1"}}
                ],
            }
        ],
    }
    sarif = sarif_with(
        GRYPE_SARIF,
        {
            "commandLine": "grype x --only-fixed",
            "arguments": ["--exclude", "/x"],
            "ruleConfigurationOverrides": [{"descriptor": {"id": "r"}, "configuration": {"enabled": False}}],
        },
    )
    snyk = json.loads((CORPUS / "snyk-container-json/juiceshop-debian-image.snyk-container-test.json").read_bytes())
    snyk["severityThreshold"] = "high"
    snyk["filtered"]["ignore"] = [{"id": "S-1", "packageName": "p", "filtered": {"ignored": [{"reason": "r"}]}}]
    unconfigured = grype_sample()
    unconfigured["descriptor"]["configuration"] = None
    unconfigured["ignoredMatches"] = [{**unconfigured["matches"][0], "appliedIgnoreRules": [{"vulnerability": "x"}]}]
    return [
        (GrypeJson(), grype, ("descriptor",)),
        (GrypeJson(), unconfigured, ("ignoredMatches",)),
        (TrivyJson(), trivy, ("Results",)),
        (Sarif(), {**sarif, "runs": [{**sarif["runs"][0], "results": sarif["runs"][0]["results"][:1]}]}, ("runs",)),
        (
            SnykContainerJson(),
            {**snyk, "vulnerabilities": snyk["vulnerabilities"][:1]},
            ("filtered", "severityThreshold"),
        ),
    ]


_HOSTILE: tuple[object, ...] = (None, 7, "text", [], {}, True)


@pytest.mark.parametrize(("collector", "document", "parts"), _filter_places(), ids=lambda v: getattr(v, "name", ""))
def test_any_wrong_value_among_filters_is_a_collector_error_or_read(
    collector: Collector, document: Any, parts: tuple[str, ...]
) -> None:
    assert read(collector, document).scan_filters
    places = [w for w in json_nodes(document) if w[:1] and str(w[0]) in parts]
    for where in places:
        for value in _HOSTILE:
            doc = Document(path="mutated.json", data=orjson.dumps(json_replaced(document, where, value)))
            if collector.sniff(doc):
                with contextlib.suppress(CollectorError):
                    collector.parse(doc)


# --- the checks that need complete results -----------------------------------------------------------------------

IMAGE = ImageRef(reference=f"registry.example.com/webapp@{DIGEST}", name="registry.example.com/webapp", digest=DIGEST)
ONLY_FIXED = ScanFilter(setting="only-fixed", value="true", location=f"{CONFIGURATION}/only-fixed")


def scan(path: str, *, days_old: int = 1, filters: tuple[ScanFilter, ...] = ()) -> Evidence:
    return Evidence(
        id=f"ev-{hashlib.sha256(path.encode()).hexdigest()[:12]}",
        path=path,
        sha256="a" * 64,
        size=1,
        kind=EvidenceKind.VULNERABILITY_SCAN,
        format="Grype JSON",
        tool="grype",
        tool_version="0.94.0",
        subjects=(DIGEST,),
        binding=Binding.MATCH,
        collected_at=NOW - timedelta(days=days_old),
        database_updated=NOW - timedelta(days=days_old + 1),
        vulnerabilities=(
            VulnerabilityFinding(
                id="CVE-2024-0001",
                package="zlib",
                severity=Severity.LOW,
                location="/matches/0",
                published=NOW - timedelta(days=days_old + 1),  # new: no detection before the scan is missed
            ),
        ),
        scan_filters=filters,
    )


def context(*scans: Evidence) -> Context:
    return Context(
        image=IMAGE,
        now=NOW,
        params=load_profile("fedramp-moderate").parameters,
        evidence=scans,
        vulnerabilities=build_records(scans, DIGEST, now=NOW),
    )


SCAN_CHECKS = (
    "vulnscan.present",
    "vulnscan.fresh",
    "vulnscan.database_current",
    "vulnscan.no_fixable_at_gate",
    "vulnscan.remediation_sla",
)


@pytest.mark.parametrize("name", SCAN_CHECKS)
def test_a_filtered_scan_alone_satisfies_no_scan_check(name: str) -> None:
    complete = CHECKS[name](context(scan("grype.json")))
    assert complete.status is Status.SATISFIED, complete.reason
    outcome = CHECKS[name](context(scan("grype.json", filters=(ONLY_FIXED,))))
    assert outcome.status is Status.NOT_SATISFIED
    assert outcome.reason.startswith("No scan of the image is complete: grype.json hides findings: only-fixed: true")
    assert any(r.location == ONLY_FIXED.location for r in outcome.evidence)


@pytest.mark.parametrize("name", SCAN_CHECKS)
def test_beside_a_complete_scan_the_complete_scan_decides(name: str) -> None:
    outcome = CHECKS[name](context(scan("trivy.json"), scan("grype.json", filters=(ONLY_FIXED,))))
    assert outcome.status is Status.SATISFIED
    assert "grype.json hides findings: only-fixed: true" in outcome.reason
    assert outcome.reason.endswith("trivy.json decides.")
    assert {r.path for r in outcome.evidence} == {"trivy.json"}


def test_a_fresh_filtered_scan_does_not_make_a_stale_complete_one_fresh() -> None:
    outcome = CHECKS["vulnscan.fresh"](
        context(scan("trivy.json", days_old=40), scan("grype.json", filters=(ONLY_FIXED,)))
    )
    assert outcome.status is Status.NOT_SATISFIED
    assert "40 day(s) before the assessment" in outcome.reason


def test_findings_a_filtered_scan_shows_still_count() -> None:
    found = replace(
        scan("grype.json", filters=(ONLY_FIXED,)),
        vulnerabilities=(
            VulnerabilityFinding(
                id="CVE-2024-0002",
                package="openssl",
                fixed_versions=("3.0.14",),
                severity=Severity.CRITICAL,
                location="/matches/0",
            ),
        ),
    )
    outcome = CHECKS["vulnscan.no_fixable_at_gate"](context(scan("trivy.json"), found))
    assert outcome.status is Status.NOT_SATISFIED
    assert "CVE-2024-0002" in outcome.reason


# --- the issue's instance ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def filtered_sample(tmp_path_factory: pytest.TempPathFactory) -> AuditPackage:
    """webapp 1.4.0 without its Trivy scan, and Grype run with only-fixed and an ignore rule for the critical
    finding that has a fix: the report holds what Grype would then show."""
    folder = tmp_path_factory.mktemp("filtered") / "webapp"
    shutil.copytree(SAMPLES / "webapp-1.4.0", folder)
    (folder / "trivy.json").unlink()
    report = grype_sample()
    original = copy.deepcopy(report["matches"])
    settings = report["descriptor"]["configuration"]
    settings["only-fixed"] = True
    settings["ignore"] += [{"fix-state": s} for s in ("not-fixed", "wont-fix", "unknown")]
    settings["ignore"].append({"vulnerability": CRITICAL, "reason": "accepted risk"})
    report["matches"] = [
        m for m in original if m["vulnerability"]["fix"]["state"] == "fixed" and m["vulnerability"]["id"] != CRITICAL
    ]
    assert {m["vulnerability"]["severity"] for m in report["matches"]} == {"Medium", "Low"}  # both criticals hidden
    (folder / "grype.json").write_text(json.dumps(report, indent=2))
    return evidence.assess([folder], image=sample_image("1.4.0"), profile="fedramp-moderate", now=NOW)


RULE_LOCATION = f"{CONFIGURATION}/ignore/6"


@pytest.mark.parametrize(
    ("catalog", "control"),
    [("nist-800-190", "4.1.1"), ("fedramp-containers", "C-3"), ("fedramp-containers", "REMEDIATION")],
)
def test_issue_13_filtered_scan_satisfies_no_scan_control(
    filtered_sample: AuditPackage, catalog: str, control: str
) -> None:
    (result,) = [c for c in filtered_sample.controls if (c.catalog, c.control_id) == (catalog, control)]
    assert result.status is Status.NOT_SATISFIED
    assert "grype.json hides findings: only-fixed: true" in result.reason
    assert f"ignore: vulnerability {CRITICAL}, reason 'accepted risk'" in result.reason
    assert any(r.location == RULE_LOCATION for r in result.evidence)


def test_issue_13_report_and_workbook_show_the_filters(filtered_sample: AuditPackage) -> None:
    (grype,) = [e for e in filtered_sample.evidence if e.scan_filters]
    assert [f.text for f in grype.scan_filters] == [
        "only-fixed: true",
        f"ignore: vulnerability {CRITICAL}, reason 'accepted risk'",
    ]
    html = render_html(filtered_sample)
    assert "Hides findings" in html
    for item in grype.scan_filters:
        assert item.location in html
    assert f"vulnerability {CRITICAL}, reason &#39;accepted risk&#39;" in html

    out = io.BytesIO()
    Workbook().render(filtered_sample, out)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["Evidence"]
    headers = [c.value for c in sheet[1]]
    column = headers.index("Scan filters (hide findings)")
    cells = {row[0].value: row[column].value for row in sheet.iter_rows(min_row=2) if row[0].value}
    assert cells[grype.path] == "\n".join(f"{f.text} ({f.location})" for f in grype.scan_filters)
    assert all(value is None for path, value in cells.items() if path != grype.path)


def test_issue_13_audit_json_keeps_the_filters(filtered_sample: AuditPackage, tmp_path: Path) -> None:
    evidence.write_package(filtered_sample, tmp_path / "out", formats=[Format.AUDIT_JSON])
    recorded = json.loads((tmp_path / "out" / "audit.json").read_bytes())
    (grype,) = [e for e in recorded["evidence"] if e["scan_filters"]]
    assert grype["scan_filters"][0] == {
        "setting": "only-fixed",
        "value": "true",
        "location": f"{CONFIGURATION}/only-fixed",
    }
    loaded = evidence.load_package(tmp_path / "out" / "audit.json")
    assert [e.scan_filters for e in loaded.evidence] == [e.scan_filters for e in filtered_sample.evidence]


@pytest.mark.slow
def test_issue_13_pdf_shows_the_filters(filtered_sample: AuditPackage) -> None:
    from pypdf import PdfReader  # noqa: PLC0415

    from evidence.render.pdf import PdfReport  # noqa: PLC0415

    out = io.BytesIO()
    PdfReport().render(filtered_sample, out)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(out.getvalue())).pages)
    flat = "".join(text.split())
    assert "Hidesfindings" in flat
    assert "only-fixed:true" in flat
    assert "".join(RULE_LOCATION.split()) in flat
