"""attribution/ is pure: no sockets, files, threads, processes or clocks (STYLE.md §2.1)."""

from __future__ import annotations

import ast
from pathlib import Path

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
}
FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval"}


def test_attribution_modules_import_and_call_nothing_impure() -> None:
    folder = Path(rospoll.attribution.__file__).parent
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {(node.module or "").split(".")[0]}
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno}"
                continue
            else:
                continue
            assert not names & FORBIDDEN_MODULES, f"{path.name}:{node.lineno} imports {names}"


def test_public_names_are_exported() -> None:
    for name in rospoll.attribution.__all__:
        assert hasattr(rospoll.attribution, name)
