"""Audit-grade packages: evidence copies, reproducible bytes, signing, offline verification, freshness."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from conftest import CORPUS, SAMPLE_KEY, SAMPLES, oscal_schema_errors
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ObjectIdentifier

from evidence.catalog import load_catalog, load_profile
from evidence.catalog.schema import Parameters
from evidence.cli import main
from evidence.evaluate import CHECKS, derive_recorded, evaluate, mark_freshness
from evidence.model import AuditPackage, Binding, Evidence, EvidenceKind, EvidenceSet, ImageRef, Status
from evidence.render import Format, safe_relative_path, stored_names, write_package
from evidence.render.oscal import render_bytes

RELEASE = "1.4.0"
SAMPLE = SAMPLES / f"webapp-{RELEASE}"
DIGEST = orjson.loads((SAMPLE / "cosign-payload.json").read_bytes())["critical"]["image"]["docker-manifest-digest"]
IMAGE = f"registry.example.com/webapp@{DIGEST}"
TIMESTAMP = "2026-11-20T12:00:00Z"
ASSESSED = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
SIGNATURE_FILES = {"package.intoto.json", "package.sigstore.json"}
BUNDLE = CORPUS / "signatures" / "cosign-oci-attestation-v0.3-dsse.sigstore.json"


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def package_in_subprocess(out: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    command = [sys.executable, "-m", "evidence", "package", str(SAMPLE), "--image", IMAGE, "--release", RELEASE]
    command += ["--timestamp", TIMESTAMP, "--key", str(SAMPLE_KEY), "--out", str(out), "--zip", "--quiet"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def hand_package(hand_package: AuditPackage) -> AuditPackage:
    """The conftest package, with the summary and POA&M items evaluation records (renderers only look them up)."""
    return derive_recorded(hand_package)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample package made twice, by two processes, into two different directories."""
    first = tmp_path_factory.mktemp("run1") / "webapp"
    second = tmp_path_factory.mktemp("run2") / "webapp"
    package_in_subprocess(first)
    package_in_subprocess(second)
    return first, second


def write_key(path: Path, key: PrivateKeyTypes, password: bytes | None = None) -> tuple[Path, Path]:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    public = path.with_suffix(".pub")
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return path, public


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("keys")
    return {
        "p256": write_key(folder / "p256.pem", ec.generate_private_key(ec.SECP256R1())),
        "other": write_key(folder / "other.pem", ec.generate_private_key(ec.SECP256R1())),
    }


@pytest.fixture(scope="module")
def signed(
    two_runs: tuple[Path, Path], keys: dict[str, tuple[Path, Path]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    package = tmp_path_factory.mktemp("signed") / "webapp"
    shutil.copytree(two_runs[0], package)
    assert main(["sign", str(package), "--key", str(keys["p256"][0]), "--quiet"]) == 0
    return package


def fresh_copy(signed: Path, tmp_path: Path, name: str = "copy") -> Path:
    target = tmp_path / name
    shutil.copytree(signed, target)
    return target


def verify(package: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["verify", str(package), *args])
    return code, capsys.readouterr().out


# --- reproducible bytes --------------------------------------------------------------------------------------


def test_two_processes_give_identical_bytes_for_every_file(two_runs: tuple[Path, Path]) -> None:
    first, second = (files_of(run) for run in two_runs)
    assert sorted(first) == sorted(second)
    for name in ("audit.json", "oscal/assessment-results.json", "report.html", "report.pdf", "workbook.xlsx"):
        assert name in first
    assert any(name.startswith("evidence/") for name in first)
    different = [name for name in first if first[name] != second[name]]
    assert different == []
    zips = [run.with_name("webapp.zip").read_bytes() for run in two_runs]
    assert zips[0] == zips[1]


def test_zip_holds_the_package_with_fixed_times(two_runs: tuple[Path, Path]) -> None:
    package = two_runs[0]
    with zipfile.ZipFile(package.with_name("webapp.zip")) as archive:
        infos = archive.infolist()
        contents = {info.filename: archive.read(info) for info in infos}
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert contents == {f"webapp/{name}": data for name, data in files_of(package).items()}
    assert {i.date_time for i in infos} == {(2026, 11, 20, 12, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}


def test_the_oscal_documents_a_separate_process_writes_are_valid(two_runs: tuple[Path, Path]) -> None:
    """`fromline package` in a process of its own, where the tests' check of every OSCAL render (conftest) does not
    reach: its documents are checked here."""
    documents = sorted((two_runs[0] / "oscal").glob("*.json"))
    assert [d.name for d in documents] == ["assessment-results.json", "component-definition.json", "poam.json"]
    for document in documents:
        errors = oscal_schema_errors(orjson.loads(document.read_bytes()))
        assert not errors, f"{document}:\n" + "\n".join(errors[:20])


def test_every_workbook_has_fixed_entry_times(two_runs: tuple[Path, Path]) -> None:
    # XlsxWriter gives every entry of a workbook its own fixed time, 1980-01-31, and writes them in its own fixed
    # order; the workbook's creation time inside is the assessment time (tests/test_xlsx_writer.py).
    workbooks = sorted(two_runs[0].rglob("*.xlsx"))
    assert workbooks
    for book in workbooks:
        entries = []
        for run in two_runs:
            with zipfile.ZipFile(run / book.relative_to(two_runs[0])) as archive:
                entries.append([(i.filename, i.date_time) for i in archive.infolist()])
        assert {when for _, when in entries[0]} == {(1980, 1, 31, 0, 0, 0)}, book.name
        assert entries[0] == entries[1], book.name


# --- evidence copies and safe names --------------------------------------------------------------------------


def test_evidence_is_copied_and_linked_from_oscal(two_runs: tuple[Path, Path]) -> None:
    package = two_runs[0]
    audit = orjson.loads((package / "audit.json").read_bytes())
    oscal = orjson.loads((package / "oscal" / "assessment-results.json").read_bytes())
    resources = oscal["assessment-results"]["back-matter"]["resources"]
    links = {link["href"]: link for r in resources for link in r.get("rlinks", [])}
    sample_files = {f"{SAMPLE.name}/{p.name}": p.read_bytes() for p in SAMPLE.iterdir() if p.is_file()}
    assert {e["path"] for e in audit["evidence"]} == set(sample_files)
    for item in audit["evidence"]:
        stored = item["stored_as"]
        assert stored == f"evidence/{item['path']}"  # the sample names are safe already
        assert (package / stored).read_bytes() == sample_files[item["path"]]
        link = links[f"../{stored}"]
        assert link["hashes"] == [{"algorithm": "SHA-256", "value": sha256(sample_files[item["path"]])}]
    assert "In this package" in (package / "report.html").read_text()


def test_safe_relative_path() -> None:
    assert safe_relative_path("../../etc/pass wd") == "__/__/etc/pass_wd"
    assert safe_relative_path("/abs/x y (1).json") == "abs/x_y__1_.json"
    assert safe_relative_path("a\\..\\b") == "a_.._b"  # a backslash is part of a name, never a folder
    assert safe_relative_path("scan\\xff.json") == "scan_xff.json"  # a name that is not UTF-8, as shown
    assert safe_relative_path("./a/./b") == "a/b"
    assert safe_relative_path("é.json") == "_.json"
    assert safe_relative_path("") == "_"


def evidence(path: str, data: bytes, **facts: object) -> Evidence:
    digest = sha256(data)
    ident = "ev-" + sha256(f"{path}\0{digest}".encode())[:12]
    fields: dict[str, object] = {"kind": EvidenceKind.VULNERABILITY_SCAN, "format": "Trivy JSON", **facts}
    return Evidence(id=ident, path=path, sha256=digest, size=len(data), **fields)  # type: ignore[arg-type]


def test_stored_names_are_distinct_and_deterministic() -> None:
    items = [
        evidence("in/a b.json", b"1"),
        evidence("in/a_b.json", b"2"),
        evidence("in/A_B.json", b"3"),  # the same name on a case-insensitive file system
        evidence("x", b"4"),
        evidence("x/y", b"5"),  # would need the file x as a folder
    ]
    names = stored_names(items)
    assert names == stored_names(list(reversed(items)))
    assert sorted(names.values()) == sorted(
        ["evidence/in/A_B.json", "evidence/in/a_b-2.json", "evidence/in/a_b-3.json", "evidence/x", "evidence/x-2/y"]
    )


def test_hostile_paths_stay_inside_the_package(hand_package: AuditPackage, tmp_path: Path) -> None:
    contents = {"../up/a b.json": b'{"scan": 1}', "/etc/../../passwd": b"root", "in/ok.json": b"{}"}
    items = tuple(evidence(path, data) for path, data in contents.items())
    pkg = dataclasses.replace(
        hand_package,
        evidence=items,
        controls=(),
        vulnerabilities=(),
        contents={sha256(d): d for d in contents.values()},
    )
    out = tmp_path / "pkg"
    write_package(pkg, out, [Format.AUDIT_JSON, Format.OSCAL_ASSESSMENT_RESULTS])
    copies = {name: data for name, data in files_of(out).items() if name.startswith("evidence/")}
    assert copies == {
        "evidence/__/up/a_b.json": b'{"scan": 1}',
        "evidence/etc/__/__/passwd": b"root",
        "evidence/in/ok.json": b"{}",
    }
    assert not (tmp_path / "up").exists()
    audit = orjson.loads((out / "audit.json").read_bytes())
    assert {e["path"]: e["stored_as"] for e in audit["evidence"]} == {
        "../up/a b.json": "evidence/__/up/a_b.json",
        "/etc/../../passwd": "evidence/etc/__/__/passwd",
        "in/ok.json": "evidence/in/ok.json",
    }
    oscal = orjson.loads((out / "oscal" / "assessment-results.json").read_bytes())
    hrefs = {
        link["href"] for r in oscal["assessment-results"]["back-matter"]["resources"] for link in r.get("rlinks", [])
    }
    assert hrefs == {"../evidence/__/up/a_b.json", "../evidence/etc/__/__/passwd", "../evidence/in/ok.json"}


# --- signing and verification --------------------------------------------------------------------------------


def envelope_statement(package: Path) -> dict[str, object]:
    envelope = orjson.loads((package / "package.intoto.json").read_bytes())
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    statement: dict[str, object] = orjson.loads(base64.b64decode(envelope["payload"]))
    return statement


def test_signed_statement_covers_every_file_and_records_the_inputs(signed: Path) -> None:
    statement = envelope_statement(signed)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://fromline.dev/attestation/package/v1"
    on_disk = {name: sha256(data) for name, data in files_of(signed).items() if name not in SIGNATURE_FILES}
    subjects = statement["subject"]
    assert isinstance(subjects, list)
    assert {s["name"]: s["digest"]["sha256"] for s in subjects} == on_disk
    assert "manifest.json" in on_disk
    predicate = statement["predicate"]
    assert isinstance(predicate, dict)
    assert predicate["image"] == {"reference": IMAGE, "digest": DIGEST}
    assert predicate["assessed_at"] == TIMESTAMP
    inputs = {i["path"]: i["sha256"] for i in predicate["inputs"]}
    assert inputs == {f"{SAMPLE.name}/{p.name}": sha256(p.read_bytes()) for p in SAMPLE.iterdir() if p.is_file()}


def test_verify_passes_on_the_signed_package(
    signed: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = verify(signed, capsys, "--key", str(keys["p256"][1]))
    assert code == 0, out
    assert "signature: verified" in out
    code, out = verify(signed, capsys)
    assert code == 0, out
    assert "signature: not checked" in out


def test_one_changed_byte_in_any_file_fails_and_names_it(
    signed: Path, keys: dict[str, tuple[Path, Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = sorted(files_of(signed))
    assert len(names) >= 15  # 9 evidence copies, the renderings, the manifest and the signature
    for index, name in enumerate(names):
        package = fresh_copy(signed, tmp_path, f"copy{index}")
        target = package / name
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
        code, out = verify(package, capsys, "--key", str(keys["p256"][1]))
        assert code == 1, name
        assert name in out, (name, out)


def test_removed_file_is_named_missing(
    signed: Path, keys: dict[str, tuple[Path, Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = fresh_copy(signed, tmp_path)
    (package / "report.pdf").unlink()
    code, out = verify(package, capsys, "--key", str(keys["p256"][1]))
    assert code == 1
    assert "missing:  report.pdf" in out


def test_added_file_is_named_added(
    signed: Path, keys: dict[str, tuple[Path, Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = fresh_copy(signed, tmp_path)
    (package / "evidence" / "extra.json").write_bytes(b"{}")
    code, out = verify(package, capsys, "--key", str(keys["p256"][1]))
    assert code == 1
    assert "added:    evidence/extra.json" in out
    code, out = verify(package, capsys)  # the manifest alone finds it too
    assert code == 1
    assert "evidence/extra.json" in out


def test_wrong_key_fails(signed: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]) -> None:
    code, out = verify(signed, capsys, "--key", str(keys["other"][1]))
    assert code == 1
    assert "signature: FAILED" in out
    assert "package.intoto.json" in out
    assert str(keys["other"][1]) in out


def test_a_manifest_rewritten_to_match_is_caught_by_the_signature(
    signed: Path, keys: dict[str, tuple[Path, Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evidence.render import manifest  # noqa: PLC0415

    package = fresh_copy(signed, tmp_path)
    (package / "report.html").write_text("<p>all controls satisfied</p>")
    (package / "package.intoto.json").rename(tmp_path / "envelope")
    (package / "manifest.json").write_bytes(manifest(package))
    (tmp_path / "envelope").rename(package / "package.intoto.json")
    assert verify(package, capsys)[0] == 0  # consistent with its own manifest
    code, out = verify(package, capsys, "--key", str(keys["p256"][1]))
    assert code == 1
    assert "changed:  report.html" in out
    assert "changed:  manifest.json" in out


def test_verify_json_output(
    signed: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = verify(signed, capsys, "--key", str(keys["p256"][1]), "--json")
    result = orjson.loads(out)
    assert code == 0
    assert result["ok"] is True
    assert result["problems"] == []
    assert result["signature"]["verified"] is True
    assert result["files_checked"] == len(files_of(signed)) - 1  # the envelope is not a subject


def test_unsigned_package_fails_when_a_key_is_given(
    two_runs: tuple[Path, Path], keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = verify(two_runs[0], capsys, "--key", str(keys["p256"][1]))
    assert code == 1
    assert "package.intoto.json is missing" in out


def test_unreadable_inputs_exit_3(signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(tmp_path / "absent")]) == 3
    bad_key = tmp_path / "bad.pub"
    bad_key.write_text("not a key")
    assert main(["verify", str(signed), "--key", str(bad_key)]) == 3
    not_a_package = tmp_path / "plain"
    not_a_package.mkdir()
    (not_a_package / "a.txt").write_text("a")
    assert main(["verify", str(not_a_package)]) == 3
    assert "no manifest.json" in capsys.readouterr().err


def test_sign_refuses_a_package_that_does_not_match_its_manifest(
    signed: Path, keys: dict[str, tuple[Path, Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = fresh_copy(signed, tmp_path)
    (package / "audit.json").write_bytes(b"{}")
    assert main(["sign", str(package), "--key", str(keys["p256"][0])]) == 3
    assert "audit.json has changed" in capsys.readouterr().err


@pytest.mark.parametrize(
    "make_key",
    [
        lambda: ec.generate_private_key(ec.SECP384R1()),
        ed25519.Ed25519PrivateKey.generate,
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    ],
    ids=["p384", "ed25519", "rsa2048"],
)
def test_other_key_types_sign_and_verify(
    make_key: object, signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert callable(make_key)
    private, public = write_key(tmp_path / "key.pem", make_key())
    package = fresh_copy(signed, tmp_path)
    assert main(["sign", str(package), "--key", str(private), "--quiet"]) == 0
    code, out = verify(package, capsys, "--key", str(public))
    assert code == 0, out


def test_encrypted_key_takes_its_password_from_the_environment(
    signed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    private, public = write_key(tmp_path / "enc.pem", ec.generate_private_key(ec.SECP256R1()), b"correct horse")
    package = fresh_copy(signed, tmp_path)
    assert main(["sign", str(package), "--key", str(private)]) == 3
    assert "--key-password-env" in capsys.readouterr().err
    monkeypatch.setenv("TEST_KEY_PASSWORD", "wrong")
    assert main(["sign", str(package), "--key", str(private), "--key-password-env", "TEST_KEY_PASSWORD"]) == 3
    assert "cannot be decrypted" in capsys.readouterr().err
    monkeypatch.setenv("TEST_KEY_PASSWORD", "correct horse")
    assert main(["sign", str(package), "--key", str(private), "--key-password-env", "TEST_KEY_PASSWORD", "-q"]) == 0
    assert verify(package, capsys, "--key", str(public))[0] == 0
    assert main(["sign", str(package), "--key", str(private), "--key-password-env", "UNSET_TEST_VARIABLE"]) == 2


# --- keyless -------------------------------------------------------------------------------------------------


def test_keyless_argument_handling(signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No test reaches the network: a token that is not a JWT is refused before sigstore is contacted."""
    package = fresh_copy(signed, tmp_path)
    assert main(["sign", str(package), "--identity-token", "not-a-token"]) == 3
    assert "not a usable OIDC identity token" in capsys.readouterr().err
    assert not (package / "package.sigstore.json").exists()
    usage_errors = [
        ["sign", str(package)],
        ["sign", str(package), "--key", "k.pem", "--identity-token", "t"],
        ["sign", str(package), "--identity-token-env", "UNSET_TEST_VARIABLE"],
        ["sign", str(package), "--identity-token", "t", "--key-password-env", "X"],
        ["verify", str(package), "--identity", "someone@example.com"],
        ["verify", str(package), "--issuer", "https://accounts.google.com"],
        ["verify", str(package), "--key", "k.pub", "--identity", "a", "--issuer", "b"],
        ["verify", str(package), "--staging"],
    ]
    for argv in usage_errors:
        assert main(argv) == 2, argv


def bundle_signer() -> tuple[str, str]:
    """The corpus bundle's certificate identity (an e-mail SAN) and OIDC issuer (Fulcio's v1 extension)."""
    bundle = orjson.loads(BUNDLE.read_bytes())
    material = bundle["verificationMaterial"]
    raw = (
        material["certificate"]["rawBytes"]
        if "certificate" in material
        else material["x509CertificateChain"]["certificates"][0]["rawBytes"]
    )
    cert = x509.load_der_x509_certificate(base64.b64decode(raw))
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    issuer = cert.extensions.get_extension_for_oid(ObjectIdentifier("1.3.6.1.4.1.57264.1.1")).value
    assert isinstance(issuer, x509.UnrecognizedExtension)
    return san.get_values_for_type(x509.RFC822Name)[0], issuer.value.decode()


def test_keyless_bundle_is_verified_offline(signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A real sigstore bundle verifies offline, but its statement is not this package's: verification fails."""
    identity, issuer = bundle_signer()
    package = fresh_copy(signed, tmp_path)
    shutil.copy(BUNDLE, package / "package.sigstore.json")
    code, out = verify(package, capsys, "--identity", identity, "--issuer", issuer)
    assert code == 1
    assert f"verified offline, signed by {identity}" in out
    assert "not an in-toto statement of type https://in-toto.io/Statement/v1" in out
    code, out = verify(package, capsys, "--identity", "someone@example.com", "--issuer", issuer)
    assert code == 1
    assert "does not accept" in out
    (package / "package.sigstore.json").unlink()
    code, out = verify(package, capsys, "--identity", identity, "--issuer", issuer)
    assert code == 1
    assert "package.sigstore.json is missing" in out


# --- freshness -----------------------------------------------------------------------------------------------


def assess(items: list[Evidence], profile_params: Parameters | None = None) -> AuditPackage:
    profile = load_profile("default")
    if profile_params is not None:
        profile = dataclasses.replace(profile, parameters=profile_params)
    catalogs = [load_catalog(name, CHECKS) for name in profile.catalogs]
    image = ImageRef(reference=IMAGE, name="registry.example.com/webapp", digest=DIGEST, release=RELEASE)
    return evaluate(catalogs, profile, EvidenceSet(items=tuple(items)), image=image, now=ASSESSED)


def clean_scan(age: timedelta) -> Evidence:
    return evidence(
        "scans/trivy.json",
        b"{}",
        tool="trivy",
        subjects=(DIGEST,),
        binding=Binding.MATCH,
        collected_at=ASSESSED - age,
        database_updated=ASSESSED - age,
    )


def control(pkg: AuditPackage, control_id: str) -> tuple[Status, str, dict[str, tuple[Status, str]]]:
    found = next(c for c in pkg.controls if c.control_id == control_id)
    return found.status, found.reason, {c.check: (c.status, c.reason) for c in found.checks}


def test_a_fresh_scan_satisfies_4_1_1() -> None:
    pkg = assess([clean_scan(timedelta(days=2))])
    status, reason, _ = control(pkg, "4.1.1")
    assert status is Status.SATISFIED, reason
    (scan,) = pkg.evidence
    assert scan.stale is False
    assert scan.expires == ASSESSED - timedelta(days=2) + timedelta(days=30)


def test_a_scan_older_than_30_days_is_stale_and_4_1_1_not_satisfied() -> None:
    pkg = assess([clean_scan(timedelta(days=31))])
    status, reason, checks = control(pkg, "4.1.1")
    collected = (ASSESSED - timedelta(days=31)).strftime("%Y-%m-%d")
    note = f"Evidence is stale: scans/trivy.json collected {collected}, older than 30 days."
    assert status is Status.NOT_SATISFIED
    assert note in reason
    # A check the scan alone would satisfy is no longer satisfied, and says why.
    present_status, present_reason = checks["vulnscan.present"]
    assert present_status is Status.NOT_SATISFIED
    assert present_reason.endswith(note)
    (scan,) = pkg.evidence
    assert scan.stale is True
    oscal = orjson.loads(render_bytes(pkg))
    (observation,) = [
        o
        for o in oscal["assessment-results"]["results"][0]["observations"]
        if any(p["name"] == "evidence-id" and p["value"] == scan.id for p in o.get("props", []))
    ]
    assert observation["collected"] == f"{collected}T12:00:00Z"
    expires = (ASSESSED - timedelta(days=1)).strftime("%Y-%m-%d")
    assert observation["expires"] == f"{expires}T12:00:00Z"
    assert {"name": "freshness", "ns": "https://fromline.dev/ns/oscal", "value": "stale"} in observation["props"]


def test_only_the_scan_limit_is_the_stale_boundary_and_kinds_without_a_limit_never_expire() -> None:
    limits = Parameters.model_validate({"max_age_days": {"sbom": None, "provenance": 365}}).max_age_days
    assert limits[EvidenceKind.VULNERABILITY_SCAN] == 30
    assert limits[EvidenceKind.VEX] == 90
    items = [
        clean_scan(timedelta(days=30)),  # exactly at the limit: still current
        evidence("sbom.json", b"s", kind=EvidenceKind.SBOM, collected_at=ASSESSED - timedelta(days=400)),
        evidence("prov.json", b"p", kind=EvidenceKind.PROVENANCE, collected_at=ASSESSED - timedelta(days=366)),
        evidence("Dockerfile", b"d", kind=EvidenceKind.DOCKERFILE),
        evidence("undated.json", b"u", kind=EvidenceKind.VEX),
    ]
    marked = {e.path: e for e in mark_freshness(items, limits, ASSESSED)}
    assert marked["scans/trivy.json"].stale is False
    assert marked["sbom.json"].stale is False
    assert marked["sbom.json"].expires is None
    assert marked["prov.json"].stale is True
    assert marked["Dockerfile"].expires is None
    assert marked["undated.json"].expires is None
    assert Parameters(max_scan_age_days=14).max_age_days[EvidenceKind.VULNERABILITY_SCAN] == 14
