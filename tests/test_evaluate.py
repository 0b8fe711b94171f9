"""Each check with satisfying and failing evidence; control aggregation; VEX and digest binding."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from conftest import DIGEST, NOW

from evidence.catalog import ControlSpec, Parameters, load_catalog
from evidence.catalog.loader import Profile
from evidence.evaluate import decide, evaluate
from evidence.evaluate.checks import CHECKS, Context
from evidence.evaluate.vulnerabilities import build_records
from evidence.model import (
    Binding,
    Component,
    DockerfileFacts,
    Evidence,
    EvidenceKind,
    EvidenceSet,
    ImageConfigFacts,
    ImageRef,
    Located,
    ProvenanceFacts,
    Scope,
    Severity,
    SignatureFacts,
    SignatureMethod,
    Status,
    Verification,
    VexStatement,
    VulnerabilityFinding,
)

IMAGE = ImageRef(reference=f"registry.example.com/webapp@{DIGEST}", name="registry.example.com/webapp", digest=DIGEST)
OTHER = "sha256:" + "ee" * 32
_counter = iter(range(10_000))


def ev(kind: EvidenceKind, *, binding: Binding = Binding.MATCH, **facts: Any) -> Evidence:
    n = next(_counter)
    subjects = {Binding.MATCH: (DIGEST,), Binding.MISMATCH: (OTHER,), Binding.UNBOUND: ()}[binding]
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


def run(name: str, *items: Evidence, now_offset: int = 0, vex_authors: tuple[str, ...] = ()) -> tuple[Status, str]:
    records = build_records(items, DIGEST, vex_authors=vex_authors)
    ctx = Context(
        image=IMAGE, now=NOW + timedelta(days=now_offset), params=Parameters(), evidence=items, vulnerabilities=records
    )
    outcome = CHECKS[name](ctx)
    return outcome.status, outcome.reason


def scan(*findings: VulnerabilityFinding, days_old: int = 1, binding: Binding = Binding.MATCH) -> Evidence:
    return ev(
        EvidenceKind.VULNERABILITY_SCAN,
        binding=binding,
        tool="trivy",
        tool_version="0.56.2",
        collected_at=NOW - timedelta(days=days_old),
        vulnerabilities=findings,
    )


def finding(
    vid: str, severity: Severity, *, fixed: tuple[str, ...] = ("2.0",), package: str = "pkg", purl: str | None = None
) -> VulnerabilityFinding:
    return VulnerabilityFinding(
        id=vid, package=package, installed_version="1.0", severity=severity, fixed_versions=fixed, purl=purl
    )


def config(**facts: Any) -> Evidence:
    return ev(EvidenceKind.IMAGE_CONFIG, image_config=ImageConfigFacts(**facts))


def dockerfile(**facts: Any) -> Evidence:
    return ev(EvidenceKind.DOCKERFILE, binding=Binding.UNBOUND, dockerfile=DockerfileFacts(**facts))


def signature(status: Verification, digest: str = DIGEST) -> Evidence:
    return ev(
        EvidenceKind.SIGNATURE,
        signature=SignatureFacts(
            method=SignatureMethod.COSIGN_KEY_PAIR, status=status, reason="why", signed_digest=digest
        ),
    )


def at(value: str, line: int = 1) -> Located:
    return Located(value=value, location=f"line {line}")


# vulnerability scans


def test_scan_present() -> None:
    assert run("vulnscan.present", scan())[0] is Status.SATISFIED
    assert run("vulnscan.present")[0] is Status.EVIDENCE_MISSING
    status, reason = run("vulnscan.present", scan(binding=Binding.MISMATCH))
    assert status is Status.EVIDENCE_MISSING
    assert "another image digest" in reason


def test_scan_fresh() -> None:
    assert run("vulnscan.fresh", scan(days_old=29))[0] is Status.SATISFIED
    assert run("vulnscan.fresh", scan(days_old=31))[0] is Status.NOT_SATISFIED
    assert run("vulnscan.fresh", scan(days_old=-2))[0] is Status.NOT_SATISFIED
    undated = ev(EvidenceKind.VULNERABILITY_SCAN)
    assert run("vulnscan.fresh", undated)[0] is Status.EVIDENCE_MISSING


def test_no_fixable_at_gate() -> None:
    ok = scan(finding("CVE-1", Severity.CRITICAL, fixed=()), finding("CVE-2", Severity.MEDIUM))
    assert run("vulnscan.no_fixable_at_gate", ok)[0] is Status.SATISFIED
    bad = scan(finding("CVE-3", Severity.HIGH))
    status, reason = run("vulnscan.no_fixable_at_gate", bad)
    assert status is Status.NOT_SATISFIED
    assert "CVE-3" in reason
    assert run("vulnscan.no_fixable_at_gate")[0] is Status.EVIDENCE_MISSING


def test_vex_not_affected_with_justification_suppresses() -> None:
    bad = scan(finding("CVE-3", Severity.HIGH, purl="pkg:pypi/pkg@1.0"))
    vex = ev(
        EvidenceKind.VEX,
        binding=Binding.UNBOUND,
        statements=(
            VexStatement(
                vulnerability="CVE-3",
                products=(f"pkg:oci/webapp@{DIGEST.replace(':', '%3A')}",),
                status="not_affected",
                justification="vulnerable_code_not_in_execute_path",
                author="Example PSIRT",
            ),
        ),
    )
    status, reason = run("vulnscan.no_fixable_at_gate", bad, vex, vex_authors=("Example PSIRT",))
    assert status is Status.SATISFIED
    assert "1 finding(s) suppressed" in reason
    record = build_records([bad, vex], DIGEST, vex_authors=("Example PSIRT",))[0]
    assert record.state == "suppressed"
    assert record.suppression is not None
    assert record.suppression.statement.justification == "vulnerable_code_not_in_execute_path"
    assert record.suppression.trusted_by == "policy author Example PSIRT"
    # an author the policy does not list proposes a false positive: the finding stays open and counts
    status, reason = run("vulnscan.no_fixable_at_gate", bad, vex)
    assert status is Status.NOT_SATISFIED
    assert "1 open finding(s) that a VEX statement from an untrusted source calls not affected are counted" in reason
    untrusted = build_records([bad, vex], DIGEST)[0]
    assert (untrusted.state, untrusted.suppression, untrusted.vex_proposal) == ("open", None, "false-positive")


@pytest.mark.parametrize(
    ("status", "justification", "product"),
    [
        ("not_affected", None, DIGEST),  # no justification: does not suppress
        ("affected", None, DIGEST),
        ("under_investigation", None, DIGEST),
        ("not_affected", "component_not_present", OTHER),  # about another image
    ],
)
def test_vex_that_does_not_suppress(status: str, justification: str | None, product: str) -> None:
    bad = scan(finding("CVE-3", Severity.HIGH))
    vex = ev(
        EvidenceKind.VEX,
        binding=Binding.UNBOUND,
        statements=(
            VexStatement(vulnerability="CVE-3", products=(product,), status=status, justification=justification),
        ),
    )
    assert run("vulnscan.no_fixable_at_gate", bad, vex)[0] is Status.NOT_SATISFIED


def test_scanners_merge_per_vulnerability_package_version() -> None:
    trivy = scan(finding("CVE-9", Severity.HIGH))
    grype = ev(
        EvidenceKind.VULNERABILITY_SCAN,
        tool="grype",
        collected_at=NOW,
        vulnerabilities=(finding("CVE-9", Severity.CRITICAL),),
    )
    (record,) = build_records([trivy, grype], DIGEST)
    assert record.scanners == ("grype", "trivy")
    assert record.severity is Severity.CRITICAL
    assert record.severities == {"grype": Severity.CRITICAL, "trivy": Severity.HIGH}
    assert len(record.evidence) == 2


def test_mismatched_scan_findings_are_not_used() -> None:
    other = scan(finding("CVE-3", Severity.CRITICAL), binding=Binding.MISMATCH)
    assert build_records([other], DIGEST) == ()


# image config and Dockerfile


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("app", Status.SATISFIED),
        ("1000:1000", Status.SATISFIED),
        ("", Status.NOT_SATISFIED),
        ("root", Status.NOT_SATISFIED),
        ("0:0", Status.NOT_SATISFIED),
    ],
)
def test_non_root_user_from_config(user: str, expected: Status) -> None:
    assert run("config.non_root_user", config(user=user))[0] is expected


def test_non_root_user_from_dockerfile_when_no_config() -> None:
    assert run("config.non_root_user", dockerfile(final_user=at("app", 9)))[0] is Status.SATISFIED
    assert run("config.non_root_user", dockerfile(final_user=None))[0] is Status.NOT_SATISFIED
    assert run("config.non_root_user")[0] is Status.EVIDENCE_MISSING


def test_config_of_another_image_is_not_used() -> None:
    other = ev(EvidenceKind.IMAGE_CONFIG, binding=Binding.MISMATCH, image_config=ImageConfigFacts(user="app"))
    assert run("config.non_root_user", other)[0] is Status.EVIDENCE_MISSING


def test_healthcheck() -> None:
    assert run("config.healthcheck", config(healthcheck=True))[0] is Status.SATISFIED
    assert run("config.healthcheck", config(healthcheck=False))[0] is Status.NOT_SATISFIED
    assert run("config.healthcheck", dockerfile(healthcheck=at("HEALTHCHECK")))[0] is Status.SATISFIED
    assert run("config.healthcheck", dockerfile())[0] is Status.NOT_SATISFIED
    assert run("config.healthcheck")[0] is Status.EVIDENCE_MISSING


def test_no_remote_add() -> None:
    assert run("dockerfile.no_remote_add", dockerfile())[0] is Status.SATISFIED
    status, reason = run("dockerfile.no_remote_add", dockerfile(remote_adds=(at("https://x/y.tgz", 4),)))
    assert status is Status.NOT_SATISFIED
    assert "line 4" in reason
    assert run("dockerfile.no_remote_add")[0] is Status.EVIDENCE_MISSING


def test_no_secret_env() -> None:
    assert run("config.no_secret_env", config(env_names=("PATH",)), dockerfile())[0] is Status.SATISFIED
    status, reason = run("config.no_secret_env", config(secret_env=(Located(value="DB_PASSWORD", location="/0"),)))
    assert status is Status.NOT_SATISFIED
    assert "DB_PASSWORD" in reason
    assert run("config.no_secret_env", dockerfile(secret_variables=(at("API_TOKEN"),)))[0] is Status.NOT_SATISFIED
    assert run("config.no_secret_env")[0] is Status.EVIDENCE_MISSING


def test_exposed_ports() -> None:
    assert run("config.exposed_ports_unprivileged", config(exposed_ports=("8080/tcp",)))[0] is Status.SATISFIED
    assert run("config.exposed_ports_unprivileged", config(exposed_ports=("22/tcp",)))[0] is Status.NOT_SATISFIED
    assert run("config.exposed_ports_unprivileged", config(exposed_ports=("80/tcp",)))[0] is Status.NOT_SATISFIED
    assert run("config.exposed_ports_unprivileged", config(exposed_ports=("5900/tcp",)))[0] is Status.NOT_SATISFIED
    assert run("config.exposed_ports_unprivileged", dockerfile(exposed_ports=(at("8443"),)))[0] is Status.SATISFIED
    assert run("config.exposed_ports_unprivileged")[0] is Status.EVIDENCE_MISSING


def test_sensitive_volumes() -> None:
    # No sensitive VOLUME in the image does not show that the workload mounts no host directory.
    assert run("config.no_sensitive_volumes", config(volumes=("/data",)))[0] is Status.NOT_ASSESSED
    assert run("config.no_sensitive_volumes", config(volumes=("/var/run/docker.sock",)))[0] is Status.NOT_SATISFIED
    assert run("config.no_sensitive_volumes", config(volumes=("/etc/",)))[0] is Status.NOT_SATISFIED
    assert run("config.no_sensitive_volumes")[0] is Status.EVIDENCE_MISSING


def test_image_age() -> None:
    assert run("config.image_age", config(created=NOW - timedelta(days=10)))[0] is Status.SATISFIED
    assert run("config.image_age", config(created=NOW - timedelta(days=200)))[0] is Status.NOT_SATISFIED
    assert run("config.image_age", config())[0] is Status.EVIDENCE_MISSING


def test_remote_admin_tools() -> None:
    clean = ev(EvidenceKind.SBOM, components=(Component(name="openssl", version="3"),))
    dirty = ev(EvidenceKind.SBOM, components=(Component(name="openssh-server", version="9.2"),))
    assert run("sbom.no_remote_admin_tools", clean)[0] is Status.SATISFIED
    status, reason = run("sbom.no_remote_admin_tools", dirty)
    assert status is Status.NOT_SATISFIED
    assert "openssh-server 9.2" in reason
    assert run("sbom.no_remote_admin_tools")[0] is Status.EVIDENCE_MISSING


# signatures, provenance, base image


def test_signature_verified() -> None:
    assert run("signature.verified", signature(Verification.VERIFIED))[0] is Status.SATISFIED
    assert run("signature.verified", signature(Verification.FAILED))[0] is Status.NOT_SATISFIED
    assert run("signature.verified", signature(Verification.UNVERIFIABLE))[0] is Status.EVIDENCE_MISSING
    assert run("signature.verified")[0] is Status.EVIDENCE_MISSING


def test_verified_signature_over_another_digest_does_not_count() -> None:
    other = ev(
        EvidenceKind.SIGNATURE,
        binding=Binding.MISMATCH,
        signature=SignatureFacts(
            method=SignatureMethod.COSIGN_KEY_PAIR, status=Verification.VERIFIED, reason="ok", signed_digest=OTHER
        ),
    )
    assert run("signature.verified", other)[0] is Status.EVIDENCE_MISSING


def provenance(status: Verification | None) -> Evidence:
    sig = SignatureFacts(method=SignatureMethod.DSSE, status=status, reason="why") if status else None
    return ev(
        EvidenceKind.PROVENANCE,
        provenance=ProvenanceFacts(
            statement_type="https://in-toto.io/Statement/v1",
            predicate_type="https://slsa.dev/provenance/v1",
            builder_id="https://github.com/actions/runner",
            source_repository="git+https://example.com/app",
            source_revision="abc",
            base_images=(Located(value=f"python@{DIGEST}", location="/p"),),
        ),
        signature=sig,
    )


def test_provenance_verified() -> None:
    status, reason = run("provenance.verified", provenance(Verification.VERIFIED))
    assert status is Status.SATISFIED
    assert "git+https://example.com/app@abc" in reason
    assert run("provenance.verified", provenance(Verification.FAILED))[0] is Status.NOT_SATISFIED
    assert run("provenance.verified", provenance(None))[0] is Status.EVIDENCE_MISSING
    assert run("provenance.verified")[0] is Status.EVIDENCE_MISSING


def test_base_image_pinned() -> None:
    pinned = dockerfile(base_images=(at(f"python:3.12@{DIGEST}"),))
    assert run("base_image.pinned", pinned)[0] is Status.SATISFIED
    unpinned = dockerfile(base_images=(at("python:3.12"),), unpinned_base_images=(at("python:3.12"),))
    assert run("base_image.pinned", unpinned)[0] is Status.NOT_SATISFIED
    assert run("base_image.pinned", provenance(Verification.VERIFIED))[0] is Status.SATISFIED
    labelled = config(labels={"org.opencontainers.image.base.digest": DIGEST})
    assert run("base_image.pinned", labelled)[0] is Status.SATISFIED
    assert run("base_image.pinned")[0] is Status.EVIDENCE_MISSING


# aggregation


def _control(checks: tuple[str, ...]) -> ControlSpec:
    return ControlSpec(id="X", title="x", scope="partial", nist_800_53=("RA-5",), checks=checks, not_shown="ops")


def _ctx(*items: Evidence) -> Context:
    return Context(
        image=IMAGE, now=NOW, params=Parameters(), evidence=items, vulnerabilities=build_records(items, DIGEST)
    )


def test_control_satisfied_only_when_every_check_is() -> None:
    result = decide("c", _control(("vulnscan.present", "vulnscan.fresh")), _ctx(scan()))
    assert result.status is Status.SATISFIED
    assert result.scope is Scope.PARTIAL
    assert result.not_shown == "ops"
    assert result.partly_satisfied
    assert {r.evidence_id for r in result.evidence} == {result.checks[0].evidence[0].evidence_id}


def test_missing_evidence_is_never_a_pass() -> None:
    result = decide("c", _control(("vulnscan.present", "signature.verified")), _ctx(scan()))
    assert result.status is Status.EVIDENCE_MISSING


def test_one_failing_check_fails_the_control() -> None:
    result = decide("c", _control(("signature.verified", "vulnscan.fresh")), _ctx(scan(days_old=90)))
    assert result.status is Status.NOT_SATISFIED


def test_manual_and_not_applicable_controls_keep_their_reason() -> None:
    spec = ControlSpec(id="M", title="m", scope="none", nist_800_53=("AC-2",), status="manual", reason="ask ops")
    result = decide("c", spec, _ctx())
    assert (result.status, result.reason, result.checks) == (Status.MANUAL, "ask ops", ())


def test_evaluate_builds_a_package() -> None:
    catalog = load_catalog("nist-800-190", CHECKS)
    profile = Profile(name="default", title="t", catalogs=("nist-800-190",), parameters=Parameters())
    pkg = evaluate([catalog], profile, EvidenceSet(items=(scan(),)), image=IMAGE, now=NOW)
    assert len(pkg.controls) == len(catalog.controls)
    assert pkg.assessed_at == NOW
    assert pkg.catalogs[0].sha256 == catalog.sha256


def _with_policy(required: tuple[str, ...] | None, *items: Evidence) -> tuple[Status, str]:
    ctx = Context(
        image=IMAGE,
        now=NOW,
        params=Parameters(),
        evidence=items,
        vulnerabilities=build_records(items, DIGEST),
        required_attestations=required,
    )
    outcome = CHECKS["policy.required_attestations"](ctx)
    return outcome.status, outcome.reason


def attested_provenance(status: Verification) -> Evidence:
    item = provenance(status)
    return Evidence(
        **{
            **{f: getattr(item, f) for f in item.__dataclass_fields__},
            "predicate_type": "https://slsa.dev/provenance/v1",
        }
    )


def test_policy_required_attestations() -> None:
    assert _with_policy(None)[0] is Status.NOT_APPLICABLE
    assert _with_policy(())[0] is Status.NOT_APPLICABLE
    status, reason = _with_policy(("slsa-provenance",), attested_provenance(Verification.VERIFIED))
    assert status is Status.SATISFIED, reason
    status, reason = _with_policy(("slsa-provenance", "sbom"), attested_provenance(Verification.VERIFIED))
    assert status is Status.NOT_SATISFIED
    assert "sbom: no attestation of this type was supplied" in reason
    status, reason = _with_policy(("slsa-provenance",), attested_provenance(Verification.FAILED))
    assert status is Status.NOT_SATISFIED
    assert "none verified" in reason


def test_not_applicable_checks_do_not_decide_a_control() -> None:
    spec = _control(("vulnscan.present", "policy.required_attestations"))
    result = decide("c", spec, _ctx(scan()))
    assert result.status is Status.SATISFIED
    assert result.checks[1].status is Status.NOT_APPLICABLE
    only = decide("c", _control(("policy.required_attestations",)), _ctx(scan()))
    assert only.status is Status.NOT_APPLICABLE
