"""A registry API served from memory on 127.0.0.1, for what the real registry of the tests cannot show: the
referrers API (the distribution registry 2.8 lacks it), the token flow, throttling, and registries that answer
with something else than they were asked for. Its answers are written from the OCI distribution specification."""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from image_content import OCI_INDEX, ImageContent, canonical, digest_of

TOKEN = "fake-registry-token"  # noqa: S105 - a test token


@dataclass
class FakeRegistry:
    content: ImageContent
    user: str | None = None  # with a user, every /v2/ request needs the bearer token the realm gives for it
    password: str | None = None
    referrers_api: bool = True
    page_size: int = 0  # with a size, the referrers API answers in pages linked by `Link: <...>; rel="next"`
    port: int = 0
    throttle: int = 0  # answer 429 this many times first
    tamper: set[str] = field(default_factory=set)  # digests answered with other bytes
    served_as: dict[str, str] = field(default_factory=dict)  # digest -> Content-Type to answer with instead
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Authorization)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def answer(self, path: str, authorization: str | None) -> tuple[int, dict[str, str], bytes]:  # noqa: PLR0911
        self.requests.append((path, authorization))
        if path.startswith("/token"):
            return self._token(authorization)
        if self.user is not None and authorization != f"Bearer {TOKEN}":
            challenge = (
                f'Bearer realm="http://{self.host}/token",service="fake",'
                f'scope="repository:{self.content.repository}:pull"'
            )
            return 401, {"WWW-Authenticate": challenge}, b'{"errors":[{"code":"UNAUTHORIZED"}]}'
        if self.throttle:
            self.throttle -= 1
            return 429, {"Retry-After": "0"}, b'{"errors":[{"code":"TOOMANYREQUESTS"}]}'
        prefix = f"/v2/{self.content.repository}/"
        if not path.startswith(prefix):
            return 404, {}, b""
        kind, _, reference = path.removeprefix(prefix).partition("/")
        if kind == "manifests":
            for tag, data, media_type in self.content.manifests:
                if reference in (tag, digest_of(data)):
                    return self._body(digest_of(data), data, media_type)
        elif kind == "blobs" and reference in self.content.blobs:
            return self._body(reference, self.content.blobs[reference], "application/octet-stream")
        elif kind == "referrers" and self.referrers_api:
            return self._referrers(prefix, reference)
        return 404, {"Content-Type": "application/json"}, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}'

    def _token(self, authorization: str | None) -> tuple[int, dict[str, str], bytes]:
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if authorization != expected:
            return 401, {}, b'{"errors":[{"code":"UNAUTHORIZED"}]}'
        return 200, {"Content-Type": "application/json"}, canonical({"token": TOKEN})

    def _referrers(self, prefix: str, reference: str) -> tuple[int, dict[str, str], bytes]:
        digest, _, query = reference.partition("?")
        found = [d for d in self._manifest_descriptors() if d.pop("subject", None) == digest]
        headers = {"Content-Type": OCI_INDEX}
        if self.page_size:
            page = int(query.removeprefix("page=") or 0)
            if (page + 1) * self.page_size < len(found):
                headers["Link"] = f'<{prefix}referrers/{digest}?page={page + 1}>; rel="next"'
            found = found[page * self.page_size : (page + 1) * self.page_size]
        return 200, headers, canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": found})

    def _body(self, digest: str, data: bytes, media_type: str) -> tuple[int, dict[str, str], bytes]:
        body = data + b" " if digest in self.tamper else data
        headers = {"Content-Type": self.served_as.get(digest, media_type), "Docker-Content-Digest": digest}
        return 200, headers, body

    def _manifest_descriptors(self) -> list[dict[str, object]]:
        """Every manifest with a subject, described as the referrers API lists it (artifactType, annotations)."""
        import json  # noqa: PLC0415

        found = []
        for _, data, media_type in self.content.manifests:
            document = json.loads(data)
            subject = document.get("subject")
            if isinstance(subject, dict):
                found.append(
                    {
                        "mediaType": media_type,
                        "size": len(data),
                        "digest": digest_of(data),
                        "artifactType": document.get("artifactType"),
                        "annotations": {"org.opencontainers.image.created": "2026-12-01T14:42:55Z"},
                        "subject": subject["digest"],
                    }
                )
        return found


@contextlib.contextmanager
def serving(registry: FakeRegistry) -> Iterator[FakeRegistry]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = registry.answer(self.path, self.headers.get("Authorization"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    registry.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield registry
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
