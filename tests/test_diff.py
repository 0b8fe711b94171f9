"""`fromline diff` and `package --previous`: the two sample releases, escaping, exit codes, and properties."""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote

import orjson
import pytest
from conftest import SAMPLE_KEY, SAMPLE_TIMESTAMP, SAMPLES, SamplePackages, sample_image, sample_package_args
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token
from openpyxl import load_workbook

from evidence.cli import main
from evidence.diff.compare import compare, component_key, summarize
from evidence.diff.gate import CONDITIONS, holding
from evidence.diff.render import change_rows, code, render_html, render_json, render_markdown
from evidence.diff.versions import compare_versions, dpkg_compare, generic_compare
from evidence.errors import RenderError
from evidence.evaluate import derive_recorded
from evidence.model import (
    Attribution,
    AuditPackage,
    Binding,
    Component,
    ControlResult,
    DiffSummary,
    DockerfileFacts,
    Evidence,
    EvidenceKind,
    ImageRef,
    Located,
    NewCause,
    NewVulnerability,
    PackageDiff,
    PoamStatus,
    ProvenanceFacts,
    RiskStatus,
    Severity,
    SeverityCount,
    SignatureFacts,
    SignatureMethod,
    Status,
    StatusChange,
    ToolInfo,
    Verification,
    VersionChange,
    Vulnerability,
    VulnerabilityRecord,
    VulnerabilityState,
)
from evidence.render.canonical import dumps, load_package
from evidence.render.xlsx import change_counts_section

TIMESTAMP = SAMPLE_TIMESTAMP
OLD, NEW = "1.3.0", "1.4.0"
JSON_KEYS = [
    "schema_version", "old", "new", "vulnerabilities", "components", "controls", "signatures", "provenance",
    "base_image", "evidence", "rubric", "verdicts", "poam", "summary",
]  # fmt: skip


def package(release: str, out: Path, *extra: str) -> Path:
    assert main(sample_package_args(release, out, "--quiet", *extra)) in (0, 1)
    return out


@pytest.fixture(scope="module")
def releases(sample_package: SamplePackages) -> tuple[Path, Path]:
    """The packages of the two sample releases, shared by the session: only read them."""
    return sample_package(OLD), sample_package(NEW)


@pytest.fixture(scope="module")
def sample_diff(releases: tuple[Path, Path]) -> PackageDiff:
    old, new = releases
    return compare(load_package(old / "audit.json"), load_package(new / "audit.json"))


# --- independent readings of the sample files -----------------------------------------------------------


def sbom_versions(release: str) -> dict[str, str]:
    """purl without version and qualifiers -> version, read straight from the CycloneDX file."""
    bom = orjson.loads((SAMPLES / f"webapp-{release}" / "sbom.cdx.json").read_bytes())
    found = {}
    for c in bom["components"]:
        if "purl" in c:
            base = unquote(c["purl"].split("?")[0].rsplit("@", 1)[0]).lower()
            found[base] = c["version"]
    return found


def scanned(release: str) -> set[tuple[str, str, str]]:
    """(CVE, package, installed version) from both scanners' files."""
    folder = SAMPLES / f"webapp-{release}"
    found = set()
    trivy = orjson.loads((folder / "trivy.json").read_bytes())
    for result in trivy["Results"]:
        for v in result.get("Vulnerabilities") or []:
            found.add((v["VulnerabilityID"], v["PkgName"].lower(), v["InstalledVersion"]))
    grype = orjson.loads((folder / "grype.json").read_bytes())
    for m in grype["matches"]:
        ids = [m["vulnerability"]["id"], *(r["id"] for r in m.get("relatedVulnerabilities", []))]
        cve = next((i for i in ids if i.startswith("CVE-")), ids[0])
        found.add((cve, m["artifact"]["name"].lower(), m["artifact"]["version"]))
    return found


def _identity(v: Vulnerability) -> tuple[str, str, str]:
    return (v.id, v.package.lower(), v.installed_version or "")


# --- the two sample releases ----------------------------------------------------------------------------


def test_sample_components(sample_diff: PackageDiff) -> None:
    before, after = sbom_versions(OLD), sbom_versions(NEW)
    c = sample_diff.components
    assert {x.key for x in c.added} == {f"pkg:{k[4:]}" for k in after.keys() - before.keys()}
    assert {x.key for x in c.added} == {f"pkg:pypi/{n}" for n in ("anyio", "h11", "httpcore", "httpx", "sniffio")}
    assert not c.removed
    changed_purls = {k for k in before.keys() & after.keys() if before[k] != after[k]}
    assert len([x for x in c.changed if x.key.startswith("pkg:")]) == len(changed_purls) == 20
    by_name = {x.name.lower(): x for x in c.changed}
    assert (by_name["gunicorn"].old_version, by_name["gunicorn"].new_version) == ("21.2.0", "23.0.0")
    assert by_name["gunicorn"].change is VersionChange.UPGRADED
    assert (by_name["setuptools"].old_version, by_name["setuptools"].new_version) == ("69.5.1", "75.8.0")
    assert by_name["setuptools"].change is VersionChange.UPGRADED
    assert by_name["tzdata"].change is VersionChange.UPGRADED  # 2025b-0+deb12u1 -> 2026a-0+deb12u1, dpkg order
    # the distro qualifier moves from debian-12.12 to debian-12.13 on every deb package: not a change of identity
    assert "zlib1g" not in by_name
    assert all(x.change is VersionChange.UPGRADED for x in c.changed)
    assert [x.name for x in c.added if x.name == "h11"] == ["h11"]


def test_sample_vulnerabilities(sample_diff: PackageDiff) -> None:
    v = sample_diff.vulnerabilities
    old, new = scanned(OLD), scanned(NEW)
    gone = {(i, p) for i, p, _ in old} - {(i, p) for i, p, _ in new}
    came = {(i, p) for i, p, _ in new} - {(i, p) for i, p, _ in old}
    assert {(x.id, x.package.lower()) for x in v.removed} == gone
    assert {(a.vulnerability.id, a.vulnerability.package.lower()) for a in v.added} == came
    new_ones = {a.vulnerability.id: a for a in v.added}
    h11 = new_ones["CVE-2025-43859"]
    assert (h11.vulnerability.package, h11.vulnerability.installed_version) == ("h11", "0.14.0")
    assert h11.vulnerability.severity == Severity.CRITICAL.value
    assert h11.cause is NewCause.IMAGE_CHANGED  # h11 is not in 1.3.0 at all
    assert new_ones["CVE-2025-47278"].cause is NewCause.IMAGE_CHANGED  # Flask 3.0.3 -> 3.1.0
    assert {x.id for x in v.removed} >= {"CVE-2024-1135", "CVE-2024-6827"}  # gunicorn 21.2.0 -> 23.0.0
    # still affected after an upgrade: still open, with the version change, not fixed and new again
    changed = {c.new.id: c for c in v.changed}
    assert changed["CVE-2025-50181"].aspects == ("installed-version",)
    assert (changed["CVE-2025-50181"].old.installed_version, changed["CVE-2025-50181"].new.installed_version) == (
        "2.2.2",
        "2.2.3",
    )
    assert "CVE-2025-50181" in {s.vulnerability.id for s in v.still_open}
    # the 1.4.0 VEX document of the image's own team, unsigned and its author not in a policy, only proposes a
    # false positive: the zlib1g finding open in 1.3.0 stays open
    assert "CVE-2023-45853" not in changed
    both_open = {s.vulnerability.id for s in v.still_open}
    assert {"CVE-2024-56201", "CVE-2023-45853"} <= both_open
    ages = {s.age_days for s in v.still_open}
    assert ages == {66}  # first detected at the 1.3.0 scan, 2026-09-15, assessed 2026-11-20


def test_sample_controls_signer_provenance_base_image(sample_diff: PackageDiff, releases: tuple[Path, Path]) -> None:
    old_raw = orjson.loads((releases[0] / "audit.json").read_bytes())
    new_raw = orjson.loads((releases[1] / "audit.json").read_bytes())
    before = {(c["catalog"], c["control_id"]): c["status"] for c in old_raw["controls"]}
    after = {(c["catalog"], c["control_id"]): c["status"] for c in new_raw["controls"]}
    differing = {k for k in before.keys() & after.keys() if before[k] != after[k]}
    assert {(c.catalog, c.control_id) for c in sample_diff.controls.changed} == differing
    kinds = {c.control_id: c.change for c in sample_diff.controls.changed}
    assert kinds["4.1.5"] is StatusChange.IMPROVEMENT  # 1.4.0's pinned base image
    assert StatusChange.REGRESSION not in kinds.values()

    # Both sample releases are signed with the one sample key, named with --key, so the signer did not change.
    assert sample_diff.signatures.old == sample_diff.signatures.new
    assert len(sample_diff.signatures.new) == 1
    assert not sample_diff.signatures.new[0].key_from_evidence
    assert not sample_diff.signatures.added
    assert not sample_diff.signatures.removed

    assert [f.field for f in sample_diff.provenance.changed] == ["source_revision"]
    assert not holding(sample_diff, ["provenance-change"])  # a new revision is what a release is

    base = sample_diff.base_image
    assert [f.field for f in base.changed] == ["digest"]
    assert base.old is not None
    assert base.new is not None
    assert (base.old.name, base.old.version) == (base.new.name, base.new.version) == ("python", "3.12-slim-bookworm")
    envelope = orjson.loads((SAMPLES / f"webapp-{OLD}" / "provenance.intoto.json").read_bytes())
    statement = orjson.loads(base64.b64decode(envelope["payload"]))
    resolved = statement["predicate"]["buildDefinition"]["resolvedDependencies"]
    python = [d["digest"]["sha256"] for d in resolved if "python" in d.get("uri", d.get("name", ""))]
    assert base.old.digest == f"sha256:{python[0]}"  # 1.3.0's Dockerfile is unpinned: the provenance says
    label = orjson.loads((SAMPLES / f"webapp-{NEW}" / "image-inspect.json").read_bytes())[0]["Config"]["Labels"]
    assert base.new.digest == label["org.opencontainers.image.base.digest"]

    assert not sample_diff.evidence.added
    assert not sample_diff.evidence.removed
    old_files = {e["path"].split("/", 1)[1]: e["sha256"] for e in old_raw["evidence"]}
    new_files = {e["path"].split("/", 1)[1]: e["sha256"] for e in new_raw["evidence"]}
    assert {c.key for c in sample_diff.evidence.changed} == {k for k in new_files if new_files[k] != old_files[k]}
    assert len(sample_diff.evidence.changed) == 9  # every file: the key is not among the evidence


def test_a_package_compared_with_itself_is_empty(releases: tuple[Path, Path]) -> None:
    pkg = load_package(releases[1] / "audit.json")
    diff = compare(pkg, pkg)
    assert diff.is_empty()
    assert "No changes." in render_markdown(diff)
    first = {(r.id, r.package): r.first_detected for r in pkg.vulnerabilities}
    for s in diff.vulnerabilities.still_open:
        detected = first[s.vulnerability.id, s.vulnerability.package]
        assert detected is not None
        assert s.open_since == detected  # the scan of 1.4.0, the day before the assessment
        assert s.age_days == (pkg.assessed_at - detected).days == 1


# --- the command --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fail_on", "code_"),
    [
        ("", 0),
        ("new-critical", 1),
        ("new-high", 1),
        ("new-kev", 0),
        ("control-regression", 0),
        ("signature-change", 0),
        ("provenance-change", 0),
        ("base-image-change", 1),
        ("evidence-missing", 0),
        ("suppression-gained", 0),
        ("signature-change,new-critical", 1),
    ],
)
def test_fail_on_exit_codes(
    releases: tuple[Path, Path], fail_on: str, code_: int, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = releases
    assert main(["diff", str(old), str(new), "--fail-on", fail_on]) == code_
    err = capsys.readouterr().err
    assert ("holds" in err) == bool(code_)


def test_fail_on_suppression_gained_when_the_policy_trusts_the_vex_author(
    releases: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    author = orjson.loads((SAMPLES / f"webapp-{NEW}" / "openvex.json").read_bytes())["author"]
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"version: 1\nrules:\n  - vex_authors: [{orjson.dumps(author).decode()}]\n", encoding="utf-8")
    trusted = package(NEW, tmp_path / "trusted", "--policy", str(policy))
    old, _ = releases
    assert main(["diff", str(old), str(trusted), "--fail-on", "suppression-gained", "--format", "json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fromline: --fail-on suppression-gained holds: ")
    assert "CVE-2023-45853 in zlib1g (VEX not_affected: vulnerable_code_not_present)" in err
    diff = compare(load_package(old / "audit.json"), load_package(trusted / "audit.json"))
    assert diff.summary is not None
    gained = {c.new.id for c in diff.vulnerabilities.changed if c.old.state == "open" and c.new.state == "suppressed"}
    assert gained == {"CVE-2023-45853", "CVE-2025-47273"}  # zlib1g and setuptools, both open in 1.3.0
    assert diff.summary.suppressions_gained == len(gained)
    assert "CVE-2025-47273 in setuptools" in err
    record = next(r for r in load_package(trusted / "audit.json").vulnerabilities if r.id == "CVE-2023-45853")
    assert record.suppression is not None
    assert record.suppression.trusted_by == f"policy author {author}"


def test_fail_on_control_regression_when_going_back(
    releases: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = releases
    assert main(["diff", str(new), str(old), "--fail-on", "control-regression", "--format", "json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fromline: --fail-on control-regression holds: ")
    assert "nist-800-190 4.1.5: manual to not-satisfied" in err


@pytest.mark.parametrize(
    "extra",
    [
        ["--fail-on", "new-medium"],
        ["--fail-on", "new-critical,bogus"],
        ["--format", "xml"],
        ["--old-image", "not-a-digest"],
    ],
)
def test_usage_errors_exit_2(releases: tuple[Path, Path], extra: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    old, new = releases
    assert main(["diff", str(old), str(new), *extra]) == 2
    assert "error" in capsys.readouterr().err


def test_an_evidence_directory_needs_its_image(releases: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(SAMPLES / f"webapp-{OLD}"), str(releases[1])]) == 2
    assert "has no audit.json: give --old-image" in capsys.readouterr().err
    assert main(["diff", str(releases[0]), str(releases[1]), "--new-image", sample_image(NEW)]) == 2


def test_bad_input_exits_3(releases: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(tmp_path / "absent"), str(releases[1])]) == 3
    assert "no such package" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "audit.json").write_text('{"schema_version": "1.0", "tool": 1}')
    assert main(["diff", str(broken), str(releases[1])]) == 3
    assert "invalid audit.json" in capsys.readouterr().err


def test_evidence_directories_are_evaluated_first(
    releases: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "diff.json"
    args = ["diff", str(SAMPLES / f"webapp-{OLD}"), str(SAMPLES / f"webapp-{NEW}")]
    args += ["--old-image", sample_image(OLD), "--new-image", sample_image(NEW), "--timestamp", TIMESTAMP]
    args += ["--key", str(SAMPLE_KEY)]  # as the packages were made
    assert main([*args, "--format", "json", "--output", str(out)]) == 0
    assert capsys.readouterr().out == ""
    from_evidence = orjson.loads(out.read_bytes())
    assert main(["diff", str(releases[0]), str(releases[1]), "--format", "json", "--output", str(out)]) == 0
    from_packages = orjson.loads(out.read_bytes())
    for key in ("vulnerabilities", "components", "controls", "signatures", "base_image"):
        assert from_evidence[key] == from_packages[key], key
    assert from_evidence["old"]["release"] is None  # an evidence directory has no --release
    assert from_packages["old"]["release"] == OLD


def test_formats(releases: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    old, new = releases
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    data = orjson.loads(capsys.readouterr().out)
    assert list(data) == JSON_KEYS
    assert data["schema_version"] == "1.2"
    for section in ("vulnerabilities", "components", "controls", "evidence"):
        assert {"added", "removed", "changed"} <= set(data[section]), section
    assert {"added", "removed"} <= set(data["signatures"])
    assert {"changed"} <= set(data["provenance"]) & set(data["base_image"])
    assert data["old"]["release"] == OLD
    assert data["new"]["release"] == NEW

    assert main(["diff", str(old), str(new)]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("### Fromline: changes since ` 1.3.0 `\n")
    summary = markdown.split("<details>", 1)[0]  # the summary comes first, the lists are folded
    assert "2 new (1 critical, 1 low; 2 because the image changed, 0 newly disclosed), 5 fixed" in summary
    assert markdown.count("<details>") == markdown.count("</details>") == 9  # POA&M items are one of the lists

    assert main(["diff", str(old), str(new), "--format", "html"]) == 0
    html = capsys.readouterr().out
    assert html.startswith("<!DOCTYPE html>")
    assert "<h1>Changes since 1.3.0</h1>" in html
    assert "CVE-2025-43859" in html
    assert "<link" not in html
    assert "src=" not in html


def test_package_previous_puts_the_diff_in_the_package(releases: tuple[Path, Path], tmp_path: Path) -> None:
    out = package(NEW, tmp_path / "with-previous", "--previous", str(releases[0]))
    audit = (out / "audit.json").read_bytes()
    pkg = load_package(out / "audit.json")
    assert pkg.changes is not None
    assert dumps(pkg) == audit  # lossless, the diff included
    diff_json = orjson.loads((out / "diff.json").read_bytes())
    assert list(diff_json) == JSON_KEYS
    assert diff_json == orjson.loads(render_json(pkg.changes))
    assert {a["vulnerability"]["id"] for a in diff_json["vulnerabilities"]["added"]} == {
        "CVE-2025-43859",
        "CVE-2025-47278",
    }
    # the lifecycle keeps the fixed findings as closed records; the diff counts them as fixed
    closed = {r.id for r in pkg.vulnerabilities if r.state == "closed"}
    assert closed == {v["id"] for v in diff_json["vulnerabilities"]["removed"]}
    assert (out / "diff.md").read_text(encoding="utf-8") == render_markdown(pkg.changes)
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert {"diff.json", "diff.md"} <= {f["path"] for f in manifest["files"]}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert re.search(r'<a href="#changes">\d+ Changes since 1\.3\.0</a>', html)
    assert '<section class="chapter" id="changes">' in html
    book = load_workbook(out / "workbook.xlsx")
    assert book.sheetnames[-1] == "Changes"
    sheet = book["Changes"]
    assert [c.value for c in sheet[1]] == ["Area", "Change", "Item", "Before", "After", "Detail"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert ["component", "upgraded", "gunicorn", "21.2.0", "23.0.0", "pkg:pypi/gunicorn"] in rows
    assert pkg.changes.summary is not None
    assert ["New vulnerabilities", str(pkg.changes.summary.new)] in [row[:2] for row in rows]
    assert ["Fixed vulnerabilities", "5"] in [row[:2] for row in rows]
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row if cell.value is not None)

    without = load_package(releases[1] / "audit.json")
    assert without.changes is None
    assert not (releases[1] / "diff.json").exists()
    assert '<section class="chapter" id="changes">' not in (releases[1] / "report.html").read_text(encoding="utf-8")


# --- hand-made packages ------------------------------------------------------------------------------------

DIGEST = "sha256:" + "ab" * 32
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def make_package(  # noqa: PLR0913 - a builder for tests: every part is optional
    *,
    components: tuple[Component, ...] = (),
    records: tuple[VulnerabilityRecord, ...] = (),
    controls: tuple[ControlResult, ...] = (),
    key_id: str | None = None,
    builder: str | None = None,
    base: str | None = None,
    extra: tuple[Evidence, ...] = (),
    release: str = "2.0",
    assessed_at: datetime = NOW,
) -> AuditPackage:
    evidence = [
        Evidence(
            id="ev-sbom",
            path="in/sbom.json",
            sha256="1" * 64,
            size=1,
            kind=EvidenceKind.SBOM,
            format="CycloneDX JSON",
            binding=Binding.MATCH,
            components=components,
        )
    ]
    if key_id is not None:
        evidence.append(
            Evidence(
                id="ev-sig",
                path="in/payload.json",
                sha256="2" * 64,
                size=1,
                kind=EvidenceKind.SIGNATURE,
                format="cosign simple signing",
                binding=Binding.MATCH,
                signature=SignatureFacts(
                    method=SignatureMethod.COSIGN_KEY_PAIR, status=Verification.VERIFIED, reason="ok", key_id=key_id
                ),
            )
        )
    if builder is not None:
        evidence.append(
            Evidence(
                id="ev-prov",
                path="in/prov.json",
                sha256="3" * 64,
                size=1,
                kind=EvidenceKind.PROVENANCE,
                format="in-toto",
                binding=Binding.MATCH,
                provenance=ProvenanceFacts(statement_type="s", predicate_type="p", builder_id=builder),
            )
        )
    if base is not None:
        evidence.append(
            Evidence(
                id="ev-docker",
                path="in/Dockerfile",
                sha256="4" * 64,
                size=1,
                kind=EvidenceKind.DOCKERFILE,
                format="Dockerfile",
                dockerfile=DockerfileFacts(base_images=(Located(value=base, location="line 1"),)),
            )
        )
    made = AuditPackage(
        tool=ToolInfo(name="fromline", version="0.1.0"),
        subject=ImageRef(reference=f"r.example/app@{DIGEST}", name="r.example/app", digest=DIGEST, release=release),
        profile="default",
        assessed_at=assessed_at,
        evidence=(*evidence, *extra),
        controls=controls,
        vulnerabilities=records,
    )
    return derive_recorded(made)  # the summary and POA&M items, as evaluation records them


HOSTILE = [
    "</details><script>alert(1)</script>",
    "[click](https://evil.example/x)",
    "https://evil.example/autolink",
    "<https://evil.example/angle>",
    "`` ` ```",
    "line\n- injected item\n</details>",
    "a|b|c",
    "<!-- open comment",
    "\u202eevil\u202c",
    "![img](https://evil.example/i.png)",
    "x" * 500,
]


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_markdown_escapes_hostile_names(hostile: str) -> None:
    old = make_package(components=(Component(name="safe", version="1.0", purl="pkg:pypi/safe@1.0"),), release="1")
    record = VulnerabilityRecord(id=hostile, package=hostile, installed_version=hostile, severity=Severity.CRITICAL)
    new = make_package(
        components=(
            Component(name=hostile, version=hostile),
            Component(name="safe", version="2.0", purl="pkg:pypi/safe@2.0"),
        ),
        records=(record,),
        controls=(
            ControlResult(catalog=hostile, control_id=hostile, title=hostile, status=Status.SATISFIED, reason="r"),
        ),
        base=hostile,
        release=hostile,
    )
    markdown = render_markdown(compare(old, new))
    tokens = list(_walk(MarkdownIt("commonmark").parse(markdown)))
    html_blocks = [t.content.strip() for t in tokens if t.type == "html_block"]
    assert all(re.fullmatch(r"</details>|<details>\n<summary>[A-Za-z ,]+ \(\d+\)</summary>", b) for b in html_blocks)
    assert not [t for t in tokens if t.type in ("html_inline", "link_open", "image")]
    plain = " ".join(t.content for t in tokens if t.type == "text")
    assert "evil" not in plain
    assert "script" not in plain
    assert "injected" not in plain
    assert "\u202e" not in markdown
    opened = [b for b in html_blocks if b.startswith("<details>")]
    assert len(opened) == html_blocks.count("</details>") == markdown.count("\n<details>\n")
    # every line starts with our own text
    assert all(
        line == "" or line.startswith(("### ", "- ", "<details>", "<summary>", "</details>", "` ", "`` ", "No "))
        for line in markdown.splitlines()
    )


def test_code_span_fence_outgrows_the_backticks_inside() -> None:
    assert code("a``b") == "``` a``b ```"
    assert code("") == "*none*"
    assert code(None) == "*none*"
    assert code("x\ny") == "` x\\ny `"
    assert code("\u202egnp.exe\x1b[2J") == "` \\u202egnp.exe\\x1b[2J `"


def test_html_escapes_hostile_names() -> None:
    hostile = "<script>alert(1)</script>"
    old = make_package(release="1")
    new = make_package(components=(Component(name=hostile, version=hostile),), base=hostile, release=hostile)
    html = render_html(compare(old, new))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- the recorded summary ---------------------------------------------------------------------------------


def _marked(diff: PackageDiff) -> PackageDiff:
    """`diff` with a recorded summary no count of its lists gives: a renderer that counts again shows otherwise."""
    assert diff.summary is not None
    numbers = dict(zip([f.name for f in dataclasses.fields(DiffSummary) if f.name != "new_by_severity"],
                       range(71, 100), strict=False))  # fmt: skip
    by_severity = (SeverityCount(severity=Severity.HIGH, count=98), SeverityCount(severity=Severity.LOW, count=99))
    return dataclasses.replace(diff, summary=DiffSummary(**numbers, new_by_severity=by_severity))


def test_the_diff_records_its_summary_as_compare_counts_it(sample_diff: PackageDiff) -> None:
    s = sample_diff.summary
    assert s is not None
    assert s == summarize(sample_diff)
    assert (s.new, s.fixed, s.still_open) == (2, 5, 24)  # zlib1g and setuptools: VEX proposals, still open
    assert (s.suppressions_gained, s.suppressions_lost) == (0, 0)
    assert [(x.severity, x.count) for x in s.new_by_severity] == [(Severity.CRITICAL, 1), (Severity.LOW, 1)]
    assert orjson.loads(render_json(sample_diff))["summary"] == orjson.loads(orjson.dumps(s))


def test_every_diff_format_shows_the_recorded_summary(sample_diff: PackageDiff) -> None:
    diff = _marked(sample_diff)
    assert orjson.loads(render_json(diff))["summary"] == orjson.loads(orjson.dumps(diff.summary))
    expected = [
        "71 new (98 high, 99 low; 72 because the image changed, 73 newly disclosed), 75 fixed, 76 still open",
        "78 severity changes, 79 suppressions gained, 80 lost",
        "81 upgraded, 82 downgraded, 83 changed",
        "84 regressions, 85 improvements, 86 other changes",
        "87 opened, 88 closed, 89 items with a changed status",
    ]
    markdown = render_markdown(diff).split("<details>", 1)[0]
    html = " ".join(render_html(diff).split())
    for phrase in expected:
        assert phrase in markdown, phrase
        assert phrase in html, phrase
    assert "the oldest open 77 days; 74 open vulnerabilities newly in KEV, 78 severity changes" in markdown
    assert "(the oldest 77 days); 74 open vulnerabilities newly in KEV, 78 severity changes" in html
    counts = {row[0]: row[1] for row in change_counts_section(diff).table.rows}
    assert counts["New vulnerabilities"] == "71"
    assert (counts["New high"], counts["New low"]) == ("98", "99")
    assert counts["Open vulnerabilities newly in KEV"] == "74"
    assert counts["POA&M items changed"] == "89"
    unrecorded = dataclasses.replace(sample_diff, summary=None)
    for render in (render_markdown, render_html, change_counts_section):
        with pytest.raises(RenderError, match="records no summary"):
            render(unrecorded)


def _leaves(value: object, where: str = "") -> Iterator[tuple[str, object]]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _leaves(getattr(value, f.name), f"{where}.{f.name}")
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{where}[{i}]")
    else:
        yield where, value


def test_enums_and_the_summary_round_trip_through_load_package(
    sample_diff: PackageDiff, releases: tuple[Path, Path], tmp_path: Path
) -> None:
    pkg = dataclasses.replace(load_package(releases[1] / "audit.json"), changes=sample_diff)
    written = tmp_path / "audit.json"
    written.write_bytes(dumps(pkg))
    whole = load_package(written)
    assert whole.vulnerabilities
    assert all(type(r.attribution) is Attribution for r in whole.vulnerabilities)
    loaded = whole.changes
    assert loaded == sample_diff
    pairs = list(zip(_leaves(sample_diff), _leaves(loaded), strict=True))
    assert [(w, type(v)) for (w, v), _ in pairs] == [(w, type(v)) for _, (w, v) in pairs]
    enums = {type(v) for _, v in _leaves(loaded) if isinstance(v, StrEnum)}
    assert {Severity, VulnerabilityState, Status, EvidenceKind, PoamStatus, RiskStatus, NewCause} <= enums

    # `changes` written before the diff recorded its summary: the same summary, counted at load
    raw = orjson.loads(written.read_bytes())
    del raw["changes"]["summary"]
    written.write_bytes(orjson.dumps(raw))
    assert load_package(written).changes == sample_diff


def test_the_gate_and_the_summary_agree_on_new_kev() -> None:
    listed_before = VulnerabilityRecord(id="CVE-2024-1", package="jinja2", installed_version="3.1.4", kev=False)
    known = VulnerabilityRecord(id="CVE-2024-2", package="jinja2", installed_version="3.1.4", kev=True)
    old = make_package(records=(listed_before, known), release="1")
    new_open = VulnerabilityRecord(id="CVE-2026-9", package="libfoo", installed_version="1", kev=True)
    new_suppressed = dataclasses.replace(new_open, id="CVE-2026-8", state=VulnerabilityState.SUPPRESSED)
    newly_listed = dataclasses.replace(listed_before, kev=True)
    diff = compare(old, make_package(records=(newly_listed, known, new_open, new_suppressed)))
    facts = holding(diff, ["new-kev"])["new-kev"]
    assert facts == ["CVE-2026-9 in libfoo", "CVE-2024-1 in jinja2 (now in KEV)"]
    assert diff.summary is not None
    assert diff.summary.new_kev == len(facts) == 2
    # where they used to differ: the renderer counted only new open ones, the gate also the newly listed
    added = [a.vulnerability for a in diff.vulnerabilities.added]
    old_summary_count = sum(1 for v in added if v.state is VulnerabilityState.OPEN and v.kev)
    assert old_summary_count == 1
    assert "2 open vulnerabilities newly in KEV" in render_markdown(diff)


# --- semantics on hand-made packages ---------------------------------------------------------------------


def test_new_vulnerability_in_a_package_version_already_there_is_newly_disclosed() -> None:
    lib = Component(name="libfoo", version="1.0-1", purl="pkg:deb/debian/libfoo@1.0-1?distro=debian-12.1")
    old = make_package(components=(lib,), release="1")
    record = VulnerabilityRecord(
        id="CVE-2026-0001", package="libfoo", installed_version="1.0-1", severity=Severity.HIGH
    )
    moved = dataclasses.replace(lib, purl="pkg:deb/debian/libfoo@1.0-1?distro=debian-12.2")
    new = make_package(components=(moved,), records=(record,))
    diff = compare(old, new)
    assert [a.cause for a in diff.vulnerabilities.added] == [NewCause.NEWLY_DISCLOSED]
    assert not diff.components.changed
    assert holding(diff, ["new-high", "new-critical"]) == {"new-high": ["CVE-2026-0001 in libfoo (high)"]}


def test_age_comes_from_the_first_detection_when_recorded() -> None:
    first = datetime(2026, 1, 1, tzinfo=UTC)
    record = VulnerabilityRecord(id="CVE-1", package="p", installed_version="1", first_detected=first)
    old = make_package(records=(record,), release="1", assessed_at=NOW - timedelta(days=30))
    new = make_package(records=(record,))
    (still,) = compare(old, new).vulnerabilities.still_open
    assert still.open_since == first
    assert still.age_days == (NOW - first).days
    plain = dataclasses.replace(record, first_detected=None)
    earlier = make_package(records=(plain,), assessed_at=NOW - timedelta(days=30))
    (still,) = compare(earlier, make_package(records=(plain,))).vulnerabilities.still_open
    assert still.age_days == 30


def test_aliases_match_across_releases_and_severity_changes_are_reported() -> None:
    old_record = VulnerabilityRecord(
        id="GHSA-xxxx", package="Jinja2", installed_version="3.1.4", severity=Severity.MEDIUM
    )
    new_record = dataclasses.replace(
        old_record, id="CVE-2024-1", aliases=("GHSA-xxxx",), package="jinja2", severity=Severity.HIGH, kev=True
    )
    diff = compare(make_package(records=(old_record,)), make_package(records=(new_record,)))
    assert not diff.vulnerabilities.added
    assert not diff.vulnerabilities.removed
    (change,) = diff.vulnerabilities.changed
    assert change.aspects == ("severity", "kev")
    assert holding(diff, ["new-kev"]) == {"new-kev": ["CVE-2024-1 in jinja2 (now in KEV)"]}


def test_signer_builder_base_image_and_evidence_changes_and_their_gates() -> None:
    extra = Evidence(id="ev-vex", path="in/vex.json", sha256="5" * 64, size=1, kind=EvidenceKind.VEX, format="OpenVEX")
    old = make_package(
        key_id="sha256:aaa", builder="https://builder.one", base="python:3.11@sha256:" + "1" * 64, extra=(extra,)
    )
    new_base = "docker.io/library/python:3.12@sha256:" + "2" * 64
    new = make_package(key_id="sha256:bbb", builder="https://builder.two", base=new_base)
    diff = compare(old, new)
    assert [s.key_id for s in diff.signatures.added] == ["sha256:bbb"]
    assert [s.key_id for s in diff.signatures.removed] == ["sha256:aaa"]
    assert [f.field for f in diff.base_image.changed] == ["version", "digest"]
    assert diff.evidence.missing_kinds == ("vex",)
    assert set(holding(diff, list(CONDITIONS))) == {
        "signature-change",
        "provenance-change",
        "base-image-change",
        "evidence-missing",
    }


def test_poam_items_opened_closed_and_changed() -> None:
    due = datetime(2026, 12, 20, tzinfo=UTC)

    def record(vulnerability: str, state: VulnerabilityState, when: datetime | None = due) -> VulnerabilityRecord:
        return VulnerabilityRecord(
            id=vulnerability, package="p", installed_version="1", severity=Severity.HIGH, state=state, due=when
        )

    old = make_package(
        records=(
            record("CVE-A", VulnerabilityState.OPEN),
            record("CVE-B", VulnerabilityState.OPEN),
            record("CVE-C", VulnerabilityState.SUPPRESSED, None),
        ),
        release="1",
    )
    new = make_package(
        records=(
            record("CVE-A", VulnerabilityState.OPEN, due - timedelta(days=5)),
            record("CVE-C", VulnerabilityState.OPEN),
            record("CVE-D", VulnerabilityState.OPEN),
        )
    )
    diff = compare(old, new)
    assert [e.poam_id for e in diff.poam.opened] == ["V-CVE-C", "V-CVE-D"]  # reopened, and new
    assert [(e.poam_id, e.status) for e in diff.poam.closed] == [("V-CVE-B", "open")]  # gone: the old entry
    (change,) = diff.poam.changed
    assert (change.new.poam_id, change.aspects, change.old.due, change.new.due) == (
        "V-CVE-A", ("due",), due, due - timedelta(days=5),
    )  # fmt: skip
    assert not diff.is_empty()
    markdown = render_markdown(diff)
    assert "- **POA&M:** 2 opened, 1 closed, 1 item with a changed status, due date or severity" in markdown
    assert "- changed ` V-CVE-A `: ` due 2026-12-20 → 2026-12-15 `" in markdown
    rows = [r for r in change_rows(diff) if r[0] == "poam"]
    assert [(r[1], r[2]) for r in rows] == [
        ("opened", "V-CVE-C"), ("opened", "V-CVE-D"), ("closed", "V-CVE-B"), ("changed: due", "V-CVE-A"),
    ]  # fmt: skip
    assert "V-CVE-D" in render_html(diff)
    closing = make_package(records=(dataclasses.replace(old.vulnerabilities[0], state=VulnerabilityState.CLOSED),))
    assert [(e.poam_id, e.status) for e in compare(old, closing).poam.closed] == [
        ("V-CVE-A", "closed"), ("V-CVE-B", "open"),
    ]  # fmt: skip


def test_summary_verdict_changes_come_from_the_recorded_verdicts() -> None:
    signed = Evidence(
        id="ev-signed",
        path="in/cosign-payload.json",
        sha256="6" * 64,
        size=1,
        kind=EvidenceKind.SIGNATURE,
        format="cosign simple signing",
        subjects=(DIGEST,),
        binding=Binding.MATCH,
        signature=SignatureFacts(
            method=SignatureMethod.COSIGN_KEY_PAIR,
            status=Verification.VERIFIED,
            reason="verified",
            signed_digest=DIGEST,
            key_id="k",
        ),
    )
    old, new = make_package(release="1"), make_package(extra=(signed,))
    diff = compare(old, new)
    (change,) = diff.verdicts.changed
    assert (change.topic, change.old_outcome, change.new_outcome) == ("signature", "Missing", "Verified")
    assert (change.old_status, change.new_status, change.change) == (
        "evidence-missing", "satisfied", StatusChange.IMPROVEMENT,
    )  # fmt: skip
    assert "- **Summary verdicts:** signature ` Missing ` → ` Verified `" in render_markdown(diff)
    assert ("verdict", "improvement", "signature", "Missing (evidence-missing)", "Verified (satisfied)", None) in (
        change_rows(diff)
    )
    unrecorded = dataclasses.replace(old, summary=None)
    assert compare(unrecorded, new).verdicts.changed == ()  # a side without a summary compares no verdicts


def test_component_keys() -> None:
    assert component_key("pkg:deb/debian/zlib1g@1.2.13?arch=amd64&distro=debian-12.12&epoch=1", "library", "x") == (
        "pkg:deb/debian/zlib1g"
    )
    assert component_key("pkg:pypi/Zope.Interface@6.0", None, "x") == "pkg:pypi/zope-interface"
    assert component_key("pkg:npm/%40angular/core@17.0.0", None, "x") == "pkg:npm/@angular/core"
    assert component_key("pkg:maven/org.Apache/Commons@1#sub", None, "x") == "pkg:maven/org.Apache/Commons"
    assert component_key(None, "operating-system", "debian") == "operating-system:debian"
    assert component_key("not a purl", None, "thing") == "unknown:thing"


# --- versions ---------------------------------------------------------------------------------------------

# Each checked with `dpkg --compare-versions` (dpkg 1.21) when this table was written.
DPKG_ORDER = [
    ("1.0~rc1", "<", "1.0"),
    ("1.0", "<", "1.0-1"),
    ("1:0.1", ">", "2.0"),
    ("1.0+dfsg", ">", "1.0"),
    ("1.0.1", ">", "1.0a"),
    ("1.0-1", ">", "1.0-1~bpo1"),
    ("2.36-9+deb12u10", ">", "2.36-9+deb12u9"),
    ("1.2.13.dfsg-1", "<", "1.2.13.dfsg-1+deb12u1"),
    ("0:1.0", "=", "1.0"),
    ("1.0~~", "<", "1.0~"),
    ("1.0~", "<", "1.0"),
    ("1.0", "<", "1.0.0"),
    ("1.00", "=", "1.0"),
    ("1.0a", ">", "1.0A"),
    ("1.0.a", ">", "1.0a"),
    ("3.0.11-1~deb12u2", "<", "3.0.14-1~deb12u1"),
    ("7.88.1-10+deb12u5", "<", "7.88.1-10+deb12u12"),
    ("1.0-0", "=", "1.0"),
    ("10", ">", "9"),
    ("1.0-a", "<", "1.0-b"),
    ("2:1", "<", "10:0"),
    ("1.0+", "<", "1.0."),
    ("2025b-0+deb12u1", "<", "2026a-0+deb12u1"),
]
SIGN = {"<": -1, "=": 0, ">": 1}


@pytest.mark.parametrize(("left", "relation", "right"), DPKG_ORDER)
def test_dpkg_order(left: str, relation: str, right: str) -> None:
    assert dpkg_compare(left, right) == SIGN[relation]
    assert dpkg_compare(right, left) == -SIGN[relation]


def test_dpkg_refuses_a_bad_epoch() -> None:
    assert dpkg_compare("a:1.0", "1.0") is None
    assert dpkg_compare("1:", "1.0") is None


@pytest.mark.parametrize(
    ("purl_type", "left", "right", "expected"),
    [
        ("pypi", "21.2.0", "23.0.0", -1),
        ("pypi", "1.0rc1", "1.0", -1),
        ("pypi", "4.6.2.post1", "4.6.2", 1),
        ("pypi", "1.0", "1.0.0", 0),
        ("pypi", "not a version!", "1.0", None),
        ("npm", "1.9.0", "1.10.0", -1),
        ("npm", "1.2", "1.2.1", -1),
        ("npm", "1.2", "1.2.0", None),
        ("npm", "1.0-alpha", "1.0-beta", None),
        ("apk", "1.2.3-r0", "1.2.3-r1", -1),
        ("apk", "1.2.3_rc1", "1.2.3", None),
        (None, "2024.7.4", "2024.8.30", -1),
    ],
)
def test_other_version_orders(purl_type: str | None, left: str, right: str, expected: int | None) -> None:
    assert compare_versions(purl_type, left, right) == expected


VERSIONS = st.from_regex(r"([0-9]{1,2}:)?[0-9][0-9a-z.+~]{0,6}(-[0-9a-z.+~]{1,4})?", fullmatch=True)


@pytest.mark.property
@settings(max_examples=300, deadline=None)
@given(VERSIONS, VERSIONS, VERSIONS)
def test_dpkg_order_is_a_total_order(a: str, b: str, c: str) -> None:
    ab, ba = dpkg_compare(a, b), dpkg_compare(b, a)
    assert ab is not None
    assert ba == -ab
    assert dpkg_compare(a, a) == 0
    if ab <= 0 and (dpkg_compare(b, c) or 0) <= 0:
        assert (dpkg_compare(a, c) or 0) <= 0


@pytest.mark.property
@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[0-9a-z.\-]{1,8}", fullmatch=True), st.from_regex(r"[0-9a-z.\-]{1,8}", fullmatch=True))
def test_generic_order_is_antisymmetric(a: str, b: str) -> None:
    ab, ba = generic_compare(a, b), generic_compare(b, a)
    assert (ab is None and ba is None) or ab == -(ba or 0)


# --- properties over generated packages --------------------------------------------------------------------

NAMES = st.sampled_from(["alpha", "beta", "gamma", "delta"])
SMALL_VERSIONS = st.sampled_from(["1.0", "1.1", "2.0", "1.0-1", "1:0.9", "1.0~rc1"])


@st.composite
def packages(draw: st.DrawFn) -> AuditPackage:
    components = tuple(
        Component(name=name, version=draw(SMALL_VERSIONS), purl=draw(st.sampled_from([None, f"pkg:{kind}/{name}"])))
        for name in draw(st.lists(NAMES, unique=True, max_size=4))
        for kind in [draw(st.sampled_from(["deb/debian", "pypi", "npm"]))]
    )
    records = tuple(
        VulnerabilityRecord(
            id=draw(st.sampled_from(["CVE-1", "CVE-2", "GHSA-1"])),
            aliases=tuple(draw(st.lists(st.sampled_from(["CVE-1", "GHSA-1", "GHSA-2"]), unique=True, max_size=2))),
            package=package_name,
            installed_version=draw(SMALL_VERSIONS),
            severity=draw(st.sampled_from(list(Severity))),
            state=draw(st.sampled_from(list(VulnerabilityState))),
            kev=draw(st.booleans()),
        )
        for package_name in draw(st.lists(NAMES, max_size=4))
    )
    controls = tuple(
        ControlResult(catalog="c", control_id=cid, title=cid, status=draw(st.sampled_from(list(Status))), reason="r")
        for cid in draw(st.lists(st.sampled_from(["1", "2", "10"]), unique=True, max_size=3))
    )
    extra = tuple(
        Evidence(id=f"ev-{path}", path=f"dir/{path}", sha256=draw(st.sampled_from(["a", "b"])) * 64, size=1,
                 kind=draw(st.sampled_from([EvidenceKind.VEX, EvidenceKind.VULNERABILITY_SCAN])), format="f")
        for path in draw(st.lists(st.sampled_from(["x.json", "y.json"]), unique=True, max_size=2))
    )  # fmt: skip
    return make_package(
        components=components,
        records=records,
        controls=controls,
        key_id=draw(st.sampled_from([None, "sha256:k1", "sha256:k2"])),
        builder=draw(st.sampled_from([None, "b1", "b2"])),
        base=draw(st.sampled_from([None, "python:3.12", "python:3.13@sha256:" + "9" * 64])),
        extra=extra,
    )


def _vuln_ids(items: Iterable[Vulnerability | NewVulnerability]) -> list[tuple[str, str, str]]:
    return sorted(_identity(v.vulnerability if isinstance(v, NewVulnerability) else v) for v in items)


@pytest.mark.property
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(packages())
def test_a_package_compared_with_itself_has_no_changes(pkg: AuditPackage) -> None:
    diff = compare(pkg, pkg)
    assert diff.is_empty()
    assert not holding(diff, list(CONDITIONS))


@pytest.mark.property
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(packages(), packages())
def test_swapping_the_sides_swaps_added_and_removed(a: AuditPackage, b: AuditPackage) -> None:
    forward, backward = compare(a, b), compare(b, a)
    fv, bv = forward.vulnerabilities, backward.vulnerabilities
    assert _vuln_ids(fv.added) == _vuln_ids(bv.removed)
    assert _vuln_ids(fv.removed) == _vuln_ids(bv.added)
    assert sorted((_identity(c.old), _identity(c.new), c.aspects) for c in fv.changed) == sorted(
        (_identity(c.new), _identity(c.old), c.aspects) for c in bv.changed
    )
    assert forward.components.added == backward.components.removed
    assert forward.components.removed == backward.components.added
    flipped = {VersionChange.UPGRADED: VersionChange.DOWNGRADED, VersionChange.DOWNGRADED: VersionChange.UPGRADED}
    assert [(c.key, c.old_version, c.new_version, c.change) for c in forward.components.changed] == [
        (c.key, c.new_version, c.old_version, flipped.get(c.change, c.change)) for c in backward.components.changed
    ]
    assert forward.controls.added == backward.controls.removed
    assert forward.controls.removed == backward.controls.added
    turned = {StatusChange.REGRESSION: StatusChange.IMPROVEMENT, StatusChange.IMPROVEMENT: StatusChange.REGRESSION}
    assert [(c.control_id, c.old_status, c.new_status, c.change) for c in forward.controls.changed] == [
        (c.control_id, c.new_status, c.old_status, turned.get(c.change, c.change)) for c in backward.controls.changed
    ]
    assert forward.signatures.added == backward.signatures.removed
    assert forward.signatures.removed == backward.signatures.added
    for section in ("provenance", "base_image"):
        there = getattr(forward, section).changed
        back = getattr(backward, section).changed
        assert [(f.field, f.old, f.new) for f in there] == [(f.field, f.new, f.old) for f in back]
    assert forward.evidence.added == backward.evidence.removed
    assert forward.evidence.missing_kinds == backward.evidence.new_kinds
    assert [e.poam_id for e in forward.poam.opened] == [e.poam_id for e in backward.poam.closed]
    assert [e.poam_id for e in forward.poam.closed] == [e.poam_id for e in backward.poam.opened]
    assert [(c.old, c.new, c.aspects) for c in forward.poam.changed] == [
        (c.new, c.old, c.aspects) for c in backward.poam.changed
    ]
    assert [(v.topic, v.old_status, v.new_status) for v in forward.verdicts.changed] == [
        (v.topic, v.new_status, v.old_status) for v in backward.verdicts.changed
    ]
    assert forward.is_empty() == backward.is_empty()
