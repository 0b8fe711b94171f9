"""SPDX 2.2 and 2.3 SBOMs, as JSON and as tag-value.

Both forms are read into one plain shape (`_Sbom`) and normalized once. The packages the document describes
(`documentDescribes`, or a `DESCRIBES` relationship) that are container images are its subject, like CycloneDX's
`metadata.component`: their digests are the subjects and they are not listed as components. A described package
that is the directory or file a scanner was pointed at (Syft's `SPDXRef-DocumentRoot-Directory-...` and
`SPDXRef-DocumentRoot-File-...`) is the scan's source, not a component either, as CycloneDX's
`metadata.component` is not. Every other package is a component.

Dependencies: a component `depends_on` the packages of this document it `DEPENDS_ON` or `CONTAINS` (and, read
the other way, those that are its `DEPENDENCY_OF` or `CONTAINED_BY`). Trivy writes an operating system as
`CONTAINS` (JSON) or `DEPENDS_ON` (tag-value) its packages, and a product's SBOM lists what it bundles with
`CONTAINS`, so both are the graph a CycloneDX `dependencies` section carries. Relationships to files, to other
documents, or from the image itself name no component and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from evidence.collectors._util import (
    DIGEST_RE,
    array_at,
    digests_in,
    digests_in_reference,
    expect_array,
    expect_object,
    expect_string,
    parse_time,
    pointer,
    require_string,
    string_at,
)
from evidence.collectors.cyclonedx import purl_type
from evidence.collectors.interface import CollectorError, Document
from evidence.model import Component, Evidence, EvidenceKind

SUPPORTED_VERSIONS = ("SPDX-2.2", "SPDX-2.3")

_NO_VALUE = frozenset({"NOASSERTION", "NONE"})
_DEPENDS = frozenset({"DEPENDS_ON", "CONTAINS"})  # A <type> B: A depends on B
_DEPENDED = frozenset({"DEPENDENCY_OF", "CONTAINED_BY"})  # A <type> B: B depends on A
_IMAGE_PURL_TYPES = frozenset({"oci", "docker"})
# SPDXIDs that Trivy and Syft give the image package.
_IMAGE_SPDXID_RE = re.compile(r"SPDXRef-(?:ContainerImage|DocumentRoot-Image)-")
_SOURCE_ROOT_SPDXID_RE = re.compile(r"SPDXRef-DocumentRoot-(?:Directory|File)-")
# Trivy's attribution texts that name the image: `RepoDigest: repo@sha256:...`, `ImageID: sha256:...`.
_IMAGE_ATTRIBUTION_RE = re.compile(r"(?:RepoDigest|ImageID):\s*(\S+)")
_LAYER_ATTRIBUTION_RE = re.compile(r"LayerDiffID:\s*(\S+)")
_TOOL_VERSION_RE = re.compile(r"(.+?)-(v?\d.*)")
# SPDX's names for SHA-1 and SHA-2 checksums, and CycloneDX's, which the records use; others are spelled alike.
_HASH_NAMES = {"SHA1": "SHA-1", "SHA224": "SHA-224", "SHA256": "SHA-256", "SHA384": "SHA-384", "SHA512": "SHA-512"}
_TAG_VALUE_VERSION_RE = re.compile(rb"^[ \t]*SPDXVersion:[ \t]*SPDX-", re.MULTILINE)
_SNIFF_BYTES = 8192


@dataclass(slots=True)
class _Package:
    name: str
    location: str
    spdxid: str | None = None
    version: str | None = None
    supplier: str | None = None
    originator: str | None = None
    purpose: str | None = None
    purls: list[str] = field(default_factory=list)
    license_concluded: str | None = None
    license_declared: str | None = None
    checksums: list[tuple[str, str]] = field(default_factory=list)
    attribution_texts: list[str] = field(default_factory=list)
    annotation_comments: list[str] = field(default_factory=list)  # Trivy 0.5x writes its facts here

    @property
    def notes(self) -> list[str]:
        """The `Key: value` lines a tool left on the package: attribution texts, then annotation comments."""
        return [*self.attribution_texts, *self.annotation_comments]


@dataclass(slots=True)
class _Sbom:
    version: str
    document_id: str = "SPDXRef-DOCUMENT"
    creators: list[str] = field(default_factory=list)
    created: str | None = None
    describes: list[str] = field(default_factory=list)
    packages: list[_Package] = field(default_factory=list)
    relationships: list[tuple[str, str, str]] = field(default_factory=list)  # (element, type, related element)


class SpdxJson:
    name = "spdx-json"

    def sniff(self, doc: Document) -> bool:
        data = doc.json()
        return isinstance(data, dict) and "spdxVersion" in data and ("SPDXID" in data or "creationInfo" in data)

    def parse(self, doc: Document) -> Evidence:
        return _evidence(doc, "SPDX JSON", _JsonReader(doc.path).read(doc))


class SpdxTagValue:
    name = "spdx-tag-value"

    def sniff(self, doc: Document) -> bool:
        return not doc.looks_like_json and _TAG_VALUE_VERSION_RE.search(doc.data[:_SNIFF_BYTES]) is not None

    def parse(self, doc: Document) -> Evidence:
        return _evidence(doc, "SPDX tag-value", _read_tag_value(doc))


# --- normalizing, for both forms ---


def _evidence(doc: Document, format_name: str, sbom: _Sbom) -> Evidence:
    described = set(sbom.describes)
    described.update(b for a, kind, b in sbom.relationships if kind == "DESCRIBES" and a == sbom.document_id)
    described.update(a for a, kind, b in sbom.relationships if kind == "DESCRIBED_BY" and b == sbom.document_id)
    images = [p for p in sbom.packages if p.spdxid in described and _is_image(p)]
    sources = [p for p in sbom.packages if p.spdxid in described and _SOURCE_ROOT_SPDXID_RE.match(p.spdxid or "")]
    roots = {id(p) for p in (*images, *sources)}
    members = [p for p in sbom.packages if id(p) not in roots]
    known = {p.spdxid for p in members if p.spdxid}
    depends_on: dict[str, list[str]] = {}
    for a, kind, b in sbom.relationships:
        if kind in _DEPENDED:
            a, b = b, a  # noqa: PLW2901 (read the other way round)
        elif kind not in _DEPENDS:
            continue
        if a in known and b in known and a != b:
            depends_on.setdefault(a, []).append(b)
    tool, tool_version = _tool(sbom.creators)
    return doc.evidence(
        kind=EvidenceKind.SBOM,
        format=format_name,
        format_version=sbom.version.removeprefix("SPDX-"),
        tool=tool,
        tool_version=tool_version,
        subjects=tuple(dict.fromkeys(d for p in images for d in _image_digests(p))),
        collected_at=parse_time(sbom.created),
        components=tuple(_component(p, depends_on) for p in members),
    )


def _is_image(package: _Package) -> bool:
    return (
        (package.purpose or "").upper() == "CONTAINER"
        or any(purl_type(purl) in _IMAGE_PURL_TYPES for purl in package.purls)
        or bool(package.spdxid and _IMAGE_SPDXID_RE.match(package.spdxid))
        or bool(package.version and DIGEST_RE.fullmatch(package.version))
        or "@sha256:" in package.name
    )


def _image_digests(package: _Package) -> list[str]:
    found = digests_in(package.version) + digests_in(package.name)
    for purl in package.purls:
        if purl_type(purl) in _IMAGE_PURL_TYPES:
            found += digests_in_reference(purl)
    for algorithm, value in package.checksums:
        if algorithm.upper() == "SHA256" and DIGEST_RE.fullmatch(digest := f"sha256:{value.lower()}"):
            found.append(digest)
    for text in package.notes:
        if match := _IMAGE_ATTRIBUTION_RE.match(text):
            found += digests_in(match.group(1))
    return found


def _component(package: _Package, depends_on: dict[str, list[str]]) -> Component:
    purl = package.purls[0] if package.purls else None
    licenses = [
        text
        for text in (package.license_concluded, package.license_declared)
        if text and text.strip().upper() not in _NO_VALUE
    ]
    return Component(
        name=package.name,
        version=package.version,
        purl=purl,
        type=package.purpose.lower() if package.purpose else purl_type(purl),
        licenses=tuple(dict.fromkeys(licenses)),
        # Syft writes the package maintainer as originator and no supplier; that is the closest name there is.
        supplier=_party(package.supplier) or _party(package.originator),
        hashes={_HASH_NAMES.get(algorithm, algorithm): value for algorithm, value in package.checksums},
        # Trivy names the layer a package came from in an attribution text, as it does in a CycloneDX property.
        layer=next((m.group(1) for t in package.notes if (m := _LAYER_ATTRIBUTION_RE.match(t))), None),
        ref=package.spdxid,
        depends_on=tuple(dict.fromkeys(depends_on.get(package.spdxid, ()))) if package.spdxid else (),
        location=package.location,
    )


def _party(text: str | None) -> str | None:
    """`Organization: Anchore, Inc` -> `Anchore, Inc`; NOASSERTION reads as None."""
    if not text or text.strip().upper() in _NO_VALUE:
        return None
    kind, sep, name = text.partition(":")
    if sep and kind.strip() in ("Person", "Organization", "Tool"):
        return name.strip() or None
    return text.strip()


def _tool(creators: list[str]) -> tuple[str | None, str | None]:
    """The first `Tool: name-version` creator, split at the hyphen before the version (`syft-0.90.0`,
    `cyclonedx-gomod-1.4.0`), or else at the last hyphen (`trivy-dev`)."""
    for creator in creators:
        kind, _, value = creator.partition(":")
        value = value.strip()
        if kind.strip() != "Tool" or not value:
            continue
        if match := _TOOL_VERSION_RE.fullmatch(value):
            return match.group(1), match.group(2)
        name, sep, version = value.rpartition("-")
        if not sep or not name:
            return value, None
        # Syft writes `[not provided]` when it was built without a version.
        return name, None if not version or version.startswith("[") else version
    return None, None


def _check_version(path: str, version: str) -> None:
    if version not in SUPPORTED_VERSIONS:
        raise CollectorError(
            path,
            f"SPDX version {version!r} is recognized but not supported (supported: {', '.join(SUPPORTED_VERSIONS)})",
        )


# --- JSON ---


class _JsonReader:
    def __init__(self, path: str) -> None:
        self.path = path

    def read(self, doc: Document) -> _Sbom:
        data = expect_object(doc.json(), self.path, "")
        version = require_string(data.get("spdxVersion"), self.path, "/spdxVersion").strip()
        _check_version(self.path, version)
        info = expect_object(data.get("creationInfo"), self.path, "/creationInfo", optional=True)
        creators = [
            creator
            for i, entry in enumerate(expect_array(info.get("creators"), self.path, "/creationInfo/creators"))
            if (creator := expect_string(entry, self.path, f"/creationInfo/creators/{i}"))
        ]
        describes = [
            ref
            for i, entry in enumerate(expect_array(data.get("documentDescribes"), self.path, "/documentDescribes"))
            if (ref := expect_string(entry, self.path, f"/documentDescribes/{i}"))
        ]
        return _Sbom(
            version=version,
            document_id=expect_string(data.get("SPDXID"), self.path, "/SPDXID") or "SPDXRef-DOCUMENT",
            creators=creators,
            created=expect_string(info.get("created"), self.path, "/creationInfo/created"),
            describes=describes,
            packages=[
                self._package(entry, pointer("packages", i))
                for i, entry in enumerate(expect_array(data.get("packages"), self.path, "/packages"))
            ],
            relationships=self._relationships(data),
        )

    def _package(self, entry: Any, where: str) -> _Package:
        fields = expect_object(entry, self.path, where)
        package = _Package(
            name=require_string(fields.get("name"), self.path, f"{where}/name"),
            location=where,
            spdxid=string_at(fields, "SPDXID", self.path, where),
            version=string_at(fields, "versionInfo", self.path, where),
            supplier=string_at(fields, "supplier", self.path, where),
            originator=string_at(fields, "originator", self.path, where),
            purpose=string_at(fields, "primaryPackagePurpose", self.path, where),
            license_concluded=string_at(fields, "licenseConcluded", self.path, where),
            license_declared=string_at(fields, "licenseDeclared", self.path, where),
        )
        for i, ref in enumerate(array_at(fields, "externalRefs", self.path, where)):
            at = f"{where}/externalRefs/{i}"
            ref_fields = expect_object(ref, self.path, at)
            category = string_at(ref_fields, "referenceCategory", self.path, at)
            kind = string_at(ref_fields, "referenceType", self.path, at)
            locator = string_at(ref_fields, "referenceLocator", self.path, at)
            if _is_purl_ref(category, kind) and locator:
                package.purls.append(locator)
        for i, checksum in enumerate(array_at(fields, "checksums", self.path, where)):
            at = f"{where}/checksums/{i}"
            checksum_fields = expect_object(checksum, self.path, at)
            algorithm = string_at(checksum_fields, "algorithm", self.path, at)
            value = string_at(checksum_fields, "checksumValue", self.path, at)
            if algorithm and value:
                package.checksums.append((algorithm, value))
        for i, text in enumerate(array_at(fields, "attributionTexts", self.path, where)):
            attribution = expect_string(text, self.path, f"{where}/attributionTexts/{i}")
            if attribution:
                package.attribution_texts.append(attribution)
        for i, annotation in enumerate(array_at(fields, "annotations", self.path, where)):
            at = f"{where}/annotations/{i}"
            comment = string_at(expect_object(annotation, self.path, at), "comment", self.path, at)
            if comment:
                package.annotation_comments.append(comment)
        return package

    def _relationships(self, data: dict[str, Any]) -> list[tuple[str, str, str]]:
        found: list[tuple[str, str, str]] = []
        for i, entry in enumerate(expect_array(data.get("relationships"), self.path, "/relationships")):
            fields = entry if isinstance(entry, dict) else expect_object(entry, self.path, f"/relationships/{i}")
            element, kind, related = (
                fields.get("spdxElementId"),
                fields.get("relationshipType"),
                fields.get("relatedSpdxElement"),
            )
            # Tens of thousands of these in a large SBOM: the checked reads run only when a value is not plain.
            if not (isinstance(element, str) and isinstance(kind, str) and isinstance(related, str)) or not (
                element.strip() and kind.strip() and related.strip()
            ):
                at = f"/relationships/{i}"
                element = require_string(element, self.path, f"{at}/spdxElementId")
                kind = require_string(kind, self.path, f"{at}/relationshipType")
                related = require_string(related, self.path, f"{at}/relatedSpdxElement")
            found.append((element, kind.upper(), related))
        return found


def _is_purl_ref(category: str | None, kind: str | None) -> bool:
    # The spec spells the category PACKAGE-MANAGER; SPDX 2.2 JSON writers (Syft among them) wrote PACKAGE_MANAGER.
    return (category or "").upper().replace("_", "-") == "PACKAGE-MANAGER" and kind == "purl"


# --- tag-value ---

_TAG_RE = re.compile(r"([A-Za-z][A-Za-z0-9]*):(.*)")
_TEXT_OPEN, _TEXT_CLOSE = "<text>", "</text>"
# Tags that open a section whose SPDXID, checksums and licenses are not a package's.
_OTHER_SECTIONS = frozenset({"FileName", "SnippetSPDXID", "LicenseID", "Annotator", "ExternalDocumentRef"})


def _tag_values(doc: Document) -> list[tuple[int, str, str]]:
    """Each `Tag: value` of a tag-value file with its line number; `<text>...</text>` values may span lines."""
    # Split on newlines only, so that line numbers are an editor's (splitlines also breaks at \f, \v, ...).
    lines = [line.removesuffix("\r") for line in doc.text().split("\n")]
    found: list[tuple[int, str, str]] = []
    index = 0
    while index < len(lines):
        line_number, line = index + 1, lines[index]
        index += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _TAG_RE.fullmatch(stripped)
        if match is None:
            raise CollectorError(doc.path, f"line {line_number}: expected `Tag: value`, found {stripped[:60]!r}")
        tag, value = match.group(1), match.group(2).strip()
        if value.startswith(_TEXT_OPEN):
            value = value[len(_TEXT_OPEN) :]
            parts: list[str] = []
            while _TEXT_CLOSE not in value:
                parts.append(value)
                if index >= len(lines):
                    raise CollectorError(doc.path, f"line {line_number}: {tag} opens {_TEXT_OPEN} but never closes it")
                value = lines[index]
                index += 1
            parts.append(value[: value.index(_TEXT_CLOSE)])
            value = "\n".join(parts).strip()
        found.append((line_number, tag, value))
    return found


def _read_tag_value(doc: Document) -> _Sbom:
    pairs = _tag_values(doc)
    version = next((value for _, tag, value in pairs if tag == "SPDXVersion"), "")
    if not version:
        raise CollectorError(doc.path, "SPDXVersion is required but missing or empty")
    _check_version(doc.path, version)
    sbom = _Sbom(version=version)
    package: _Package | None = None  # the package whose section this is; None in the document's or a file's
    in_document = True
    for line_number, tag, value in pairs:
        at = f"line {line_number}"
        if tag == "PackageName":
            if not value:
                raise CollectorError(doc.path, f"{at}: PackageName is empty")
            package = _Package(name=value, location=at)
            sbom.packages.append(package)
            in_document = False
        elif tag in _OTHER_SECTIONS:
            package, in_document = None, False
        elif tag == "Relationship":
            parts = value.split()
            if len(parts) != 3:
                raise CollectorError(doc.path, f"{at}: Relationship should be `element TYPE element`, found {value!r}")
            sbom.relationships.append((parts[0], parts[1].upper(), parts[2]))
        elif in_document:
            _document_tag(sbom, tag, value)
        elif package is not None:
            _package_tag(doc.path, package, tag, value, at)
    _annotate(sbom.packages, pairs)
    return sbom


def _annotate(packages: list[_Package], pairs: list[tuple[int, str, str]]) -> None:
    """Give each package the `AnnotationComment` of every annotation whose `SPDXREF` names it."""
    by_id = {p.spdxid: p for p in packages if p.spdxid}
    annotated: str | None = None
    for _, tag, value in pairs:
        if tag == "Annotator":
            annotated = None
        elif tag == "SPDXREF":
            annotated = value or None
        elif tag == "AnnotationComment" and annotated in by_id and value:
            by_id[annotated].annotation_comments.append(value)


def _document_tag(sbom: _Sbom, tag: str, value: str) -> None:
    if tag == "Creator" and value:
        sbom.creators.append(value)
    elif tag == "Created":
        sbom.created = value or None
    elif tag == "SPDXID" and value:
        sbom.document_id = value


# Tags whose value is one field of the package, kept as written.
_PACKAGE_FIELDS = {
    "SPDXID": "spdxid",
    "PackageVersion": "version",
    "PackageSupplier": "supplier",
    "PackageOriginator": "originator",
    "PrimaryPackagePurpose": "purpose",
    "PackageLicenseConcluded": "license_concluded",
    "PackageLicenseDeclared": "license_declared",
}


def _package_tag(path: str, package: _Package, tag: str, value: str, at: str) -> None:
    if not value:
        return
    if tag in _PACKAGE_FIELDS:
        setattr(package, _PACKAGE_FIELDS[tag], value)
    elif tag == "PackageAttributionText":
        package.attribution_texts.append(value)
    elif tag == "PackageChecksum":
        algorithm, sep, checksum = value.partition(":")
        if not sep or not algorithm.strip() or not checksum.strip():
            raise CollectorError(path, f"{at}: PackageChecksum should be `ALGORITHM: value`, found {value!r}")
        package.checksums.append((algorithm.strip(), checksum.strip()))
    elif tag == "ExternalRef":
        parts = value.split(maxsplit=2)
        if len(parts) != 3:
            raise CollectorError(path, f"{at}: ExternalRef should be `CATEGORY type locator`, found {value!r}")
        if _is_purl_ref(parts[0], parts[1]):
            package.purls.append(parts[2])
