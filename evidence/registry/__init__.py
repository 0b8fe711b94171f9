"""Evidence from where it lives: a registry, or an OCI image layout, read into files Fromline reads.

`pull` is the one network access of Fromline besides keyless signing: it talks only to the registry named by the
image reference; what it pulls is verified offline afterwards, as any other evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from evidence.errors import RegistryError
from evidence.registry.pull import PullResult  # first: `pull` below is the function, not this module

if TYPE_CHECKING:
    from evidence.registry.client import RegistryClient
    from evidence.registry.reference import RegistryReference

__all__ = ["LAYOUT_PREFIX", "PullOptions", "PullResult", "RegistryError", "pull", "resolve_tag"]

LAYOUT_PREFIX = "oci:"  # `oci:PATH@sha256:...`: an OCI image layout directory instead of a registry


@dataclass(frozen=True, slots=True, kw_only=True)
class PullOptions:
    platform: str | None = None  # "linux/amd64": of an index, that platform's manifests only
    registry_ca: Path | None = None  # trust only this CA's certificates (else the system's)
    insecure_registries: frozenset[str] = frozenset()  # HOST:PORT spoken to over plain HTTP
    docker_config: Path | None = None  # config.json (default: $DOCKER_CONFIG or ~/.docker)


def pull(image: str, out: Path, moment: datetime, options: PullOptions = PullOptions()) -> PullResult:
    """Pull what the registry (or the OCI layout `oci:PATH@sha256:...`) holds about `image` into `out`."""
    from evidence.registry.pull import pull_into, pull_record, write_pulled  # noqa: PLC0415

    if image.startswith(LAYOUT_PREFIX):
        from evidence.registry.sources import LayoutSource  # noqa: PLC0415

        path, at, digest = image.removeprefix(LAYOUT_PREFIX).rpartition("@")
        if not at or not digest.startswith("sha256:"):
            raise RegistryError(f"{image}: an OCI layout must be given as oci:PATH@sha256:<64 hex digits>")
        layout = LayoutSource(Path(path))
        result = pull_into(layout, digest, platform=options.platform)
        write_pulled(result, out, pull_record(result, layout.where, moment))
        return result

    from evidence.registry.reference import RegistryReference  # noqa: PLC0415
    from evidence.registry.sources import RegistrySource  # noqa: PLC0415

    try:
        reference = RegistryReference.parse(image)
    except ValueError as e:
        raise RegistryError(str(e)) from e
    with _client(reference, options) as client:
        source = RegistrySource(client)
        result = pull_into(source, reference.digest, platform=options.platform)
    write_pulled(result, out, pull_record(result, source.where, moment))
    return result


def resolve_tag(image: str, options: PullOptions = PullOptions()) -> str:
    """`NAME[:TAG]` (no tag: `latest`) as `NAME@sha256:...`, the digest of what the registry serves for the tag now."""
    from evidence.registry.reference import RegistryReference  # noqa: PLC0415
    from evidence.registry.sources import RegistrySource  # noqa: PLC0415

    last = image.rsplit("/", 1)[-1]
    name, tag = (image.rsplit(":", 1)[0], last.rsplit(":", 1)[1]) if ":" in last else (image, "latest")
    try:
        reference = RegistryReference.parse(f"{name}@sha256:{'0' * 64}")
    except ValueError as e:
        raise RegistryError(str(e).replace("@sha256:" + "0" * 64, f":{tag}")) from e
    with _client(reference, options) as client:
        answer = RegistrySource(client).manifest(tag, expect=None)
    if answer is None:
        raise RegistryError(f"{reference.host}/{reference.repository}: has no tag {tag}")
    return f"{name}@{answer.digest}"


def _client(reference: RegistryReference, options: PullOptions) -> RegistryClient:
    from evidence.registry.client import RegistryClient  # noqa: PLC0415
    from evidence.registry.credentials import find_credentials  # noqa: PLC0415

    return RegistryClient(
        api_host=reference.api_host,
        shown_host=reference.host,
        repository=reference.repository,
        credentials=find_credentials(reference.host, options.docker_config),
        ca=options.registry_ca,
        insecure=reference.host in options.insecure_registries,
    )
