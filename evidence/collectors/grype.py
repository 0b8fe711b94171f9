"""Grype JSON reports (`grype -o json`), from the 0.2x releases to the current schema."""

from __future__ import annotations

from datetime import datetime
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
from evidence.collectors.filters import grype_filters
from evidence.collectors.interface import Document
from evidence.model import Cvss, Evidence, EvidenceKind, Severity, VulnerabilityFinding

# Releases before `cvss` was a list wrote one object per CVSS version.
_LEGACY_CVSS_KEYS = (("cvssV3", "3.0"), ("cvssV2", "2.0"))


class GrypeJson:
    name = "grype-json"

    def sniff(self, doc: Document) -> bool:
        data = doc.json()
        if not isinstance(data, dict) or not isinstance(data.get("matches"), list):
            return False
        descriptor, source = data.get("descriptor"), data.get("source")
        return (isinstance(descriptor, dict) and descriptor.get("name") == "grype") or (
            isinstance(source, dict) and "type" in source
        )

    def parse(self, doc: Document) -> Evidence:
        return _Reader(doc.path).read(doc)


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def read(self, doc: Document) -> Evidence:
        report = expect_object(doc.json(), self.path, "")
        descriptor = expect_object(report.get("descriptor"), self.path, "/descriptor", optional=True)
        findings: list[VulnerabilityFinding] = []
        for i, match in enumerate(expect_array(report.get("matches"), self.path, "/matches")):
            where = pointer("matches", i)
            findings.append(self._finding(expect_object(match, self.path, where), where))
        return doc.evidence(
            kind=EvidenceKind.VULNERABILITY_SCAN,
            format="Grype JSON",
            # The report itself carries no schema version; descriptor.db.schemaVersion is the database's.
            format_version=None,
            tool="grype",
            tool_version=expect_string(descriptor.get("version"), self.path, "/descriptor/version"),
            subjects=self._subjects(report),
            collected_at=parse_time(expect_string(descriptor.get("timestamp"), self.path, "/descriptor/timestamp")),
            database_updated=self._database_built(descriptor),
            vulnerabilities=tuple(findings),
            scan_filters=grype_filters(report, descriptor, self.path),
        )

    def _database_built(self, descriptor: dict[str, Any]) -> datetime | None:
        """When the vulnerability database was built: `db.built` before schema 6, `db.status.built` from 6 on."""
        where = "/descriptor/db"
        db = expect_object(descriptor.get("db"), self.path, where, optional=True)
        status = expect_object(db.get("status"), self.path, f"{where}/status", optional=True)
        for fields, at in ((status, f"{where}/status"), (db, where)):
            for key in ("built", "lastUpdated"):
                built = parse_time(string_at(fields, key, self.path, at))
                if built:
                    return built
        return None

    def _subjects(self, report: dict[str, Any]) -> tuple[str, ...]:
        source = expect_object(report.get("source"), self.path, "/source", optional=True)
        target = source.get("target")
        if not isinstance(target, dict):
            return ()  # a directory or file scan names a path, not an image
        where = "/source/target"
        found = [
            digest
            for reference in expect_strings(target.get("repoDigests"), self.path, f"{where}/repoDigests")
            for digest in digests_in(reference)
        ]
        for key in ("manifestDigest", "imageID"):
            found += digests_in(expect_string(target.get(key), self.path, f"{where}/{key}"))
        return tuple(dict.fromkeys(found))

    def _finding(self, match: dict[str, Any], where: str) -> VulnerabilityFinding:
        vulnerability = expect_object(match.get("vulnerability"), self.path, f"{where}/vulnerability")
        artifact = expect_object(match.get("artifact"), self.path, f"{where}/artifact")
        related = [
            expect_object(entry, self.path, f"{where}/relatedVulnerabilities/{i}")
            for i, entry in enumerate(array_at(match, "relatedVulnerabilities", self.path, where))
        ]
        at = f"{where}/vulnerability"
        identifier = require_string(vulnerability.get("id"), self.path, f"{at}/id")
        description = string_at(vulnerability, "description", self.path, at)
        cvss = self._cvss(vulnerability, at)
        aliases: list[str] = []
        severities = self._namespace_severity(vulnerability, at)
        for i, entry in enumerate(related):
            related_at = f"{where}/relatedVulnerabilities/{i}"
            aliases += [require_string(entry.get("id"), self.path, f"{related_at}/id")]
            cvss += self._cvss(entry, related_at)
            description = description or string_at(entry, "description", self.path, related_at)
            severities = self._namespace_severity(entry, related_at) | severities
        for i, entry in enumerate(array_at(vulnerability, "advisories", self.path, at)):
            advisory_at = f"{at}/advisories/{i}"
            advisory = expect_string(
                expect_object(entry, self.path, advisory_at).get("id"), self.path, f"{advisory_at}/id"
            )
            aliases += [advisory] if advisory else []
        epss = self._epss(vulnerability, related, identifier, aliases, where)
        return VulnerabilityFinding(
            id=identifier,
            aliases=tuple(a for a in dict.fromkeys(aliases) if a != identifier),
            package=require_string(artifact.get("name"), self.path, f"{where}/artifact/name"),
            installed_version=expect_string(artifact.get("version"), self.path, f"{where}/artifact/version"),
            purl=expect_string(artifact.get("purl"), self.path, f"{where}/artifact/purl"),
            package_type=expect_string(artifact.get("type"), self.path, f"{where}/artifact/type"),
            fixed_versions=self._fixed_versions(vulnerability, at),
            severity=Severity.parse(string_at(vulnerability, "severity", self.path, at)),
            severities=severities,
            cvss=tuple(dict.fromkeys(cvss)),
            description=description,
            data_source=string_at(vulnerability, "dataSource", self.path, at),
            layer=self._layer(artifact, f"{where}/artifact"),
            epss=epss[0] if epss else None,
            epss_percentile=epss[1] if epss else None,
            kev=self._known_exploited(vulnerability, related, where),
            location=where,
        )

    def _namespace_severity(self, vulnerability: dict[str, Any], where: str) -> dict[str, Severity]:
        namespace = string_at(vulnerability, "namespace", self.path, where)
        severity = string_at(vulnerability, "severity", self.path, where)
        return {namespace: Severity.parse(severity)} if namespace and severity else {}

    def _epss(
        self,
        vulnerability: dict[str, Any],
        related: list[dict[str, Any]],
        identifier: str,
        aliases: list[str],
        where: str,
    ) -> tuple[float | None, float | None] | None:
        """EPSS probability and percentile of the finding's CVE (the match id, else its first CVE alias)."""
        cve = next((name for name in (identifier, *aliases) if name.upper().startswith("CVE-")), None)
        sources = [(vulnerability, f"{where}/vulnerability")] + [
            (entry, f"{where}/relatedVulnerabilities/{i}") for i, entry in enumerate(related)
        ]
        scores: list[tuple[str | None, float | None, float | None]] = []
        for fields, at in sources:
            for i, entry in enumerate(array_at(fields, "epss", self.path, at)):
                score_at = f"{at}/epss/{i}"
                score = expect_object(entry, self.path, score_at)
                scores.append(
                    (
                        string_at(score, "cve", self.path, score_at),
                        expect_number(score.get("epss"), self.path, f"{score_at}/epss"),
                        expect_number(score.get("percentile"), self.path, f"{score_at}/percentile"),
                    )
                )
        chosen = next((s for s in scores if cve and s[0] and s[0].upper() == cve.upper()), None)
        chosen = chosen or (scores[0] if scores else None)
        return (chosen[1], chosen[2]) if chosen else None

    def _known_exploited(self, vulnerability: dict[str, Any], related: list[dict[str, Any]], where: str) -> bool:
        """Recent Grype releases list CISA KEV entries in `knownExploited`; `risk` is a score, not KEV membership."""
        sources = [(vulnerability, f"{where}/vulnerability")] + [
            (entry, f"{where}/relatedVulnerabilities/{i}") for i, entry in enumerate(related)
        ]
        return any(array_at(fields, "knownExploited", self.path, at) for fields, at in sources)

    def _fixed_versions(self, vulnerability: dict[str, Any], where: str) -> tuple[str, ...]:
        fix = expect_object(vulnerability.get("fix"), self.path, f"{where}/fix", optional=True)
        versions = expect_strings(fix.get("versions"), self.path, f"{where}/fix/versions")
        legacy = string_at(vulnerability, "fixedInVersion", self.path, where)
        return tuple(dict.fromkeys([*versions, *([legacy] if legacy else [])]))

    def _cvss(self, vulnerability: dict[str, Any], where: str) -> list[Cvss]:
        """CVSS entries of a vulnerability or related vulnerability; unnamed sources take its namespace."""
        namespace = string_at(vulnerability, "namespace", self.path, where) or "grype"
        scores: list[Cvss] = []
        for i, entry in enumerate(array_at(vulnerability, "cvss", self.path, where)):
            at = f"{where}/cvss/{i}"
            fields = expect_object(entry, self.path, at)
            metrics = expect_object(fields.get("metrics"), self.path, f"{at}/metrics", optional=True)
            scores.append(
                Cvss(
                    source=string_at(fields, "source", self.path, at) or namespace,
                    version=string_at(fields, "version", self.path, at),
                    vector=string_at(fields, "vector", self.path, at),
                    score=expect_number(metrics.get("baseScore"), self.path, f"{at}/metrics/baseScore"),
                )
            )
        for key, version in _LEGACY_CVSS_KEYS:
            legacy = expect_object(vulnerability.get(key), self.path, f"{where}/{key}", optional=True)
            if legacy:
                scores.append(
                    Cvss(
                        source=namespace,
                        version=version,
                        vector=expect_string(legacy.get("vector"), self.path, f"{where}/{key}/vector"),
                        score=expect_number(legacy.get("baseScore"), self.path, f"{where}/{key}/baseScore"),
                    )
                )
        return scores

    def _layer(self, artifact: dict[str, Any], where: str) -> str | None:
        locations = array_at(artifact, "locations", self.path, where)
        if not locations:
            return None
        first = expect_object(locations[0], self.path, f"{where}/locations/0")
        return expect_string(first.get("layerID"), self.path, f"{where}/locations/0/layerID")
