"""`fromline pull`: everything a registry (or an OCI image layout) holds about one image digest, as files.

What is read, for the digest D in its repository:
- the manifest of D; for an index, the index and its manifests (those of `--platform` only, when given; BuildKit's
  attestation manifests with their in-toto layers always), and each image manifest's config;
- cosign's attachments, by its tag scheme: the manifests tagged `sha256-<hex>.sig`, `.att` and `.sbom`, and their
  layers (simple-signing payloads, DSSE envelopes, SBOMs), with cosign's annotations kept in the manifests;
- the OCI 1.1 referrers of D: through the referrers API (`/v2/<repository>/referrers/D`) where the registry has it,
  else through the referrers tag schema (the index tagged `sha256-<hex>`); each referrer's manifest and layers.

Every manifest and blob asked for by digest is checked against it as it is read. A manifest asked for by tag has
no digest to be checked against: it is kept with the digest of its bytes, as are its layers, each checked against
its descriptor. A referrer that does not name D as its subject, or an answer of another media type than asked
for, is an error, not evidence. `pull.json` lists each file with where it came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import orjson

from evidence import __version__
from evidence.collectors import MAX_FILE_BYTES
from evidence.collectors.oci import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST
from evidence.errors import RegistryError
from evidence.registry.client import Answer

__all__ = ["PULL_RECORD", "PullResult", "Source", "pull_into"]

PULL_RECORD = "pull.json"
MANIFEST_LIMIT = 4 * 1024 * 1024  # the distribution specification lets registries refuse larger manifests
MANIFEST_TYPES = (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST)
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
ACCEPT_MANIFESTS = ", ".join(MANIFEST_TYPES)
COSIGN_SUFFIXES = ("sig", "att", "sbom")
EMPTY_CONFIG = "application/vnd.oci.empty.v1+json"
NOTATION_SIGNATURE = "application/vnd.cncf.notary.signature"
_REFERENCE_TYPE = "vnd.docker.reference.type"

# What a referrer or layer is, by its artifact or media type: the folder word and the file's extension.
_KINDS: tuple[tuple[str, str, str], ...] = (
    ("application/vnd.dev.sigstore.bundle", "sigstore-bundle", ".sigstore.json"),
    ("application/vnd.dev.cosign.simplesigning", "cosign-payload", ".json"),
    ("application/vnd.dsse.envelope", "attestation", ".dsse.json"),
    ("application/vnd.in-toto", "attestation", ".intoto.json"),
    ("application/spdx+json", "sbom", ".spdx.json"),
    ("text/spdx", "sbom", ".spdx"),
    ("application/vnd.cyclonedx+json", "sbom", ".cdx.json"),
    ("application/vnd.cyclonedx+xml", "sbom", ".cdx.xml"),
    ("application/vnd.cyclonedx", "sbom", ".cdx.json"),
    ("application/vnd.syft+json", "sbom", ".syft.json"),
    ("application/openvex+json", "vex", ".openvex.json"),
    ("application/vnd.openvex", "vex", ".openvex.json"),
    ("application/csaf+json", "vex", ".csaf.json"),
    (NOTATION_SIGNATURE, "notation-signature", ".sig"),
    ("application/jose+json", "notation-signature", ".jws"),
    ("application/cose", "notation-signature", ".cose"),
    ("application/sarif+json", "scan", ".sarif.json"),
    ("application/json", "artifact", ".json"),
)


def _kind(media_type: str | None) -> tuple[str, str]:
    for prefix, kind, extension in _KINDS:
        if media_type and media_type.startswith(prefix):
            return kind, extension
    return "artifact", ".bin"


class Source(Protocol):
    """Where the image's manifests and blobs come from: a registry, or an OCI image layout on disk."""

    where: str  # "https://registry.example.com/team/webapp", "oci:/path/to/layout"

    def manifest(self, reference: str, *, expect: str | None) -> Answer | None: ...

    def blob(self, digest: str, *, limit: int) -> Answer | None: ...

    def referrers(self, digest: str) -> Answer | None: ...  # None: the source has no referrers API


@dataclass(frozen=True, slots=True, kw_only=True)
class PulledFile:
    path: str  # relative to the pull folder
    digest: str
    media_type: str | None
    size: int
    role: str  # "index", "manifest", "config", "cosign sig", "referrer", ...
    came_from: str  # "digest", "tag sha256-<hex>.sig", "referrers API", "referrers tag schema"


@dataclass(slots=True)
class PullResult:
    subject: str
    referrers_via: str = "none"  # "referrers API", "referrers tag schema" or "none"
    files: list[PulledFile] = field(default_factory=list)
    contents: dict[str, bytes] = field(default_factory=dict)  # path -> bytes, written at the end

    def add(self, name: str, answer: Answer, role: str, came_from: str) -> str:
        """Keep `answer` under `name` (a folder and a file name); the same content asked for twice is kept once."""
        folder, _, base = name.rpartition("/")
        for existing in self.files:
            if existing.digest == answer.digest and existing.path.startswith(folder + "/"):
                return existing.path
        path = name
        stem, dot, extension = base.partition(".")
        number = 1
        while path in self.contents:
            number += 1
            path = f"{folder}/{stem}-{number}{dot}{extension}"
        self.contents[path] = answer.body
        self.files.append(
            PulledFile(
                path=path,
                digest=answer.digest,
                media_type=answer.media_type,
                size=len(answer.body),
                role=role,
                came_from=came_from,
            )
        )
        return path


def _json(answer: Answer, what: str, where: str) -> dict[str, Any]:
    try:
        document = orjson.loads(answer.body)
    except orjson.JSONDecodeError as e:
        raise RegistryError(f"{where}: {what} is not valid JSON ({e})") from e
    if not isinstance(document, dict):
        raise RegistryError(f"{where}: {what} is not a JSON object")
    return document


def _manifest_type(answer: Answer, document: dict[str, Any], what: str, where: str) -> str:
    """The manifest's media type, which the answer's Content-Type and the document's own `mediaType` must agree on."""
    declared = document.get("mediaType")
    served = answer.media_type
    if isinstance(declared, str) and served in MANIFEST_TYPES and declared != served:
        raise RegistryError(f"{where}: {what} was served as {served} but says it is {declared}")
    media_type = declared if isinstance(declared, str) else served
    if media_type not in MANIFEST_TYPES:
        if "manifests" in document:
            return OCI_INDEX  # an image layout's index.json, or an index written without mediaType
        if "layers" in document and "config" in document:
            return OCI_MANIFEST
        raise RegistryError(f"{where}: {what} is not an image manifest or index (media type {media_type})")
    return media_type


def _descriptors(document: dict[str, Any], key: str) -> Iterator[dict[str, Any]]:
    value = document.get(key)
    if isinstance(value, list):
        yield from (d for d in value if isinstance(d, dict) and isinstance(d.get("digest"), str))


def _short(digest: str) -> str:
    return digest.split(":", 1)[-1][:16]


def _platform(descriptor: dict[str, Any]) -> str:
    platform = descriptor.get("platform")
    if not isinstance(platform, dict):
        return ""
    parts = [platform.get("os"), platform.get("architecture"), platform.get("variant")]
    return "/".join(p for p in parts if isinstance(p, str) and p)


def pull_into(source: Source, digest: str, *, platform: str | None = None) -> PullResult:
    """Read everything `source` holds about `digest`, in memory (what is attached to one image is small)."""
    result = PullResult(subject=digest)
    answer = source.manifest(digest, expect=digest)
    if answer is None:
        raise RegistryError(f"{source.where}: has no manifest {digest}")
    _image(source, result, answer, platform)
    _cosign(source, result, digest)
    _referrers(source, result, digest)
    return result


def _image(source: Source, result: PullResult, answer: Answer, platform: str | None) -> None:
    document = _json(answer, f"the manifest {answer.digest}", source.where)
    media_type = _manifest_type(answer, document, f"the manifest {answer.digest}", source.where)
    if media_type not in INDEX_TYPES:
        result.add(f"image/manifest-{_short(answer.digest)}.json", answer, "manifest", "digest")
        _config(source, result, document)
        return
    result.add(f"image/index-{_short(answer.digest)}.json", answer, "index", "digest")
    matched = False
    for descriptor in _descriptors(document, "manifests"):
        annotations = descriptor.get("annotations")
        attestation = isinstance(annotations, dict) and annotations.get(_REFERENCE_TYPE) == "attestation-manifest"
        named = _platform(descriptor)
        if not attestation and platform is not None and not (named == platform or named.startswith(platform + "/")):
            continue
        matched = matched or not attestation
        child = source.manifest(descriptor["digest"], expect=descriptor["digest"])
        if child is None:
            raise RegistryError(f"{source.where}: the index lists {descriptor['digest']}, which it does not have")
        child_document = _json(child, f"the manifest {child.digest}", source.where)
        _manifest_type(child, child_document, f"the manifest {child.digest}", source.where)
        if attestation:
            result.add(f"attestations/manifest-{_short(child.digest)}.json", child, "attestation manifest", "digest")
            _layers(source, result, child_document, folder="attestations", role="attestation layer", came="digest")
            continue
        label = named.replace("/", "-") or "manifest"
        result.add(f"image/manifest-{label}-{_short(child.digest)}.json", child, "manifest", "digest")
        _config(source, result, child_document)
    if platform is not None and not matched:
        raise RegistryError(f"{source.where}: the index {answer.digest} has no manifest for the platform {platform}")


def _config(source: Source, result: PullResult, manifest: dict[str, Any]) -> None:
    config = manifest.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("digest"), str):
        return
    if config.get("mediaType") == EMPTY_CONFIG:
        return
    blob = _blob(source, config["digest"])
    result.add(f"image/config-{_short(blob.digest)}.json", blob, "config", "digest")


def _blob(source: Source, digest: str) -> Answer:
    blob = source.blob(digest, limit=MAX_FILE_BYTES)
    if blob is None:
        raise RegistryError(f"{source.where}: has no blob {digest}, which a manifest lists")
    if blob.digest != digest:
        raise RegistryError(f"{source.where}: the blob {digest} answered with content of digest {blob.digest}")
    return blob


def _layers(  # noqa: PLR0913 - what to read, and how to name and record what it read
    source: Source, result: PullResult, manifest: dict[str, Any], *, folder: str, role: str, came: str
) -> None:
    for layer in _descriptors(manifest, "layers"):
        media_type = layer.get("mediaType") if isinstance(layer.get("mediaType"), str) else None
        blob = _blob(source, layer["digest"])
        typed = Answer(status=blob.status, media_type=media_type or blob.media_type, body=blob.body, digest=blob.digest)
        kind, extension = _kind(typed.media_type)
        result.add(f"{folder}/{kind}-{_short(blob.digest)}{extension}", typed, role, came)


def _cosign(source: Source, result: PullResult, digest: str) -> None:
    for suffix in COSIGN_SUFFIXES:
        tag = f"sha256-{digest.removeprefix('sha256:')}.{suffix}"
        answer = source.manifest(tag, expect=None)
        if answer is None:
            continue
        document = _json(answer, f"the manifest tagged {tag}", source.where)
        _manifest_type(answer, document, f"the manifest tagged {tag}", source.where)
        came = f"tag {tag}"
        result.add(f"cosign/{suffix}-manifest-{_short(answer.digest)}.json", answer, f"cosign {suffix} manifest", came)
        _layers(source, result, document, folder="cosign", role=f"cosign {suffix} layer", came=came)


def _referrers(source: Source, result: PullResult, digest: str) -> None:
    answer = source.referrers(digest)
    via = "referrers API"
    if answer is None:
        answer = source.manifest(f"sha256-{digest.removeprefix('sha256:')}", expect=None)
        via = "referrers tag schema"
    if answer is None:
        return
    index = _json(answer, f"the referrers of {digest}", source.where)
    if _manifest_type(answer, index, f"the referrers of {digest}", source.where) != OCI_INDEX:
        raise RegistryError(f"{source.where}: the referrers of {digest} are not an OCI image index")
    result.referrers_via = via
    for descriptor in _descriptors(index, "manifests"):
        manifest = source.manifest(descriptor["digest"], expect=descriptor["digest"])
        if manifest is None:
            raise RegistryError(f"{source.where}: the referrer {descriptor['digest']} of {digest} is not there")
        document = _json(manifest, f"the referrer {manifest.digest}", source.where)
        subject = document.get("subject")
        if not isinstance(subject, dict) or subject.get("digest") != digest:
            raise RegistryError(f"{source.where}: the referrer {manifest.digest} does not name {digest} as its subject")
        artifact = document.get("artifactType") or (document.get("config") or {}).get("mediaType")
        kind, _ = _kind(artifact if isinstance(artifact, str) else None)
        result.add(f"referrers/{kind}-manifest-{_short(manifest.digest)}.json", manifest, f"{kind} referrer", via)
        _layers(source, result, document, folder="referrers", role=f"{kind} referrer layer", came=via)


def pull_record(result: PullResult, where: str, moment: datetime) -> bytes:
    """`pull.json`: where each file came from, so that an auditor can fetch it again and compare."""
    from evidence.render.oscal import timestamp  # noqa: PLC0415

    document = {
        "pulled_by": f"fromline {__version__}",
        "source": where,
        "subject": result.subject,
        "time": timestamp(moment),
        "referrers": result.referrers_via,
        "files": [
            {
                "path": f.path,
                "digest": f.digest,
                "media_type": f.media_type,
                "size": f.size,
                "role": f.role,
                "from": f.came_from,
            }
            for f in result.files
        ],
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def write_pulled(result: PullResult, out: Path, record: bytes) -> None:
    """Write the pulled files and `pull.json` into `out`, all or nothing; a folder there is replaced only if an
    earlier pull wrote it (or it is empty)."""
    from evidence.render import write_staged  # noqa: PLC0415

    def fill(staging: Path) -> None:
        for path, data in result.contents.items():
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (staging / PULL_RECORD).write_bytes(record)

    write_staged(out, fill, marker=PULL_RECORD, what="pulled files")
