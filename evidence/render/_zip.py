"""Reproducible zip archives: the same entries and time always give the same bytes.

Every entry gets the same time (the assessment time, within the years a zip can record), regular-file
permissions 0644 recorded as made on Unix, deflate at zlib's default level, and its place in name order.
Directories are implied by the names and get no entries of their own.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

__all__ = ["write_zip", "zip_time"]

_FIRST = datetime(1980, 1, 1, tzinfo=UTC)  # a zip entry's time cannot be earlier
_LAST = datetime(2107, 12, 31, 23, 59, 58, tzinfo=UTC)  # nor later
_UNIX = 3
_REGULAR_FILE_0644 = 0o100644 << 16
_CHUNK = 1024 * 1024


def zip_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    """`when` as a zip entry time: UTC, clamped to 1980..2107, to the even second zips store."""
    moment = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    moment = min(max(moment, _FIRST), _LAST)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second - moment.second % 2)


def _entry(name: str, stamp: tuple[int, int, int, int, int, int]) -> ZipInfo:
    """The entry `name` as every entry of a reproducible zip is: `stamp` (a `zip_time`), 0644, deflated."""
    info = ZipInfo(name, date_time=stamp)
    info.compress_type = ZIP_DEFLATED
    info.create_system = _UNIX
    info.external_attr = _REGULAR_FILE_0644
    return info


def write_zip(target: IO[bytes], entries: Mapping[str, bytes | Path], when: datetime) -> None:
    """Write `entries` (archive name -> content, or a file to stream it from) as a reproducible zip."""
    stamp = zip_time(when)
    with ZipFile(target, "w", allowZip64=True) as archive:
        for name in sorted(entries):
            info = _entry(name, stamp)
            source = entries[name]
            if isinstance(source, bytes):
                archive.writestr(info, source)
                continue
            info.file_size = source.stat().st_size  # lets zipfile choose zip64 for large files up front
            with source.open("rb") as src, archive.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
