"""in-toto attestations with a SLSA provenance predicate: DSSE envelope, bare statement, or `.intoto.jsonl` line.

Only SLSA provenance (v0.2 and v1) is read here. A statement with any other predicate (a CycloneDX SBOM,
a cosign vulnerability attestation) is not claimed by `sniff`, so it is skipped rather than misread.

Locations inside an envelope point into the decoded payload and start with `/payload`.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote

import orjson

from evidence.collectors._util import (
    digests_in_reference,
    expect_array,
    expect_object,
    expect_string,
    parse_time,
    pointer,
)
from evidence.collectors.interface import CollectorError, Document
from evidence.model import Evidence, EvidenceKind, Located, ProvenanceFacts, SignatureFacts, Verification

STATEMENT_TYPES = frozenset(
    {"https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v1.0"}
)
SLSA_V1 = frozenset({"https://slsa.dev/provenance/v1", "https://slsa.dev/provenance/v1.0"})
SLSA_V02 = "https://slsa.dev/provenance/v0.2"
DSSE_METHOD = "DSSE"

_HEX64_RE = re.compile(r"[0-9a-fA-F]{64}")
_B64_ALT = b"-_"


@dataclass(frozen=True, slots=True)
class Envelope:
    """A DSSE envelope: what was signed, and the signatures (None where a `sig` is not base64)."""

    payload_type: str
    payload: bytes
    signatures: tuple[tuple[str, bytes | None], ...]


@dataclass(frozen=True, slots=True)
class _Attestation:
    statement: dict[str, Any]
    envelope: Envelope | None


def _b64(text: str) -> bytes | None:
    """Standard or URL-safe base64, padding optional; None when it is neither."""
    data = text.strip().encode("ascii", "replace")
    padded = data + b"=" * (-len(data) % 4)
    for alt in (None, _B64_ALT):
        try:
            return base64.b64decode(padded, altchars=alt, validate=True)
        except (binascii.Error, ValueError):
            continue
    return None


def _outer_json(doc: Document) -> object:
    """The file's JSON; for a JSON-lines file, its first non-empty line."""
    whole = doc.json()
    if whole is not None or not doc.looks_like_json:
        return whole
    for raw in doc.data.splitlines():
        line = raw.strip().removeprefix(b"\xef\xbb\xbf")
        if line:
            try:
                return orjson.loads(line)
            except orjson.JSONDecodeError:
                return None
    return None


def _envelope(obj: dict[str, Any]) -> Envelope | None:
    payload_type, payload, signatures = obj.get("payloadType"), obj.get("payload"), obj.get("signatures")
    if not isinstance(payload_type, str) or not isinstance(payload, str) or not isinstance(signatures, list):
        return None
    body = _b64(payload)
    if body is None:
        return None
    sigs: list[tuple[str, bytes | None]] = []
    for entry in signatures:
        if isinstance(entry, dict):
            keyid = entry.get("keyid")
            sig = entry.get("sig")
            sigs.append((keyid if isinstance(keyid, str) else "", _b64(sig) if isinstance(sig, str) else None))
    return Envelope(payload_type=payload_type, payload=body, signatures=tuple(sigs))


def read_envelope(doc: Document) -> Envelope | None:
    """The DSSE envelope in a file (whole JSON or first JSON line), or None when there is none."""
    obj = _outer_json(doc)
    return _envelope(obj) if isinstance(obj, dict) else None


def _is_provenance_statement(value: object) -> bool:
    if not isinstance(value, dict):
        return False
    statement_type, predicate_type = value.get("_type"), value.get("predicateType")
    return (
        isinstance(statement_type, str)
        and statement_type in STATEMENT_TYPES
        and isinstance(predicate_type, str)
        and (predicate_type in SLSA_V1 or predicate_type == SLSA_V02)
    )


def _attestation(doc: Document) -> _Attestation | None:
    obj = _outer_json(doc)
    if not isinstance(obj, dict):
        return None
    if _is_provenance_statement(obj):
        return _Attestation(statement=obj, envelope=None)
    env = _envelope(obj)
    if env is None:
        return None
    try:
        statement = orjson.loads(env.payload)
    except orjson.JSONDecodeError:
        return None
    return _Attestation(statement=statement, envelope=env) if _is_provenance_statement(statement) else None


def _time(value: object) -> datetime | None:
    """A timestamp; Go's zero time (year 1) means unset."""
    moment = parse_time(value)
    return moment if moment is not None and moment.year > 1 else None


def _digest_text(value: object) -> str | None:
    return value.lower() if isinstance(value, str) and _HEX64_RE.fullmatch(value) else None


def _revision(digest: dict[str, Any]) -> str | None:
    for algo in ("gitCommit", "sha1"):
        value = digest.get(algo)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _is_git(uri: str) -> bool:
    lower = uri.lower()
    return lower.startswith(("git+", "git://", "git@")) or bool(re.search(r"\.git(?:$|[#@/?])", lower))


def _same_repository(a: str, b: str) -> bool:
    def norm(uri: str) -> str:
        text = uri.lower().removeprefix("git+")
        text = re.split(r"[#?]", text, maxsplit=1)[0]
        text = re.sub(r"@refs/.*$|@[0-9a-f]{40}$", "", text)
        return text.removesuffix(".git").rstrip("/")

    return norm(a) == norm(b)


_IMAGE_REF_RE = re.compile(
    r"(?P<name>[a-z0-9][a-z0-9.\-]*(?::\d+)?(?:/[a-z0-9][a-z0-9._\-]*)+|[a-z0-9][a-z0-9._\-]*)"
    r"(?::[\w][\w.\-]{0,127})?(?P<digest>@sha256:[0-9a-f]{64})?"
)


def image_name(uri: str) -> str | None:
    """The repository name when a URI names a container image (`pkg:docker/...`, `docker.io/x@sha256:...`)."""
    text = uri.strip()
    lower = text.lower()
    if lower.startswith(("pkg:docker/", "pkg:oci/")):
        rest, _, query = text.split("/", 1)[1].partition("?")
        rest = rest.split("#", 1)[0]
        name = unquote(rest.rsplit("@", 1)[0] if "@" in rest else rest)
        repository_url = parse_qs(query).get("repository_url")
        if lower.startswith("pkg:oci/") and repository_url:
            name = repository_url[0]
        return name or None
    for scheme in ("docker://", "oci://"):
        if lower.startswith(scheme):
            text = text[len(scheme) :]
            break
    else:
        if "://" in text or lower.startswith(("git+", "git@")):
            return None
    match = _IMAGE_REF_RE.fullmatch(text)
    if match is None:
        return None
    name = match.group("name")
    host = name.split("/", 1)[0]
    registry = "/" in name and ("." in host or ":" in host or host == "localhost")
    return name if match.group("digest") or registry else None


class _Reader:
    """Reads one statement's predicate with every value type-checked."""

    def __init__(self, doc: Document, statement: dict[str, Any], prefix: str) -> None:
        self.path = doc.path
        self.statement = statement
        self.prefix = prefix

    def at(self, *parts: str | int) -> str:
        return self.prefix + pointer(*parts)

    def obj(self, parent: dict[str, Any], key: str, *parts: str | int) -> dict[str, Any]:
        return expect_object(parent.get(key), self.path, self.at(*parts, key), optional=True)

    def text(self, parent: dict[str, Any], key: str, *parts: str | int) -> str | None:
        return expect_string(parent.get(key), self.path, self.at(*parts, key))

    def subjects(self) -> tuple[str, ...]:
        found: list[str] = []
        for i, entry in enumerate(expect_array(self.statement.get("subject"), self.path, self.at("subject"))):
            subject = expect_object(entry, self.path, self.at("subject", i))
            digest = self.obj(subject, "digest", "subject", i)
            value = digest.get("sha256")
            if value is None:
                continue
            hex_digest = _digest_text(value)
            if hex_digest is None:
                raise CollectorError(self.path, f"{self.at('subject', i, 'digest', 'sha256')} is not a sha256 digest")
            if f"sha256:{hex_digest}" not in found:
                found.append(f"sha256:{hex_digest}")
        return tuple(found)

    def dependencies(self, entries: list[Any], *parts: str | int) -> list[tuple[int, str, dict[str, Any]]]:
        """(index, uri, digest) of each resource descriptor that has a URI."""
        out: list[tuple[int, str, dict[str, Any]]] = []
        for i, entry in enumerate(entries):
            item = expect_object(entry, self.path, self.at(*parts, i))
            uri = self.text(item, "uri", *parts, i)
            if uri is not None:
                out.append((i, uri, self.obj(item, "digest", *parts, i)))
        return out

    def base_images(self, deps: list[tuple[int, str, dict[str, Any]]], *parts: str | int) -> tuple[Located, ...]:
        found: list[Located] = []
        for i, uri, digest in deps:
            name = image_name(uri)
            if name is None:
                continue
            hex_digest = _digest_text(digest.get("sha256"))
            in_uri = digests_in_reference(uri)
            value = f"sha256:{hex_digest}" if hex_digest else (in_uri[0] if in_uri else None)
            if value is not None:
                found.append(Located(value=f"{name}@{value}", location=self.at(*parts, i)))
        return tuple(found)


def _source(
    candidates: list[tuple[str, dict[str, Any]]], deps: list[tuple[int, str, dict[str, Any]]]
) -> tuple[str | None, str | None]:
    """The source repository and revision: the first named candidate, else the first git dependency."""
    if candidates:
        uri, digest = candidates[0]
        revision = _revision(digest) or next((_revision(d) for _, u, d in deps if _same_repository(u, uri)), None)
        return uri, revision
    for _, uri, digest in deps:
        if _is_git(uri):
            return uri, _revision(digest)
    return None, None


def _slsa_v1(r: _Reader, predicate: dict[str, Any]) -> dict[str, Any]:
    build = r.obj(predicate, "buildDefinition", "predicate")
    run = r.obj(predicate, "runDetails", "predicate")
    builder = r.obj(run, "builder", "predicate", "runDetails")
    metadata = r.obj(run, "metadata", "predicate", "runDetails")
    external = r.obj(build, "externalParameters", "predicate", "buildDefinition")
    where = ("predicate", "buildDefinition", "resolvedDependencies")
    deps = r.dependencies(expect_array(build.get("resolvedDependencies"), r.path, r.at(*where)), *where)
    candidates: list[tuple[str, dict[str, Any]]] = []
    ext_at = ("predicate", "buildDefinition", "externalParameters")
    for key in ("source", "configSource"):
        value = external.get(key)
        if isinstance(value, dict):
            uri = r.text(value, "uri", *ext_at, key)
            if uri is not None:
                candidates.append((uri, r.obj(value, "digest", *ext_at, key)))
    workflow = external.get("workflow")
    if isinstance(workflow, dict):
        repository = r.text(workflow, "repository", *ext_at, "workflow")
        if repository is not None:
            candidates.append((repository, {}))
    repository, revision = _source(candidates, deps)
    return {
        "builder_id": r.text(builder, "id", "predicate", "runDetails", "builder"),
        "build_type": r.text(build, "buildType", "predicate", "buildDefinition"),
        "source_repository": repository,
        "source_revision": revision,
        "base_images": r.base_images(deps, *where),
        "started_on": _time(metadata.get("startedOn")),
        "finished_on": _time(metadata.get("finishedOn")),
    }


def _slsa_v02(r: _Reader, predicate: dict[str, Any]) -> dict[str, Any]:
    builder = r.obj(predicate, "builder", "predicate")
    invocation = r.obj(predicate, "invocation", "predicate")
    config = r.obj(invocation, "configSource", "predicate", "invocation")
    metadata = r.obj(predicate, "metadata", "predicate")
    deps = r.dependencies(
        expect_array(predicate.get("materials"), r.path, r.at("predicate", "materials")), "predicate", "materials"
    )
    config_uri = r.text(config, "uri", "predicate", "invocation", "configSource")
    config_digest = r.obj(config, "digest", "predicate", "invocation", "configSource")
    candidates = [(config_uri, config_digest)] if config_uri else []
    repository, revision = _source(candidates, deps)
    return {
        "builder_id": r.text(builder, "id", "predicate", "builder"),
        "build_type": r.text(predicate, "buildType", "predicate"),
        "source_repository": repository,
        "source_revision": revision,
        "base_images": r.base_images(deps, "predicate", "materials"),
        "started_on": _time(metadata.get("buildStartedOn")),
        "finished_on": _time(metadata.get("buildFinishedOn")),
    }


class InTotoAttestation:
    """SLSA provenance in an in-toto statement, signed in a DSSE envelope or bare."""

    name = "in-toto"

    def sniff(self, doc: Document) -> bool:
        return _attestation(doc) is not None

    def parse(self, doc: Document) -> Evidence:
        att = _attestation(doc)
        if att is None:
            raise CollectorError(doc.path, "not an in-toto statement with a SLSA provenance predicate")
        statement = att.statement
        reader = _Reader(doc, statement, "/payload" if att.envelope is not None else "")
        predicate_type = str(statement["predicateType"])
        predicate = expect_object(statement.get("predicate"), doc.path, reader.at("predicate"))
        facts = _slsa_v02(reader, predicate) if predicate_type == SLSA_V02 else _slsa_v1(reader, predicate)
        subjects = reader.subjects()
        signature = None
        if att.envelope is not None:
            unsigned = not att.envelope.signatures
            signature = SignatureFacts(
                method=DSSE_METHOD,
                status=Verification.UNVERIFIABLE,
                reason="the DSSE envelope carries no signature"
                if unsigned
                else "no supplied public key has verified the DSSE envelope signature",
                signed_digest=subjects[0] if len(subjects) == 1 else None,
                payload_path=doc.path,
            )
        provenance = ProvenanceFacts(statement_type=str(statement["_type"]), predicate_type=predicate_type, **facts)
        return doc.evidence(
            kind=EvidenceKind.PROVENANCE,
            format="in-toto DSSE envelope" if att.envelope is not None else "in-toto statement",
            format_version=predicate_type,
            subjects=subjects,
            collected_at=provenance.finished_on or provenance.started_on,
            provenance=provenance,
            signature=signature,
        )
