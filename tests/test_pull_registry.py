"""`fromline pull` against a real registry (Debian's docker-registry, the CNCF distribution registry 2.8) with TLS
and htpasswd authentication, holding a real busybox image pushed with skopeo, cosign-format signatures and
attestations signed with a test key, the corpus's sigstore bundle and SBOM as referrers by the tag schema, and a
syft SBOM of the image; then `fromline package` of what was pulled gives the verdicts of the same files given
directly."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from image_content import BUNDLE, SBOM, ImageContent, attach, digest_of, public_pem, signing_key

from evidence.cli import main
from evidence.errors import ExitCode

if TYPE_CHECKING:
    from registry_harness import LiveRegistry, PushedImage

TIMESTAMP = "2026-12-01T00:00:00Z"
CYCLONEDX = "application/vnd.cyclonedx+json"


def _push(registry: LiveRegistry, content: ImageContent) -> None:
    """Every blob, then every manifest in the order made (a manifest's blobs and subject exist before it)."""
    for data in content.blobs.values():
        registry.push_blob(content.repository, data)
    for tag, data, media_type in content.manifests:
        registry.push_manifest(content.repository, tag or digest_of(data), data, media_type)


@pytest.fixture(scope="module")
def signed(
    live_registry: LiveRegistry, busybox_image: PushedImage, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A copy of the busybox image in a repository of this module's own, signed, attested, with three referrers."""
    from registry_harness import copy_image, syft_sbom  # noqa: PLC0415

    folder = tmp_path_factory.mktemp("signed")
    image = copy_image(live_registry, busybox_image, "fromline/signed")
    key = signing_key()
    (folder / "key.pub").write_bytes(public_pem(key))
    sbom = syft_sbom(image.layout)
    content = attach(
        ImageContent(repository=image.repository), image.digest, len(image.manifest), key, ((CYCLONEDX, sbom),)
    )
    _push(live_registry, content)
    return {"image": image, "content": content, "key": folder / "key.pub", "sbom": sbom}


def _pull(registry: LiveRegistry, reference: str, out: Path, *extra: str) -> int:
    os.environ["DOCKER_CONFIG"] = str(registry.docker_config)
    try:
        return main(
            [
                "pull",
                reference,
                "--out",
                str(out),
                "--registry-ca",
                str(registry.ca),
                "--timestamp",
                TIMESTAMP,
                "-q",
                *extra,
            ]
        )
    finally:
        del os.environ["DOCKER_CONFIG"]


def test_pull_reads_everything_attached_and_package_gives_the_same_verdicts(
    live_registry: LiveRegistry, signed: dict[str, Any], tmp_path: Path
) -> None:
    image: PushedImage = signed["image"]
    content: ImageContent = signed["content"]
    reference = f"{live_registry.host}/{image.repository}@{image.digest}"
    assert _pull(live_registry, reference, tmp_path / "pulled") == 0
    record = orjson.loads((tmp_path / "pulled" / "pull.json").read_bytes())
    assert record["referrers"] == "referrers tag schema"  # distribution 2.8 has no referrers API
    roles = sorted(f["role"] for f in record["files"])
    assert roles.count("sbom referrer") == 2  # the corpus SBOM and syft's
    assert {"manifest", "config", "cosign sig manifest", "cosign att layer", "sigstore-bundle referrer"} <= set(roles)
    pulled = {p.read_bytes() for p in (tmp_path / "pulled").rglob("*") if p.is_file()}
    assert {
        image.manifest,
        image.config,
        BUNDLE.read_bytes(),
        SBOM.read_bytes(),
        signed["sbom"],
        content.payload,
    } <= pulled

    by_hand = tmp_path / "by-hand"
    by_hand.mkdir()
    (by_hand / "manifest.json").write_bytes(image.manifest)
    (by_hand / "config.json").write_bytes(image.config)
    (by_hand / "cosign-payload.json").write_bytes(content.payload)
    (by_hand / "cosign-payload.sig").write_text(content.signature)
    (by_hand / "provenance.dsse.json").write_bytes(content.envelope)
    (by_hand / "syft.cdx.json").write_bytes(signed["sbom"])
    shutil.copy(BUNDLE, by_hand / "bundle.sigstore.json")
    shutil.copy(SBOM, by_hand / "sbom.cdx.json")
    named = f"{live_registry.host}/{image.repository}@{image.digest}"
    for folder in ("pulled", "by-hand"):
        args = [
            "package",
            str(tmp_path / folder),
            "--image",
            named,
            "--key",
            str(signed["key"]),
            "--timestamp",
            TIMESTAMP,
        ]
        assert main([*args, "--out", str(tmp_path / f"{folder}-pkg"), "--formats", "oscal", "-q"]) == 0

    def verdicts(package: Path) -> dict[str, str]:
        audit = orjson.loads((package / "audit.json").read_bytes())
        return {f"{c['catalog']} {c['control_id']}": c["status"] for c in audit["controls"]}

    def verified(package: Path) -> set[str]:
        audit = orjson.loads((package / "audit.json").read_bytes())
        return {e["format"] for e in audit["evidence"] if (e.get("signature") or {}).get("status") == "verified"}

    assert verdicts(tmp_path / "pulled-pkg") == verdicts(tmp_path / "by-hand-pkg")
    assert {"cosign signature manifest", "SLSA provenance"} <= verified(tmp_path / "pulled-pkg")
    audit = orjson.loads((tmp_path / "pulled-pkg" / "audit.json").read_bytes())
    syft = [e for e in audit["evidence"] if e["kind"] == "sbom" and e.get("binding") == "match"]
    assert syft  # syft's SBOM names the pushed digest


def test_a_registry_that_refuses_is_an_error_naming_the_repository(
    live_registry: LiveRegistry, busybox_image: PushedImage, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = f"{live_registry.host}/{busybox_image.repository}@{busybox_image.digest}"
    empty = tmp_path / "docker"
    empty.mkdir()
    os.environ["DOCKER_CONFIG"] = str(empty)  # no credentials
    try:
        code = main(["pull", reference, "--out", str(tmp_path / "out"), "--registry-ca", str(live_registry.ca), "-q"])
    finally:
        del os.environ["DOCKER_CONFIG"]
    assert code == ExitCode.REGISTRY
    err = capsys.readouterr().err
    assert f"{live_registry.host}/{busybox_image.repository}" in err
    assert "refused access" in err
    assert live_registry.password not in err
    # Without --registry-ca, the system's CAs, which do not know the test's certificate: TLS fails, and says so.
    os.environ["DOCKER_CONFIG"] = str(live_registry.docker_config)
    try:
        assert main(["pull", reference, "--out", str(tmp_path / "out2"), "-q"]) == ExitCode.REGISTRY
        assert "TLS with the registry failed" in capsys.readouterr().err
        not_a_ca = ["--registry-ca", str(Path(__file__))]
        assert main(["pull", reference, "--out", str(tmp_path / "out3"), *not_a_ca, "-q"]) == ExitCode.BAD_INPUT
        assert "no CA certificate" in capsys.readouterr().err
    finally:
        del os.environ["DOCKER_CONFIG"]
    assert not list(tmp_path.glob("out*"))
