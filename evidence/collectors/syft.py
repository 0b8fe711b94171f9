"""Syft's own JSON SBOM (`syft -o json`), schema 1 to 16.

The image is named in `source.target` (older schemas) or `source.metadata` (newer ones): its manifest digest,
its repo digests and its image id (config digest), as in a Grype report. A `dependency-of` relationship runs
from the dependency (`parent`) to the package that depends on it (`child`).
"""

from __future__ import annotations

from typing import Any

from evidence.collectors._util import (
    array_at,
    digests_in,
    expect_object,
    expect_string,
    expect_strings,
    parse_time,
    pointer,
    require_string,
    string_at,
)
from evidence.collectors.interface import CollectorError, Document
from evidence.model import Component, Evidence, EvidenceKind

SUPPORTED_SCHEMA_MAJORS = range(1, 17)


class SyftJson:
    name = "syft-json"

    def sniff(self, doc: Document) -> bool:
        data = doc.json()
        if not isinstance(data, dict) or "artifacts" not in data or "source" not in data:
            return False
        descriptor = data.get("descriptor")
        schema = data.get("schema")
        return (isinstance(descriptor, dict) and descriptor.get("name") == "syft") or (
            isinstance(schema, dict) and "anchore/syft" in str(schema.get("url"))
        )

    def parse(self, doc: Document) -> Evidence:
        return _Reader(doc.path).read(doc)


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def read(self, doc: Document) -> Evidence:
        report = expect_object(doc.json(), self.path, "")
        schema = expect_object(report.get("schema"), self.path, "/schema", optional=True)
        version = expect_string(schema.get("version"), self.path, "/schema/version")
        if version is not None:
            major = version.strip().lstrip("v").partition(".")[0]
            if not major.isdigit() or int(major) not in SUPPORTED_SCHEMA_MAJORS:
                raise CollectorError(
                    self.path,
                    f"Syft JSON schema {version!r} is recognized but not supported "
                    f"(supported: {SUPPORTED_SCHEMA_MAJORS.start}.x to {SUPPORTED_SCHEMA_MAJORS.stop - 1}.x)",
                )
        descriptor = expect_object(report.get("descriptor"), self.path, "/descriptor", optional=True)
        tool_version = expect_string(descriptor.get("version"), self.path, "/descriptor/version")
        depends_on = self._dependencies(report)
        return doc.evidence(
            kind=EvidenceKind.SBOM,
            format="Syft JSON",
            format_version=version,
            tool="syft",
            # Syft built without a version says `[not provided]`.
            tool_version=None if tool_version is None or tool_version.startswith("[") else tool_version,
            subjects=self._subjects(report),
            collected_at=parse_time(expect_string(descriptor.get("timestamp"), self.path, "/descriptor/timestamp")),
            components=tuple(
                self._component(entry, pointer("artifacts", i), depends_on)
                for i, entry in enumerate(array_at(report, "artifacts", self.path, ""))
            ),
        )

    def _subjects(self, report: dict[str, Any]) -> tuple[str, ...]:
        source = expect_object(report.get("source"), self.path, "/source", optional=True)
        found: list[str] = []
        for key in ("target", "metadata"):
            target = source.get(key)
            if not isinstance(target, dict):
                continue  # a directory or file source names a path, not an image
            where = f"/source/{key}"
            for reference in expect_strings(target.get("repoDigests"), self.path, f"{where}/repoDigests"):
                found += digests_in(reference)
            for name in ("manifestDigest", "imageID"):
                found += digests_in(string_at(target, name, self.path, where))
        return tuple(dict.fromkeys(found))

    def _dependencies(self, report: dict[str, Any]) -> dict[str, list[str]]:
        graph: dict[str, list[str]] = {}
        for i, entry in enumerate(array_at(report, "artifactRelationships", self.path, "")):
            at = pointer("artifactRelationships", i)
            fields = expect_object(entry, self.path, at)
            if string_at(fields, "type", self.path, at) != "dependency-of":
                continue
            dependency = require_string(fields.get("parent"), self.path, f"{at}/parent")
            dependent = require_string(fields.get("child"), self.path, f"{at}/child")
            graph.setdefault(dependent, []).append(dependency)
        return graph

    def _component(self, entry: Any, where: str, depends_on: dict[str, list[str]]) -> Component:
        fields = expect_object(entry, self.path, where)
        ref = string_at(fields, "id", self.path, where)
        locations = array_at(fields, "locations", self.path, where)
        first = expect_object(locations[0], self.path, f"{where}/locations/0") if locations else {}
        return Component(
            name=require_string(fields.get("name"), self.path, f"{where}/name"),
            version=string_at(fields, "version", self.path, where),
            purl=string_at(fields, "purl", self.path, where),
            type=string_at(fields, "type", self.path, where),
            licenses=self._licenses(fields, where),
            supplier=self._supplier(fields, where),
            layer=string_at(first, "layerID", self.path, f"{where}/locations/0"),
            ref=ref,
            depends_on=tuple(dict.fromkeys(depends_on.get(ref, ()))) if ref else (),
            location=where,
        )

    def _licenses(self, fields: dict[str, Any], where: str) -> tuple[str, ...]:
        """Plain strings in older schemas; objects with `value` and `spdxExpression` in newer ones."""
        found: list[str] = []
        for i, entry in enumerate(array_at(fields, "licenses", self.path, where)):
            at = f"{where}/licenses/{i}"
            if isinstance(entry, str):
                text = entry if entry.strip() else None
            else:
                license_ = expect_object(entry, self.path, at)
                text = string_at(license_, "spdxExpression", self.path, at) or string_at(
                    license_, "value", self.path, at
                )
            if text:
                found.append(text)
        return tuple(dict.fromkeys(found))

    def _supplier(self, fields: dict[str, Any], where: str) -> str | None:
        """Syft's packages carry no supplier today; one written as a string or as `{"name": ...}` is kept."""
        supplier = fields.get("supplier")
        if isinstance(supplier, dict):
            return string_at(supplier, "name", self.path, f"{where}/supplier")
        return expect_string(supplier, self.path, f"{where}/supplier")
