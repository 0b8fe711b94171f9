"""The registry API as `fromline pull` speaks it: GET only, to the one registry the user names.

Authentication as registries ask for it: the request goes out without credentials; a 401 answer's
`WWW-Authenticate` challenge says how to authenticate. `Bearer realm=...,service=...,scope=...` is the token
flow: a pull token for the repository from the realm (with the user's credentials, or an identity token as an
OAuth 2 refresh token, or anonymously). `Basic` takes the credentials themselves. The realm must be HTTPS unless
the registry was named with `--insecure-registry`: credentials never cross plain HTTP to anyone else.

TLS is verified with the system's certificate authorities, or with `--registry-ca FILE` only. Answers of 429
and 5xx are retried with exponential backoff, four times at most, a `Retry-After` of at most 10 s honoured.
Every body is read up to a size limit and, where a digest names it, checked against that digest as it is read.
No header, token or credential is printed or kept in a message.
"""

from __future__ import annotations

import hashlib
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from evidence.errors import InputError, RegistryError
from evidence.registry.credentials import Credentials

if TYPE_CHECKING:
    import requests

__all__ = ["Answer", "RegistryClient"]

_TIMEOUT = (10, 60)  # seconds to connect, and between bytes read
_CHUNK = 1 << 20
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    status: int
    media_type: str | None  # Content-Type without parameters
    body: bytes
    digest: str  # "sha256:<hex>" of the body
    next_page: str | None = None  # a paginated answer's `Link: <...>; rel="next"`, resolved against the registry


def _session(ca: Path | None) -> requests.Session:
    import requests  # noqa: PLC0415 - only pull needs HTTP
    from requests.adapters import HTTPAdapter  # noqa: PLC0415
    from urllib3.util.retry import Retry  # noqa: PLC0415

    try:
        context = ssl.create_default_context(cafile=str(ca) if ca else None)
    except (ssl.SSLError, OSError) as e:
        raise InputError(ca or "the system's CA certificates", f"holds no CA certificate that can be used ({e})") from e
    retry = Retry(
        total=4,
        connect=4,
        read=2,
        status=4,
        other=0,  # a TLS failure, among others: retrying does not mend it
        redirect=5,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=frozenset({429, 500, 502, 503, 504}),
        backoff_factor=0.5,
        backoff_max=8,
        retry_after_max=10,
        raise_on_status=False,
    )

    class _Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["ssl_context"] = context
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.trust_env = False  # no proxy or netrc credentials from the environment: only what the user named
    session.mount("https://", _Adapter(max_retries=retry))
    session.mount("http://", _Adapter(max_retries=retry))
    session.headers["User-Agent"] = "fromline"
    return session


class RegistryClient:
    """GET requests to one registry's API for one repository, authenticated as the registry asks."""

    def __init__(  # noqa: PLR0913 - the registry, the repository, and how to reach and authenticate to it
        self,
        *,
        api_host: str,
        shown_host: str,
        repository: str,
        credentials: Credentials,
        ca: Path | None = None,
        insecure: bool = False,
    ) -> None:
        self.scheme = "http" if insecure else "https"
        self.base = f"{self.scheme}://{api_host}"
        self.shown = f"{shown_host}/{repository}"
        self.repository = repository
        self.credentials = credentials
        self.insecure = insecure
        self._session = _session(ca)
        self._authorization: str | None = None

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        return f"{self.base}/v2/{self.repository}"

    def get(self, path: str, *, accept: str | None, limit: int, expect: str | None = None) -> Answer | None:
        """GET `/v2/<repository>/<path>` (or `path` itself when it starts with `/`, a page link from this
        registry): the answer, None for 404. `expect` is the digest the body must have."""
        response = self._send(f"{self.base}{path}" if path.startswith("/") else f"{self.url}/{path}", accept)
        try:
            if response.status_code == 404:
                return None
            if response.status_code in (401, 403):
                raise RegistryError(self._refused(response.status_code, path))
            if response.status_code != 200:
                raise RegistryError(f"{self.shown}: {path} answered HTTP {response.status_code}")
            body, digest = self._read(response, path, limit)
        finally:
            response.close()
        if expect is not None and digest != expect:
            raise RegistryError(f"{self.shown}: {path} answered with content of digest {digest}, not {expect}")
        media_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip() or None
        return Answer(
            status=200, media_type=media_type, body=body, digest=digest, next_page=self._next(response.headers)
        )

    def _next(self, headers: Any) -> str | None:
        """The `rel="next"` link of a paginated answer, as a path on this registry; one elsewhere is an error."""
        for link in str(headers.get("Link", "")).split(","):
            target, _, params = link.partition(";")
            if 'rel="next"' not in params.replace(" ", "") and "rel=next" not in params.replace(" ", ""):
                continue
            url = target.strip().removeprefix("<").removesuffix(">")
            if url.startswith(self.base + "/"):
                url = url.removeprefix(self.base)
            if not url.startswith("/") or url.startswith("//"):
                raise RegistryError(f"{self.shown}: the next page is on another host ({url[:200]}); not followed")
            return url
        return None

    def _read(self, response: requests.Response, path: str, limit: int) -> tuple[bytes, str]:
        import requests  # noqa: PLC0415

        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise RegistryError(f"{self.shown}: {path} is {declared} bytes, over the {limit}-byte limit")
        digest = hashlib.sha256()
        parts: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise RegistryError(f"{self.shown}: {path} is over the {limit}-byte limit")
                digest.update(chunk)
                parts.append(chunk)
        except requests.RequestException as e:
            raise RegistryError(f"{self.shown}: reading {path} failed: {e.__class__.__name__}") from e
        return b"".join(parts), f"sha256:{digest.hexdigest()}"

    def _send(self, url: str, accept: str | None) -> requests.Response:
        response = self._request(url, accept)
        if response.status_code != 401:
            return response
        challenge = response.headers.get("WWW-Authenticate", "")
        response.close()
        authorization = self._authorize(challenge)
        if authorization is None:
            return self._request(url, accept)  # answered 401 again: _refused says why
        self._authorization = authorization
        return self._request(url, accept)

    def _request(self, url: str, accept: str | None) -> requests.Response:
        import requests  # noqa: PLC0415

        headers = {"Accept": accept} if accept else {}
        if self._authorization:
            headers["Authorization"] = self._authorization
        try:
            return self._session.get(url, headers=headers, stream=True, timeout=_TIMEOUT, allow_redirects=True)
        except requests.exceptions.SSLError as e:
            raise RegistryError(f"{self.shown}: TLS with the registry failed ({_reason(e)})") from e
        except requests.RequestException as e:
            raise RegistryError(f"{self.shown}: the registry cannot be reached ({_reason(e)})") from e

    def _authorize(self, challenge: str) -> str | None:
        scheme, _, rest = challenge.partition(" ")
        params = dict(_CHALLENGE.findall(rest))
        if scheme.lower() == "basic":
            basic = self.credentials.basic
            if basic is None:
                return None
            import base64  # noqa: PLC0415

            return "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        if scheme.lower() == "bearer" and "realm" in params:
            return f"Bearer {self._token(params)}"
        return None

    def _token(self, params: dict[str, str]) -> str:
        import requests  # noqa: PLC0415

        realm = params["realm"]
        if not realm.startswith("https://") and not (self.insecure and realm.startswith("http://")):
            raise RegistryError(
                f"{self.shown}: the registry's token service {realm} is not HTTPS; not sent credentials"
            )
        query = {"service": params.get("service", ""), "scope": f"repository:{self.repository}:pull"}
        query = {k: v for k, v in query.items() if v}
        try:
            if self.credentials.identity_token:
                response = self._session.post(
                    realm,
                    data={
                        **query,
                        "grant_type": "refresh_token",
                        "refresh_token": self.credentials.identity_token,
                        "client_id": "fromline",
                    },
                    timeout=_TIMEOUT,
                )
            else:
                response = self._session.get(realm, params=query, auth=self.credentials.basic, timeout=_TIMEOUT)
        except requests.RequestException as e:
            raise RegistryError(f"{self.shown}: the registry's token service cannot be reached ({_reason(e)})") from e
        with response:
            if response.status_code in (401, 403):
                raise RegistryError(self._refused(response.status_code, "the token service"))
            try:
                answer = response.json()
            except ValueError:
                answer = None
        token = answer.get("token") or answer.get("access_token") if isinstance(answer, dict) else None
        if response.status_code != 200 or not isinstance(token, str) or not token:
            raise RegistryError(
                f"{self.shown}: the registry's token service gave no token (HTTP {response.status_code})"
            )
        return token

    def _refused(self, status: int, what: str) -> str:
        who = (
            f"with the credentials from {self.credentials.source}"
            if self.credentials.source
            else (self.credentials.problem or "without credentials (none in the Docker config file for this registry)")
        )
        return f"{self.shown}: the registry refused access to {what} (HTTP {status}) {who}"


def _reason(error: Exception) -> str:
    """The innermost cause's class and message, which names hosts and reasons but never headers."""
    cause: BaseException = error
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    text = str(cause).split("\n", 1)[0]
    return f"{cause.__class__.__name__}: {text}"[:300]
