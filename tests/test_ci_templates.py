"""The GitHub Action (action.yml) and the GitLab CI template (ci/gitlab/fromline.gitlab-ci.yml).

Read: inputs reach shell steps through `env:` only, every action is pinned by commit, every output comes from a
step that writes it. Run: their shell steps, with a stand-in `fromline` on PATH that records its arguments, which
Fromline's own parser must then accept; and the GitLab note, posted to a local HTTP server.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO

from evidence.cli import build_parser
from evidence.cli.options import UsageError
from evidence.cli.settings import SETTINGS

ACTION = REPO / "action.yml"
GITLAB = REPO / "ci" / "gitlab" / "fromline.gitlab-ci.yml"
IMAGE = "registry.example.com/webapp@sha256:443eebbdc163dfdc0d40e185574019e4bfbe4eac2b13b7257d91f53c990ff80f"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SETTING_VARIABLES = {f"FROMLINE_{setting.dest.upper()}" for setting in SETTINGS}

# A stand-in for fromline: it appends its arguments to $FAKE_FROMLINE_LOG, writes the package folder or the diff
# file it is asked for, and a diff exits with $FAKE_DIFF_STATUS.
FAKE_FROMLINE = """\
import json, os, sys
from pathlib import Path
args = sys.argv[1:]
with open(os.environ["FAKE_FROMLINE_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\\n")
if args[0] == "package" and "--out" in args:
    out = Path(args[args.index("--out") + 1])
    out.mkdir(parents=True, exist_ok=True)
    (out / "audit.json").write_text("{}", encoding="utf-8")
elif args[0] == "diff" and "--output" in args:
    Path(args[args.index("--output") + 1]).write_text("## Fromline: changes\\n", encoding="utf-8")
if args[0] == "diff":
    sys.exit(int(os.environ.get("FAKE_DIFF_STATUS", "0")))
"""


def _action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return loaded


def _step(step_id: str) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in _action()["runs"]["steps"] if s.get("id") == step_id)
    return step


def _parsed(argv: list[str]) -> Any:
    """Fromline's parser on `argv`, as `fromline` would parse it; a usage error fails the test naming it."""
    try:
        return build_parser().parse_args(argv)
    except UsageError as error:  # pragma: no cover - the failure message
        pytest.fail(f"fromline {' '.join(argv)}: {error}")


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """A folder for PATH with the stand-in fromline, and python naming this interpreter."""
    folder = tmp_path / "bin"
    folder.mkdir()
    fromline = folder / "fromline"
    fromline.write_text(f"#!{sys.executable}\n{FAKE_FROMLINE}", encoding="utf-8")
    fromline.chmod(0o755)
    (folder / "python").symlink_to(sys.executable)
    return folder


def _calls(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def _outputs(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return dict(line.split("=", 1) for line in text.splitlines())


def _package(package: Path) -> Path:
    package.mkdir(parents=True)
    (package / "audit.json").write_text("{}", encoding="utf-8")
    return package


def _shell(
    argv: list[str], workspace: Path, fake_bin: Path, env: dict[str, str], diff_status: int
) -> subprocess.CompletedProcess[str]:
    """A shell script in `workspace`, with the stand-in fromline first on PATH and `env` besides."""
    base = {
        "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(workspace.parent),
        "FAKE_FROMLINE_LOG": str(workspace.parent / "fromline.log"),
        "FAKE_DIFF_STATUS": str(diff_status),
    }
    return subprocess.run(argv, cwd=workspace, env=base | env, capture_output=True, text=True, check=False, timeout=60)


# -- action.yml, read ----------------------------------------------------------------------------------------------


def test_the_action_parses_with_the_inputs_and_outputs_it_documents() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    assert {
        "evidence",
        "image",
        "key",
        "policy",
        "profile",
        "previous-package",
        "formats",
        "out",
        "python-version",
        "fail-on",
    } <= action["inputs"].keys()
    assert action["inputs"]["out"]["default"] == "fromline-package"
    assert action["inputs"]["evidence"]["required"] is True
    assert action["inputs"]["image"]["required"] is True
    assert action["outputs"].keys() == {"package", "diff"}


def test_no_expression_is_expanded_inside_a_run_script() -> None:
    """`${{ inputs.x }}` in `run:` is pasted into the script before bash reads it: script injection."""
    for step in _action()["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], f"step {step.get('name')}: an expression inside run:"
            assert step["shell"] == "bash"


def test_every_input_is_declared_and_used() -> None:
    action = _action()
    text = ACTION.read_text(encoding="utf-8")
    used = set(re.findall(r"\binputs\.([\w-]+)", text))
    assert used == set(action["inputs"]), (used, set(action["inputs"]))


def test_every_step_output_read_is_written_by_that_step() -> None:
    steps = {s["id"]: s for s in _action()["runs"]["steps"] if "id" in s}
    text = ACTION.read_text(encoding="utf-8")
    read = set(re.findall(r"\bsteps\.([\w-]+)\.outputs\.([\w-]+)", text))
    assert ("package", "package") in read
    assert ("diff", "diff") in read
    for step_id, name in read:
        assert step_id in steps, f"steps.{step_id}: no step has that id"
        step = steps[step_id]
        if "run" in step:
            assert re.search(rf'echo "{re.escape(name)}=', step["run"]), f"step {step_id} never writes {name}"
        else:  # an action's own output
            assert (step_id, name) == ("python", "python-path")


def test_every_action_used_is_pinned_by_commit_and_names_its_tag() -> None:
    uses = [line.strip() for line in ACTION.read_text(encoding="utf-8").splitlines() if "uses:" in line]
    assert len(uses) == 3
    for line in uses:
        assert re.fullmatch(r"(?:- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), line
    names = {line.split("uses: ")[1].split("@")[0] for line in uses}
    assert names == {"actions/setup-python", "actions/upload-artifact", "github/codeql-action/upload-sarif"}


def test_the_sarif_comment_and_gate_steps_run_only_when_they_apply() -> None:
    steps = _action()["runs"]["steps"]
    sarif = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert "hashFiles(" in sarif["if"]
    assert "fromline.sarif" in sarif["if"]
    assert sarif["with"]["sarif_file"].endswith("/fromline.sarif")
    comment = next(s for s in steps if "gh pr comment" in s.get("run", ""))
    assert "github.event_name == 'pull_request'" in comment["if"]
    assert EXPRESSION.findall(comment["env"]["GH_TOKEN"]) == ["github.token"]
    assert steps[-1]["if"] == "steps.diff.outputs.status == '1'"
    assert steps[-1]["run"].rstrip().endswith("exit 1")
    assert _step("diff")["if"] == "steps.package.outputs.previous != ''"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert "steps.package.outputs.package" in upload["with"]["path"]
    assert "steps.diff.outputs.diff" in upload["with"]["path"]


# -- action.yml, run -----------------------------------------------------------------------------------------------


def _run_action_step(
    step: dict[str, Any], context: dict[str, str], workspace: Path, fake_bin: Path, diff_status: int = 0
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """One shell step as the runner runs it: its env expressions evaluated from `context`, bash -eo pipefail."""
    runner_temp = workspace.parent / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    venv_bin = runner_temp / "fromline-venv" / "bin"  # as the install step leaves it
    venv_bin.mkdir(parents=True, exist_ok=True)
    if not (venv_bin / "python").exists():
        (venv_bin / "python").symlink_to(sys.executable)
    output = workspace.parent / f"output-{step['id']}"
    env = {"RUNNER_OS": "Linux", "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(output)}
    for name, value in step.get("env", {}).items():
        env[name] = EXPRESSION.sub(lambda m: context[m[1]], str(value))
    shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
    return _shell(shell, workspace, fake_bin, env, diff_status), _outputs(output)


def _inputs(**given: str) -> dict[str, str]:
    defaults = {name: str(spec.get("default", "")) for name, spec in _action()["inputs"].items()}
    return {f"inputs.{name}": value for name, value in (defaults | given).items()}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    return folder


def test_the_package_step_with_only_the_required_inputs(workspace: Path, fake_bin: Path) -> None:
    context = _inputs(evidence="evidence/\n", image=IMAGE)
    done, outputs = _run_action_step(_step("package"), context, workspace, fake_bin)
    assert done.returncode == 0, done.stderr
    calls = _calls(workspace.parent / "fromline.log")
    assert calls == [["package", "evidence/", "--image", IMAGE, "--out", "fromline-package"]]
    args = _parsed(calls[0])
    assert args.command == "package"
    assert args.previous is None
    assert outputs == {"package": "fromline-package", "previous": ""}
    assert "::warning::" not in done.stdout


def test_the_package_and_diff_steps_with_every_input(workspace: Path, fake_bin: Path) -> None:
    artifact = workspace / "downloaded"  # a downloaded artifact: the package one folder down
    _package(artifact / "fromline-package")
    context = _inputs(
        evidence="evidence/sbom.cdx.json\nevidence/scan results/trivy.json\n\noci:layout\n",
        image=IMAGE,
        key="keys/release.pub\nkeys/old release.pub",
        policy="identity-policy.yaml",
        profile="fedramp-moderate",
        formats="oscal,pdf",
        out="build/webapp",
        **{"previous-package": "downloaded", "fail-on": "new-critical,new-kev"},
    )
    done, outputs = _run_action_step(_step("package"), context, workspace, fake_bin)
    assert done.returncode == 0, done.stderr
    previous = str(artifact / "fromline-package").removeprefix(f"{workspace}/")
    assert outputs == {"package": "build/webapp", "previous": previous}
    package_call = _calls(workspace.parent / "fromline.log")[0]
    args = _parsed(package_call)
    assert [str(p) for p in args.inputs] == ["evidence/sbom.cdx.json", "evidence/scan results/trivy.json", "oci:layout"]
    assert [str(k) for k in args.key] == ["keys/release.pub", "keys/old release.pub"]
    assert str(args.policy) == "identity-policy.yaml"
    assert args.profile == "fedramp-moderate"
    assert args.formats is not None
    assert str(args.previous) == previous
    assert str(args.out) == "build/webapp"

    context |= {f"steps.package.outputs.{name}": value for name, value in outputs.items()}
    done, outputs = _run_action_step(_step("diff"), context, workspace, fake_bin, diff_status=1)
    assert done.returncode == 0, done.stderr  # the condition is held for the gate step, after the comment
    assert outputs == {"diff": "build/webapp-diff.md", "status": "1"}
    diff_call = _calls(workspace.parent / "fromline.log")[1]
    args = _parsed(diff_call)
    assert args.command == "diff"
    assert (str(args.old), str(args.new)) == (previous, "build/webapp")
    assert args.format == "markdown"
    assert str(args.output) == "build/webapp-diff.md"
    assert diff_call[diff_call.index("--fail-on") + 1] == "new-critical,new-kev"
    assert (workspace / "build" / "webapp-diff.md").exists()


def test_a_zipped_previous_package_is_unpacked_for_the_package_step(workspace: Path, fake_bin: Path) -> None:
    with zipfile.ZipFile(workspace / "webapp-1.3.0.zip", "w") as archive:
        archive.writestr("webapp-1.3.0/audit.json", "{}")
    context = _inputs(evidence="evidence/", image=IMAGE, **{"previous-package": "webapp-1.3.0.zip"})
    done, outputs = _run_action_step(_step("package"), context, workspace, fake_bin)
    assert done.returncode == 0, done.stderr
    unpacked = workspace.parent / "runner-temp" / "fromline-previous" / "webapp-1.3.0"
    assert outputs["previous"] == str(unpacked)
    assert str(_parsed(_calls(workspace.parent / "fromline.log")[0]).previous) == str(unpacked)


def test_a_previous_package_that_is_no_package_stops_the_step(workspace: Path, fake_bin: Path) -> None:
    (workspace / "empty").mkdir()
    context = _inputs(evidence="evidence/", image=IMAGE, **{"previous-package": "empty"})
    done, _ = _run_action_step(_step("package"), context, workspace, fake_bin)
    assert done.returncode == 3
    assert "::error::previous-package: no single Fromline package (audit.json) in empty" in done.stdout
    assert _calls(workspace.parent / "fromline.log") == []


def test_fail_on_without_a_previous_package_is_a_warning(workspace: Path, fake_bin: Path) -> None:
    context = _inputs(evidence="evidence/", image=IMAGE, **{"fail-on": "new-critical"})
    done, _ = _run_action_step(_step("package"), context, workspace, fake_bin)
    assert done.returncode == 0, done.stderr
    assert "::warning::fail-on is not checked" in done.stdout


def test_a_diff_that_fails_fails_its_step(workspace: Path, fake_bin: Path) -> None:
    _package(workspace / "old")
    context = _inputs() | {"steps.package.outputs.previous": "old", "steps.package.outputs.package": "new"}
    done, outputs = _run_action_step(_step("diff"), context, workspace, fake_bin, diff_status=3)
    assert done.returncode == 3
    assert outputs == {}
    assert _parsed(_calls(workspace.parent / "fromline.log")[0]).command == "diff"


# -- the GitLab CI template ----------------------------------------------------------------------------------------


def _gitlab_job() -> dict[str, Any]:
    job: dict[str, Any] = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))[".fromline"]
    return job


def test_the_gitlab_job_is_hidden_and_keeps_the_package_and_the_diff() -> None:
    template = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    assert list(template) == [".fromline"]
    job = template[".fromline"]
    assert job["image"]["entrypoint"] == [""]  # the Fromline image's entry point is fromline, not a shell
    assert job["artifacts"] == {"when": "always", "paths": ["$FROMLINE_OUT", "diff.md"]}
    dockerfile_bases = re.findall(r"^FROM (\S+)", (REPO / "Dockerfile").read_text(encoding="utf-8"), re.MULTILINE)
    assert job["variables"]["FROMLINE_CI_IMAGE"] in dockerfile_bases


def test_the_gitlab_variables_are_fromline_settings_or_the_templates_own() -> None:
    job = _gitlab_job()
    own = set(job["variables"]) | {"FROMLINE_NOTE_TOKEN"}
    assert not own & SETTING_VARIABLES, "fromline would read these as its settings"
    text = GITLAB.read_text(encoding="utf-8")
    named = set(re.findall(r"\bFROMLINE_[A-Z_]+\b", text))
    assert named - own <= SETTING_VARIABLES, named - own - SETTING_VARIABLES
    assert {"FROMLINE_KEY", "FROMLINE_POLICY", "FROMLINE_PROFILE"} <= named


class _Notes(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, self.headers["PRIVATE-TOKEN"], body))  # type: ignore[attr-defined]
        self.send_response(201)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def notes_server() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Notes)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _run_gitlab_job(
    workspace: Path, fake_bin: Path, variables: dict[str, str], diff_status: int = 0
) -> subprocess.CompletedProcess[str]:
    """before_script and script in one POSIX shell, as the runner does, with the job's variables under the given."""
    job = _gitlab_job()
    env = {name: str(value) for name, value in job["variables"].items()} | variables
    script = "\n".join([*job["before_script"], *job["script"]])
    return _shell(["sh", "-e", "-c", script], workspace, fake_bin, env, diff_status)


def test_the_gitlab_job_packages_with_only_the_required_variables(workspace: Path, fake_bin: Path) -> None:
    done = _run_gitlab_job(workspace, fake_bin, {"FROMLINE_EVIDENCE": "evidence/", "FROMLINE_IMAGE": IMAGE})
    assert done.returncode == 0, done.stderr
    calls = _calls(workspace.parent / "fromline.log")
    assert calls == [["package", "evidence/", "--image", IMAGE, "--out", "fromline-package"]]
    _parsed(calls[0])


def test_the_gitlab_job_compares_with_a_zipped_previous_package_and_posts_the_note(
    workspace: Path, fake_bin: Path, notes_server: http.server.ThreadingHTTPServer
) -> None:
    with zipfile.ZipFile(workspace / "previous.zip", "w") as archive:
        archive.writestr("webapp-1.3.0/audit.json", "{}")
    variables = {
        "FROMLINE_EVIDENCE": "evidence/sbom.cdx.json evidence/*.json",
        "FROMLINE_IMAGE": IMAGE,
        "FROMLINE_PREVIOUS": "previous.zip",
        "FROMLINE_FORMATS": "oscal,pdf",
        "FROMLINE_DIFF_FAIL_ON": "new-critical,control-regression",
        "FROMLINE_NOTE_TOKEN": "glpat-secret",
        "CI_MERGE_REQUEST_IID": "7",
        "CI_PROJECT_ID": "42",
        "CI_API_V4_URL": f"http://127.0.0.1:{notes_server.server_address[1]}/api/v4",
    }
    done = _run_gitlab_job(workspace, fake_bin, variables, diff_status=1)
    assert done.returncode == 1, done.stderr  # the fail-on condition, after the note
    package_call, diff_call = _calls(workspace.parent / "fromline.log")
    package = _parsed(package_call)
    assert [str(p) for p in package.inputs] == ["evidence/sbom.cdx.json", "evidence/*.json"]  # words, never expanded
    assert str(package.previous) == "fromline-previous/webapp-1.3.0"
    diff = _parsed(diff_call)
    assert (str(diff.old), str(diff.new), str(diff.output)) == (
        "fromline-previous/webapp-1.3.0",
        "fromline-package",
        "diff.md",
    )
    assert diff_call[diff_call.index("--fail-on") + 1] == "new-critical,control-regression"
    received = notes_server.received  # type: ignore[attr-defined]
    assert len(received) == 1
    path, token, body = received[0]
    assert (path, token) == ("/api/v4/projects/42/merge_requests/7/notes", "glpat-secret")
    assert body == b"body=%23%23+Fromline%3A+changes%0A"


def test_the_gitlab_job_posts_no_note_without_a_token(workspace: Path, fake_bin: Path) -> None:
    _package(workspace / "previous")
    variables = {"FROMLINE_EVIDENCE": "evidence/", "FROMLINE_IMAGE": IMAGE, "FROMLINE_PREVIOUS": "previous"}
    variables |= {"CI_MERGE_REQUEST_IID": "7", "CI_API_V4_URL": "http://127.0.0.1:9/api/v4", "CI_PROJECT_ID": "1"}
    done = _run_gitlab_job(workspace, fake_bin, variables)
    assert done.returncode == 0, done.stderr
    assert [call[0] for call in _calls(workspace.parent / "fromline.log")] == ["package", "diff"]
    assert (workspace / "diff.md").exists()


# -- the README's examples -----------------------------------------------------------------------------------------


def _readme_yaml_blocks() -> list[Any]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [yaml.safe_load(block) for block in re.findall(r"^```yaml\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)]


def test_the_readme_uses_the_action_with_its_inputs_and_extends_the_gitlab_job() -> None:
    blocks = _readme_yaml_blocks()
    action_steps = [
        step
        for block in blocks
        if isinstance(block, dict)
        for step in block.get("steps", [])
        if str(step.get("uses", "")).startswith("OWNER/fromline@")
    ]
    assert len(action_steps) == 1
    inputs = _action()["inputs"]
    assert action_steps[0]["with"].keys() <= inputs.keys()
    assert {name for name, spec in inputs.items() if spec.get("required")} <= action_steps[0]["with"].keys()

    jobs = [job for block in blocks if isinstance(block, dict) for job in block.values() if isinstance(job, dict)]
    extending = [job for job in jobs if job.get("extends") == ".fromline"]
    assert len(extending) == 1
    included = next(block["include"] for block in blocks if isinstance(block, dict) and "include" in block)
    assert included[0]["remote"].endswith("/" + GITLAB.relative_to(REPO).as_posix())
    own = set(_gitlab_job()["variables"])
    assert extending[0]["variables"].keys() <= own | SETTING_VARIABLES
