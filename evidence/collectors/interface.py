"""The collector seam: recognize a file by its content, then read it into `Evidence`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from evidence.errors import InputError
from evidence.model import Evidence, EvidenceKind

_NOT_PARSED = object()


class CollectorError(InputError):
    """A file in a recognized format that cannot be read; names the file and the problem."""


class SkipFile(CollectorError):  # noqa: N818 - a signal to skip the file, which collect() records
    """A recognized file that holds nothing this tool reads (an attestation of an unknown predicate type).

    `collect` lists it as skipped with this reason; named on the command line, it is an error like any other.
    """


@dataclass(slots=True)
class Document:
    """One input file: its bytes, read once, and its JSON parsed at most once."""

    path: str  # as shown in the package: relative to the input named on the command line
    data: bytes
    sha256: str = ""
    _json: Any = field(default=_NOT_PARSED, repr=False)
    given: str = ""  # the path as given on the command line (or below a directory given), for error messages

    def __post_init__(self) -> None:
        if not self.sha256:
            self.sha256 = hashlib.sha256(self.data).hexdigest()

    @property
    def looks_like_json(self) -> bool:
        head = self.data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
        return head[:1] in (b"{", b"[")

    def json(self) -> Any:
        """The parsed JSON (orjson), or None when the file is not JSON."""
        if self._json is _NOT_PARSED:
            if not self.looks_like_json:
                self._json = None
            else:
                try:
                    self._json = orjson.loads(self.data.removeprefix(b"\xef\xbb\xbf"))
                except orjson.JSONDecodeError:
                    self._json = None
        return self._json

    def text(self) -> str:
        try:
            return self.data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise CollectorError(self.path, f"not valid UTF-8 text (byte {e.start})") from e

    def evidence(self, *, kind: EvidenceKind, format: str, **facts: Any) -> Evidence:  # noqa: A002
        """An `Evidence` record for this file, with its identity filled in."""
        ident = hashlib.sha256(f"{self.path}\0{self.sha256}".encode()).hexdigest()[:12]
        return Evidence(
            id=f"ev-{ident}", path=self.path, sha256=self.sha256, size=len(self.data), kind=kind, format=format, **facts
        )


class Collector(Protocol):
    """Reads one evidence format. `sniff` is cheap and never raises; `parse` raises `CollectorError`."""

    name: str

    def sniff(self, doc: Document) -> bool: ...

    def parse(self, doc: Document) -> Evidence: ...
