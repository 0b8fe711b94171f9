"""Evidence of realistic size for one image, generated from the bundled sample.

`write_image(directory, components, vulnerabilities)` writes the sample webapp-1.4.0 evidence (signature, provenance,
Dockerfile, image config, OpenVEX) with its SBOM grown to `components` Syft-like CycloneDX components and its Trivy
and Grype scans grown to `vulnerabilities` distinct findings each, over the same packages, so the two scans merge
into `vulnerabilities` findings as real scans of one image do. Severities, fixes and CVSS vectors vary the way
real scans do; everything is deterministic, so every run measures the same bytes.

Run as a script to write one directory: `python bench/generate.py DIR COMPONENTS VULNERABILITIES`.
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
from pathlib import Path
from typing import Any

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "webapp-1.4.0"
KEY = SAMPLE.parent / "keys" / "webapp.pub"
IMAGE = "registry.example.com/webapp@sha256:443eebbdc163dfdc0d40e185574019e4bfbe4eac2b13b7257d91f53c990ff80f"
TIMESTAMP = "2026-11-20T12:00:00Z"
COPIED: tuple[str, ...] = ("Dockerfile", "cosign-payload.json", "cosign-payload.sig", "image-inspect.json")
COPIED += ("openvex.json", "provenance.intoto.json")
# One in twenty critical, then high, medium, low, and a few the scanner could not rate: the shape of a real distro scan.
SEVERITIES = ("CRITICAL",) + ("HIGH",) * 4 + ("MEDIUM",) * 8 + ("LOW",) * 6 + ("UNKNOWN",)
VECTORS = {
    "CRITICAL": ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    "HIGH": ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
    "MEDIUM": ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
    "LOW": ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N", 3.7),
}


def _component(template: dict[str, Any], i: int) -> dict[str, Any]:
    component = copy.deepcopy(template)
    purl = f"pkg:deb/debian/pkg{i}@1.{i % 17}.{i}?arch=amd64&distro=debian-12.13"
    component.update({"bom-ref": purl, "purl": purl, "name": f"pkg{i}", "version": f"1.{i % 17}.{i}"})
    return component


def _cve(i: int) -> str:
    return f"CVE-{2015 + i % 11}-{10000 + i}"


def _trivy_vulnerability(template: dict[str, Any], i: int, components: int) -> dict[str, Any]:
    vulnerability = copy.deepcopy(template)
    package = i % components
    severity = SEVERITIES[i % len(SEVERITIES)]
    vulnerability.update(
        {
            "VulnerabilityID": _cve(i),
            "PkgID": f"pkg{package}@1.{package % 17}.{package}",
            "PkgName": f"pkg{package}",
            "InstalledVersion": f"1.{package % 17}.{package}",
            "Severity": severity,
            "Title": f"pkg{package}: flaw number {i} in input handling",
            "PublishedDate": f"20{15 + i % 11}-0{1 + i % 9}-1{i % 10}T00:00:00Z",
        }
    )
    vulnerability["PkgIdentifier"] = {"PURL": f"pkg:deb/debian/pkg{package}@1.{package % 17}.{package}?arch=amd64"}
    if i % 3:
        vulnerability["FixedVersion"] = f"1.{package % 17}.{package + 1}"
        vulnerability["Status"] = "fixed"
    else:
        vulnerability.pop("FixedVersion", None)
        vulnerability["Status"] = "affected"
    if severity in VECTORS:
        vector, score = VECTORS[severity]
        vulnerability["CVSS"] = {"nvd": {"V3Vector": vector, "V3Score": score}}
    else:
        vulnerability.pop("CVSS", None)
    vulnerability["References"] = [f"https://www.cve.org/CVERecord?id={_cve(i)}"]
    return vulnerability


def _grype_match(template: dict[str, Any], i: int, components: int) -> dict[str, Any]:
    match = copy.deepcopy(template)
    package = i % components
    severity = SEVERITIES[i % len(SEVERITIES)]
    version = f"1.{package % 17}.{package}"
    match["vulnerability"].update(
        {
            "id": _cve(i),
            "severity": severity.capitalize(),
            "fix": {"versions": [f"1.{package % 17}.{package + 1}"], "state": "fixed"}
            if i % 3
            else {"versions": [], "state": "not-fixed"},
        }
    )
    for related in match.get("relatedVulnerabilities", []):
        related["id"] = _cve(i)
        if severity in VECTORS:
            vector, score = VECTORS[severity]
            related["cvss"] = [
                {"source": "nvd@nist.gov", "type": "Primary", "version": "3.1", "vector": vector,
                 "metrics": {"baseScore": score}, "vendorMetadata": {}}
            ]  # fmt: skip
        else:
            related["cvss"] = []
    for detail in match.get("matchDetails", []):
        detail["found"]["vulnerabilityID"] = _cve(i)
        detail["searchedBy"]["package"] = {"name": f"pkg{package}", "version": version}
    artifact = match["artifact"]
    artifact.update(
        {
            "id": f"{package:016x}",
            "name": f"pkg{package}",
            "version": version,
            "purl": f"pkg:deb/debian/pkg{package}@{version}?arch=amd64&distro=debian-12",
            "cpes": [f"cpe:2.3:a:pkg{package}:pkg{package}:{version}:*:*:*:*:*:*:*"],
        }
    )
    return match


def write_image(directory: Path, components: int, vulnerabilities: int) -> Path:
    """Write one image's evidence into `directory` (created) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copyfile(SAMPLE / name, directory / name)

    sbom = json.loads((SAMPLE / "sbom.cdx.json").read_text(encoding="utf-8"))
    template = sbom["components"][1]
    sbom["components"] = [_component(template, i) for i in range(components)]
    sbom.pop("dependencies", None)
    (directory / "sbom.cdx.json").write_text(json.dumps(sbom), encoding="utf-8")

    trivy = json.loads((SAMPLE / "trivy.json").read_text(encoding="utf-8"))
    result = trivy["Results"][0]
    first = result["Vulnerabilities"][0]
    result["Vulnerabilities"] = [_trivy_vulnerability(first, i, components) for i in range(vulnerabilities)]
    trivy["Results"] = [result]
    (directory / "trivy.json").write_text(json.dumps(trivy), encoding="utf-8")

    grype = json.loads((SAMPLE / "grype.json").read_text(encoding="utf-8"))
    first_match = grype["matches"][0]
    grype["matches"] = [_grype_match(first_match, i, components) for i in range(vulnerabilities)]
    (directory / "grype.json").write_text(json.dumps(grype), encoding="utf-8")
    return directory


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: python bench/generate.py DIR COMPONENTS VULNERABILITIES")
    write_image(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))


def _retargeted(data: bytes, digest_hex: str, name: str) -> bytes:
    original = IMAGE.split("@sha256:")[1].encode()
    return data.replace(original, digest_hex.encode()).replace(b"registry.example.com/webapp", name.encode())


def write_boundary(directory: Path, images: int, components: int, vulnerabilities: int) -> Path:
    """A boundary of `images` images, each the sample's evidence at this size under its own name and digest
    (`registry.example.com/app<n>`), its signature and provenance signed again with a key made for this run
    (`bench.pub` beside the boundary file). Returns the boundary file."""
    import base64  # noqa: PLC0415
    import hashlib  # noqa: PLC0415

    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415

    from evidence.verify.dsse import pae  # noqa: PLC0415 - the encoding the verifier checks

    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (directory / "bench.pub").write_bytes(public)
    template = write_image(directory / "template", components, vulnerabilities)
    files = {p.name: p.read_bytes() for p in sorted(template.iterdir())}
    shutil.rmtree(template)

    def sign(data: bytes) -> str:
        return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()

    lines = ["version: 1", "system: {name: Bench Cloud, id: F0000000000, impact: moderate, csp: Bench Corp}"]
    lines += ["keys: [bench.pub]", "images:"]
    for n in range(images):
        digest_hex = hashlib.sha256(f"bench-image-{n}".encode()).hexdigest()
        name = f"registry.example.com/app{n}"
        folder = directory / f"app{n}"
        folder.mkdir()
        for file_name, data in files.items():
            if file_name in ("cosign-payload.sig", "provenance.intoto.json"):
                continue
            (folder / file_name).write_bytes(_retargeted(data, digest_hex, name))
        (folder / "cosign-payload.sig").write_text(sign((folder / "cosign-payload.json").read_bytes()), "ascii")
        envelope = json.loads(files["provenance.intoto.json"])
        body = _retargeted(base64.b64decode(envelope["payload"]), digest_hex, name)
        envelope["payload"] = base64.b64encode(body).decode()
        envelope["signatures"] = [{"keyid": "", "sig": sign(pae(envelope["payloadType"], body))}]
        (folder / "provenance.intoto.json").write_text(json.dumps(envelope), encoding="utf-8")
        lines += [f"  - image: {name}@sha256:{digest_hex}", f"    evidence: [app{n}/]", f"    function: service {n}"]
    boundary = directory / "boundary.yaml"
    boundary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return boundary
