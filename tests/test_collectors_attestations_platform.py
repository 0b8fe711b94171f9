"""Attestations (SLSA, SBOM and scan predicates), OCI manifests, Kubernetes workloads, admission policies and
update automation: every matching corpus file, values read from the file independently, and hand-made cases."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CORPUS, collect_verify_bind
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.collectors import COLLECTORS, recognize
from evidence.collectors.admission import AdmissionPolicies
from evidence.collectors.interface import CollectorError, Document, SkipFile
from evidence.collectors.kubernetes import MAX_DEPTH, KubernetesWorkloads
from evidence.collectors.oci import OciManifest
from evidence.collectors.provenance import InTotoAttestation, evidence_from_statement
from evidence.collectors.update_automation import DependabotConfig, RenovateConfig
from evidence.model import Binding, EvidenceKind, SignatureFacts, SignatureMethod, Verification
from evidence.verify.apply import verify_items
from evidence.verify.dsse import pae as dsse_pae
from evidence.verify.interface import VerificationContext
from evidence.verify.keys import load_key_file

PROV_DIR = CORPUS / "provenance"
OCI_DIR = CORPUS / "oci"
POLICY_DIR = CORPUS / "k8s-policies"
CENTOS_ATTESTATION = PROV_DIR / "centos-7-cyclonedx-attestation.dsse.intoto.jsonl"
VULN_ATTESTATION = PROV_DIR / "cosign-vuln-attestation.dsse.json"
TRIVY_REPORT_PATH = CORPUS / "trivy-json/alpine-3.10.2-image.trivy-dev.json"
INDEX = OCI_DIR / "ghcr-example-package-image-index.oci-index.json"
AMD64 = OCI_DIR / "ghcr-example-package-linux-amd64.oci-manifest.json"
DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32


def corpus_doc(path: Path) -> Document:
    return Document(path=path.relative_to(CORPUS).as_posix(), data=path.read_bytes())


def file_digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def statement_of(path: Path) -> tuple[dict[str, Any], bool]:
    """The in-toto statement in a corpus file, decoded by hand, and whether it came in a DSSE envelope."""
    data = path.read_bytes()
    outer = json.loads(data if not path.name.endswith(".jsonl") else data.splitlines()[0])
    if "payload" in outer:
        return json.loads(base64.b64decode(outer["payload"])), True
    return outer, False


def sha256_subjects(statement: dict[str, Any]) -> tuple[str, ...]:
    return tuple(f"sha256:{s['digest']['sha256']}" for s in statement["subject"] if "sha256" in s["digest"])


def statement(predicate_type: str, predicate: object, digest: str = DIGEST) -> dict[str, Any]:
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.example.com/webapp", "digest": {"sha256": digest.removeprefix("sha256:")}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    }


def unsigned_envelope(body: dict[str, Any]) -> dict[str, Any]:
    payload = base64.b64encode(json.dumps(body).encode()).decode()
    return {"payloadType": "application/vnd.in-toto+json", "payload": payload, "signatures": []}


def parse_attestation(data: bytes, path: str = "att.json") -> Any:
    doc = Document(path=path, data=data)
    assert InTotoAttestation().sniff(doc)
    return InTotoAttestation().parse(doc)


# --- attestations from the corpus -------------------------------------------------------------------------------

READ_ATTESTATIONS = {
    "buildkit-slsa-v0.2-statement-container-image.intoto.json": (EvidenceKind.PROVENANCE, "SLSA provenance"),
    "container-based-build-slsa-v1.statement.json": (EvidenceKind.PROVENANCE, "SLSA provenance"),
    "npm-sigstore-js-1.3.0-slsa-v0.2.statement.json": (EvidenceKind.PROVENANCE, "SLSA provenance"),
    "slsa-github-generator-container-slsa-v0.2.dsse.json": (EvidenceKind.PROVENANCE, "SLSA provenance"),
    "centos-7-cyclonedx-attestation.dsse.intoto.jsonl": (EvidenceKind.SBOM, "CycloneDX JSON"),
}


@pytest.mark.parametrize("name", sorted(READ_ATTESTATIONS))
def test_corpus_attestations(name: str) -> None:
    path = PROV_DIR / name
    decoded, enveloped = statement_of(path)
    item = InTotoAttestation().parse(corpus_doc(path))
    assert (item.kind, item.format) == READ_ATTESTATIONS[name]
    assert item.predicate_type == decoded["predicateType"]
    assert item.subjects == sha256_subjects(decoded)
    assert item.envelope == ("DSSE envelope" if enveloped else "in-toto statement")
    if enveloped:
        assert item.signature is not None
        assert (item.signature.method, item.signature.status) == ("DSSE", Verification.UNCHECKED)
    else:
        assert item.signature is None
    if item.provenance is not None:
        assert item.provenance.statement_type == decoded["_type"]


def test_corpus_centos_cyclonedx_attestation_components() -> None:
    decoded, _ = statement_of(CENTOS_ATTESTATION)
    bom = decoded["predicate"]

    def count(components: list[dict[str, Any]]) -> int:
        return sum(1 + count(c.get("components", [])) for c in components)

    item = InTotoAttestation().parse(corpus_doc(CENTOS_ATTESTATION))
    assert decoded["predicateType"] == "https://cyclonedx.org/bom"
    assert len(item.components) == count(bom["components"]) == 3
    assert {c.name for c in item.components} == {c["name"] for c in bom["components"]}
    assert item.format_version == bom["specVersion"] == "1.4"
    assert item.tool == "trivy"
    # the statement's subject, not the BOM's own image id (aquasecurity:trivy:ImageID), names the image
    assert item.subjects == ("sha256:be65f488b7764ad3638f236b7b515b3678369a5124c47b8d32916d6487418ea4",)
    assert all(c.location.startswith("/payload/predicate/components/") for c in item.components)
    assert item.signature is not None
    assert item.signature.signed_digest == item.subjects[0]


def test_corpus_cosign_vuln_attestation_without_result_is_an_attestation_and_not_a_scan(tmp_path: Path) -> None:
    decoded, _ = statement_of(VULN_ATTESTATION)
    assert decoded["predicate"]["scanner"]["result"] is None
    assert decoded["predicate"]["scanner"]["uri"] == ""  # the corpus file names no scanner
    assert decoded["predicate"]["metadata"]["scanFinishedOn"] == "0001-01-01T00:00:00Z"  # Go's zero time: unset
    doc = corpus_doc(VULN_ATTESTATION)
    assert InTotoAttestation().sniff(doc)
    item = InTotoAttestation().parse(doc)
    assert (item.kind, item.format, item.format_version) == (EvidenceKind.ATTESTATION, "in-toto attestation", "0.1")
    assert item.predicate_type == decoded["predicateType"] == "https://cosign.sigstore.dev/attestation/vuln/v1"
    assert item.subjects == sha256_subjects(decoded)
    assert (item.tool, item.tool_version, item.collected_at, item.vulnerabilities) == (None, None, None, ())
    assert item.predicate_not_read is not None
    assert "/payload/predicate/scanner/result is null" in item.predicate_not_read
    assert "not counted as a scan" in item.predicate_not_read
    assert item.signature is not None
    assert item.signature.method is SignatureMethod.DSSE
    (tmp_path / "vuln.json").write_bytes(VULN_ATTESTATION.read_bytes())
    result = collect_verify_bind([tmp_path / "vuln.json"], image_digest=item.subjects[0])
    (collected,) = result.items
    assert (collected.kind, collected.binding, result.skipped) == (EvidenceKind.ATTESTATION, Binding.MATCH, ())
    assert collected.signature is not None
    assert collected.signature.status is Verification.UNVERIFIABLE  # no key was given


def test_vuln_attestation_without_result_keeps_its_scanner_and_time() -> None:
    predicate = {
        "scanner": {"uri": "pkg:github/aquasecurity/trivy", "version": "0.50.0", "result": None},
        "metadata": {"scanStartedOn": "2026-11-20T10:00:00Z", "scanFinishedOn": "2026-11-20T10:01:00Z"},
    }
    item = parse_attestation(
        json.dumps(statement("https://cosign.sigstore.dev/attestation/vuln/v1", predicate)).encode()
    )
    assert item.kind is EvidenceKind.ATTESTATION
    assert (item.tool, item.tool_version) == ("pkg:github/aquasecurity/trivy", "0.50.0")
    assert item.collected_at is not None
    assert item.collected_at.isoformat() == "2026-11-20T10:01:00+00:00"
    assert item.vulnerabilities == ()
    assert item.signature is None  # a bare statement


def test_vuln_attestation_with_a_trivy_report() -> None:
    report = json.loads(TRIVY_REPORT_PATH.read_bytes())
    expected = sum(len(r.get("Vulnerabilities") or []) for r in report["Results"])
    predicate = {
        "invocation": {"uri": "", "event_id": "", "builder.id": "", "parameters": None},
        "scanner": {"uri": "pkg:github/aquasecurity/trivy@0.50.0", "version": "0.50.0", "result": report},
        "metadata": {"scanStartedOn": "2026-11-20T10:00:00Z", "scanFinishedOn": "2026-11-20T10:01:00Z"},
    }
    body = statement("https://cosign.sigstore.dev/attestation/vuln/v1", predicate)
    data = json.dumps(unsigned_envelope(body)).encode()
    item = parse_attestation(data)
    assert (item.kind, item.format) == (EvidenceKind.VULNERABILITY_SCAN, "Trivy JSON")
    assert len(item.vulnerabilities) == expected > 0
    assert item.subjects == (DIGEST,)
    assert item.vulnerabilities[0].location.startswith("/payload/predicate/scanner/result/Results/")
    (checked,) = verify_items([item], {item.path: data})
    assert checked.signature is not None
    assert (checked.signature.status, checked.signature.reason) == (
        Verification.UNVERIFIABLE,
        "the DSSE envelope carries no signature",
    )


def test_vuln_attestation_with_an_unknown_result_is_an_attestation_and_not_a_scan() -> None:
    predicate = {"scanner": {"uri": "x", "version": "1", "result": {"findings": []}}, "metadata": {}}
    item = parse_attestation(
        json.dumps(statement("https://cosign.sigstore.dev/attestation/vuln/v1", predicate)).encode()
    )
    assert (item.kind, item.subjects, item.vulnerabilities) == (EvidenceKind.ATTESTATION, (DIGEST,), ())
    assert item.predicate_not_read is not None
    assert "/predicate/scanner/result) is neither a Trivy nor a Grype report" in item.predicate_not_read


def test_spdx_attestation_routes_to_the_spdx_reader() -> None:
    document = json.loads((CORPUS / "spdx/centos-7-image.spdx-2.2.trivy-dev.json").read_bytes())
    item = parse_attestation(json.dumps(statement("https://spdx.dev/Document/v2.2", document)).encode())
    assert item.kind is EvidenceKind.SBOM
    assert item.format.startswith("SPDX")
    assert item.subjects == (DIGEST,)
    assert item.predicate_type == "https://spdx.dev/Document/v2.2"
    assert len(item.components) > 0
    assert all(c.location.startswith("/predicate/") for c in item.components)


@pytest.mark.parametrize("predicate_type", ["https://cyclonedx.org/bom/v1.5", "https://cyclonedx.org/schema"])
def test_cyclonedx_predicate_type_forms(predicate_type: str) -> None:
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"type": "library", "name": "a"}]}
    item = parse_attestation(json.dumps(statement(predicate_type, bom)).encode())
    assert (item.kind, item.format, len(item.components)) == (EvidenceKind.SBOM, "CycloneDX JSON", 1)


def test_sbom_predicate_that_is_not_the_document_is_a_collector_error() -> None:
    with pytest.raises(CollectorError, match=r"/predicate should be a CycloneDX JSON document"):
        parse_attestation(json.dumps(statement("https://cyclonedx.org/bom", {"Data": "{}"})).encode())
    broken = {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": 5}]}
    with pytest.raises(CollectorError, match=r"att\.json: in the CycloneDX JSON document at /predicate"):
        parse_attestation(json.dumps(statement("https://cyclonedx.org/bom", broken)).encode())


def test_unknown_predicate_type_is_an_attestation_with_its_reason(tmp_path: Path) -> None:
    body = statement("https://example.com/custom-predicate/v1", {"anything": True})
    (tmp_path / "custom.intoto.json").write_text(json.dumps(unsigned_envelope(body)))
    item = parse_attestation((tmp_path / "custom.intoto.json").read_bytes())
    assert (item.kind, item.format, item.format_version) == (EvidenceKind.ATTESTATION, "in-toto attestation", "1")
    assert (item.predicate_type, item.subjects) == ("https://example.com/custom-predicate/v1", (DIGEST,))
    assert item.envelope == "DSSE envelope"
    assert item.predicate_not_read is not None
    assert "does not read predicate type https://example.com/custom-predicate/v1" in item.predicate_not_read
    result = collect_verify_bind([tmp_path], image_digest=DIGEST)
    assert result.skipped == ()
    (collected,) = result.items
    assert (collected.kind, collected.binding) == (EvidenceKind.ATTESTATION, Binding.MATCH)
    assert collected.signature is not None
    assert (collected.signature.status, collected.signature.reason) == (
        Verification.UNVERIFIABLE,
        "the DSSE envelope carries no signature",
    )


def test_slsa_v01_provenance() -> None:
    predicate = {
        "builder": {"id": "https://github.com/Attestations/GitHubHostedActions@v1"},
        "recipe": {"type": "https://github.com/Attestations/GitHubActionsWorkflow@v1", "definedInMaterial": 0},
        "metadata": {"buildStartedOn": "2026-01-02T03:04:05Z", "buildFinishedOn": "2026-01-02T03:05:05Z"},
        "materials": [
            {"uri": "git+https://github.com/example/app", "digest": {"sha1": "a" * 40}},
            {"uri": "docker.io/library/debian@sha256:" + "12" * 32, "digest": {"sha256": "12" * 32}},
        ],
    }
    body = statement("https://slsa.dev/provenance/v0.1", predicate)
    body["_type"] = "https://in-toto.io/Statement/v0.1"
    item = parse_attestation(json.dumps(body).encode())
    prov = item.provenance
    assert prov is not None
    assert (item.format, item.format_version) == ("SLSA provenance", "0.1")
    assert prov.builder_id == "https://github.com/Attestations/GitHubHostedActions@v1"
    assert prov.build_type == "https://github.com/Attestations/GitHubActionsWorkflow@v1"
    assert (prov.source_repository, prov.source_revision) == ("git+https://github.com/example/app", "a" * 40)
    assert [b.value for b in prov.base_images] == ["docker.io/library/debian@sha256:" + "12" * 32]
    assert item.collected_at is not None
    assert item.collected_at.isoformat() == "2026-01-02T03:05:05+00:00"


# --- JSON lines: every line ---------------------------------------------------------------------------------------


def _cdx_line(digest: str, names: list[str]) -> str:
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "components": [{"type": "library", "name": n} for n in names],
    }
    return json.dumps(unsigned_envelope(statement("https://cyclonedx.org/bom", bom, digest)))


def test_json_lines_joins_lines_of_one_kind() -> None:
    data = f"{_cdx_line(DIGEST, ['a', 'b'])}\n\n{_cdx_line(OTHER, ['c'])}\n".encode()
    item = parse_attestation(data, "sboms.intoto.jsonl")
    assert item.envelope == "in-toto JSON lines"
    assert item.subjects == (DIGEST, OTHER)
    assert [c.name for c in item.components] == ["a", "b", "c"]
    assert [c.location for c in item.components] == [
        "line 1 /payload/predicate/components/0",
        "line 1 /payload/predicate/components/1",
        "line 3 /payload/predicate/components/0",
    ]
    assert item.signature is not None
    assert item.signature.signed_digest is None  # two subjects


def test_json_lines_mixing_kinds_is_a_collector_error() -> None:
    provenance = statement("https://slsa.dev/provenance/v1", {"buildDefinition": {}, "runDetails": {}})
    data = f"{_cdx_line(DIGEST, ['a'])}\n{json.dumps(unsigned_envelope(provenance))}\n".encode()
    with pytest.raises(CollectorError, match=r"mixes attestation types: line 1 is https://cyclonedx.org/bom"):
        parse_attestation(data, "mixed.intoto.jsonl")
    # a line whose predicate is not read is an attestation of its own type: mixed with another, the file is an
    # error, not a partial read (the line not read would go unverified against a policy's required types)
    custom = statement("https://example.com/custom/v1", {})
    data = f"{_cdx_line(DIGEST, ['a'])}\n{json.dumps(custom)}\n".encode()
    with pytest.raises(
        CollectorError,
        match=r"mixes attestation types: line 1 is https://cyclonedx.org/bom \(CycloneDX JSON\), "
        r"line 2 is https://example.com/custom/v1 \(in-toto attestation\)",
    ):
        parse_attestation(data, "mixed.intoto.jsonl")
    other = statement("https://example.com/other/v1", {})
    data = f"{json.dumps(custom)}\n{json.dumps(other)}\n".encode()
    with pytest.raises(CollectorError, match=r"line 2 is https://example.com/other/v1 \(in-toto attestation\)"):
        parse_attestation(data, "mixed.intoto.jsonl")
    no_result = {"scanner": {"uri": "x", "version": "1", "result": None}, "metadata": {}}
    vuln = statement("https://cosign.sigstore.dev/attestation/vuln/v1", no_result)
    scan = statement(
        "https://cosign.sigstore.dev/attestation/vuln/v1",
        {"scanner": {"result": json.loads(TRIVY_REPORT_PATH.read_bytes())}},
    )
    data = f"{json.dumps(scan)}\n{json.dumps(vuln)}\n".encode()
    with pytest.raises(
        CollectorError, match=r"line 1 is .*vuln/v1 \(Trivy JSON\), line 2 is .*\(in-toto attestation\)"
    ):
        parse_attestation(data, "mixed.intoto.jsonl")


def test_json_lines_of_one_unread_predicate_type_are_one_attestation() -> None:
    custom = json.dumps(unsigned_envelope(statement("https://example.com/custom/v1", {"n": 1})))
    other_subject = json.dumps(unsigned_envelope(statement("https://example.com/custom/v1", {"n": 2}, OTHER)))
    item = parse_attestation(f"{custom}\n{other_subject}\n".encode(), "custom.intoto.jsonl")
    assert (item.kind, item.envelope) == (EvidenceKind.ATTESTATION, "in-toto JSON lines")
    assert (item.predicate_type, item.subjects) == ("https://example.com/custom/v1", (DIGEST, OTHER))
    assert item.predicate_not_read is not None
    assert item.predicate_not_read.count("does not read predicate type") == 1  # the same reason, said once
    assert item.signature is not None
    assert item.signature.method is SignatureMethod.DSSE
    no_result = {"scanner": {"result": None}, "metadata": {}}
    vuln = json.dumps(statement("https://cosign.sigstore.dev/attestation/vuln/v1", no_result))
    item = parse_attestation(f"{vuln}\n{vuln}\n".encode(), "vuln.intoto.jsonl")
    assert item.kind is EvidenceKind.ATTESTATION
    assert item.predicate_not_read is not None
    assert "line 1 /predicate/scanner/result is null" in item.predicate_not_read
    assert "line 2 /predicate/scanner/result is null" in item.predicate_not_read
    assert item.signature is None  # bare statements


def test_json_lines_with_a_line_that_is_not_an_attestation_is_a_collector_error() -> None:
    data = f'{_cdx_line(DIGEST, ["a"])}\n{{"another": "line"}}\n'.encode()
    with pytest.raises(CollectorError, match="line 2 is not an in-toto statement"):
        parse_attestation(data, "x.intoto.jsonl")


def test_json_lines_envelopes_are_all_verified(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())

    def signed(line: str) -> str:
        env = json.loads(line)
        body = base64.b64decode(env["payload"])
        sig = key.sign(dsse_pae(env["payloadType"], body), ec.ECDSA(hashes.SHA256()))
        env["signatures"] = [{"keyid": "", "sig": base64.b64encode(sig).decode()}]
        return json.dumps(env)

    first, second = signed(_cdx_line(DIGEST, ["a"])), _cdx_line(DIGEST, ["b"])
    pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "cosign.pub").write_bytes(pub)
    (tmp_path / "sboms.intoto.jsonl").write_text(first + "\n" + signed(second) + "\n")
    trusted = VerificationContext(keys=(load_key_file(tmp_path / "cosign.pub"),))  # among the inputs, and named
    item = next(
        e
        for e in collect_verify_bind([tmp_path], image_digest=DIGEST, verification=trusted).items
        if e.kind is EvidenceKind.SBOM
    )
    assert item.signature is not None
    assert item.signature.status is Verification.VERIFIED, item.signature.reason
    assert item.binding is Binding.MATCH
    # the second envelope signed by another key: the file does not verify
    other = ec.generate_private_key(ec.SECP256R1())
    env = json.loads(second)
    body = base64.b64decode(env["payload"])
    env["signatures"] = [
        {"sig": base64.b64encode(other.sign(dsse_pae(env["payloadType"], body), ec.ECDSA(hashes.SHA256()))).decode()}
    ]
    (tmp_path / "sboms.intoto.jsonl").write_text(first + "\n" + json.dumps(env) + "\n")
    item = next(
        e
        for e in collect_verify_bind([tmp_path], image_digest=DIGEST, verification=trusted).items
        if e.kind is EvidenceKind.SBOM
    )
    assert item.signature is not None
    assert item.signature.status is Verification.FAILED
    assert item.signature.reason.startswith("DSSE envelope 2 of 2 signature does not verify")


def test_evidence_from_statement_for_unwrapping_callers() -> None:
    decoded, _ = statement_of(CENTOS_ATTESTATION)
    doc = Document(path="bundle.json", data=b"{}")
    facts = SignatureFacts(method=SignatureMethod.SIGSTORE_DSSE, status=Verification.UNVERIFIABLE, reason="later")
    item = evidence_from_statement(
        doc, decoded, envelope="sigstore bundle v0.3", signature=facts, base_pointer="/dsseEnvelope/payload"
    )
    assert (item.kind, item.envelope, item.signature) == (EvidenceKind.SBOM, "sigstore bundle v0.3", facts)
    assert item.components[0].location == "/dsseEnvelope/payload/predicate/components/0"
    other = evidence_from_statement(
        doc, {**decoded, "predicateType": "https://x/y"}, envelope="e", signature=facts, base_pointer=""
    )
    assert (other.kind, other.predicate_type, other.signature) == (EvidenceKind.ATTESTATION, "https://x/y", facts)
    assert other.components == ()
    with pytest.raises(CollectorError, match="not an in-toto statement"):
        evidence_from_statement(doc, {"_type": "x"}, envelope="e", signature=None, base_pointer="/p")


# --- OCI manifests and indexes -------------------------------------------------------------------------------------

OCI_FILES = sorted(p for p in OCI_DIR.iterdir() if "manifest" in p.name or "index" in p.name)


@pytest.mark.parametrize("path", OCI_FILES, ids=lambda p: p.name)
def test_corpus_oci_manifests_and_indexes(path: Path) -> None:
    raw = json.loads(path.read_bytes())
    item = OciManifest().parse(corpus_doc(path))
    facts = item.manifest
    assert facts is not None
    own = file_digest(path)
    assert facts.digest == own
    assert facts.media_type == raw["mediaType"]
    if "manifests" in raw:
        assert item.kind is EvidenceKind.IMAGE_INDEX
        attestation_entries = [
            m
            for m in raw["manifests"]
            if m.get("annotations", {}).get("vnd.docker.reference.type") == "attestation-manifest"
        ]
        assert len(facts.platforms) == len(raw["manifests"]) - len(attestation_entries)
        assert item.subjects == (
            own,
            *(m["digest"] for m in raw["manifests"] if m not in attestation_entries),
            *(m["digest"] for m in attestation_entries),
        )
    else:
        assert item.kind is EvidenceKind.IMAGE_MANIFEST
        assert facts.config_digest == raw["config"]["digest"]
        assert facts.layers == tuple(layer["digest"] for layer in raw["layers"])
        assert item.subjects == (own,)  # none of these names a subject


def test_corpus_image_index_platforms() -> None:
    item = OciManifest().parse(corpus_doc(INDEX))
    assert item.format == "OCI image index"
    assert item.manifest is not None
    (platform,) = item.manifest.platforms
    assert (platform.digest, platform.platform) == (file_digest(AMD64), "linux/amd64")
    assert platform.location == "/manifests/0"
    layout = OciManifest().parse(corpus_doc(OCI_DIR / "ghcr-example-package-oci-layout-index.json"))
    assert layout.manifest is not None
    assert [p.platform for p in layout.manifest.platforms] == [None, None]  # an image index and cosign attestations
    assert file_digest(INDEX) in layout.subjects


@pytest.mark.parametrize("assessed", [INDEX, AMD64], ids=["index", "amd64"])
def test_index_and_platform_manifest_bind_each_other(tmp_path: Path, assessed: Path) -> None:
    for path in (INDEX, AMD64, PROV_DIR / "buildkit-slsa-v0.2-statement-container-image.intoto.json"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    result = collect_verify_bind([tmp_path], image_digest=file_digest(assessed))
    assert {e.path.rsplit("/", 1)[-1]: e.binding for e in result.items} == {
        INDEX.name: Binding.MATCH,
        AMD64.name: Binding.MATCH,
        "buildkit-slsa-v0.2-statement-container-image.intoto.json": Binding.MATCH,  # its subject is the amd64 one
    }
    other = collect_verify_bind([tmp_path], image_digest=OTHER)
    assert {e.binding for e in other.items} == {Binding.MISMATCH}


def test_hand_made_manifests() -> None:
    subject = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": DIGEST, "size": 1}
    referrer = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": OTHER, "size": 2},
        "layers": [],
        "subject": subject,
        "annotations": {"org.opencontainers.image.created": "2026-11-20T10:00:00Z"},
    }
    item = OciManifest().parse(Document(path="m.json", data=json.dumps(referrer).encode()))
    assert item.subjects == (DIGEST,)
    assert item.manifest is not None
    assert item.manifest.subject == DIGEST
    assert item.collected_at is not None
    docker_list = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifests": [
            {"digest": DIGEST, "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            {"digest": OTHER, "platform": {"os": "linux", "architecture": "amd64"}},
        ],
    }
    item = OciManifest().parse(Document(path="l.json", data=json.dumps(docker_list).encode()))
    assert item.format == "Docker manifest list"
    assert item.manifest is not None
    assert [p.platform for p in item.manifest.platforms] == ["linux/arm64/v8", "linux/amd64"]
    layout = {
        "schemaVersion": 2,
        "manifests": [{"digest": DIGEST, "mediaType": "application/vnd.oci.image.index.v1+json"}],
    }
    item = OciManifest().parse(Document(path="index.json", data=json.dumps(layout).encode()))
    assert item.format == "OCI image layout index"
    schema1 = {"schemaVersion": 1, "name": "x", "tag": "1", "fsLayers": [], "history": []}
    doc = Document(path="s1.json", data=json.dumps(schema1).encode())
    assert OciManifest().sniff(doc)
    with pytest.raises(SkipFile, match="schema 1"):
        OciManifest().parse(doc)
    for broken in (
        {**referrer, "layers": [{"digest": 5}]},
        {**referrer, "config": []},
        {**referrer, "annotations": {"a": 1}},
        {**docker_list, "manifests": [{"platform": {"os": 1, "architecture": "x"}, "digest": DIGEST}]},
        {**docker_list, "manifests": "x"},
    ):
        with pytest.raises(CollectorError, match=r"b\.json"):
            OciManifest().parse(Document(path="b.json", data=json.dumps(broken).encode()))


# --- Kubernetes workloads ------------------------------------------------------------------------------------------

WORKLOADS_YAML = f"""\
# a Service first: not a workload
apiVersion: v1
kind: Service
metadata: {{name: web}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
      initContainers:
        - name: migrate
          image: registry.example.com/web@{DIGEST}
      containers:
        - name: web
          image: registry.example.com/web:1.4@{DIGEST}
          securityContext:
            runAsUser: 0
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
        - name: sidecar
          image: busybox:1.36
          securityContext:
            privileged: true
            runAsNonRoot: false
            capabilities:
              add: [NET_ADMIN]
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 0 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: report
              image: registry.example.com/report@{OTHER}
"""


def test_kubernetes_multi_document_and_security_contexts() -> None:
    doc = Document(path="deploy.yaml", data=WORKLOADS_YAML.encode())
    assert KubernetesWorkloads().sniff(doc)
    item = KubernetesWorkloads().parse(doc)
    assert (item.kind, item.format) == (EvidenceKind.KUBERNETES_WORKLOAD, "Kubernetes manifest")
    assert item.subjects == (DIGEST, OTHER)
    deployment, cronjob = item.workloads
    assert (deployment.kind, deployment.name, deployment.namespace, deployment.location) == (
        "Deployment",
        "web",
        "shop",
        "document 2",
    )
    migrate, web, sidecar = deployment.containers
    assert (migrate.run_as_non_root, migrate.run_as_user, migrate.privileged) == (True, 1000, None)
    assert migrate.location == "document 2 /spec/template/spec/initContainers/0"
    assert (web.image_digest, web.run_as_non_root, web.run_as_user) == (DIGEST, True, 0)  # the container wins
    assert (web.allow_privilege_escalation, web.read_only_root_filesystem, web.capabilities_drop) == (
        False,
        True,
        ("ALL",),
    )
    assert (sidecar.image_digest, sidecar.privileged, sidecar.run_as_non_root) == (None, True, False)
    assert sidecar.capabilities_add == ("NET_ADMIN",)
    assert (cronjob.kind, cronjob.location) == ("CronJob", "document 3")
    (report,) = cronjob.containers
    assert report.location == "document 3 /spec/jobTemplate/spec/template/spec/containers/0"
    assert (report.image_digest, report.run_as_non_root) == (OTHER, None)


def test_kubernetes_json_list() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": f"a@{DIGEST}"}]},
    }
    listing = {"apiVersion": "v1", "kind": "List", "items": [pod, {"apiVersion": "v1", "kind": "ConfigMap"}]}
    item = KubernetesWorkloads().parse(Document(path="list.json", data=json.dumps(listing).encode()))
    (workload,) = item.workloads
    assert (workload.kind, workload.location) == ("Pod", "document 1 /items/0")
    assert workload.containers[0].location == "document 1 /items/0/spec/containers/0"
    assert item.subjects == (DIGEST,)


def test_kubernetes_yaml_without_workloads_is_not_claimed() -> None:
    for text in ("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n", "kinds:\n  - Pod\n", "just: yaml\n"):
        doc = Document(path="s.yaml", data=text.encode())
        assert not KubernetesWorkloads().sniff(doc)
        assert recognize(doc) is None


def test_kubernetes_alias_bomb_is_refused_quickly() -> None:
    lines = ["apiVersion: v1\nkind: Pod\nmetadata: {name: bomb}", "a: &a [" + ",".join(['"lol"'] * 9) + "]"]
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    doc = Document(path="bomb.yaml", data="\n".join(lines).encode())
    assert KubernetesWorkloads().sniff(doc)
    started = time.monotonic()
    with pytest.raises(CollectorError, match=r"bomb\.yaml: YAML that expands to more than"):
        KubernetesWorkloads().parse(doc)
    assert time.monotonic() - started < 2
    many = "apiVersion: v1\nkind: Pod\nx: &x 1\ny: [" + ",".join(["*x"] * 1001) + "]\n"
    with pytest.raises(CollectorError, match="more than 1000 aliases"):
        KubernetesWorkloads().parse(Document(path="many.yaml", data=many.encode()))
    deep = "apiVersion: v1\nkind: Pod\nx: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n"
    with pytest.raises(CollectorError, match="nested deeper than"):
        KubernetesWorkloads().parse(Document(path="deep.yaml", data=deep.encode()))
    recursive = "apiVersion: v1\nkind: Pod\nx: &a [*a]\n"
    with pytest.raises(CollectorError, match="recursive alias"):
        KubernetesWorkloads().parse(Document(path="r.yaml", data=recursive.encode()))


def test_kubernetes_unsafe_tags_and_broken_types_are_collector_errors() -> None:
    cases = [
        "apiVersion: v1\nkind: Pod\nx: !!python/object/apply:os.system ['true']\n",
        "apiVersion: v1\nkind: Pod\nspec: {containers: [{name: c}]}\n",
        "apiVersion: v1\nkind: Pod\nspec: {containers: [{name: c, image: x, securityContext: {privileged: 'yes'}}]}\n",
        "apiVersion: v1\nkind: Pod\nspec: {securityContext: {runAsUser: root}, containers: [{image: x}]}\n",
        "apiVersion: v1\nkind: Pod\nspec: {containers: {name: c}}\n",
        "apiVersion: v1\nkind: Pod\nspec: [\n",
    ]
    for text in cases:
        with pytest.raises(CollectorError, match=r"p\.yaml"):
            KubernetesWorkloads().parse(Document(path="p.yaml", data=text.encode()))
    doc = Document(path="p.yaml", data=b"apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Service\n")
    with pytest.raises(SkipFile):  # sniffed on the text, but no workload when read: Pod without a spec still counts
        KubernetesWorkloads().parse(Document(path="p.yaml", data=b"apiVersion: v1\nkind: Service\n# kind: Pod\n"))
    assert KubernetesWorkloads().parse(doc).workloads[0].containers == ()


# --- admission policies --------------------------------------------------------------------------------------------

KYVERNO_EXPECTED = {
    "kyverno-imagevalidatingpolicy-notary.yaml": ("ImageValidatingPolicy", "enforce", ("signature",)),
    "kyverno-require-vulnerability-scan-attestation.yaml": (
        "ClusterPolicy",
        "audit",
        ("attestation:cosign.sigstore.dev/attestation/vuln/v1",),
    ),
    "kyverno-verify-image-cosign-key.yaml": ("ClusterPolicy", "enforce", ("signature",)),
    "kyverno-verify-sbom-cyclonedx-attestation.yaml": (
        "ClusterPolicy",
        "audit",
        ("attestation:https://cyclonedx.org/schema",),
    ),
    "kyverno-verify-slsa-provenance-keyless.yaml": (
        "ClusterPolicy",
        "audit",
        ("attestation:https://slsa.dev/provenance/v0.2",),
    ),
}


def _pem_key_id(pem: str) -> str:
    text = "\n".join(line.strip() for line in pem.strip().splitlines()) + "\n"
    key = (
        x509.load_pem_x509_certificate(text.encode()).public_key()
        if "CERTIFICATE" in text
        else serialization.load_pem_public_key(text.encode())
    )
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


@pytest.mark.parametrize("name", sorted(KYVERNO_EXPECTED))
def test_corpus_kyverno_policies(name: str) -> None:
    path = POLICY_DIR / name
    raw = yaml.safe_load(path.read_text())
    item = AdmissionPolicies().parse(corpus_doc(path))
    assert (item.kind, item.format) == (EvidenceKind.ADMISSION_POLICY, "Kyverno policy")
    (policy,) = item.policies
    kind, action, verifies = KYVERNO_EXPECTED[name]
    assert (policy.engine, policy.kind, policy.name, policy.action) == (
        "kyverno",
        kind,
        raw["metadata"]["name"],
        action,
    )
    assert policy.verifies == verifies
    assert policy.location == "document 1"
    if kind == "ImageValidatingPolicy":
        assert policy.image_patterns == tuple(r["glob"] for r in raw["spec"]["matchImageReferences"])
        assert policy.keys == (_pem_key_id(raw["spec"]["attestors"][0]["notary"]["certs"]["value"]),)
        return
    (verify,) = raw["spec"]["rules"][0]["verifyImages"]
    assert policy.image_patterns == tuple(verify["imageReferences"])
    entries = [e for a in verify.get("attestors", []) for e in a["entries"]] + [
        e for att in verify.get("attestations", []) for a in att["attestors"] for e in a["entries"]
    ]
    assert policy.keys == tuple(_pem_key_id(e["keys"]["publicKeys"]) for e in entries if "keys" in e)
    assert policy.identities == tuple(
        f"{e['keyless']['issuer']} {e['keyless']['subject']}" for e in entries if "keyless" in e
    )


CLUSTER_IMAGE_POLICY = """\
apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: image-policy
spec:
  mode: warn
  images:
    - glob: "registry.example.com/**"
  authorities:
    - keyless:
        url: https://fulcio.sigstore.dev
        identities:
          - issuer: https://token.actions.githubusercontent.com
            subjectRegExp: "^https://github.com/example/.*$"
      attestations:
        - name: must-have-slsa
          predicateType: https://slsa.dev/provenance/v1
          policy:
            type: cue
            data: "predicateType: \\"https://slsa.dev/provenance/v1\\""
    - key:
        secretRef:
          name: cosign-pub
    - static:
        action: pass
"""

IMAGE_VALIDATING_COSIGN = """\
apiVersion: policies.kyverno.io/v1alpha1
kind: ImageValidatingPolicy
metadata:
  name: check-images
spec:
  validationActions: [Audit]
  matchImageReferences:
    - glob: "ghcr.io/example/*"
  attestors:
    - name: cosign
      cosign:
        keyless:
          identities:
            - subject: https://github.com/example/app/.github/workflows/release.yml@refs/heads/main
              issuer: https://token.actions.githubusercontent.com
  attestations:
    - name: sbom
      intoto:
        type: https://cyclonedx.org/bom
"""

CONNAISSEUR_VALUES = """\
application:
  validators:
    - name: allow
      type: static
      approve: true
    - name: default
      type: cosign
      trustRoots:
        - name: default
          key: |
            {key}
        - name: keyless
          keyless:
            issuer: https://token.actions.githubusercontent.com
            subject: https://github.com/example/app/.github/workflows/release.yml@refs/heads/main
  policy:
    - pattern: "*:*"
    - pattern: "registry.k8s.io/*:*"
      validator: allow
    - pattern: "registry.example.com/*:*"
      validator: default
  features:
    detectionMode: false
"""

RATIFY_RESOURCES = """\
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Verifier
metadata:
  name: verifier-cosign
spec:
  name: cosign
  artifactTypes: application/vnd.dev.cosign.artifact.sig.v1+json
  parameters:
    trustPolicies:
      - name: default
        keys:
          - provider: ratify-cosign-inline-key
---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: KeyManagementProvider
metadata:
  name: ratify-cosign-inline-key
spec:
  type: inline
  parameters:
    contentType: key
    value: |
      {key}
---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Store
metadata:
  name: store-oras
spec:
  name: oras
"""

PORTIERIS_POLICY = """\
apiVersion: portieris.cloud.ibm.com/v1
kind: ImagePolicy
metadata:
  name: signedby-policy
  namespace: default
spec:
  repositories:
    - name: "icr.io/example/*"
      policy:
        simple:
          requirements:
            - type: signedBy
              keySecret: signer-pubkey
    - name: "docker.io/library/*"
      policy: {}
    - name: "us.icr.io/team/*"
      policy:
        trust:
          enabled: true
          signerSecrets:
            - name: team-signer
"""

GATEKEEPER_CONSTRAINT = """\
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: RatifyVerification
metadata:
  name: ratify-constraint
spec:
  enforcementAction: dryrun
  match:
    kinds:
      - apiGroups: [""]
        kinds: ["Pod"]
    namespaces: ["default"]
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sRequiredLabels
metadata:
  name: not-about-images
spec: {}
"""


def _public_pem(indent: int) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.strip().replace("\n", "\n" + " " * indent), "sha256:" + hashlib.sha256(der).hexdigest()


def _policies(text: str, path: str = "policy.yaml") -> Any:
    doc = Document(path=path, data=text.encode())
    assert AdmissionPolicies().sniff(doc)
    assert not KubernetesWorkloads().sniff(doc)
    return AdmissionPolicies().parse(doc)


def test_sigstore_policy_controller() -> None:
    item = _policies(CLUSTER_IMAGE_POLICY)
    assert item.format == "sigstore policy-controller policy"
    (policy,) = item.policies
    assert (policy.engine, policy.kind, policy.name, policy.action) == (
        "sigstore-policy-controller",
        "ClusterImagePolicy",
        "image-policy",
        "audit",
    )
    assert policy.image_patterns == ("registry.example.com/**",)
    assert policy.verifies == ("signature", "attestation:https://slsa.dev/provenance/v1")
    assert policy.identities == ("https://token.actions.githubusercontent.com ^https://github.com/example/.*$",)
    assert policy.keys == ("secret:cosign-pub",)
    enforced = _policies(CLUSTER_IMAGE_POLICY.replace("  mode: warn\n", ""))
    assert enforced.policies[0].action == "enforce"


def test_kyverno_image_validating_policy_with_cosign() -> None:
    (policy,) = _policies(IMAGE_VALIDATING_COSIGN).policies
    assert policy.action == "audit"
    assert policy.verifies == ("signature", "attestation:https://cyclonedx.org/bom")
    assert policy.identities == (
        "https://token.actions.githubusercontent.com https://github.com/example/app/.github/workflows/release.yml@refs/heads/main",
    )


def test_connaisseur_configuration() -> None:
    pem, key_id = _public_pem(12)
    item = _policies(CONNAISSEUR_VALUES.format(key=pem), "values.yaml")
    (policy,) = item.policies
    assert (policy.engine, policy.action) == ("connaisseur", "enforce")
    assert policy.keys == (key_id,)
    assert policy.image_patterns == ("*:*", "registry.example.com/*:*")  # the `allow` validator verifies nothing
    assert len(policy.identities) == 1
    detection = _policies(CONNAISSEUR_VALUES.format(key=pem).replace("detectionMode: false", "detectionMode: true"))
    assert detection.policies[0].action == "audit"


def test_ratify_resources() -> None:
    pem, key_id = _public_pem(6)
    item = _policies(RATIFY_RESOURCES.format(key=pem))
    verifier, provider = item.policies
    assert (verifier.engine, verifier.kind, verifier.name, verifier.action) == (
        "ratify",
        "Verifier",
        "verifier-cosign",
        "unknown",
    )
    assert verifier.verifies == ("signature",)
    assert (provider.kind, provider.keys, provider.location) == ("KeyManagementProvider", (key_id,), "document 2")


def test_portieris_policy() -> None:
    (policy,) = _policies(PORTIERIS_POLICY).policies
    assert (policy.engine, policy.kind, policy.action) == ("portieris", "ImagePolicy", "enforce")
    assert policy.image_patterns == ("icr.io/example/*", "us.icr.io/team/*")
    assert policy.keys == ("secret:signer-pubkey", "secret:team-signer")


def test_gatekeeper_constraint() -> None:
    (policy,) = _policies(GATEKEEPER_CONSTRAINT).policies
    assert (policy.engine, policy.kind, policy.name, policy.action) == (
        "gatekeeper",
        "RatifyVerification",
        "ratify-constraint",
        "audit",
    )


def test_policy_file_without_image_verification_is_skipped() -> None:
    text = (
        "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: x}\n"
        "spec:\n  authorities:\n    - static: {action: pass}\n"
    )
    with pytest.raises(SkipFile, match="no admission policy"):
        _policies(text)
    kyverno = "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nspec:\n  rules:\n    - validate: {}\n"
    assert not AdmissionPolicies().sniff(Document(path="k.yaml", data=kyverno.encode()))


def test_broken_policies_are_collector_errors() -> None:
    kyverno = "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nspec:\n  rules:\n    - verifyImages:"
    bad_key = "'-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----'"
    for text in (
        kyverno + " {a: 1}\n",
        kyverno + "\n        - imageReferences: [1]\n",
        kyverno + "\n        - attestors: [{entries: [{keys: {publicKeys: " + bad_key + "}}]}]\n",
        "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nspec: {images: x}\n",
    ):
        with pytest.raises(CollectorError, match=r"p\.yaml"):
            AdmissionPolicies().parse(Document(path="p.yaml", data=text.encode()))


# --- update automation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "ecosystems", "base", "pins"),
    [
        (
            {"$schema": "https://docs.renovatebot.com/renovate-schema.json", "extends": ["config:recommended"]},
            ("*",),
            True,
            False,
        ),
        ({"extends": ["config:recommended", "docker:pinDigests"]}, ("*",), True, True),
        ({"extends": ["config:best-practices"]}, ("*",), True, True),
        ({"extends": ["config:recommended", "helpers:pinGitHubActionDigests"]}, ("*",), True, False),
        ({"extends": [":dependencyDashboard"], "enabledManagers": ["npm"], "pinDigests": True}, ("npm",), False, False),
        (
            {"extends": ["config:base"], "packageRules": [{"matchDatasources": ["docker"], "pinDigests": True}]},
            ("*",),
            True,
            True,
        ),
        (
            {"extends": ["config:base"], "packageRules": [{"matchManagers": ["dockerfile"], "enabled": False}]},
            ("*",),
            False,
            False,
        ),
        ({"extends": ["config:base", "docker:disable"], "pinDigests": True}, ("*",), False, False),
        (
            {"$schema": "https://docs.renovatebot.com/renovate-schema.json", "dockerfile": {"pinDigests": True}},
            ("*",),
            True,
            True,
        ),
    ],
)
def test_renovate(config: dict[str, Any], ecosystems: tuple[str, ...], base: bool, pins: bool) -> None:
    doc = Document(path="renovate.json", data=json.dumps(config).encode())
    assert [c.name for c in COLLECTORS if c.sniff(doc)] == ["renovate"]
    item = RenovateConfig().parse(doc)
    facts = item.update_automation
    assert facts is not None
    assert (item.kind, facts.tool) == (EvidenceKind.UPDATE_AUTOMATION, "renovate")
    assert (facts.ecosystems, facts.updates_base_images, facts.pins_digests) == (ecosystems, base, pins)


def test_renovate_sniff_is_specific() -> None:
    configs: list[dict[str, Any]] = [
        {"extends": ["eslint:recommended"]},
        {"packageRules": []},
        {"$schema": "https://json.schemastore.org/x"},
    ]
    for config in configs:
        assert not RenovateConfig().sniff(Document(path="x.json", data=json.dumps(config).encode()))
    with pytest.raises(CollectorError, match="/packageRules"):
        RenovateConfig().parse(Document(path="r.json", data=b'{"extends": ["config:base"], "packageRules": {}}'))


DEPENDABOT = """\
version: 2
updates:
  - package-ecosystem: "docker"
    directory: "/"
    schedule:
      interval: "weekly"
  - package-ecosystem: "github-actions"
    directory: "/"
    schedule:
      interval: "weekly"
"""


def test_dependabot() -> None:
    doc = Document(path="dependabot.yml", data=DEPENDABOT.encode())
    assert [c.name for c in COLLECTORS if c.sniff(doc)] == ["dependabot"]
    facts = DependabotConfig().parse(doc).update_automation
    assert facts is not None
    assert (facts.tool, facts.ecosystems, facts.updates_base_images, facts.pins_digests) == (
        "dependabot",
        ("docker", "github-actions"),
        True,
        True,
    )
    no_docker = DEPENDABOT.replace('"docker"', '"pip"')
    facts = DependabotConfig().parse(Document(path="d.yml", data=no_docker.encode())).update_automation
    assert facts is not None
    assert (facts.updates_base_images, facts.pins_digests) == (False, False)
    with pytest.raises(CollectorError, match=r"d\.yml"):
        DependabotConfig().parse(Document(path="d.yml", data=DEPENDABOT.replace('"docker"', "[1]").encode()))


# --- who claims what ------------------------------------------------------------------------------------------------

EXPECTED_FIRST_CLAIM = {
    **{f"provenance/{name}": "in-toto" for name in READ_ATTESTATIONS},
    "provenance/cosign-vuln-attestation.dsse.json": "in-toto",
    **{f"oci/{p.name}": "oci-manifest" for p in OCI_FILES},
    "oci/ghcr-example-package-cosign-att.oci-manifest.json": "sigstore-bundle",
    "oci/ghcr-example-package-linux-amd64.oci-image-config.json": "docker-inspect",
    "oci/go-stream-client-latest.docker-image-inspect.json": "docker-inspect",
    **{f"k8s-policies/{name}": "admission-policies" for name in KYVERNO_EXPECTED},
}
# the cosign attestation manifest carries sigstore bundles; the bundle reader comes first on purpose
KNOWN_OVERLAPS = {"oci/ghcr-example-package-cosign-att.oci-manifest.json": ["sigstore-bundle", "oci-manifest"]}


def test_each_corpus_file_is_claimed_by_one_collector() -> None:
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file()):
        doc = corpus_doc(path)
        names = [c.name for c in COLLECTORS if c.sniff(doc)]
        assert len(names) <= 1 or KNOWN_OVERLAPS.get(doc.path) == names, (doc.path, names)
        if doc.path in EXPECTED_FIRST_CLAIM:
            assert names[:1] == [EXPECTED_FIRST_CLAIM[doc.path]], doc.path
    for text in (WORKLOADS_YAML, CLUSTER_IMAGE_POLICY, DEPENDABOT, GATEKEEPER_CONSTRAINT, PORTIERIS_POLICY):
        doc = Document(path="x.yaml", data=text.encode())
        assert len([c.name for c in COLLECTORS if c.sniff(doc)]) == 1, text[:60]


# --- hostile input ---------------------------------------------------------------------------------------------------

MINE = (
    InTotoAttestation(),
    OciManifest(),
    AdmissionPolicies(),
    KubernetesWorkloads(),
    RenovateConfig(),
    DependabotConfig(),
)
_WRONG: tuple[object, ...] = (None, 5, "x", [], {}, True)


def _variants(value: object, depth: int = 0) -> list[object]:
    """The value with one member replaced by each wrong type, at every place up to a depth."""
    out: list[object] = [w for w in _WRONG if type(w) is not type(value)]
    if depth > 7:
        return out
    if isinstance(value, dict):
        for key, member in value.items():
            out.extend({**value, key: v} for v in _variants(member, depth + 1))
    elif isinstance(value, list):
        for i, member in enumerate(value[:3]):
            out.extend([*value[:i], v, *value[i + 1 :]] for v in _variants(member, depth + 1))
    return out


HOSTILE_SOURCES = [
    INDEX,
    AMD64,
    OCI_DIR / "ghcr-example-package-oci-layout-index.json",
    *sorted(POLICY_DIR.iterdir()),
]


@pytest.mark.parametrize("path", HOSTILE_SOURCES, ids=lambda p: p.name)
def test_hostile_types_raise_only_collector_errors(path: Path) -> None:
    original = yaml.safe_load(path.read_text())
    variants = _variants(original)
    assert len(variants) > 30
    for variant in variants:
        for data in (json.dumps(variant).encode(), yaml.safe_dump(variant).encode()):
            doc = Document(path="hostile", data=data)
            for collector in MINE:
                if collector.sniff(doc):
                    try:
                        collector.parse(doc)
                    except CollectorError as e:
                        assert e.path == "hostile"  # noqa: PT017


def test_hostile_statements_raise_only_collector_errors() -> None:
    decoded, _ = statement_of(CENTOS_ATTESTATION)
    decoded["predicate"]["components"] = decoded["predicate"]["components"][:1]
    for variant in _variants(decoded):
        for data in (
            json.dumps(variant),
            json.dumps(unsigned_envelope(variant if isinstance(variant, dict) else {"x": variant}))
            + "\n"
            + json.dumps(variant),
        ):
            doc = Document(path="hostile", data=data.encode())
            if InTotoAttestation().sniff(doc):
                try:
                    InTotoAttestation().parse(doc)
                except CollectorError as e:
                    assert e.path == "hostile"  # noqa: PT017


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_sniff_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    doc = Document(path="x", data=data)
    for collector in MINE:
        if collector.sniff(doc):
            try:
                collector.parse(doc)
            except CollectorError as e:
                assert e.path == "x"  # noqa: PT017
