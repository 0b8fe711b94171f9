"""The seams between collect, verify and bind: what each step does, and what it leaves alone."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import CORPUS, SAMPLES
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from evidence.collectors import bind, collect
from evidence.model import (
    NOT_CHECKED_REASON,
    Binding,
    Evidence,
    EvidenceKind,
    SignatureFacts,
    SignatureMethod,
    Verification,
)
from evidence.verify import VerificationContext, verify
from evidence.verify.apply import ASSERTED_REASON, NO_CHECK_REASON, NOT_COLLECTED_REASON, verify_items
from evidence.verify.dsse import pae
from evidence.verify.keys import load_key_file

DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32


def payload(digest: str) -> bytes:
    critical = {"identity": {"docker-reference": "r.example/app"}, "image": {"docker-manifest-digest": digest}}
    return json.dumps({"critical": {**critical, "type": "cosign container image signature"}}).encode()


def write_inputs(folder: Path) -> ed25519.Ed25519PrivateKey:
    """A signed payload for DIGEST, an unsigned one for OTHER, a signed DSSE provenance, `cosign verify` output,
    and the public key."""
    folder.mkdir()
    key = ed25519.Ed25519PrivateKey.generate()
    signed = payload(DIGEST)
    (folder / "payload.json").write_bytes(signed)
    (folder / "payload.sig").write_bytes(base64.b64encode(key.sign(signed)))
    (folder / "other.json").write_bytes(payload(OTHER))
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "r.example/app", "digest": {"sha256": DIGEST.removeprefix("sha256:")}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"buildDefinition": {"buildType": "x"}, "runDetails": {"builder": {"id": "https://b"}}},
    }
    body = json.dumps(statement).encode()
    signature = key.sign(pae("application/vnd.in-toto+json", body))
    envelope = {
        "payloadType": "application/vnd.in-toto+json",
        "payload": base64.b64encode(body).decode(),
        "signatures": [{"keyid": "", "sig": base64.b64encode(signature).decode()}],
    }
    (folder / "provenance.intoto.json").write_text(json.dumps(envelope))
    (folder / "verify.json").write_text(json.dumps([json.loads(signed)]))
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (folder / "cosign.pub").write_bytes(public)
    return key


def by_name(items: Sequence[Evidence], name: str) -> Evidence:
    return next(e for e in items if e.path.endswith("/" + name))


def signature_of(items: Sequence[Evidence], name: str) -> SignatureFacts:
    facts = by_name(items, name).signature
    assert facts is not None
    return facts


def test_collect_reads_and_parses_and_checks_nothing(tmp_path: Path) -> None:
    write_inputs(tmp_path / "in")
    collected = collect([tmp_path / "in"])
    assert len(collected.items) == 6
    assert [(e.kind, e.path) for e in collected.items] == sorted((e.kind, e.path) for e in collected.items)
    found = [e.signature for e in collected.items if e.signature is not None]
    assert {facts.method for facts in found} == {
        SignatureMethod.COSIGN_KEY_PAIR,
        SignatureMethod.DSSE,
        SignatureMethod.COSIGN_VERIFY,
    }
    for facts in found:
        assert (facts.status, facts.reason) == (Verification.UNCHECKED, NOT_CHECKED_REASON)
    assert {e.binding for e in collected.items} == {Binding.UNBOUND}


def test_collect_keeps_the_exact_bytes_of_every_item(tmp_path: Path) -> None:
    write_inputs(tmp_path / "in")
    collected = collect([tmp_path / "in"])
    assert set(collected.contents) == {e.id for e in collected.items}
    for item in collected.items:
        assert collected.contents[item.id] == (tmp_path / item.path).read_bytes()


def test_verify_decides_every_signature_in_the_same_order_and_keeps_the_rest(tmp_path: Path) -> None:
    write_inputs(tmp_path / "in")
    (tmp_path / "in" / "notes.txt").write_text("not evidence")
    collected = collect([tmp_path / "in"], keep_going=True)
    # the key among the inputs is trusted because it is named too; the name it is trusted by is recorded
    verified = verify(
        collected, VerificationContext(keys=(load_key_file(tmp_path / "in" / "cosign.pub", "trusted.pub"),))
    )
    assert [e.id for e in verified.items] == [e.id for e in collected.items]
    assert (verified.skipped, verified.contents) == (collected.skipped, collected.contents)
    assert verified.skipped
    facts = {e.path.rsplit("/", 1)[-1]: e.signature for e in verified.items if e.signature is not None}
    assert {name: f.status for name, f in facts.items()} == {
        "payload.json": Verification.VERIFIED,
        "other.json": Verification.UNVERIFIABLE,
        "provenance.intoto.json": Verification.VERIFIED,
        "verify.json": Verification.UNVERIFIABLE,
    }
    assert facts["verify.json"].reason == ASSERTED_REASON
    assert facts["payload.json"].key_path == "trusted.pub"
    assert {e.binding for e in verified.items} == {Binding.UNBOUND}  # binding is the next step's


def test_verify_reads_no_input_again(tmp_path: Path) -> None:
    write_inputs(tmp_path / "in")
    collected = collect([tmp_path / "in"])
    trusted = VerificationContext(keys=(load_key_file(tmp_path / "in" / "cosign.pub"),))
    for path in (tmp_path / "in").iterdir():
        path.unlink()
    assert signature_of(verify(collected, trusted).items, "payload.json").status is Verification.VERIFIED


def test_verify_uses_the_context_keys(tmp_path: Path) -> None:
    write_inputs(tmp_path / "in")
    key = load_key_file(tmp_path / "in" / "cosign.pub", "trusted.pub")
    (tmp_path / "in" / "cosign.pub").unlink()
    collected = collect([tmp_path / "in"])
    without = signature_of(verify(collected).items, "payload.json")
    with_key = signature_of(verify(collected, VerificationContext(keys=(key,))).items, "payload.json")
    assert without.status is Verification.UNVERIFIABLE
    assert (with_key.status, with_key.key_path) == (Verification.VERIFIED, "trusted.pub")


def test_a_signature_whose_bytes_were_not_kept_is_not_verified(tmp_path: Path) -> None:
    write_inputs(tmp_path / "in")
    collected = collect([tmp_path / "in"])
    dropped = by_name(collected.items, "payload.json").id
    kept = {ident: data for ident, data in collected.contents.items() if ident != dropped}
    facts = signature_of(verify(dataclasses.replace(collected, contents=kept)).items, "payload.json")
    assert (facts.status, facts.reason) == (Verification.UNVERIFIABLE, NOT_COLLECTED_REASON)


def test_bind_binds_and_sorts_and_changes_nothing_else(tmp_path: Path) -> None:
    write_inputs(tmp_path / "in")
    verified = verify(collect([tmp_path / "in"]))
    bound = bind(verified, DIGEST)
    bindings = {e.path.rsplit("/", 1)[-1]: e.binding for e in bound.items}
    assert bindings == {
        "payload.json": Binding.MATCH,
        "other.json": Binding.MISMATCH,
        "provenance.intoto.json": Binding.MATCH,
        "verify.json": Binding.MATCH,
        "payload.sig": Binding.UNBOUND,
        "cosign.pub": Binding.UNBOUND,
    }
    assert [(e.kind, e.path) for e in bound.items] == sorted((e.kind, e.path) for e in bound.items)
    assert [dataclasses.replace(e, binding=Binding.UNBOUND) for e in bound.items] == list(verified.items)
    assert bound.contents == verified.contents
    assert by_name(bound.items, "payload.sig").kind is EvidenceKind.DETACHED_SIGNATURE


def test_no_signature_leaves_verification_unchecked_when_nothing_applies() -> None:
    facts = SignatureFacts(method=SignatureMethod.COSIGN_KEY_PAIR, signed_digest=DIGEST)
    odd = Evidence(
        id="ev-1", path="p.json", sha256="0" * 64, size=2, kind=EvidenceKind.PROVENANCE, format="x", signature=facts
    )
    (checked,) = verify_items([odd], {"p.json": b"{}"})
    assert checked.signature is not None
    assert (checked.signature.status, checked.signature.reason) == (Verification.UNVERIFIABLE, NO_CHECK_REASON)


@pytest.mark.parametrize(
    "folder",
    [*sorted(SAMPLES.glob("webapp-*")), CORPUS / "signatures", CORPUS / "provenance", CORPUS / "oci"],
    ids=lambda p: p.name,
)
def test_verify_decides_every_signature_of_the_samples_and_the_corpus(folder: Path) -> None:
    verified = verify(collect([folder], keep_going=True))
    decided = [e.signature.status for e in verified.items if e.signature is not None]
    assert decided
    assert Verification.UNCHECKED not in decided
