"""`fromline boundary`: the boundary file, the system package, and its roll-up, on the bundled sample releases."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import orjson
import pytest
from conftest import oscal_schema_errors, sample_image
from trestle.core.base_model import OscalBaseModel
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.component import ComponentDefinition
from trestle.oscal.poam import PlanOfActionAndMilestones

from evidence.attest.verify import verify_package
from evidence.boundary import BoundaryFormat, build_boundary, load_boundary
from evidence.boundary.assess import _top_level_member
from evidence.boundary.config import BoundaryError
from evidence.boundary.render import NAMED, report_html
from evidence.boundary.rollup import PER_IMAGE_COLUMNS, roll_up
from evidence.cli import main
from evidence.errors import ExitCode
from evidence.render.inventory_xlsx import INVENTORY_COLUMNS
from evidence.render.poam_xlsx import POAM_COLUMNS, POAM_HEADER_ROW

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
KEY = SAMPLES / "keys" / "webapp.pub"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def boundary_file(folder: Path, extra: str = "", images: str | None = None) -> Path:
    """A boundary of the two sample releases, written into `folder` with paths relative to it."""
    for release in ("1.3.0", "1.4.0"):
        target = folder / f"evidence-{release}"
        if not target.exists():
            shutil.copytree(SAMPLES / f"webapp-{release}", target)
    shutil.copy(KEY, folder / "webapp.pub")
    listed = (
        images
        or f"""
  - image: {sample_image("1.4.0")}
    release: 1.4.0
    evidence: [evidence-1.4.0/]
    function: web front end
    owner: Platform team
    public: true
    address: 10.0.4.12
  - image: {sample_image("1.3.0")}
    release: 1.3.0
    evidence: [evidence-1.3.0]
    function: web front end canary
"""
    )
    path = folder / "boundary.yaml"
    path.write_text(
        "version: 1\n"
        "system: {name: Example Cloud, id: F1234567890, impact: moderate, csp: Example Corp}\n"
        "keys: [webapp.pub]\n" + extra + "images:" + listed,
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("boundary")
    boundary = load_boundary(boundary_file(folder))
    out = folder / "package"
    build_boundary(boundary, out, moment=NOW, jobs=2)
    return out


# ---------------------------------------------------------------- the boundary file


def test_the_boundary_file_is_read_with_paths_relative_to_it(tmp_path: Path) -> None:
    boundary = load_boundary(boundary_file(tmp_path))
    assert boundary.system.name == "Example Cloud"
    assert boundary.profile == "fedramp-moderate"  # from the impact level when no profile is named
    assert boundary.keys == ((tmp_path / "webapp.pub").resolve(),)
    first, second = boundary.images
    assert first.evidence == ((tmp_path / "evidence-1.4.0").resolve(),)
    assert first.inventory == {
        "function": "web front end",
        "owner": "Platform team",
        "public": "Yes",
        "address": "10.0.4.12",
    }
    assert second.line == 12


def test_every_problem_of_a_boundary_file_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "boundary.yaml"
    path.write_text(
        "version: 2\n"
        "system: {id: X, impact: extreme}\n"
        "colour: blue\n"
        "images:\n"
        "  - image: registry.example.com/a:latest\n"
        "    evidence: [missing/]\n"
        "  - package: packages/\n"
        "    image: registry.example.com/b@sha256:" + "0" * 64 + "\n"
        "  - image: registry.example.com/c@sha256:" + "1" * 64 + "\n"
        "    public: maybe\n",
        encoding="utf-8",
    )
    with pytest.raises(BoundaryError) as caught:
        load_boundary(path)
    problems = caught.value.problems
    text = "\n".join(problems)
    assert "line 1: version: must be 1" in text
    assert "line 3: boundary.colour: is not a known key" in text
    assert "system.name: is required" in text
    assert "line 2: system.impact: must be one of low, moderate, high" in text
    assert "line 5: images[0].image: an image must be given as REF@sha256" in text
    assert "line 6: images[0].evidence[0]: missing/ does not exist" in text
    assert "line 7: images[1]: must name either `image` (with `evidence`) or `package`" in text
    assert "line 10: images[2].public: must be true or false" in text
    assert "images[2].evidence: is required with `image`" in text
    assert len(problems) == 9
    assert str(path) in caught.value.diagnostics()


def test_an_image_listed_twice_is_refused_naming_both_lines(tmp_path: Path) -> None:
    image = sample_image("1.4.0")
    twice = (
        f"\n  - image: {image}\n    evidence: [evidence-1.4.0]\n  - image: {image}\n    evidence: [evidence-1.3.0]\n"
    )
    with pytest.raises(BoundaryError, match=r"line 7: the image is listed twice \(first at line 5\)"):
        load_boundary(boundary_file(tmp_path, images=twice))


def test_an_image_its_evidence_does_not_name_is_refused(tmp_path: Path) -> None:
    other = "registry.example.com/webapp@sha256:" + "ab" * 32
    listed = f"\n  - image: {other}\n    evidence: [evidence-1.4.0]\n"
    boundary = load_boundary(boundary_file(tmp_path, images=listed))
    with pytest.raises(BoundaryError, match=r"line 5: no evidence of webapp-abababababab names its digest"):
        build_boundary(boundary, tmp_path / "out", moment=NOW, jobs=1)
    assert not (tmp_path / "out").exists()  # nothing half written


# ---------------------------------------------------------------- the package


def test_the_boundary_package_holds_every_image_and_passes_its_manifest(built: Path) -> None:
    names = sorted(p.name for p in built.iterdir())
    assert names == [
        "audit.json",
        "images",
        "inventory.xlsx",
        "manifest.json",
        "oscal",
        "poam.xlsx",
        "report.html",
        "report.pdf",
        "workbook.xlsx",
    ]
    assert verify_package(built).ok
    document = orjson.loads((built / "audit.json").read_bytes())
    assert document["schema_version"] == "boundary-1.0"
    assert [i["release"] for i in document["images"]] == ["1.4.0", "1.3.0"]
    for image in document["images"]:
        package = built / image["package"]
        assert verify_package(package).ok
        assert hashlib.sha256((package / "audit.json").read_bytes()).hexdigest() == image["audit_sha256"]
        assert orjson.loads((package / "audit.json").read_bytes())["subject"]["digest"] == image["digest"]
    rollup = document["rollup"]
    open_items = [i for i in rollup["poam"] if i["open"]]
    # Counts are per image: an item open in two images counts twice, as FedRAMP counts assets.
    assert sum(rollup["open_by_severity"].values()) == sum(
        len(i["images"]) for i in open_items if i["item_id"].startswith("V-")
    )
    assert sum(rollup["open_by_age"].values()) == sum(rollup["open_by_severity"].values())


def test_poam_items_are_grouped_only_by_the_same_weakness_and_original_detection_date(built: Path) -> None:
    document = orjson.loads((built / "audit.json").read_bytes())
    items = document["rollup"]["poam"]
    assert len({i["poam_id"] for i in items}) == len(items)
    placed = [(slug, i["item_id"], i["first_detected"]) for i in items for slug in i["images"]]
    assert len(placed) == len(set(placed))  # an image's item is in one system item
    images = {i["slug"]: i for i in document["images"]}
    for item in items:
        for slug in item["images"]:
            own = orjson.loads((built / images[slug]["package"] / "audit.json").read_bytes())["poam"]
            assert any(
                p["poam_id"] == item["item_id"] and (p["first_detected"] or "")[:10] == (item["first_detected"] or "")
                for p in own
            )
    sheet = openpyxl.load_workbook(built / "poam.xlsx")["Open POA&M Items"]
    header = [c.value for c in sheet[POAM_HEADER_ROW]]
    assert tuple(header) == POAM_COLUMNS
    rows = {r[0]: r for r in sheet.iter_rows(min_row=POAM_HEADER_ROW + 1, values_only=True) if r[0]}
    assert set(rows) == {i["poam_id"] for i in items if i["open"]}
    # the two releases share no item: each weakness differs in its due date, detection or deviation between them
    agreed = [n for n, name in enumerate(POAM_COLUMNS) if name not in PER_IMAGE_COLUMNS]
    for first, second in itertools.combinations([i for i in items if i["open"]], 2):
        if (first["item_id"], first["first_detected"]) == (second["item_id"], second["first_detected"]):
            assert [rows[first["poam_id"]][n] for n in agreed] != [rows[second["poam_id"]][n] for n in agreed]


def test_the_inventory_has_the_boundary_file_fields_and_no_digest_as_an_address(built: Path) -> None:
    book = openpyxl.load_workbook(built / "inventory.xlsx")
    assert book.sheetnames == ["Inventory", "Ports and Protocols", "Base Images"]
    rows = list(book["Inventory"].iter_rows(values_only=True))
    assert tuple(rows[0]) == INVENTORY_COLUMNS
    first, second = (dict(zip(INVENTORY_COLUMNS, r, strict=True)) for r in rows[1:3])
    assert first["IPv4 or IPv6 Address"] == "10.0.4.12"
    assert second["IPv4 or IPv6 Address"] is None
    assert first["Public"] == "Yes"
    assert first["Function"] == "web front end"
    assert first["System Administrator/Owner"] == "Platform team"
    assert str(first["Serial #/Asset Tag#"]).startswith("sha256:")
    ports = list(book["Ports and Protocols"].iter_rows(values_only=True))[1:]
    assert ("8080", "tcp") in {(str(r[2]), r[3]) for r in ports}


def test_the_report_starts_with_the_system_and_links_each_image(built: Path) -> None:
    html = (built / "report.html").read_text(encoding="utf-8")
    for heading in (
        "1 System summary",
        "2 Plan of action and milestones",
        "3 Base images, ports and protocols",
        "4 Images",
    ):
        assert heading in html
    assert html.count('href="#image-1"') >= 2
    assert 'id="image-2"' in html
    assert (built / "report.pdf").read_bytes().startswith(b"%PDF-")


def test_the_same_inputs_and_time_give_the_same_bytes_reused_or_not(built: Path, tmp_path: Path) -> None:
    boundary = load_boundary(boundary_file(tmp_path))
    fresh = tmp_path / "fresh"
    first = build_boundary(boundary, fresh, moment=NOW, jobs=1)
    again = build_boundary(boundary, fresh, moment=NOW, jobs=1)  # the second run reuses both images
    assert all(image.reused for image in again.images)
    # An assessed image's facts come from the package in memory, a reused one's from its audit.json: the same.
    assert [image.facts for image in again.images] == [image.facts for image in first.images]

    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    assert files(fresh) == files(built)


def test_a_reused_image_package_that_fails_its_manifest_is_assessed_again(tmp_path: Path) -> None:
    boundary = load_boundary(boundary_file(tmp_path))
    out = tmp_path / "out"
    first = build_boundary(boundary, out, moment=NOW, jobs=1, formats=[])
    audit = out / "images" / first.images[0].slug / "audit.json"
    audit.write_bytes(audit.read_bytes().replace(b"fedramp", b"fedrump", 1))  # changed after it was written
    again = build_boundary(boundary, out, moment=NOW, jobs=1, formats=[])
    assert [image.reused for image in again.images] == [False, True]
    assert b"fedrump" not in (out / "images" / first.images[0].slug / "audit.json").read_bytes()
    assert verify_package(out).ok


def test_a_changed_input_is_assessed_again(tmp_path: Path) -> None:
    boundary = load_boundary(boundary_file(tmp_path))
    out = tmp_path / "out"
    build_boundary(boundary, out, moment=NOW, jobs=1)
    dockerfile = tmp_path / "evidence-1.3.0" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    again = build_boundary(load_boundary(boundary.path), out, moment=NOW, jobs=1)
    assert [image.reused for image in again.images] == [True, False]


def test_a_package_entry_is_read_and_checked_against_its_manifest(
    sample_package: Callable[..., Path], tmp_path: Path
) -> None:
    package = tmp_path / "webapp-1.4.0"
    shutil.copytree(sample_package("1.4.0"), package)
    listed = f"\n  - package: {package.name}\n    function: web front end\n"
    boundary = load_boundary(boundary_file(tmp_path, images=listed))
    result = build_boundary(boundary, tmp_path / "out", moment=NOW, jobs=1, formats=[BoundaryFormat.POAM_XLSX])
    (image,) = result.images
    assert image.key is None
    assert (tmp_path / "out" / "images" / image.slug / "report.pdf").is_file()  # the package as it was written
    assert not (tmp_path / "out" / "report.pdf").exists()  # --formats: not asked for
    (package / "audit.json").write_bytes((package / "audit.json").read_bytes().replace(b"webapp", b"webapq", 1))
    with pytest.raises(BoundaryError, match=r"fails its manifest: audit\.json changed"):
        build_boundary(load_boundary(boundary.path), tmp_path / "out2", moment=NOW, jobs=1)


# ---------------------------------------------------------------- the command


def test_the_command_reports_a_bad_boundary_file_with_exit_code_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "boundary.yaml"
    path.write_text("version: 1\nimages: []\n", encoding="utf-8")
    code = main(["boundary", str(path), "--out", str(tmp_path / "out")])
    assert code == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "system: is required" in err
    assert "images: must be a list of one or more images" in err
    assert "Traceback" not in err


def test_the_command_refuses_an_unknown_format_and_a_previous_that_is_not_a_boundary(
    tmp_path: Path, sample_package: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = boundary_file(tmp_path)
    assert main(["boundary", str(path), "--out", str(tmp_path / "o"), "--formats", "pdf,cklb"]) == ExitCode.USAGE
    assert "unknown: cklb" in capsys.readouterr().err
    previous = str(sample_package("1.4.0"))
    code = main(
        [
            "boundary",
            str(path),
            "--out",
            str(tmp_path / "o"),
            "--previous",
            previous,
            "--timestamp",
            "2026-11-20T12:00:00Z",
        ]
    )
    assert code == ExitCode.BAD_INPUT
    assert "is not a boundary package" in capsys.readouterr().err


def test_previous_month_carries_detection_dates_and_lists_what_changed(tmp_path: Path) -> None:
    only_130 = f"\n  - image: {sample_image('1.3.0')}\n    release: 1.3.0\n    evidence: [evidence-1.3.0]\n"
    last_month = tmp_path / "2026-10"
    build_boundary(load_boundary(boundary_file(tmp_path, images=only_130)), last_month, moment=NOW, jobs=1)
    only_140 = f"\n  - image: {sample_image('1.4.0')}\n    release: 1.4.0\n    evidence: [evidence-1.4.0]\n"
    later = datetime(2026, 12, 20, 12, tzinfo=UTC)
    month = build_boundary(
        load_boundary(boundary_file(tmp_path, images=only_140)),
        tmp_path / "2026-11",
        moment=later,
        jobs=1,
        previous=last_month,
    )
    (image,) = month.images
    old = orjson.loads((last_month / "audit.json").read_bytes())["images"][0]
    assert image.continues == old["digest"]  # a new release of the same image, by its name
    assert month.changes is not None
    assert month.changes.updated == ((image.slug, old["digest"]),)
    assert month.changes.added == ()
    assert month.changes.removed == ()
    before = {
        i["poam_id"]: i["first_detected"]
        for i in orjson.loads((last_month / old["package"] / "audit.json").read_bytes())["poam"]
    }
    carried = [i for i in image.facts.poam if i.poam_id in before and i.is_open]
    assert carried
    for item in carried:
        assert item.first_detected is not None
        assert item.first_detected.isoformat().replace("+00:00", "Z")[:10] == before[item.poam_id][:10]
    diff = orjson.loads((tmp_path / "2026-11" / "diff.json").read_bytes())
    assert diff["images"]["updated"] == [{"image": image.slug, "previous_digest": old["digest"]}]
    (entry,) = diff["per_image"]
    assert entry["summary"]["fixed"] > 0  # 1.4.0 fixes findings of 1.3.0
    assert diff["totals"] == entry["summary"]
    markdown = (tmp_path / "2026-11" / "diff.md").read_text(encoding="utf-8")
    assert "### Fromline: boundary changes for Example Cloud" in markdown
    assert f"{entry['summary']['fixed']} fixed" in markdown
    # `fromline diff` of the two boundary packages says the same
    out = tmp_path / "diff.json"
    code = main(["diff", str(last_month), str(tmp_path / "2026-11"), "--format", "json", "--output", str(out)])
    assert code == ExitCode.OK
    assert orjson.loads(out.read_bytes()) == diff
    written = orjson.loads((tmp_path / "2026-11" / "audit.json").read_bytes())["rollup"]["changes"]
    assert written["updated"] == [{"image": image.slug, "previous_digest": old["digest"]}]
    assert "Changes since the previous package" in (tmp_path / "2026-11" / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["assessment-results", "component-definition"])
def test_the_system_oscal_documents_hold_every_image_with_unique_uuids(built: Path, name: str) -> None:
    document = orjson.loads((built / "oscal" / f"{name}.json").read_bytes())
    assert oscal_schema_errors(document) == []
    ((_, body),) = document.items()
    defined, referenced = uuids(body)
    assert len(defined) == len(set(defined))
    assert referenced <= set(defined), sorted(referenced - set(defined))[:5]
    images = orjson.loads((built / "audit.json").read_bytes())["images"]
    parts = body["results"] if name == "assessment-results" else body["components"]
    assert len(parts) == len(images)
    model: type[OscalBaseModel] = AssessmentResults if name == "assessment-results" else ComponentDefinition
    assert isinstance(model.oscal_read(built / "oscal" / f"{name}.json"), model)


def test_the_system_oscal_poam_is_valid_and_its_uuids_unique_and_resolved(built: Path) -> None:
    document = orjson.loads((built / "oscal" / "poam.json").read_bytes())
    assert oscal_schema_errors(document) == []
    read = PlanOfActionAndMilestones.oscal_read(built / "oscal" / "poam.json")  # as compliance-trestle reads it
    assert isinstance(read, PlanOfActionAndMilestones)
    assert len(read.poam_items) == len(document["plan-of-action-and-milestones"]["poam-items"])
    body = document["plan-of-action-and-milestones"]
    defined, referenced = uuids(body)
    assert len(defined) == len(set(defined))  # unique across the system, though both images are named webapp
    assert referenced <= set(defined)
    rollup = orjson.loads((built / "audit.json").read_bytes())["rollup"]["poam"]
    ids = [next(p["value"] for p in i["props"] if p["name"] == "POAM-ID") for i in body["poam-items"]]
    assert ids == [i["poam_id"] for i in rollup]
    assert all(i["remarks"].startswith("Assets: ") for i in body["poam-items"])
    for resource in body.get("back-matter", {}).get("resources", []):
        for link in resource["rlinks"]:
            assert (built / "oscal" / link["href"]).resolve().is_file(), link["href"]


def uuids(node: object) -> tuple[list[str], set[str]]:
    """The UUIDs an OSCAL document defines (in order, repeats kept) and those it refers to."""
    defined: list[str] = []
    referenced: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack += current
        elif isinstance(current, dict):
            for key, value in current.items():
                if key == "uuid":
                    defined.append(value)
                elif key.endswith("-uuid") and isinstance(value, str):
                    referenced.add(value)
                elif key.endswith("-uuids") and isinstance(value, list):
                    referenced.update(value)
                stack.append(value)
    return defined, referenced


def test_the_workbook_rolls_up_with_a_column_per_image_and_partial_scope_kept(built: Path) -> None:
    book = openpyxl.load_workbook(built / "workbook.xlsx")
    assert book.sheetnames == ["Summary", "Images", "Controls", "POA&M"]
    document = orjson.loads((built / "audit.json").read_bytes())
    slugs = [i["slug"] for i in document["images"]]
    rows = list(book["Controls"].iter_rows(values_only=True))
    assert list(rows[0][-len(slugs) :]) == slugs
    by_control = {(r[0], r[1]): r for r in rows[1:] if r[0]}
    partial_seen = False
    for control in document["rollup"]["controls"]:
        row = by_control[control["catalog"], control["control_id"]]
        for slug, cell in zip(slugs, row[-len(slugs) :], strict=True):
            if slug in control["partial"]:
                assert cell == "Satisfied (partial)"  # never shown as satisfied in full
                partial_seen = True
            elif slug in control["images"].get("satisfied", []):
                assert cell == "Satisfied"
    assert partial_seen
    images = list(book["Images"].iter_rows(values_only=True))
    assert [r[0] for r in images[1:3]] == slugs


def test_diff_refuses_a_boundary_beside_an_image_package(
    built: Path, sample_package: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", str(sample_package("1.4.0")), str(built)]) == ExitCode.USAGE
    assert "must both be boundary packages" in capsys.readouterr().err


def test_deviation_requests_still_open_are_listed(built: Path) -> None:
    document = orjson.loads((built / "audit.json").read_bytes())
    pending = document["rollup"]["deviations_pending"]
    # The samples' zlib CVE-2023-45853: an unsigned VEX says not_affected, which only proposes a false positive.
    assert {
        "image": document["images"][0]["slug"],
        "poam_id": "V-CVE-2023-45853",
        "kinds": ["false positive"],
        "request": None,
    } in pending
    for deviation in pending:
        package = built / "images" / deviation["image"] / "audit.json"
        item = next(i for i in orjson.loads(package.read_bytes())["poam"] if i["poam_id"] == deviation["poam_id"])
        assert item["status"] == "open"
    assert "Deviation requests still open" in (built / "report.html").read_text(encoding="utf-8")


def test_the_sample_boundary_names_the_sample_releases_first_with_their_key() -> None:
    boundary = load_boundary(SAMPLES / "boundary" / "boundary.yaml")
    first, second = boundary.images[:2]
    assert [str(entry.image.reference) for entry in (first, second) if entry.image] == [
        sample_image("1.4.0"),
        sample_image("1.3.0"),
    ]
    assert first.keys == second.keys == (KEY.resolve(),)
    assert len(boundary.images) == 5  # the other images: tests/test_sample_boundary.py


def test_the_report_names_a_few_images_per_item_and_the_workbooks_all(tmp_path: Path) -> None:
    boundary = load_boundary(boundary_file(tmp_path))
    two = build_boundary(boundary, tmp_path / "out", moment=NOW, jobs=1, formats=[])
    many = [dataclasses.replace(image, slug=f"{image.slug}-{n}") for n in range(8) for image in two.images]
    package = roll_up(boundary, many, NOW)
    shared = max(package.items, key=lambda item: len(item.images))  # an item of one release, in its eight copies
    assert len(shared.images) == len(many) // 2
    html = report_html(package)
    assert f"and {len(shared.images) - NAMED} more images (poam.xlsx lists them all)" in html
    rows = [r for r in html.split("<tr>") if shared.poam_id in r]
    assert rows
    assert rows[0].count('href="#image-') == NAMED


def test_a_listed_package_is_named_by_the_subject_its_audit_json_holds_at_the_top_level() -> None:
    text = '{"tool": {"subject": "not this"}, "subject": {"name": "a", "digest": "sha256:0"}, "rest": [1, 2'
    assert _top_level_member(text, "subject") == {"name": "a", "digest": "sha256:0"}
    assert _top_level_member(text, "rest") is None  # cut short: not held whole
    assert _top_level_member('["subject"]', "subject") is None
    assert _top_level_member('{"other": 1}', "subject") is None
