"""`pull.json`, which `fromline pull` writes beside the files it pulled: recognized, and listed as skipped.

It says where each pulled file came from (registry, repository, digest, media type, time). It proves nothing
about the image by itself: each pulled file is evidence on its own, bound and verified as any other.
"""

from __future__ import annotations

from evidence.collectors.interface import CollectorError, Document, SkipFile
from evidence.model import Evidence

__all__ = ["PullRecord"]


class PullRecord:
    name = "pull-record"

    def sniff(self, doc: Document) -> bool:
        obj = doc.json()
        return (
            isinstance(obj, dict)
            and isinstance(obj.get("pulled_by"), str)
            and obj["pulled_by"].startswith("fromline")
            and isinstance(obj.get("files"), list)
        )

    def parse(self, doc: Document) -> Evidence:
        if not self.sniff(doc):
            raise CollectorError(doc.path, "not a Fromline pull record")
        raise SkipFile(doc.path, "Fromline's pull record: where the pulled files came from (each is read on its own)")
