"""Trivy JSON reports (`trivy image --format json`), SchemaVersion 2."""

from __future__ import annotations

import re
from typing import Any

from evidence.collectors._util import (
    array_at,
    digests_in,
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
from evidence.collectors.filters import trivy_filters
from evidence.collectors.image_config import read_history
from evidence.collectors.interface import CollectorError, Document
from evidence.model import (
    Cvss,
    Detection,
    DetectionCategory,
    Evidence,
    EvidenceKind,
    ImageConfigFacts,
    Severity,
    VulnerabilityFinding,
)

SUPPORTED_SCHEMA_VERSION = 2
# Trivy's VendorSeverity numbers.
_VENDOR_SEVERITY = (Severity.UNKNOWN, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
# Misconfiguration checks that did not fail (`--include-non-failures`) are not findings.
_NOT_FAILED = {"PASS", "EXCEPTION"}

# Only references that are a CVE's own record name the CVE an advisory (GHSA, GO-, ...) is about;
# other links mention unrelated CVEs too often to be aliases.
_CVE_RECORD_RE = re.compile(
    r"^https?://(?:nvd\.nist\.gov/vuln/detail/|cve\.mitre\.org/cgi-bin/cvename\.cgi\?name=|www\.cve\.org/CVERecord\?id=)"
    r"(CVE-\d{4}-\d{4,})$",
    re.IGNORECASE,
)
_CVSS_VERSION_RE = re.compile(r"^CVSS:(\d+\.\d+)/")
# Trivy's per-source CVSS keys, and the CVSS version each stands for when the vector does not say.
_CVSS_KEYS = (("V40", "4.0"), ("V3", "3.0"), ("V2", "2.0"))


class TrivyJson:
    name = "trivy-json"

    def sniff(self, doc: Document) -> bool:
        data = doc.json()
        # A scan that found no packages at all has no `Results`, so `ArtifactType` identifies it too.
        return (
            isinstance(data, dict)
            and "SchemaVersion" in data
            and "ArtifactName" in data
            and ("Results" in data or "ArtifactType" in data)
        )

    def parse(self, doc: Document) -> Evidence:
        return _Reader(doc.path).read(doc)


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def read(self, doc: Document) -> Evidence:
        report = expect_object(doc.json(), self.path, "")
        version = report.get("SchemaVersion")
        if isinstance(version, bool) or not isinstance(version, int):
            raise CollectorError(self.path, "/SchemaVersion should be a whole number")
        if version != SUPPORTED_SCHEMA_VERSION:
            raise CollectorError(
                self.path,
                f"Trivy JSON SchemaVersion {version} is recognized but not supported "
                f"(only SchemaVersion {SUPPORTED_SCHEMA_VERSION} is)",
            )
        trivy = expect_object(report.get("Trivy"), self.path, "/Trivy", optional=True)
        return doc.evidence(
            kind=EvidenceKind.VULNERABILITY_SCAN,
            format="Trivy JSON",
            format_version=str(version),
            tool="trivy",
            tool_version=expect_string(trivy.get("Version"), self.path, "/Trivy/Version"),
            subjects=self._subjects(report),
            collected_at=parse_time(expect_string(report.get("CreatedAt"), self.path, "/CreatedAt")),
            vulnerabilities=self._findings(report),
            detections=self._detections(report),
            image_config=self._layers(report),
            scan_filters=trivy_filters(report, self.path),
        )

    def _subjects(self, report: dict[str, Any]) -> tuple[str, ...]:
        metadata = expect_object(report.get("Metadata"), self.path, "/Metadata", optional=True)
        found = [
            d
            for ref in expect_strings(metadata.get("RepoDigests"), self.path, "/Metadata/RepoDigests")
            for d in digests_in(ref)
        ]
        found += digests_in(expect_string(metadata.get("ImageID"), self.path, "/Metadata/ImageID"))
        return tuple(dict.fromkeys(found))

    def _layers(self, report: dict[str, Any]) -> ImageConfigFacts | None:
        """The scanned image's layers and history, which tell the base image's layers from the build's and show
        the steps it was built with."""
        metadata = expect_object(report.get("Metadata"), self.path, "/Metadata", optional=True)
        config = expect_object(metadata.get("ImageConfig"), self.path, "/Metadata/ImageConfig", optional=True)
        layers = expect_strings(metadata.get("DiffIDs"), self.path, "/Metadata/DiffIDs")
        where = "/Metadata/ImageConfig/history"
        history = read_history(config.get("history"), self.path, where)
        if not layers and not history:
            return None
        location = where if history else ""
        return ImageConfigFacts(layers=tuple(layers), history_entries=history, history_location=location)

    def _findings(self, report: dict[str, Any]) -> tuple[VulnerabilityFinding, ...]:
        findings: list[VulnerabilityFinding] = []
        for i, entry in enumerate(expect_array(report.get("Results"), self.path, "/Results")):
            where = pointer("Results", i)
            result = expect_object(entry, self.path, where)
            package_type = string_at(result, "Type", self.path, where)
            vulnerabilities = array_at(result, "Vulnerabilities", self.path, where)
            for j, vulnerability in enumerate(vulnerabilities):
                at = f"{where}/Vulnerabilities/{j}"
                findings.append(self._finding(expect_object(vulnerability, self.path, at), package_type, at))
        return tuple(findings)

    def _finding(self, fields: dict[str, Any], package_type: str | None, where: str) -> VulnerabilityFinding:
        def text(key: str) -> str | None:
            return expect_string(fields.get(key), self.path, f"{where}/{key}")

        identifier = require_string(fields.get("VulnerabilityID"), self.path, f"{where}/VulnerabilityID")
        package_id = expect_object(fields.get("PkgIdentifier"), self.path, f"{where}/PkgIdentifier", optional=True)
        layer = expect_object(fields.get("Layer"), self.path, f"{where}/Layer", optional=True)
        source = expect_object(fields.get("DataSource"), self.path, f"{where}/DataSource", optional=True)
        fixed = text("FixedVersion") or ""
        return VulnerabilityFinding(
            id=identifier,
            aliases=self._aliases(fields, identifier, where),
            package=require_string(fields.get("PkgName"), self.path, f"{where}/PkgName"),
            installed_version=text("InstalledVersion"),
            purl=expect_string(package_id.get("PURL"), self.path, f"{where}/PkgIdentifier/PURL"),
            package_type=package_type,
            fixed_versions=tuple(v.strip() for v in fixed.split(",") if v.strip()),
            severity=Severity.parse(text("Severity")),
            severities=self._vendor_severities(fields, where),
            cvss=self._cvss(fields, where),
            title=text("Title"),
            description=text("Description"),
            published=parse_time(text("PublishedDate")),
            data_source=expect_string(source.get("URL"), self.path, f"{where}/DataSource/URL")
            or expect_string(source.get("ID"), self.path, f"{where}/DataSource/ID"),
            layer=expect_string(layer.get("DiffID"), self.path, f"{where}/Layer/DiffID"),
            location=where,
        )

    def _vendor_severities(self, fields: dict[str, Any], where: str) -> dict[str, Severity]:
        at = f"{where}/VendorSeverity"
        severities: dict[str, Severity] = {}
        for source, value in expect_object(fields.get("VendorSeverity"), self.path, at, optional=True).items():
            number = expect_number(value, self.path, f"{at}/{pointer(source)[1:]}")
            if number is not None:
                known = number.is_integer() and 0 <= number < len(_VENDOR_SEVERITY)
                severities[source] = _VENDOR_SEVERITY[int(number)] if known else Severity.UNKNOWN
        return severities

    def _detections(self, report: dict[str, Any]) -> tuple[Detection, ...]:
        detections: list[Detection] = []
        for i, entry in enumerate(expect_array(report.get("Results"), self.path, "/Results")):
            where = pointer("Results", i)
            result = expect_object(entry, self.path, where)
            target = string_at(result, "Target", self.path, where)
            for j, item in enumerate(array_at(result, "Misconfigurations", self.path, where)):
                at = f"{where}/Misconfigurations/{j}"
                detection = self._misconfiguration(expect_object(item, self.path, at), target, at)
                if detection is not None:
                    detections.append(detection)
            for j, item in enumerate(array_at(result, "Secrets", self.path, where)):
                at = f"{where}/Secrets/{j}"
                detections.append(self._secret(expect_object(item, self.path, at), target, at))
        return tuple(detections)

    def _misconfiguration(self, fields: dict[str, Any], target: str | None, where: str) -> Detection | None:
        status = string_at(fields, "Status", self.path, where)
        if status and status.upper() in _NOT_FAILED:
            return None
        identifier = string_at(fields, "AVDID", self.path, where) or require_string(
            fields.get("ID"), self.path, f"{where}/ID"
        )
        cause = expect_object(fields.get("CauseMetadata"), self.path, f"{where}/CauseMetadata", optional=True)
        lines = self._lines(cause, f"{where}/CauseMetadata")
        message = string_at(fields, "Message", self.path, where) or string_at(fields, "Description", self.path, where)
        return Detection(
            category=DetectionCategory.MISCONFIGURATION,
            id=identifier,
            title=string_at(fields, "Title", self.path, where),
            severity=Severity.parse(string_at(fields, "Severity", self.path, where)),
            target=target,
            message=" ".join(part for part in (message, lines and f"({lines})") if part) or None,
            location=where,
        )

    def _secret(self, fields: dict[str, Any], target: str | None, where: str) -> Detection:
        # `Match` and `Code` hold the secret itself (partly masked at best): they are never read.
        title = string_at(fields, "Title", self.path, where)
        category = string_at(fields, "Category", self.path, where)
        lines = self._lines(fields, where)
        described = f"{title} ({category})" if title and category else title or category
        return Detection(
            category=DetectionCategory.SECRET,
            id=require_string(fields.get("RuleID"), self.path, f"{where}/RuleID"),
            title=title,
            severity=Severity.parse(string_at(fields, "Severity", self.path, where)),
            target=target,
            message=" ".join(part for part in (described, lines and f"at {lines}") if part) or None,
            location=where,
        )

    def _lines(self, fields: dict[str, Any], where: str) -> str | None:
        """`line 3` or `lines 3-7`, from StartLine and EndLine."""
        start = expect_number(fields.get("StartLine"), self.path, f"{where}/StartLine")
        end = expect_number(fields.get("EndLine"), self.path, f"{where}/EndLine")
        if not start:
            return None
        if end is None or end == start:
            return f"line {int(start)}"
        return f"lines {int(start)}-{int(end)}"

    def _aliases(self, fields: dict[str, Any], identifier: str, where: str) -> tuple[str, ...]:
        aliases = expect_strings(fields.get("VendorIDs"), self.path, f"{where}/VendorIDs")
        if not identifier.upper().startswith("CVE-"):
            for url in expect_strings(fields.get("References"), self.path, f"{where}/References"):
                if match := _CVE_RECORD_RE.match(url.strip()):
                    aliases.append(match.group(1).upper())
        return tuple(a for a in dict.fromkeys(aliases) if a != identifier)

    def _cvss(self, fields: dict[str, Any], where: str) -> tuple[Cvss, ...]:
        scores: list[Cvss] = []
        for source, entry in expect_object(fields.get("CVSS"), self.path, f"{where}/CVSS", optional=True).items():
            at = f"{where}/CVSS/{pointer(source)[1:]}"
            metrics = expect_object(entry, self.path, at)
            for key, default_version in _CVSS_KEYS:
                vector = expect_string(metrics.get(f"{key}Vector"), self.path, f"{at}/{key}Vector")
                score = expect_number(metrics.get(f"{key}Score"), self.path, f"{at}/{key}Score")
                if vector is None and score is None:
                    continue
                stated = _CVSS_VERSION_RE.match(vector or "")
                scores.append(
                    Cvss(
                        source=source,
                        version=stated.group(1) if stated else default_version,
                        vector=vector,
                        score=score,
                    )
                )
        return tuple(scores)
