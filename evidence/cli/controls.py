"""`fromline controls`: the catalogs and their controls, with their SP 800-53 mappings and deciding checks."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence.cli.options import PLAIN_EXIT_CODES, add_common, terminal_lines
from evidence.errors import ExitCode

if TYPE_CHECKING:
    from evidence.catalog import Catalog, ControlSpec

_WIDTH = 100


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "controls",
        help="list the control catalogs, or show one control",
        description="The control catalogs (bundled, or your own with --catalog): each control with its NIST SP "
        "800-53 rev5 mapping and the checks that decide it, or the reason it is manual or not applicable.",
        epilog=PLAIN_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=type(parser))
    listing = actions.add_parser("list", help="every control of the selected catalogs")
    listing.add_argument("--json", action="store_true", help="print a JSON array, one object per control")
    listing.add_argument("--profile", metavar="NAME", help="only the catalogs of this profile (name or YAML file)")
    show = actions.add_parser("show", help="one control, or one catalog, in full")
    show.add_argument("id", metavar="ID", help="a control id (4.1.1, or CATALOG:ID when ids repeat) or a catalog id")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.add_argument("--profile", metavar="NAME", help="look only in the catalogs of this profile")
    validate = actions.add_parser(
        "validate",
        help="check catalog and profile files; exit 3 at the first bad one, with all its problems",
        description="Check each catalog or profile YAML file as `package` would load it: its schema, every check "
        "a control names, and a profile's catalogs. Stops at the first bad file with all of its problems listed "
        "(exit 3); prints one line per good file. For a pre-commit hook (.pre-commit-hooks.yaml).",
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="catalog or profile YAML files")
    add_common(validate)
    validate.set_defaults(run=run_validate)
    for sub in (listing, show):
        sub.add_argument(
            "--catalog", action="append", default=[], metavar="PATH", help="a catalog YAML file to add (repeatable)"
        )
        add_common(sub)
        sub.set_defaults(run=run)


def _catalogs(args: argparse.Namespace) -> list[Catalog]:
    from evidence.catalog import available_catalogs, load_catalogs, load_profile  # noqa: PLC0415 - fast --help
    from evidence.evaluate import CHECKS  # noqa: PLC0415

    names = list(load_profile(args.profile).catalogs) if args.profile else available_catalogs()
    return load_catalogs([*names, *args.catalog], CHECKS)


def decided_by(control: ControlSpec) -> list[str]:
    """The check names, or `<status>: <reason>` (manual, not-assessed, not-applicable)."""
    if control.checks:
        return list(control.checks)
    return [f"{control.status}: {' '.join((control.reason or '').split())}"]


def summary(catalog: Catalog, control: ControlSpec) -> dict[str, Any]:
    return {
        "catalog": catalog.id,
        "id": control.id,
        "title": control.title,
        "nist_800_53": list(control.nist_800_53),
        "decided_by": decided_by(control),
    }


def detail(catalog: Catalog, control: ControlSpec) -> dict[str, Any]:
    entry = summary(catalog, control)
    entry.update(
        {
            "catalog_title": catalog.title,
            "catalog_version": catalog.version,
            "catalog_source": catalog.source,
            "scope": control.scope,
            "guidance": " ".join(control.guidance.split()) if control.guidance else None,
            "not_shown": " ".join(control.not_shown.split()) if control.not_shown else None,
            "responsible": control.responsible,
            "assessment": control.assessment,
            "cci": list(control.cci),
            "ia_control": control.ia_control,
            "vuln_id": control.vuln_id,
            "severity": control.severity,
        }
    )
    return entry


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import orjson  # noqa: PLC0415 - keep --help instant

    catalogs = _catalogs(args)
    if args.action == "list":
        rows = [summary(c, s) for c in catalogs for s in c.controls]
        print(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() if args.json else _list_text(catalogs))
        return ExitCode.OK
    found = _find(catalogs, args.id)
    if not found:
        parser.error(f"no catalog or control with id {args.id!r} (see `fromline controls list`)")
    if args.json:
        print(orjson.dumps([detail(c, s) for c, s in found], option=orjson.OPT_INDENT_2).decode())
    else:
        print("\n\n".join(_show_text(c, s) for c, s in found))
    return ExitCode.OK


def _find(catalogs: list[Catalog], wanted: str) -> list[tuple[Catalog, ControlSpec]]:
    by_catalog = [(c, s) for c in catalogs if c.id == wanted for s in c.controls]
    if by_catalog:
        return by_catalog
    catalog_id, _, control_id = wanted.rpartition(":")
    return [(c, s) for c in catalogs for s in c.controls if s.id == control_id and catalog_id in ("", c.id)]


def _list_text(catalogs: list[Catalog]) -> str:
    blocks = []
    for catalog in catalogs:
        lines = [f"{catalog.id}: {catalog.title} (version {catalog.version}, {len(catalog.controls)} controls)"]
        width = max(len(s.id) for s in catalog.controls)
        for spec in catalog.controls:
            decided = ", ".join(spec.checks) if spec.checks else spec.status
            lines.append(f"  {spec.id:<{width}}  {spec.title}")
            lines.append(f"  {'':<{width}}  800-53: {', '.join(spec.nist_800_53)}; decided by: {decided}")
        blocks.append(terminal_lines(lines))
    return "\n\n".join(blocks)


def _show_text(catalog: Catalog, spec: ControlSpec) -> str:
    facts = detail(catalog, spec)
    lines = [
        f"{catalog.id} {spec.id}: {spec.title}",
        f"  catalog:      {catalog.title} (version {catalog.version}, {catalog.source})",
        f"  scope:        {spec.scope} (how far image evidence reaches)",
        f"  NIST 800-53:  {', '.join(spec.nist_800_53)}",
    ]
    labels = (
        ("assessment", "CIS status"),
        ("ia_control", "IA control"),
        ("vuln_id", "Vuln ID"),
        ("severity", "category"),
    )
    lines += [f"  {label + ':':<13} {facts[key]}" for key, label in labels if facts[key]]
    if spec.cci:
        lines.append(f"  CCI:          {', '.join(spec.cci)}")
    if spec.checks:
        lines.append(f"  decided by:   {', '.join(spec.checks)}")
    else:
        responsible = f" (responsible: {spec.responsible})" if spec.responsible else ""
        lines.append(f"  decided by:   {spec.status}{responsible}")
        lines += _wrapped("reason", spec.reason)
    lines += _wrapped("guidance", spec.guidance)
    lines += _wrapped("not shown", spec.not_shown)
    return terminal_lines(lines)


def _wrapped(label: str, text: str | None) -> list[str]:
    if not text:
        return []
    body = textwrap.wrap(" ".join(text.split()), width=_WIDTH - 16)
    return [f"  {label + ':':<13} {body[0]}", *(f"  {'':<13} {line}" for line in body[1:])]


def run_validate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:  # noqa: ARG001 - as every run
    from evidence.catalog import Profile, load_catalog_or_profile, load_catalogs  # noqa: PLC0415
    from evidence.evaluate import CHECKS  # noqa: PLC0415

    for name in args.files:
        loaded = load_catalog_or_profile(Path(name), CHECKS)
        if isinstance(loaded, Profile):
            load_catalogs(loaded.catalogs, CHECKS)  # every catalog the profile names exists and is valid
            what = f"profile {loaded.name} ({len(loaded.catalogs)} catalogs)"
        else:
            what = f"catalog {loaded.id} ({len(loaded.controls)} controls)"
        if not args.quiet:
            print(terminal_lines([f"{name}: valid {what}"]))
    return ExitCode.OK
