"""Kubernetes workload manifests (YAML, several documents, or JSON): the images they run and how.

Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs and CronJobs, also as the
items of a `kind: List`. Each container and init container is kept with its effective security settings: the
container's `securityContext` overrides the pod's `runAsNonRoot` / `runAsUser`.

YAML is read with PyYAML's safe loader only, and bounded before anything is built: a file with more than
`MAX_ALIASES` aliases, nesting deeper than `MAX_DEPTH`, a recursive alias, or more than `MAX_NODES` nodes once
aliases are expanded (an alias bomb) is refused with a `CollectorError`.
"""

from __future__ import annotations

import re
from typing import Any

from evidence.collectors._util import (
    DIGEST_RE,
    expect_array,
    expect_object,
    expect_string,
    expect_strings,
    pointer,
    require_string,
)
from evidence.collectors.interface import CollectorError, Document, SkipFile
from evidence.model import ContainerFacts, Evidence, EvidenceKind, WorkloadFacts

MAX_ALIASES = 1000
MAX_DEPTH = 64
MAX_NODES = 1_000_000

POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_WORKLOAD_KIND_RE = re.compile(
    r"""^[ \t-]*["']?kind["']?[ \t]*:[ \t]*["']?(?:%s)["']?[ \t]*,?[ \t]*(?:#.*)?$""" % "|".join(POD_SPEC_PATHS),  # noqa: UP031
    re.MULTILINE,
)
_API_VERSION_RE = re.compile(r"""^[ \t-]*["']?apiVersion["']?[ \t]*:""", re.MULTILINE)


def _loader() -> Any:
    import yaml  # noqa: PLC0415 - only when a YAML file is read

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check_events(doc: Document, text: str) -> None:
    """Aliases and nesting, counted on the event stream before any node is built."""
    import yaml  # noqa: PLC0415

    aliases = depth = 0
    for event in yaml.parse(text, Loader=_loader()):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise CollectorError(doc.path, f"YAML with more than {MAX_ALIASES} aliases is refused")
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise CollectorError(doc.path, f"YAML nested deeper than {MAX_DEPTH} levels is refused")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _expanded_size(doc: Document, root: Any) -> int:
    """The number of nodes once aliases are expanded, memoized per shared node, without expanding anything."""
    import yaml  # noqa: PLC0415

    sizes: dict[int, int] = {}
    # iterative post-order walk: (node, children visited)
    stack: list[tuple[Any, bool]] = [(root, False)]
    active: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes and not done:
            continue
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        if not done:
            if key in active:
                raise CollectorError(doc.path, "YAML with a recursive alias is refused")
            active.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        active.discard(key)
        total = 1 + sum(sizes.get(id(child), 0) for child in children)
        if total > MAX_NODES:
            raise CollectorError(doc.path, f"YAML that expands to more than {MAX_NODES} nodes is refused")
        sizes[key] = total
    return sizes.get(id(root), 0)


def load_documents(doc: Document) -> list[object]:
    """The documents of a JSON file or a (multi-document) YAML file, bounded; CollectorError when unreadable."""
    if doc.looks_like_json and doc.json() is not None:
        return [doc.json()]
    import yaml  # noqa: PLC0415

    text = doc.text()
    try:
        _check_events(doc, text)
        loader = _loader()(text)
        documents: list[object] = []
        try:
            while loader.check_node():
                node = loader.get_node()
                _expanded_size(doc, node)
                documents.append(loader.construct_document(node))
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        raise CollectorError(
            doc.path, f"not valid YAML: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
        ) from e
    except RecursionError as e:
        raise CollectorError(doc.path, "YAML nested too deeply to read") from e
    return documents


def looks_like_yaml_text(doc: Document) -> str | None:
    """The file's text when it may be YAML or JSON (UTF-8, no NUL bytes), else None; never raises."""
    if b"\0" in doc.data[:4096]:
        return None
    try:
        return doc.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def where(number: int, *parts: str | int) -> str:
    """A location: `document N` (from 1) of the file, then the JSON pointer inside it."""
    return f"document {number} {pointer(*parts)}".rstrip()


class KubernetesWorkloads:
    name = "kubernetes-workloads"

    def sniff(self, doc: Document) -> bool:
        data = doc.json()
        if isinstance(data, dict):
            return _is_workload(data) or (data.get("kind") == "List" and isinstance(data.get("items"), list))
        if data is not None or doc.looks_like_json:
            return False
        text = looks_like_yaml_text(doc)
        return text is not None and bool(_API_VERSION_RE.search(text)) and bool(_WORKLOAD_KIND_RE.search(text))

    def parse(self, doc: Document) -> Evidence:
        documents = load_documents(doc)
        reader = _Reader(doc.path)
        workloads: list[WorkloadFacts] = []
        for number, document in enumerate(documents, start=1):
            if not isinstance(document, dict):
                continue
            workloads.extend(reader.resource(document, number, ()))
        if not workloads:
            raise SkipFile(doc.path, "Kubernetes manifest without a workload (Pod, Deployment, Job...)")
        subjects = [c.image_digest for w in workloads for c in w.containers if c.image_digest]
        return doc.evidence(
            kind=EvidenceKind.KUBERNETES_WORKLOAD,
            format="Kubernetes manifest",
            subjects=tuple(dict.fromkeys(subjects)),
            workloads=tuple(workloads),
        )


def _is_workload(value: object) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("apiVersion"), str):
        return False
    kind = value.get("kind")
    return isinstance(kind, str) and kind in POD_SPEC_PATHS


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def resource(self, obj: dict[str, Any], number: int, parts: tuple[str | int, ...]) -> list[WorkloadFacts]:
        kind = obj.get("kind")
        if kind == "List" and not parts:
            items = expect_array(obj.get("items"), self.path, where(number, "items"))
            found: list[WorkloadFacts] = []
            for i, item in enumerate(items):
                found.extend(
                    self.resource(expect_object(item, self.path, where(number, "items", i)), number, ("items", i))
                )
            return found
        if not _is_workload(obj):
            return []
        assert isinstance(kind, str)  # noqa: S101 - narrowed by _is_workload
        return [self.workload(obj, kind, number, parts)]

    def at(self, number: int, *parts: str | int) -> str:
        return where(number, *parts)

    def workload(self, obj: dict[str, Any], kind: str, number: int, parts: tuple[str | int, ...]) -> WorkloadFacts:
        metadata = expect_object(obj.get("metadata"), self.path, self.at(number, *parts, "metadata"), optional=True)
        name = expect_string(metadata.get("name"), self.path, self.at(number, *parts, "metadata", "name"))
        namespace = expect_string(
            metadata.get("namespace"), self.path, self.at(number, *parts, "metadata", "namespace")
        )
        spec: dict[str, Any] = obj
        spec_parts = parts
        for key in POD_SPEC_PATHS[kind]:
            spec_parts = (*spec_parts, key)
            spec = expect_object(spec.get(key), self.path, self.at(number, *spec_parts), optional=True)
        pod_context = expect_object(
            spec.get("securityContext"), self.path, self.at(number, *spec_parts, "securityContext"), optional=True
        )
        containers: list[ContainerFacts] = []
        for key in ("initContainers", "containers"):
            entries = expect_array(spec.get(key), self.path, self.at(number, *spec_parts, key))
            for i, entry in enumerate(entries):
                containers.append(self.container(entry, pod_context, number, (*spec_parts, key, i)))
        return WorkloadFacts(
            kind=kind,
            name=name
            or expect_string(
                metadata.get("generateName"), self.path, self.at(number, *parts, "metadata", "generateName")
            )
            or "",
            namespace=namespace,
            containers=tuple(containers),
            location=where(number, *parts),
        )

    def flag(self, context: dict[str, Any], key: str, at: str) -> bool | None:
        value = context.get(key)
        if value is None or isinstance(value, bool):
            return value
        raise CollectorError(self.path, f"{at}/{key} should be true or false")

    def user(self, context: dict[str, Any], at: str) -> int | None:
        value = context.get("runAsUser")
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise CollectorError(self.path, f"{at}/runAsUser should be a whole number")

    def container(
        self, entry: object, pod: dict[str, Any], number: int, parts: tuple[str | int, ...]
    ) -> ContainerFacts:
        at = self.at(number, *parts)
        container = expect_object(entry, self.path, at)
        image = require_string(container.get("image"), self.path, f"{at}/image").strip()
        context = expect_object(container.get("securityContext"), self.path, f"{at}/securityContext", optional=True)
        ctx_at = f"{at}/securityContext"
        pod_at = self.at(number, *parts[:-2], "securityContext")
        capabilities = expect_object(context.get("capabilities"), self.path, f"{ctx_at}/capabilities", optional=True)
        run_as_non_root = self.flag(context, "runAsNonRoot", ctx_at)
        run_as_user = self.user(context, ctx_at)
        digest = DIGEST_RE.search(image.rsplit("@", 1)[-1]) if "@" in image else None
        return ContainerFacts(
            name=expect_string(container.get("name"), self.path, f"{at}/name") or "",
            image=image,
            image_digest=digest.group(0) if digest else None,
            run_as_non_root=run_as_non_root if run_as_non_root is not None else self.flag(pod, "runAsNonRoot", pod_at),
            run_as_user=run_as_user if run_as_user is not None else self.user(pod, pod_at),
            privileged=self.flag(context, "privileged", ctx_at),
            allow_privilege_escalation=self.flag(context, "allowPrivilegeEscalation", ctx_at),
            read_only_root_filesystem=self.flag(context, "readOnlyRootFilesystem", ctx_at),
            capabilities_drop=tuple(expect_strings(capabilities.get("drop"), self.path, f"{ctx_at}/capabilities/drop")),
            capabilities_add=tuple(expect_strings(capabilities.get("add"), self.path, f"{ctx_at}/capabilities/add")),
            location=at,
        )
