"""The CycloneDX XML, SPDX (JSON and tag-value) and Syft JSON collectors, against the real corpus and
hand-made broken files.

Expected counts are computed here by walking each file directly (ElementTree through defusedxml for XML, the
parsed JSON, the `PackageName:` lines of tag-value), never by calling the collectors.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import orjson
import pytest
from conftest import CORPUS, corpus_files
from defusedxml.ElementTree import fromstring
from json_variants import json_nodes, json_replaced

from evidence.collectors import COLLECTORS
from evidence.collectors.cyclonedx import CycloneDxJson
from evidence.collectors.cyclonedx_xml import CycloneDxXml
from evidence.collectors.interface import Collector, CollectorError, Document
from evidence.collectors.spdx import SpdxJson, SpdxTagValue
from evidence.collectors.syft import SyftJson
from evidence.model import Cvss, Evidence, EvidenceKind, Severity

CDX_XML: Collector = CycloneDxXml()
SPDX_JSON: Collector = SpdxJson()
SPDX_TAG_VALUE: Collector = SpdxTagValue()
SYFT: Collector = SyftJson()
MINE = (CDX_XML, SPDX_JSON, SPDX_TAG_VALUE, SYFT)

XML_FILES = corpus_files("cyclonedx", ".xml")
SPDX_JSON_FILES = [p for p in corpus_files("spdx") if p.read_bytes().lstrip()[:1] == b"{"]
SPDX_TAG_VALUE_FILES = [p for p in corpus_files("spdx") if p not in SPDX_JSON_FILES]
SYFT_FILES = corpus_files("syft-json")
MY_FILES = XML_FILES + SPDX_JSON_FILES + SPDX_TAG_VALUE_FILES + SYFT_FILES
ALL_FILES = [p for p in corpus_files("") if p.name != "PROVENANCE.md"]

XML_EXT = "{http://cyclonedx.org/schema/ext/vulnerability/1.0}"
XML_PREFIXES = {"v": XML_EXT}


def _doc(path: Path) -> Document:
    return Document(path=path.relative_to(CORPUS).as_posix(), data=path.read_bytes())


def _parse(collector: Collector, path: Path) -> Evidence:
    doc = _doc(path)
    assert collector.sniff(doc)
    return collector.parse(doc)


def _raw(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _resolve(data: Any, location: str) -> Any:
    for part in location.split("/")[1:]:
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


# --- which collector claims which file ---


def test_the_file_lists_are_not_empty() -> None:
    assert (len(XML_FILES), len(SPDX_JSON_FILES), len(SPDX_TAG_VALUE_FILES), len(SYFT_FILES)) == (1, 4, 2, 4)


_MY_FORMAT = {
    **dict.fromkeys(XML_FILES, "cyclonedx-xml"),
    **dict.fromkeys(SPDX_JSON_FILES, "spdx-json"),
    **dict.fromkeys(SPDX_TAG_VALUE_FILES, "spdx-tag-value"),
    **dict.fromkeys(SYFT_FILES, "syft-json"),
}


@pytest.mark.parametrize("path", ALL_FILES, ids=[p.relative_to(CORPUS).as_posix() for p in ALL_FILES])
def test_these_formats_are_claimed_by_exactly_their_collector(path: Path) -> None:
    """Each file of these formats is claimed by its collector and no other registered one; and these
    collectors claim no other corpus file, so their place in COLLECTORS cannot change what a file is read as."""
    doc = _doc(path)
    claimed = [c.name for c in COLLECTORS if c.sniff(doc)]
    if path in _MY_FORMAT:
        assert claimed == [_MY_FORMAT[path]]
    else:
        assert not {c.name for c in MINE} & set(claimed), claimed


def test_the_collectors_are_registered() -> None:
    names = [c.name for c in COLLECTORS]
    assert {"cyclonedx-xml", "spdx-json", "spdx-tag-value", "syft-json"} <= set(names)


# --- CycloneDX XML ---


def _xml_components(holder: Element | None, ns: str) -> list[Element]:
    if holder is None:
        return []
    found = []
    for component in holder.findall(ns + "component"):
        found += [component, *_xml_components(component.find(ns + "components"), ns)]
    return found


def _xpath(root: Element, location: str, ns: str) -> Element:
    """Follow the collector's XPath-like location, as a reader of the package would."""
    steps = location.split("/")[1:]
    assert steps[0] == "bom"
    element = root
    for step in steps[1:]:
        match = re.fullmatch(r"(?:(\w+):)?([\w-]+)(?:\[(\d+)\])?", step)
        assert match is not None, step
        prefix, name, index = match.groups()
        tag = (XML_PREFIXES[prefix] if prefix else ns) + name
        element = element.findall(tag)[int(index or 1) - 1]
    return element


@pytest.mark.parametrize("path", XML_FILES, ids=_ids(XML_FILES))
def test_cyclonedx_xml_corpus_counts(path: Path) -> None:
    root = fromstring(path.read_bytes())
    ns = root.tag.partition("}")[0] + "}"
    evidence = _parse(CDX_XML, path)
    assert evidence.kind == EvidenceKind.SBOM
    assert (evidence.format, evidence.format_version) == ("CycloneDX XML", ns.rstrip("}").rpartition("/")[2])
    elements = _xml_components(root.find(ns + "components"), ns)
    assert len(evidence.components) == len(elements)
    extension = len(root.findall(f".//{XML_EXT}vulnerability"))
    standard = sum(
        max(1, len(v.findall(f"{ns}affects/{ns}target")))
        for v in root.findall(f"{ns}vulnerabilities/{ns}vulnerability")
    )
    assert len(evidence.vulnerabilities) == extension + standard
    for component in evidence.components:
        element = _xpath(root, component.location, ns)
        assert element.findtext(ns + "name") == component.name
        assert element.findtext(ns + "version") == component.version
        assert element.get("bom-ref") == component.ref
    for finding in evidence.vulnerabilities:
        element = _xpath(root, finding.location, ns)
        assert (element.findtext(XML_EXT + "id") or element.findtext(ns + "id")) == finding.id


def test_cyclonedx_xml_grype_extension_values() -> None:
    evidence = _parse(CDX_XML, CORPUS / "cyclonedx/defectdojo-django-1.15.0-image.cdx-1.2.grype-0.11.0.xml")
    assert evidence.subjects == ("sha256:b914ffbdf28309f2f5fc46caf1a78bbd90f1e2786dd0f01b69c8b00a07a9d078",)
    assert (evidence.tool, evidence.tool_version) == ("grype", "0.11.0")
    assert evidence.collected_at == datetime(2021, 5, 3, 8, 25, 5, tzinfo=UTC)
    assert evidence.format_version == "1.2"
    first = evidence.components[0]
    assert (first.name, first.version, first.type, first.licenses) == ("Deprecated", "1.2.12", "library", ("MIT",))
    assert first.location == "/bom/components/component[1]"
    finding = evidence.vulnerabilities[0]
    assert (finding.id, finding.package, finding.installed_version) == ("CVE-2011-3374", "apt", "1.8.2.1")
    assert finding.severity == Severity.LOW
    assert finding.cvss == (Cvss(source="", version="2.0", vector="AV:N/AC:M/Au:N/C:N/I:P/A:N", score=4.3),)
    assert finding.data_source == "http://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2011-3374"
    assert finding.location == "/bom/components/component[17]/v:vulnerabilities/v:vulnerability[1]"
    described = [f for f in evidence.vulnerabilities if f.description]
    assert described[0].description is not None
    assert described[0].description.startswith("Atlassian JIRA Server before 7.1.9 has XSS")


_TWIN_JSON: dict[str, Any] = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.5",
    "metadata": {
        "timestamp": "2024-05-01T10:00:00Z",
        "tools": {"components": [{"type": "application", "name": "syft", "version": "1.4.1"}]},
        "component": {
            "bom-ref": "image",
            "type": "container",
            "name": "registry.example.com/app",
            "version": "sha256:" + "a" * 64,
            "hashes": [{"alg": "SHA-256", "content": "b" * 64}],
            "properties": [{"name": "aquasecurity:trivy:ImageID", "value": "sha256:" + "c" * 64}],
        },
    },
    "components": [
        {
            "bom-ref": "pkg:deb/debian/openssl@3.0.11",
            "type": "library",
            "supplier": {"name": "Debian OpenSSL Team"},
            "name": "openssl",
            "version": "3.0.11",
            "hashes": [{"alg": "SHA-1", "content": "d" * 40}],
            "licenses": [{"license": {"id": "Apache-2.0"}}, {"license": {"name": "Custom"}}],
            "purl": "pkg:deb/debian/openssl@3.0.11",
            "properties": [
                {"name": "syft:location:0:layerID", "value": "sha256:" + "e" * 64},
                {"name": "aquasecurity:trivy:LayerDiffID", "value": "sha256:" + "f" * 64},
            ],
            "components": [{"type": "file", "name": "libssl.so.3", "publisher": "Debian"}],
        },
        {
            "bom-ref": "pkg:deb/debian/zlib@1.2.13",
            "type": "library",
            "name": "zlib",
            "version": "1.2.13",
            "licenses": [{"expression": "Zlib OR MIT"}],
            "purl": "pkg:deb/debian/zlib@1.2.13",
        },
    ],
    "dependencies": [
        {"ref": "pkg:deb/debian/openssl@3.0.11", "dependsOn": ["pkg:deb/debian/zlib@1.2.13"]},
        {"ref": "pkg:deb/debian/zlib@1.2.13"},
    ],
    "vulnerabilities": [
        {
            "id": "CVE-2024-5535",
            "source": {"name": "NVD", "url": "https://nvd.nist.gov/vuln/detail/CVE-2024-5535"},
            "references": [{"id": "GHSA-0000-1111-2222", "source": {"name": "GitHub"}}],
            "ratings": [
                {"source": {"name": "nvd"}, "score": 9.1, "severity": "critical", "method": "CVSSv31", "vector": "V"},
                {"source": {"name": "debian"}, "severity": "low"},
            ],
            "description": "buffer overread",
            "published": "2024-06-27T11:15:00Z",
            "affects": [{"ref": "pkg:deb/debian/openssl@3.0.11"}, {"ref": "pkg:npm/left-pad@1.3.0"}],
        },
        {"id": "CVE-2099-0001"},
    ],
}

_TWIN_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- the same BOM as _TWIN_JSON -->
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">
  <metadata>
    <timestamp>2024-05-01T10:00:00Z</timestamp>
    <tools><components><component type="application"><name>syft</name><version>1.4.1</version></component>
    </components></tools>
    <component type="container" bom-ref="image">
      <name>registry.example.com/app</name>
      <version>sha256:{"a" * 64}</version>
      <hashes><hash alg="SHA-256">{"b" * 64}</hash></hashes>
      <properties><property name="aquasecurity:trivy:ImageID">sha256:{"c" * 64}</property></properties>
    </component>
  </metadata>
  <components>
    <component type="library" bom-ref="pkg:deb/debian/openssl@3.0.11">
      <supplier><name>Debian OpenSSL Team</name></supplier>
      <name>openssl</name>
      <version>3.0.11</version>
      <hashes><hash alg="SHA-1">{"d" * 40}</hash></hashes>
      <licenses><license><id>Apache-2.0</id></license><license><name>Custom</name></license></licenses>
      <purl>pkg:deb/debian/openssl@3.0.11</purl>
      <properties>
        <property name="syft:location:0:layerID">sha256:{"e" * 64}</property>
        <property name="aquasecurity:trivy:LayerDiffID">sha256:{"f" * 64}</property>
      </properties>
      <components><component type="file"><publisher>Debian</publisher><name>libssl.so.3</name></component></components>
    </component>
    <component type="library" bom-ref="pkg:deb/debian/zlib@1.2.13">
      <name>zlib</name>
      <version>1.2.13</version>
      <licenses><expression>Zlib OR MIT</expression></licenses>
      <purl>pkg:deb/debian/zlib@1.2.13</purl>
    </component>
  </components>
  <dependencies>
    <dependency ref="pkg:deb/debian/openssl@3.0.11"><dependency ref="pkg:deb/debian/zlib@1.2.13"/></dependency>
    <dependency ref="pkg:deb/debian/zlib@1.2.13"/>
  </dependencies>
  <vulnerabilities>
    <vulnerability>
      <id>CVE-2024-5535</id>
      <source><name>NVD</name><url>https://nvd.nist.gov/vuln/detail/CVE-2024-5535</url></source>
      <references><reference><id>GHSA-0000-1111-2222</id><source><name>GitHub</name></source></reference></references>
      <ratings>
        <rating><source><name>nvd</name></source><score>9.1</score><severity>critical</severity>
          <method>CVSSv31</method><vector>V</vector></rating>
        <rating><source><name>debian</name></source><severity>low</severity></rating>
      </ratings>
      <description>buffer overread</description>
      <published>2024-06-27T11:15:00Z</published>
      <affects><target><ref>pkg:deb/debian/openssl@3.0.11</ref></target><target><ref>pkg:npm/left-pad@1.3.0</ref></target>
      </affects>
    </vulnerability>
    <vulnerability><id>CVE-2099-0001</id></vulnerability>
  </vulnerabilities>
</bom>
"""


def test_cyclonedx_xml_reads_like_the_json_collector() -> None:
    """The same BOM as XML and as JSON gives the same records; only the locations' syntax differs."""
    from_json = CycloneDxJson().parse(Document(path="twin.cdx.json", data=orjson.dumps(_TWIN_JSON)))
    doc = Document(path="twin.cdx.xml", data=_TWIN_XML.encode())
    assert CDX_XML.sniff(doc)
    from_xml = CDX_XML.parse(doc)
    same = ("subjects", "tool", "tool_version", "collected_at", "format_version", "kind")
    assert {k: getattr(from_xml, k) for k in same} == {k: getattr(from_json, k) for k in same}
    assert from_xml.subjects == ("sha256:" + "a" * 64, "sha256:" + "b" * 64, "sha256:" + "c" * 64)
    strip = {"location": ""}
    assert [c.__class__(**{**_fields(c), **strip}) for c in from_xml.components] == [
        c.__class__(**{**_fields(c), **strip}) for c in from_json.components
    ]
    assert [v.__class__(**{**_fields(v), **strip}) for v in from_xml.vulnerabilities] == [
        v.__class__(**{**_fields(v), **strip}) for v in from_json.vulnerabilities
    ]
    assert [c.location for c in from_xml.components] == [
        "/bom/components/component[1]",
        "/bom/components/component[1]/components/component[1]",
        "/bom/components/component[2]",
    ]
    assert [v.location for v in from_xml.vulnerabilities] == [
        "/bom/vulnerabilities/vulnerability[1]/affects/target[1]",
        "/bom/vulnerabilities/vulnerability[1]/affects/target[2]",
        "/bom/vulnerabilities/vulnerability[2]",
    ]
    openssl = from_xml.components[0]
    assert openssl.depends_on == ("pkg:deb/debian/zlib@1.2.13",)
    assert openssl.layer == "sha256:" + "f" * 64  # trivy's property is preferred, as in JSON
    assert from_xml.components[1].supplier == "Debian"


def _fields(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}


def test_cyclonedx_xml_older_specs_and_dependency_extension() -> None:
    """Spec 1.0 has no metadata; 1.1 carried dependencies in an extension namespace."""
    v10 = b"""<bom xmlns="http://cyclonedx.org/schema/bom/1.0" version="1"><components>
      <component type="library"><name>a</name><version>1</version><modified>false</modified></component>
    </components></bom>"""
    evidence = CDX_XML.parse(Document(path="v10.xml", data=v10))
    assert (evidence.format_version, len(evidence.components), evidence.subjects, evidence.tool) == ("1.0", 1, (), None)
    v11 = b"""<bom xmlns="http://cyclonedx.org/schema/bom/1.1"
        xmlns:dg="http://cyclonedx.org/schema/ext/dependency-graph/1.0" version="1">
      <components>
        <component type="library" bom-ref="a"><name>a</name></component>
        <component type="library" bom-ref="b"><name>b</name></component>
      </components>
      <dg:dependencies><dg:dependency ref="a"><dg:dependency ref="b"/></dg:dependency></dg:dependencies>
    </bom>"""
    evidence = CDX_XML.parse(Document(path="v11.xml", data=v11))
    assert [c.depends_on for c in evidence.components] == [("b",), ()]


def test_cyclonedx_xml_prefixed_root_and_legacy_tools() -> None:
    data = b"""<?xml version="1.0"?>
    <cdx:bom xmlns:cdx="http://cyclonedx.org/schema/bom/1.4"><cdx:metadata>
      <cdx:tools><cdx:tool><cdx:vendor>aquasecurity</cdx:vendor><cdx:name>trivy</cdx:name>
        <cdx:version>0.39.0</cdx:version></cdx:tool></cdx:tools>
    </cdx:metadata></cdx:bom>"""
    doc = Document(path="prefixed.xml", data=data)
    assert CDX_XML.sniff(doc)
    evidence = CDX_XML.parse(doc)
    assert (evidence.tool, evidence.tool_version, evidence.components) == ("trivy", "0.39.0", ())


_BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component type="library"><name>&b;</name>
</component></components></bom>"""
_EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE bom [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component type="library"><name>&secret;</name>
</component></components></bom>"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_BILLION_LAUGHS, "DTD or entity declarations is refused"),
        (_EXTERNAL_ENTITY, "DTD or entity declarations is refused"),
        (b'<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component>', "not well-formed XML"),
        (b'<bom xmlns="http://cyclonedx.org/schema/bom/1.7"/>', "spec '1.7' is recognized but not supported"),
        (b'<bom xmlns="http://cyclonedx.org/schema/bom/2.0"/>', "spec '2.0' is recognized but not supported"),
        (
            (
                b'<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component type="library">'
                b"<version>1</version></component></components></bom>"
            ),
            "/bom/components/component[1]/name is required but missing or empty",
        ),
        (
            (
                b'<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><vulnerabilities><vulnerability><id>X</id><ratings>'
                b"<rating><score>high</score><method>CVSSv31</method></rating></ratings></vulnerability>"
                b"</vulnerabilities></bom>"
            ),
            "/bom/vulnerabilities/vulnerability[1]/ratings/rating[1]/score should be a number",
        ),
        (
            (
                b'<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><vulnerabilities><vulnerability><affects><target>'
                b"<ref>a</ref></target></affects></vulnerability></vulnerabilities></bom>"
            ),
            "/bom/vulnerabilities/vulnerability[1]/id is required",
        ),
        (
            b'<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><dependencies><dependency/></dependencies></bom>',
            "/bom/dependencies/dependency[1]/@ref is required",
        ),
        (
            (
                b'<bom xmlns="http://cyclonedx.org/schema/bom/1.2" xmlns:v="http://cyclonedx.org/schema/ext/vulnerability/1.0">'
                b'<components><component type="library"><name>a</name><v:vulnerabilities><v:vulnerability>'
                b"<v:ratings><v:rating><v:score><v:base>NaN</v:base></v:score><v:method>CVSSv2</v:method></v:rating>"
                b"</v:ratings><v:id>CVE-1</v:id></v:vulnerability></v:vulnerabilities></component></components></bom>"
            ),
            "v:ratings/v:rating[1]/v:score/v:base should be a number",
        ),
        (b'<bom xmlns="http://cyclonedx.org/schema/bom/1.4">\xff\xfe</bom>', "not well-formed XML"),
        (
            b'<?xml version="1.0" encoding="x-no-such-encoding"?><bom xmlns="http://cyclonedx.org/schema/bom/1.4"/>',
            "XML",
        ),
        (b'<other><bom xmlns="http://cyclonedx.org/schema/bom/1.4"/></other>', "not a CycloneDX <bom>"),
    ],
)
def test_cyclonedx_xml_broken(data: bytes, message: str) -> None:
    doc = Document(path="broken.cdx.xml", data=data)
    assert CDX_XML.sniff(doc)
    with pytest.raises(CollectorError, match=re.escape(message)) as caught:
        CDX_XML.parse(doc)
    assert caught.value.args[0] == "broken.cdx.xml" or "broken.cdx.xml" in str(caught.value)


def test_cyclonedx_xml_truncated_anywhere_gives_collector_error() -> None:
    data = (CORPUS / "cyclonedx/defectdojo-django-1.15.0-image.cdx-1.2.grype-0.11.0.xml").read_bytes()
    for cut in range(200, len(data), len(data) // 37):
        doc = Document(path="truncated.xml", data=data[:cut])
        assert CDX_XML.sniff(doc)
        with pytest.raises(CollectorError, match="not well-formed XML"):
            CDX_XML.parse(doc)


# --- SPDX ---

# file -> (subjects, tool, tool version, collected at, components)
SPDX_EXPECTED: dict[str, tuple[tuple[str, ...], str | None, str | None, datetime, int]] = {
    "alpine-3.10-image.spdx-2.2.syft.json": (
        (),
        "syft",
        None,
        datetime(2022, 1, 20, 21, 40, 24, 439211, tzinfo=UTC),
        3,
    ),
    "alpine-image.spdx-2.3.syft.tag-value.spdx": ((), "syft", None, datetime(2022, 11, 18, 16, 48, 55, tzinfo=UTC), 4),
    "bitnami-postgresql-17.2.0-in-image.spdx-2.3.json": (
        (),
        None,
        None,
        datetime(2025, 2, 2, 5, 18, 41, 934000, tzinfo=UTC),
        19,
    ),
    "centos-7-image.spdx-2.2.trivy-dev.json": (
        ("sha256:f1cb7c7d58b73eac859c395882eec49d50651244e342cd6c68a5c7809785f427",),
        "trivy",
        "dev",
        datetime(2022, 9, 13, 13, 27, 55, 874784, tzinfo=UTC),
        3,
    ),
    "centos-7-image.spdx-2.2.trivy-dev.tag-value.spdx": (
        ("sha256:f1cb7c7d58b73eac859c395882eec49d50651244e342cd6c68a5c7809785f427",),
        "trivy",
        "dev",
        datetime(2022, 9, 13, 13, 24, 58, 796907, tzinfo=UTC),
        3,
    ),
    "kubectl-linux-amd64-image.spdx-2.3.syft-0.90.0.json": (
        ("sha256:ee398c1e436e28bb57d16e3fed395657e877890295483bf21c016acbab6b7fd1",),
        "syft",
        "0.90.0",
        datetime(2023, 10, 12, 4, 1, 49, tzinfo=UTC),
        88,
    ),
}


def test_spdx_expectations_cover_every_file() -> None:
    assert sorted(SPDX_EXPECTED) == sorted(p.name for p in SPDX_JSON_FILES + SPDX_TAG_VALUE_FILES)


def _described_images_json(raw: dict[str, Any]) -> set[str]:
    """The described packages that are container images, by the marks the producing tools leave."""
    described = set(raw.get("documentDescribes", []))
    described |= {r["relatedSpdxElement"] for r in raw.get("relationships", []) if r["relationshipType"] == "DESCRIBES"}
    return {
        p["SPDXID"]
        for p in raw["packages"]
        if p["SPDXID"] in described
        and (p.get("primaryPackagePurpose") == "CONTAINER" or "ContainerImage" in p["SPDXID"])
    }


@pytest.mark.parametrize("path", SPDX_JSON_FILES, ids=_ids(SPDX_JSON_FILES))
def test_spdx_json_corpus(path: Path) -> None:
    raw = _raw(path)
    evidence = _parse(SPDX_JSON, path)
    subjects, tool, tool_version, collected_at, count = SPDX_EXPECTED[path.name]
    assert evidence.kind == EvidenceKind.SBOM
    assert (evidence.format, evidence.format_version) == ("SPDX JSON", raw["spdxVersion"].removeprefix("SPDX-"))
    assert (evidence.subjects, evidence.tool, evidence.tool_version, evidence.collected_at) == (
        subjects,
        tool,
        tool_version,
        collected_at,
    )
    images = _described_images_json(raw)
    assert len(evidence.components) == len(raw["packages"]) - len(images) == count
    for component in evidence.components:
        package = _resolve(raw, component.location)
        assert (package["name"], package.get("versionInfo"), package["SPDXID"]) == (
            component.name,
            component.version,
            component.ref,
        )
        purls = [
            r["referenceLocator"]
            for r in package.get("externalRefs", [])
            if r["referenceType"] == "purl" and r["referenceCategory"].replace("_", "-") == "PACKAGE-MANAGER"
        ]
        assert component.purl == (purls[0] if purls else None)
    packages = {p["SPDXID"] for p in raw["packages"]} - images
    edges = {
        (r["spdxElementId"], r["relatedSpdxElement"])
        for r in raw.get("relationships", [])
        if r["relationshipType"] in ("DEPENDS_ON", "CONTAINS")
        and {r["spdxElementId"], r["relatedSpdxElement"]} <= packages
    }
    assert {(c.ref, d) for c in evidence.components for d in c.depends_on} == edges


@pytest.mark.parametrize("path", SPDX_TAG_VALUE_FILES, ids=_ids(SPDX_TAG_VALUE_FILES))
def test_spdx_tag_value_corpus(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    evidence = _parse(SPDX_TAG_VALUE, path)
    subjects, tool, tool_version, collected_at, count = SPDX_EXPECTED[path.name]
    version = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("SPDXVersion:"))
    assert (evidence.format, evidence.format_version) == ("SPDX tag-value", version.removeprefix("SPDX-"))
    assert (evidence.subjects, evidence.tool, evidence.tool_version, evidence.collected_at) == (
        subjects,
        tool,
        tool_version,
        collected_at,
    )
    package_lines = [i for i, line in enumerate(lines, start=1) if line.startswith("PackageName:")]
    images = {
        line.split()[3] for line in lines if line.startswith("Relationship:") and line.split()[2] == "DESCRIBES"
    } & {line.split(":", 1)[1].strip() for line in lines if line.startswith("SPDXID: SPDXRef-ContainerImage")}
    assert len(evidence.components) == len(package_lines) - len(images) == count
    for component in evidence.components:
        number = int(component.location.removeprefix("line "))
        assert number in package_lines
        assert lines[number - 1] == f"PackageName: {component.name}"


def test_spdx_values_read_from_the_files() -> None:
    kubectl = _parse(SPDX_JSON, CORPUS / "spdx/kubectl-linux-amd64-image.spdx-2.3.syft-0.90.0.json")
    assert not any(c.name == "k8supstream.azurecr.io/public/oss/kubernetes/kubectl" for c in kubectl.components)
    assert kubectl.components[0].purl == "pkg:golang/./staging/src/k8s.io/api@(devel)"
    assert kubectl.components[0].type == "golang"
    assert kubectl.components[0].licenses == ()  # NOASSERTION
    suppliers = {c.supplier for c in kubectl.components} - {None}
    assert "Marco d'Itri <md@linux.it>" in suppliers

    bitnami = _parse(SPDX_JSON, CORPUS / "spdx/bitnami-postgresql-17.2.0-in-image.spdx-2.3.json")
    postgresql = bitnami.components[0]
    assert (postgresql.name, postgresql.version, postgresql.licenses) == ("postgresql", "17.2.0-8", ("PostgreSQL",))
    assert postgresql.purl == "pkg:bitnami/postgresql@17.2.0-8?arch=arm64&distro=debian-12"
    assert len(postgresql.depends_on) == 15
    assert postgresql.depends_on[0] == "SPDXRef-geos"

    centos = _parse(SPDX_TAG_VALUE, CORPUS / "spdx/centos-7-image.spdx-2.2.trivy-dev.tag-value.spdx")
    os_package, bash, _ = centos.components
    assert (os_package.name, os_package.location) == ("centos", "line 23")
    assert os_package.depends_on == ("SPDXRef-Package-5a18334f22149877", "SPDXRef-Package-e16b1cbaa5186199")
    assert (bash.licenses, bash.type) == (("GPLv3+",), "rpm")
    assert bash.layer == "sha256:89169d87dbe2b72ba42bfbb3579c957322baca28e03a1e558076542a1c1b2b4a"

    alpine = _parse(SPDX_TAG_VALUE, CORPUS / "spdx/alpine-image.spdx-2.3.syft.tag-value.spdx")
    my_app = alpine.components[1]
    assert my_app.hashes == {"SHA-1": "11d42fc32de6a699c5705f6e58d2e387c5e9c8b5"}
    assert my_app.licenses == ()  # NONE
    assert my_app.purl == "pkg:maven/com.mycompany.app/my-app@1"
    assert alpine.components[0].supplier == "Natanael Copa <ncopa@alpinelinux.org>"  # the originator


_TAG_VALUE = """## a hand-made SPDX 2.3 tag-value document
SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: registry.example.com/app
DocumentComment: <text>A comment that spans lines
PackageName: not-a-package
Relationship: SPDXRef-X DEPENDS_ON SPDXRef-Y
</text>
Creator: Organization: Example
Creator: Tool: cyclonedx-gomod-1.4.0
Created: 2024-05-01T10:00:00Z

# the image
PackageName: registry.example.com/app@sha256:{digest}
SPDXID: SPDXRef-image
PackageChecksum: SHA256: {checksum}
PackageDownloadLocation: NOASSERTION

PackageName: libfoo
SPDXID: SPDXRef-libfoo
PackageVersion: 2.0
PackageSupplier: Organization: Foo Inc
PackageDescription: <text>Line one
PackageName: still the description
</text>
PackageLicenseConcluded: MIT
PackageLicenseDeclared: MIT OR Apache-2.0
PackageChecksum: SHA512: {sha512}
ExternalRef: PACKAGE-MANAGER purl pkg:generic/libfoo@2.0
PrimaryPackagePurpose: LIBRARY

FileName: /usr/lib/libfoo.so
SPDXID: SPDXRef-file
FileChecksum: SHA1: {sha1}
LicenseConcluded: GPL-2.0-only

PackageName: libbar
SPDXID: SPDXRef-libbar
PackageVersion: <text>3.1</text>
PackageLicenseConcluded: NOASSERTION

Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-image
Relationship: SPDXRef-image CONTAINS SPDXRef-libfoo
Relationship: SPDXRef-libfoo DEPENDS_ON SPDXRef-libbar
Relationship: SPDXRef-libbar DEPENDENCY_OF SPDXRef-libfoo
Relationship: SPDXRef-libfoo CONTAINS SPDXRef-file
RelationshipComment: <text>files are not components</text>
"""


def test_spdx_tag_value_parser() -> None:
    text = _TAG_VALUE.format(digest="a" * 64, checksum="b" * 64, sha512="c" * 128, sha1="d" * 40)
    doc = Document(path="hand.spdx", data=text.encode())
    assert SPDX_TAG_VALUE.sniff(doc)
    assert not SPDX_JSON.sniff(doc)
    evidence = SPDX_TAG_VALUE.parse(doc)
    assert (evidence.tool, evidence.tool_version) == ("cyclonedx-gomod", "1.4.0")
    assert evidence.subjects == ("sha256:" + "a" * 64, "sha256:" + "b" * 64)
    libfoo, libbar = evidence.components
    assert (libfoo.name, libfoo.version, libfoo.supplier, libfoo.type) == ("libfoo", "2.0", "Foo Inc", "library")
    assert libfoo.licenses == ("MIT", "MIT OR Apache-2.0")
    assert libfoo.hashes == {"SHA-512": "c" * 128}  # not the file's SHA1
    assert libfoo.purl == "pkg:generic/libfoo@2.0"
    assert libfoo.depends_on == ("SPDXRef-libbar",)  # DEPENDS_ON and DEPENDENCY_OF name the same edge once
    assert libfoo.location == "line 20"
    assert (libbar.version, libbar.licenses, libbar.location) == ("3.1", (), "line 38")


def _spdx(packages: Any, **extra: Any) -> dict[str, Any]:
    return {
        "spdxVersion": "SPDX-2.3",
        "SPDXID": "SPDXRef-DOCUMENT",
        "creationInfo": {"created": "2024-05-01T10:00:00Z", "creators": ["Tool: syft-1.4.1"]},
        "packages": packages,
        **extra,
    }


@pytest.mark.parametrize(
    ("image", "subjects"),
    [
        ({}, ()),
        (
            {
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": "pkg:oci/app@sha256%3A" + "a" * 64 + "?tag=1",
                    }
                ]
            },
            ("sha256:" + "a" * 64,),
        ),
        ({"versionInfo": "sha256:" + "b" * 64}, ("sha256:" + "b" * 64,)),
        ({"name": "registry.example.com/app@sha256:" + "c" * 64}, ("sha256:" + "c" * 64,)),
        (
            {"primaryPackagePurpose": "CONTAINER", "checksums": [{"algorithm": "SHA256", "checksumValue": "d" * 64}]},
            ("sha256:" + "d" * 64,),
        ),
        ({"checksums": [{"algorithm": "SHA256", "checksumValue": "d" * 64}]}, ()),  # not an image: a package's hash
    ],
)
def test_spdx_subjects_from_the_described_image(image: dict[str, Any], subjects: tuple[str, ...]) -> None:
    described = {"SPDXID": "SPDXRef-root", "name": "app", **image}
    data = _spdx(
        [described, {"SPDXID": "SPDXRef-lib", "name": "lib"}],
        relationships=[
            {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-root"}
        ],
    )
    evidence = SPDX_JSON.parse(Document(path="subject.spdx.json", data=orjson.dumps(data)))
    assert evidence.subjects == subjects
    # The image is the subject, not a component; a described package that is no image stays a component.
    assert [c.name for c in evidence.components] == (["lib"] if subjects else [described["name"], "lib"])


@pytest.mark.parametrize(
    ("creator", "tool"),
    [
        ("Tool: syft-0.90.0", ("syft", "0.90.0")),
        ("Tool: cyclonedx-gomod-v1.4.0", ("cyclonedx-gomod", "v1.4.0")),
        ("Tool: trivy-dev", ("trivy", "dev")),
        ("Tool: syft-[not provided]", ("syft", None)),
        ("Tool: syft-", ("syft", None)),
        ("Tool: scanner", ("scanner", None)),
        ("Organization: Example", (None, None)),
    ],
)
def test_spdx_tool_name_and_version(creator: str, tool: tuple[str | None, str | None]) -> None:
    data = _spdx([], creationInfo={"creators": [creator]})
    evidence = SPDX_JSON.parse(Document(path="tool.spdx.json", data=orjson.dumps(data)))
    assert (evidence.tool, evidence.tool_version) == tool


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**_spdx([]), "spdxVersion": "SPDX-2.1"}, "SPDX version 'SPDX-2.1' is recognized but not supported"),
        ({**_spdx([]), "spdxVersion": 2.3}, "/spdxVersion should be a string, found a number"),
        (_spdx({"name": "x"}), "/packages should be an array, found an object"),
        (_spdx([{"name": 5}]), "/packages/0/name should be a string, found a number"),
        (_spdx([{"SPDXID": "SPDXRef-a"}]), "/packages/0/name is required but missing"),
        (_spdx([{"name": "a", "externalRefs": {}}]), "/packages/0/externalRefs should be an array"),
        (_spdx([{"name": "a", "checksums": ["SHA1"]}]), "/packages/0/checksums/0 should be an object"),
        (
            _spdx([{"name": "a", "checksums": [{"algorithm": "SHA1", "checksumValue": "01"}, {"algorithm": 1}]}]),
            "/packages/0/checksums/1/algorithm should be a string, found a number",
        ),
        (
            _spdx([{"name": "a", "externalRefs": [{"referenceType": "purl", "referenceLocator": ["pkg:npm/a@1"]}]}]),
            "/packages/0/externalRefs/0/referenceLocator should be a string, found an array",
        ),
        (_spdx([{"name": "a", "licenseConcluded": ["MIT"]}]), "/packages/0/licenseConcluded should be a string"),
        (_spdx([], creationInfo={"creators": "Tool: syft"}), "/creationInfo/creators should be an array"),
        (_spdx([], creationInfo=[]), "/creationInfo should be an object"),
        (_spdx([], documentDescribes=[1]), "/documentDescribes/0 should be a string"),
        (_spdx([], relationships=[{"relationshipType": "DESCRIBES"}]), "/relationships/0/spdxElementId is required"),
        (_spdx([], relationships=[[]]), "/relationships/0 should be an object"),
    ],
)
def test_spdx_json_broken(data: dict[str, Any], message: str) -> None:
    doc = Document(path="broken.spdx.json", data=orjson.dumps(data))
    assert SPDX_JSON.sniff(doc)
    with pytest.raises(CollectorError, match=re.escape(message)):
        SPDX_JSON.parse(doc)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SPDXVersion: SPDX-2.1\nPackageName: a\n", "SPDX version 'SPDX-2.1' is recognized but not supported"),
        (
            "SPDXVersion: SPDX-2.3\nPackageName: a\nPackageDescription: <text>never closed\n",
            "line 3: PackageDescription",
        ),
        ("SPDXVersion: SPDX-2.3\nRelationship: SPDXRef-a DEPENDS_ON\n", "line 2: Relationship should be"),
        ("SPDXVersion: SPDX-2.3\nPackageName: a\nthis is no tag\n", "line 3: expected `Tag: value`"),
        ("SPDXVersion: SPDX-2.3\nPackageName:\n", "line 2: PackageName is empty"),
        ("SPDXVersion: SPDX-2.3\nPackageName: a\nPackageChecksum: deadbeef\n", "line 3: PackageChecksum should be"),
        ("SPDXVersion: SPDX-2.3\nPackageName: a\nExternalRef: purl\n", "line 3: ExternalRef should be"),
    ],
)
def test_spdx_tag_value_broken(text: str, message: str) -> None:
    doc = Document(path="broken.spdx", data=text.encode())
    assert SPDX_TAG_VALUE.sniff(doc)
    with pytest.raises(CollectorError, match=re.escape(message)):
        SPDX_TAG_VALUE.parse(doc)


def test_spdx_tag_value_that_is_not_utf8() -> None:
    doc = Document(path="latin1.spdx", data=b"SPDXVersion: SPDX-2.3\nPackageName: caf\xe9\n")
    assert SPDX_TAG_VALUE.sniff(doc)
    with pytest.raises(CollectorError, match="not valid UTF-8"):
        SPDX_TAG_VALUE.parse(doc)


# --- Syft JSON ---

# file -> (subjects, tool version)
SYFT_EXPECTED: dict[str, tuple[tuple[str, ...], str | None]] = {
    "alpine-3.12-image.syft-0.101.1.schema13.json": (
        (
            "sha256:c75ac27b49326926b803b9ed43bf088bc220d22556de1bc5f72d742c91398f69",
            "sha256:8cb449c3c0a4611deee6858f633eaa9378ee2eb00c2c2ae643e76e82d06b850b",
            "sha256:cc604a625da1289c5dd57f947318133161ff7f40fb03dc2a649300473b97e743",
        ),
        "0.101.1",
    ),
    "alpine-3.16-image.syft.schema6.json": (
        (
            "sha256:b95359c2505145f16c6aa384f9cc74eeff78eb36d308ca4fd902eeeb0a0b161b",
            "sha256:6b7f97b22b59a2c6bc62354f00df8dcafb8a32716bc958a788a7004e0a391232",
            "sha256:bfe296a525011f7eb76075d688c681ca4feaad5afe3b142b36e30f1a171dc99a",
        ),
        None,
    ),
    "springio-gs-spring-boot-docker-image.syft.schema1.1.json": (
        (
            "sha256:39c2ffc784f5f34862e22c1f2ccdbcb62430736114c13f60111eabdb79decb08",
            "sha256:be3d8a5f700d4c45f3ed324b95d9f028f587c135bc85cf87e193414db521d533",
            "sha256:9065659c6e537b0364b7b1d3e5442a3a5aa56d755fb883d221e9e8b3637fb58e",
        ),
        None,
    ),
    "syft-encoder-image-snapshot.current-schema.json": (
        (
            "sha256:2731251dc34951c0e50fcc643b4c5f74922dad1a5d98f302b504cf46cd5d9368",
            "sha256:35a6658e24fab92eae9ec6fc252dec58986c4c007891758d4d37c7e43fbbe0c5",
        ),
        "v0.42.0-bogus",
    ),
}


def test_syft_expectations_cover_every_file() -> None:
    assert sorted(SYFT_EXPECTED) == sorted(p.name for p in SYFT_FILES)


@pytest.mark.parametrize("path", SYFT_FILES, ids=_ids(SYFT_FILES))
def test_syft_corpus(path: Path) -> None:
    raw = _raw(path)
    evidence = _parse(SYFT, path)
    subjects, tool_version = SYFT_EXPECTED[path.name]
    assert evidence.kind == EvidenceKind.SBOM
    assert (evidence.format, evidence.format_version) == ("Syft JSON", raw.get("schema", {}).get("version"))
    assert (evidence.subjects, evidence.tool, evidence.tool_version) == (subjects, "syft", tool_version)
    assert evidence.collected_at is None  # no descriptor timestamp in these files
    assert len(evidence.components) == len(raw["artifacts"])
    for component in evidence.components:
        artifact = _resolve(raw, component.location)
        assert (artifact["name"], artifact.get("version") or None, artifact.get("id")) == (
            component.name,
            component.version,
            component.ref,
        )
        assert component.layer == artifact["locations"][0].get("layerID")
        assert component.supplier is None
    edges = {(r["child"], r["parent"]) for r in raw["artifactRelationships"] if r["type"] == "dependency-of"}
    assert {(c.ref, d) for c in evidence.components for d in c.depends_on} == edges


def test_syft_values_read_from_the_files() -> None:
    modern = _parse(SYFT, CORPUS / "syft-json/alpine-3.12-image.syft-0.101.1.schema13.json")
    baselayout = modern.components[0]
    assert (baselayout.name, baselayout.version, baselayout.type) == ("alpine-baselayout", "3.2.0-r7", "apk")
    assert baselayout.purl == "pkg:apk/alpine/alpine-baselayout@3.2.0-r7?arch=aarch64&distro=alpine-3.12.12"
    assert baselayout.licenses == ("GPL-2.0-only",)  # an object with spdxExpression
    old = _parse(SYFT, CORPUS / "syft-json/alpine-3.16-image.syft.schema6.json")
    assert old.components[0].licenses == ("GPL-2.0-only",)  # a plain string
    assert old.components[0].depends_on == ("4b48ef6f6b983526",)
    spring = _parse(SYFT, CORPUS / "syft-json/springio-gs-spring-boot-docker-image.syft.schema1.1.json")
    assert (spring.components[0].name, spring.components[0].version, spring.components[0].purl) == (
        "charsets",
        None,
        None,
    )


def _syft(artifacts: Any, **extra: Any) -> dict[str, Any]:
    return {
        "artifacts": artifacts,
        "artifactRelationships": [],
        "source": {"type": "image", "target": {"manifestDigest": "sha256:" + "a" * 64}},
        "descriptor": {"name": "syft", "version": "1.4.1", "timestamp": "2024-05-01T10:00:00.123456789Z"},
        "schema": {"version": "16.0.10", "url": "https://raw.githubusercontent.com/anchore/syft/main/schema/json/x"},
        **extra,
    }


def test_syft_current_schema_fields() -> None:
    data = _syft(
        [
            {
                "id": "p1",
                "name": "openssl",
                "version": "3.0.11",
                "type": "deb",
                "locations": [{"path": "/var/lib/dpkg/status", "layerID": "sha256:" + "b" * 64}],
                "licenses": [{"value": "OpenSSL license", "spdxExpression": "", "type": "declared"}, "MIT"],
                "purl": "pkg:deb/debian/openssl@3.0.11",
                "supplier": "Debian",
            }
        ],
        source={"id": "x", "type": "image", "metadata": {"repoDigests": ["app@sha256:" + "c" * 64]}},
    )
    evidence = SYFT.parse(Document(path="current.syft.json", data=orjson.dumps(data)))
    assert evidence.collected_at == datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert evidence.subjects == ("sha256:" + "c" * 64,)
    (openssl,) = evidence.components
    assert (openssl.licenses, openssl.supplier, openssl.layer) == (
        ("OpenSSL license", "MIT"),
        "Debian",
        "sha256:" + "b" * 64,
    )
    directory = _syft([], source={"type": "directory", "target": "/src"})
    assert SYFT.parse(Document(path="dir.syft.json", data=orjson.dumps(directory))).subjects == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_syft([], schema={"version": "17.0.0"}), "Syft JSON schema '17.0.0' is recognized but not supported"),
        (_syft([], schema={"version": "0.1.0"}), "Syft JSON schema '0.1.0' is recognized but not supported"),
        (_syft([], schema={"version": 16}), "/schema/version should be a string, found a number"),
        (_syft({}), "/artifacts should be an array, found an object"),
        (_syft([{"id": "a"}]), "/artifacts/0/name is required but missing"),
        (_syft([{"name": "a", "licenses": [5]}]), "/artifacts/0/licenses/0 should be an object, found a number"),
        (_syft([{"name": "a", "locations": ["x"]}]), "/artifacts/0/locations/0 should be an object"),
        (_syft([{"name": "a", "purl": 1}]), "/artifacts/0/purl should be a string"),
        (
            _syft([], artifactRelationships=[{"child": "a", "type": "dependency-of"}]),
            "/artifactRelationships/0/parent is required but missing",
        ),
        (_syft([], source={"target": {"repoDigests": "x"}}), "/source/target/repoDigests should be an array"),
        (_syft([], descriptor={"name": "syft", "version": 1}), "/descriptor/version should be a string"),
    ],
)
def test_syft_broken(data: dict[str, Any], message: str) -> None:
    doc = Document(path="broken.syft.json", data=orjson.dumps(data))
    assert SYFT.sniff(doc)
    with pytest.raises(CollectorError, match=re.escape(message)):
        SYFT.parse(doc)


# --- hostile input, everywhere ---

_REPLACEMENTS: list[Any] = [None, True, 7, "text", [], {}, [1], {"a": 1}]


JSON_FILES = SPDX_JSON_FILES + SYFT_FILES


@pytest.mark.parametrize("path", JSON_FILES, ids=_ids(JSON_FILES))
def test_any_wrong_json_value_gives_collector_error_or_evidence(path: Path) -> None:
    raw = _raw(path)
    collector = next(c for c in MINE if c.sniff(_doc(path)))
    nodes = json_nodes(raw)
    for where in nodes[:: max(1, len(nodes) // 60)]:
        for value in _REPLACEMENTS:
            doc = Document(path="mutated.json", data=orjson.dumps(json_replaced(raw, where, value)))
            if collector.sniff(doc):
                with contextlib.suppress(CollectorError):
                    collector.parse(doc)


@pytest.mark.parametrize("path", SPDX_TAG_VALUE_FILES + XML_FILES, ids=_ids(SPDX_TAG_VALUE_FILES + XML_FILES))
def test_any_damaged_line_gives_collector_error_or_evidence(path: Path) -> None:
    lines = path.read_bytes().split(b"\n")
    collector = next(c for c in MINE if c.sniff(_doc(path)))
    damage = [b"", b"#", b"garbage", b"<text>", b"</text>", b"Relationship: a", b"<component>", b"\xff\xfe", b"&x;"]
    for index in range(0, len(lines), max(1, len(lines) // 20)):
        for replacement in damage:
            data = b"\n".join([*lines[:index], replacement, *lines[index + 1 :]])
            doc = Document(path="damaged", data=data)
            if collector.sniff(doc):
                with contextlib.suppress(CollectorError):
                    collector.parse(doc)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe\x00",
        b"not json",
        b"{",
        b"null",
        b"[]",
        b'{"spdxVersion": "SPDX-2.3"}',  # neither SPDXID nor creationInfo: not claimed
        b'{"artifacts": [], "source": {}}',
        b'{"artifacts": [], "source": {}, "descriptor": {"name": "grype"}}',
        b'{"artifacts": [], "source": {}, "descriptor": "syft", "schema": 5}',
        b"<bom/>",
        b'<bom xmlns="http://example.com/bom/1.4"/>',
        b'{"bomFormat": "CycloneDX", "x": "<bom xmlns=\\"http://cyclonedx.org/schema/bom/1.4\\">"}',
        b"FROM alpine\nRUN echo SPDXVersion\n",
        b"# SPDXVersion: SPDX-2.3\n",
    ],
)
def test_sniff_never_raises_and_declines_other_content(data: bytes) -> None:
    doc = Document(path="other", data=data)
    assert [c.name for c in MINE if c.sniff(doc)] == []
