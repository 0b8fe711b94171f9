"""The outputs for other tools: SARIF 2.1.0, OpenVEX 0.2.0, CycloneDX 1.6 VEX and Heimdall (HDF).

Each is held to its published schema (tests/data/output-schemas/, sources in SOURCES.md), read back where a real
reader is at hand (Fromline's own OpenVEX and CycloneDX collectors, cyclonedx-python-lib; the SAF CLI and
sarif-tools when installed), and checked for what it must say: suppressed findings stay, with the statement that
suppressed them; the same inputs give the same bytes; text from the evidence stays data.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import pytest
from conftest import SAMPLES, sample_package_args

from evidence.cli import main
from evidence.collectors import collect
from evidence.model import (
    AuditPackage,
    CatalogInfo,
    CheckResult,
    ControlResult,
    Evidence,
    EvidenceKind,
    EvidenceRef,
    ImageRef,
    Scope,
    Severity,
    Status,
    Suppression,
    ToolInfo,
    VexStatement,
    VulnerabilityRecord,
    VulnerabilityState,
)
from evidence.render import OPT_IN_FORMATS, Format, formats_for, make_renderer

SCHEMAS = Path(__file__).parent / "data" / "output-schemas"
FILES = {
    Format.SARIF: ("fromline.sarif", "sarif-schema-2.1.0.json"),
    Format.OPENVEX: ("vex.openvex.json", "openvex_json_schema.json"),
    Format.CDX_VEX: ("vex.cdx.json", "bom-1.6.schema.json"),
    Format.HDF: ("hdf.json", "exec-json.json"),
}
RELEASE = "1.4.0"
# An approved false positive for glibc's disputed CVE (libc-bin and libc6), beside the VEX statements the policy
# trusts (zlib1g's CVE-2023-45853, setuptools' CVE-2025-47273): four suppressed records, two of each kind.
DEVIATIONS = """\
deviations:
  - id: DR-7
    type: false-positive
    vulnerability: CVE-2019-1010022
    justification: Disputed upstream; the stack guard is not the boundary here.
    approver: Jane Roe (AO)
    approved: 2026-11-12
"""
VEX_SUPPRESSED = {"CVE-2023-45853", "CVE-2025-47273"}
DEVIATION_SUPPRESSED = {"CVE-2019-1010022"}
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DIGEST = "sha256:" + "cd" * 32
HOSTILE = 'He said "run" <script>alert(1)</script>\nline two\\ \u202eexe.png & </x>'


@cache
def _validator(schema: str) -> Any:
    document = json.loads((SCHEMAS / schema).read_text(encoding="utf-8"))
    registry = jsonschema_rs.Registry(
        [
            (json.loads((SCHEMAS / name).read_text(encoding="utf-8"))["$id"], json.loads((SCHEMAS / name).read_text()))
            for name in ("spdx.schema.json", "jsf-0.82.schema.json")
        ]
    )
    return jsonschema_rs.validator_for(document, validate_formats=True, registry=registry)


def schema_errors(fmt: Format, document: object) -> list[str]:
    return [f"{list(e.instance_path)}: {e.message[:300]}" for e in _validator(FILES[fmt][1]).iter_errors(document)]


def _build(folder: Path, out: Path, *extra: str) -> Path:
    author = orjson.loads((SAMPLES / f"webapp-{RELEASE}" / "openvex.json").read_bytes())["author"]
    policy = folder / "policy.yaml"
    policy.write_text(f"version: 1\nrules:\n  - vex_authors: [{orjson.dumps(author).decode()}]\n", encoding="utf-8")
    deviations = folder / "deviations.yaml"
    deviations.write_text(DEVIATIONS, encoding="utf-8")
    args = sample_package_args(RELEASE, out, "--policy", str(policy), "--deviations", str(deviations), "--quiet")
    assert main([*args, "--formats", "sarif,vex,hdf", *extra]) in (0, 1)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample package with the four outputs, twice, into two folders."""
    folder = tmp_path_factory.mktemp("ecosystem")
    return _build(folder, folder / "one"), _build(folder, folder / "two")


def _load(package: Path, fmt: Format) -> Any:
    return orjson.loads((package / FILES[fmt][0]).read_bytes())


def _audit(package: Path) -> dict[str, Any]:
    result: dict[str, Any] = orjson.loads((package / "audit.json").read_bytes())
    return result


# --- schemas and determinism ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(OPT_IN_FORMATS))
def test_the_sample_outputs_are_valid_and_the_same_bytes_twice(built: tuple[Path, Path], fmt: Format) -> None:
    one, two = built
    name = FILES[fmt][0]
    assert schema_errors(fmt, _load(one, fmt)) == []
    assert (one / name).read_bytes() == (two / name).read_bytes()
    manifest = orjson.loads((one / "manifest.json").read_bytes())
    assert name in {f["path"] for f in manifest["files"]}


@pytest.mark.parametrize("fmt", sorted(OPT_IN_FORMATS))
def test_each_schema_refuses_a_broken_document(built: tuple[Path, Path], fmt: Format) -> None:
    """The validators are not vacuous: a wrong value where each format constrains one is an error."""
    document = _load(built[0], fmt)
    if fmt is Format.SARIF:
        document["runs"][0]["results"][0]["level"] = "fatal"
    elif fmt is Format.OPENVEX:
        document["statements"][0]["status"] = "fine"
    elif fmt is Format.CDX_VEX:
        document["vulnerabilities"][0]["analysis"]["state"] = "fine"
    else:
        document["profiles"][0]["controls"][0]["results"][0]["status"] = "fine"
    assert schema_errors(fmt, document)


def test_bundled_schemas_are_the_files_sources_names() -> None:
    rows = [
        line for line in (SCHEMAS / "SOURCES.md").read_text(encoding="utf-8").splitlines() if line.startswith("| `")
    ]
    named = {row.split("`")[1]: row for row in rows}
    assert set(named) == {p.name for p in SCHEMAS.glob("*.json")}
    for name, row in named.items():
        blob = subprocess.run(
            ["git", "hash-object", str(SCHEMAS / name)], check=True, capture_output=True, text=True
        ).stdout.strip()
        assert f"`{blob}`" in row, name


def test_opt_in_formats_are_written_only_when_named(tmp_path: Path) -> None:
    pkg = _package()
    assert not OPT_IN_FORMATS & set(formats_for(pkg))
    out = tmp_path / "default"
    assert main([*sample_package_args(RELEASE, out), "--quiet", "--formats", "oscal-ar"]) in (0, 1)
    assert not any((out / FILES[f][0]).exists() for f in OPT_IN_FORMATS)
    vex = tmp_path / "vex"
    assert main([*sample_package_args(RELEASE, vex), "--quiet", "--formats", "vex"]) in (0, 1)
    assert (vex / "vex.openvex.json").is_file()
    assert (vex / "vex.cdx.json").is_file()
    assert not (vex / "fromline.sarif").exists()


# --- what each says of the sample ----------------------------------------------------------------------


def test_sarif_keeps_suppressed_findings_with_their_statements(built: tuple[Path, Path]) -> None:
    run = _load(built[0], Format.SARIF)["runs"][0]
    assert run["tool"]["driver"]["name"] == "fromline"
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    audit = _audit(built[0])
    failing = {f"{c['catalog']}/{c['control_id']}" for c in audit["controls"] if c["status"] == "not-satisfied"}
    assert failing
    assert failing <= rules
    results = run["results"]
    assert all(
        r["ruleId"] in rules and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results
    )
    assert all(r["partialFingerprints"] for r in results)
    for rule in failing:
        assert next(r for r in results if r["ruleId"] == rule)["level"] == "error"
    suppressed = {r["ruleId"]: r["suppressions"][0] for r in results if "suppressions" in r}
    assert set(suppressed) == VEX_SUPPRESSED | DEVIATION_SUPPRESSED
    assert all(s["kind"] == "external" for s in suppressed.values())
    assert "libminizip1" in suppressed["CVE-2023-45853"]["justification"]  # the VEX statement's impact text
    assert "DR-7" in suppressed["CVE-2019-1010022"]["justification"]
    open_ids = {v["id"] for v in audit["vulnerabilities"] if v["state"] == "open"}
    assert open_ids <= {r["ruleId"] for r in results if "suppressions" not in r}
    h11 = next(r for r in results if r["ruleId"] == "CVE-2025-43859")
    assert h11["level"] == "error"
    assert "0.16.0" in h11["message"]["text"]


def test_sarif_fingerprints_do_not_change_with_the_assessment_time(built: tuple[Path, Path], tmp_path: Path) -> None:
    later = _build(tmp_path, tmp_path / "later", "--timestamp", "2026-11-27T12:00:00Z")

    def prints(package: Path) -> list[object]:
        return [r["partialFingerprints"] for r in _load(package, Format.SARIF)["runs"][0]["results"]]

    assert prints(later) == prints(built[0])


def test_openvex_states_every_finding_fromline_knows(built: tuple[Path, Path]) -> None:
    document = _load(built[0], Format.OPENVEX)
    audit = _audit(built[0])
    assert document["author"] == f"Fromline (assessment of {audit['subject']['reference']})"
    assert document["timestamp"] == "2026-11-20T12:00:00Z"
    assert document["@id"].startswith("urn:uuid:")
    statements = document["statements"]
    assert len(statements) == len(audit["vulnerabilities"])
    by = {(s["vulnerability"]["name"], s["products"][0]["subcomponents"][0]["@id"]): s for s in statements}
    for record in audit["vulnerabilities"]:
        statement = by[record["id"], record["purl"]]
        product = statement["products"][0]
        assert product["@id"].startswith("pkg:oci/webapp@sha256%3A")
        assert audit["subject"]["digest"].removeprefix("sha256:") in product["@id"]
        if record["id"] in VEX_SUPPRESSED:
            assert statement["status"] == "not_affected"
            assert statement["justification"] == record["vex"]["statement"]["justification"]
            assert statement["impact_statement"] == record["vex"]["statement"]["impact_statement"]
        elif record["id"] in DEVIATION_SUPPRESSED:
            assert statement["status"] == "not_affected"
            assert statement["impact_statement"].startswith("Disputed upstream")
        else:
            assert statement["status"] == "affected"
            fix = "fixed version" if record["fixed_versions"] else "No fix available"
            assert fix in statement["action_statement"]


def test_cyclonedx_vex_refers_to_components_it_lists(built: tuple[Path, Path]) -> None:
    bom = _load(built[0], Format.CDX_VEX)
    refs = {c["bom-ref"] for c in bom["components"]}
    states: dict[str, set[str]] = {}
    for vulnerability in bom["vulnerabilities"]:
        assert {a["ref"] for a in vulnerability["affects"]} <= refs
        assert vulnerability["ratings"][0]["severity"] in {"critical", "high", "medium", "low", "info", "unknown"}
        states.setdefault(vulnerability["analysis"]["state"], set()).add(vulnerability["id"])
    assert states["not_affected"] == VEX_SUPPRESSED
    assert states["false_positive"] == DEVIATION_SUPPRESSED
    assert set(states) == {"not_affected", "false_positive", "exploitable"}
    zlib = next(v for v in bom["vulnerabilities"] if v["id"] == "CVE-2023-45853")
    assert zlib["analysis"]["justification"] == "code_not_present"
    assert "libminizip1" in zlib["analysis"]["detail"]
    h11 = next(v for v in bom["vulnerabilities"] if v["id"] == "CVE-2025-43859")
    assert h11["analysis"]["response"] == ["update"]


def test_hdf_controls_carry_the_verdicts(built: tuple[Path, Path]) -> None:
    document = _load(built[0], Format.HDF)
    audit = _audit(built[0])
    controls = {c["id"]: c for c in document["profiles"][0]["controls"]}
    assert len(controls) == len(audit["controls"])
    for verdict in audit["controls"]:
        control = controls[f"{verdict['catalog']}/{verdict['control_id']}"]
        assert control["tags"]["nist"] == verdict["nist_800_53"]
        (result,) = control["results"]
        assert result["start_time"] == "2026-11-20T12:00:00Z"
        expected = {"not-satisfied": "failed", "evidence-missing": "failed"}.get(verdict["status"], "skipped")
        if verdict["status"] == "satisfied":
            expected = "passed" if verdict["scope"] == "full" else "skipped"
        assert result["status"] == expected
        assert verdict["reason"] in (result.get("message") or result["skip_message"])


# --- read back by real readers ---------------------------------------------------------------------------


def test_fromline_reads_its_own_vex_back(built: tuple[Path, Path]) -> None:
    """Fromline's OpenVEX and CycloneDX collectors (written against those specifications) read both documents
    to the same statuses: not_affected for the suppressed findings, affected for the open ones."""
    for name in ("vex.openvex.json", "vex.cdx.json"):
        collected = collect([built[0] / name])
        (item,) = collected.items
        statuses: dict[str, set[str]] = {}
        for statement in item.statements:
            statuses.setdefault(statement.status, set()).add(statement.vulnerability)
        assert statuses["not_affected"] == VEX_SUPPRESSED | DEVIATION_SUPPRESSED, name
        assert "CVE-2025-43859" in statuses["affected"], name
        zlib = next(s for s in item.statements if s.vulnerability == "CVE-2023-45853")
        assert zlib.justification == "vulnerable_code_not_present", name


def test_cyclonedx_python_lib_reads_the_bom(built: tuple[Path, Path]) -> None:
    from cyclonedx.model.bom import Bom  # noqa: PLC0415

    bom = Bom.from_json(_load(built[0], Format.CDX_VEX))  # type: ignore[attr-defined]
    states = {str(v.id): v.analysis.state.value for v in bom.vulnerabilities if v.analysis and v.analysis.state}
    assert states["CVE-2023-45853"] == "not_affected"
    assert states["CVE-2019-1010022"] == "false_positive"
    assert len(bom.components) == len(_load(built[0], Format.CDX_VEX)["components"])


def _saf_summary(hdf: Path, cwd: Path) -> dict[str, Any]:
    """`saf view summary` of one HDF file, run in `cwd`: the CLI writes its saf-cli.log where it runs."""
    run = subprocess.run(
        ["saf", "view", "summary", "-i", str(hdf), "-f", "json"], check=False, capture_output=True, text=True,
        timeout=300, cwd=cwd,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    (summary,) = json.loads(run.stdout)
    assert isinstance(summary, dict)
    return summary


@pytest.mark.skipif(shutil.which("saf") is None, reason="the MITRE SAF CLI (npm @mitre/saf) is not installed")
def test_saf_cli_counts_the_verdicts(built: tuple[Path, Path], tmp_path: Path) -> None:
    """The SAF CLI's summary of hdf.json counts each status as Fromline's verdicts say."""
    summary = _saf_summary(built[0] / "hdf.json", tmp_path)
    assert summary["profileName"] == "fromline-default"
    statuses = [c["status"] for c in _audit(built[0])["controls"]]
    failed = sum(s in ("not-satisfied", "evidence-missing") for s in statuses)
    assert summary["failed"]["total"] == failed
    assert summary["failed"]["total"] + summary["passed"]["total"] + summary["skipped"]["total"] == len(statuses)
    hand = tmp_path / "hdf.json"
    hand.write_bytes(_render(_package(), Format.HDF))
    counts = {k: v["total"] for k, v in _saf_summary(hand, tmp_path).items() if isinstance(v, dict)}
    assert counts == {"passed": 1, "failed": 2, "skipped": 3, "error": 0, "no_impact": 1}


# sarif-tools comes with the test extra: its `sarif` command sits beside this interpreter, or on PATH.
_SARIF = shutil.which("sarif", path=str(Path(sys.executable).parent)) or shutil.which("sarif")


@pytest.mark.skipif(_SARIF is None, reason="sarif-tools (PyPI sarif-tools) is not installed")
def test_sarif_tools_reads_the_log(built: tuple[Path, Path]) -> None:
    assert _SARIF is not None
    run = subprocess.run(
        [_SARIF, "summary", str(built[0] / "fromline.sarif")], check=False, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "error:" in run.stdout
    assert "CVE-2025-43859" in run.stdout


# --- packages built by hand: hostile text, Dockerfile lines, every status ------------------------------------


def _ref(evidence: Evidence, location: str | None = None) -> EvidenceRef:
    return EvidenceRef(evidence_id=evidence.id, path=evidence.path, sha256=evidence.sha256, location=location)


def _package() -> AuditPackage:
    dockerfile = Evidence(
        id="ev-000000000001", path="app/Dockerfile", sha256="1" * 64, size=10, kind=EvidenceKind.DOCKERFILE,
        format="dockerfile",
    )  # fmt: skip
    vex = Evidence(
        id="ev-000000000002", path="/abs/vex.json", sha256="2" * 64, size=10, kind=EvidenceKind.VEX, format="openvex"
    )
    statement = VexStatement(
        vulnerability="CVE-2026-0002", status="not_affected", justification="component_not_present",
        impact_statement=HOSTILE, author=HOSTILE, location="/statements/0",
    )  # fmt: skip
    controls = [
        ControlResult(
            catalog="cis-docker", control_id="4.1", title=HOSTILE, status=Status.NOT_SATISFIED, reason=HOSTILE,
            nist_800_53=("AC-6",), evidence=(_ref(dockerfile),),
            checks=(CheckResult(check="user.non_root", status=Status.NOT_SATISFIED, reason="root",
                                evidence=(_ref(dockerfile, "line 7"),)),),
        ),
        ControlResult(catalog="c", control_id="2", title="t", status=Status.EVIDENCE_MISSING, reason="no scan"),
        ControlResult(catalog="c", control_id="3", title="t", status=Status.SATISFIED, reason="ok"),
        ControlResult(catalog="c", control_id="4", title="t", status=Status.SATISFIED, reason="part",
                      scope=Scope.PARTIAL, not_shown="the registry"),
        ControlResult(catalog="c", control_id="5", title="t", status=Status.NOT_APPLICABLE, reason="n/a"),
        ControlResult(catalog="c", control_id="6", title="t", status=Status.MANUAL, reason="examine"),
        ControlResult(catalog="c", control_id="7", title="t", status=Status.NOT_ASSESSED, reason="host",
                      category="CAT I"),
    ]  # fmt: skip
    vulnerabilities = [
        VulnerabilityRecord(
            id="CVE-2026-0001", package="pkg<script>", installed_version='1"2', purl="pkg:npm/evil@1", title=HOSTILE,
            severity=Severity.HIGH, fixed_versions=(HOSTILE,),
        ),
        VulnerabilityRecord(
            id="CVE-2026-0002", package="nopurl", title=HOSTILE, severity=Severity.LOW,
            state=VulnerabilityState.SUPPRESSED, suppression=Suppression(statement=statement, evidence=_ref(vex),
            trusted_by="policy author x"),
        ),
        VulnerabilityRecord(id="CVE-2026-0003", package="gone", purl="pkg:npm/gone@1",
                            state=VulnerabilityState.CLOSED),
    ]  # fmt: skip
    catalogs = tuple(
        CatalogInfo(id=c, title=c, version="1", source=f"{c}.yaml", sha256="0" * 64) for c in ("cis-docker", "c")
    )
    return AuditPackage(
        tool=ToolInfo(name="fromline", version="0.1.0"),
        subject=ImageRef.parse(f"registry.example.com/team/app@{DIGEST}", "2.0"),
        profile="default",
        assessed_at=NOW,
        catalogs=catalogs,
        evidence=(dockerfile, vex),
        controls=tuple(controls),
        vulnerabilities=tuple(vulnerabilities),
    )


def _render(pkg: AuditPackage, fmt: Format) -> bytes:
    import io  # noqa: PLC0415

    out = io.BytesIO()
    make_renderer(fmt).render(pkg, out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", sorted(OPT_IN_FORMATS))
def test_hostile_text_stays_data(fmt: Format) -> None:
    data = _render(_package(), fmt)
    assert b"\xe2\x80\xae" not in data  # U+202E is shown as an escape, never written as itself
    assert b"<script>" in data  # JSON has no markup: the text is kept, inside strings
    document = orjson.loads(data)
    assert schema_errors(fmt, document) == []
    strings = _strings(document)
    assert any('He said "run" <script>alert(1)</script>\nline two' in s for s in strings)
    assert data == _render(_package(), fmt)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_sarif_places_a_dockerfile_verdict_on_its_line() -> None:
    run = orjson.loads(_render(_package(), Format.SARIF))["runs"][0]
    results = {r["ruleId"]: r for r in run["results"]}
    assert set(results) == {"cis-docker/4.1", "c/2", "CVE-2026-0001", "CVE-2026-0002"}  # no satisfied, no closed
    physical = results["cis-docker/4.1"]["locations"][0]["physicalLocation"]
    assert physical == {"artifactLocation": {"uri": "app/Dockerfile"}, "region": {"startLine": 7}}
    image = results["c/2"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert image == f"registry.example.com/team/app@{DIGEST}"
    assert results["CVE-2026-0001"]["level"] == "error"
    assert results["CVE-2026-0002"]["level"] == "note"
    assert results["CVE-2026-0002"]["suppressions"][0]["kind"] == "external"
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "cis-docker/4.1")
    assert rule["properties"]["nist-800-53"] == ["AC-6"]


def test_hdf_status_and_impact_of_every_verdict() -> None:
    controls = orjson.loads(_render(_package(), Format.HDF))["profiles"][0]["controls"]
    got = {c["id"]: (c["results"][0]["status"], c["impact"]) for c in controls}
    assert got == {
        "cis-docker/4.1": ("failed", 0.5),
        "c/2": ("failed", 0.5),
        "c/3": ("passed", 0.5),
        "c/4": ("skipped", 0.5),
        "c/5": ("skipped", 0.0),
        "c/6": ("skipped", 0.5),
        "c/7": ("skipped", 0.7),
    }
    partial = next(c for c in controls if c["id"] == "c/4")["results"][0]
    assert "the registry" in partial["skip_message"]


def test_vex_of_a_closed_and_a_purl_less_finding() -> None:
    statements = orjson.loads(_render(_package(), Format.OPENVEX))["statements"]
    closed = next(s for s in statements if s["vulnerability"]["name"] == "CVE-2026-0003")
    assert closed["status"] == "fixed"
    bare = next(s for s in statements if s["vulnerability"]["name"] == "CVE-2026-0002")
    assert "subcomponents" not in bare["products"][0]
    assert bare["justification"] == "component_not_present"
    assert "nopurl" in bare["status_notes"]
    bom = orjson.loads(_render(_package(), Format.CDX_VEX))
    assert {v["analysis"]["state"] for v in bom["vulnerabilities"]} == {"exploitable", "not_affected", "resolved"}


# --- the scanners that take VEX: where their binaries install (neither is on PyPI or in Debian here) -------------

_SUPPRESSED = "CVE-2023-45853"  # zlib's, not_affected by the sample's VEX


@pytest.mark.skipif(shutil.which("trivy") is None, reason="Trivy is not installed (no PyPI or Debian package here)")
def test_trivy_reads_the_openvex_back(built: tuple[Path, Path], tmp_path: Path) -> None:
    vex = built[0] / FILES[Format.OPENVEX][0]
    sbom = SAMPLES / "webapp-1.4.0" / "sbom.cdx.json"
    done = subprocess.run(
        ["trivy", "sbom", "--format", "json", "--vex", str(vex), "--cache-dir", str(tmp_path), str(sbom)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    found = {
        v["VulnerabilityID"] for r in json.loads(done.stdout).get("Results", []) for v in r.get("Vulnerabilities") or []
    }
    assert _SUPPRESSED not in found


@pytest.mark.skipif(shutil.which("grype") is None, reason="Grype is not installed (no PyPI or Debian package here)")
def test_grype_reads_the_openvex_back(built: tuple[Path, Path]) -> None:
    vex = built[0] / FILES[Format.OPENVEX][0]
    sbom = SAMPLES / "webapp-1.4.0" / "sbom.cdx.json"
    done = subprocess.run(
        ["grype", f"sbom:{sbom}", "--vex", str(vex), "-o", "json"],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    matched = {m["vulnerability"]["id"] for m in json.loads(done.stdout).get("matches", [])}
    assert _SUPPRESSED not in matched
