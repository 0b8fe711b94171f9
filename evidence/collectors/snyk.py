"""Snyk container JSON (`snyk container test --json`): one project object, or an array of them."""

from __future__ import annotations

import math
import re
from typing import Any

from evidence.collectors._util import (
    array_at,
    digests_in_reference,
    expect_array,
    expect_number,
    expect_object,
    expect_strings,
    parse_time,
    pointer,
    require_string,
    string_at,
)
from evidence.collectors.filters import snyk_filters
from evidence.collectors.interface import CollectorError, Document
from evidence.model import Cvss, Evidence, EvidenceKind, ScanFilter, Severity, VulnerabilityFinding

# Keys only Snyk's test output has; `path` and `projectName` alone are too common to go by.
_SNYK_KEYS = ("dependencyCount", "licensesPolicy", "uniqueCount", "filesystemPolicy")
_CVSS_VERSION_RE = re.compile(r"^CVSS:(\d+\.\d+)/")


def _is_project(value: object) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("vulnerabilities"), list):
        return False
    if "packageManager" not in value:
        return False
    named = "projectName" in value or "path" in value
    return "docker" in value or (named and any(key in value for key in _SNYK_KEYS))


class SnykContainerJson:
    name = "snyk-container-json"

    def sniff(self, doc: Document) -> bool:
        data = doc.json()
        if isinstance(data, list):
            return bool(data) and _is_project(data[0])
        return _is_project(data)

    def parse(self, doc: Document) -> Evidence:
        return _Reader(doc.path).read(doc)


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def read(self, doc: Document) -> Evidence:
        data = doc.json()
        if isinstance(data, list):
            projects = [(pointer(i), expect_object(p, self.path, pointer(i))) for i, p in enumerate(data)]
        else:
            projects = [("", expect_object(data, self.path, ""))]
        subjects: list[str] = []
        findings: dict[tuple[str, str, str], VulnerabilityFinding] = {}
        filters: list[ScanFilter] = []
        for where, project in projects:
            subjects += self._subjects(project, where)
            # The image's own packages, then each application found in it (npm, jar, ...).
            scanned = [(where, project)] + [
                (f"{where}/applications/{i}", expect_object(app, self.path, f"{where}/applications/{i}"))
                for i, app in enumerate(array_at(project, "applications", self.path, where))
            ]
            for at, target in scanned:
                filters += snyk_filters(target, self.path, at)
                package_type = string_at(target, "packageManager", self.path, at)
                for j, entry in enumerate(
                    expect_array(target.get("vulnerabilities"), self.path, f"{at}/vulnerabilities")
                ):
                    vulnerability_at = f"{at}/vulnerabilities/{j}"
                    finding = self._finding(
                        expect_object(entry, self.path, vulnerability_at), package_type, vulnerability_at
                    )
                    # Snyk repeats a vulnerability once per dependency path that reaches the package.
                    findings.setdefault((finding.id, finding.package, finding.installed_version or ""), finding)
        return doc.evidence(
            kind=EvidenceKind.VULNERABILITY_SCAN,
            format="Snyk container JSON",
            tool="snyk",
            subjects=tuple(dict.fromkeys(subjects)),
            vulnerabilities=tuple(findings.values()),
            scan_filters=tuple(filters),
        )

    def _subjects(self, project: dict[str, Any], where: str) -> list[str]:
        """Digests naming the scanned image: an image scanned by digest, or the image id where Snyk writes it."""
        docker = expect_object(project.get("docker"), self.path, f"{where}/docker", optional=True)
        found: list[str] = []
        for fields, at, key in (
            (project, where, "path"),
            (project, where, "projectName"),
            (project, where, "imageId"),
            (docker, f"{where}/docker", "imageId"),
        ):
            found += digests_in_reference(string_at(fields, key, self.path, at))
        return found

    def _finding(self, fields: dict[str, Any], package_type: str | None, where: str) -> VulnerabilityFinding:
        snyk_id = require_string(fields.get("id"), self.path, f"{where}/id")
        at = f"{where}/identifiers"
        identifiers = expect_object(fields.get("identifiers"), self.path, at, optional=True)
        cves = expect_strings(identifiers.get("CVE"), self.path, f"{at}/CVE")
        others = [
            *expect_strings(identifiers.get("GHSA"), self.path, f"{at}/GHSA"),
            *expect_strings(identifiers.get("ALTERNATIVE"), self.path, f"{at}/ALTERNATIVE"),
        ]
        identifier = cves[0] if cves else snyk_id
        aliases = [snyk_id, *cves[1:], *others]
        package = string_at(fields, "packageName", self.path, where) or string_at(fields, "name", self.path, where)
        if package is None:
            raise CollectorError(self.path, f"{where} names no package (packageName or name)")
        severity = string_at(fields, "severity", self.path, where)
        nvd_severity = string_at(fields, "nvdSeverity", self.path, where)
        severities = {"snyk": Severity.parse(severity)} if severity else {}
        severities |= {"nvd": Severity.parse(nvd_severity)} if nvd_severity else {}
        cvss, assigned = self._cvss(fields, where)
        epss = expect_object(fields.get("epssDetails"), self.path, f"{where}/epssDetails", optional=True)
        return VulnerabilityFinding(
            id=identifier,
            aliases=tuple(a for a in dict.fromkeys(aliases) if a != identifier),
            package=package,
            installed_version=string_at(fields, "version", self.path, where),
            package_type=package_type,
            fixed_versions=tuple(expect_strings(fields.get("fixedIn"), self.path, f"{where}/fixedIn")),
            severity=Severity.parse(severity),
            severities=assigned | severities,
            cvss=cvss,
            title=string_at(fields, "title", self.path, where),
            description=string_at(fields, "description", self.path, where),
            published=parse_time(string_at(fields, "publicationTime", self.path, where)),
            data_source="snyk",
            epss=self._decimal(epss.get("probability"), f"{where}/epssDetails/probability"),
            epss_percentile=self._decimal(epss.get("percentile"), f"{where}/epssDetails/percentile"),
            location=where,
        )

    def _cvss(self, fields: dict[str, Any], where: str) -> tuple[tuple[Cvss, ...], dict[str, Severity]]:
        """Snyk's own CVSS, then each assigner's (NVD, Red Hat, SUSE...) with the severity it gave."""
        scores: list[Cvss] = []
        severities: dict[str, Severity] = {}
        vector = string_at(fields, "CVSSv3", self.path, where)
        score = expect_number(fields.get("cvssScore"), self.path, f"{where}/cvssScore")
        if vector or score is not None:
            scores.append(Cvss(source="snyk", version=_cvss_version(vector), vector=vector, score=score))
        for i, entry in enumerate(array_at(fields, "cvssDetails", self.path, where)):
            at = f"{where}/cvssDetails/{i}"
            details = expect_object(entry, self.path, at)
            assigner = string_at(details, "assigner", self.path, at) or "snyk"
            vector = string_at(details, "cvssV3Vector", self.path, at)
            scores.append(
                Cvss(
                    source=assigner,
                    version=_cvss_version(vector),
                    vector=vector,
                    score=expect_number(details.get("cvssV3BaseScore"), self.path, f"{at}/cvssV3BaseScore"),
                )
            )
            severity = string_at(details, "severity", self.path, at)
            if severity:
                severities[assigner.lower()] = Severity.parse(severity)
        return tuple(dict.fromkeys(scores)), severities

    def _decimal(self, value: object, where: str) -> float | None:
        """A number Snyk may write as a string (`"0.00046"`)."""
        if not isinstance(value, str):
            return expect_number(value, self.path, where)
        if not value.strip():
            return None
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise CollectorError(self.path, f"{where} should be a number, found {value[:40]!r}")
        return number


def _cvss_version(vector: str | None) -> str | None:
    stated = _CVSS_VERSION_RE.match(vector or "")
    return stated.group(1) if stated else None
