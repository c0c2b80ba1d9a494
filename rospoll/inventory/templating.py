"""Render ``{{ ... }}`` in inventory vars: Jinja2 sandbox, strict undefined, lazy and recursive.

Only the vars rospoll uses are rendered, each once, on demand (as Ansible does): a var that
refers to another renders that one first, and a cycle (``a: "{{ b }}"``, ``b: "{{ a }}"``) is
reported instead of recursing forever. A value that is exactly one ``{{ expression }}`` keeps
its type (``"{{ base_port }}"`` stays an int, a list stays a list); anything else renders to
text. The only lookup is ``lookup('env', 'NAME', default=...)``; a missing variable without
a default is an error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, Undefined, meta
from jinja2.sandbox import SandboxedEnvironment

_MAX_TEXT = 100_000
_MAX_EXPONENT = 1_000
_WHOLE_EXPRESSION = re.compile(r"\s*\{\{(?P<expr>.*)\}\}\s*", re.DOTALL)


class RenderError(Exception):
    """Raised when a var cannot be rendered; ``var`` is the one whose template failed."""

    def __init__(self, var: str, reason: str) -> None:
        super().__init__(f"{var}: {reason}")
        self.var = var
        self.reason = reason


class _Refused(Exception):
    """Raised inside a template (failed lookup, oversized value); becomes ``RenderError``."""


class _Sandbox(SandboxedEnvironment):
    """The sandbox, also refusing ``*`` and ``**`` that would build huge values."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "**" and isinstance(right, (int, float)) and abs(right) > _MAX_EXPONENT:
            raise _Refused(f"exponent {right} is too large")
        if op == "*":
            for seq, count in ((left, right), (right, left)):
                sized = isinstance(seq, (str, list, tuple)) and isinstance(count, int)
                if sized and len(seq) * count > _MAX_TEXT:
                    raise _Refused("a repeated value would be too large")
        return super().call_binop(context, op, left, right)


def _lookup(env: Mapping[str, str]) -> Callable[..., Any]:
    def lookup(plugin: str, *terms: Any, default: Any = None, **kwargs: Any) -> Any:
        if plugin != "env":
            raise _Refused(f"lookup({plugin!r}) is not supported; only lookup('env', ...)")
        if kwargs:
            raise _Refused(f"lookup('env') takes no {', '.join(sorted(kwargs))} option")
        if not terms:
            raise _Refused("lookup('env') needs the name of an environment variable")
        values = []
        for term in terms:
            if not isinstance(term, str):
                raise _Refused(f"lookup('env') needs a name, found {term!r}")
            value = env.get(term)
            if value is None:
                if default is None:
                    raise _Refused(f"environment variable {term} is not set")
                value = default
            values.append(value)
        return values[0] if len(values) == 1 else ",".join(str(v) for v in values)

    return lookup


class Renderer:
    """Renders the vars of one device (or group) from ``raw`` merged values.

    ``magic`` names (``inventory_hostname``...) are readable from templates but are not vars.

    >>> r = Renderer({"a": "{{ b }}!", "b": 1}, env={})
    >>> r.value("a")
    '1!'
    """

    def __init__(
        self,
        raw: Mapping[str, Any],
        *,
        env: Mapping[str, str],
        magic: Mapping[str, Any] | None = None,
    ) -> None:
        self._raw = raw
        self._magic = magic or {}
        self._lookup = _lookup(env)
        self._done: dict[str, Any] = {}
        self._stack: list[str] = []

    def value(self, var: str) -> Any:
        """The rendered value of ``var``; raises ``RenderError`` naming the var that failed."""
        if var in self._done:
            return self._done[var]
        if var in self._stack:
            chain = " -> ".join([*self._stack[self._stack.index(var) :], var])
            raise RenderError(var, f"refers to itself ({chain})")
        self._stack.append(var)
        try:
            result = self._render(var, self._raw[var])
        finally:
            self._stack.pop()
        self._done[var] = result
        return result

    def _render(self, var: str, value: Any) -> Any:
        if isinstance(value, str):
            return self._render_text(var, value)
        if isinstance(value, Mapping):
            return {k: self._render(var, v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._render(var, v) for v in value]
        return value

    def _render_text(self, var: str, text: str) -> Any:
        if "{{" not in text and "{%" not in text and "{#" not in text:
            return text
        try:
            names, render = _compile(text)
            result = render(self._context(names))
            if isinstance(result, Undefined):
                str(result)  # StrictUndefined raises with its own message
            return result
        except RenderError:
            raise
        except _Refused as exc:
            raise RenderError(var, str(exc)) from None
        except TemplateError as exc:
            raise RenderError(var, f"template error: {_one_line(exc)}") from None
        except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
            reason = f"template error: {type(exc).__name__}: {_one_line(exc)}"
            raise RenderError(var, reason) from None

    def _context(self, names: frozenset[str]) -> dict[str, Any]:
        context: dict[str, Any] = {}
        for name in names:
            if name in self._raw:
                context[name] = self.value(name)
            elif name in self._magic:
                context[name] = self._magic[name]
            elif name == "lookup":
                context[name] = self._lookup
        return context


_SANDBOX = _Sandbox(undefined=StrictUndefined, autoescape=False)


@functools.lru_cache(maxsize=4096)
def _compile(text: str) -> tuple[frozenset[str], Callable[[dict[str, Any]], Any]]:
    """The names ``text`` reads and a function rendering it; one compile per distinct text.

    Values are passed per call (``lookup`` too), so one sandbox serves every device and thread.
    """
    names = frozenset(meta.find_undeclared_variables(_SANDBOX.parse(text)))
    whole = _WHOLE_EXPRESSION.fullmatch(text)
    if whole and not any(s in whole["expr"] for s in ("{{", "}}", "{%", "{#")):
        expression = _SANDBOX.compile_expression(whole["expr"], undefined_to_none=False)
        return names, lambda context: expression(**context)
    return names, _SANDBOX.from_string(text).render


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
