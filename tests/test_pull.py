"""`fromline pull`: from an OCI image layout, and from a registry served in memory (the referrers API, the token
flow, throttling, and answers that are not what was asked for). The real registry's tests are in
test_pull_registry.py."""

from __future__ import annotations

import base64
import os
import shutil
import stat
from pathlib import Path

import orjson
import pytest
from fake_registry import TOKEN, FakeRegistry, serving
from image_content import BUNDLE, SBOM, ImageContent, public_pem, signed_image, signing_key, write_layout

from evidence.cli import main
from evidence.errors import ExitCode
from evidence.registry.credentials import find_credentials
from evidence.registry.reference import RegistryReference

REPOSITORY = "team/app"
TIMESTAMP = "2026-12-01T00:00:00Z"


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> tuple[ImageContent, Path]:
    key = signing_key()
    folder = tmp_path_factory.mktemp("key")
    (folder / "key.pub").write_bytes(public_pem(key))
    return signed_image(REPOSITORY, key), folder / "key.pub"


def _pull(image: str, out: Path, *extra: str) -> int:
    return main(["pull", image, "--out", str(out), "--timestamp", TIMESTAMP, "-q", *extra])


def _verdicts(package: Path) -> dict[str, str]:
    audit = orjson.loads((package / "audit.json").read_bytes())
    return {f"{c['catalog']} {c['control_id']}": c["status"] for c in audit["controls"]}


def _signatures(package: Path) -> set[tuple[str, str]]:
    """(format, verification status) of the signatures bound to the image by its digest."""
    audit = orjson.loads((package / "audit.json").read_bytes())
    return {
        (e["format"], e["signature"]["status"])
        for e in audit["evidence"]
        if e.get("signature") and e.get("binding") == "match"
    }


def test_pull_from_an_oci_layout_reads_everything_attached(image: tuple[ImageContent, Path], tmp_path: Path) -> None:
    content, _ = image
    layout = write_layout(content, tmp_path / "layout")
    assert _pull(f"oci:{layout}@{content.digest}", tmp_path / "pulled") == 0
    record = orjson.loads((tmp_path / "pulled" / "pull.json").read_bytes())
    assert record["subject"] == content.digest
    assert record["time"] == TIMESTAMP
    roles = sorted(f["role"] for f in record["files"])
    assert roles == sorted(
        [
            "manifest",
            "config",
            "cosign sig manifest",
            "cosign sig layer",
            "cosign att manifest",
            "cosign att layer",
            "sigstore-bundle referrer",
            "sigstore-bundle referrer layer",
            "sbom referrer",
            "sbom referrer layer",
        ]
    )
    for entry in record["files"]:
        data = (tmp_path / "pulled" / entry["path"]).read_bytes()
        assert entry["size"] == len(data)
        assert entry["digest"] == "sha256:" + __import__("hashlib").sha256(data).hexdigest()
    pulled = {p.read_bytes() for p in (tmp_path / "pulled").rglob("*") if p.is_file()}
    assert {BUNDLE.read_bytes(), SBOM.read_bytes(), content.payload, content.envelope} <= pulled  # byte for byte


def test_pull_then_package_gives_the_verdicts_of_the_files_given_directly(
    image: tuple[ImageContent, Path], tmp_path: Path
) -> None:
    content, key = image
    layout = write_layout(content, tmp_path / "layout")
    assert _pull(f"oci:{layout}@{content.digest}", tmp_path / "pulled") == 0
    # The same evidence assembled by hand: the manifest, config, payload with its detached signature, the DSSE
    # envelope, and the referrers' files.
    by_hand = tmp_path / "by-hand"
    by_hand.mkdir()
    manifest = next(data for tag, data, _ in content.manifests if tag == "1.0.0")
    (by_hand / "manifest.json").write_bytes(manifest)
    config_digest = orjson.loads(manifest)["config"]["digest"]
    (by_hand / "config.json").write_bytes(content.blobs[config_digest])
    (by_hand / "cosign-payload.json").write_bytes(content.payload)
    (by_hand / "cosign-payload.sig").write_text(content.signature)
    (by_hand / "provenance.dsse.json").write_bytes(content.envelope)
    shutil.copy(BUNDLE, by_hand / "bundle.sigstore.json")
    shutil.copy(SBOM, by_hand / "sbom.cdx.json")
    reference = f"registry.example.com/{REPOSITORY}@{content.digest}"
    for folder in ("pulled", "by-hand"):
        args = ["package", str(tmp_path / folder), "--image", reference, "--key", str(key)]
        assert main([*args, "--out", str(tmp_path / f"{folder}-pkg"), "--timestamp", TIMESTAMP, "-q"]) == 0
    assert _verdicts(tmp_path / "pulled-pkg") == _verdicts(tmp_path / "by-hand-pkg")
    pulled, by_hand_signatures = _signatures(tmp_path / "pulled-pkg"), _signatures(tmp_path / "by-hand-pkg")
    assert {("cosign signature manifest", "verified"), ("SLSA provenance", "verified")} <= pulled
    assert {("cosign simple signing", "verified"), ("SLSA provenance", "verified")} <= by_hand_signatures


def test_a_blob_that_is_not_what_its_digest_says_is_an_error(
    image: tuple[ImageContent, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, _ = image
    layout = write_layout(content, tmp_path / "layout")
    payload = layout / "blobs" / "sha256" / __import__("hashlib").sha256(content.payload).hexdigest()
    payload.write_bytes(content.payload.replace(b"cosign", b"COSIGN"))
    assert _pull(f"oci:{layout}@{content.digest}", tmp_path / "pulled") == ExitCode.REGISTRY
    err = capsys.readouterr().err
    assert "holds content of digest" in err
    assert not (tmp_path / "pulled").exists()  # nothing half written


def test_the_referrers_api_and_the_token_flow(image: tuple[ImageContent, Path], tmp_path: Path) -> None:
    content, _ = image
    config = tmp_path / "docker"
    config.mkdir()
    auth = base64.b64encode(b"reader:s3cret").decode()
    with serving(FakeRegistry(content=content, user="reader", password="s3cret")) as registry:  # noqa: S106
        (config / "config.json").write_text(orjson.dumps({"auths": {registry.host: {"auth": auth}}}).decode())
        os.environ["DOCKER_CONFIG"] = str(config)
        try:
            code = _pull(
                f"{registry.host}/{REPOSITORY}@{content.digest}",
                tmp_path / "pulled",
                "--insecure-registry",
                registry.host,
            )
        finally:
            del os.environ["DOCKER_CONFIG"]
        paths = [path for path, _ in registry.requests]
        authorizations = {a for _, a in registry.requests if a}
    assert code == 0
    record = orjson.loads((tmp_path / "pulled" / "pull.json").read_bytes())
    assert record["referrers"] == "referrers API"
    assert f"/v2/{REPOSITORY}/referrers/{content.digest}" in paths
    assert f"/v2/{REPOSITORY}/manifests/sha256-{content.digest.removeprefix('sha256:')}" not in paths  # no tag schema
    assert any(path.startswith("/token?") for path in paths)
    assert f"Bearer {TOKEN}" in authorizations
    assert sum(1 for f in record["files"] if f["role"].endswith("referrer")) == 2


def test_without_the_referrers_api_the_tag_schema_is_read(image: tuple[ImageContent, Path], tmp_path: Path) -> None:
    content, _ = image
    with serving(FakeRegistry(content=content, referrers_api=False, throttle=2)) as registry:
        code = _pull(
            f"{registry.host}/{REPOSITORY}@{content.digest}", tmp_path / "pulled", "--insecure-registry", registry.host
        )
    assert code == 0  # after two answers of 429, retried
    assert orjson.loads((tmp_path / "pulled" / "pull.json").read_bytes())["referrers"] == "referrers tag schema"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("tamper", "answered with content of digest"),
        ("served_as", "was served as"),
        ("no_credentials", "refused access"),
        ("missing", "has no manifest"),
    ],
)
def test_a_registry_that_does_not_give_what_was_asked_is_an_error(
    image: tuple[ImageContent, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: str,
    message: str,
) -> None:
    content, _ = image
    registry = FakeRegistry(content=content)
    digest = content.digest
    if change == "tamper":
        registry.tamper.add(digest)
    elif change == "served_as":
        registry.served_as[digest] = "text/html"
    elif change == "no_credentials":
        registry.user, registry.password = "reader", "s3cret"
    else:
        digest = "sha256:" + "0" * 64
    os.environ["DOCKER_CONFIG"] = str(tmp_path)  # no config.json there
    try:
        with serving(registry):
            code = _pull(
                f"{registry.host}/{REPOSITORY}@{digest}", tmp_path / "out", "--insecure-registry", registry.host
            )
    finally:
        del os.environ["DOCKER_CONFIG"]
    assert code == ExitCode.REGISTRY
    err = capsys.readouterr().err
    assert message in err
    assert f"127.0.0.1:{registry.port}/{REPOSITORY}" in err
    assert "s3cret" not in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_plain_http_only_to_a_registry_named_insecure(image: tuple[ImageContent, Path], tmp_path: Path) -> None:
    content, _ = image
    with serving(FakeRegistry(content=content)) as registry:
        code = _pull(f"{registry.host}/{REPOSITORY}@{content.digest}", tmp_path / "out")
        assert code == ExitCode.REGISTRY  # HTTPS to a server that speaks HTTP: refused, not downgraded
        assert registry.requests == []


def test_an_existing_folder_that_is_not_a_pull_is_not_replaced(
    image: tuple[ImageContent, Path], tmp_path: Path
) -> None:
    content, _ = image
    layout = write_layout(content, tmp_path / "layout")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    assert _pull(f"oci:{layout}@{content.digest}", tmp_path / "mine") == ExitCode.OUTPUT_FAILURE
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine"
    assert _pull(f"oci:{layout}@{content.digest}", tmp_path / "again") == 0
    assert _pull(f"oci:{layout}@{content.digest}", tmp_path / "again") == 0  # an earlier pull is replaced


def test_credentials_from_a_helper_and_from_auths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    helper = tmp_path / "bin" / "docker-credential-fake"
    helper.parent.mkdir()
    helper.write_text('#!/bin/sh\nread host\necho "{\\"Username\\":\\"u-$host\\",\\"Secret\\":\\"pw\\"}"\n')
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{helper.parent}{os.pathsep}{os.environ['PATH']}")
    config = tmp_path / "config.json"
    config.write_text(
        orjson.dumps(
            {
                "auths": {"https://index.docker.io/v1/": {"auth": base64.b64encode(b"hub:pw").decode()}},
                "credHelpers": {"registry.example.com": "fake"},
                "credsStore": "missing-store",
            }
        ).decode()
    )
    helped = find_credentials("registry.example.com", config)
    assert (helped.username, helped.password, helped.source) == (
        "u-registry.example.com",
        "pw",
        "docker-credential-fake",
    )
    assert "pw" not in repr(helped)
    hub = find_credentials("docker.io", config)  # the store is not installed: the inline entry is used
    assert (hub.username, hub.password) == ("hub", "pw")
    other = find_credentials("other.example.com", config)
    assert other.basic is None
    assert other.problem is not None
    assert "docker-credential-missing-store" in other.problem


@pytest.mark.parametrize(
    ("text", "host", "repository"),
    [
        ("debian@sha256:" + "a" * 64, "docker.io", "library/debian"),
        ("docker.io/bitnami/redis:7@sha256:" + "a" * 64, "docker.io", "bitnami/redis"),
        ("localhost:5000/app@sha256:" + "a" * 64, "localhost:5000", "app"),
        ("ghcr.io/org/team/app:1.0@sha256:" + "a" * 64, "ghcr.io", "org/team/app"),
    ],
)
def test_references(text: str, host: str, repository: str) -> None:
    reference = RegistryReference.parse(text)
    assert (reference.host, reference.repository) == (host, repository)


@pytest.mark.parametrize("text", ["debian:12", "Registry.example.com/App@sha256:" + "a" * 64, "x@sha256:abc"])
def test_references_that_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"sha256|repository|registry"):
        RegistryReference.parse(text)


def test_package_pulls_and_reads_oci_layouts_in_one_step(image: tuple[ImageContent, Path], tmp_path: Path) -> None:
    content, key = image
    layout = write_layout(content, tmp_path / "layout")
    common = ["--key", str(key), "--timestamp", TIMESTAMP, "-q"]
    with serving(FakeRegistry(content=content)) as registry:
        reference = f"{registry.host}/{REPOSITORY}@{content.digest}"
        pulled = ["package", "--pull", "--image", reference, "--insecure-registry", registry.host]
        assert main([*pulled, "--out", str(tmp_path / "pulled"), *common]) == 0
    from_layout = ["package", f"oci:{layout}", "--image", reference, "--out", str(tmp_path / "layout-pkg")]
    assert main([*from_layout, *common]) == 0
    assert _verdicts(tmp_path / "pulled") == _verdicts(tmp_path / "layout-pkg")
    assert ("cosign signature manifest", "verified") in _signatures(tmp_path / "pulled")
    stored = {
        p.relative_to(tmp_path / "pulled" / "evidence").parts[0]
        for p in (tmp_path / "pulled" / "evidence").rglob("*.json")
    }
    assert stored == {"registry"}
    assert main(["package", "--image", reference, "--out", str(tmp_path / "nothing"), "-q"]) == ExitCode.USAGE


def test_a_boundary_image_with_pull_true(
    image: tuple[ImageContent, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, key = image
    with serving(FakeRegistry(content=content)) as registry:
        boundary = tmp_path / "boundary.yaml"
        boundary.write_text(
            "version: 1\n"
            "system: {name: Pull Cloud, id: F0000000001, impact: moderate, csp: Example Corp}\n"
            f"keys: [{key}]\n"
            "images:\n"
            f"  - image: {registry.host}/{REPOSITORY}@{content.digest}\n"
            "    pull: true\n"
            "    function: the app\n"
        )
        args = ["boundary", str(boundary), "--out", str(tmp_path / "out"), "--timestamp", TIMESTAMP]
        assert main([*args, "--formats", "poam-xlsx", "--insecure-registry", registry.host]) == 0
        requested = len(registry.requests)
        capsys.readouterr()
        assert main([*args, "--formats", "poam-xlsx", "--insecure-registry", registry.host]) == 0  # pulled again
        assert len(registry.requests) == 2 * requested
    assert "1 reused" in capsys.readouterr().out  # the registry held the same: the assessment is reused
    audit = orjson.loads((tmp_path / "out" / "audit.json").read_bytes())
    (entry,) = audit["images"]
    package = tmp_path / "out" / entry["package"]
    assert ("cosign signature manifest", "verified") in _signatures(package)
    assert not list((tmp_path / "out").glob(".pulled*"))


def test_the_referrers_api_in_pages(image: tuple[ImageContent, Path], tmp_path: Path) -> None:
    content, _ = image
    with serving(FakeRegistry(content=content, page_size=1)) as registry:
        reference = f"{registry.host}/{REPOSITORY}@{content.digest}"
        assert _pull(reference, tmp_path / "pulled", "--insecure-registry", registry.host) == 0
        pages = [path for path, _ in registry.requests if "/referrers/" in path]
    assert len(pages) == 2
    record = orjson.loads((tmp_path / "pulled" / "pull.json").read_bytes())
    assert sorted(f["role"] for f in record["files"] if f["role"].endswith("referrer")) == [
        "sbom referrer",
        "sigstore-bundle referrer",
    ]


def _corpus_layout(root: Path) -> str:
    """An OCI image layout of real blobs from the corpus: the example-package image index (its linux/amd64
    manifest and config, and BuildKit's attestation manifest with its SLSA provenance layer), as crane and cosign
    saved them (PROVENANCE.md). The index's digest."""
    import hashlib  # noqa: PLC0415

    corpus = BUNDLE.parents[1]
    files = [
        corpus / "oci" / "ghcr-example-package-image-index.oci-index.json",
        corpus / "oci" / "ghcr-example-package-linux-amd64.oci-manifest.json",
        corpus / "oci" / "ghcr-example-package-linux-amd64.oci-image-config.json",
        corpus / "oci" / "ghcr-example-package-buildkit-attestation.oci-manifest.json",
        corpus / "provenance" / "buildkit-slsa-v0.2-statement-container-image.intoto.json",
    ]
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    for path in files:
        data = path.read_bytes()
        (blobs / hashlib.sha256(data).hexdigest()).write_bytes(data)
    index = "sha256:" + hashlib.sha256(files[0].read_bytes()).hexdigest()
    entry = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": index, "size": files[0].stat().st_size}
    (root / "index.json").write_bytes(orjson.dumps({"schemaVersion": 2, "manifests": [entry]}))
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return index


def test_an_index_of_real_blobs_with_its_platform_and_attestation_manifests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = _corpus_layout(tmp_path / "layout")
    layout = f"oci:{tmp_path / 'layout'}@{index}"
    assert _pull(layout, tmp_path / "all") == 0
    record = orjson.loads((tmp_path / "all" / "pull.json").read_bytes())
    roles = sorted(f["role"] for f in record["files"])
    assert roles == ["attestation layer", "attestation manifest", "config", "index", "manifest"]
    names = {f["path"] for f in record["files"]}
    assert any(n.startswith("image/manifest-linux-amd64-") for n in names)
    assert _pull(layout, tmp_path / "amd64", "--platform", "linux/amd64") == 0
    assert _pull(layout, tmp_path / "arm64", "--platform", "linux/arm64") == ExitCode.REGISTRY
    assert "no manifest for the platform linux/arm64" in capsys.readouterr().err
    reference = f"ghcr.io/slsa-framework/example-package@{index}"
    out = tmp_path / "pkg"
    assert main(["package", str(tmp_path / "all"), "--image", reference, "--out", str(out), "-q"]) == 0
    audit = orjson.loads((out / "audit.json").read_bytes())
    kinds = {(e["kind"], e.get("binding")) for e in audit["evidence"]}
    assert ("provenance", "match") in kinds  # BuildKit's provenance, bound through the index
    assert ("image-index", "match") in kinds
