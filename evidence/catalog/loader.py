"""Load catalogs, profiles and reference tables; every problem in a file is reported at once."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from evidence.catalog.schema import CatalogSpec, ControlSpec, FipsModuleSpec, FipsModuleTable, Parameters, ProfileSpec
from evidence.errors import CatalogError
from evidence.resources import CONTROLS, PROFILES, packaged_file

# YAML files among the packaged catalogs that are reference data read by checks, not catalogs.
REFERENCE_TABLES = frozenset({"fips-modules"})
FIPS_MODULES = "fips-modules"
# What ships: a bundled file that is missing is a broken installation (exit 4), never an unknown name (exit 3).
# tests/test_resources.py holds these lists equal to the package's files.
BUNDLED_CATALOGS = (
    "base-image-rubric",
    "cis-docker",
    "disa-container",
    "fedramp-containers",
    "fips-140-3",
    "nist-800-190",
)
BUNDLED_PROFILES = ("cis", "default", "dod", "fedramp-high", "fedramp-low", "fedramp-moderate")

_Spec = TypeVar("_Spec", bound=BaseModel)
# The list of each kind of file whose items are labelled by their id in error messages.
_ITEM_LISTS = {"controls": "control", "modules": "module"}


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
    strict: bool = False  # evidence-missing counts as not-satisfied


def _shown(path: Traversable) -> str:
    """A file by its path: a user's file as given (two `mine.yaml` in different folders are told apart), a bundled
    one where it is installed (by its name only when the installation is not a folder, a zip)."""
    return str(path) if isinstance(path, Path) else path.name


def _read(path: Traversable) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise CatalogError(f"{_shown(path)}: cannot be read: {e.strerror}") from e


def _parse_yaml(shown: str, data: bytes) -> Any:
    try:
        return yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loader
    except yaml.YAMLError as e:
        raise CatalogError(f"{shown}: not valid YAML: {e}") from e


def _load_yaml(path: Traversable) -> Any:
    return _parse_yaml(_shown(path), _read(path))


def _validate(shown: str, raw: Any, spec: type[_Spec], extra: list[str] | None = None) -> _Spec:
    """The validated spec, or one error naming every problem: schema errors and the `extra` ones."""
    problems = list(extra or [])
    try:
        result = spec.model_validate(raw)
    except ValidationError as e:
        problems = [*_describe(raw, e), *problems]
    else:
        if not problems:
            return result
    error = CatalogError("\n".join([f"{shown}: {len(problems)} problem(s):", *problems]))
    error.headline, error.problem_lines = f"{shown}: {len(problems)} problem(s):", tuple(problems)
    raise error


def _describe(raw: Any, error: ValidationError) -> list[str]:
    """Each validation error on its own line, labelled with the control (or module) id when there is one."""
    lines = []
    for item in error.errors():
        where = list(item["loc"])
        label = ".".join(str(part) for part in where) or "(top level)"
        if len(where) >= 2 and where[0] in _ITEM_LISTS and isinstance(where[1], int) and isinstance(raw, dict):
            items = raw.get(str(where[0]))
            if isinstance(items, list) and where[1] < len(items) and isinstance(items[where[1]], dict):
                name = items[where[1]].get("id", where[1])
                label = f"{_ITEM_LISTS[str(where[0])]} {name}" + "".join(f".{p}" for p in where[2:])
        lines.append(f"  {label}: {item['msg']}")
    return lines


def _unknown_checks(raw: Any, known_checks: Collection[str]) -> list[str]:
    """Check names that do not exist, read from the raw file so that they are reported with schema errors."""
    controls = raw.get("controls") if isinstance(raw, dict) else None
    if not isinstance(controls, list):
        return []
    problems = []
    for index, control in enumerate(controls):
        if not isinstance(control, dict) or not isinstance(control.get("checks"), list):
            continue
        name = control.get("id", index)
        problems += [
            f"  control {name}: unknown check {check}"
            for check in control["checks"]
            if isinstance(check, str) and check not in known_checks
        ]
    return problems


def load_catalog(name_or_path: str, known_checks: Collection[str]) -> Catalog:
    """A bundled catalog by id, or a catalog file by path; every check it names must exist."""
    source = _locate(name_or_path, CONTROLS, "catalog")
    return _catalog(_shown(source), source.name, _read(source), frozenset(known_checks))


@functools.lru_cache(maxsize=32)  # a boundary assesses hundreds of images against the same few catalogs
def _catalog(shown: str, name: str, data: bytes, known_checks: frozenset[str]) -> Catalog:
    return _catalog_from(shown, name, data, _parse_yaml(shown, data), known_checks)


def _catalog_from(shown: str, name: str, data: bytes, raw: Any, known_checks: frozenset[str]) -> Catalog:
    spec = _validate(shown, raw, CatalogSpec, _unknown_checks(raw, known_checks))
    return Catalog(
        id=spec.catalog,
        title=spec.title,
        version=spec.version,
        source=name,
        sha256=hashlib.sha256(data).hexdigest(),
        controls=spec.controls,
    )


def load_profile(name_or_path: str) -> Profile:
    """A bundled profile by name, or a profile file by path."""
    source = _locate(name_or_path, PROFILES, "profile")
    return _profile(_shown(source), _load_yaml(source))


def _profile(shown: str, raw: Any) -> Profile:
    spec = _validate(shown, raw, ProfileSpec)
    return Profile(
        name=spec.profile, title=spec.title, catalogs=spec.catalogs, parameters=spec.parameters, strict=spec.strict
    )


def load_catalog_or_profile(path: Path, known_checks: Collection[str]) -> Catalog | Profile:
    """A catalog or a profile file, told apart by its content (a profile names `profile` and no `controls`), read
    and parsed once and checked as `load_catalog` or `load_profile` would."""
    shown, data = _shown(path), _read(path)
    raw = _parse_yaml(shown, data)
    if isinstance(raw, dict) and "profile" in raw and "controls" not in raw:
        return _profile(shown, raw)
    return _catalog_from(shown, path.name, data, raw, frozenset(known_checks))


def load_fips_modules(path: Path | None = None) -> tuple[FipsModuleSpec, ...]:
    """The reference table of FIPS 140 cryptographic modules the FIPS checks map components to: the bundled
    one, or the file at `path`."""
    return _fips_modules(str(path.resolve()) if path is not None else None)


@functools.cache
def _fips_modules(path: str | None) -> tuple[FipsModuleSpec, ...]:
    source: Traversable = Path(path) if path is not None else packaged_file(CONTROLS, f"{FIPS_MODULES}.yaml")
    return _validate(_shown(source), _load_yaml(source), FipsModuleTable).modules


def available_profiles() -> list[str]:
    """The names of the bundled profiles; `ResourceError` when one of them is missing from the installation."""
    return _shipped(PROFILES, BUNDLED_PROFILES)


def available_catalogs() -> list[str]:
    """The ids of the bundled catalogs (reference tables excluded); `ResourceError` when one is missing."""
    return _shipped(CONTROLS, BUNDLED_CATALOGS)


def _shipped(folder: str, names: tuple[str, ...]) -> list[str]:
    for name in names:
        packaged_file(folder, f"{name}.yaml")
    return list(names)


def _locate(name_or_path: str, folder: str, what: str) -> Traversable:
    """A file the user names by path, or a bundled one by name."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or "/" in name_or_path:
        if not candidate.is_file():
            raise CatalogError(f"{name_or_path}: no such {what} file")
        return candidate
    choices = available_catalogs() if folder == CONTROLS else available_profiles()
    if name_or_path not in choices:
        raise CatalogError(f"unknown {what} {name_or_path!r}; available: {', '.join(choices)}")
    return packaged_file(folder, f"{name_or_path}.yaml")


def load_catalogs(names_or_paths: Collection[str], known_checks: Collection[str]) -> list[Catalog]:
    """Several catalogs, each named once; two catalogs with the same id are an error."""
    catalogs = [load_catalog(name, known_checks) for name in dict.fromkeys(names_or_paths)]
    seen: dict[str, str] = {}
    for catalog in catalogs:
        if catalog.id in seen:
            raise CatalogError(f"{catalog.source}: catalog id {catalog.id!r} is already used by {seen[catalog.id]}")
        seen[catalog.id] = catalog.source
    return catalogs
