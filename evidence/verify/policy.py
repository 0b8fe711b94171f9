"""The identity policy: which keys and keyless identities are accepted, and which attestations are required.

The file format is documented in docs/identity-policy.md. Every error in a policy file is reported at once,
naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from evidence.model import Binding, Evidence, Verification
from evidence.verify.interface import LoadedKey, VerificationInputError
from evidence.verify.keys import load_key_file

MAX_POLICY_FILE = 1024 * 1024
_KEY_ID_RE = re.compile(r"sha256:[0-9a-f]{64}")

# Short names for the attestation types a policy may require; a full predicate type URI is accepted too.
ATTESTATION_TYPES: dict[str, tuple[str, ...]] = {
    "slsa-provenance": (
        "https://slsa.dev/provenance/v0.1",
        "https://slsa.dev/provenance/v0.2",
        "https://slsa.dev/provenance/v1",
        "https://slsa.dev/provenance/v1.0",
    ),
    "sbom": ("https://cyclonedx.org/bom", "https://spdx.dev/Document", "https://spdx.github.io/spdx-spec"),
    "vulnerability-scan": ("https://cosign.sigstore.dev/attestation/vuln/v1",),
    "vex": ("https://openvex.dev/ns",),
}
_PREFIX_TYPES = frozenset({"sbom", "vex"})  # versions are appended to these (".../bom/v1.5", ".../ns/v0.2.0")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyRule(_Strict):
    """A key the policy accepts: a PEM file (relative to the policy file) or a key id."""

    path: str | None = None
    key_id: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> KeyRule:
        if (self.path is None) == (self.key_id is None):
            raise ValueError("give exactly one of path or key_id")
        if self.key_id is not None and not _KEY_ID_RE.fullmatch(self.key_id):
            raise ValueError("key_id must be sha256:<64 lowercase hex digits> of the key's DER SubjectPublicKeyInfo")
        return self


class IdentityRule(_Strict):
    """A keyless identity: the certificate's subject alternative name, exact or a regular expression, and issuer."""

    issuer: str = Field(min_length=1)
    subject: str | None = None
    subject_regexp: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> IdentityRule:
        if (self.subject is None) == (self.subject_regexp is None):
            raise ValueError("give exactly one of subject or subject_regexp")
        if self.subject_regexp is not None:
            try:
                re.compile(self.subject_regexp)
            except re.error as e:
                raise ValueError(f"subject_regexp is not a valid regular expression: {e}") from e
        return self

    def matches(self, identity: str, issuer: str | None) -> bool:
        if issuer != self.issuer:
            return False
        if self.subject is not None:
            return identity == self.subject
        return self.subject_regexp is not None and re.fullmatch(self.subject_regexp, identity) is not None

    def describe(self) -> str:
        subject = self.subject if self.subject is not None else f"/{self.subject_regexp}/"
        return f"{subject} (issuer {self.issuer})"


class Rule(_Strict):
    images: tuple[str, ...] = ()  # glob patterns on the image name; none: every image
    keys: tuple[KeyRule, ...] = ()
    identities: tuple[IdentityRule, ...] = ()
    attestations: tuple[str, ...] = ()
    vex_authors: tuple[str, ...] = ()  # VEX authors trusted for this image, matched exactly

    @field_validator("vex_authors")
    @classmethod
    def _named_authors(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not author.strip() for author in value):
            raise ValueError("a VEX author is a non-empty string, as the document names its author")
        return value

    @field_validator("attestations")
    @classmethod
    def _known_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [t for t in value if t not in ATTESTATION_TYPES and "://" not in t]
        if unknown:
            raise ValueError(
                f"unknown attestation type {', '.join(unknown)}: use {', '.join(ATTESTATION_TYPES)} "
                "or a predicate type URI"
            )
        return value

    def applies_to(self, image: str | None) -> bool:
        if not self.images:
            return True
        return image is not None and any(fnmatchcase(_image_name(image), pattern) for pattern in self.images)


class PolicyFile(_Strict):
    version: Literal[1]
    rules: tuple[Rule, ...]

    @model_validator(mode="after")
    def _has_rules(self) -> PolicyFile:
        if not self.rules:
            raise ValueError("rules is empty: a policy names at least one rule")
        return self


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageRules:
    """What the policy accepts and requires for one image: the union of its matching rules."""

    keys: tuple[LoadedKey, ...] = ()
    key_ids: frozenset[str] = frozenset()
    identities: tuple[IdentityRule, ...] = ()
    attestations: tuple[str, ...] = ()
    vex_authors: tuple[str, ...] = ()

    def accepts_key(self, key_id: str | None) -> bool:
        return key_id is not None and key_id in self.key_ids

    def accepted_identity(self, identity: str | None, issuer: str | None) -> IdentityRule | None:
        if identity is None:
            return None
        return next((rule for rule in self.identities if rule.matches(identity, issuer)), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityPolicy:
    path: str
    rules: tuple[Rule, ...]
    keys: tuple[tuple[KeyRule, LoadedKey | None], ...]  # each key rule of every rule, with its loaded key

    @property
    def loaded_keys(self) -> tuple[LoadedKey, ...]:
        seen: dict[str, LoadedKey] = {}
        for _, key in self.keys:
            if key is not None:
                seen.setdefault(key.key_id, key)
        return tuple(seen.values())

    def for_image(self, image: str | None) -> ImageRules:
        loaded = {id(rule): key for rule, key in self.keys}
        keys: list[LoadedKey] = []
        key_ids: set[str] = set()
        identities: list[IdentityRule] = []
        attestations: list[str] = []
        vex_authors: list[str] = []
        for rule in self.rules:
            if not rule.applies_to(image):
                continue
            for key_rule in rule.keys:
                key = loaded.get(id(key_rule))
                if key is not None:
                    keys.append(key)
                    key_ids.add(key.key_id)
                elif key_rule.key_id is not None:
                    key_ids.add(key_rule.key_id)
            identities.extend(rule.identities)
            attestations.extend(rule.attestations)
            vex_authors.extend(rule.vex_authors)
        return ImageRules(
            keys=tuple(keys),
            key_ids=frozenset(key_ids),
            identities=tuple(identities),
            attestations=tuple(dict.fromkeys(attestations)),
            vex_authors=tuple(dict.fromkeys(vex_authors)),
        )


def _image_name(reference: str) -> str:
    """The repository name of an image reference, without digest or tag."""
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return name


def _where(loc: tuple[int | str, ...]) -> str:
    return "/".join(str(part) for part in loc) or "/"


def _read_yaml(path: Path, name: str) -> Any:
    try:
        if path.stat().st_size > MAX_POLICY_FILE:
            raise VerificationInputError(name, f"policy file is over {MAX_POLICY_FILE} bytes")
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise VerificationInputError(name, f"policy file cannot be read: {e.strerror}") from e
    except UnicodeDecodeError as e:
        raise VerificationInputError(name, f"policy file is not UTF-8 text (byte {e.start})") from e
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise VerificationInputError(name, f"policy file is not valid YAML{where}") from e
    return raw


def load_policy(path: Path, shown: str | None = None) -> IdentityPolicy:
    """Read and check a policy file; every problem is reported at once in one `VerificationInputError`."""
    name = shown or str(path)
    raw = _read_yaml(path, name)
    try:
        parsed = PolicyFile.model_validate(raw)
    except ValidationError as e:
        problems = [f"{_where(err['loc'])}: {err['msg']}" for err in e.errors()]
        raise VerificationInputError(
            name, f"identity policy has {len(problems)} error(s): {'; '.join(problems)}"
        ) from e
    problems = []
    keys: list[tuple[KeyRule, LoadedKey | None]] = []
    for i, rule in enumerate(parsed.rules):
        for j, key_rule in enumerate(rule.keys):
            if key_rule.path is None:
                keys.append((key_rule, None))
                continue
            key_path = Path(key_rule.path)
            if not key_path.is_absolute():
                key_path = path.parent / key_path
            try:
                keys.append((key_rule, load_key_file(key_path, key_rule.path)))
            except VerificationInputError as e:
                problems.append(f"rules/{i}/keys/{j}/path: {key_rule.path}: {e.problem}")
    if problems:
        raise VerificationInputError(name, f"identity policy has {len(problems)} error(s): {'; '.join(problems)}")
    return IdentityPolicy(path=name, rules=parsed.rules, keys=tuple(keys))


def predicate_type_of(item: Evidence) -> str | None:
    """The in-toto predicate type of an attestation: the statement's, or its provenance's."""
    if item.predicate_type:
        return item.predicate_type
    return item.provenance.predicate_type if item.provenance else None


def attestation_matches(required: str, predicate_type: str | None) -> bool:
    """Whether an attestation's predicate type is of a required type (a short name or a URI)."""
    if predicate_type is None:
        return False
    if required not in ATTESTATION_TYPES:
        return predicate_type.rstrip("/") == required.rstrip("/")
    known = ATTESTATION_TYPES[required]
    if required in _PREFIX_TYPES:
        return any(predicate_type == t or predicate_type.startswith(t + "/") for t in known)
    return predicate_type in known


def missing_attestations(evidence: Sequence[Evidence], rules: ImageRules) -> list[str]:
    """One sentence per attestation type the policy requires that no verified attestation supplies.

    Only evidence bound to the image (it names the image's digest) is considered: an attestation about another
    digest, or about none, attests nothing about this image. An attestation counts only when its signature was
    verified; the sentence says what was found instead.
    """
    missing: list[str] = []
    for required in rules.attestations:
        found = [
            e for e in evidence if e.binding is Binding.MATCH and attestation_matches(required, predicate_type_of(e))
        ]
        if any(e.signature and e.signature.status is Verification.VERIFIED for e in found):
            continue
        if not found:
            missing.append(f"{required}: no attestation of this type was supplied")
            continue
        why = "; ".join(
            f"{e.path}: {e.signature.status.value}, {e.signature.reason}" if e.signature else f"{e.path}: unsigned"
            for e in found
        )
        missing.append(f"{required}: {len(found)} attestation(s) supplied, none verified ({why})")
    return missing
