"""How fast Fromline reads large inputs: an SBOM (beside cyclonedx-python-lib), and evidence naming many digests.

Generates a 10,000-component CycloneDX 1.5 JSON and a 10,000-package SPDX 2.3 JSON into a temporary directory,
times Fromline's reading of each (the file's bytes, `Document` and the collector's `parse`; best of 5), and
cyclonedx-python-lib's `Bom.from_json` on the CycloneDX file once (it takes seconds). Exits 1 when Fromline
takes a second or more on either file. `make bench` (bench/run_bench.py) holds Fromline to the same limits on the
same files; this script runs them alone.

Also times the reading of evidence that names very many image digests, each once and in the order listed: an
in-toto statement with 40,000 subjects (the sample's SLSA provenance, its subject list replaced) and a `cosign verify
--output json` output of 80,000 entries (the sample's signed payload, with the `optional` object cosign adds), every
digest distinct (best of 3; this used to take time quadratic in the digests: 16 s and 178 s). Exits 1 when either
takes `DIGESTS_LIMIT_SECONDS` or more.
"""

from __future__ import annotations

import base64
import gc
import importlib
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from evidence.collectors.cyclonedx import CycloneDxJson
from evidence.collectors.interface import Collector, Document
from evidence.collectors.provenance import InTotoAttestation
from evidence.collectors.sigstore_bundle import SigstoreBundle
from evidence.collectors.spdx import SpdxJson

COMPONENTS = 10_000
REPEATS = 5
LIMIT_SECONDS = 1.0
IMAGE_DIGEST = "sha256:" + "4" * 64
LAYER = "sha256:" + "5" * 64
LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "GPL-2.0-only", "ISC", "MPL-2.0")
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "webapp-1.4.0"
SUBJECTS = 40_000
ENTRIES = 80_000
DIGESTS_REPEATS = 3
DIGESTS_LIMIT_SECONDS = 3.0
ECOSYSTEMS = (("npm", ""), ("pypi", ""), ("deb", "debian/"), ("maven", "org.example/"), ("golang", "github.com/ex/"))


def _package(i: int) -> dict[str, str]:
    """Name, version, purl and licence of the i-th package; deterministic, so every run reads the same files."""
    kind, namespace = ECOSYSTEMS[i % len(ECOSYSTEMS)]
    name = f"package-{i}"
    version = f"{i % 7}.{i % 13}.{i % 101}"
    return {
        "name": name,
        "version": version,
        "purl": f"pkg:{kind}/{namespace}{name}@{version}",
        "license": LICENSES[i % len(LICENSES)],
        "sha256": f"{i:064x}",
        "sha1": f"{i:040x}",
    }


def _dependencies(i: int) -> list[int]:
    """Up to three other packages the i-th one depends on."""
    return sorted({(i * 7 + 1) % COMPONENTS, (i * 13 + 5) % COMPONENTS, (i * 31 + 11) % COMPONENTS} - {i})[: i % 4]


def cyclonedx_bom() -> dict[str, Any]:
    packages = [_package(i) for i in range(COMPONENTS)]
    components = [
        {
            "bom-ref": p["purl"],
            "type": "library",
            "supplier": {"name": f"Supplier {i % 50}"},
            "name": p["name"],
            "version": p["version"],
            "hashes": [{"alg": "SHA-256", "content": p["sha256"]}, {"alg": "SHA-1", "content": p["sha1"]}],
            "licenses": [{"license": {"id": p["license"]}}] if i % 3 else [{"expression": f"{p['license']} OR MIT"}],
            "cpe": f"cpe:2.3:a:example:{p['name']}:{p['version']}:*:*:*:*:*:*:*",
            "purl": p["purl"],
            "properties": [
                {"name": "syft:package:foundBy", "value": "generated-cataloger"},
                {"name": "syft:location:0:layerID", "value": LAYER},
                {"name": "syft:location:0:path", "value": f"/usr/lib/{p['name']}"},
            ],
        }
        for i, p in enumerate(packages)
    ]
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.5.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {
            "timestamp": "2026-01-15T10:00:00Z",
            "tools": {"components": [{"type": "application", "author": "anchore", "name": "syft", "version": "1.4.1"}]},
            "component": {
                "bom-ref": "image",
                "type": "container",
                "name": "registry.example.com/app",
                "version": IMAGE_DIGEST,
            },
        },
        "components": components,
        "dependencies": [
            {"ref": p["purl"], "dependsOn": [packages[j]["purl"] for j in _dependencies(i)]}
            for i, p in enumerate(packages)
        ],
    }


def spdx_document() -> dict[str, Any]:
    packages = [_package(i) for i in range(COMPONENTS)]
    image = {
        "SPDXID": "SPDXRef-DocumentRoot-Image-app",
        "name": "registry.example.com/app",
        "versionInfo": IMAGE_DIGEST,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "primaryPackagePurpose": "CONTAINER",
        "externalRefs": [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": f"pkg:oci/app@{IMAGE_DIGEST.replace(':', '%3A')}",
            }
        ],
    }
    spdx_packages = [
        {
            "SPDXID": f"SPDXRef-Package-{i}",
            "name": p["name"],
            "versionInfo": p["version"],
            "supplier": f"Organization: Supplier {i % 50}",
            "originator": f"Person: Maintainer {i % 70}",
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "checksums": [
                {"algorithm": "SHA256", "checksumValue": p["sha256"]},
                {"algorithm": "SHA1", "checksumValue": p["sha1"]},
            ],
            "licenseConcluded": p["license"],
            "licenseDeclared": p["license"] if i % 3 else "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "externalRefs": [
                {
                    "referenceCategory": "SECURITY",
                    "referenceType": "cpe23Type",
                    "referenceLocator": f"cpe:2.3:a:example:{p['name']}:{p['version']}:*:*:*:*:*:*:*",
                },
                {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p["purl"]},
            ],
            "primaryPackagePurpose": "LIBRARY",
            "sourceInfo": f"acquired package info from /usr/lib/{p['name']}",
        }
        for i, p in enumerate(packages)
    ]
    relationships = [
        {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": image["SPDXID"]}
    ]
    for i in range(COMPONENTS):
        relationships.append(
            {
                "spdxElementId": image["SPDXID"],
                "relationshipType": "CONTAINS",
                "relatedSpdxElement": f"SPDXRef-Package-{i}",
            }
        )
        relationships += [
            {
                "spdxElementId": f"SPDXRef-Package-{i}",
                "relationshipType": "DEPENDS_ON",
                "relatedSpdxElement": f"SPDXRef-Package-{j}",
            }
            for j in _dependencies(i)
        ]
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "registry.example.com/app",
        "documentNamespace": "https://example.com/spdx/app-3e671687",
        "creationInfo": {
            "licenseListVersion": "3.22",
            "creators": ["Organization: Example", "Tool: syft-1.4.1"],
            "created": "2026-01-15T10:00:00Z",
        },
        "packages": [image, *spdx_packages],
        "relationships": relationships,
    }


def digest(i: int) -> str:
    return f"sha256:{i:064x}"


def statement() -> dict[str, Any]:
    envelope = orjson.loads((SAMPLE / "provenance.intoto.json").read_bytes())
    body: dict[str, Any] = orjson.loads(base64.b64decode(envelope["payload"]))
    body["subject"] = [
        {"name": f"registry.example.com/webapp-{i}", "digest": {"sha256": digest(i).removeprefix("sha256:")}}
        for i in range(SUBJECTS)
    ]
    return body


def cosign_verify_output() -> list[dict[str, Any]]:
    payload = orjson.loads((SAMPLE / "cosign-payload.json").read_bytes())
    optional = {
        "Issuer": "https://token.actions.githubusercontent.com",
        "Subject": "https://github.com/example-org/webapp/.github/workflows/release.yml@refs/tags/v1.4.0",
        "Bundle": {"SignedEntryTimestamp": "", "Payload": {"logIndex": 1, "integratedTime": 1795000000}},
    }
    return [
        {
            **payload,
            "critical": {**payload["critical"], "image": {"docker-manifest-digest": digest(i)}},
            "optional": optional,
        }
        for i in range(ENTRIES)
    ]


def best_of(repeats: int, run: Callable[[], object]) -> float:
    """The best time of `repeats` runs, each started after a full collection: what the runs before left for the
    collector would otherwise be charged to this one (it moved the orjson floor by a fifth)."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def fromline_seconds(path: Path, collector: Collector) -> float:
    def read() -> None:
        evidence = collector.parse(Document(path=path.name, data=path.read_bytes()))
        if len(evidence.components) != COMPONENTS or evidence.subjects != (IMAGE_DIGEST,):
            raise SystemExit(f"{path.name}: read {len(evidence.components)} components, {evidence.subjects}")

    return best_of(REPEATS, read)


def digests_seconds(path: Path, collector: Collector, count: int) -> float:
    def read() -> None:
        doc = Document(path=path.name, data=path.read_bytes())
        if not collector.sniff(doc):
            raise SystemExit(f"{path.name}: not recognized by {collector.name}")
        subjects = collector.parse(doc).subjects
        if subjects != tuple(digest(i) for i in range(count)):
            raise SystemExit(f"{path.name}: read {len(subjects)} subjects of {count}, or not in the order listed")

    return best_of(DIGESTS_REPEATS, read)


def peer_seconds(path: Path) -> float:
    # Imported by name: the peer is the optional `bench` extra, and the type check does not depend on it.
    bom_class = importlib.import_module("cyclonedx.model.bom").Bom
    start = time.perf_counter()
    bom = bom_class.from_json(json.loads(path.read_bytes()))
    seconds = time.perf_counter() - start
    if len(bom.components) != COMPONENTS:
        raise SystemExit(f"cyclonedx-python-lib read {len(bom.components)} components of {COMPONENTS}")
    return seconds


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="fromline-bench-") as tmp:
        cdx = Path(tmp, "sbom.cdx.json")
        spdx = Path(tmp, "sbom.spdx.json")
        cdx.write_bytes(orjson.dumps(cyclonedx_bom()))
        spdx.write_bytes(orjson.dumps(spdx_document()))
        rows = [
            ("CycloneDX 1.5 JSON", cdx, fromline_seconds(cdx, CycloneDxJson()), f"{peer_seconds(cdx):.3f}"),
            ("SPDX 2.3 JSON", spdx, fromline_seconds(spdx, SpdxJson()), "-"),
        ]
        print(f"{'file':<20} {'MB':>6} {'components':>10} {'seconds':>8} {'peer seconds':>13}")
        for label, path, seconds, peer in rows:
            size = path.stat().st_size / 1e6
            print(f"{label:<20} {size:>6.1f} {COMPONENTS:>10,} {seconds:>8.3f} {peer:>13}")
        print(f"seconds: Fromline, best of {REPEATS}; peer: cyclonedx-python-lib Bom.from_json (with json.loads), once")
        intoto = Path(tmp, "statement.intoto.json")
        cosign = Path(tmp, "cosign-verify.json")
        intoto.write_bytes(orjson.dumps(statement()))
        cosign.write_bytes(orjson.dumps(cosign_verify_output()))
        many = [
            ("in-toto statement", intoto, SUBJECTS, digests_seconds(intoto, InTotoAttestation(), SUBJECTS)),
            ("cosign verify output", cosign, ENTRIES, digests_seconds(cosign, SigstoreBundle(), ENTRIES)),
        ]
        print(f"\n{'file':<22} {'MB':>6} {'digests':>8} {'seconds':>8}")
        for label, path, count, seconds in many:
            print(f"{label:<22} {path.stat().st_size / 1e6:>6.1f} {count:>8,} {seconds:>8.3f}")
        print(f"seconds: Fromline, best of {DIGESTS_REPEATS}")
    slow = [f"{label} (limit {LIMIT_SECONDS:.0f} s)" for label, _, seconds, _ in rows if seconds >= LIMIT_SECONDS]
    slow += [f"{label} (limit {DIGESTS_LIMIT_SECONDS:.0f} s)" for label, *_, s in many if s >= DIGESTS_LIMIT_SECONDS]
    if slow:
        print(f"too slow: {', '.join(slow)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
