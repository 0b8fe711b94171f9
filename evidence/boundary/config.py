"""The boundary file: the system and the images of its authorization boundary (README, "The authorization boundary").

YAML, validated strictly: every problem is reported at once, each with its line, and an unknown key is a problem
(a misspelt field would otherwise be silently left out of the inventory). Relative paths are relative to the file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from evidence.errors import EvidenceError
from evidence.model import ImageRef, ImpactLevel, SystemInfo

__all__ = ["INVENTORY_FIELDS", "Boundary", "BoundaryError", "ImageEntry", "load_boundary"]

IMPACTS = tuple(level.value for level in ImpactLevel)
# The inventory fields an image entry may give, and the Integrated Inventory Workbook column each fills.
INVENTORY_FIELDS = {
    "function": "Function",
    "owner": "System Administrator/Owner",
    "application_owner": "Application Administrator/Owner",
    "public": "Public",
    "location": "Location",
    "address": "IPv4 or IPv6 Address",
    "dns": "DNS Name or URL",
    "network": "VLAN/Network ID",
    "baseline": "Baseline Configuration Name",
    "diagram_label": "Diagram Label",
    "comments": "Comments",
}
_TOP = {"version", "system", "profile", "policy", "keys", "trusted_root", "images"}
_SYSTEM = {"name", "id", "impact", "csp"}
_IMAGE = {"image", "evidence", "pull", "package", "profile", "keys", "release", *INVENTORY_FIELDS}


class BoundaryError(EvidenceError):
    """A boundary file that cannot be used: every problem, each with its line."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        self.headline = f"{self.path}: {len(problems)} problem{'s' if len(problems) != 1 else ''}:"
        self.problem_lines = tuple(f"  {p}" for p in problems)
        super().__init__("\n".join([self.headline, *self.problem_lines]))


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageEntry:
    """One image of the boundary: assessed from its evidence, or read from a package `fromline package` wrote."""

    line: int  # where the entry starts in the boundary file, for messages
    image: ImageRef | None = None  # with `evidence`, or `pull`, or both
    evidence: tuple[Path, ...] = ()
    pull: bool = False  # also read what the image's registry holds about its digest (`fromline pull`)
    package: Path | None = None
    profile: str
    release: str | None = None
    keys: tuple[Path, ...] = ()
    inventory: dict[str, str] = field(default_factory=dict)  # INVENTORY_FIELDS key -> value as text


@dataclass(frozen=True, slots=True, kw_only=True)
class Boundary:
    path: Path
    system: SystemInfo
    profile: str
    policy: Path | None = None
    keys: tuple[Path, ...] = ()
    trusted_root: Path | None = None
    images: tuple[ImageEntry, ...] = ()


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.parent
        self.problems: list[str] = []

    def problem(self, node: yaml.Node | None, where: str, message: str) -> None:
        line = f"line {node.start_mark.line + 1}: " if node is not None else ""
        self.problems.append(f"{line}{where}: {message}")

    def mapping(self, node: yaml.Node, where: str, allowed: set[str]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, where, "must be a mapping")
            return {}
        found: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if not isinstance(name, str):
                self.problem(key, where, "keys must be strings")
            elif name in found:
                self.problem(key, f"{where}.{name}", "is given twice")
            elif name not in allowed:
                self.problem(key, f"{where}.{name}", f"is not a known key (known: {', '.join(sorted(allowed))})")
            else:
                found[name] = value
        return found

    def text(self, node: yaml.Node | None, where: str, *, required: bool = False) -> str | None:
        if node is None:
            if required:
                self.problems.append(f"{where}: is required")
            return None
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null" or not str(node.value):
            self.problem(node, where, "must be a non-empty text")
            return None
        return str(node.value)

    def path_of(self, node: yaml.Node | None, where: str, *, directory: bool | None = None) -> Path | None:
        value = self.text(node, where)
        if value is None:
            return None
        path = (self.base / value).resolve() if not Path(value).is_absolute() else Path(value)
        if not path.exists():
            self.problem(node, where, f"{value} does not exist")
        elif directory is True and not path.is_dir():
            self.problem(node, where, f"{value} is not a directory")
        elif directory is False and not path.is_file():
            self.problem(node, where, f"{value} is not a file")
        return path

    def paths(self, node: yaml.Node | None, where: str) -> tuple[Path, ...]:
        if node is None:
            return ()
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        found = [self.path_of(item, f"{where}[{i}]") for i, item in enumerate(items)]
        return tuple(p for p in found if p is not None)

    def read(self, root: yaml.Node | None) -> Boundary | None:
        if root is None:
            self.problems.append("the file is empty")
            return None
        top = self.mapping(root, "boundary", _TOP)
        version = top.get("version")
        if version is None:
            self.problem(root, "version", "is required (version: 1)")
        elif not (isinstance(version, yaml.ScalarNode) and version.value == "1"):
            self.problem(version, "version", "must be 1")
        system = self.system(top.get("system"), root)
        profile = self.text(top.get("profile"), "profile")
        if profile is None and system is not None and system.impact is not None:
            profile = f"fedramp-{system.impact.value}"
        policy = self.path_of(top.get("policy"), "policy", directory=False) if "policy" in top else None
        root_file = self.path_of(top.get("trusted_root"), "trusted_root", directory=False)
        keys = self.paths(top.get("keys"), "keys")
        images = self.images(top.get("images"), root, profile or "default")
        if system is None or self.problems:
            return None
        return Boundary(
            path=self.path,
            system=system,
            profile=profile or "default",
            policy=policy,
            keys=keys,
            trusted_root=root_file,
            images=images,
        )

    def system(self, node: yaml.Node | None, root: yaml.Node) -> SystemInfo | None:
        if node is None:
            self.problem(root, "system", "is required (system: {name: ...})")
            return None
        fields = self.mapping(node, "system", _SYSTEM)
        name = self.text(fields.get("name"), "system.name", required=True)
        impact = self.text(fields.get("impact"), "system.impact")
        if impact is not None and impact not in IMPACTS:
            self.problem(fields["impact"], "system.impact", f"must be one of {', '.join(IMPACTS)}")
            impact = None
        ident = self.text(fields.get("id"), "system.id")
        csp = self.text(fields.get("csp"), "system.csp")
        if name is None:
            return None
        return SystemInfo(name=name, id=ident, impact=ImpactLevel(impact) if impact else None, csp=csp)

    def images(self, node: yaml.Node | None, root: yaml.Node, profile: str) -> tuple[ImageEntry, ...]:
        if node is None or not isinstance(node, yaml.SequenceNode) or not node.value:
            self.problem(node or root, "images", "must be a list of one or more images")
            return ()
        entries = []
        for index, item in enumerate(node.value):
            entry = self.image(item, f"images[{index}]", profile)
            if entry is not None:
                entries.append(entry)
        return tuple(entries)

    def image(self, node: yaml.Node, where: str, profile: str) -> ImageEntry | None:
        fields = self.mapping(node, where, _IMAGE)
        if not fields:
            return None
        line = node.start_mark.line + 1
        has_image, has_package = "image" in fields, "package" in fields
        if has_image == has_package:
            self.problem(node, where, "must name either `image` (with `evidence`) or `package`")
            return None
        base = ImageEntry(
            line=line,
            profile=self.text(fields.get("profile"), f"{where}.profile") or profile,
            release=self.text(fields.get("release"), f"{where}.release"),
            keys=self.paths(fields.get("keys"), f"{where}.keys"),
            inventory=self.inventory(fields, where),
        )
        if has_package:
            for read in ("evidence", "pull"):
                if read in fields:
                    self.problem(fields[read], f"{where}.{read}", "is read from the package; leave it out")
            return dataclasses.replace(
                base, package=self.path_of(fields["package"], f"{where}.package", directory=True)
            )
        reference = self.text(fields["image"], f"{where}.image")
        image = None
        if reference is not None:
            try:
                image = ImageRef.parse(reference)
            except ValueError as exc:
                self.problem(fields["image"], f"{where}.image", str(exc))
        pull = self.flag(fields.get("pull"), f"{where}.pull")
        if "evidence" not in fields and not pull:
            self.problem(
                node,
                f"{where}.evidence",
                "is required with `image` (or `pull: true`): the files or directories to read",
            )
        evidence = self.paths(fields.get("evidence"), f"{where}.evidence")
        return dataclasses.replace(base, image=image, evidence=evidence, pull=pull)

    def flag(self, node: yaml.Node | None, where: str) -> bool:
        if node is None:
            return False
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:bool":
            return node.value.lower() in ("true", "yes", "on")
        self.problem(node, where, "must be true or false")
        return False

    def inventory(self, fields: dict[str, yaml.Node], where: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for key in INVENTORY_FIELDS:
            if key not in fields:
                continue
            value = self.text(fields[key], f"{where}.{key}")
            if value is not None and key == "public":
                value = {"true": "Yes", "yes": "Yes", "false": "No", "no": "No"}.get(value.lower())
                if value is None:
                    self.problem(fields[key], f"{where}.public", "must be true or false")
            if value is not None:
                found[key] = value
        return found


def load_boundary(path: Path) -> Boundary:
    """The boundary file at `path`, validated; `BoundaryError` lists every problem with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BoundaryError(path, [f"cannot be read: {exc}"]) from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise BoundaryError(path, [f"{where}not valid YAML: {getattr(exc, 'problem', None) or exc}"]) from exc
    reader = _Reader(path)
    boundary = reader.read(root)
    if boundary is None or reader.problems:
        raise BoundaryError(path, reader.problems)
    _check_unique(boundary)
    return boundary


def _check_unique(boundary: Boundary) -> None:
    seen: dict[str, int] = {}
    problems = []
    for entry in boundary.images:
        key = entry.image.digest if entry.image is not None else str(entry.package)
        if key in seen:
            problems.append(f"line {entry.line}: the image is listed twice (first at line {seen[key]})")
        else:
            seen[key] = entry.line
    if problems:
        raise BoundaryError(boundary.path, problems)
