"""`hdf.json`: the control verdicts in MITRE's Heimdall Data Format (the InSpec exec JSON that Heimdall and the SAF
CLI read).

One profile, named `fromline-<profile>`, with a control per control verdict (id `<catalog>/<control id>`, its
NIST SP 800-53 controls as the `nist` tag, the DISA CCIs as `cci`) and a group per catalog. Each control has one
result, carrying the verdict itself: Heimdall derives a control's status from its results, so one result per
check would let a satisfied check pass a control whose verdict is manual. The checks and their outcomes are in
the control's `check` description.

Status: satisfied in full `passed`; satisfied for the part image evidence shows `skipped` (Heimdall's "Not
Reviewed"; the part not shown is the skip message), as a checklist never claims more than was shown;
not-satisfied `failed`; evidence-missing `failed` too (missing evidence is never a pass, and `error` would read
as a fault of the tool); not-assessed and manual `skipped` with the reason as the skip message; not-applicable
`skipped` with impact 0, which Heimdall shows as "Not Applicable".

Impact: a DISA control's category (CAT I 0.7, CAT II 0.5, CAT III 0.3, Heimdall's high, medium and low); 0.5
(medium) for a control that has none; 0.0 when not applicable.
"""

from __future__ import annotations

from typing import BinaryIO

from evidence.model import AuditPackage, ControlResult, Scope, Status
from evidence.render.ecosystem import Json, dump, fingerprint, moment, text

__all__ = ["Hdf", "hdf", "result_status"]

_IMPACT = {"CAT I": 0.7, "CAT II": 0.5, "CAT III": 0.3}
DEFAULT_IMPACT = 0.5


def result_status(control: ControlResult) -> str:
    """The HDF status of the control's verdict."""
    if control.status is Status.SATISFIED:
        return "passed" if control.scope is Scope.FULL else "skipped"
    if control.status in (Status.NOT_SATISFIED, Status.EVIDENCE_MISSING):
        return "failed"
    return "skipped"  # not-assessed, manual, not-applicable


def _impact(control: ControlResult) -> float:
    if control.status is Status.NOT_APPLICABLE:
        return 0.0
    return _IMPACT.get(control.category or "", DEFAULT_IMPACT)


def _result(pkg: AuditPackage, control: ControlResult) -> Json:
    status = result_status(control)
    checks = ", ".join(c.check for c in control.checks) or "manual examination"
    result: Json = {
        "status": status,
        "code_desc": text(f"{control.catalog} {control.control_id} ({checks}): {control.status.value}"),
        "start_time": moment(pkg.assessed_at),
        "run_time": 0.0,
        "resource": pkg.subject.reference,
    }
    reason = text(control.reason)
    if status == "skipped":
        skip = reason
        if control.status is Status.SATISFIED and control.not_shown:
            skip = text(f"Satisfied only for the part image evidence shows: {control.reason} Not shown: ")
            skip += text(control.not_shown)
        result["skip_message"] = skip
    else:
        result["message"] = reason if status == "passed" else text(f"{control.status.value}: {control.reason}")
    return result


def _descriptions(control: ControlResult) -> list[Json]:
    descriptions = [{"label": "default", "data": text(control.title)}]
    if control.checks:
        lines = [f"{c.check}: {c.status.value}. {c.reason}" for c in control.checks]
        descriptions.append({"label": "check", "data": text("\n".join(lines))})
    if control.evidence:
        lines = [
            f"{r.path} (sha256:{r.sha256})" + (f" at {r.location}" if r.location else "") for r in control.evidence
        ]
        descriptions.append({"label": "evidence", "data": text("\n".join(lines))})
    if control.not_shown:
        descriptions.append({"label": "not shown", "data": text(control.not_shown)})
    return descriptions


def _control(pkg: AuditPackage, control: ControlResult) -> Json:
    tags: Json = {
        "nist": list(control.nist_800_53),
        "fromline_status": control.status.value,
        "scope": control.scope.value,
    }
    if control.cci:
        tags["cci"] = list(control.cci)
    if control.vuln_id:
        tags["gid"] = control.vuln_id
    if control.category:
        tags["severity"] = {"CAT I": "high", "CAT II": "medium", "CAT III": "low"}.get(control.category, "medium")
    if control.responsible is not None:
        tags["responsible"] = control.responsible.value
    return {
        "id": f"{control.catalog}/{control.control_id}",
        "title": text(control.title),
        "desc": text(control.reason),
        "descriptions": _descriptions(control),
        "impact": _impact(control),
        "refs": [],
        "tags": tags,
        "code": None,
        "source_location": {"ref": control.catalog, "line": None},
        "results": [_result(pkg, control)],
    }


def hdf(pkg: AuditPackage) -> Json:
    """The HDF (exec JSON) document of `pkg`'s control verdicts."""
    controls = [_control(pkg, c) for c in pkg.controls]
    groups = [
        {
            "id": catalog.id,
            "title": text(catalog.title),
            "controls": [c["id"] for c in controls if c["id"].startswith(f"{catalog.id}/")],
        }
        for catalog in pkg.catalogs
    ]
    counted = dict.fromkeys(("passed", "failed", "skipped"), 0)
    for control in pkg.controls:
        counted[result_status(control)] += 1
    names = "\x00".join(c["id"] for c in controls)
    return {
        "platform": {"name": "container-image", "release": pkg.subject.digest, "target_id": pkg.subject.reference},
        "version": pkg.tool.version,
        "statistics": {"duration": 0.0, "controls": {k: {"total": v} for k, v in counted.items()}},
        "profiles": [
            {
                "name": text(f"fromline-{pkg.profile}"),
                "title": text(f"Fromline assessment of {pkg.subject.reference} ({pkg.profile} profile)"),
                "version": pkg.tool.version,
                "maintainer": "Fromline",
                "summary": text(", ".join(f"{c.title} {c.version}" for c in pkg.catalogs)),
                "sha256": fingerprint("hdf", pkg.subject.digest, moment(pkg.assessed_at), names),
                "supports": [],
                "attributes": [],
                "groups": groups,
                "controls": controls,
                "status": "loaded",
            }
        ],
    }


class Hdf:
    filename = "hdf.json"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        out.write(dump(hdf(pkg)))
