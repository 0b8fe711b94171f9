"""No import cycles: every module of the `evidence` package imports alone, in a fresh interpreter.

A cycle shows only when the import starts at the wrong module: `import evidence.verify.apply` used to fail while
`import evidence.collectors` (which imported it midway) worked. So each module must be the first `evidence`
module imported. A new interpreter per module spends most of its time loading the same libraries again, so each
of a few interpreters takes a share of the modules and, before each one, forgets every `evidence` module it
has loaded: the module is then imported first, as in a fresh interpreter, with only the libraries cached.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import evidence

PACKAGE = Path(evidence.__file__).resolve().parent
SCRIPTS = {"evidence.__main__"}  # runs the command line when imported: `python -m evidence`
INTERPRETERS = 3

IMPORT_EACH_FIRST = """
import importlib, sys, traceback
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "evidence" or m.startswith("evidence.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as e:
        print(f"{name}: {type(e).__name__}: {e}")
"""


def module_names() -> list[str]:
    names: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name not in SCRIPTS:
            names.append(name)
    return names


def import_each_first(names: list[str]) -> str:
    # -I: isolated, so neither the working directory nor PYTHON* variables decide what is imported.
    done = subprocess.run(
        [sys.executable, "-I", "-c", IMPORT_EACH_FIRST, *names],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.stdout + (done.stderr if done.returncode else "")


def test_the_module_list_is_the_package() -> None:
    names = module_names()
    assert len(names) > 80
    assert {"evidence", "evidence.model", "evidence.verify.apply", "evidence.collectors.cosign"} <= set(names)


def test_every_module_imports_alone_in_a_fresh_interpreter() -> None:
    names = module_names()
    shares = [names[i::INTERPRETERS] for i in range(INTERPRETERS)]
    with ThreadPoolExecutor(max_workers=INTERPRETERS) as pool:
        failures = "".join(pool.map(import_each_first, shares))
    assert not failures, f"modules that do not import alone (an import cycle?):\n{failures}"


def test_a_cycle_is_found_only_from_the_module_that_starts_it(tmp_path: Path) -> None:
    """The shape of the cycle this test was written for: a package's `__init__` imports a module that imports
    one of the package's submodules. Imported first, the package works; the module does not."""
    (tmp_path / "cyclic" / "hub").mkdir(parents=True)
    (tmp_path / "cyclic" / "__init__.py").write_text("")
    (tmp_path / "cyclic" / "hub" / "__init__.py").write_text("from cyclic.user import U\n")
    (tmp_path / "cyclic" / "hub" / "part.py").write_text("X = 1\n")
    (tmp_path / "cyclic" / "user.py").write_text("from cyclic.hub.part import X\nU = X\n")
    script = f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n" + IMPORT_EACH_FIRST.replace('"evidence', '"cyclic')
    done = subprocess.run(
        [sys.executable, "-I", "-c", script, "cyclic.hub", "cyclic.user"], capture_output=True, text=True, check=False
    )
    assert done.stdout.startswith("cyclic.user: ImportError: cannot import name 'U' from partially initialized")
    assert "cyclic.hub:" not in done.stdout


def _project_imports(path: Path) -> set[str]:
    """The `evidence` modules a file imports, at the top or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "evidence" or name.startswith("evidence.")}


def test_the_model_imports_nothing_from_the_project() -> None:
    assert _project_imports(PACKAGE / "model.py") == set()


@pytest.mark.parametrize(
    "path",
    sorted([*(PACKAGE / "verify").glob("*.py"), *(PACKAGE / "attest").glob("*.py")]),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_verification_and_package_signing_import_no_collector(path: Path) -> None:
    imported = _project_imports(path)
    assert not {name for name in imported if name.startswith("evidence.collectors")}, imported
