"""`fromline inspect`: what each file is, what it is about, and what it holds."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import orjson

from evidence.cli.options import EXIT_CODES, add_common
from evidence.cli.verification import add_verification_options, verification_context, verification_json
from evidence.errors import ExitCode
from evidence.model import Evidence, EvidenceKind, Skipped

COUNTED = {
    EvidenceKind.SBOM: ("components",),
    EvidenceKind.VULNERABILITY_SCAN: ("vulnerabilities",),
    EvidenceKind.VEX: ("statements",),
    EvidenceKind.ADMISSION_POLICY: ("policies",),
    EvidenceKind.KUBERNETES_WORKLOAD: ("workloads",),
}


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "inspect",
        help="show what Fromline reads in each evidence file",
        description="For each file: the detected kind, format and version, the producing tool and version, the "
        "image digests it claims to describe, and counts of what it holds; files that cannot be used are "
        "listed with the reason. Exit code 3 when a file in a known format is broken.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="FILE_OR_DIR", help="evidence files or directories")
    parser.add_argument("--json", action="store_true", help="print a JSON array, one object per file")
    add_verification_options(parser)
    add_common(parser)
    parser.set_defaults(run=run)


def describe(item: Evidence) -> dict[str, Any]:
    counts = {
        name: len(getattr(item, name))
        for name in ("components", "vulnerabilities", "statements", "policies", "workloads", "detections")
    }
    shown = {name: n for name, n in counts.items() if n or name in COUNTED.get(item.kind, ())}
    entry: dict[str, Any] = {
        "path": item.path,
        "kind": item.kind.value,
        "format": item.format,
        "format_version": item.format_version,
        "tool": item.tool,
        "tool_version": item.tool_version,
        "subjects": list(item.subjects),
        "counts": shown,
    }
    verification = verification_json(item.signature)
    if verification is not None:
        entry["verification"] = verification
    return entry


def skipped_entry(skipped: Skipped) -> dict[str, Any]:
    return {
        "path": skipped.path,
        "kind": None,
        "format": None,
        "format_version": None,
        "tool": None,
        "tool_version": None,
        "subjects": [],
        "counts": {},
        "skipped_reason": skipped.reason,
    }


def run(args: argparse.Namespace, _parser: argparse.ArgumentParser) -> int:
    from evidence.collectors import UNRECOGNIZED, collect  # noqa: PLC0415 - keep --help instant
    from evidence.verify import verify  # noqa: PLC0415

    found = verify(collect(args.inputs, keep_going=True), verification_context(args))
    entries = sorted(
        [describe(e) for e in found.items] + [skipped_entry(s) for s in found.skipped], key=lambda e: e["path"]
    )
    if not args.quiet:
        if args.json:
            print(orjson.dumps(entries, option=orjson.OPT_INDENT_2).decode())
        else:
            print("\n".join(_text(e) for e in entries))
    broken = [s for s in found.skipped if not s.reason.startswith(UNRECOGNIZED)]
    return ExitCode.BAD_INPUT if broken else ExitCode.OK


def _text(entry: dict[str, Any]) -> str:
    lines = [entry["path"]]
    if "skipped_reason" in entry:
        lines.append(f"  skipped: {entry['skipped_reason']}")
        return "\n".join(lines)
    fmt = " ".join(p for p in (entry["format"], entry["format_version"]) if p)
    tool = " ".join(p for p in (entry["tool"], entry["tool_version"]) if p) or "not stated"
    lines.append(f"  kind: {entry['kind']}; format: {fmt}; tool: {tool}")
    lines.append(f"  subjects: {', '.join(entry['subjects']) or 'none named'}")
    if entry["counts"]:
        lines.append("  counts: " + ", ".join(f"{n} {name}" for name, n in entry["counts"].items()))
    if "verification" in entry:
        v = entry["verification"]
        lines.append(f"  verification: {v['status']}: {v['reason']}")
    return "\n".join(lines)
