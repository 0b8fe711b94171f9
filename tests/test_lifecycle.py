"""The vulnerability lifecycle: merged scanners, VEX, KEV, EPSS, deviations, SLA deadlines, carry-forward."""

from __future__ import annotations

import dataclasses
import gzip
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import CORPUS, DIGEST, NOW, SAMPLE_KEY, SAMPLES, collect_verify_bind, corpus_files

from evidence.errors import InputError
from evidence.evaluate.vulnerabilities import build_records, parse_purl
from evidence.lifecycle import LifecycleInputs, carry_forward
from evidence.lifecycle.attribution import LayerMap, attribute, base_image_of
from evidence.lifecycle.deviations import parse_deviations, read_deviations
from evidence.lifecycle.epss import parse_epss, read_epss
from evidence.lifecycle.kev import parse_kev, read_kev
from evidence.lifecycle.sla import SlaPolicy
from evidence.model import (
    Attribution,
    Binding,
    DockerfileFacts,
    Evidence,
    EvidenceKind,
    HistoryEntry,
    ImageConfigFacts,
    Located,
    Severity,
    VexStatement,
    VulnerabilityFinding,
)
from evidence.render.canonical import load_package


def sample_digest(release: str) -> str:
    payload = orjson.loads((SAMPLES / f"webapp-{release}" / "cosign-payload.json").read_bytes())
    return str(payload["critical"]["image"]["docker-manifest-digest"])


DIGEST_13 = sample_digest("1.3.0")
DIGEST_14 = sample_digest("1.4.0")
FINDING_LIMIT = 10_000


def evidence(kind: EvidenceKind, n: int, **facts: Any) -> Evidence:
    return Evidence(
        id=f"ev-{n:012d}",
        path=f"in/{kind}-{n}",
        sha256=f"{n:064x}",
        size=1,
        kind=kind,
        format="test",
        subjects=(DIGEST,),
        binding=Binding.MATCH,
        **facts,
    )


def scan(n: int, tool: str, *findings: VulnerabilityFinding, days_old: int = 1) -> Evidence:
    return evidence(
        EvidenceKind.VULNERABILITY_SCAN,
        n,
        tool=tool,
        collected_at=NOW - timedelta(days=days_old),
        vulnerabilities=findings,
    )


def finding(
    vid: str, severity: Severity, *, aliases: tuple[str, ...] = (), package: str = "pkg"
) -> VulnerabilityFinding:
    return VulnerabilityFinding(
        id=vid,
        aliases=aliases,
        package=package,
        installed_version="1.0",
        purl=f"pkg:pypi/{package}@1.0",
        severity=severity,
        fixed_versions=("2.0",),
    )


# --- KEV ----------------------------------------------------------------------------------------

KEV_CATALOG = {
    "title": "CISA Catalog of Known Exploited Vulnerabilities",
    "catalogVersion": "2026.11.18",
    "dateReleased": "2026-11-18T15:01:22.4013Z",
    "count": 2,
    "vulnerabilities": [
        {
            "cveID": "CVE-2025-43859",
            "vendorProject": "python-hyper",
            "product": "h11",
            "vulnerabilityName": "h11 Request Smuggling Vulnerability",
            "dateAdded": "2026-11-10",
            "shortDescription": "h11 accepts some malformed Chunked-Encoding bodies.",
            "requiredAction": "Apply mitigations per vendor instructions or discontinue use of the product.",
            "dueDate": "2026-12-01",
            "knownRansomwareCampaignUse": "Unknown",
            "notes": "https://github.com/python-hyper/h11/security/advisories/GHSA-vqfr-h8mv-ghfj",
            "cwes": ["CWE-444"],
        },
        {
            "cveID": "CVE-2021-44228",
            "vendorProject": "Apache",
            "product": "Log4j2",
            "vulnerabilityName": "Apache Log4j2 Remote Code Execution Vulnerability",
            "dateAdded": "2021-12-10",
            "shortDescription": "Apache Log4j2 contains a JNDI feature that allows remote code execution.",
            "requiredAction": "For all affected software assets, apply updates per vendor instructions.",
            "dueDate": "2021-12-24",
            "knownRansomwareCampaignUse": "Known",
            "notes": "",
            "cwes": ["CWE-917"],
        },
    ],
}

EPSS_CSV = """#model_version:v2025.03.14,score_date:2026-11-19T00:00:00Z
cve,epss,percentile
CVE-2025-43859,0.00312,0.54211
CVE-2025-8869,0.00041,0.11802
CVE-2021-44228,0.94358,0.99963
"""


def test_kev_catalog_in_the_official_format(tmp_path: Path) -> None:
    path = tmp_path / "known_exploited_vulnerabilities.json"
    path.write_bytes(orjson.dumps(KEV_CATALOG))
    catalog = read_kev(path)
    assert catalog.version == "2026.11.18"
    assert catalog.released == datetime(2026, 11, 18, 15, 1, 22, 401300, tzinfo=UTC)
    assert len(catalog.entries) == len(KEV_CATALOG["vulnerabilities"])  # type: ignore[arg-type]
    log4j = catalog.entries["CVE-2021-44228"]
    assert (log4j.date_added, log4j.due_date, log4j.ransomware) == (date(2021, 12, 10), date(2021, 12, 24), True)
    assert catalog.entries["CVE-2025-43859"].ransomware is False
    assert catalog.get({"cve-2025-43859", "GHSA-x"}) is catalog.entries["CVE-2025-43859"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "no vulnerabilities array"),
        (b'{"vulnerabilities": []}', "/catalogVersion"),
        (
            b'{"catalogVersion": "1", "vulnerabilities": [{"cveID": "CVE-1", "dateAdded": "x"}, 7]}',
            "/vulnerabilities/0: dateAdded, dueDate missing or not valid; /vulnerabilities/1 is not an object",
        ),
    ],
)
def test_broken_kev_catalogs_name_the_file_and_every_problem(data: bytes, problem: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_kev(data, "kev.json")
    assert str(raised.value).startswith("kev.json: ")
    assert problem in str(raised.value)


def test_unreadable_kev_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot be read"):
        read_kev(tmp_path / "missing.json")


# --- EPSS ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("compressed", [False, True])
def test_epss_csv_plain_and_gzip(tmp_path: Path, compressed: bool) -> None:
    path = tmp_path / "scores"
    data = EPSS_CSV.encode()
    path.write_bytes(gzip.compress(data, mtime=0) if compressed else data)
    scores = read_epss(path)
    assert (scores.model_version, scores.score_date) == ("v2025.03.14", "2026-11-19T00:00:00Z")
    rows = [line for line in EPSS_CSV.splitlines()[2:] if line]
    assert len(scores.scores) == len(rows)
    assert scores.scores["CVE-2021-44228"].epss == 0.94358
    assert scores.scores["CVE-2021-44228"].percentile == 0.99963
    wanted = read_epss(path, {"cve-2025-8869", "CVE-1999-0001"})
    assert list(wanted.scores) == ["CVE-2025-8869"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the file is not the header"),
        ("#model_version:v1\ncve,score\n", "line 2 is not the header"),
        ("cve,epss,percentile\nCVE-1,0.1\n", "line 2: expected cve,epss,percentile"),
        ("cve,epss,percentile\nCVE-1,high,0.2\n", "line 2: epss and percentile must be numbers"),
        ("cve,epss,percentile\nCVE-1,1.5,0.2\n", "line 2: epss and percentile must be between 0 and 1"),
        ("cve,epss,percentile\nCVE-1,nan,0.2\n", "must be between 0 and 1"),
    ],
)
def test_broken_epss_files(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        parse_epss(text.splitlines(keepends=True), "epss.csv")


def test_epss_file_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "epss.csv.gz"
    path.write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(InputError, match=r"epss\.csv\.gz: "):
        read_epss(path)


# --- deviations ---------------------------------------------------------------------------------

DEVIATIONS = """\
deviations:
  - id: DR-2026-001
    type: false-positive
    vulnerability: CVE-2024-56201
    package: Jinja2
    justification: The sandbox is never used; templates are our own files.
    approver: Jane Roe (AO)
    requested: 2026-08-01
    approved: 2026-08-15
    expires: 2026-10-31
  - id: DR-2026-002
    type: risk-adjustment
    vulnerability: CVE-2025-50181
    adjusted_severity: low
    justification: urllib3 is only used for calls to one internal host; redirects are disabled.
    approver: Jane Roe (AO)
    approved: 2026-11-01
    expires: 2027-05-01
  - id: DR-2026-003
    type: false-positive
    vulnerability: CVE-2024-12797
    justification: RFC 7250 raw public keys are not enabled anywhere.
    approver: Jane Roe (AO)
    approved: 2026-11-02
  - id: VD-2026-004
    type: vendor-dependency
    vulnerability: CVE-2022-0563
    justification: Debian has not released a fix for util-linux in bookworm.
    vendor_product: Debian 12 util-linux
    last_vendor_check-in: 2026-09-01
"""


def test_deviation_file_all_errors_at_once() -> None:
    with pytest.raises(InputError) as raised:
        parse_deviations(DEVIATIONS, "deviations.yaml")
    message = str(raised.value)
    assert message.startswith("deviations.yaml: 1 problem(s): ")
    assert "/deviations/3/last_vendor_check-in: Extra inputs are not permitted" in message
    broken = """\
deviations:
  - id: A
    type: waiver
    vulnerability: CVE-1
    justification: x
  - id: B
    type: false-positive
    vulnerability: CVE-2
    justification: y
  - id: C
    type: risk-adjustment
    vulnerability: CVE-3
    justification: z
    status: pending
"""
    with pytest.raises(InputError) as raised:
        parse_deviations(broken, "deviations.yaml")
    message = str(raised.value)
    assert "3 problem(s)" in message
    assert "/deviations/0/type" in message
    assert "/deviations/1: Value error, an approved deviation request names its approver" in message
    assert "/deviations/2: Value error, a risk adjustment gives the adjusted_severity" in message


DUPLICATE_IDS = """\
deviations:
  - {id: A, type: false-positive, vulnerability: C, justification: j, approver: x, approved: 2026-01-01}
  - {id: A, type: vendor-dependency, vulnerability: C, justification: j}
"""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("deviations: [", "not valid YAML"),
        ("- a list", "/: Input should be a valid dictionary"),
        (DUPLICATE_IDS, "duplicate deviation ids: A"),
    ],
)  # fmt: skip
def test_broken_deviation_files(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        parse_deviations(text, "d.yaml")


def test_deviation_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "deviations.yaml"
    path.write_text(DEVIATIONS.replace("last_vendor_check-in", "last_vendor_check_in"), encoding="utf-8")
    deviations = read_deviations(path)
    assert [d.id for d in deviations] == ["DR-2026-001", "DR-2026-002", "DR-2026-003", "VD-2026-004"]
    assert deviations[1].adjusted_severity is Severity.LOW
    assert deviations[3].last_vendor_check_in == date(2026, 9, 1)
    assert deviations[0].source == f"{path} /deviations/0"


# --- merging scanners ---------------------------------------------------------------------------


def _raw_identities(release: str) -> set[tuple[str, str, str]]:
    """(package, version, CVE or first id) of every finding in the sample scans, read straight from the JSON."""
    folder = SAMPLES / f"webapp-{release}"
    found: set[tuple[str, str, str]] = set()
    trivy = orjson.loads((folder / "trivy.json").read_bytes())
    for result in trivy["Results"]:
        for v in result.get("Vulnerabilities") or []:
            found.add((v["PkgName"].lower(), v["InstalledVersion"], v["VulnerabilityID"]))
    grype = orjson.loads((folder / "grype.json").read_bytes())
    for m in grype["matches"]:
        ids = [m["vulnerability"]["id"], *(r["id"] for r in m.get("relatedVulnerabilities", []))]
        cve = next((i for i in ids if i.startswith("CVE-")), ids[0])
        found.add((m["artifact"]["name"].lower(), m["artifact"]["version"], cve))
    return found


def _sample_records(release: str, **kwargs: Any) -> tuple[Any, ...]:
    digest = sample_digest(release)
    items = collect_verify_bind([SAMPLES / f"webapp-{release}"], image_digest=digest).items
    return build_records(items, digest, **kwargs)


def test_trivy_and_grype_of_the_same_image_merge_into_one_record_per_vulnerability_package_version() -> None:
    # The corpus has no Trivy and Grype report of the same image, so the two sample scans of 1.4.0 are used.
    records = _sample_records("1.4.0", now=NOW)
    expected = _raw_identities("1.4.0")
    assert len(records) == len(expected) == 26
    assert {(r.package.lower(), r.installed_version, r.id) for r in records} == expected
    h11 = next(r for r in records if r.package == "h11")
    assert (h11.id, h11.aliases, h11.scanners) == ("CVE-2025-43859", ("GHSA-vqfr-h8mv-ghfj",), ("grype", "trivy"))
    assert h11.disagreements == ()
    temp = next(r for r in records if r.id == "TEMP-0841856-B18BAF")
    assert temp.disagreements == ("reported by trivy only, not by grype",)
    apt = next(r for r in records if r.id == "CVE-2011-3374" and r.package == "apt")
    assert apt.severities == {"grype": Severity.NEGLIGIBLE, "trivy": Severity.LOW}
    assert apt.severity is Severity.LOW
    assert apt.disagreements == ("severity differs: grype negligible, trivy low",)


def _corpus_trivy() -> Evidence:
    path = CORPUS / "trivy-json" / "alpine-3.10.2-image.trivy-dev.json"
    (item,) = collect_verify_bind([path], image_digest=None).items
    return dataclasses.replace(item, subjects=(DIGEST,), binding=Binding.MATCH)


def test_a_pair_built_from_corpus_findings_merges_and_lists_the_disagreements() -> None:
    trivy = _corpus_trivy()
    raw = orjson.loads((CORPUS / "trivy-json" / "alpine-3.10.2-image.trivy-dev.json").read_bytes())
    raw_findings = [v for r in raw["Results"] for v in r.get("Vulnerabilities") or []]
    assert len(trivy.vulnerabilities) == len(raw_findings)
    # A second scanner that leads with an advisory id, aliases the CVE, rates the first finding differently
    # and misses the last one.
    others = [
        dataclasses.replace(
            f, id=f"ALPINE-{i}", aliases=(f.id,), severity=Severity.NEGLIGIBLE if i == 0 else f.severity
        )
        for i, f in enumerate(trivy.vulnerabilities[:-1])
    ]
    grype = dataclasses.replace(trivy, id="ev-grype", tool="grype", vulnerabilities=tuple(others))
    records = build_records([trivy, grype], DIGEST)
    distinct = {(v["PkgName"].lower(), v["InstalledVersion"], v["VulnerabilityID"]) for v in raw_findings}
    assert len(records) == len(distinct)
    only_trivy = [r for r in records if r.scanners == ("trivy",)]
    assert len(only_trivy) == 1
    assert only_trivy[0].disagreements == ("reported by trivy only, not by grype",)
    first = trivy.vulnerabilities[0]
    merged = next(r for r in records if r.id == first.id and r.package == first.package)
    assert "ALPINE-0" in merged.aliases
    assert any(d.startswith("severity differs: grype negligible") for d in merged.disagreements)


def test_distribution_advisories_do_not_merge_different_cves() -> None:
    dla = "DLA-3000-1"
    a = finding("CVE-2024-1", Severity.HIGH, aliases=(dla,))
    b = finding("CVE-2024-2", Severity.HIGH, aliases=(dla,))
    ghsa_only = finding("GHSA-aaaa-bbbb-cccc", Severity.HIGH, aliases=("CVE-2024-1",))
    records = build_records([scan(1, "trivy", a, b), scan(2, "grype", ghsa_only)], DIGEST)
    assert sorted(r.id for r in records) == ["CVE-2024-1", "CVE-2024-2"]
    one = next(r for r in records if r.id == "CVE-2024-1")
    assert one.scanners == ("grype", "trivy")


# --- VEX ----------------------------------------------------------------------------------------

ALPINE = "sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126"


def _alpine_scan(digest: str, packages: tuple[str, ...]) -> Evidence:
    vex_file = CORPUS / "vex" / "openvex" / "alpine-oci-subcomponents.openvex-0.2.0.json"
    cves = [s["vulnerability"]["name"] for s in orjson.loads(vex_file.read_bytes())["statements"]]
    findings = tuple(
        VulnerabilityFinding(
            id=cve,
            package=package,
            installed_version="3.0.8-r3",
            purl=f"pkg:apk/alpine/{package}@3.0.8-r3?arch=x86_64&distro=3.18.2",
            severity=Severity.HIGH,
        )
        for cve in cves
        for package in packages
    )
    return dataclasses.replace(scan(1, "grype", *findings), subjects=(digest,))


def test_corpus_openvex_subcomponents_apply_to_the_image_and_its_packages_only() -> None:
    vex_file = CORPUS / "vex" / "openvex" / "alpine-oci-subcomponents.openvex-0.2.0.json"
    statements = orjson.loads(vex_file.read_bytes())["statements"]
    (vex,) = collect_verify_bind([vex_file], image_digest=ALPINE).items
    assert len(vex.statements) == len(statements)
    image_scan = _alpine_scan(ALPINE, ("libssl3", "libcrypto3", "busybox"))
    author = orjson.loads(vex_file.read_bytes())["author"]
    records = build_records([image_scan, vex], ALPINE, vex_authors=(author,))
    fixed = [r for r in records if r.state == "suppressed"]
    # every statement names libssl3 and libcrypto3 as subcomponents; busybox is not one of them
    assert len(fixed) == 2 * len(statements)
    assert {r.package for r in fixed} == {"libssl3", "libcrypto3"}
    status = {s["vulnerability"]["name"]: s["status"] for s in statements}
    assert all(r.suppression and r.suppression.statement.status == status[r.id] for r in fixed)
    assert sorted(set(status.values())) == ["fixed", "not_affected"]
    assert all(r.state == "open" and r.vex is None for r in records if r.package == "busybox")
    assert all(r.suppression and r.suppression.trusted_by == f"policy author {author}" for r in fixed)
    other_image = _alpine_scan(DIGEST, ("libssl3",))
    assert all(r.state == "open" for r in build_records([other_image, vex], DIGEST, vex_authors=(author,)))
    # not trusted: the not_affected statements propose false positives and leave their records open
    untrusted = build_records([image_scan, vex], ALPINE)
    proposed = [r for r in untrusted if r.vex_proposal is not None]
    assert proposed
    assert all(r.state == "open" and status[r.id] == "not_affected" for r in proposed)
    assert {r.id for r in untrusted if r.state == "suppressed"} == {c for c, s in status.items() if s == "fixed"}


@pytest.mark.parametrize(
    ("status", "justification", "impact", "state", "unjustified"),
    [
        ("not_affected", "vulnerable_code_not_present", None, "suppressed", False),
        ("not_affected", None, "the code is never loaded", "suppressed", False),
        ("not_affected", None, None, "open", True),
        ("fixed", None, None, "suppressed", False),
        ("affected", None, None, "open", False),
        ("under_investigation", None, None, "open", False),
    ],
)
def test_vex_statuses(
    status: str, justification: str | None, impact: str | None, state: str, unjustified: bool
) -> None:
    statement = VexStatement(
        vulnerability="CVE-9",
        products=(f"pkg:oci/webapp@{DIGEST.replace(':', '%3A')}", "pkg:pypi/pkg@1.0"),
        status=status,
        justification=justification,
        impact_statement=impact,
        action_statement="upgrade in the next release" if status == "affected" else None,
        author="PSIRT",
        timestamp=NOW,
    )
    vex = dataclasses.replace(evidence(EvidenceKind.VEX, 9, statements=(statement,)), binding=Binding.UNBOUND)
    found = scan(1, "trivy", finding("CVE-9", Severity.HIGH))
    (record,) = build_records([found, vex], DIGEST, now=NOW, vex_authors=("PSIRT",))
    assert record.state == state
    assert record.vex is not None
    assert record.vex.statement.author == "PSIRT"
    assert record.vex_unjustified is unjustified
    assert (record.suppression is not None) == (state == "suppressed")


def test_purl_comparison_ignores_qualifiers_and_normalizes_pypi_names() -> None:
    assert parse_purl("pkg:pypi/Jinja_2@3.1.4?foo=bar#sub") == ("pypi", "", "jinja-2", "3.1.4")
    assert parse_purl("pkg:npm/%40scope/name") == ("npm", "@scope", "name", None)
    assert parse_purl("pkg:deb/debian/zlib1g@1.2.13.dfsg-1?epoch=1")[:3] == ("deb", "debian", "zlib1g")  # type: ignore[index]
    assert parse_purl("sha256:abc") is None
    assert parse_purl("pkg:nothing") is None


# --- KEV, EPSS, SLA, deviations on records -------------------------------------------------------


def _lifecycle(tmp_path: Path, deviations: str | None = None) -> LifecycleInputs:
    kev = tmp_path / "kev.json"
    kev.write_bytes(orjson.dumps(KEV_CATALOG))
    epss = tmp_path / "epss.csv"
    epss.write_text(EPSS_CSV, encoding="utf-8")
    return LifecycleInputs(
        kev=read_kev(kev),
        epss=read_epss(epss),
        deviations=parse_deviations(deviations, "deviations.yaml") if deviations else (),
    )


def test_kev_and_epss_flags_and_the_kev_due_date(tmp_path: Path) -> None:
    records = _sample_records("1.4.0", now=NOW, lifecycle=_lifecycle(tmp_path))
    h11 = next(r for r in records if r.id == "CVE-2025-43859")
    assert (h11.kev, h11.kev_due) == (True, date(2026, 12, 1))
    assert (h11.epss, h11.epss_percentile) == (0.00312, 0.54211)
    # critical: 30 days from detection would be 2026-12-19; the KEV due date is earlier and wins
    assert h11.due == datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)
    assert h11.overdue is False
    pip = next(r for r in records if r.id == "CVE-2025-8869")
    assert (pip.kev, pip.epss) == (False, 0.00041)
    assert sum(r.kev for r in records) == 1


def test_sla_due_dates_follow_the_profile_days() -> None:
    detected = NOW - timedelta(days=100)
    items = [
        scan(
            1,
            "trivy",
            finding("CVE-1", Severity.CRITICAL, package="a"),
            finding("CVE-2", Severity.HIGH, package="b"),
            finding("CVE-3", Severity.MEDIUM, package="c"),
            finding("CVE-4", Severity.LOW, package="d"),
            finding("CVE-5", Severity.NEGLIGIBLE, package="e"),
            days_old=100,
        )
    ]
    records = {r.id: r for r in build_records(items, DIGEST, now=NOW)}
    assert {k: r.sla_days for k, r in records.items()} == {
        "CVE-1": 30, "CVE-2": 30, "CVE-3": 90, "CVE-4": 180, "CVE-5": None,
    }  # fmt: skip
    assert records["CVE-3"].due == detected + timedelta(days=90)
    assert {k for k, r in records.items() if r.overdue} == {"CVE-1", "CVE-2", "CVE-3"}
    strict = SlaPolicy(days={"critical": 7, "high": 14, "medium": 30, "low": 90})
    records = {r.id: r for r in build_records(items, DIGEST, now=NOW, sla=strict)}
    assert records["CVE-4"].sla_days == 90
    assert records["CVE-4"].overdue is True


def test_deviations_expired_approved_risk_adjusted_and_vendor_dependency(tmp_path: Path) -> None:
    text = DEVIATIONS.replace("last_vendor_check-in", "last_vendor_check_in")
    records = _sample_records("1.4.0", now=NOW, lifecycle=_lifecycle(tmp_path, text))
    jinja = next(r for r in records if r.id == "CVE-2024-56201")
    assert jinja.state == "open"  # DR-2026-001 expired on 2026-10-31
    assert jinja.deviation is None
    assert jinja.deviation_flags == ("DR-2026-001 (false-positive) expired on 2026-10-31: not applied",)
    cryptography = next(r for r in records if r.id == "CVE-2024-12797")
    assert cryptography.state == "suppressed"
    assert cryptography.deviation is not None
    assert cryptography.deviation.id == "DR-2026-003"
    # suppressed: never overdue, and its scheduled completion date is kept (a late closure must show)
    assert cryptography.first_detected is not None
    assert (cryptography.due, cryptography.overdue) == (cryptography.first_detected + timedelta(days=180), False)
    urllib3 = next(r for r in records if r.id == "CVE-2025-50181")
    assert urllib3.severity is Severity.MEDIUM
    assert urllib3.sla_days == 180  # the adjusted (low) severity's days
    util = [r for r in records if r.id == "CVE-2022-0563"]
    assert len(util) == 8
    assert all(r.state == "open" and r.deviation and r.deviation.type == "vendor-dependency" for r in util)
    assert all("vendor check-in older than 30 days (last on 2026-09-01)" in r.deviation_flags[0] for r in util)


# --- attribution --------------------------------------------------------------------------------


def _sample_trivy_metadata() -> dict[str, Any]:
    metadata: dict[str, Any] = orjson.loads((SAMPLES / "webapp-1.4.0" / "trivy.json").read_bytes())["Metadata"]
    return metadata


def test_attribution_of_the_samples_by_layer_from_the_history_and_the_dockerfile() -> None:
    metadata = _sample_trivy_metadata()
    diff_ids, history = metadata["DiffIDs"], metadata["ImageConfig"]["history"]
    # The sample's history is consistent: 8 layer-making steps for 8 diff ids; the Dockerfile's final stage has
    # 9 instructions (ENV, RUN, RUN, WORKDIR, COPY, USER, EXPOSE, HEALTHCHECK, CMD), the last 9 steps, which
    # made the last 4 layers.
    assert (len(diff_ids), len(history), sum(not h.get("empty_layer", False) for h in history)) == (8, 18, 8)
    base_layers, app_layers = set(diff_ids[:4]), set(diff_ids[4:])
    records = _sample_records("1.4.0", now=NOW)
    by_package = {r.package: r for r in records}
    zlib1g, h11, pip = by_package["zlib1g"], by_package["h11"], by_package["pip"]
    assert zlib1g.attribution is Attribution.BASE_IMAGE
    assert "sha256:0da1b2fab167755ee8b771f81790b182c64a54804783f6d563a625219850920a" in zlib1g.attribution_reason
    assert "the history of webapp-1.4.0/trivy.json" in zlib1g.attribution_reason
    assert "webapp-1.4.0/Dockerfile" in zlib1g.attribution_reason
    assert h11.attribution is Attribution.APPLICATION
    assert "sha256:509ef82e3c79f44c6354b7ca392bdc9502484442e1557656131c18d193b0788a" in h11.attribution_reason
    # pip is a PyPI package, but it came with the python base image: its layer says so, its kind did not.
    assert pip.attribution is Attribution.BASE_IMAGE
    assert "sha256:c37b75ad71a8746f11fbf25fa47fc43f3551035ebd9fec561af5ea249d61f079" in pip.attribution_reason
    # Every sample finding is in one of the image's layers, so none is attributed by package kind any more.
    layer_of = {
        (v["PkgName"], v["VulnerabilityID"]): v["Layer"]["DiffID"]
        for r in orjson.loads((SAMPLES / "webapp-1.4.0" / "trivy.json").read_bytes())["Results"]
        for v in r.get("Vulnerabilities") or []
    }
    for record in records:
        layer = next(
            (
                d
                for (name, vid), d in layer_of.items()
                if name == record.package and vid in (record.id, *record.aliases)
            ),
            None,
        )
        assert layer in base_layers | app_layers
        assert record.attribution is (Attribution.BASE_IMAGE if layer in base_layers else Attribution.APPLICATION)
        assert "by package kind" not in record.attribution_reason


def test_attribution_falls_back_to_the_base_image_label_and_package_kind_without_layers() -> None:
    digest = sample_digest("1.4.0")
    items = [
        dataclasses.replace(e, image_config=None)
        if e.kind is EvidenceKind.VULNERABILITY_SCAN
        else dataclasses.replace(e, image_config=dataclasses.replace(e.image_config, layers=()))
        if e.image_config is not None
        else e
        for e in collect_verify_bind([SAMPLES / "webapp-1.4.0"], image_digest=digest).items
    ]
    assert base_image_of(items).layers == LayerMap()
    by_package = {r.package: r for r in build_records(items, digest, now=NOW)}
    assert by_package["zlib1g"].attribution is Attribution.BASE_IMAGE
    assert "org.opencontainers.image.base.name" in by_package["zlib1g"].attribution_reason
    assert "by package kind" in by_package["zlib1g"].attribution_reason
    assert by_package["h11"].attribution is Attribution.APPLICATION
    assert "python:3.12-slim-bookworm" in by_package["h11"].attribution_reason
    assert by_package["pip"].attribution is Attribution.APPLICATION  # the rule of thumb's known error


BASE_DIGEST = "sha256:" + "ba" * 32
LAYERS = tuple(f"sha256:{n:064x}" for n in range(1, 6))


def _history(*steps: tuple[str, bool]) -> tuple[HistoryEntry, ...]:
    return tuple(HistoryEntry(created_by=text, empty_layer=empty) for text, empty in steps)


# Two base steps that made layers 1 and 2 around an ENV; the build: ENV, RUN (layer 3), COPY (layer 4), CMD.
HISTORY = _history(
    ("debian.sh", False), ("ENV LANG=C.UTF-8", True), ("RUN apt-get install", False),
    ("ENV APP=1", True), ("RUN pip install", False), ("COPY src/ ./", False), ("CMD app", True),
)  # fmt: skip


def _built(layers: tuple[str, ...], history: tuple[HistoryEntry, ...], steps: int) -> list[Evidence]:
    config = evidence(
        EvidenceKind.IMAGE_CONFIG, 5, image_config=ImageConfigFacts(layers=layers, history_entries=history)
    )
    pinned = Located(value=f"docker.io/library/python@{BASE_DIGEST}", location="line 1")
    dockerfile = dataclasses.replace(
        evidence(
            EvidenceKind.DOCKERFILE,
            6,
            dockerfile=DockerfileFacts(base_images=(pinned,), final_stage_instructions=steps),
        ),
        binding=Binding.UNBOUND,
        subjects=(),
    )
    return [config, dockerfile]


def test_attribution_by_layer_from_the_history_and_the_dockerfile() -> None:
    base = base_image_of(_built(LAYERS[:4], HISTORY, 4))
    assert base.layers.base == set(LAYERS[:2])
    assert base.layers.application == set(LAYERS[2:4])
    assert "the history of in/image-config-5" in base.layers.source
    assert "in/dockerfile-6" in base.layers.source
    # The layer decides, whatever the package's kind.
    attribution, reason = attribute(LAYERS[0], "pypi", base)
    assert attribution is Attribution.BASE_IMAGE
    assert LAYERS[0] in reason
    assert "a layer of the base image" in reason
    attribution, reason = attribute(LAYERS[3], "deb", base)
    assert attribution is Attribution.APPLICATION
    assert LAYERS[3] in reason
    assert "added by the image's own build" in reason
    # A layer the map does not know, or no layer at all: the package kind, as before.
    assert attribute(LAYERS[4], "deb", base)[1].endswith("by package kind, as the evidence has no layer map")
    assert attribute(None, "pypi", base)[0] == "application"


@pytest.mark.parametrize(
    ("layers", "history", "steps"),
    [
        (LAYERS[:5], HISTORY, 4),  # 5 diff ids for 4 layer-making steps
        (LAYERS[:3], HISTORY, 4),  # 3 diff ids for 4 layer-making steps
        (LAYERS[:4], HISTORY, 8),  # more build instructions than history steps
        (LAYERS[:4], HISTORY, 0),  # a Dockerfile without instructions after FROM
        (LAYERS[:4], (), 4),  # no history
    ],
)
def test_attribution_ignores_a_history_that_does_not_agree(
    layers: tuple[str, ...], history: tuple[HistoryEntry, ...], steps: int
) -> None:
    base = base_image_of(_built(layers, history, steps))
    assert base.layers == LayerMap()
    attribution, reason = attribute(LAYERS[0], "pypi", base)
    assert attribution is Attribution.APPLICATION
    assert reason.endswith("by package kind, as the evidence has no layer map")


def test_attribution_by_layer_from_evidence_about_the_base_image() -> None:
    # The history alone would make layers 1 and 2 the base's; the base image's own config says 1, 2 and 3.
    built = _built(LAYERS[:4], HISTORY, 4)
    about_base = dataclasses.replace(
        evidence(EvidenceKind.IMAGE_CONFIG, 7, image_config=ImageConfigFacts(layers=LAYERS[:3])),
        subjects=(BASE_DIGEST,),
        binding=Binding.MISMATCH,
    )
    base = base_image_of([*built, about_base])
    assert base.layers.base == set(LAYERS[:3])
    assert base.layers.application == {LAYERS[3]}
    assert f"the layers of the base image {BASE_DIGEST} in in/image-config-7" in base.layers.source
    attribution, reason = attribute(LAYERS[2], "pypi", base)
    assert attribution is Attribution.BASE_IMAGE
    assert LAYERS[2] in reason
    assert "in/image-config-7" in reason
    # Named by a repo digest instead of a subject, the base image's evidence counts too.
    by_repo_digest = dataclasses.replace(
        about_base,
        subjects=(),
        image_config=ImageConfigFacts(layers=LAYERS[:3], repo_digests=(f"python@{BASE_DIGEST}",)),
    )
    assert base_image_of([*built, by_repo_digest]).layers == base.layers
    # Layers that do not begin the assessed image's (another platform, a rebuilt base) are not its base's.
    elsewhere = dataclasses.replace(about_base, image_config=ImageConfigFacts(layers=(LAYERS[4],)))
    assert base_image_of([*built, elsewhere]).layers.base == set(LAYERS[:2])  # the history, again
    # Evidence about some other image, not the declared base, is not used.
    other = dataclasses.replace(about_base, subjects=("sha256:" + "0f" * 32,))
    assert base_image_of([*built, other]).layers.base == set(LAYERS[:2])


@pytest.mark.parametrize("path", corpus_files("trivy-json"), ids=lambda p: p.name)
def test_trivy_reports_keep_the_image_layers_and_history(path: Path) -> None:
    metadata = orjson.loads(path.read_bytes()).get("Metadata") or {}
    diff_ids = metadata.get("DiffIDs") or []
    history = (metadata.get("ImageConfig") or {}).get("history") or []
    item = collect_verify_bind([path], image_digest=None).items[0]
    if not diff_ids and not history:
        assert item.image_config is None
        return
    assert item.image_config is not None
    assert item.kind is EvidenceKind.VULNERABILITY_SCAN
    assert item.image_config.layers == tuple(diff_ids)
    assert [h.empty_layer for h in item.image_config.history_entries] == [
        bool(h.get("empty_layer", False)) for h in history
    ]
    assert [h.created_by for h in item.image_config.history_entries] == [h.get("created_by") for h in history]


def test_image_configs_keep_the_layers_and_history() -> None:
    oci_path = CORPUS / "oci" / "ghcr-example-package-linux-amd64.oci-image-config.json"
    inspect_path = CORPUS / "oci" / "go-stream-client-latest.docker-image-inspect.json"
    oci, inspect = orjson.loads(oci_path.read_bytes()), orjson.loads(inspect_path.read_bytes())
    collected = {
        e.path.rsplit("/", 1)[-1]: e for e in collect_verify_bind([oci_path, inspect_path], image_digest=None).items
    }
    oci_facts = collected[oci_path.name].image_config
    inspect_facts = collected[inspect_path.name].image_config
    assert oci_facts is not None
    assert inspect_facts is not None
    assert oci_facts.layers == tuple(oci["rootfs"]["diff_ids"])
    assert [h.empty_layer for h in oci_facts.history_entries] == [
        bool(h.get("empty_layer", False)) for h in oci.get("history", [])
    ]
    assert inspect_facts.layers == tuple(inspect[0]["RootFS"]["Layers"])
    assert inspect_facts.history_entries == ()  # docker inspect has no history
    sample = collect_verify_bind([SAMPLES / "webapp-1.4.0" / "image-inspect.json"], image_digest=None).items[0]
    assert sample.image_config is not None
    assert sample.image_config.layers == tuple(_sample_trivy_metadata()["DiffIDs"])


def test_a_history_step_with_a_wrong_empty_layer_type_is_refused(tmp_path: Path) -> None:
    report = orjson.loads((SAMPLES / "webapp-1.4.0" / "trivy.json").read_bytes())
    report["Metadata"]["ImageConfig"]["history"][1]["empty_layer"] = "yes"
    path = tmp_path / "trivy.json"
    path.write_bytes(orjson.dumps(report))
    with pytest.raises(InputError, match=r"/Metadata/ImageConfig/history/1/empty_layer"):
        collect_verify_bind([path], image_digest=None)


def test_the_dockerfile_counts_the_final_stage_instructions(tmp_path: Path) -> None:
    dockerfile = next(
        e for e in collect_verify_bind([SAMPLES / "webapp-1.4.0"], image_digest=None).items if e.dockerfile
    )
    assert dockerfile.dockerfile is not None
    assert dockerfile.dockerfile.final_stage_instructions == 9
    # A final stage built FROM another stage of the same file is built by both.
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine:3.20 AS base\nRUN apk add curl\nENV A=1\nFROM base\nCOPY . /app\nUSER 1000\n")
    chained = collect_verify_bind([path], image_digest=None).items[0].dockerfile
    assert chained is not None
    assert chained.final_stage_instructions == 4


def test_attribution_without_a_base_image() -> None:
    assert attribute("sha256:1", "deb", base_image_of([]))[0] == "unknown"
    scratch = dataclasses.replace(
        evidence(EvidenceKind.DOCKERFILE, 3, dockerfile=DockerfileFacts()), binding=Binding.UNBOUND
    )
    assert attribute(None, "golang", base_image_of([scratch]))[0] == "application"
    labelled = evidence(
        EvidenceKind.IMAGE_CONFIG,
        4,
        image_config=ImageConfigFacts(labels={"org.opencontainers.image.base.digest": "sha256:" + "cd" * 32}),
    )
    base = base_image_of([labelled])
    assert base.declared == "sha256:" + "cd" * 32
    assert attribute(None, "rpm", base)[0] == "base-image"
    assert attribute(None, None, base)[0] == "unknown"


# --- carrying dates across releases --------------------------------------------------------------


def _package(release: str, out: Path, *extra: str) -> None:
    from evidence.cli import main  # noqa: PLC0415 - the CLI is only needed by the end-to-end tests

    args = [
        "package",
        str(SAMPLES / f"webapp-{release}"),
        "--image",
        f"registry.example.com/webapp@{sample_digest(release)}",
        "--release",
        release,
        "--key",
        str(SAMPLE_KEY),
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]
    assert main(args) == 0


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("releases")
    _package("1.3.0", root / "1.3.0", "--timestamp", "2026-09-16T00:00:00Z")
    _package("1.4.0", root / "1.4.0", "--timestamp", "2026-11-20T12:00:00Z", "--previous", str(root / "1.3.0"))
    return root / "1.3.0", root / "1.4.0"


def test_detection_dates_carry_forward_and_fixed_findings_close(releases: tuple[Path, Path]) -> None:
    old = load_package(releases[0] / "audit.json")
    new = load_package(releases[1] / "audit.json")

    def key(r: Any) -> set[tuple[str, str]]:
        return {(r.package.lower(), n) for n in (r.id, *r.aliases)}

    old_keys = [(r, key(r)) for r in old.vulnerabilities]
    current = [r for r in new.vulnerabilities if r.state != "closed"]
    current_keys = set().union(*(key(r) for r in current))
    common = [r for r in current if any(key(r) & k for _, k in old_keys)]
    assert len(common) >= 20
    september = {o.first_detected for o in old.vulnerabilities}
    assert september == {datetime(2026, 9, 15, 9, 20, 11, 627403, tzinfo=UTC)}  # the 1.3.0 scans' time
    for record in common:
        assert record.first_detected in september, record.id
    fresh = [r for r in current if not any(key(r) & k for _, k in old_keys)]
    assert fresh
    assert all(r.first_detected and r.first_detected.month == 11 for r in fresh)
    gone = [o for o, k in old_keys if not (k & current_keys)]
    closed = [r for r in new.vulnerabilities if r.state == "closed"]
    assert sorted((r.id, r.package) for r in closed) == sorted((o.id, o.package) for o in gone)
    assert len(closed) == 5
    assert all(r.closed_at == new.assessed_at and not r.overdue for r in closed)


def test_carry_forward_keeps_earlier_closed_records_and_restarts_a_returning_one() -> None:
    old_scan = scan(1, "trivy", finding("CVE-1", Severity.HIGH), finding("CVE-2", Severity.LOW, package="q"))
    first = build_records([old_scan], DIGEST, now=NOW - timedelta(days=60))
    later = NOW - timedelta(days=30)
    second = carry_forward(
        build_records([scan(2, "trivy")], DIGEST, now=later), _pkg(first, later - timedelta(days=30)), now=later
    )
    assert sorted((r.id, r.state) for r in second) == [("CVE-1", "closed"), ("CVE-2", "closed")]
    back = build_records([scan(3, "trivy", finding("CVE-1", Severity.HIGH))], DIGEST, now=NOW)
    third = carry_forward(back, _pkg(second, later), now=NOW)
    by_id = {(r.id, r.state.value): r for r in third}
    assert set(by_id) == {("CVE-1", "open"), ("CVE-2", "closed")}
    assert by_id["CVE-1", "open"].first_detected == NOW - timedelta(days=1)  # a new clock
    assert by_id["CVE-2", "closed"].closed_at == later


def _pkg(records: tuple[Any, ...], assessed_at: datetime) -> Any:
    from evidence.model import AuditPackage, ImageRef, ToolInfo  # noqa: PLC0415

    return AuditPackage(
        tool=ToolInfo(name="fromline", version="0"),
        subject=ImageRef(reference=f"r@{DIGEST}", name="r", digest=DIGEST),
        profile="default",
        assessed_at=assessed_at,
        vulnerabilities=records,
    )


def test_cli_lifecycle_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kev = tmp_path / "kev.json"
    kev.write_bytes(orjson.dumps(KEV_CATALOG))
    epss = tmp_path / "epss.csv"
    epss.write_text(EPSS_CSV, encoding="utf-8")
    deviations = tmp_path / "deviations.yaml"
    deviations.write_text(DEVIATIONS.replace("last_vendor_check-in", "last_vendor_check_in"), encoding="utf-8")
    out = tmp_path / "pkg"
    extra = ["--timestamp", "2026-11-20T12:00:00Z", "--kev", str(kev), "--epss", str(epss)]
    _package("1.4.0", out, *extra, "--deviations", str(deviations))
    pkg = load_package(out / "audit.json")
    assert sum(r.kev for r in pkg.vulnerabilities) == 1
    assert any(r.deviation_flags for r in pkg.vulnerabilities)
    bad = tmp_path / "bad.yaml"
    bad.write_text("deviations: [{id: x}]", encoding="utf-8")
    capsys.readouterr()
    from evidence.cli import main  # noqa: PLC0415

    code = main(["package", str(SAMPLES / "webapp-1.4.0"), "--image", f"r@{DIGEST_14}", "--out", str(tmp_path / "x"),
                 "--deviations", str(bad), "--quiet"])  # fmt: skip
    assert code == 3
    assert f"{bad}: " in capsys.readouterr().err


@pytest.mark.parametrize(
    "path", sorted(p for folder in ("csaf", "cyclonedx") for p in (CORPUS / "vex" / folder).glob("*.json")), ids=str
)
def test_corpus_csaf_and_cyclonedx_vex_apply_to_the_packages_they_name(path: Path) -> None:
    items = [e for e in collect_verify_bind([path], image_digest=None).items if e.kind is EvidenceKind.VEX]
    packaged = [
        (s, product)
        for e in items
        for s in e.statements
        for product in s.products
        if (parsed := parse_purl(product)) and parsed[3]
    ]
    if not packaged:
        pytest.skip("names no versioned package purl")
    for n, (statement, product) in enumerate(packaged):
        parsed = parse_purl(product)
        assert parsed is not None
        vex = dataclasses.replace(items[0], statements=(statement,), binding=Binding.UNBOUND)
        hit = VulnerabilityFinding(
            id=statement.vulnerability,
            package=parsed[2],
            installed_version=parsed[3],
            purl=product,
            severity=Severity.HIGH,
        )
        authors = (statement.author,) if statement.author else ()
        (record,) = build_records([scan(n, "trivy", hit), vex], DIGEST, now=NOW, vex_authors=authors)
        assert record.vex is not None
        assert record.vex.statement == statement
        justified = bool(statement.justification or statement.impact_statement)
        proposes = statement.status == "not_affected" and justified
        suppresses = statement.status == "fixed" or (proposes and bool(authors))
        assert record.state == ("suppressed" if suppresses else "open"), (statement.status, product)
        # the same statement from an author the policy does not list only proposes a deviation
        (untrusted,) = build_records([scan(n, "trivy", hit), vex], DIGEST, now=NOW)
        assert untrusted.state == ("suppressed" if statement.status == "fixed" else "open")
        assert (untrusted.vex_proposal is not None) == proposes
        other = dataclasses.replace(hit, installed_version="0.0.0-other", purl=None)
        (unrelated,) = build_records([scan(n, "trivy", other), vex], DIGEST, now=NOW)
        assert unrelated.vex is None
