"""Where an image reference points: the registry's host, the repository within it, and the digest.

Names are read as Docker and the OCI distribution specification read them: a first component with a dot or a colon,
or `localhost`, is a registry host; otherwise the image is on Docker Hub, whose API host is
`registry-1.docker.io`, and a one-component name is under `library/`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DOCKER_HUB", "RegistryReference"]

DOCKER_HUB = "docker.io"
_DOCKER_HUB_API = "registry-1.docker.io"
_DOCKER_HUB_ALIASES = frozenset({DOCKER_HUB, "index.docker.io", _DOCKER_HUB_API})
# The distribution specification's repository name: path components of lowercase letters and digits, joined by
# `.`, `_`, `__` or dashes, separated by `/`.
_REPOSITORY = re.compile(r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$")
_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::[0-9]{1,5})?$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistryReference:
    host: str  # as named: "registry.example.com:5000", "docker.io"
    repository: str  # "team/webapp", "library/debian"
    digest: str  # "sha256:<hex>"

    @classmethod
    def parse(cls, text: str) -> RegistryReference:
        """`[HOST/]REPOSITORY[:TAG]@sha256:<hex>`; `ValueError` saying what is wrong. A tag beside the digest is
        ignored, as registries ignore it: the digest names the image."""
        name, at, digest = text.strip().partition("@")
        if not at or not _DIGEST.match(digest):
            raise ValueError(f"an image must be given as REF@sha256:<64 hex digits>, got {text!r}")
        first, slash, rest = name.partition("/")
        if slash and ("." in first or ":" in first or first == "localhost"):
            host, path = first, rest
        else:
            host, path = DOCKER_HUB, name
        last_slash = path.rfind("/")
        colon = path.rfind(":")
        if colon > last_slash:  # a tag
            path = path[:colon]
        if host in _DOCKER_HUB_ALIASES:
            host = DOCKER_HUB
            if "/" not in path:
                path = f"library/{path}"
        if not _HOST.match(host):
            raise ValueError(f"{text!r}: {host!r} is not a registry host")
        if not _REPOSITORY.match(path):
            raise ValueError(f"{text!r}: {path!r} is not a repository name (lowercase letters, digits, . _ - and /)")
        return cls(host=host, repository=path, digest=digest)

    @property
    def api_host(self) -> str:
        """The host that answers the registry API: Docker Hub's is not the name images carry."""
        return _DOCKER_HUB_API if self.host == DOCKER_HUB else self.host

    @property
    def hex(self) -> str:
        return self.digest.removeprefix("sha256:")

    def __str__(self) -> str:
        return f"{self.host}/{self.repository}@{self.digest}"
