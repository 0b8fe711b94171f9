"""Admission policies that verify image signatures or attestations before a cluster runs an image.

Recognized, each a `PolicyFacts`:

- Kyverno `ClusterPolicy` / `Policy` (kyverno.io) with `verifyImages` rules: image references, attestors (public
  keys, secrets, KMS, keyless subject and issuer, certificates), attestations by predicate type, and the action
  (`validationFailureAction`, or a rule's `failureAction`, which wins).
- Kyverno `ImageValidatingPolicy` (policies.kyverno.io): `matchImageReferences`, cosign and notary attestors,
  attestations (`intoto.type`, `referrer.type`), `validationActions`.
- sigstore policy-controller `ClusterImagePolicy` (policy.sigstore.dev): `images` globs, `authorities` (key data or
  reference, keyless identities), their `attestations`, `mode` (enforce, warn).
- Connaisseur configuration (Helm values, `application:` or top level): `validators` with `trustRoots` and `policy`
  rules; `detectionMode` makes it audit only.
- Ratify resources (config.ratify.deislabs.io): `Verifier`, `KeyManagementProvider` (inline keys and certificates),
  `Policy`. Ratify verifies; Gatekeeper enforces, so their action is unknown.
- Portieris `ImagePolicy` / `ClusterImagePolicy` (portieris.cloud.ibm.com): repositories whose policy requires
  trust (Notary) or `signedBy` simple-signing requirements.
- Gatekeeper constraints (constraints.gatekeeper.sh) whose kind names image verification: a kind containing
  `ratify`, `cosign`, `notary`, `notation`, `sigstore` or `imagesignature` (Ratify's `RatifyVerification`, for one).
  Other constraints cannot be told apart without their template's Rego, so they are not read.

Inline PEM keys and certificates are named by `sha256:<hex>` of their DER SubjectPublicKeyInfo, like the keys that
verify signatures; other key references are kept as written. Keyless identities are `<issuer> <subject>`.
Only policies that verify something are kept; a file with none is skipped with the reason.
"""

from __future__ import annotations

import re
from typing import Any

from evidence.collectors._util import expect_array, expect_object, expect_string, expect_strings, pointer
from evidence.collectors.interface import CollectorError, Document, SkipFile
from evidence.collectors.kubernetes import load_documents, looks_like_yaml_text
from evidence.model import Evidence, EvidenceKind, PolicyFacts
from evidence.verify.crypto import key_id, load_public_key

ENFORCE, AUDIT, UNKNOWN = "enforce", "audit", "unknown"
SIGNATURE = "signature"

_PEM_BLOCK_RE = re.compile(r"-----BEGIN (PUBLIC KEY|CERTIFICATE)-----.*?-----END \1-----", re.DOTALL)
_SIGNATURE_ARTIFACT_RE = re.compile(r"signature|\.sig\.", re.IGNORECASE)  # notation, cosign signature artifacts
_GATEKEEPER_KIND_RE = re.compile(r"ratify|cosign|notary|notation|sigstore|imagesignature", re.IGNORECASE)
_API_RE = re.compile(
    r"""^[ \t-]*["']?apiVersion["']?[ \t]*:[ \t]*["']?(?:kyverno\.io|policies\.kyverno\.io|policy\.sigstore\.dev"""
    r"""|config\.ratify\.deislabs\.io|portieris\.cloud\.ibm\.com|constraints\.gatekeeper\.sh)/""",
    re.MULTILINE,
)
_CONNAISSEUR_RE = re.compile(r"^[ \t]*validators[ \t]*:", re.MULTILINE)
_TRUST_ROOTS_RE = re.compile(r"^[ \t-]*trust_?[Rr]oots[ \t]*:", re.MULTILINE)


def attestation(predicate_type: str) -> str:
    return f"attestation:{predicate_type}"


def _action_of(words: list[str], enforcing: set[str], auditing: set[str]) -> str:
    """Enforce only when every rule enforces: a rule that only audits lets images through."""
    actions = {ENFORCE if w.lower() in enforcing else AUDIT if w.lower() in auditing else UNKNOWN for w in words}
    if not actions or UNKNOWN in actions:
        return UNKNOWN
    return ENFORCE if actions == {ENFORCE} else AUDIT


class _Policy:
    """What is gathered for one policy while reading it."""

    def __init__(self) -> None:
        self.patterns: list[str] = []
        self.verifies: list[str] = []
        self.keys: list[str] = []
        self.identities: list[str] = []

    def facts(self, *, engine: str, kind: str, name: str, action: str, location: str) -> PolicyFacts:
        return PolicyFacts(
            engine=engine,
            kind=kind,
            name=name,
            action=action,
            image_patterns=tuple(dict.fromkeys(self.patterns)),
            verifies=tuple(dict.fromkeys(self.verifies)),
            keys=tuple(dict.fromkeys(self.keys)),
            identities=tuple(dict.fromkeys(self.identities)),
            location=location,
        )


class _Reader:
    def __init__(self, path: str, number: int) -> None:
        self.path = path
        self.number = number

    def at(self, *parts: str | int) -> str:
        return f"document {self.number} {pointer(*parts)}".rstrip()

    def obj(self, parent: dict[str, Any], key: str, *parts: str | int) -> dict[str, Any]:
        return expect_object(parent.get(key), self.path, self.at(*parts, key), optional=True)

    def arr(self, parent: dict[str, Any], key: str, *parts: str | int) -> list[Any]:
        return expect_array(parent.get(key), self.path, self.at(*parts, key))

    def text(self, parent: dict[str, Any], key: str, *parts: str | int) -> str | None:
        return expect_string(parent.get(key), self.path, self.at(*parts, key))

    def texts(self, parent: dict[str, Any], key: str, *parts: str | int) -> list[str]:
        return expect_strings(parent.get(key), self.path, self.at(*parts, key))

    def items(
        self, parent: dict[str, Any], key: str, *parts: str | int
    ) -> list[tuple[dict[str, Any], tuple[Any, ...]]]:
        """Each object of an array, with the pointer parts that lead to it."""
        return [
            (expect_object(v, self.path, self.at(*parts, key, i)), (*parts, key, i))
            for i, v in enumerate(self.arr(parent, key, *parts))
        ]

    def name(self, resource: dict[str, Any]) -> str:
        metadata = self.obj(resource, "metadata")
        return self.text(metadata, "name", "metadata") or ""

    def pem_keys(self, text: str | None) -> list[str]:
        """Key ids of the PEM keys and certificates in a text; the text itself when it is a reference."""
        if not text or not text.strip():
            return []
        blocks = _PEM_BLOCK_RE.findall(text)
        if not blocks:
            return [text.strip()]
        ids: list[str] = []
        for match in _PEM_BLOCK_RE.finditer(text):
            block = "\n".join(line.strip() for line in match.group(0).splitlines()) + "\n"
            try:
                key, _ = load_public_key(block.encode())
            except ValueError as e:
                raise CollectorError(self.path, f"a PEM key in the policy cannot be read: {e}") from e
            ids.append(key_id(key))
        return ids

    def identity(self, entry: dict[str, Any], *parts: str | int) -> str | None:
        issuer = self.text(entry, "issuer", *parts) or self.text(entry, "issuerRegExp", *parts)
        subject = self.text(entry, "subject", *parts) or self.text(entry, "subjectRegExp", *parts)
        if issuer is None and subject is None:
            return None
        return f"{issuer or '*'} {subject or '*'}"

    # --- Kyverno ClusterPolicy / Policy ----------------------------------------------------------------------

    def kyverno_attestors(self, holder: dict[str, Any], policy: _Policy, *parts: str | int) -> None:
        for attestor, at in self.items(holder, "attestors", *parts):
            for entry, entry_at in self.items(attestor, "entries", *at):
                keys = self.obj(entry, "keys", *entry_at)
                policy.keys += self.pem_keys(self.text(keys, "publicKeys", *entry_at, "keys"))
                policy.keys += [k for k in [self.text(keys, "kms", *entry_at, "keys")] if k]
                secret = self.obj(keys, "secret", *entry_at, "keys")
                if secret:
                    namespace = self.text(secret, "namespace", *entry_at, "keys", "secret") or ""
                    policy.keys.append(f"k8s://{namespace}/{self.text(secret, 'name', *entry_at, 'keys', 'secret')}")
                keyless = self.obj(entry, "keyless", *entry_at)
                if keyless and (found := self.identity(keyless, *entry_at, "keyless")):
                    policy.identities.append(found)
                certificates = self.obj(entry, "certificates", *entry_at)
                policy.keys += self.pem_keys(self.text(certificates, "cert", *entry_at, "certificates"))

    def kyverno(self, resource: dict[str, Any]) -> tuple[_Policy, str] | None:
        spec = self.obj(resource, "spec")
        policy = _Policy()
        actions: list[str] = []
        default = self.text(spec, "validationFailureAction", "spec") or "Audit"
        for rule, rule_at in self.items(spec, "rules", "spec"):
            for verify, at in self.items(rule, "verifyImages", *rule_at):
                policy.patterns += self.texts(verify, "imageReferences", *at)
                policy.patterns += [p for p in [self.text(verify, "image", *at)] if p]
                if verify.get("attestors") or verify.get("key") or not verify.get("attestations"):
                    policy.verifies.append(SIGNATURE)
                self.kyverno_attestors(verify, policy, *at)
                policy.keys += self.pem_keys(self.text(verify, "key", *at))
                for entry, entry_at in self.items(verify, "attestations", *at):
                    kind = self.text(entry, "predicateType", *entry_at) or self.text(entry, "type", *entry_at)
                    if kind:
                        policy.verifies.append(attestation(kind))
                    self.kyverno_attestors(entry, policy, *entry_at)
                validate = self.obj(rule, "validate", *rule_at)
                actions.append(
                    self.text(verify, "failureAction", *at)
                    or self.text(validate, "failureAction", *rule_at, "validate")
                    or default
                )
        if not actions:
            return None
        return policy, _action_of(actions, {"enforce"}, {"audit"})

    # --- Kyverno ImageValidatingPolicy -------------------------------------------------------------------------

    def image_validating(self, resource: dict[str, Any]) -> tuple[_Policy, str] | None:
        spec = self.obj(resource, "spec")
        policy = _Policy()
        for reference, at in self.items(spec, "matchImageReferences", "spec"):
            policy.patterns += [
                p for p in [self.text(reference, "glob", *at) or self.text(reference, "expression", *at)] if p
            ]
        attestors = self.items(spec, "attestors", "spec")
        for attestor, at in attestors:
            cosign = self.obj(attestor, "cosign", *at)
            key = self.obj(cosign, "key", *at, "cosign")
            policy.keys += self.pem_keys(self.text(key, "data", *at, "cosign", "key"))
            policy.keys += [k for k in [self.text(key, "kms", *at, "cosign", "key")] if k]
            keyless = self.obj(cosign, "keyless", *at, "cosign")
            for identity, identity_at in self.items(keyless, "identities", *at, "cosign", "keyless"):
                if found := self.identity(identity, *identity_at):
                    policy.identities.append(found)
            certificate = self.obj(cosign, "certificate", *at, "cosign")
            cert = self.obj(certificate, "cert", *at, "cosign", "certificate")
            policy.keys += self.pem_keys(self.text(cert, "value", *at, "cosign", "certificate", "cert"))
            certs = self.obj(self.obj(attestor, "notary", *at), "certs", *at, "notary")
            policy.keys += self.pem_keys(self.text(certs, "value", *at, "notary", "certs"))
        if not attestors:
            return None
        policy.verifies.append(SIGNATURE)
        for entry, at in self.items(spec, "attestations", "spec"):
            for holder in ("intoto", "referrer"):
                kind = self.text(self.obj(entry, holder, *at), "type", *at, holder)
                if kind:
                    policy.verifies.append(attestation(kind))
        actions = self.texts(spec, "validationActions", "spec") or ["Deny"]
        return policy, _action_of(actions, {"deny"}, {"audit", "warn"})

    # --- sigstore policy-controller ----------------------------------------------------------------------------

    def policy_controller(self, resource: dict[str, Any]) -> tuple[_Policy, str] | None:
        spec = self.obj(resource, "spec")
        policy = _Policy()
        for image, at in self.items(spec, "images", "spec"):
            policy.patterns += [p for p in [self.text(image, "glob", *at) or self.text(image, "regex", *at)] if p]
        for authority, at in self.items(spec, "authorities", "spec"):
            if authority.get("static") is not None:
                continue
            policy.verifies.append(SIGNATURE)
            key = self.obj(authority, "key", *at)
            policy.keys += self.pem_keys(self.text(key, "data", *at, "key"))
            policy.keys += [k for k in [self.text(key, "kms", *at, "key")] if k]
            secret = self.obj(key, "secretRef", *at, "key")
            if secret:
                policy.keys.append(f"secret:{self.text(secret, 'name', *at, 'key', 'secretRef')}")
            keyless = self.obj(authority, "keyless", *at)
            for identity, identity_at in self.items(keyless, "identities", *at, "keyless"):
                if found := self.identity(identity, *identity_at):
                    policy.identities.append(found)
            for entry, entry_at in self.items(authority, "attestations", *at):
                if kind := self.text(entry, "predicateType", *entry_at):
                    policy.verifies.append(attestation(kind))
        if not policy.verifies:
            return None
        return policy, _action_of([self.text(spec, "mode", "spec") or "enforce"], {"enforce"}, {"warn"})

    # --- Portieris ---------------------------------------------------------------------------------------------

    def portieris(self, resource: dict[str, Any]) -> tuple[_Policy, str] | None:
        spec = self.obj(resource, "spec")
        policy = _Policy()
        for repository, at in self.items(spec, "repositories", "spec"):
            rules = self.obj(repository, "policy", *at)
            trust = self.obj(rules, "trust", *at, "policy")
            requirements = self.items(self.obj(rules, "simple", *at, "policy"), "requirements", *at, "policy", "simple")
            verifying = trust.get("enabled") is True or any(r.get("type") == "signedBy" for r, _ in requirements)
            if not verifying:
                continue
            policy.patterns += [p for p in [self.text(repository, "name", *at)] if p]
            policy.verifies.append(SIGNATURE)
            for signer, signer_at in self.items(trust, "signerSecrets", *at, "policy", "trust"):
                policy.keys.append(f"secret:{self.text(signer, 'name', *signer_at)}")
            for requirement, requirement_at in requirements:
                if secret := self.text(requirement, "keySecret", *requirement_at):
                    policy.keys.append(f"secret:{secret}")
        return (policy, ENFORCE) if policy.verifies else None

    # --- Ratify ------------------------------------------------------------------------------------------------

    def ratify(self, resource: dict[str, Any], kind: str) -> tuple[_Policy, str] | None:
        spec = self.obj(resource, "spec")
        policy = _Policy()
        if kind in ("KeyManagementProvider", "NamespacedKeyManagementProvider"):
            parameters = self.obj(spec, "parameters", "spec")
            policy.keys += self.pem_keys(self.text(parameters, "value", "spec", "parameters"))
            policy.verifies.append(SIGNATURE)
        elif kind in ("Verifier", "NamespacedVerifier"):
            policy.verifies.append(SIGNATURE)
            artifact_types = self.text(spec, "artifactTypes", "spec") or ""
            for artifact_type in (t.strip() for t in artifact_types.split(",")):
                if artifact_type and not _SIGNATURE_ARTIFACT_RE.search(artifact_type):
                    policy.verifies.append(attestation(artifact_type))
        elif kind == "Policy":
            policy.verifies.append(SIGNATURE)
        else:
            return None
        return policy, UNKNOWN

    # --- Gatekeeper --------------------------------------------------------------------------------------------

    def gatekeeper(self, resource: dict[str, Any]) -> tuple[_Policy, str]:
        spec = self.obj(resource, "spec")
        policy = _Policy()
        policy.verifies.append(SIGNATURE)
        action = self.text(spec, "enforcementAction", "spec") or "deny"
        return policy, _action_of([action], {"deny"}, {"dryrun", "warn"})

    # --- Connaisseur -------------------------------------------------------------------------------------------

    def connaisseur(self, config: dict[str, Any], parts: tuple[str, ...]) -> tuple[_Policy, str] | None:
        policy = _Policy()
        validators = self.items(config, "validators", *parts)
        verifying: set[str] = set()
        for entry, at in validators:
            roots = self.items(entry, "trustRoots", *at) or self.items(entry, "trust_roots", *at)
            if not roots:
                continue
            verifying.add(self.text(entry, "name", *at) or "")
            for root, root_at in roots:
                policy.keys += self.pem_keys(self.text(root, "key", *root_at))
                keyless = self.obj(root, "keyless", *root_at)
                if keyless:
                    issuer = self.text(keyless, "issuer", *root_at, "keyless") or self.text(
                        keyless, "issuerRegex", *root_at, "keyless"
                    )
                    subject = self.text(keyless, "subject", *root_at, "keyless") or self.text(
                        keyless, "subjectRegex", *root_at, "keyless"
                    )
                    policy.identities.append(f"{issuer or '*'} {subject or '*'}")
        for rule, at in self.items(config, "policy", *parts):
            validator = self.text(rule, "validator", *at) or "default"
            if validator in verifying and (pattern := self.text(rule, "pattern", *at)):
                policy.patterns.append(pattern)
        if not verifying:
            return None
        policy.verifies.append(SIGNATURE)
        features = self.obj(config, "features", *parts)
        detection = features.get("detectionMode", config.get("detectionMode", config.get("detection_mode")))
        return policy, AUDIT if detection is True else ENFORCE


def _connaisseur_config(document: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]] | None:
    for config, parts in ((document.get("application"), ("application",)), (document, ())):
        if isinstance(config, dict) and isinstance(config.get("validators"), list) and "policy" in config:
            return config, parts
    return None


def _engine(document: dict[str, Any]) -> tuple[str, str] | None:
    """(engine, kind) of a resource this module reads."""
    api, kind = document.get("apiVersion"), document.get("kind")
    if not isinstance(api, str) or not isinstance(kind, str):
        return ("connaisseur", "configuration") if _connaisseur_config(document) else None
    group = api.split("/", 1)[0]
    engine = {
        "kyverno.io": "kyverno",
        "policies.kyverno.io": "kyverno",
        "policy.sigstore.dev": "sigstore-policy-controller",
        "config.ratify.deislabs.io": "ratify",
        "portieris.cloud.ibm.com": "portieris",
    }.get(group)
    if engine == "kyverno" and kind not in ("ClusterPolicy", "Policy") and "ImageValidatingPolicy" not in kind:
        return None
    if engine == "sigstore-policy-controller" and kind != "ClusterImagePolicy":
        return None
    if engine == "portieris" and kind not in ("ImagePolicy", "ClusterImagePolicy"):
        return None
    if engine is None and group == "constraints.gatekeeper.sh" and _GATEKEEPER_KIND_RE.search(kind):
        engine = "gatekeeper"
    return (engine, kind) if engine else None


def _read(reader: _Reader, document: dict[str, Any], engine: str, kind: str) -> tuple[_Policy, str] | None:
    if engine == "kyverno":
        return reader.image_validating(document) if "ImageValidatingPolicy" in kind else reader.kyverno(document)
    if engine == "sigstore-policy-controller":
        return reader.policy_controller(document)
    if engine == "portieris":
        return reader.portieris(document)
    if engine == "ratify":
        return reader.ratify(document, kind)
    if engine == "gatekeeper":
        return reader.gatekeeper(document)
    found = _connaisseur_config(document)
    return None if found is None else reader.connaisseur(*found)


_ENGINE_NAMES = {
    "kyverno": "Kyverno",
    "sigstore-policy-controller": "sigstore policy-controller",
    "ratify": "Ratify",
    "portieris": "Portieris",
    "gatekeeper": "Gatekeeper",
    "connaisseur": "Connaisseur",
}


class AdmissionPolicies:
    name = "admission-policies"

    def sniff(self, doc: Document) -> bool:
        data = doc.json()
        if isinstance(data, dict):
            return _engine(data) is not None
        if data is not None or doc.looks_like_json:
            return False
        text = looks_like_yaml_text(doc)
        if text is None:
            return False
        if _API_RE.search(text):
            return "kyverno.io/" not in text or "verifyImages" in text or "ImageValidatingPolicy" in text
        return bool(_CONNAISSEUR_RE.search(text)) and bool(_TRUST_ROOTS_RE.search(text))

    def parse(self, doc: Document) -> Evidence:
        policies: list[PolicyFacts] = []
        engines: list[str] = []
        for number, document in enumerate(load_documents(doc), start=1):
            if not isinstance(document, dict) or (found := _engine(document)) is None:
                continue
            engine, kind = found
            reader = _Reader(doc.path, number)
            read = _read(reader, document, engine, kind)
            if read is None:
                continue
            policy, action = read
            name = reader.name(document) if engine != "connaisseur" else "connaisseur"
            policies.append(policy.facts(engine=engine, kind=kind, name=name, action=action, location=reader.at()))
            engines.append(engine)
        if not policies:
            raise SkipFile(doc.path, "no admission policy in it verifies image signatures or attestations")
        names = sorted({_ENGINE_NAMES[e] for e in engines})
        return doc.evidence(
            kind=EvidenceKind.ADMISSION_POLICY, format=f"{' and '.join(names)} policy", policies=tuple(policies)
        )
