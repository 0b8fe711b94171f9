"""The table an architecture review needs, one row per candidate: JSON, Markdown, HTML and XLSX.

Every text that comes from evidence is escaped for its format: `markdown_cell` in Markdown, the autoescaping
Jinja2 environment in HTML, string cells (never formulas) in XLSX.
"""

from __future__ import annotations

import io
from typing import Any

import orjson

from evidence import __version__
from evidence.bases import CRITERIA, GATES
from evidence.bases.candidates import Assessment
from evidence.render.markdown import markdown_cell

__all__ = ["FORMATS", "as_json", "render"]

FORMATS = ("markdown", "html", "xlsx", "json")
HEADINGS = {
    "minimization": "Minimization",
    "provenance": "Provenance",
    "signing": "Signing",
    "patch_sla": "Patch SLA",
    "sbom_vex": "SBOM and VEX",
    "compliance": "Compliance",
}


SHORT = {  # column headings of the HTML table, each with its full name as a tooltip
    "minimization": "Min.",
    "provenance": "Prov.",
    "signing": "Sign.",
    "patch_sla": "Patch",
    "sbom_vex": "SBOM/VEX",
    "compliance": "Compl.",
}


def as_json(assessment: Assessment) -> dict[str, Any]:
    from evidence.render.oscal import timestamp  # noqa: PLC0415

    return {
        "generated_by": f"fromline {__version__}",
        "assessed_at": timestamp(assessment.assessed_at),
        "inputs": assessment.workload.as_json(),
        "weights": assessment.weights,
        "gates": list(GATES),
        "candidates": [
            {
                "rank": r.rank,
                "name": r.name,
                "kind": r.kind,
                "reference": r.reference,
                "digest": r.digest,
                "grade": r.grade,
                "scores": {c: r.scores[c].score for c in CRITERIA},
                "reasons": {c: r.scores[c].reason for c in CRITERIA},
                "weighted_total": round(r.weighted, 2),
                "gates_failed": r.gates_failed,
                "cves": {"critical": r.critical, "high": r.high, "fixable": r.fixable},
                "packages": r.packages,
                "size_bytes": r.size_bytes,
                "vendor": r.vendor,
                "sla_days": r.sla_days,
                "patch_latency_days": round(r.latency_days, 1) if r.latency_days is not None else None,
                "patch_latency": r.latency_reason,
                "compliance_ok": r.compliance_ok,
                "why": r.why,
                "tie_broken_by": r.tie_broken_by,
            }
            for r in assessment.results
        ],
    }


def _megabytes(size: int | None) -> str:
    return f"{size / 1e6:.1f} MB" if size is not None else "?"


def render(assessment: Assessment, fmt: str) -> bytes:
    if fmt == "json":
        return orjson.dumps(as_json(assessment), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    if fmt == "markdown":
        return markdown(assessment).encode("utf-8")
    if fmt == "html":
        return html(assessment).encode("utf-8")
    return xlsx(assessment)


def _inputs_line(assessment: Assessment) -> str:
    w = assessment.workload
    return (
        f"workload {w.kind.value}, runtime {w.runtime or 'not named'}, compliance environment {w.profile}, "
        f"patching capacity {w.patching_capacity.value}, tolerance for vendor lock-in {w.lock_in_tolerance.value}"
    )


def markdown(assessment: Assessment) -> str:
    lines = [
        "### Fromline: base image candidates",
        "",
        f"Inputs: {markdown_cell(_inputs_line(assessment))}.",
        "",
        "| Rank | Candidate | "
        + " | ".join(HEADINGS[c] for c in CRITERIA)
        + " | Grade | CVEs C/H/fixable | Packages | Size | Gates |",
        "|---:|---|" + "---:|" * len(CRITERIA) + ":---:|---|---:|---:|---|",
    ]
    for r in assessment.results:
        gates = "; ".join(r.gates_failed) or "none"
        lines.append(
            f"| {r.rank} | {markdown_cell(r.name)} | "
            + " | ".join(str(r.scores[c].score) for c in CRITERIA)
            + f" | {r.grade} | {r.critical}/{r.high}/{r.fixable} | {r.packages if r.packages is not None else '?'} "
            f"| {_megabytes(r.size_bytes)} | {markdown_cell(gates)} |"
        )
    lines += ["", "Why each stands where it does:", ""]
    for r in assessment.results:
        tie = f" Below the one above on {markdown_cell(r.tie_broken_by)}." if r.tie_broken_by else ""
        name, reference = markdown_cell(r.name), markdown_cell(r.reference)
        lines.append(f"{r.rank}. **{name}** ({reference}): {markdown_cell(r.why)}{tie}")
    lines += [
        "",
        "Scores 0 to 4 per criterion (the secure base-image rubric); weights "
        + ", ".join(f"{HEADINGS[c]} {assessment.weights[c]:g}" for c in CRITERIA)
        + ". Ranked: no failed gate, then compliance posture, then patch SLA, then size (bytes where every "
        "candidate's docker inspect output gives it, else packages).",
        "",
    ]
    return "\n".join(lines)


def html(assessment: Assessment) -> str:
    from evidence.render._jinja import stylesheet, template  # noqa: PLC0415

    return template("bases.html.j2").render(
        assessment=assessment,
        results=assessment.results,
        criteria=CRITERIA,
        headings=HEADINGS,
        short=SHORT,
        inputs=_inputs_line(assessment),
        gates=GATES,
        version=__version__,
        css=stylesheet("report.css"),
    )


def xlsx(assessment: Assessment) -> bytes:
    from evidence.render.xlsx import Section, Sheet, Table, write_sheets  # noqa: PLC0415

    columns = (
        "Rank",
        "Candidate",
        "Reference",
        *(HEADINGS[c] for c in CRITERIA),
        "Weighted total",
        "Grade",
        "Critical",
        "High",
        "Fixable",
        "Packages",
        "Size (bytes)",
        "Stated SLA (Critical, days)",
        "Measured patch latency (days)",
        "Gates failed",
        "Why",
        "Tie broken by",
    )
    rows = tuple(
        (
            r.rank,
            r.name,
            r.reference,
            *(r.scores[c].score for c in CRITERIA),
            round(r.weighted, 2),
            r.grade,
            r.critical,
            r.high,
            r.fixable,
            r.packages,
            r.size_bytes,
            r.sla_days.get("critical"),
            round(r.latency_days, 1) if r.latency_days is not None else None,
            "\n".join(r.gates_failed),
            r.why,
            r.tie_broken_by,
        )
        for r in assessment.results
    )
    reasons = tuple(
        (r.name, HEADINGS[c], r.scores[c].score, r.scores[c].reason) for r in assessment.results for c in CRITERIA
    )
    inputs = tuple(
        (key.replace("_", " "), str(value) if value is not None else "not named")
        for key, value in assessment.workload.as_json().items()
    )
    sheets = (
        Sheet(
            "Candidates",
            table=Table(columns, rows),
            sections=(Section("Inputs the choice depends on", Table(("Input", "Value"), inputs), show_headers=False),),
        ),
        Sheet("Reasons", Table(("Candidate", "Criterion", "Score", "Reason"), reasons)),
    )
    out = io.BytesIO()
    write_sheets(sheets, out, filename="bases.xlsx", title="Base image candidates", when=assessment.assessed_at)
    return out.getvalue()
