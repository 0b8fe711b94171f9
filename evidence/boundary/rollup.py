"""The system roll-up of a boundary: decided once here from the images' own assessments, and only looked up by the
boundary's renderers, as an image package's verdicts are.

- POA&M items: unique by weakness, asset and original detection date. FedRAMP allows one item to cover several
  assets only when the weakness and the original detection date are the same, so items are grouped across images
  by (the image item's POA&M id, its original detection day), and the group lists every image it affects.
- Controls: for each catalog control, the images in each status.
- Findings: the open vulnerability items by severity and by age (days since their original detection), and
  the overdue ones.
- Base images: each base image an image names (its Dockerfile's final FROM, or its OCI base-image label), the
  images built on it, and the open findings attributed to the base in those images.
- Ports and protocols: each image's exposed ports, from its image config or Dockerfile, as the SSP's ports,
  protocols and services table needs them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from evidence.boundary.assess import AssessedImage, PreviousImage
from evidence.boundary.config import Boundary
from evidence.boundary.facts import ItemFacts
from evidence.lifecycle.poam import utc_day
from evidence.model import (
    Severity,
    Status,
    SystemInfo,
)
from evidence.render.poam_xlsx import POAM_COLUMNS

__all__ = [
    "AGE_BUCKETS",
    "BaseImageUse",
    "BoundaryChanges",
    "BoundaryPackage",
    "ControlRollup",
    "PendingDeviation",
    "PortUse",
    "SystemItem",
    "roll_up",
]

# Open items by days since their original detection: FedRAMP's remediation clocks are 30, 90 and 180 days.
AGE_BUCKETS = ((0, 30, "0-30 days"), (31, 90, "31-90 days"), (91, 180, "91-180 days"), (181, None, "over 180 days"))


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemItem:
    """One POA&M item of the system: one weakness, first detected on one day, in one or more images."""

    poam_id: str  # "<image item id>-<YYYYMMDD of the original detection>": stable from month to month
    item_id: str  # the images' own item id, "V-CVE-2024-5535" or "C-<catalog>-<control>"
    first_detected: date | None
    images: tuple[str, ...]  # slugs, in the boundary file's order
    open: bool
    severity: Severity
    overdue: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlRollup:
    catalog: str
    control_id: str
    title: str
    images: dict[Status, tuple[str, ...]] = field(default_factory=dict)  # status -> slugs
    partial: tuple[str, ...] = ()  # of the satisfied, the slugs satisfied only for the part image evidence shows


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseImageUse:
    base: str  # as the image names it: "docker.io/library/debian:12-slim@sha256:..."
    images: tuple[str, ...]
    open_base_findings: int  # open records attributed to the base image, over those images


@dataclass(frozen=True, slots=True, kw_only=True)
class PortUse:
    image: str  # slug
    port: str
    protocol: str
    source: str  # "image config" or "Dockerfile"


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingDeviation:
    """A deviation request still open on an open item: asked for (or proposed by a VEX statement), not approved."""

    image: str  # slug
    poam_id: str  # the image's item id
    kinds: tuple[str, ...]  # "false positive", "risk adjustment", "operational requirement", "vendor dependency"
    request: str | None  # the deviation request's id; None when a VEX statement proposes it


@dataclass(frozen=True, slots=True, kw_only=True)
class BoundaryChanges:
    """What changed in the boundary since last month's package (--previous)."""

    added: tuple[str, ...] = ()  # slugs of images new to the boundary
    updated: tuple[tuple[str, str], ...] = ()  # (slug, last month's digest) of a new release of an image
    removed: tuple[tuple[str, str], ...] = ()  # (name, digest) of last month's images no image continues
    closed_items: int = 0  # system items closed (every image fixed or no longer has the weakness)


@dataclass(frozen=True, slots=True, kw_only=True)
class BoundaryPackage:
    """A boundary package's content: the images' assessments and the roll-up, decided once."""

    system: SystemInfo
    profile: str
    assessed_at: datetime
    images: tuple[AssessedImage, ...]
    items: tuple[SystemItem, ...] = ()
    controls: tuple[ControlRollup, ...] = ()
    open_by_severity: dict[Severity, int] = field(default_factory=dict)
    open_by_age: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    bases: tuple[BaseImageUse, ...] = ()
    ports: tuple[PortUse, ...] = ()
    changes: BoundaryChanges | None = None  # with --previous
    pending_deviations: tuple[PendingDeviation, ...] = ()

    _by_slug: dict[str, AssessedImage] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_slug", {i.slug: i for i in self.images})

    def image(self, slug: str) -> AssessedImage:
        return self._by_slug[slug]


# The POA&M columns that describe one image rather than the weakness: the system's row lists every image's. Every
# other column (status, due date, milestones, ratings, deviations, vendor dependency, KEV) must agree for images to
# share an item: an approval or a due date of one image is not a claim about another.
PER_IMAGE_COLUMNS = frozenset(
    {
        "POAM ID",
        "Weakness Detector Source",
        "Asset Identifier",
        "Status Date",
        "Supporting Documents",
        "Comments",
        "Service Name",
    }
)
_AGREED = tuple(i for i, name in enumerate(POAM_COLUMNS) if name not in PER_IMAGE_COLUMNS)


def _items(images: tuple[AssessedImage, ...]) -> tuple[SystemItem, ...]:
    """One item per weakness and original detection day whose images agree on every column but their own; where
    they do not, each set that agrees is an item of its own, numbered `-2`, `-3`... in the boundary file's order."""
    groups: dict[tuple[str, date | None], dict[tuple[object, ...], list[tuple[AssessedImage, ItemFacts]]]] = (
        defaultdict(dict)
    )
    for image in images:
        for item in image.facts.poam:
            day = item.first_detected
            row = image.facts.poam_rows.get((item.poam_id, day), ())
            agreed = tuple(row[i] for i in _AGREED) if row else ()
            groups[item.poam_id, day].setdefault(agreed, []).append((image, item))
    items = []
    for (item_id, day), sets in groups.items():
        for number, members in enumerate(sets.values(), start=1):
            items.append(_system_item(item_id, day, members, number))
    return tuple(sorted(items, key=lambda i: (not i.open, -i.severity.rank, i.first_detected or date.max, i.poam_id)))


def _system_item(
    item_id: str, day: date | None, members: list[tuple[AssessedImage, ItemFacts]], number: int
) -> SystemItem:
    suffix = (day.strftime("%Y%m%d") if day else "undated") + (f"-{number}" if number > 1 else "")
    open_members = [i for _, i in members if i.is_open]
    return SystemItem(
        poam_id=f"{item_id}-{suffix}",
        item_id=item_id,
        first_detected=day,
        images=tuple(image.slug for image, _ in members),
        open=bool(open_members),
        severity=max((i.severity for _, i in members), key=lambda s: s.rank),
        overdue=any(i.overdue for i in open_members),
    )


def _controls(images: tuple[AssessedImage, ...]) -> tuple[ControlRollup, ...]:
    order: dict[tuple[str, str], str] = {}
    statuses: dict[tuple[str, str], dict[Status, list[str]]] = defaultdict(lambda: defaultdict(list))
    partial: dict[tuple[str, str], list[str]] = defaultdict(list)
    for image in images:
        for control in image.facts.controls:
            key = (control.catalog, control.control_id)
            order.setdefault(key, control.title)
            statuses[key][control.status].append(image.slug)
            if control.partly_satisfied:
                partial[key].append(image.slug)
    return tuple(
        ControlRollup(
            catalog=catalog,
            control_id=control_id,
            title=title,
            images={status: tuple(slugs) for status, slugs in statuses[catalog, control_id].items()},
            partial=tuple(partial[catalog, control_id]),
        )
        for (catalog, control_id), title in order.items()
    )


def _bases(images: tuple[AssessedImage, ...]) -> tuple[BaseImageUse, ...]:
    users: dict[str, list[AssessedImage]] = defaultdict(list)
    for image in images:
        if image.facts.base_image is not None:
            users[image.facts.base_image].append(image)
    return tuple(
        BaseImageUse(
            base=base,
            images=tuple(i.slug for i in members),
            open_base_findings=sum(i.facts.open_base_findings for i in members),
        )
        for base, members in sorted(users.items())
    )


def _ports(images: tuple[AssessedImage, ...]) -> tuple[PortUse, ...]:
    return tuple(
        PortUse(image=image.slug, port=port, protocol=protocol, source=source)
        for image in images
        for port, protocol, source in image.facts.ports
    )


def _changes(
    images: tuple[AssessedImage, ...], items: tuple[SystemItem, ...], previous: list[PreviousImage]
) -> BoundaryChanges:
    continued = {image.continues for image in images if image.continues}
    return BoundaryChanges(
        added=tuple(i.slug for i in images if i.continues is None),
        updated=tuple((i.slug, i.continues) for i in images if i.continues and i.continues != i.facts.subject.digest),
        removed=tuple((name, digest) for name, digest, _ in previous if digest not in continued),
        closed_items=sum(1 for item in items if not item.open),
    )


def _pending(images: tuple[AssessedImage, ...]) -> tuple[PendingDeviation, ...]:
    return tuple(
        PendingDeviation(image=image.slug, poam_id=item.poam_id, kinds=item.pending, request=item.request)
        for image in images
        for item in image.facts.poam
        if item.is_open and item.pending
    )


def roll_up(
    boundary: Boundary,
    images: list[AssessedImage],
    assessed_at: datetime,
    previous: list[PreviousImage] | None = None,
) -> BoundaryPackage:
    """The boundary's package content: every image's assessment and the system roll-up; with last month's
    images, what changed since."""
    ordered = tuple(images)
    items = _items(ordered)
    open_vulns = [i for i in items if i.open and i.item_id.startswith("V-")]
    today = utc_day(assessed_at) or date.min
    ages: Counter[str] = Counter()
    for item in open_vulns:
        days = (today - item.first_detected).days if item.first_detected else None
        for low, high, label in AGE_BUCKETS:
            if days is not None and days >= low and (high is None or days <= high):
                ages[label] += len(item.images)
    by_severity: Counter[Severity] = Counter()
    for item in open_vulns:
        by_severity[item.severity] += len(item.images)
    return BoundaryPackage(
        system=boundary.system,
        profile=boundary.profile,
        assessed_at=assessed_at,
        images=ordered,
        items=items,
        controls=_controls(ordered),
        open_by_severity=dict(by_severity),
        open_by_age={label: ages[label] for _, _, label in AGE_BUCKETS},
        overdue=sum(len(i.images) for i in items if i.overdue),
        bases=_bases(ordered),
        ports=_ports(ordered),
        changes=_changes(ordered, items, previous) if previous is not None else None,
        pending_deviations=_pending(ordered),
    )
