"""The check `fromline policy` output is held to (tests/admission_schemas.py) is a real one: each engine's bundled
schema accepts a correct minimal resource written from the engine's documentation, rejects a broken one (a wrong
type, an unknown enum value, a missing required field, an unknown field), and accepts the real policies of the
corpus; policy-controller's webhook rules catch what its CRD cannot; a Gatekeeper constraint is checked against
the CRD its template makes, a Connaisseur configuration against what Connaisseur's loader accepts; the
translation of Kubernetes' OpenAPI dialect to JSON Schema keeps the API server's meaning; and the bundled files
are the ones SOURCES.md names."""

from __future__ import annotations

import copy
import hashlib
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml
from admission_schemas import (
    CRD_FILES,
    GATEKEEPER_MATCH_FILE,
    SCHEMAS,
    UnknownKindError,
    UnsupportedSchemaError,
    connaisseur_errors,
    crd_version,
    documents_errors,
    gatekeeper_constraint_errors,
    openapi_to_json_schema,
    policy_controller_errors,
    schema_errors,
)
from conftest import corpus_files

PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8nXRh950IZbRj8Ra/N9sbqOPZrfM
5/KAQN0/KjHcorm/J5yctVd7iEcnessRQjU917hmKO6JWVGHpDguIyakZA==
-----END PUBLIC KEY-----
"""


def load(text: str) -> dict[str, Any]:
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document


def broken(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy with the value at a dotted path (`spec.rules.0.name`) replaced, or deleted when `value` is DELETE."""
    copied = copy.deepcopy(document)
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
    node: Any = copied
    for part in parents:
        node = node[part]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return copied


DELETE = object()

# --- one correct resource per engine, as each engine's documentation shows it --------------------------------------

KYVERNO = load(f"""
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: verify-image-signature
  annotations:
    policies.kyverno.io/title: Verify image signature
spec:
  background: false
  webhookTimeoutSeconds: 30
  rules:
    - name: verify-signature
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences: ["registry.example.com/webapp*"]
          failureAction: Enforce
          mutateDigest: true
          attestors:
            - count: 1
              entries:
                - keys:
                    publicKeys: |
{"".join(f"                      {line}{chr(10)}" for line in PUBLIC_KEY.splitlines())}
                    rekor:
                      ignoreTlog: true
          attestations:
            - type: https://slsa.dev/provenance/v1
              attestors:
                - entries:
                    - keyless:
                        subject: https://github.com/example/webapp/.github/workflows/release.yml@refs/heads/main
                        issuer: https://token.actions.githubusercontent.com
""")

POLICY_CONTROLLER = load("""
apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: webapp-signed
spec:
  mode: enforce
  images:
    - glob: registry.example.com/webapp**
  authorities:
    - name: release-key
      key:
        hashAlgorithm: sha256
        data: |
          -----BEGIN PUBLIC KEY-----
          MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8nXRh950IZbRj8Ra/N9sbqOPZrfM
          5/KAQN0/KjHcorm/J5yctVd7iEcnessRQjU917hmKO6JWVGHpDguIyakZA==
          -----END PUBLIC KEY-----
      ctlog:
        url: https://rekor.sigstore.dev
""")

GATEKEEPER = load("""
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sverifiedimages
spec:
  crd:
    spec:
      names:
        kind: K8sVerifiedImages
      validation:
        openAPIV3Schema:
          type: object
          properties:
            repositories:
              type: array
              items:
                type: string
  targets:
    - target: admission.k8s.gatekeeper.sh
      operations: [CREATE, UPDATE]
      code:
        - engine: Rego
          source:
            rego: |
              package k8sverifiedimages
              violation[{"msg": msg}] {
                image := input.review.object.spec.containers[_].image
                not startswith(image, input.parameters.repositories[_])
                msg := sprintf("image %v is from no verified repository", [image])
              }
""")

RATIFY_VERIFIER = load("""
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
        scopes: ["*"]
        keys:
          - provider: ratify-cosign-inline-key
""")

RATIFY_KEY_PROVIDER = load("""
apiVersion: config.ratify.deislabs.io/v1beta1
kind: KeyManagementProvider
metadata:
  name: ratify-cosign-inline-key
spec:
  type: inline
  parameters:
    contentType: key
    value: |
      -----BEGIN PUBLIC KEY-----
      MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8nXRh950IZbRj8Ra/N9sbqOPZrfM
      -----END PUBLIC KEY-----
""")

RATIFY_POLICY = load("""
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Policy
metadata:
  name: ratify-policy
spec:
  type: config-policy
  parameters:
    artifactVerificationPolicies:
      application/vnd.dev.cosign.artifact.sig.v1+json: any
""")

RATIFY_STORE = load("""
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Store
metadata:
  name: store-oras
spec:
  name: oras
  parameters:
    cosignEnabled: true
""")

GATEKEEPER_PROVIDER = load("""
apiVersion: externaldata.gatekeeper.sh/v1beta1
kind: Provider
metadata:
  name: ratify-gatekeeper-provider
spec:
  url: https://ratify.gatekeeper-system:6001/ratify/gatekeeper/v1/verify
  timeout: 10
  caBundle: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
""")

CONNAISSEUR = load(f"""
application:
  validators:
    - name: allow
      type: static
      approve: true
    - name: default
      type: static
      approve: false
    - name: webapp
      type: cosign
      trustRoots:
        - name: release-key
          key: |
{"".join(f"            {line}{chr(10)}" for line in PUBLIC_KEY.splitlines())}
        - name: release-workflow
          keyless:
            issuer: https://token.actions.githubusercontent.com
            subjectRegex: ^https://github.com/example/webapp/.*$
  policy:
    - pattern: "*:*"
    - pattern: registry.k8s.io/*:*
      validator: allow
    - pattern: registry.example.com/webapp:*
      validator: webapp
      with:
        trustRoot: "*"
        threshold: 2
        required: [release-key, release-workflow]
        mode: mutate
""")

CORRECT = {
    "Kyverno ClusterPolicy": KYVERNO,
    "policy-controller ClusterImagePolicy": POLICY_CONTROLLER,
    "Gatekeeper ConstraintTemplate": GATEKEEPER,
    "Gatekeeper Provider": GATEKEEPER_PROVIDER,
    "Ratify Verifier": RATIFY_VERIFIER,
    "Ratify KeyManagementProvider": RATIFY_KEY_PROVIDER,
    "Ratify Policy": RATIFY_POLICY,
    "Ratify Store": RATIFY_STORE,
}


@pytest.mark.parametrize("document", CORRECT.values(), ids=CORRECT.keys())
def test_a_correct_resource_of_each_engine_is_accepted(document: dict[str, Any]) -> None:
    assert schema_errors(document) == []


def test_a_correct_connaisseur_configuration_is_accepted() -> None:
    assert connaisseur_errors(CONNAISSEUR) == []


# --- each broken one is rejected, at the place it breaks ----------------------------------------------------------
# (resource, dotted path, new value, the error expected there); DELETE removes the field.
VI = "spec.rules.0.verifyImages.0"
BROKEN = {
    "kyverno wrong type": (KYVERNO, f"{VI}.mutateDigest", "yes", f"$.{VI}.mutateDigest: ".replace(".0", "[0]")),
    "kyverno unknown enum": (KYVERNO, f"{VI}.failureAction", "Block", '"Block" is not one of "Audit", "Enforce"'),
    "kyverno policy-wide enum": (KYVERNO, "spec.validationFailureAction", "deny", "$.spec.validationFailureAction: "),
    "kyverno missing rule name": (KYVERNO, "spec.rules.0.name", DELETE, '$.spec.rules[0]: "name" is a required'),
    "kyverno unknown field": (KYVERNO, f"{VI}.attestors.0.entries.0.keys.publicKey", "x", "'publicKey' was unexp"),
    "kyverno attestation type": (KYVERNO, f"{VI}.attestations.0.type", 1, "attestations[0].type: 1 is not of type"),
    "policy-controller wrong type": (POLICY_CONTROLLER, "spec.authorities", {}, "$.spec.authorities: {} is not of"),
    "policy-controller unknown field": (POLICY_CONTROLLER, "spec.authorities.0.key.pem", "x", "'pem' was unexpected"),
    "policy-controller glob type": (POLICY_CONTROLLER, "spec.images.0.glob", ["a"], "$.spec.images[0].glob: "),
    "gatekeeper unknown enum": (GATEKEEPER, "spec.targets.0.operations.0", "PATCH", '"PATCH" is not one of "*", "CR'),
    "gatekeeper missing code source": (GATEKEEPER, "spec.targets.0.code.0.source", DELETE, '"source" is a required'),
    "gatekeeper wrong type": (GATEKEEPER, "spec.targets", {"target": "x"}, '$.spec.targets: {"target":"x"} is not'),
    "gatekeeper list map keys": (
        GATEKEEPER,
        "spec.targets.0.code",
        [{"engine": "Rego", "source": "a"}, {"engine": "Rego", "source": "b"}],
        "$.spec.targets[0].code: duplicate entry with engine='Rego'",
    ),
    "provider wrong type": (GATEKEEPER_PROVIDER, "spec.timeout", "10s", '$.spec.timeout: "10s" is not of type "in'),
    "ratify missing required": (RATIFY_VERIFIER, "spec.artifactTypes", DELETE, '"artifactTypes" is a required prop'),
    "ratify wrong type": (RATIFY_VERIFIER, "spec.artifactTypes", ["a", "b"], "$.spec.artifactTypes: "),
    "ratify unknown field": (RATIFY_VERIFIER, "spec.type", "cosign", "('type' was unexpected)"),
    "ratify store missing name": (RATIFY_STORE, "spec.name", DELETE, '$.spec: "name" is a required property'),
    "ratify policy type": (RATIFY_POLICY, "spec.type", True, "$.spec.type: true is not of type"),
    "key provider type": (RATIFY_KEY_PROVIDER, "spec.parameters", "inline", '$.spec.parameters: "inline" is not'),
    "no metadata name": (RATIFY_VERIFIER, "metadata.name", DELETE, '$.metadata: "name" is a required property'),
    "metadata name not a DNS subdomain": (KYVERNO, "metadata.name", "Verify_Image", "is not a DNS subdomain"),
    "namespace of a cluster-scoped kind": (GATEKEEPER, "metadata.namespace", "default", "not allowed on a cluster-"),
    "label value": (POLICY_CONTROLLER, "metadata.labels", {"app": "a b"}, "'a b' is not a valid label value"),
    "annotation value": (KYVERNO, "metadata.annotations", {"a": 1}, "$.metadata.annotations.a: 1 is not of type"),
    "unknown top-level field": (RATIFY_VERIFIER, "specs", {}, "('specs' was unexpected)"),
    "no apiVersion": (KYVERNO, "apiVersion", DELETE, "$.apiVersion: missing"),
    "no kind": (KYVERNO, "kind", DELETE, "$.kind: missing"),
    "a version the CRD lacks": (KYVERNO, "apiVersion", "kyverno.io/v3", "the ClusterPolicy CRD has no version 'v3'"),
    "kyverno exclusive fields": (
        KYVERNO,
        "spec.rules.0.match.all",
        [{"resources": {"kinds": ["Pod"]}}],
        "$.spec.rules[0].match: the object gives all of any, all, which exclude each other",
    ),
    "kyverno one of": (
        KYVERNO,
        "spec.rules.0.context",
        [{"name": "tag", "variable": {"value": "v1"}, "configMap": {"name": "tags", "namespace": "default"}}],
        "$.spec.rules[0].context[0]: the object gives more than one of the choices configMap | apiCall | imageRegistry",
    ),
    "a deprecated version": (
        RATIFY_VERIFIER,
        "apiVersion",
        "config.ratify.deislabs.io/v1alpha1",
        "is deprecated: v1al",
    ),
}


@pytest.mark.parametrize(("document", "path", "value", "expected"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_resource_is_rejected_where_it_breaks(
    document: dict[str, Any], path: str, value: Any, expected: str
) -> None:
    errors = schema_errors(broken(document, path, value))
    assert any(expected in error for error in errors), errors


KEYLESS_AUTHORITY = {
    "name": "release-workflow",
    "keyless": {
        "url": "https://fulcio.sigstore.dev",
        "identities": [{"issuer": "https://token.actions.githubusercontent.com", "subjectRegExp": "^https://github"}],
    },
    "attestations": [
        {
            "name": "provenance",
            "predicateType": "https://slsa.dev/provenance/v1",
            "policy": {"type": "cue", "data": 'predicateType: "https://slsa.dev/provenance/v1"'},
        }
    ],
}


def test_policy_controller_s_webhook_rules_accept_a_correct_policy() -> None:
    assert policy_controller_errors(POLICY_CONTROLLER) == []
    both = broken(POLICY_CONTROLLER, "spec.authorities", [*POLICY_CONTROLLER["spec"]["authorities"], KEYLESS_AUTHORITY])
    assert schema_errors(both) == []
    assert policy_controller_errors(both) == []


A = "spec.authorities.0"
POLICY_CONTROLLER_BROKEN = {
    "unknown mode": ("spec.mode", "enforcing", "$.spec.mode: 'enforcing' is not one of enforce, warn"),
    "no images": ("spec.images", [], "$.spec.images: missing"),
    "no glob": ("spec.images.0", {}, "$.spec.images[0].glob: missing"),
    "no authorities": ("spec.authorities", [], "$.spec.authorities: missing"),
    "key and keyless": (f"{A}.keyless", KEYLESS_AUTHORITY["keyless"], "exactly one of key, keyless, static (given"),
    "key data and kms": (f"{A}.key.kms", "awskms:///alias/release", "exactly one of data, kms, secretRef"),
    "unknown hash": (f"{A}.key.hashAlgorithm", "sha1", "'sha1' is not one of sha224, sha256, sha384, sha512"),
    "not a PEM key": (f"{A}.key.data", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a PEM"),
    "unknown static action": (f"{A}", {"static": {"action": "allow"}}, "static.action: 'allow' is not one of fail"),
}


@pytest.mark.parametrize(
    ("path", "value", "expected"), POLICY_CONTROLLER_BROKEN.values(), ids=POLICY_CONTROLLER_BROKEN.keys()
)
def test_policy_controller_s_webhook_rules_reject_what_its_crd_cannot(path: str, value: Any, expected: str) -> None:
    """policy-controller's CRD declares types only, no enum and no required field: these pass `schema_errors`,
    and `policy_controller_errors` rejects them as its webhook does."""
    document = broken(POLICY_CONTROLLER, path, value)
    assert schema_errors(document) == []
    errors = policy_controller_errors(document)
    assert any(expected in error for error in errors), errors


KEYLESS_BROKEN = {
    "no identities": ("keyless.identities", [], "keyless.identities: missing"),
    "subject twice": ("keyless.identities.0.subject", "s", "exactly one of subject, subjectRegExp (given: subject, s"),
    "no issuer": ("keyless.identities.0.issuer", DELETE, "exactly one of issuer, issuerRegExp (given: none)"),
    "url and ca-cert": ("keyless.ca-cert", {"data": PUBLIC_KEY}, "exactly one of url, ca-cert"),
    "no predicate type": ("attestations.0.predicateType", DELETE, "attestations[0].predicateType: missing"),
    "unknown policy type": ("attestations.0.policy.type", "opa", "policy.type: 'opa' is not one of cue, rego"),
    "a remote policy over http": (
        "attestations.0.policy",
        {"type": "rego", "remote": {"url": "http://example.com/p.rego", "sha256sum": "ab"}},
        "policy.remote.url: 'http://example.com/p.rego' is not an https URL",
    ),
    "spec-only field": ("attestations.0.policy.includeSpec", True, "includeSpec: only the policy of the whole"),
}


@pytest.mark.parametrize(("path", "value", "expected"), KEYLESS_BROKEN.values(), ids=KEYLESS_BROKEN.keys())
def test_policy_controller_s_webhook_rules_on_keyless_authorities(path: str, value: Any, expected: str) -> None:
    document = broken(POLICY_CONTROLLER, "spec.authorities", [broken(KEYLESS_AUTHORITY, path, value)])
    assert schema_errors(document) == []
    errors = policy_controller_errors(document)
    assert any(expected in error for error in errors), errors


def test_a_missing_metadata_is_an_error() -> None:
    errors = schema_errors(broken(RATIFY_VERIFIER, "metadata", DELETE))
    assert errors == ["$.metadata: missing (every resource has a metadata.name)"]


def test_an_error_names_every_allowed_value_of_an_enum() -> None:
    errors = schema_errors(broken(KYVERNO, "spec.failurePolicy", "Retry"))
    assert errors == ['$.spec.failurePolicy: "Retry" is not one of "Ignore", "Fail"']


def test_a_deprecated_version_is_accepted_when_allowed() -> None:
    old = broken(RATIFY_VERIFIER, "apiVersion", "config.ratify.deislabs.io/v1alpha1")
    assert schema_errors(old, allow_deprecated=True) == []


def test_a_kind_with_no_bundled_crd_is_refused_not_passed() -> None:
    with pytest.raises(UnknownKindError, match=re.escape("no CRD bundled for kind Policy of API group 'kyverno.io'")):
        schema_errors(broken(KYVERNO, "kind", "Policy"))
    with pytest.raises(UnknownKindError, match=re.escape("ClusterImagePolicy of API group 'policy.sigstore.example'")):
        schema_errors(broken(POLICY_CONTROLLER, "apiVersion", "policy.sigstore.example/v1beta1"))


CONNAISSEUR_VALIDATORS = "application.validators"
CONNAISSEUR_BROKEN = {
    "unsupported validator type": (f"{CONNAISSEUR_VALIDATORS}.2.type", "cosing", "unsupported validator type 'cosing'"),
    "wrong type": (f"{CONNAISSEUR_VALIDATORS}.0.approve", "yes", '$.application.validators[0].approve: "yes" is not'),
    "unknown enum": ("application.policy.2.with.mode", "enforce", '"enforce" is not one of "mutate", "insecureVal'),
    "missing trust roots": (f"{CONNAISSEUR_VALIDATORS}.2.trustRoots", DELETE, '"trustRoots" is a required property'),
    "missing rule pattern": ("application.policy.1.pattern", DELETE, '$.application.policy[1]: "pattern" is a requ'),
    "negative threshold": ("application.policy.2.with.threshold", -1, "threshold: -1 is less than the minimum of 0"),
    "unknown rule option": ("application.policy.2.with.trustroot", "*", "('trustroot' was unexpected)"),
    "unknown validator field": (f"{CONNAISSEUR_VALIDATORS}.2.trustroots", [], "('trustroots' was unexpected)"),
    "no validator of that name": ("application.policy.1.validator", "allowed", "no validator named 'allowed'"),
    "no default validator": (f"{CONNAISSEUR_VALIDATORS}.1.name", "deny", "policy[0].validator: no validator named 'd"),
    "no trust root of that name": ("application.policy.2.with.trustRoot", "sse", "has no trust root 'sse'"),
    "key and keyless": (f"{CONNAISSEUR_VALIDATORS}.2.trustRoots.0.keyless", {"issuer": "i", "subject": "s"}, "exac"),
    "a cert for cosign": (f"{CONNAISSEUR_VALIDATORS}.2.trustRoots.1", {"name": "c", "cert": "x"}, "one of key or k"),
    "keyless subject twice": (f"{CONNAISSEUR_VALIDATORS}.2.trustRoots.1.keyless.subject", "s", "one of subject and"),
    "required and delegations": (
        "application.policy.2.with.delegations",
        ["x"],
        "required, delegations, which exclude",
    ),
    "no validators": (CONNAISSEUR_VALIDATORS, [], "$.application.validators: [] has less than 1 item"),
    "no application": ("application", DELETE, "$.application: missing"),
    "credentials without a registry": (f"{CONNAISSEUR_VALIDATORS}.2.auth", {"username": "u", "password": "p"}, "reg"),
}


@pytest.mark.parametrize(("path", "value", "expected"), CONNAISSEUR_BROKEN.values(), ids=CONNAISSEUR_BROKEN.keys())
def test_a_broken_connaisseur_configuration_is_rejected_where_it_breaks(path: str, value: Any, expected: str) -> None:
    errors = connaisseur_errors(broken(CONNAISSEUR, path, value))
    assert any(expected in error for error in errors), errors


# --- a Gatekeeper constraint, against the CRD its template makes --------------------------------------------------

GATEKEEPER_CONSTRAINT = load("""
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sVerifiedImages
metadata:
  name: verified-images
spec:
  enforcementAction: deny
  match:
    scope: Namespaced
    kinds:
      - apiGroups: [""]
        kinds: [Pod]
    excludedNamespaces: [kube-*]
  parameters:
    repositories: [registry.example.com/]
""")


def test_a_correct_gatekeeper_constraint_is_accepted() -> None:
    assert gatekeeper_constraint_errors(GATEKEEPER_CONSTRAINT, GATEKEEPER) == []
    scoped = broken(GATEKEEPER_CONSTRAINT, "spec.enforcementAction", "scoped")
    scoped["spec"]["scopedEnforcementActions"] = [{"action": "warn", "enforcementPoints": [{"name": "*"}]}]
    assert gatekeeper_constraint_errors(scoped, GATEKEEPER) == []


GATEKEEPER_BROKEN = {
    "parameter of a wrong type": ("spec.parameters.repositories", "registry.example.com/", 'repositories: "registry'),
    "unknown parameter": ("spec.parameters.registries", [], "('registries' was unexpected)"),
    "unknown enforcement action": ("spec.enforcementAction", "block", "'block' is not one of deny, dryrun, warn"),
    "scoped without its actions": ("spec.enforcementAction", "scoped", "enforcementAction scoped needs it"),
    "unknown match source": ("spec.match.source", "Everything", '"Everything" is not one of "All", "Generated", "Orig'),
    "match namespace pattern": ("spec.match.excludedNamespaces.0", "Kube System", "does not match"),
    "unknown match field": ("spec.match.kind", ["Pod"], "('kind' was unexpected)"),
    "another kind": ("kind", "K8sVerifiedImage", "is not the template's kind 'K8sVerifiedImages'"),
    "an unserved version": ("apiVersion", "constraints.gatekeeper.sh/v2", "is not constraints.gatekeeper.sh/v1beta1"),
    "a name over 63 characters": ("metadata.name", "a" * 64, "$.metadata.name: "),
}


@pytest.mark.parametrize(("path", "value", "expected"), GATEKEEPER_BROKEN.values(), ids=GATEKEEPER_BROKEN.keys())
def test_a_broken_gatekeeper_constraint_is_rejected_where_it_breaks(path: str, value: Any, expected: str) -> None:
    errors = gatekeeper_constraint_errors(broken(GATEKEEPER_CONSTRAINT, path, value), GATEKEEPER)
    assert any(expected in error for error in errors), errors


def test_a_legacy_template_keeps_unknown_parameters_and_a_misnamed_one_makes_no_crd() -> None:
    legacy = broken(GATEKEEPER, "apiVersion", "templates.gatekeeper.sh/v1beta1")
    extra = broken(GATEKEEPER_CONSTRAINT, "spec.parameters.registries", ["a"])
    assert gatekeeper_constraint_errors(extra, legacy) == []
    legacy_v1 = broken(GATEKEEPER, "spec.crd.spec.validation.legacySchema", value=True)
    assert gatekeeper_constraint_errors(extra, legacy_v1) == []
    wrong_type = broken(GATEKEEPER_CONSTRAINT, "spec.parameters.repositories", "x")
    assert gatekeeper_constraint_errors(wrong_type, legacy) != []
    misnamed = broken(GATEKEEPER, "metadata.name", "verified-images")
    assert gatekeeper_constraint_errors(GATEKEEPER_CONSTRAINT, misnamed) == [
        "template: its name must be its kind in lower case, 'k8sverifiedimages', for its CRD to exist"
    ]


def test_the_documents_of_one_output_are_checked_together() -> None:
    documents = [GATEKEEPER, GATEKEEPER_CONSTRAINT, GATEKEEPER_PROVIDER, POLICY_CONTROLLER, KYVERNO]
    assert documents_errors(documents) == []
    orphan = broken(GATEKEEPER_CONSTRAINT, "kind", "K8sOther")
    no_images = broken(POLICY_CONTROLLER, "spec.images", [])
    assert documents_errors([GATEKEEPER, orphan, no_images]) == [
        "document 1 (K8sOther): $.kind: no valid ConstraintTemplate among the documents makes kind 'K8sOther'",
        "document 2 (ClusterImagePolicy): $.spec.images: missing (at least one image glob)",
    ]


# --- the real policies of the corpus ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", corpus_files("k8s-policies", ".yaml"), ids=lambda path: path.name)
def test_the_corpus_policies_are_valid_against_their_crd(path: Path) -> None:
    document = load(path.read_text(encoding="utf-8"))
    # Kyverno's policy library still writes ImageValidatingPolicy as v1alpha1, which Kyverno 1.19 deprecates.
    errors = schema_errors(document, allow_deprecated=True)
    assert errors == []


def test_the_corpus_image_validating_policy_is_of_a_deprecated_version() -> None:
    (path,) = [p for p in corpus_files("k8s-policies", ".yaml") if "imagevalidatingpolicy" in p.name]
    document = load(path.read_text(encoding="utf-8"))
    assert schema_errors(document) == ["$.apiVersion: version v1alpha1 of ImageValidatingPolicy is deprecated"]
    assert schema_errors(broken(document, "apiVersion", "policies.kyverno.io/v1")) == []


# --- the translation of Kubernetes' OpenAPI dialect ----------------------------------------------------------------


def errors_of(openapi: dict[str, Any], instance: Any) -> list[str]:
    validator = jsonschema_rs.Draft4Validator(openapi_to_json_schema(openapi), validate_formats=True)
    return [error.message for error in validator.iter_errors(instance)]


def test_an_object_has_only_its_properties_unless_it_preserves_unknown_fields() -> None:
    closed = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert errors_of(closed, {"a": "x", "b": 1}) == ["Additional properties are not allowed ('b' was unexpected)"]
    assert errors_of({**closed, "x-kubernetes-preserve-unknown-fields": True}, {"a": "x", "b": 1}) == []
    assert errors_of({"type": "object"}, {"b": 1}) != []
    assert errors_of({"type": "object", "additionalProperties": {"type": "string"}}, {"b": "1"}) == []
    assert errors_of({"x-kubernetes-preserve-unknown-fields": True}, [1, {"b": None}]) == []


def test_int_or_string_and_nullable() -> None:
    int_or_string = {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert errors_of(int_or_string, 3) == []
    assert errors_of(int_or_string, "50%") == []
    assert errors_of(int_or_string, 1.5) != []
    assert errors_of({"type": "string"}, None) == ['null is not of type "string"']
    assert errors_of({"type": "string", "nullable": True}, None) == []
    assert errors_of({"type": "string", "nullable": True, "enum": ["a"]}, None) == []


def test_a_required_field_with_a_default_may_be_absent() -> None:
    schema = {
        "type": "object",
        "properties": {"mode": {"type": "string", "default": "enforce"}, "name": {"type": "string"}},
        "required": ["mode", "name"],
    }
    assert errors_of(schema, {}) == ['"name" is a required property']
    assert errors_of({**schema, "required": ["mode"]}, {}) == []


def test_list_types_and_formats() -> None:
    assert errors_of({"type": "array", "x-kubernetes-list-type": "set"}, ["a", "a"]) != []
    assert errors_of({"type": "array", "x-kubernetes-list-type": "atomic"}, ["a", "a"]) == []
    assert errors_of({"type": "string", "format": "date-time"}, "yesterday") == ['"yesterday" is not a "date-time"']
    assert errors_of({"type": "integer", "format": "int32"}, 2**40) == []  # the server does not bound int32 either
    assert errors_of({"type": "string", "format": "https://example.com/spec"}, "x") == []


def test_value_validations_constrain_only_the_fields_they_name() -> None:
    schema = {
        "type": "object",
        "properties": {"key": {"type": "string"}, "keyless": {"type": "string"}},
        "oneOf": [{"required": ["key"]}, {"required": ["keyless"]}],
        "not": {"properties": {"key": {"enum": ["forbidden"]}}, "required": ["key"]},
    }
    assert errors_of(schema, {"key": "k"}) == []
    assert errors_of(schema, {"key": "k", "keyless": "x"}) != []
    assert errors_of(schema, {"key": "forbidden"}) != []


def test_cel_rules_are_refused_rather_than_skipped() -> None:
    with pytest.raises(UnsupportedSchemaError, match="CEL rules"):
        openapi_to_json_schema({"type": "object", "x-kubernetes-validations": [{"rule": "self.a > 0"}]})


# --- the bundled files ------------------------------------------------------------------------------------------


def git_blob(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def test_every_bundled_file_is_the_one_sources_names() -> None:
    """Each file is byte for byte the upstream file whose git blob SOURCES.md gives, and is one the check uses."""
    sources = (SCHEMAS / "SOURCES.md").read_text(encoding="utf-8")
    bundled = sorted(p for p in SCHEMAS.rglob("*.yaml"))
    assert {p.relative_to(SCHEMAS).as_posix() for p in bundled} == {*CRD_FILES.values(), GATEKEEPER_MATCH_FILE}
    for path in bundled:
        row = next((line for line in sources.splitlines() if f"`{path.relative_to(SCHEMAS).as_posix()}`" in line), "")
        assert re.search(rf"`{git_blob(path)}`", row), f"{path.name}: no row of SOURCES.md gives its blob"


def test_every_served_version_of_every_bundled_crd_translates() -> None:
    for (group, kind), file in CRD_FILES.items():
        crd = yaml.load((SCHEMAS / file).read_bytes(), Loader=yaml.CSafeLoader)
        for version in crd["spec"]["versions"]:
            if version["served"]:
                checked = crd_version(group, kind, version["name"])
                assert checked is not None
                assert checked.served
