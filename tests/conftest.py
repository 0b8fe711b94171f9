from __future__ import annotations

import functools
import hashlib
import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs
import orjson
import pytest

from evidence.cli import main
from evidence.model import (
    AuditPackage,
    Binding,
    CatalogInfo,
    CheckResult,
    Component,
    ControlResult,
    Cvss,
    Evidence,
    EvidenceKind,
    EvidenceRef,
    ImageRef,
    Layer,
    Scope,
    Severity,
    SignatureFacts,
    SignatureMethod,
    Skipped,
    Status,
    Suppression,
    ToolInfo,
    Verification,
    VexStatement,
    VulnerabilityFinding,
    VulnerabilityRecord,
    VulnerabilityState,
)
from evidence.pipeline import read_evidence
from evidence.render import oscal, oscal_component, oscal_poam
from evidence.render.poam_xlsx import POAM_COLUMNS, POAM_HEADER_ROW

if TYPE_CHECKING:
    from registry_harness import LiveRegistry, PushedImage

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
OSCAL_SCHEMAS = REPO.parent / "shared" / "oscal-schemas" / "1.2.3"
SAMPLES = REPO / "samples"
# The key both sample releases are signed with, outside their evidence folders: trusted only when named (--key).
SAMPLE_KEY = SAMPLES / "keys" / "webapp.pub"

DIGEST = "sha256:" + "ab" * 32
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SAMPLE_TIMESTAMP = "2026-11-20T12:00:00Z"


def pytest_configure(config: pytest.Config) -> None:
    """Stop before collection when the shared test data is not beside the clone: without it hundreds of
    parametrized cases would be collected empty instead of failing. Then make the OSCAL renderers check every
    document they render in this session against NIST's schema (`schema_checked`)."""
    del config
    missing = [path for path in (CORPUS, OSCAL_SCHEMAS) if not path.is_dir()]
    if missing:
        raise pytest.UsageError(
            f"the shared test data is missing: expected {' and '.join(map(str, missing))} "
            f"(the folder shared/ beside the clone {REPO})"
        )
    # Before the test modules import them, so that every way of rendering OSCAL goes through the check; for the
    # whole session, never undone.
    session = pytest.MonkeyPatch()
    for module in (oscal, oscal_poam, oscal_component):
        session.setattr(module, "render_bytes", schema_checked(module.render_bytes))


# --- every OSCAL document a test renders is valid against NIST's JSON schema of the version it declares ---------
# The renderers build plain data and serialize it without validating (validation costs seconds at real sizes);
# these checks are where OSCAL validity is enforced.

OSCAL_112_SCHEMA = REPO / "tests" / "assets" / "oscal-1.1.2" / "oscal_complete_schema.json"
# NIST's schema of each document model, by the document's root key.
OSCAL_MODEL_SCHEMAS = {
    "assessment-results": "oscal_assessment-results_schema.json",
    "plan-of-action-and-milestones": "oscal_poam_schema.json",
    "component-definition": "oscal_component_schema.json",
}


@functools.cache
def oscal_validator(model: str, version: str) -> Any:
    """NIST's schema of the model (a root key of `OSCAL_MODEL_SCHEMAS`) in that OSCAL version: 1.2.3 from the
    shared folder; 1.1.2 bundled with the tests, its complete schema with the root's choice of models (`oneOf`) made
    this one: the same rules for a document of this model, and errors that point inside it."""
    if version == "1.2.3":
        schema = orjson.loads((OSCAL_SCHEMAS / OSCAL_MODEL_SCHEMAS[model]).read_bytes())
    elif version == "1.1.2":
        schema = orjson.loads(OSCAL_112_SCHEMA.read_bytes())
        (choice,) = (choice for choice in schema.pop("oneOf") if choice["required"] == [model])
        schema |= choice
    else:
        raise AssertionError(f"no NIST schema of OSCAL {version} for {model} in the tests")
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def oscal_schema_errors(document: Any) -> list[str]:
    """Where an OSCAL document breaks NIST's schema of its model and of the version its metadata declares."""
    assert isinstance(document, dict), "an OSCAL document is an object"
    assert len(document) == 1, "an OSCAL document has one root key"
    ((model, body),) = document.items()
    assert model in OSCAL_MODEL_SCHEMAS, f"not an OSCAL document Fromline writes: {model}"
    version = body["metadata"]["oscal-version"]
    validator = oscal_validator(model, version)
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(document)]


def schema_checked(render_bytes: Callable[..., bytes]) -> Callable[..., bytes]:
    """A renderer module's `render_bytes` that checks what it returns against NIST's schema."""

    @functools.wraps(render_bytes)
    def checked(*args: Any, **kwargs: Any) -> bytes:
        data = render_bytes(*args, **kwargs)
        document = orjson.loads(data)
        errors = oscal_schema_errors(document)
        assert not errors, f"{next(iter(document))} is not valid OSCAL:\n" + "\n".join(errors[:20])
        return data

    return checked


# The evidence as `fromline package` reads it; the name the tests know it by.
collect_verify_bind = read_evidence


def corpus_files(folder: str, suffix: str = "") -> list[Path]:
    """Every corpus file in a folder, for parametrized tests."""
    return sorted(p for p in (CORPUS / folder).rglob("*") if p.is_file() and p.name.endswith(suffix))


def sample_image(release: str) -> str:
    """The image reference of a bundled sample release, by the digest its cosign payload signs."""
    payload = orjson.loads((SAMPLES / f"webapp-{release}" / "cosign-payload.json").read_bytes())
    return f"registry.example.com/webapp@{payload['critical']['image']['docker-manifest-digest']}"


def sample_package_args(release: str, out: Path, *extra: str) -> list[str]:
    """`fromline package` of a bundled sample release at the fixed sample timestamp, its key named with --key."""
    folder = SAMPLES / f"webapp-{release}"
    return ["package", str(folder), "--image", sample_image(release), "--release", release,
            "--timestamp", SAMPLE_TIMESTAMP, "--key", str(SAMPLE_KEY), "--out", str(out), *extra]  # fmt: skip


def poam_rows(ws: Any) -> list[dict[str, Any]]:
    """The item rows of a poam.xlsx tab (below the template's header block and column row), by column header.
    A date cell reads back as a datetime at midnight: it is given as its `date`, so a date written as text
    compares unequal to the `date` a test expects."""
    assert tuple(c.value for c in ws[POAM_HEADER_ROW]) == POAM_COLUMNS, ws.title
    rows = ws.iter_rows(min_row=POAM_HEADER_ROW + 1, values_only=True)
    day = {c for c in POAM_COLUMNS if c.endswith(("Date", "Check-in Date"))}
    return [
        {k: v.date() if k in day and isinstance(v, datetime) else v for k, v in zip(POAM_COLUMNS, r, strict=True)}
        for r in rows
    ]


def libreoffice_csv(workbook: Path, folder: Path) -> None:
    """Every sheet of `workbook` to `folder` as CSV (`NAME-SHEET.csv`) with LibreOffice, values as shown: a
    formula would show its result, not its text."""
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation={(folder / 'profile').as_uri()}",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
         "--outdir", str(folder), str(workbook)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip


def as_day(moment: datetime | None) -> date | None:
    """The UTC day of a moment, as the POA&M workbook shows it."""
    return moment.astimezone(UTC).date() if moment else None


def _file_hashes(root: Path) -> dict[str, str]:
    files = (p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


class SamplePackages:
    """The sample packages, one per release and profile, built by `fromline package` on first use and then
    read by every test of the session (of the xdist worker) that asks; no test may change one."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._built: dict[tuple[str, str], tuple[Path, dict[str, str]]] = {}

    def __call__(self, release: str = "1.4.0", profile: str = "default") -> Path:
        if (release, profile) not in self._built:
            out = self._factory.mktemp(f"sample-{release}-{profile}") / "webapp"
            assert main(sample_package_args(release, out, "--profile", profile, "--quiet")) == 0
            self._built[release, profile] = out, _file_hashes(out)
        return self._built[release, profile][0]

    def changed(self) -> list[str]:
        """The packages a test wrote into, or deleted from, since they were built."""
        return [str(out) for out, hashes in self._built.values() if _file_hashes(out) != hashes]


@pytest.fixture(scope="session")
def sample_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamplePackages]:
    """`sample_package(release="1.4.0", profile="default")`: the directory of that sample's package, shared."""
    packages = SamplePackages(tmp_path_factory)
    yield packages
    assert not packages.changed(), f"a test changed a shared sample package: {packages.changed()}"


@pytest.fixture
def hand_package() -> AuditPackage:
    """A small, hand-made package with every kind of record, for renderer tests."""
    sbom = Evidence(
        id="ev-000000000001",
        path="in/sbom.cdx.json",
        sha256="1" * 64,
        size=100,
        kind=EvidenceKind.SBOM,
        format="CycloneDX JSON",
        format_version="1.5",
        tool="syft",
        tool_version="1.0.0",
        subjects=(DIGEST,),
        binding=Binding.MATCH,
        collected_at=NOW,
        components=(
            Component(
                name="openssl",
                version="3.0.11-1~deb12u2",
                purl="pkg:deb/debian/openssl@3.0.11-1~deb12u2",
                type="library",
                licenses=("Apache-2.0",),
                location="/components/0",
            ),
            Component(name='=HYPERLINK("http://x")', version="<script>alert(1)</script>", location="/components/1"),
        ),
    )
    scan = Evidence(
        id="ev-000000000002",
        path="in/trivy.json",
        sha256="2" * 64,
        size=200,
        kind=EvidenceKind.VULNERABILITY_SCAN,
        format="Trivy JSON",
        format_version="2",
        tool="trivy",
        tool_version="0.56.2",
        subjects=(DIGEST,),
        binding=Binding.MATCH,
        collected_at=NOW,
        vulnerabilities=(
            VulnerabilityFinding(
                id="CVE-2024-5535",
                package="openssl",
                installed_version="3.0.11-1~deb12u2",
                fixed_versions=("3.0.14-1~deb12u1",),
                severity=Severity.CRITICAL,
                location="/Results/0/Vulnerabilities/0",
            ),
        ),
    )
    vex = Evidence(
        id="ev-000000000003",
        path="in/openvex.json",
        sha256="3" * 64,
        size=50,
        kind=EvidenceKind.VEX,
        format="OpenVEX",
        format_version="0.2.0",
        binding=Binding.UNBOUND,
        statements=(
            VexStatement(
                vulnerability="CVE-2023-0001",
                products=(DIGEST,),
                status="not_affected",
                justification="vulnerable_code_not_in_execute_path",
                author="Sec Team",
                location="/statements/0",
            ),
        ),
    )
    sig = Evidence(
        id="ev-000000000004",
        path="in/payload.json",
        sha256="4" * 64,
        size=300,
        kind=EvidenceKind.SIGNATURE,
        format="cosign simple signing",
        subjects=(DIGEST,),
        binding=Binding.MATCH,
        signature=SignatureFacts(
            method=SignatureMethod.COSIGN_KEY_PAIR,
            status=Verification.VERIFIED,
            reason="ECDSA P-256 signature verified with cosign.pub",
            signed_digest=DIGEST,
            key_id="sha256:" + "cd" * 32,
            key_path="in/cosign.pub",
        ),
    )
    other = Evidence(
        id="ev-000000000005",
        path="in/grype-other.json",
        sha256="5" * 64,
        size=10,
        kind=EvidenceKind.VULNERABILITY_SCAN,
        format="Grype JSON",
        tool="grype",
        tool_version="0.80.0",
        subjects=("sha256:" + "ef" * 32,),
        binding=Binding.MISMATCH,
    )

    def ref(e: Evidence, loc: str | None = None) -> EvidenceRef:
        return EvidenceRef(evidence_id=e.id, path=e.path, sha256=e.sha256, location=loc)

    return AuditPackage(
        tool=ToolInfo(name="fromline", version="0.1.0"),
        subject=ImageRef(
            reference=f"registry.example.com/webapp@{DIGEST}",
            name="registry.example.com/webapp",
            digest=DIGEST,
            release="1.4.0",
        ),
        profile="default",
        assessed_at=NOW,
        catalogs=(
            CatalogInfo(
                id="nist-800-190",
                title="NIST SP 800-190 section 4",
                version="2017-09",
                source="nist-800-190.yaml",
                sha256="9" * 64,
            ),
        ),
        evidence=(sbom, scan, vex, sig, other),
        skipped=(Skipped(path="in/notes.txt", reason="not a recognized evidence format"),),
        controls=(
            ControlResult(
                catalog="nist-800-190",
                control_id="4.1.1",
                title="Image vulnerabilities",
                status=Status.NOT_SATISFIED,
                reason="1 open critical vulnerability with a fix available",
                nist_800_53=("RA-5", "SI-2"),
                checks=(
                    CheckResult(
                        check="vulnscan.no_fixable_critical_high",
                        status=Status.NOT_SATISFIED,
                        reason="CVE-2024-5535 in openssl",
                        evidence=(ref(scan, "/Results/0"),),
                    ),
                ),
                evidence=(ref(scan, "/Results/0"),),
            ),
            ControlResult(
                catalog="nist-800-190",
                control_id="4.1.5",
                title="Use of untrusted images",
                status=Status.SATISFIED,
                reason="signature verified",
                nist_800_53=("CM-14", "SI-7(15)"),
                scope=Scope.PARTIAL,
                evidence=(ref(sig),),
                not_shown="that the orchestrator verifies signatures at admission",
            ),
            ControlResult(
                catalog="nist-800-190",
                control_id="4.1.3",
                title="Embedded malware",
                status=Status.EVIDENCE_MISSING,
                reason="no malware scan was supplied",
                nist_800_53=("SI-3",),
            ),
            ControlResult(
                catalog="nist-800-190",
                control_id="4.2.3",
                title="Registry authentication",
                status=Status.MANUAL,
                reason="registry access control is not visible in image evidence",
                nist_800_53=("AC-2",),
                scope=Scope.NONE,
            ),
            ControlResult(
                catalog="nist-800-190",
                control_id="4.3.1",
                title="Unbounded administrative access",
                status=Status.NOT_ASSESSED,
                reason="orchestrator control",
                nist_800_53=("AC-6",),
                scope=Scope.NONE,
                responsible=Layer.ORCHESTRATOR,
            ),
            ControlResult(
                catalog="nist-800-190",
                control_id="4.6",
                title="Hardware countermeasures",
                status=Status.NOT_APPLICABLE,
                reason="a catalog that waives it",
                nist_800_53=("SI-7(9)",),
                scope=Scope.NONE,
            ),
        ),
        vulnerabilities=(
            VulnerabilityRecord(
                id="CVE-2024-5535",
                package="openssl",
                installed_version="3.0.11-1~deb12u2",
                fixed_versions=("3.0.14-1~deb12u1",),
                severity=Severity.CRITICAL,
                severities={"trivy": Severity.CRITICAL},
                cvss=(
                    Cvss(source="nvd", version="3.1", vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H", score=9.1),
                ),
                title="openssl: SSL_select_next_proto buffer overread",
                scanners=("trivy",),
                evidence=(ref(scan, "/Results/0/Vulnerabilities/0"),),
            ),
            VulnerabilityRecord(
                id="CVE-2023-0001",
                package="@cmd|' /C calc'!A0",
                installed_version="1.0",
                severity=Severity.LOW,
                severities={"grype": Severity.LOW},
                scanners=("grype",),
                state=VulnerabilityState.SUPPRESSED,
                suppression=Suppression(statement=vex.statements[0], evidence=ref(vex, "/statements/0")),
                evidence=(ref(scan),),
            ),
        ),
    )


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No network, and an empty HOME that must stay empty: verification is offline and writes nothing."""
    home = tmp_path_factory.mktemp("home")

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))
    yield home
    assert list(home.rglob("*")) == [], "verification wrote to the home directory"


# --- a real registry and a real image in it (tests/registry_harness.py) --------------------------------------------
# The harness is imported where it is used: conftest.py alone (as test_suite_guards copies it) still loads.


def require_tools(*tools: str) -> None:
    """Skip the test, naming the packages of `tools` (names from registry_harness.TOOLS) that are not installed;
    under CI (the variable CI set, as CI sets it) fail instead: CI must run every test that needs them."""
    from registry_harness import missing_tools  # noqa: PLC0415

    missing = missing_tools(tools)
    if not missing:
        return
    reason = f"not installed: {', '.join(missing)} (scripts/install-system-deps and the test extra install them)"
    if os.environ.get("CI", "").lower() not in {"", "0", "false"}:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRegistry]:
    """A registry of this worker's own on 127.0.0.1: TLS under its `ca`, htpasswd authentication."""
    require_tools("docker-registry")
    from registry_harness import running_registry  # noqa: PLC0415

    with running_registry(tmp_path_factory.mktemp("registry")) as registry:
        yield registry


@pytest.fixture(scope="session")
def busybox_image(live_registry: LiveRegistry, tmp_path_factory: pytest.TempPathFactory) -> PushedImage:
    """A one-layer busybox image pushed with skopeo to `fromline/busybox:1.0` of `live_registry`; its OCI layout
    is kept for syft. No test may push over its tag."""
    require_tools("skopeo", "busybox-static")
    from registry_harness import push_busybox_image  # noqa: PLC0415

    return push_busybox_image(live_registry, "fromline/busybox", tmp_path_factory.mktemp("busybox"))
