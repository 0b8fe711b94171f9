"""`oscal/poam.json` of a boundary: one OSCAL POA&M for the system, made of the images' own POA&M documents.

Each image's document is built as its package's would be. Its UUIDs are then made unique across the system: every
UUID the image's document defines (its component, observations, risks, items, resources) becomes a version 5
UUID of the image's folder name and the old UUID, and every reference to it follows. The UUIDs of the parties,
roles and assessment tools are shared, and each appears once. Evidence links point into the image's package
(`../images/<slug>/evidence/...`). The system's POA&M items are the roll-up's: one item per weakness and original
detection date, related to the risk and observations of each image it affects, with the system POA&M ID.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from evidence.boundary.rollup import BoundaryPackage, SystemItem
from evidence.errors import RenderError
from evidence.lifecycle.poam import asset_identifier
from evidence.render.oscal import FROMLINE_NS, UUID_NAMESPACE, Json, compact, document_bytes, md, prop, props, timestamp
from evidence.render.oscal_poam import FEDRAMP_NS, poam_document

__all__ = ["system_poam"]

_FILE = "oscal/poam.json"
_SHARED = ("parties", "roles")  # metadata lists every image document repeats


def _uuid(name: str) -> str:
    return str(uuid.uuid5(UUID_NAMESPACE, name))


def _defined(node: Any, found: set[str], *, skip: bool = False) -> None:
    """Every `uuid` a part of the document defines, but the shared parts (metadata, assessment assets)."""
    if isinstance(node, dict):
        if not skip and isinstance(node.get("uuid"), str):
            found.add(node["uuid"])
        for key, value in node.items():
            _defined(value, found, skip=skip or key in ("metadata", "assessment-assets"))
    elif isinstance(node, list):
        for value in node:
            _defined(value, found, skip=skip)


def _renamed(node: Any, names: dict[str, str], slug: str) -> Any:
    if isinstance(node, dict):
        out = {key: _renamed(value, names, slug) for key, value in node.items()}
        href = out.get("href")
        if isinstance(href, str) and href.startswith("../"):
            out["href"] = f"../images/{slug}/{href.removeprefix('../')}"
        return out
    if isinstance(node, list):
        return [_renamed(value, names, slug) for value in node]
    if isinstance(node, str):
        return names.get(node, node)
    return node


def _image_document(bp: BoundaryPackage, slug: str, oscal_version: str) -> Json:
    document = poam_document(bp.image(slug).package, oscal_version)["plan-of-action-and-milestones"]
    defined: set[str] = set()
    _defined(document, defined)
    names = {old: _uuid(f"boundary/{slug}/{old}") for old in defined}
    renamed: Json = _renamed(document, names, slug)
    return renamed


def _poam_id(item: Json) -> str | None:
    return next((p["value"] for p in item.get("props", []) if p.get("name") == "POAM-ID"), None)


def _unique(items: list[Json]) -> list[Json]:
    """`items` without repeats (by uuid, by id, else by content), in order."""
    seen: dict[str, Json] = {}
    for item in items:
        key = item.get("uuid") or item.get("id") or orjson.dumps(item, option=orjson.OPT_SORT_KEYS).decode()
        seen.setdefault(key, item)
    return list(seen.values())


def _system_item(bp: BoundaryPackage, item: SystemItem, image_items: dict[tuple[str, str], Json]) -> Json:
    members = [image_items[slug, item.item_id] for slug in item.images if (slug, item.item_id) in image_items]
    if not members:
        raise RenderError(f"{_FILE}: no image document has the POA&M item {item.item_id}")
    first = members[0]
    assets = [asset_identifier(bp.image(slug).package) for slug in item.images]
    other_props = [p for p in first.get("props", []) if p.get("name") != "POAM-ID"]
    remarks = "\n\n".join(
        [
            "Assets: " + "; ".join(md(a) for a in assets) + ".",
            *(r for r in first.get("remarks", "").split("\n\n") if not r.startswith("Asset: ")),
        ]
    )
    return compact(
        {
            "uuid": _uuid(f"boundary/{bp.system.name}/poam-item/{item.poam_id}"),
            "title": first["title"],
            "description": first["description"],
            "props": [{"name": "POAM-ID", "ns": FEDRAMP_NS, "value": item.poam_id}, *other_props],
            "origins": first.get("origins"),
            "related-observations": _unique([o for m in members for o in m.get("related-observations", [])])
            if any("related-observations" in m for m in members)
            else None,
            "related-risks": [r for m in members for r in m.get("related-risks", [])],
            "remarks": remarks,
        }
    )


def _document(bp: BoundaryPackage, oscal_version: str) -> Json:
    images = {image.slug: _image_document(bp, image.slug, oscal_version) for image in bp.images}
    image_items: dict[tuple[str, str], Json] = {}
    for slug, document in images.items():
        for poam_item in document.get("poam-items", []):
            poam_id = _poam_id(poam_item)
            if poam_id is not None:
                image_items[slug, poam_id] = poam_item
    metadata = [d["metadata"] for d in images.values()]
    assets = [d.get("local-definitions", {}).get("assessment-assets", {}) for d in images.values()]
    system = bp.system
    moment = timestamp(bp.assessed_at)
    open_items = sum(1 for i in bp.items if i.open)
    items = [_system_item(bp, item, image_items) for item in bp.items]
    poam = compact(
        {
            "uuid": _uuid(f"boundary/{system.name}@{moment}/poam"),
            "metadata": compact(
                {
                    "title": md(f"Plan of action and milestones for {system.name}"),
                    "published": moment,
                    "last-modified": moment,
                    "version": moment[:10],
                    "oscal-version": oscal_version,
                    "props": props(
                        prop("generator", "fromline"),
                        prop("images", str(len(bp.images))),
                        prop("open-items", open_items),
                        prop("closed-items", len(bp.items) - open_items),
                    ),
                    **{key: _unique([x for m in metadata for x in m.get(key, [])]) or None for key in _SHARED},
                    "responsible-parties": _unique_parties(metadata),
                    "remarks": f"The POA&M of the {len(bp.images)} container images of {md(system.name)}'s "
                    "authorization boundary, one item per weakness and original detection date.",
                }
            ),
            "system-id": {"identifier-type": "https://fedramp.gov", "id": system.id}
            if system.id
            else {"identifier-type": f"{FROMLINE_NS}/system-name", "id": system.name},
            "local-definitions": compact(
                {
                    "components": [
                        c for d in images.values() for c in d.get("local-definitions", {}).get("components", [])
                    ]
                    or None,
                    "assessment-assets": compact(
                        {
                            "components": _unique([c for a in assets for c in a.get("components", [])]) or None,
                            "assessment-platforms": _unique(
                                [p for a in assets for p in a.get("assessment-platforms", [])]
                            )
                            or None,
                        }
                    )
                    or None,
                }
            ),
            "observations": [o for d in images.values() for o in d.get("observations", [])] or None,
            "risks": [r for d in images.values() for r in d.get("risks", [])] or None,
            "poam-items": items or [_empty(bp)],
            "back-matter": {"resources": resources}
            if (resources := [r for d in images.values() for r in d.get("back-matter", {}).get("resources", [])])
            else None,
        }
    )
    return {"plan-of-action-and-milestones": poam}


def _unique_parties(metadata: list[Json]) -> list[Json] | None:
    by_role: dict[str, list[str]] = {}
    for m in metadata:
        for responsible in m.get("responsible-parties", []):
            uuids = by_role.setdefault(responsible["role-id"], [])
            uuids += [u for u in responsible["party-uuids"] if u not in uuids]
    return [{"role-id": role, "party-uuids": uuids} for role, uuids in by_role.items()] or None


def _empty(bp: BoundaryPackage) -> Json:
    return {
        "uuid": _uuid(f"boundary/{bp.system.name}/poam-item/none"),
        "title": "No weaknesses",
        "description": "No image of the boundary has a POA&M item. OSCAL requires at least one POA&M item; this one "
        "records that there is nothing to track.",
    }


def system_poam(bp: BoundaryPackage, oscal_version: str) -> bytes:
    return document_bytes(lambda: _document(bp, oscal_version), _FILE)
