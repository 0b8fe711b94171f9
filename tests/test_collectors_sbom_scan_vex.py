"""The CycloneDX, Trivy, Grype and OpenVEX collectors, against the real corpus and hand-made broken files.

Expected counts are computed here by walking the JSON directly, never by calling the collectors.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import CORPUS, corpus_files
from json_variants import json_nodes, json_replaced

from evidence.collectors.cyclonedx import CycloneDxJson, UnusualValue, _Reader, usual_component, usual_dependency
from evidence.collectors.grype import GrypeJson
from evidence.collectors.interface import Collector, CollectorError, Document
from evidence.collectors.openvex import OpenVex
from evidence.collectors.trivy import TrivyJson
from evidence.model import Cvss, Evidence, EvidenceKind, Severity

CYCLONEDX: Collector = CycloneDxJson()
TRIVY: Collector = TrivyJson()
GRYPE: Collector = GrypeJson()
OPENVEX: Collector = OpenVex()
MINE = (TRIVY, GRYPE, CYCLONEDX, OPENVEX)

CYCLONEDX_FILES = corpus_files("cyclonedx", ".json") + corpus_files("vex/cyclonedx", ".json")
TRIVY_FILES = corpus_files("trivy-json")
GRYPE_FILES = corpus_files("grype-json")
OPENVEX_FILES = corpus_files("vex/openvex")
OTHER_FILES = [
    p
    for folder in sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
    if folder not in {"cyclonedx", "trivy-json", "grype-json", "vex"}
    for p in corpus_files(folder)
] + corpus_files("vex/csaf")


def _doc(path: Path) -> Document:
    return Document(path=path.relative_to(CORPUS).as_posix(), data=path.read_bytes())


def _raw(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _parse(collector: Collector, path: Path) -> Evidence:
    doc = _doc(path)
    assert collector.sniff(doc)
    return collector.parse(doc)


def _resolve(data: Any, location: str) -> Any:
    """Follow a JSON pointer, as a reader of the package would."""
    for part in location.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


# --- every corpus file: recognized by the right collector, and counts that match the JSON ---


def _count_components(components: list[Any]) -> int:
    return sum(1 + _count_components(c.get("components", [])) for c in components)


@pytest.mark.parametrize("path", CYCLONEDX_FILES, ids=_ids(CYCLONEDX_FILES))
def test_cyclonedx_corpus_counts(path: Path) -> None:
    raw = _raw(path)
    evidence = _parse(CYCLONEDX, path)
    # A BOM with analyses (VEX) and no components is a VEX document; see tests/test_collectors_scans_vex.py.
    analysed = any(v.get("analysis", {}).get("state") for v in raw.get("vulnerabilities", []))
    vex_only = analysed and not raw.get("components")
    assert evidence.kind == (EvidenceKind.VEX if vex_only else EvidenceKind.SBOM)
    assert evidence.format == ("CycloneDX VEX" if vex_only else "CycloneDX JSON")
    assert evidence.format_version == raw["specVersion"]
    assert len(evidence.components) == _count_components(raw.get("components", []))
    expected_findings = sum(max(1, len(v.get("affects", []))) for v in raw.get("vulnerabilities", []))
    assert len(evidence.vulnerabilities) == expected_findings
    for component in evidence.components:
        entry = _resolve(raw, component.location)
        assert (entry["name"], entry.get("version"), entry.get("bom-ref")) == (
            component.name,
            component.version,
            component.ref,
        )
    for finding in evidence.vulnerabilities:
        vulnerability = _resolve(raw, finding.location.partition("/affects/")[0])
        assert vulnerability["id"] == finding.id


@pytest.mark.parametrize("path", TRIVY_FILES, ids=_ids(TRIVY_FILES))
def test_trivy_corpus_counts(path: Path) -> None:
    raw = _raw(path)
    evidence = _parse(TRIVY, path)
    assert evidence.kind == EvidenceKind.VULNERABILITY_SCAN
    assert (evidence.format, evidence.format_version, evidence.tool) == ("Trivy JSON", "2", "trivy")
    assert evidence.tool_version == raw.get("Trivy", {}).get("Version")
    assert len(evidence.vulnerabilities) == sum(len(r.get("Vulnerabilities", [])) for r in raw["Results"])
    for finding in evidence.vulnerabilities:
        entry = _resolve(raw, finding.location)
        assert (entry["VulnerabilityID"], entry["PkgName"], entry.get("InstalledVersion")) == (
            finding.id,
            finding.package,
            finding.installed_version,
        )
        assert finding.severity == Severity(entry["Severity"].lower())
        assert finding.fixed_versions == tuple(v for v in entry.get("FixedVersion", "").split(", ") if v)


@pytest.mark.parametrize("path", GRYPE_FILES, ids=_ids(GRYPE_FILES))
def test_grype_corpus_counts(path: Path) -> None:
    raw = _raw(path)
    evidence = _parse(GRYPE, path)
    assert evidence.kind == EvidenceKind.VULNERABILITY_SCAN
    assert (evidence.format, evidence.tool, evidence.tool_version) == (
        "Grype JSON",
        "grype",
        raw["descriptor"]["version"],
    )
    assert len(evidence.vulnerabilities) == len(raw["matches"])
    for finding in evidence.vulnerabilities:
        match = _resolve(raw, finding.location)
        assert (match["vulnerability"]["id"], match["artifact"]["name"], match["artifact"]["version"]) == (
            finding.id,
            finding.package,
            finding.installed_version,
        )
        assert finding.fixed_versions == tuple(match["vulnerability"]["fix"]["versions"])
        related = {r["id"] for r in match["relatedVulnerabilities"]} - {finding.id}
        assert related <= set(finding.aliases)


@pytest.mark.parametrize("path", OPENVEX_FILES, ids=_ids(OPENVEX_FILES))
def test_openvex_corpus_counts(path: Path) -> None:
    raw = _raw(path)
    evidence = _parse(OPENVEX, path)
    assert evidence.kind == EvidenceKind.VEX
    assert (evidence.format, evidence.format_version) == ("OpenVEX", "0.2.0")
    assert evidence.tool == raw.get("tooling")
    assert len(evidence.statements) == len(raw["statements"])
    for statement in evidence.statements:
        entry = _resolve(raw, statement.location)
        assert (entry["vulnerability"]["name"], entry["status"]) == (statement.vulnerability, statement.status)
        assert statement.author == raw["author"]
        product_ids = {p["@id"] for p in entry["products"]}
        product_ids |= {s["@id"] for p in entry["products"] for s in p.get("subcomponents", [])}
        assert set(statement.products) >= product_ids


# Read from the files by hand: the image digests each names, its tool, and when it was made.
EXPECTED: dict[str, tuple[tuple[str, ...], str | None, str | None, datetime | None]] = {
    "alpine-latest-image.cdx-1.4.syft-0.58.0.json": (
        ("sha256:cbaa390ec61abd889dfa5146a411c11717c19ef9e5e18458dbdc06439076ffe7",),
        "syft",
        "0.58.0",
        datetime(2022, 10, 7, 14, 41, 7, tzinfo=UTC),
    ),
    "centos-7-image.cdx-1.5.trivy-dev.json": (
        ("sha256:f1cb7c7d58b73eac859c395882eec49d50651244e342cd6c68a5c7809785f427",),
        "trivy",
        "dev",
        datetime(2022, 6, 14, 15, 8, 48, tzinfo=UTC),
    ),
    "demo-referrers-2023-app-image.cdx-1.4.trivy-0.39.0.json": (
        ("sha256:e76a13475c6b4a713a0e4a7a8574ce450274d340357a2c40b8221cfcfedf8b19",),
        "trivy",
        "0.39.0",
        datetime(2023, 3, 22, 11, 35, 38, tzinfo=UTC),
    ),
    "fluentd-debian10-gems-image.cdx-1.6.trivy-v0.55.0-golden.json": (
        ("sha256:5a992077baba51b97f27591a10d54d2f2723dc9c81a3fe419e261023f2554933",),
        "trivy",
        "dev",
        datetime(2021, 8, 25, 12, 20, 30, tzinfo=UTC),
    ),
    "bom-examples-vex-companion-bom.cdx.json": (
        (),
        "CycloneDX Maven plugin",
        "2.5.3",
        datetime(2022, 1, 11, 2, 55, 27, tzinfo=UTC),
    ),
    "bom-examples-vex.cdx.json": ((), None, None, None),
    "cisa-case1-not-affected.cdx-vex.json": ((), None, None, datetime(2022, 3, 3, tzinfo=UTC)),
    "trivy-testdata.cdx-vex.json": ((), None, None, None),
    "alpine-3.10.2-image.trivy-dev.json": (
        ("sha256:961769676411f082461f9ef46626dd7a2d1e2b2a38e6a44364bcbecf51e66dd4",),
        "trivy",
        "dev",
        datetime(2021, 8, 25, 12, 20, 30, tzinfo=UTC),
    ),
    "fluentd-debian10-ruby-gems-image.trivy-dev.json": (
        ("sha256:5a992077baba51b97f27591a10d54d2f2723dc9c81a3fe419e261023f2554933",),
        "trivy",
        "dev",
        datetime(2021, 8, 25, 12, 20, 30, tzinfo=UTC),
    ),
    "spring4shell-jre8-debian11-jar-image.trivy-dev.json": (
        ("sha256:b88bc3d2f0b5aacf1d36efa498f427d923b01c854dac090acf5368c55ac04fda",),
        "trivy",
        "dev",
        datetime(2021, 8, 25, 12, 20, 30, tzinfo=UTC),
    ),
    "teamdojo-alpine3.9-jars-image.trivy-userreport.json": ((), "trivy", None, None),
    "busybox-1.32.1-image.grype-0.94-epss.json": (
        (
            "sha256:ae39a6f5c07297d7ab64dbd4f82c77c874cc6a94cea29fdec309d0992574b4f7",
            "sha256:123b1fd3a44eaaf7322e08e9175d9ca57d49ebf2955d4fa1f5607e99dc31bcbb",
            "sha256:388056c9a6838deea3792e8f00705b35b439cf57b3c9c2634fb4e95cfc896de6",
        ),
        "grype",
        "0.94.0",
        datetime(2025, 6, 19, 11, 43, 35, 523947, tzinfo=UTC),
    ),
    "grype-presenter-image-snapshot.golden.json": (
        (
            "sha256:ca738abb87a8d58f112d3400ebb079b61ceae7dc290beb34bda735be4b1941d5",
            "sha256:ab5608d634db2716a297adbfa6a5dd5d8f8f5a7d0cab73649ea7fbb8c8da544f",
        ),
        "grype",
        "[not provided]",
        None,
    ),
    "vulnerable-image-debian10-deb-python.grype-0.28.json": (
        (
            "sha256:9d8825ab20ac86b40eb71495bece1608a302fb180384740697a28c2b0a5a0fc6",
            "sha256:ce9898fd214aef9c994a42624b09056bdce3ff4a8e3f68dc242d967b80fcbeee",
        ),
        "grype",
        "0.28.0",
        None,
    ),
    "xjoin-kafka-connect-strimzi-rhel8-image.grype-0.96.json": (
        (
            "sha256:97e6d5aeed19f627205b218f45b284cd01ff658dd181416ab1d3e21aeb28d68e",
            "sha256:11557074a2e35fcbb2f367ffe1c6bb90968a56c3a08a48bf9370f8445ae2cc36",
            "sha256:7998b6425ee34508b5b9b02a038ed7ccaab47ecb60fc2c7f0259f964fdf80a70",
        ),
        "grype",
        "0.96.0",
        datetime(2024, 2, 22, 18, 46, 26, 372724, tzinfo=UTC),
    ),
    "alpine-oci-subcomponents.openvex-0.2.0.json": (
        ("sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126",),
        None,
        None,
        datetime(2023, 7, 18, 0, 28, 47, 696004, tzinfo=UTC),
    ),
    "aquasecurity-trivy-oci-published.openvex.json": (
        (),
        None,
        None,
        datetime(2024, 7, 10, 8, 17, 44, 604950, tzinfo=UTC),
    ),
    "aquasecurity-trivy-published.openvex.json": (
        (),
        "https://github.com/aquasecurity/trivy/tree/main/magefiles/vex.go",
        None,
        datetime(2024, 7, 9, 7, 38, 0, 115697, tzinfo=UTC),
    ),
    "nginx-oci-sample-history.openvex.json": (
        ("sha256:13d22ec63300e16014d4a42aed735207a8b33c223cff19627dd3042e5a10a3a0",),
        None,
        None,
        datetime(2023, 8, 17, 1, 55, 22, 76684, tzinfo=UTC),
    ),
}
MY_FILES = CYCLONEDX_FILES + TRIVY_FILES + GRYPE_FILES + OPENVEX_FILES


def test_expectations_cover_every_file() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in MY_FILES)


@pytest.mark.parametrize("path", MY_FILES, ids=_ids(MY_FILES))
def test_subjects_tool_and_time(path: Path) -> None:
    doc = _doc(path)
    claimed = [c for c in MINE if c.sniff(doc)]
    assert len(claimed) == 1, [c.name for c in claimed]
    evidence = claimed[0].parse(doc)
    subjects, tool, tool_version, collected_at = EXPECTED[path.name]
    assert evidence.subjects == subjects
    assert (evidence.tool, evidence.tool_version, evidence.collected_at) == (tool, tool_version, collected_at)
    assert evidence.path == doc.path
    assert evidence.sha256 == doc.sha256


@pytest.mark.parametrize("path", OTHER_FILES, ids=_ids(OTHER_FILES))
def test_other_formats_are_not_claimed(path: Path) -> None:
    doc = _doc(path)
    assert [c.name for c in MINE if c.sniff(doc)] == []


# --- specific values, read from the files ---


def test_cyclonedx_syft_component_fields() -> None:
    evidence = _parse(CYCLONEDX, CORPUS / "cyclonedx/alpine-latest-image.cdx-1.4.syft-0.58.0.json")
    first = evidence.components[0]
    assert first.name == "alpine-baselayout"
    assert first.version == "3.2.0-r22"
    assert first.type == "library"
    assert (
        first.purl
        == "pkg:alpine/alpine-baselayout@3.2.0-r22?arch=x86_64&upstream=alpine-baselayout&distro=alpine-3.16.2"
    )
    assert first.licenses == ("GPL-2.0-only",)
    assert first.supplier == "Natanael Copa <ncopa@alpinelinux.org>"  # syft's `publisher`
    assert first.layer == "sha256:994393dc58e7931862558d06e46aa2bb17487044f670f310dffe1d24e4d1eec7"
    assert first.location == "/components/0"
    os_component = evidence.components[-1]
    assert (os_component.name, os_component.version, os_component.type) == ("alpine", "3.16.2", "operating-system")
    assert os_component.ref is None


def test_cyclonedx_trivy_layers_licenses_and_dependencies() -> None:
    path = CORPUS / "cyclonedx/fluentd-debian10-gems-image.cdx-1.6.trivy-v0.55.0-golden.json"
    raw = _raw(path)
    evidence = _parse(CYCLONEDX, path)
    by_ref = {c.ref: c for c in evidence.components}
    for dependency in raw["dependencies"]:
        if dependency["ref"] in by_ref:
            assert by_ref[dependency["ref"]].depends_on == tuple(dependency["dependsOn"])
    debian = by_ref["3ff14136-e09f-4df9-80ea-000000000002"]
    assert (debian.name, debian.version, debian.type) == ("debian", "10.2", "operating-system")
    assert len(debian.depends_on) == 105
    zeitwerk = by_ref["pkg:gem/zeitwerk@2.3.0"]
    assert zeitwerk.licenses == ("MIT",)
    assert zeitwerk.layer == "sha256:75e43d55939745950bc3f8fad56c5834617c4339f0f54755e69a0dd5372624e9"

    centos = _parse(CYCLONEDX, CORPUS / "cyclonedx/centos-7-image.cdx-1.5.trivy-dev.json")
    assert [(c.name, c.licenses) for c in centos.components] == [
        ("bash", ("GPLv3+",)),
        ("openssl-libs", ("OpenSSL+",)),
        ("centos", ()),
    ]
    assert centos.components[1].layer == "sha256:89169d87dbe2b72ba42bfbb3579c957322baca28e03a1e558076542a1c1b2b4a"


def test_cyclonedx_hashes_and_supplier() -> None:
    evidence = _parse(CYCLONEDX, CORPUS / "vex/cyclonedx/bom-examples-vex-companion-bom.cdx.json")
    databind = evidence.components[0]
    assert databind.name == "jackson-databind"
    assert databind.hashes["SHA-256"] == "8e6c566c67fc61a96c5dfc4a71d430f2565765778ec9a6ef216c5460a9911b60"
    assert len(databind.hashes) == 8
    assert databind.supplier == "FasterXML"
    assert databind.licenses == ("Apache-2.0",)


def test_cyclonedx_blank_and_partial_licences_hashes_and_dependencies() -> None:
    """Blank texts read as absent wherever they are, whether or not the other entries of the list are complete."""
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "components": [
            {
                "name": "a",
                "bom-ref": "a",
                "licenses": [
                    {"expression": " ", "license": {"id": "", "name": "Custom"}},
                    {"license": None},
                    {},
                    {"license": {"id": "MIT", "name": 5}},
                    {"expression": "MIT OR ISC", "license": "ignored"},
                ],
                "hashes": [{"alg": "SHA-1", "content": "01"}, {"alg": " ", "content": "02"}, {"alg": "MD5"}],
            },
            {"name": "b", "hashes": [{"alg": "SHA-1", "content": "01"}, {"alg": "SHA-1", "content": "03"}]},
        ],
        "dependencies": [{"ref": "a", "dependsOn": ["b", " ", ""]}, {"ref": "a", "dependsOn": ["c"]}],
    }
    a, b = CYCLONEDX.parse(Document(path="bom.json", data=orjson.dumps(bom))).components
    assert a.licenses == ("Custom", "MIT", "MIT OR ISC")
    assert a.hashes == {"SHA-1": "01"}
    assert a.depends_on == ("b", "c")
    assert b.hashes == {"SHA-1": "03"}  # the last of a repeated algorithm, as before


def test_cyclonedx_vex_vulnerability_with_ratings() -> None:
    evidence = _parse(CYCLONEDX, CORPUS / "vex/cyclonedx/bom-examples-vex.cdx.json")
    assert evidence.components == ()
    (finding,) = evidence.vulnerabilities
    assert finding.id == "CVE-2020-25649"
    assert finding.aliases == ("SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302",)
    # The BOM-Link names a component of another BOM; its fragment is a purl.
    assert (finding.package, finding.installed_version) == ("jackson-databind", "2.10.0")
    assert finding.purl == "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar"
    assert finding.package_type == "maven"
    assert finding.severity == Severity.HIGH
    assert finding.cvss[0] == Cvss(source="NVD", version="3.1", vector="AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", score=7.5)
    assert [c.score for c in finding.cvss] == [7.5, 8.2, 0.0]
    assert finding.published == datetime(2020, 12, 3, tzinfo=UTC)
    assert finding.data_source == "https://nvd.nist.gov/vuln/detail/CVE-2020-25649"
    assert finding.location == "/vulnerabilities/0/affects/0"


def test_cyclonedx_vex_refs_resolve() -> None:
    cisa = _parse(CYCLONEDX, CORPUS / "vex/cyclonedx/cisa-case1-not-affected.cdx-vex.json")
    # `product-ABC` is the bom-ref of metadata.component.
    assert [(f.id, f.package, f.installed_version) for f in cisa.vulnerabilities] == [("CVE-2021-44228", "ABC", "4.2")]
    trivy = _parse(CYCLONEDX, CORPUS / "vex/cyclonedx/trivy-testdata.cdx-vex.json")
    assert [(f.package, f.installed_version) for f in trivy.vulnerabilities] == [
        ("spring-boot", "2.6.0"),
        ("libstdc++6", "12.3.0-1ubuntu1~22.04"),
    ]
    assert trivy.vulnerabilities[1].purl == (
        "pkg:deb/ubuntu/libstdc%2B%2B6@12.3.0-1ubuntu1~22.04?arch=amd64&distro=ubuntu-22.04"
    )


def test_trivy_finding_fields() -> None:
    evidence = _parse(TRIVY, CORPUS / "trivy-json/alpine-3.10.2-image.trivy-dev.json")
    first = evidence.vulnerabilities[0]
    assert (first.id, first.package, first.installed_version) == ("CVE-2019-1549", "libcrypto1.1", "1.1.1c-r0")
    assert first.purl == "pkg:apk/alpine/libcrypto1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2"
    assert first.package_type == "alpine"
    assert first.fixed_versions == ("1.1.1d-r0",)
    assert first.severity == Severity.MEDIUM
    assert first.cvss == (
        Cvss(source="nvd", version="3.1", vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", score=5.3),
        Cvss(source="nvd", version="2.0", vector="AV:N/AC:L/Au:N/C:P/I:N/A:N", score=5.0),
        Cvss(source="redhat", version="3.0", vector="CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N", score=4.8),
    )
    assert first.title == "openssl: information disclosure in fork()"
    assert first.description is not None
    assert first.description.startswith("OpenSSL 1.1.1 introduced a rewritten random number generator")
    assert first.published == datetime(2019, 9, 10, 17, 15, tzinfo=UTC)
    assert first.data_source == "https://secdb.alpinelinux.org/"
    assert first.layer == "sha256:03901b4a2ea88eeaad62dbe59b072b28b6efa00491962b8741081c5df50c65e0"
    assert first.location == "/Results/0/Vulnerabilities/0"
    assert first.aliases == ()


def test_trivy_vendor_ids_and_language_results() -> None:
    evidence = _parse(TRIVY, CORPUS / "trivy-json/fluentd-debian10-ruby-gems-image.trivy-dev.json")
    debian, gem = evidence.vulnerabilities
    assert (debian.id, debian.aliases, debian.package_type) == ("CVE-2019-18224", ("DSA-4613-1",), "debian")
    assert (gem.id, gem.package, gem.package_type) == ("CVE-2020-8165", "activesupport", "gemspec")
    assert gem.location == "/Results/1/Vulnerabilities/0"

    dojo = _parse(TRIVY, CORPUS / "trivy-json/teamdojo-alpine3.9-jars-image.trivy-userreport.json")
    compress = dojo.vulnerabilities[-1]
    assert (compress.package, compress.installed_version, compress.fixed_versions) == (
        "org.apache.commons:commons-compress",
        "1.14",
        ("1.16",),
    )
    assert (compress.purl, compress.data_source, compress.package_type) == (None, None, "jar")


def test_grype_current_schema_fields() -> None:
    evidence = _parse(GRYPE, CORPUS / "grype-json/busybox-1.32.1-image.grype-0.94-epss.json")
    first = evidence.vulnerabilities[0]
    assert (first.id, first.package, first.installed_version) == ("CVE-2022-28391", "busybox", "1.32.1")
    assert (first.purl, first.package_type) == ("pkg:generic/busybox@1.32.1", "binary")
    assert first.severity == Severity.HIGH
    assert first.cvss == (
        Cvss(source="nvd@nist.gov", version="3.1", vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", score=8.8),
        Cvss(source="nvd@nist.gov", version="2.0", vector="AV:N/AC:M/Au:N/C:P/I:P/A:P", score=6.8),
        Cvss(
            source="134c704f-9b21-4f2e-91b3-4a467353bcc0",
            version="3.1",
            vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
            score=8.8,
        ),
    )
    assert first.data_source == "https://nvd.nist.gov/vuln/detail/CVE-2022-28391"
    assert first.layer == "sha256:67f770da229bf16d0c280f232629b0c1f1243a884df09f6b940a1c7288535a6d"
    assert first.fixed_versions == ()
    assert first.location == "/matches/0"
    assert evidence.format_version is None

    snapshot = _parse(GRYPE, CORPUS / "grype-json/grype-presenter-image-snapshot.golden.json")
    package = snapshot.vulnerabilities[0]
    assert package.fixed_versions == ("1.2.1", "2.1.3", "3.4.0")
    assert (package.purl, package.layer, package.severity) == (None, None, Severity.LOW)


def test_grype_old_schema_and_related_vulnerabilities() -> None:
    evidence = _parse(GRYPE, CORPUS / "grype-json/vulnerable-image-debian10-deb-python.grype-0.28.json")
    krb5 = evidence.vulnerabilities[0]
    assert (krb5.id, krb5.package, krb5.severity) == ("CVE-2004-0971", "libgssapi-krb5-2", Severity.NEGLIGIBLE)
    # The CVSS and description live only on the related NVD record, whose source is its namespace.
    assert krb5.cvss == (Cvss(source="nvd", version="2.0", vector="AV:L/AC:L/Au:N/C:N/I:P/A:N", score=2.1),)
    assert krb5.description is not None
    assert krb5.description.startswith("The krb5-send-pr script")
    assert krb5.aliases == ()
    django = evidence.vulnerabilities[4]
    assert (django.id, django.aliases, django.package) == ("GHSA-v6rh-hp5x-86rv", ("CVE-2021-44420",), "Django")

    rhel = _parse(GRYPE, CORPUS / "grype-json/xjoin-kafka-connect-strimzi-rhel8-image.grype-0.96.json")
    avahi = rhel.vulnerabilities[0]
    assert avahi.aliases == ("RHSA-2023:7836",)
    assert avahi.fixed_versions == ("0:0.7-21.el8_9.1",)
    assert avahi.cvss[0] == Cvss(
        source="redhat:distro:redhat:8", version="3.1", vector="CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", score=6.2
    )


def test_openvex_statement_fields() -> None:
    evidence = _parse(OPENVEX, CORPUS / "vex/openvex/alpine-oci-subcomponents.openvex-0.2.0.json")
    image = "pkg:oci/alpine@sha256%3A124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126"
    fixed = evidence.statements[0]
    assert (fixed.vulnerability, fixed.status, fixed.justification) == ("CVE-2023-1255", "fixed", None)
    assert fixed.products == (image, "pkg:apk/alpine/libssl3@3.0.8-r3", "pkg:apk/alpine/libcrypto3@3.0.8-r3")
    assert fixed.author == "The OpenVEX Project <openvex@openssf.org>"
    assert fixed.timestamp == datetime(2023, 7, 18, 0, 28, 47, 696004, tzinfo=UTC)
    not_affected = evidence.statements[3]
    assert (not_affected.status, not_affected.justification) == ("not_affected", "vulnerable_code_not_present")
    assert not_affected.impact_statement == "affected functions were removed before packaging"
    assert not_affected.location == "/statements/3"

    trivy = _parse(OPENVEX, CORPUS / "vex/openvex/aquasecurity-trivy-published.openvex.json")
    helm = trivy.statements[0]
    assert (helm.vulnerability, helm.aliases) == ("GO-2024-2575", ("CVE-2024-26147", "GHSA-r53h-jv2g-vpx6"))
    assert helm.products == ("pkg:golang/github.com/aquasecurity/trivy", "pkg:golang/helm.sh/helm/v3")

    nginx = _parse(OPENVEX, CORPUS / "vex/openvex/nginx-oci-sample-history.openvex.json")
    # The first statement has its own timestamp; the second takes the document's.
    assert nginx.statements[0].timestamp == datetime(2023, 8, 16, 1, 55, 22, 76684, tzinfo=UTC)
    assert nginx.statements[1].timestamp == datetime(2023, 8, 17, 1, 55, 22, 76684, tzinfo=UTC)
    assert nginx.statements[0].aliases == ("SNYK-DEBIAN12-LIBDE265-3361563",)


# --- hand-made documents ---


def _write(tmp_path: Path, content: Any, name: str = "evidence.json") -> Document:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(content))
    return Document(path=name, data=path.read_bytes())


def _trivy(**overrides: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "SchemaVersion": 2,
        "ArtifactName": "example:1",
        "ArtifactType": "container_image",
        "Metadata": {"RepoDigests": ["example@sha256:" + "a" * 64]},
        "Results": [
            {
                "Target": "example",
                "Type": "debian",
                "Vulnerabilities": [
                    {"VulnerabilityID": "CVE-2024-0001", "PkgName": "zlib", "InstalledVersion": "1", "Severity": "HIGH"}
                ],
            }
        ],
    }
    report.update(overrides)
    return report


def test_trivy_schema_version_1_is_recognized_but_unsupported(tmp_path: Path) -> None:
    doc = _write(tmp_path, _trivy(SchemaVersion=1))
    assert TRIVY.sniff(doc)
    with pytest.raises(CollectorError, match="SchemaVersion 1 is recognized but not supported") as caught:
        TRIVY.parse(doc)
    assert caught.value.path == "evidence.json"


def test_trivy_hand_made_report(tmp_path: Path) -> None:
    ghsa = {
        "VulnerabilityID": "GHSA-xxxx-yyyy-zzzz",
        "PkgName": "lodash",
        "FixedVersion": "4.17.21, 5.0.0",
        "References": [
            "https://github.com/advisories/GHSA-xxxx-yyyy-zzzz",
            "https://nvd.nist.gov/vuln/detail/CVE-2021-23337",
        ],
        "CVSS": {
            "ghsa": {"V40Vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "V40Score": 9.3}
        },
    }
    # A timestamp that cannot be moved to UTC reads as unknown rather than failing the file.
    report = _trivy(
        Results=[{"Type": "npm", "Vulnerabilities": [ghsa]}],
        Trivy={"Version": "0.58.0"},
        CreatedAt="0001-01-01T00:00:00+05:00",
    )
    evidence = TRIVY.parse(_write(tmp_path, report))
    (finding,) = evidence.vulnerabilities
    assert finding.aliases == ("CVE-2021-23337",)
    assert finding.fixed_versions == ("4.17.21", "5.0.0")
    assert finding.cvss == (
        Cvss(
            source="ghsa",
            version="4.0",
            vector="CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            score=9.3,
        ),
    )
    assert evidence.tool_version == "0.58.0"
    assert evidence.collected_at is None
    assert evidence.subjects == ("sha256:" + "a" * 64,)


def test_trivy_clean_scan_without_results(tmp_path: Path) -> None:
    report = _trivy()
    del report["Results"]
    doc = _write(tmp_path, report)
    assert TRIVY.sniff(doc)
    assert TRIVY.parse(doc).vulnerabilities == ()


BROKEN: list[tuple[str, Collector, Any, str]] = [
    ("trivy version text", TRIVY, _trivy(SchemaVersion="2"), "/SchemaVersion"),
    ("trivy results object", TRIVY, _trivy(Results={"a": 1}), "/Results should be an array"),
    ("trivy result string", TRIVY, _trivy(Results=["x"]), "/Results/0 should be an object"),
    (
        "trivy package number",
        TRIVY,
        _trivy(Results=[{"Vulnerabilities": [{"VulnerabilityID": "C", "PkgName": 7}]}]),
        "/Results/0/Vulnerabilities/0/PkgName should be a string",
    ),
    (
        "trivy id missing",
        TRIVY,
        _trivy(Results=[{"Vulnerabilities": [{"PkgName": "zlib"}]}]),
        "/Results/0/Vulnerabilities/0/VulnerabilityID is required",
    ),
    (
        "trivy cvss list",
        TRIVY,
        _trivy(Results=[{"Vulnerabilities": [{"VulnerabilityID": "C", "PkgName": "p", "CVSS": []}]}]),
        "/CVSS should be an object",
    ),
    (
        "trivy score text",
        TRIVY,
        _trivy(
            Results=[{"Vulnerabilities": [{"VulnerabilityID": "C", "PkgName": "p", "CVSS": {"nvd": {"V3Score": "9"}}}]}]
        ),
        "/CVSS/nvd/V3Score should be a number",
    ),
    (
        "cdx components object",
        CYCLONEDX,
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": {}},
        "/components should be an array",
    ),
    (
        "cdx name missing",
        CYCLONEDX,
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"type": "library"}]},
        "/components/0/name is required",
    ),
    (
        "cdx nested wrong",
        CYCLONEDX,
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": "a", "components": [{"name": 1}]}]},
        "/components/0/components/0/name should be a string",
    ),
    (
        "cdx license text",
        CYCLONEDX,
        {"bomFormat": "CycloneDX", "specVersion": "1.4", "components": [{"name": "a", "licenses": ["MIT"]}]},
        "/components/0/licenses/0 should be an object",
    ),
    (
        "cdx license id number",
        CYCLONEDX,
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "components": [{"name": "a", "licenses": [{"license": {"id": 3}}]}],
        },
        "/components/0/licenses/0/license/id should be a string",
    ),
    (
        "cdx license object text",
        CYCLONEDX,
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "components": [{"name": "a", "licenses": [{"license": "MIT"}]}],
        },
        "/components/0/licenses/0/license should be an object",
    ),
    (
        "cdx hash content number",
        CYCLONEDX,
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "components": [
                {"name": "a", "hashes": [{"alg": "SHA-256", "content": "ab"}, {"alg": "MD5", "content": 1}]}
            ],
        },
        "/components/0/hashes/1/content should be a string",
    ),
    (
        "cdx dependsOn number",
        CYCLONEDX,
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "dependencies": [{"ref": "a", "dependsOn": ["b", 2]}]},
        "/dependencies/0/dependsOn/1 should be a string",
    ),
    ("cdx spec 1.1", CYCLONEDX, {"bomFormat": "CycloneDX", "specVersion": "1.1"}, "recognized but not supported"),
    ("cdx spec number", CYCLONEDX, {"bomFormat": "CycloneDX", "specVersion": 1.4}, "/specVersion should be a string"),
    (
        "cdx tools text",
        CYCLONEDX,
        {"bomFormat": "CycloneDX", "specVersion": "1.4", "metadata": {"tools": "syft"}},
        "/metadata/tools should be an array",
    ),
    (
        "cdx affects ref missing",
        CYCLONEDX,
        {"bomFormat": "CycloneDX", "specVersion": "1.4", "vulnerabilities": [{"id": "CVE-1", "affects": [{}]}]},
        "/vulnerabilities/0/affects/0/ref is required",
    ),
    (
        "grype vulnerability missing",
        GRYPE,
        {"descriptor": {"name": "grype"}, "matches": [{"artifact": {"name": "a"}}]},
        "/matches/0/vulnerability should be an object",
    ),
    (
        "grype name number",
        GRYPE,
        {"descriptor": {"name": "grype"}, "matches": [{"vulnerability": {"id": "C"}, "artifact": {"name": 3}}]},
        "/matches/0/artifact/name should be a string",
    ),
    (
        "grype fix versions text",
        GRYPE,
        {
            "source": {"type": "image"},
            "matches": [{"vulnerability": {"id": "C", "fix": {"versions": "1.0"}}, "artifact": {"name": "a"}}],
        },
        "/matches/0/vulnerability/fix/versions should be an array",
    ),
    (
        "openvex statements object",
        OPENVEX,
        {"@context": "https://openvex.dev/ns/v0.2.0", "statements": {}},
        "/statements should be an array",
    ),
    ("openvex no statements", OPENVEX, {"@context": "https://openvex.dev/ns/v0.2.0"}, "/statements is required"),
    (
        "openvex status missing",
        OPENVEX,
        {"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-1"}}]},
        "/statements/0/status is required",
    ),
    (
        "openvex vulnerability number",
        OPENVEX,
        {"@context": "https://openvex.dev/ns", "statements": [{"vulnerability": 1, "status": "fixed"}]},
        "/statements/0/vulnerability should be an object",
    ),
    (
        "openvex product number",
        OPENVEX,
        {
            "@context": "https://openvex.dev/ns",
            "statements": [{"vulnerability": "CVE-1", "status": "fixed", "products": [1]}],
        },
        "/statements/0/products/0 should be an object",
    ),
]


@pytest.mark.parametrize(("collector", "content", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_documents_raise_collector_error(
    tmp_path: Path, collector: Collector, content: Any, message: str
) -> None:
    doc = _write(tmp_path, content)
    assert collector.sniff(doc)
    with pytest.raises(CollectorError, match=message.replace("[", r"\[")):
        collector.parse(doc)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe\x00",
        b"not json",
        b"[1, 2]",
        b'"text"',
        b"{",
        b"null",
        b'{"bomFormat": "SPDX"}',
        b'{"matches": {}}',
        b'{"@context": 5}',
        b'{"@context": ["https://openvex.dev/ns"]}',
        b'{"SchemaVersion": 2}',
    ],
)
def test_sniff_never_raises_and_declines_other_content(data: bytes) -> None:
    doc = Document(path="x", data=data)
    assert [c.name for c in MINE if c.sniff(doc)] == []


_REPLACEMENTS: tuple[Any, ...] = (None, 7, "text", [], {}, True)


@pytest.mark.parametrize("path", MY_FILES, ids=_ids(MY_FILES))
def test_any_wrong_value_gives_collector_error_or_evidence(path: Path) -> None:
    """Hostile input: a value of any other JSON type, anywhere, never escapes as another exception."""
    raw = _raw(path)
    collector = next(c for c in MINE if c.sniff(_doc(path)))
    nodes = json_nodes(raw)
    for where in nodes[:: max(1, len(nodes) // 40)]:
        for value in _REPLACEMENTS:
            doc = Document(path="mutated.json", data=orjson.dumps(json_replaced(raw, where, value)))
            if not collector.sniff(doc):
                continue
            with contextlib.suppress(CollectorError):
                collector.parse(doc)


# Values of every JSON type, blank texts, and a property name the reading looks for.
_EVERY_FIELD = {
    "bom-ref": "a",
    "name": "n",
    "version": "1",
    "purl": "pkg:npm/n@1",
    "type": "library",
    "licenses": [{"expression": "MIT", "license": {"id": "ISC"}}, {"license": {"id": " ", "name": "Custom"}}],
    "supplier": {"name": "Supplier"},
    "publisher": "Publisher",
    "hashes": [
        {"alg": "SHA-256", "content": "ab"},
        {"alg": "SHA-1", "content": "cd"},
        {"alg": "SHA-256", "content": "e"},
    ],
    "properties": [
        {"name": "syft:location:0:layerID", "value": "sha256:1"},
        {"name": "aquasecurity:trivy:LayerDiffID", "value": "sha256:2"},
        {"name": "aquasecurity:trivy:LayerDiffID", "value": "sha256:3"},
    ],
}
_COMPONENT_KEYS = ("bom-ref", "name", "version", "purl", "type", "licenses", "supplier", "publisher", "hashes")
_COMPONENT_VALUES: tuple[Any, ...] = (*_REPLACEMENTS, "", " \t", "syft:location:0:layerID", [{}], [None], {"x": 1})


def _variants(entries: list[Any], keys: tuple[str, ...]) -> list[Any]:
    """The entries, and each with any value inside it replaced, and with each of `keys` set to any value."""
    variants = list(entries)
    for entry in entries:
        variants += [json_replaced(entry, where, v) for where in json_nodes(entry)[1:] for v in _COMPONENT_VALUES]
        variants += [{**entry, key: v} for key in keys for v in (*_COMPONENT_VALUES, "a")]
    return variants


def _read_alike(checked: Callable[[Any], object], usual: Callable[[Any], object], variants: list[Any]) -> None:
    """`usual` reads each variant as `checked` does, or declines it (`UnusualValue`): never differently, and never
    what `checked` refuses."""
    assert len(variants) > 50
    for variant in variants:
        try:
            expected = checked(variant)
        except CollectorError:
            expected = None
        with contextlib.suppress(UnusualValue):
            assert usual(variant) == expected, variant


_CYCLONEDX_SBOMS = corpus_files("cyclonedx", ".json")


@pytest.mark.parametrize("path", _CYCLONEDX_SBOMS, ids=_ids(_CYCLONEDX_SBOMS))
def test_the_one_pass_component_reading_agrees_with_the_checked_one(path: Path) -> None:
    """`usual_component` and `_Reader._component`, on the corpus's components and on each changed anywhere."""
    reader = _Reader("bom.json")
    depends_on: dict[str, tuple[str, ...]] = {"a": ("b", "c")}
    components = [c for c in orjson.loads(path.read_bytes()).get("components") or () if isinstance(c, dict)]
    variants = _variants([_EVERY_FIELD, *components[:8]], _COMPONENT_KEYS)
    variants += [c for c in components[8:30] if c.get("name")]
    variants.append({**_EVERY_FIELD, "supplier": {"name": " "}})
    _read_alike(
        lambda fields: reader._component(fields, "/components/0", depends_on),
        lambda fields: usual_component(fields, "/components/0", depends_on),
        variants,
    )


@pytest.mark.parametrize("path", _CYCLONEDX_SBOMS, ids=_ids(_CYCLONEDX_SBOMS))
def test_the_one_pass_dependency_reading_agrees_with_the_checked_one(path: Path) -> None:
    """`usual_dependency` and `_Reader._dependency`, on the corpus's dependencies and on each changed anywhere."""
    reader = _Reader("bom.json")
    entries = orjson.loads(path.read_bytes()).get("dependencies") or []
    every_field = {"ref": "a", "dependsOn": ["b", "c", "d"]}
    variants = _variants([every_field, *entries[:8]], ("ref", "dependsOn"))
    variants += [*entries[8:30], {"ref": "a"}, {"ref": "a", "dependsOn": ["b", " "]}, None, []]
    _read_alike(lambda entry: reader._dependency(entry, "/dependencies/0"), usual_dependency, variants)


def test_ten_thousand_components_with_nesting() -> None:
    components = [
        {
            "bom-ref": f"pkg:npm/p{i}@1.0.{i}",
            "type": "library",
            "name": f"p{i}",
            "version": f"1.0.{i}",
            "purl": f"pkg:npm/p{i}@1.0.{i}",
            "licenses": [{"expression": "MIT OR Apache-2.0"}],
            "properties": [{"name": "syft:location:0:layerID", "value": "sha256:" + "c" * 64}],
        }
        for i in range(10_000)
    ]
    components[0]["components"] = [{"name": "inner", "components": [{"name": "innermost"}]}]
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {
            "tools": {"components": [{"name": "generator", "version": "1"}]},
            "component": {"name": "app", "type": "container", "purl": "pkg:oci/app@sha256%3A" + "d" * 64},
        },
        "components": components,
        "dependencies": [{"ref": "pkg:npm/p1@1.0.1", "dependsOn": ["pkg:npm/p2@1.0.2"]}],
    }
    evidence = CYCLONEDX.parse(Document(path="big.cdx.json", data=orjson.dumps(bom)))
    assert len(evidence.components) == 10_002
    assert [c.name for c in evidence.components[:4]] == ["p0", "inner", "innermost", "p1"]
    assert evidence.components[2].location == "/components/0/components/0/components/0"
    assert evidence.components[3].depends_on == ("pkg:npm/p2@1.0.2",)
    assert evidence.components[-1].licenses == ("MIT OR Apache-2.0",)
    assert evidence.components[-1].layer == "sha256:" + "c" * 64
    assert (evidence.tool, evidence.tool_version, evidence.subjects) == ("generator", "1", ("sha256:" + "d" * 64,))


def test_older_openvex_with_string_fields(tmp_path: Path) -> None:
    document = {
        "@context": "https://openvex.dev/ns",
        "@id": "https://example.com/vex-1",
        "author": "Example Security",
        "last_updated": "2023-01-10T20:24:50Z",
        "version": "1",
        "statements": [
            {
                "vulnerability": "CVE-2014-123456",
                "products": ["registry.example.com/app@sha256:" + "e" * 64],
                "subcomponents": ["pkg:apk/wolfi/git@2.38.1-r0"],
                "status": "affected",
                "action_statement": "Upgrade git",
                "author": "Statement Author",
            }
        ],
    }
    evidence = OPENVEX.parse(_write(tmp_path, document))
    assert evidence.format_version is None
    assert evidence.collected_at == datetime(2023, 1, 10, 20, 24, 50, tzinfo=UTC)
    assert evidence.subjects == ("sha256:" + "e" * 64,)
    (statement,) = evidence.statements
    assert statement.vulnerability == "CVE-2014-123456"
    assert statement.products == ("registry.example.com/app@sha256:" + "e" * 64, "pkg:apk/wolfi/git@2.38.1-r0")
    assert (statement.action_statement, statement.author) == ("Upgrade git", "Statement Author")
    assert statement.timestamp == evidence.collected_at


def test_grype_legacy_cvss_and_fix_fields(tmp_path: Path) -> None:
    report = {
        "source": {"type": "image", "target": {"userInput": "app:1", "manifestDigest": "sha256:" + "f" * 64}},
        "matches": [
            {
                "vulnerability": {"id": "GHSA-aaaa-bbbb-cccc", "severity": "Critical", "fixedInVersion": "2.0.1"},
                "relatedVulnerabilities": [
                    {"id": "CVE-2020-0001", "namespace": "nvd", "cvssV3": {"baseScore": 9.8, "vector": "AV:N/AC:L"}}
                ],
                "artifact": {"name": "lib", "version": "2.0.0", "locations": [{"path": "/a", "layerID": "sha256:1"}]},
            }
        ],
    }
    evidence = GRYPE.parse(_write(tmp_path, report))
    assert (evidence.tool, evidence.tool_version, evidence.subjects) == ("grype", None, ("sha256:" + "f" * 64,))
    (finding,) = evidence.vulnerabilities
    assert finding.fixed_versions == ("2.0.1",)
    assert finding.aliases == ("CVE-2020-0001",)
    assert finding.severity == Severity.CRITICAL
    assert finding.cvss == (Cvss(source="nvd", version="3.0", vector="AV:N/AC:L", score=9.8),)
    assert finding.layer == "sha256:1"


def test_cyclonedx_vulnerability_without_affects(tmp_path: Path) -> None:
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.7", "vulnerabilities": [{"id": "CVE-2024-0002"}]}
    evidence = CYCLONEDX.parse(_write(tmp_path, bom))
    assert [(f.id, f.package, f.location) for f in evidence.vulnerabilities] == [
        ("CVE-2024-0002", "", "/vulnerabilities/0")
    ]
