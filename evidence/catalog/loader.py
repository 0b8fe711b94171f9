"""Load catalogs and profiles; every problem in a file is reported at once."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from evidence.catalog.schema import CatalogSpec, ControlSpec, Parameters, ProfileSpec
from evidence.errors import CatalogError

CONTROLS_DIR = Path(__file__).resolve().parents[2] / "controls"
PROFILES_DIR = CONTROLS_DIR / "profiles"

_Spec = TypeVar("_Spec", bound=BaseModel)


@dataclass(frozen=True, slots=True, kw_only=True)
class Catalog:
    id: str
    title: str
    version: str
    source: str
    sha256: str
    controls: tuple[ControlSpec, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    name: str
    title: str
    catalogs: tuple[str, ...]
    parameters: Parameters


def _read(path: Path, spec: type[_Spec]) -> tuple[_Spec, bytes]:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CatalogError(f"{path.name}: cannot be read: {e.strerror}") from e
    try:
        raw = yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    except yaml.YAMLError as e:
        raise CatalogError(f"{path.name}: not valid YAML: {e}") from e
    try:
        return spec.model_validate(raw), data
    except ValidationError as e:
        raise CatalogError(_describe(path, raw, e)) from e


def _describe(path: Path, raw: object, error: ValidationError) -> str:
    """All validation errors of a file in one message, each with the control id when there is one."""
    lines = [f"{path.name}: {error.error_count()} problem(s):"]
    for item in error.errors():
        where = list(item["loc"])
        label = ".".join(str(part) for part in where) or "(top level)"
        if len(where) >= 2 and where[0] == "controls" and isinstance(where[1], int) and isinstance(raw, dict):
            controls = raw.get("controls")
            if isinstance(controls, list) and where[1] < len(controls) and isinstance(controls[where[1]], dict):
                label = f"control {controls[where[1]].get('id', where[1])}" + "".join(f".{p}" for p in where[2:])
        lines.append(f"  {label}: {item['msg']}")
    return "\n".join(lines)


def load_catalog(name_or_path: str, known_checks: Collection[str]) -> Catalog:
    """A catalog by id (from `controls/`) or by path; every check it names must exist."""
    path = _locate(name_or_path, CONTROLS_DIR, "catalog")
    spec, data = _read(path, CatalogSpec)
    unknown = [
        f"  control {c.id}: unknown check {name}"
        for c in spec.controls
        for name in c.checks
        if name not in known_checks
    ]
    if unknown:
        raise CatalogError("\n".join([f"{path.name}: {len(unknown)} problem(s):", *unknown]))
    return Catalog(
        id=spec.catalog,
        title=spec.title,
        version=spec.version,
        source=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        controls=spec.controls,
    )


def load_profile(name_or_path: str) -> Profile:
    path = _locate(name_or_path, PROFILES_DIR, "profile")
    spec, _ = _read(path, ProfileSpec)
    return Profile(name=spec.profile, title=spec.title, catalogs=spec.catalogs, parameters=spec.parameters)


def available(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml"))


def _locate(name_or_path: str, folder: Path, what: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or "/" in name_or_path:
        if not candidate.is_file():
            raise CatalogError(f"{name_or_path}: no such {what} file")
        return candidate
    path = folder / f"{name_or_path}.yaml"
    if not path.is_file():
        raise CatalogError(f"unknown {what} {name_or_path!r}; available: {', '.join(available(folder))}")
    return path
