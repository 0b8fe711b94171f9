"""The full catalogs, profiles and reference table; the checks they added; strict mode, the rubric, the
component definition and `fromline controls`; one package run per profile on the bundled sample."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import pytest
from conftest import DIGEST, NOW, OSCAL_SCHEMAS, SAMPLE_KEY, SamplePackages
from openpyxl import load_workbook
from test_cli import IMAGE, SAMPLE, TIMESTAMP

from evidence.catalog import (
    Parameters,
    available_catalogs,
    load_catalog,
    load_fips_modules,
    load_profile,
)
from evidence.catalog.loader import Profile, available_profiles
from evidence.catalog.schema import CertificateStatus, FipsModuleSpec, RubricParameters, SlaDays
from evidence.cli import main
from evidence.errors import CatalogError
from evidence.evaluate import CHECKS, decide, evaluate, strictly
from evidence.evaluate.checks import Context
from evidence.evaluate.checks.fips import certificate_status
from evidence.evaluate.checks.rubric import SCORERS, grade
from evidence.evaluate.vulnerabilities import build_records
from evidence.model import (
    RUBRIC_CATALOG,
    Binding,
    Component,
    ControlResult,
    Detection,
    DetectionCategory,
    DockerfileFacts,
    Evidence,
    EvidenceKind,
    EvidenceSet,
    HistoryEntry,
    ImageConfigFacts,
    ImageRef,
    Located,
    ProvenanceFacts,
    RubricScore,
    Scope,
    Severity,
    SignatureFacts,
    SignatureMethod,
    Status,
    Verification,
    VexStatement,
    VulnerabilityFinding,
)
from evidence.render.canonical import load_package
from evidence.resources import packaged_file

USER_CATALOG = (
    "catalog: mine\ntitle: Mine\nversion: '1'\ncontrols:\n"
    "  - {id: M-1, title: signed, scope: full, nist_800_53: [CM-14], checks: [signature.verified]}\n"
)
IMAGE_REF = ImageRef(reference=f"registry.example.com/app@{DIGEST}", name="registry.example.com/app", digest=DIGEST)
PROFILES = ["cis", "default", "dod", "fedramp-high", "fedramp-low", "fedramp-moderate"]
_counter = iter(range(100_000))


# --- evidence builders ------------------------------------------------------------------------


def ev(kind: EvidenceKind, *, binding: Binding = Binding.MATCH, **facts: Any) -> Evidence:
    n = next(_counter)
    subjects = (DIGEST,) if binding is Binding.MATCH else ()
    return Evidence(
        id=f"ev-{n:012d}",
        path=f"in/{kind}-{n}",
        sha256=f"{n:064x}",
        size=1,
        kind=kind,
        format="test",
        subjects=subjects,
        binding=binding,
        **facts,
    )


def sbom(*components: Component, signed: bool = False) -> Evidence:
    sig = SignatureFacts(method=SignatureMethod.DSSE, status=Verification.VERIFIED, reason="ok") if signed else None
    return ev(EvidenceKind.SBOM, components=components, signature=sig)


def pkg(name: str, version: str | None = "1.0", *, purl: str | None = None, type: str = "library") -> Component:  # noqa: A002
    return Component(
        name=name, version=version, purl=purl or f"pkg:deb/debian/{name}@{version}", type=type, location="/c"
    )


def file(path: str) -> Component:
    return Component(name=path, type="file", location="/f")


def config(**facts: Any) -> Evidence:
    return ev(EvidenceKind.IMAGE_CONFIG, image_config=ImageConfigFacts(**facts))


def dockerfile(**facts: Any) -> Evidence:
    return ev(EvidenceKind.DOCKERFILE, binding=Binding.UNBOUND, dockerfile=DockerfileFacts(**facts))


def scan(*findings: VulnerabilityFinding, days_old: float = 1, **facts: Any) -> Evidence:
    return ev(
        EvidenceKind.VULNERABILITY_SCAN,
        tool="trivy",
        collected_at=NOW - timedelta(days=days_old),
        vulnerabilities=findings,
        **facts,
    )


def finding(
    vid: str, severity: Severity, *, published_days: float | None = None, kev: bool = False
) -> VulnerabilityFinding:
    published = NOW - timedelta(days=published_days) if published_days is not None else None
    return VulnerabilityFinding(
        id=vid, package="pkg", installed_version="1.0", severity=severity, fixed_versions=("2.0",),
        published=published, kev=kev,
    )  # fmt: skip


def signature(status: Verification = Verification.VERIFIED, *, log_index: int | None = None) -> Evidence:
    facts = SignatureFacts(
        method=SignatureMethod.COSIGN_KEY_PAIR, status=status, reason="why", signed_digest=DIGEST, log_index=log_index
    )
    return ev(EvidenceKind.SIGNATURE, signature=facts)


def provenance(
    status: Verification | None = Verification.VERIFIED, builder: str = "https://builder.example"
) -> Evidence:
    sig = SignatureFacts(method=SignatureMethod.DSSE, status=status, reason="why") if status else None
    facts = ProvenanceFacts(
        statement_type="https://in-toto.io/Statement/v1",
        predicate_type="https://slsa.dev/provenance/v1",
        builder_id=builder,
        base_images=(Located(value=f"registry1.dso.mil/ironbank/base@{DIGEST}", location="/p"),),
    )
    return ev(EvidenceKind.PROVENANCE, provenance=facts, signature=sig)


def vex(*statements: VexStatement, signed: bool = False) -> Evidence:
    sig = SignatureFacts(method=SignatureMethod.DSSE, status=Verification.VERIFIED, reason="ok") if signed else None
    return ev(EvidenceKind.VEX, binding=Binding.UNBOUND, statements=statements, signature=sig)


def context(*items: Evidence, params: Parameters | None = None, now_offset: float = 0) -> Context:
    return Context(
        image=IMAGE_REF,
        now=NOW + timedelta(days=now_offset),
        params=params or Parameters(),
        evidence=items,
        vulnerabilities=build_records(items, DIGEST),
        fips_modules=load_fips_modules(),
    )


def run(name: str, *items: Evidence, params: Parameters | None = None, now_offset: float = 0) -> tuple[Status, str]:
    outcome = CHECKS[name](context(*items, params=params, now_offset=now_offset))
    return outcome.status, outcome.reason


# --- catalogs, profiles, reference table ------------------------------------------------------


def test_bundled_catalogs_are_the_six() -> None:
    assert available_catalogs() == [
        "base-image-rubric", "cis-docker", "disa-container", "fedramp-containers", "fips-140-3", "nist-800-190",
    ]  # fmt: skip


@pytest.mark.parametrize("name", available_catalogs())
def test_every_control_maps_to_800_53_and_is_decided(name: str) -> None:
    catalog = load_catalog(name, CHECKS)
    assert catalog.id == name
    for control in catalog.controls:
        assert control.nist_800_53, control.id
        if control.checks:
            assert all(c in CHECKS for c in control.checks), control.id
        else:
            # A bundled catalog never says "not-applicable": an image assessment cannot tell that a requirement
            # does not apply to the system; outside the image it is not-assessed, with the layer responsible.
            assert control.status in ("manual", "not-assessed"), control.id
            assert (control.status == "not-assessed") == (control.responsible is not None), control.id
            assert control.reason, control.id
            assert len(control.reason.split()) >= 5, control.id


def test_cis_section_4_is_complete_with_published_assessment_status() -> None:
    catalog = load_catalog("cis-docker", CHECKS)
    assert [c.id for c in catalog.controls] == [f"4.{i}" for i in range(1, 13)]
    automated = {c.id for c in catalog.controls if c.assessment == "Automated"}
    assert automated == {"4.1", "4.5", "4.6"}
    assert all(c.assessment for c in catalog.controls)
    by_id = {c.id: c for c in catalog.controls}
    assert by_id["4.5"].checks == ("signature.verified",)
    assert by_id["4.12"].checks == ("attestations.verified", "policy.required_attestations")


def test_disa_guide_and_srg_rules() -> None:
    catalog = load_catalog("disa-container", CHECKS)
    ids = [c.id for c in catalog.controls]
    guide = [f"2.{i}" for i in range(1, 19)] + [f"3.{i}" for i in range(1, 12)]
    assert ids[: len(guide)] == guide
    srg = [c for c in catalog.controls if c.id.startswith("SRG-APP-")]
    assert len(srg) == 21
    assert all(c.vuln_id and c.vuln_id.startswith("V-") and c.severity for c in srg)
    assert {c.id for c in srg if c.severity == "CAT I"} == {
        "SRG-APP-000378-CTR-000885", "SRG-APP-000635-CTR-001405", "SRG-APP-001035-CTR-000323",
    }  # fmt: skip
    by_id = {c.id: c for c in catalog.controls}
    assert by_id["2.1"].cci == ("CCI-000381",)
    assert by_id["2.10"].ia_control == "CM-5 (3)"
    assert by_id["2.10"].nist_800_53 == ("CM-14",)  # CM-5(3) is withdrawn in rev5
    assert by_id["SRG-APP-000131-CTR-000285"].cci == ("CCI-001749", "CCI-003992")
    assert all(c.cci for c in catalog.controls if c.id[0] in "23")


def test_fedramp_catalog_has_the_six_requirements() -> None:
    catalog = load_catalog("fedramp-containers", CHECKS)
    assert [c.id for c in catalog.controls][:6] == [f"C-{i}" for i in range(1, 7)]
    by_id = {c.id: c for c in catalog.controls}
    assert "vulnscan.fresh" in by_id["C-3"].checks
    assert by_id["REMEDIATION"].checks == ("vulnscan.remediation_sla",)


def test_rubric_catalog_has_six_criteria_each_scored() -> None:
    catalog = load_catalog(RUBRIC_CATALOG, CHECKS)
    assert [c.id for c in catalog.controls] == [f"R{i}" for i in range(1, 7)]
    assert all(len(c.checks) == 1 and c.checks[0] in SCORERS for c in catalog.controls)


def test_fips_module_table() -> None:
    modules = {m.id: m for m in load_fips_modules()}
    assert modules["openssl-fips-provider-3.1.2"].certificate == "4985"
    assert modules["openssl-fips-provider-3.1.2"].standard == "140-3"
    assert modules["openssl-fips-provider-3.0.8"].certificate == "4282"
    assert modules["openssl-fips-provider-3.0.9"].certificate == "4811"
    assert modules["go-cryptographic-module-1.0.0"].certificate == "5247"
    assert modules["go-cryptographic-module-1.26.0"].status == "in-process"
    fips_140_2 = modules["openssl-fips-provider-3.0.9"]
    assert certificate_status(fips_140_2, NOW.date().replace(year=2026, month=9, day=22)) is CertificateStatus.ACTIVE
    assert (
        certificate_status(fips_140_2, NOW.date().replace(year=2026, month=9, day=23)) is CertificateStatus.HISTORICAL
    )


def test_fips_table_errors_are_all_reported(tmp_path: Path) -> None:
    bad = tmp_path / "fips.yaml"
    bad.write_text(
        "table: fips-modules\ntitle: t\nversion: '1'\nmodules:\n"
        "  - {id: a, module: m, family: openssl, status: active, match: {names: [x]}}\n"
        "  - {id: b, module: m, family: rust, status: unknown, match: {names: [y]}}\n"
    )
    with pytest.raises(CatalogError) as caught:
        load_fips_modules(bad)
    assert "2 problem(s)" in str(caught.value)
    assert "module a" in str(caught.value)
    assert "module b.family" in str(caught.value)


@pytest.mark.parametrize("name", PROFILES)
def test_profiles_load_with_their_catalogs(name: str) -> None:
    assert available_profiles() == PROFILES
    profile = load_profile(name)
    for catalog in profile.catalogs:
        load_catalog(catalog, CHECKS)


def test_profile_parameters() -> None:
    for level in ("low", "moderate", "high"):
        profile = load_profile(f"fedramp-{level}")
        assert profile.strict
        assert profile.parameters.sla_days == SlaDays(critical=30, high=30, medium=90, low=180)
        assert profile.parameters.max_scan_age_days == 30
        assert {"fedramp-containers", "fips-140-3"} <= set(profile.catalogs)
    dod = load_profile("dod")
    assert dod.strict
    assert {"disa-container", "fips-140-3"} <= set(dod.catalogs)
    assert dod.parameters.approved_base_registries == ("registry1.dso.mil",)
    assert dod.parameters.sla_days.low == 30
    assert load_profile("cis").catalogs == ("cis-docker", RUBRIC_CATALOG)
    default = load_profile("default")
    assert (default.catalogs, default.strict) == (("nist-800-190",), False)


def test_user_catalog_with_three_errors_reports_all_three(tmp_path: Path) -> None:
    bad = tmp_path / "mine.yaml"
    bad.write_text(
        "catalog: mine\ntitle: t\nversion: '1'\ncontrols:\n"
        "  - {id: ONE, title: a, scope: full, nist_800_53: [RA 5], checks: [vulnscan.present]}\n"
        "  - {id: TWO, title: b, scope: full, nist_800_53: [RA-5], cci: [CCI-12]}\n"
        "  - {id: THREE, title: c, scope: full, nist_800_53: [RA-5], checks: [no.such.check]}\n"
    )
    with pytest.raises(CatalogError) as caught:
        load_catalog(str(bad), CHECKS)
    message = str(caught.value)
    assert message.startswith(f"{bad}: 3 problem(s):")  # the path as given
    assert "control ONE: " in message
    assert "RA 5" in message
    assert "control TWO: " in message
    assert "CCI-12" in message
    assert "control THREE: unknown check no.such.check" in message


def test_user_catalog_with_a_bundled_id_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "copy.yaml"
    copy.write_text(packaged_file("controls", "cis-docker.yaml").read_text())
    assert main(["controls", "list", "--catalog", str(copy)]) == 3
    assert "catalog id 'cis-docker' is already used" in capsys.readouterr().err


def test_reference_table_is_not_a_catalog() -> None:
    with pytest.raises(CatalogError, match="unknown catalog 'fips-modules'"):
        load_catalog("fips-modules", CHECKS)


# --- evaluation: strict mode, combining, the rubric -------------------------------------------


def test_strict_profile_turns_missing_evidence_into_not_satisfied() -> None:
    spec = load_catalog("nist-800-190", CHECKS).controls[0]
    result = decide("nist-800-190", spec, context())
    assert result.status is Status.EVIDENCE_MISSING
    assert strictly(result, strict=False) is result
    strict = strictly(result, strict=True)
    assert strict.status is Status.NOT_SATISFIED
    assert strict.reason.startswith("Strict profile: missing evidence counts as not satisfied.")
    satisfied = replace(result, status=Status.SATISFIED)
    assert strictly(satisfied, strict=True) is satisfied


def test_evaluate_under_a_strict_profile_and_the_rubric() -> None:
    catalogs = [load_catalog("nist-800-190", CHECKS), load_catalog(RUBRIC_CATALOG, CHECKS)]
    profile = Profile(
        name="p", title="t", catalogs=("nist-800-190", RUBRIC_CATALOG), parameters=Parameters(), strict=True
    )
    package = evaluate(catalogs, profile, EvidenceSet(items=()), image=IMAGE_REF, now=NOW)
    assert not any(c.status is Status.EVIDENCE_MISSING for c in package.controls)
    assert [s.criterion for s in package.rubric] == [c.title for c in catalogs[1].controls]
    assert package.rubric_grade == "F"  # no signature and no SBOM: two gates fail
    lenient = evaluate(catalogs[:1], replace(profile, strict=False), EvidenceSet(items=()), image=IMAGE_REF, now=NOW)
    assert (lenient.rubric, lenient.rubric_grade) == ((), None)
    assert any(c.status is Status.EVIDENCE_MISSING for c in lenient.controls)


def test_a_manual_check_makes_the_control_manual_unless_another_fails() -> None:
    spec = load_catalog("cis-docker", CHECKS).controls[1]  # 4.2: pinned + approved registry (manual without a list)
    # the image's build file: a verified provenance of the image records its digest
    pinned = replace(
        dockerfile(base_images=(Located(value=f"python@{DIGEST}", location="line 1"),)),
        binding=Binding.MATCH,
        named_by="ev-provenance",
    )
    assert decide("cis-docker", spec, context(pinned)).status is Status.MANUAL
    unpinned = dockerfile(unpinned_base_images=(Located(value="python:3", location="line 1"),))
    assert decide("cis-docker", spec, context(unpinned)).status is Status.NOT_SATISFIED


@pytest.mark.parametrize(
    ("points", "gate", "expected"),
    [((4, 4, 4, 4, 3, 3), False, "A"), ((3, 3, 3, 3, 3, 3), False, "B"), ((2,) * 6, False, "C"),
     ((1,) * 6, False, "D"), ((4,) * 6, True, "F")],
)  # fmt: skip
def test_grade_bands(points: tuple[int, ...], gate: bool, expected: str) -> None:
    scores = [
        RubricScore(criterion=f"c{i}", score=p, reason="r", gate_failed=gate and i == 0) for i, p in enumerate(points)
    ]
    assert grade(scores) == expected


# --- the new checks, each with passing and failing evidence -----------------------------------


def test_a_check_runs_once_per_context_and_a_changed_context_runs_it_again() -> None:
    ctx = context(config(exposed_ports=("8080/tcp",)))
    first = CHECKS["config.no_ssh_port"](ctx)
    assert CHECKS["config.no_ssh_port"](ctx) is first  # kept: controls, summary and rubric ask it again
    changed = replace(ctx, evidence=(config(exposed_ports=("22/tcp",)),))  # as a check that leaves files out does
    assert CHECKS["config.no_ssh_port"](changed).status is Status.NOT_SATISFIED
    assert first.status is Status.SATISFIED


def test_no_ssh_port() -> None:
    assert run("config.no_ssh_port", config(exposed_ports=("8080/tcp",)))[0] is Status.SATISFIED
    assert run("config.no_ssh_port", config(exposed_ports=("22/tcp",)))[0] is Status.NOT_SATISFIED
    assert run("config.no_ssh_port", dockerfile(exposed_ports=(Located(value="22", location="line 3"),)))[0] is (
        Status.NOT_SATISFIED
    )
    assert run("config.no_ssh_port")[0] is Status.EVIDENCE_MISSING


def test_base_image_approved_registry() -> None:
    iron = dockerfile(base_images=(Located(value=f"registry1.dso.mil/ironbank/ubi9@{DIGEST}", location="line 1"),))
    hub = dockerfile(base_images=(Located(value=f"python@{DIGEST}", location="line 1"),))
    approved = Parameters(approved_base_registries=("registry1.dso.mil",))
    assert run("base_image.approved_registry", iron, params=approved)[0] is Status.SATISFIED
    status, reason = run("base_image.approved_registry", hub, params=approved)
    assert status is Status.NOT_SATISFIED
    assert f"python@{DIGEST}" in reason
    assert run("base_image.approved_registry", provenance(), params=approved)[0] is Status.SATISFIED
    assert run("base_image.approved_registry", params=approved)[0] is Status.EVIDENCE_MISSING
    assert run("base_image.approved_registry", iron)[0] is Status.MANUAL  # no list configured


@pytest.mark.parametrize(
    ("name", "bad_step"),
    [
        ("history.no_update_alone", "RUN /bin/sh -c apt-get update"),
        ("history.no_unverified_packages", "RUN /bin/sh -c apt-get install -y --allow-unauthenticated curl"),
        ("history.no_unverified_packages", "RUN /bin/sh -c dnf install -y --nogpgcheck tool"),
        ("history.no_pipe_to_shell", "RUN /bin/sh -c curl -fsSL https://get.example.com | sh"),
    ],
)
def test_history_checks(name: str, bad_step: str) -> None:
    good = "RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends ca-certificates"
    nop = '/bin/sh -c #(nop)  CMD ["app"]'
    assert run(name, config(history=(good, nop)))[0] is Status.SATISFIED
    status, reason = run(name, config(history=(good, bad_step, nop)))
    assert status is Status.NOT_SATISFIED
    assert bad_step.split(" -c ", 1)[1][:20] in reason
    # An image config without history (docker inspect) shows no build step
    status, reason = run(name, config(user="app"))
    assert status is Status.EVIDENCE_MISSING
    assert "RUN instructions" in reason
    # A Trivy scan copies the image's history (Metadata.ImageConfig.history): its steps are read, cited by pointer
    status, reason, cited = outcome(name, trivy_history(good, bad_step, nop))
    assert status is Status.NOT_SATISFIED
    assert bad_step.split(" -c ", 1)[1][:20] in reason
    assert cited == ["/Metadata/ImageConfig/history/1"]
    # The Dockerfile's RUN lines, bound to the image by a verified provenance
    status, reason, cited = outcome(name, build_file(bad_step.split(" -c ", 1)[1]))
    assert status is Status.NOT_SATISFIED
    assert cited == ["line 3"]


def trivy_history(*steps: str, binding: Binding = Binding.MATCH) -> Evidence:
    """A Trivy scan of the image that records its config's history, as Trivy copies it into `Metadata`."""
    history = tuple(HistoryEntry(created_by=step) for step in steps)
    facts = ImageConfigFacts(history_entries=history, history_location="/Metadata/ImageConfig/history")
    return replace(scan(binding=binding, image_config=facts), format="Trivy JSON")


def build_file(*runs: str, binding: Binding = Binding.MATCH) -> Evidence:
    """The image's Dockerfile, bound to it by a verified provenance, with these RUN lines (from line 3)."""
    lines = tuple(Located(value=run, location=f"line {n}") for n, run in enumerate(runs, start=3))
    named_by = "ev-provenance" if binding is Binding.MATCH else None
    return replace(dockerfile(run_commands=lines), binding=binding, named_by=named_by)


def outcome(name: str, *items: Evidence) -> tuple[Status, str, list[str | None]]:
    result = CHECKS[name](context(*items))
    return result.status, result.reason, [r.location for r in result.evidence]


HISTORY_CHECKS = ("history.no_update_alone", "history.no_unverified_packages", "history.no_pipe_to_shell")


@pytest.mark.parametrize("name", HISTORY_CHECKS)
def test_history_checks_read_the_dockerfile_run_lines(name: str) -> None:
    clean = "apt-get update && apt-get install -y --no-install-recommends ca-certificates"
    status, reason, _ = outcome(name, build_file(clean))
    assert status is Status.SATISFIED
    assert "1 RUN line(s) of the Dockerfile" in reason
    # A Dockerfile shows this build's steps, not the base image's: the outcome says what it does not show.
    result = CHECKS[name](context(build_file(clean)))
    assert result.not_shown is not None
    assert "base image" in result.not_shown
    # With the image history as well, every step of the image is shown.
    both = CHECKS[name](context(build_file(clean), trivy_history(f"RUN /bin/sh -c {clean}")))
    assert both.status is Status.SATISFIED
    assert both.not_shown is None
    assert "1 step(s) in the image history" in both.reason


@pytest.mark.parametrize("name", HISTORY_CHECKS)
def test_history_checks_never_pass_on_unbound_evidence(name: str) -> None:
    clean = "apt-get install -y --no-install-recommends ca-certificates"
    # A Dockerfile nothing binds to the image: evaluation says it is not shown to describe it.
    spec = next(c for c in load_catalog("disa-container", CHECKS).controls if name in c.checks)
    result = decide("disa-container", spec, context(build_file(clean, binding=Binding.UNBOUND)))
    assert result.checks[0].status is Status.EVIDENCE_MISSING
    assert "names no image digest" in result.checks[0].reason
    # A scan of another image is never read for this one's history.
    status, reason, _ = outcome(name, trivy_history(f"RUN /bin/sh -c {clean}", binding=Binding.MISMATCH))
    assert status is Status.EVIDENCE_MISSING
    assert "describe another image digest" in reason
    # With the image's own history, an unbound Dockerfile's RUN lines decide nothing, whatever they say.
    bad = "curl -fsSL https://get.example.com | sh && apt-get update && apt-get install --allow-unauthenticated x"
    status, reason, _ = outcome(
        name, trivy_history(f"RUN /bin/sh -c {clean}"), build_file("apt-get update", bad, binding=Binding.UNBOUND)
    )
    assert status is Status.SATISFIED, reason


@pytest.mark.parametrize("name", HISTORY_CHECKS)
def test_history_checks_on_a_stale_scan(name: str) -> None:
    clean = "RUN /bin/sh -c apt-get install -y --no-install-recommends ca-certificates"
    bad = (
        "RUN /bin/sh -c apt-get update",
        "RUN /bin/sh -c curl -fsSL https://x | sh",
        "RUN /bin/sh -c apk add --allow-untrusted x",
    )
    # A stale file shows no absence: its history is not counted, and the outcome says so
    status, reason, _ = outcome(name, replace(trivy_history(clean), stale=True))
    assert status is Status.EVIDENCE_MISSING
    assert "is not counted: the file is stale" in reason
    status, reason, _ = outcome(name, replace(trivy_history(clean), stale=True), build_file("useradd app"))
    assert status is Status.SATISFIED
    assert "is not counted: the file is stale" in reason
    # but a step it records is in the image's history for good: it fails the check
    assert outcome(name, replace(trivy_history(clean, *bad), stale=True))[0] is Status.NOT_SATISFIED


def test_no_unnecessary_packages() -> None:
    clean = sbom(pkg("bash"), pkg("dpkg"), pkg("gcc-12-base"), pkg("libc6"))
    status, reason = run("sbom.no_unnecessary_packages", clean)
    assert status is Status.SATISFIED
    assert "shell present (bash)" in reason
    assert "package manager present (dpkg)" in reason
    for tool in ("gcc-12", "sudo", "netcat-openbsd", "openssh-server", "make"):
        assert run("sbom.no_unnecessary_packages", sbom(pkg("libc6"), pkg(tool)))[0] is Status.NOT_SATISFIED, tool
    # a language package that shares a name with an OS tool is not one
    assert run("sbom.no_unnecessary_packages", sbom(pkg("make", purl="pkg:npm/make@1.0")))[0] is Status.SATISFIED
    assert run("sbom.no_unnecessary_packages")[0] is Status.EVIDENCE_MISSING


def test_secret_detections() -> None:
    secret = Detection(
        category=DetectionCategory.SECRET, id="aws-access-key-id", title="AWS Access Key", target="/app/.env"
    )
    misconfig = Detection(category=DetectionCategory.MISCONFIGURATION, id="DS002", title="root user")
    # A scan that reports no secret does not show that secret detection ran: the absence is not a pass.
    status, reason = run("secrets.no_detections", scan(detections=(misconfig,)))
    assert status is Status.EVIDENCE_MISSING
    assert "No secret scan of the image was supplied" in reason
    status, reason = run("secrets.no_detections", scan(detections=(secret,)))
    assert status is Status.NOT_SATISFIED
    assert "AWS Access Key in /app/.env" in reason
    assert run("secrets.no_detections")[0] is Status.EVIDENCE_MISSING


def test_database_current() -> None:
    fresh = scan(database_updated=NOW - timedelta(days=3))
    old = scan(database_updated=NOW - timedelta(days=45))
    assert run("vulnscan.database_current", fresh)[0] is Status.SATISFIED
    assert run("vulnscan.database_current", old)[0] is Status.NOT_SATISFIED
    assert run("vulnscan.database_current", scan())[0] is Status.EVIDENCE_MISSING
    assert run("vulnscan.database_current")[0] is Status.EVIDENCE_MISSING


def test_remediation_sla_counts_from_the_earliest_scan_that_reports_it() -> None:
    high = finding("CVE-2026-0001", Severity.HIGH, published_days=10)  # published with the scan: no earlier detection
    assert run("vulnscan.remediation_sla", scan(high, days_old=10))[0] is Status.SATISFIED
    old = finding("CVE-2026-0003", Severity.HIGH, published_days=400)  # a detection before this scan may be missed
    status, reason = run("vulnscan.remediation_sla", scan(old, days_old=10))
    assert status is Status.EVIDENCE_MISSING
    assert "only by a clock this assessment's scans start" in reason
    status, reason = run("vulnscan.remediation_sla", scan(high, days_old=1), scan(high, days_old=40))
    assert status is Status.NOT_SATISFIED
    assert "CVE-2026-0001 (high, pkg, 40 days, limit 30)" in reason
    medium = finding("CVE-2026-0002", Severity.MEDIUM, published_days=40)
    assert run("vulnscan.remediation_sla", scan(medium, days_old=40))[0] is Status.SATISFIED  # 90 days
    tight = Parameters(sla_days=SlaDays(critical=30, high=30, medium=30, low=30))
    assert run("vulnscan.remediation_sla", scan(medium, days_old=40), params=tight)[0] is Status.NOT_SATISFIED
    assert run("vulnscan.remediation_sla")[0] is Status.EVIDENCE_MISSING


def test_attestations_verified() -> None:
    signed_sbom = sbom(pkg("a"), signed=True)
    assert run("attestations.verified", signature(), signed_sbom, provenance())[0] is Status.SATISFIED
    status, reason = run("attestations.verified", signature(), provenance(Verification.FAILED))
    assert status is Status.NOT_SATISFIED
    assert "fail" in reason
    assert run("attestations.verified", signature(), provenance(Verification.UNVERIFIABLE))[0] is (
        Status.EVIDENCE_MISSING
    )
    assert run("attestations.verified", provenance())[0] is Status.EVIDENCE_MISSING  # no image signature
    assert run("attestations.verified")[0] is Status.EVIDENCE_MISSING


# FIPS


def openssl_provider(version: str, name: str = "openssl-provider-fips") -> Component:
    return pkg(name, version, purl=f"pkg:apk/wolfi/{name}@{version}")


def test_fips_validated_module_configured_for_fips_mode() -> None:
    image = sbom(
        openssl_provider("3.1.2-r3"), pkg("openssl-config-fipshardened", "3.5.0-r0"), pkg("libcrypto3", "3.6.0")
    )
    status, reason = run("fips.validated_module", image)
    assert status is Status.SATISFIED, reason
    assert "#4985" in reason
    assert "openssl-config-fipshardened" in reason


def test_fips_capable_only_is_partial_and_not_satisfied() -> None:
    # A validated provider, but nothing shows FIPS made the default.
    status, reason = run("fips.validated_module", sbom(openssl_provider("3.1.2-r3"), file("/etc/ssl/fipsmodule.cnf")))
    assert status is Status.NOT_SATISFIED
    assert reason.startswith("Partial (FIPS-capable only)")
    assert "fipsmodule.cnf" in reason
    # A FIPS 140-2 certificate after its sunset (2026-09-22; the assessment is 2026-11-20).
    configured = pkg("openssl-config-fipshardened", "1")
    status, reason = run("fips.validated_module", sbom(openssl_provider("3.0.9-r1"), configured))
    assert status is Status.NOT_SATISFIED
    assert "#4811, historical" in reason
    # ... and the same before the sunset.
    before = run("fips.validated_module", sbom(openssl_provider("3.0.9-r1"), configured), now_offset=-90)
    assert before[0] is Status.SATISFIED
    # The Go module is validated, but its FIPS mode is in build settings and env values the evidence lacks.
    go = pkg("golang.org/fips140", "v1.0.0-c2097c7c", purl="pkg:golang/golang.org/fips140@v1.0.0-c2097c7c")
    status, reason = run("fips.validated_module", sbom(go), config(env_names=("GODEBUG",)))
    assert status is Status.NOT_SATISFIED
    assert "#5247" in reason
    assert "GODEBUG set (values not recorded)" in reason
    # Bouncy Castle FIPS: recognized, no certificate in the table.
    bc = pkg("bc-fips", "2.0.0", purl="pkg:maven/org.bouncycastle/bc-fips@2.0.0")
    assert "has no certificate" in run("fips.validated_module", sbom(bc))[1]
    # An unknown provider version, and RHEL's crypto-policies.
    assert "not in the reference table" in run("fips.validated_module", sbom(openssl_provider("3.9.9")))[1]
    assert "crypto-policies" in run("fips.validated_module", sbom(pkg("crypto-policies", "20240828")))[1]


def test_fips_none_and_missing() -> None:
    status, reason = run("fips.validated_module", sbom(pkg("libssl3", "3.0.15"), pkg("openssl", "3.0.15")))
    assert status is Status.NOT_SATISFIED
    assert reason.startswith("No FIPS 140 module:")
    assert run("fips.validated_module")[0] is Status.EVIDENCE_MISSING


def test_fips_no_bundled_crypto() -> None:
    system = sbom(pkg("libssl3", "3.0.15-1"), pkg("openssl", "3.0.15-1"), pkg("flask", "3", purl="pkg:pypi/flask@3"))
    assert run("fips.no_bundled_crypto", system)[0] is Status.SATISFIED
    wheel = pkg("cryptography", "43.0.3", purl="pkg:pypi/cryptography@43.0.3")
    status, reason = run("fips.no_bundled_crypto", sbom(pkg("libssl3", "3.0.15"), wheel))
    assert status is Status.NOT_SATISFIED
    assert "cryptography 43.0.3" in reason
    two = sbom(pkg("libssl3", "3.0.15"), pkg("libssl1.1", "1.1.1w"))
    assert run("fips.no_bundled_crypto", two)[0] is Status.NOT_SATISFIED
    assert run("fips.no_bundled_crypto")[0] is Status.EVIDENCE_MISSING


# the rubric


def score(name: str, *items: Evidence, params: Parameters | None = None) -> tuple[int, bool, Status, str]:
    ctx = context(*items, params=params)
    result = SCORERS[name](ctx)
    return result.points, result.gate_failed, CHECKS[name](ctx).status, result.reason


def test_rubric_minimization() -> None:
    assert score("rubric.minimization", sbom(pkg("libc6"), pkg("ca-certificates")))[:3] == (3, False, Status.SATISFIED)
    assert "setuid" in score("rubric.minimization", sbom(pkg("libc6")))[3]
    assert score("rubric.minimization", sbom(pkg("bash"), pkg("apt"), pkg("dpkg")))[0] == 2
    many = sbom(pkg("bash"), pkg("dpkg"), *(pkg(f"lib{i}") for i in range(250)))
    assert score("rubric.minimization", many)[:3] == (1, False, Status.NOT_SATISFIED)
    assert score("rubric.minimization", sbom(pkg("gcc")))[0] == 0
    assert score("rubric.minimization", sbom(pkg("openssh-server")))[:3] == (0, True, Status.NOT_SATISFIED)
    assert score("rubric.minimization")[2] is Status.EVIDENCE_MISSING


def test_rubric_provenance() -> None:
    trusted = Parameters(rubric=RubricParameters(trusted_builders=("https://builder.example",)))
    assert score("rubric.provenance", provenance(), params=trusted)[0] == 4
    assert score("rubric.provenance", provenance())[0] == 3
    # provenance no trust anchor authenticates is a claim: L1 at most, below the pass score
    points, _, status, reason = score("rubric.provenance", provenance(None))
    assert (points, status) == (1, Status.NOT_SATISFIED)
    assert "no trust anchor authenticates it" in reason
    assert score("rubric.provenance", provenance(Verification.UNVERIFIABLE))[:3:2] == (1, Status.NOT_SATISFIED)
    labels = {"org.opencontainers.image.source": "https://x", "org.opencontainers.image.revision": "abc"}
    assert score("rubric.provenance", config(labels=labels))[:3] == (1, False, Status.NOT_SATISFIED)
    assert score("rubric.provenance")[2] is Status.EVIDENCE_MISSING
    unpinned = dockerfile(unpinned_base_images=(Located(value="python:3", location="line 1"),))
    capped = replace(provenance(), provenance=ProvenanceFacts(statement_type="s", predicate_type="p", builder_id="b"))
    points, _, _, reason = score("rubric.provenance", capped, unpinned)
    assert (points, "capped at 2" in reason) == (2, True)


def test_rubric_signing() -> None:
    everything = (signature(log_index=7), sbom(pkg("a"), signed=True), provenance(), vex(signed=True))
    assert score("rubric.signing", *everything)[0] == 4
    assert score("rubric.signing", signature())[0] == 3
    assert score("rubric.signing", signature(Verification.UNVERIFIABLE))[:3] == (1, False, Status.NOT_SATISFIED)
    assert score("rubric.signing", signature(Verification.FAILED))[:2] == (0, True)
    assert score("rubric.signing")[:3] == (0, True, Status.EVIDENCE_MISSING)


def test_rubric_patch_sla() -> None:
    vendor = Parameters(rubric=RubricParameters(vendor_sla_days=7))
    assert score("rubric.patch_sla", scan(), params=vendor)[0] == 4
    assert score("rubric.patch_sla", scan(finding("CVE-1", Severity.HIGH, published_days=10)), params=vendor)[0] == 2
    assert score("rubric.patch_sla", scan())[0] == 2  # no vendor SLA given
    assert score("rubric.patch_sla", scan(finding("CVE-2", Severity.CRITICAL, published_days=45)))[0] == 0
    assert score("rubric.patch_sla", scan(finding("CVE-3", Severity.HIGH), days_old=45))[0] == 1
    assert score("rubric.patch_sla", scan(finding("CVE-4", Severity.LOW, kev=True)))[:2] == (0, True)
    assert score("rubric.patch_sla")[2] is Status.EVIDENCE_MISSING


def test_rubric_sbom_vex() -> None:
    high = finding("CVE-9", Severity.HIGH)
    statement = VexStatement(vulnerability="CVE-9", status="affected")
    full = (sbom(pkg("a"), pkg("b"), signed=True), scan(high), vex(statement, signed=True))
    assert score("rubric.sbom_vex", *full)[0] == 4
    assert score("rubric.sbom_vex", sbom(pkg("a")), scan(high), vex(statement))[0] == 3
    assert score("rubric.sbom_vex", sbom(pkg("a")))[0] == 2
    incomplete = sbom(pkg("a"), Component(name="b", location="/c"))
    assert score("rubric.sbom_vex", incomplete)[:3] == (1, False, Status.NOT_SATISFIED)
    assert score("rubric.sbom_vex")[:3] == (0, True, Status.EVIDENCE_MISSING)


def test_rubric_compliance() -> None:
    good = config(user="app", healthcheck=True, exposed_ports=("8080/tcp",))
    points, _, status, reason = score("rubric.compliance", good, signature(), sbom(pkg("libc6")), dockerfile())
    assert (points, status) == (2, Status.SATISFIED)
    assert "no validated FIPS module" in reason
    fips = sbom(openssl_provider("3.1.2"), pkg("openssl-config-fipshardened", "1"))
    assert score("rubric.compliance", good, signature(), fips, dockerfile())[0] == 3
    strict = Parameters(rubric=RubricParameters(require_stig_and_fips=True))
    assert score("rubric.compliance", good, signature(), fips, dockerfile(), params=strict)[0] == 2
    assert score("rubric.compliance", config(user="app", healthcheck=False))[0] == 1
    assert score("rubric.compliance", config(user="root", healthcheck=True))[0] == 0
    assert score("rubric.compliance")[2] is Status.EVIDENCE_MISSING


# --- the command line: controls, and one package per profile ----------------------------------


def test_controls_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["controls", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    expected = sum(len(load_catalog(c, CHECKS).controls) for c in available_catalogs())
    assert len(rows) == expected
    assert all(set(r) == {"catalog", "id", "title", "nist_800_53", "decided_by"} for r in rows)
    by_key = {(r["catalog"], r["id"]): r for r in rows}
    assert by_key["nist-800-190", "4.1.5"]["nist_800_53"][:3] == ["CM-14", "SI-7", "SI-7(15)"]
    assert by_key["nist-800-190", "4.1.1"]["decided_by"] == [
        "vulnscan.present",
        "vulnscan.fresh",
        "vulnscan.no_fixable_at_gate",
    ]
    assert by_key["nist-800-190", "4.3.1"]["decided_by"][0].startswith("not-assessed: Orchestrator")
    assert by_key["nist-800-190", "4.1.3"]["decided_by"][0].startswith("manual: Needs a malware scan")


def test_controls_list_for_a_profile_and_a_user_catalog(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(USER_CATALOG)
    assert main(["controls", "list", "--json", "--profile", "cis", "--catalog", str(mine)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted({r["catalog"] for r in rows}) == ["base-image-rubric", "cis-docker", "mine"]
    assert main(["controls", "list", "--catalog", str(mine)]) == 0
    assert "mine: Mine (version 1, 1 controls)" in capsys.readouterr().out


def test_controls_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["controls", "show", "2.2"]) == 0
    out = capsys.readouterr().out
    assert "disa-container 2.2: Image runs as a non-privileged user" in out
    assert "CCI:          CCI-002235" in out
    assert "decided by:   config.non_root_user" in out
    assert main(["controls", "show", "fips-140-3", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in shown] == [f"FIPS-{i}" for i in range(1, 6)]
    assert main(["controls", "show", "cis-docker:4.5", "--json"]) == 0
    (only,) = json.loads(capsys.readouterr().out)
    assert (only["assessment"], only["decided_by"]) == ("Automated", ["signature.verified"])
    assert main(["controls", "show", "9.9.9"]) == 2
    assert "no catalog or control with id '9.9.9'" in capsys.readouterr().err


@cache
def _component_validator() -> Any:
    schema = json.loads((OSCAL_SCHEMAS / "oscal_component_schema.json").read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema, validate_formats=True)


@pytest.fixture(scope="module", params=PROFILES)
def packaged(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sample_package: SamplePackages
) -> tuple[str, Path]:
    """The sample packaged with each profile: the session's shared package, but for the default profile, which
    also takes a user catalog here."""
    profile = str(request.param)
    if profile != "default":
        return profile, sample_package("1.4.0", profile)
    out = tmp_path_factory.mktemp(profile) / "pkg"
    mine = out.parent / "mine.yaml"
    mine.write_text(USER_CATALOG)
    argv = ["package", str(SAMPLE), "--image", IMAGE, "--release", "1.4.0", "--timestamp", TIMESTAMP]
    argv += ["--key", str(SAMPLE_KEY)]  # as every sample package is made
    assert main([*argv, "--catalog", str(mine), "--profile", profile, "--out", str(out), "--quiet"]) == 0
    return profile, out


def test_each_profile_packages_the_sample(packaged: tuple[str, Path]) -> None:
    profile, out = packaged
    package = load_package(out / "audit.json")
    assert package.profile == profile
    extra = ["mine"] if profile == "default" else []
    assert [c.id for c in package.catalogs] == [*load_profile(profile).catalogs, *extra]
    if load_profile(profile).strict:
        assert not any(c.status is Status.EVIDENCE_MISSING for c in package.controls)
    component = orjson.loads((out / "oscal" / "component-definition.json").read_bytes())
    errors = [
        f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in _component_validator().iter_errors(component)
    ]
    assert not errors, errors
    requirements = component["component-definition"]["components"][0]["control-implementations"][0][
        "implemented-requirements"
    ]
    mapped = {
        m.lower().replace("(", ".").rstrip(")")
        for c in package.controls
        if c.catalog != RUBRIC_CATALOG and c.status not in (Status.NOT_APPLICABLE, Status.NOT_ASSESSED)
        for m in c.nist_800_53
    }
    assert {r["control-id"] for r in requirements} == mapped
    ar = orjson.loads((out / "oscal" / "assessment-results.json").read_bytes())["assessment-results"]["results"][0]
    rubric_observations = [
        o for o in ar["observations"] if any(p["name"] == "rubric-criterion" for p in o.get("props", []))
    ]
    assert len(rubric_observations) == len(package.rubric)
    assert not any("base-image-rubric" in json.dumps(f["props"]) for f in ar.get("findings", []))
    if package.rubric:
        assert RUBRIC_CATALOG in load_profile(profile).catalogs
        assert package.rubric_grade in {"A", "B", "C", "D", "F"}
        html = (out / "report.html").read_text(encoding="utf-8")
        cover = html.split('id="contents"', 1)[0]
        assert f"grade <strong>{package.rubric_grade}</strong>" in cover
        assert all(s.criterion in cover for s in package.rubric)
        book = load_workbook(out / "workbook.xlsx")
        cells = [c for row in book["Summary"].iter_rows(values_only=True) for c in row if c is not None]
        book.close()
        assert "Secure base-image rubric" in cells
        assert any(isinstance(c, str) and c.startswith(f"{package.rubric_grade} (") for c in cells)
        included = {
            i["control-id"] for s in ar["reviewed-controls"]["control-selections"] for i in s["include-controls"]
        }
        assert "sa-15" not in included  # mapped by the rubric (R2) only: a crosswalk, not a reviewed control


def test_sample_verdicts(packaged: tuple[str, Path]) -> None:
    profile, out = packaged
    by_id: dict[str, ControlResult] = {c.control_id: c for c in load_package(out / "audit.json").controls}
    if profile == "dod":
        assert by_id["2.2"].status is Status.SATISFIED
        assert by_id["2.14"].status is Status.NOT_SATISFIED  # python from Docker Hub, not Iron Bank
        assert by_id["FIPS-1"].reason.startswith("No FIPS 140 module:")
        assert by_id["FIPS-2"].status is Status.NOT_SATISFIED  # the cryptography wheel bundles OpenSSL
        # docker inspect output has no build history; the Trivy scan's Metadata.ImageConfig.history and the
        # Dockerfile's RUN lines (bound by the verified provenance) answer DISA 2.4, 2.8 and 2.11
        for control_id, check in (
            ("2.4", "history.no_pipe_to_shell"),
            ("2.8", "history.no_update_alone"),
            ("2.11", "history.no_unverified_packages"),
        ):
            control = by_id[control_id]
            assert control.status is Status.SATISFIED, (control_id, control.reason)
            assert control.scope is Scope.PARTIAL  # the catalog names what image evidence does not show
            result = next(c for c in control.checks if c.check == check)
            assert {r.path.rsplit("/", 1)[-1] for r in result.evidence} == {"trivy.json", "Dockerfile"}
            assert "step(s) in the image history" in result.reason
            assert "RUN line(s) of the Dockerfile" in result.reason
    elif profile == "cis":
        assert by_id["4.1"].status is Status.SATISFIED
        assert by_id["4.2"].status is Status.MANUAL  # pinned, but no approved registries configured
        assert by_id["4.4"].status is Status.NOT_SATISFIED  # a critical fixable vulnerability is open
        assert by_id["4.5"].status is Status.SATISFIED  # the cosign signature verifies
    elif profile == "default":
        assert by_id["M-1"].status is Status.SATISFIED  # the user catalog's control


def test_fips_module_spec_requires_a_certificate_when_validated() -> None:
    with pytest.raises(ValueError, match="needs its certificate"):
        FipsModuleSpec.model_validate(
            {"id": "x", "module": "m", "family": "go", "status": "active", "match": {"names": ["x"]}}
        )
