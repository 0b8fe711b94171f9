"""Kubernetes admission policies checked as the API server checks them on `kubectl apply`: against the
CustomResourceDefinition of their engine's current release, bundled in tests/data/admission-schemas (SOURCES.md
there names each file's repository, path, commit and license).

A CRD's `openAPIV3Schema` is OpenAPI 3.0 with Kubernetes extensions, not JSON Schema; `openapi_to_json_schema`
translates it for jsonschema-rs with the API server's meaning:

- an object schema with no `additionalProperties` and no `x-kubernetes-preserve-unknown-fields` has no fields
  besides its `properties`: the server prunes the others, and rejects them under `kubectl apply`'s default strict
  field validation, so they are errors here;
- `x-kubernetes-preserve-unknown-fields` keeps them (and, with no `type`, allows any value);
- `x-kubernetes-int-or-string` is an integer or a string;
- `nullable: true` allows null; without it a null is an error here (the server drops such a null silently, which
  for generated output is as wrong as a rejection);
- a required field with a `default` may be absent (the server defaults it before it validates);
- `x-kubernetes-list-type: set` items are unique, and `map` items are unique by their `x-kubernetes-list-map-keys`;
- `format` is checked for the formats JSON Schema and the server share (date-time and the like); the numeric
  formats (int32, int64) and any other are dropped; so are `x-kubernetes-map-type`, descriptions and examples.

CEL rules (`x-kubernetes-validations`) are not evaluated: none of the bundled CRDs has any, and a CRD that brings
some is refused (`UnsupportedSchemaError`) rather than half checked. What an engine's own admission webhook checks
beyond its CRD (Kyverno's policy validation, Gatekeeper's Rego compilation, Ratify's controllers) is outside
these checks too, with one exception: policy-controller's CRD declares types only, so `policy_controller_errors`
checks what its validating webhook adds (required fields, allowed values, one-of choices).

A Gatekeeper constraint's CRD is generated from its ConstraintTemplate: `gatekeeper_constraint_errors` builds it
as Gatekeeper does. Connaisseur has no CRD: it is configured by its Helm chart's values, and publishes no schema
of them; `connaisseur_errors` checks them against Fromline's reading of its configuration loader.

`documents_errors` runs the checks that apply to each of a set of resources applied together.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

SCHEMAS = Path(__file__).resolve().parent / "data" / "admission-schemas"

RATIFY = "config.ratify.deislabs.io"
# The CRD file that defines each (API group, kind), relative to SCHEMAS.
CRD_FILES: dict[tuple[str, str], str] = {
    ("kyverno.io", "ClusterPolicy"): "kyverno/kyverno.io_clusterpolicies.yaml",
    ("policies.kyverno.io", "ImageValidatingPolicy"): "kyverno/policies.kyverno.io_imagevalidatingpolicies.yaml",
    ("policy.sigstore.dev", "ClusterImagePolicy"): "policy-controller/300-clusterimagepolicy.yaml",
    ("templates.gatekeeper.sh", "ConstraintTemplate"): "gatekeeper/constrainttemplate-customresourcedefinition.yaml",
    ("externaldata.gatekeeper.sh", "Provider"): "gatekeeper/provider-customresourcedefinition.yaml",
    (RATIFY, "Verifier"): "ratify/verifier-customresourcedefinition.yaml",
    (RATIFY, "KeyManagementProvider"): "ratify/keymanagementprovider-customresourcedefinition.yaml",
    (RATIFY, "Store"): "ratify/store-customresourcedefinition.yaml",
    (RATIFY, "CertificateStore"): "ratify/certificatestore-customresourcedefinition.yaml",
    (RATIFY, "Policy"): "ratify/policy-customresourcedefinition.yaml",
}

# Formats both JSON Schema (as jsonschema-rs checks them) and the API server give the same meaning.
CHECKED_FORMATS = frozenset({"date-time", "date", "email", "hostname", "ipv4", "ipv6", "uri", "uuid"})
# Keys of an OpenAPI schema that say nothing a validator checks, or that the translation handles itself.
NOT_CHECKED = frozenset({"description", "example", "externalDocs", "title", "default", "nullable"})
LIST_MAP_KEYWORD = "x-fromline-list-map-keys"  # the custom keyword `x-kubernetes-list-type: map` becomes

# The API server's rules for metadata (k8s.io/apimachinery validation), as far as a generated policy meets them.
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
# ObjectMeta's fields; the server sets most of them, so a generated policy has only name, labels and annotations.
OBJECT_META: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "generateName": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": STRING_MAP,
        "annotations": STRING_MAP,
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "ownerReferences": {"type": "array", "items": {"type": "object"}},
        "uid": {"type": "string"},
        "resourceVersion": {"type": "string"},
        "generation": {"type": "integer"},
        "creationTimestamp": {"type": ["string", "null"]},
        "deletionTimestamp": {"type": ["string", "null"]},
        "deletionGracePeriodSeconds": {"type": "integer"},
        "managedFields": {"type": "array", "items": {"type": "object"}},
        "selfLink": {"type": "string"},
    },
    "required": ["name"],
    "additionalProperties": False,
}

ROOT_FIELDS = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": OBJECT_META}


class UnknownKindError(LookupError):
    """The document's apiVersion and kind are of no CRD bundled here: the check cannot say anything about it."""


class UnsupportedSchemaError(ValueError):
    """The CRD uses a part of the OpenAPI dialect this translation does not check (CEL rules)."""


@dataclass(frozen=True)
class CrdVersion:
    """One version of a bundled CRD, ready to validate documents of it."""

    group: str
    kind: str
    name: str
    namespaced: bool
    served: bool
    deprecated: bool
    deprecation_warning: str
    schema: dict[str, Any]  # the JSON Schema the validator checks
    validator: jsonschema_rs.Validator


class _UniqueByKeys:
    """The custom keyword of `x-kubernetes-list-type: map`: no two items share their values of the map keys."""

    def __init__(self, parent_schema: dict[str, Any], value: Any, schema_path: list[str | int]) -> None:
        del parent_schema, schema_path
        self.keys: list[str] = list(value)

    def validate(self, instance: Any) -> None:
        if not isinstance(instance, list):
            return
        seen: set[str] = set()
        for item in instance:
            if not isinstance(item, dict):
                continue
            identity = repr([item.get(key) for key in self.keys])
            if identity in seen:
                named = ", ".join(f"{key}={item.get(key)!r}" for key in self.keys)
                raise ValueError(f"duplicate entry with {named} (a list map is keyed by {', '.join(self.keys)})")
            seen.add(identity)


def openapi_to_json_schema(schema: dict[str, Any], *, structural: bool = True) -> dict[str, Any]:
    """The JSON Schema (draft 4, with one custom keyword, `LIST_MAP_KEYWORD`) of a CRD's `openAPIV3Schema`, or of
    any node of one. `structural` is False inside `allOf`/`anyOf`/`oneOf`/`not`, where Kubernetes allows only value
    validations: there a `properties` constrains the fields it names and says nothing of the others."""
    if "x-kubernetes-validations" in schema:
        raise UnsupportedSchemaError("CEL rules (x-kubernetes-validations) are not evaluated by this check")
    out: dict[str, Any] = {}
    for key, value in schema.items():
        out |= _keyword(key, value, schema, structural=structural)
    if not structural:
        return out
    if schema.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
        out.pop("anyOf", None)  # kubebuilder spells the same as anyOf [integer, string]
    preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    if out.get("type") == "object" and not preserve and "additionalProperties" not in schema:
        out["additionalProperties"] = False
    if schema.get("nullable") and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _keyword(key: str, value: Any, schema: dict[str, Any], *, structural: bool) -> dict[str, Any]:
    """The JSON Schema keywords one keyword of an OpenAPI schema node becomes: none for one that checks nothing."""
    if key == "properties":
        value = {name: openapi_to_json_schema(sub, structural=structural) for name, sub in value.items()}
    elif key in {"items", "additionalProperties", "not"} and isinstance(value, dict):
        value = openapi_to_json_schema(value, structural=structural and key != "not")
    elif key in {"allOf", "anyOf", "oneOf"}:
        value = [openapi_to_json_schema(sub, structural=False) for sub in value]
    elif key == "required":
        # The server defaults a missing field before it validates: one with a default is never missing.
        properties = schema.get("properties", {})
        value = [name for name in value if "default" not in properties.get(name, {})]
        if not value:
            return {}
    elif key == "x-kubernetes-list-type":
        if value == "map":
            return {LIST_MAP_KEYWORD: schema.get("x-kubernetes-list-map-keys", [])}
        return {"uniqueItems": True} if value == "set" else {}
    elif key in NOT_CHECKED or key.startswith("x-kubernetes-") or (key == "format" and value not in CHECKED_FORMATS):
        return {}
    return {key: value}  # type, enum, pattern, the bounds, a kept format: the same in both


def _validator(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """The validator of a translated schema: draft 4, formats checked, the list-map keyword known."""
    return jsonschema_rs.Draft4Validator(schema, validate_formats=True, keywords={LIST_MAP_KEYWORD: _UniqueByKeys})


@functools.cache
def _crd(file: str) -> dict[str, Any]:
    with (SCHEMAS / file).open("rb") as stream:
        # C loader: the Kyverno CRD is 1.4 MB of YAML.
        documents = [doc for doc in yaml.load_all(stream, Loader=yaml.CSafeLoader) if doc]
    (crd,) = documents
    assert crd["kind"] == "CustomResourceDefinition", file
    return dict(crd)


@functools.cache
def crd_version(group: str, kind: str, version: str) -> CrdVersion | None:
    """The bundled CRD's version of a kind, None when the CRD has no such version; `UnknownKindError` when no CRD
    of that group and kind is bundled."""
    file = CRD_FILES.get((group, kind))
    if file is None:
        known = ", ".join(f"{g}/{k}" for g, k in sorted(CRD_FILES))
        raise UnknownKindError(f"no CRD bundled for kind {kind} of API group {group!r} (bundled: {known})")
    crd = _crd(file)["spec"]
    assert (crd["group"], crd["names"]["kind"]) == (group, kind), file
    for entry in crd["versions"]:
        if entry["name"] == version:
            schema = openapi_to_json_schema(entry["schema"]["openAPIV3Schema"])
            # The server knows these three of every resource, whether the CRD declares them or not
            # (policy-controller's declares only spec and status).
            schema.setdefault("properties", {}).update(ROOT_FIELDS)
            validator = _validator(schema)
            return CrdVersion(
                group=group,
                kind=kind,
                name=version,
                namespaced=crd["scope"] == "Namespaced",
                served=bool(entry.get("served")),
                deprecated=bool(entry.get("deprecated")),
                deprecation_warning=str(entry.get("deprecationWarning", "")),
                schema=schema,
                validator=validator,
            )
    return None


def json_path(parts: Iterable[str | int]) -> str:
    """`$.spec.rules[0].name`; a key that is no identifier in brackets: `$.metadata.labels['app.kubernetes.io/x']`."""
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            path += f".{part}"
        else:
            path += f"[{part!r}]"
    return path


def _short(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"))
    return text if len(text) <= 60 else f"{text[:57]}..."


def _message(error: jsonschema_rs.ValidationError, schema: dict[str, Any]) -> str:
    """jsonschema-rs's message, made readable: every allowed value of an enum named, a choice between required
    fields (`oneOf`/`anyOf` of `required` lists, `not` of one) said as such, a long instance cut short. `schema` is
    the JSON Schema the error comes from."""
    keyword = error.kind.name
    if keyword == "enum":
        options = ", ".join(json.dumps(option) for option in error.kind.as_dict()["options"])
        return f"{_short(error.instance)} is not one of {options}"
    if keyword in {"oneOf", "anyOf", "not"}:
        value: Any = schema
        for part in error.schema_path:
            value = value[part]
        what = f"the {type(error.instance).__name__}".replace("dict", "object").replace("list", "array")
        if keyword == "not" and set(value) == {"required"}:
            return f"{what} gives all of {', '.join(value['required'])}, which exclude each other"
        if keyword != "not" and all(set(branch) == {"required"} for branch in value):
            choices = " | ".join(", ".join(branch["required"]) for branch in value)
            given = "more than one" if "more than one" in error.message else "none"
            return (
                f"{what} gives {given} of the choices {choices} ({'exactly' if keyword == 'oneOf' else 'at least'} one)"
            )
        if isinstance(error.instance, dict | list):
            return error.message.replace(json.dumps(error.instance, separators=(",", ":")), what)
    return error.message if len(error.message) <= 300 else f"{error.message[:297]}..."


def located_errors(
    validator: jsonschema_rs.Validator, schema: dict[str, Any], instance: Any, prefix: Iterable[str | int] = ()
) -> list[str]:
    """`JSON path: message` of each place the instance breaks the schema, in the order of the paths; `prefix` is
    where the instance is in the document the paths are of."""
    found = sorted(validator.iter_errors(instance), key=lambda e: (json_path([*prefix, *e.instance_path]), e.message))
    return [f"{json_path([*prefix, *error.instance_path])}: {_message(error, schema)}" for error in found]


def _metadata_errors(metadata: Any, namespaced: bool) -> list[str]:
    """What the API server's ObjectMeta validation rejects that a schema cannot say."""
    if not isinstance(metadata, dict):
        return []  # the schema reports it
    errors = []
    name = metadata.get("name")
    if isinstance(name, str) and not (len(name) <= 253 and DNS_SUBDOMAIN.fullmatch(name)):
        errors.append(
            f"$.metadata.name: {name!r} is not a DNS subdomain (lower-case letters, digits, '-' and '.', "
            "starting and ending with a letter or digit, at most 253 characters)"
        )
    if not namespaced and metadata.get("namespace"):
        errors.append("$.metadata.namespace: not allowed on a cluster-scoped resource")
    for field in ("labels", "annotations"):
        entries = metadata.get(field)
        errors += _map_key_errors(field, entries) if isinstance(entries, dict) else []
    return errors


def _map_key_errors(field: str, entries: dict[str, Any]) -> list[str]:
    """Label and annotation keys are qualified names; label values are short names too."""
    errors = []
    for key, value in entries.items():
        where = json_path(["metadata", field, key])
        if not _qualified_name(key):
            errors.append(f"{where}: the key is not a qualified name ([prefix/]name, name at most 63 characters)")
        if field == "labels" and isinstance(value, str) and not (len(value) <= 63 and LABEL_VALUE.fullmatch(value)):
            errors.append(f"{where}: {value!r} is not a valid label value (at most 63 characters)")
    return errors


def _qualified_name(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and not (len(prefix) <= 253 and DNS_SUBDOMAIN.fullmatch(prefix)):
        return False
    return len(name) <= 63 and QUALIFIED_NAME.fullmatch(name) is not None


def schema_errors(document: dict[str, Any], *, allow_deprecated: bool = False) -> list[str]:
    """Where a Kubernetes resource of a bundled engine breaks its CRD, each as `JSON path: message`; none when the
    API server would accept it. The CRD is chosen by the document's apiVersion and kind (`UnknownKindError` for a
    kind with no bundled CRD). A version the CRD marks deprecated is an error unless `allow_deprecated`: the server
    accepts it with a warning, but a generator should write the current version."""
    if not isinstance(document, dict):
        return [f"$: a Kubernetes resource is an object, not {type(document).__name__}"]
    api_version, kind = document.get("apiVersion"), document.get("kind")
    errors = []
    if not isinstance(api_version, str) or not api_version:
        errors.append("$.apiVersion: missing (every resource names its API group and version)")
    elif "/" not in api_version:
        errors.append(f"$.apiVersion: {api_version!r} has no API group (group/version)")
    if not isinstance(kind, str) or not kind:
        errors.append("$.kind: missing (every resource names its kind)")
    if errors:
        return errors
    assert isinstance(api_version, str)
    assert isinstance(kind, str)
    group, _, version = api_version.partition("/")
    crd = crd_version(group, kind, version)
    if crd is None:
        return [f"$.apiVersion: the {kind} CRD has no version {version!r} (no match for kind {kind} in {api_version})"]
    if not crd.served:
        errors.append(f"$.apiVersion: version {version} of {kind} is not served")
    if crd.deprecated and not allow_deprecated:
        warning = f": {crd.deprecation_warning}" if crd.deprecation_warning else ""
        errors.append(f"$.apiVersion: version {version} of {kind} is deprecated{warning}")
    return errors + _resource_errors(crd.validator, crd.schema, document, namespaced=crd.namespaced)


def _resource_errors(
    validator: jsonschema_rs.Validator, schema: dict[str, Any], document: dict[str, Any], *, namespaced: bool
) -> list[str]:
    """A resource's errors against the JSON Schema of its CRD, then those of its metadata."""
    errors = located_errors(validator, schema, document)
    if "metadata" not in document:
        errors.append("$.metadata: missing (every resource has a metadata.name)")
    return errors + _metadata_errors(document.get("metadata"), namespaced)


# --- policy-controller's webhook ------------------------------------------------------------------------------
# policy-controller's CRD declares types only: no enum, no required field. Its validating webhook checks the rest
# (pkg/apis/policy/v1beta1/clusterimagepolicy_validation.go at v0.15.1, with its defaults: fail-on-empty-authorities
# true). `policy_controller_errors` checks those rules as Fromline reads them; it is not a copy of that code. Left
# out: glob and regular-expression syntax (Go's), OCI repository syntax, KMS URI details past the scheme, and a
# secretRef's namespace (it must be the one policy-controller runs in, which depends on the install).

CIP_MODES = ("enforce", "warn")
CIP_STATIC_ACTIONS = ("fail", "pass")
CIP_HASH_ALGORITHMS = ("sha224", "sha256", "sha384", "sha512")
CIP_KMS_SCHEMES = ("awskms://", "azurekms://", "hashivault://", "gcpkms://")
CIP_POLICY_TYPES = ("cue", "rego")
# Fields of a policy that only the policy of the whole spec may set, not an attestation's.
CIP_SPEC_POLICY_ONLY = ("fetchConfigFile", "includeSpec", "includeObjectMeta", "includeTypeMeta")


def _given(node: dict[str, Any], fields: Iterable[str]) -> list[str]:
    """The fields of a node that are set, as Go reads them: an object (a pointer) when present, a string or a list
    when not empty."""
    return [field for field in fields if node.get(field) not in (None, "", [])]


def _exactly_one(node: dict[str, Any], fields: tuple[str, ...], at: str) -> list[str]:
    given = _given(node, fields)
    if len(given) == 1:
        return []
    return [f"{at}: exactly one of {', '.join(fields)} (given: {', '.join(given) or 'none'})"]


def policy_controller_errors(document: dict[str, Any]) -> list[str]:
    """Where a ClusterImagePolicy breaks what policy-controller's validating webhook (v0.15.1) rejects beyond its
    CRD, each as `JSON path: message`; `schema_errors` checks the CRD. Expects a document the CRD accepts."""
    spec = document.get("spec")
    if not isinstance(spec, dict):
        return ["$.spec: missing"]
    errors = []
    images = spec.get("images") or []
    if not images:
        errors.append("$.spec.images: missing (at least one image glob)")
    errors += [f"$.spec.images[{i}].glob: missing" for i, image in enumerate(images) if not _given(image, ["glob"])]
    authorities = spec.get("authorities") or []
    if not authorities:
        errors.append("$.spec.authorities: missing (at least one authority)")
    for index, authority in enumerate(authorities):
        errors += _authority_errors(authority, f"$.spec.authorities[{index}]")
    mode = spec.get("mode")
    if mode and mode not in CIP_MODES:
        errors.append(f"$.spec.mode: {mode!r} is not one of {', '.join(CIP_MODES)}")
    for index, match in enumerate(spec.get("match") or []):
        if match.get("selector") is not None and not _given(match, ["resource", "version", "group"]):
            errors.append(f"$.spec.match[{index}].selector: a selector needs a resource, version or group")
    if spec.get("policy") is not None:
        errors += _cip_policy_errors(spec["policy"], "$.spec.policy", whole_spec=True)
    return errors


def _authority_errors(authority: dict[str, Any], at: str) -> list[str]:
    kinds = _exactly_one(authority, ("key", "keyless", "static"), at)
    if kinds:
        return kinds  # the webhook says only this, too
    errors = []
    if authority.get("key") is not None:
        errors += _key_errors(authority["key"], f"{at}.key")
    elif authority.get("keyless") is not None:
        errors += _keyless_errors(authority["keyless"], f"{at}.keyless")
    else:
        action = authority["static"].get("action")
        if action not in CIP_STATIC_ACTIONS:
            errors.append(f"{at}.static.action: {action!r} is not one of {', '.join(CIP_STATIC_ACTIONS)}")
        static_excludes = ("attestations", "source", "ctlog", "rfc3161timestamp")
        errors += [f"{at}: static excludes {field}" for field in _given(authority, static_excludes)]
    return errors + _sources_and_attestations_errors(authority, at)


def _sources_and_attestations_errors(authority: dict[str, Any], at: str) -> list[str]:
    errors = []
    sources = authority.get("source") or []
    if len(sources) > 1:
        errors.append(f"{at}.source: only one source is supported")
    for index, source in enumerate(sources):
        for secret, pull_secret in enumerate(source.get("signaturePullSecrets") or []):
            if not _given(pull_secret, ["name"]):
                errors.append(f"{at}.source[{index}].signaturePullSecrets[{secret}].name: missing")
    for index, attestation in enumerate(authority.get("attestations") or []):
        where = f"{at}.attestations[{index}]"
        errors += [
            f"{where}.{field}: missing" for field in ("name", "predicateType") if not _given(attestation, [field])
        ]
        if attestation.get("policy") is not None:
            errors += _cip_policy_errors(attestation["policy"], f"{where}.policy", whole_spec=False)
    return errors


def _key_errors(key: dict[str, Any], at: str) -> list[str]:
    """A key (or a keyless authority's ca-cert): one of inline PEM data, a KMS URI or a secret."""
    errors = _exactly_one(key, ("data", "kms", "secretRef"), at)
    algorithm = key.get("hashAlgorithm")
    if algorithm and algorithm.strip().lower() not in CIP_HASH_ALGORITHMS:
        errors.append(f"{at}.hashAlgorithm: {algorithm!r} is not one of {', '.join(CIP_HASH_ALGORITHMS)}")
    if isinstance(key.get("data"), str) and key["data"]:
        try:
            serialization.load_pem_public_key(key["data"].encode())
        except (ValueError, UnsupportedAlgorithm):
            errors.append(f"{at}.data: not a PEM public key")
    kms = key.get("kms")
    if kms and not kms.startswith(CIP_KMS_SCHEMES):
        errors.append(f"{at}.kms: {kms!r} starts with none of {', '.join(CIP_KMS_SCHEMES)}")
    return errors


def _keyless_errors(keyless: dict[str, Any], at: str) -> list[str]:
    errors = _exactly_one(keyless, ("url", "ca-cert"), at)
    if keyless.get("ca-cert"):
        errors += _key_errors(keyless["ca-cert"], f"{at}.ca-cert")
    identities = keyless.get("identities") or []
    if not identities:
        errors.append(f"{at}.identities: missing (at least one identity)")
    for index, identity in enumerate(identities):
        errors += _exactly_one(identity, ("issuer", "issuerRegExp"), f"{at}.identities[{index}]")
        errors += _exactly_one(identity, ("subject", "subjectRegExp"), f"{at}.identities[{index}]")
    return errors


def _cip_policy_errors(policy: dict[str, Any], at: str, *, whole_spec: bool) -> list[str]:
    errors = []
    if policy.get("type") not in CIP_POLICY_TYPES:
        errors.append(f"{at}.type: {policy.get('type')!r} is not one of {', '.join(CIP_POLICY_TYPES)}")
    errors += _exactly_one(policy, ("data", "configMapRef", "remote"), at)
    remote = policy.get("remote")
    if isinstance(remote, dict):
        url = str(remote.get("url", ""))
        if not re.match(r"https://[^/?#]+", url):
            errors.append(f"{at}.remote.url: {url!r} is not an https URL with a host")
        if not _given(remote, ["sha256sum"]):
            errors.append(f"{at}.remote.sha256sum: missing")
    reference = policy.get("configMapRef")
    if isinstance(reference, dict):
        errors += [f"{at}.configMapRef.{field}: missing" for field in ("name", "key") if not _given(reference, [field])]
    if not whole_spec:
        only = [field for field in CIP_SPEC_POLICY_ONLY if policy.get(field) is not None]
        errors += [f"{at}.{field}: only the policy of the whole spec may set it" for field in only]
    return errors


# --- Gatekeeper constraints -----------------------------------------------------------------------------------
# A constraint's CRD has no file: Gatekeeper generates it when its ConstraintTemplate is applied
# (open-policy-agent/frameworks, constraint/pkg/client/crds: CreateSchema and CreateCRD). Its schema, as built
# here after that code: `spec.match` is Gatekeeper's match schema (bundled: the generated
# match.gatekeeper.sh_matchcrd.yaml, its `embeddedMatch`), `spec.enforcementAction` a string defaulting to deny,
# `spec.scopedEnforcementActions` a list of {action, enforcementPoints: [{name}]}, `spec.parameters` the
# template's schema, `metadata.name` at most 63 characters, `status` anything. A template with `legacySchema`
# (the default before templates.gatekeeper.sh/v1) keeps unknown fields at every level of its parameters.

GATEKEEPER_MATCH_FILE = "gatekeeper/match.gatekeeper.sh_matchcrd.yaml"
CONSTRAINT_GROUP = "constraints.gatekeeper.sh"
CONSTRAINT_VERSIONS = ("v1beta1", "v1alpha1")  # both served; v1beta1 stored
# What Gatekeeper's webhook (pkg/util/enforcement_action.go) accepts beyond the generated CRD's plain strings.
ENFORCEMENT_ACTIONS = ("deny", "dryrun", "warn", "scoped")
SCOPED_ACTIONS = ("deny", "dryrun", "warn")
ENFORCEMENT_POINTS = ("validation.gatekeeper.sh", "audit.gatekeeper.sh", "gator.gatekeeper.sh", "vap.k8s.io", "*")


def _preserving_unknown_fields(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of an OpenAPI schema that keeps unknown fields at every object (or untyped) level, as Gatekeeper
    makes a legacy template's parameters."""
    out = dict(schema)
    if out.get("type") in {None, "object"}:
        out["x-kubernetes-preserve-unknown-fields"] = True
    if isinstance(out.get("properties"), dict):
        out["properties"] = {name: _preserving_unknown_fields(sub) for name, sub in out["properties"].items()}
    if out.get("type") == "array" and not isinstance(out.get("items"), dict):
        out["items"] = {}
    for key in ("items", "additionalProperties"):
        if isinstance(out.get(key), dict):
            out[key] = _preserving_unknown_fields(out[key])
    return out


def gatekeeper_constraint_schema(template: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI schema Gatekeeper gives the constraints of a ConstraintTemplate."""
    crd_spec = template["spec"]["crd"]["spec"]
    legacy_default = template["apiVersion"] != "templates.gatekeeper.sh/v1"
    validation = crd_spec.get("validation") or {"legacySchema": legacy_default}
    parameters = validation.get("openAPIV3Schema")
    if validation.get("legacySchema", legacy_default):
        parameters = _preserving_unknown_fields(parameters or {})
    match = _crd(GATEKEEPER_MATCH_FILE)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
    scoped_action = {
        "type": "object",
        "properties": {
            "action": {"type": "string"},
            "enforcementPoints": {
                "type": "array",
                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
        },
    }
    spec: dict[str, Any] = {
        "match": match["embeddedMatch"],
        "enforcementAction": {"type": "string", "default": "deny"},
        "scopedEnforcementActions": {"type": "array", "items": scoped_action},
    }
    if parameters is not None:
        spec["parameters"] = parameters
    return {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": spec},
            "status": {"x-kubernetes-preserve-unknown-fields": True},
        },
    }


def gatekeeper_constraint_errors(constraint: dict[str, Any], template: dict[str, Any]) -> list[str]:
    """Where a Gatekeeper constraint breaks the CRD its ConstraintTemplate makes Gatekeeper generate, or what
    Gatekeeper's webhook checks of its enforcement action, each as `JSON path: message`. The template is assumed
    valid (`schema_errors` checks it); one whose name is not its kind in lower case makes no CRD at all."""
    kind = template["spec"]["crd"]["spec"]["names"]["kind"]
    errors = []
    if template["metadata"]["name"] != kind.lower():
        errors.append(f"template: its name must be its kind in lower case, {kind.lower()!r}, for its CRD to exist")
    group, _, version = str(constraint.get("apiVersion", "")).partition("/")
    if group != CONSTRAINT_GROUP or version not in CONSTRAINT_VERSIONS:
        served = " or ".join(f"{CONSTRAINT_GROUP}/{v}" for v in CONSTRAINT_VERSIONS)
        errors.append(f"$.apiVersion: {constraint.get('apiVersion')!r} is not {served}")
    if constraint.get("kind") != kind:
        errors.append(f"$.kind: {constraint.get('kind')!r} is not the template's kind {kind!r}")
    schema = openapi_to_json_schema(gatekeeper_constraint_schema(template))
    schema["properties"] |= ROOT_FIELDS
    schema["properties"]["metadata"] = {**OBJECT_META, "properties": {**OBJECT_META["properties"]}}
    schema["properties"]["metadata"]["properties"]["name"] = {"type": "string", "maxLength": 63}
    errors += _resource_errors(_validator(schema), schema, constraint, namespaced=False)
    spec = constraint.get("spec")
    return errors + (_enforcement_errors(spec) if isinstance(spec, dict) else [])


def _enforcement_errors(spec: dict[str, Any]) -> list[str]:
    action = spec.get("enforcementAction", "deny")
    if not isinstance(action, str):
        return []  # the schema reports it
    if action not in ENFORCEMENT_ACTIONS:
        return [f"$.spec.enforcementAction: {action!r} is not one of {', '.join(ENFORCEMENT_ACTIONS)}"]
    scoped = spec.get("scopedEnforcementActions")
    if action != "scoped" or not isinstance(scoped, list):
        return (
            ["$.spec.scopedEnforcementActions: missing (enforcementAction scoped needs it)"]
            if action == "scoped"
            else []
        )
    errors = []
    for index, entry in enumerate(scoped):
        at = json_path(["spec", "scopedEnforcementActions", index])
        if not isinstance(entry, dict):
            continue
        if entry.get("action") not in SCOPED_ACTIONS:
            errors.append(f"{at}.action: {entry.get('action')!r} is not one of {', '.join(SCOPED_ACTIONS)}")
        points = entry.get("enforcementPoints") or [{}]
        errors += [
            f"{at}.enforcementPoints: {point.get('name')!r} is not one of {', '.join(ENFORCEMENT_POINTS)}"
            for point in points
            if isinstance(point, dict) and point.get("name") not in ENFORCEMENT_POINTS
        ]
    return errors


# --- Connaisseur ------------------------------------------------------------------------------------------------
# Connaisseur (v3, Go) publishes no schema of its Helm values: the Python v2 had JSON schemas of its configuration
# (connaisseur/res/config_schema.json) and the Go rewrite deleted them, the chart has no values.schema.json, and
# Helm checks nothing of the values without one. What refuses a wrong configuration is the application's loader,
# when the pod starts: it decodes the `validators` and `policy` the chart copies from `application` into a
# ConfigMap with unknown fields as errors (yaml.v3 KnownFields), checks its struct tags (go-playground/validator)
# and each validator type's own rules. The schema below is Fromline's, written from those types as they are in
# Connaisseur v3.10.0 (internal/config, internal/policy/rule.go, internal/validator/...); it is not a copy of
# any file of Connaisseur, and a new Connaisseur release can drift from it without these tests noticing.

_STRING = {"type": "string"}
_NAME = {"type": "string", "minLength": 1}
# In the values, `auth` is a secret to mount, the Kubernetes keychain, or credentials the chart turns into a secret.
_CONNAISSEUR_AUTH = {
    "type": "object",
    "properties": {
        "secretName": _NAME,
        "useKeychain": {"type": "boolean"},
        "username": _STRING,
        "password": _STRING,
        "registry": _STRING,
    },
    "additionalProperties": False,
    "anyOf": [{"required": ["secretName"]}, {"required": ["useKeychain"]}, {"required": ["username", "password"]}],
}
_CONNAISSEUR_TRUST_ROOT = {
    "type": "object",
    "properties": {
        "name": _NAME,
        "key": _NAME,  # PEM public key or a KMS reference
        "cert": _NAME,
        "tsCert": _NAME,
        "keyless": {
            "type": "object",
            "properties": {"issuer": _NAME, "subject": _NAME, "issuerRegex": _NAME, "subjectRegex": _NAME},
            "additionalProperties": False,
        },
    },
    "required": ["name"],
    "additionalProperties": False,
}
_CONNAISSEUR_COMMON = {"name": _NAME, "type": _STRING}
_CONNAISSEUR_TRUST_ROOTS = {"type": "array", "minItems": 1, "items": _CONNAISSEUR_TRUST_ROOT}
# Each validator type's fields (the Go `...ValidatorYaml` structs), by `type`.
CONNAISSEUR_VALIDATORS: dict[str, dict[str, Any]] = {
    "static": {"properties": {**_CONNAISSEUR_COMMON, "approve": {"type": "boolean"}}, "required": ["name", "type"]},
    "cosign": {
        "properties": {
            **_CONNAISSEUR_COMMON,
            "host": {
                "type": "object",
                "properties": {"rekor": _STRING, "rekorPubkey": _STRING, "fulcioCert": _STRING, "ctLogPubkey": _STRING},
                "additionalProperties": False,
            },
            "cert": _STRING,
            "auth": _CONNAISSEUR_AUTH,
            "trustRoots": _CONNAISSEUR_TRUST_ROOTS,
        },
        "required": ["name", "type", "trustRoots"],
    },
    "notaryv1": {
        "properties": {
            **_CONNAISSEUR_COMMON,
            "host": _STRING,
            "cert": _STRING,
            "auth": _CONNAISSEUR_AUTH,
            "trustRoots": _CONNAISSEUR_TRUST_ROOTS,
        },
        "required": ["name", "type", "trustRoots"],
    },
    "notation": {
        "properties": {
            **_CONNAISSEUR_COMMON,
            "cert": _STRING,
            "auth": _CONNAISSEUR_AUTH,
            "trustRoots": _CONNAISSEUR_TRUST_ROOTS,
        },
        "required": ["name", "type", "trustRoots"],
    },
}
# Which of a trust root's key, cert and keyless each validator type reads: exactly one of them is given.
CONNAISSEUR_TRUST_ROOT_KINDS = {"cosign": ("key", "keyless"), "notaryv1": ("key",), "notation": ("cert",)}
_CONNAISSEUR_RULE = {
    "type": "object",
    "properties": {
        "pattern": _NAME,
        "validator": _STRING,  # empty: the validator named "default"
        "with": {
            "type": "object",
            "properties": {
                "trustRoot": _STRING,  # a trust root's name, or "*" for all of them
                "verifyInTransparencyLog": {"type": "boolean"},
                "verifySCT": {"type": "boolean"},
                "threshold": {"type": "integer", "minimum": 0},
                "required": {"type": "array", "minItems": 1, "items": _NAME},
                "delegations": {"type": "array", "minItems": 1, "items": _NAME},
                "mode": {"enum": ["mutate", "insecureValidateOnly"]},
                "verificationLevel": {"enum": ["strict", "permissive", "audit"]},
                "verifyTimestamp": {"enum": ["always", "afterCertExpiry"]},
            },
            "additionalProperties": False,
            "not": {"required": ["required", "delegations"]},
        },
    },
    "required": ["pattern"],
    "additionalProperties": False,
}
# The chart's values under `application` (charts/connaisseur/values.yaml and the templates that read them).
CONNAISSEUR_APPLICATION: dict[str, Any] = {
    "type": "object",
    "properties": {
        "validators": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["type"]}},
        "policy": {"type": "array", "minItems": 1, "items": _CONNAISSEUR_RULE},
        "features": {"type": "object"},
        "logLevel": _STRING,
        "logFormat": _STRING,
    },
    "required": ["validators", "policy"],
    "additionalProperties": False,
}


def _connaisseur_schema(key: str) -> dict[str, Any]:
    """The schema of `application` ("application") or of a validator of a type (a key of CONNAISSEUR_VALIDATORS)."""
    if key == "application":
        return CONNAISSEUR_APPLICATION
    return {"type": "object", "additionalProperties": False, **CONNAISSEUR_VALIDATORS[key]}


@functools.cache
def _connaisseur_validator(key: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.Draft4Validator(_connaisseur_schema(key))


def connaisseur_errors(values: dict[str, Any]) -> list[str]:
    """Where Connaisseur's Helm values break what its configuration loader (v3.10.0) accepts, each as `JSON path:
    message`: `application.validators` by each validator's type, `application.policy`, and the references between
    them (a rule's validator and trust roots exist). The values outside `application` (the deployment's
    `kubernetes`, `alerting`) are the chart's business and are not checked."""
    application = values.get("application")
    if not isinstance(application, dict):
        return ["$.application: missing (Connaisseur's validators and policy are configured there)"]
    errors = located_errors(
        _connaisseur_validator("application"), CONNAISSEUR_APPLICATION, application, ["application"]
    )
    validators = application.get("validators")
    trust_roots: dict[str, set[str]] = {}  # each validator's name: its trust roots' names
    for index, validator in enumerate(validators if isinstance(validators, list) else []):
        if isinstance(validator, dict):
            errors += _validator_errors(validator, ["application", "validators", index], trust_roots)
    errors += _rule_reference_errors(application.get("policy"), trust_roots)
    return errors


def _validator_errors(validator: dict[str, Any], where: list[str | int], trust_roots: dict[str, set[str]]) -> list[str]:
    """A validator's errors by the rules of its type; its name and trust roots' names go into `trust_roots`."""
    name, kind = validator.get("name"), validator.get("type")
    errors = []
    if isinstance(name, str):
        if name in trust_roots:
            errors.append(f"{json_path([*where, 'name'])}: a second validator named {name!r} (the first wins)")
        roots = validator.get("trustRoots")
        names = {root.get("name") for root in roots if isinstance(root, dict)} if isinstance(roots, list) else set()
        trust_roots.setdefault(name, {root for root in names if isinstance(root, str)})
    if not isinstance(kind, str):
        return errors  # the application's schema reports it
    if kind not in CONNAISSEUR_VALIDATORS:
        known = ", ".join(sorted(CONNAISSEUR_VALIDATORS))
        return [*errors, f"{json_path([*where, 'type'])}: unsupported validator type {kind!r} (one of {known})"]
    errors += located_errors(_connaisseur_validator(kind), _connaisseur_schema(kind), validator, where)
    errors += _trust_root_errors(validator, kind, where)
    auth = validator.get("auth")
    if isinstance(auth, dict) and "username" in auth and "registry" not in auth and kind != "notaryv1":
        errors.append(
            f"{json_path([*where, 'auth'])}: credentials without a registry (for a {kind} validator the chart "
            "makes their secret only with one)"
        )
    return errors


def _trust_root_errors(validator: dict[str, Any], kind: str, where: list[str | int]) -> list[str]:
    """Each trust root gives exactly one of key, cert and keyless, one the validator's type reads; keyless names
    the issuer and the subject, each exactly or by a regex, not both."""
    readable = CONNAISSEUR_TRUST_ROOT_KINDS.get(kind, ())
    roots = validator.get("trustRoots")
    errors = []
    for index, root in enumerate(roots if isinstance(roots, list) else []):
        if not isinstance(root, dict):
            continue
        at = json_path([*where, "trustRoots", index])
        given = [field for field in ("key", "cert", "keyless") if field in root]
        if len(given) != 1 or given[0] not in readable:
            errors.append(f"{at}: a {kind} trust root gives exactly one of {' or '.join(readable)} (given: {given})")
        keyless = root.get("keyless")
        if isinstance(keyless, dict):
            errors += [
                f"{at}.keyless: exactly one of {field} and {field}Regex"
                for field in ("issuer", "subject")
                if (field in keyless) == (f"{field}Regex" in keyless)
            ]
    return errors


def _rule_reference_errors(policy: Any, trust_roots: dict[str, set[str]]) -> list[str]:
    """A rule's validator (the one named "default" when it names none) and its trust roots exist: Connaisseur
    denies every image the rule matches otherwise."""
    errors = []
    for index, rule in enumerate(policy if isinstance(policy, list) else []):
        if not isinstance(rule, dict):
            continue
        at: list[str | int] = ["application", "policy", index]
        validator = rule.get("validator") or "default"
        if not isinstance(validator, str):
            continue
        if validator not in trust_roots:
            errors.append(f"{json_path([*at, 'validator'])}: no validator named {validator!r}")
            continue
        options = rule.get("with")
        if not isinstance(options, dict):
            continue
        named = [options.get("trustRoot")] if isinstance(options.get("trustRoot"), str) else []
        required = options.get("required")
        named += [name for name in required if isinstance(name, str)] if isinstance(required, list) else []
        errors += [
            f"{json_path([*at, 'with'])}: validator {validator!r} has no trust root {name!r}"
            for name in named
            if name != "*" and name not in trust_roots[validator]
        ]
    return errors


def documents_errors(documents: Iterable[dict[str, Any]]) -> list[str]:
    """Every error of a set of resources applied together (one `fromline policy` output), each prefixed with the
    document's index and kind: each against its CRD, a ClusterImagePolicy also against policy-controller's webhook
    rules, a Gatekeeper constraint against the CRD of the ConstraintTemplate of its kind among the documents."""
    documents = list(documents)
    templates = {
        doc["spec"]["crd"]["spec"]["names"]["kind"]: doc
        for doc in documents
        if doc.get("kind") == "ConstraintTemplate" and not schema_errors(doc)
    }
    errors = []
    for index, document in enumerate(documents):
        kind = document.get("kind")
        if str(document.get("apiVersion", "")).startswith(f"{CONSTRAINT_GROUP}/"):
            template = templates.get(str(kind))
            found = (
                gatekeeper_constraint_errors(document, template)
                if template is not None
                else [f"$.kind: no valid ConstraintTemplate among the documents makes kind {kind!r}"]
            )
        else:
            found = schema_errors(document)
            if kind == "ClusterImagePolicy" and not found:
                found = policy_controller_errors(document)
        errors += [f"document {index} ({kind}): {error}" for error in found]
    return errors
