"""Runs that end well at the edges: dates at the calendar's end, a run stopped by a signal, `diff --output`, and
evidence that names tens of thousands of digests.

A scan dated in year 9999 is packaged (its deadlines held at the calendar's last moment, the scan flagged as
dated after the assessment); an assessment time outside the years 1900 to 2999 is a usage error. SIGINT and
SIGTERM stop a real `fromline package` process with exit code 130 or 143 and one line on standard error, and
leave nothing beside `--out`.
"""

from __future__ import annotations

import base64
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import orjson
import pytest
from conftest import CORPUS, REPO, SAMPLES, SamplePackages, sample_package_args

from evidence.cli import Stopped, main
from evidence.cli.options import parse_timestamp
from evidence.collectors.image_config import DockerInspect
from evidence.collectors.interface import Document
from evidence.collectors.provenance import InTotoAttestation
from evidence.collectors.sigstore_bundle import SigstoreBundle
from evidence.lifecycle.sla import EARLIEST, LATEST, add_days
from evidence.render import replace_file
from evidence.render.canonical import load_package

CALENDAR_END = "9999-12-31T23:59:59Z"
SCANS = {"trivy.json": ("CreatedAt",), "grype.json": ("descriptor", "timestamp")}  # where each scan says when it ran
FROMLINE = [sys.executable, "-m", "evidence"]


def test_add_days_holds_at_the_calendars_edge() -> None:
    moment = datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert add_days(moment, 30) == datetime(2026, 12, 20, 12, tzinfo=UTC)
    assert add_days(datetime(9999, 12, 31, tzinfo=UTC), 30) == LATEST
    assert add_days(datetime(1, 1, 1, tzinfo=UTC), -1) == EARLIEST
    assert add_days(moment, 10**9) == LATEST  # days beyond what a timedelta holds


def _dated_scan(folder: Path, scan: str, when: str) -> Path:
    """The 1.4.0 sample with one of its two scans, dated `when`: the scan alone dates every finding."""
    shutil.copytree(SAMPLES / "webapp-1.4.0", folder, ignore=shutil.ignore_patterns(*(set(SCANS) - {scan})))
    data = orjson.loads((folder / scan).read_bytes())
    *parents, key = SCANS[scan]
    dated = data
    for parent in parents:
        dated = dated[parent]
    dated[key] = when
    (folder / scan).write_bytes(orjson.dumps(data))
    return folder


@pytest.mark.parametrize("scan", sorted(SCANS))
def test_a_scan_dated_at_the_calendars_end_is_packaged(
    scan: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = sample_package_args("1.4.0", tmp_path / "out")
    args[1] = str(_dated_scan(tmp_path / "in", scan, CALENDAR_END))
    assert main(args) == 0, capsys.readouterr().err
    assert "Traceback" not in capsys.readouterr().err

    pkg = load_package(tmp_path / "out" / "audit.json")
    open_records = [v for v in pkg.vulnerabilities if v.due is not None]
    assert open_records
    assert all(v.due == LATEST and not v.overdue for v in open_records)
    (fresh,) = [c for c in pkg.controls if "dated after the assessment time" in c.reason]
    assert fresh.status == "not-satisfied"
    assert "(9999-12-31)" in fresh.reason


@pytest.mark.parametrize("value", [CALENDAR_END, "3000-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "0001-01-01"])
@pytest.mark.parametrize("command", ["package", "diff"])
def test_timestamp_outside_the_years_1900_to_2999_is_a_usage_error(
    command: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = sample_package_args("1.4.0", tmp_path)[3]
    sample = str(SAMPLES / "webapp-1.4.0")
    if command == "package":
        argv = ["package", sample, "--image", image, "--out", str(tmp_path / "out"), "--timestamp", value]
    else:
        argv = ["diff", sample, sample, "--old-image", image, "--new-image", image, "--timestamp", value]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == f"fromline: error: --timestamp must be in the years 1900 to 2999: {value!r}"
    assert not (tmp_path / "out").exists()


def test_source_date_epoch_after_2999_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = sample_package_args("1.4.0", tmp_path / "out")
    at = args.index("--timestamp")
    del args[at : at + 2]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "253402300799")  # 9999-12-31T23:59:59Z
    assert main(args) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "fromline: error: SOURCE_DATE_EPOCH must be before the year 3000: '253402300799'"
    )


def test_the_years_1900_to_2999_are_assessment_times() -> None:
    assert parse_timestamp("1900-01-01T00:00:00Z") == datetime(1900, 1, 1, tzinfo=UTC)
    # 3000-01-01 in UTC: the year as given counts, and the time is still far from the calendar's end
    assert parse_timestamp("2999-12-31T23:59:59-05:00") == datetime(3000, 1, 1, 4, 59, 59, tzinfo=UTC)


# --- stopped by a signal -------------------------------------------------------------------------------------


def _wait_for_staging(parent: Path, proc: subprocess.Popen[bytes]) -> None:
    """Until the package's staging directory (`.out.XXXX`) appears beside `--out`: the run is writing."""
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".out.") for p in parent.iterdir()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.005)


@pytest.mark.parametrize(
    ("signum", "code", "line"),
    [(signal.SIGTERM, 143, "fromline: terminated"), (signal.SIGINT, 130, "fromline: interrupted")],
    ids=["SIGTERM", "SIGINT"],
)
@pytest.mark.parametrize("earlier", [False, True], ids=["new", "replacing"])
def test_a_stopped_package_run_leaves_nothing_beside_out(  # noqa: PLR0913, PLR0917 - three of them parameters
    signum: int, code: int, line: str, earlier: bool, tmp_path: Path, sample_package: SamplePackages
) -> None:
    parent = tmp_path / "packages"
    parent.mkdir()
    out = parent / "out"
    before: dict[str, bytes] = {}
    if earlier:  # a package from an earlier run stays as it was
        shutil.copytree(sample_package("1.4.0"), out)
        before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    with subprocess.Popen(
        [*FROMLINE, *sample_package_args("1.4.0", out)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        _wait_for_staging(parent, proc)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert err.decode().splitlines() == [line]
    assert sorted(p.name for p in parent.iterdir()) == (["out"] if earlier else [])
    if earlier:
        assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_keyboard_interrupt_is_one_line_and_exit_130(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C where the command's own handler is not installed (a thread other than the main one, say)."""

    def interrupted(_argv: list[str] | None) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("evidence.cli._run", interrupted)
    assert main(["version"]) == 130
    assert capsys.readouterr().err == "fromline: interrupted\n"


def test_main_puts_the_signal_handlers_back() -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    main(["version"])
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


# --- diff --output -------------------------------------------------------------------------------------------


@pytest.fixture
def two_packages(sample_package: SamplePackages) -> tuple[Path, Path]:
    return sample_package("1.3.0"), sample_package("1.4.0")


def test_diff_output_replaces_the_file_whole(two_packages: tuple[Path, Path], tmp_path: Path) -> None:
    target = tmp_path / "diff.md"
    target.write_text("an earlier diff\n")
    assert main(["diff", *map(str, two_packages), "--output", str(target)]) == 0
    assert target.read_text().startswith("### Fromline: changes since ` 1.3.0 `")
    assert [p.name for p in tmp_path.iterdir()] == ["diff.md"]


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), Stopped(signal.SIGTERM)], ids=repr)
def test_a_replaced_file_that_fails_midway_stays_as_it_was(failure: BaseException, tmp_path: Path) -> None:
    """A write that fails half way (a full disk, a signal) removes the partial file; the earlier one stays whole."""
    target = tmp_path / "diff.md"
    target.write_text("an earlier diff\n")

    def half_then_fail(out: BinaryIO) -> None:
        out.write(b"# half a diff")
        raise failure

    with pytest.raises(type(failure)):
        replace_file(target, half_then_fail)
    assert target.read_text() == "an earlier diff\n"
    assert [p.name for p in tmp_path.iterdir()] == ["diff.md"]


def test_diff_output_that_cannot_be_put_in_place_leaves_the_earlier_file(
    two_packages: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "diff.md"
    target.write_text("an earlier diff\n")

    def disk_full(_source: object, _target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", disk_full)
    assert main(["diff", *map(str, two_packages), "--output", str(target)]) == 4
    assert capsys.readouterr().err == f"fromline: error: {target}: cannot write the diff: No space left on device\n"
    assert target.read_text() == "an earlier diff\n"
    assert [p.name for p in tmp_path.iterdir()] == ["diff.md"]


def test_diff_output_into_a_missing_folder_is_an_output_failure(
    two_packages: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "diff.md"
    assert main(["diff", *map(str, two_packages), "--output", str(target)]) == 4
    assert capsys.readouterr().err.startswith(f"fromline: error: {target}: cannot write the diff: ")


# --- evidence naming very many digests: each once, in the order listed, in linear time (see bench/) ------------

MANY = 40_000
DISTINCT = 30_000  # the last 10,000 repeat the first ones


def _digest(i: int) -> str:
    return f"sha256:{i % DISTINCT:064x}"


def test_an_in_toto_statement_with_40000_subjects_names_each_once_in_order() -> None:
    envelope = orjson.loads((SAMPLES / "webapp-1.4.0" / "provenance.intoto.json").read_bytes())
    body = orjson.loads(base64.b64decode(envelope["payload"]))
    body["subject"] = [
        {"name": f"registry.example.com/webapp-{i}", "digest": {"sha256": _digest(i).removeprefix("sha256:")}}
        for i in range(MANY)
    ]
    doc = Document(path="statement.intoto.json", data=orjson.dumps(body))
    assert InTotoAttestation().sniff(doc)
    assert InTotoAttestation().parse(doc).subjects == tuple(_digest(i) for i in range(DISTINCT))


def test_cosign_verify_output_with_80000_entries_names_each_digest_once_in_order() -> None:
    signatures = CORPUS / "signatures"
    payload = orjson.loads((signatures / "cosign-simple-signing-payload.json").read_bytes())
    optional = {
        "Bundle": orjson.loads((signatures / "cosign-rekor-bundle-set.json").read_bytes()),
        "Issuer": "https://github.com/login/oauth",
        "Subject": "mitr@redhat.com",
    }
    critical = payload["critical"]
    entries = [
        {
            **payload,
            "critical": {**critical, "image": {"docker-manifest-digest": _digest(i // 2)}},
            "optional": optional,
        }
        for i in range(2 * MANY)
    ]
    doc = Document(path="cosign-verify.json", data=orjson.dumps(entries))
    assert SigstoreBundle().sniff(doc)
    item = SigstoreBundle().parse(doc)
    assert item.subjects == tuple(_digest(i) for i in range(DISTINCT))
    assert item.signature is not None
    assert item.signature.signed_digest is None  # many digests: none is the one signed
    assert item.signature.identity == "mitr@redhat.com"


def test_cosign_verify_output_naming_one_digest_many_times_signs_that_digest() -> None:
    payload = orjson.loads((SAMPLES / "webapp-1.4.0" / "cosign-payload.json").read_bytes())
    item = SigstoreBundle().parse(Document(path="cosign-verify.json", data=orjson.dumps([payload] * 3)))
    signed = payload["critical"]["image"]["docker-manifest-digest"]
    assert item.subjects == (signed,)
    assert item.signature is not None
    assert item.signature.signed_digest == signed


def test_docker_inspect_names_each_repo_digest_once_in_order() -> None:
    first, second = _digest(1), _digest(2)
    inspect = [{"Id": _digest(9), "RepoDigests": [f"r/a@{second}", f"r/b@{first}", f"r/c@{second}"], "Config": {}}]
    item = DockerInspect().parse(Document(path="inspect.json", data=orjson.dumps(inspect)))
    assert item.subjects == (second, first)
