"""`fromline inspect`: what each file is, what it is about, and what it holds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence.cli.options import PLAIN_EXIT_CODES, STANDARD_STREAM, add_common, terminal_lines
from evidence.cli.verification import add_verification_options, verification_context, verification_json
from evidence.errors import ExitCode, InputError

if TYPE_CHECKING:
    from evidence.collectors import Document
    from evidence.model import Evidence, Skipped

STDIN_NAME = "<stdin>"  # how standard input (`-`) is named in the output


def _counted() -> dict[str, tuple[str, ...]]:
    """The counts shown for a kind of evidence even when zero."""
    from evidence.model import EvidenceKind  # noqa: PLC0415 - the model is not needed for --help

    return {
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
        description="For each file, by the path given (or below a directory given): the detected kind, format and "
        "version, the producing tool and version, the image digests it claims to describe, and counts of what it "
        "holds; files that cannot be used are listed with the reason. Exit code 3 when a file in a known format "
        "is broken or a file cannot be read.",
        epilog=PLAIN_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="FILE_OR_DIR",
        help=f"evidence files or directories; - reads one file from standard input, shown as {STDIN_NAME}",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array, one object per file")
    add_verification_options(parser)
    add_common(parser)
    parser.set_defaults(run=run)


def describe(item: Evidence, given: str) -> dict[str, Any]:
    counts = {
        name: len(getattr(item, name))
        for name in ("components", "vulnerabilities", "statements", "policies", "workloads", "detections")
    }
    shown = {name: n for name, n in counts.items() if n or name in _counted().get(item.kind, ())}
    entry: dict[str, Any] = {
        "path": item.path,
        "given_path": given,
        "kind": item.kind.value,
        "format": item.format,
        "format_version": item.format_version,
        "tool": item.tool,
        "tool_version": item.tool_version,
        "subjects": list(item.subjects),
        "counts": shown,
    }
    if item.predicate_type is not None:
        entry["predicate_type"] = item.predicate_type
    if item.predicate_not_read is not None:
        entry["predicate_not_read"] = item.predicate_not_read
    verification = verification_json(item.signature)
    if verification is not None:
        entry["verification"] = verification
    return entry


def skipped_entry(skipped: Skipped, given: str) -> dict[str, Any]:
    return {
        "path": skipped.path,
        "given_path": given,
        "kind": None,
        "format": None,
        "format_version": None,
        "tool": None,
        "tool_version": None,
        "subjects": [],
        "counts": {},
        "skipped_reason": skipped.reason,
    }


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from evidence.cycles import no_cycle_collection  # noqa: PLC0415 - keep --help instant

    # Everything read is also freed inside the block: once the cycle collector resumes, it would first walk every
    # object still held (all the components of a large SBOM) to free nothing.
    with no_cycle_collection():
        return _inspect(args, parser)


def _inspect(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import orjson  # noqa: PLC0415 - keep --help instant

    from evidence.collectors import collect  # noqa: PLC0415
    from evidence.model import SkipCategory  # noqa: PLC0415
    from evidence.verify import verify  # noqa: PLC0415

    paths = [Path(given) for given in args.inputs if given != STANDARD_STREAM]  # `./-` is a file named `-`
    from_stdin = len(args.inputs) - len(paths)
    if from_stdin > 1:
        parser.error(f"{STANDARD_STREAM} (standard input) can be given once")
    verification = verification_context(args)
    documents = [read_standard_input()] if from_stdin else []
    found = verify(collect(paths, keep_going=True, documents=documents), verification)
    skipped_given = found.skipped_given or tuple(s.path for s in found.skipped)
    entries = sorted(
        [describe(e, found.given.get(e.id, e.path)) for e in found.items]
        + [skipped_entry(s, given) for s, given in zip(found.skipped, skipped_given, strict=True)],
        key=lambda e: (e["given_path"], e["path"]),
    )
    if not args.quiet:
        if args.json:
            print(orjson.dumps(entries, option=orjson.OPT_INDENT_2).decode())
        else:
            print("\n".join(_text(e) for e in entries))
    broken = [s for s in found.skipped if s.category in (SkipCategory.MALFORMED, SkipCategory.UNREADABLE)]
    return ExitCode.BAD_INPUT if broken else ExitCode.OK


def read_standard_input() -> Document:
    """Standard input as one evidence file, read once and bounded like a file on disk."""
    from evidence.collectors import MAX_FILE_BYTES, Document  # noqa: PLC0415

    if sys.stdin is None:
        raise InputError(STDIN_NAME, "there is no standard input to read")
    try:
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise InputError(STDIN_NAME, f"cannot be read: {e.strerror or e}") from e
    if len(data) > MAX_FILE_BYTES:
        raise InputError(STDIN_NAME, f"is over the {MAX_FILE_BYTES}-byte limit for one evidence file")
    return Document(path=STDIN_NAME, data=data)


def _text(entry: dict[str, Any]) -> str:
    lines = [entry["given_path"]]
    if "skipped_reason" in entry:
        lines.append(f"  skipped: {entry['skipped_reason']}")
        return terminal_lines(lines)
    fmt = " ".join(p for p in (entry["format"], entry["format_version"]) if p)
    tool = " ".join(p for p in (entry["tool"], entry["tool_version"]) if p) or "not stated"
    lines.append(f"  kind: {entry['kind']}; format: {fmt}; tool: {tool}")
    lines.append(f"  subjects: {', '.join(entry['subjects']) or 'none named'}")
    if "predicate_type" in entry:
        lines.append(f"  predicate type: {entry['predicate_type']}")
    if "predicate_not_read" in entry:
        lines.append(f"  predicate not read: {entry['predicate_not_read']}")
    if entry["counts"]:
        lines.append("  counts: " + ", ".join(f"{n} {name}" for name, n in entry["counts"].items()))
    if "verification" in entry:
        v = entry["verification"]
        lines.append(f"  verification: {v['status']}: {v['reason']}")
    return terminal_lines(lines)
