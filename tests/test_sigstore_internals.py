"""The private names of sigstore that Fromline relies on: still there, called the same, and used in one module only.

When one of these fails after an upgrade of `sigstore`, read `evidence/verify/sigstore_internals.py` and the new
sigstore's source for that name before changing anything: the offline checks of intoto/0.0.2 bundles and of
cosign's legacy keyless signatures run sigstore's own functions through it.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import tomllib
from pathlib import Path

import pytest
from conftest import CORPUS, REPO
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

import evidence
from evidence.verify import sigstore_internals
from evidence.verify.sigstore_internals import PRIVATE_NAMES, PrivateName

PACKAGE = Path(evidence.__file__).resolve().parent
INTERNALS = PACKAGE / "verify" / "sigstore_internals.py"
DIRECT = ("rfc8785", "sigstore-models", "sigstore-rekor-types")  # imported by Fromline, and required by sigstore
PRIVATE_ROOTS = ("sigstore", "rekor_types", "sigstore_models")
DSSE_BUNDLE = CORPUS / "provenance" / "npm-sigstore-js-2.0.0-slsa-v1.sigstore-bundle-v0.1.json"


def _resolve(name: PrivateName) -> object:
    try:
        found: object = importlib.import_module(name.module)
    except ImportError as e:
        pytest.fail(f"sigstore {_version()} has no module {name.module} ({e}); sigstore_internals.py imports it")
    for part in name.name.split("."):
        if not hasattr(found, part):
            pytest.fail(f"sigstore {_version()}: {name.module}.{name.name} is gone; sigstore_internals.py uses it")
        found = getattr(found, part)
    return found


def _version() -> str:
    return importlib.metadata.version("sigstore")


@pytest.mark.parametrize("name", PRIVATE_NAMES, ids=lambda n: f"{n.module}.{n.name}")
def test_each_private_name_is_there_with_the_parameters_used(name: PrivateName) -> None:
    found = _resolve(name)
    if name.parameters is None:
        return
    assert callable(found)
    parameters = tuple(inspect.signature(found).parameters)
    assert parameters == name.parameters, (
        f"sigstore {_version()}: {name.module}.{name.name} now takes {parameters}, sigstore_internals.py passes "
        f"{name.parameters}"
    )


def test_the_direct_dependencies_are_declared_with_sigstores_own_pins() -> None:
    declared = {
        Requirement(text).name: Requirement(text).specifier
        for text in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    }
    required = {
        Requirement(text).name: Requirement(text).specifier for text in importlib.metadata.requires("sigstore") or ()
    }
    for name in DIRECT:
        assert name in declared, f"{name} is imported by Fromline and not declared in pyproject.toml"
        assert declared[name] == required[name], (
            f"sigstore {_version()} requires {name}{required[name]}, pyproject.toml pins {name}{declared[name]}"
        )
        assert importlib.metadata.version(name) in SpecifierSet(str(declared[name]))


def _private_uses(path: Path) -> list[str]:
    """The private modules of sigstore's packages a file imports, and the strings naming one."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]
        for name in names:
            parts = name.split(".")
            if parts[0] in PRIVATE_ROOTS and any(p.startswith("_") for p in parts[1:]):
                found.append(f"{path.relative_to(PACKAGE.parent)}: {name}")
    return found


def test_private_names_are_used_in_one_module_only() -> None:
    outside = [use for path in sorted(PACKAGE.rglob("*.py")) if path != INTERNALS for use in _private_uses(path)]
    assert not outside, "private sigstore names outside sigstore_internals.py:\n" + "\n".join(outside)
    assert _private_uses(INTERNALS)


def test_every_private_attribute_access_is_in_the_internals_module() -> None:
    """`obj._name` on a sigstore object is flagged by ruff (SLF001); only the internals module may silence it."""
    silenced = [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != INTERNALS
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "SLF001" in line
    ]
    assert not silenced, silenced


def test_the_wrappers_read_a_real_bundle() -> None:
    from sigstore.models import Bundle  # noqa: PLC0415

    bundle = Bundle.from_json(DSSE_BUNDLE.read_bytes())
    fields = sigstore_internals.log_entry_fields(bundle.log_entry)
    assert (fields.kind, fields.version) == ("intoto", "0.0.2")
    assert fields.canonicalized_body.startswith(b"{")
    envelope = sigstore_internals.bundle_inner_dsse_envelope(bundle)
    assert envelope is not None
    assert envelope.payload_type == "application/vnd.in-toto+json"
    assert sigstore_internals.bundle_dsse_envelope(bundle) is not None
    version, content = sigstore_internals.intoto_v002_content(fields.canonicalized_body)
    assert version == "0.0.2"
    assert content is not None
    assert content.payload_hash is not None
    assert sigstore_internals.is_sha256(content.payload_hash.algorithm)
    with sigstore_internals.embedded_trusted_root("https%3A%2F%2Ftuf-repo-cdn.sigstore.dev") as path:
        assert path.is_file()
