"""Remediation deadlines: the profile's days per severity, counted from the first detection; KEV due dates.

FedRAMP Rev5 (the default): critical 30, high 30, moderate 90, low 180 days from discovery. A KEV entry's
due date (CISA BOD 22-01) applies when it is earlier. Negligible findings get no deadline. A finding without a
severity is held to the high deadline: an unrated finding is not a reason to wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from evidence.model import Severity

FEDRAMP_SLA_DAYS: Mapping[str, int] = {"critical": 30, "high": 30, "medium": 90, "low": 180}


@dataclass(frozen=True, slots=True, kw_only=True)
class SlaPolicy:
    days: Mapping[str, int] = field(default_factory=lambda: dict(FEDRAMP_SLA_DAYS))  # critical, high, medium, low
    vendor_days: int | None = None  # the base-image vendor's published patch SLA, for the base-image rubric

    def days_for(self, severity: Severity) -> int | None:
        if severity is Severity.NEGLIGIBLE:
            return None
        key = Severity.HIGH.value if severity is Severity.UNKNOWN else severity.value
        return self.days.get(key)


@dataclass(frozen=True, slots=True)
class Deadline:
    due: datetime | None
    sla_days: int | None
    reason: str


LATEST = datetime.max.replace(tzinfo=UTC)  # the calendar's last moment, where date arithmetic stops
EARLIEST = datetime.min.replace(tzinfo=UTC)


def add_days(moment: datetime, days: int) -> datetime:
    """`moment` plus `days`, held at the calendar's edge (LATEST or EARLIEST) where the sum passes year 9999 or 1.

    Every deadline and expiry is computed here: an evidence date near year 9999 has a deadline that is never
    reached, not an OverflowError.
    """
    try:
        return moment + timedelta(days=days)
    except OverflowError:
        edge = LATEST if days > 0 else EARLIEST
        return edge.replace(tzinfo=moment.tzinfo)


def end_of_day(day: date) -> datetime:
    """A due date is met on its whole day, in UTC."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def deadline(first_detected: datetime, severity: Severity, policy: SlaPolicy, kev_due: date | None = None) -> Deadline:
    days = policy.days_for(severity)
    by_sla = add_days(first_detected, days) if days is not None else None
    if kev_due is not None and (by_sla is None or end_of_day(kev_due) < by_sla):
        return Deadline(end_of_day(kev_due), days, f"CISA KEV due date {kev_due.isoformat()}")
    if by_sla is None:
        return Deadline(None, None, f"no deadline for {severity.value} findings")
    return Deadline(by_sla, days, f"{days} days from first detection for {severity.value}")


def vendor_deadline(first_detected: datetime, policy: SlaPolicy) -> datetime | None:
    return add_days(first_detected, policy.vendor_days) if policy.vendor_days is not None else None


def is_overdue(due: datetime | None, now: datetime) -> bool:
    return due is not None and now > due
