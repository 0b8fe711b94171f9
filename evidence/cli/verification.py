"""Options shared by `package` and `inspect` for signature verification: keys, trust root, policy, artifacts."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evidence.model import SignatureFacts
    from evidence.verify.interface import VerificationContext

MAX_ARTIFACT_BYTES = 512 * 1024 * 1024


def add_verification_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "signature verification",
        "Signatures are verified offline, and count only when made by a signer you name here: a --key, or a key "
        "or keyless identity in --policy. A key among the inputs is never trusted: a signature that verifies only "
        "with it is not verifiable, and the report names the key. Keyless signatures (sigstore bundles) are "
        "checked against Sigstore's public-good trusted root that ships with the tool, and count only when "
        "--policy accepts their identity.",
    )
    group.add_argument("--policy", type=Path, metavar="FILE", help="identity policy (docs/identity-policy.md)")
    group.add_argument(
        "--key",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a public key (PEM) you trust to sign the evidence; repeatable. It may also be among the inputs",
    )
    add_identity_options(group)
    roots = group.add_mutually_exclusive_group()
    roots.add_argument("--trusted-root", type=Path, metavar="FILE", help="a Sigstore trusted_root.json to trust")
    roots.add_argument("--staging", action="store_true", help="trust Sigstore's staging instance, not production")
    group.add_argument(
        "--artifact",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a file signed by a sigstore bundle among the inputs (message signatures); repeatable",
    )


def add_identity_options(group: Any) -> None:
    """cosign's keyless identity flags: one identity accepted for every image, besides --policy's rules."""
    exact = group.add_mutually_exclusive_group()
    exact.add_argument("--certificate-identity", metavar="SAN", help="keyless: accept this signer identity, exactly")
    exact.add_argument(
        "--certificate-identity-regexp", metavar="REGEXP", help="keyless: accept identities this expression matches"
    )
    group.add_argument(
        "--certificate-oidc-issuer", metavar="URL", help="keyless: the OIDC issuer of that identity, exactly"
    )


def identity_flags_policy(args: argparse.Namespace) -> Any:
    """The identity policy rule the cosign-style flags state, or None; `VerificationInputError` when they are
    incomplete."""
    from evidence.verify.interface import VerificationInputError  # noqa: PLC0415
    from evidence.verify.policy import IdentityPolicy, IdentityRule, Rule  # noqa: PLC0415

    subject = getattr(args, "certificate_identity", None)
    pattern = getattr(args, "certificate_identity_regexp", None)
    issuer = getattr(args, "certificate_oidc_issuer", None)
    if subject is None and pattern is None and issuer is None:
        return None
    if issuer is None or (subject is None and pattern is None):
        raise VerificationInputError(
            "--certificate-identity", "give --certificate-oidc-issuer with --certificate-identity or its -regexp"
        )
    try:
        rule = IdentityRule(issuer=issuer, subject=subject, subject_regexp=pattern)
    except ValueError as e:
        raise VerificationInputError("--certificate-identity-regexp", str(e).split("\n")[-1].strip()) from e
    return IdentityPolicy(path="--certificate-identity", rules=(Rule(identities=(rule,)),), keys=())


def verification_context(args: argparse.Namespace, *, image: str | None = None) -> VerificationContext:
    """The context the options describe; `VerificationInputError` naming the file when one cannot be used."""
    from evidence.verify.interface import (  # noqa: PLC0415 - keep --help instant
        LoadedKey,
        TrustRoot,
        VerificationContext,
        VerificationInputError,
    )
    from evidence.verify.keyless import load_trusted_root  # noqa: PLC0415 - loads sigstore
    from evidence.verify.keys import load_key_file  # noqa: PLC0415
    from evidence.verify.policy import load_policy  # noqa: PLC0415

    policy = load_policy(args.policy) if args.policy else None
    flagged = identity_flags_policy(args)
    if flagged is not None:
        policy = (
            dataclasses.replace(
                policy, path=f"{policy.path} and --certificate-identity", rules=policy.rules + flagged.rules
            )
            if policy is not None
            else flagged
        )
    # A key is shown by its file name, as evidence is by its input's name: a package does not record where the
    # assessor keeps files, and reads the same on every machine.
    keys: dict[str, LoadedKey] = {}
    for path in args.key:
        key = load_key_file(path)
        keys[key.key_id] = dataclasses.replace(key, path=path.name)
    for key in policy.loaded_keys if policy else ():
        keys.setdefault(key.key_id, key)
    artifacts: dict[str, bytes] = {}
    for path in args.artifact:
        try:
            if path.stat().st_size > MAX_ARTIFACT_BYTES:
                raise VerificationInputError(path, f"artifact is over {MAX_ARTIFACT_BYTES} bytes")
            artifacts[str(path)] = path.read_bytes()
        except OSError as e:
            raise VerificationInputError(path, f"artifact cannot be read: {e.strerror}") from e
    if args.trusted_root:
        trust_root, root_path = TrustRoot.FILE, args.trusted_root
    else:
        trust_root, root_path = (TrustRoot.STAGING if args.staging else TrustRoot.PRODUCTION), None
    context = VerificationContext(
        keys=tuple(keys.values()),
        trust_root=trust_root,
        trusted_root_path=root_path,
        policy=policy,
        image=image,
        artifacts=artifacts,
    )
    if root_path is not None:
        load_trusted_root(context)  # a bad file is a usage problem, reported before any evidence is read
    return context


def verification_json(facts: SignatureFacts | None) -> dict[str, Any] | None:
    """The `verification` object of `fromline inspect --json`: the outcome, why, and what it was checked with."""
    if facts is None:
        return None
    return {
        "status": facts.status.value,
        "reason": facts.reason,
        "method": facts.method.value,
        "key_id": facts.key_id,
        "key_path": facts.key_path,
        "identity": facts.identity,
        "issuer": facts.issuer,
        "log_index": facts.log_index,
        "integrated_time": facts.integrated_time.isoformat().replace("+00:00", "Z") if facts.integrated_time else None,
        "asserted_by": facts.asserted_by,
        "key_from_evidence": facts.key_from_evidence,
    }
