"""Property tests of every collector: any bytes give `Evidence` or the project's own input error.

Each collector gets a seed file of its own format (the smallest matching corpus file, or a hand-made one where
the corpus has none), and hypothesis feeds it four kinds of input: arbitrary bytes, the seed cut short, the seed
with bytes inserted, and, for JSON seeds, the seed with one value anywhere replaced by arbitrary JSON (wrong
types at every depth). `sniff` must answer a bool and never raise; `parse` must return `Evidence` or raise an
`InputError` (`CollectorError` is one) naming the file.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import CORPUS, SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.collectors import COLLECTORS, Collector, Document, unrecognized
from evidence.collectors.interface import SkipFile
from evidence.errors import InputError
from evidence.model import Evidence

PATH = "evidence/input"
DIGEST = "sha256:" + "ab" * 32

# Formats the corpus holds no small file of.
HAND_SEEDS: dict[str, bytes] = {
    "aws-inspector-findings": orjson.dumps(
        {
            "findings": [
                {
                    "findingArn": "arn:aws:inspector2:us-east-1:123456789012:finding/0a1b",
                    "awsAccountId": "123456789012",
                    "type": "PACKAGE_VULNERABILITY",
                    "severity": "HIGH",
                    "status": "ACTIVE",
                    "title": "CVE-2023-0464 - openssl",
                    "firstObservedAt": "2024-01-02T03:04:05Z",
                    "packageVulnerabilityDetails": {
                        "vulnerabilityId": "CVE-2023-0464",
                        "source": "NVD",
                        "cvss": [{"baseScore": 7.5, "scoringVector": "CVSS:3.1/AV:N", "version": "3.1"}],
                        "vulnerablePackages": [{"name": "openssl", "version": "1.1.1", "fixedInVersion": "1.1.1u"}],
                    },
                    "resources": [
                        {
                            "type": "AWS_ECR_CONTAINER_IMAGE",
                            "id": f"arn:aws:ecr:us-east-1:123456789012:repository/web/{DIGEST}",
                            "details": {"awsEcrContainerImage": {"imageHash": DIGEST, "repositoryName": "web"}},
                        }
                    ],
                }
            ]
        }
    ),
    "cyclonedx-xml": (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">\n'
        b"  <metadata><tools><tool><name>syft</name><version>1.0.0</version></tool></tools>\n"
        b'    <component type="container"><name>web</name><version>' + DIGEST.encode() + b"</version></component>\n"
        b"  </metadata>\n"
        b'  <components><component type="library" bom-ref="a"><name>openssl</name><version>1.1.1</version>\n'
        b"    <purl>pkg:apk/alpine/openssl@1.1.1</purl></component></components>\n"
        b"</bom>\n"
    ),
    "renovate": orjson.dumps(
        {
            "$schema": "https://docs.renovatebot.com/renovate-schema.json",
            "extends": ["config:recommended"],
            "packageRules": [{"matchDatasources": ["docker"], "pinDigests": True}],
        }
    ),
    "kubernetes-workloads": (
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n"
        b"      image: registry.example.com/web@" + DIGEST.encode() + b"\n"
        b"      securityContext:\n        runAsNonRoot: true\n        readOnlyRootFilesystem: true\n"
    ),
    "dependabot": (
        b"version: 2\nupdates:\n  - package-ecosystem: docker\n    directory: /\n"
        b"    schedule:\n      interval: weekly\n"
    ),
    "dockerfile": (SAMPLES / "webapp-1.4.0" / "Dockerfile").read_bytes(),
    # containers/image's layout of a sigstore signature around the corpus's cosign payload (no such blob is there)
    "containers-sigstore-signature": b"\x00sigstore-json\n"
    + orjson.dumps(
        {
            "mimeType": "application/vnd.dev.cosign.simplesigning.v1+json",
            "payload": base64.b64encode(
                (CORPUS / "signatures" / "cosign-simple-signing-payload.json").read_bytes()
            ).decode(),
            "annotations": {
                "dev.cosignproject.cosign/signature": (
                    (CORPUS / "signatures" / "cosign-simple-signing-payload.sig.b64").read_text().strip()
                )
            },
        }
    ),
}

# Fromline's own pull.json, which its collector recognizes in order to list it as skipped (it proves nothing itself).
HAND_SEEDS["pull-record"] = orjson.dumps(
    {
        "pulled_by": "fromline 0.1.0",
        "source": "https://registry.example.com/web",
        "subject": DIGEST,
        "time": "2026-12-01T00:00:00Z",
        "referrers": "referrers tag schema",
        "files": [{"path": "image/manifest-abababababababab.json", "digest": DIGEST, "role": "manifest"}],
    }
)
SKIPPED_ALWAYS = frozenset({"pull-record"})

EXAMPLES = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@functools.cache
def seeds() -> dict[str, bytes]:
    """Collector name -> the smallest corpus file it claims and reads, else its hand-made seed."""
    found: dict[str, bytes] = {}
    for path in sorted((p for p in CORPUS.rglob("*") if p.is_file()), key=lambda p: (p.stat().st_size, p)):
        data = path.read_bytes()
        doc = Document(path=path.name, data=data)
        owner = next((c for c in COLLECTORS if c.sniff(doc)), None)
        if owner is None or owner.name in found or owner.name in HAND_SEEDS:
            continue
        try:
            owner.parse(doc)
        except InputError:  # a file the collector recognizes but skips is no seed
            continue
        found[owner.name] = data
    return {**found, **HAND_SEEDS}


def seed(collector: Collector) -> bytes:
    return seeds()[collector.name]


def _pointers(value: Any, limit: int = 2000) -> list[tuple[str | int, ...]]:
    """Paths to every value of a parsed JSON document (breadth first, at most `limit`)."""
    found: list[tuple[str | int, ...]] = [()]
    queue: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while queue and len(found) < limit:
        where, node = queue.pop(0)
        children: list[tuple[str | int, Any]] = (
            list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
        )
        for key, child in children:
            found.append((*where, key))
            queue.append(((*where, key), child))
    return found


def _replaced(document: Any, where: tuple[str | int, ...], value: Any) -> Any:
    if not where:
        return value
    head, *rest = where
    if isinstance(document, dict):
        return {**document, head: _replaced(document[head], tuple(rest), value)}
    copy = list(document)
    copy[int(head)] = _replaced(copy[int(head)], tuple(rest), value)
    return copy


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@st.composite
def inputs(draw: st.DrawFn, collector: Collector) -> bytes:
    original = seed(collector)
    kind = draw(st.sampled_from(("bytes", "truncated", "inserted", "json-value")))
    if kind == "bytes":
        return draw(st.binary(max_size=512))
    if kind == "truncated":
        return original[: draw(st.integers(min_value=0, max_value=len(original)))]
    if kind == "inserted":
        at = draw(st.integers(min_value=0, max_value=len(original)))
        return original[:at] + draw(st.binary(min_size=1, max_size=16)) + original[at:]
    try:
        document = orjson.loads(original)
    except orjson.JSONDecodeError:  # not a JSON format: a second cut instead
        return original[: draw(st.integers(min_value=0, max_value=len(original)))]
    where = draw(st.sampled_from(_pointers(document)))
    return orjson.dumps(_replaced(document, where, draw(JSON_VALUES)))


def check(collector: Collector, data: bytes) -> None:
    doc = Document(path=PATH, data=data)
    assert collector.sniff(doc) in (True, False)
    assert isinstance(unrecognized(doc), InputError)
    try:
        result: Evidence | InputError = collector.parse(Document(path=PATH, data=data))
    except InputError as e:
        result = e
    if isinstance(result, InputError):
        assert result.path == PATH
        assert result.problem
    else:
        assert isinstance(result, Evidence)


@pytest.mark.parametrize("collector", COLLECTORS, ids=lambda c: c.name)
def test_seed_is_recognized_by_its_collector(collector: Collector) -> None:
    # The mutations start from a file the collector really reads, so they reach deep into its parser.
    doc = Document(path=PATH, data=seed(collector))
    assert next(c for c in COLLECTORS if c.sniff(doc)) is collector
    if collector.name in SKIPPED_ALWAYS:
        with pytest.raises(SkipFile):
            collector.parse(doc)
        return
    assert isinstance(collector.parse(doc), Evidence)


@pytest.mark.parametrize("collector", COLLECTORS, ids=lambda c: c.name)
@EXAMPLES
@given(data=st.data())
def test_any_input_gives_evidence_or_an_input_error(collector: Collector, data: st.DataObject) -> None:
    check(collector, data.draw(inputs(collector)))


@EXAMPLES
@given(data=st.binary(max_size=2048))
def test_no_sniff_raises_on_any_bytes(data: bytes) -> None:
    doc = Document(path=PATH, data=data)
    for collector in COLLECTORS:
        assert collector.sniff(doc) in (True, False)


def test_seed_files_exist() -> None:
    assert Path(CORPUS).is_dir()
    assert {c.name for c in COLLECTORS} <= set(seeds())
