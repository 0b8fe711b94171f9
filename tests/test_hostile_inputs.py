"""Hostile and broken inputs, driven through `fromline package`: one clear error, nothing lost, nothing written.

Every case gives exit code 3 and exactly one line on standard error, `fromline: error: <file>: <problem>`, with
no traceback, in bounded time; no package is written and a package already at `--out` stays byte-identical.
The pathological cases (deep nesting, entity and alias bombs, huge files) run in a child process under
resource limits (`BOUND_SECONDS` of CPU and wall time, `BOUND_BYTES` of address space).
"""

from __future__ import annotations

import io
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from conftest import REPO, SAMPLES, collect_verify_bind
from openpyxl import load_workbook

from evidence.cli import main
from evidence.collectors import MAX_FILE_BYTES, UNRECOGNIZED
from evidence.errors import InputError
from evidence.model import Status
from evidence.render.canonical import load_package

SAMPLE = SAMPLES / "webapp-1.4.0"
DIGEST = orjson.loads((SAMPLE / "cosign-payload.json").read_bytes())["critical"]["image"]["docker-manifest-digest"]
IMAGE = f"registry.example.com/webapp@{DIGEST}"
TIMESTAMP = "2026-11-20T12:00:00Z"
BOUND_SECONDS = 10
BOUND_BYTES = 1024**3
NAME = "input.json"

TRIVY = b'{"SchemaVersion": 2, "CreatedAt": "2026-11-19T07:45:02Z", "ArtifactName": "r/x:1", "ArtifactType": "img",'
CDX = b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": ['
XML_BOM = b'<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">'
COSIGN = (SAMPLE / "cosign-payload.json").read_bytes()
POD = b"apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
LAUGHS = (
    b"a: &a ["
    + b",".join([b'"lol"'] * 9)
    + b"]\n"
    + b"".join(
        bytes(f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n", "ascii") for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
)


@dataclass(frozen=True)
class Case:
    id: str
    data: bytes
    problem: str  # a part of the message, after the file name
    name: str = NAME
    make: Callable[[Path, bytes], tuple[list[Path], str]] | None = None  # inputs, and the name the message shows
    pathological: bool = False


def _named(folder: Path, data: bytes, name: str = NAME) -> tuple[list[Path], str]:
    path = folder / name
    path.write_bytes(data)
    return [path], str(path)  # an error names the file as given on the command line


def _walked(folder: Path, data: bytes) -> tuple[list[Path], str]:
    """A directory of good evidence and one broken file in a known format."""
    evidence = folder / "evidence"
    evidence.mkdir()
    shutil.copy(SAMPLE / "grype.json", evidence / "grype.json")
    (evidence / "notes.txt").write_text("release notes\n")  # in no known format: skipped, not an error
    (evidence / "scan.json").write_bytes(data)
    return [evidence], str(evidence / "scan.json")  # as given: below the directory named


def _symlink_out(folder: Path, data: bytes) -> tuple[list[Path], str]:
    evidence = folder / "evidence"
    evidence.mkdir()
    outside = folder / "secret.json"
    outside.write_bytes(data)
    (evidence / "link.json").symlink_to(outside)
    return [evidence], str(evidence / "link.json")  # as given: below the directory named


def _symlink_loop(folder: Path, _data: bytes) -> tuple[list[Path], str]:
    evidence = folder / "evidence"
    evidence.mkdir()
    (evidence / "loop.json").symlink_to("loop.json")
    return [evidence], str(evidence / "loop.json")  # as given: below the directory named


def _broken_link(folder: Path, _data: bytes) -> tuple[list[Path], str]:
    (folder / "gone.json").symlink_to(folder / "nowhere.json")
    return [folder / "gone.json"], str(folder / "gone.json")  # a path named on the command line is shown as given


def _fifo(folder: Path, _data: bytes) -> tuple[list[Path], str]:
    evidence = folder / "evidence"
    evidence.mkdir()
    os.mkfifo(evidence / "pipe.json")
    return [evidence], str(evidence / "pipe.json")  # as given: below the directory named


def _sparse(size: int) -> Callable[[Path, bytes], tuple[list[Path], str]]:
    def make(folder: Path, _data: bytes) -> tuple[list[Path], str]:
        path = folder / "huge.json"
        with path.open("wb") as file:
            file.truncate(size)  # sparse: no disk used, and nothing reads it
        return [path], str(path)

    return make


def _zip_with_traversal() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../escaped.txt", "pwned")
        archive.writestr("trivy.json", (SAMPLE / "trivy.json").read_bytes())
    return buffer.getvalue()


def _tar_with_traversal(mode: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"pwned"))
    return buffer.getvalue()


def _truncated(path: Path, at: int = 400) -> bytes:
    return path.read_bytes()[:at]


CASES = [
    # empty, truncated, and JSON that does not parse
    Case("empty", b"", f"{UNRECOGNIZED}: the file is empty"),
    Case("whitespace-only", b" \n\t\n", f"{UNRECOGNIZED}: the file is empty"),
    Case("truncated-trivy", _truncated(SAMPLE / "trivy.json"), "looks like Trivy JSON but is not valid JSON"),
    Case("truncated-cyclonedx", _truncated(SAMPLE / "sbom.cdx.json"), "looks like CycloneDX JSON but is not valid"),
    Case("truncated-spdx-json", b'{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "pack', "like SPDX JSON"),
    Case("truncated-openvex", _truncated(SAMPLE / "openvex.json"), "looks like OpenVEX but is not valid JSON"),
    Case("truncated-csaf", b'{"document": {"category": "csaf_vex", "csaf_version": "2.0", ', "looks like CSAF"),
    Case(
        "truncated-sarif",
        b'{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [{',
        "looks like SARIF",
    ),
    Case(
        "truncated-sigstore-bundle",
        b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": {',
        "looks like a sigstore bundle",
    ),
    Case("truncated-in-toto", _truncated(SAMPLE / "provenance.intoto.json", 200), "looks like an in-toto attestation"),
    Case("truncated-cosign-payload", COSIGN[: COSIGN.index(b'signature"') + 12], "like a cosign signature payload"),
    Case("truncated-inspector", b'{"findings": [{"findingArn": "arn:aws:inspector2:x", "aws', "like Amazon Inspector"),
    Case("truncated-grype", _truncated(SAMPLE / "grype.json"), f"{UNRECOGNIZED}: not valid JSON (unexpected end"),
    Case("trailing-garbage", (SAMPLE / "trivy.json").read_bytes() + b"}", "unexpected content after document"),
    # wrong types
    Case("wrong-top-level-type", b"[" + (SAMPLE / "trivy.json").read_bytes() + b"]", UNRECOGNIZED),
    Case("trivy-results-string", TRIVY + b'"Results": "none"}', "/Results should be an array, found a string"),
    Case("cyclonedx-components-object", CDX[:-1] + b'{"a": 1}}', "/components should be an array, found an object"),
    Case(
        "spdx-packages-object",
        b'{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": {}}',
        "/packages should be an array, found an object",
    ),
    Case(
        "syft-artifacts-string",
        b'{"artifacts": "x", "source": {}, "descriptor": {"name": "syft"}, "schema": {"version": "16.0.0"}}',
        "/artifacts should be an array, found a string",
    ),
    Case("grype-match-number", b'{"matches": [5], "descriptor": {"name": "grype"}}', "/matches/0 should be an object"),
    Case(
        "csaf-vulnerabilities-string",
        b'{"document": {"csaf_version": "2.0", "category": "csaf_vex"}, "vulnerabilities": "x"}',
        "/vulnerabilities should be an array, found a string",
    ),
    Case(
        "sarif-run-number",
        b'{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": [5]}',
        "/runs/0 should be an object, found a number",
    ),
    Case(
        "sigstore-bundle-material-number",
        b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": 5}',
        "/verificationMaterial should be an object, found a number",
    ),
    Case(
        "in-toto-subject-number",
        b'{"_type": "https://in-toto.io/Statement/v1", "subject": 5, '
        b'"predicateType": "https://slsa.dev/provenance/v1", "predicate": {}}',
        "/subject should be an array, found a number",
    ),
    Case(
        "cosign-image-number",
        b'{"critical": {"type": "cosign container image signature", "image": 5, "identity": {}}}',
        "/critical/image should be an object, found a number",
    ),
    Case(
        "snyk-vulnerability-number",
        b'{"vulnerabilities": [5], "packageManager": "apk", "docker": {}}',
        "/vulnerabilities/0 should be an object, found a number",
    ),
    Case(
        "renovate-rules-number",
        b'{"$schema": "https://docs.renovatebot.com/renovate-schema.json", "packageRules": 5}',
        "/packageRules should be an array, found a number",
    ),
    Case(
        "docker-inspect-digests-number",
        b'[{"Id": "sha256:' + b"ab" * 32 + b'", "RepoDigests": 5, "Config": {}, "RootFS": {}}]',
        "/0/RepoDigests should be an array, found a number",
    ),
    Case(
        "oci-manifest-config-number",
        b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": 5, "layers": []}',
        "/config should be an object, found a number",
    ),
    Case("kubernetes-containers-object", POD + b"spec: {containers: {name: c}}\n", "/spec/containers should be"),
    # a known format at an unsupported version
    Case("trivy-schema-1", TRIVY.replace(b": 2,", b": 1,", 1) + b'"Results": []}', "SchemaVersion 1 is recognized but"),
    Case("cyclonedx-9.9", CDX.replace(b"1.5", b"9.9") + b"]}", "specVersion '9.9' is recognized but not supported"),
    Case(
        "cyclonedx-xml-2.0", XML_BOM.replace(b"1.5", b"2.0") + b"</bom>", "spec '2.0' is recognized but not supported"
    ),
    Case("spdx-1.2", b'{"spdxVersion": "SPDX-1.2", "SPDXID": "SPDXRef-DOCUMENT"}', "'SPDX-1.2' is recognized but not"),
    Case(
        "syft-schema-99",
        b'{"artifacts": [], "source": {}, "descriptor": {"name": "syft"}, "schema": {"version": "99.0.0"}}',
        "schema '99.0.0' is recognized but not supported",
    ),
    Case("sarif-1.0", b'{"version": "1.0.0", "runs": [{"tool": {"driver": {"name": "Trivy"}}}]}', "'1.0.0' is recog"),
    Case(
        "openvex-9.9.9",
        b'{"@context": "https://openvex.dev/ns/v9.9.9", "statements": []}',
        "OpenVEX version 9.9.9 is recognized but not supported",
    ),
    Case("csaf-1.0", b'{"document": {"csaf_version": "1.0", "category": "csaf_vex"}}', "'1.0' is recognized but not"),
    Case(
        "sigstore-bundle-v9",
        b'{"mediaType": "application/vnd.dev.sigstore.bundle.v9+json", "verificationMaterial": {}}',
        "is recognized but not supported",
    ),
    # huge numbers, deep nesting
    Case("number-overflows-double", TRIVY + b'"Results": [], "Size": 1e400}', "number is infinity"),
    Case("huge-integer-version", b'{"SchemaVersion": ' + b"9" * 40 + b', "ArtifactName": "x", "Results": []}', "/Sch"),
    Case(
        "deep-json",
        TRIVY + b'"Results": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "depth limit exceeded",
        pathological=True,
    ),
    Case(
        "deep-xml",
        XML_BOM
        + b"<components>"
        + b'<component type="library"><name>a</name><components>' * 100_000
        + b"</components></component>" * 100_000
        + b"</components></bom>",
        "XML nested deeper than",
        pathological=True,
    ),
    Case("deep-yaml", POD + b"x: " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "not valid YAML", pathological=True),
    # invalid UTF-8 and NUL bytes
    Case("invalid-utf8-in-json", TRIVY + b'"Results": [], "x": "\xff\xfe"}', "not valid JSON: str is not valid UTF-8"),
    Case("invalid-utf8-dockerfile", b"FROM alpine:3.20\nRUN echo \xff\n", f"{UNRECOGNIZED}: not UTF-8 text (byte 26)"),
    Case("invalid-utf8-spdx-tag-value", b"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nPackageName: \xff\n", "UTF-8"),
    Case("invalid-utf8-xml", XML_BOM + b"<metadata>\xff</metadata></bom>", "not well-formed XML"),
    Case("nul-in-json-string", TRIVY + b'"Results": [], "x": "a\x00b"}', "unexpected control character"),
    Case("nul-after-json", (SAMPLE / "trivy.json").read_bytes() + b"\x00", "unexpected content after document"),
    Case("nul-in-dockerfile", b"FROM alpine:3.20\x00\nRUN true\n", f"{UNRECOGNIZED}: binary data"),
    # a very large file: refused by its size, never read
    Case("over-the-size-limit", b"", f"over the {MAX_FILE_BYTES}-byte limit", make=_sparse(MAX_FILE_BYTES + 1)),
    Case("four-gib", b"", "-byte limit for one evidence file", make=_sparse(4 * 1024**3), pathological=True),
    # XML entities and DTDs
    Case(
        "billion-laughs",
        b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY l0 "lol">'
        + b"".join(bytes(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">', "ascii") for i in range(1, 10))
        + b"]>"
        + XML_BOM
        + b"&l9;</bom>",
        "XML with a DTD or entity declarations is refused",
        pathological=True,
    ),
    Case(
        "xml-external-entity",
        b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + XML_BOM
        + b"<metadata>&x;</metadata></bom>",
        "XML with a DTD or entity declarations is refused",
    ),
    Case(
        "xml-external-dtd",
        b'<?xml version="1.0"?><!DOCTYPE bom SYSTEM "http://evil.example/x.dtd">' + XML_BOM + b"</bom>",
        "XML with a DTD or entity declarations is refused",
    ),
    Case(
        "xml-parameter-entity",
        b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>' + XML_BOM + b"</bom>",
        "XML with a DTD or entity declarations is refused",
    ),
    Case("truncated-xml", XML_BOM + b"<components><component", "not well-formed XML"),
    # YAML aliases and tags
    Case("yaml-alias-bomb", POD + LAUGHS, "YAML that expands to more than", pathological=True),
    Case("yaml-many-aliases", POD + b"x: &x 1\ny: [" + b",".join([b"*x"] * 1001) + b"]\n", "more than 1000 aliases"),
    Case("yaml-recursive-alias", POD + b"x: &a [*a]\n", "YAML with a recursive alias is refused"),
    Case("yaml-python-object", POD + b"spec: !!python/object/apply:os.system ['touch pwned']\n", "not valid YAML"),
    Case(
        "yaml-python-name",
        b"version: 2\nupdates:\n  - package-ecosystem: docker\n    directory: !!python/name:os.system\n",
        "could not determine a constructor for the tag",
    ),
    # files and names
    Case(
        "symlink-out-of-directory", b"{}", "symbolic link to a file outside the evidence directory", make=_symlink_out
    ),
    Case("symlink-loop", b"", "symbolic link that cannot be resolved", make=_symlink_loop),
    Case("broken-symlink", b"", "is a broken symbolic link", make=_broken_link),
    Case("fifo", b"", "is not a regular file", make=_fifo),
    Case("broken-file-in-walked-directory", _truncated(SAMPLE / "trivy.json"), "looks like Trivy JSON", make=_walked),
    Case("newline-in-name", b"", "the file is empty", name="a.json\nfromline: error: forged.json"),
    Case("rtl-override-in-name", b"", "the file is empty", name="\u202enosj.exe"),
    Case("dot-dot-name", b"", "the file is empty", name="..json"),
    Case("pem-without-a-key", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "no readable public"),
    # archives are not read; entries that climb out are never extracted
    Case("zip-with-dot-dot-entry", _zip_with_traversal(), "a zip archive; archives are not read: extract them first"),
    Case("tar-with-dot-dot-entry", _tar_with_traversal("w"), "a tar archive; archives are not read"),
    Case("tar-gz-with-dot-dot-entry", _tar_with_traversal("w:gz"), "a gzip file; archives are not read"),
]

CHILD = "import sys\nfrom evidence.cli import main\nsys.exit(main(sys.argv[1:]))"


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (BOUND_BYTES, BOUND_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (BOUND_SECONDS, BOUND_SECONDS))


def run_bounded(argv: list[str]) -> tuple[int, str]:
    """`fromline ARGV` in a child process limited in CPU time and address space."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *argv],
        capture_output=True,
        text=True,
        timeout=BOUND_SECONDS * 3,
        preexec_fn=_limits,
        cwd=REPO,
        check=False,
    )
    return proc.returncode, proc.stderr


def existing_package(out: Path) -> dict[str, bytes]:
    """A package already at `--out` (a manifest makes it replaceable), and its bytes."""
    out.mkdir(parents=True)
    (out / "manifest.json").write_bytes(b'{"manifest_version": "1.0", "files": []}\n')
    (out / "audit.json").write_bytes(b'{"from": "an earlier run"}\n')
    return snapshot(out)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def package_argv(inputs: list[Path], out: Path, *extra: str) -> list[str]:
    return ["package", *map(str, inputs), "--image", IMAGE, "--timestamp", TIMESTAMP, "--out", str(out), *extra]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_is_one_clear_error(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs_dir = tmp_path / "in"
    inputs_dir.mkdir()
    inputs, shown = case.make(inputs_dir, case.data) if case.make else _named(inputs_dir, case.data, case.name)
    packages = tmp_path / "packages"
    before = existing_package(packages / "webapp")
    argv = package_argv(inputs, packages / "webapp")

    started = time.monotonic()
    if case.pathological:
        code, err = run_bounded(argv)
    else:
        code = main(argv)
        err = capsys.readouterr().err
    assert time.monotonic() - started < BOUND_SECONDS

    assert code == 3, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    shown_escaped = shown.replace("\n", "\\n").replace("\u202e", "\\u202e")
    assert lines[0].startswith(f"fromline: error: {shown_escaped}: "), lines[0]
    assert case.problem in lines[0]
    assert snapshot(packages / "webapp") == before  # the existing package is untouched
    assert sorted(p.name for p in packages.iterdir()) == ["webapp"]  # no staging directory left behind
    assert not (tmp_path / "escaped.txt").exists()
    assert not (inputs_dir / "escaped.txt").exists()


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


def test_without_an_existing_package_nothing_is_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "scan.json").write_bytes(_truncated(SAMPLE / "trivy.json"))
    assert main(package_argv([tmp_path / "scan.json"], tmp_path / "out" / "webapp")) == 3
    assert "looks like Trivy JSON" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "scan.json").write_bytes(b"")
    with pytest.raises(InputError, match=r"scan\.json: not a recognized evidence format: the file is empty"):
        main([*package_argv([tmp_path / "scan.json"], tmp_path / "out"), "--verbose"])


# --- which failures stop the run ------------------------------------------------------------------


def test_walked_directory_skips_unknown_files_and_stops_on_broken_known_ones(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("release notes\n")
    (tmp_path / "data.json").write_bytes(b'{"just": "some", "other": [1, 2')  # JSON, but no known format's marks
    (tmp_path / "bundle.tar").write_bytes(_tar_with_traversal("w"))
    shutil.copy(SAMPLE / "grype.json", tmp_path / "grype.json")
    found = collect_verify_bind([tmp_path], image_digest=DIGEST)
    assert [e.path for e in found.items] == [f"{tmp_path.name}/grype.json"]
    reasons = {s.path.split("/")[-1]: s.reason for s in found.skipped}
    assert reasons == {
        "notes.txt": UNRECOGNIZED,
        "data.json": f"{UNRECOGNIZED}: not valid JSON (unexpected end of data: line 1 column 32 (char 31))",
        "bundle.tar": f"{UNRECOGNIZED}: a tar archive; archives are not read: extract them first",
    }
    (tmp_path / "trivy.json").write_bytes(_truncated(SAMPLE / "trivy.json"))
    with pytest.raises(InputError, match=r"trivy\.json: looks like Trivy JSON but is not valid JSON"):
        collect_verify_bind([tmp_path], image_digest=DIGEST)


def test_named_unknown_file_is_an_error_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "data.json").write_bytes(b'{"just": "some", "other": [1, 2')
    with pytest.raises(InputError, match=r"data\.json: not a recognized evidence format: not valid JSON"):
        collect_verify_bind([tmp_path / "data.json"], image_digest=DIGEST)


def test_json_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    (tmp_path / "trivy.json").write_bytes(b"\xef\xbb\xbf" + (SAMPLE / "trivy.json").read_bytes())
    (item,) = collect_verify_bind([tmp_path / "trivy.json"], image_digest=DIGEST).items
    assert item.format == "Trivy JSON"


# --- --keep-going: skipped with the reason, and the verdicts that needed the file say evidence-missing ------


def _keep_going_package(tmp_path: Path, broken: list[str], capsys: pytest.CaptureFixture[str]) -> Path:
    evidence = tmp_path / "webapp-1.4.0"
    shutil.copytree(SAMPLE, evidence)
    for name in broken:
        (evidence / name).write_bytes(_truncated(SAMPLE / name))
    out = tmp_path / "pkg"
    assert main(package_argv([evidence], out, "--quiet")) == 3
    assert "looks like" in capsys.readouterr().err
    assert not out.exists()
    assert main(package_argv([evidence], out, "--quiet", "--keep-going")) == 0
    assert capsys.readouterr().err == ""
    return out


def test_keep_going_lists_the_broken_scan_and_grype_still_decides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _keep_going_package(tmp_path, ["trivy.json"], capsys)
    pkg = load_package(out / "audit.json")
    ((path, reason),) = [(s.path, s.reason) for s in pkg.skipped]
    assert path == "webapp-1.4.0/trivy.json"
    assert reason.startswith("looks like Trivy JSON but is not valid JSON: unexpected end of data")
    assert "webapp-1.4.0/trivy.json" not in {e.path for e in pkg.evidence}
    control = next(c for c in pkg.controls if c.control_id == "4.1.1")
    checks = {c.check: c for c in control.checks}
    for name in ("vulnscan.present", "vulnscan.fresh"):
        assert checks[name].status is Status.SATISFIED, checks[name].reason
        assert {r.path for r in checks[name].evidence} == {"webapp-1.4.0/grype.json"}
    assert control.status is not Status.EVIDENCE_MISSING

    html = (out / "report.html").read_text(encoding="utf-8")
    skipped_section = html[html.index('id="skipped"') :]
    assert "webapp-1.4.0/trivy.json" in skipped_section
    assert "looks like Trivy JSON but is not valid JSON" in skipped_section
    sheet = load_workbook(out / "workbook.xlsx")["Evidence"]
    rows = [tuple(c.value for c in row[:2]) for row in sheet.iter_rows()]
    assert (path, reason) in rows


def test_keep_going_with_both_scans_broken_leaves_the_scan_control_evidence_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _keep_going_package(tmp_path, ["trivy.json", "grype.json"], capsys)
    pkg = load_package(out / "audit.json")
    assert sorted(s.path for s in pkg.skipped) == ["webapp-1.4.0/grype.json", "webapp-1.4.0/trivy.json"]
    control = next(c for c in pkg.controls if c.control_id == "4.1.1")
    assert control.status is Status.EVIDENCE_MISSING, control.reason
