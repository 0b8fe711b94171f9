"""The DoD side of a package: the DISA catalog's CCIs, Vuln IDs and categories in every output, the eMASS-style
POA&M workbook and the STIG Viewer 3 checklist (CKLB), on the sample packaged with the dod profile."""

from __future__ import annotations

import dataclasses
import io
import re
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import CORPUS, SamplePackages, sample_package_args
from openpyxl import load_workbook
from test_render_oscal import assert_schema_valid

from evidence.cli import main
from evidence.collectors import collect
from evidence.evaluate import derive_recorded
from evidence.model import (
    DISA_CATALOG,
    AuditPackage,
    CatalogInfo,
    ControlResult,
    ImageRef,
    Layer,
    PoamStatus,
    Scope,
    Status,
    WeaknessSource,
)
from evidence.pipeline import assess
from evidence.render import DOD_FORMATS, Format, formats_for
from evidence.render.canonical import load_package
from evidence.render.cklb import StigChecklist, checklist, rule_status
from evidence.render.emass_poam import EMASS_COLUMNS, EmassPoamWorkbook, failed_controls
from evidence.render.oscal import DISA_CCI_NS, FROMLINE_NS
from evidence.render.xlsx import Sheet, Table, split_sheet

RELEASE = "1.4.0"
DOD_FILES = ("emass-poam.xlsx", "checklist.cklb")
SRG_456 = "SRG-APP-000456-CTR-001125"  # V-233233, CAT II, CCI-002605: satisfied in part on the sample
SRG_635 = "SRG-APP-000635-CTR-001405"  # V-233289, CAT I, no verified CCI: not satisfied on the sample
HEADER_ROW = 7  # eMASS's column row; items from row 8
HOSTILE = '=HYPERLINK("http://evil","x")\u202e\x1b[2J'


@pytest.fixture(scope="module")
def dod(sample_package: SamplePackages) -> Path:
    return sample_package(RELEASE, "dod")


@pytest.fixture(scope="module")
def pkg(dod: Path) -> AuditPackage:
    return load_package(dod / "audit.json")


def by_id(pkg: AuditPackage) -> dict[str, ControlResult]:
    return {c.control_id: c for c in pkg.controls if c.catalog == DISA_CATALOG}


def emass_rows(data: bytes) -> tuple[list[list[Any]], list[tuple[Any, ...]], list[dict[str, Any]]]:
    """The header block, the column row and the items of an eMASS POA&M workbook, each item by column name."""
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["POA&M"]
    ws = book["POA&M"]
    rows = [tuple(c.value for c in row) for row in ws.iter_rows()]
    header = rows[HEADER_ROW - 1]
    items = [dict(zip(header, row, strict=True)) for row in rows[HEADER_ROW:]]
    assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
    assert ws.auto_filter.ref.startswith(f"A{HEADER_ROW}:")
    return [list(r) for r in rows[: HEADER_ROW - 1]], [header], items


# --- which packages hold the DoD exports ------------------------------------------------------------------------


def test_dod_package_holds_the_exports_and_default_does_not(dod: Path, sample_package: SamplePackages) -> None:
    manifest = {f["path"] for f in orjson.loads((dod / "manifest.json").read_bytes())["files"]}
    for name in DOD_FILES:
        assert (dod / name).is_file(), name
        assert name in manifest
    default = sample_package(RELEASE)
    assert not any((default / name).exists() for name in DOD_FILES)
    assert {Format.EMASS_POAM.value, Format.STIG_CHECKLIST.value} == {"emass-poam", "cklb"}


def test_formats_follow_the_disa_catalog(pkg: AuditPackage) -> None:
    assert set(formats_for(pkg)) >= DOD_FORMATS
    without = dataclasses.replace(pkg, catalogs=tuple(c for c in pkg.catalogs if c.id != DISA_CATALOG))
    assert not DOD_FORMATS & set(formats_for(without))
    only = dataclasses.replace(
        pkg, catalogs=(CatalogInfo(id=DISA_CATALOG, title="t", version="v", source="s", sha256="0" * 64),)
    )
    assert set(formats_for(only)) >= DOD_FORMATS


# --- CCIs, Vuln IDs and categories in audit.json, the report, the workbook and OSCAL ---------------------------


def test_audit_json_records_the_disa_identifiers(dod: Path, pkg: AuditPackage) -> None:
    raw = orjson.loads((dod / "audit.json").read_bytes())
    assert raw["schema_version"] == "1.3"
    controls = {(c["catalog"], c["control_id"]): c for c in raw["controls"]}
    srg = controls[DISA_CATALOG, SRG_456]
    assert (srg["cci"], srg["vuln_id"], srg["category"], srg["ia_control"]) == (
        ["CCI-002605"],
        "V-233233",
        "CAT II",
        None,
    )
    guide = controls[DISA_CATALOG, "2.4"]
    assert (guide["cci"], guide["vuln_id"], guide["category"], guide["ia_control"]) == (
        ["CCI-000381"],
        None,
        None,
        "CM-7 a",
    )
    assert controls[DISA_CATALOG, SRG_635]["category"] == "CAT I"
    # Other catalogs carry none
    assert all(not c["cci"] and c["vuln_id"] is None for c in raw["controls"] if c["catalog"] != DISA_CATALOG)
    # Every DISA control has a CCI or a Vuln ID; the SRG rules all have a Vuln ID and a category
    disa = by_id(pkg)
    assert all(c.cci or c.vuln_id for c in disa.values())
    assert all(c.category in {"CAT I", "CAT II", "CAT III"} for c in disa.values() if c.vuln_id)


def test_report_control_details_show_the_disa_identifiers(dod: Path, pkg: AuditPackage) -> None:
    html = (dod / "report.html").read_text(encoding="utf-8")
    position = next(n for n, c in enumerate(pkg.controls, start=1) if c.control_id == SRG_456)
    article = html.split(f'id="control-{position}"', 1)[1].split("</article>", 1)[0]
    for text in ("Vuln ID", "V-233233", "Category", "CAT II", "CCI", "CCI-002605"):
        assert text in article, text
    position = next(n for n, c in enumerate(pkg.controls, start=1) if c.control_id == "2.4")
    article = html.split(f'id="control-{position}"', 1)[1].split("</article>", 1)[0]
    assert "CCI-000381" in article
    assert "CM-7 a" in article
    assert "Vuln ID" not in article  # the guide's requirements have none


def test_workbook_controls_sheet_has_the_disa_columns(dod: Path) -> None:
    ws = load_workbook(dod / "workbook.xlsx")["Controls"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    for column in ("CCI", "Vuln ID", "CAT"):
        assert column in header
    row = next(dict(zip(header, r, strict=True)) for r in rows[1:] if r[1] == SRG_456)
    assert (row["CCI"], row["Vuln ID"], row["CAT"]) == ("CCI-002605", "V-233233", "CAT II")


def test_oscal_findings_carry_the_disa_identifiers(dod: Path) -> None:
    doc = orjson.loads((dod / "oscal" / "assessment-results.json").read_bytes())
    assert_schema_valid(doc)
    result = doc["assessment-results"]["results"][0]
    finding = next(
        f for f in result["findings"] if any(p["name"] == "control-id" and p["value"] == SRG_456 for p in f["props"])
    )
    props = {(p["name"], p["ns"]): p["value"] for p in finding["props"]}
    assert props["cci", DISA_CCI_NS] == "CCI-002605"
    assert props["disa-vuln-id", FROMLINE_NS] == "V-233233"
    assert props["disa-category", FROMLINE_NS] == "CAT II"
    # A manual DISA control's observation carries them too
    manual = next(
        o
        for o in result["observations"]
        if any(p["name"] == "control-id" and p["value"] == "SRG-APP-000014-CTR-000035" for p in o.get("props", []))
    )
    assert {"name": "cci", "ns": DISA_CCI_NS, "value": "CCI-000068"} in manual["props"]


# --- the eMASS POA&M --------------------------------------------------------------------------------------------


def test_emass_poam_layout_and_rows(dod: Path, pkg: AuditPackage) -> None:
    block, (header,), items = emass_rows((dod / "emass-poam.xlsx").read_bytes())
    assert header == EMASS_COLUMNS
    assert block[0][:2] == ["Date Exported:", "11/20/2026"]
    assert block[3][:2] == ["System / Project Name:", f"registry.example.com/webapp {RELEASE}"]
    assert block[-1] == [None] * len(block[-1])  # a blank row before the columns
    failed = failed_controls(pkg)
    open_items = [i for i in pkg.poam if i.status is PoamStatus.OPEN and i.source is WeaknessSource.SCAN]
    assert failed  # the sample fails DISA 2.14, the FIPS rules, ...
    assert len(items) == len(failed) + len(open_items)
    assert {i["Status"] for i in items} == {"Ongoing"}
    assert all(i["POA&M Item ID"] is None for i in items)  # eMASS assigns it
    # One row per failed DISA control, first, with its CCIs, checks and severity from its category
    controls = {c.control_id: row for c, row in zip(failed, items, strict=False)}
    cat1 = controls[SRG_635]
    assert cat1["Security Checks"] == f"V-233289, {SRG_635}"
    assert (cat1["Raw Severity"], cat1["Severity"]) == ("I", "High")
    guide = controls["2.14"]
    assert guide["CCI"] == "CCI-002422"
    assert guide["Security Checks"] == "disa-container 2.14"
    assert guide["Security Control Number (NC/NA controls only)"] == "SC-8(2), SR-4"
    assert (guide["Raw Severity"], guide["Severity"]) == (None, None)  # the guide assigns no category
    assert guide["Control Vulnerability Description"].startswith("2.14 Built from a DoD-approved base image: ")
    # Then one row per open POA&M item, with its due date as eMASS's date text and the remediation milestone
    rows = items[len(failed) :]
    assert [row["Security Checks"] for row in rows] == [", ".join(i.ids) for i in open_items]
    for row, item in zip(rows, open_items, strict=True):
        assert item.due is not None
        due = item.due.strftime("%m/%d/%Y")
        assert row["Scheduled Completion Date"] == due
        assert row["Milestone with Completion Dates"].endswith(due)
        assert row["Security Control Number (NC/NA controls only)"] == "RA-5, SI-2"
        assert row["Raw Severity"] in {"I", "II", "III"}
        assert row["Devices Affected"].endswith(pkg.subject.digest)
    severities = {(i.severity.value, r["Raw Severity"], r["Severity"]) for i, r in zip(open_items, rows, strict=True)}
    assert severities <= {
        ("critical", "I", "Very High"), ("high", "I", "High"), ("medium", "II", "Moderate"), ("low", "III", "Low"),
    }  # fmt: skip
    # What image evidence cannot say is left empty, never made up
    for column in ("Office/Org", "Resources Required", "Relevance of Threat", "Likelihood", "Impact"):
        assert {row[column] for row in items} == {None}, column


def _hostile(pkg: AuditPackage) -> AuditPackage:
    """The package with one failed DISA control whose every text is hostile, as a custom catalog could make it."""
    control = ControlResult(
        catalog=DISA_CATALOG,
        control_id=HOSTILE,
        title=HOSTILE,
        status=Status.NOT_SATISFIED,
        reason=HOSTILE,
        nist_800_53=("CM-7",),
        cci=("CCI-000381",),
        vuln_id="@SUM(1)",
        category="CAT I",
        not_shown="-1+1",
    )
    return derive_recorded(dataclasses.replace(pkg, controls=(control, *pkg.controls)))


def test_emass_poam_keeps_hostile_text_as_text(pkg: AuditPackage) -> None:
    out = io.BytesIO()
    EmassPoamWorkbook().render(_hostile(pkg), out)
    data = out.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            if member.startswith("xl/worksheets/"):
                xml = archive.read(member)
                assert b"<f>" not in xml
                assert b"<f " not in xml
    ws = load_workbook(io.BytesIO(data))["POA&M"]
    assert [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"] == []
    shown = '=HYPERLINK("http://evil","x")\\u202e\\x1b[2J'  # the text, its override and escape shown, inert
    row = dict(zip(EMASS_COLUMNS, ws[HEADER_ROW + 1], strict=True))
    assert row["Control Vulnerability Description"].value == f"{shown} {shown}: {shown}"
    assert row["Control Vulnerability Description"].quotePrefix  # editing the cell keeps it text
    assert row["Security Checks"].value == f"@SUM(1), {shown}"
    assert row["Security Checks"].quotePrefix
    assert row["Raw Severity"].value == "I"


def test_emass_poam_cuts_text_at_the_emass_limit(pkg: AuditPackage) -> None:
    control = dataclasses.replace(failed_controls(pkg)[0], reason="x" * 5000)
    long = dataclasses.replace(pkg, controls=(control,))
    out = io.BytesIO()
    EmassPoamWorkbook().render(long, out)
    _, _, items = emass_rows(out.getvalue())
    description = items[0]["Control Vulnerability Description"]
    assert len(description) == 2000
    assert "in full in audit.json" in description


# --- the STIG Viewer checklist ----------------------------------------------------------------------------------

TOP_KEYS = {"title", "id", "stigs", "active", "mode", "has_path", "target_data", "cklb_version"}
STIG_KEYS = {"stig_name", "display_name", "stig_id", "release_info", "uuid", "reference_identifier", "size", "rules"}
RULE_KEYS = {
    "uuid", "stig_uuid", "target_key", "stig_ref", "group_id", "rule_id", "rule_id_src", "weight", "classification",
    "severity", "rule_version", "group_title", "rule_title", "fix_text", "false_positives", "false_negatives",
    "discussion", "check_content", "documentable", "mitigations", "potential_impacts", "third_party_tools",
    "mitigation_control", "responsibility", "security_override_guidance", "ia_controls", "check_content_ref",
    "legacy_ids", "ccis", "group_tree", "createdAt", "updatedAt", "STIGUuid", "status", "overrides", "comments",
    "finding_details",
}  # fmt: skip
TARGET_KEYS = {
    "target_type", "host_name", "ip_address", "mac_address", "fqdn", "comments", "role", "is_web_database",
    "technology_area", "web_db_site", "web_db_instance",
}  # fmt: skip
STRING_RULE_KEYS = RULE_KEYS - {"target_key", "stig_ref", "check_content_ref", "legacy_ids", "ccis", "group_tree",
                                "overrides"}  # fmt: skip
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def assert_cklb_shape(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The checklist has STIG Viewer 3's structure and MITRE SAF's CKLB values; returns every rule."""
    assert set(doc) == TOP_KEYS
    assert doc["cklb_version"] == "1.0"
    assert (doc["active"], doc["mode"], doc["has_path"]) == (False, 2, True)
    assert set(doc["target_data"]) == TARGET_KEYS
    assert doc["target_data"]["target_type"] in {"Computing", "Non-Computing"}
    uuids = [uuid.UUID(doc["id"])]
    rules = []
    for stig in doc["stigs"]:
        assert set(stig) == STIG_KEYS
        assert stig["size"] == len(stig["rules"])
        assert re.match(r"^Release: [\d.]+ Benchmark Date: \d\d \w{3} \d{4}$", stig["release_info"])
        uuids.append(uuid.UUID(stig["uuid"]))
        for rule in stig["rules"]:
            assert set(rule) == RULE_KEYS
            assert all(isinstance(rule[k], str) for k in STRING_RULE_KEYS), rule["rule_version"]
            assert rule["stig_uuid"] == rule["STIGUuid"] == stig["uuid"]
            assert rule["severity"] in {"high", "medium", "low", "unknown"}
            assert rule["status"] in {"not_a_finding", "open", "not_applicable", "not_reviewed"}
            assert TIME.match(rule["createdAt"])
            assert TIME.match(rule["updatedAt"])
            assert all(re.match(r"^CCI-\d{6}$", c) for c in rule["ccis"])
            assert rule["group_tree"][0]["id"] == rule["group_id"]
            uuids.append(uuid.UUID(rule["uuid"]))
            rules.append(rule)
    assert all(u.version == 5 for u in uuids)
    assert len(set(uuids)) == len(uuids)
    return rules


def test_checklist_has_every_disa_control(dod: Path, pkg: AuditPackage) -> None:
    doc = orjson.loads((dod / "checklist.cklb").read_bytes())
    rules = assert_cklb_shape(doc)
    disa = by_id(pkg)
    assert [r["rule_version"] for r in rules] == list(disa)  # catalog order: the guide, then the SRG
    assert [s["stig_id"] for s in doc["stigs"]] == [
        "DevSecOps_Container_Image_Creation_and_Deployment_Guide",
        "Container_Platform_SRG",
    ]
    assert doc["target_data"]["host_name"] == pkg.subject.name
    assert pkg.subject.digest in doc["target_data"]["comments"]
    by_version = {r["rule_version"]: r for r in rules}
    srg = by_version[SRG_456]
    assert (srg["group_id"], srg["rule_id"], srg["rule_id_src"]) == ("V-233233", "SV-233233", "SV-233233_rule")
    assert (srg["severity"], srg["ccis"]) == ("medium", ["CCI-002605"])
    assert by_version[SRG_635]["severity"] == "high"
    guide = by_version["2.4"]
    assert (guide["group_id"], guide["rule_id"], guide["severity"]) == ("2.4", "", "unknown")
    assert (guide["ccis"], guide["ia_controls"]) == (["CCI-000381"], "CM-7 a")
    for control_id, control in disa.items():
        rule = by_version[control_id]
        assert rule["status"] == rule_status(control)
        assert control.reason in rule["finding_details"]
        assert all(r.path in rule["finding_details"] for r in control.evidence)
        if control.not_shown:
            assert control.not_shown in rule["comments"]


def test_checklist_statuses_claim_no_more_than_was_shown() -> None:
    def control(status: Status, scope: Scope = Scope.FULL) -> ControlResult:
        return ControlResult(catalog=DISA_CATALOG, control_id="x", title="t", status=status, reason="r", scope=scope)

    assert rule_status(control(Status.SATISFIED)) == "not_a_finding"
    assert rule_status(control(Status.SATISFIED, Scope.PARTIAL)) == "not_reviewed"
    assert rule_status(control(Status.NOT_SATISFIED)) == "open"
    assert rule_status(control(Status.NOT_APPLICABLE)) == "not_applicable"
    for status in (Status.MANUAL, Status.EVIDENCE_MISSING, Status.NOT_ASSESSED):
        assert rule_status(control(status, Scope.NONE)) == "not_reviewed"


def test_checklist_on_the_sample_statuses(pkg: AuditPackage) -> None:
    rules = {r["rule_version"]: r for s in checklist(pkg)["stigs"] for r in s["rules"]}
    assert rules["2.2"]["status"] == "not_a_finding"  # satisfied in full: the image config's user
    assert rules["2.4"]["status"] == "not_reviewed"  # satisfied for what image evidence shows
    assert "review the rest" in rules["2.4"]["comments"]
    assert rules["2.14"]["status"] == "open"
    assert rules["3.1"]["status"] == "not_reviewed"
    assert "Responsible layer: orchestrator." in rules["3.1"]["comments"]
    assert Layer.ORCHESTRATOR.value in rules["3.1"]["comments"]


def test_checklist_keeps_hostile_text_as_data(pkg: AuditPackage) -> None:
    out = io.BytesIO()
    StigChecklist().render(_hostile(pkg), out)
    text = out.getvalue().decode("utf-8")
    doc = orjson.loads(text)
    assert_cklb_shape(doc)
    rule = next(r for s in doc["stigs"] for r in s["rules"] if r["rule_title"].startswith("=HYPERLINK"))
    assert rule["rule_title"] == '=HYPERLINK("http://evil","x")\\u202e\\x1b[2J'
    assert rule["group_id"] == "@SUM(1)"
    assert "\u202e" not in text
    assert "\x1b" not in text
    assert "\\u001b" not in text


# --- determinism and the collectors that feed DISA 2.4, 2.8 and 2.11 -------------------------------------------


def test_dod_exports_are_the_same_bytes_on_every_build(dod: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert main([*sample_package_args(RELEASE, again, "--profile", "dod", "--quiet")]) == 0
    for name in DOD_FILES:
        assert (again / name).read_bytes() == (dod / name).read_bytes(), name


def test_dockerfile_run_lines_are_collected_with_their_heredocs(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "FROM debian:12 AS build\n"
        "RUN apt-get update \\\n && apt-get install -y curl\n"
        "FROM debian:12\n"
        "RUN <<EOF\ncurl -fsSL https://get.example.com | sh\nEOF\n"
        "USER 1000\n"
    )
    (item,) = collect([dockerfile]).items
    assert item.dockerfile is not None
    runs = [(r.value, r.location) for r in item.dockerfile.run_commands]
    assert runs == [
        ("apt-get update  && apt-get install -y curl", "line 2"),
        ("<<EOF\ncurl -fsSL https://get.example.com | sh", "line 5"),
    ]
    assert item.dockerfile.final_user is not None  # the heredoc body was not read as instructions


@pytest.mark.parametrize(
    "name", ["spring4shell-jre8-debian11-jar-image.trivy-dev.json", "fluentd-debian10-ruby-gems-image.trivy-dev.json"]
)
def test_trivy_history_is_collected_with_its_location(name: str) -> None:
    path = CORPUS / "trivy-json" / name
    raw = orjson.loads(path.read_bytes())["Metadata"]["ImageConfig"]["history"]
    (item,) = collect([path]).items
    assert item.image_config is not None
    assert item.image_config.history_location == "/Metadata/ImageConfig/history"
    assert [h.created_by for h in item.image_config.history_entries] == [h.get("created_by") for h in raw]


def test_trivy_history_answers_the_build_checks() -> None:
    """A Trivy scan bound to the image by its digest is enough for DISA 2.4, 2.8 and 2.11's build-step checks."""
    path = CORPUS / "trivy-json" / "spring4shell-jre8-debian11-jar-image.trivy-dev.json"
    digest = orjson.loads(path.read_bytes())["Metadata"]["ImageID"]
    image = ImageRef.parse(f"registry.example.com/spring4shell@{digest}")
    scanned = datetime(2021, 8, 26, tzinfo=UTC)  # a day after the scan: within the profile's maximum age
    pkg = assess([path], image=image, profile="dod", now=scanned)
    controls = by_id(pkg)
    for control_id, check in (
        ("2.4", "history.no_pipe_to_shell"),
        ("2.8", "history.no_update_alone"),
        ("2.11", "history.no_unverified_packages"),
    ):
        result = next(c for c in controls[control_id].checks if c.check == check)
        assert result.status is Status.SATISFIED, (control_id, result.reason)
        assert "step(s) in the image history" in result.reason
        assert {r.path.rsplit("/", 1)[-1] for r in result.evidence} == {path.name}


def test_a_sheet_with_a_header_block_splits_with_it_on_every_part() -> None:
    rows = tuple((f"c{n}",) for n in range(16))
    block = (("Date Exported:", "11/20/2026"), ())
    sheet = Sheet("POA&M", Table(("Name",), rows), header_block=block)
    assert sheet.header_row == 3  # the block (a form row and a blank row), the column row
    parts = split_sheet(sheet, max_rows=8)
    assert [len(p.table.rows) for p in parts if p.table] == [5, 5, 5, 1]  # 8 rows, 3 of them above the items
    assert all(p.header_block == block for p in parts)
    assert tuple(r for p in parts if p.table for r in p.table.rows) == rows
