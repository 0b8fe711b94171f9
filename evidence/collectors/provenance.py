"""in-toto attestations: a statement bare, in a DSSE envelope, or one per line of an `.intoto.jsonl` file.

Every statement is an attestation: its subjects are read and its envelope's signature is verified after
collection, whatever its predicate. The predicate is read where Fromline knows it, and decides the kind:

- SLSA provenance v0.1, v0.2 and v1 (`https://slsa.dev/provenance/...`): PROVENANCE, read here.
- CycloneDX (`https://cyclonedx.org/bom`, `.../bom/v1.5`, cosign's older `https://cyclonedx.org/schema`) and SPDX
  (`https://spdx.dev/Document`, `.../Document/v2.3`): SBOM. The predicate is the SBOM document itself; the SBOM
  collector reads it and its facts are kept, with the statement's subjects in place of the document's own.
- OpenVEX (`https://openvex.dev/ns`, `.../ns/v0.2.0`): VEX, the predicate being the OpenVEX document, which its
  collector reads. A verified VEX attestation's statements are trusted (`docs/identity-policy.md`).
- cosign vulnerability attestations (`https://cosign.sigstore.dev/attestation/vuln/v1`): VULNERABILITY_SCAN when
  `scanner.result` is a Trivy or Grype report, which that collector reads.

Any other statement is an ATTESTATION: its predicate type, subjects and signature are recorded, and
`Evidence.predicate_not_read` says why its predicate is not read. So is a cosign vulnerability attestation that
carries no result (or one in another format), with its scanner and scan time: evidence of a scan without its
findings would read as a clean scan.

A JSON-lines file is read line by line, every line, and still makes one `Evidence`: all its lines must be of one
kind and format (an SBOM per platform, say), and attestations not read of one predicate type. Their subjects,
components and findings are joined; scalar facts (tool, time) come from the first line; several provenance lines
must say the same thing. A file that mixes kinds or predicate types is a `CollectorError` that names the lines,
never a partial read: the lines not read would otherwise go unverified against the policy's required types.

Locations inside an envelope point into the decoded payload and start with `/payload`; in a JSON-lines file they
start with `line N `. The envelopes are read with `evidence.verify.dsse`, and their signatures are checked after
collection, by `evidence.verify.verify`.
"""

from __future__ import annotations

import dataclasses
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
from evidence.collectors.interface import Collector, CollectorError, Document
from evidence.model import Evidence, EvidenceKind, Located, ProvenanceFacts, SignatureFacts, SignatureMethod
from evidence.verify.dsse import Envelope, envelope_from, json_lines, loads

STATEMENT_TYPES = frozenset(
    {"https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v1.0"}
)
SLSA_V1 = frozenset({"https://slsa.dev/provenance/v1", "https://slsa.dev/provenance/v1.0"})
SLSA_V02 = "https://slsa.dev/provenance/v0.2"
SLSA_V01 = "https://slsa.dev/provenance/v0.1"
_SLSA_VERSIONS = {SLSA_V01: "0.1", SLSA_V02: "0.2"} | dict.fromkeys(SLSA_V1, "1.0")
COSIGN_VULN = "https://cosign.sigstore.dev/attestation/vuln/v1"

# `Evidence.format` of an attestation whose predicate is not read.
IN_TOTO_ATTESTATION = "in-toto attestation"

# `Evidence.envelope`: how the statement arrived.
DSSE_ENVELOPE = "DSSE envelope"
BARE_STATEMENT = "in-toto statement"
JSON_LINES = "in-toto JSON lines"

_HEX64_RE = re.compile(r"[0-9a-fA-F]{64}")
_CYCLONEDX_RE = re.compile(r"https://cyclonedx\.org/(?:bom(?:/v\d+(?:\.\d+)*)?|schema)")
_SPDX_RE = re.compile(r"https://spdx\.dev/Document(?:/v\d+(?:\.\d+)*)?")
_OPENVEX_RE = re.compile(r"https://openvex\.dev/ns(?:/v?\d+(?:\.\d+)*)?")


@dataclass(frozen=True, slots=True)
class _Attestation:
    statement: dict[str, Any]
    envelope: Envelope | None
    base: str  # where the statement is in the file: "", "/payload", "line 2 /payload"
    line: int | None = None


def is_statement(value: object) -> bool:
    """An in-toto statement (v0.1 or v1) with a predicate type, whatever the predicate."""
    if not isinstance(value, dict):
        return False
    statement_type, predicate_type = value.get("_type"), value.get("predicateType")
    return isinstance(statement_type, str) and statement_type in STATEMENT_TYPES and isinstance(predicate_type, str)


def _attestation(obj: object, base: str, line: int | None = None) -> _Attestation | None:
    if not isinstance(obj, dict):
        return None
    if is_statement(obj):
        return _Attestation(statement=obj, envelope=None, base=base, line=line)
    env = envelope_from(obj)
    if env is None:
        return None
    statement = loads(env.payload)
    if not is_statement(statement):
        return None
    assert isinstance(statement, dict)  # noqa: S101 - narrowed by is_statement
    return _Attestation(statement=statement, envelope=env, base=base + "/payload", line=line)


def _first_attestation(doc: Document) -> _Attestation | None:
    """The attestation in the file, or on the first line of a JSON-lines file: what `sniff` looks at."""
    whole = doc.json()
    if whole is not None:
        return _attestation(whole, "")
    if not doc.looks_like_json:
        return None
    first = next(json_lines(doc.data), None)
    return None if first is None else _attestation(loads(first[1]), f"line {first[0]} ", first[0])


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
        found: dict[str, None] = {}  # in the order first listed, each once: a statement can have tens of thousands
        for i, entry in enumerate(expect_array(self.statement.get("subject"), self.path, self.at("subject"))):
            subject = expect_object(entry, self.path, self.at("subject", i))
            digest = self.obj(subject, "digest", "subject", i)
            value = digest.get("sha256")
            if value is None:
                continue
            hex_digest = _digest_text(value)
            if hex_digest is None:
                raise CollectorError(self.path, f"{self.at('subject', i, 'digest', 'sha256')} is not a sha256 digest")
            found[f"sha256:{hex_digest}"] = None
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

    def build_files(self, deps: list[tuple[int, str, dict[str, Any]]], *parts: str | int) -> tuple[Located, ...]:
        """The SHA-256 digests of the dependencies that are not images: source files such as the Dockerfile."""
        found: list[Located] = []
        for i, uri, digest in deps:
            hex_digest = _digest_text(digest.get("sha256"))
            if hex_digest and image_name(uri) is None:
                found.append(Located(value=f"sha256:{hex_digest}", location=self.at(*parts, i)))
        return tuple(found)

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
        "build_files": r.build_files(deps, *where),
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
        "build_files": r.build_files(deps, "predicate", "materials"),
        "started_on": _time(metadata.get("buildStartedOn")),
        "finished_on": _time(metadata.get("buildFinishedOn")),
    }


def _slsa_v01(r: _Reader, predicate: dict[str, Any]) -> dict[str, Any]:
    builder = r.obj(predicate, "builder", "predicate")
    recipe = r.obj(predicate, "recipe", "predicate")
    metadata = r.obj(predicate, "metadata", "predicate")
    where = ("predicate", "materials")
    materials = expect_array(predicate.get("materials"), r.path, r.at(*where))
    deps = r.dependencies(materials, *where)
    defined_in = recipe.get("definedInMaterial")
    candidates = [
        (uri, digest)
        for i, uri, digest in deps
        if isinstance(defined_in, int) and not isinstance(defined_in, bool) and i == defined_in
    ]
    repository, revision = _source(candidates, deps)
    return {
        "builder_id": r.text(builder, "id", "predicate", "builder"),
        "build_type": r.text(recipe, "type", "predicate", "recipe"),
        "source_repository": repository,
        "source_revision": revision,
        "base_images": r.base_images(deps, *where),
        "build_files": r.build_files(deps, *where),
        "started_on": _time(metadata.get("buildStartedOn")),
        "finished_on": _time(metadata.get("buildFinishedOn")),
    }


@dataclass(frozen=True, slots=True)
class _Read:
    """What one statement says, before it becomes an `Evidence`."""

    kind: EvidenceKind
    predicate_type: str
    subjects: tuple[str, ...]
    facts: dict[str, Any]  # the other `Evidence` fields: format, components, provenance, ...


def _provenance(r: _Reader, statement: dict[str, Any], predicate_type: str) -> dict[str, Any]:
    predicate = expect_object(statement.get("predicate"), r.path, r.at("predicate"))
    if predicate_type == SLSA_V01:
        facts = _slsa_v01(r, predicate)
    elif predicate_type == SLSA_V02:
        facts = _slsa_v02(r, predicate)
    else:
        facts = _slsa_v1(r, predicate)
    provenance = ProvenanceFacts(statement_type=str(statement["_type"]), predicate_type=predicate_type, **facts)
    return {
        "format": "SLSA provenance",
        "format_version": _SLSA_VERSIONS[predicate_type],
        "collected_at": provenance.finished_on or provenance.started_on,
        "provenance": provenance,
    }


_COPIED = ("format", "format_version", "tool", "tool_version", "collected_at", "database_updated")
_LOCATED = ("components", "vulnerabilities", "statements", "detections", "scan_filters")


def _relocated(items: tuple[Any, ...], prefix: str) -> tuple[Any, ...]:
    """Records of an embedded document, their locations made relative to the whole file."""
    return tuple(dataclasses.replace(item, location=prefix + item.location) for item in items)


def _embedded(
    doc: Document, collectors: tuple[Collector, ...], value: object, where: str, what: str
) -> dict[str, Any] | None:
    """Facts of a document embedded in the statement, read by the first collector that recognizes it, with
    locations that point into this file; None when none does."""
    try:
        data = orjson.dumps(value)
    except orjson.JSONEncodeError as e:  # nesting deeper than orjson writes
        raise CollectorError(doc.path, f"{where} cannot be read: {e}") from e
    inner = Document(path=doc.path, data=data)
    collector = next((c for c in collectors if c.sniff(inner)), None)
    if collector is None:
        return None
    try:
        read = collector.parse(inner)
    except CollectorError as e:
        raise type(e)(doc.path, f"in the {what} at {where}: {e.problem}") from e
    facts: dict[str, Any] = {name: getattr(read, name) for name in _COPIED}
    facts.update({name: _relocated(getattr(read, name), where) for name in _LOCATED})
    return facts


def _sbom(doc: Document, r: _Reader, statement: dict[str, Any], predicate_type: str) -> dict[str, Any]:
    from evidence.collectors.cyclonedx import CycloneDxJson  # noqa: PLC0415 - the SBOM readers import this module
    from evidence.collectors.spdx import SpdxJson  # noqa: PLC0415

    where = r.at("predicate")
    predicate = expect_object(statement.get("predicate"), r.path, where)
    cyclonedx = bool(_CYCLONEDX_RE.fullmatch(predicate_type))
    what = "CycloneDX JSON document" if cyclonedx else "SPDX JSON document"
    collector: Collector = CycloneDxJson() if cyclonedx else SpdxJson()
    facts = _embedded(doc, (collector,), predicate, where, what)
    if facts is None:
        raise CollectorError(doc.path, f"{where} should be a {what} (predicate type {predicate_type}), and is not")
    return facts


def _vex(doc: Document, r: _Reader, statement: dict[str, Any], predicate_type: str) -> dict[str, Any]:
    from evidence.collectors.openvex import OpenVex  # noqa: PLC0415 - as for the SBOM readers

    where = r.at("predicate")
    predicate = expect_object(statement.get("predicate"), r.path, where)
    facts = _embedded(doc, (OpenVex(),), predicate, where, "OpenVEX document")
    if facts is None:
        raise CollectorError(doc.path, f"{where} should be an OpenVEX document (predicate type {predicate_type})")
    return facts


def _vulnerability_scan(doc: Document, r: _Reader, statement: dict[str, Any]) -> tuple[EvidenceKind, dict[str, Any]]:
    """A VULNERABILITY_SCAN when the result is a Trivy or Grype report; else an ATTESTATION that says why not."""
    from evidence.collectors.grype import GrypeJson  # noqa: PLC0415
    from evidence.collectors.trivy import TrivyJson  # noqa: PLC0415

    predicate = expect_object(statement.get("predicate"), r.path, r.at("predicate"))
    scanner = r.obj(predicate, "scanner", "predicate")
    metadata = r.obj(predicate, "metadata", "predicate")
    uri = r.text(scanner, "uri", "predicate", "scanner") or None
    version = r.text(scanner, "version", "predicate", "scanner") or None
    finished = _time(r.text(metadata, "scanFinishedOn", "predicate", "metadata"))
    started = _time(r.text(metadata, "scanStartedOn", "predicate", "metadata"))
    result = scanner.get("result")
    where = r.at("predicate", "scanner", "result")
    facts: dict[str, Any] | None = None
    if result is None:
        why = f"{where} is null: the attestation names no findings"
    else:
        expect_object(result, r.path, where)
        facts = _embedded(doc, (TrivyJson(), GrypeJson()), result, where, "scan report")
        why = f"its scan result ({where}) is neither a Trivy nor a Grype report, so its findings are not read"
    if facts is None:
        not_read = (
            f"a cosign vulnerability attestation that is not a vulnerability scan: {why}; "
            "it is not counted as a scan, which would read as a scan with no findings"
        )
        return EvidenceKind.ATTESTATION, _unread(statement, not_read) | {
            "tool": uri,
            "tool_version": version,
            "collected_at": finished or started,
        }
    facts["tool"] = facts["tool"] or uri
    facts["tool_version"] = facts["tool_version"] or version
    facts["collected_at"] = facts["collected_at"] or finished or started
    return EvidenceKind.VULNERABILITY_SCAN, facts


def _unread(statement: dict[str, Any], not_read: str) -> dict[str, Any]:
    """The facts of an attestation whose predicate is not read: its statement version, and why."""
    version = str(statement["_type"]).rsplit("/v", 1)[-1]
    return {"format": IN_TOTO_ATTESTATION, "format_version": version, "predicate_not_read": not_read}


def _read_statement(doc: Document, statement: dict[str, Any], base: str) -> _Read:
    if not is_statement(statement):
        raise CollectorError(doc.path, f"{base or '/'} is not an in-toto statement with a predicate type")
    reader = _Reader(doc, statement, base)
    predicate_type = str(statement["predicateType"])
    if predicate_type in _SLSA_VERSIONS:
        kind, facts = EvidenceKind.PROVENANCE, _provenance(reader, statement, predicate_type)
    elif _CYCLONEDX_RE.fullmatch(predicate_type) or _SPDX_RE.fullmatch(predicate_type):
        kind, facts = EvidenceKind.SBOM, _sbom(doc, reader, statement, predicate_type)
    elif _OPENVEX_RE.fullmatch(predicate_type):
        kind, facts = EvidenceKind.VEX, _vex(doc, reader, statement, predicate_type)
    elif predicate_type == COSIGN_VULN:
        kind, facts = _vulnerability_scan(doc, reader, statement)
    else:
        not_read = (
            f"Fromline does not read predicate type {predicate_type}: the attestation's subjects and signature are "
            "checked (an identity policy may require its type), and what its predicate says decides no control"
        )
        kind, facts = EvidenceKind.ATTESTATION, _unread(statement, not_read)
    return _Read(kind=kind, predicate_type=predicate_type, subjects=reader.subjects(), facts=facts)


def evidence_from_statement(
    doc: Document, statement: dict[str, Any], *, envelope: str, signature: SignatureFacts | None, base_pointer: str
) -> Evidence:
    """The evidence in a decoded in-toto statement found at `base_pointer` of `doc` (e.g. `/dsseEnvelope/payload`).

    For callers that unwrap statements themselves (sigstore bundles): `envelope` names the wrapping for
    `Evidence.envelope`, `signature` is kept as given. A predicate that is not read makes an ATTESTATION; a broken
    statement raises `CollectorError`.
    """
    read = _read_statement(doc, statement, base_pointer)
    return doc.evidence(
        kind=read.kind,
        subjects=read.subjects,
        envelope=envelope,
        predicate_type=read.predicate_type,
        signature=signature,
        **read.facts,
    )


def _dsse_signature(doc: Document, subjects: tuple[str, ...]) -> SignatureFacts:
    """The envelope signature, found and not yet checked: the verification step reads the envelopes again."""
    return SignatureFacts(
        method=SignatureMethod.DSSE, signed_digest=subjects[0] if len(subjects) == 1 else None, payload_path=doc.path
    )


def _line_attestations(doc: Document) -> list[_Attestation]:
    found: list[_Attestation] = []
    for number, line in json_lines(doc.data):
        attestation = _attestation(loads(line), f"line {number} ", number)
        if attestation is None:
            raise CollectorError(doc.path, f"line {number} is not an in-toto statement or a DSSE envelope")
        found.append(attestation)
    return found


def _same_provenance(a: ProvenanceFacts, b: ProvenanceFacts) -> bool:
    def values(p: ProvenanceFacts) -> ProvenanceFacts:
        return dataclasses.replace(
            p,
            base_images=tuple(Located(value=x.value, location="") for x in p.base_images),
            build_files=tuple(Located(value=x.value, location="") for x in p.build_files),
        )

    return values(a) == values(b)


def _joined(doc: Document, lines: list[tuple[_Attestation, _Read]]) -> _Read:
    """The reads of several lines as one: all of one kind and format (and one predicate type, for attestations not
    read), or a CollectorError naming the lines."""
    first_line, first = lines[0]
    for attestation, read in lines[1:]:
        if (read.kind, read.facts["format"]) != (first.kind, first.facts["format"]) or (
            first.kind is EvidenceKind.ATTESTATION and read.predicate_type != first.predicate_type
        ):
            raise CollectorError(
                doc.path,
                f"mixes attestation types: line {first_line.line} is {first.predicate_type} ({first.facts['format']}), "
                f"line {attestation.line} is {read.predicate_type} ({read.facts['format']}); "
                "one file is read as one piece of evidence, so split it",
            )
        if first.kind is EvidenceKind.PROVENANCE and not _same_provenance(
            first.facts["provenance"], read.facts["provenance"]
        ):
            raise CollectorError(
                doc.path,
                f"holds different provenance on line {first_line.line} and line {attestation.line}; "
                "one file is read as one provenance, so split it",
            )
    facts = dict(first.facts)
    for name in _LOCATED:
        if name in facts:
            facts[name] = tuple(item for _, read in lines for item in read.facts[name])
    if first.kind is EvidenceKind.ATTESTATION:
        reasons = dict.fromkeys(read.facts["predicate_not_read"] for _, read in lines)
        facts["predicate_not_read"] = "; ".join(reasons)
    subjects = tuple(dict.fromkeys(s for _, read in lines for s in read.subjects))
    return dataclasses.replace(first, subjects=subjects, facts=facts)


class InTotoAttestation:
    """An in-toto attestation: a statement bare, in a DSSE envelope, or one per line of a JSON-lines file."""

    name = "in-toto"

    def sniff(self, doc: Document) -> bool:
        return _first_attestation(doc) is not None

    def parse(self, doc: Document) -> Evidence:
        if doc.json() is not None:
            attestation = _attestation(doc.json(), "")
            if attestation is None:
                raise CollectorError(doc.path, "not an in-toto statement or a DSSE envelope holding one")
            attestations = [attestation]
            read = _read_statement(doc, attestation.statement, attestation.base)
            envelope = DSSE_ENVELOPE if attestation.envelope is not None else BARE_STATEMENT
        else:
            attestations = _line_attestations(doc)
            if not attestations:
                raise CollectorError(doc.path, "not an in-toto statement or a DSSE envelope holding one")
            read = self._read_lines(doc, attestations)
            envelope = JSON_LINES
        signature = None
        if all(a.envelope is not None for a in attestations):
            signature = _dsse_signature(doc, read.subjects)
        return doc.evidence(
            kind=read.kind,
            subjects=read.subjects,
            envelope=envelope,
            predicate_type=read.predicate_type,
            signature=signature,
            **read.facts,
        )

    def _read_lines(self, doc: Document, attestations: list[_Attestation]) -> _Read:
        reads = [(a, _read_statement(doc, a.statement, a.base)) for a in attestations]
        return _joined(doc, reads)
