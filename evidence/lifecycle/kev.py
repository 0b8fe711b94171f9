"""CISA's Known Exploited Vulnerabilities catalog, from the JSON file CISA publishes (read from a file, never fetched).

The fields read are the catalog's own: `catalogVersion`, `dateReleased` and `vulnerabilities[]` with `cveID`,
`vendorProject`, `product`, `vulnerabilityName`, `dateAdded`, `dueDate` and `knownRansomwareCampaignUse`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson

from evidence.errors import InputError

_MAX_PROBLEMS = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class KevEntry:
    cve: str
    date_added: date
    due_date: date
    vendor_project: str | None = None
    product: str | None = None
    name: str | None = None
    required_action: str | None = None
    ransomware: bool = False  # knownRansomwareCampaignUse is "Known"


@dataclass(frozen=True, slots=True, kw_only=True)
class KevCatalog:
    source: str
    version: str
    released: datetime | None = None
    entries: dict[str, KevEntry] = field(default_factory=dict)  # CVE id (upper case) -> entry

    def get(self, ids: set[str]) -> KevEntry | None:
        """The entry for any of these vulnerability ids; the earliest due date when several are listed."""
        found = [self.entries[i.upper()] for i in ids if i.upper() in self.entries]
        return min(found, key=lambda e: (e.due_date, e.cve)) if found else None


def read_kev(path: Path) -> KevCatalog:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(path, f"cannot be read: {e.strerror}") from e
    return parse_kev(data, str(path))


def parse_kev(data: bytes, source: str) -> KevCatalog:
    """The catalog in `data`; every problem found is reported at once, naming the entry."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise InputError(source, f"not a CISA KEV catalog: not valid JSON ({e})") from e
    if not isinstance(document, dict) or not isinstance(document.get("vulnerabilities"), list):
        raise InputError(source, "not a CISA KEV catalog: no vulnerabilities array at /vulnerabilities")
    version = document.get("catalogVersion")
    if not isinstance(version, str) or not version.strip():
        raise InputError(source, "not a CISA KEV catalog: /catalogVersion is missing or not a string")
    released = _datetime(document.get("dateReleased"))
    entries: dict[str, KevEntry] = {}
    problems: list[str] = []
    for i, item in enumerate(document["vulnerabilities"]):
        entry = _entry(item, f"/vulnerabilities/{i}", problems)
        if entry is not None:
            entries[entry.cve.upper()] = entry
    if problems:
        more = f" (and {len(problems) - _MAX_PROBLEMS} more)" if len(problems) > _MAX_PROBLEMS else ""
        raise InputError(source, "invalid CISA KEV catalog: " + "; ".join(problems[:_MAX_PROBLEMS]) + more)
    return KevCatalog(source=source, version=version.strip(), released=released, entries=entries)


def _entry(item: Any, where: str, problems: list[str]) -> KevEntry | None:
    if not isinstance(item, dict):
        problems.append(f"{where} is not an object")
        return None
    cve = _text(item.get("cveID"))
    added = _date(item.get("dateAdded"))
    due = _date(item.get("dueDate"))
    if cve is None or added is None or due is None:
        missing = [name for name, value in (("cveID", cve), ("dateAdded", added), ("dueDate", due)) if value is None]
        problems.append(f"{where}: {', '.join(missing)} missing or not valid")
        return None
    return KevEntry(
        cve=cve,
        date_added=added,
        due_date=due,
        vendor_project=_text(item.get("vendorProject")),
        product=_text(item.get("product")),
        name=_text(item.get("vulnerabilityName")),
        required_action=_text(item.get("requiredAction")),
        ransomware=_text(item.get("knownRansomwareCampaignUse")) == "Known",
    )


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None
