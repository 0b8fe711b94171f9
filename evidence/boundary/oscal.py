"""`oscal/poam.json` of a boundary: one OSCAL POA&M for the system, made of the images' own POA&M documents.

Each image's document is built as its package's would be, except that the UUIDs of its own objects (its component,
observations, risks, items, resources) are named under the image's folder (`uuid_scope`), so that they are unique
across the system. The UUIDs of the parties, roles and assessment tools are shared, and each appears once. Evidence
links point into the image's package (`../images/<slug>/evidence/...`). The system's POA&M items are the roll-up's:
one item per weakness and original detection date (and images that agree on it), related to the risk and
observations of each image it affects, with the system POA&M ID.

The system documents are printed like the images' (keys sorted, two-space indent), except for their long lists
(observations, risks, results: hundreds of thousands at a few hundred images), which hold one element to a line.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import orjson

from evidence.boundary.rollup import BoundaryPackage, SystemItem
from evidence.cycles import no_cycle_collection
from evidence.errors import RenderError
from evidence.model import AuditPackage, SystemInfo
from evidence.render.oscal import (
    FROMLINE_NS,
    Json,
    assessment_results_document,
    compact,
    document_bytes,
    md,
    name_uuid,
    prop,
    props,
    timestamp,
    uuid_scope,
)
from evidence.render.oscal_component import component_definition_document
from evidence.render.oscal_poam import FEDRAMP_NS, poam_document

__all__ = ["SystemView", "system_assessment_results", "system_component_definition", "system_poam", "write_document"]

_FILE = "oscal/poam.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemView:
    """What the system's OSCAL documents need of the roll-up: little enough to send to a worker process, which
    writes a document while this one writes the workbooks."""

    system: SystemInfo
    assessed_at: datetime
    assets: dict[str, str]  # each image's slug -> its Asset Identifier, in the boundary file's order
    items: tuple[SystemItem, ...]

    @classmethod
    def of(cls, bp: BoundaryPackage) -> SystemView:
        assets = {image.slug: image.facts.asset_identifier for image in bp.images}
        return cls(system=bp.system, assessed_at=bp.assessed_at, assets=assets, items=bp.items)


_SHARED = ("parties", "roles")  # metadata lists every image document repeats


_INDENT = b"      "  # of the elements of a list directly under the model's root object, as the document prints


class _Spool:
    """A long list of the system's document (observations, risks, results): the images' fragments of it, each
    already printed as the system's document prints it (`_printed_list`), copied in by `write_streamed`, so that
    the system's document never holds the lists of every image."""

    def __init__(self) -> None:
        self.parts: list[Path] = []

    def add(self, part: Path) -> None:
        if part.stat().st_size:
            self.parts.append(part)

    def placeholder(self, index: int) -> str | None:
        """What stands in the skeleton for this list; None (the key left out) when it is empty."""
        return f"@@fromline-spool-{index}@@" if self.parts else None


def write_streamed(document: Json, spools: list[_Spool], out: BinaryIO, filename: str) -> None:
    """Write `document` as `document_bytes` would (keys sorted, two-space indent, final newline), each spool's
    list where its placeholder stands."""
    try:
        skeleton = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError as e:
        raise RenderError(f"{filename}: cannot serialize the OSCAL document: {e}") from e
    rest = skeleton
    for index, spool in enumerate(spools):
        marker = spool.placeholder(index)
        if marker is None:
            continue
        before, found, rest = rest.partition(b'"' + marker.encode() + b'"')
        if not found:
            raise RenderError(f"{filename}: the document lost a list")
        out.write(before + b"[\n")
        for number, part in enumerate(spool.parts):
            if number:
                out.write(b",\n")
            _copy_in(part, out)
            part.unlink()  # read once: its pages need never reach the disk
        out.write(b"\n" + _INDENT[:-2] + b"]")
    out.write(rest)


def _copy_in(part: Path, out: BinaryIO) -> None:
    """Append the file `part` to `out`: by the kernel where `out` is a file (hundreds of megabytes pass)."""
    with part.open("rb") as data:
        try:
            target = out.fileno()
        except (AttributeError, OSError):  # io.UnsupportedOperation is an OSError
            shutil.copyfileobj(data, out)
            return
        out.flush()
        size = os.fstat(data.fileno()).st_size
        sent = 0
        while sent < size:
            copied = os.sendfile(target, data.fileno(), sent, size - sent)
            if not copied:
                raise RenderError(f"{part.name}: an OSCAL fragment ended early")
            sent += copied


def _printed_list(items: list[Json]) -> bytes:
    """The elements of `items` as the system's document prints them, in a list under its root object: each on a
    line of its own, compact, keys sorted, indented by `_INDENT`, separated by `,\n`, without the brackets; empty
    for no elements. (The long lists of every image, indented like the rest, took two fifths more bytes and time.)"""
    return b",\n".join(_INDENT + orjson.dumps(item, option=orjson.OPT_SORT_KEYS) for item in items)


# Each model's image document, and its long lists, which the system's document copies in as the image's fragments
# print them.
_MODELS: dict[str, tuple[Callable[[AuditPackage, str], Json], tuple[str, ...]]] = {
    "poam": (poam_document, ("observations", "risks")),
    "assessment-results": (assessment_results_document, ("results",)),
    "component-definition": (component_definition_document, ()),
}


def _image_texts(pkg: AuditPackage, slug: str, oscal_version: str, model: str) -> list[bytes]:
    """The image's document of `model` as JSON text, built with its objects' UUIDs under the image's folder name
    (`uuid_scope`: those of parties and tools, listed once for the system, stay as they are), every relative link
    `../` pointing into the image's package: its body without its long lists, compact, then each long list as
    `_printed_list` prints it."""
    build, lists = _MODELS[model]
    with uuid_scope(f"boundary/{slug}/"):
        ((_, document),) = build(pkg, oscal_version).items()
    printed = [_printed_list(document.pop(name, [])) for name in lists]
    texts = [orjson.dumps(document), *printed]
    home = b"../images/" + slug.encode() + b"/"
    return [text.replace(b'"href":"../', b'"href":"' + home) for text in texts]


def write_fragments(pkg: AuditPackage, slug: str, oscal_version: str, folder: Path) -> None:
    """One image's three OSCAL documents, their UUIDs the system's own, into `folder`, where the system documents read
    them one image at a time: each document's body, and each of its long lists printed for copying in."""
    for model, (_, lists) in _MODELS.items():
        body, *printed = _image_texts(pkg, slug, oscal_version, model)
        (folder / f"{slug}.{model}.json").write_bytes(body)
        for name, text in zip(lists, printed, strict=True):
            _list_fragment(folder, slug, model, name).write_bytes(text)


def _list_fragment(folder: Path, slug: str, model: str, name: str) -> Path:
    return folder / f"{slug}.{model}.{name}.json-part"


def _image_document(slug: str, model: str, fragments: Path) -> Json:
    """The image's document of `model` as `write_fragments` wrote it, without its long lists."""
    path = fragments / f"{slug}.{model}.json"
    document: Json = orjson.loads(path.read_bytes())
    path.unlink()  # read once
    return document


def _poam_id(item: Json) -> str | None:
    return next((p["value"] for p in item.get("props", []) if p.get("name") == "POAM-ID"), None)


def _unique(items: list[Json]) -> list[Json]:
    """`items` without repeats (by uuid, by id, else by content), in order."""
    seen: dict[str, Json] = {}
    for item in items:
        key = item.get("uuid") or item.get("id") or orjson.dumps(item, option=orjson.OPT_SORT_KEYS).decode()
        seen.setdefault(key, item)
    return list(seen.values())


def _system_item(bp: SystemView, item: SystemItem, image_items: dict[tuple[str, str], Json]) -> Json:
    members = [image_items[slug, item.item_id] for slug in item.images if (slug, item.item_id) in image_items]
    if not members:
        raise RenderError(f"{_FILE}: no image document has the POA&M item {item.item_id}")
    first = members[0]
    assets = [bp.assets[slug] for slug in item.images]
    other_props = [p for p in first.get("props", []) if p.get("name") != "POAM-ID"]
    remarks = "\n\n".join(
        [
            "Assets: " + "; ".join(md(a) for a in assets) + ".",
            *(r for r in first.get("remarks", "").split("\n\n") if not r.startswith("Asset: ")),
        ]
    )
    return compact(
        {
            "uuid": name_uuid(f"boundary/{bp.system.name}/poam-item/{item.poam_id}"),
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


def _document(bp: SystemView, oscal_version: str, observations: _Spool, risks: _Spool, fragments: Path) -> Json:
    """The system POA&M without its observations and risks, which go to their spools image by image."""
    image_items: dict[tuple[str, str], Json] = {}
    leading = {(item.images[0], item.item_id) for item in bp.items}  # whose item gives the system item's words
    metadata: list[Json] = []
    assets: list[Json] = []
    components: list[Json] = []
    resources: list[Json] = []
    for slug in bp.assets:
        document = _image_document(slug, "poam", fragments)
        for poam_item in document.get("poam-items", []):
            poam_id = _poam_id(poam_item)
            if poam_id is None:
                continue
            kept = (
                poam_item
                if (slug, poam_id) in leading
                else {k: v for k, v in poam_item.items() if k in ("related-observations", "related-risks")}
            )  # of the other images, only what the system item relates
            image_items[slug, poam_id] = kept
        metadata.append(document["metadata"])
        assets.append(document.get("local-definitions", {}).get("assessment-assets", {}))
        components += document.get("local-definitions", {}).get("components", [])
        resources += document.get("back-matter", {}).get("resources", [])
        observations.add(_list_fragment(fragments, slug, "poam", "observations"))
        risks.add(_list_fragment(fragments, slug, "poam", "risks"))
    system = bp.system
    moment = timestamp(bp.assessed_at)
    open_items = sum(1 for i in bp.items if i.open)
    items = [_system_item(bp, item, image_items) for item in bp.items]
    poam = compact(
        {
            "uuid": name_uuid(f"boundary/{system.name}@{moment}/poam"),
            "metadata": _shared_metadata(
                bp,
                metadata,
                "Plan of action and milestones",
                oscal_version,
                ("POA&M", "authorization boundary, one item per weakness and original detection date."),
                prop("open-items", open_items),
                prop("closed-items", len(bp.items) - open_items),
            ),
            "system-id": {"identifier-type": "https://fedramp.gov", "id": system.id}
            if system.id
            else {"identifier-type": f"{FROMLINE_NS}/system-name", "id": system.name},
            "local-definitions": compact(
                {
                    "components": components or None,
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
            "observations": observations.placeholder(0),
            "risks": risks.placeholder(1),
            "poam-items": items or [_empty(bp)],
            "back-matter": {"resources": resources} if resources else None,
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


def _empty(bp: SystemView) -> Json:
    return {
        "uuid": name_uuid(f"boundary/{bp.system.name}/poam-item/none"),
        "title": "No weaknesses",
        "description": "No image of the boundary has a POA&M item. OSCAL requires at least one POA&M item; this one "
        "records that there is nothing to track.",
    }


def system_poam(bp: SystemView, oscal_version: str, out: BinaryIO, fragments: Path) -> None:
    spools = [_Spool(), _Spool()]
    with no_cycle_collection():
        document = _document(bp, oscal_version, spools[0], spools[1], fragments)
    write_streamed(document, spools, out, _FILE)


def _shared_metadata(
    bp: SystemView,
    metadata: list[Json],
    kind: str,
    oscal_version: str,
    remarks: tuple[str, str],  # what the document is called in its remarks, and how they end
    *extra: Json | None,
) -> Json:
    """The system document's metadata: its own title, time and props, and the images' parties and roles once."""
    moment = timestamp(bp.assessed_at)
    return compact(
        {
            "title": md(f"{kind} for {bp.system.name}"),
            "published": moment,
            "last-modified": moment,
            "version": moment[:10],
            "oscal-version": oscal_version,
            "props": props(prop("generator", "fromline"), prop("images", str(len(bp.assets))), *extra),
            **{key: _unique([x for m in metadata for x in m.get(key, [])]) or None for key in _SHARED},
            "responsible-parties": _unique_parties(metadata),
            "remarks": f"The {remarks[0]} of the {len(bp.assets)} container images of {md(bp.system.name)}'s "
            + remarks[1],
        }
    )


_EACH_OWN = "authorization boundary: each image's own, their UUIDs unique across the system."  # AR and CD remarks


def _resources(documents: list[Json]) -> Json | None:
    resources = [r for d in documents for r in d.get("back-matter", {}).get("resources", [])]
    return {"resources": resources} if resources else None


def system_assessment_results(bp: SystemView, oscal_version: str, out: BinaryIO, fragments: Path) -> None:
    """One result per image, as each image's assessment results has it, under one document; the results are
    spooled image by image."""
    results = _Spool()
    documents: list[Json] = []  # each image's document without its results: small
    with no_cycle_collection():
        for slug in bp.assets:
            documents.append(_image_document(slug, "assessment-results", fragments))
            results.add(_list_fragment(fragments, slug, "assessment-results", "results"))
        moment = timestamp(bp.assessed_at)
        body = compact(
            {
                "uuid": name_uuid(f"boundary/{bp.system.name}@{moment}/assessment-results"),
                "metadata": _shared_metadata(
                    bp,
                    [d["metadata"] for d in documents],
                    "Assessment results",
                    oscal_version,
                    ("assessment results", _EACH_OWN),
                ),
                "import-ap": documents[0]["import-ap"],
                "local-definitions": compact(
                    {
                        "objectives-and-methods": [
                            o
                            for d in documents
                            for o in d.get("local-definitions", {}).get("objectives-and-methods", [])
                        ]
                        or None
                    }
                )
                or None,
                "results": results.placeholder(0),
                "back-matter": _resources(documents),
            }
        )
    write_streamed({"assessment-results": body}, [results], out, "oscal/assessment-results.json")


def system_component_definition(bp: SystemView, oscal_version: str, fragments: Path) -> bytes:
    """A component per image (each image's own component definition's components), under one document."""

    def build() -> Json:
        documents = [_image_document(slug, "component-definition", fragments) for slug in bp.assets]
        moment = timestamp(bp.assessed_at)
        body = compact(
            {
                "uuid": name_uuid(f"boundary/{bp.system.name}@{moment}/component-definition"),
                "metadata": _shared_metadata(
                    bp,
                    [d["metadata"] for d in documents],
                    "Component definition",
                    oscal_version,
                    ("component definition", _EACH_OWN),
                ),
                "components": [c for d in documents for c in d.get("components", [])],
                "back-matter": _resources(documents),
            }
        )
        return {"component-definition": body}

    return document_bytes(build, "oscal/component-definition.json")


def write_document(model: str, view: SystemView, oscal_version: str, fragments: Path, target: Path) -> str | None:
    """Write the system's document of `model` ("assessment-results", "component-definition" or "poam") into
    `target`, in a worker process; the problem, if any (an exception with arguments of its own does not cross a
    process boundary intact, so its message does)."""
    try:
        with target.open("wb") as out:
            if model == "poam":
                system_poam(view, oscal_version, out, fragments)
            elif model == "assessment-results":
                system_assessment_results(view, oscal_version, out, fragments)
            else:
                out.write(system_component_definition(view, oscal_version, fragments))
    except RenderError as exc:
        return str(exc)
    return None
