"""Input files as users have them: text with a byte-order mark, a Dockerfile over the size limit, a symbolic link to a
directory inside an input directory, files told apart by the path given, and names that are not safe in a package.

The re-encoded files are real corpus files (../shared/corpus, see its PROVENANCE.md) written in tmp_path as Windows
PowerShell's `>` writes them (UTF-16 LE with a byte-order mark) and in the other encodings a byte-order mark names.
"""

from __future__ import annotations

import codecs
import dataclasses
import hashlib
import os
import shutil
import zipfile
from pathlib import Path

import orjson
import pytest
from conftest import CORPUS, SAMPLE_TIMESTAMP, SAMPLES, sample_image

from evidence.cli import main
from evidence.collectors import UNRECOGNIZED, collect
from evidence.collectors.dockerfile import MAX_BYTES as DOCKERFILE_MAX_BYTES
from evidence.model import Evidence, EvidenceKind, SkipCategory

RELEASE = "1.4.0"
SAMPLE = SAMPLES / f"webapp-{RELEASE}"
ENCODINGS = {
    "utf-8-bom": (codecs.BOM_UTF8, "utf-8"),
    "utf-16-le": (codecs.BOM_UTF16_LE, "utf-16-le"),
    "utf-16-be": (codecs.BOM_UTF16_BE, "utf-16-be"),
    "utf-32-le": (codecs.BOM_UTF32_LE, "utf-32-le"),
    "utf-32-be": (codecs.BOM_UTF32_BE, "utf-32-be"),
}
# One real file of each text syntax: JSON, XML, YAML, and a line-based text format.
CORPUS_TEXT = {
    "trivy-json": CORPUS / "trivy-json" / "alpine-3.10.2-image.trivy-dev.json",
    "cyclonedx-json": CORPUS / "cyclonedx" / "centos-7-image.cdx-1.5.trivy-dev.json",
    "cyclonedx-xml": CORPUS / "cyclonedx" / "defectdojo-django-1.15.0-image.cdx-1.2.grype-0.11.0.xml",
    "kyverno-yaml": CORPUS / "k8s-policies" / "kyverno-verify-image-cosign-key.yaml",
    "spdx-tag-value": CORPUS / "spdx" / "centos-7-image.spdx-2.2.trivy-dev.tag-value.spdx",
    "openvex": CORPUS / "vex" / "openvex" / "aquasecurity-trivy-published.openvex.json",
}


def encoded(data: bytes, encoding: str) -> bytes:
    mark, codec = ENCODINGS[encoding]
    return mark + data.decode("utf-8").encode(codec)


def only_item(folder: Path) -> tuple[Evidence, bytes]:
    collected = collect([folder])
    (item,) = collected.items
    return item, collected.contents[item.id]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("name", CORPUS_TEXT)
def test_text_with_a_byte_order_mark_is_read_as_its_text(tmp_path: Path, name: str, encoding: str) -> None:
    source = CORPUS_TEXT[name]
    original, recoded = tmp_path / "original" / "in", tmp_path / "recoded" / "in"  # one name: the same paths
    original.mkdir(parents=True)
    recoded.mkdir(parents=True)
    shutil.copy(source, original / source.name)
    data = encoded(source.read_bytes(), encoding)
    (recoded / source.name).write_bytes(data)

    expected, _ = only_item(original)
    item, kept = only_item(recoded)
    # the same evidence, read from the same text; only the identity of the bytes differs
    assert item.sha256 == hashlib.sha256(data).hexdigest() != expected.sha256
    assert item.size == len(data)
    assert kept == data  # what the package copies: the bytes read, not their re-encoding
    same = dataclasses.replace(item, id=expected.id, sha256=expected.sha256, size=expected.size)
    assert same == expected


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le"])
def test_a_large_json_file_has_the_digest_of_the_bytes_read(tmp_path: Path, encoding: str) -> None:
    """Over a mebibyte, a JSON file's digest is computed beside the parsing of its JSON: still that of its bytes."""
    bom = orjson.loads(CORPUS_TEXT["cyclonedx-json"].read_bytes())
    bom["components"] = [dict(c, name=f"{c['name']}-{i}") for i in range(800) for c in bom["components"]]
    data = orjson.dumps(bom, option=orjson.OPT_INDENT_2)
    if encoding != "utf-8":
        data = encoded(data, encoding)
    assert len(data) > 1024 * 1024
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "sbom.cdx.json").write_bytes(data)
    item, kept = only_item(tmp_path / "in")
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert kept == data
    assert len(item.components) == len(bom["components"])


def test_cyclonedx_xml_declaring_utf16_is_read(tmp_path: Path) -> None:
    """A UTF-16 file whose XML declaration says so, as an XML tool writing UTF-16 makes it: expat reads the text."""
    source = CORPUS_TEXT["cyclonedx-xml"]
    text = source.read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    (tmp_path / source.name).write_bytes(codecs.BOM_UTF16_LE + text.replace("UTF-8", "UTF-16", 1).encode("utf-16-le"))
    item, _ = only_item(tmp_path)
    assert (item.kind, item.format) == (EvidenceKind.SBOM, "CycloneDX XML")
    assert len(item.components) > 100
    assert item.vulnerabilities


def test_a_utf16_scan_in_a_package_keeps_its_bytes(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(SAMPLE, evidence)
    data = encoded((SAMPLE / "trivy.json").read_bytes(), "utf-16-le")
    (evidence / "trivy.json").write_bytes(data)
    out = tmp_path / "out"
    args = ["package", str(evidence), "--image", sample_image(RELEASE), "--timestamp", SAMPLE_TIMESTAMP]
    assert main([*args, "--out", str(out), "-q"]) == 0
    audit = orjson.loads((out / "audit.json").read_bytes())
    (trivy,) = [e for e in audit["evidence"] if e["path"] == "evidence/trivy.json"]
    assert trivy["kind"] == "vulnerability-scan"
    assert trivy["vulnerabilities"]
    assert (trivy["sha256"], trivy["size"]) == (hashlib.sha256(data).hexdigest(), len(data))
    assert (out / trivy["stored_as"]).read_bytes() == data
    manifest = {f["path"]: f["sha256"] for f in orjson.loads((out / "manifest.json").read_bytes())["files"]}
    assert manifest[trivy["stored_as"]] == trivy["sha256"]
    assert audit["skipped"] == []


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-32-be"])
def test_signed_files_with_a_byte_order_mark_verify_as_their_text_but_a_payload_only_as_its_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str
) -> None:
    """A sigstore bundle is JSON around what is signed: saved by a shell in UTF-16 it is the same bundle. A
    cosign payload re-encoded is not what was signed: its signature fails, and the reason says why."""
    bundle = CORPUS / "signatures" / "sigstore-bundle-v0.1-messagesig.bundle.txt.sigstore.json"
    (tmp_path / bundle.name).write_bytes(encoded(bundle.read_bytes(), encoding))
    args = ["--staging", "--artifact", str(CORPUS / "signatures" / "bundle.txt")]
    assert main(["inspect", "--json", str(bundle), *args]) == 0
    (expected,) = orjson.loads(capsys.readouterr().out)
    assert main(["inspect", "--json", str(tmp_path / bundle.name), *args]) == 0
    (entry,) = orjson.loads(capsys.readouterr().out)
    assert entry["verification"] == expected["verification"]
    assert entry["verification"]["status"] == "unverifiable"  # verified, but no identity policy was given
    assert "verifies against the Sigstore staging trusted root" in entry["verification"]["reason"]

    # The detached signature is base64 text, the same in any encoding; the cosign payload is signed byte for byte.
    signed = tmp_path / "signed"
    signed.mkdir()
    (signed / "cosign-payload.sig").write_bytes(encoded((SAMPLE / "cosign-payload.sig").read_bytes(), encoding))
    (signed / "cosign-payload.json").write_bytes((SAMPLE / "cosign-payload.json").read_bytes())
    assert main(["inspect", "--json", str(signed), "--key", str(SAMPLES / "keys" / "webapp.pub")]) == 0
    entries = orjson.loads(capsys.readouterr().out)
    assert [e["verification"]["status"] for e in entries if "verification" in e] == ["verified"]

    (signed / "cosign-payload.json").write_bytes(encoded((SAMPLE / "cosign-payload.json").read_bytes(), encoding))
    assert main(["inspect", "--json", str(signed), "--key", str(SAMPLES / "keys" / "webapp.pub")]) == 0
    (verification,) = [e["verification"] for e in orjson.loads(capsys.readouterr().out) if "verification" in e]
    assert verification["status"] == "failed"
    assert "re-encoded (it starts with a byte-order mark), so it is not the bytes signed" in verification["reason"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (codecs.BOM_UTF16_LE + b'{\x00"\x00a', "starts with a UTF-16 LE byte-order mark, but is not UTF-16 LE text"),
        (codecs.BOM_UTF16_BE + b"\xd8\x00\x00a", "starts with a UTF-16 BE byte-order mark, but is not UTF-16 BE text"),
        (
            codecs.BOM_UTF32_BE + b"\x00\x11\x00\x00",
            "starts with a UTF-32 BE byte-order mark, but is not UTF-32 BE text",
        ),
    ],
    ids=["odd-length-utf16", "lone-surrogate-utf16", "beyond-unicode-utf32"],
)
def test_a_byte_order_mark_over_what_does_not_decode_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, problem: str
) -> None:
    (tmp_path / "scan.json").write_bytes(data)
    collected = collect([tmp_path])
    (skipped,) = collected.skipped
    assert skipped.reason.startswith(f"{UNRECOGNIZED}: {problem} (byte ")
    assert skipped.category is SkipCategory.UNRECOGNIZED
    args = ["--image", sample_image(RELEASE), "--out", str(tmp_path / "out")]
    assert main(["package", str(tmp_path / "scan.json"), *args]) == 3
    assert capsys.readouterr().err.startswith(f"fromline: error: {tmp_path / 'scan.json'}: {UNRECOGNIZED}: {problem}")


# --- a Dockerfile over the size limit ----------------------------------------------------------------------------


def big_dockerfile(size: int) -> bytes:
    """The sample Dockerfile, then RUN steps up to `size` bytes: a real build file, only long."""
    data = (SAMPLE / "Dockerfile").read_bytes()
    step = b"RUN echo 'one more step of a generated build' > /dev/null\n"
    return data + step * ((size - len(data)) // len(step) + 1)


@pytest.mark.parametrize("encoding", [None, "utf-16-le"])
def test_a_dockerfile_over_the_limit_is_named_with_its_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str | None
) -> None:
    data = big_dockerfile(DOCKERFILE_MAX_BYTES + 1)
    data = data if encoding is None else encoded(data, encoding)
    evidence = tmp_path / "evidence"
    shutil.copytree(SAMPLE, evidence)
    (evidence / "Dockerfile").write_bytes(data)
    problem = f"is a Dockerfile of {len(data)} bytes, larger than the {DOCKERFILE_MAX_BYTES}-byte (1 MiB) limit"

    # found in a directory: skipped with the reason, the rest of the evidence read
    out = tmp_path / "out"
    args = ["--image", sample_image(RELEASE), "--timestamp", SAMPLE_TIMESTAMP]
    assert main(["package", str(evidence), *args, "--out", str(out), "-q"]) == 0
    audit = orjson.loads((out / "audit.json").read_bytes())
    (skipped,) = audit["skipped"]
    assert skipped["path"] == "evidence/Dockerfile"
    assert skipped["reason"].startswith(problem)
    assert skipped["category"] == "not-read"
    assert "Dockerfile" not in {e["format"] for e in audit["evidence"]}

    # named on the command line: one clear error, exit 3
    assert main(["package", str(evidence / "Dockerfile"), *args, "--out", str(tmp_path / "named")]) == 3
    assert (
        capsys.readouterr().err == f"fromline: error: {evidence / 'Dockerfile'}: {problem} for a Dockerfile: not read\n"
    )
    assert not (tmp_path / "named").exists()


def test_a_dockerfile_at_the_limit_is_read_and_large_text_is_not_taken_for_one(tmp_path: Path) -> None:
    data = big_dockerfile(DOCKERFILE_MAX_BYTES - 200)[: DOCKERFILE_MAX_BYTES - 100]
    (tmp_path / "Dockerfile").write_bytes(data.rpartition(b"\n")[0] + b"\n")
    (tmp_path / "notes.txt").write_bytes(b"release notes, not a build file\n" * 50_000)  # 1.5 MiB of text
    collected = collect([tmp_path])
    (item,) = collected.items
    assert (item.kind, item.format) == (EvidenceKind.DOCKERFILE, "Dockerfile")
    (skipped,) = collected.skipped
    assert (skipped.path, skipped.reason) == (f"{tmp_path.name}/notes.txt", UNRECOGNIZED)


# --- a symbolic link to a directory inside an input directory ----------------------------------------------------


def test_a_linked_directory_is_skipped_not_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(SAMPLE, evidence / "scans")
    (evidence / "again").symlink_to("scans")  # inside the directory
    (evidence / "scans" / "up").symlink_to(evidence)  # a loop, were it followed
    (evidence / "elsewhere").symlink_to(tmp_path)  # out of the directory
    reason = "is a symbolic link to a directory, not followed"

    collected = collect([evidence])
    assert {(s.path, s.reason, s.category) for s in collected.skipped} == {
        (f"evidence/{name}", reason, SkipCategory.NOT_READ) for name in ("again", "elsewhere", "scans/up")
    }
    assert sorted(e.path for e in collected.items) == sorted(f"evidence/scans/{p.name}" for p in SAMPLE.iterdir())

    out = tmp_path / "out"
    args = ["--image", sample_image(RELEASE), "--timestamp", SAMPLE_TIMESTAMP, "--out", str(out), "-q"]
    assert main(["package", str(evidence), *args]) == 0
    audit = orjson.loads((out / "audit.json").read_bytes())
    assert {s["path"]: s["reason"] for s in audit["skipped"]} == {
        "evidence/again": reason,
        "evidence/elsewhere": reason,
        "evidence/scans/up": reason,
    }

    assert main(["inspect", str(evidence)]) == 0  # listed, not an error
    text = capsys.readouterr().out
    assert f"{evidence}/again\n  skipped: {reason}\n" in text

    # named on the command line, a linked directory is a directory the user chose: it is read
    assert main(["inspect", "--json", str(evidence / "again")]) == 0
    entries = orjson.loads(capsys.readouterr().out)
    assert {e["given_path"] for e in entries if e["kind"]} == {
        str(evidence / "again" / p.name) for p in SAMPLE.iterdir()
    }


# --- files listed and named by the path given --------------------------------------------------------------------


def test_inspect_tells_two_files_of_one_name_apart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for folder, source in (("a", CORPUS_TEXT["trivy-json"]), ("b", SAMPLE / "trivy.json")):
        (tmp_path / folder).mkdir()
        shutil.copy(source, tmp_path / folder / "trivy.json")
    (tmp_path / "b" / "notes.txt").write_text("release notes\n")
    first, second, notes = tmp_path / "a" / "trivy.json", tmp_path / "b" / "trivy.json", tmp_path / "b" / "notes.txt"

    assert main(["inspect", str(first), str(second), str(notes)]) == 0
    text = capsys.readouterr().out
    paths = [line for line in text.splitlines() if not line.startswith("  ")]
    assert paths == [str(first), str(notes), str(second)]

    assert main(["inspect", "--json", str(first), str(tmp_path / "b")]) == 0
    entries = orjson.loads(capsys.readouterr().out)
    assert [(e["given_path"], e["path"]) for e in entries] == [
        (str(first), "trivy.json"),  # the package names a file given by its base name
        (str(notes), "b/notes.txt"),
        (str(second), "b/trivy.json"),
    ]
    assert entries[0]["subjects"] != entries[2]["subjects"]


def test_inspect_names_a_device_by_its_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "/dev/zero"]) == 3
    assert capsys.readouterr().out == "/dev/zero\n  skipped: is not a regular file\n"
    assert main(["inspect", "--json", "/dev/zero"]) == 3
    (entry,) = orjson.loads(capsys.readouterr().out)
    assert (entry["given_path"], entry["path"]) == ("/dev/zero", "zero")


def test_inspect_escapes_a_path_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "a\nfromline: done\x1b[2K"
    folder.mkdir()
    shutil.copy(SAMPLE / "openvex.json", folder / "vex.json")
    assert main(["inspect", str(folder / "vex.json")]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"{tmp_path}/a\\nfromline: done\\x1b[2K/vex.json"


# --- names that are not safe in a package ------------------------------------------------------------------------


def test_a_backslash_in_a_name_is_never_a_folder_in_the_package(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    undecodable = os.fsdecode(b"scan\xff.json")  # shown as scan\xff.json: a backslash the name did not have
    shutil.copy(SAMPLE / "trivy.json", evidence / undecodable)
    shutil.copy(SAMPLE / "grype.json", evidence / "a\\b.json")  # a backslash in the name itself (legal on Linux)
    shutil.copy(SAMPLE / "openvex.json", evidence / "scan_xff.json")  # the safe name the first one would take
    out = tmp_path / "out"
    args = ["--image", sample_image(RELEASE), "--timestamp", SAMPLE_TIMESTAMP, "--out", str(out), "-q", "--zip"]
    assert main(["package", str(evidence), *args]) == 0

    audit = orjson.loads((out / "audit.json").read_bytes())
    stored = {e["path"]: e["stored_as"] for e in audit["evidence"]}
    assert stored == {
        "evidence/a\\b.json": "evidence/evidence/a_b.json",
        "evidence/scan\\xff.json": "evidence/evidence/scan_xff.json",
        "evidence/scan_xff.json": "evidence/evidence/scan_xff-2.json",
    }
    manifest = [f["path"] for f in orjson.loads((out / "manifest.json").read_bytes())["files"]]
    copies = sorted(p for p in manifest if p.startswith("evidence/"))
    assert copies == sorted(stored.values())
    with zipfile.ZipFile(out.with_name("out.zip")) as archive:
        names = archive.namelist()
    assert sorted(n for n in names if n.startswith("out/evidence/")) == sorted(f"out/{p}" for p in stored.values())
    assert not [n for n in names if "\\" in n or ".." in n.split("/")]
    for e in audit["evidence"]:
        assert hashlib.sha256((out / e["stored_as"]).read_bytes()).hexdigest() == e["sha256"]
