"""What the POA&M renderers cite beside an item: its point of contact, and the lifecycle files (KEV catalog, EPSS
scores, deviation requests) the package keeps a copy of under `lifecycle/`, by version and SHA-256."""

from __future__ import annotations

from evidence.model import AuditPackage, LifecycleInput, LifecycleInputKind, Party, PoamItem

_WHAT = {
    LifecycleInputKind.KEV: "CISA KEV catalog",
    LifecycleInputKind.EPSS: "FIRST EPSS scores",
    LifecycleInputKind.DEVIATIONS: "deviation requests",
}


def point_of_contact(pkg: AuditPackage, item: PoamItem) -> str | None:
    """The item's deviation request's point of contact, else the package's (`--poc`)."""
    if item.deviation is not None and item.deviation.point_of_contact:
        return item.deviation.point_of_contact
    return party_text(pkg.context.point_of_contact)


def resources_required(item: PoamItem) -> str | None:
    return item.deviation.resources_required if item.deviation is not None else None


def party_text(party: Party | None) -> str | None:
    """`Name <email>, organization`, as the user gave them."""
    if party is None:
        return None
    text = f"{party.name} <{party.email}>" if party.email else party.name
    return f"{text}, {party.organization}" if party.organization else text


def lifecycle_input(pkg: AuditPackage, kind: LifecycleInputKind) -> LifecycleInput | None:
    return next((s for s in pkg.lifecycle_inputs if s.kind is kind), None)


def describe(source: LifecycleInput) -> str:
    """`CISA KEV catalog 2026.11.20`."""
    return _WHAT[source.kind] + (f" {source.version}" if source.version else "")


def cite(source: LifecycleInput) -> str:
    """`CISA KEV catalog 2026.11.20 (released 2026-11-20T...; lifecycle/kev.json, sha256 ...)`."""
    released = f"released {source.released}; " if source.released else ""
    return f"{describe(source)} ({released}{source.stored_as}, sha256 {source.sha256})"


def kev_citation(pkg: AuditPackage, item: PoamItem) -> str | None:
    """Where an item's BOD 22-01 "Yes" comes from: the KEV catalog given, or a scanner's own flag."""
    if not item.kev:
        return None
    catalog = lifecycle_input(pkg, LifecycleInputKind.KEV)
    if item.kev_due is not None and catalog is not None:
        return f"BOD 22-01: listed in the {cite(catalog)}, due {item.kev_due.isoformat()}"
    return "BOD 22-01: flagged as known exploited by a scanner; no KEV catalog was given (--kev)"
