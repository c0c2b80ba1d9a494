"""The house's shape: stages import one way, no circles, pure stages stay pure, portable.

Stages, in data-flow order: inventory -> device -> config -> attribution -> store -> notify.
A stage imports only earlier stages and the base modules (errors, files, terminal); config
and attribution import no I/O at all. The app runs the stages, the commands run the app,
the CLI runs the commands; the lab stands apart. Every import counts, also inside functions.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import rospoll

PACKAGE = Path(rospoll.__file__).parent
STAGES = ("inventory", "device", "config", "attribution", "store", "notify")
BASE = {"errors", "files", "terminal"}
IO_BASE = {"files"}  # base modules the pure stages may not use
LAYERS = {  # a top-level part -> the parts it may import
    **{stage: set(STAGES[:n]) | BASE for n, stage in enumerate(STAGES)},
    "app": set(STAGES) | BASE | {"app"},
    "commands": set(STAGES) | BASE | {"app", "lab"},
    "cli": BASE | {"commands"},
    "__main__": {"cli"},
    "lab": {"lab"},
    **{base: BASE - {base} for base in BASE},
}
PURE = ("config", "attribution")
IO_MODULES = {
    "socket", "subprocess", "threading", "multiprocessing", "asyncio", "netmiko", "paramiko",
    "asyncssh", "smtplib", "os", "pathlib", "io", "shutil", "tempfile", "dulwich", "filelock",
    "gc", "schedule", "urllib", "http",
}  # fmt: skip
POSIX_ONLY = {"fcntl", "pwd", "grp", "termios", "tty", "pty", "resource", "posix", "syslog"}
POSIX_CALLS = re.compile(r"\bos\.(fork|setsid|getuid|geteuid|killpg|getpgid|setpgrp)\b|SIGKILL")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, ast.Module]:
    return {
        _module_name(path): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def _imports(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _part(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def test_every_part_has_a_layer() -> None:
    parts = {_part(name) for name in _modules()} - {""}
    assert parts <= set(LAYERS), f"parts without a layer: {parts - set(LAYERS)}"


def test_stages_import_only_earlier_stages_and_the_base() -> None:
    modules = _modules()
    wrong = []
    for name, tree in modules.items():
        part = _part(name)
        for target in _imports(tree):
            while target not in modules and "." in target:  # a name imported from a module
                target = target.rsplit(".", 1)[0]
            other = _part(target) if target in modules else ""
            if other not in ("", part) and other not in LAYERS.get(part, set()):
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_there_are_no_import_circles() -> None:
    modules = _modules()
    graph = {
        name: {t for t in _imports(tree) if t in modules and t != name}
        for name, tree in modules.items()
    }
    for name, targets in graph.items():  # a package's __init__ re-exporting is not a circle
        graph[name] = {t for t in targets if not name.startswith(t + ".")}
    state: dict[str, int] = {}
    circles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                circles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_pure_stages_do_no_io_keep_no_global_caches_and_leave_the_collector_alone() -> None:
    wrong = []
    for name, tree in _modules().items():
        if _part(name) not in PURE:
            continue
        for target in _imports(tree):
            top = target.split(".")[0]
            if top in IO_MODULES or (top == "rospoll" and _part(target) in IO_BASE):
                wrong.append(f"{name} imports {target}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                wrong.append(f"{name}:{node.lineno} assigns a module global")
            if isinstance(node, ast.Attribute) and node.attr in {"lru_cache", "cache"}:
                wrong.append(f"{name}:{node.lineno} uses functools.{node.attr}")
            if isinstance(node, ast.Name) and node.id in {"lru_cache", "cache"}:
                wrong.append(f"{name}:{node.lineno} uses {node.id}")
    assert wrong == []


def test_the_product_imports_nothing_posix_only() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for target in _imports(ast.parse(text)):
            if target.split(".")[0] in POSIX_ONLY:
                wrong.append(f"{path.name} imports {target}")
        wrong += [f"{path.name} uses {m.group(0)}" for m in POSIX_CALLS.finditer(text)]
    assert wrong == []


def test_commands_do_not_import_each_other_and_import_little_at_load() -> None:
    heavy = {"netmiko", "paramiko", "dulwich", "jinja2", "deepdiff", "asyncssh", "yaml"}
    for path in sorted((PACKAGE / "commands").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        every = _imports(tree)
        assert not any(t.startswith("rospoll.commands.") for t in every), path.name
        top_level = set()
        for node in tree.body:  # module level, outside functions and TYPE_CHECKING
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                top_level |= _imports(ast.Module(body=[node], type_ignores=[]))
        loaded = {t.split(".")[0] for t in top_level} | {
            t for t in top_level if t.startswith("rospoll.")
        }
        assert not loaded & heavy, f"{path.name}: {loaded & heavy}"
        assert not {t for t in loaded if t.startswith("rospoll.")}, f"{path.name}: {loaded}"
