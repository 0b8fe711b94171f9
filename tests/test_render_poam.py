"""The POA&M outputs: OSCAL POA&M (schema-valid), poam.xlsx (FedRAMP template columns), inventory.xlsx, report."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from datetime import datetime
from functools import cache
from typing import Any

import jsonschema_rs
import openpyxl
import orjson
import pytest
from conftest import DIGEST, NOW, OSCAL_SCHEMAS, SAMPLES, collect_verify_bind

from evidence.catalog import Parameters
from evidence.catalog.loader import Profile
from evidence.evaluate import derive_recorded, evaluate
from evidence.lifecycle.poam import asset_identifier
from evidence.model import (
    AssessmentContext,
    AuditPackage,
    Deviation,
    DeviationAnswer,
    DeviationStatus,
    DeviationType,
    EvidenceSet,
    ImageRef,
    ImpactLevel,
    PoamStatus,
    Severity,
    SystemInfo,
    TrustAnchors,
)
from evidence.render.inventory_xlsx import InventoryWorkbook
from evidence.render.oscal_poam import FEDRAMP_NS, OscalPoam, fedramp_deviation_props
from evidence.render.poam_xlsx import PoamWorkbook
from evidence.render.report import render_html

UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$")

# Domain reference §3.5, in the template's order, with its header text.
POAM_HEADERS = (
    "POAM ID", "Controls", "Weakness Name", "Weakness Description", "Weakness Detector Source",
    "Weakness Source Identifier", "Asset Identifier", "Point of Contact", "Resources Required",
    "Overall Remediation Plan", "Original Detection Date", "Scheduled Completion Date", "Planned Milestones",
    "Milestone Changes", "Status Date", "Vendor Dependency", "Last Vendor Check-in Date",
    "Vendor Dependent Product Name", "Original Risk Rating", "Adjusted Risk Rating", "Risk Adjustment",
    "False Positive", "Operational Requirement", "Deviation Rationale", "Supporting Documents", "Comments",
    "Auto-Approve", "Binding Operational Directive 22-01 tracking", "Binding Operational Directive 22-01 Due Date",
    "CVE", "Service Name",
)  # fmt: skip
# Domain reference §3.6, columns B to Z.
INVENTORY_HEADERS = (
    "Unique Asset Identifier", "IPv4 or IPv6 Address", "Virtual", "Public", "DNS Name or URL", "NetBIOS Name",
    "MAC Address", "Authenticated Scan", "Baseline Configuration Name", "OS Name and Version", "Location",
    "Asset Type", "Hardware Make/Model", "In Latest Scan", "Software/Database Vendor",
    "Software/Database Name & Version", "Patch Level", "Diagram Label", "Comments", "Serial #/Asset Tag#",
    "VLAN/Network ID", "System Administrator/Owner", "Application Administrator/Owner", "Function", "End-of-Life",
)  # fmt: skip


@cache
def _validator() -> Any:
    schema = json.loads((OSCAL_SCHEMAS / "oscal_poam_schema.json").read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def assert_poam_valid(doc: Any) -> None:
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in _validator().iter_errors(doc)]
    assert not errors, "OSCAL POA&M schema errors:\n" + "\n".join(errors)


SAMPLE_VEX_AUTHOR = "Example Org Product Security <psirt@example.com>"  # the samples' openvex.json author


def sample_package(release: str, *, vex_authors: tuple[str, ...] = ()) -> AuditPackage:
    folder = SAMPLES / f"webapp-{release}"
    digest = orjson.loads((folder / "cosign-payload.json").read_bytes())["critical"]["image"]["docker-manifest-digest"]
    image = ImageRef(
        reference=f"registry.example.com/webapp@{digest}",
        name="registry.example.com/webapp",
        digest=digest,
        release=release,
    )
    profile = Profile(name="default", title="t", catalogs=(), parameters=Parameters())
    collected = collect_verify_bind([folder], image_digest=digest)
    anchors = TrustAnchors(policy=bool(vex_authors), vex_authors=vex_authors)
    return evaluate([], profile, EvidenceSet(items=collected.items), image=image, now=NOW, trust_anchors=anchors)


TEMPLATE_HEADER_ROW = 5  # FedRAMP's template: title, system block and a blank row above the column row


def rows_of(ws: Any) -> list[tuple[Any, ...]]:
    return list(ws.iter_rows(min_row=TEMPLATE_HEADER_ROW + 1, values_only=True))


def render(renderer: Any, pkg: AuditPackage) -> bytes:
    out = io.BytesIO()
    renderer.render(pkg, out)
    return out.getvalue()


@pytest.fixture(scope="module")
def sample() -> AuditPackage:
    return sample_package("1.4.0")


@pytest.fixture
def hand_package(hand_package: AuditPackage) -> AuditPackage:
    """The conftest package, with the summary and POA&M items evaluation records."""
    return derive_recorded(hand_package)


def test_poam_of_the_sample_is_schema_valid_with_one_item_per_unique_vulnerability(sample: AuditPackage) -> None:
    doc = orjson.loads(render(OscalPoam(), sample))
    assert_poam_valid(doc)
    poam = doc["plan-of-action-and-milestones"]
    assert poam["system-id"]["id"] == sample.subject.digest
    unique = {r.id for r in sample.vulnerabilities if r.severity is not Severity.NEGLIGIBLE}
    assert len(poam["poam-items"]) == len(unique) == len(poam["risks"]) == 16
    assert len(poam["observations"]) == len(sample.vulnerabilities)
    ids = [p["value"] for i in poam["poam-items"] for p in i["props"] if p["name"] == "POAM-ID"]
    assert sorted(ids) == sorted(f"V-{u}" for u in unique)
    assert all(p["ns"] == FEDRAMP_NS for i in poam["poam-items"] for p in i["props"] if p["name"] == "POAM-ID")
    risks = {r["uuid"]: r for r in poam["risks"]}
    observations = {o["uuid"] for o in poam["observations"]}
    for item in poam["poam-items"]:
        assert UUID.match(item["uuid"])
        assert all(r["risk-uuid"] in risks for r in item["related-risks"])
        assert all(o["observation-uuid"] in observations for o in item["related-observations"])
    h11 = next(r for r in poam["risks"] if r["title"].startswith("CVE-2025-43859"))
    assert h11["status"] == "open"
    assert h11["deadline"] == "2026-12-19T07:45:02.384915Z"  # critical: 30 days after the first scan
    # The team's own unsigned VEX says not_affected: a proposed false positive, open and pending (issue 15)
    zlib = next(r for r in poam["risks"] if r["title"].startswith("CVE-2023-45853"))
    assert zlib["status"] == "deviation-requested"
    assert zlib["deadline"] == "2026-12-19T07:45:02.384915Z"
    assert zlib["remediations"][0]["lifecycle"] == "planned"
    (fp,) = [p for p in zlib["props"] if p["name"] == "false-positive"]
    assert (fp["ns"], fp["value"]) == (FEDRAMP_NS, "pending")
    assert "MiniZip" in fp["remarks"]
    assert "not trusted" in fp["remarks"]


def test_a_vex_author_the_policy_trusts_closes_the_item(sample: AuditPackage) -> None:
    trusted = sample_package("1.4.0", vex_authors=(SAMPLE_VEX_AUTHOR,))
    doc = orjson.loads(render(OscalPoam(), trusted))
    assert_poam_valid(doc)
    zlib = next(r for r in doc["plan-of-action-and-milestones"]["risks"] if r["title"].startswith("CVE-2023-45853"))
    assert zlib["status"] == "closed"
    assert zlib["deadline"] == "2026-12-19T07:45:02.384915Z"  # kept once closed: a late closure shows
    (fp,) = [p for p in zlib["props"] if p["name"] == "false-positive"]
    assert fp["value"] == "approved"
    assert "trusted as policy author Example Org Product Security" in fp["remarks"]
    book = openpyxl.load_workbook(io.BytesIO(render(PoamWorkbook(), trusted)))
    closed = {r[0]: dict(zip(POAM_HEADERS, r, strict=True)) for r in rows_of(book["Closed POA&M Items"])}
    assert closed["V-CVE-2023-45853"]["False Positive"] == "Yes"
    assert "MiniZip" in closed["V-CVE-2023-45853"]["Deviation Rationale"]
    assert "trusted as policy author" in closed["V-CVE-2023-45853"]["Deviation Rationale"]
    counts = {c.group.value: c.total for c in trusted.summary.vulnerabilities} if trusted.summary else {}
    before = {c.group.value: c.total for c in sample.summary.vulnerabilities} if sample.summary else {}
    assert (counts["suppressed"], before["suppressed"]) == (2, 0)  # zlib1g and setuptools
    assert counts["open"] == before["open"] - 2


def test_poam_item_ids_are_stable_across_releases(sample: AuditPackage) -> None:
    older = orjson.loads(render(OscalPoam(), sample_package("1.3.0")))["plan-of-action-and-milestones"]
    newer = orjson.loads(render(OscalPoam(), sample))["plan-of-action-and-milestones"]

    def by_title(doc: Any) -> dict[str, str]:
        return {i["title"].split(":")[0]: i["uuid"] for i in doc["poam-items"]}

    old, new = by_title(older), by_title(newer)
    common = set(old) & set(new)
    assert "CVE-2025-8869" in common
    assert all(old[k] == new[k] for k in common)
    assert older["uuid"] != newer["uuid"]


def test_poam_of_the_hand_package_and_of_an_empty_one(hand_package: AuditPackage) -> None:
    assert_poam_valid(orjson.loads(render(OscalPoam(), hand_package)))
    empty = derive_recorded(dataclasses.replace(hand_package, vulnerabilities=()))
    doc = orjson.loads(render(OscalPoam(), empty))
    assert_poam_valid(doc)
    (item,) = doc["plan-of-action-and-milestones"]["poam-items"]
    assert item["title"] == "No vulnerabilities"


def test_poam_workbook_has_the_template_columns_on_open_and_closed_tabs(sample: AuditPackage) -> None:
    book = openpyxl.load_workbook(io.BytesIO(render(PoamWorkbook(), sample)))
    assert book.sheetnames == ["Open POA&M Items", "Closed POA&M Items"]
    items = sample.poam
    for name, expected in (("Open POA&M Items", True), ("Closed POA&M Items", False)):
        ws = book[name]
        assert tuple(c.value for c in ws[TEMPLATE_HEADER_ROW]) == POAM_HEADERS
        rows = rows_of(ws)
        assert [r[0] for r in rows] == [i.poam_id for i in items if i.is_open is expected]
    open_rows = {r[0]: dict(zip(POAM_HEADERS, r, strict=True)) for r in rows_of(book["Open POA&M Items"])}
    h11 = open_rows["V-CVE-2025-43859"]
    assert h11["Original Detection Date"] == datetime(2026, 11, 19)  # noqa: DTZ001 - an Excel date has no zone
    assert h11["Scheduled Completion Date"] == datetime(2026, 12, 19)  # noqa: DTZ001
    assert h11["Original Risk Rating"] == "High"  # critical: the template's highest rating is High
    assert h11["Asset Identifier"] == asset_identifier(sample)
    grype_version = orjson.loads((SAMPLES / "webapp-1.4.0" / "grype.json").read_bytes())["descriptor"]["version"]
    assert h11["Weakness Detector Source"] == f"grype {grype_version}, trivy"  # the Trivy report names no version
    assert h11["CVE"] == "CVE-2025-43859"
    assert "VEX affected" in h11["Comments"]
    # the unsigned VEX of the image's own team: open, False Positive pending, the statement attached
    zlib = open_rows["V-CVE-2023-45853"]
    assert (zlib["False Positive"], zlib["Risk Adjustment"]) == ("Pending", "No")
    assert "MiniZip" in zlib["Deviation Rationale"]
    assert "not trusted" in zlib["Deviation Rationale"]
    assert "openvex.json" in zlib["Supporting Documents"]
    assert zlib["Scheduled Completion Date"] == datetime(2026, 12, 19)  # noqa: DTZ001
    assert "V-CVE-2023-45853" not in {r[0] for r in rows_of(book["Closed POA&M Items"])}


def test_poam_workbook_has_the_template_header_block_and_excel_dates(sample: AuditPackage) -> None:
    system = SystemInfo(name="Example Cloud", impact=ImpactLevel.MODERATE, csp="=Example Corp")
    pkg = dataclasses.replace(sample, context=AssessmentContext(system=system))
    book = openpyxl.load_workbook(io.BytesIO(render(PoamWorkbook(), pkg)))
    for name in ("Open POA&M Items", "Closed POA&M Items"):
        ws = book[name]
        assert ws["A1"].value == "Plan of Action and Milestones (POA&M)"
        assert [c.value for c in ws[2][:4]] == ["CSP", "System Name", "Impact Level", "POA&M Date"]
        csp, system_name, impact, poam_date = ws[3][:4]
        assert (csp.value, csp.data_type) == ("=Example Corp", "s")  # text, never a formula
        assert (system_name.value, impact.value) == ("Example Cloud", "Moderate")
        assert poam_date.is_date
        assert poam_date.value == datetime(2026, 11, 20)  # noqa: DTZ001 - the assessment's day, an Excel date
        assert all(c.value is None for c in ws[4])
        assert ws.freeze_panes == f"A{TEMPLATE_HEADER_ROW + 1}"
        assert ws.auto_filter.ref.startswith(f"A{TEMPLATE_HEADER_ROW}:")
        dated = [POAM_HEADERS.index(h) for h in POAM_HEADERS if h.endswith("Date")]
        for row in ws.iter_rows(min_row=TEMPLATE_HEADER_ROW + 1):
            for cell in (row[i] for i in dated if row[i].value is not None):
                assert cell.is_date, (name, cell.coordinate, cell.value)
                assert cell.number_format == "yyyy-mm-dd"
    # without the system options the block keeps its labels, and the values are blank (never "n/a")
    ws = openpyxl.load_workbook(io.BytesIO(render(PoamWorkbook(), sample)))["Open POA&M Items"]
    assert [c.value for c in ws[3][:3]] == [None, None, None]


def test_poam_workbook_cells_are_text_never_formulas(hand_package: AuditPackage) -> None:
    formula = '=HYPERLINK("http://x")'
    record = dataclasses.replace(hand_package.vulnerabilities[0], title=formula)
    pkg = derive_recorded(dataclasses.replace(hand_package, vulnerabilities=(record,)))
    ws = openpyxl.load_workbook(io.BytesIO(render(PoamWorkbook(), pkg)))["Open POA&M Items"]
    cell = ws.cell(row=TEMPLATE_HEADER_ROW + 1, column=POAM_HEADERS.index("Weakness Name") + 1)
    assert (cell.value, cell.data_type) == (formula, "s")


def test_inventory_workbook_has_the_appendix_m_columns(sample: AuditPackage) -> None:
    ws = openpyxl.load_workbook(io.BytesIO(render(InventoryWorkbook(), sample)))["Inventory"]
    assert tuple(c.value for c in ws[1]) == INVENTORY_HEADERS
    (row,) = [dict(zip(INVENTORY_HEADERS, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert row["Unique Asset Identifier"] == f"registry.example.com/webapp:1.4.0@{sample.subject.digest}"
    assert row["IPv4 or IPv6 Address"] == row["Serial #/Asset Tag#"] == sample.subject.digest
    assert (row["Asset Type"], row["Virtual"], row["Authenticated Scan"], row["In Latest Scan"]) == (
        "Container Image", "Yes", "Yes", "Yes",
    )  # fmt: skip
    assert row["OS Name and Version"] == "debian 12.13"
    assert row["Software/Database Name & Version"] == "webapp 1.4.0"
    assert row["Public"] is None  # unknown fields stay blank, never "n/a"


def test_report_has_a_poam_section_and_the_disagreements(sample: AuditPackage) -> None:
    html = render_html(sample)
    assert "6 Plan of action and milestones" in html
    assert "V-CVE-2025-43859" in html
    assert "Scanner disagreements" in html
    assert "reported by trivy only, not by grype" in html


def test_hand_package_digest_is_the_asset(hand_package: AuditPackage) -> None:
    assert asset_identifier(hand_package) == f"registry.example.com/webapp:1.4.0@{DIGEST}"


def _request(kind: DeviationType, status: DeviationStatus = DeviationStatus.APPROVED) -> dict[str, Any]:
    """A deviation request of this kind on the item, and the answer its POA&M column gives."""
    answer = DeviationAnswer.YES if status is DeviationStatus.APPROVED else DeviationAnswer.PENDING
    field = kind.value.replace("-", "_")
    deviation = Deviation(id="DR-1", type=kind, vulnerability="CVE-1", status=status, justification="Because | *so*.")
    return {"deviation": deviation, field: DeviationAnswer.YES if kind.value == "vendor-dependency" else answer}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, []),
        ({"false_positive": DeviationAnswer.YES}, [("false-positive", "approved")]),  # a VEX not_affected closed it
        (_request(DeviationType.FALSE_POSITIVE, DeviationStatus.PENDING), [("false-positive", "pending")]),
        (_request(DeviationType.RISK_ADJUSTMENT), [("risk-adjustment", "approved")]),
        (
            _request(DeviationType.OPERATIONAL_REQUIREMENT, DeviationStatus.WITHDRAWN),
            [("operational-requirement", "withdrawn")],
        ),
        (_request(DeviationType.VENDOR_DEPENDENCY), [("vendor-dependency", "tracking")]),
        (
            {**_request(DeviationType.VENDOR_DEPENDENCY), "status": PoamStatus.CLOSED},
            [("vendor-dependency", "resolved")],
        ),
    ],
)
def test_risks_carry_fedramp_deviation_props(
    sample: AuditPackage, change: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    plain = (
        i
        for i in sample.poam
        if i.is_open
        and i.deviation is None
        and DeviationAnswer.NO is i.vendor_dependency is i.false_positive is i.risk_adjustment  # nothing to say
    )
    item = dataclasses.replace(next(plain), **change)
    found = fedramp_deviation_props(item)
    assert [(p["name"], p["value"]) for p in found] == expected
    assert all(p["ns"] == "https://fedramp.gov/ns/oscal" for p in found)
    if "deviation" in change:
        assert [p["remarks"] for p in found] == ["Because \\| \\*so\\*."]  # the request's justification, escaped
    pkg = dataclasses.replace(sample, poam=(item,))
    risk = orjson.loads(render(OscalPoam(), pkg))["plan-of-action-and-milestones"]["risks"][0]
    assert [p for p in risk["props"] if p["ns"] == FEDRAMP_NS and p["name"] != "impacted-control-id"] == found
