"""CycloneDX JSON SBOMs, spec 1.2 to 1.7, with any vulnerabilities they carry (including VEX-only BOMs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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
from evidence.model import Component, Cvss, Evidence, EvidenceKind, Severity, VexStatement, VulnerabilityFinding

SUPPORTED_SPEC_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6", "1.7")

# Properties naming the layer a component was found in, most specific first.
LAYER_PROPERTIES = ("aquasecurity:trivy:LayerDiffID", "syft:location:0:layerID")
SUBJECT_PROPERTIES = ("aquasecurity:trivy:RepoDigest", "aquasecurity:trivy:ImageID")
CVSS_METHODS = {"CVSSv2": "2.0", "CVSSv3": "3.0", "CVSSv31": "3.1", "CVSSv4": "4.0"}


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
        statements = self._statements(bom, metadata, subject[0] if subject else None, components)
        # A BOM that only carries analyses of vulnerabilities is a VEX; one that lists components stays an SBOM.
        vex = bool(statements) and not components
        return doc.evidence(
            kind=EvidenceKind.VEX if vex else EvidenceKind.SBOM,
            format="CycloneDX VEX" if vex else "CycloneDX JSON",
            format_version=spec,
            tool=tool,
            tool_version=tool_version,
            subjects=self._subjects(metadata),
            collected_at=parse_time(expect_string(metadata.get("timestamp"), self.path, "/metadata/timestamp")),
            components=components,
            vulnerabilities=self._vulnerabilities(bom, subject + components),
            statements=statements,
        )

    def _statements(
        self,
        bom: dict[str, Any],
        metadata: dict[str, Any],
        described: Component | None,
        components: tuple[Component, ...],
    ) -> tuple[VexStatement, ...]:
        """A VEX statement for each vulnerability that carries an `analysis` with a state."""
        subjects = self._subjects(metadata)
        issued = parse_time(string_at(metadata, "timestamp", self.path, "/metadata"))
        author = self._author(metadata)
        entries = expect_array(bom.get("vulnerabilities"), self.path, "/vulnerabilities")
        known = (described, *components) if described else components
        by_ref = {c.ref: c for c in reversed(known) if c.ref} if entries else {}
        statements: list[VexStatement] = []
        for i, entry in enumerate(entries):
            where = pointer("vulnerabilities", i)
            fields = expect_object(entry, self.path, where)
            at = f"{where}/analysis"
            analysis = expect_object(fields.get("analysis"), self.path, at, optional=True)
            state = string_at(analysis, "state", self.path, at)
            if state is None:
                continue
            refs = [
                require_string(
                    expect_object(target, self.path, f"{where}/affects/{j}").get("ref"),
                    self.path,
                    f"{where}/affects/{j}/ref",
                )
                for j, target in enumerate(array_at(fields, "affects", self.path, where))
            ]
            facts = self._vulnerability_facts(fields, where)
            claim = Analysis(
                vulnerability=facts["id"],
                aliases=facts["aliases"],
                products=vex_products(refs, by_ref, described, subjects),
                state=state,
                justification=string_at(analysis, "justification", self.path, at),
                responses=tuple(expect_strings(analysis.get("response"), self.path, f"{at}/response")),
                detail=string_at(analysis, "detail", self.path, at),
                recommendation=string_at(fields, "recommendation", self.path, where),
                timestamp=parse_time(string_at(analysis, "lastUpdated", self.path, at))
                or parse_time(string_at(analysis, "firstIssued", self.path, at))
                or issued,
                author=author,
            )
            statements.append(vex_statement(self.path, claim, where))
        return tuple(statements)

    def _author(self, metadata: dict[str, Any]) -> str | None:
        """Who made the document: its first named author, else its supplier."""
        for i, entry in enumerate(array_at(metadata, "authors", self.path, "/metadata")):
            name = string_at(
                expect_object(entry, self.path, f"/metadata/authors/{i}"), "name", self.path, f"/metadata/authors/{i}"
            )
            if name:
                return name
        supplier = expect_object(metadata.get("supplier"), self.path, "/metadata/supplier", optional=True)
        return string_at(supplier, "name", self.path, "/metadata/supplier")

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
        return subject_digests(
            string_at(subject, "version", self.path, where),
            string_at(subject, "purl", self.path, where),
            self._hashes(subject, where),
            [value for _, value in self._properties(subject, where, SUBJECT_PROPERTIES)],
        )

    def _components(self, bom: dict[str, Any], depends_on: dict[str, tuple[str, ...]]) -> tuple[Component, ...]:
        # An explicit stack, not recursion: nesting depth is the file author's choice.
        stack: list[tuple[str, Any]] = [
            (f"/components/{i}", c) for i, c in enumerate(expect_array(bom.get("components"), self.path, "/components"))
        ]
        stack.reverse()
        components: list[Component] = []
        while stack:
            where, entry = stack.pop()
            fields = expect_object(entry, self.path, where)
            try:
                component = usual_component(fields, where, depends_on)
            except UnusualValue:  # the checked reading names what is wrong, or reads what is merely unusual
                component = self._component(fields, where, depends_on)
            components.append(component)
            nested = array_at(fields, "components", self.path, where)
            if nested:
                stack.extend((f"{where}/components/{i}", c) for i, c in reversed(list(enumerate(nested))))
        return tuple(components)

    def _component(self, fields: dict[str, Any], where: str, depends_on: dict[str, tuple[str, ...]]) -> Component:
        ref = string_at(fields, "bom-ref", self.path, where)
        return Component(
            name=require_string(fields.get("name"), self.path, f"{where}/name"),
            version=string_at(fields, "version", self.path, where),
            purl=string_at(fields, "purl", self.path, where),
            type=string_at(fields, "type", self.path, where),
            licenses=self._licenses(fields, where),
            supplier=self._supplier(fields, where),
            hashes=self._hashes(fields, where),
            layer=layer_of(self._properties(fields, where, LAYER_PROPERTIES)),
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
            try:
                ref, targets = usual_dependency(entry)
            except UnusualValue:  # the checked reading names what is wrong, or reads what is merely unusual
                ref, targets = self._dependency(entry, f"/dependencies/{i}")
            graph[ref] = graph[ref] + targets if ref in graph else targets
        return graph

    def _dependency(self, entry: object, where: str) -> tuple[str, tuple[str, ...]]:
        """A `dependencies` entry: the ref of a component, and the refs of those it depends on."""
        fields = expect_object(entry, self.path, where)
        ref = require_string(fields.get("ref"), self.path, f"{where}/ref")
        return ref, tuple(expect_strings(fields.get("dependsOn"), self.path, f"{where}/dependsOn"))

    def _vulnerabilities(
        self, bom: dict[str, Any], components: tuple[Component, ...]
    ) -> tuple[VulnerabilityFinding, ...]:
        entries = expect_array(bom.get("vulnerabilities"), self.path, "/vulnerabilities")
        # The first of a repeated bom-ref wins. Not built for an SBOM without vulnerabilities (most of them).
        by_ref = {c.ref: c for c in reversed(components) if c.ref} if entries else {}
        findings: list[VulnerabilityFinding] = []
        for i, entry in enumerate(entries):
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
                findings.append(finding_for(facts, ref, by_ref, at))
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
            if method in CVSS_METHODS:
                source = expect_object(rating.get("source"), self.path, f"{at}/source", optional=True)
                cvss.append(
                    Cvss(
                        source=expect_string(source.get("name"), self.path, f"{at}/source/name") or "",
                        version=CVSS_METHODS[method],
                        vector=string_at(rating, "vector", self.path, at),
                        score=expect_number(rating.get("score"), self.path, f"{at}/score"),
                    )
                )
        return severities, cvss


class UnusualValue(Exception):  # noqa: N818 - control flow between the two readings of a component
    """A component holds a value of a type `usual_component` does not read: `_Reader._component` reads it."""


def usual_component(fields: dict[str, Any], where: str, depends_on: dict[str, tuple[str, ...]]) -> Component:
    """A component whose fields are all of the usual types, read as `_Reader._component` reads it, in one pass
    with no JSON pointer built: that reading takes most of the time of a large SBOM.

    Any value of another type (which is either an error or an oddity the checked reading handles) raises
    `UnusualValue`, and the component is read again by `_Reader._component`, which says where the error is.
    """
    ref = _usual_text(fields.get("bom-ref"))
    name = fields.get("name")
    if type(name) is not str or not name or name.isspace():
        raise UnusualValue
    return Component(
        name=name,
        version=_usual_text(fields.get("version")),
        purl=_usual_text(fields.get("purl")),
        type=_usual_text(fields.get("type")),
        licenses=_usual_licenses(fields),
        supplier=_usual_text(_usual_object(fields.get("supplier")).get("name")) or _usual_text(fields.get("publisher")),
        hashes=_usual_hashes(fields),
        layer=_usual_layer(fields),
        ref=ref,
        depends_on=depends_on.get(ref, ()) if ref else (),
        location=where,
    )


def usual_dependency(entry: object) -> tuple[str, tuple[str, ...]]:
    """A `dependencies` entry of the usual types, read as `_Reader._dependency` reads it; `UnusualValue` for any
    other (a blank ref among those it depends on included: the checked reading drops it)."""
    if type(entry) is not dict:
        raise UnusualValue
    ref = entry.get("ref")
    if type(ref) is not str or not ref or ref.isspace():
        raise UnusualValue
    targets = _usual_list(entry.get("dependsOn"))
    kept = tuple([target for target in targets if type(target) is str and target and not target.isspace()])
    if len(kept) != len(targets):
        raise UnusualValue
    return ref, kept


def _usual_licenses(fields: dict[str, Any]) -> tuple[str, ...]:
    licenses: list[str] = []
    for choice in _usual_list(fields.get("licenses")):
        if type(choice) is not dict:
            raise UnusualValue
        expression = _usual_text(choice.get("expression"))
        if expression:
            licenses.append(expression)
            continue
        license_ = _usual_object(choice.get("license"))
        text = _usual_text(license_.get("id")) or _usual_text(license_.get("name"))
        if text:
            licenses.append(text)
    return tuple(licenses)


def _usual_hashes(fields: dict[str, Any]) -> dict[str, str]:
    hashes: dict[str, str] = {}
    for pair in _usual_list(fields.get("hashes")):
        if type(pair) is not dict:
            raise UnusualValue
        alg, content = _usual_text(pair.get("alg")), _usual_text(pair.get("content"))
        if alg and content:
            hashes[alg] = content
    return hashes


def _usual_layer(fields: dict[str, Any]) -> str | None:
    layers: list[tuple[str, str]] = []
    for entry in _usual_list(fields.get("properties")):
        if type(entry) is not dict:
            raise UnusualValue
        name = entry.get("name")
        if name in LAYER_PROPERTIES:
            value = _usual_text(entry.get("value"))
            if value:
                layers.append((name, value))
    return layer_of(layers) if layers else None


def _usual_text(value: object) -> str | None:
    """A string as `string_at` reads it (blank is None), or None for null or absent; `UnusualValue` for others."""
    if type(value) is str:
        return value if value and not value.isspace() else None
    if value is None:
        return None
    raise UnusualValue


def _usual_list(value: object) -> list[Any]:
    if type(value) is list:
        return value
    if value is None:
        return []
    raise UnusualValue


def _usual_object(value: object) -> dict[str, Any]:
    if type(value) is dict:
        return value
    if value is None:
        return {}
    raise UnusualValue


def subject_digests(
    version: str | None, purl: str | None, hashes: dict[str, str], property_values: list[str]
) -> tuple[str, ...]:
    """Image digests named by the component a BOM describes: in its version (`sha256:...`), an OCI purl,
    a SHA-256 hash (the image's own digest), or a scanner's image properties."""
    found = digests_in(version)
    if purl and purl.startswith("pkg:oci/"):
        found += digests_in_reference(purl)
    for alg, content in hashes.items():
        if alg.upper() == "SHA-256" and DIGEST_RE.fullmatch(digest := f"sha256:{content.lower()}"):
            found.append(digest)
    for value in property_values:
        found += digests_in(value)
    return tuple(dict.fromkeys(found))


def layer_of(properties: list[tuple[str, str]]) -> str | None:
    """The layer a component was found in, from its layer properties (name, value) in file order."""
    for wanted in LAYER_PROPERTIES:
        for name, value in properties:  # the first of a repeated name wins
            if name == wanted:
                return value
    return None


def finding_for(facts: dict[str, Any], ref: str, by_ref: dict[str, Component], where: str) -> VulnerabilityFinding:
    """A vulnerability's finding on the component a `ref` names, or on the package the ref itself names."""
    # A BOM-Link (`urn:cdx:<serial>/<version>#<bom-ref>`) points into another BOM, often the SBOM a VEX
    # accompanies; its fragment is the bom-ref there, and usually a purl.
    local_ref = ref.partition("#")[2] if ref.startswith("urn:cdx:") and "#" in ref else ref
    component = by_ref.get(ref) or by_ref.get(local_ref)
    if component is not None:
        return finding_on(facts, component, where)
    purl = local_ref if local_ref.startswith("pkg:") else None
    package, version = _purl_name_version(local_ref) if purl else (local_ref, None)
    return VulnerabilityFinding(
        package=package, installed_version=version, purl=purl, package_type=purl_type(purl), location=where, **facts
    )


def finding_on(facts: dict[str, Any], component: Component, where: str) -> VulnerabilityFinding:
    return VulnerabilityFinding(
        package=component.name,
        installed_version=component.version,
        purl=component.purl,
        package_type=purl_type(component.purl),
        layer=component.layer,
        location=where,
        **facts,
    )


def purl_type(purl: str | None) -> str | None:
    """`deb` for `pkg:deb/debian/openssl@3.0.11`."""
    if not purl or not purl.startswith("pkg:"):
        return None
    return purl[4:].lstrip("/").partition("/")[0] or None


def _purl_name_version(purl: str) -> tuple[str, str | None]:
    """The name and version of a package URL, percent-decoded."""
    path = purl.partition("#")[0].partition("?")[0]
    path, _, version = path.partition("@")
    return unquote(path.rstrip("/").rpartition("/")[2]) or purl, unquote(version) or None


# CycloneDX analysis states and justifications in OpenVEX terms. The CycloneDX words are kept in the
# statement's impact statement, as the mapping loses detail (four protections become one justification).
VEX_STATUS = {
    "not_affected": "not_affected",
    "false_positive": "not_affected",
    "resolved": "fixed",
    "resolved_with_pedigree": "fixed",
    "exploitable": "affected",
    "in_triage": "under_investigation",
}
VEX_JUSTIFICATION = {
    "code_not_present": "vulnerable_code_not_present",
    "code_not_reachable": "vulnerable_code_not_in_execute_path",
    "requires_configuration": "vulnerable_code_cannot_be_controlled_by_adversary",
    "requires_dependency": "component_not_present",
    "requires_environment": "vulnerable_code_cannot_be_controlled_by_adversary",
    "protected_by_compiler": "inline_mitigations_already_exist",
    "protected_at_runtime": "inline_mitigations_already_exist",
    "protected_at_perimeter": "inline_mitigations_already_exist",
    "protected_by_mitigating_control": "inline_mitigations_already_exist",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    """A vulnerability's `analysis` (its VEX) and what it is about, as read from CycloneDX JSON or XML."""

    vulnerability: str
    aliases: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    state: str
    justification: str | None = None
    responses: tuple[str, ...] = ()
    detail: str | None = None
    recommendation: str | None = None
    timestamp: datetime | None = None  # lastUpdated, else firstIssued, else the document's timestamp
    author: str | None = None


def vex_statement(path: str, analysis: Analysis, where: str) -> VexStatement:
    """The OpenVEX statement a CycloneDX analysis makes; the original state and justification stay readable."""
    status = VEX_STATUS.get(analysis.state)
    if status is None:
        raise CollectorError(path, f"{where}: analysis state {analysis.state!r} is not one CycloneDX defines")
    lossy = analysis.state in ("false_positive", "resolved_with_pedigree")
    impact = [f"CycloneDX state: {analysis.state}"] if lossy else []
    impact += [f"CycloneDX justification: {analysis.justification}"] if analysis.justification else []
    impact += [analysis.detail] if analysis.detail else []
    action = ["CycloneDX response: " + ", ".join(analysis.responses)] if analysis.responses else []
    action += [analysis.recommendation] if analysis.recommendation and status == "affected" else []
    return VexStatement(
        vulnerability=analysis.vulnerability,
        aliases=analysis.aliases,
        products=analysis.products,
        status=status,
        justification=VEX_JUSTIFICATION.get(analysis.justification or ""),
        impact_statement="; ".join(impact) or None,
        action_statement="; ".join(action) or None,
        timestamp=analysis.timestamp,
        author=analysis.author,
        location=where,
    )


def vex_products(
    refs: list[str], by_ref: dict[str, Component], described: Component | None, subjects: tuple[str, ...]
) -> tuple[str, ...]:
    """What a statement is about: each affected component as a purl where one is known (else its ref), then
    the product the BOM describes, by purl and by image digest."""
    products: list[str] = []
    for ref in refs:
        local_ref = ref.partition("#")[2] if ref.startswith("urn:cdx:") and "#" in ref else ref
        component = by_ref.get(ref) or by_ref.get(local_ref)
        if component is not None and component.purl:
            products.append(component.purl)
        else:
            products.append(local_ref if local_ref.startswith("pkg:") else ref)
    if described is not None and described.purl:
        products.append(described.purl)
    return tuple(dict.fromkeys([*products, *subjects]))
