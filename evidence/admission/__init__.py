"""`fromline policy`: the admission policies that enforce, at the cluster, what an audit checks in the evidence.

From the identity policy (which images, which keys and keyless identities, which attestations) and the profile
(the attestations' maximum ages, the Critical remediation SLA, the approved registries), for one engine:

- `kyverno`: a `ClusterPolicy` (kyverno.io/v1): digests only and approved registries as validate rules; per
  identity-policy rule a `verifyImages` rule (its keys and keyless identities as attestors, `verifyDigest`,
  `required`) with its attestations, each with a condition on its age, and for the vulnerability-scan
  attestation a condition that no Critical finding with a fix has an advisory older than the SLA.
- `policy-controller`: a `ClusterImagePolicy` (policy.sigstore.dev/v1beta1) per rule, in enforce mode, its keys
  and keyless identities as authorities, each required attestation with a Rego policy on its age.
- `gatekeeper`: `ConstraintTemplate`s and constraints for digests only and the approved registries, and a
  constraint whose template asks Ratify (Gatekeeper's external data provider) whether each image verifies.
- `ratify`: the Ratify resources that template calls: a `KeyManagementProvider` per key, a cosign `Verifier` with
  a trust policy per rule (keys, keyless identities), and the `Policy` that requires a verified signature.
- `connaisseur`: Helm values: a cosign validator with the keys and keyless identities as trust roots, and a policy
  rule per image pattern (Connaisseur rejects unsigned images; it has no detection mode here).

What an engine cannot express is said in `CANNOT`, and in the README.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence import __version__

__all__ = ["CANNOT", "ENGINES", "AdmissionInputs", "Signer", "admission_inputs", "render_policies"]

ENGINES = ("kyverno", "policy-controller", "gatekeeper", "connaisseur", "ratify")
NAME = "fromline"
REKOR = "https://rekor.sigstore.dev"
FULCIO = "https://fulcio.sigstore.dev"
RATIFY_PROVIDER = "ratify-gatekeeper-provider"

CANNOT: dict[str, tuple[str, ...]] = {
    "kyverno": ("the age of a fix (no scan output dates it): the vulnerability condition ages the advisory instead",),
    "policy-controller": (
        "digest-only references: it resolves a tag to its digest at admission and verifies that digest",
        "the approved registries as a refusal: only images matching a policy's globs are checked, others pass",
        "the Critical-vulnerability condition: written for Kyverno only",
    ),
    "gatekeeper": (
        "signature verification by itself: the signature constraint calls Ratify as an external data provider",
        "required attestations and their ages: Ratify's verifiers decide them, not the constraint",
    ),
    "connaisseur": (
        "required attestations and their ages, and vulnerability conditions: it verifies signatures only",
        "digest-only references: it resolves tags to digests",
    ),
    "ratify": (
        "enforcement by itself: Gatekeeper's constraint (`--format gatekeeper`) refuses what Ratify does not verify",
        "attestation ages and vulnerability conditions",
    ),
}

# Where each attestation type records when it was made, for the age conditions.
_MADE_AT = {
    "https://cosign.sigstore.dev/attestation/vuln/v1": "metadata.scanFinishedOn",
    "https://slsa.dev/provenance/v1": "runDetails.metadata.finishedOn",
    "https://slsa.dev/provenance/v0.2": "metadata.buildFinishedOn",
    "https://cyclonedx.org/bom": "metadata.timestamp",
    "https://spdx.dev/Document": "creationInfo.created",
    "https://openvex.dev/ns": "timestamp",
}
_AGE_KIND = {  # the profile's max_age_days kind of each attestation type
    "https://cosign.sigstore.dev/attestation/vuln/v1": "vulnerability-scan",
    "https://cyclonedx.org/bom": "sbom",
    "https://spdx.dev/Document": "sbom",
    "https://openvex.dev/ns": "vex",
}
VULN = "https://cosign.sigstore.dev/attestation/vuln/v1"
# The predicate type an admission engine is asked for, for each short name of the identity policy (Fromline's own
# checks accept every version; an engine matches one string).
PREDICATE_TYPES = {
    "slsa-provenance": "https://slsa.dev/provenance/v1",
    "sbom": "https://cyclonedx.org/bom",
    "vulnerability-scan": VULN,
    "vex": "https://openvex.dev/ns/v0.2.0",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Signer:
    """A key (its PEM) or a keyless identity (issuer and subject, exact or a regular expression)."""

    name: str
    pem: str | None = None
    issuer: str | None = None
    subject: str | None = None
    subject_regexp: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleInputs:
    images: tuple[str, ...]  # glob patterns on image names ("*": every image)
    signers: tuple[Signer, ...]
    attestations: tuple[str, ...]  # predicate type URIs


@dataclass(frozen=True, slots=True, kw_only=True)
class AdmissionInputs:
    rules: tuple[RuleInputs, ...]
    max_age_hours: dict[str, int]  # predicate type -> hours
    critical_sla_days: int
    approved_registries: tuple[str, ...]
    profile: str


def admission_inputs(policy_path: Path | None, keys: list[Path], profile_name: str) -> AdmissionInputs:
    """The inputs from the identity policy (its rules), the `--key` files (a rule for every image), the profile."""
    from evidence.catalog import load_profile  # noqa: PLC0415
    from evidence.verify.keys import load_key_file  # noqa: PLC0415
    from evidence.verify.policy import load_policy  # noqa: PLC0415

    profile = load_profile(profile_name)
    rules: list[RuleInputs] = []
    if keys:
        signers = tuple(
            Signer(name=f"key-{n}", pem=_key_pem(load_key_file(path).key)) for n, path in enumerate(keys, start=1)
        )
        rules.append(RuleInputs(images=("*",), signers=signers, attestations=()))
    policy = load_policy(policy_path) if policy_path else None
    loaded = dict(policy.keys) if policy else {}
    for number, policy_rule in enumerate(policy.rules if policy else (), start=1):
        signers_list = [
            Signer(name=f"rule{number}-key-{n}", pem=_key_pem(key.key))
            for n, key_rule in enumerate(policy_rule.keys, start=1)
            if (key := loaded.get(key_rule)) is not None
        ]
        signers_list += [
            Signer(
                name=f"rule{number}-identity-{n}",
                issuer=identity.issuer,
                subject=identity.subject,
                subject_regexp=identity.subject_regexp,
            )
            for n, identity in enumerate(policy_rule.identities, start=1)
        ]
        types = [PREDICATE_TYPES.get(name, name) for name in policy_rule.attestations]
        images = policy_rule.images or ("*",)
        rules.append(RuleInputs(images=images, signers=tuple(signers_list), attestations=tuple(types)))
    params = profile.parameters
    ages = {str(kind): days for kind, days in params.max_age_days.items()}
    hours = {}
    for rule in rules:
        for predicate in rule.attestations:
            kind = next((k for prefix, k in _AGE_KIND.items() if predicate.startswith(prefix)), None)
            days = ages.get(kind) if kind else None
            if days:
                hours[predicate] = days * 24
    return AdmissionInputs(
        rules=tuple(rules),
        max_age_hours=hours,
        critical_sla_days=params.sla_days.critical,
        approved_registries=tuple(params.approved_base_registries),
        profile=profile.name,
    )


def _key_pem(key: Any) -> str:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

    data: bytes = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return data.decode("ascii")


def _annotations(engine: str) -> dict[str, str]:
    return {
        "fromline.dev/generated-by": f"fromline {__version__}",
        "fromline.dev/cannot-express": "; ".join(CANNOT[engine]),
    }


def _identity(signer: Signer, regexp: str = "subjectRegExp") -> dict[str, Any]:
    """A keyless identity as these engines spell it: `issuer`, and `subject` or the expression under `regexp`
    (Connaisseur calls it `subjectRegex`)."""
    if signer.subject is not None:
        return {"issuer": signer.issuer, "subject": signer.subject}
    return {"issuer": signer.issuer, regexp: signer.subject_regexp}


def _made_at(predicate: str) -> str | None:
    return next((field for prefix, field in _MADE_AT.items() if predicate.startswith(prefix)), None)


# --- Kyverno ----------------------------------------------------------------------------------------------------


def _kyverno_attestors(signers: tuple[Signer, ...]) -> list[dict[str, Any]]:
    entries = [
        {"keys": {"publicKeys": s.pem}} if s.pem else {"keyless": {**_identity(s), "rekor": {"url": REKOR}}}
        for s in signers
    ]
    return [{"count": 1, "entries": entries}] if entries else []


def _kyverno_conditions(predicate: str, inputs: AdmissionInputs) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []
    made = _made_at(predicate)
    hours = inputs.max_age_hours.get(predicate)
    if made and hours:
        checks.append(
            {
                "key": f"{{{{ time_since('','{{{{{made}}}}}','') }}}}",
                "operator": "LessThanOrEquals",
                "value": f"{hours}h",
            }
        )
    if predicate.startswith(VULN):
        sla_hours = inputs.critical_sla_days * 24
        late = (
            "scanner.result.Results[].Vulnerabilities[?Severity=='CRITICAL' && FixedVersion && PublishedDate"
            f" && time_before(PublishedDate, time_add(time_now_utc(), '-{sla_hours}h'))][]"
        )
        checks.append({"key": f"{{{{ length({late} || `[]`) }}}}", "operator": "Equals", "value": 0})
    return [{"all": checks}] if checks else []


def kyverno(inputs: AdmissionInputs) -> list[dict[str, Any]]:
    pods = {"any": [{"resources": {"kinds": ["Pod"]}}]}
    images = {"=(initContainers)": [{"image": "*@sha256:*"}], "containers": [{"image": "*@sha256:*"}]}
    rules: list[dict[str, Any]] = [
        {
            "name": "images-by-digest",
            "match": pods,
            "validate": {
                "message": "Images must be referenced by digest (name@sha256:...).",
                "pattern": {"spec": images},
            },
        }
    ]
    if inputs.approved_registries:
        allowed = " | ".join(f"{r.rstrip('/')}/*" for r in inputs.approved_registries)
        rules.append(
            {
                "name": "approved-registries",
                "match": pods,
                "validate": {
                    "message": f"Images must come from an approved registry: {', '.join(inputs.approved_registries)}.",
                    "pattern": {
                        "spec": {"=(initContainers)": [{"image": allowed}], "containers": [{"image": allowed}]}
                    },
                },
            }
        )
    for number, rule in enumerate(inputs.rules, start=1):
        attestors = _kyverno_attestors(rule.signers)
        verify: dict[str, Any] = {
            "imageReferences": list(rule.images),
            "verifyDigest": True,
            "required": True,
            "mutateDigest": False,
            "attestors": attestors,
        }
        if rule.attestations:
            verify["attestations"] = [
                {"type": predicate, "attestors": attestors}
                | ({"conditions": conditions} if (conditions := _kyverno_conditions(predicate, inputs)) else {})
                for predicate in rule.attestations
            ]
        rules.append({"name": f"verify-signatures-{number}", "match": pods, "verifyImages": [verify]})
    return [
        {
            "apiVersion": "kyverno.io/v1",
            "kind": "ClusterPolicy",
            "metadata": {"name": f"{NAME}-verify-images", "annotations": _annotations("kyverno")},
            "spec": {
                "validationFailureAction": "Enforce",
                "background": False,
                "webhookTimeoutSeconds": 30,
                "failurePolicy": "Fail",
                "rules": rules,
            },
        }
    ]


# --- Sigstore policy-controller -----------------------------------------------------------------------------------


def _rego_age(predicate: str, hours: int) -> str | None:
    made = _made_at(predicate)
    if made is None:
        return None
    path = ".".join(f'["{part}"]' if "-" in part else part for part in made.split("."))
    return (
        "package sigstore\n\n"
        "default isCompliant = false\n\n"
        "isCompliant {\n"
        f"  made := time.parse_rfc3339_ns(input.predicate.{path})\n"
        f"  time.now_ns() - made <= {hours} * 3600 * 1000000000\n"
        "}\n"
    )


def policy_controller(inputs: AdmissionInputs) -> list[dict[str, Any]]:
    documents = []
    for number, rule in enumerate(inputs.rules, start=1):
        attestations: list[dict[str, Any]] = []
        for predicate in rule.attestations:
            entry: dict[str, Any] = {"name": f"attestation-{len(attestations) + 1}", "predicateType": predicate}
            hours = inputs.max_age_hours.get(predicate)
            rego = _rego_age(predicate, hours) if hours else None
            if rego:
                entry["policy"] = {"type": "rego", "data": rego}
            attestations.append(entry)
        authorities = []
        for signer in rule.signers:
            authority: dict[str, Any] = {"name": signer.name}
            if signer.pem:
                authority["key"] = {"data": signer.pem, "hashAlgorithm": "sha256"}
                authority["ctlog"] = {"url": REKOR}
            else:
                identity = {"issuer": signer.issuer}
                identity |= (
                    {"subject": signer.subject}
                    if signer.subject is not None
                    else {"subjectRegExp": signer.subject_regexp}
                )
                authority["keyless"] = {"url": FULCIO, "identities": [identity]}
                authority["ctlog"] = {"url": REKOR}
            if attestations:
                authority["attestations"] = attestations
            authorities.append(authority)
        documents.append(
            {
                "apiVersion": "policy.sigstore.dev/v1beta1",
                "kind": "ClusterImagePolicy",
                "metadata": {"name": f"{NAME}-rule-{number}", "annotations": _annotations("policy-controller")},
                "spec": {
                    "mode": "enforce",
                    # A glob's `*` stops at `/` here; the identity policy's matches across it, as `**` does.
                    "images": [
                        {"glob": pattern if "**" in pattern else pattern.replace("*", "**")} for pattern in rule.images
                    ],
                    "authorities": authorities,
                },
            }
        )
    return documents


# --- Gatekeeper, and the Ratify resources its signature constraint calls ----------------------------------------

_DIGEST_REGO = """package fromlineimagedigests

violation[{"msg": msg}] {
  container := input_containers[_]
  not contains(container.image, "@sha256:")
  msg := sprintf("image %v is not referenced by digest (name@sha256:...)", [container.image])
}

input_containers[c] { c := input.review.object.spec.containers[_] }
input_containers[c] { c := input.review.object.spec.initContainers[_] }
input_containers[c] { c := input.review.object.spec.ephemeralContainers[_] }
"""

_REGISTRY_REGO = """package fromlineapprovedregistries

violation[{"msg": msg}] {
  container := input_containers[_]
  not approved(container.image)
  msg := sprintf("image %v is not from an approved registry %v", [container.image, input.parameters.registries])
}

approved(image) { startswith(image, concat("", [input.parameters.registries[_], "/"])) }

input_containers[c] { c := input.review.object.spec.containers[_] }
input_containers[c] { c := input.review.object.spec.initContainers[_] }
input_containers[c] { c := input.review.object.spec.ephemeralContainers[_] }
"""

_SIGNATURE_REGO = f"""package fromlineverifiedimages

violation[{{"msg": msg}}] {{
  images := [c.image | c := input_containers[_]]
  response := external_data({{"provider": "{RATIFY_PROVIDER}", "keys": images}})
  count(response.system_error) > 0
  msg := sprintf("Ratify could not verify the images: %v", [response.system_error])
}}

violation[{{"msg": msg}}] {{
  images := [c.image | c := input_containers[_]]
  response := external_data({{"provider": "{RATIFY_PROVIDER}", "keys": images}})
  item := response.responses[_]
  not item[1].isSuccess
  msg := sprintf("image %v has no signature that verifies: %v", [item[0], item[1]])
}}

input_containers[c] {{ c := input.review.object.spec.containers[_] }}
input_containers[c] {{ c := input.review.object.spec.initContainers[_] }}
input_containers[c] {{ c := input.review.object.spec.ephemeralContainers[_] }}
"""


def _template(kind: str, rego: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    crd: dict[str, Any] = {"spec": {"names": {"kind": kind}}}
    if parameters:
        crd["spec"]["validation"] = {"openAPIV3Schema": {"type": "object", "properties": parameters}}
    return {
        "apiVersion": "templates.gatekeeper.sh/v1",
        "kind": "ConstraintTemplate",
        "metadata": {"name": kind.lower(), "annotations": _annotations("gatekeeper")},
        "spec": {"crd": crd, "targets": [{"target": "admission.k8s.gatekeeper.sh", "rego": rego}]},
    }


def _constraint(kind: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "enforcementAction": "deny",
        "match": {"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}]},
    }
    if parameters:
        spec["parameters"] = parameters
    return {
        "apiVersion": "constraints.gatekeeper.sh/v1beta1",
        "kind": kind,
        "metadata": {"name": f"{NAME}-{kind.lower()}"},
        "spec": spec,
    }


def gatekeeper(inputs: AdmissionInputs) -> list[dict[str, Any]]:
    documents = [_template("FromlineImageDigests", _DIGEST_REGO), _constraint("FromlineImageDigests")]
    if inputs.approved_registries:
        registries = {"registries": {"type": "array", "items": {"type": "string"}}}
        documents += [
            _template("FromlineApprovedRegistries", _REGISTRY_REGO, registries),
            _constraint("FromlineApprovedRegistries", {"registries": list(inputs.approved_registries)}),
        ]
    documents += [_template("FromlineRatifyVerification", _SIGNATURE_REGO), _constraint("FromlineRatifyVerification")]
    return documents


def ratify(inputs: AdmissionInputs) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    trust_policies = []
    for number, rule in enumerate(inputs.rules, start=1):
        keys = [s for s in rule.signers if s.pem]
        keyless = [s for s in rule.signers if not s.pem]
        if keys:
            documents.append(
                {
                    "apiVersion": "config.ratify.deislabs.io/v1beta1",
                    "kind": "KeyManagementProvider",
                    "metadata": {"name": f"{NAME}-keys-{number}", "annotations": _annotations("ratify")},
                    "spec": {
                        "type": "inline",
                        "parameters": {"contentType": "key", "value": "".join(s.pem or "" for s in keys)},
                    },
                }
            )
        policy: dict[str, Any] = {
            "name": f"{NAME}-rule-{number}",
            "version": "1.0.0",
            "scopes": ["*" if p == "*" else p for p in rule.images],
            "tLogVerify": bool(keyless),
        }
        if keys:
            policy["keys"] = [{"provider": f"{NAME}-keys-{number}"}]
        if keyless:
            signer = keyless[0]
            policy["keyless"] = {
                "certificateOIDCIssuer": signer.issuer,
                **(
                    {"certificateIdentity": signer.subject}
                    if signer.subject is not None
                    else {"certificateIdentityRegExp": signer.subject_regexp}
                ),
            }
        trust_policies.append(policy)
    documents.append(
        {
            "apiVersion": "config.ratify.deislabs.io/v1beta1",
            "kind": "Verifier",
            "metadata": {"name": f"{NAME}-cosign", "annotations": _annotations("ratify")},
            "spec": {
                "name": "cosign",
                "artifactTypes": "application/vnd.dev.cosign.artifact.sig.v1+json",
                "parameters": {"trustPolicies": trust_policies},
            },
        }
    )
    documents.append(
        {
            "apiVersion": "config.ratify.deislabs.io/v1beta1",
            "kind": "Policy",
            "metadata": {"name": "ratify-policy", "annotations": _annotations("ratify")},
            "spec": {
                "type": "config-policy",
                "parameters": {
                    "artifactVerificationPolicies": {"application/vnd.dev.cosign.artifact.sig.v1+json": "all"}
                },
            },
        }
    )
    return documents


# --- Connaisseur --------------------------------------------------------------------------------------------------


def connaisseur(inputs: AdmissionInputs) -> list[dict[str, Any]]:
    validators = []
    policy = []
    for number, rule in enumerate(inputs.rules, start=1):
        roots: list[dict[str, Any]] = [
            {"name": signer.name, "key": signer.pem}
            if signer.pem
            else {"name": signer.name, "keyless": _identity(signer, "subjectRegex")}
            for signer in rule.signers
        ]
        name = f"{NAME}-rule-{number}"
        validators.append({"name": name, "type": "cosign", "trustRoots": roots})
        policy += [
            {
                "pattern": "*:*" if pattern == "*" else f"{pattern}:*",
                "validator": name,
                "with": {"trustRoot": "*", "threshold": 1},
            }
            for pattern in rule.images
        ]
    return [{"application": {"features": {"detectionMode": False}, "validators": validators, "policy": policy}}]


_RENDERERS: dict[str, Callable[[AdmissionInputs], list[dict[str, Any]]]] = {
    "kyverno": kyverno,
    "policy-controller": policy_controller,
    "gatekeeper": gatekeeper,
    "connaisseur": connaisseur,
    "ratify": ratify,
}


def render_policies(inputs: AdmissionInputs, engine: str) -> str:
    """The engine's resources as YAML documents, deterministic (keys in the order written)."""
    import yaml  # noqa: PLC0415

    class _Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:  # noqa: ARG002 - every value written out where it stands
            return True

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None  # keys and Rego as blocks, as people write them
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, text)
    documents = _RENDERERS[engine](inputs)
    header = f"# Written by fromline {__version__} for {engine}, profile {inputs.profile}.\n" + "".join(
        f"# Cannot express: {line}.\n" for line in CANNOT[engine]
    )
    return header + yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, width=120, explicit_start=True)
