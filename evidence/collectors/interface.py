"""The collector seam: recognize a file by its content, then read it into `Evidence`."""

from __future__ import annotations

import codecs
import hashlib
import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from evidence.errors import InputError
from evidence.model import Evidence, EvidenceKind

_NOT_PARSED = object()
_ORJSON_MAX_DEPTH = 1024  # orjson refuses deeper documents
_DIGEST_BESIDE_PARSING_BYTES = 1024 * 1024  # below this, starting a thread costs more than it saves
# Text with a byte-order mark, as Windows PowerShell's `>` writes it (UTF-16 LE). UTF-32 comes before UTF-16:
# the UTF-32 LE mark starts with the UTF-16 LE one.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
)


class CollectorError(InputError):
    """A file in a recognized format that cannot be read; names the file and the problem."""


class SkipFile(CollectorError):  # noqa: N818 - a signal to skip the file, which collect() records
    """A recognized file that holds nothing this tool reads (an attestation of an unknown predicate type), or that
    is not read (a Dockerfile over its size limit, a symbolic link to a directory found in a directory given).

    `collect` lists it as skipped with this reason; named on the command line, it is an error like any other.
    """


@dataclass(slots=True)
class Document:
    """One input file: its bytes, read once, and its JSON parsed at most once.

    Text with a byte-order mark (UTF-8, UTF-16, UTF-32) is read as UTF-8 without it: `data` holds it re-encoded,
    `original` the bytes read, and `sha256` and the evidence's size are those of the bytes read (what the package
    copies).
    """

    path: str  # as shown in the package: relative to the input named on the command line
    data: bytes
    sha256: str = ""
    _json: Any = field(default=_NOT_PARSED, repr=False)
    given: str = ""  # the path as given on the command line (or below a directory given), for error messages
    original: bytes | None = field(default=None, repr=False)  # the bytes read, when `data` is their UTF-8 re-encoding
    encoding: str | None = None  # "UTF-16 LE"...: what `data` was decoded from, by the file's byte-order mark

    def __post_init__(self) -> None:
        if self.original is None:
            self._decode_by_byte_order_mark()
        if not self.sha256:
            self.sha256 = self._digest()

    def _digest(self) -> str:
        """The SHA-256 of the bytes read. A large JSON file's is computed in a second thread while its JSON is
        parsed (every JSON file is, to recognize it): hashlib lets go of the interpreter lock for large buffers,
        so with a second core the digest takes no time of its own."""
        digest = hashlib.sha256()
        if len(self.raw) < _DIGEST_BESIDE_PARSING_BYTES or not self.looks_like_json:
            digest.update(self.raw)
            return digest.hexdigest()
        worker = threading.Thread(target=digest.update, args=(self.raw,), name="fromline-sha256")
        worker.start()
        try:
            self.json()
        finally:
            worker.join()
        return digest.hexdigest()

    def _decode_by_byte_order_mark(self) -> None:
        for mark, codec, label in BYTE_ORDER_MARKS:
            if self.data.startswith(mark):
                try:
                    text = self.data[len(mark) :].decode(codec)
                except UnicodeDecodeError:
                    return  # `unrecognized` says which encoding does not decode
                self.original, self.data, self.encoding = self.data, text.encode("utf-8"), label
                return

    @property
    def raw(self) -> bytes:
        """The bytes read from the file: what its sha256 and size are of, and what the package copies."""
        return self.data if self.original is None else self.original

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

    def duplicate_key(self) -> DuplicateKey | None:
        """The first object key that appears twice in one object of this file's JSON, if any.

        orjson keeps the last of two equal keys, so a second `"Results": []` would hide the first silently.
        A count of colons proves most files free of them (`_every_member_kept`); otherwise a pass of the standard
        library's C scanner decides, and the pointer is worked out only when one is found.
        """
        parsed = self.json()
        if parsed is None:
            return None
        text = self.data.removeprefix(b"\xef\xbb\xbf")
        if _every_member_kept(text, parsed):
            return None
        with _nesting_allowed():
            try:
                json.loads(text, object_pairs_hook=_refuse_duplicates)
            except _DuplicateFound:
                located = json.loads(text, object_pairs_hook=_locate_duplicate)
                found = _find_duplicate(located)
                return found if found is not None else DuplicateKey(key="", pointer="")
            except RecursionError as e:
                raise CollectorError(self.path, "is nested too deeply to be checked for duplicate keys") from e
            except ValueError:  # orjson and the standard library disagree on the edges (lone surrogates, huge numbers)
                return None
        return None

    def text(self) -> str:
        try:
            return self.data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise CollectorError(self.path, f"not valid UTF-8 text (byte {e.start})") from e

    def evidence(self, *, kind: EvidenceKind, format: str, **facts: Any) -> Evidence:  # noqa: A002
        """An `Evidence` record for this file, with its identity filled in."""
        ident = hashlib.sha256(f"{self.path}\0{self.sha256}".encode()).hexdigest()[:12]
        return Evidence(
            id=f"ev-{ident}", path=self.path, sha256=self.sha256, size=len(self.raw), kind=kind, format=format, **facts
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DuplicateKey:
    """A key given twice in one JSON object, and the JSON pointer of that object's second member."""

    key: str
    pointer: str


_ESCAPED_COLONS = (b"\\u003a", b"\\u003A")


def _every_member_kept(text: bytes, parsed: Any) -> bool:
    """Whether `parsed` (orjson's reading of `text`) provably holds every object member `text` has, so that no
    object in it has a key twice. False means it may have one: the full pass decides.

    In JSON every object member has one colon between its key and its value, and all other colons are inside
    strings. orjson writes `parsed` back with each string's colons as they are (it escapes no colon), so when no
    member was dropped, the colons written are those of `text` plus those `text` escaped as `\\u003a`. A key given
    twice drops a member (and all its value holds): fewer colons are written. Counting the escapes by their text
    can only over-count (`\\\\u003a` is a backslash and letters), which reads as a possible duplicate.
    """
    try:
        written = orjson.dumps(parsed)
    except orjson.JSONEncodeError:  # nested deeper than orjson writes (255 levels)
        return False
    # A search for one byte is many times faster than for several: most files have no backslash at all.
    escaped = sum(text.count(escape) for escape in _ESCAPED_COLONS) if b"\\" in text else 0
    return written.count(b":") == text.count(b":") + escaped


class _DuplicateFound(Exception):  # noqa: N818 - control flow inside the scanner, never seen outside
    pass


@contextmanager
def _nesting_allowed() -> Iterator[None]:
    """Room for the standard library's scanner (and the pointer search) to go as deep as orjson does (1,024 levels):
    the default recursion limit stops it short of that."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, _ORJSON_MAX_DEPTH * 2 + 1000))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> None:
    if len(pairs) > 1 and len({key for key, _ in pairs}) != len(pairs):
        raise _DuplicateFound
    # the values are dropped: this pass only looks at keys, and keeps no copy of the document


def _escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _locate_duplicate(pairs: list[tuple[str, Any]]) -> Any:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return DuplicateKey(key=key, pointer="/" + _escape(key))
        seen.add(key)
    for key, value in pairs:
        inner = _find_duplicate(value)
        if inner is not None:
            return DuplicateKey(key=inner.key, pointer=f"/{_escape(key)}{inner.pointer}")
    return None  # a clean object: its contents are not needed to locate the duplicate


def _find_duplicate(value: Any) -> DuplicateKey | None:
    if isinstance(value, DuplicateKey):
        return value
    if isinstance(value, list):
        for index, item in enumerate(value):
            inner = _find_duplicate(item)
            if inner is not None:
                return DuplicateKey(key=inner.key, pointer=f"/{index}{inner.pointer}")
    return None


class Collector(Protocol):
    """Reads one evidence format. `sniff` is cheap and never raises; `parse` raises `CollectorError`."""

    name: str

    def sniff(self, doc: Document) -> bool: ...

    def parse(self, doc: Document) -> Evidence: ...
