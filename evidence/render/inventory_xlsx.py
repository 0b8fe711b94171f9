"""`inventory.xlsx`: the image's rows of FedRAMP's Integrated Inventory Workbook (SSP Appendix M).

The columns are the workbook's data columns in its current order (domain reference §3.6), without the
comment column A and the guidance rows the template asks to delete before submission. One row for the image,
and one per platform manifest when an image index bound to it is in the evidence. Fields the evidence does not
tell are left blank, as the workbook's instructions ask (never "n/a").
"""

from __future__ import annotations

from typing import BinaryIO

from evidence.lifecycle.poam import asset_identifier
from evidence.model import AuditPackage, Binding, CountGroup, EvidenceKind, PlatformManifest
from evidence.render._recorded import recorded_summary
from evidence.render.xlsx import Row, Sheet, Table, write_workbook

__all__ = ["INVENTORY_COLUMNS", "InventoryWorkbook"]

INVENTORY_COLUMNS = (
    "Unique Asset Identifier",
    "IPv4 or IPv6 Address",
    "Virtual",
    "Public",
    "DNS Name or URL",
    "NetBIOS Name",
    "MAC Address",
    "Authenticated Scan",
    "Baseline Configuration Name",
    "OS Name and Version",
    "Location",
    "Asset Type",
    "Hardware Make/Model",
    "In Latest Scan",
    "Software/Database Vendor",
    "Software/Database Name & Version",
    "Patch Level",
    "Diagram Label",
    "Comments",
    "Serial #/Asset Tag#",
    "VLAN/Network ID",
    "System Administrator/Owner",
    "Application Administrator/Owner",
    "Function",
    "End-of-Life",
)

ASSET_TYPE = "Container Image"


def _os_name(pkg: AuditPackage) -> str | None:
    for e in pkg.evidence:
        if e.kind is EvidenceKind.SBOM and e.binding is Binding.MATCH:
            for c in e.components:
                if c.type == "operating-system":
                    return " ".join(p for p in (c.name, c.version) if p)
    return None


def _labels(pkg: AuditPackage) -> dict[str, str]:
    for e in pkg.evidence:
        # A scan carries the image's layers in `image_config` too, but no labels.
        if e.image_config is not None and e.binding is Binding.MATCH and e.image_config.labels:
            return e.image_config.labels
    return {}


def _platforms(pkg: AuditPackage) -> list[PlatformManifest]:
    found: dict[str, PlatformManifest] = {}
    for e in pkg.evidence:
        if e.manifest is not None and e.binding is Binding.MATCH:
            for p in e.manifest.platforms:
                found.setdefault(p.digest, p)
    return list(found.values())


def inventory_rows(pkg: AuditPackage) -> tuple[Row, ...]:
    s = pkg.subject
    scanned = any(
        e.serves_as(EvidenceKind.VULNERABILITY_SCAN) and e.binding in {Binding.MATCH, Binding.ASSERTED}
        for e in pkg.evidence
    )
    labels = _labels(pkg)
    title = labels.get("org.opencontainers.image.title") or s.name.rsplit("/", 1)[-1]
    version = labels.get("org.opencontainers.image.version") or s.release
    base = labels.get("org.opencontainers.image.base.name")
    base_digest = labels.get("org.opencontainers.image.base.digest")
    comments = [f"Image reference {s.reference}"]
    if base:
        comments.append(f"built on {base}" + (f"@{base_digest}" if base_digest else ""))
    open_count = recorded_summary(pkg, InventoryWorkbook.filename).vulnerability_counts(CountGroup.OPEN).total
    comments.append(f"{open_count} open vulnerabilities at {pkg.assessed_at:%Y-%m-%d}")

    def row(identifier: str, digest: str, os_name: str | None, note: str) -> Row:
        return (
            identifier,
            digest,  # FedRAMP's container guidance: the registry digest in the address column
            "Yes",
            None,
            None,
            None,
            None,
            "Yes" if scanned else "No",  # an image scan reads every layer: it is a full-access scan
            None,
            os_name,
            None,
            ASSET_TYPE,
            None,
            "Yes" if scanned else "No",
            labels.get("org.opencontainers.image.vendor"),
            " ".join(p for p in (title, version) if p) or None,
            None,
            None,
            note,
            digest,
            None,
            None,
            None,
            labels.get("org.opencontainers.image.description"),
            None,
        )

    rows = [row(asset_identifier(pkg), s.digest, _os_name(pkg), "; ".join(comments))]
    for p in _platforms(pkg):
        platform = p.platform or "unknown platform"
        rows.append(
            row(
                f"{asset_identifier(pkg)} ({platform})",
                p.digest,
                p.platform.split("/")[0] if p.platform else None,
                f"platform manifest {platform} of the image index {s.digest}",
            )
        )
    return tuple(rows)


class InventoryWorkbook:
    """Renders `inventory.xlsx`: sheet Inventory with the Integrated Inventory Workbook's columns."""

    filename = "inventory.xlsx"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        content = (Sheet("Inventory", Table(INVENTORY_COLUMNS, inventory_rows(pkg))),)
        write_workbook(pkg, content, out, filename=self.filename, title="Integrated inventory")
