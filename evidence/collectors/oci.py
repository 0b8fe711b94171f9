"""OCI and Docker image manifests and indexes: what a registry serves for an image reference.

Read: OCI image manifests and indexes, Docker v2 manifests (schema 2) and manifest lists, and the `index.json` of
an OCI image layout (an index, often without `mediaType`). A Docker schema 1 manifest is recognized and skipped:
it is deprecated and names no config. The image config blob is `image_config.py`'s.

The manifest's digest is the sha256 of the file's bytes: right when the file is the blob as the registry served
it, which is how manifests are saved (`crane manifest`, an OCI layout's `blobs/sha256/`).

Subjects: a manifest that refers to another (`subject`, the referrers API; or BuildKit's
`vnd.docker.reference.digest` annotation) names that one; any other manifest names itself. An index names itself
and every manifest it lists, platform manifests and the attestation manifests BuildKit attaches to them, so that
evidence about any of them binds to the image whichever digest is assessed. BuildKit attestation manifests are
not platforms: they are left out of `platforms`.
"""

from __future__ import annotations

from typing import Any

from evidence.collectors._util import (
    DIGEST_RE,
    expect_array,
    expect_object,
    expect_string,
    parse_time,
    pointer,
    require_string,
)
from evidence.collectors.interface import CollectorError, Document, SkipFile
from evidence.model import Evidence, EvidenceKind, ManifestFacts, PlatformManifest

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_SCHEMA1 = frozenset(
    {
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    }
)

LAYOUT_INDEX = "OCI image layout index"
_SHAPES: dict[str, tuple[EvidenceKind, str]] = {
    OCI_MANIFEST: (EvidenceKind.IMAGE_MANIFEST, "OCI image manifest"),
    DOCKER_MANIFEST: (EvidenceKind.IMAGE_MANIFEST, "Docker image manifest"),
    OCI_INDEX: (EvidenceKind.IMAGE_INDEX, "OCI image index"),
    DOCKER_LIST: (EvidenceKind.IMAGE_INDEX, "Docker manifest list"),
}

REFERENCE_TYPE = "vnd.docker.reference.type"
REFERENCE_DIGEST = "vnd.docker.reference.digest"
ATTESTATION_MANIFEST = "attestation-manifest"
CREATED = "org.opencontainers.image.created"

_SCHEMA1 = "schema 1"


def _shape(obj: object) -> tuple[EvidenceKind, str] | tuple[None, str] | None:
    """(kind, format) of a manifest or index; (None, "schema 1") for a Docker schema 1 manifest."""
    if not isinstance(obj, dict) or isinstance(obj.get("schemaVersion"), bool):
        return None
    version, media_type = obj.get("schemaVersion"), obj.get("mediaType")
    if version == 1:
        recognized = (isinstance(media_type, str) and media_type in DOCKER_SCHEMA1) or (
            "fsLayers" in obj and "name" in obj
        )
        return (None, _SCHEMA1) if recognized else None
    if version != 2:
        return None
    if media_type is None:
        if isinstance(obj.get("manifests"), list):  # an index.json without mediaType: an OCI image layout's
            return EvidenceKind.IMAGE_INDEX, LAYOUT_INDEX
        if isinstance(obj.get("config"), dict) and isinstance(obj.get("layers"), list):
            media_type = OCI_MANIFEST
    return _SHAPES.get(media_type) if isinstance(media_type, str) else None


class OciManifest:
    name = "oci-manifest"

    def sniff(self, doc: Document) -> bool:
        return _shape(doc.json()) is not None

    def parse(self, doc: Document) -> Evidence:
        obj = doc.json()
        shape = _shape(obj)
        if shape is None:
            raise CollectorError(doc.path, "not an OCI or Docker image manifest or index")
        kind, form = shape
        if kind is None:
            raise SkipFile(doc.path, "Docker image manifest schema 1 is recognized but not read (deprecated format)")
        return _Reader(doc.path).read(doc, expect_object(obj, doc.path, ""), kind, form)


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def descriptor(self, value: object, where: str) -> tuple[dict[str, Any], str]:
        """A content descriptor and its digest."""
        entry = expect_object(value, self.path, where)
        return entry, require_string(entry.get("digest"), self.path, f"{where}/digest").strip()

    def annotations(self, parent: dict[str, Any], where: str) -> dict[str, str]:
        found = expect_object(parent.get("annotations"), self.path, f"{where}/annotations", optional=True)
        for key, value in found.items():
            if not isinstance(value, str):
                expect_string(value, self.path, f"{where}/annotations{pointer(key)}")
        return {key: value for key, value in found.items() if isinstance(value, str)}

    def read(self, doc: Document, obj: dict[str, Any], kind: EvidenceKind, form: str) -> Evidence:
        digest = f"sha256:{doc.sha256}"
        media_type = expect_string(obj.get("mediaType"), self.path, "/mediaType")
        annotations = self.annotations(obj, "")
        subject = None
        if "subject" in obj:
            subject = self.descriptor(obj.get("subject"), "/subject")[1]
        if kind is EvidenceKind.IMAGE_MANIFEST:
            config_digest = self.descriptor(obj.get("config"), "/config")[1]
            layers = tuple(
                self.descriptor(entry, pointer("layers", i))[1]
                for i, entry in enumerate(expect_array(obj.get("layers"), self.path, "/layers"))
            )
            manifest = ManifestFacts(
                media_type=media_type,
                digest=digest,
                config_digest=config_digest,
                layers=layers,
                subject=subject,
                annotations=annotations,
            )
            referred = [d for d in (subject, annotations.get(REFERENCE_DIGEST)) if d and DIGEST_RE.fullmatch(d)]
            subjects: tuple[str, ...] = (referred[0],) if referred else (digest,)
        else:
            platforms, attestations = self.entries(obj)
            manifest = ManifestFacts(
                media_type=media_type, digest=digest, platforms=platforms, subject=subject, annotations=annotations
            )
            listed = [p.digest for p in platforms] + attestations
            subjects = tuple(dict.fromkeys([digest, *(d for d in listed if DIGEST_RE.fullmatch(d))]))
        return doc.evidence(
            kind=kind,
            format=form,
            format_version="2",
            subjects=subjects,
            collected_at=parse_time(annotations.get(CREATED)),
            manifest=manifest,
        )

    def entries(self, obj: dict[str, Any]) -> tuple[tuple[PlatformManifest, ...], list[str]]:
        """The index's manifests, and apart the digests of BuildKit attestation manifests."""
        platforms: list[PlatformManifest] = []
        attestations: list[str] = []
        for i, value in enumerate(expect_array(obj.get("manifests"), self.path, "/manifests")):
            where = pointer("manifests", i)
            entry, digest = self.descriptor(value, where)
            annotations = self.annotations(entry, where)
            if annotations.get(REFERENCE_TYPE) == ATTESTATION_MANIFEST:
                attestations.append(digest)
                continue
            platforms.append(
                PlatformManifest(
                    digest=digest,
                    platform=self.platform(entry, where),
                    media_type=expect_string(entry.get("mediaType"), self.path, f"{where}/mediaType"),
                    location=where,
                )
            )
        return tuple(platforms), attestations

    def platform(self, entry: dict[str, Any], where: str) -> str | None:
        """The platform as `os/architecture[/variant]`, or None when the entry names none."""
        platform = expect_object(entry.get("platform"), self.path, f"{where}/platform", optional=True)
        parts = [
            expect_string(platform.get(key), self.path, f"{where}/platform/{key}")
            for key in ("os", "architecture", "variant")
        ]
        os_name, architecture, variant = parts
        if not os_name or not architecture or (os_name, architecture) == ("unknown", "unknown"):
            return None
        return "/".join(p for p in (os_name, architecture, variant) if p)
