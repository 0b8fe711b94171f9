"""Walking inputs, recognizing files, and binding evidence to the assessed image digest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import collect_verify_bind

from evidence.errors import InputError
from evidence.model import Binding, EvidenceKind, SkipCategory

MANIFEST = "sha256:" + "1" * 64
CONFIG = "sha256:" + "2" * 64
OTHER = "sha256:" + "3" * 64


def trivy(image_id: str, repo_digests: list[str]) -> str:
    return json.dumps(
        {
            "SchemaVersion": 2,
            "ArtifactName": "webapp",
            "ArtifactType": "container_image",
            "Metadata": {"ImageID": image_id, "RepoDigests": repo_digests},
            "Results": [],
        }
    )


def inspect(image_id: str, repo_digest: str) -> str:
    return json.dumps(
        [
            {
                "Id": image_id,
                "RepoTags": [],
                "RepoDigests": [f"registry.example.com/webapp@{repo_digest}"],
                "Created": "2026-11-18T10:00:00Z",
                "Config": {"User": "app"},
            }
        ]
    )


def test_config_digest_binds_through_a_file_naming_both(tmp_path: Path) -> None:
    (tmp_path / "inspect.json").write_text(inspect(CONFIG, MANIFEST))
    (tmp_path / "scan-by-image-id.json").write_text(trivy(CONFIG, []))
    (tmp_path / "scan-of-another-image.json").write_text(trivy(OTHER, [f"registry.example.com/other@{OTHER}"]))
    found = {e.path.split("/")[-1]: e for e in collect_verify_bind([tmp_path], image_digest=MANIFEST).items}
    assert found["inspect.json"].binding is Binding.MATCH
    assert found["scan-by-image-id.json"].binding is Binding.MATCH
    assert found["scan-of-another-image.json"].binding is Binding.MISMATCH


def test_config_digest_alone_does_not_bind(tmp_path: Path) -> None:
    (tmp_path / "scan.json").write_text(trivy(CONFIG, []))
    (item,) = collect_verify_bind([tmp_path], image_digest=MANIFEST).items
    assert item.binding is Binding.MISMATCH


def test_walked_directory_lists_unknown_files_as_skipped(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("release notes\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "scan.json").write_text(trivy(CONFIG, [f"r@{MANIFEST}"]))
    (tmp_path / ".hidden").write_text("x")
    result = collect_verify_bind([tmp_path], image_digest=MANIFEST)
    assert [e.path for e in result.items] == [f"{tmp_path.name}/sub/scan.json"]
    assert [(s.path, s.reason) for s in result.skipped] == [
        (f"{tmp_path.name}/notes.txt", "not a recognized evidence format")
    ]


def test_named_unknown_file_is_an_error(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(InputError, match=r"notes\.txt: not a recognized evidence format"):
        collect_verify_bind([notes], image_digest=MANIFEST)


def test_missing_input_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        collect_verify_bind([tmp_path / "absent"], image_digest=MANIFEST)


def test_same_file_given_twice_is_read_once(tmp_path: Path) -> None:
    scan = tmp_path / "scan.json"
    scan.write_text(trivy(CONFIG, [f"r@{MANIFEST}"]))
    items = collect_verify_bind([scan, tmp_path], image_digest=MANIFEST).items
    assert len(items) == 1
    assert items[0].kind is EvidenceKind.VULNERABILITY_SCAN


def test_each_skipped_file_says_why_by_category(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "notes.txt").write_text("hello\n", encoding="utf-8")
    (inputs / "broken-trivy.json").write_text(trivy(CONFIG, [])[:-20], encoding="utf-8")
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "webapp", "digest": {"sha256": "1" * 64}}],
        "predicateType": "https://example.com/unknown-predicate/v1",
        "predicate": {},
    }
    (inputs / "other.intoto.json").write_text(json.dumps(statement), encoding="utf-8")
    schema1 = {"schemaVersion": 1, "name": "webapp", "tag": "1", "fsLayers": [], "history": []}
    (inputs / "schema1.json").write_text(json.dumps(schema1), encoding="utf-8")
    outside = tmp_path / "outside.json"
    outside.write_text(trivy(CONFIG, []), encoding="utf-8")
    (inputs / "link.json").symlink_to(outside)
    result = collect_verify_bind([inputs], image_digest=MANIFEST, keep_going=True)
    assert {s.path: s.category for s in result.skipped} == {
        "in/broken-trivy.json": SkipCategory.MALFORMED,
        "in/link.json": SkipCategory.UNREADABLE,
        "in/notes.txt": SkipCategory.UNRECOGNIZED,
        "in/schema1.json": SkipCategory.NOT_READ,
    }
    assert all(s.reason for s in result.skipped)
    # an attestation of a predicate type Fromline does not read is still an attestation, not a skipped file
    (attestation,) = result.items
    assert (attestation.path, attestation.kind) == ("in/other.intoto.json", EvidenceKind.ATTESTATION)
