"""The command line as users' other tools taught them: closed pipes, `-` for standard streams, `version`,
shell completion, and usage errors returned as exit code 2."""

from __future__ import annotations

import importlib.metadata
import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from conftest import SAMPLES

import evidence.collectors
from evidence import __version__
from evidence.cli import main
from evidence.cli.completion import SHELLS
from evidence.cli.version import KEY_DEPENDENCIES

SAMPLE = SAMPLES / "webapp-1.4.0"
FROMLINE = [sys.executable, "-m", "evidence"]
PIPE_CLOSED = 141
# As users run it: standard output buffered, so that a closed pipe can also show only at the final flush.
BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def run_with_closed_stdout(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    """Run the command with its standard output a pipe whose reader has already gone, as `| head` leaves it."""
    with subprocess.Popen([*FROMLINE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=BUFFERED) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdout.close()  # the only reader: every write of the command now fails with EPIPE
        err = proc.stderr.read()
        code = proc.wait(timeout=120)
    return subprocess.CompletedProcess(proc.args, code, b"", err)


def sample_diff_args(sample_package: Callable[..., Path]) -> list[str]:
    return ["diff", str(sample_package("1.3.0")), str(sample_package("1.4.0"))]


# --- closed pipes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["controls", "list"], ["controls", "list", "--json"], ["inspect", "--json", str(SAMPLE)], ["version"]],
    ids=" ".join,
)
def test_a_closed_pipe_ends_the_command_quietly(args: list[str]) -> None:
    done = run_with_closed_stdout(args)
    assert done.stderr == b""  # no traceback, no "Exception ignored"
    assert done.returncode == PIPE_CLOSED


def test_diff_into_a_closed_pipe_ends_quietly(sample_package: Callable[..., Path]) -> None:
    for extra in ([], ["--format", "json"], ["--output", "-"]):
        done = run_with_closed_stdout([*sample_diff_args(sample_package), *extra])
        assert (done.returncode, done.stderr) == (PIPE_CLOSED, b""), extra


def test_head_reads_the_first_line_and_nothing_complains() -> None:
    command = " ".join([*FROMLINE, "inspect", "--json", str(SAMPLE)])
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command} | head -1"],
        capture_output=True,
        check=False,
        timeout=120,
        env=BUFFERED,
    )
    assert done.stdout == b"[\n"
    assert done.stderr == b""
    assert done.returncode in (0, PIPE_CLOSED)  # 0 when the whole output fitted in the pipe before head left


def test_a_broken_pipe_in_process_returns_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    class ClosedPipe(io.StringIO):
        def write(self, _text: str) -> int:
            raise BrokenPipeError

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["controls", "list"]) == PIPE_CLOSED


# --- `-` for standard output and standard input -----------------------------------------------------------


def test_diff_output_dash_is_standard_output(
    sample_package: Callable[..., Path],
    capsysbinary: pytest.CaptureFixture[bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = [*sample_diff_args(sample_package), "--format", "json"]
    assert main(args) == 0
    default = capsysbinary.readouterr().out
    assert orjson.loads(default)["new"]["release"] == "1.4.0"
    for option in ("-o", "--output"):
        assert main([*args, option, "-"]) == 0
        assert capsysbinary.readouterr().out == default, option
    monkeypatch.chdir(tmp_path)
    assert main([*args, "--output", "./-"]) == 0  # a file that is really named "-" is still reachable
    assert capsysbinary.readouterr().out == b""
    assert (tmp_path / "-").read_bytes() == default


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_inspect_reads_standard_input_as_one_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, (SAMPLE / "trivy.json").read_bytes())
    assert main(["inspect", "--json", "-", str(SAMPLE / "sbom.cdx.json")]) == 0
    entries = orjson.loads(capsys.readouterr().out)
    by_path = {e["path"]: e for e in entries}
    assert set(by_path) == {"<stdin>", "sbom.cdx.json"}
    assert by_path["<stdin>"]["kind"] == "vulnerability-scan"
    assert by_path["<stdin>"]["format"] == "Trivy JSON"
    assert by_path["<stdin>"]["counts"]["vulnerabilities"] > 0


def test_inspect_standard_input_in_a_real_pipe() -> None:
    done = subprocess.run(
        [*FROMLINE, "inspect", "-"],
        input=(SAMPLE / "openvex.json").read_bytes(),
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines()[:2] == ["<stdin>", "  kind: vex; format: OpenVEX 0.2.0; tool: not stated"]


def test_inspect_standard_input_is_bounded_like_a_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(evidence.collectors, "MAX_FILE_BYTES", 100)
    _stdin(monkeypatch, b"{" + b" " * 200 + b"}")
    assert main(["inspect", "-"]) == 3
    assert capsys.readouterr().err == "fromline: error: <stdin>: is over the 100-byte limit for one evidence file\n"


def test_inspect_unknown_standard_input_is_listed_as_skipped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, b"hello\n")
    assert main(["inspect", "-"]) == 0
    assert capsys.readouterr().out == "<stdin>\n  skipped: not a recognized evidence format\n"


def test_inspect_standard_input_once_and_a_file_named_dash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _stdin(monkeypatch, b"")
    assert main(["inspect", "-", "-"]) == 2
    assert "- (standard input) can be given once" in capsys.readouterr().err
    (tmp_path / "-").write_bytes((SAMPLE / "openvex.json").read_bytes())
    monkeypatch.chdir(tmp_path)
    assert main(["inspect", "./-"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "-"


# --- version ------------------------------------------------------------------------------------------------


def test_version_json_names_python_and_the_key_libraries(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version", "--json"]) == 0
    found = orjson.loads(capsys.readouterr().out)
    assert found["fromline"] == __version__
    assert found["python"] == ".".join(map(str, sys.version_info[:3]))
    assert list(found["dependencies"]) == [
        "sigstore",
        "typst",
        "xlsxwriter",
        "pydantic",
        "jinja2",
        "cryptography",
    ]
    for name, shown in found["dependencies"].items():
        assert shown == importlib.metadata.version(name), name


def test_version_text_and_the_version_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"fromline {__version__}"
    assert lines[1].startswith(f"python {sys.version_info[0]}.{sys.version_info[1]}.")
    assert [line.split()[0] for line in lines[2:]] == list(KEY_DEPENDENCIES)
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"fromline {__version__}\n"


def test_version_imports_none_of_the_libraries_it_names() -> None:
    probe = (
        "import sys; from evidence.cli import main; main(['version', '--json']); "
        f"print(sorted(n for n in {list(KEY_DEPENDENCIES)!r} if n in sys.modules), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "[]"


# --- shell completion ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_prints_the_shell_code(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", shell]) == 0
    code = capsys.readouterr().out
    assert "_ARGCOMPLETE" in code  # the code calls fromline back to ask for completions
    expected = {
        "bash": "complete -o nospace -o default -o bashdefault -F _python_argcomplete fromline",
        "zsh": "#compdef fromline",
        "fish": "complete --command fromline",
    }
    assert expected[shell] in code


def test_bash_accepts_the_bash_completion_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    script = tmp_path / "fromline.bash"
    script.write_text(capsys.readouterr().out, encoding="utf-8")
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = subprocess.run(
        ["bash", "-c", f"source {script} && complete -p fromline"], capture_output=True, text=True, check=False
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "_python_argcomplete fromline" in loaded.stdout


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("fromline con", ["controls"]),
        ("fromline controls ", ["-h", "--help", "list", "show", "validate"]),
        ("fromline diff --fo", ["--format"]),
        ("fromline completion ", ["-h", "--help", "bash", "zsh", "fish"]),
        ("fromline version --j", ["--json"]),
    ],
)
def test_completion_answers_from_the_parser(line: str, expected: list[str], tmp_path: Path) -> None:
    """What the shell code does on TAB: call fromline with the line in the environment, read the answers."""
    answers = tmp_path / "answers"
    env = os.environ | {
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_IFS": "\n",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "_ARGCOMPLETE_STDOUT_FILENAME": str(answers),
    }
    done = subprocess.run(FROMLINE, env=env, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert answers.read_text(encoding="utf-8").split() == expected


# --- usage errors are a return value -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-command"], "invalid choice: 'no-such-command'"),
        (["controls", "show", "9.9.9"], "no catalog or control with id '9.9.9'"),
        (["inspect"], "the following arguments are required: FILE_OR_DIR"),
        (["completion", "powershell"], "invalid choice: 'powershell'"),
        (["version", "--yaml"], "unrecognized arguments: --yaml"),
        (["sign", "pkg", "--key", "k.pem", "--staging"], "--staging applies to keyless signing"),
        (
            ["verify", "pkg", "--identity", "someone@example.com"],
            "--identity (or --certificate-identity-regexp) and --issuer go together",
        ),
        (["diff", "a", "b", "--fail-on", "bogus"], "unknown: bogus"),
        (["package", "x", "--image", "webapp:latest", "--out", "o"], "--image must be REF@sha256"),
        (["package", "x", "--image", f"w@sha256:{'0' * 64}", "--out", "-"], "a package cannot go to standard output"),
    ],
)
def test_usage_errors_are_returned_as_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2  # returned: a SystemExit would fail this test
    err = capsys.readouterr().err
    assert err.startswith("usage: fromline")
    assert message in err
    assert err.count("error:") == 1


def test_help_returns_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "141  standard output was closed early" in capsys.readouterr().out
    for command in ("version", "completion", "inspect"):
        assert main([command, "--help"]) == 0
        assert f"usage: fromline {command}" in capsys.readouterr().out


def test_usage_error_messages_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["controls", "show", "a\nfromline: error: forged"]) == 2
    err = capsys.readouterr().err
    assert "a\\nfromline: error: forged" in err
    assert err.count("error:") == 2  # the real one, and the forged text shown escaped on the same line
    assert len(err.splitlines()) == 2  # the usage line and the error
