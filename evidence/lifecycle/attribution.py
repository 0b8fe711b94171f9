"""Base image or application: who has to fix a finding, the base image's vendor or the team that built the image.

Signals, strongest first:

1. The layer the package was found in (a scan's `Layer.DiffID`, an SBOM's layer id), looked up in a `LayerMap`
   of which of the image's layers (diff ids) came from the base image. The map is made from, strongest first:

   a. evidence about the declared base image itself: an image config or a scan whose subjects or repo digests
      include a base digest (the label `org.opencontainers.image.base.digest`, a Dockerfile `FROM ...@sha256:`,
      or a base image in the build provenance). Its layers are the base layers, provided they begin the assessed
      image's layers; the assessed image's other layers are the application's.
   b. the assessed image's config history and its Dockerfile: the last N history steps, N the instructions of the
      Dockerfile's final stage (and the stages it builds from), are the team's build. Diff ids correspond in order
      to the history steps that are not `empty_layer`, so the layers of those N steps are the application's and the
      earlier ones the base image's. Used only when the counts agree: as many non-empty steps as diff ids, and at
      least N steps.
2. The declared base image (OCI label `org.opencontainers.image.base.name` / `.base.digest`, the Dockerfile's
   external `FROM`, or a base image in the build provenance) and the package's kind: an operating-system package
   (deb, rpm, apk) comes with the base image, a language package (pypi, npm, maven, ...) with the team's own
   build. This is a rule of thumb, and the reason says so: a base image may ship language packages too (pip in a
   Python image), and a build may install OS packages.
3. A Dockerfile that builds from `scratch` only: everything is the application's.

Otherwise the attribution is `unknown`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from evidence.collectors._util import digests_in
from evidence.model import Attribution, Binding, DockerfileFacts, Evidence, EvidenceKind, ImageConfigFacts

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
    """What the evidence says about the base image and its layers; evidence about another image is not used,
    except evidence about the declared base image itself, for its layers."""
    everything = list(evidence)
    declared = _declared_base(everything)
    return dataclasses.replace(declared, layers=layer_map(everything))


def _declared_base(evidence: Sequence[Evidence]) -> BaseImage:
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


def layer_map(evidence: Sequence[Evidence]) -> LayerMap:
    """Which of the assessed image's layers came from its base image, from the strongest evidence that tells."""
    assessed = _assessed_layers(evidence)
    return _from_base_image_evidence(evidence, assessed) or _from_history(evidence) or LayerMap()


def _base_digests(items: Sequence[Evidence]) -> list[str]:
    """The digests the evidence about the assessed image gives its base image."""
    found: list[str] = []
    for e in items:
        if e.image_config is not None:
            found += digests_in(e.image_config.labels.get(BASE_DIGEST_LABEL))
        if e.provenance is not None:
            found += [d for b in e.provenance.base_images for d in digests_in(b.value)]
        if e.dockerfile is not None:
            found += [d for b in e.dockerfile.base_images for d in digests_in(b.value)]
    return list(dict.fromkeys(found))


def _digests_of(e: Evidence, config: ImageConfigFacts) -> set[str]:
    return set(e.subjects) | {d for reference in config.repo_digests for d in digests_in(reference)}


def _assessed_layers(evidence: Sequence[Evidence]) -> tuple[Evidence, tuple[str, ...]] | None:
    """The assessed image's layers, from evidence that names its digest, else from evidence that names none."""
    for binding in (Binding.MATCH, Binding.UNBOUND):
        for e in evidence:
            if e.binding is binding and e.image_config is not None and e.image_config.layers:
                return e, e.image_config.layers
    return None


def _from_base_image_evidence(
    evidence: Sequence[Evidence], assessed: tuple[Evidence, tuple[str, ...]] | None
) -> LayerMap | None:
    digests = _base_digests([e for e in evidence if e.binding is not Binding.MISMATCH])
    for digest in digests:
        for e in evidence:
            config = e.image_config
            if config is None or not config.layers or digest not in _digests_of(e, config):
                continue
            base = config.layers
            if assessed is None:
                return LayerMap(base=frozenset(base), source=f"the layers of the base image {digest} in {e.path}")
            of, layers = assessed
            if layers[: len(base)] != base:
                continue  # not the base of these layers: another platform, or a rebuilt base
            return LayerMap(
                base=frozenset(base),
                application=frozenset(layers[len(base) :]),
                source=f"the layers of the base image {digest} in {e.path}, and the other layers of {of.path}",
            )
    return None


def _from_history(evidence: Sequence[Evidence]) -> LayerMap | None:
    items = [e for e in evidence if e.binding is not Binding.MISMATCH]
    dockerfiles = [(e, e.dockerfile) for e in items if e.dockerfile is not None]
    for e in sorted(items, key=lambda e: e.binding is not Binding.MATCH):
        config = e.image_config
        if config is None or not config.layers or not config.history_entries:
            continue
        for dockerfile_item, dockerfile in dockerfiles:
            found = _split_history(config, dockerfile)
            if found is not None:
                base, application, steps = found
                return LayerMap(
                    base=frozenset(base),
                    application=frozenset(application),
                    source=(
                        f"the history of {e.path}: its last {steps} steps are the {steps} instructions of the "
                        f"final stage of {dockerfile_item.path}"
                    ),
                )
    return None


def _split_history(
    config: ImageConfigFacts, dockerfile: DockerfileFacts
) -> tuple[tuple[str, ...], tuple[str, ...], int] | None:
    """(base layers, application layers, the build's steps), when the history and the layers agree."""
    steps, history, layers = dockerfile.final_stage_instructions, config.history_entries, config.layers
    if steps <= 0 or steps > len(history) or sum(not h.empty_layer for h in history) != len(layers):
        return None
    base_count = sum(not h.empty_layer for h in history[: len(history) - steps])
    return layers[:base_count], layers[base_count:], steps


def attribute(layer: str | None, package_type: str | None, base: BaseImage) -> tuple[Attribution, str]:
    """(attribution, reason) for a package found in `layer`, of purl type `package_type`."""
    by_layer = _by_layer(layer, base.layers)
    if by_layer is not None:
        return by_layer
    if base.scratch_only:
        return Attribution.APPLICATION, f"the image has no base image: {base.source}"
    if base.declared is None:
        return Attribution.UNKNOWN, "the evidence names no base image and no layer map"
    kind = (package_type or "").lower()
    if kind in OS_PACKAGE_TYPES:
        return Attribution.BASE_IMAGE, (
            f"an operating-system package ({kind}) in an image built on {base.declared} ({base.source}); "
            "by package kind, as the evidence has no layer map"
        )
    if kind:
        return Attribution.APPLICATION, (
            f"a {kind} package installed over the base image {base.declared} ({base.source}); "
            "by package kind, as the evidence has no layer map"
        )
    return (
        Attribution.UNKNOWN,
        f"the package's kind is not known; the image is built on {base.declared} ({base.source})",
    )


def _by_layer(layer: str | None, layers: LayerMap) -> tuple[Attribution, str] | None:
    if layer and layer in layers.base:
        return Attribution.BASE_IMAGE, f"found in layer {layer}, a layer of the base image ({layers.source})"
    if layer and layer in layers.application:
        return Attribution.APPLICATION, f"found in layer {layer}, added by the image's own build ({layers.source})"
    return None
