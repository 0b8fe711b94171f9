"""CSAF 2.0 documents read as VEX: `csaf_vex`, and advisories of other categories that carry product status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evidence.collectors._util import (
    array_at,
    digests_in_reference,
    expect_array,
    expect_object,
    expect_strings,
    parse_time,
    pointer,
    require_string,
    string_at,
)
from evidence.collectors.interface import CollectorError, Document
from evidence.model import Evidence, EvidenceKind, VexStatement

SUPPORTED_VERSION = "2.0"

# product_status lists and the VEX status each stands for; `recommended` names versions, not a status.
_STATUSES = (
    ("known_not_affected", "not_affected"),
    ("known_affected", "affected"),
    ("first_affected", "affected"),
    ("last_affected", "affected"),
    ("fixed", "fixed"),
    ("first_fixed", "fixed"),
    ("under_investigation", "under_investigation"),
)
# CSAF 2.0 flag labels; they are OpenVEX's justifications word for word.
_JUSTIFICATIONS = {
    "component_not_present",
    "inline_mitigations_already_exist",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_not_present",
}


@dataclass(frozen=True, slots=True)
class _Product:
    purl: str | None
    parent_purl: str | None = None  # for a relationship: the product the component is part of


class CsafVex:
    name = "csaf-vex"

    def sniff(self, doc: Document) -> bool:
        data = doc.json()
        if not isinstance(data, dict):
            return False
        document = data.get("document")
        return isinstance(document, dict) and "csaf_version" in document and "category" in document

    def parse(self, doc: Document) -> Evidence:
        return _Reader(doc.path).read(doc)


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.groups: dict[str, list[str]] = {}

    def read(self, doc: Document) -> Evidence:
        csaf = expect_object(doc.json(), self.path, "")
        document = expect_object(csaf.get("document"), self.path, "/document")
        version = document.get("csaf_version")
        if version != SUPPORTED_VERSION:
            raise CollectorError(
                self.path, f"CSAF version {version!r} is recognized but not supported (only {SUPPORTED_VERSION} is)"
            )
        category = require_string(document.get("category"), self.path, "/document/category")
        tracking = expect_object(document.get("tracking"), self.path, "/document/tracking", optional=True)
        generator = expect_object(tracking.get("generator"), self.path, "/document/tracking/generator", optional=True)
        engine_at = "/document/tracking/generator/engine"
        engine = expect_object(generator.get("engine"), self.path, engine_at, optional=True)
        publisher = expect_object(document.get("publisher"), self.path, "/document/publisher", optional=True)
        released = parse_time(string_at(tracking, "current_release_date", self.path, "/document/tracking"))
        tree = expect_object(csaf.get("product_tree"), self.path, "/product_tree", optional=True)
        products = self._products(tree)
        self.groups = self._groups(tree)
        vulnerabilities = expect_array(csaf.get("vulnerabilities"), self.path, "/vulnerabilities")
        if category != "csaf_vex" and not any(isinstance(v, dict) and v.get("product_status") for v in vulnerabilities):
            raise CollectorError(
                self.path,
                f"CSAF category {category!r} is recognized but not supported here: "
                "it gives no product status for any vulnerability",
            )
        author = string_at(publisher, "name", self.path, "/document/publisher")
        statements: list[VexStatement] = []
        for i, entry in enumerate(vulnerabilities):
            where = pointer("vulnerabilities", i)
            vulnerability = expect_object(entry, self.path, where)
            statements += self._statements(vulnerability, where, products, released, author)
        purls = [p for product in products.values() for p in (product.purl, product.parent_purl) if p]
        return doc.evidence(
            kind=EvidenceKind.VEX,
            format="CSAF VEX",
            format_version=SUPPORTED_VERSION,
            tool=string_at(engine, "name", self.path, engine_at),
            tool_version=string_at(engine, "version", self.path, engine_at),
            subjects=tuple(dict.fromkeys(d for purl in purls for d in digests_in_reference(purl))),
            collected_at=released,
            statements=tuple(statements),
        )

    def _full_product_name(self, value: object, where: str) -> tuple[str, str | None]:
        fields = expect_object(value, self.path, where)
        product_id = require_string(fields.get("product_id"), self.path, f"{where}/product_id")
        at = f"{where}/product_identification_helper"
        helper = expect_object(fields.get("product_identification_helper"), self.path, at, optional=True)
        return product_id, string_at(helper, "purl", self.path, at)

    def _products(self, tree: dict[str, Any]) -> dict[str, _Product]:
        """Every product id in the tree, with its purl where the tree gives one."""
        products: dict[str, _Product] = {}
        # An explicit stack, not recursion: branch depth is the file author's choice.
        stack: list[tuple[str, Any]] = [
            (f"/product_tree/branches/{i}", b)
            for i, b in enumerate(array_at(tree, "branches", self.path, "/product_tree"))
        ]
        while stack:
            where, entry = stack.pop()
            branch = expect_object(entry, self.path, where)
            if branch.get("product") is not None:
                product_id, purl = self._full_product_name(branch.get("product"), f"{where}/product")
                products.setdefault(product_id, _Product(purl))
            stack += [
                (f"{where}/branches/{i}", b) for i, b in enumerate(array_at(branch, "branches", self.path, where))
            ]
        for i, entry in enumerate(array_at(tree, "full_product_names", self.path, "/product_tree")):
            product_id, purl = self._full_product_name(entry, f"/product_tree/full_product_names/{i}")
            products.setdefault(product_id, _Product(purl))
        for i, entry in enumerate(array_at(tree, "relationships", self.path, "/product_tree")):
            where = f"/product_tree/relationships/{i}"
            relationship = expect_object(entry, self.path, where)
            product_id, purl = self._full_product_name(
                relationship.get("full_product_name"), f"{where}/full_product_name"
            )
            component = products.get(string_at(relationship, "product_reference", self.path, where) or "")
            parent = products.get(string_at(relationship, "relates_to_product_reference", self.path, where) or "")
            products.setdefault(
                product_id,
                _Product(purl or (component.purl if component else None), parent.purl if parent else None),
            )
        return products

    def _groups(self, tree: dict[str, Any]) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for i, entry in enumerate(array_at(tree, "product_groups", self.path, "/product_tree")):
            where = f"/product_tree/product_groups/{i}"
            group = expect_object(entry, self.path, where)
            group_id = require_string(group.get("group_id"), self.path, f"{where}/group_id")
            groups[group_id] = expect_strings(group.get("product_ids"), self.path, f"{where}/product_ids")
        return groups

    def _covered(self, fields: dict[str, Any], where: str) -> set[str] | None:
        """The product ids a flag, threat or remediation is about; None when it names none (it is about all)."""
        ids = expect_strings(fields.get("product_ids"), self.path, f"{where}/product_ids")
        group_ids = expect_strings(fields.get("group_ids"), self.path, f"{where}/group_ids")
        if not ids and not group_ids:
            return None
        return {*ids, *(p for g in group_ids for p in self.groups.get(g, []))}

    def _per_product(
        self, vulnerability: dict[str, Any], key: str, where: str
    ) -> list[tuple[set[str] | None, dict[str, Any], str]]:
        found = []
        for i, entry in enumerate(array_at(vulnerability, key, self.path, where)):
            at = f"{where}/{key}/{i}"
            fields = expect_object(entry, self.path, at)
            found.append((self._covered(fields, at), fields, at))
        return found

    def _statements(
        self,
        vulnerability: dict[str, Any],
        where: str,
        products: dict[str, _Product],
        released: datetime | None,
        author: str | None,
    ) -> list[VexStatement]:
        status_at = f"{where}/product_status"
        product_status = expect_object(vulnerability.get("product_status"), self.path, status_at, optional=True)
        if not product_status:
            return []
        name, aliases = self._names(vulnerability, where)
        timestamp = released or parse_time(string_at(vulnerability, "release_date", self.path, where))
        flags = self._per_product(vulnerability, "flags", where)
        threats = [t for t in self._per_product(vulnerability, "threats", where) if t[1].get("category") == "impact"]
        remediations = self._per_product(vulnerability, "remediations", where)
        statements: list[VexStatement] = []
        for key, status in _STATUSES:
            at = f"{status_at}/{key}"
            # Products sharing a justification and statements become one statement, in file order.
            grouped: dict[tuple[str | None, str | None, str | None], list[str]] = {}
            for product_id in expect_strings(product_status.get(key), self.path, at):
                justification = impact = action = None
                if status == "not_affected":
                    justification = self._justification(flags, product_id)
                    impact = self._joined(threats, product_id, "details")
                if status == "affected":
                    action = self._joined(remediations, product_id, "details", with_category=True)
                listed = self._listed(product_id, products)
                grouped.setdefault((justification, impact, action), []).extend(listed)
            for (justification, impact, action), listed in grouped.items():
                statements.append(
                    VexStatement(
                        vulnerability=name,
                        aliases=aliases,
                        products=tuple(dict.fromkeys(listed)),
                        status=status,
                        justification=justification,
                        impact_statement=impact,
                        action_statement=action,
                        timestamp=timestamp,
                        author=author,
                        location=at,
                    )
                )
        return statements

    def _names(self, vulnerability: dict[str, Any], where: str) -> tuple[str, tuple[str, ...]]:
        """The CVE, else the first id; other ids that are identifiers (not links or prose) are aliases."""
        ids: list[str] = []
        for i, entry in enumerate(array_at(vulnerability, "ids", self.path, where)):
            at = f"{where}/ids/{i}"
            text = string_at(expect_object(entry, self.path, at), "text", self.path, at)
            if text and "://" not in text and not any(c.isspace() for c in text.strip()):
                ids.append(text.strip())
        cve = string_at(vulnerability, "cve", self.path, where)
        names = list(dict.fromkeys([*([cve] if cve else []), *ids]))
        if not names:
            raise CollectorError(self.path, f"{where} gives product status but names no vulnerability (cve or ids)")
        return names[0], tuple(names[1:])

    def _justification(self, flags: list[tuple[set[str] | None, dict[str, Any], str]], product_id: str) -> str | None:
        for covered, fields, at in flags:
            if covered is None or product_id in covered:
                label = require_string(fields.get("label"), self.path, f"{at}/label")
                if label not in _JUSTIFICATIONS:
                    raise CollectorError(self.path, f"{at}/label {label!r} is not a CSAF 2.0 flag label")
                return label
        return None

    def _joined(
        self,
        entries: list[tuple[set[str] | None, dict[str, Any], str]],
        product_id: str,
        key: str,
        *,
        with_category: bool = False,
    ) -> str | None:
        texts: list[str] = []
        for covered, fields, at in entries:
            if covered is not None and product_id not in covered:
                continue
            text = string_at(fields, key, self.path, at)
            category = string_at(fields, "category", self.path, at)
            if text:
                texts.append(f"{category}: {text}" if with_category and category else text)
        return "; ".join(dict.fromkeys(texts)) or None

    def _listed(self, product_id: str, products: dict[str, _Product]) -> list[str]:
        """A product as its purl (or its id when it has none), and the purl of what it is a component of."""
        product = products.get(product_id)
        if product is None:
            return [product_id]
        return [product.purl or product_id, *([product.parent_purl] if product.parent_purl else [])]
