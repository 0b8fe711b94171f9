"""A sigstore bundle v0.1 whose inclusion proof has no checkpoint, as published for CPython releases.

sigstore-python 4.5 refuses every such log entry ("entry must contain inclusion proof, with checkpoint"), even in
a v0.1 bundle, where the inclusion promise (signed entry timestamp) is what stands for inclusion. Fromline checks
it on the signed-entry-timestamp path it has for cosign's keyless signatures. No CPython bundle is in the corpus:
the test input is the corpus's real v0.1 bundle (sigstore-python's own test asset, signed on staging) with its
checkpoint removed, which is exactly the CPython shape. `failed` is kept for what shows a change; what cannot be
checked is `unverifiable`.
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CORPUS

from evidence.cli import main
from evidence.model import Verification
from evidence.verify.interface import TrustRoot, VerificationContext
from evidence.verify.keyless import Artifact, KeylessResult, verify_bundle
from evidence.verify.policy import load_policy

SIG_DIR = CORPUS / "signatures"
V01 = SIG_DIR / "sigstore-bundle-v0.1-messagesig.bundle.txt.sigstore.json"
V03 = SIG_DIR / "sigstore-bundle-v0.3-messagesig.bundle_v3.txt.sigstore.json"
NPM_V01_DSSE = CORPUS / "provenance" / "npm-sigstore-js-2.0.0-slsa-v1.sigstore-bundle-v0.1.json"
ARTIFACT = Artifact(path="bundle.txt", data=(SIG_DIR / "bundle.txt").read_bytes())
SIGNER = "a@tny.town"
ISSUER = "https://github.com/login/oauth"

pytestmark = pytest.mark.usefixtures("offline")


def without_checkpoint(path: Path) -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(path.read_text())
    del bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
    return bundle


def staging(folder: Path, *, subject: str | None = SIGNER) -> VerificationContext:
    if subject is None:
        return VerificationContext(trust_root=TrustRoot.STAGING)
    policy = folder / "policy.yaml"
    rules = {"version": 1, "rules": [{"identities": [{"issuer": ISSUER, "subject": subject}]}]}
    policy.write_text(yaml.safe_dump(rules))
    return VerificationContext(trust_root=TrustRoot.STAGING, policy=load_policy(policy))


def verify(bundle: dict[str, Any], context: VerificationContext, artifact: Artifact | None = ARTIFACT) -> KeylessResult:
    return verify_bundle(json.dumps(bundle).encode(), context, artifact=artifact)


def test_the_real_v01_bundle_has_a_checkpoint_and_the_derived_one_does_not() -> None:
    proof = json.loads(V01.read_text())["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
    assert "checkpoint" in proof
    derived = without_checkpoint(V01)["verificationMaterial"]["tlogEntries"][0]
    assert "checkpoint" not in derived["inclusionProof"]
    assert derived["inclusionPromise"]["signedEntryTimestamp"]


def test_a_v01_bundle_without_checkpoint_verifies_on_its_signed_entry_timestamp(tmp_path: Path) -> None:
    result = verify(without_checkpoint(V01), staging(tmp_path))
    assert result.status is Verification.VERIFIED, result.reason
    assert result.reason.startswith("sigstore bundle v0.1 without a checkpoint, checked on its signed entry timestamp")
    assert "signature over bundle.txt verifies against the Sigstore staging trusted root" in result.reason
    assert (result.identity, result.issuer, result.log_index) == (SIGNER, ISSUER, 7390977)


def test_over_the_recorded_digest_and_without_a_policy(tmp_path: Path) -> None:
    over_digest = verify(without_checkpoint(V01), staging(tmp_path), artifact=None)
    assert over_digest.status is Verification.VERIFIED, over_digest.reason
    assert "over the digest recorded in the bundle (the artifact was not supplied)" in over_digest.reason
    unpoliced = verify(without_checkpoint(V01), staging(tmp_path, subject=None))
    assert unpoliced.status is Verification.UNVERIFIABLE
    assert "no identity policy was given" in unpoliced.reason
    stranger = verify(without_checkpoint(V01), staging(tmp_path, subject="someone@example.com"))
    assert stranger.status is Verification.FAILED
    assert "an identity the policy does not accept" in stranger.reason


def _flip(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[len(raw) // 2] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def tampered(part: str) -> dict[str, Any]:
    bundle = without_checkpoint(V01)
    entry = bundle["verificationMaterial"]["tlogEntries"][0]
    if part == "signature":
        bundle["messageSignature"]["signature"] = _flip(bundle["messageSignature"]["signature"])
    elif part == "signed entry timestamp":
        promise = entry["inclusionPromise"]
        promise["signedEntryTimestamp"] = _flip(promise["signedEntryTimestamp"])
    elif part == "integrated time":
        entry["integratedTime"] = str(int(entry["integratedTime"]) + 1)
    elif part == "log index":
        entry["logIndex"] = str(int(entry["logIndex"]) + 1)
    return bundle


@pytest.mark.parametrize(
    ("part", "step"),
    [
        ("signature", "signature check failed"),
        ("signed entry timestamp", "signed entry timestamp"),
        ("integrated time", "signed entry timestamp"),
        ("log index", "signed entry timestamp"),
    ],
)
def test_a_change_fails_naming_its_step(tmp_path: Path, part: str, step: str) -> None:
    result = verify(tampered(part), staging(tmp_path))
    assert result.status is Verification.FAILED, result.reason
    assert step in result.reason


def test_another_artifact_fails(tmp_path: Path) -> None:
    result = verify(without_checkpoint(V01), staging(tmp_path), artifact=Artifact(path="other.txt", data=b"other"))
    assert result.status is Verification.FAILED
    assert result.reason == "other.txt does not match the digest signed in the bundle"


def test_what_cannot_be_checked_without_a_checkpoint_is_unverifiable_not_failed(tmp_path: Path) -> None:
    no_promise = without_checkpoint(V01)
    del no_promise["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]
    result = verify(no_promise, staging(tmp_path))
    assert result.status is Verification.UNVERIFIABLE
    assert "without an inclusion promise" in result.reason
    assert f"signed, the certificate says, by {SIGNER} (issuer {ISSUER})" in result.reason

    v03 = verify(without_checkpoint(V03), staging(tmp_path), artifact=None)
    assert v03.status is Verification.UNVERIFIABLE
    assert "this is application/vnd.dev.sigstore.bundle.v0.3+json" in v03.reason

    dsse = verify(without_checkpoint(NPM_V01_DSSE), VerificationContext(), artifact=None)
    assert dsse.status is Verification.UNVERIFIABLE
    assert "not this one (intoto/0.0.2 log entry)" in dsse.reason
    assert "sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main" in dsse.reason


def test_the_bundles_with_a_checkpoint_are_judged_as_before(tmp_path: Path) -> None:
    result = verify(copy.deepcopy(json.loads(V01.read_text())), staging(tmp_path))
    assert result.status is Verification.VERIFIED
    assert not result.reason.startswith("sigstore bundle v0.1 without a checkpoint")


def test_inspect_reports_it_verified(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "python-3.x.tgz.sigstore"
    bundle.write_text(json.dumps(without_checkpoint(V01)))
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        yaml.safe_dump({"version": 1, "rules": [{"identities": [{"issuer": ISSUER, "subject": SIGNER}]}]})
    )
    args = ["inspect", "--json", str(bundle), "--staging", "--artifact", str(SIG_DIR / "bundle.txt")]
    assert main([*args, "--policy", str(policy)]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["verification"]["status"] == "verified", entry["verification"]
    assert "entry must contain inclusion proof" not in entry["verification"]["reason"]
