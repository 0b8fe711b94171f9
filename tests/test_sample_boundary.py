"""The bundled samples: exactly what samples/make_samples.py writes, and a sample boundary of five images on two base
images whose POA&M shows a weakness inherited by several of them as one item."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import orjson
import pytest
from conftest import NOW, SAMPLES

from evidence.boundary import BoundaryFormat, build_boundary, load_boundary
from evidence.boundary.rollup import BoundaryPackage
from evidence.render.poam_xlsx import POAM_COLUMNS, POAM_HEADER_ROW

# The signed files: detached signatures and DSSE envelopes (the base-image candidates also sign their SBOM and VEX).
RELEASE_SIGNATURES = frozenset({"cosign-payload.sig", "provenance.intoto.json"})
SIGNATURE_FILES = RELEASE_SIGNATURES | {"sbom.intoto.json", "openvex.intoto.json"}
SIGNED_IMAGES = 5 + 4  # the boundary's five, and the four signed base-image candidates under samples/bases/
# webapp 1.4.0, api and worker are built on this image, by digest.
SHARED_BASE = "python:3.12-slim-bookworm@sha256:3b8e1f0c7d2a94e6b5f0c1d8a7e3b29f6c4d0e8a1b7f5c3e9d2a6b0f4c8e1d73"


def generated(folder: Path) -> dict[str, bytes]:
    """Every file the generator writes under `folder`, by path: all but the script and this README."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name not in {"make_samples.py", "README.md"}
    }


def run_generator(folder: Path, *options: str) -> str:
    done = subprocess.run(
        [sys.executable, str(folder / "make_samples.py"), *options],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_committed_samples_are_exactly_what_the_generator_writes(tmp_path: Path) -> None:
    """Only the keys and the signatures are kept from the checkout (ECDSA signatures are randomized, and only the
    public keys are kept); every other file is written anew, and no file is left over that it no longer writes."""
    copy = tmp_path / "samples"
    shutil.copytree(SAMPLES, copy)
    committed = generated(copy)
    for path in copy.rglob("*"):
        if path.is_file() and path.parent.name != "keys" and path.name not in SIGNATURE_FILES | {"make_samples.py"}:
            path.unlink()
    output = run_generator(copy)
    regenerated = generated(copy)
    assert sorted(regenerated) == sorted(committed)
    assert [path for path in committed if regenerated[path] != committed[path]] == []
    assert output.count("verified ") == SIGNED_IMAGES
    assert output.count("kept ") == SIGNED_IMAGES  # every signature still signs what the run writes: no new key


def test_changed_signatures_give_the_team_a_new_key_and_the_rest_is_unchanged(tmp_path: Path) -> None:
    copy = tmp_path / "samples"
    shutil.copytree(SAMPLES, copy)
    committed = generated(copy)
    (copy / "boundary" / "api-2.1.0" / "cosign-payload.sig").write_text("bm90IGEgc2lnbmF0dXJl", encoding="ascii")
    output = run_generator(copy)
    regenerated = generated(copy)
    changed = {path for path in committed if regenerated[path] != committed[path]}
    # the backend team's images are signed again with a new key; the other teams' keys and signatures stay
    assert changed == {
        "keys/backend.pub",
        *(f"boundary/{image}/{name}" for image in ("api-2.1.0", "worker-1.8.2") for name in RELEASE_SIGNATURES),
    }
    assert "wrote samples/keys/backend.pub" in output
    assert output.count("verified ") == SIGNED_IMAGES


@pytest.fixture(scope="module")
def sample_boundary(tmp_path_factory: pytest.TempPathFactory) -> tuple[BoundaryPackage, Path]:
    out = tmp_path_factory.mktemp("sample-boundary") / "package"
    formats = [BoundaryFormat.POAM_XLSX, BoundaryFormat.OSCAL_POAM]
    package = build_boundary(
        load_boundary(SAMPLES / "boundary" / "boundary.yaml"), out, moment=NOW, jobs=2, formats=formats
    )
    return package, out


def test_the_sample_boundary_lists_five_images_each_trusting_its_teams_key() -> None:
    boundary = load_boundary(SAMPLES / "boundary" / "boundary.yaml")
    assert boundary.keys == ()
    listed = [
        (str(e.image.reference).split("@")[0], e.release, [k.name for k in e.keys]) for e in boundary.images if e.image
    ]
    assert listed == [
        ("registry.example.com/webapp", "1.4.0", ["webapp.pub"]),
        ("registry.example.com/webapp", "1.3.0", ["webapp.pub"]),
        ("registry.example.com/api", "2.1.0", ["backend.pub"]),
        ("registry.example.com/worker", "1.8.2", ["backend.pub"]),
        ("registry.example.com/proxy", "3.2.0", ["platform.pub"]),
    ]
    assert all(e.inventory.keys() >= {"function", "owner", "public", "location", "address"} for e in boundary.images)
    assert all(not key.is_relative_to(folder) for e in boundary.images for key in e.keys for folder in e.evidence)


def test_every_sample_image_is_signed_and_its_signatures_verify_with_its_teams_key(
    sample_boundary: tuple[BoundaryPackage, Path],
) -> None:
    package, out = sample_boundary
    for image in package.images:
        audit = orjson.loads((out / "images" / image.slug / "audit.json").read_bytes())
        signed = [e for e in audit["evidence"] if e["kind"] in ("signature", "provenance")]
        assert len(signed) == 2, image.slug
        key = image.entry.keys[0].name
        for item in signed:
            verification = item.get("signature") or item.get("verification")
            assert verification["status"] == "verified", (image.slug, item["path"])
            assert verification["reason"].endswith(f"verified with {key}"), (image.slug, verification["reason"])


def test_the_sample_boundary_has_two_base_images_one_shared_by_three_images(
    sample_boundary: tuple[BoundaryPackage, Path],
) -> None:
    package, _ = sample_boundary
    name = {image.slug: image.facts.subject.name.rsplit("/", 1)[-1] for image in package.images}
    assert len(package.images) == 5
    bases = {base.base: sorted(name[slug] for slug in base.images) for base in package.bases}
    assert {base.split("@")[0] for base in bases} == {"python:3.12-slim-bookworm", "debian:12-slim"}
    assert bases[SHARED_BASE] == ["api", "webapp", "worker"]
    shared = next(base for base in package.bases if base.base == SHARED_BASE)
    assert shared.open_base_findings > 0
    ports = {(name[p.image], p.port, p.protocol) for p in package.ports}
    assert ports == {
        ("webapp", "8080", "tcp"),
        ("api", "8000", "tcp"),
        ("proxy", "80", "tcp"),
        ("proxy", "443", "tcp"),
    }  # the worker exposes none


def test_a_weakness_of_the_shared_base_is_one_poam_item_for_every_image_that_inherits_it(
    sample_boundary: tuple[BoundaryPackage, Path],
) -> None:
    package, _ = sample_boundary
    name = {
        image.slug: f"{image.facts.subject.name.rsplit('/', 1)[-1]} {image.entry.release}" for image in package.images
    }
    # webapp 1.4.0's own VEX proposes zlib1g's CVE-2023-45853 as a false positive (pending approval): its item is
    # its own, and the item of the three images without that proposal says so of none of them
    zlib = next(item for item in package.items if item.poam_id == "V-CVE-2023-45853-20261119-2")
    assert [name[slug] for slug in zlib.images] == ["api 2.1.0", "worker 1.8.2", "proxy 3.2.0"]
    assert zlib.open
    proposed = next(item for item in package.items if item.poam_id == "V-CVE-2023-45853-20261119")
    assert [name[slug] for slug in proposed.images] == ["webapp 1.4.0"]
    # the canary's scan is two months older: its finding of the same weakness is its own item
    canary = next(item for item in package.items if item.poam_id == "V-CVE-2023-45853-20260915")
    assert [name[slug] for slug in canary.images] == ["webapp 1.3.0"]
    # every Debian weakness of the base rootfs is inherited by the four images scanned that night
    debian = [item for item in package.items if "-20261119" in item.poam_id and len(item.images) >= 3]
    assert {item.item_id for item in debian} >= {
        "V-CVE-2023-45853",
        "V-CVE-2019-1010022",
        "V-CVE-2011-3374",
        "V-TEMP-0841856-B18BAF",
    }
    # a Python weakness is shared only where the installed version is affected: urllib3 2.2.3, not in api
    urllib3 = next(item for item in package.items if item.poam_id == "V-CVE-2025-50181-20261119")
    assert sorted(name[slug] for slug in urllib3.images) == ["webapp 1.4.0", "worker 1.8.2"]


def test_images_share_a_poam_item_only_where_every_column_but_their_own_agrees(
    sample_boundary: tuple[BoundaryPackage, Path],
) -> None:
    package, out = sample_boundary
    sheet = openpyxl.load_workbook(out / "poam.xlsx")["Open POA&M Items"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=POAM_HEADER_ROW + 1, values_only=True) if r[0]}
    column = {name: POAM_COLUMNS.index(name) for name in ("Asset Identifier", "False Positive", "Deviation Rationale")}
    proposed, shared = rows["V-CVE-2023-45853-20261119"], rows["V-CVE-2023-45853-20261119-2"]
    assert proposed[column["False Positive"]] == "Pending"
    assert "VEX not_affected" in proposed[column["Deviation Rationale"]]
    assert shared[column["False Positive"]] == "No"  # not a claim about images whose evidence proposes nothing
    assert shared[column["Deviation Rationale"]] in (None, "None", "")
    assert len(shared[column["Asset Identifier"]].splitlines()) == 3
    # a control that fails for different reasons in different images is an item per image
    fips = [item for item in package.items if item.item_id == "C-fips-140-3-FIPS-1"]
    assert sorted(len(item.images) for item in fips) == [1] * len(fips)
    # the system's OSCAL item of the shared weakness relates the risk of each of its three images
    poam = orjson.loads((out / "oscal" / "poam.json").read_bytes())["plan-of-action-and-milestones"]
    item = next(i for i in poam["poam-items"] if any(p["value"] == "V-CVE-2023-45853-20261119-2" for p in i["props"]))
    assert len(item["related-risks"]) == 3
    assert item["remarks"].startswith("Assets: ")
