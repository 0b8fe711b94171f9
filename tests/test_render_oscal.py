from __future__ import annotations

import dataclasses
import io
import json
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any

import jsonschema_rs
import pytest
from conftest import DIGEST, NOW, OSCAL_SCHEMAS, REPO
from hypothesis import given
from hypothesis import strategies as st

from evidence.errors import RenderError
from evidence.evaluate import derive_recorded
from evidence.model import (
    AssessmentContext,
    AuditPackage,
    ControlResult,
    ImageRef,
    ImpactLevel,
    Party,
    Status,
    SystemInfo,
    ToolInfo,
)
from evidence.render.oscal import (
    FROMLINE_NS,
    UUID_NAMESPACE,
    OscalAssessmentResults,
    md,
    name_uuid,
    nist_control_id,
    one_line,
)
from evidence.render.oscal_component import OscalComponentDefinition
from evidence.render.oscal_poam import OscalPoam

UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$")
FINDING_STATUSES = {Status.SATISFIED, Status.NOT_SATISFIED, Status.EVIDENCE_MISSING, Status.MANUAL}


@cache
def _validator() -> Any:
    schema = json.loads((OSCAL_SCHEMAS / "oscal_assessment-results_schema.json").read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def render(pkg: AuditPackage) -> bytes:
    out = io.BytesIO()
    OscalAssessmentResults().render(pkg, out)
    return out.getvalue()


def assert_schema_valid(doc: Any) -> None:
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in _validator().iter_errors(doc)]
    assert not errors, "OSCAL schema errors:\n" + "\n".join(errors)


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) pair in a JSON tree, containers included."""
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}/{i}")


def props(obj: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in obj.get("props", []) if p["name"] == name]


@pytest.fixture
def hand_package(hand_package: AuditPackage) -> AuditPackage:
    """The conftest package, with the summary and POA&M items evaluation records (renderers only look them up)."""
    return derive_recorded(hand_package)


@pytest.fixture
def doc(hand_package: AuditPackage) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render(hand_package))
    return data


@pytest.fixture
def ar(doc: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = doc["assessment-results"]
    return result


def test_valid_against_nist_schema(doc: dict[str, Any]) -> None:
    assert_schema_valid(doc)


def test_metadata(ar: dict[str, Any], hand_package: AuditPackage) -> None:
    md = ar["metadata"]
    assert md["oscal-version"] == "1.2.3"
    assert md["last-modified"] == "2026-11-20T12:00:00Z"
    assert md["version"] == "1.4.0"
    assert "registry.example.com/webapp" in md["title"]
    assert "1.4.0" in md["title"]
    assert props(md, "generator-version") == [hand_package.tool.version]


def test_import_ap_points_at_the_implicit_plan(ar: dict[str, Any]) -> None:
    href = ar["import-ap"]["href"]
    assert href.startswith("#")
    plan = [r for r in ar["back-matter"]["resources"] if r["uuid"] == href[1:]]
    assert len(plan) == 1
    assert "implicit" in plan[0]["description"]


def test_one_result_with_reviewed_controls(ar: dict[str, Any], hand_package: AuditPackage) -> None:
    assert len(ar["results"]) == 1
    result = ar["results"][0]
    assert result["start"] == "2026-11-20T12:00:00Z"
    (selection,) = result["reviewed-controls"]["control-selections"]
    ids = [c["control-id"] for c in selection["include-controls"]]
    # not-assessed and not-applicable controls were not reviewed: AC-6 and SI-7(9) are not selected
    assert ids == ["ra-5", "si-2", "cm-14", "si-7.15", "si-3", "ac-2"]
    reviewed = [c for c in hand_package.controls if c.status not in (Status.NOT_ASSESSED, Status.NOT_APPLICABLE)]
    assert props(selection, "catalog-control") == [f"{c.catalog} {c.control_id}" for c in reviewed]


def test_one_observation_per_evidence_item(ar: dict[str, Any], hand_package: AuditPackage) -> None:
    observations = ar["results"][0]["observations"]
    tested = [o for o in observations if o["methods"] == ["TEST"]]
    assert [props(o, "evidence-id") for o in tested] == [[e.id] for e in hand_package.evidence]
    resources = {r["uuid"]: r for r in ar["back-matter"]["resources"]}
    for obs, ev in zip(tested, hand_package.evidence, strict=True):
        assert obs["collected"] == "2026-11-20T12:00:00Z"
        assert props(obs, "sha256") == [ev.sha256]
        assert props(obs, "binding") == [ev.binding.value]
        (evidence,) = obs["relevant-evidence"]
        resource = resources[evidence["href"].removeprefix("#")]
        (rlink,) = resource["rlinks"]
        assert rlink["href"] == ev.path
        assert rlink["hashes"] == [{"algorithm": "SHA-256", "value": ev.sha256}]
    assert props(tested[1], "tool") == ["trivy"]
    assert props(tested[1], "tool-version") == ["0.56.2"]


def test_findings_per_control(ar: dict[str, Any], hand_package: AuditPackage) -> None:
    result = ar["results"][0]
    findings = {(props(f, "catalog")[0], props(f, "control-id")[0]): f for f in result["findings"]}
    expected = {(c.catalog, c.control_id): c for c in hand_package.controls if c.status in FINDING_STATUSES}
    assert findings.keys() == expected.keys()
    states = {key: (f["target"]["status"]["state"], f["target"]["status"].get("reason")) for key, f in findings.items()}
    assert states == {
        ("nist-800-190", "4.1.1"): ("not-satisfied", "fail"),
        # satisfied only for the part image evidence shows: never a "satisfied" finding
        ("nist-800-190", "4.1.5"): ("not-satisfied", "other"),
        ("nist-800-190", "4.1.3"): ("not-satisfied", "other"),
        # a manual control is assessed by a person: not shown satisfied until then
        ("nist-800-190", "4.2.3"): ("not-satisfied", "other"),
    }
    partial = findings["nist-800-190", "4.1.5"]["target"]
    assert partial["implementation-status"] == {"state": "partial"}
    assert "Not shown: that the orchestrator verifies signatures at admission" in partial["status"]["remarks"]
    assert props(findings["nist-800-190", "4.1.5"], "fromline-status") == ["satisfied"]
    assert props(findings["nist-800-190", "4.1.5"], "scope") == ["partial"]
    assert props(findings["nist-800-190", "4.1.3"], "fromline-status") == ["evidence-missing"]
    vuln = findings["nist-800-190", "4.1.1"]
    assert vuln["title"].startswith("NIST SP 800-190")
    assert "4.1.1: Image vulnerabilities" in vuln["title"]
    assert vuln["target"]["type"] == "objective-id"
    assert props(vuln, "nist-800-53") == ["ra-5", "si-2"]
    scan_obs = next(o["uuid"] for o in result["observations"] if props(o, "evidence-id") == ["ev-000000000002"])
    assert vuln["related-observations"] == [{"observation-uuid": scan_obs}]
    assert "related-observations" not in findings["nist-800-190", "4.1.3"]


def test_manual_and_not_applicable_controls(ar: dict[str, Any]) -> None:
    result = ar["results"][0]
    finding_controls = {props(f, "control-id")[0] for f in result["findings"]}
    assert not finding_controls & {"4.3.1", "4.6"}  # not assessed, not applicable: no finding
    (manual,) = [o for o in result["observations"] if o["methods"] == ["EXAMINE"]]
    assert props(manual, "control-id") == ["4.2.3"]
    assert "registry access control is not visible in image evidence" in manual["description"]
    (finding,) = [f for f in result["findings"] if props(f, "control-id") == ["4.2.3"]]
    assert props(finding, "fromline-status") == ["manual"]
    assert finding["related-observations"] == [{"observation-uuid": manual["uuid"]}]
    assert finding["target"]["status"]["remarks"].startswith("Manual: image evidence cannot decide this control")
    assert props(result, "not-applicable-control") == ["nist-800-190 4.6"]
    assert props(result, "not-assessed-control") == ["nist-800-190 4.3.1"]
    (not_assessed,) = [p for p in result["props"] if p["name"] == "not-assessed-control"]
    assert not_assessed["remarks"].startswith("Responsible layer: orchestrator.")
    assert "Not assessed (responsible: orchestrator): " in result["remarks"]
    assert "orchestrator control" in result["remarks"]


def test_risks(ar: dict[str, Any]) -> None:
    result = ar["results"][0]
    risks = result["risks"]
    open_risks = [r for r in risks if r["status"] == "open"]
    assert [props(r, "vulnerability-id") for r in open_risks] == [["CVE-2024-5535"]]
    (risk,) = open_risks
    assert props(risk, "severity") == ["critical"]
    assert props(risk, "package") == ["openssl"]
    assert props(risk, "version") == ["3.0.11-1~deb12u2"]
    assert props(risk, "cvss-score") == ["9.1"]
    scan_obs = next(o["uuid"] for o in result["observations"] if props(o, "evidence-id") == ["ev-000000000002"])
    assert {"observation-uuid": scan_obs} in risk["related-observations"]
    vuln_finding = next(f for f in result["findings"] if props(f, "control-id") == ["4.1.1"])
    assert vuln_finding["related-risks"] == [{"risk-uuid": risk["uuid"]}]
    # The suppressed vulnerability stays visible as a closed risk that quotes the VEX statement.
    closed = [r for r in risks if r["status"] != "open"]
    assert [(r["status"], props(r, "vulnerability-id")) for r in closed] == [("closed", ["CVE-2023-0001"])]
    (factor,) = closed[0]["mitigating-factors"]
    assert "vulnerable\\_code\\_not\\_in\\_execute\\_path" in factor["description"]
    assert props(closed[0], "suppressed-by") == ["in/openvex.json"]
    vex_obs = next(o["uuid"] for o in result["observations"] if props(o, "evidence-id") == ["ev-000000000003"])
    assert {"observation-uuid": vex_obs} in closed[0]["related-observations"]


def test_uuids_and_references_resolve(doc: dict[str, Any]) -> None:
    defined: list[str] = []
    refs: list[tuple[str, str]] = []
    hrefs: list[str] = []
    for path, value in walk(doc):
        if not isinstance(value, str):
            continue
        key = path.rsplit("/", 1)[-1]
        if key == "uuid":
            defined.append(value)
        elif key.endswith("-uuid"):
            refs.append((path, value))
        elif key == "href":
            hrefs.append(value)
    assert defined
    assert len(defined) == len(set(defined)), "uuids must be unique"
    for value in defined + [v for _, v in refs]:
        assert UUID.match(value), value
    assert all(uuid in defined for _, uuid in refs), [r for r in refs if r[1] not in defined]
    ar = doc["assessment-results"]
    resources = {r["uuid"] for r in ar["back-matter"]["resources"]}
    assert all(h.removeprefix("#") in resources for h in hrefs if h.startswith("#"))


def test_referential_integrity_by_kind(ar: dict[str, Any]) -> None:
    """Each reference points at an object of the right kind, not just at some uuid."""
    result = ar["results"][0]
    observations = {o["uuid"] for o in result["observations"]}
    risks = {r["uuid"] for r in result["risks"]}
    local = result["local-definitions"]
    components = {c["uuid"] for c in local["components"]}
    tools = {c["uuid"] for c in local["assessment-assets"]["components"]}
    objectives = {p["id"] for o in ar["local-definitions"]["objectives-and-methods"] for p in o["parts"]}
    included = {c["control-id"] for c in result["reviewed-controls"]["control-selections"][0]["include-controls"]}
    for item in [*result["observations"], *result["findings"], *result["risks"]]:
        for rel in item.get("related-observations", []):
            assert rel["observation-uuid"] in observations
        for origin in item.get("origins", []):
            assert all(a["actor-uuid"] in tools for a in origin["actors"])
        for subject in item.get("subjects", []):
            assert subject["type"] == "component"
            assert subject["subject-uuid"] in components
    for finding in result["findings"]:
        assert all(r["risk-uuid"] in risks for r in finding.get("related-risks", []))
        assert finding["target"]["target-id"] in objectives
    for objective in ar["local-definitions"]["objectives-and-methods"]:
        assert objective["control-id"] in included
    for platform in local["assessment-assets"]["assessment-platforms"]:
        assert all(u["component-uuid"] in tools for u in platform["uses-components"])


def test_every_custom_prop_has_our_namespace(doc: dict[str, Any]) -> None:
    found = [v for path, v in walk(doc) if re.search(r"/props/\d+$", path)]
    assert found
    assert all(p["ns"] == FROMLINE_NS for p in found)


def test_deterministic_bytes(hand_package: AuditPackage) -> None:
    first = render(hand_package)
    assert first == render(hand_package)
    assert first.endswith(b"}\n")


def test_renderer_contract() -> None:
    assert OscalAssessmentResults.filename == "oscal/assessment-results.json"


def test_reviewed_controls_name_an_unmapped_assessed_control_by_its_catalog_id(hand_package: AuditPackage) -> None:
    unmapped = ControlResult(
        catalog="cis-docker", control_id="4.9", title="COPY not ADD", status=Status.SATISFIED, reason="only COPY"
    )
    not_assessed = dataclasses.replace(unmapped, control_id="4.10", status=Status.NOT_ASSESSED)
    pkg = derive_recorded(dataclasses.replace(hand_package, controls=(unmapped, not_assessed)))
    doc = json.loads(render(pkg))
    assert_schema_valid(doc)
    (selection,) = doc["assessment-results"]["results"][0]["reviewed-controls"]["control-selections"]
    assert selection["include-controls"] == [{"control-id": "cis-docker_4.9"}]
    (finding,) = doc["assessment-results"]["results"][0]["findings"]
    assert finding["target"]["target-id"] == "cis-docker_4.9"


def test_empty_package_is_valid() -> None:
    pkg = AuditPackage(
        tool=ToolInfo(name="fromline", version="0.1.0"),
        subject=ImageRef(reference=f"example/app@{DIGEST}", name="example/app", digest=DIGEST),
        profile="default",
        assessed_at=NOW,
    )
    doc = json.loads(render(derive_recorded(pkg)))
    assert_schema_valid(doc)
    ar = doc["assessment-results"]
    assert ar["metadata"]["version"] == DIGEST
    result = ar["results"][0]
    assert "observations" not in result
    assert "findings" not in result
    assert "risks" not in result
    assert "include-all" in result["reviewed-controls"]["control-selections"][0]
    assert not [p for p, v in walk(doc) if v == [] or v is None]


def test_hostile_strings_stay_data(hand_package: AuditPackage) -> None:
    weird = "line one\nline two <script>alert(1)</script> [x](javascript:alert(1)) \ud800 "
    control = ControlResult(
        catalog="my catalog!",
        control_id="9 9\n9",
        title=weird,
        status=Status.NOT_SATISFIED,
        reason=weird,
        nist_800_53=("SI-7 (15)", "not a control", "AC-2(1)(a)"),
    )
    evidence = dataclasses.replace(hand_package.evidence[0], path="dir with space/a:b#c?.json", tool=weird)
    pkg = dataclasses.replace(
        hand_package,
        subject=dataclasses.replace(hand_package.subject, release=weird),
        evidence=(evidence, *hand_package.evidence[1:]),
        controls=(*hand_package.controls, control),
        assessed_at=datetime(2026, 11, 20, 13, 0, tzinfo=timezone(timedelta(hours=1))),
    )
    data = render(pkg)
    doc = json.loads(data)
    assert_schema_valid(doc)
    markup = ("title", "description", "remarks", "statement", "prose")
    for path, value in walk(doc):
        if path.rsplit("/", 1)[-1] in markup:
            assert "<script>" not in value, path
            assert not re.search(r"(?<!\\)\]\(", value), path  # no Markdown link survives
    ar = doc["assessment-results"]
    assert ar["metadata"]["last-modified"] == "2026-11-20T12:00:00Z"
    for path, value in walk(doc):
        if path.endswith("/title"):
            assert "\n" not in value, path
        if path.endswith("/value"):  # plain strings keep the text, on one line
            assert value == value.strip(), path
            assert "\n" not in value, path
    result = ar["results"][0]
    finding = next(f for f in result["findings"] if props(f, "catalog") == ["my catalog!"])
    assert props(finding, "control-id") == ["9 9 9"]
    rlinks = [r["rlinks"][0]["href"] for r in ar["back-matter"]["resources"] if "rlinks" in r]
    assert "dir%20with%20space/a%3Ab%23c%3F.json" in rlinks


@pytest.mark.parametrize(
    ("given", "expected"),
    [("SI-7(15)", "si-7.15"), ("RA-5", "ra-5"), ("AC-2(1)(a)", "ac-2.1.a"), (" cm-14 ", "cm-14"), ("(x)", None)],
)
def test_nist_control_id(given: str, expected: str | None) -> None:
    assert nist_control_id(given) == expected


def test_naive_times_are_utc(hand_package: AuditPackage) -> None:
    pkg = dataclasses.replace(hand_package, assessed_at=NOW.replace(tzinfo=None))
    doc = json.loads(render(pkg))
    assert doc["assessment-results"]["results"][0]["start"] == "2026-11-20T12:00:00Z"
    assert NOW.tzinfo is UTC


# --- front matter, imported plans and the OSCAL version ------------------------------------------------------

CONTEXT = AssessmentContext(
    system=SystemInfo(name="Example Cloud", id="F1234567890", impact=ImpactLevel.MODERATE, csp="Example Corp"),
    assessor=Party(name="Ada Assessor", email="ada@3pao.example", organization="Example 3PAO"),
    point_of_contact=Party(name="Pat Owner", email="pat@example.com"),
    ssp_href="https://example.com/ssp.json",
    ap_href="plans/assessment plan.json",
)
RENDERERS = (OscalAssessmentResults, OscalPoam, OscalComponentDefinition)
SCHEMA_112 = REPO / "tests" / "assets" / "oscal-1.1.2" / "oscal_complete_schema.json"


@cache
def _complete_validator(version: str) -> Any:
    path = SCHEMA_112 if version == "1.1.2" else OSCAL_SCHEMAS / "oscal_complete_schema.json"
    return jsonschema_rs.validator_for(json.loads(path.read_text(encoding="utf-8")), validate_formats=True)


def _document(renderer: Any, pkg: AuditPackage) -> dict[str, Any]:
    out = io.BytesIO()
    renderer.render(pkg, out)
    (doc,) = json.loads(out.getvalue()).values()
    assert isinstance(doc, dict)
    return doc


def _party_names(metadata: dict[str, Any]) -> dict[str, list[str]]:
    names = {p["uuid"]: p["name"] for p in metadata["parties"]}
    return {r["role-id"]: [names[u] for u in r["party-uuids"]] for r in metadata["responsible-parties"]}


def test_metadata_names_who_prepared_each_document_and_for_whom(hand_package: AuditPackage) -> None:
    pkg = dataclasses.replace(hand_package, context=CONTEXT)
    ar, poam, cd = (_document(r(), pkg)["metadata"] for r in RENDERERS)
    assert _party_names(ar) == {
        "prepared-by": ["Example 3PAO"],
        "prepared-for": ["Example Corp"],
        "assessor": ["Ada Assessor"],
        "cloud-service-provider": ["Example Corp"],
    }
    assert _party_names(poam) == {
        "prepared-by": ["Example 3PAO"],
        "prepared-for": ["Example Corp"],
        "cloud-service-provider": ["Example Corp"],
        "point-of-contact": ["Pat Owner"],
    }
    assert _party_names(cd) == {"prepared-by": ["Example 3PAO"], "prepared-for": ["Example Corp"]}
    for metadata in (ar, poam, cd):
        assert metadata["published"] == metadata["last-modified"] == "2026-11-20T12:00:00Z"
        assert [r["id"] for r in metadata["roles"]] == [r["role-id"] for r in metadata["responsible-parties"]]
        parties = {p["uuid"]: p for p in metadata["parties"]}
        for party in parties.values():  # every organization a person is a member of is a party too
            assert all(o in parties for o in party.get("member-of-organizations", []))
        assert props(metadata, "system-name") == ["Example Cloud"]
        assert props(metadata, "system-id") == ["F1234567890"]
        assert props(metadata, "impact-level") == ["moderate"]
    ada = next(p for p in ar["parties"] if p["name"] == "Ada Assessor")
    assert ada["type"] == "person"
    assert ada["email-addresses"] == ["ada@3pao.example"]
    # the same party has the same UUID in every document
    assert {p["uuid"] for p in ar["parties"]} & {p["uuid"] for p in poam["parties"]} == {
        p["uuid"] for p in ar["parties"] if p["name"] in ("Example 3PAO", "Example Corp", "Ada Assessor")
    }


def test_without_the_options_no_party_is_made_up(ar: dict[str, Any]) -> None:
    metadata = ar["metadata"]
    assert not {"roles", "parties", "responsible-parties"} & metadata.keys()
    assert metadata["published"] == "2026-11-20T12:00:00Z"


def test_imported_plans_come_from_the_options(hand_package: AuditPackage) -> None:
    pkg = dataclasses.replace(hand_package, context=CONTEXT)
    ar = _document(OscalAssessmentResults(), pkg)
    assert ar["import-ap"] == {"href": "plans/assessment%20plan.json"}
    assert not [r for r in ar["back-matter"]["resources"] if "implicit" in r.get("description", "")]
    poam = _document(OscalPoam(), pkg)
    assert poam["import-ssp"] == {"href": "https://example.com/ssp.json"}
    assert poam["system-id"]["id"] == hand_package.subject.digest  # kept beside it
    assert "import-ssp" not in _document(OscalPoam(), hand_package)


@pytest.mark.parametrize("version", ["1.2.3", "1.1.2"])
@pytest.mark.parametrize("renderer", RENDERERS)
def test_each_oscal_version_is_valid_against_its_nist_schema(
    hand_package: AuditPackage, renderer: Any, version: str
) -> None:
    for pkg in (hand_package, dataclasses.replace(hand_package, context=CONTEXT)):
        out = io.BytesIO()
        renderer(version).render(pkg, out)
        doc = json.loads(out.getvalue())
        errors = [
            f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in _complete_validator(version).iter_errors(doc)
        ]
        assert not errors, "\n".join(errors)
        (body,) = doc.values()
        assert body["metadata"]["oscal-version"] == version
        types = {t for path, v in walk(doc) if path.endswith("/types") for t in v}
        # OSCAL 1.1 has no observation type `discovery`; 1.2 deprecated `finding` for it
        assert not types & ({"discovery"} if version == "1.1.2" else {"finding"})
        if renderer is not OscalComponentDefinition:  # it has no observations
            assert types & ({"finding"} if version == "1.1.2" else {"discovery"})


def test_an_unknown_oscal_version_is_refused() -> None:
    with pytest.raises(RenderError, match=r"oscal/poam.json: OSCAL version 1.0.4 is not one of 1.2.3, 1.1.2"):
        OscalPoam("1.0.4")


def test_an_email_domain_is_written_in_lower_case_and_the_local_part_as_given(hand_package: AuditPackage) -> None:
    assessor = Party(name="Ada Assessor", email="Ada.Lovelace@3PAO.Example")
    pkg = dataclasses.replace(hand_package, context=dataclasses.replace(CONTEXT, assessor=assessor))
    ada = next(p for p in _document(OscalAssessmentResults(), pkg)["metadata"]["parties"] if p["type"] == "person")
    assert ada["email-addresses"] == ["Ada.Lovelace@3pao.example"]


@pytest.mark.parametrize("version", ["1.2.3", "1.1.2"])
@pytest.mark.parametrize("renderer", RENDERERS)
def test_the_tests_check_every_oscal_document_rendered_against_nists_schema(
    hand_package: AuditPackage, renderer: Any, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The renderers serialize what they build without validating it; conftest checks each document any test
    renders, by any path (`render`, `render_bytes`, `fromline package`). A document that breaks the schema is
    refused."""
    module = sys.modules[renderer.__module__]
    serialize = module.document_bytes

    def with_a_bad_uuid(build: Callable[[], dict[str, Any]], filename: str) -> bytes:
        def broken() -> dict[str, Any]:
            ((root, body),) = build().items()
            return {root: {**body, "uuid": "not-a-uuid"}}

        return bytes(serialize(broken, filename))

    renderer(version).render(hand_package, io.BytesIO())  # valid as built
    monkeypatch.setattr(module, "document_bytes", with_a_bad_uuid)
    with pytest.raises(AssertionError, match=r"is not valid OSCAL:\n\s*[a-z-]+/uuid: \"not-a-uuid\" does not match"):
        renderer(version).render(hand_package, io.BytesIO())
    with pytest.raises(AssertionError, match="is not valid OSCAL"):
        module.render_bytes(hand_package, version)


# The text helpers have fast paths; these are what they must equal, written the plain way.
_MD_METACHARACTERS = re.compile(r"([\\`*_\[\]<>&|~!#])")


def _one_line_plainly(text: str) -> str:
    return " ".join(text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "").split())


_TRICKY = st.sampled_from(["", " a", "a ", "a  b", "a\tb", "x\x00y", "\ud800", "a\u00a0b", "[x](y)"])


@given(st.text(alphabet=st.characters(exclude_categories=[]), max_size=40) | _TRICKY)
def test_one_line_and_md_fold_whitespace_drop_nul_and_escape_markup(text: str) -> None:
    assert one_line(text) == _one_line_plainly(text)
    assert md(text) == _MD_METACHARACTERS.sub(r"\\\1", _one_line_plainly(text))


@given(st.text(max_size=60))
def test_name_uuid_is_uuid5_of_the_fromline_namespace(name: str) -> None:
    assert name_uuid(name) == str(uuid.uuid5(UUID_NAMESPACE, name))
