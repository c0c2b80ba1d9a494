"""attribution/ is pure: no sockets, files, threads, processes or clocks (STYLE.md §2.1), and
no process-wide state: no memo caches, no module-level containers filled at run time, no
garbage-collector tweaks. Every answer comes from the arguments and static tables."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import rospoll.attribution

FORBIDDEN_MODULES = {
    "socket",
    "subprocess",
    "threading",
    "multiprocessing",
    "asyncio",
    "netmiko",
    "paramiko",
    "smtplib",
    "time",
    "datetime",
    "os",
    "pathlib",
    "io",
    "logging",
    "random",
    "gc",
}
FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval"}
CACHES = {"lru_cache", "cache"}  # functools memoisers: one table per process
MUTATORS = {
    "append", "extend", "insert", "add", "update", "setdefault", "pop", "popitem",
    "remove", "discard", "clear", "__setitem__",
}  # fmt: skip
CONTAINERS = (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)
CONTAINER_CALLS = {"dict", "list", "set", "defaultdict", "OrderedDict", "Counter", "deque"}

FOLDER = Path(rospoll.attribution.__file__).parent
MODULES = sorted(FOLDER.glob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _imported(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name.split(".")[0] for alias in node.names}
    if isinstance(node, ast.ImportFrom):
        return {(node.module or "").split(".")[0]}
    return set()


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


def _mutable_globals(tree: ast.Module) -> set[str]:
    """Module-level names bound to a dict, list or set (literal, comprehension or call)."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        is_container = isinstance(value, CONTAINERS) or (
            isinstance(value, ast.Call) and _decorator_name(value) in CONTAINER_CALLS
        )
        if is_container:
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _locals(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = {arg.arg for arg in ast.walk(function.args) if isinstance(arg, ast.arg)}
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _changed_globals(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """``(line, name)`` where a function mutates a module-level container."""
    shared = _mutable_globals(tree)
    for function in _functions(tree):
        mine = shared - _locals(function)
        for node in ast.walk(function):
            target: ast.expr | None = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in MUTATORS:
                    target = node.func.value
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
                target = node.value
            if isinstance(target, ast.Name) and target.id in mine:
                yield node.lineno, target.id


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_imports_and_calls_nothing_impure(path: Path) -> None:
    for node in ast.walk(_tree(path)):
        names = _imported(node)
        assert not names & FORBIDDEN_MODULES, f"{path.name}:{getattr(node, 'lineno', 0)} {names}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_keeps_no_process_wide_state(path: Path) -> None:
    tree = _tree(path)
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', 0)}"
        assert not isinstance(node, ast.Global), f"{where}: global state"
        if isinstance(node, ast.ImportFrom) and node.module == "functools":
            cached = {alias.name for alias in node.names} & CACHES
            assert not cached, f"{where}: imports {cached}"
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for decorator in node.decorator_list:
                assert _decorator_name(decorator) not in CACHES, f"{where}: memo cache"
    assert list(_changed_globals(tree)) == [], f"{path.name}: module-level container changed"


@pytest.mark.parametrize(
    "source",
    [
        "import gc\n",
        "from functools import lru_cache\n",
        "import functools\n@functools.lru_cache(maxsize=None)\ndef f(x): return x\n",
        "import functools\n@functools.cache\ndef f(x): return x\n",
        "_SEEN = {}\ndef f(x):\n    _SEEN[x] = 1\n",
        "_SEEN: list[int] = []\ndef f(x):\n    _SEEN.append(x)\n",
        "_N = 0\ndef f():\n    global _N\n    _N += 1\n",
    ],
)
def test_the_checks_catch_what_they_are_for(source: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.py"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(AssertionError):
        test_module_imports_and_calls_nothing_impure(path)
        test_module_keeps_no_process_wide_state(path)


def test_a_local_of_the_same_name_is_not_module_state() -> None:
    tree = ast.parse("_SEEN = {}\ndef f(x):\n    _SEEN = {}\n    _SEEN[x] = 1\n    return _SEEN\n")
    assert list(_changed_globals(tree)) == []


def test_public_names_are_exported() -> None:
    for name in rospoll.attribution.__all__:
        assert hasattr(rospoll.attribution, name)
