"""Registry credentials where users keep them: the Docker config file and its credential helpers.

`$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`): a host's `credHelpers` entry names the program
`docker-credential-<name>` that holds its credentials, else `credsStore` names the one for every host, else
`auths` holds them inline (`auth`: base64 of `user:password`, or `username` and `password`; `identitytoken`: an
OAuth 2 refresh token). A helper answers `get` with the host on standard input, as JSON (`Username`, `Secret`;
the user name `<token>` marks the secret as an identity token). Nothing here prints or logs a secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Credentials", "docker_config_path", "find_credentials"]

_HELPER_TIMEOUT = 30  # seconds: a helper may ask a keychain or a cloud API
_IDENTITY_TOKEN_USER = "<token>"  # noqa: S105 - the user name that marks an identity token, not a secret
_DOCKER_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    identity_token: str | None = field(default=None, repr=False)  # an OAuth 2 refresh token
    source: str = ""  # where they came from, for messages: "config.json auths", "docker-credential-pass"
    problem: str | None = None  # why none were found where the config file says they are

    @property
    def basic(self) -> tuple[str, str] | None:
        return (self.username, self.password) if self.username is not None and self.password is not None else None


def docker_config_path() -> Path:
    folder = os.environ.get("DOCKER_CONFIG")
    return (Path(folder) if folder else Path.home() / ".docker") / "config.json"


def _host_of(key: str) -> str:
    """An `auths` key as Docker writes them (`https://host/v1/`, `host`) reduced to the host."""
    return key.split("://", 1)[-1].split("/", 1)[0]


def _keys_for(host: str) -> tuple[str, ...]:
    return _DOCKER_HUB_KEYS if host == "docker.io" else (host,)


def find_credentials(host: str, config: Path | None = None) -> Credentials:
    """The credentials the Docker config file gives for `host` (as images name it: `docker.io` for Docker Hub);
    empty credentials when it gives none, with the reason when it names a helper that fails."""
    path = config or docker_config_path()
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError:
        return Credentials()
    except (OSError, ValueError) as e:
        return Credentials(problem=f"{path} cannot be read: {e}")
    if not isinstance(document, dict):
        return Credentials(problem=f"{path} is not a JSON object")
    keys = _keys_for(host)
    helpers = document.get("credHelpers")
    if isinstance(helpers, dict):
        for key in keys:
            if isinstance(helpers.get(key), str):
                return _from_helper(helpers[key], key)
    auths = document.get("auths")
    inline = None
    if isinstance(auths, dict):
        inline = next((auths[k] for k in auths if _host_of(k) in keys and isinstance(auths[k], dict)), None)
    store = document.get("credsStore")
    if isinstance(store, str) and store:
        found = _from_helper(store, keys[0])
        if found.basic or found.identity_token or inline is None:
            return found
    return _inline(inline, path) if inline is not None else Credentials()


def _inline(entry: dict[str, object], path: Path) -> Credentials:
    token = entry.get("identitytoken")
    identity = token if isinstance(token, str) and token else None
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            user, colon, password = base64.b64decode(auth, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return Credentials(problem=f"{path}: an `auth` value is not base64 of user:password")
        if colon:
            return Credentials(username=user, password=password, identity_token=identity, source=f"{path} auths")
    name, secret = entry.get("username"), entry.get("password")
    if isinstance(name, str) and isinstance(secret, str):
        return Credentials(username=name, password=secret, identity_token=identity, source=f"{path} auths")
    return Credentials(identity_token=identity, source=f"{path} auths")


def _from_helper(name: str, server: str) -> Credentials:  # noqa: PLR0911 - each way a helper can fail
    program = f"docker-credential-{name}"
    executable = shutil.which(program)
    if executable is None:
        return Credentials(problem=f"the Docker config names the credential helper {program}, which is not installed")
    try:
        done = subprocess.run(  # noqa: S603 - the helper the user's Docker config names, given the host only
            [executable, "get"],
            input=server.encode(),
            capture_output=True,
            timeout=_HELPER_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return Credentials(problem=f"{program} get failed: {e.__class__.__name__}")
    if done.returncode != 0:
        # "credentials not found in native keychain": the helper has none for this host; its output is not shown,
        # since a helper may echo what it was given.
        return Credentials(problem=f"{program} has no credentials for {server}")
    try:
        answer = json.loads(done.stdout)
        user, secret = answer["Username"], answer["Secret"]
    except (ValueError, KeyError, TypeError):
        return Credentials(problem=f"{program} get did not answer with Username and Secret")
    if not isinstance(user, str) or not isinstance(secret, str):
        return Credentials(problem=f"{program} get did not answer with Username and Secret")
    if user == _IDENTITY_TOKEN_USER:
        return Credentials(identity_token=secret, source=program)
    return Credentials(username=user, password=secret, source=program)
