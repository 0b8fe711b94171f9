"""The Dockerfile: bases pinned by digest, a non-root numeric user, fromline as the entry point, a build context of
the package's sources only; and, where podman can pull the base here, the image built and run on the sample."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
PINNED = re.compile(r"(?P<name>[a-z0-9][a-z0-9._/-]*)(?::(?P<tag>[\w][\w.-]*))?@sha256:(?P<digest>[0-9a-f]{64})")
SAMPLE_DIGEST = "443eebbdc163dfdc0d40e185574019e4bfbe4eac2b13b7257d91f53c990ff80f"


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str
    arguments: str
    stage: int  # the index of the FROM it follows


def _instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined and comment lines dropped."""
    logical: list[str] = []
    pending = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        joined = (pending + line).strip()
        pending = ""
        if joined:
            logical.append(joined)
    assert not pending, "the Dockerfile ends in a continuation line"
    instructions: list[Instruction] = []
    stage = -1
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        if keyword.upper() == "FROM":
            stage += 1
        instructions.append(Instruction(keyword.upper(), arguments.strip(), stage))
    return instructions


INSTRUCTIONS = _instructions(DOCKERFILE.read_text(encoding="utf-8"))
FROMS = [i for i in INSTRUCTIONS if i.keyword == "FROM"]
FINAL = [i for i in INSTRUCTIONS if i.stage == len(FROMS) - 1]


def _base(instruction: Instruction) -> re.Match[str]:
    reference = instruction.arguments.split()[0]
    pinned = PINNED.fullmatch(reference)
    assert pinned is not None, f"FROM {reference} is not pinned as name@sha256:<64 hex digits>"
    return pinned


def test_every_from_is_pinned_by_digest_and_one_base_has_one_digest() -> None:
    assert len(FROMS) >= 2, "a build stage and a runtime stage"
    digests: dict[str, set[str]] = {}
    for instruction in FROMS:
        pinned = _base(instruction)
        assert pinned["tag"] != "latest"
        digests.setdefault(pinned["name"], set()).add(pinned["digest"])
    assert all(len(found) == 1 for found in digests.values()), digests


def test_the_base_digest_cites_its_source_and_how_to_update_it() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    comments = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert "docker-library/repo-info" in comments
    assert "docker buildx imagetools inspect python:3.11-slim-bookworm" in comments
    assert re.search(r"\b20\d\d\b", comments), "the date of the digest"


def test_nothing_is_fetched_by_add_and_nothing_is_latest() -> None:
    for instruction in INSTRUCTIONS:
        if instruction.keyword == "ADD":
            assert not re.search(r"\b(https?|git|ftp)://|git@", instruction.arguments), instruction
        assert not re.search(r"(:|\b)latest\b", instruction.arguments), instruction


def test_the_final_stage_runs_fromline_as_a_numeric_non_root_user_in_work() -> None:
    users = [i.arguments for i in FINAL if i.keyword == "USER"]
    assert users, "no USER in the final stage"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit(), f"USER {users[-1]}: a numeric uid, so that runtimes can tell it is not root"
    assert int(uid) != 0
    assert not gid or (gid.isdigit() and int(gid) != 0)
    entrypoints = [i.arguments for i in FINAL if i.keyword == "ENTRYPOINT"]
    assert entrypoints, "no ENTRYPOINT in the final stage"
    assert json.loads(entrypoints[-1]) == ["fromline"]
    assert [i.arguments for i in FINAL if i.keyword == "WORKDIR"][-1] == "/work"


def test_the_final_stage_adds_the_venv_and_the_fonts_only() -> None:
    copies = [i.arguments for i in FINAL if i.keyword == "COPY"]
    assert copies == ["--from=build /opt/fromline /opt/fromline"]
    runs = " ".join(i.arguments for i in FINAL if i.keyword == "RUN")
    installed = re.findall(r"apt-get install (.*?)(?:&&|$)", runs)
    assert len(installed) == 1
    packages = [word for word in installed[0].split() if not word.startswith("-")]
    assert sorted(packages) == ["fontconfig", "fonts-dejavu-core"]
    assert "--no-install-recommends" in installed[0]
    assert "rm -rf /var/lib/apt/lists/*" in runs


def test_the_labels_name_source_licence_and_title() -> None:
    labels = " ".join(i.arguments for i in FINAL if i.keyword == "LABEL")
    found = dict(re.findall(r"org\.opencontainers\.image\.(\w+)=(\"[^\"]*\"|\S+)", labels))
    assert {"source", "licenses", "title"} <= found.keys()
    licence = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["license"]
    assert found["licenses"].strip('"') == licence
    assert found["title"].strip('"') == "fromline"


def _pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regular expression over slash-separated paths (`**` crosses folders)."""
    body = pattern.strip("/")
    regex = ""
    at = 0
    while at < len(body):
        if body.startswith("**/", at):
            regex, at = regex + "(?:.*/)?", at + 3
        elif body.startswith("**", at):
            regex, at = regex + ".*", at + 2
        elif body[at] == "*":
            regex, at = regex + "[^/]*", at + 1
        elif body[at] == "?":
            regex, at = regex + "[^/]", at + 1
        else:
            regex, at = regex + re.escape(body[at]), at + 1
    return re.compile(regex)


def _ignored(path: str, patterns: list[str]) -> bool:
    """Whether the build context leaves `path` out: the last pattern that matches it, or a folder of it, wins."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for pattern in patterns:
        regex = _pattern(pattern.removeprefix("!"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not pattern.startswith("!")
    return ignored


def test_the_build_context_holds_what_the_build_copies_and_no_venv_build_output_or_cache() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    copied = [
        source
        for i in INSTRUCTIONS
        if i.keyword == "COPY" and not i.arguments.startswith("--from")
        for source in i.arguments.split()[:-1]
    ]
    assert copied
    for source in copied:
        assert not _ignored(source.rstrip("/"), patterns), f"COPY {source}: left out by .dockerignore"
        if (REPO / source).is_dir():
            inside = next(path for path in (REPO / source).rglob("*.py") if "__pycache__" not in path.parts)
            assert not _ignored(inside.relative_to(REPO).as_posix(), patterns), inside
    for kept_out in (
        ".venv/bin/python",
        "build/webapp-1.4.0/audit.json",
        "dist/fromline-0.1.0-py3-none-any.whl",
        "fromline.egg-info/PKG-INFO",
        ".pytest_cache/v/cache/lastfailed",
        ".mypy_cache/3.11/evidence/cli.meta.json",
        "evidence/__pycache__/cli.cpython-311.pyc",
        ".ruff_cache/CACHEDIR.TAG",
        "tests/test_cli.py",
        ".git/HEAD",
    ):
        assert _ignored(kept_out, patterns), f"{kept_out} would be in the build context"


def _podman_base_or_skip() -> None:
    """Skip unless podman is installed and has, or can pull, the Dockerfile's base image."""
    podman = shutil.which("podman")
    if podman is None:
        pytest.skip("podman is not installed")
    reference = "docker.io/library/" + FROMS[0].arguments.split()[0]
    try:
        if subprocess.run([podman, "image", "exists", reference], check=False, timeout=60).returncode == 0:
            return
        pulled = subprocess.run(
            [podman, "pull", "--quiet", reference], capture_output=True, text=True, check=False, timeout=120
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"podman could not pull {reference} within two minutes")
    if pulled.returncode != 0:
        reason = (pulled.stderr.strip().splitlines() or ["no message"])[-1]
        pytest.skip(f"podman cannot pull the base image {reference} here: {reason}")


@pytest.mark.slow
def test_the_image_builds_and_packages_the_sample_as_a_non_root_user(tmp_path: Path) -> None:
    _podman_base_or_skip()
    tag = f"localhost/fromline-test:{uuid.uuid4().hex[:12]}"
    subprocess.run(["podman", "build", "--tag", tag, str(REPO)], check=True, timeout=1800)
    try:
        version = subprocess.run(
            ["podman", "run", "--rm", tag, "--version"], capture_output=True, text=True, check=True, timeout=120
        )
        assert version.stdout.startswith("fromline ")
        uid = subprocess.run(
            ["podman", "run", "--rm", "--entrypoint", "id", tag, "-u"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        assert uid.stdout.strip() == "10001"
        tmp_path.chmod(0o777)  # written by the image's user
        subprocess.run(
            [
                "podman", "run", "--rm",
                "--volume", f"{SAMPLES}:/samples:ro",
                "--volume", f"{tmp_path}:/work",
                tag, "package", "/samples/webapp-1.4.0",
                "--image", f"registry.example.com/webapp@sha256:{SAMPLE_DIGEST}",
                "--key", "/samples/keys/webapp.pub", "--out", "package", "--quiet",
            ],
            check=True,
            timeout=600,
        )  # fmt: skip
        assert (tmp_path / "package" / "report.pdf").stat().st_size > 0
        assert '"status": "verified"' in (tmp_path / "package" / "audit.json").read_text(encoding="utf-8")
    finally:
        subprocess.run(["podman", "rmi", "--force", tag], check=False, capture_output=True, timeout=120)
