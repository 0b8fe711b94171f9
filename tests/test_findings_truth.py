"""Findings are never dropped silently: evidence a reader could misread is refused or flagged, and every
scan that is read counts where it should (issue 14)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import CORPUS, DIGEST, SAMPLE_TIMESTAMP, corpus_files
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from evidence.cli import main
from evidence.collectors import collect
from evidence.collectors.cvss import score_in_range, vector_parses
from evidence.collectors.interface import CollectorError, Document
from evidence.errors import BindError
from evidence.evaluate.vulnerabilities import build_records
from evidence.model import (
    AuditPackage,
    Binding,
    CheckResult,
    ControlResult,
    Evidence,
    EvidenceKind,
    SkipCategory,
    Status,
    SummaryTopic,
)
from evidence.pipeline import assess
from evidence.render.canonical import dumps, load_package
from evidence.render.oscal import render_bytes as render_oscal
from evidence.render.report import render_html
from evidence.render.xlsx import Workbook

TRIVY_JSON = CORPUS / "trivy-json" / "alpine-3.10.2-image.trivy-dev.json"
IMAGE = f"registry.example.com/x@{DIGEST}"


def collect_bytes(data: bytes) -> tuple[Evidence, ...]:
    return collect([], documents=[Document(path="input.json", data=data)]).items


def _package(inputs: list[Path], out: Path, *extra: str) -> int:
    argv = ["package", *map(str, inputs), "--image", IMAGE, "--timestamp", SAMPLE_TIMESTAMP, "--out", str(out)]
    return main([*argv, "--quiet", *extra])


# --- duplicate keys -----------------------------------------------------------------------------------------


def test_a_second_results_key_after_the_real_one_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real = TRIVY_JSON.read_bytes().rstrip()
    assert orjson.loads(real)["Results"]  # the real scan has findings the second key would hide
    hostile = tmp_path / "trivy.json"
    hostile.write_bytes(real[:-1] + b', "Results": []}')
    assert _package([hostile], tmp_path / "out") == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("fromline: error: ")
    assert "trivy.json: has the key 'Results' twice" in err
    assert "'Results' twice" in err
    assert "at /Results" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("data", "key", "pointer"),
    [
        (b'{"a": {"b": [1, {"c": 1, "c": 2}]}}', "c", "/a/b/1/c"),
        (b'[{"x": 1}, {"y/z": {"k~": 1, "k~": 1}}]', "k~", "/1/y~1z/k~0"),
        (b'{"a": 1, "a": 1}', "a", "/a"),
        (b'{"u": {"k": "a:b:c", "k": "d"}}', "k", "/u/k"),  # the dropped value's colons
        (b'{"a:b": 1, "a\\u003ab": 2}', "a:b", "/a:b"),  # the same key once with its colon escaped
        (b'{"x": "\\\\u003a", "k": 1, "k": 2}', "k", "/k"),  # a backslash and `u003a`, not an escaped colon
        (b'[{"x": {"k": [1], "k": [1]}}]', "k", "/0/x/k"),
    ],
)
def test_a_duplicate_key_anywhere_is_found_with_its_pointer(data: bytes, key: str, pointer: str) -> None:
    found = Document(path="x.json", data=data).duplicate_key()
    assert found is not None
    assert (found.key, found.pointer) == (key, pointer)


def test_equal_keys_in_different_objects_are_not_duplicates() -> None:
    assert Document(path="x.json", data=b'{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}').duplicate_key() is None
    assert Document(path="x.json", data=TRIVY_JSON.read_bytes()).duplicate_key() is None


def test_keep_going_lists_a_duplicate_key_file_as_malformed(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    real = TRIVY_JSON.read_bytes().rstrip()
    (folder / "trivy.json").write_bytes(real[:-1] + b', "Results": []}')
    collected = collect([folder], keep_going=True)
    assert collected.items == ()
    (skipped,) = collected.skipped
    assert skipped.category is SkipCategory.MALFORMED
    assert "'Results' twice" in skipped.reason


def test_escaped_colons_are_not_taken_for_duplicates() -> None:
    for data in (b'{"a\\u003ab": "c\\u003Ad", "e": "\\\\u003a", "f": ":"}', b'[{"a": {"a": "\\u003a"}}]'):
        assert Document(path="x.json", data=data).duplicate_key() is None


def _with_duplicate_in_deepest_object(tree: Any) -> tuple[bytes, str, str]:
    """`tree` written as JSON (indented), its deepest object given its first member a second time; and that key
    and the pointer the refusal names."""
    deepest: tuple[int, list[str | int], dict[str, Any]] = (-1, [], {})
    stack: list[tuple[list[str | int], Any]] = [([], tree)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            if value and len(path) > deepest[0]:
                deepest = (len(path), path, value)
            stack.extend(([*path, k], v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(([*path, i], v) for i, v in enumerate(value))
    _, path, target = deepest
    key, first = next(iter(target.items()))
    sentinel = "fromline-test-object-with-a-duplicate-key"
    parent = tree
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = sentinel
    written = orjson.dumps(tree, option=orjson.OPT_INDENT_2)
    duplicated = orjson.dumps(target)[:-1] + b"," + orjson.dumps(key) + b":" + orjson.dumps(first) + b"}"
    pointer = "".join(f"/{str(p).replace('~', '~0').replace('/', '~1')}" for p in [*path, key])
    return written.replace(orjson.dumps(sentinel), duplicated), key, pointer


@pytest.mark.parametrize("path", corpus_files("cyclonedx", ".json"), ids=lambda p: p.name)
def test_a_duplicate_key_deep_in_a_real_sbom_is_refused(path: Path) -> None:
    real = path.read_bytes()
    (item,) = collect_bytes(real)
    assert item.components
    hostile, key, pointer = _with_duplicate_in_deepest_object(orjson.loads(real))
    assert pointer.count("/") > 3
    with pytest.raises(CollectorError) as refused:
        collect_bytes(hostile)
    assert f"has the key {key!r} twice in one JSON object at {pointer};" in refused.value.problem


@dataclasses.dataclass(frozen=True)
class _Text:
    """A JSON string as hypothesis writes it: its value, and whether its colons are written as `\\u003a`."""

    value: str
    colons_escaped: bool


_TEXTS = st.builds(
    _Text,
    st.lists(st.sampled_from(["a", "b", ":", "\\", "u003a", "\u00e9", '"']), max_size=3).map("".join),
    st.booleans(),
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | _TEXTS,
    lambda inner: st.lists(inner, max_size=3) | st.lists(st.tuples(_TEXTS, inner), max_size=3).map(tuple),
    max_leaves=12,
)


def _written(value: Any) -> str:
    """JSON text of a hypothesis value: a tuple of (key, value) pairs is an object and may repeat a key."""
    if isinstance(value, tuple):
        return "{" + ", ".join(f"{_written(key)}: {_written(inner)}" for key, inner in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_written(inner) for inner in value) + "]"
    if isinstance(value, _Text):
        text = json.dumps(value.value, ensure_ascii=False)
        return text.replace(":", "\\u003a") if value.colons_escaped else text
    return json.dumps(value)


def _repeats_a_key(value: Any) -> bool:
    if isinstance(value, tuple):
        keys = [key.value for key, _ in value]
        return len(set(keys)) < len(keys) or any(_repeats_a_key(inner) for _, inner in value)
    return isinstance(value, list) and any(_repeats_a_key(inner) for inner in value)


@given(st.lists(st.tuples(_TEXTS, _JSON), max_size=4).map(tuple))
@settings(max_examples=400, deadline=None)
def test_a_duplicate_key_is_found_exactly_when_there_is_one(tree: Any) -> None:
    data = _written(tree).encode()
    assert (Document(path="x.json", data=data).duplicate_key() is not None) == _repeats_a_key(tree)


# --- CVSS sanity ---------------------------------------------------------------------------------------------

BAD_SCORE, BAD_VECTOR = 99.0, "CVSS:3.1/AV:N/AC:Q/garbage"


def _trivy_bad(data: Any) -> None:
    finding = next(v for r in data["Results"] for v in r.get("Vulnerabilities") or () if v.get("CVSS"))
    finding["CVSS"]["nvd"].update(V3Score=BAD_SCORE, V3Vector=BAD_VECTOR)


def _grype_bad(data: Any) -> None:
    entry = next(m for m in data["matches"] if m["vulnerability"].get("cvss"))["vulnerability"]["cvss"][-1]
    entry["metrics"]["baseScore"], entry["vector"] = BAD_SCORE, BAD_VECTOR


def _snyk_bad(data: Any) -> None:
    finding = next(v for v in data["vulnerabilities"] if v.get("cvssScore"))
    finding["cvssScore"], finding["CVSSv3"] = BAD_SCORE, BAD_VECTOR


def _sarif_bad(data: Any) -> None:
    rule = next(r for r in data["runs"][0]["tool"]["driver"]["rules"] if "cvssv3_baseScore" in r.get("properties", {}))
    rule["properties"].update(cvssv3_baseScore=BAD_SCORE, cvssv3_vector=BAD_VECTOR)


def _cyclonedx_bad(data: Any) -> None:
    data["vulnerabilities"] = [trivy_cyclonedx_vulnerability(data["components"][0]["bom-ref"], BAD_SCORE, BAD_VECTOR)]


def trivy_cyclonedx_vulnerability(ref: str, score: float, vector: str) -> dict[str, Any]:
    """A vulnerability in the shape trivy's CycloneDX output gives it (`--scanners vuln --format cyclonedx`)."""
    return {
        "id": "CVE-2022-0001",
        "source": {"name": "redhat", "url": "https://www.redhat.com/security/data/metrics/"},
        "ratings": [
            {"source": {"name": "nvd"}, "score": score, "severity": "high", "method": "CVSSv31", "vector": vector},
            {
                "source": {"name": "redhat"},
                "severity": "medium",
                "method": "CVSSv31",
                "score": 5.5,
                "vector": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H",
            },
        ],
        "description": "a flaw",
        "advisories": [{"url": "https://access.redhat.com/security/cve/CVE-2022-0001"}],
        "published": "2022-02-10T00:00:00+00:00",
        "affects": [{"ref": ref, "versions": [{"version": "4.2.46-31.el7", "status": "affected"}]}],
    }


CVSS_CASES = {
    "trivy": (TRIVY_JSON, _trivy_bad),
    "grype": (CORPUS / "grype-json" / "vulnerable-image-debian10-deb-python.grype-0.28.json", _grype_bad),
    "snyk": (CORPUS / "snyk-container-json" / "alpine3.12.9-with-app-vulns.snyk-container-test.json", _snyk_bad),
    "trivy-sarif": (CORPUS / "sarif" / "alpine-3.10.2-image.trivy-dev.sarif.json", _sarif_bad),
    "trivy-cyclonedx": (CORPUS / "cyclonedx" / "centos-7-image.cdx-1.5.trivy-dev.json", _cyclonedx_bad),
}


@pytest.mark.parametrize("name", sorted(CVSS_CASES))
def test_a_bad_cvss_score_or_vector_is_dropped_and_noted_never_used(name: str, tmp_path: Path) -> None:
    source, spoil = CVSS_CASES[name]
    data = orjson.loads(source.read_bytes())
    spoil(data)
    spoiled = tmp_path / source.name
    spoiled.write_bytes(orjson.dumps(data))
    (item,) = collect([spoiled]).items  # the scan is still read
    scores = [c for f in item.vulnerabilities for c in f.cvss]
    assert scores
    assert all(c.score is None or 0 <= c.score <= 10 for c in scores)
    assert BAD_VECTOR not in {c.vector for c in scores}
    problems = [p for f in item.vulnerabilities for p in f.cvss_problems]
    assert any("99.0" in p and "outside 0-10" in p for p in problems), problems
    assert any(BAD_VECTOR in p and "does not parse" in p for p in problems), problems
    scan = dataclasses.replace(item, kind=EvidenceKind.VULNERABILITY_SCAN, binding=Binding.MATCH)
    records = build_records([scan], DIGEST)
    noted = [r for r in records if r.cvss_problems]
    assert noted
    assert all(c.score != BAD_SCORE for r in noted for c in r.cvss)


@pytest.mark.parametrize(
    ("vector", "version", "parses"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", None, True),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C", None, True),
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", "2.0", True),
        ("(AV:N/AC:L/Au:N/C:P/I:P/A:P)", None, True),
        ("AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", "3.1", True),  # CycloneDX: the method names the version
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", None, True),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", None, False),  # A missing
        ("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", None, False),
        ("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", None, False),
        ("CVSS:9.9/AV:N", None, False),
        ("", None, False),
        ("high", None, False),
    ],
)
def test_vectors_parse_by_their_version(vector: str, version: str | None, parses: bool) -> None:
    assert vector_parses(vector, version) is parses


@pytest.mark.parametrize("score", [-0.1, 10.1, float("nan"), float("inf")])
def test_scores_outside_zero_to_ten_are_out_of_range(score: float) -> None:
    assert not score_in_range(score)


# --- Trivy SPDX annotations ----------------------------------------------------------------------------------

TRIVY_SPDX = CORPUS / "spdx" / "centos-7-image.spdx-2.2.trivy-dev.json"
TRIVY_SPDX_TAG_VALUE = CORPUS / "spdx" / "centos-7-image.spdx-2.2.trivy-dev.tag-value.spdx"
TRIVY_CYCLONEDX = CORPUS / "cyclonedx" / "centos-7-image.cdx-1.5.trivy-dev.json"
ANNOTATOR = "Tool: trivy-0.56.1"


def _as_annotations(package: dict[str, Any]) -> dict[str, Any]:
    """A package as Trivy 0.5x writes it: each fact an annotation comment, no attribution texts."""
    texts = package.pop("attributionTexts", [])
    if texts:
        package["annotations"] = [
            {"annotator": ANNOTATOR, "annotationDate": "2024-10-01T00:00:00Z", "annotationType": "OTHER", "comment": t}
            for t in texts
        ]
    return package


def test_trivy_spdx_json_annotations_bind_as_its_cyclonedx_does(tmp_path: Path) -> None:
    data = orjson.loads(TRIVY_SPDX.read_bytes())
    data["packages"] = [_as_annotations(p) for p in data["packages"]]
    converted = tmp_path / "trivy.spdx.json"
    converted.write_bytes(orjson.dumps(data))
    (spdx,) = collect([converted]).items
    (cyclonedx,) = collect([TRIVY_CYCLONEDX]).items
    (original,) = collect([TRIVY_SPDX]).items
    assert spdx.subjects == cyclonedx.subjects == original.subjects
    assert spdx.subjects
    assert [c.layer for c in spdx.components] == [c.layer for c in original.components]  # LayerDiffID too
    assert any(c.layer for c in spdx.components)


def test_trivy_spdx_tag_value_annotations_bind_too(tmp_path: Path) -> None:
    lines = TRIVY_SPDX_TAG_VALUE.read_text().splitlines()
    kept: list[str] = []
    annotations: list[str] = []
    element = ""
    for line in lines:
        if line.startswith("SPDXID: "):
            element = line.removeprefix("SPDXID: ")
        if line.startswith("PackageAttributionText: "):
            comment = line.removeprefix("PackageAttributionText: ")
            annotations += [
                f"Annotator: {ANNOTATOR}",
                "AnnotationDate: 2024-10-01T00:00:00Z",
                "AnnotationType: OTHER",
                f"SPDXREF: {element}",
                f"AnnotationComment: {comment}",
                "",
            ]
        else:
            kept.append(line)
    converted = tmp_path / "trivy.spdx"
    converted.write_text("\n".join([*kept, "", "##### Annotations", "", *annotations]))
    (spdx,) = collect([converted]).items
    (original,) = collect([TRIVY_SPDX_TAG_VALUE]).items
    assert spdx.subjects == original.subjects == collect([TRIVY_CYCLONEDX]).items[0].subjects
    assert [c.layer for c in spdx.components] == [c.layer for c in original.components]


# --- CycloneDX documents with vulnerabilities are scans ------------------------------------------------------

TRIVY_IMAGE_ID = "sha256:f1cb7c7d58b73eac859c395882eec49d50651244e342cd6c68a5c7809785f427"  # in TRIVY_CYCLONEDX


def _trivy_cyclonedx_with_findings(folder: Path) -> Path:
    """The real Trivy CycloneDX file with a finding in the shape trivy's `--scanners vuln` output gives it
    (the corpus holds no Trivy CycloneDX run with vulnerability scanning)."""
    data = orjson.loads(TRIVY_CYCLONEDX.read_bytes())
    ref = data["components"][0]["bom-ref"]
    data["vulnerabilities"] = [trivy_cyclonedx_vulnerability(ref, 7.8, "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H")]
    path = folder / "trivy.cdx.json"
    path.write_bytes(orjson.dumps(data))
    return path


def _control(pkg: AuditPackage, control_id: str) -> ControlResult:
    return next(c for c in pkg.controls if c.catalog == "nist-800-190" and c.control_id == control_id)


def test_a_trivy_cyclonedx_file_with_findings_is_a_scan_and_4_1_1_counts_it(tmp_path: Path) -> None:
    scan = _trivy_cyclonedx_with_findings(tmp_path)
    (item,) = collect([scan]).items
    assert item.kind is EvidenceKind.SBOM
    assert item.also_scan
    assert item.components  # still an SBOM
    out = tmp_path / "out"
    argv = [
        "package",
        str(scan),
        "--image",
        f"r.example/centos@{TRIVY_IMAGE_ID}",
        "--timestamp",
        "2022-06-20T00:00:00Z",
    ]
    assert main([*argv, "--out", str(out), "--quiet"]) == 0
    pkg = load_package(out / "audit.json")
    (record,) = pkg.vulnerabilities
    assert record.id == "CVE-2022-0001"
    assert record.package == "bash"
    assert [r.path for r in record.evidence] == ["trivy.cdx.json"]
    control = _control(pkg, "4.1.1")
    present = next(c for c in control.checks if c.check == "vulnscan.present")
    assert present.status is not Status.EVIDENCE_MISSING, present.reason
    assert "no vulnerability scan" not in control.reason.lower()
    (recorded,) = pkg.evidence
    assert recorded.also_scan


@pytest.mark.parametrize(
    "path",
    [TRIVY_CYCLONEDX, CORPUS / "cyclonedx" / "fluentd-debian10-gems-image.cdx-1.6.trivy-v0.55.0-golden.json"],
    ids=lambda p: p.name,
)
def test_a_cyclonedx_sbom_without_findings_is_not_a_scan(path: Path) -> None:
    (item,) = collect([path]).items
    assert not item.vulnerabilities
    assert not item.also_scan
    assert not item.serves_as(EvidenceKind.VULNERABILITY_SCAN)


def test_a_real_grype_cyclonedx_xml_with_findings_is_a_scan() -> None:
    (item,) = collect([CORPUS / "cyclonedx" / "defectdojo-django-1.15.0-image.cdx-1.2.grype-0.11.0.xml"]).items
    assert item.kind is EvidenceKind.SBOM
    assert item.vulnerabilities
    assert item.also_scan
    scan = dataclasses.replace(item, binding=Binding.MATCH)
    assert len(build_records([scan], DIGEST)) > 0


def test_an_sbom_whose_findings_are_only_its_own_vex_statements_is_not_a_scan() -> None:
    data = orjson.loads(TRIVY_CYCLONEDX.read_bytes())
    vulnerability = trivy_cyclonedx_vulnerability(data["components"][0]["bom-ref"], 7.8, "")
    vulnerability["ratings"] = []
    vulnerability["analysis"] = {"state": "not_affected", "justification": "code_not_reachable"}
    data["vulnerabilities"] = [vulnerability]
    (item,) = collect_bytes(orjson.dumps(data))
    assert item.kind is EvidenceKind.SBOM
    assert item.statements
    assert not item.also_scan


# --- --bind: the user asserts that a file describes the image -----------------------------------------------

SNYK_JSON = CORPUS / "snyk-container-json" / "alpine3.12.9-with-app-vulns.snyk-container-test.json"
GRYPE_SARIF = CORPUS / "sarif" / "grype-presenter-image-snapshot.sarif.json"  # names no image digest
GRYPE_SARIF_NGINX = CORPUS / "sarif" / "nginx-image.grype-0.63.0.sarif.json"  # names the nginx image digest
SYFT_SPDX_NO_DIGEST = CORPUS / "spdx" / "alpine-3.10-image.spdx-2.2.syft.json"


def _assessed(inputs: list[Path], bind: list[Path]) -> AuditPackage:
    return assess(inputs, image=IMAGE, now=datetime(2026, 11, 20, 12, tzinfo=UTC), bind=bind)


def _binding(pkg: AuditPackage, name: str) -> Binding:
    return next(e.binding for e in pkg.evidence if e.path == name)


def test_without_bind_scans_naming_no_digest_are_listed_as_not_used() -> None:
    pkg = _assessed([SNYK_JSON, GRYPE_SARIF], [])
    assert {e.binding for e in pkg.evidence} == {Binding.UNBOUND}
    assert pkg.vulnerabilities == ()
    present = next(c for c in _control(pkg, "4.1.1").checks if c.check == "vulnscan.present")
    assert present.status is Status.EVIDENCE_MISSING
    html = render_html(pkg)
    first_chapter = html[: html.index('id="matrix"')]
    assert "Scans not used" in first_chapter
    for path in (SNYK_JSON, GRYPE_SARIF):
        assert path.name in first_chapter
    assert first_chapter.count("names no image digest: use") == 2
    assert "--bind PATH</span> if it describes this image" in first_chapter


def test_bind_uses_snyk_and_sarif_scans_as_asserted(tmp_path: Path) -> None:
    pkg = _assessed([SNYK_JSON, GRYPE_SARIF], [SNYK_JSON, GRYPE_SARIF])
    assert _binding(pkg, SNYK_JSON.name) is Binding.ASSERTED
    assert _binding(pkg, GRYPE_SARIF.name) is Binding.ASSERTED
    assert pkg.vulnerabilities
    assert {r.path for v in pkg.vulnerabilities for r in v.evidence} == {SNYK_JSON.name, GRYPE_SARIF.name}
    present = next(c for c in _control(pkg, "4.1.1").checks if c.check == "vulnscan.present")
    assert present.status is not Status.EVIDENCE_MISSING, present.reason
    assert "asserted by the user (--bind)" in present.reason

    html = render_html(pkg)
    assert "bind-asserted" in html
    assert "Asserted (--bind)" in html
    assert "names no image digest: use" not in html

    oscal = orjson.loads(render_oscal(pkg))
    observations = oscal["assessment-results"]["results"][0]["observations"]
    bindings = [p["value"] for o in observations for p in o.get("props", []) if p["name"] == "binding"]
    assert bindings.count("asserted") == 2
    assert any("asserted (--bind)" in o["description"] for o in observations)

    workbook = tmp_path / "workbook.xlsx"
    with workbook.open("wb") as out:
        Workbook().render(pkg, out)
    sheet = load_workbook(workbook)["Evidence"]
    header = [c.value for c in sheet[1]]
    column = header.index("Binding")
    names = {SNYK_JSON.name, GRYPE_SARIF.name}
    assert [row[column].value for row in sheet.iter_rows(min_row=2) if row[0].value in names] == ["asserted"] * 2

    audit = tmp_path / "audit.json"
    audit.write_bytes(dumps(pkg))
    assert {e.binding for e in load_package(audit).evidence} == {Binding.ASSERTED}


def test_an_asserted_sbom_is_used_for_its_contents_but_never_bound(tmp_path: Path) -> None:
    pkg = _assessed([SYFT_SPDX_NO_DIGEST], [SYFT_SPDX_NO_DIGEST])
    assert _binding(pkg, SYFT_SPDX_NO_DIGEST.name) is Binding.ASSERTED
    assert pkg.summary is not None
    verdict = pkg.summary.verdict(SummaryTopic.SBOM)
    assert verdict is not None
    assert verdict.status is not Status.SATISFIED
    assert "asserted by the user (--bind)" in verdict.reason
    del tmp_path


def test_bind_of_a_path_not_among_the_inputs_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stray = tmp_path / "elsewhere.json"
    stray.write_bytes(SNYK_JSON.read_bytes())
    assert _package([SNYK_JSON], tmp_path / "out", "--bind", str(stray)) == 2
    err = capsys.readouterr().err
    assert str(stray) in err
    assert "not among the evidence inputs" in err
    assert not (tmp_path / "out").exists()
    with pytest.raises(BindError):
        _assessed([SNYK_JSON], [stray])


def test_bind_of_a_file_inside_an_input_directory(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "snyk.json").write_bytes(SNYK_JSON.read_bytes())
    pkg = _assessed([folder], [folder / "snyk.json"])
    assert _binding(pkg, "evidence/snyk.json") is Binding.ASSERTED


def test_bind_of_a_file_naming_another_digest_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _package([GRYPE_SARIF_NGINX], tmp_path / "out", "--bind", str(GRYPE_SARIF_NGINX)) == 2
    err = capsys.readouterr().err
    assert "names other image digests only" in err
    assert GRYPE_SARIF_NGINX.name in err


# --- counts: a directory scan's SPDX root is not a component ------------------------------------------------

SYFT_SPDX_IMAGE = CORPUS / "spdx" / "kubectl-linux-amd64-image.spdx-2.3.syft-0.90.0.json"


def _as_directory_scan(data: dict[str, Any], kind: str) -> bytes:
    """The real syft image SBOM as syft writes a directory (or file) scan: its described root is the scanned
    source, `SPDXRef-DocumentRoot-Directory-<name>` with purpose FILE, no purl and no digest (the corpus holds no
    syft directory scan, so this one is generated in syft's shape)."""
    image_root = next(p for p in data["packages"] if p["SPDXID"].startswith("SPDXRef-DocumentRoot-Image-"))
    source_id = f"SPDXRef-DocumentRoot-{kind}-kubectl-src"
    source = {
        "name": "kubectl-src",
        "SPDXID": source_id,
        "versionInfo": "0123456789abcdef0123456789abcdef01234567",
        "supplier": "NOASSERTION",
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "primaryPackagePurpose": "FILE",
    }
    data["packages"] = [source if p is image_root else p for p in data["packages"]]
    text = orjson.dumps(data).decode().replace(image_root["SPDXID"], source_id)
    return text.encode()


@pytest.mark.parametrize("kind", ["Directory", "File"])
def test_a_syft_directory_scan_counts_the_same_components_as_the_image_scan(kind: str) -> None:
    (image,) = collect([SYFT_SPDX_IMAGE]).items
    (directory,) = collect_bytes(_as_directory_scan(orjson.loads(SYFT_SPDX_IMAGE.read_bytes()), kind))
    assert directory.subjects == ()
    assert len(directory.components) == len(image.components) == 88
    assert "kubectl-src" not in {c.name for c in directory.components}


def test_a_described_product_package_is_still_a_component() -> None:
    (item,) = collect([CORPUS / "spdx" / "bitnami-postgresql-17.2.0-in-image.spdx-2.3.json"]).items
    assert "postgresql" in {c.name for c in item.components}


def _check(pkg: AuditPackage, name: str) -> CheckResult:
    return next(result for control in pkg.controls for result in control.checks if result.check == name)


def test_an_asserted_dockerfile_shows_its_facts_and_says_it_is_asserted(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM registry.example.com/base@{'sha256:' + 'cd' * 32}\nRUN true\nUSER 1000\n")
    without = _assessed([dockerfile], [])
    pinned = _check(without, "base_image.pinned")
    assert pinned.status is Status.EVIDENCE_MISSING  # a Dockerfile nothing binds shows nothing about the image
    asserted = _assessed([dockerfile], [dockerfile])
    assert _binding(asserted, "Dockerfile") is Binding.ASSERTED
    pinned = _check(asserted, "base_image.pinned")
    assert pinned.status is Status.SATISFIED, pinned.reason
    assert "asserted by the user (--bind)" in pinned.reason
    signature = _check(asserted, "signature.verified")
    assert signature.status is not Status.SATISFIED


def test_a_duplicate_key_as_deep_as_orjson_reads_is_found() -> None:
    depth = 511  # an array and an object per level: 1,022 levels, the most orjson reads is 1,024
    data = b'[{"a":' * depth + b'{"b": 1, "b": 2}' + b"}]" * depth
    doc = Document(path="x.json", data=data)
    assert doc.json() is not None
    found = doc.duplicate_key()
    assert found is not None
    assert found.pointer == "/0/a" * depth + "/b"
    assert Document(path="x.json", data=b'{"a":' * 1023 + b"1" + b"}" * 1023).duplicate_key() is None
