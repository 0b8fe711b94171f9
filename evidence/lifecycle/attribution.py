"""Base image or application: who has to fix a finding, the base image's vendor or the team that built the image.

Signals, strongest first:

1. The layer the package was found in (from the scan or the SBOM), when the evidence tells which of the image's
   layers came from the base image (`LayerMap`).
2. The declared base image (OCI label `org.opencontainers.image.base.name` / `.base.digest`, the Dockerfile's
   external `FROM`, or a base image in the build provenance) and the package's kind: an operating-system package
   (deb, rpm, apk) comes with the base image, a language package (pypi, npm, maven, ...) with the team's own
   build. This is a rule of thumb, and the reason says so: a base image may ship language packages too (pip in a
   Python image), and a build may install OS packages.
3. A Dockerfile that builds from `scratch` only: everything is the application's.

Otherwise the attribution is `unknown`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from evidence.model import Binding, Evidence, EvidenceKind

BASE_IMAGE = "base-image"
APPLICATION = "application"
UNKNOWN = "unknown"

BASE_NAME_LABEL = "org.opencontainers.image.base.name"
BASE_DIGEST_LABEL = "org.opencontainers.image.base.digest"
OS_PACKAGE_TYPES = frozenset({"deb", "rpm", "apk", "alpm", "alpine", "debian", "redhat", "centos", "ubuntu", "wolfi"})


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerMap:
    """Which image layers (diff ids) came from the base image and which from the image's own build."""

    base: frozenset[str] = frozenset()
    application: frozenset[str] = frozenset()
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseImage:
    declared: str | None = None  # "docker.io/library/python:3.12-slim@sha256:..."
    source: str = ""  # where it was declared
    scratch_only: bool = False  # a Dockerfile whose stages build from scratch only
    layers: LayerMap = field(default_factory=LayerMap)


def base_image_of(evidence: Iterable[Evidence]) -> BaseImage:
    """What the evidence says about the base image; evidence about another image is not used."""
    items = [e for e in evidence if e.binding is not Binding.MISMATCH]
    for e in items:
        labels = e.image_config.labels if e.image_config else {}
        name, digest = labels.get(BASE_NAME_LABEL), labels.get(BASE_DIGEST_LABEL)
        if name or digest:
            declared = f"{name}@{digest}" if name and digest else name or digest
            used = " and ".join(k for k, v in ((BASE_NAME_LABEL, name), (BASE_DIGEST_LABEL, digest)) if v)
            return BaseImage(declared=declared, source=f"label {used} in {e.path}")
    for e in items:
        if e.provenance is not None and e.provenance.base_images:
            return BaseImage(declared=e.provenance.base_images[0].value, source=f"build provenance {e.path}")
    dockerfiles = [e for e in items if e.kind is EvidenceKind.DOCKERFILE and e.dockerfile is not None]
    for e in dockerfiles:
        assert e.dockerfile is not None  # noqa: S101 - filtered above
        if e.dockerfile.base_images:
            found = e.dockerfile.base_images[-1]
            return BaseImage(declared=found.value, source=f"FROM at {found.location} of {e.path}")
    if dockerfiles:
        return BaseImage(scratch_only=True, source=f"{dockerfiles[0].path} uses no external base image")
    return BaseImage()


def attribute(layer: str | None, package_type: str | None, base: BaseImage) -> tuple[str, str]:
    """(attribution, reason) for a package found in `layer`, of purl type `package_type`."""
    by_layer = _by_layer(layer, base.layers)
    if by_layer is not None:
        return by_layer
    if base.scratch_only:
        return APPLICATION, f"the image has no base image: {base.source}"
    if base.declared is None:
        return UNKNOWN, "the evidence names no base image and no layer map"
    kind = (package_type or "").lower()
    if kind in OS_PACKAGE_TYPES:
        return BASE_IMAGE, (
            f"an operating-system package ({kind}) in an image built on {base.declared} ({base.source}); "
            "by package kind, as the evidence has no layer map"
        )
    if kind:
        return APPLICATION, (
            f"a {kind} package installed over the base image {base.declared} ({base.source}); "
            "by package kind, as the evidence has no layer map"
        )
    return UNKNOWN, f"the package's kind is not known; the image is built on {base.declared} ({base.source})"


def _by_layer(layer: str | None, layers: LayerMap) -> tuple[str, str] | None:
    if layer and layer in layers.base:
        return BASE_IMAGE, f"found in layer {layer}, a layer of the base image ({layers.source})"
    if layer and layer in layers.application:
        return APPLICATION, f"found in layer {layer}, added by the image's own build ({layers.source})"
    return None
