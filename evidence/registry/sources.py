"""The two places `pull` reads from: a registry's API, and an OCI image layout directory (offline).

An OCI image layout (what `skopeo copy ... oci:DIR` and `oras copy --to-oci-layout` write) holds `oci-layout`,
`index.json` and `blobs/<algorithm>/<hex>`; a tag is the `org.opencontainers.image.ref.name` annotation of an
`index.json` entry. It has no referrers API: its referrers are found by the tag schema, or, as `oras` writes them,
as `index.json` entries whose manifests name the digest as their subject.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson

from evidence.errors import RegistryError
from evidence.registry.client import Answer, RegistryClient
from evidence.registry.pull import ACCEPT_MANIFESTS, MANIFEST_LIMIT, MANIFEST_TYPES

__all__ = ["LayoutSource", "RegistrySource"]

_REF_NAME = "org.opencontainers.image.ref.name"
_REFERRERS_ACCEPT = "application/vnd.oci.image.index.v1+json"
_MAX_PAGES = 100


def _digest(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


class RegistrySource:
    def __init__(self, client: RegistryClient) -> None:
        self.client = client
        self.where = f"{client.base}/{client.repository}"

    def manifest(self, reference: str, *, expect: str | None) -> Answer | None:
        answer = self.client.get(f"manifests/{reference}", accept=ACCEPT_MANIFESTS, limit=MANIFEST_LIMIT, expect=expect)
        if answer is not None and answer.media_type not in (*MANIFEST_TYPES, "application/json", None):
            raise RegistryError(f"{self.client.shown}: the manifest {reference} was served as {answer.media_type}")
        return answer

    def blob(self, digest: str, *, limit: int) -> Answer | None:
        return self.client.get(f"blobs/{digest}", accept=None, limit=limit, expect=digest)

    def referrers(self, digest: str) -> Answer | None:
        """The referrers API's index, every page of it joined; None when the registry does not have the API."""
        pages: list[Answer] = []
        path: str | None = f"referrers/{digest}"
        while path is not None:
            if len(pages) == _MAX_PAGES:
                raise RegistryError(f"{self.client.shown}: the referrers of {digest} run over {_MAX_PAGES} pages")
            answer = self.client.get(path, accept=_REFERRERS_ACCEPT, limit=MANIFEST_LIMIT)
            if answer is None:
                if pages:
                    raise RegistryError(f"{self.client.shown}: a page of the referrers of {digest} is not there")
                return None
            if answer.media_type != _REFERRERS_ACCEPT:
                # A registry without the API may answer with a page of its own rather than 404.
                raise RegistryError(
                    f"{self.client.shown}: the referrers API answered with {answer.media_type}, not an OCI image index"
                )
            pages.append(answer)
            path = answer.next_page
        if len(pages) == 1:
            return pages[0]
        manifests: list[Any] = []
        for page in pages:
            try:
                document = orjson.loads(page.body)
            except orjson.JSONDecodeError as e:
                raise RegistryError(
                    f"{self.client.shown}: a page of the referrers of {digest} is not JSON ({e})"
                ) from e
            listed = document.get("manifests") if isinstance(document, dict) else None
            manifests += listed if isinstance(listed, list) else []
        body = orjson.dumps({"schemaVersion": 2, "mediaType": _REFERRERS_ACCEPT, "manifests": manifests})
        return Answer(status=200, media_type=_REFERRERS_ACCEPT, body=body, digest=_digest(body))


class LayoutSource:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.where = f"oci:{root}"
        try:
            layout = orjson.loads((root / "oci-layout").read_bytes())
            index = orjson.loads((root / "index.json").read_bytes())
        except FileNotFoundError as e:
            raise RegistryError(f"{self.where}: not an OCI image layout (no {Path(e.filename).name})") from e
        except (OSError, orjson.JSONDecodeError) as e:
            raise RegistryError(f"{self.where}: the OCI image layout cannot be read ({e})") from e
        if not isinstance(layout, dict) or not isinstance(layout.get("imageLayoutVersion"), str):
            raise RegistryError(f"{self.where}: oci-layout names no imageLayoutVersion")
        if not isinstance(index, dict):
            raise RegistryError(f"{self.where}: index.json is not a JSON object")
        entries = index.get("manifests")
        self.entries: list[dict[str, Any]] = [
            e for e in (entries if isinstance(entries, list) else []) if isinstance(e, dict)
        ]

    def _read(self, digest: str, limit: int) -> Answer | None:
        algorithm, _, hex_digest = digest.partition(":")
        if algorithm != "sha256" or len(hex_digest) != 64 or not all(c in "0123456789abcdef" for c in hex_digest):
            raise RegistryError(f"{self.where}: {digest!r} is not a sha256 digest")
        path = self.root / "blobs" / algorithm / hex_digest
        try:
            size = path.stat().st_size
            if size > limit:
                raise RegistryError(f"{self.where}: the blob {digest} is {size} bytes, over the {limit}-byte limit")
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise RegistryError(f"{self.where}: the blob {digest} cannot be read ({e.strerror})") from e
        found = f"sha256:{hashlib.sha256(data).hexdigest()}"
        if found != digest:
            raise RegistryError(f"{self.where}: the blob {digest} holds content of digest {found}")
        return Answer(status=200, media_type=None, body=data, digest=found)

    def _typed(self, answer: Answer, media_type: object) -> Answer:
        declared = media_type if isinstance(media_type, str) else None
        if declared is None:
            try:
                document = orjson.loads(answer.body)
            except orjson.JSONDecodeError:
                document = None
            declared = document.get("mediaType") if isinstance(document, dict) else None
        return Answer(status=200, media_type=declared, body=answer.body, digest=answer.digest)

    def manifest(self, reference: str, *, expect: str | None) -> Answer | None:
        """By digest (`expect` is that digest: every blob is checked against its name) or by tag."""
        digest = reference if ":" in reference else self._tagged(reference)
        if digest is None:
            return None
        answer = self._read(digest, MANIFEST_LIMIT)
        if answer is None:
            return None
        if expect is not None and answer.digest != expect:
            raise RegistryError(f"{self.where}: the manifest {reference} has the digest {answer.digest}, not {expect}")
        entry = next((e for e in self.entries if e.get("digest") == digest), {})
        return self._typed(answer, entry.get("mediaType"))

    def _tagged(self, tag: str) -> str | None:
        for entry in self.entries:
            annotations = entry.get("annotations")
            if isinstance(annotations, dict) and annotations.get(_REF_NAME) == tag:
                digest = entry.get("digest")
                return digest if isinstance(digest, str) else None
        return None

    def blob(self, digest: str, *, limit: int) -> Answer | None:
        return self._read(digest, limit)

    def referrers(self, digest: str) -> Answer | None:
        """The layout's manifests that name `digest` as their subject, as an index (what `oras` writes); None when
        there are none, so that the tag schema is looked at."""
        found = []
        for entry in self.entries:
            if not isinstance(entry.get("digest"), str) or entry.get("digest") == digest:
                continue
            answer = self._read(entry["digest"], MANIFEST_LIMIT)
            try:
                document = orjson.loads(answer.body) if answer is not None else None
            except orjson.JSONDecodeError:
                continue
            if not isinstance(document, dict):
                continue
            subject = document.get("subject")
            if isinstance(subject, dict) and subject.get("digest") == digest:
                descriptor = {k: v for k, v in entry.items() if k != "annotations"}
                found.append(descriptor | {"artifactType": document.get("artifactType")})
        if not found:
            return None
        body = orjson.dumps({"schemaVersion": 2, "mediaType": _REFERRERS_ACCEPT, "manifests": found})
        return Answer(
            status=200, media_type=_REFERRERS_ACCEPT, body=body, digest=f"sha256:{hashlib.sha256(body).hexdigest()}"
        )
