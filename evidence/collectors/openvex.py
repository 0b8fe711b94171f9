"""OpenVEX documents, v0.2.0 and the earlier drafts (v0.0.x, where vulnerabilities and products are strings)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from evidence.collectors._util import (
    array_at,
    digests_in_reference,
    expect_array,
    expect_object,
    expect_string,
    expect_strings,
    parse_time,
    pointer,
    require_string,
    string_at,
)
from evidence.collectors.interface import CollectorError, Document
from evidence.model import Evidence, EvidenceKind, VexStatement

CONTEXT_PREFIX = "https://openvex.dev/ns"
_CONTEXT_VERSION_RE = re.compile(r"/v?(\d+\.\d+\.\d+)/?$")
NEWEST_SUPPORTED = (0, 2)  # 0.2.0 and earlier; a later version may change what a statement means


class OpenVex:
    name = "openvex"

    def sniff(self, doc: Document) -> bool:
        data = doc.json()
        if not isinstance(data, dict):
            return False
        context = data.get("@context")
        return isinstance(context, str) and context.startswith(CONTEXT_PREFIX)

    def parse(self, doc: Document) -> Evidence:
        return _Reader(doc.path).read(doc)


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.subjects: list[str] = []

    def read(self, doc: Document) -> Evidence:
        document = expect_object(doc.json(), self.path, "")
        context = require_string(document.get("@context"), self.path, "/@context")
        version = _CONTEXT_VERSION_RE.search(context)
        if version and tuple(int(n) for n in version.group(1).split(".")[:2]) > NEWEST_SUPPORTED:
            raise CollectorError(
                self.path, f"OpenVEX version {version.group(1)} is recognized but not supported (0.2.0 and earlier)"
            )
        if "statements" not in document:
            raise CollectorError(self.path, "/statements is required but missing")
        author = expect_string(document.get("author"), self.path, "/author")
        timestamp = parse_time(expect_string(document.get("timestamp"), self.path, "/timestamp")) or parse_time(
            expect_string(document.get("last_updated"), self.path, "/last_updated")
        )
        statements: list[VexStatement] = []
        for i, entry in enumerate(expect_array(document.get("statements"), self.path, "/statements")):
            where = pointer("statements", i)
            statements.append(self._statement(expect_object(entry, self.path, where), where, author, timestamp))
        return doc.evidence(
            kind=EvidenceKind.VEX,
            format="OpenVEX",
            format_version=version.group(1) if version else None,
            tool=expect_string(document.get("tooling"), self.path, "/tooling"),
            subjects=tuple(dict.fromkeys(self.subjects)),
            collected_at=timestamp,
            statements=tuple(statements),
        )

    def _statement(
        self, fields: dict[str, Any], where: str, author: str | None, timestamp: datetime | None
    ) -> VexStatement:
        vulnerability, aliases = self._vulnerability(fields.get("vulnerability"), f"{where}/vulnerability")
        products = self._products(fields, where)
        return VexStatement(
            vulnerability=vulnerability,
            aliases=aliases,
            products=products,
            status=require_string(fields.get("status"), self.path, f"{where}/status"),
            justification=string_at(fields, "justification", self.path, where),
            impact_statement=string_at(fields, "impact_statement", self.path, where),
            action_statement=string_at(fields, "action_statement", self.path, where),
            timestamp=parse_time(string_at(fields, "timestamp", self.path, where)) or timestamp,
            author=string_at(fields, "author", self.path, where) or author,
            location=where,
        )

    def _vulnerability(self, value: object, where: str) -> tuple[str, tuple[str, ...]]:
        """The vulnerability name and aliases: an object from v0.2.0 on, a plain string before."""
        if isinstance(value, str):
            return require_string(value, self.path, where), ()
        fields = expect_object(value, self.path, where)
        name = string_at(fields, "name", self.path, where) or require_string(
            fields.get("@id"), self.path, f"{where}/name"
        )
        aliases = expect_strings(fields.get("aliases"), self.path, f"{where}/aliases")
        return name, tuple(a for a in dict.fromkeys(aliases) if a != name)

    def _products(self, fields: dict[str, Any], where: str) -> tuple[str, ...]:
        """Product and subcomponent identifiers; the image digests among the products become subjects."""
        found: list[str] = []
        for i, entry in enumerate(array_at(fields, "products", self.path, where)):
            at = f"{where}/products/{i}"
            identifiers = self._identifiers(entry, at)
            self.subjects += [
                d
                for ref in identifiers
                if ref.startswith("pkg:oci/") or not ref.startswith("pkg:")
                for d in digests_in_reference(ref)
            ]
            found += identifiers
            if isinstance(entry, dict):
                for j, sub in enumerate(array_at(entry, "subcomponents", self.path, at)):
                    found += self._identifiers(sub, f"{at}/subcomponents/{j}")
        # Before v0.2.0, subcomponents were listed once for the whole statement.
        for j, sub in enumerate(array_at(fields, "subcomponents", self.path, where)):
            found += self._identifiers(sub, f"{where}/subcomponents/{j}")
        return tuple(dict.fromkeys(found))

    def _identifiers(self, value: object, where: str) -> list[str]:
        """A component's `@id` and purl: the component is an object from v0.2.0 on, a plain string before."""
        if isinstance(value, str):
            return [value] if value.strip() else []
        component = expect_object(value, self.path, where)
        identifiers = expect_object(component.get("identifiers"), self.path, f"{where}/identifiers", optional=True)
        ids = [
            string_at(component, "@id", self.path, where),
            expect_string(identifiers.get("purl"), self.path, f"{where}/identifiers/purl"),
        ]
        return [i for i in ids if i is not None]
