"""The package's shape, checked: no import cycles, imports at the top, private names stay
private, one exception family, and numpydoc ``Parameters``/``Returns`` on every public
function. These are the rules of CONTRIBUTING.md; each test names the offending places."""
from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
from pathlib import Path

import pytest

import mssedu

ROOT = Path(mssedu.__file__).resolve().parent
REPO = ROOT.parent
#: optional heavy dependencies that may be imported inside a function
LAZY_OK = {"demucs", "nussl", "playwright", "huggingface_hub", "safetensors", "yaml", "otter",
           "soxbindings", "music21"}


def _modules() -> dict:
    """``{dotted name: path}`` for every module of the package."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def _resolve(module: str, node) -> list:
    """mssedu modules that an import statement in ``module`` loads."""
    targets = []
    if isinstance(node, ast.Import):
        bases = [a.name for a in node.names]
        names = [[]] * len(bases)
    else:
        if node.level:
            pkg = module.split(".") if _is_package(module) else module.split(".")[:-1]
            pkg = pkg[: len(pkg) - (node.level - 1)]
            base = ".".join(pkg + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        bases, names = [base], [[a.name for a in node.names]]
    for base, sub in zip(bases, names):
        if not base.startswith("mssedu"):
            continue
        parts = base.split(".")
        for i in range(1, len(parts) + 1):   # the packages on the way run too
            targets.append(".".join(parts[:i]))
        for n in sub:
            if f"{base}.{n}" in MODULES:
                targets.append(f"{base}.{n}")
    return [t for t in targets if t in MODULES]


def _tree(path) -> ast.Module:
    return ast.parse(Path(path).read_text(), filename=str(path))


def _graph() -> dict:
    graph = {}
    for name, path in MODULES.items():
        edges = set()
        for node in ast.walk(_tree(path)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for t in _resolve(name, node):
                    # a module's own parent packages are already initialising: no edge
                    if t != name and not name.startswith(t + "."):
                        edges.add(t)
        graph[name] = edges
    return graph


def _cycles(graph: dict) -> list:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_not_even_inside_functions():
    assert _cycles(_graph()) == []


def _cli_deferred_imports(tree) -> set:
    """ids of the imports that open a function of a ``mssedu/cli/`` module: mssedu's own
    modules (relative imports), imported when that command runs, so that ``mssedu --help``
    answers at once (the one place the CLI imports heavy modules; see its docstring)."""
    allowed = set()
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        body = fn.body[1:] if ast.get_docstring(fn) else fn.body
        for node in body:
            if not (isinstance(node, ast.ImportFrom) and node.level >= 1):
                break
            allowed.add(id(node))
    return allowed


def test_imports_sit_at_module_top():
    late = []
    for name, path in MODULES.items():
        tree = _tree(path)
        top = set(id(n) for n in tree.body)
        if name.startswith("mssedu.cli."):
            top |= _cli_deferred_imports(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top:
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(m.split(".")[0] not in LAZY_OK for m in mods):
                    late.append(f"{path.relative_to(REPO)}:{node.lineno} {ast.unparse(node)}")
    # imports under `try:` / `if TYPE_CHECKING:` at module level are top-level statements' children
    late = [x for x in late if not _guarded(x)]
    assert late == [], "imports inside functions:\n" + "\n".join(late)


def _guarded(entry: str) -> bool:
    path, rest = entry.split(":", 1)
    line = int(rest.split(" ", 1)[0])
    tree = _tree(REPO / path)
    for node in tree.body:
        if isinstance(node, (ast.Try, ast.If)) and node.lineno <= line <= node.end_lineno:
            return True
    return False


def test_cli_help_imports_nothing_heavy():
    """``mssedu --help`` and every command's ``--help`` build the parser without importing
    torch, nbformat, the grader, the app or any model (start-up times: benchmarks/bench_cli.py)."""
    import subprocess
    import sys

    code = ("import sys; from mssedu import cli\n"
            "for cmd in [[]] + [[c] for c in cli.COMMANDS]:\n"
            "    try: cli.main(cmd + ['--help'])\n"
            "    except SystemExit: pass\n"
            "print('LOADED', ' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    loaded = set(out.stdout.split("LOADED ")[-1].split())
    heavy = {"torch", "nbformat", "otter", "ipywidgets", "matplotlib", "pandas", "scipy", "librosa",
             "demucs", "av", "mssedu.separation", "mssedu.grading", "mssedu.app", "mssedu.models",
             "mssedu.data", "mssedu.assignments", "mssedu.pipeline"}
    assert not heavy & loaded, sorted(heavy & loaded)


def _private_uses(tree, where: str) -> list:
    """``from mssedu... import _x`` and ``mssedu_module._x`` in a file outside mssedu's own."""
    bad = []
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mssedu"):
            for a in node.names:
                if a.name.startswith("_") and not a.name.startswith("__"):
                    bad.append(f"{where}:{node.lineno} imports {node.module}.{a.name}")
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            if any(p.startswith("_") for p in node.module.split(".")):
                bad.append(f"{where}:{node.lineno} imports private module {node.module}")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("mssedu"):
                    aliases[a.asname or a.name.split(".")[0]] = a.name
                    if any(p.startswith("_") for p in a.name.split(".")):
                        bad.append(f"{where}:{node.lineno} imports private module {a.name}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__") and isinstance(node.value, ast.Name)
                and node.value.id in aliases and aliases[node.value.id].startswith("mssedu")):
            bad.append(f"{where}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    return bad


def _notebook_trees():
    for nb in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        src = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        src = "\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!")))
        yield nb, ast.parse(src)


def test_private_names_stay_in_their_file():
    bad = []
    for name, path in MODULES.items():
        tree = _tree(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for a in node.names:
                    if a.name.startswith("_") and not a.name.startswith("__"):
                        bad.append(f"{path.relative_to(REPO)}:{node.lineno} imports {a.name}")
                if node.module and any(p.startswith("_") and not p.startswith("__")
                                       for p in node.module.split(".")):
                    bad.append(f"{path.relative_to(REPO)}:{node.lineno} imports from {node.module}")
    for folder in ("benchmarks", "tests", "scripts"):
        for path in sorted((REPO / folder).glob("*.py")):
            bad += _private_uses(_tree(path), str(path.relative_to(REPO)))
    for nb, tree in _notebook_trees():
        bad += _private_uses(tree, nb.name)
    assert bad == [], "\n".join(bad)


def test_every_module_declares_its_public_names():
    missing = [n for n in MODULES if not n.endswith("__main__")
               and not hasattr(importlib.import_module(n), "__all__")]
    assert missing == []


def test_one_error_family():
    from mssedu import errors as E

    for cls in (E.ParameterError, E.DataError, E.AudioError, E.ModelLoadingError, E.NetworkError):
        assert issubclass(cls, E.MsseduError)
    assert issubclass(E.ParameterError, ValueError)
    assert issubclass(E.AudioError, E.DataError)
    # an outage or a corrupt file is not a bad argument: `except ValueError` must not hide it
    for cls in (E.DataError, E.ModelLoadingError, E.NetworkError):
        assert not issubclass(cls, ValueError)
    assert not issubclass(E.MsseduError, ValueError)


def test_only_the_specific_errors_are_raised():
    """Every ``raise`` names a subclass, so callers can tell the kinds of fault apart."""
    bad = []
    for name, path in MODULES.items():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                f = node.exc.func
                if isinstance(f, ast.Name) and f.id == "MsseduError":
                    bad.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert bad == []


# -- numpydoc ------------------------------------------------------------------------------

CHECKS = {"GL08", "PR01", "PR02", "RT01"}


def _public_callables():
    for name in MODULES:
        if name.endswith("__main__"):
            continue
        mod = importlib.import_module(name)
        for attr in getattr(mod, "__all__", []):
            obj = getattr(mod, attr, None)
            if getattr(obj, "__module__", None) != name:
                continue                         # a re-export: checked where it is defined
            if inspect.isfunction(obj):
                yield f"{name}.{attr}", obj
            elif inspect.isclass(obj):
                for meth, fn in vars(obj).items():
                    if meth.startswith("_") or not inspect.isfunction(
                            fn.__func__ if isinstance(fn, (classmethod, staticmethod)) else fn):
                        continue
                    yield f"{name}.{attr}.{meth}", getattr(obj, meth)


def docstring_problems(prefix: str = "mssedu") -> list:
    """numpydoc's validation (missing docstring, undocumented or unknown parameters, no
    Returns section for a function that returns something) of every public function and
    method whose dotted name starts with ``prefix``."""
    from numpydoc.validate import validate

    problems = []
    for qual, _obj in _public_callables():
        if not qual.startswith(prefix):
            continue
        res = validate(qual)
        for code, msg in res["errors"]:
            if code in CHECKS:
                problems.append(f"{qual}: {code} {msg}")
    return problems


def test_numpydoc_parameters_and_returns_on_every_public_function():
    problems = docstring_problems()
    assert problems == [], f"{len(problems)} docstring problems:\n" + "\n".join(problems)


if __name__ == "__main__":  # python tests/test_architecture.py mssedu.audio
    import sys

    for p in docstring_problems(sys.argv[1] if len(sys.argv) > 1 else "mssedu"):
        print(p)


# -- a codebase a newcomer can hold in their head ------------------------------------------

#: Limits (CONTRIBUTING.md): a module a reader can hold, a function that fits a screen.
MAX_MODULE_LINES, MAX_FUNCTION_CODE_LINES = 600, 60


def _code_lines(node, lines: list) -> int:
    """Non-blank, non-comment lines of a function, its docstring not counted."""
    start = node.body[0].lineno
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        start = first.end_lineno + 1
    return sum(1 for i in range(start, node.end_lineno + 1)
               if lines[i - 1].strip() and not lines[i - 1].strip().startswith("#"))


def test_modules_are_short():
    long = [f"{p.relative_to(REPO)}: {n} lines" for p in MODULES.values()
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES]
    assert long == [], f"modules over {MAX_MODULE_LINES} lines:\n" + "\n".join(long)


def test_functions_are_short():
    long = []
    for path in MODULES.values():
        lines = path.read_text().splitlines()
        for node in ast.walk(_tree(path)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = _code_lines(node, lines)
                if n > MAX_FUNCTION_CODE_LINES:
                    long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}: {n} code lines")
    assert long == [], f"functions over {MAX_FUNCTION_CODE_LINES} code lines:\n" + "\n".join(long)


def test_package_init_files_only_reexport():
    """``__init__.py``: a docstring, imports, ``__all__``; the top-level package may also
    load its subpackages lazily (``__getattr__``), which keeps ``import mssedu`` fast."""
    bad = []
    for name, path in MODULES.items():
        if path.name != "__init__.py":
            continue
        for node in _tree(path).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue          # the docstring
            targets = [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
            if targets == ["__all__"]:
                continue
            if name == "mssedu" and (targets in (["__version__"], ["_SUBMODULES"])
                                     or getattr(node, "name", "") == "__getattr__"):
                continue
            bad.append(f"{path.relative_to(REPO)}:{node.lineno} {type(node).__name__}")
    assert bad == [], "code in package __init__ files:\n" + "\n".join(bad)


def test_no_registry_is_filled_by_an_import_side_effect():
    """No module calls anything at import time (a registry filled by importing a module is
    how a band-split checkpoint once failed to load unless mssedu.bandsplit had been
    imported); the one allowed call silences a third-party warning."""
    allowed = {"warnings.filterwarnings"}
    calls = [f"{p.relative_to(REPO)}:{n.lineno} {ast.unparse(n.value.func)}"
             for p in MODULES.values() for n in _tree(p).body
             if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
             and ast.unparse(n.value.func) not in allowed]
    assert calls == []


def test_a_band_split_checkpoint_loads_in_a_fresh_interpreter_through_the_one_loader(tmp_path):
    import subprocess
    import sys

    from mssedu.models import BandSplitModel, save_checkpoint

    path = save_checkpoint(tmp_path / "bs.pt", BandSplitModel.from_preset("tiny"))
    code = ("from mssedu.models.checkpoint import load_checkpoint\n"
            f"model, config = load_checkpoint({str(path)!r})\n"
            "print(type(model).__name__, type(config).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.stdout.split() == ["BandSplitModel", "BandSplitConfig"], out.stderr[-2000:]


def test_one_name_per_chapter():
    """The chapter's name alone names its notebook, exercises, figures and widgets."""
    from mssedu.chapters import CHAPTERS

    names = {c.name for c in CHAPTERS}
    for package in ("exercises", "plot", "widgets"):
        modules = {p.stem for p in (ROOT / package).glob("*.py")} - {"__init__", "core", "checking", "hints"}
        assert modules <= names, f"mssedu.{package} modules named after no chapter: {modules - names}"
    notebooks = {p.stem for p in (REPO / "notebooks").glob("*.ipynb")}
    assert notebooks == {f"{c.number:02d}_{c.name}" for c in CHAPTERS}
