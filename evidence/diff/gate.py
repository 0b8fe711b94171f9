"""`--fail-on` for `fromline diff`: named conditions over a `PackageDiff`, each with the facts that make it hold."""

from __future__ import annotations

from collections.abc import Callable

from evidence.diff.compare import newly_in_kev, suppressions_gained
from evidence.diff.conditions import CONDITION_MEANINGS
from evidence.model import PackageDiff, Severity, StatusChange, VulnerabilityState

__all__ = ["CONDITIONS", "holding"]


def _new_at_least(diff: PackageDiff, floor: Severity) -> list[str]:
    return [
        f"{a.vulnerability.id} in {a.vulnerability.package} ({a.vulnerability.severity})"
        for a in diff.vulnerabilities.added
        if a.vulnerability.state is VulnerabilityState.OPEN and a.vulnerability.severity.rank >= floor.rank
    ]


def _new_kev(diff: PackageDiff) -> list[str]:
    # The summary's `new_kev` counts these same vulnerabilities: both come from `newly_in_kev`.
    return [
        f"{v.id} in {v.package}" + ("" if is_new else " (now in KEV)")
        for v, is_new in newly_in_kev(diff.vulnerabilities)
    ]


def _suppression_gained(diff: PackageDiff) -> list[str]:
    # The summary's `suppressions_gained` counts these same vulnerabilities, and a new one that arrives
    # suppressed is named too: nobody saw it open.
    gained = [(v, "") for v in suppressions_gained(diff.vulnerabilities)]
    gained += [
        (a.vulnerability, ", new")
        for a in diff.vulnerabilities.added
        if a.vulnerability.state is VulnerabilityState.SUPPRESSED
    ]
    return [f"{v.id} in {v.package} ({v.suppression or v.deviation or 'suppressed'}{new})" for v, new in gained]


def _control_regressions(diff: PackageDiff) -> list[str]:
    return [
        f"{c.catalog} {c.control_id}: {c.old_label} to {c.new_label}"
        for c in diff.controls.changed
        if c.change is StatusChange.REGRESSION
    ]


def _signature_change(diff: PackageDiff) -> list[str]:
    s = diff.signatures
    return [f"signer added: {x.key_id or x.identity}{x.trust_note}" for x in s.added] + [
        f"signer removed: {x.key_id or x.identity}{x.trust_note}" for x in s.removed
    ]


def _provenance_change(diff: PackageDiff) -> list[str]:
    # The source revision changes with every release: only the builder and the repository are news.
    return [
        f"{c.field}: {c.old} to {c.new}"
        for c in diff.provenance.changed
        if c.field in {"builder_id", "source_repository"}
    ]


def _base_image_change(diff: PackageDiff) -> list[str]:
    return [f"{c.field}: {c.old} to {c.new}" for c in diff.base_image.changed]


def _evidence_missing(diff: PackageDiff) -> list[str]:
    return [f"no {kind} any more" for kind in diff.evidence.missing_kinds]


# name -> the facts that make it hold; what each means is in `CONDITION_MEANINGS`
_FACTS: dict[str, Callable[[PackageDiff], list[str]]] = {
    "new-critical": lambda d: _new_at_least(d, Severity.CRITICAL),
    "new-high": lambda d: _new_at_least(d, Severity.HIGH),
    "new-kev": _new_kev,
    "suppression-gained": _suppression_gained,
    "control-regression": _control_regressions,
    "signature-change": _signature_change,
    "provenance-change": _provenance_change,
    "base-image-change": _base_image_change,
    "evidence-missing": _evidence_missing,
}
# name -> (what it means, the facts that make it hold)
CONDITIONS: dict[str, tuple[str, Callable[[PackageDiff], list[str]]]] = {
    name: (meaning, _FACTS[name]) for name, meaning in CONDITION_MEANINGS.items()
}


def holding(diff: PackageDiff, names: list[str]) -> dict[str, list[str]]:
    """The conditions among `names` that hold, with their facts; unknown names are the caller's to refuse."""
    found = {name: CONDITIONS[name][1](diff) for name in names}
    return {name: facts for name, facts in found.items() if facts}
