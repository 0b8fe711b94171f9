"""Verdicts claim only what their evidence shows (issue 13): one test per verdict that claimed more."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import DIGEST, NOW, SAMPLE_KEY, SAMPLES, sample_image
from test_catalogs_full import (
    config,
    context,
    dockerfile,
    ev,
    pkg,
    provenance,
    sbom,
    scan,
    signature,
)

from evidence.catalog import load_catalog
from evidence.catalog.schema import Parameters, RubricParameters
from evidence.collectors import Document
from evidence.collectors.dockerfile import Dockerfile
from evidence.evaluate import CHECKS, decide
from evidence.model import (
    Binding,
    ControlResult,
    Evidence,
    EvidenceKind,
    Layer,
    Located,
    PolicyFacts,
    Scope,
    SignatureFacts,
    SignatureMethod,
    Status,
    TrustAnchors,
    Verification,
)
from evidence.pipeline import assess, read_evidence
from evidence.render.report import render_html
from evidence.render.xlsx import evidence_table
from evidence.verify.interface import VerificationContext
from evidence.verify.keys import load_key_file

BASE_DIGEST = "sha256:" + "b" * 64
BASE = f"docker.io/library/python@{BASE_DIGEST}"


def control(catalog: str, control_id: str, *items: Evidence, params: Parameters | None = None) -> ControlResult:
    spec = next(c for c in load_catalog(catalog, CHECKS).controls if c.id == control_id)
    return decide(catalog, spec, context(*items, params=params))


def build_file(**facts: Any) -> Evidence:
    """A Dockerfile bound to the image: a verified provenance of the image records its digest."""
    return replace(dockerfile(**facts), binding=Binding.MATCH, named_by="ev-provenance")


def pinned_dockerfile(**facts: Any) -> Evidence:
    return dockerfile(base_images=(Located(value=BASE, location="line 1"),), **facts)


def admission_policy(action: str, patterns: tuple[str, ...] = ("registry.example.com/*",)) -> Evidence:
    policy = PolicyFacts(
        engine="kyverno",
        kind="ClusterPolicy",
        name="verify-images",
        action=action,
        image_patterns=patterns,
        verifies=("signature",),
        location="document 1",
    )
    return ev(EvidenceKind.ADMISSION_POLICY, binding=Binding.UNBOUND, policies=(policy,))


# --- outside what an image can show: not-assessed, with the layer responsible ------------------------------


def test_egress_control_is_not_decided_by_an_expose_line() -> None:
    result = control("nist-800-190", "4.4.2", config(exposed_ports=("8080/tcp",)))
    assert (result.status, result.responsible, result.scope) == (Status.NOT_ASSESSED, Layer.NETWORK, Scope.NONE)


@pytest.mark.parametrize(("catalog", "control_id"), [("nist-800-190", "4.5.5"), ("disa-container", "3.4")])
def test_host_mounts_are_not_decided_by_the_absence_of_volume(catalog: str, control_id: str) -> None:
    result = control(catalog, control_id, config(volumes=()))
    assert (result.status, result.responsible) == (Status.NOT_ASSESSED, Layer.ORCHESTRATOR)
    assert "set by the workload at deployment" in result.reason
    # the image side can still fail it
    assert control(catalog, control_id, config(volumes=("/var/run/docker.sock",))).status is Status.NOT_SATISFIED


def test_superseded_base_is_not_decided_by_the_image_age() -> None:
    result = control("disa-container", "2.15", config(created=None))
    assert (result.status, result.responsible) == (Status.NOT_ASSESSED, Layer.REGISTRY)
    assert not result.checks


def test_srg_platform_rules_are_not_decided_from_image_facts() -> None:
    image_facts = (signature(), config(user="app", exposed_ports=("8080/tcp",)))
    for rule in ("SRG-APP-000131-CTR-000285", "SRG-APP-000142-CTR-000330"):
        result = control("disa-container", rule, *image_facts)
        assert (result.status, result.responsible) == (Status.NOT_ASSESSED, Layer.ORCHESTRATOR), rule


def test_an_enforcing_admission_policy_shows_part_of_platform_verification() -> None:
    rule = "SRG-APP-000131-CTR-000285"
    result = control("disa-container", rule, admission_policy("enforce"))
    assert (result.status, result.scope) == (Status.SATISFIED, Scope.PARTIAL)
    assert result.not_shown is not None
    assert "deployed" in result.not_shown
    assert control("disa-container", rule, admission_policy("audit")).status is Status.NOT_SATISFIED
    other = admission_policy("enforce", ("ghcr.io/other/*",))
    assert control("disa-container", rule, other).status is Status.NOT_ASSESSED


# --- signed base image: a signature, not a digest pin ------------------------------------------------------


def base_signature(status: Verification, digest: str = BASE_DIGEST) -> Evidence:
    facts = SignatureFacts(
        method=SignatureMethod.COSIGN_KEY_PAIR, status=status, reason="checked", signed_digest=digest
    )
    return replace(ev(EvidenceKind.SIGNATURE, binding=Binding.MISMATCH, signature=facts), subjects=(digest,))


def test_signed_base_image_is_not_decided_by_a_digest_pin() -> None:
    pinned = control("disa-container", "2.10", pinned_dockerfile())
    assert pinned.status is Status.EVIDENCE_MISSING
    assert "does not show that its publisher signed it" in pinned.reason
    built_from = provenance()  # verified provenance of the image, recording its base image by digest
    assert built_from.provenance is not None
    base_digest = built_from.provenance.base_images[0].value.partition("@")[2]
    signed = control("disa-container", "2.10", built_from, base_signature(Verification.VERIFIED, base_digest))
    assert (signed.status, signed.scope) == (Status.SATISFIED, Scope.FULL)
    unverified = control("disa-container", "2.10", built_from, base_signature(Verification.UNVERIFIABLE, base_digest))
    assert unverified.status is Status.EVIDENCE_MISSING
    failed = control("disa-container", "2.10", built_from, base_signature(Verification.FAILED, base_digest))
    assert failed.status is Status.NOT_SATISFIED
    # a pin in a Dockerfile that names no image, and nothing binds to it, does not show the image's base
    unbound = control("disa-container", "2.10", pinned_dockerfile(), base_signature(Verification.VERIFIED))
    assert unbound.status is Status.EVIDENCE_MISSING
    assert "names no image digest" in unbound.reason


# --- ADD of a local archive ---------------------------------------------------------------------------------


def test_add_of_a_local_archive_fails_cis_4_9_and_disa_2_4() -> None:
    text = b"FROM " + BASE.encode() + b"\nADD --chown=app:app src.tar.gz ./\nUSER app\n"
    facts = Dockerfile().parse(Document(path="Dockerfile", data=text)).dockerfile
    assert facts is not None
    assert [a.value for a in facts.local_adds] == ["src.tar.gz"]
    item = build_file(local_adds=facts.local_adds, base_images=facts.base_images)
    cis = control("cis-docker", "4.9", item)
    assert cis.status is Status.NOT_SATISFIED
    assert "src.tar.gz (a tar archive, which ADD unpacks, line 2)" in cis.reason
    assert control("disa-container", "2.4", item, config()).status is Status.NOT_SATISFIED
    plain = build_file(local_adds=(Located(value="app.py", location="line 2"),))
    assert control("cis-docker", "4.9", plain).status is Status.NOT_SATISFIED
    assert CHECKS["dockerfile.no_unpacking_add"](context(plain)).not_shown is not None
    assert control("cis-docker", "4.9", build_file()).status is Status.SATISFIED
    # a Dockerfile that nothing binds to the image fails it when it shows ADD, and never satisfies it
    assert control("cis-docker", "4.9", dockerfile(local_adds=facts.local_adds)).status is Status.NOT_SATISFIED
    assert control("cis-docker", "4.9", dockerfile()).status is Status.EVIDENCE_MISSING


# --- secrets: only a secret scan that ran shows absence ----------------------------------------------------


@pytest.mark.parametrize(
    ("catalog", "control_id"), [("cis-docker", "4.10"), ("disa-container", "2.9"), ("disa-container", "2.18")]
)
def test_no_secrets_is_not_satisfied_by_scans_that_did_not_look_for_them(catalog: str, control_id: str) -> None:
    result = control(catalog, control_id, config(user="app"), dockerfile(), scan())
    assert result.status is Status.EVIDENCE_MISSING
    assert "No secret scan of the image was supplied" in result.reason


def test_secret_variable_names_alone_are_partial_scope() -> None:
    result = control("nist-800-190", "4.1.4", config(user="app", env_names=("PATH",)))
    assert (result.status, result.scope) == (Status.SATISFIED, Scope.PARTIAL)
    assert result.not_shown is not None
    assert "secret scan" in result.not_shown


def test_configuration_defects_partial_while_a_shell_and_package_manager_remain() -> None:
    items = (config(user="app", healthcheck=True), build_file(), sbom(pkg("bash"), pkg("dpkg"), pkg("libc6")))
    result = control("nist-800-190", "4.1.2", *items)
    assert (result.status, result.scope) == (Status.SATISFIED, Scope.PARTIAL)
    assert result.not_shown is not None
    assert "a shell (bash)" in result.not_shown
    assert "a package manager (dpkg)" in result.not_shown
    minimal = control("nist-800-190", "4.1.2", items[0], items[1], sbom(pkg("libc6")))
    assert (minimal.status, minimal.scope) == (Status.SATISFIED, Scope.FULL)


# --- FedRAMP pipeline and scanner database ------------------------------------------------------------------


def test_pipeline_control_needs_a_trusted_builder_and_names_the_missing_gate() -> None:
    items = (signature(), provenance(builder="https://builder.example"))
    assert control("fedramp-containers", "C-2", *items).status is Status.MANUAL  # no trusted builders configured
    trusting = Parameters(rubric=RubricParameters(trusted_builders=("https://builder.example",)))
    other = Parameters(rubric=RubricParameters(trusted_builders=("https://other.example",)))
    assert control("fedramp-containers", "C-2", *items, params=other).status is Status.NOT_SATISFIED
    no_gate = control("fedramp-containers", "C-2", *items, params=trusting)
    assert (no_gate.status, no_gate.scope) == (Status.SATISFIED, Scope.PARTIAL)
    assert no_gate.not_shown is not None
    assert "no admission policy covering" in no_gate.not_shown
    gated = control("fedramp-containers", "C-2", *items, admission_policy("enforce"), params=trusting)
    assert (gated.status, gated.scope) == (Status.SATISFIED, Scope.PARTIAL)  # the assessor validates the pipeline


def test_database_currency_partial_when_one_scan_does_not_record_it() -> None:
    dated = replace(scan(database_updated=NOW - timedelta(days=3)), path="in/grype.json")
    undated = replace(scan(), path="in/trivy.json")
    result = control("fedramp-containers", "C-3", dated, undated)
    assert (result.status, result.scope) == (Status.SATISFIED, Scope.PARTIAL)
    assert result.not_shown is not None
    assert "in/trivy.json" in result.not_shown


# --- the rubric agrees with the controls --------------------------------------------------------------------


def test_compliance_posture_is_not_green_while_a_fips_control_fails() -> None:
    from evidence.evaluate.checks.rubric import rubric_score  # noqa: PLC0415

    params = Parameters(rubric=RubricParameters(require_stig_and_fips=True))
    good = (config(user="app", healthcheck=True, exposed_ports=("8080/tcp",)), signature(), build_file())
    items = (*good, sbom(pkg("libc6"), pkg("cryptography", purl="pkg:pypi/cryptography@43.0.3")))
    fips_controls = frozenset(next(c for c in load_catalog("fips-140-3", CHECKS).controls if c.checks).checks)
    ctx = replace(context(*items, params=params), assessed_checks=fips_controls)
    assert CHECKS["fips.validated_module"](ctx).status is Status.NOT_SATISFIED
    score = rubric_score("Compliance posture", "rubric.compliance", ctx)
    assert score.score < params.rubric.pass_score
    assert "FIPS 140-3 checks that fail" in score.reason
    # without FIPS controls in the assessment, no FIPS control fails: the criterion is scored on the rest
    alone = rubric_score("Compliance posture", "rubric.compliance", context(*items, params=params))
    assert "FIPS 140-3 checks that fail" not in alone.reason


def test_patch_sla_says_why_it_counts_differently_from_the_remediation_control() -> None:
    from test_catalogs_full import finding  # noqa: PLC0415

    from evidence.evaluate.checks.rubric import rubric_score  # noqa: PLC0415
    from evidence.model import Severity  # noqa: PLC0415

    late = finding("CVE-2024-0001", Severity.CRITICAL, published_days=200)
    ctx = context(scan(late, days_old=1))
    remediation = CHECKS["vulnscan.remediation_sla"](ctx)
    # Detected yesterday, but published 200 days ago with no earlier package: an earlier detection may be missed,
    # so the remediation control cannot call it within its timeline (a new release would restart that clock).
    assert remediation.status is Status.EVIDENCE_MISSING
    assert "only by a clock this assessment's scans start" in remediation.reason
    score = rubric_score("Patch SLA", "rubric.patch_sla", ctx)
    assert score.score == 0
    assert "counts from first detection" in score.reason
    assert "CVE-2024-0001 is still within it" in score.reason


# --- a Dockerfile names no image: bound only through a verified provenance that records it ---------------


def test_a_dockerfile_is_bound_by_the_verified_provenance_that_records_its_digest(tmp_path: Path) -> None:
    sample = SAMPLES / "webapp-1.4.0"
    image = sample_image("1.4.0")
    digest = image.partition("@")[2]
    trusted = VerificationContext(keys=(load_key_file(SAMPLE_KEY, SAMPLE_KEY.name),))
    by_kind = {e.kind: e for e in read_evidence([sample], image_digest=digest, verification=trusted).items}
    dockerfile_item, provenance_item = by_kind[EvidenceKind.DOCKERFILE], by_kind[EvidenceKind.PROVENANCE]
    assert (dockerfile_item.binding, dockerfile_item.named_by) == (Binding.MATCH, provenance_item.id)
    bound_pkg = assess([sample], image=image, profile="cis", verification=trusted, now=NOW)
    table = evidence_table(bound_pkg)
    column = table.headers.index("Bound by (verified provenance)")
    row = next(r for r in table.rows if r[0] == dockerfile_item.path)
    assert row[column] == provenance_item.path
    assert '<th scope="row">Bound by</th>' in render_html(bound_pkg)
    # without a trust anchor the provenance is a claim, and binds nothing
    untrusted = {e.kind: e for e in read_evidence([sample], image_digest=digest).items}
    assert (untrusted[EvidenceKind.DOCKERFILE].binding, untrusted[EvidenceKind.DOCKERFILE].named_by) == (
        Binding.UNBOUND,
        None,
    )
    # another Dockerfile beside the evidence is not the one the provenance records
    copy = tmp_path / "webapp-1.4.0"
    shutil.copytree(sample, copy)
    (copy / "Dockerfile").write_bytes((sample / "Dockerfile").read_bytes() + b"# edited\n")
    edited = {e.kind: e for e in read_evidence([copy], image_digest=digest, verification=trusted).items}
    assert edited[EvidenceKind.DOCKERFILE].binding is Binding.UNBOUND
    pkg = assess([copy], image=image, profile="cis", verification=trusted, now=NOW)
    cis_4_9 = next(c for c in pkg.controls if c.control_id == "4.9")
    assert cis_4_9.status is Status.EVIDENCE_MISSING
    assert "names no image digest" in cis_4_9.reason


def test_a_diff_reports_a_satisfied_control_narrowed_to_partial_scope() -> None:
    from evidence.diff.compare import compare  # noqa: PLC0415
    from evidence.render.canonical import load_package  # noqa: PLC0415

    new = load_package(Path(__file__).parent / "golden" / "webapp-1.4.0.audit.json")
    partly = next(c for c in new.controls if c.partly_satisfied)
    old = replace(new, controls=tuple(c if c is not partly else replace(c, scope=Scope.FULL) for c in new.controls))
    (change,) = compare(old, new).controls.changed
    assert (change.control_id, change.old_label, change.new_label) == (
        partly.control_id,
        "satisfied",
        "satisfied (partial scope)",
    )


def test_a_missing_trust_anchor_is_said_once_per_control() -> None:
    unverified = SignatureFacts(method=SignatureMethod.COSIGN_KEY_PAIR, status=Verification.UNVERIFIABLE, reason="x")
    items = (
        replace(signature(), signature=replace(unverified, signed_digest=DIGEST)),
        provenance(Verification.UNVERIFIABLE),
    )
    spec = next(c for c in load_catalog("nist-800-190", CHECKS).controls if c.id == "4.1.5")
    ctx = replace(context(*items), trust_anchors=TrustAnchors(key_ids=(), policy=False))
    result = decide("nist-800-190", spec, ctx)
    assert result.reason.count("No trust anchor was given") == 1, result.reason
    assert result.reason.startswith("No trust anchor was given")
