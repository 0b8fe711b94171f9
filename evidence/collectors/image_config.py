"""Image configuration: `docker inspect` output, or an OCI image config blob.

Environment values are never kept, only names: a value may be a secret. The subjects of a `docker inspect`
are its `RepoDigests` (manifest digests, what an image reference names), never its `Id`: that is the
config digest, which no registry reference uses. An OCI config names no manifest digest, so it has no subjects.
"""

from __future__ import annotations

from typing import Any

from evidence.collectors._util import (
    digests_in,
    expect_array,
    expect_object,
    expect_string,
    expect_strings,
    is_secret_name,
    parse_time,
    pointer,
)
from evidence.collectors.interface import CollectorError, Document
from evidence.model import Evidence, EvidenceKind, HistoryEntry, ImageConfigFacts, Located

DOCKER_INSPECT = "docker inspect"
OCI_CONFIG = "OCI image config"


def read_history(value: object, path: str, where: str) -> tuple[HistoryEntry, ...]:
    """An OCI config `history` array: each step's `created_by` and whether it made no layer."""
    entries: list[HistoryEntry] = []
    for i, entry in enumerate(expect_array(value, path, where)):
        step = expect_object(entry, path, f"{where}/{i}")
        empty = step.get("empty_layer", False)
        if not isinstance(empty, bool):
            raise CollectorError(path, f"{where}/{i}/empty_layer should be true or false")
        created_by = expect_string(step.get("created_by"), path, f"{where}/{i}/created_by")
        entries.append(HistoryEntry(created_by=created_by, empty_layer=empty))
    return tuple(entries)


def _is_inspect_entry(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("Id"), str)
        and "RepoDigests" in value
        and isinstance(value.get("Config"), dict | None)
        and "Config" in value
    )


def _is_oci_config(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("architecture"), str)
        and isinstance(value.get("os"), str)
        and isinstance(value.get("rootfs"), dict)
    )


def _shape(doc: Document) -> tuple[str, dict[str, Any], tuple[str | int, ...]] | None:
    """The format, the image object, and the JSON pointer parts that lead to it."""
    obj = doc.json()
    if isinstance(obj, list) and obj and _is_inspect_entry(obj[0]):
        return DOCKER_INSPECT, obj[0], (0,)
    if _is_inspect_entry(obj):
        return DOCKER_INSPECT, obj, ()
    if _is_oci_config(obj):
        return OCI_CONFIG, obj, ()
    return None


class _Reader:
    def __init__(self, doc: Document, base: tuple[str | int, ...]) -> None:
        self.path = doc.path
        self.base = base

    def at(self, *parts: str | int) -> str:
        return pointer(*self.base, *parts)

    def text(self, parent: dict[str, Any], key: str, *parts: str | int) -> str | None:
        return expect_string(parent.get(key), self.path, self.at(*parts, key))

    def strings(self, parent: dict[str, Any], key: str, *parts: str | int) -> list[str]:
        return expect_strings(parent.get(key), self.path, self.at(*parts, key))

    def keys(self, parent: dict[str, Any], key: str, *parts: str | int) -> tuple[str, ...]:
        return tuple(expect_object(parent.get(key), self.path, self.at(*parts, key), optional=True))

    def config(self, config: dict[str, Any], *parts: str | int) -> dict[str, Any]:
        """The facts in a `Config` / `config` object."""
        env_names: list[str] = []
        secret_env: list[Located] = []
        for i, entry in enumerate(expect_array(config.get("Env"), self.path, self.at(*parts, "Env"))):
            text = expect_string(entry, self.path, self.at(*parts, "Env", i))
            if text is None:
                continue
            name, _, value = text.partition("=")
            env_names.append(name)
            if value.strip() and is_secret_name(name):
                secret_env.append(Located(value=name, location=self.at(*parts, "Env", i)))
        labels = expect_object(config.get("Labels"), self.path, self.at(*parts, "Labels"), optional=True)
        health = expect_object(config.get("Healthcheck"), self.path, self.at(*parts, "Healthcheck"), optional=True)
        test = expect_array(health.get("Test"), self.path, self.at(*parts, "Healthcheck", "Test"))
        return {
            "user": self.text(config, "User", *parts),
            "exposed_ports": self.keys(config, "ExposedPorts", *parts),
            "env_names": tuple(env_names),
            "secret_env": tuple(secret_env),
            "labels": {k: v for k, v in labels.items() if isinstance(v, str)},
            "healthcheck": bool(test) and test[0] != "NONE",
            "volumes": self.keys(config, "Volumes", *parts),
        }


class DockerInspect:
    """`docker inspect <image>` output, or an OCI image config (`crane config`, a registry blob)."""

    name = "docker-inspect"

    def sniff(self, doc: Document) -> bool:
        return _shape(doc) is not None

    def parse(self, doc: Document) -> Evidence:
        shape = _shape(doc)
        if shape is None:
            raise CollectorError(doc.path, "not docker inspect output or an OCI image config")
        fmt, image, base = shape
        if fmt == DOCKER_INSPECT:
            return self._inspect(doc, image, base)
        return self._oci(doc, image)

    def _inspect(self, doc: Document, image: dict[str, Any], base: tuple[str | int, ...]) -> Evidence:
        whole = doc.json()
        if isinstance(whole, list) and len(whole) > 1:
            raise CollectorError(doc.path, f"docker inspect output of {len(whole)} images; inspect one image per file")
        r = _Reader(doc, base)
        repo_digests = r.strings(image, "RepoDigests")
        subjects = tuple(dict.fromkeys(d for reference in repo_digests for d in digests_in(reference)))
        config = expect_object(image.get("Config"), doc.path, r.at("Config"), optional=True)
        rootfs = expect_object(image.get("RootFS"), doc.path, r.at("RootFS"), optional=True)
        facts = ImageConfigFacts(
            image_id=r.text(image, "Id"),
            repo_digests=tuple(repo_digests),
            repo_tags=tuple(r.strings(image, "RepoTags")),
            created=parse_time(image.get("Created")),
            architecture=r.text(image, "Architecture"),
            os=r.text(image, "Os"),
            size=_size(image.get("Size")),
            layers=tuple(r.strings(rootfs, "Layers", "RootFS")),
            config_location=r.at("Config"),
            created_location=r.at("Created"),
            **r.config(config, "Config"),
        )
        return doc.evidence(
            kind=EvidenceKind.IMAGE_CONFIG, format=DOCKER_INSPECT, subjects=subjects, image_config=facts
        )

    def _oci(self, doc: Document, image: dict[str, Any]) -> Evidence:
        r = _Reader(doc, ())
        config = expect_object(image.get("config"), doc.path, "/config", optional=True)
        entries = read_history(image.get("history"), doc.path, "/history")
        rootfs = expect_object(image.get("rootfs"), doc.path, "/rootfs")
        created = parse_time(image.get("created"))
        facts = ImageConfigFacts(
            created=created,
            architecture=r.text(image, "architecture"),
            os=r.text(image, "os"),
            history=tuple(e.created_by for e in entries if e.created_by is not None),
            history_entries=entries,
            history_location="/history" if entries else "",
            layers=tuple(r.strings(rootfs, "diff_ids")),
            config_location="/config",
            created_location="/created",
            **r.config(config, "config"),
        )
        return doc.evidence(
            kind=EvidenceKind.IMAGE_CONFIG,
            format=OCI_CONFIG,
            collected_at=created,
            image_config=facts,
        )


def _size(value: object) -> int | None:
    """docker inspect's `Size`: a whole number of bytes; anything else is not read."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
