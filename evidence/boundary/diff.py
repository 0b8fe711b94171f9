"""What changed between two boundary packages: `diff.json` and `diff.md` of a boundary made with `--previous`, and
`fromline diff OLD NEW` of two boundary packages.

Images are matched as the ConMon carry-over matches them (`assess.match_previous`): the same digest, else the one
image of the same name in each package (a new release). For each image that continues one, its package is compared
with the old one's exactly as `fromline diff` compares two image packages (`diff.compare`), one pair at a time;
the system's items are compared by their POA&M ID (weakness and original detection date).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evidence.boundary.assess import boundary_audit, match_previous
from evidence.errors import InputError
from evidence.render.markdown import markdown_cell

__all__ = ["BOUNDARY_DIFF_SCHEMA_VERSION", "boundary_diff", "diff_markdown", "is_boundary_package"]

BOUNDARY_DIFF_SCHEMA_VERSION = "boundary-diff-1.0"
SUMMED = ("new", "fixed", "still_open", "new_kev", "regressions", "improvements", "poam_opened", "poam_closed")
LISTED = 50  # items named in diff.md; diff.json has them all


def is_boundary_package(path: Path) -> bool:
    """Whether `path` (a package directory or its audit.json) is a boundary package."""
    try:
        boundary_audit(path)
    except InputError:
        return False
    return True


def boundary_diff(old: Path, new: Path) -> dict[str, Any]:
    """The changes from the boundary package `old` to `new` (directories), as diff.json holds them."""
    from evidence.diff.compare import compare  # noqa: PLC0415
    from evidence.pipeline import load_package  # noqa: PLC0415

    before, after = boundary_audit(old), boundary_audit(new)
    previous = [(str(i["name"]), str(i["digest"]), old / str(i["package"])) for i in before["images"]]
    matched = match_previous(previous, [(str(i["name"]), str(i["digest"])) for i in after["images"]])
    continued = {image[1] for image in matched.values()}
    per_image = []
    totals = dict.fromkeys(SUMMED, 0)
    for image in after["images"]:
        last = matched.get((str(image["name"]), str(image["digest"])))
        entry: dict[str, Any] = {
            "image": image["slug"],
            "name": image["name"],
            "digest": image["digest"],
            "release": image.get("release"),
            "previous_digest": last[1] if last else None,
            "summary": None,
        }
        if last is not None:
            diff = compare(
                load_package(last[2] / "audit.json"), load_package(new / str(image["package"]) / "audit.json")
            )
            if diff.summary is not None:
                entry["summary"] = {name: getattr(diff.summary, name) for name in SUMMED}
                for name in SUMMED:
                    totals[name] += entry["summary"][name]
        per_image.append(entry)
    old_items = {i["poam_id"]: i for i in before["rollup"]["poam"]}
    new_items = {i["poam_id"]: i for i in after["rollup"]["poam"]}
    return {
        "schema_version": BOUNDARY_DIFF_SCHEMA_VERSION,
        "old": {"system": before["system"]["name"], "assessed_at": before["assessed_at"], "images": len(previous)},
        "new": {"system": after["system"]["name"], "assessed_at": after["assessed_at"], "images": len(after["images"])},
        "images": {
            "added": [e["image"] for e in per_image if e["previous_digest"] is None],
            "updated": [
                {"image": e["image"], "previous_digest": e["previous_digest"]}
                for e in per_image
                if e["previous_digest"] not in (None, e["digest"])
            ],
            "removed": [{"name": name, "digest": digest} for name, digest, _ in previous if digest not in continued],
        },
        "totals": totals,
        "per_image": per_image,
        "items": {
            "opened": sorted(p for p, i in new_items.items() if i["open"] and not old_items.get(p, {}).get("open")),
            "closed": sorted(p for p, i in old_items.items() if i["open"] and not new_items.get(p, {}).get("open")),
            "still_open": sum(1 for p, i in new_items.items() if i["open"] and old_items.get(p, {}).get("open")),
        },
    }


def diff_markdown(diff: dict[str, Any]) -> str:
    totals, images, items = diff["totals"], diff["images"], diff["items"]
    lines = [
        f"### Fromline: boundary changes for {markdown_cell(diff['new']['system'])}",
        "",
        (
            f"From {markdown_cell(diff['old']['assessed_at'])} ({diff['old']['images']} images) "
            f"to {markdown_cell(diff['new']['assessed_at'])} ({diff['new']['images']} images)."
        ),
        "",
        (
            f"- **Images:** {len(images['added'])} added, {len(images['updated'])} updated to a new digest, "
            f"{len(images['removed'])} removed"
        ),
        (
            f"- **Vulnerabilities:** {totals['new']} new ({totals['new_kev']} in KEV), {totals['fixed']} fixed, "
            f"{totals['still_open']} still open"
        ),
        f"- **Controls:** {totals['regressions']} regressions, {totals['improvements']} improvements",
        (
            f"- **POA&M items of the system:** {len(items['opened'])} opened, {len(items['closed'])} closed, "
            f"{items['still_open']} still open"
        ),
        "",
        "| Image | Release | Change | New | Fixed | Still open | Regressions |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for entry in diff["per_image"]:
        summary = entry["summary"] or {}
        change = (
            "added"
            if entry["previous_digest"] is None
            else ("same digest" if entry["previous_digest"] == entry["digest"] else "new digest")
        )
        lines.append(
            f"| {markdown_cell(entry['name'])} | {markdown_cell(entry['release'] or '')} | {change} "
            f"| {summary.get('new', '')} "
            f"| {summary.get('fixed', '')} | {summary.get('still_open', '')} | {summary.get('regressions', '')} |"
        )
    lines += [f"| {markdown_cell(removed['name'])} |  | removed |  |  |  |  |" for removed in images["removed"]]
    for label, ids in (("opened", items["opened"]), ("closed", items["closed"])):
        if ids:
            shown = ", ".join(markdown_cell(i) for i in ids[:LISTED])
            more = f" and {len(ids) - LISTED} more (all in diff.json)" if len(ids) > LISTED else ""
            lines += ["", f"POA&M items {label}: {shown}{more}."]
    return "\n".join(lines) + "\n"
