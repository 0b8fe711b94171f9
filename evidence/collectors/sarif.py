"""SARIF 2.1.0 logs from image scanners: Trivy, Grype, Snyk Container and Dockle.

SARIF has no field for a package or its version, so each scanner writes them somewhere else: Trivy in
the result message (`Package: ...` lines), Grype in the rule's help text, Snyk in the rule's full
description (`(CVE-...) name@version`). Results about something other than a package vulnerability
(Dockle's CIS checks, misconfigurations, secrets) become detections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evidence.collectors._util import (
    array_at,
    digests_in,
    expect_array,
    expect_number,
    expect_object,
    parse_time,
    pointer,
    string_at,
)
from evidence.collectors.filters import sarif_filters
from evidence.collectors.interface import CollectorError, Document
from evidence.model import (
    Cvss,
    Detection,
    DetectionCategory,
    Evidence,
    EvidenceKind,
    ScanFilter,
    Severity,
    VulnerabilityFinding,
)

SUPPORTED_VERSION = "2.1.0"

_VULNERABILITY_ID_RE = re.compile(
    r"^(?:CVE-\d{4}-\d+|GHSA-|SNYK-|GO-\d{4}-|PYSEC-|RUSTSEC-|OSV-|GMS-|ALAS|RHSA-|ELSA-|DSA-|DLA-|USN-|npm:)",
    re.IGNORECASE,
)
# `Key: value` lines in Trivy's result messages and Grype's rule help text.
_FACT_LINE_RE = re.compile(
    r"^(Package|Installed Version|Version|Fixed Version|Fix Version|Severity|Type)[ \t]*:[ \t]*(.*?)[ \t]*$",
    re.MULTILINE,
)
_VULNERABILITY_LINE_RE = re.compile(r"^Vulnerability[ \t]+(\S+)", re.MULTILINE)
# Snyk's full description: `(CVE-2011-3374) apt/libapt-pkg6.0@2.6.1`, the ids optional.
_SNYK_PACKAGE_RE = re.compile(r"^(?:\((?P<ids>[^)]*)\)\s*)?(?P<package>\S+@\S+)$")
_SNYK_SEVERITY_RE = re.compile(r"^(Critical|High|Medium|Low) severity\b", re.IGNORECASE)
# An image named by digest in a URI: `nginx@sha256:...`, or `nginx@sha256_...` as Snyk writes it.
_IMAGE_DIGEST_RE = re.compile(r"@sha256[:_]([0-9a-f]{64})")
_SECRET_WORDS = ("secret", "credential", "password")
_OS_PACKAGE_TYPES = {"deb", "apk", "rpm"}
_LEVELS = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "note": Severity.LOW, "none": Severity.NEGLIGIBLE}
_NOT_PROBLEMS = {"pass", "notApplicable"}
_TOOL_NAMES = {"trivy": "trivy", "grype": "grype", "dockle": "dockle", "snyk container": "snyk", "snyk": "snyk"}


def _looks_like_sarif(data: dict[str, Any]) -> bool:
    schema = data.get("$schema")
    runs = data["runs"]
    return (
        data.get("version") == SUPPORTED_VERSION
        or (isinstance(schema, str) and "sarif" in schema.lower())
        or (bool(runs) and isinstance(runs[0], dict) and "tool" in runs[0])
    )


class Sarif:
    name = "sarif"

    def sniff(self, doc: Document) -> bool:
        data = doc.json()
        return (
            isinstance(data, dict)
            and isinstance(data.get("runs"), list)
            and "version" in data
            and _looks_like_sarif(data)
        )

    def parse(self, doc: Document) -> Evidence:
        return _Reader(doc.path).read(doc)


def severity_from_score(score: float) -> Severity:
    """A CVSS-style score (SARIF `security-severity`) as a severity word."""
    for floor, severity in ((9.0, Severity.CRITICAL), (7.0, Severity.HIGH), (4.0, Severity.MEDIUM)):
        if score >= floor:
            return severity
    return Severity.LOW if score >= 0.1 else Severity.NEGLIGIBLE


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def read(self, doc: Document) -> Evidence:
        log = expect_object(doc.json(), self.path, "")
        version = log.get("version")
        if version != SUPPORTED_VERSION:
            raise CollectorError(
                self.path,
                f"SARIF version {version!r} is recognized but not supported (only {SUPPORTED_VERSION} is)",
            )
        runs = expect_array(log.get("runs"), self.path, "/runs")
        tool: tuple[str | None, str | None] = (None, None)
        subjects: list[str] = []
        findings: list[VulnerabilityFinding] = []
        detections: list[Detection] = []
        filters: list[ScanFilter] = []
        times = []
        for i, entry in enumerate(runs):
            where = pointer("runs", i)
            run = _Run(self.path, expect_object(entry, self.path, where), where)
            tool = tool if tool[0] else (run.tool, run.tool_version)
            subjects += run.subjects()
            times += run.times()
            filters += sarif_filters(run.run, run.tool, self.path, where)
            for vulnerability_or_detection in run.results():
                if isinstance(vulnerability_or_detection, VulnerabilityFinding):
                    findings.append(vulnerability_or_detection)
                else:
                    detections.append(vulnerability_or_detection)
        return doc.evidence(
            kind=EvidenceKind.VULNERABILITY_SCAN,
            format="SARIF",
            format_version=SUPPORTED_VERSION,
            tool=tool[0],
            tool_version=tool[1],
            subjects=tuple(dict.fromkeys(subjects)),
            collected_at=max(times, default=None),
            vulnerabilities=tuple(findings),
            detections=tuple(detections),
            scan_filters=tuple(filters),
        )


@dataclass(frozen=True, slots=True)
class _Rule:
    fields: dict[str, Any]
    where: str


class _Run:
    """One run: its tool, its rules by id and index, and its results."""

    def __init__(self, path: str, run: dict[str, Any], where: str) -> None:
        self.path = path
        self.run = run
        self.where = where
        tool = expect_object(run.get("tool"), path, f"{where}/tool")
        self.driver_at = f"{where}/tool/driver"
        driver = expect_object(tool.get("driver"), path, self.driver_at)
        name = string_at(driver, "name", path, self.driver_at)
        if name is None:
            raise CollectorError(path, f"{self.driver_at}/name is required but missing")
        self.driver_name = name
        self.tool = _TOOL_NAMES.get(name.lower(), name)
        self.tool_version = string_at(driver, "version", path, self.driver_at) or string_at(
            driver, "semanticVersion", path, self.driver_at
        )
        self.rules = [
            _Rule(expect_object(rule, path, f"{self.driver_at}/rules/{i}"), f"{self.driver_at}/rules/{i}")
            for i, rule in enumerate(array_at(driver, "rules", path, self.driver_at))
        ]
        self.rules_by_id: dict[str, _Rule] = {}
        for rule in self.rules:
            rule_id = string_at(rule.fields, "id", path, rule.where)
            if rule_id:
                self.rules_by_id.setdefault(rule_id, rule)

    def times(self) -> list[datetime]:
        found = []
        for i, entry in enumerate(array_at(self.run, "invocations", self.path, self.where)):
            at = f"{self.where}/invocations/{i}"
            invocation = expect_object(entry, self.path, at)
            for key in ("endTimeUtc", "startTimeUtc"):
                moment = parse_time(string_at(invocation, key, self.path, at))
                if moment:
                    found.append(moment)
                    break
        return found

    def subjects(self) -> list[str]:
        """SARIF has no field for the scanned image; digests are taken from where the tools put them."""
        found: list[str] = []
        properties = expect_object(self.run.get("properties"), self.path, f"{self.where}/properties", optional=True)
        for value in properties.values():  # Trivy: imageID, repoDigests
            texts = value if isinstance(value, list) else [value]
            found += [d for text in texts if isinstance(text, str) for d in digests_in(text)]
        bases = expect_object(
            self.run.get("originalUriBaseIds"), self.path, f"{self.where}/originalUriBaseIds", optional=True
        )
        uris = [base.get("uri") for base in bases.values() if isinstance(base, dict)]
        for i, entry in enumerate(array_at(self.run, "results", self.path, self.where)):
            at = f"{self.where}/results/{i}"
            for j, location in enumerate(array_at(expect_object(entry, self.path, at), "locations", self.path, at)):
                location_at = f"{at}/locations/{j}"
                uris.append(self._artifact_uri(location, location_at))
                if self.tool == "grype":
                    found += self._grype_image_digests(location, location_at)
        found += [f"sha256:{m}" for uri in uris if isinstance(uri, str) for m in _IMAGE_DIGEST_RE.findall(uri)]
        return found

    def _artifact_uri(self, location: object, where: str) -> str | None:
        fields = expect_object(location, self.path, where)
        physical = expect_object(fields.get("physicalLocation"), self.path, f"{where}/physicalLocation", optional=True)
        at = f"{where}/physicalLocation/artifactLocation"
        artifact = expect_object(physical.get("artifactLocation"), self.path, at, optional=True)
        return string_at(artifact, "uri", self.path, at)

    def _grype_image_digests(self, location: object, where: str) -> list[str]:
        """Grype names `<image as given>@<layer digest>:<path>`; the image part may carry the image digest."""
        found: list[str] = []
        for i, entry in enumerate(
            array_at(expect_object(location, self.path, where), "logicalLocations", self.path, where)
        ):
            at = f"{where}/logicalLocations/{i}"
            name = string_at(expect_object(entry, self.path, at), "fullyQualifiedName", self.path, at)
            image = (name or "").rpartition("@")[0]
            found += [f"sha256:{m}" for m in _IMAGE_DIGEST_RE.findall(image)]
        return found

    def results(self) -> list[VulnerabilityFinding | Detection]:
        read: list[VulnerabilityFinding | Detection] = []
        for i, entry in enumerate(array_at(self.run, "results", self.path, self.where)):
            at = f"{self.where}/results/{i}"
            result = expect_object(entry, self.path, at)
            if string_at(result, "kind", self.path, at) in _NOT_PROBLEMS:
                continue
            rule_id, rule = self._rule(result, at)
            if self._is_vulnerability(rule_id, rule):
                read.append(self._finding(result, rule_id, rule, at))
            else:
                read.append(self._detection(result, rule_id, rule, at))
        return read

    def _rule(self, result: dict[str, Any], where: str) -> tuple[str, _Rule]:
        reference = expect_object(result.get("rule"), self.path, f"{where}/rule", optional=True)
        rule_id = string_at(result, "ruleId", self.path, where) or string_at(
            reference, "id", self.path, f"{where}/rule"
        )
        index = expect_number(result.get("ruleIndex"), self.path, f"{where}/ruleIndex")
        if index is None:
            index = expect_number(reference.get("index"), self.path, f"{where}/rule/index")
        rule = _Rule({}, f"{self.driver_at}/rules")
        if index is not None and index.is_integer() and 0 <= index < len(self.rules):
            rule = self.rules[int(index)]
        elif rule_id:
            rule = self.rules_by_id.get(rule_id, rule)
        rule_id = rule_id or string_at(rule.fields, "id", self.path, rule.where)
        if not rule_id:
            raise CollectorError(self.path, f"{where} names no rule (ruleId, rule.id or ruleIndex)")
        return rule_id, rule

    def _text(self, fields: dict[str, Any], key: str, where: str) -> str | None:
        """`fields[key].text` of a SARIF message or multiformat string."""
        message = expect_object(fields.get(key), self.path, f"{where}/{key}", optional=True)
        return string_at(message, "text", self.path, f"{where}/{key}")

    def _properties(self, rule: _Rule) -> dict[str, Any]:
        return expect_object(rule.fields.get("properties"), self.path, f"{rule.where}/properties", optional=True)

    def _tags(self, rule: _Rule) -> list[str]:
        tags = self._properties(rule).get("tags")
        return [t.lower() for t in tags if isinstance(t, str)] if isinstance(tags, list) else []

    def _is_vulnerability(self, rule_id: str, rule: _Rule) -> bool:
        return bool(_VULNERABILITY_ID_RE.match(rule_id)) or "vulnerability" in self._tags(rule)

    def _finding(self, result: dict[str, Any], rule_id: str, rule: _Rule, where: str) -> VulnerabilityFinding:
        message = self._text(result, "message", where) or ""
        help_text = self._text(rule.fields, "help", rule.where) or ""
        full_description = self._text(rule.fields, "fullDescription", rule.where)
        short_description = self._text(rule.fields, "shortDescription", rule.where)
        # Result-level facts first: Trivy's rule help describes only the first package a CVE was found in.
        facts = {k: v for text in (help_text, message) for k, v in _FACT_LINE_RE.findall(text) if v}
        named = _VULNERABILITY_LINE_RE.search(message) or _VULNERABILITY_LINE_RE.search(help_text)
        identifier = named.group(1) if named else rule_id
        package = facts.get("Package") or ""
        version = facts.get("Installed Version") or facts.get("Version")
        package_type = facts.get("Type")
        description = full_description
        snyk = _SNYK_PACKAGE_RE.match(full_description or "")
        if snyk and not package:
            ids = [i.strip() for i in (snyk.group("ids") or "").split(",") if i.strip()]
            identifier = next((i for i in ids if i.upper().startswith("CVE-")), identifier)
            package, _, version = snyk.group("package").rpartition("@")
            tags = self._tags(rule)
            package_type = tags[-1] if tags and tags[-1] in _OS_PACKAGE_TYPES else package_type
            if package_type in _OS_PACKAGE_TYPES:
                package = package.partition("/")[0]  # `source/binary`: Snyk's JSON names the source package
            description = self._markdown(rule.fields, "help", rule.where) or help_text or None
        fixed = facts.get("Fixed Version") or facts.get("Fix Version") or ""
        # Grype's rule id is `<vulnerability>-<package>`, not another name for the vulnerability.
        alias = rule_id if rule_id != identifier and not rule_id.startswith(f"{identifier}-") else None
        return VulnerabilityFinding(
            id=identifier,
            aliases=(alias,) if alias else (),
            package=package,
            installed_version=version or None,
            package_type=package_type,
            fixed_versions=tuple(v.strip() for v in fixed.split(",") if v.strip()),
            severity=self._severity(result, rule, facts.get("Severity"), short_description, where),
            cvss=self._cvss(rule),
            title=short_description,
            description=description,
            location=where,
        )

    def _markdown(self, fields: dict[str, Any], key: str, where: str) -> str | None:
        message = expect_object(fields.get(key), self.path, f"{where}/{key}", optional=True)
        return string_at(message, "markdown", self.path, f"{where}/{key}")

    def _severity(
        self,
        result: dict[str, Any],
        rule: _Rule,
        stated: str | None,
        short_description: str | None,
        where: str,
    ) -> Severity:
        """The severity the scanner wrote, then `security-severity`, then the SARIF level."""
        if stated and (severity := Severity.parse(stated)) is not Severity.UNKNOWN:
            return severity
        if snyk := _SNYK_SEVERITY_RE.match(short_description or ""):
            return Severity.parse(snyk.group(1))
        score = self._properties(rule).get("security-severity")
        try:
            number = float(score) if isinstance(score, str | int | float) and not isinstance(score, bool) else None
        except ValueError:
            number = None
        if number is not None and 0 <= number <= 10:
            return severity_from_score(number)
        at = f"{rule.where}/defaultConfiguration"
        configuration = expect_object(rule.fields.get("defaultConfiguration"), self.path, at, optional=True)
        level = string_at(result, "level", self.path, where) or string_at(configuration, "level", self.path, at)
        return _LEVELS.get(level or "warning", Severity.UNKNOWN)  # SARIF's default level is "warning"

    def _cvss(self, rule: _Rule) -> tuple[Cvss, ...]:
        """Trivy's rule properties `cvssv3_vector`, `cvssv3_baseScore`, `cvssv2_vector`, `cvssv2_score`."""
        properties = self._properties(rule)
        scores: list[Cvss] = []
        for version, vector_key, score_key in (
            ("3", "cvssv3_vector", "cvssv3_baseScore"),
            ("2.0", "cvssv2_vector", "cvssv2_score"),
        ):
            vector = properties.get(vector_key)
            score = properties.get(score_key)
            vector = vector if isinstance(vector, str) and vector else None
            number = float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None
            if vector or number is not None:
                stated = re.match(r"^CVSS:(\d+\.\d+)/", vector or "")
                scores.append(
                    Cvss(source=self.tool, version=stated.group(1) if stated else version, vector=vector, score=number)
                )
        return tuple(scores)

    def _detection(self, result: dict[str, Any], rule_id: str, rule: _Rule, where: str) -> Detection:
        name = string_at(rule.fields, "name", self.path, rule.where)
        title = self._text(rule.fields, "shortDescription", rule.where) or name
        words = " ".join([rule_id, name or "", title or "", *self._tags(rule)])
        secret = any(word in words.lower() for word in _SECRET_WORDS)
        locations = array_at(result, "locations", self.path, where)
        target = self._artifact_uri(locations[0], f"{where}/locations/0") if locations else None
        if secret:
            # The result message of a secret finding may quote the secret; only the rule and the lines are kept.
            lines = self._lines(locations[0], f"{where}/locations/0") if locations else None
            message = " ".join(part for part in (title, lines and f"at {lines}") if part) or None
        else:
            message = self._text(result, "message", where)
        return Detection(
            category=DetectionCategory.SECRET if secret else DetectionCategory.MISCONFIGURATION,
            id=rule_id,
            title=title,
            severity=self._severity(result, rule, None, None, where),
            target=target,
            message=message,
            location=where,
        )

    def _lines(self, location: object, where: str) -> str | None:
        fields = expect_object(location, self.path, where)
        physical = expect_object(fields.get("physicalLocation"), self.path, f"{where}/physicalLocation", optional=True)
        at = f"{where}/physicalLocation/region"
        region = expect_object(physical.get("region"), self.path, at, optional=True)
        start = expect_number(region.get("startLine"), self.path, f"{at}/startLine")
        end = expect_number(region.get("endLine"), self.path, f"{at}/endLine")
        if not start:
            return None
        return f"line {int(start)}" if end is None or end == start else f"lines {int(start)}-{int(end)}"
