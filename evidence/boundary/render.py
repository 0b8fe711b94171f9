"""The boundary package's files, each looked up from the roll-up (`rollup.BoundaryPackage`), never decided here.

- `audit.json`: the system, each image (its package folder and the SHA-256 of its audit.json, its inventory fields
  and its counts) and the roll-up (docs in the README, "The authorization boundary").
- `poam.xlsx`: one POA&M for the system in FedRAMP's template layout; each row is one system item, written from
  its images' own item (the same columns an image's poam.xlsx has), with the system POA&M ID and every affected
  image in the Asset Identifier column.
- `inventory.xlsx`: one Integrated Inventory Workbook row per image (and per platform of an image index), with the
  fields the boundary file gives; the address column holds the boundary file's `address`, never a digest.
- `ports.xlsx` is not written: the ports and protocols and the base images are sheets of `inventory.xlsx` and
  chapters of the report, where the SSP's attachments are made from.
- `report.html` and `report.pdf`: the system summary, then a section for each image.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import orjson

from evidence import __version__
from evidence.boundary.config import INVENTORY_FIELDS
from evidence.boundary.rollup import AGE_BUCKETS, BoundaryPackage, SystemItem
from evidence.lifecycle.poam import asset_identifier
from evidence.model import AuditPackage, CountGroup, PoamItem, Severity, Status
from evidence.render._recorded import recorded_summary
from evidence.render.inventory_xlsx import INVENTORY_COLUMNS, inventory_rows
from evidence.render.poam_xlsx import POAM_COLUMNS, POAM_TITLE, poam_row
from evidence.render.xlsx import Row, Sheet, Table, write_sheets

__all__ = ["BOUNDARY_SCHEMA_VERSION", "audit_json", "inventory_xlsx", "poam_xlsx", "report_html"]

BOUNDARY_SCHEMA_VERSION = "boundary-1.0"
SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.NEGLIGIBLE, Severity.UNKNOWN)


def _utc(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat().replace("+00:00", "Z")


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def image_counts(pkg: AuditPackage) -> dict[str, Any]:
    summary = recorded_summary(pkg, "audit.json")
    statuses = {s.value: sum(row.counts.get(s, 0) for row in summary.controls) for s in Status}
    open_counts = summary.vulnerability_counts(CountGroup.OPEN)
    return {
        "controls": statuses,
        "open_findings": {s.value: open_counts.counts.get(s, 0) for s in SEVERITIES},
        "open_total": open_counts.total,
        "overdue": sum(1 for item in pkg.poam if item.is_open and item.overdue),
        "rubric_grade": pkg.rubric_grade,
    }


def audit_json(bp: BoundaryPackage) -> bytes:
    system = bp.system
    document = {
        "schema_version": BOUNDARY_SCHEMA_VERSION,
        "tool": {"name": "fromline", "version": __version__},
        "system": {
            "name": system.name,
            "id": system.id,
            "impact": system.impact.value if system.impact else None,
            "csp": system.csp,
        },
        "profile": bp.profile,
        "assessed_at": _utc(bp.assessed_at),
        "images": [
            {
                "slug": image.slug,
                "reference": image.package.subject.reference,
                "name": image.package.subject.name,
                "digest": image.package.subject.digest,
                "release": image.package.subject.release,
                "profile": image.package.profile,
                "assessed_at": _utc(image.package.assessed_at),
                "package": f"images/{image.slug}",
                "source": "package" if image.entry.package is not None else "assessed",
                "reuse_key": image.key,
                "asset_identifier": asset_identifier(image.package),
                "inventory": image.entry.inventory,
                **image_counts(image.package),
            }
            for image in bp.images
        ],
        "rollup": {
            "open_by_severity": {s.value: bp.open_by_severity.get(s, 0) for s in SEVERITIES},
            "open_by_age": bp.open_by_age,
            "overdue": bp.overdue,
            "controls": [
                {
                    "catalog": c.catalog,
                    "control_id": c.control_id,
                    "title": c.title,
                    "images": {status.value: list(slugs) for status, slugs in c.images.items()},
                }
                for c in bp.controls
            ],
            "poam": [
                {
                    "poam_id": item.poam_id,
                    "item_id": item.item_id,
                    "first_detected": _day(item.first_detected),
                    "images": list(item.images),
                    "open": item.open,
                    "severity": item.severity.value,
                    "overdue": item.overdue,
                }
                for item in bp.items
            ],
            "base_images": [
                {"base": b.base, "images": list(b.images), "open_base_findings": b.open_base_findings} for b in bp.bases
            ],
            "ports": [{"image": p.image, "port": p.port, "protocol": p.protocol, "source": p.source} for p in bp.ports],
            "changes": None
            if bp.changes is None
            else {
                "added": list(bp.changes.added),
                "updated": [{"image": slug, "previous_digest": digest} for slug, digest in bp.changes.updated],
                "removed": [{"name": name, "digest": digest} for name, digest in bp.changes.removed],
                "closed_items": bp.changes.closed_items,
            },
        },
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def _image_item(bp: BoundaryPackage, slug: str, item_id: str, day: date | None) -> tuple[AuditPackage, PoamItem]:
    pkg = bp.image(slug).package
    for item in pkg.poam:
        detected = item.first_detected
        first = (
            (detected if detected.tzinfo else detected.replace(tzinfo=UTC)).astimezone(UTC).date() if detected else None
        )
        if item.poam_id == item_id and first == day:
            return pkg, item
    raise KeyError(f"{slug} has no item {item_id} first detected {day}")


def _poam_row(bp: BoundaryPackage, item: SystemItem) -> Row:
    pkg, image_item = _image_item(bp, item.images[0], item.item_id, item.first_detected)
    row = list(poam_row(pkg, image_item))
    assets = [asset_identifier(bp.image(slug).package) for slug in item.images]
    names = sorted({bp.image(slug).package.subject.name for slug in item.images})
    row[POAM_COLUMNS.index("POAM ID")] = item.poam_id
    row[POAM_COLUMNS.index("Asset Identifier")] = "\n".join(assets)
    row[POAM_COLUMNS.index("Service Name")] = ", ".join(names)
    return tuple(row)


def _header_block(bp: BoundaryPackage) -> tuple[Row, ...]:
    system = bp.system
    return (
        (POAM_TITLE,),
        ("CSP", "System Name", "Impact Level", "POA&M Date"),
        (system.csp, system.name, system.impact.value.capitalize() if system.impact else None, bp.assessed_at.date()),
        (),
    )


def poam_xlsx(bp: BoundaryPackage) -> bytes:
    import io  # noqa: PLC0415

    block = _header_block(bp)
    open_rows = tuple(_poam_row(bp, i) for i in bp.items if i.open)
    closed_rows = tuple(_poam_row(bp, i) for i in bp.items if not i.open)
    sheets = (
        Sheet("Open POA&M Items", Table(POAM_COLUMNS, open_rows), header_block=block),
        Sheet("Closed POA&M Items", Table(POAM_COLUMNS, closed_rows), header_block=block),
    )
    out = io.BytesIO()
    write_sheets(sheets, out, filename="poam.xlsx", title=f"POA&M: {bp.system.name}", when=bp.assessed_at)
    return out.getvalue()


def _inventory_rows(bp: BoundaryPackage) -> tuple[Row, ...]:
    rows: list[Row] = []
    for image in bp.images:
        for row in inventory_rows(image.package):
            cells = list(row)
            # The image package puts the registry digest in the address column; a system's inventory has the
            # address the boundary file gives, or nothing. The digest stays in the asset tag column.
            cells[INVENTORY_COLUMNS.index("IPv4 or IPv6 Address")] = None
            for key, column in INVENTORY_FIELDS.items():
                value = image.entry.inventory.get(key)
                if value is None:
                    continue
                index = INVENTORY_COLUMNS.index(column)
                cells[index] = f"{value}; {cells[index]}" if key == "comments" and cells[index] else value
            rows.append(tuple(cells))
    return tuple(rows)


def inventory_xlsx(bp: BoundaryPackage) -> bytes:
    import io  # noqa: PLC0415

    ports = tuple((bp.image(p.image).package.subject.name, p.image, p.port, p.protocol, p.source) for p in bp.ports)
    bases = tuple(
        (b.base, ", ".join(bp.image(s).package.subject.name for s in b.images), len(b.images), b.open_base_findings)
        for b in bp.bases
    )
    sheets = (
        Sheet("Inventory", Table(INVENTORY_COLUMNS, _inventory_rows(bp))),
        Sheet("Ports and Protocols", Table(("Image", "Package folder", "Port", "Protocol", "Declared in"), ports)),
        Sheet("Base Images", Table(("Base image", "Images", "Image count", "Open base-image findings"), bases)),
    )
    out = io.BytesIO()
    title = f"Integrated inventory: {bp.system.name}"
    write_sheets(sheets, out, filename="inventory.xlsx", title=title, when=bp.assessed_at)
    return out.getvalue()


def report_html(bp: BoundaryPackage) -> str:
    from evidence.render._jinja import stylesheet, template  # noqa: PLC0415

    counts = {image.slug: image_counts(image.package) for image in bp.images}
    items_by_image: dict[str, list[SystemItem]] = {image.slug: [] for image in bp.images}
    for item in bp.items:
        for slug in item.images:
            items_by_image[slug].append(item)
    catalogs: dict[str, dict[str, int]] = {}
    for control in bp.controls:
        row = catalogs.setdefault(control.catalog, {s.value: 0 for s in Status})
        for status, slugs in control.images.items():
            row[status.value] += len(slugs)
    return template("boundary.html.j2").render(
        bp=bp,
        title="Authorization boundary assessment",
        css=stylesheet("report.css"),
        counts=counts,
        items_by_image=items_by_image,
        catalogs=catalogs,
        statuses=list(Status),
        severities=SEVERITIES,
        age_labels=[label for _, _, label in AGE_BUCKETS],
        anchor={image.slug: f"image-{n}" for n, image in enumerate(bp.images, start=1)},
        shared_bases=[b for b in bp.bases if len(b.images) > 1],
        version=__version__,
    )
