"""Dockerfiles, recognized by content: what a build pulls in, and what the final image runs as.

Lexing follows the Dockerfile reference closely enough not to misread real files: parser directives
(`# escape=`), comments, line continuations, BuildKit heredocs (`RUN <<EOF` ... `EOF`), multi-stage builds
(`FROM x AS name`; a later `FROM name` is a stage, not an image) and `ARG` defaults used in `FROM`.

The final image's user, health check and exposed ports come from the last stage, and from the stages it
is built `FROM`. Base images, remote `ADD`s, secret-looking variables and `RUN` commands (with their heredoc
bodies) are reported for every stage.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

import orjson

from evidence.collectors._util import is_secret_name
from evidence.collectors.interface import CollectorError, Document, SkipFile
from evidence.model import DockerfileFacts, Evidence, EvidenceKind, Located

INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
        "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    }
)  # fmt: skip
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_DIRECTIVE_RE = re.compile(r"#\s*([A-Za-z]+)\s*=\s*(\S*)\s*")
_HEREDOC_RE = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_KEYWORD_RE = re.compile(r"([A-Za-z]+)(?:\s+(.*))?", re.DOTALL)
_VARIABLE_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
_PLAIN_REFERENCE_RE = re.compile(r"\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)")
_PINNED_RE = re.compile(r"@sha256:[0-9a-f]{64}$")
_REMOTE_RE = re.compile(r"(?:https?://|git@|git://|ssh://)", re.IGNORECASE)
MAX_BYTES = 1024 * 1024  # a real Dockerfile is a few kilobytes; a larger one is recognized by its start, not read


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str  # upper case
    args: str  # continuation lines joined, as Docker joins them
    line: int  # 1-based line of the keyword
    heredoc: str = ""  # the bodies of the heredocs it opens (`RUN <<EOF` ... `EOF`), one line each

    @property
    def where(self) -> str:
        return f"line {self.line}"


def _directive_end(lines: list[str]) -> tuple[int, str]:
    """Index of the first line after the parser directives, and the escape character they set."""
    escape = "\\"
    for i, line in enumerate(lines):
        match = _DIRECTIVE_RE.fullmatch(line.strip())
        if match is None or match.group(1).lower() not in _DIRECTIVES:
            return i, escape
        if match.group(1).lower() == "escape" and match.group(2) in ("\\", "`"):
            escape = match.group(2)
    return len(lines), escape


def _heredocs(args: str, lines: list[str], at: int) -> tuple[int, list[str]]:
    """Index of the line after the heredoc bodies an instruction opens (`<<EOF`, `<<-"EOF"`), and their lines."""
    body: list[str] = []
    for match in _HEREDOC_RE.finditer(args):
        strip_tabs, delimiter = match.group(1) == "-", match.group(3)
        while at < len(lines):
            line = lines[at].lstrip("\t") if strip_tabs else lines[at]
            at += 1
            if line == delimiter:
                break
            body.append(line)
    return at, body


def instructions(text: str) -> list[Instruction]:
    """The instructions of a Dockerfile, in order; keywords are not checked here."""
    lines = text.splitlines()
    i, escape = _directive_end(lines)
    found: list[Instruction] = []
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        start = i
        parts: list[str] = []
        while i < len(lines):
            line = lines[i].rstrip()
            i += 1
            if not line.endswith(escape):
                parts.append(line)
                break
            parts.append(line[: -len(escape)])
            while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                i += 1  # comments and blank lines inside a continued instruction
        match = _KEYWORD_RE.fullmatch("".join(parts).strip())
        keyword = match.group(1).upper() if match else stripped.split()[0].upper()
        args = (match.group(2) or "").strip() if match else ""
        body: list[str] = []
        if keyword in _HEREDOC_INSTRUCTIONS:
            i, body = _heredocs(args, lines, i)
        found.append(Instruction(keyword=keyword, args=args, line=start + 1, heredoc="\n".join(body)))
    return found


def _is_dockerfile(found: list[Instruction]) -> bool:
    if not found or any(ins.keyword not in INSTRUCTIONS for ins in found):
        return False
    first = next((ins for ins in found if ins.keyword != "ARG"), None)
    return first is not None and first.keyword == "FROM" and bool(first.args)


def _text(doc: Document) -> str | None:
    """The text of a Dockerfile of at most `MAX_BYTES`; of a larger file, its whole lines within that size."""
    data = doc.data if len(doc.data) <= MAX_BYTES else doc.data[:MAX_BYTES].rpartition(b"\n")[0]
    if b"\0" in data or doc.looks_like_json:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def expand(text: str, variables: dict[str, str | None]) -> str:
    """Substitute `$NAME`, `${NAME}`, `${NAME:-word}` and `${NAME:+word}`; unknown names stay as written."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        value = variables.get(name)
        operator, word = match.group(2), match.group(3) or ""
        if operator == ":-":
            return value or word
        if operator == "-":
            return value if name in variables and value is not None else word
        if operator == ":+":
            return word if value else ""
        if operator == "+":
            return word if value is not None else ""
        return value if value is not None else match.group(0)

    return _VARIABLE_RE.sub(substitute, text)


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()


def _assignments(ins: Instruction) -> list[tuple[str, str | None]]:
    """(name, value) pairs of an ENV or ARG; value None for an ARG without a default."""
    words = _words(ins.args)
    if not words:
        return []
    if ins.keyword == "ENV" and "=" not in words[0]:
        rest = ins.args.strip()[len(ins.args.strip().split(None, 1)[0]) :].strip()
        return [(words[0], " ".join(_words(rest)))]  # legacy `ENV NAME value words`
    pairs: list[tuple[str, str | None]] = []
    for word in words:
        name, eq, value = word.partition("=")
        if name:
            pairs.append((name, value if eq else None))
    return pairs


def _is_secret_assignment(name: str, value: str | None) -> bool:
    if value is None or not value.strip() or _PLAIN_REFERENCE_RE.fullmatch(value.strip()):
        return False
    return is_secret_name(name)


def _add_words(args: str) -> list[str]:
    """The sources and destination of an ADD or COPY, its `--flag` options left out, in either form."""
    flags = re.match(r"(?:--\S+\s+)*", args)
    rest = args[flags.end() :] if flags else args
    return _json_words(rest) or [w for w in _words(rest) if not w.startswith("--")]


def _json_words(args: str) -> list[str] | None:
    if not args.startswith("["):
        return None
    try:
        value: Any = orjson.loads(args)
    except orjson.JSONDecodeError:
        return None
    return [w for w in value if isinstance(w, str)] if isinstance(value, list) else None


@dataclass(slots=True, eq=False)
class _Stage:
    name: str | None
    parent: _Stage | None
    variables: dict[str, str | None] = field(default_factory=dict)
    user: Located | None = None
    healthcheck: Located | None = None
    healthcheck_set: bool = False
    ports: list[Located] = field(default_factory=list)
    instructions: int = 0  # after its FROM: each is one step of the image history

    def chain(self) -> list[_Stage]:
        """This stage and the stages it is built from, nearest first."""
        stages: dict[int, _Stage] = {}  # by identity: comparing stages field by field costs as much as the chain
        stage: _Stage | None = self
        while stage is not None and id(stage) not in stages:
            stages[id(stage)] = stage
            stage = stage.parent
        return list(stages.values())


@dataclass(slots=True)
class _Facts:
    base_images: list[Located] = field(default_factory=list)
    unpinned: list[Located] = field(default_factory=list)
    remote_adds: list[Located] = field(default_factory=list)
    local_adds: list[Located] = field(default_factory=list)
    secrets: list[Located] = field(default_factory=list)
    runs: list[Located] = field(default_factory=list)


class _Build:
    def __init__(self) -> None:
        self.global_args: dict[str, str | None] = {}
        self.stages: list[_Stage] = []
        self.named: dict[str, _Stage] = {}
        self.facts = _Facts()

    def from_(self, ins: Instruction) -> None:
        words = [w for w in ins.args.split() if not w.startswith("--")]
        reference = expand(words[0], self.global_args) if words else ""
        alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
        parent = self.named.get(reference.lower())
        if parent is None and reference.lower() != "scratch" and reference:
            located = Located(value=reference, location=ins.where)
            self.facts.base_images.append(located)
            if not _PINNED_RE.search(reference):
                self.facts.unpinned.append(located)
        stage = _Stage(name=alias, parent=parent, variables=dict(parent.variables) if parent else {})
        self.stages.append(stage)
        if alias:
            self.named[alias.lower()] = stage

    def variables(self, ins: Instruction, stage: _Stage | None) -> None:
        scope = self.global_args if stage is None else stage.variables
        for name, value in _assignments(ins):
            if _is_secret_assignment(name, value):
                self.facts.secrets.append(Located(value=name, location=ins.where))
            if ins.keyword == "ARG" and value is None:
                scope.setdefault(name, self.global_args.get(name) if stage is not None else None)
            else:
                scope[name] = expand(value or "", scope)

    def step(self, ins: Instruction, stage: _Stage) -> None:
        if ins.keyword == "USER" and ins.args:
            stage.user = Located(value=expand(ins.args, stage.variables), location=ins.where)
        elif ins.keyword == "HEALTHCHECK":
            none = ins.args.upper().split(None, 1)[:1] == ["NONE"]
            stage.healthcheck = None if none else Located(value=ins.args, location=ins.where)
            stage.healthcheck_set = True
        elif ins.keyword == "EXPOSE":
            stage.ports.extend(
                Located(value=expand(port, stage.variables), location=ins.where) for port in ins.args.split()
            )
        elif ins.keyword == "RUN":
            command = "\n".join(part for part in (ins.args, ins.heredoc) if part)
            self.facts.runs.append(Located(value=command, location=ins.where))
        elif ins.keyword == "ADD":
            words = _add_words(ins.args)
            for source in words[:-1]:
                found = Located(value=expand(source, stage.variables), location=ins.where)
                (self.facts.remote_adds if _REMOTE_RE.match(source) else self.facts.local_adds).append(found)

    def run(self, found: list[Instruction]) -> DockerfileFacts:
        stage: _Stage | None = None
        for ins in found:
            if ins.keyword == "FROM":
                self.from_(ins)
                stage = self.stages[-1]
                continue
            if stage is not None:
                stage.instructions += 1
            if ins.keyword in ("ARG", "ENV"):
                self.variables(ins, stage)
            elif stage is not None:
                self.step(ins, stage)
        final = self.stages[-1].chain() if self.stages else []
        user = next((s.user for s in final if s.user is not None), None)
        health = next((s for s in final if s.healthcheck_set), None)
        ports = [port for s in reversed(final) for port in s.ports]
        return DockerfileFacts(
            base_images=tuple(self.facts.base_images),
            unpinned_base_images=tuple(self.facts.unpinned),
            final_user=user,
            healthcheck=health.healthcheck if health else None,
            remote_adds=tuple(self.facts.remote_adds),
            local_adds=tuple(self.facts.local_adds),
            secret_variables=tuple(self.facts.secrets),
            run_commands=tuple(self.facts.runs),
            exposed_ports=tuple(ports),
            final_stage_instructions=sum(s.instructions for s in final),
        )


class Dockerfile:
    """A Dockerfile: its first instruction after comments, directives and ARGs is FROM."""

    name = "dockerfile"

    def sniff(self, doc: Document) -> bool:
        text = _text(doc)
        return text is not None and _is_dockerfile(instructions(text))

    def parse(self, doc: Document) -> Evidence:
        if len(doc.data) > MAX_BYTES:
            raise SkipFile(
                doc.path,
                f"is a Dockerfile of {len(doc.raw)} bytes, larger than the {MAX_BYTES}-byte (1 MiB) limit for a "
                "Dockerfile: not read",
            )
        found = instructions(doc.text())
        if not _is_dockerfile(found):
            raise CollectorError(doc.path, "not a Dockerfile: no FROM before the first build step")
        return doc.evidence(kind=EvidenceKind.DOCKERFILE, format="Dockerfile", dockerfile=_Build().run(found))
