"""No import cycles in the `evidence` package, checked two ways.

Run: every module imports alone, in a fresh interpreter. A cycle shows only when the import starts at the wrong
module: `import evidence.verify.apply` used to fail while `import evidence.collectors` (which imported it midway)
worked. So each module must be the first `evidence` module imported. A new interpreter per module spends most of
its time loading the same libraries again, so each of a few interpreters takes a share of the modules and, before
each one, forgets every `evidence` module it has loaded: the module is then imported first, as in a fresh
interpreter, with only the libraries cached.

Read: the graph of the imports each module runs at its top level has no cycle. A cycle that happens to import
(because no module of it uses a name of another before that one is done) still fails this test: it breaks as
soon as someone moves a line. The graph leaves out, by design, what does not run when a module is imported:
imports inside functions, and imports under `if TYPE_CHECKING:` (those are collected apart, for type checkers
only). `from pkg import name` is an edge to the submodule `pkg.name` when there is one, and to `pkg` otherwise.
A submodule's implicit import of its parent packages is no edge: Python has started them before the submodule
runs, and what the submodule takes from them is an explicit `from pkg import name`, which is one. A second
reading draws `from pkg import submodule` as an edge to `pkg` too, as most tools do: inside `pkg` that works
while `pkg` is half imported, but reads as a cycle, so a module reaches its sibling by the full name instead.
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


def module_files(package: Path) -> dict[str, Path]:
    """Every module of a package directory, by dotted name."""
    files: dict[str, Path] = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def module_names() -> list[str]:
    return [name for name in module_files(PACKAGE) if name not in SCRIPTS]


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


# What `--help` imports. The command line answers --help in well under a tenth of a second only if it loads nothing
# but argparse and its own option modules: the model's frozen dataclasses, the renderers, pydantic, oscal_bindings,
# openpyxl, WeasyPrint, sigstore and cryptography are each imported by the code that runs a command, never on the
# way to its help. Checked by what a fresh interpreter has loaded after --help, not by a clock.

# The `evidence` modules --help may load: the command line itself and the few light modules its options name.
HELP_MODULES = {
    "evidence",
    "evidence.diff",
    "evidence.diff.conditions",
    "evidence.errors",
    "evidence.oscal_versions",
    "evidence.visible",
}
COMMANDS = ("package", "inspect", "controls", "diff", "sign", "verify", "version", "completion")

LOADED_BY = """
import contextlib, io, sys
sys.path.insert(0, sys.argv[1])
before = set(sys.modules)
from evidence.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[2:])
print(code, *sorted(set(sys.modules) - before))
"""


def modules_loaded_by(argv: list[str]) -> tuple[int, set[str]]:
    """The exit code of `fromline ARGV` and the modules it loaded, in a fresh interpreter, from this checkout."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", LOADED_BY, str(PACKAGE.parent), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    code, *loaded = done.stdout.split()
    return int(code), set(loaded)


def beyond_the_help(loaded: set[str]) -> set[str]:
    """The modules --help should not have loaded: outside the standard library, or `evidence` modules not needed."""
    libraries = {name for name in loaded if name.partition(".")[0] not in {*sys.stdlib_module_names, "evidence"}}
    project = {name for name in loaded if name.partition(".")[0] == "evidence"}
    return libraries | {name for name in project if name not in HELP_MODULES and not name.startswith("evidence.cli")}


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_imports_only_the_command_line(command: str) -> None:
    code, loaded = modules_loaded_by([command, "--help"] if command else ["--help"])
    assert code == 0
    assert "evidence.cli" in loaded
    assert not beyond_the_help(loaded), f"`fromline {command} --help` imports {sorted(beyond_the_help(loaded))}"


def test_a_heavy_import_is_caught() -> None:
    """The check itself: a command that runs loads what --help must not."""
    code, loaded = modules_loaded_by(["controls", "list"])
    assert code == 0
    assert {"evidence.model", "evidence.catalog", "yaml", "orjson"} <= beyond_the_help(loaded)
    assert not beyond_the_help({"argparse", "evidence.cli.package", "evidence.errors", "email.utils"})
    assert beyond_the_help({"pydantic", "openpyxl.cell", "evidence.render.pdf"}) == {
        "pydantic",
        "openpyxl.cell",
        "evidence.render.pdf",
    }


def test_the_choices_named_for_help_are_the_model_s() -> None:
    """--help lists these choices without importing the model; they must be the model's values all the same."""
    from evidence.cli.assessment import IMPACT_CHOICES  # noqa: PLC0415 - each import is part of what is tested
    from evidence.cli.package import FAIL_ON_CHOICES  # noqa: PLC0415
    from evidence.model import ImpactLevel, Status  # noqa: PLC0415

    assert tuple(level.value for level in ImpactLevel) == IMPACT_CHOICES
    assert set(FAIL_ON_CHOICES) == {Status.NOT_SATISFIED, Status.EVIDENCE_MISSING}


# The static graph: the modules each module imports when it is imported.

Graph = dict[str, set[str]]
ImportStatement = ast.Import | ast.ImportFrom


def is_type_checking(test: ast.expr) -> bool:
    """`if TYPE_CHECKING:` or `if typing.TYPE_CHECKING:`."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def nested_statements(node: ast.stmt) -> list[ast.stmt]:
    """The statements inside a compound statement (`if`, `try`, `with`, loops, `match`, class bodies)."""
    inside: list[ast.stmt] = []
    for field in ("body", "orelse", "finalbody"):
        inside += getattr(node, field, [])
    for part in (*getattr(node, "handlers", ()), *getattr(node, "cases", ())):
        inside += part.body
    return inside


def import_statements(body: list[ast.stmt]) -> tuple[list[ImportStatement], list[ImportStatement]]:
    """The import statements that run when a module is imported, and those that run only for a type checker.

    Everything at the top level runs, including the bodies of `if`, `try`, `with`, loops and classes; function
    bodies do not, and the body of `if TYPE_CHECKING:` runs only for a type checker (its `else` does run)."""
    at_run_time: list[ImportStatement] = []
    for_type_checking: list[ImportStatement] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            at_run_time.append(node)
        elif isinstance(node, ast.If) and is_type_checking(node.test):
            for_type_checking += [statement for found in import_statements(node.body) for statement in found]
            run, checked = import_statements(node.orelse)
            at_run_time += run
            for_type_checking += checked
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            run, checked = import_statements(nested_statements(node))
            at_run_time += run
            for_type_checking += checked
    return at_run_time, for_type_checking


def imported_modules(
    statements: list[ImportStatement], importer: str, files: dict[str, Path], *, through_packages: bool = False
) -> set[str]:
    """The modules of `files` that these statements, in module `importer`, import.

    With `through_packages`, `from pkg import submodule` is an edge to `pkg` as well, as most tools draw it."""
    package = importer if files[importer].name == "__init__.py" else importer.rpartition(".")[0]
    found: set[str] = set()
    for statement in statements:
        if isinstance(statement, ast.Import):
            found.update(alias.name for alias in statement.names)
            continue
        source = statement.module or ""
        if statement.level:
            base = package.rsplit(".", statement.level - 1)[0] if statement.level > 1 else package
            source = f"{base}.{source}" if source else base
        for alias in statement.names:
            submodule = f"{source}.{alias.name}"
            found.add(submodule if submodule in files else source)
            if through_packages:
                found.add(source)
    return {name for name in found if name in files and name != importer}


def import_graphs(files: dict[str, Path], *, through_packages: bool = False) -> tuple[Graph, Graph]:
    """Per module, the modules it imports at run time, and those it imports only under `if TYPE_CHECKING:`."""
    at_run_time: Graph = {}
    for_type_checking: Graph = {}
    for name, path in files.items():
        run, checked = import_statements(ast.parse(path.read_bytes(), filename=str(path)).body)
        at_run_time[name] = imported_modules(run, name, files, through_packages=through_packages)
        for_type_checking[name] = imported_modules(checked, name, files, through_packages=through_packages)
    return at_run_time, for_type_checking


def strongly_connected(graph: Graph) -> list[set[str]]:
    """Tarjan's algorithm: the groups of modules that can each reach every other of their group."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph.get(module, ())):
            if target not in index:
                visit(target)
                lowest[module] = min(lowest[module], lowest[target])
            elif target in on_stack:
                lowest[module] = min(lowest[module], index[target])
        if lowest[module] == index[module]:
            group = set(stack[stack.index(module) :])
            del stack[stack.index(module) :]
            on_stack.difference_update(group)
            groups.append(group)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return groups


def cycles(graph: Graph) -> list[list[str]]:
    """One shortest cycle per group of modules that import each other, from the group's first module by name."""
    found: list[list[str]] = []
    for group in strongly_connected(graph):
        if len(group) < 2:  # the graph has no edge from a module to itself
            continue
        start = min(group)
        came_from: dict[str, str] = {}
        frontier = [start]
        while start not in came_from:
            following: list[str] = []
            for module in frontier:
                for target in sorted(graph[module] & group):
                    if target not in came_from:
                        came_from[target] = module
                        following.append(target)
            frontier = following
        path = [start]
        while (previous := came_from[path[-1]]) != start:
            path.append(previous)
        found.append([start, *reversed(path[1:])])
    return sorted(found)


def described(graph: Graph) -> str:
    """Each cycle of the graph, with the other modules caught in cycles with it; empty without a cycle."""
    groups = {min(group): group for group in strongly_connected(graph)}
    lines: list[str] = []
    for cycle in cycles(graph):
        others = sorted(groups[cycle[0]] - set(cycle))
        lines.append(" -> ".join([*cycle, cycle[0]]) + (f"\n    (also caught: {', '.join(others)})" if others else ""))
    return "\n".join(lines)


def test_no_import_cycle_in_the_modules_top_levels() -> None:
    files = module_files(PACKAGE)
    at_run_time, _ = import_graphs(files)
    found = described(at_run_time)
    assert not found, f"import cycles (each module imports the next, the last the first):\n{found}"
    # `from pkg import submodule` inside `pkg` works while `pkg` is half imported, but every tool that draws
    # imports sees a cycle through `pkg`: such a module imports the submodule by its full name instead.
    through_packages, _ = import_graphs(files, through_packages=True)
    found = described(through_packages)
    assert not found, f"cycles through a package that a module names to reach its submodule:\n{found}"


def test_the_graph_has_every_module_and_their_imports() -> None:
    files = module_files(PACKAGE)
    at_run_time, for_type_checking = import_graphs(files)
    assert set(at_run_time) == set(files) == set(for_type_checking)
    assert sum(map(len, at_run_time.values())) > 200
    assert "evidence.model" in at_run_time["evidence.evaluate.checks.base"]
    assert "evidence.verify.sigstore_internals" in at_run_time["evidence.verify.intoto_entry"]
    # `import evidence` stays cheap: its names are imported on first use, and named for type checkers only.
    assert at_run_time["evidence"] == set()
    assert "evidence.model" in for_type_checking["evidence"]


def test_the_graph_follows_python_s_rules_and_finds_every_cycle(tmp_path: Path) -> None:
    modules = {
        # a cycle through a package: `b` takes a name from the package, whose `__init__` imports `a`, which imports `b`
        "pkg/__init__.py": "from pkg.a import A\n",
        "pkg/a.py": "from pkg import b\nA = 1\n",
        "pkg/b.py": "from pkg import A\n",
        # imports for type checkers and inside functions do not run on import: no cycle
        "pkg/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.d import D\nC = 1\n",
        "pkg/d.py": "from pkg.c import C\nD = C\n",
        "pkg/e.py": "def late() -> None:\n    from pkg.f import F\n",
        "pkg/f.py": "import pkg.e\nF = 1\n",
        # imports under `try`, in a class body and in the `else` of `if TYPE_CHECKING:` do run
        "pkg/g.py": "try:\n    from pkg.h import H\nexcept ImportError:\n    H = None\n",
        "pkg/h.py": "import typing\nif typing.TYPE_CHECKING:\n    pass\nelse:\n    class H:\n        import pkg.g\n",
        # relative imports
        "pkg/sub/__init__.py": "from . import x\n",
        "pkg/sub/x.py": "from .. import sub\n",
    }
    for relative, text in modules.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    at_run_time, for_type_checking = import_graphs(module_files(tmp_path / "pkg"))
    assert at_run_time["pkg.a"] == {"pkg.b"}
    assert at_run_time["pkg.c"] == set()
    assert for_type_checking["pkg.c"] == {"pkg.d"}
    assert at_run_time["pkg.e"] == set()
    assert cycles(at_run_time) == [["pkg", "pkg.a", "pkg.b"], ["pkg.g", "pkg.h"], ["pkg.sub", "pkg.sub.x"]]
    through_packages, _ = import_graphs(module_files(tmp_path / "pkg"), through_packages=True)
    assert through_packages["pkg.a"] == {"pkg", "pkg.b"}
    assert cycles(through_packages) == [["pkg", "pkg.a"], ["pkg.g", "pkg.h"], ["pkg.sub", "pkg.sub.x"]]
    assert cycles({"a": {"b", "c"}, "b": {"c"}, "c": {"d"}, "d": {"b"}, "e": {"a"}}) == [["b", "c", "d"]]
