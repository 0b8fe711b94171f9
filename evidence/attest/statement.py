"""The package statement: an in-toto Statement v1 whose subjects are the package's files.

Subjects are every file of the package, `manifest.json` included, by package-relative path and SHA-256;
the signature files themselves are not subjects. The predicate records what made the package: the tool
and its version, the image reference and digest, the profile, the assessment time, the catalogs, and each
input evidence file (its path as given, its SHA-256 and size, and where its copy is in the package).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from evidence import __version__
from evidence.render import MANIFEST

if TYPE_CHECKING:
    from pathlib import Path

    from evidence.model import AuditPackage

ENVELOPE_FILE = "package.intoto.json"  # DSSE envelope signed with a key
BUNDLE_FILE = "package.sigstore.json"  # sigstore bundle signed keylessly
SIGNATURE_FILES = frozenset({ENVELOPE_FILE, BUNDLE_FILE})
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://fromline.dev/attestation/package/v1"

_SHA256_RE = re.compile(r"[0-9a-f]{64}")


class MalformedError(ValueError):
    """A manifest or statement that is not what it should be; the message says how."""


@dataclass(frozen=True, slots=True)
class FileDigest:
    sha256: str
    size: int | None = None  # None where the source does not record it (a statement subject)


def package_files(root: Path) -> dict[str, FileDigest]:
    """Every file under `root` except the signature files: POSIX path relative to `root` -> its digest."""
    files: dict[str, FileDigest] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if rel in SIGNATURE_FILES:
            continue
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        files[rel] = FileDigest(digest, path.stat().st_size)
    return files


def _entry_error(index: int, problem: str) -> MalformedError:
    return MalformedError(f"files[{index}] {problem}")


def parse_manifest(data: bytes) -> dict[str, FileDigest]:
    """The entries of a `manifest.json`; `MalformedError` saying what is wrong with it."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise MalformedError(f"not valid JSON ({e})") from e
    entries = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise MalformedError("not a Fromline manifest: no `files` array")
    files: dict[str, FileDigest] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _entry_error(index, "is not an object")
        path, sha256, size = entry.get("path"), entry.get("sha256"), entry.get("size")
        if not isinstance(path, str) or not path:
            raise _entry_error(index, "has no path")
        if not isinstance(sha256, str) or not _SHA256_RE.fullmatch(sha256):
            raise _entry_error(index, f"({path}) has no sha256 of 64 lowercase hex digits")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _entry_error(index, f"({path}) has no size")
        if path in files:
            raise _entry_error(index, f"repeats the path {path}")
        files[path] = FileDigest(sha256, size)
    return files


def build_statement(files: dict[str, FileDigest], pkg: AuditPackage) -> bytes:
    """The statement's bytes: subjects sorted by name, keys sorted, no insignificant whitespace."""
    statement: dict[str, Any] = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": files[name].sha256}} for name in sorted(files)],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "tool": {"name": pkg.tool.name, "version": pkg.tool.version},
            "signer": {"name": "fromline", "version": __version__},
            "image": {"reference": pkg.subject.reference, "digest": pkg.subject.digest},
            "release": pkg.subject.release,
            "profile": pkg.profile,
            "assessed_at": pkg.assessed_at,
            "catalogs": [{"id": c.id, "version": c.version, "sha256": c.sha256} for c in pkg.catalogs],
            "inputs": [
                {"path": e.path, "sha256": e.sha256, "size": e.size, "stored_as": e.stored_as} for e in pkg.evidence
            ],
        },
    }
    return orjson.dumps(statement, option=orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z)


def statement_subjects(payload: bytes) -> dict[str, FileDigest]:
    """The subjects of a package statement; `MalformedError` when the payload is not one."""
    try:
        statement = orjson.loads(payload)
    except orjson.JSONDecodeError as e:
        raise MalformedError(f"the signed payload is not JSON ({e})") from e
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE:
        raise MalformedError(f"the signed payload is not an in-toto statement of type {STATEMENT_TYPE}")
    if statement.get("predicateType") != PREDICATE_TYPE:
        raise MalformedError(
            f"the signed statement's predicate type is {statement.get('predicateType')!r}, not {PREDICATE_TYPE}"
        )
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or not subjects:
        raise MalformedError("the signed statement has no subjects")
    files: dict[str, FileDigest] = {}
    for index, subject in enumerate(subjects):
        name = subject.get("name") if isinstance(subject, dict) else None
        digest = subject.get("digest") if isinstance(subject, dict) else None
        sha256 = digest.get("sha256") if isinstance(digest, dict) else None
        if not isinstance(name, str) or not isinstance(sha256, str) or not _SHA256_RE.fullmatch(sha256):
            raise MalformedError(f"the signed statement's subject {index} has no name and sha256 digest")
        if name in files:
            raise MalformedError(f"the signed statement names {name} twice")
        files[name] = FileDigest(sha256)
    if MANIFEST not in files:
        raise MalformedError(f"the signed statement does not cover {MANIFEST}")
    return files
