"""Templates render in a sandbox, lazily, recursively, with env lookups and typed results."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rospoll.errors import InventoryError
from rospoll.inventory import load_inventory
from rospoll.inventory.templating import Renderer, RenderError


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ lookup.__globals__ }}",
        "{{ 'x'.format.__self__ }}",
        "{% for c in ''.__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_sandbox_refuses_attribute_escapes(template: str) -> None:
    renderer = Renderer({"v": template}, env={})
    with pytest.raises(RenderError, match=r"unsafe|undefined|template error"):
        renderer.value("v")


@pytest.mark.parametrize("template", ["{{ 'a' * 10000000 }}", "{{ 9 ** 9999999 }}"])
def test_sandbox_refuses_huge_values(template: str) -> None:
    with pytest.raises(RenderError, match="too large"):
        Renderer({"v": template}, env={}).value("v")


def test_sandbox_escape_in_inventory_is_an_inventory_error(
    write_inventory: Callable[[str], Path],
) -> None:
    path = write_inventory(
        """
        all:
          hosts:
            core1:
              ansible_host: "{{ ''.__class__.__mro__ }}"
        """
    )
    with pytest.raises(
        InventoryError, match=r"inventory\.yml:4: host core1, variable ansible_host"
    ):
        load_inventory(path, env={})


def test_references_render_recursively() -> None:
    raw = {"a": "{{ b }}.{{ c }}", "b": "{{ c }}-x", "c": "z"}
    assert Renderer(raw, env={}).value("a") == "z-x.z"


def test_single_expression_keeps_its_type() -> None:
    raw = {"port": "{{ base + 1 }}", "base": 2221, "team": "{{ people }}", "people": ["a@b.c"]}
    renderer = Renderer(raw, env={})
    assert renderer.value("port") == 2222
    assert renderer.value("team") == ["a@b.c"]


def test_nested_values_render() -> None:
    raw = {"m": {"k": ["{{ x }}", 1]}, "x": "y"}
    assert Renderer(raw, env={}).value("m") == {"k": ["y", 1]}


def test_env_lookup_with_default_and_several_names() -> None:
    renderer = Renderer(
        {
            "a": "{{ lookup('env', 'SET') }}",
            "b": "{{ lookup('env', 'UNSET', default='fallback') }}",
            "c": "{{ lookup('env', 'SET', 'OTHER') }}",
        },
        env={"SET": "one", "OTHER": "two"},
    )
    assert (renderer.value("a"), renderer.value("b"), renderer.value("c")) == (
        "one",
        "fallback",
        "one,two",
    )


def test_missing_env_names_the_variable() -> None:
    with pytest.raises(RenderError) as caught:
        Renderer({"pw": "{{ lookup('env', 'RTR_PW') }}"}, env={}).value("pw")
    assert (caught.value.var, caught.value.reason) == (
        "pw",
        "environment variable RTR_PW is not set",
    )


def test_cycle_is_reported_not_recursed() -> None:
    with pytest.raises(RenderError, match=r"refers to itself \(a -> a\)"):
        Renderer({"a": "{{ a }}"}, env={}).value("a")


def test_magic_vars_are_readable() -> None:
    renderer = Renderer(
        {"h": "{{ inventory_hostname }}.lan"}, env={}, magic={"inventory_hostname": "r1"}
    )
    assert renderer.value("h") == "r1.lan"


def test_unused_vars_are_not_rendered(write_inventory: Callable[[str], Path]) -> None:
    """A var only Ansible uses may need an env var rospoll lacks: it is kept, not rendered."""
    path = write_inventory(
        """
        all:
          vars:
            ansible_become_method: "{{ lookup('env', 'ONLY_ANSIBLE_HAS_THIS') }}"
          hosts:
            core1:
        """
    )
    device = load_inventory(path, env={}).device("core1")
    assert device.vars["ansible_become_method"] == "{{ lookup('env', 'ONLY_ANSIBLE_HAS_THIS') }}"


def test_env_defaults_to_os_environ(
    write_inventory: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROSPOLL_TEST_ADDR", "192.0.2.9")
    path = write_inventory(
        """
        all:
          hosts:
            core1:
              ansible_host: "{{ lookup('env', 'ROSPOLL_TEST_ADDR') }}"
        """
    )
    assert load_inventory(path).device("core1").host == "192.0.2.9"
