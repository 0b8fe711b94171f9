"""The options a CI sets every time, from a configuration file and `FROMLINE_*` environment variables.

Precedence: a flag on the command line, then the environment variable, then the file. The file is `--config FILE`
(anywhere on the command line), else `$FROMLINE_CONFIG`, else `fromline.yaml` in the working directory when there is
one. Its paths are relative to the file; an environment variable's to the working directory. A list option (`key`,
`insecure_registry`) takes a YAML list in the file and `os.pathsep`-separated values in the environment, and a
flag's values replace them rather than adding to them.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence.errors import InputError

__all__ = ["SETTINGS", "apply_settings", "config_path"]

CONFIG_FILE = "fromline.yaml"
CONFIG_OPTION = "--config"


@dataclass(frozen=True, slots=True)
class Setting:
    dest: str
    path: bool = False  # a file: relative to where it was given
    many: bool = False
    also: tuple[str, ...] = ()  # the option's other spellings, besides --<dest with dashes>

    @property
    def options(self) -> tuple[str, ...]:
        return ("--" + self.dest.replace("_", "-"), *self.also)


SETTINGS = tuple(
    Setting(*spec)
    for spec in (
        ("profile", False, False, ("--compliance",)),
        ("policy", True),
        ("key", True, True),
        ("trusted_root", True),
        ("kev", True),
        ("epss", True),
        ("deviations", True),
        ("poc",),
        ("system_name",),
        ("system_id",),
        ("impact",),
        ("csp",),
        ("assessor",),
        ("assessor_org",),
        ("certificate_identity",),
        ("certificate_identity_regexp",),
        ("certificate_oidc_issuer",),
        ("registry_ca", True),
        ("insecure_registry", False, True),
    )
)


def config_path(argv: list[str]) -> tuple[Path | None, list[str]]:
    """The configuration file to read, and the command line without `--config FILE`."""
    rest: list[str] = []
    chosen: Path | None = None
    words = iter(argv)
    for word in words:
        if word == CONFIG_OPTION:
            value = next(words, None)
            if value is None:
                raise InputError(CONFIG_OPTION, "names no file")
            chosen = Path(value)
        elif word.startswith(CONFIG_OPTION + "="):
            chosen = Path(word.split("=", 1)[1])
        else:
            rest.append(word)
    if chosen is None and os.environ.get("FROMLINE_CONFIG"):
        chosen = Path(os.environ["FROMLINE_CONFIG"])
    if chosen is None and Path(CONFIG_FILE).is_file():
        chosen = Path(CONFIG_FILE)
    if chosen is not None and not chosen.is_file():
        raise InputError(chosen, "the configuration file does not exist")
    return chosen, rest


def _file_values(path: Path) -> dict[str, Any]:
    import yaml  # noqa: PLC0415

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise InputError(path, f"the configuration file cannot be read: {e}") from e
    if document is None:
        return {}
    known = {s.dest.replace("_", "-") for s in SETTINGS} | {s.dest for s in SETTINGS} | {"version"}
    if not isinstance(document, dict) or document.get("version", 1) != 1:
        raise InputError(path, "the configuration file must be a mapping (version: 1)")
    unknown = sorted(str(k) for k in document if k not in known)
    if unknown:
        raise InputError(path, f"unknown settings: {', '.join(unknown)} (known: {', '.join(s.dest for s in SETTINGS)})")
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        value = document.get(setting.dest, document.get(setting.dest.replace("_", "-")))
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str | int) for v in items) or (isinstance(value, list) and not setting.many):
            raise InputError(path, f"{setting.dest} must be {'a list of strings' if setting.many else 'a string'}")
        texts = [str(v) for v in items]
        converted: list[Any] = [path.parent / t if setting.path else t for t in texts]
        values[setting.dest] = converted if setting.many else converted[0]
    return values


def _environment_values() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        text = os.environ.get(f"FROMLINE_{setting.dest.upper()}")
        if not text:
            continue
        items = [t for t in text.split(os.pathsep) if t] if setting.many else [text]
        converted: list[Any] = [Path(t) if setting.path else t for t in items]
        values[setting.dest] = converted if setting.many else converted[0]
    return values


def apply_settings(args: argparse.Namespace, argv: list[str], path: Path | None) -> None:
    """Fill the command's options that the command line did not give, from the environment, then the file."""
    from evidence.cli.assessment import IMPACT_CHOICES  # noqa: PLC0415

    values = (_file_values(path) if path is not None else {}) | _environment_values()
    for setting in SETTINGS:
        value = values.get(setting.dest)
        if value is None or not hasattr(args, setting.dest):  # not set, or not an option of this command
            continue
        if any(word == option or word.startswith(option + "=") for word in argv for option in setting.options):
            continue
        if setting.dest == "impact" and value not in IMPACT_CHOICES:
            where = f"FROMLINE_IMPACT or {path}" if path else "FROMLINE_IMPACT"
            raise InputError(where, f"impact must be one of {', '.join(IMPACT_CHOICES)}")
        setattr(args, setting.dest, value)
