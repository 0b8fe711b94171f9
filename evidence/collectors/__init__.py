"""Collect: walk the inputs, recognize each file by content, read it into `Evidence`; bind it to the image.

The pipeline is `collect` (read and parse), `evidence.verify.verify` (check every signature), then `bind`.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import orjson

from evidence.collectors._util import digests_in
from evidence.collectors.admission import AdmissionPolicies
from evidence.collectors.containers_signature import ContainersSigstoreSignature
from evidence.collectors.cosign import CosignPayload, DetachedSignature, PublicKey
from evidence.collectors.cosign_rekor import CosignRekorBundle
from evidence.collectors.csaf import CsafVex
from evidence.collectors.cvss import checked_evidence
from evidence.collectors.cyclonedx import CycloneDxJson
from evidence.collectors.cyclonedx_xml import CycloneDxXml
from evidence.collectors.dockerfile import Dockerfile
from evidence.collectors.grype import GrypeJson
from evidence.collectors.image_config import DockerInspect
from evidence.collectors.inspector import InspectorFindings
from evidence.collectors.interface import BYTE_ORDER_MARKS, Collector, CollectorError, Document, SkipFile
from evidence.collectors.kubernetes import KubernetesWorkloads
from evidence.collectors.oci import OciManifest
from evidence.collectors.openvex import OpenVex
from evidence.collectors.provenance import InTotoAttestation
from evidence.collectors.pull_record import PullRecord
from evidence.collectors.sarif import Sarif
from evidence.collectors.sigstore_bundle import SigstoreBundle
from evidence.collectors.snyk import SnykContainerJson
from evidence.collectors.spdx import SpdxJson, SpdxTagValue
from evidence.collectors.syft import SyftJson
from evidence.collectors.trivy import TrivyJson
from evidence.collectors.update_automation import DependabotConfig, RenovateConfig
from evidence.cycles import no_cycle_collection
from evidence.errors import BindError, InputError
from evidence.model import Binding, Evidence, EvidenceKind, EvidenceSet, SkipCategory, Skipped, Verification

__all__ = [
    "COLLECTORS",
    "UNRECOGNIZED",
    "Collector",
    "CollectorError",
    "Document",
    "EvidenceSet",
    "bind",
    "collect",
    "read_documents",
]

# Order matters only where two formats could both claim a file; the more specific comes first.
COLLECTORS: tuple[Collector, ...] = (
    TrivyJson(),
    GrypeJson(),
    SnykContainerJson(),
    InspectorFindings(),
    Sarif(),
    CycloneDxJson(),
    CycloneDxXml(),
    SpdxJson(),
    SpdxTagValue(),
    SyftJson(),
    OpenVex(),
    CsafVex(),
    SigstoreBundle(),  # before InTotoAttestation and the generic OCI manifest reader
    InTotoAttestation(),
    CosignPayload(),
    CosignRekorBundle(),
    ContainersSigstoreSignature(),
    DockerInspect(),
    OciManifest(),
    RenovateConfig(),
    AdmissionPolicies(),  # before KubernetesWorkloads: a file holding both is read as its policies
    KubernetesWorkloads(),
    DependabotConfig(),
    PullRecord(),
    PublicKey(),
    DetachedSignature(),
    Dockerfile(),
)

MAX_FILE_BYTES = 512 * 1024 * 1024
UNRECOGNIZED = "not a recognized evidence format"

# The keys that name these JSON formats come first in the files their tools write. A file that does not
# parse but shows them in its first bytes is a broken file in a known format (an error even in a walked
# directory), not an unknown file. Formats whose marks come last (Grype, Syft) cannot be told this way.
_JSON_MARKS: tuple[tuple[str, tuple[re.Pattern[bytes], ...]], ...] = (
    ("Trivy JSON", (re.compile(rb'"SchemaVersion"\s*:'), re.compile(rb'"ArtifactName"\s*:'))),
    ("CycloneDX JSON", (re.compile(rb'"bomFormat"\s*:\s*"CycloneDX"'),)),
    ("SPDX JSON", (re.compile(rb'"spdxVersion"\s*:\s*"SPDX-'),)),
    ("OpenVEX", (re.compile(rb'"@context"\s*:\s*"https://openvex\.dev/ns'),)),
    ("CSAF", (re.compile(rb'"csaf_version"\s*:'),)),
    ("SARIF", (re.compile(rb'"\$schema"\s*:\s*"[^"]*sarif'),)),
    ("a sigstore bundle", (re.compile(rb'"mediaType"\s*:\s*"application/vnd\.dev\.sigstore\.bundle'),)),
    (
        "an in-toto attestation",
        (re.compile(rb'"(?:_type|payloadType)"\s*:\s*"(?:https://in-toto\.io/Statement|application/vnd\.in-toto)'),),
    ),
    ("a cosign signature payload", (re.compile(rb'"type"\s*:\s*"cosign container image signature"'),)),
    ("Amazon Inspector findings", (re.compile(rb'"findingArn"\s*:'),)),
)
_MARK_BYTES = 4096
_ARCHIVES = (
    (0, b"PK\x03\x04", "a zip archive"),
    (0, b"PK\x05\x06", "a zip archive"),
    (0, b"\x1f\x8b", "a gzip file"),
    (0, b"BZh", "a bzip2 file"),
    (0, b"\xfd7zXZ\x00", "an xz file"),
    (0, b"\x28\xb5\x2f\xfd", "a zstd file"),
    (0, b"7z\xbc\xaf\x27\x1c", "a 7-zip archive"),
    (257, b"ustar", "a tar archive"),
)


def read_documents(inputs: Sequence[Path]) -> Iterator[tuple[Document | InputError, bool]]:
    """Each file once, with whether it was named on the command line (not found by walking).

    A file that cannot be read comes as an `InputError` value, so the caller decides whether it stops the run.
    A symbolic link to a directory inside a directory given is not followed (it may lead out of the evidence, or
    back into it): it comes as a `SkipFile`, listed as skipped with the reason.
    """
    seen: set[Path] = set()
    for given in inputs:
        if not given.exists():
            raise InputError(given, "is a broken symbolic link" if given.is_symlink() else "no such file or directory")
        if given.is_dir():
            root = given.resolve()
            files: Iterable[tuple[Path, str]] = (
                (p, f"{root.name}/{p.relative_to(given).as_posix()}")
                for p in sorted(given.rglob("*"))  # rglob does not descend into a linked directory
                if (p.is_symlink() or not p.is_dir())
                and not any(part.startswith(".") for part in p.relative_to(given).parts)
            )
            named = False
        else:
            root = None
            files = [(given, given.name)]
            named = True
        for path, named_as in files:
            shown = utf8_name(named_as)
            if root is not None and path.is_dir():  # a symbolic link: a directory itself is never listed
                yield (
                    SkipFile(shown, "is a symbolic link to a directory, not followed").as_given(utf8_name(str(path))),
                    named,
                )
                continue
            try:
                real = path.resolve()
            except (OSError, RuntimeError):  # a symbolic link loop: RuntimeError before Python 3.13
                yield (
                    InputError(shown, "is a symbolic link that cannot be resolved (a loop)").as_given(
                        utf8_name(str(path))
                    ),
                    named,
                )
                continue
            if real in seen:
                continue
            seen.add(real)
            read = _read(real, shown, root)
            if isinstance(read, InputError):
                read.as_given(utf8_name(str(path)))
            else:
                read.given = utf8_name(str(path))
            yield read, named


def utf8_name(name: str) -> str:
    """A file name as text every output can hold: bytes that are not UTF-8 (which Python keeps as lone
    surrogates) become `\\xff` escapes, so the package, its JSON and the terminal all show the same name."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _read(real: Path, shown: str, root: Path | None) -> Document | InputError:
    if root is not None and not real.is_relative_to(root):
        return InputError(shown, "is a symbolic link to a file outside the evidence directory")
    if not real.is_file():
        return InputError(shown, "is not a regular file")
    size = real.stat().st_size
    if size > MAX_FILE_BYTES:
        return InputError(shown, f"is {size} bytes, over the {MAX_FILE_BYTES}-byte limit for one evidence file")
    try:
        with real.open("rb") as file:
            # The size read, and one byte more to see whether the file grew since: asking for the limit at once
            # would allocate a buffer of the limit's size (a few milliseconds even for a small file).
            data = file.read(size + 1)
            if len(data) > size:  # it grew (or, like a file in /proc, did not tell its size): read on, bounded
                data += file.read(MAX_FILE_BYTES + 1 - len(data))
    except OSError as e:
        return InputError(shown, f"cannot be read: {e.strerror}")
    if len(data) > MAX_FILE_BYTES:
        return InputError(shown, f"is over the {MAX_FILE_BYTES}-byte limit for one evidence file")
    return Document(path=shown, data=data)


def recognize(doc: Document) -> Collector | None:
    return next((c for c in COLLECTORS if c.sniff(doc)), None)


def unrecognized(doc: Document) -> InputError:
    """Why no collector claims a file: a `CollectorError` when its first bytes name a known JSON format that
    does not parse; otherwise an `InputError` whose problem starts with `UNRECOGNIZED`, with a hint."""
    problem = _json_problem(doc)
    if problem is not None:
        head = doc.data[:_MARK_BYTES]
        known = next((fmt for fmt, marks in _JSON_MARKS if all(m.search(head) for m in marks)), None)
        if known is not None:
            return CollectorError(doc.path, f"looks like {known} but is not valid JSON: {problem}")
        return InputError(doc.path, f"{UNRECOGNIZED}: not valid JSON ({problem})")
    hint = _hint(doc.data)
    return InputError(doc.path, f"{UNRECOGNIZED}: {hint}" if hint else UNRECOGNIZED)


def _hint(data: bytes) -> str | None:
    if not data.strip():
        return "the file is empty"
    archive = next((name for at, magic, name in _ARCHIVES if data[at : at + len(magic)] == magic), None)
    if archive is not None:
        return f"{archive}; archives are not read: extract them first"
    for mark, codec, label in BYTE_ORDER_MARKS:  # a Document decodes text with a mark: this one does not decode
        if data.startswith(mark):
            try:
                data[len(mark) :].decode(codec)
            except UnicodeDecodeError as e:
                return f"starts with a {label} byte-order mark, but is not {label} text (byte {len(mark) + e.start})"
    if b"\0" in data[:_MARK_BYTES]:
        return "binary data"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"not UTF-8 text (byte {e.start})"
    return None


def _json_problem(doc: Document) -> str | None:
    """What orjson says is wrong with a file that starts like JSON, if anything."""
    if not doc.looks_like_json or doc.json() is not None:
        return None
    try:
        orjson.loads(doc.data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as e:
        return str(e)
    return None


def collect(
    inputs: Sequence[Path],
    *,
    keep_going: bool = False,
    documents: Sequence[Document] = (),
    progress: Callable[[str], None] | None = None,
) -> EvidenceSet:
    """Read and parse every input: no signature is checked (`evidence.verify.verify` does that) and nothing is
    bound to an image (`bind`). Items come sorted by kind and path, and `contents` keeps the bytes of each.

    `documents` are inputs already read (standard input): they count as named on the command line.

    A file named on the command line that cannot be used, and a broken file in a known format, stop the
    run; with `keep_going` they are listed as skipped with the reason instead.
    """
    items: list[Evidence] = []
    contents: dict[str, bytes] = {}
    given: dict[str, str] = {}
    decoded: dict[str, bytes] = {}
    skipped: list[tuple[Skipped, str]] = []
    with no_cycle_collection():
        for doc, named in itertools.chain(((d, True) for d in documents), read_documents(inputs)):
            if isinstance(doc, InputError):  # a SkipFile (a linked directory) stops the run only when named
                if not keep_going and (named or not isinstance(doc, SkipFile)):
                    raise doc
                category = SkipCategory.NOT_READ if isinstance(doc, SkipFile) else SkipCategory.UNREADABLE
                skipped.append((Skipped(path=doc.path, reason=doc.problem, category=category), doc.given or doc.path))
                continue
            if progress is not None:
                progress(f"reading {doc.given or doc.path} ({len(items) + len(skipped) + 1})")
            collector = recognize(doc)
            if collector is None:
                unknown = unrecognized(doc)
                if not keep_going and (named or isinstance(unknown, CollectorError)):
                    raise unknown.as_given(doc.given)
                category = SkipCategory.MALFORMED if isinstance(unknown, CollectorError) else SkipCategory.UNRECOGNIZED
                shown = doc.given or doc.path
                skipped.append((Skipped(path=doc.path, reason=unknown.problem, category=category), shown))
                continue
            try:
                _refuse_duplicate_keys(doc)
                item = collector.parse(doc)
            except InputError as e:  # a SkipFile (recognized, holds nothing readable) stops the run only when named
                if not keep_going and (named or not isinstance(e, SkipFile)):
                    e.as_given(doc.given)
                    raise
                category = SkipCategory.NOT_READ if isinstance(e, SkipFile) else SkipCategory.MALFORMED
                skipped.append((Skipped(path=doc.path, reason=e.problem, category=category), doc.given or doc.path))
                continue
            items.append(_as_scan(checked_evidence(item)))
            contents[item.id] = doc.raw
            given[item.id] = doc.given or doc.path
            if doc.encoding is not None:
                decoded[item.id] = doc.data
            # Its parsed JSON is freed now: once the cycle collector resumes, it would walk every object in it.
            del doc
    items.sort(key=_order)
    skipped.sort(key=lambda pair: pair[0].path)
    return EvidenceSet(
        items=tuple(items),
        skipped=tuple(s for s, _ in skipped),
        contents=contents,
        given=given,
        decoded=decoded,
        skipped_given=tuple(shown for _, shown in skipped),
    )


def _as_scan(item: Evidence) -> Evidence:
    """An SBOM that reports a finding which is not only its own VEX statement about it (a scanner's CycloneDX
    output) is a vulnerability scan too. An SBOM with no findings stays an SBOM only: an empty `vulnerabilities`
    cannot tell a clean scan from a document made without scanning."""
    if item.kind is not EvidenceKind.SBOM or not item.vulnerabilities:
        return item
    stated = {name for s in item.statements for name in (s.vulnerability, *s.aliases)}
    if all(f.id in stated or stated.intersection(f.aliases) for f in item.vulnerabilities):
        return item
    return dataclasses.replace(item, also_scan=True)


def _refuse_duplicate_keys(doc: Document) -> None:
    duplicate = doc.duplicate_key()
    if duplicate is not None:
        at = f" at {duplicate.pointer}" if duplicate.pointer else ""
        raise CollectorError(
            doc.path,
            f"has the key {duplicate.key!r} twice in one JSON object{at}; a reader would keep one and drop the "
            "other, so the file is refused",
        )


def asserted_paths(inputs: Sequence[Path], bind_paths: Sequence[Path]) -> dict[str, Path]:
    """The evidence path (as the package shows it) of each `--bind` file, which must be among the inputs: named
    on the command line, or inside a directory that is. Raises `BindError` naming the first that is not."""
    found: dict[str, Path] = {}
    for path in bind_paths:
        shown = _shown_name(inputs, path)
        if shown is None:
            raise BindError(path, "--bind names a file that is not among the evidence inputs")
        found[shown] = path
    return found


def _shown_name(inputs: Sequence[Path], path: Path) -> str | None:
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        return None
    if not real.is_file():
        return None
    for given in inputs:
        if given.is_dir():
            root = given.resolve()
            if real.is_relative_to(root) and not any(p.startswith(".") for p in real.relative_to(root).parts):
                return f"{root.name}/{real.relative_to(root).as_posix()}"
        elif given.exists() and given.resolve() == real:
            return given.name
    return None


def bind(collected: EvidenceSet, image_digest: str, *, asserted: Mapping[str, Path] | None = None) -> EvidenceSet:
    """Each item's binding to the assessed image: evidence that names other digests only is a mismatch, and is
    not used for verdicts. Run after `evidence.verify.verify`, which adds the subjects a signature manifest signs.

    `asserted` maps evidence paths to the `--bind` paths the user gave for them: such a file that names no digest
    is `Binding.ASSERTED`; one that names the digest stays a match; one that names other digests only is a
    `BindError`, since the file contradicts the assertion.
    """
    names = image_names(collected.items, image_digest)
    bound = [dataclasses.replace(e, binding=_binding(e, names)) for e in collected.items]
    bound = sorted(_asserted(_named_build_files(bound), asserted or {}), key=_order)
    return dataclasses.replace(collected, items=tuple(bound))  # `skipped` is sorted by collect


def _named_build_files(items: list[Evidence]) -> list[Evidence]:
    """A Dockerfile names no image; it is the image's build file when a verified provenance of the image records
    its digest among the build's dependencies. Nothing else binds it: a Dockerfile beside the evidence may be any."""
    recorded: dict[str, str] = {}
    for item in items:
        facts, signature = item.provenance, item.signature
        if facts is None or item.binding is not Binding.MATCH or signature is None:
            continue
        if signature.status is Verification.VERIFIED:
            for entry in facts.build_files:
                recorded.setdefault(entry.value, item.id)
    return [
        dataclasses.replace(e, binding=Binding.MATCH, named_by=recorded[f"sha256:{e.sha256}"])
        if e.kind is EvidenceKind.DOCKERFILE and e.binding is Binding.UNBOUND and f"sha256:{e.sha256}" in recorded
        else e
        for e in items
    ]


def _asserted(items: list[Evidence], asserted: Mapping[str, Path]) -> list[Evidence]:
    for item in items:
        if item.path in asserted and item.binding is Binding.MISMATCH:
            raise BindError(
                asserted[item.path],
                f"--bind states that it describes the assessed image, but it names other image digests only "
                f"({', '.join(item.subjects)})",
            )
    return [
        dataclasses.replace(e, binding=Binding.ASSERTED) if e.path in asserted and e.binding is Binding.UNBOUND else e
        for e in items
    ]


def _order(item: Evidence) -> tuple[str, str]:
    return item.kind, item.path


def image_names(items: Sequence[Evidence], image_digest: str) -> frozenset[str]:
    """The digests that name the assessed image: its manifest digest, and its config digest (image id)
    where a file names both, as a Trivy report or `docker inspect` output does."""
    names = {image_digest}
    for item in items:
        if image_digest not in item.subjects:
            continue
        names.update(item.subjects)
        if item.image_config and item.image_config.image_id:
            names.update(digests_in(item.image_config.image_id))
    return frozenset(names)


def _binding(item: Evidence, names: frozenset[str]) -> Binding:
    if not item.subjects:
        return Binding.UNBOUND
    return Binding.MATCH if names.intersection(item.subjects) else Binding.MISMATCH
