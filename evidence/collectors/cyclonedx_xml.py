"""CycloneDX XML SBOMs, spec 1.0 to 1.6, read into the same records as CycloneDX JSON (see cyclonedx.py).

Vulnerabilities come from the `vulnerabilities` element (spec 1.4 on) or from the older vulnerability extension
1.0, whose `v:vulnerabilities` sit inside the component they affect (grype 0.11 wrote it). XML is parsed only
through defusedxml, with DTDs refused: CycloneDX never uses one, and entity declarations are how XML bombs and
external-entity reads work. Locations are XPath-like, `/bom/components/component[3]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from evidence.collectors._util import parse_time
from evidence.collectors.cyclonedx import (
    CVSS_METHODS,
    LAYER_PROPERTIES,
    SUBJECT_PROPERTIES,
    Analysis,
    finding_for,
    finding_on,
    layer_of,
    subject_digests,
    vex_products,
    vex_statement,
)
from evidence.collectors.interface import CollectorError, Document
from evidence.model import Component, Cvss, Evidence, EvidenceKind, Severity, VexStatement, VulnerabilityFinding

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

SUPPORTED_SPEC_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6")
BOM_NAMESPACE = "http://cyclonedx.org/schema/bom/"
VULNERABILITY_EXTENSION = "{http://cyclonedx.org/schema/ext/vulnerability/1.0}"
# Spec 1.1 carried the dependency graph as an extension; 1.2 made it part of the BOM.
DEPENDENCY_EXTENSION = "{http://cyclonedx.org/schema/ext/dependency-graph/1.0}"

_SNIFF_BYTES = 8192
# Nested components are read with an explicit stack, but each carries its XPath-like location, whose length
# grows with the depth: an unbounded depth would cost memory quadratic in the file size.
MAX_DEPTH = 256
# The root element, with or without a prefix, declaring a CycloneDX BOM namespace.
_ROOT_RE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?bom[\s>][^>]*?=\s*[\"']http://cyclonedx\.org/schema/bom/(\d+\.\d+)[\"']"
)

_DECIMAL_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class CycloneDxXml:
    name = "cyclonedx-xml"

    def sniff(self, doc: Document) -> bool:
        return not doc.looks_like_json and _ROOT_RE.search(doc.data[:_SNIFF_BYTES]) is not None

    def parse(self, doc: Document) -> Evidence:
        return _Reader(doc.path).read(doc)


def parse_xml(doc: Document) -> Element:
    """The document's root element; a DTD (and so any entity declaration) is refused before it is read."""
    from defusedxml import DefusedXmlException  # noqa: PLC0415 (kept off the CLI's import path)
    from defusedxml.ElementTree import ParseError, fromstring  # noqa: PLC0415

    # Text decoded by its byte-order mark goes to expat as text: its XML declaration still names the encoding of
    # the bytes read (or the UTF-8 the tool wrote before a shell re-encoded it), and expat cannot read UTF-32.
    source = doc.data if doc.encoding is None else doc.data.decode("utf-8")
    try:
        root = fromstring(source, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise CollectorError(doc.path, f"XML with a DTD or entity declarations is refused ({e})") from e
    except ParseError as e:
        raise CollectorError(doc.path, f"not well-formed XML: {e}") from e
    except (ValueError, LookupError) as e:  # an encoding expat cannot read
        raise CollectorError(doc.path, f"unreadable XML: {e}") from e
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CollectorError(doc.path, f"XML nested deeper than {MAX_DEPTH} elements is refused")
        stack.extend((child, depth + 1) for child in element)
    return root


class _Reader:
    """One parse of one document; `self.ns` is the BOM's namespace in ElementTree's `{uri}` form."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.ns = ""

    def read(self, doc: Document) -> Evidence:
        root = parse_xml(doc)
        namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
        if local != "bom" or not namespace.startswith(BOM_NAMESPACE):
            raise CollectorError(self.path, f"the root element is {root.tag!r}, not a CycloneDX <bom>")
        spec = namespace.removeprefix(BOM_NAMESPACE)
        if spec not in SUPPORTED_SPEC_VERSIONS:
            raise CollectorError(
                self.path,
                f"CycloneDX XML spec {spec!r} is recognized but not supported "
                f"(supported: {', '.join(SUPPORTED_SPEC_VERSIONS)})",
            )
        self.ns = "{" + namespace + "}"
        metadata = root.find(self.ns + "metadata")
        tool, tool_version = self._tool(metadata)
        depends_on = self._dependencies(root)
        described = metadata.find(self.ns + "component") if metadata is not None else None
        subject: tuple[Component, ...] = ()
        subjects: tuple[str, ...] = ()
        if described is not None:
            where = "/bom/metadata/component"
            hashes = self._hashes(described)
            subjects = subject_digests(
                self._text(described, "version"),
                self._text(described, "purl"),
                hashes,
                [value for _, value in self._properties(described, SUBJECT_PROPERTIES)],
            )
            if self._text(described, "name"):
                subject = (self._component(described, where, depends_on),)
        components, extension_findings = self._components(root, depends_on)
        timestamp = self._text(metadata, "timestamp") if metadata is not None else None
        statements = self._statements(root, metadata, subject, components, subjects)
        vex = bool(statements) and not components  # only analyses of vulnerabilities: a VEX, as in JSON
        return doc.evidence(
            kind=EvidenceKind.VEX if vex else EvidenceKind.SBOM,
            format="CycloneDX XML VEX" if vex else "CycloneDX XML",
            format_version=spec,
            tool=tool,
            tool_version=tool_version,
            subjects=subjects,
            collected_at=parse_time(timestamp),
            components=components,
            vulnerabilities=extension_findings + self._vulnerabilities(root, subject + components),
            statements=statements,
        )

    def _statements(
        self,
        root: Element,
        metadata: Element | None,
        subject: tuple[Component, ...],
        components: tuple[Component, ...],
        subjects: tuple[str, ...],
    ) -> tuple[VexStatement, ...]:
        """A VEX statement for each vulnerability whose `analysis` has a state (mapped as in cyclonedx.py)."""
        by_ref = {c.ref: c for c in reversed(subject + components) if c.ref}
        issued = parse_time(self._text(metadata, "timestamp")) if metadata is not None else None
        authors = [a for _, a in self._children(metadata, "authors", "author", "")] if metadata is not None else []
        supplier = metadata.find(self.ns + "supplier") if metadata is not None else None
        author = next((name for a in authors if (name := self._text(a, "name"))), None) or (
            self._text(supplier, "name") if supplier is not None else None
        )
        statements: list[VexStatement] = []
        for where, entry in self._children(root, "vulnerabilities", "vulnerability", "/bom"):
            analysis = entry.find(self.ns + "analysis")
            state = self._text(analysis, "state") if analysis is not None else None
            if analysis is None or state is None:
                continue
            facts = self._vulnerability_facts(entry, where)
            refs = [self._require(t, "ref", at) for at, t in self._children(entry, "affects", "target", where)]
            claim = Analysis(
                vulnerability=facts["id"],
                aliases=facts["aliases"],
                products=vex_products(refs, by_ref, subject[0] if subject else None, subjects),
                state=state,
                justification=self._text(analysis, "justification"),
                responses=tuple(
                    r for _, e in self._children(analysis, "responses", "response", "") if (r := _text_of(e))
                ),
                detail=self._text(analysis, "detail"),
                recommendation=self._text(entry, "recommendation"),
                timestamp=parse_time(self._text(analysis, "lastUpdated"))
                or parse_time(self._text(analysis, "firstIssued"))
                or issued,
                author=author,
            )
            statements.append(vex_statement(self.path, claim, where))
        return tuple(statements)

    # --- reading elements ---

    def _children(self, parent: Element, wrapper: str, name: str, where: str) -> Iterator[tuple[str, Element]]:
        """The `name` children of `parent/wrapper`, each with its XPath (`{where}/{wrapper}/{name}[i]`)."""
        holder = parent.find(self.ns + wrapper)
        if holder is None:
            return
        for i, child in enumerate(holder.findall(self.ns + name), start=1):
            yield f"{where}/{wrapper}/{name}[{i}]", child

    def _text(self, parent: Element, name: str) -> str | None:
        child = parent.find(self.ns + name)
        return _text_of(child)

    def _require(self, parent: Element, name: str, where: str) -> str:
        text = self._text(parent, name)
        if text is None:
            raise CollectorError(self.path, f"{where}/{name} is required but missing or empty")
        return text

    # --- the BOM ---

    def _tool(self, metadata: Element | None) -> tuple[str | None, str | None]:
        """The first named tool: `<tool>` entries before spec 1.5, `<components>`/`<services>` from 1.5 on."""
        tools = metadata.find(self.ns + "tools") if metadata is not None else None
        if tools is None:
            return None, None
        entries = [
            *tools.findall(self.ns + "tool"),
            *tools.findall(f"{self.ns}components/{self.ns}component"),
            *tools.findall(f"{self.ns}services/{self.ns}service"),
        ]
        for entry in entries:
            name = self._text(entry, "name")
            if name:
                return name, self._text(entry, "version")
        return None, None

    def _components(
        self, root: Element, depends_on: dict[str, tuple[str, ...]]
    ) -> tuple[tuple[Component, ...], tuple[VulnerabilityFinding, ...]]:
        """Every component, nested ones included, in document order; and the findings of the vulnerability
        extension, which sit inside the component they affect."""
        # An explicit stack, not recursion: nesting depth is the file author's choice.
        stack = list(self._children(root, "components", "component", "/bom"))
        stack.reverse()
        components: list[Component] = []
        findings: list[VulnerabilityFinding] = []
        while stack:
            where, element = stack.pop()
            component = self._component(element, where, depends_on)
            components.append(component)
            findings += self._extension_findings(element, where, component)
            nested = list(self._children(element, "components", "component", where))
            stack.extend(reversed(nested))
        return tuple(components), tuple(findings)

    def _component(self, element: Element, where: str, depends_on: dict[str, tuple[str, ...]]) -> Component:
        ref = _blank_to_none(element.get("bom-ref"))
        return Component(
            name=self._require(element, "name", where),
            version=self._text(element, "version"),
            purl=self._text(element, "purl"),
            type=_blank_to_none(element.get("type")),
            licenses=self._licenses(element),
            supplier=self._supplier(element),
            hashes=self._hashes(element),
            layer=layer_of(self._properties(element, LAYER_PROPERTIES)),
            ref=ref,
            depends_on=depends_on.get(ref, ()) if ref else (),
            location=where,
        )

    def _licenses(self, element: Element) -> tuple[str, ...]:
        holder = element.find(self.ns + "licenses")
        if holder is None:
            return ()
        found: list[str] = []
        for choice in holder:
            if choice.tag == self.ns + "expression":
                text = _text_of(choice)
            elif choice.tag == self.ns + "license":
                text = self._text(choice, "id") or self._text(choice, "name")
            else:
                continue
            if text:
                found.append(text)
        return tuple(found)

    def _supplier(self, element: Element) -> str | None:
        supplier = element.find(self.ns + "supplier")
        name = self._text(supplier, "name") if supplier is not None else None
        # Syft writes the package maintainer as `publisher` and no supplier, as in the JSON collector.
        return name or self._text(element, "publisher")

    def _hashes(self, element: Element) -> dict[str, str]:
        hashes: dict[str, str] = {}
        for _, entry in self._children(element, "hashes", "hash", ""):
            alg = _blank_to_none(entry.get("alg"))
            content = _text_of(entry)
            if alg and content:
                hashes[alg] = content
        return hashes

    def _properties(self, element: Element, wanted: tuple[str, ...]) -> list[tuple[str, str]]:
        """The properties with a wanted name, in file order."""
        found: list[tuple[str, str]] = []
        for _, entry in self._children(element, "properties", "property", ""):
            name = entry.get("name")
            value = _text_of(entry)
            if name in wanted and value:
                found.append((name, value))
        return found

    def _dependencies(self, root: Element) -> dict[str, tuple[str, ...]]:
        graph: dict[str, tuple[str, ...]] = {}
        for namespace, wrapper in ((self.ns, "/bom/dependencies"), (DEPENDENCY_EXTENSION, "/bom/dg:dependencies")):
            holder = root.find(namespace + "dependencies")
            if holder is None:
                continue
            item = "dependency" if namespace == self.ns else "dg:dependency"
            for i, entry in enumerate(holder.findall(namespace + "dependency"), start=1):
                ref = _blank_to_none(entry.get("ref"))
                if ref is None:
                    raise CollectorError(self.path, f"{wrapper}/{item}[{i}]/@ref is required but missing or empty")
                targets = [_blank_to_none(child.get("ref")) for child in entry.findall(namespace + "dependency")]
                graph[ref] = graph.get(ref, ()) + tuple(t for t in targets if t)
        return graph

    # --- vulnerabilities ---

    def _vulnerabilities(self, root: Element, components: tuple[Component, ...]) -> tuple[VulnerabilityFinding, ...]:
        by_ref = {c.ref: c for c in reversed(components) if c.ref}  # the first of a repeated bom-ref wins
        findings: list[VulnerabilityFinding] = []
        for where, entry in self._children(root, "vulnerabilities", "vulnerability", "/bom"):
            facts = self._vulnerability_facts(entry, where)
            targets = list(self._children(entry, "affects", "target", where))
            if not targets:
                # A vulnerability that names no component is still reported, with no package.
                findings.append(VulnerabilityFinding(package="", location=where, **facts))
            for at, target in targets:
                findings.append(finding_for(facts, self._require(target, "ref", at), by_ref, at))
        return tuple(findings)

    def _vulnerability_facts(self, entry: Element, where: str) -> dict[str, Any]:
        """What a `vulnerability` element (spec 1.4 on) says independent of the component it affects."""
        aliases = [
            alias
            for _, reference in self._children(entry, "references", "reference", "")
            if (alias := self._text(reference, "id"))
        ]
        severities: list[Severity] = []
        cvss: list[Cvss] = []
        for at, rating in self._children(entry, "ratings", "rating", where):
            severity = self._text(rating, "severity")
            if severity:
                severities.append(Severity.parse(severity))
            method = self._text(rating, "method")
            if method in CVSS_METHODS:
                source = rating.find(self.ns + "source")
                cvss.append(
                    Cvss(
                        source=(self._text(source, "name") if source is not None else None) or "",
                        version=CVSS_METHODS[method],
                        vector=self._text(rating, "vector"),
                        score=self._number(rating.find(self.ns + "score"), f"{at}/score"),
                    )
                )
        source = entry.find(self.ns + "source")
        return {
            "id": self._require(entry, "id", where),
            "aliases": tuple(dict.fromkeys(aliases)),
            "severity": max(severities, key=lambda s: s.rank, default=Severity.UNKNOWN),
            "cvss": tuple(dict.fromkeys(cvss)),
            "description": self._text(entry, "description") or self._text(entry, "detail"),
            "published": parse_time(self._text(entry, "published")),
            "data_source": (self._text(source, "url") or self._text(source, "name")) if source is not None else None,
        }

    def _extension_findings(self, element: Element, where: str, component: Component) -> list[VulnerabilityFinding]:
        """Findings of the vulnerability extension 1.0 inside one component; each affects that component."""
        v = VULNERABILITY_EXTENSION
        holder = element.find(v + "vulnerabilities")
        if holder is None:
            return []
        findings: list[VulnerabilityFinding] = []
        for i, entry in enumerate(holder.findall(v + "vulnerability"), start=1):
            at = f"{where}/v:vulnerabilities/v:vulnerability[{i}]"
            identifier = _text_of(entry.find(v + "id"))
            if identifier is None:
                raise CollectorError(self.path, f"{at}/v:id is required but missing or empty")
            severities: list[Severity] = []
            cvss: list[Cvss] = []
            for j, rating in enumerate(entry.findall(f"{v}ratings/{v}rating"), start=1):
                severity = _text_of(rating.find(v + "severity"))
                if severity:
                    severities.append(Severity.parse(severity))
                method = _text_of(rating.find(v + "method"))
                if method in CVSS_METHODS:
                    score_at = f"{at}/v:ratings/v:rating[{j}]/v:score/v:base"
                    cvss.append(
                        Cvss(
                            source="",
                            version=CVSS_METHODS[method],
                            vector=_text_of(rating.find(v + "vector")),
                            score=self._number(rating.find(f"{v}score/{v}base"), score_at),
                        )
                    )
            source = entry.find(v + "source")
            facts: dict[str, Any] = {
                "id": identifier,
                "severity": max(severities, key=lambda s: s.rank, default=Severity.UNKNOWN),
                "cvss": tuple(dict.fromkeys(cvss)),
                "description": _text_of(entry.find(v + "description")),
                "data_source": (_text_of(source.find(v + "url")) or _blank_to_none(source.get("name")))
                if source is not None
                else None,
            }
            findings.append(finding_on(facts, component, at))
        return findings

    def _number(self, element: Element | None, where: str) -> float | None:
        text = _text_of(element)
        if text is None:
            return None
        if not _DECIMAL_RE.fullmatch(text):
            raise CollectorError(self.path, f"{where} should be a number, found {text[:40]!r}")
        return float(text)


def _text_of(element: Element | None) -> str | None:
    """An element's own text, stripped; None when absent or blank."""
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None
