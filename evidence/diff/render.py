"""A `PackageDiff` as JSON (`diff.json`), Markdown (a pull-request comment, `diff.md`) and HTML.

Every name and version in a diff comes from files an attacker may have written. In Markdown each such value
is put in a code span whose fence is longer than any run of backticks in it, with line breaks and control
characters shown as escapes (`evidence.visible`): nothing in it can start a line, close a `<details>` block,
make a link or an HTML tag.
The HTML goes through the project's one autoescaping Jinja environment.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, BinaryIO

import orjson

from evidence.errors import RenderError
from evidence.model import (
    AuditPackage,
    DiffSummary,
    NewCause,
    NewVulnerability,
    PackageDiff,
    PoamChange,
    PoamStatus,
    Side,
    Signer,
    Vulnerability,
    VulnerabilityChange,
    VulnerabilityState,
)
from evidence.visible import cut, visible

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

__all__ = [
    "DiffJson",
    "DiffMarkdown",
    "change_rows",
    "describe_poam_change",
    "recorded_diff_summary",
    "render_html",
    "render_json",
    "render_markdown",
    "side_label",
]

TEMPLATE = "diff.html.j2"
LIST_LIMIT = 100  # items per Markdown list: a pull-request comment holds 65,536 characters
VALUE_LIMIT = 200  # characters of one value in Markdown
_JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS
_BACKTICKS = re.compile("`+")


# --- what the summary says, for every format ----------------------------------------------------------


def recorded_diff_summary(diff: PackageDiff) -> DiffSummary:
    """The counts `compare` recorded with the diff; every format shows these, none counts again."""
    if diff.summary is None:
        raise RenderError("the diff records no summary: make it with compare(), or read it with load_package()")
    return diff.summary


def side_label(side: Side) -> str:
    """The release when known, else the digest's first 12 hex digits."""
    return side.release or f"sha256:{side.digest.rpartition(':')[2][:12]}"


def _count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _vulnerability_aspect(change: VulnerabilityChange) -> str:
    """`severity medium → high; state open → suppressed (VEX not_affected)`: our words and their values."""
    o, n = change.old, change.new
    values = {
        "severity": (o.severity, n.severity),
        "state": (o.state, n.state),
        "suppression": (o.suppression or "none", n.suppression or "none"),
        "deviation": (o.deviation or "none", n.deviation or "none"),
        "kev": ("not in KEV" if not o.kev else "in KEV", "in KEV" if n.kev else "not in KEV"),
        "installed-version": (o.installed_version or "unknown", n.installed_version or "unknown"),
    }
    return "; ".join(f"{a} {values[a][0]} → {values[a][1]}" for a in change.aspects if a in values)


# --- JSON -------------------------------------------------------------------------------------------------


def render_json(diff: PackageDiff) -> bytes:
    """`diff.json`: the records in their field order, lists sorted, two-space indentation (docs/diff-json.md)."""
    return orjson.dumps(diff, option=_JSON_OPTIONS) + b"\n"


# --- Markdown ---------------------------------------------------------------------------------------------


def code(value: str | None) -> str:
    """One value from the input as an inline code span that nothing inside can end early."""
    if value is None or value == "":
        return "*none*"
    text = cut(visible(value), VALUE_LIMIT, full_in="diff.json")
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


def _vuln(v: Vulnerability) -> str:
    version = f" {code(v.installed_version)}" if v.installed_version else ""
    return f"{code(v.id)} in {code(v.package)}{version}"


def _details(title: str, items: Sequence[str]) -> list[str]:
    """A folded list; the title is ours, every item is already escaped."""
    if not items:
        return []
    shown = list(items[:LIST_LIMIT])
    if len(items) > LIST_LIMIT:
        shown.append(f"- … and {len(items) - LIST_LIMIT} more: see diff.json")
    return ["<details>", f"<summary>{title} ({len(items)})</summary>", "", *shown, "", "</details>", ""]


def _summary_lines(diff: PackageDiff, s: DiffSummary) -> list[str]:
    severities = ", ".join(f"{x.count} {x.severity}" for x in s.new_by_severity)
    new = f"{s.new} new"
    if s.new:
        new += f" ({severities}; {s.new_image_changed} because the image changed, "
        new += f"{s.new_newly_disclosed} newly disclosed)"
    oldest = f", the oldest open {_count(s.oldest_open_days, 'day')}" if s.oldest_open_days is not None else ""
    kev = f"{_count(s.new_kev, 'open vulnerability', 'open vulnerabilities')} newly in KEV, " if s.new_kev else ""
    lines = [
        (
            f"- **Vulnerabilities:** {new}, {s.fixed} fixed, {s.still_open} still open{oldest}; {kev}"
            f"{_count(s.severity_changes, 'severity change')}, "
            f"{_count(s.suppressions_gained, 'suppression')} gained, {s.suppressions_lost} lost"
        ),
        f"- **Components:** {len(diff.components.added)} added, {len(diff.components.removed)} removed, "
        f"{s.upgraded} upgraded, {s.downgraded} downgraded"
        + (f", {s.versions_changed} changed" if s.versions_changed else ""),
        f"- **Controls:** {_count(s.regressions, 'regression')}, {_count(s.improvements, 'improvement')}"
        + (f", {_count(s.status_changes, 'other change')}" if s.status_changes else "")
        + (f", {len(diff.controls.added)} added" if diff.controls.added else "")
        + (f", {len(diff.controls.removed)} removed" if diff.controls.removed else ""),
    ]
    lines.append(
        f"- **POA&M:** {s.poam_opened} opened, {s.poam_closed} closed, "
        f"{_count(s.poam_changed, 'item')} with a changed status, due date or severity"
    )
    verdicts = [f"{x.topic} {code(x.old_outcome)} → {code(x.new_outcome)}" for x in diff.verdicts.changed]
    lines.append(f"- **Summary verdicts:** {', '.join(verdicts) if verdicts else 'unchanged'}")
    sig = diff.signatures
    if sig.added or sig.removed:
        signers = f"{len(sig.added)} signer(s) added, {len(sig.removed)} removed"
    else:
        signers = "unchanged" if sig.new else "no verified signature on either side"
    lines.append(f"- **Signature:** {signers}")
    changed_fields = [c.field.replace("_", " ") for c in diff.provenance.changed]
    lines.append(f"- **Provenance:** {', '.join(changed_fields) + ' changed' if changed_fields else 'unchanged'}")
    base = [c.field for c in diff.base_image.changed]
    lines.append(f"- **Base image:** {', '.join(base) + ' changed' if base else 'unchanged'}")
    ev = diff.evidence
    missing = f" (no {', '.join(ev.missing_kinds)} any more)" if ev.missing_kinds else ""
    lines.append(
        f"- **Evidence:** {len(ev.added)} added, {len(ev.removed)} missing{missing}, {len(ev.changed)} changed"
    )
    r = diff.rubric
    if r.old_total is not None or r.new_total is not None:
        lines.append(
            f"- **Base-image rubric:** grade {code(r.old_grade)} → {code(r.new_grade)}, "
            f"{r.old_total if r.old_total is not None else 'none'} → "
            f"{r.new_total if r.new_total is not None else 'none'} points"
        )
    return lines


_CAUSE_WORDS = {NewCause.IMAGE_CHANGED: "the image changed", NewCause.NEWLY_DISCLOSED: "newly disclosed"}


def _new_item(a: NewVulnerability) -> str:
    v = a.vulnerability
    kev = " (in KEV)" if v.kev else ""
    state = f" ({v.state})" if v.state is not VulnerabilityState.OPEN else ""
    fixed = f"; fixed in {', '.join(code(f) for f in v.fixed_versions)}" if v.fixed_versions else ""
    return f"- **{v.severity}** {_vuln(v)}: {_CAUSE_WORDS[a.cause]}{kev}{state}{fixed}"


def _control(catalog: str, control_id: str, title: str) -> str:
    return f"{code(catalog)} {code(control_id)} {code(title)}"


def _signer_item(word: str, s: Signer) -> str:
    return f"- signer {word}: key {code(s.key_id)}, identity {code(s.identity)}, issuer {code(s.issuer)}{s.trust_note}"


def _detail_sections(diff: PackageDiff) -> list[str]:
    v, c, k, e = diff.vulnerabilities, diff.components, diff.controls, diff.evidence
    still_open = [
        f"- {s.vulnerability.severity} {_vuln(s.vulnerability)}: open {_count(s.age_days, 'day')}, "
        f"since {s.open_since:%Y-%m-%d}"
        for s in v.still_open
    ]
    components = [
        *(f"- added {code(x.name)} {code(x.version)}" for x in c.added),
        *(f"- removed {code(x.name)} {code(x.version)}" for x in c.removed),
        *(f"- {x.change.value} {code(x.name)} {code(x.old_version)} → {code(x.new_version)}" for x in c.changed),
    ]
    controls = [
        *(f"- {x.change.value}: {_control(x.catalog, x.control_id, x.title)}, {x.old_label} → {x.new_label}"
          for x in k.changed),
        *(f"- added: {_control(x.catalog, x.control_id, x.title)}, {x.status}" for x in k.added),
        *(f"- removed: {_control(x.catalog, x.control_id, x.title)}, {x.status}" for x in k.removed),
    ]  # fmt: skip
    identity = [
        *(_signer_item("added", s) for s in diff.signatures.added),
        *(_signer_item("removed", s) for s in diff.signatures.removed),
        *(f"- provenance {f.field.replace('_', ' ')}: {code(f.old)} → {code(f.new)}" for f in diff.provenance.changed),
        *(f"- base image {f.field}: {code(f.old)} → {code(f.new)}" for f in diff.base_image.changed),
        *(f"- rubric {code(x.criterion)}: {x.old_score} → {x.new_score}" for x in diff.rubric.changed),
    ]
    poam = [
        *(f"- opened {code(x.poam_id)} ({x.severity}), due {_day(x.due)}" for x in diff.poam.opened),
        *(f"- closed {code(x.poam_id)} ({x.severity})" for x in diff.poam.closed),
        *(f"- changed {code(x.new.poam_id)}: {code(describe_poam_change(x))}" for x in diff.poam.changed),
    ]
    evidence = [
        *(f"- added {x.kind} {code(x.path)}" for x in e.added),
        *(f"- missing {x.kind} {code(x.path)}" for x in e.removed),
        *(f"- changed {x.kind} {code(x.key)}: sha256 {code(x.old_sha256[:12])} → {code(x.new_sha256[:12])}"
          for x in e.changed),
    ]  # fmt: skip
    return [
        *_details("New vulnerabilities", [_new_item(a) for a in v.added]),
        *_details("Fixed vulnerabilities", [f"- {r.severity} {_vuln(r)}" for r in v.removed]),
        *_details(
            "Changed vulnerabilities", [f"- {_vuln(x.new)}: {code(_vulnerability_aspect(x))}" for x in v.changed]
        ),
        *_details("Still open", still_open),
        *_details("Plan of action and milestones", poam),
        *_details("Components", components),
        *_details("Controls", controls),
        *_details("Signature, provenance and base image", identity),
        *_details("Evidence", evidence),
    ]


def render_markdown(diff: PackageDiff) -> str:
    """A pull-request comment: the summary, then each list folded in a `<details>` block."""
    old, new = diff.old, diff.new
    lines = [
        f"### Fromline: changes since {code(side_label(old))}",
        "",
        (
            f"{code(new.name)} {code(side_label(old))} → {code(side_label(new))}, "
            f"assessed {old.assessed_at:%Y-%m-%d} and {new.assessed_at:%Y-%m-%d}."
        ),
        "",
    ]
    if diff.is_empty():
        lines += ["No changes.", ""]
    lines += [*_summary_lines(diff, recorded_diff_summary(diff)), "", *_detail_sections(diff)]
    return "\n".join(lines).rstrip("\n") + "\n"


# --- HTML -------------------------------------------------------------------------------------------------


def render_html(diff: PackageDiff) -> str:
    """A standalone page, its stylesheet inlined; the report's "Changes since" chapter is the same macro."""
    from evidence.render._jinja import stylesheet, template  # noqa: PLC0415 - jinja only when HTML is asked for
    from evidence.render.report import STYLESHEET  # noqa: PLC0415

    return template(TEMPLATE).render({**html_context(diff), "css": stylesheet(STYLESHEET)})


def html_context(diff: PackageDiff) -> dict[str, object]:
    return {
        "diff": diff,
        "summary": recorded_diff_summary(diff),
        "old_label": side_label(diff.old),
        "new_label": side_label(diff.new),
        "describe_change": _vulnerability_aspect,
        "describe_poam_change": describe_poam_change,
    }


# --- rows for the workbook's Changes sheet -------------------------------------------------------------


ChangeRow = tuple[str, str, str, str | None, str | None, str | None]  # area, change, item, old, new, detail


def change_rows(diff: PackageDiff) -> list[ChangeRow]:
    """One row per change, every cell text: the workbook writes them as strings, never formulas."""
    v = diff.vulnerabilities
    rows: list[ChangeRow] = []
    rows += [
        ("vulnerability", f"new ({a.cause.value})", _vuln_item(a.vulnerability), None, a.vulnerability.severity,
         a.vulnerability.state + (", in KEV" if a.vulnerability.kev else ""))
        for a in v.added
    ]  # fmt: skip
    rows += [("vulnerability", "fixed", _vuln_item(r), r.severity, None, None) for r in v.removed]
    rows += [
        ("vulnerability", "changed: " + ", ".join(x.aspects), _vuln_item(x.new), None, None, _vulnerability_aspect(x))
        for x in v.changed
    ]
    rows += [
        ("vulnerability", "still open", _vuln_item(s.vulnerability), None, s.vulnerability.severity,
         f"open {s.age_days} days, since {s.open_since:%Y-%m-%d}")
        for s in v.still_open
    ]  # fmt: skip
    c = diff.components
    rows += [("component", "added", x.name, None, x.version, x.purl) for x in c.added]
    rows += [("component", "removed", x.name, x.version, None, x.purl) for x in c.removed]
    rows += [("component", x.change.value, x.name, x.old_version, x.new_version, x.key) for x in c.changed]
    k = diff.controls
    rows += [("control", x.change.value, f"{x.catalog} {x.control_id} {x.title}", x.old_label, x.new_label, None)
             for x in k.changed]  # fmt: skip
    rows += [("control", "added", f"{x.catalog} {x.control_id} {x.title}", None, x.status, None) for x in k.added]
    rows += [("control", "removed", f"{x.catalog} {x.control_id} {x.title}", x.status, None, None) for x in k.removed]
    rows += [("signature", "signer added", _signer(s), None, _signer(s), None) for s in diff.signatures.added]
    rows += [("signature", "signer removed", _signer(s), _signer(s), None, None) for s in diff.signatures.removed]
    rows += [("provenance", "changed", f.field, f.old, f.new, None) for f in diff.provenance.changed]
    rows += [("base image", "changed", f.field, f.old, f.new, None) for f in diff.base_image.changed]
    p = diff.poam
    rows += [("poam", "opened", x.poam_id, None, x.status, f"{x.severity}, due {_day(x.due)}") for x in p.opened]
    rows += [("poam", "closed", x.poam_id, PoamStatus.OPEN, x.status, x.severity) for x in p.closed]
    rows += [
        ("poam", "changed: " + ", ".join(x.aspects), x.new.poam_id, None, None, describe_poam_change(x))
        for x in p.changed
    ]
    rows += [
        (
            "verdict",
            x.change.value,
            x.topic,
            f"{x.old_outcome} ({x.old_status})",
            f"{x.new_outcome} ({x.new_status})",
            None,
        )
        for x in diff.verdicts.changed
    ]
    r = diff.rubric
    if r.old_grade != r.new_grade:
        rows.append(("rubric", "grade changed", "grade", r.old_grade, r.new_grade, None))
    rows += [("rubric", "score changed", x.criterion, _int(x.old_score), _int(x.new_score), None) for x in r.changed]
    e = diff.evidence
    rows += [("evidence", "added", e_.path, None, e_.sha256, e_.kind) for e_ in e.added]
    rows += [("evidence", "missing", e_.path, e_.sha256, None, e_.kind) for e_ in e.removed]
    rows += [("evidence", "changed", x.key, x.old_sha256, x.new_sha256, x.kind) for x in e.changed]
    return rows


def _day(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment is not None else "none"


def describe_poam_change(change: PoamChange) -> str:
    """`due 2026-12-01 → 2026-11-25; risk-status open → deviation-approved`: our words and their values."""
    o, n = change.old, change.new
    values = {
        "risk-status": (o.risk_status, n.risk_status),
        "due": (_day(o.due), _day(n.due)),
        "overdue": ("overdue" if o.overdue else "not overdue", "overdue" if n.overdue else "not overdue"),
        "severity": (o.severity, n.severity),
    }
    return "; ".join(f"{a} {values[a][0]} → {values[a][1]}" for a in change.aspects if a in values)


def _vuln_item(v: Vulnerability) -> str:
    return f"{v.id} in {v.package} {v.installed_version or ''}".rstrip()


def _signer(s: Signer) -> str:
    return (" ".join(p for p in (s.key_id, s.identity, s.issuer) if p) or "unknown") + s.trust_note


def _int(value: int | None) -> str | None:
    return None if value is None else str(value)


# --- package files ---------------------------------------------------------------------------------------


def _changes(pkg: AuditPackage, filename: str) -> PackageDiff:
    if pkg.changes is None:
        raise RenderError(f"{filename}: the package has no previous package to compare with (--previous)")
    return pkg.changes


class DiffJson:
    """`diff.json` of a package made with `--previous`."""

    filename = "diff.json"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(render_json(_changes(pkg, self.filename)))


class DiffMarkdown:
    """`diff.md` of a package made with `--previous`: the pull-request comment."""

    filename = "diff.md"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(render_markdown(_changes(pkg, self.filename)).encode("utf-8"))
