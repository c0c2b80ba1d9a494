"""Every broken inventory gives one InventoryError line naming file:line or host and variable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rospoll.errors import InventoryError
from rospoll.inventory import load_inventory

# (id, inventory text, line the message must name (0: the file only), words it must contain)
CASES = [
    ("yaml-syntax", "all:\n  hosts:\n    core1: [unclosed\n", 4, "YAML syntax"),
    ("yaml-tab", "all:\n\thosts: {}\n", 2, "YAML syntax"),
    ("empty-file", "", 0, "empty"),
    ("only-comments", "# nothing here\n", 0, "empty"),
    ("top-is-list", "- core1\n- core2\n", 1, "expected a mapping of groups"),
    ("top-is-text", "core1\n", 1, "expected a mapping of groups"),
    (
        "hosts-is-list",
        "all:\n  hosts:\n    - core1\n",
        2,
        "'hosts' of group 'all' must be a mapping",
    ),
    ("vars-is-list", "all:\n  vars:\n    - a\n", 2, "'vars' of group 'all' must be a mapping"),
    ("group-is-text", "all:\n  children:\n    core: core1\n", 3, "group 'core' must be a mapping"),
    ("group-is-list", "core:\n  - core1\n", 1, "group 'core' must be a mapping"),
    (
        "children-cycle",
        "a:\n  children:\n    b:\n      children:\n        a:\n",
        3,
        "children cycle: 'b' cannot be a child of 'a'",
    ),
    ("child-of-itself", "a:\n  children:\n    a:\n", 3, "children cycle"),
    ("all-as-child", "core:\n  children:\n    all:\n", 3, "group 'all' cannot be a child"),
    (
        "duplicate-host",
        "all:\n  hosts:\n    core1:\n    core2:\n    core1:\n",
        5,
        "duplicate key 'core1' (first at line 3)",
    ),
    (
        "duplicate-group",
        "core:\n  hosts: {a: }\ncore:\n  hosts: {b: }\n",
        3,
        "duplicate key 'core'",
    ),
    (
        "duplicate-var",
        "all:\n  vars:\n    ansible_user: a\n    ansible_user: b\n",
        4,
        "duplicate key 'ansible_user'",
    ),
    ("unexpected-key", "all:\n  host:\n    core1:\n", 2, "unexpected key 'host'"),
    ("host-name-number", "all:\n  hosts:\n    123:\n", 3, "host name must be text"),
    ("host-vars-list", "all:\n  hosts:\n    core1: [a, b]\n", 3, "must be a mapping of vars"),
    ("host-vars-text", "all:\n  hosts:\n    core1: 10.0.0.1\n", 3, "must be a mapping of vars"),
    ("bad-range", "all:\n  hosts:\n    rtr[1:x]:\n", 3, "range"),
    (
        "priority-not-int",
        "core:\n  vars:\n    ansible_group_priority: high\n  hosts: {a: }\n",
        3,
        "ansible_group_priority must be an integer",
    ),
    ("plugin-config", "plugin: constructed\n", 1, "inventory plugin configuration"),
    (
        "unknown-setting",
        "all:\n  vars:\n    rospoll_mail_too: [a@b.c]\n",
        3,
        "unknown setting 'rospoll_mail_too'; did you mean 'rospoll_mail_to'?",
    ),
    (
        "unknown-setting-on-host",
        "all:\n  hosts:\n    core1:\n      rospoll_pol_interval: 5m\n",
        4,
        "did you mean 'rospoll_poll_interval'",
    ),
    (
        "empty-ansible-host",
        "all:\n  hosts:\n    core1:\n      ansible_host: ''\n",
        4,
        "host core1, variable ansible_host: no usable address",
    ),
    (
        "null-ansible-host",
        "all:\n  hosts:\n    core1:\n      ansible_host:\n",
        4,
        "host core1, variable ansible_host: no usable address",
    ),
    (
        "missing-env",
        "all:\n  vars:\n    ansible_password: \"{{ lookup('env', 'NOPE_X') }}\"\n"
        "  hosts:\n    core1:\n",
        3,
        "host core1, variable ansible_password: environment variable NOPE_X is not set",
    ),
    (
        "port-not-int",
        "all:\n  hosts:\n    core1:\n      ansible_port: twenty-two\n",
        4,
        "host core1, variable ansible_port: expected a port number",
    ),
    (
        "port-out-of-range",
        "all:\n  hosts:\n    core1:\n      ansible_port: 70000\n",
        4,
        "host core1, variable ansible_port: port must be between 1 and 65535",
    ),
    (
        "port-bool",
        "all:\n  hosts:\n    core1:\n      ansible_port: yes\n",
        4,
        "variable ansible_port: expected a port number",
    ),
    (
        "bad-duration",
        "all:\n  vars:\n    rospoll_poll_interval: soon\n  hosts:\n    core1:\n",
        3,
        "group all, variable rospoll_poll_interval: expected a duration like 90, 2s",
    ),
    (
        "bad-duration-group",
        "all:\n  vars:\n    rospoll_export_timeout: 0\n",
        3,
        "group all, variable rospoll_export_timeout: must be more than 0",
    ),
    (
        "bad-duration-host",
        "all:\n  hosts:\n    core1:\n      rospoll_debounce: 2 minutes\n",
        4,
        "host core1, variable rospoll_debounce: expected a duration",
    ),
    (
        "bad-bool",
        "all:\n  hosts:\n    core1:\n      rospoll_follow: maybe\n",
        4,
        "host core1, variable rospoll_follow: expected true or false",
    ),
    (
        "bad-security",
        "all:\n  vars:\n    rospoll_mail_security: tls13\n",
        3,
        "variable rospoll_mail_security: expected one of starttls, ssl, none",
    ),
    (
        "bad-transport",
        "all:\n  vars:\n    rospoll_export_transport: telnet\n",
        3,
        "variable rospoll_export_transport: expected exec or shell",
    ),
    (
        "bad-address",
        "all:\n  vars:\n    rospoll_mail_to: noc, a@b.c\n",
        3,
        "not a mail address: 'noc'",
    ),
    (
        "workers-zero",
        "all:\n  vars:\n    rospoll_poll_workers: 0\n",
        3,
        "rospoll_poll_workers: must be between 1 and 1024",
    ),
    (
        "debounce-max-short",
        "all:\n  vars:\n    rospoll_debounce: 30s\n    rospoll_debounce_max: 10s\n",
        4,
        "must not be shorter than",
    ),
    (
        "template-cycle",
        "all:\n  hosts:\n    core1:\n      ansible_host: '{{ a }}'\n      a: '{{ b }}'\n"
        "      b: '{{ a }}'\n",
        5,
        "refers to itself (a -> b -> a)",
    ),
    (
        "template-undefined",
        "all:\n  hosts:\n    core1:\n      ansible_user: '{{ nobody }}'\n",
        4,
        "'nobody' is undefined",
    ),
    (
        "template-syntax",
        "all:\n  hosts:\n    core1:\n      ansible_user: '{{ a b }}'\n",
        4,
        "template error",
    ),
    (
        "unknown-lookup",
        "all:\n  hosts:\n    core1:\n      ansible_user: \"{{ lookup('file', '/etc/passwd') }}\"\n",
        4,
        "only lookup('env', ...)",
    ),
    (
        "sandbox-escape",
        "all:\n  hosts:\n    core1:\n      ansible_user: \"{{ ''.__class__.__mro__ }}\"\n",
        4,
        "variable ansible_user: template error",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_broken_inventory_names_where_in_one_line(
    write_inventory: Callable[[str], Path], text: str, line: int, words: str
) -> None:
    path = write_inventory(text)
    with pytest.raises(InventoryError) as caught:
        load_inventory(path, env={})
    message = str(caught.value)
    assert "\n" not in message
    assert "Traceback" not in message
    prefix = f"{path}:{line}: " if line else f"{path}: "
    assert message.startswith(prefix), message
    assert words in message, message
    assert caught.value.__cause__ is None or isinstance(caught.value.__cause__, InventoryError)


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "absent.yml"
    with pytest.raises(InventoryError, match=r"absent\.yml: cannot read the inventory"):
        load_inventory(path, env={})


def test_non_utf8_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yml"
    path.write_bytes("all:\n  vars:\n    note: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InventoryError, match=r"latin1\.yml: not UTF-8 text"):
        load_inventory(path, env={})


def test_error_in_referenced_var_names_both(write_inventory: Callable[[str], Path]) -> None:
    path = write_inventory(
        """
        all:
          vars:
            secret: "{{ lookup('env', 'RTR_PW') }}"
            ansible_password: "{{ secret }}"
          hosts:
            core1:
        """
    )
    with pytest.raises(InventoryError) as caught:
        load_inventory(path, env={})
    assert str(caught.value) == (
        f"{path}:3: host core1, variable secret: environment variable RTR_PW is not set "
        "(needed by ansible_password)"
    )


def test_cli_style_message_has_no_secret(write_inventory: Callable[[str], Path]) -> None:
    path = write_inventory(
        """
        all:
          hosts:
            core1:
              ansible_password: hunter2
              ansible_port: 0
        """
    )
    with pytest.raises(InventoryError) as caught:
        load_inventory(path, env={})
    assert "hunter2" not in str(caught.value)
