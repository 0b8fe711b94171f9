"""Amazon Inspector findings for ECR images: the output of `aws inspector2 list-findings`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from evidence.collectors._util import (
    DIGEST_RE,
    array_at,
    expect_array,
    expect_number,
    expect_object,
    expect_strings,
    parse_time,
    pointer,
    require_string,
    string_at,
)
from evidence.collectors.interface import CollectorError, Document
from evidence.model import Cvss, Evidence, EvidenceKind, Severity, VulnerabilityFinding

# Inspector writes this where a package has no fixed version.
_NO_FIX = "NotAvailable"
# A closed finding is one Inspector no longer observes in the image.
_CLOSED = "CLOSED"


class InspectorFindings:
    name = "aws-inspector-findings"

    def sniff(self, doc: Document) -> bool:
        data = doc.json()
        if not isinstance(data, dict) or not isinstance(data.get("findings"), list) or not data["findings"]:
            return False
        first = data["findings"][0]
        return isinstance(first, dict) and "findingArn" in first and "awsAccountId" in first

    def parse(self, doc: Document) -> Evidence:
        return _Reader(doc.path).read(doc)


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def read(self, doc: Document) -> Evidence:
        report = expect_object(doc.json(), self.path, "")
        images: list[str] = []
        updated: list[datetime] = []
        findings: list[VulnerabilityFinding] = []
        for i, entry in enumerate(expect_array(report.get("findings"), self.path, "/findings")):
            where = pointer("findings", i)
            finding = expect_object(entry, self.path, where)
            images += self._images(finding, where)
            moment = self._time(finding.get("updatedAt"), f"{where}/updatedAt")
            if moment:
                updated.append(moment)
            status = string_at(finding, "status", self.path, where)
            if "packageVulnerabilityDetails" in finding and (status or "").upper() != _CLOSED:
                findings += self._findings(finding, where)
        subjects = tuple(dict.fromkeys(images))
        if len(subjects) > 1:
            # Findings do not say which of several images each package is in once merged, so they cannot be used.
            raise CollectorError(
                self.path,
                f"holds findings for {len(subjects)} different images; list the findings of one image "
                "(filter on ecrImageHash) and supply that file",
            )
        return doc.evidence(
            kind=EvidenceKind.VULNERABILITY_SCAN,
            format="Amazon Inspector findings",
            tool="amazon-inspector",
            subjects=subjects,
            collected_at=max(updated, default=None),
            vulnerabilities=tuple(findings),
        )

    def _time(self, value: object, where: str) -> datetime | None:
        """AWS CLI v2 writes ISO 8601 text; v1 and the raw API write seconds since the epoch."""
        if isinstance(value, str):
            return parse_time(value)
        seconds = expect_number(value, self.path, where)
        if seconds is None:
            return None
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise CollectorError(self.path, f"{where} is not a time: {seconds}") from None

    def _images(self, finding: dict[str, Any], where: str) -> list[str]:
        found: list[str] = []
        for i, entry in enumerate(array_at(finding, "resources", self.path, where)):
            at = f"{where}/resources/{i}"
            details = expect_object(
                expect_object(entry, self.path, at).get("details"), self.path, f"{at}/details", optional=True
            )
            image_at = f"{at}/details/awsEcrContainerImage"
            image = expect_object(details.get("awsEcrContainerImage"), self.path, image_at, optional=True)
            digest = string_at(image, "imageHash", self.path, image_at)
            if digest:
                if not DIGEST_RE.fullmatch(digest):
                    raise CollectorError(self.path, f"{image_at}/imageHash is not a sha256 digest: {digest[:80]!r}")
                found.append(digest)
        return found

    def _findings(self, finding: dict[str, Any], where: str) -> list[VulnerabilityFinding]:
        at = f"{where}/packageVulnerabilityDetails"
        details = expect_object(finding.get("packageVulnerabilityDetails"), self.path, at)
        identifier = require_string(details.get("vulnerabilityId"), self.path, f"{at}/vulnerabilityId")
        severity = Severity.parse(string_at(finding, "severity", self.path, where))  # UNTRIAGED reads as unknown
        severities = {"inspector": severity}
        source = string_at(details, "source", self.path, at)
        vendor_severity = string_at(details, "vendorSeverity", self.path, at)
        if source and vendor_severity:
            severities[source.lower()] = Severity.parse(vendor_severity)
        epss = expect_object(finding.get("epss"), self.path, f"{where}/epss", optional=True)
        shared: dict[str, Any] = {
            "id": identifier,
            "aliases": tuple(
                a
                for a in dict.fromkeys(
                    expect_strings(details.get("relatedVulnerabilities"), self.path, f"{at}/relatedVulnerabilities")
                )
                if a != identifier
            ),
            "severity": severity,
            "severities": severities,
            "cvss": self._cvss(details, at),
            "title": string_at(finding, "title", self.path, where),
            "description": string_at(finding, "description", self.path, where),
            "published": self._time(details.get("vendorCreatedAt"), f"{at}/vendorCreatedAt")
            or self._time(finding.get("firstObservedAt"), f"{where}/firstObservedAt"),
            "data_source": string_at(details, "sourceUrl", self.path, at) or source,
            "epss": expect_number(epss.get("score"), self.path, f"{where}/epss/score"),
        }
        findings: list[VulnerabilityFinding] = []
        for i, entry in enumerate(array_at(details, "vulnerablePackages", self.path, at)):
            package_at = f"{at}/vulnerablePackages/{i}"
            package = expect_object(entry, self.path, package_at)
            fixed = string_at(package, "fixedInVersion", self.path, package_at)
            manager = string_at(package, "packageManager", self.path, package_at)
            findings.append(
                VulnerabilityFinding(
                    package=require_string(package.get("name"), self.path, f"{package_at}/name"),
                    installed_version=self._version(package, package_at),
                    package_type=manager.lower() if manager else None,
                    fixed_versions=(fixed,) if fixed and fixed != _NO_FIX else (),
                    layer=string_at(package, "sourceLayerHash", self.path, package_at),
                    location=package_at,
                    **shared,
                )
            )
        return findings

    def _version(self, package: dict[str, Any], where: str) -> str | None:
        """`epoch:version-release` as the package manager writes it; Inspector keeps the three apart."""
        version = string_at(package, "version", self.path, where)
        if version is None:
            return None
        release = string_at(package, "release", self.path, where)
        epoch = expect_number(package.get("epoch"), self.path, f"{where}/epoch")
        full = f"{version}-{release}" if release else version
        return f"{int(epoch)}:{full}" if epoch else full

    def _cvss(self, details: dict[str, Any], where: str) -> tuple[Cvss, ...]:
        scores: list[Cvss] = []
        for i, entry in enumerate(array_at(details, "cvss", self.path, where)):
            at = f"{where}/cvss/{i}"
            score = expect_object(entry, self.path, at)
            scores.append(
                Cvss(
                    source=string_at(score, "source", self.path, at) or "inspector",
                    version=string_at(score, "version", self.path, at),
                    vector=string_at(score, "scoringVector", self.path, at),
                    score=expect_number(score.get("baseScore"), self.path, f"{at}/baseScore"),
                )
            )
        return tuple(dict.fromkeys(scores))
