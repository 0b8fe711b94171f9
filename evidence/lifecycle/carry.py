"""Carry the first detection date forward from the previous package, and close what is no longer found.

A record's identity is its set of vulnerability ids and its package name (not the version: upgrading a
package without fixing the vulnerability does not restart the clock). A record of the previous package
that matches no current one is closed at this assessment; records already closed before stay in the
history as they were. A vulnerability that comes back after it was closed starts a new clock.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from evidence.model import AuditPackage, DetectionSource, VulnerabilityRecord, VulnerabilityState

CLOSED = VulnerabilityState.CLOSED


def identity(record: VulnerabilityRecord) -> frozenset[str]:
    return frozenset(i.upper() for i in (record.id, *record.aliases))


def _package(record: VulnerabilityRecord) -> str:
    return record.package.lower()


def carry_forward(
    records: Sequence[VulnerabilityRecord], previous: AuditPackage, *, now: datetime
) -> tuple[VulnerabilityRecord, ...]:
    earlier: dict[str, list[VulnerabilityRecord]] = defaultdict(list)
    for old in previous.vulnerabilities:
        if old.state != CLOSED:
            earlier[_package(old)].append(old)
    matched: set[int] = set()
    carried: list[VulnerabilityRecord] = []
    for record in records:
        names = identity(record)
        same = [old for old in earlier[_package(record)] if identity(old) & names]
        matched.update(id(old) for old in same)
        dates = [old.first_detected or previous.assessed_at for old in same]
        if record.first_detected is not None:
            dates.append(record.first_detected)
        first = min(dates, default=None)
        if same:
            carried.append(dataclasses.replace(record, first_detected=first, detection_source=DetectionSource.CARRIED))
        else:
            carried.append(record)
    found = {(_package(r), n) for r in records for n in identity(r)}
    for old in previous.vulnerabilities:
        if old.state == CLOSED:
            if not any((_package(old), n) in found for n in identity(old)):
                carried.append(old)  # history: closed in an earlier assessment
        elif id(old) not in matched:
            carried.append(
                dataclasses.replace(
                    old,
                    state=CLOSED,
                    closed_at=now,
                    overdue=False,
                    first_detected=old.first_detected or previous.assessed_at,
                )
            )
    return tuple(carried)
