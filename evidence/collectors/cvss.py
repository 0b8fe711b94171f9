"""CVSS entries as scanners report them, checked before anything uses them: a base score outside 0-10 or a
vector that does not parse is dropped from the finding and named in its `cvss_problems`, so no rating is
computed or picked from it. One bad entry never rejects the scan it came from."""

from __future__ import annotations

import dataclasses
import math
import re

from evidence.model import Cvss, Evidence, VulnerabilityFinding

# The base metrics each version requires, with the values each may take.
_BASE_METRICS: dict[str, dict[str, str]] = {
    "2": {"AV": "LAN", "AC": "HML", "Au": "MSN", "C": "NPC", "I": "NPC", "A": "NPC"},
    "3": {"AV": "NALP", "AC": "LH", "PR": "NLH", "UI": "NR", "S": "UC", "C": "HLN", "I": "HLN", "A": "HLN"},
    "4": {
        "AV": "NALP",
        "AC": "LH",
        "AT": "NP",
        "PR": "NLH",
        "UI": "NPA",
        "VC": "HLN",
        "VI": "HLN",
        "VA": "HLN",
        "SC": "HLN",
        "SI": "HLN",
        "SA": "HLN",
    },
}
_PREFIX = re.compile(r"^CVSS:(2\.0|3\.0|3\.1|4\.0)/")
_METRIC = re.compile(r"^([A-Za-z]{1,3}):([A-Za-z]{1,3})$")  # temporal and environmental metrics are kept as given


def vector_parses(vector: str, version: str | None = None) -> bool:
    """A CVSS v2, v3.x or v4.0 vector with every base metric once and a valid value for each. A vector without
    its `CVSS:x.y/` prefix (as CycloneDX ratings give it, the method naming the version) is read as `version`."""
    text = vector.strip()
    if text.startswith("(") and text.endswith(")"):  # NVD once wrapped v2 vectors in parentheses
        text = text[1:-1]
    prefix = _PREFIX.match(text)
    stated = (version or "2")[:1]
    major = prefix.group(1)[0] if prefix else stated if stated in _BASE_METRICS else "2"
    body = text[prefix.end() :] if prefix else text
    metrics: dict[str, str] = {}
    for part in body.split("/"):
        parsed = _METRIC.match(part)
        if parsed is None or parsed.group(1) in metrics:
            return False
        metrics[parsed.group(1)] = parsed.group(2)
    base = _BASE_METRICS[major]
    return all(len(metrics.get(name, "")) == 1 and metrics[name] in allowed for name, allowed in base.items())


def score_in_range(score: float) -> bool:
    return math.isfinite(score) and 0.0 <= score <= 10.0


def checked(finding: VulnerabilityFinding) -> VulnerabilityFinding:
    """The finding with each out-of-range score and unparsable vector dropped and named in `cvss_problems`."""
    kept: list[Cvss] = []
    problems: list[str] = []
    for entry in finding.cvss:
        source = f" from {entry.source}" if entry.source else ""
        score, vector = entry.score, entry.vector
        if score is not None and not score_in_range(score):
            problems.append(f"CVSS score {score!r}{source} is outside 0-10: not used")
            score = None
        if vector is not None and not vector_parses(vector, entry.version):
            problems.append(f"CVSS vector {vector!r}{source} does not parse: not used")
            vector = None
        if score is not None or vector is not None:
            kept.append(dataclasses.replace(entry, score=score, vector=vector))
    if not problems:
        return finding
    return dataclasses.replace(finding, cvss=tuple(kept), cvss_problems=(*finding.cvss_problems, *problems))


def checked_evidence(item: Evidence) -> Evidence:
    """An evidence item whose findings' CVSS entries are checked; the item itself when none changes."""
    if not item.vulnerabilities:
        return item
    findings = tuple(checked(f) for f in item.vulnerabilities)
    if all(a is b for a, b in zip(findings, item.vulnerabilities, strict=True)):
        return item
    return dataclasses.replace(item, vulnerabilities=findings)
