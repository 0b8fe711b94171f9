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

from datetime import date

import orjson

from evidence import __version__
from evidence.boundary.config import INVENTORY_FIELDS
from evidence.boundary.rollup import AGE_BUCKETS, BoundaryPackage, SystemItem
from evidence.model import Severity, Status
from evidence.render.inventory_xlsx import INVENTORY_COLUMNS
from evidence.render.poam_xlsx import POAM_COLUMNS, POAM_TITLE
from evidence.render.xlsx import Row, Sheet, Table, iso, write_sheets

__all__ = ["BOUNDARY_SCHEMA_VERSION", "audit_json", "inventory_xlsx", "poam_xlsx", "report_html"]

BOUNDARY_SCHEMA_VERSION = "boundary-1.0"
# Images named (and linked) for one POA&M item or base image in the report; the workbooks list them all. An item
# of a base image's weakness affects every image built on it: hundreds of links apiece made the PDF join slow.
NAMED = 5
SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.NEGLIGIBLE, Severity.UNKNOWN)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


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
        "assessed_at": iso(bp.assessed_at),
        "images": [
            {
                "slug": image.slug,
                "reference": image.facts.subject.reference,
                "name": image.facts.subject.name,
                "digest": image.facts.subject.digest,
                "release": image.facts.subject.release,
                "profile": image.facts.profile,
                "assessed_at": iso(image.facts.assessed_at),
                "package": f"images/{image.slug}",
                "audit_sha256": image.facts.audit_sha256,
                "source": "package" if image.entry.package is not None else "assessed",
                "reuse_key": image.key,
                "asset_identifier": image.facts.asset_identifier,
                "inventory": image.entry.inventory,
                **image.facts.counts,
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
                    "partial": list(c.partial),
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
            "deviations_pending": [
                {"image": d.image, "poam_id": d.poam_id, "kinds": list(d.kinds), "request": d.request}
                for d in bp.pending_deviations
            ],
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


def _poam_row(bp: BoundaryPackage, item: SystemItem) -> Row:
    """The item's row: the columns its images agree on (the roll-up groups them so), and each image's own."""
    rows = [bp.image(slug).facts.poam_rows[item.item_id, item.first_detected] for slug in item.images]
    row = list(rows[0])

    def every(column: str, separator: str) -> str:
        index = POAM_COLUMNS.index(column)
        parts = (part for r in rows if r[index] for part in str(r[index]).split(separator))
        return separator.join(dict.fromkeys(parts))

    row[POAM_COLUMNS.index("POAM ID")] = item.poam_id
    row[POAM_COLUMNS.index("Asset Identifier")] = "\n".join(bp.image(s).facts.asset_identifier for s in item.images)
    row[POAM_COLUMNS.index("Service Name")] = ", ".join(sorted({bp.image(s).facts.subject.name for s in item.images}))
    row[POAM_COLUMNS.index("Weakness Detector Source")] = every("Weakness Detector Source", ", ")
    row[POAM_COLUMNS.index("Supporting Documents")] = every("Supporting Documents", "\n")
    row[POAM_COLUMNS.index("Comments")] = every("Comments", "\n")
    status = POAM_COLUMNS.index("Status Date")
    row[status] = max((day for r in rows if isinstance(day := r[status], date)), default=None)
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
        for row in image.facts.inventory_rows:
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

    ports = tuple((bp.image(p.image).facts.subject.name, p.image, p.port, p.protocol, p.source) for p in bp.ports)
    bases = tuple(
        (b.base, ", ".join(bp.image(s).facts.subject.name for s in b.images), len(b.images), b.open_base_findings)
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

    counts = {image.slug: image.facts.counts for image in bp.images}
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
        label={
            image.slug: " ".join(p for p in (image.facts.subject.name, image.facts.subject.release) if p)
            for image in bp.images
        },
        shared_bases=[b for b in bp.bases if len(b.images) > 1],
        NAMED=NAMED,
        version=__version__,
    )


def _status_cell(status: Status | None, partial: bool) -> str | None:
    from evidence.render._jinja import PARTLY_SATISFIED_LABEL, status_label  # noqa: PLC0415

    if status is None:
        return None
    return PARTLY_SATISFIED_LABEL if partial else status_label(status)


def workbook_xlsx(bp: BoundaryPackage) -> bytes:
    """`workbook.xlsx`: the roll-up as sheets (Summary, Images, Controls with a column per image, POA&M); each image's
    own findings, components and evidence are in its package's audit.json."""
    import io  # noqa: PLC0415

    from evidence.render._jinja import status_label  # noqa: PLC0415
    from evidence.render.xlsx import Section  # noqa: PLC0415

    system = bp.system
    facts: tuple[Row, ...] = (
        ("System", system.name),
        ("System id", system.id),
        ("Impact level", system.impact.value if system.impact else None),
        ("Cloud service provider", system.csp),
        ("Profile", bp.profile),
        ("Images", len(bp.images)),
        ("Assessment time", iso(bp.assessed_at)),
        ("Open POA&M items", sum(1 for i in bp.items if i.open)),
        ("Overdue (image counts)", bp.overdue),
    )
    severity_row = tuple(bp.open_by_severity.get(s, 0) for s in SEVERITIES)
    age_row = tuple(bp.open_by_age[label] for _, _, label in AGE_BUCKETS)
    summary = Sheet(
        "Summary",
        sections=(
            Section("Boundary", Table(("Field", "Value"), facts), show_headers=False),
            Section(
                "Open findings by severity, over all images", Table(tuple(s.value for s in SEVERITIES), (severity_row,))
            ),
            Section(
                "Open findings by days since original detection",
                Table(tuple(label for _, _, label in AGE_BUCKETS), (age_row,)),
            ),
        ),
    )
    counts = {image.slug: image.facts.counts for image in bp.images}
    images = Sheet(
        "Images",
        Table(
            (
                "Folder",
                "Image",
                "Release",
                "Digest",
                "Profile",
                "Open",
                *(f"Open {s.value}" for s in SEVERITIES[:4]),
                "Overdue",
                "Controls not satisfied",
                "Satisfied only in part",
                "Rubric grade",
                "Base image",
                *(column for column in INVENTORY_FIELDS.values()),
            ),
            tuple(
                (
                    image.slug,
                    image.facts.subject.name,
                    image.facts.subject.release,
                    image.facts.subject.digest,
                    image.facts.profile,
                    counts[image.slug]["open_total"],
                    *(counts[image.slug]["open_findings"][s.value] for s in SEVERITIES[:4]),
                    counts[image.slug]["overdue"],
                    counts[image.slug]["controls"][Status.NOT_SATISFIED.value],
                    counts[image.slug]["satisfied_in_part"],
                    counts[image.slug]["rubric_grade"],
                    image.facts.base_image,
                    *(image.entry.inventory.get(key) for key in INVENTORY_FIELDS),
                )
                for image in bp.images
            ),
        ),
    )
    slugs = [image.slug for image in bp.images]
    control_rows = []
    for control in bp.controls:
        status_of = {slug: status for status, members in control.images.items() for slug in members}
        control_rows.append(
            (
                control.catalog,
                control.control_id,
                control.title,
                *(len(control.images.get(s, ())) for s in Status),
                *(_status_cell(status_of.get(slug), slug in control.partial) for slug in slugs),
            )
        )
    controls = Sheet(
        "Controls",
        Table(("Catalog", "Control", "Title", *(status_label(s) for s in Status), *slugs), tuple(control_rows)),
    )
    poam = Sheet(
        "POA&M",
        Table(
            ("POA&M ID", "Weakness", "Risk", "Original detection", "Open", "Overdue", "Images", "Image folders"),
            tuple(
                (
                    item.poam_id,
                    item.item_id,
                    item.severity.value,
                    item.first_detected,
                    "Yes" if item.open else "No",
                    "Yes" if item.overdue else "No",
                    len(item.images),
                    ", ".join(item.images),
                )
                for item in bp.items
            ),
        ),
    )
    out = io.BytesIO()
    write_sheets(
        (summary, images, controls, poam),
        out,
        filename="workbook.xlsx",
        title=f"Audit workbook: {system.name}",
        when=bp.assessed_at,
    )
    return out.getvalue()
