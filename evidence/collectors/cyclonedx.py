"""CycloneDX JSON SBOMs, spec 1.2 to 1.7, with any vulnerabilities they carry (including VEX-only BOMs)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from evidence.collectors._util import (
    DIGEST_RE,
    array_at,
    digests_in,
    digests_in_reference,
    expect_array,
    expect_number,
    expect_object,
    expect_string,
    expect_strings,
    parse_time,
    pointer,
    require_string,
    string_at,
)
from evidence.collectors.interface import CollectorError, Document
from evidence.model import Component, Cvss, Evidence, EvidenceKind, Severity, VulnerabilityFinding

SUPPORTED_SPEC_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6", "1.7")

# Properties naming the layer a component was found in, most specific first.
_LAYER_PROPERTIES = ("aquasecurity:trivy:LayerDiffID", "syft:location:0:layerID")
_SUBJECT_PROPERTIES = ("aquasecurity:trivy:RepoDigest", "aquasecurity:trivy:ImageID")
_CVSS_METHODS = {"CVSSv2": "2.0", "CVSSv3": "3.0", "CVSSv31": "3.1", "CVSSv4": "4.0"}


class CycloneDxJson:
    name = "cyclonedx-json"

    def sniff(self, doc: Document) -> bool:
        data = doc.json()
        return isinstance(data, dict) and data.get("bomFormat") == "CycloneDX" and "specVersion" in data

    def parse(self, doc: Document) -> Evidence:
        return _Reader(doc.path).read(doc)


class _Reader:
    """One parse of one document; carries the path for error messages."""

    def __init__(self, path: str) -> None:
        self.path = path

    def read(self, doc: Document) -> Evidence:
        bom = expect_object(doc.json(), self.path, "")
        spec = require_string(bom.get("specVersion"), self.path, "/specVersion")
        if spec not in SUPPORTED_SPEC_VERSIONS:
            raise CollectorError(
                self.path,
                f"CycloneDX specVersion {spec!r} is recognized but not supported "
                f"(supported: {', '.join(SUPPORTED_SPEC_VERSIONS)})",
            )
        metadata = expect_object(bom.get("metadata"), self.path, "/metadata", optional=True)
        tool, tool_version = self._tool(metadata)
        depends_on = self._dependencies(bom)
        components = self._components(bom, depends_on)
        # Vulnerabilities may name the described component itself (a VEX about a product), so it resolves too.
        described = expect_object(metadata.get("component"), self.path, "/metadata/component", optional=True)
        subject = (self._component(described, "/metadata/component", depends_on),) if described.get("name") else ()
        return doc.evidence(
            kind=EvidenceKind.SBOM,
            format="CycloneDX JSON",
            format_version=spec,
            tool=tool,
            tool_version=tool_version,
            subjects=self._subjects(metadata),
            collected_at=parse_time(expect_string(metadata.get("timestamp"), self.path, "/metadata/timestamp")),
            components=components,
            vulnerabilities=self._vulnerabilities(bom, subject + components),
        )

    def _tool(self, metadata: dict[str, Any]) -> tuple[str | None, str | None]:
        """The first named tool: `tools` is a list before spec 1.5 and `{"components": [...]}` from 1.5 on."""
        tools = metadata.get("tools")
        where = "/metadata/tools"
        if isinstance(tools, dict):
            entries = [
                (f"{where}/{key}/{i}", entry)
                for key in ("components", "services")
                for i, entry in enumerate(expect_array(tools.get(key), self.path, f"{where}/{key}"))
            ]
        else:
            entries = [(f"{where}/{i}", entry) for i, entry in enumerate(expect_array(tools, self.path, where))]
        for at, entry in entries:
            fields = expect_object(entry, self.path, at)
            name = string_at(fields, "name", self.path, at)
            if name:
                return name, string_at(fields, "version", self.path, at)
        return None, None

    def _subjects(self, metadata: dict[str, Any]) -> tuple[str, ...]:
        """Image digests named by the component the BOM describes."""
        subject = expect_object(metadata.get("component"), self.path, "/metadata/component", optional=True)
        where = "/metadata/component"
        found = digests_in(string_at(subject, "version", self.path, where))
        purl = string_at(subject, "purl", self.path, where)
        if purl and purl.startswith("pkg:oci/"):
            found += digests_in_reference(purl)
        for alg, content in self._hashes(subject, where).items():
            if alg.upper() == "SHA-256" and DIGEST_RE.fullmatch(digest := f"sha256:{content.lower()}"):
                found.append(digest)
        for _, value in self._properties(subject, where, _SUBJECT_PROPERTIES):
            found += digests_in(value)
        return tuple(dict.fromkeys(found))

    def _components(self, bom: dict[str, Any], depends_on: dict[str, tuple[str, ...]]) -> tuple[Component, ...]:
        # An explicit stack, not recursion: nesting depth is the file author's choice.
        stack: list[tuple[str, Any]] = [
            (pointer("components", i), c)
            for i, c in enumerate(expect_array(bom.get("components"), self.path, "/components"))
        ]
        stack.reverse()
        components: list[Component] = []
        while stack:
            where, entry = stack.pop()
            fields = expect_object(entry, self.path, where)
            components.append(self._component(fields, where, depends_on))
            nested = array_at(fields, "components", self.path, where)
            stack.extend((f"{where}/components/{i}", c) for i, c in reversed(list(enumerate(nested))))
        return tuple(components)

    def _component(self, fields: dict[str, Any], where: str, depends_on: dict[str, tuple[str, ...]]) -> Component:
        layers = dict(reversed(self._properties(fields, where, _LAYER_PROPERTIES)))  # the first of a repeated name wins
        ref = string_at(fields, "bom-ref", self.path, where)
        return Component(
            name=require_string(fields.get("name"), self.path, f"{where}/name"),
            version=string_at(fields, "version", self.path, where),
            purl=string_at(fields, "purl", self.path, where),
            type=string_at(fields, "type", self.path, where),
            licenses=self._licenses(fields, where),
            supplier=self._supplier(fields, where),
            hashes=self._hashes(fields, where),
            layer=next((layers[p] for p in _LAYER_PROPERTIES if p in layers), None),
            ref=ref,
            depends_on=depends_on.get(ref, ()) if ref else (),
            location=where,
        )

    def _licenses(self, fields: dict[str, Any], where: str) -> tuple[str, ...]:
        found: list[str] = []
        for i, choice in enumerate(array_at(fields, "licenses", self.path, where)):
            at = f"{where}/licenses/{i}"
            entry = expect_object(choice, self.path, at)
            expression = string_at(entry, "expression", self.path, at)
            if expression:
                found.append(expression)
                continue
            license_ = expect_object(entry.get("license"), self.path, f"{at}/license", optional=True)
            text = expect_string(license_.get("id"), self.path, f"{at}/license/id") or expect_string(
                license_.get("name"), self.path, f"{at}/license/name"
            )
            if text:
                found.append(text)
        return tuple(found)

    def _supplier(self, fields: dict[str, Any], where: str) -> str | None:
        supplier = expect_object(fields.get("supplier"), self.path, f"{where}/supplier", optional=True)
        name = expect_string(supplier.get("name"), self.path, f"{where}/supplier/name")
        # Syft writes the package maintainer as `publisher` and no supplier; that is the closest name there is.
        return name or string_at(fields, "publisher", self.path, where)

    def _hashes(self, fields: dict[str, Any], where: str) -> dict[str, str]:
        hashes: dict[str, str] = {}
        for i, entry in enumerate(array_at(fields, "hashes", self.path, where)):
            at = f"{where}/hashes/{i}"
            pair = expect_object(entry, self.path, at)
            alg = string_at(pair, "alg", self.path, at)
            content = string_at(pair, "content", self.path, at)
            if alg and content:
                hashes[alg] = content
        return hashes

    def _properties(self, fields: dict[str, Any], where: str, wanted: tuple[str, ...]) -> list[tuple[str, str]]:
        """The properties with a wanted name, in file order.

        Syft writes a dozen properties per component and only a few are read, so the others are
        checked for shape but not for value types.
        """
        found: list[tuple[str, str]] = []
        for i, entry in enumerate(array_at(fields, "properties", self.path, where)):
            if not isinstance(entry, dict):
                expect_object(entry, self.path, f"{where}/properties/{i}")
            name = entry.get("name")
            if name in wanted:
                value = expect_string(entry.get("value"), self.path, f"{where}/properties/{i}/value")
                if value:
                    found.append((name, value))
        return found

    def _dependencies(self, bom: dict[str, Any]) -> dict[str, tuple[str, ...]]:
        graph: dict[str, tuple[str, ...]] = {}
        for i, entry in enumerate(expect_array(bom.get("dependencies"), self.path, "/dependencies")):
            at = pointer("dependencies", i)
            fields = expect_object(entry, self.path, at)
            ref = require_string(fields.get("ref"), self.path, f"{at}/ref")
            graph[ref] = graph.get(ref, ()) + tuple(
                expect_strings(fields.get("dependsOn"), self.path, f"{at}/dependsOn")
            )
        return graph

    def _vulnerabilities(
        self, bom: dict[str, Any], components: tuple[Component, ...]
    ) -> tuple[VulnerabilityFinding, ...]:
        by_ref = {c.ref: c for c in reversed(components) if c.ref}  # the first of a repeated bom-ref wins
        findings: list[VulnerabilityFinding] = []
        for i, entry in enumerate(expect_array(bom.get("vulnerabilities"), self.path, "/vulnerabilities")):
            where = pointer("vulnerabilities", i)
            fields = expect_object(entry, self.path, where)
            facts = self._vulnerability_facts(fields, where)
            affects = array_at(fields, "affects", self.path, where)
            if not affects:
                # A vulnerability that names no component is still reported, with no package.
                findings.append(VulnerabilityFinding(package="", location=where, **facts))
            for j, target in enumerate(affects):
                at = f"{where}/affects/{j}"
                ref = require_string(expect_object(target, self.path, at).get("ref"), self.path, f"{at}/ref")
                findings.append(self._finding(facts, ref, by_ref, at))
        return tuple(findings)

    def _vulnerability_facts(self, fields: dict[str, Any], where: str) -> dict[str, Any]:
        """What a vulnerability entry says independent of the component it affects."""
        aliases = []
        for i, reference in enumerate(array_at(fields, "references", self.path, where)):
            at = f"{where}/references/{i}"
            alias = expect_string(expect_object(reference, self.path, at).get("id"), self.path, f"{at}/id")
            if alias:
                aliases.append(alias)
        source = expect_object(fields.get("source"), self.path, f"{where}/source", optional=True)
        severities, cvss = self._ratings(fields, where)
        description = string_at(fields, "description", self.path, where)
        return {
            "id": require_string(fields.get("id"), self.path, f"{where}/id"),
            "aliases": tuple(dict.fromkeys(aliases)),
            "severity": max(severities, key=lambda s: s.rank, default=Severity.UNKNOWN),
            "cvss": tuple(dict.fromkeys(cvss)),
            "description": description or string_at(fields, "detail", self.path, where),
            "published": parse_time(string_at(fields, "published", self.path, where)),
            "data_source": expect_string(source.get("url"), self.path, f"{where}/source/url")
            or expect_string(source.get("name"), self.path, f"{where}/source/name"),
        }

    def _ratings(self, fields: dict[str, Any], where: str) -> tuple[list[Severity], list[Cvss]]:
        severities: list[Severity] = []
        cvss: list[Cvss] = []
        for i, entry in enumerate(array_at(fields, "ratings", self.path, where)):
            at = f"{where}/ratings/{i}"
            rating = expect_object(entry, self.path, at)
            severity = string_at(rating, "severity", self.path, at)
            if severity:
                severities.append(Severity.parse(severity))
            method = string_at(rating, "method", self.path, at)
            if method in _CVSS_METHODS:
                source = expect_object(rating.get("source"), self.path, f"{at}/source", optional=True)
                cvss.append(
                    Cvss(
                        source=expect_string(source.get("name"), self.path, f"{at}/source/name") or "",
                        version=_CVSS_METHODS[method],
                        vector=string_at(rating, "vector", self.path, at),
                        score=expect_number(rating.get("score"), self.path, f"{at}/score"),
                    )
                )
        return severities, cvss

    def _finding(
        self, facts: dict[str, Any], ref: str, by_ref: dict[str, Component], where: str
    ) -> VulnerabilityFinding:
        # A BOM-Link (`urn:cdx:<serial>/<version>#<bom-ref>`) points into another BOM, often the SBOM a VEX
        # accompanies; its fragment is the bom-ref there, and usually a purl.
        local_ref = ref.partition("#")[2] if ref.startswith("urn:cdx:") and "#" in ref else ref
        component = by_ref.get(ref) or by_ref.get(local_ref)
        if component is not None:
            purl = component.purl
            package, version = component.name, component.version
        else:
            purl = local_ref if local_ref.startswith("pkg:") else None
            package, version = _purl_name_version(local_ref) if purl else (local_ref, None)
        return VulnerabilityFinding(
            package=package,
            installed_version=version,
            purl=purl,
            package_type=_purl_type(purl),
            layer=component.layer if component else None,
            location=where,
            **facts,
        )


def _purl_type(purl: str | None) -> str | None:
    """`deb` for `pkg:deb/debian/openssl@3.0.11`."""
    if not purl or not purl.startswith("pkg:"):
        return None
    return purl[4:].lstrip("/").partition("/")[0] or None


def _purl_name_version(purl: str) -> tuple[str, str | None]:
    """The name and version of a package URL, percent-decoded."""
    path = purl.partition("#")[0].partition("?")[0]
    path, _, version = path.partition("@")
    return unquote(path.rstrip("/").rpartition("/")[2]) or purl, unquote(version) or None
